//! Custom resource classes (`/resource_classes`).
//!
//! Standard classes always exist and cannot be deleted; a custom class is
//! in use, and cannot be deleted, while any provider has an inventory of it
//! (`objects/resource_class.py` `_destroy`). Allocations need an inventory,
//! so that also covers classes with allocations.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::Excerpt;
use crate::names::ResourceClass;
use crate::outcome::Status;

use super::ops::Applied;
use super::refusal::Refusal;
use super::store::State;

fn rekey<V>(map: &mut BTreeMap<ResourceClass, V>, from: &ResourceClass, to: &ResourceClass) {
    if let Some(value) = map.remove(from) {
        map.insert(to.clone(), value);
    }
}

impl State {
    /// `POST /resource_classes` (1.2+): 409 (no code) when it exists.
    pub(super) fn create_resource_class(
        &mut self,
        name: &ResourceClass,
    ) -> Result<Applied, Refusal> {
        let x = Excerpt::of(name.as_str());
        if !name.is_custom() {
            return Err(Refusal::NotCustom(x));
        }
        if self.custom_classes.contains(name) {
            return Err(Refusal::ResourceClassExists(x));
        }
        Arc::make_mut(&mut self.custom_classes).insert(name.clone());
        Ok(Applied::new(Status::Created))
    }

    /// `PUT /resource_classes/{name}` (1.7+): 201 when created, 204 when it existed.
    pub(super) fn ensure_resource_class(
        &mut self,
        name: &ResourceClass,
    ) -> Result<Applied, Refusal> {
        if !name.is_custom() {
            return Err(Refusal::NotCustom(Excerpt::of(name.as_str())));
        }
        if !self.custom_classes.contains(name) {
            Arc::make_mut(&mut self.custom_classes).insert(name.clone());
            Ok(Applied::new(Status::Created))
        } else {
            Ok(Applied::new(Status::NoContent))
        }
    }

    /// `PUT /resource_classes/{name}` (1.2 to 1.6): renames a custom class.
    /// 400 for a non-custom new name, 404, 400 for a standard class, then 409
    /// (no code) when the new name is taken. A class in use is renamed
    /// everywhere at once, and no provider or consumer generation moves
    /// ([`Quirk::RenameClassWithoutBump`](super::quirks::Quirk::RenameClassWithoutBump)).
    pub(super) fn rename_resource_class(
        &mut self,
        from: &ResourceClass,
        to: &ResourceClass,
    ) -> Result<Applied, Refusal> {
        // The body is validated before the class is looked up.
        if !to.is_custom() {
            return Err(Refusal::NotCustom(Excerpt::of(to.as_str())));
        }
        if !self.resource_class_exists(from) {
            return Err(Refusal::ResourceClassNotFound(Excerpt::of(from.as_str())));
        }
        if from.is_standard() {
            return Err(Refusal::StandardResourceClass(Excerpt::of(from.as_str())));
        }
        if from == to {
            return Ok(Applied::new(Status::Ok));
        }
        if self.resource_class_exists(to) {
            return Err(Refusal::ResourceClassExists(Excerpt::of(to.as_str())));
        }
        let classes = Arc::make_mut(&mut self.custom_classes);
        classes.remove(from);
        classes.insert(to.clone());
        for p in Arc::make_mut(&mut self.providers).values_mut() {
            if p.inventories.contains_key(from) {
                rekey(&mut Arc::make_mut(p).inventories, from, to);
            }
        }
        for per_provider in Arc::make_mut(&mut self.allocations).values_mut() {
            for resources in per_provider.values_mut() {
                rekey(resources, from, to);
            }
        }
        for usages in Arc::make_mut(&mut self.usages).values_mut() {
            rekey(usages, from, to);
        }
        Ok(Applied::new(Status::Ok))
    }

