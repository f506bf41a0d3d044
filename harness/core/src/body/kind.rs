//! The write routes that take a JSON body, and from when they read one.
//!
//! Fuzz corpora, reports and the reference server all name a body by its
//! route; [`BodyKind::name`] is that stable name, so it must never change.

use std::fmt;

use crate::microversion::Microversion;

/// A write route of the Placement API that takes a JSON request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BodyKind {
    /// `POST /resource_providers`.
    CreateProvider,
    /// `PUT /resource_providers/{uuid}`.
    UpdateProvider,
    /// `POST /resource_providers/{uuid}/inventories`.
    CreateInventory,
    /// `PUT /resource_providers/{uuid}/inventories`: all inventories at once.
    ReplaceInventories,
    /// `PUT /resource_providers/{uuid}/inventories/{resource_class}`.
    UpdateInventory,
    /// `PUT /allocations/{consumer_uuid}`.
    ReplaceConsumerAllocations,
    /// `POST /allocations` (1.13): allocations of several consumers.
    ManageAllocations,
    /// `PUT /resource_providers/{uuid}/aggregates` (1.1).
    ReplaceAggregates,
    /// `PUT /resource_providers/{uuid}/traits` (1.6).
    ReplaceProviderTraits,
    /// `POST /resource_classes` (1.2).
    CreateResourceClass,
    /// `PUT /resource_classes/{name}` (1.2): reads a body only up to 1.6;
    /// from 1.7 it creates the class named in the URL and ignores the body.
    UpdateResourceClass,
    /// `POST /reshaper` (1.30).
    Reshape,
}

/// The last microversion at which `PUT /resource_classes/{name}` reads a
/// body (`handlers/resource_class.py`, `version_handler('1.2', '1.6')`).
const LAST_RESOURCE_CLASS_RENAME: Microversion = Microversion::v1(6);

impl BodyKind {
    /// Every kind, in route order.
    pub const ALL: [BodyKind; 12] = [
        BodyKind::CreateProvider,
        BodyKind::UpdateProvider,
        BodyKind::CreateInventory,
        BodyKind::ReplaceInventories,
        BodyKind::UpdateInventory,
        BodyKind::ReplaceConsumerAllocations,
        BodyKind::ManageAllocations,
        BodyKind::ReplaceAggregates,
        BodyKind::ReplaceProviderTraits,
        BodyKind::CreateResourceClass,
        BodyKind::UpdateResourceClass,
        BodyKind::Reshape,
    ];

    /// The stable short name, used in fuzz corpus file names and reports.
    pub fn name(self) -> &'static str {
        match self {
            BodyKind::CreateProvider => "provider_create",
            BodyKind::UpdateProvider => "provider_update",
            BodyKind::CreateInventory => "inventory_create",
            BodyKind::ReplaceInventories => "inventories_replace",
            BodyKind::UpdateInventory => "inventory_update",
            BodyKind::ReplaceConsumerAllocations => "allocations_put",
            BodyKind::ManageAllocations => "allocations_post",
            BodyKind::ReplaceAggregates => "aggregates_put",
            BodyKind::ReplaceProviderTraits => "provider_traits_put",
            BodyKind::CreateResourceClass => "resource_class_create",
            BodyKind::UpdateResourceClass => "resource_class_update",
            BodyKind::Reshape => "reshaper",
        }
    }

    /// The kind with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The HTTP method of the route.
    pub fn method(self) -> &'static str {
        match self {
            BodyKind::CreateProvider
            | BodyKind::CreateInventory
            | BodyKind::ManageAllocations
            | BodyKind::CreateResourceClass
            | BodyKind::Reshape => "POST",
            _ => "PUT",
        }
    }

    /// The route template, as Placement's `handler.py` writes it.
    pub fn route(self) -> &'static str {
        match self {
            BodyKind::CreateProvider => "/resource_providers",
            BodyKind::UpdateProvider => "/resource_providers/{uuid}",
            BodyKind::CreateInventory | BodyKind::ReplaceInventories => {
                "/resource_providers/{uuid}/inventories"
            }
            BodyKind::UpdateInventory => "/resource_providers/{uuid}/inventories/{resource_class}",
            BodyKind::ReplaceConsumerAllocations => "/allocations/{consumer_uuid}",
            BodyKind::ManageAllocations => "/allocations",
            BodyKind::ReplaceAggregates => "/resource_providers/{uuid}/aggregates",
            BodyKind::ReplaceProviderTraits => "/resource_providers/{uuid}/traits",
            BodyKind::CreateResourceClass => "/resource_classes",
            BodyKind::UpdateResourceClass => "/resource_classes/{name}",
            BodyKind::Reshape => "/reshaper",
        }
    }

    /// The first microversion at which the route exists.
    pub fn min_version(self) -> Microversion {
        Microversion::v1(self.min_minor())
    }

    /// [`min_version`](Self::min_version) as text, for rejections.
    pub(crate) fn min_version_text(self) -> &'static str {
        match self.min_minor() {
            1 => "1.1",
            2 => "1.2",
            6 => "1.6",
            13 => "1.13",
            30 => "1.30",
            _ => "1.0",
        }
    }

    fn min_minor(self) -> u16 {
        match self {
            BodyKind::ManageAllocations => 13,
            BodyKind::ReplaceAggregates => 1,
            BodyKind::ReplaceProviderTraits => 6,
            BodyKind::CreateResourceClass | BodyKind::UpdateResourceClass => 2,
            BodyKind::Reshape => 30,
            _ => 0,
        }
    }

    /// Whether the route reads its body at microversion `mv`.
    pub fn reads_body(self, mv: Microversion) -> bool {
        mv.at_least(self.min_version())
            && mv <= Microversion::MAX
            && !(self == BodyKind::UpdateResourceClass && mv > LAST_RESOURCE_CLASS_RENAME)
    }
}

impl fmt::Display for BodyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        for kind in BodyKind::ALL {
            assert_eq!(BodyKind::from_name(kind.name()), Some(kind));
            assert!(
                kind.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_')
            );
        }
        let mut names: Vec<_> = BodyKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), BodyKind::ALL.len());
    }

    #[test]
    fn versions_follow_the_handlers() {
        // handlers/allocation.py: set_allocations is version_handler('1.13').
        assert!(!BodyKind::ManageAllocations.reads_body(Microversion::v1(12)));
        assert!(BodyKind::ManageAllocations.reads_body(Microversion::v1(13)));
        // handlers/reshaper.py: version_handler('1.30').
        assert!(!BodyKind::Reshape.reads_body(Microversion::v1(29)));
        assert!(BodyKind::Reshape.reads_body(Microversion::MAX));
        // handlers/resource_class.py: the body-reading PUT is ('1.2', '1.6').
        assert!(!BodyKind::UpdateResourceClass.reads_body(Microversion::v1(1)));
        assert!(BodyKind::UpdateResourceClass.reads_body(Microversion::v1(6)));
        assert!(!BodyKind::UpdateResourceClass.reads_body(Microversion::v1(7)));
        assert!(BodyKind::ReplaceAggregates.reads_body(Microversion::v1(1)));
        assert!(!BodyKind::ReplaceProviderTraits.reads_body(Microversion::v1(5)));
        for kind in BodyKind::ALL {
            assert_eq!(
                kind.min_version_text(),
                kind.min_version().to_string(),
                "{kind}"
            );
            assert!(!kind.reads_body(Microversion::v1(40)));
        }
    }
}