    /// `DELETE /resource_classes/{name}`: 404, then 400 for a standard class,
    /// then 409 (no code) while an inventory uses it.
    pub(super) fn delete_resource_class(
        &mut self,
        name: &ResourceClass,
    ) -> Result<Applied, Refusal> {
        let x = || Excerpt::of(name.as_str());
        if !self.resource_class_exists(name) {
            return Err(Refusal::ResourceClassNotFound(x()));
        }
        if name.is_standard() {
            return Err(Refusal::StandardResourceClass(x()));
        }
        if self.providers().any(|p| p.inventories.contains_key(name)) {
            return Err(Refusal::ResourceClassInUse(x()));
        }
        Arc::make_mut(&mut self.custom_classes).remove(name);
        Ok(Applied::new(Status::NoContent))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::super::ops::Op;
    use super::*;
    use crate::outcome::ErrorCode;

    #[test]
    fn custom_classes_lifecycle() {
        let mut s = State::new();
        let gold = rc("CUSTOM_GOLD");
        s.apply_detailed(&Op::CreateResourceClass { name: gold.clone() })
            .unwrap();
        let again = s
            .apply_detailed(&Op::CreateResourceClass { name: gold.clone() })
            .unwrap_err();
        // handlers/resource_class.py: a 409 without a specific code.
        assert_eq!(
            (again.status(), again.code()),
            (Status::Conflict, ErrorCode::Undefined)
        );
        let put = s
            .apply_detailed(&Op::EnsureResourceClass { name: gold.clone() })
            .unwrap();
        assert_eq!(put.status, Status::NoContent);
        assert!(s.resource_classes().any(|c| c == "CUSTOM_GOLD"));
        let vcpu = rc("VCPU");
        assert_eq!(
            s.apply_detailed(&Op::DeleteResourceClass { name: vcpu.clone() }),
            Err(Refusal::StandardResourceClass(Excerpt::of("VCPU")))
        );
        assert_eq!(
            s.apply_detailed(&Op::CreateResourceClass { name: vcpu })
                .unwrap_err()
                .status(),
            Status::BadRequest
        );
        s.apply_detailed(&Op::DeleteResourceClass { name: gold.clone() })
            .unwrap();
        assert_eq!(
            s.apply_detailed(&Op::DeleteResourceClass { name: gold })
                .unwrap_err()
                .status(),
            Status::NotFound
        );
    }

    #[test]
    fn renaming_a_class_in_use_moves_everything_and_bumps_nothing() {
        // handlers/resource_class.py update_resource_class (1.2 to 1.6): the
        // class keeps its id, so inventories and allocations follow silently.
        let mut s = providers(1, &[]);
        s.apply_detailed(&Op::EnsureResourceClass {
            name: rc("CUSTOM_GOLD"),
        })
        .unwrap();
        set_inventories(&mut s, 1, &[("CUSTOM_GOLD", inv(4))]).unwrap();
        put(&mut s, 1, &[(1, "CUSTOM_GOLD", 2)]).unwrap();
        let (g, cg) = (generation(&s, 1), s.consumer(c(1)).unwrap().generation());
        let rename = |s: &mut State, from: &str, to: &str| {
            s.apply_detailed(&Op::RenameResourceClass {
                from: rc(from),
                to: rc(to),
            })
        };
        rename(&mut s, "CUSTOM_GOLD", "CUSTOM_SILVER").unwrap();
        assert_eq!(s.usage(u(1), &rc("CUSTOM_SILVER")), 2);
        assert!(
            s.provider(u(1))
                .unwrap()
                .inventory(&rc("CUSTOM_GOLD"))
                .is_none()
        );
        assert_eq!(generation(&s, 1), g);
        assert_eq!(s.consumer(c(1)).unwrap().generation(), cg);
        assert_eq!(
            rename(&mut s, "VCPU", "CUSTOM_X").unwrap_err().status(),
            Status::BadRequest
        );
        assert_eq!(
            rename(&mut s, "CUSTOM_GOLD", "CUSTOM_X")
                .unwrap_err()
                .status(),
            Status::NotFound
        );
        assert_eq!(
            rename(&mut s, "CUSTOM_SILVER", "VCPU")
                .unwrap_err()
                .status(),
            Status::BadRequest
        );
        s.apply_detailed(&Op::EnsureResourceClass {
            name: rc("CUSTOM_GOLD"),
        })
        .unwrap();
        assert_eq!(
            rename(&mut s, "CUSTOM_SILVER", "CUSTOM_GOLD")
                .unwrap_err()
                .status(),
            Status::Conflict
        );
    }

    #[test]
    fn a_class_with_inventory_is_in_use() {
        let mut s = providers(1, &[]);
        s.apply_detailed(&Op::EnsureResourceClass {
            name: rc("CUSTOM_GOLD"),
        })
        .unwrap();
        set_inventories(&mut s, 1, &[("CUSTOM_GOLD", inv(1))]).unwrap();
        assert_eq!(
            s.apply_detailed(&Op::DeleteResourceClass {
                name: rc("CUSTOM_GOLD")
            }),
            Err(Refusal::ResourceClassInUse(Excerpt::of("CUSTOM_GOLD")))
        );
    }
}
