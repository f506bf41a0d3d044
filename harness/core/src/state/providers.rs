//! Resource providers: the record, and creating, updating and deleting one.
//!
//! Tree rules come from `objects/resource_provider.py` (`_create_in_db`,
//! `_update_in_db`, `_delete`): a child's root is its parent's root; a
//! provider cannot be its own parent or be moved under its own subtree;
//! before 1.37 a child can neither be moved to another parent nor made a
//! root (giving a root its first parent is allowed at any version). Changing
//! a provider's name or parent does not bump its generation.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::error::Excerpt;
use crate::ids::Uuid;
use crate::inventory::Inventory;
use crate::microversion::Microversion;
use crate::names::{ProviderName, ResourceClass, TraitName};
use crate::outcome::Status;

use super::ops::{Applied, ParentUpdate};
use super::refusal::Refusal;
use super::store::State;

/// One resource provider and everything attached to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Provider {
    pub(super) uuid: Uuid,
    pub(super) name: ProviderName,
    pub(super) generation: u32,
    pub(super) parent: Option<Uuid>,
    pub(super) root: Uuid,
    pub(super) inventories: BTreeMap<ResourceClass, Inventory>,
    pub(super) traits: BTreeSet<TraitName>,
    pub(super) aggregates: BTreeSet<Uuid>,
}

impl Provider {
    /// Its UUID.
    pub fn uuid(&self) -> Uuid {
        self.uuid
    }
    /// Its name, unique among providers.
    pub fn name(&self) -> &ProviderName {
        &self.name
    }
    /// Its generation: 0 when created, bumped by inventory, trait, aggregate
    /// (1.19+) and allocation writes that name it.
    pub fn generation(&self) -> u32 {
        self.generation
    }
    /// Its parent, if it is not a root.
    pub fn parent(&self) -> Option<Uuid> {
        self.parent
    }
    /// The root of its tree (itself for a root).
    pub fn root(&self) -> Uuid {
        self.root
    }
    /// Its inventories by class.
    pub fn inventories(&self) -> &BTreeMap<ResourceClass, Inventory> {
        &self.inventories
    }
    /// Its inventory of one class.
    pub fn inventory(&self, class: &ResourceClass) -> Option<&Inventory> {
        self.inventories.get(class)
    }
    /// Its traits.
    pub fn traits(&self) -> &BTreeSet<TraitName> {
        &self.traits
    }
    /// The aggregates it is a member of.
    pub fn aggregates(&self) -> &BTreeSet<Uuid> {
        &self.aggregates
    }
}

impl State {
    /// `POST /resource_providers`.
    pub(super) fn create_provider(
        &mut self,
        microversion: Microversion,
        uuid: Uuid,
        name: &ProviderName,
        parent: Option<Uuid>,
    ) -> Result<Applied, Refusal> {
        // Parent checks run before the insert, so they win over duplicates.
        let root = match parent {
            Some(p) if p == uuid => return Err(Refusal::ParentIsSelf),
            Some(p) => self.provider(p).ok_or(Refusal::ParentNotFound(p))?.root,
            None => uuid,
        };
        if self.providers.contains_key(&uuid) {
            return Err(Refusal::DuplicateProviderUuid(uuid));
        }
        if self.provider_by_name(name.as_str()).is_some() {
            return Err(Refusal::DuplicateProviderName(Excerpt::of(name.as_str())));
        }
        Arc::make_mut(&mut self.providers).insert(
            uuid,
            Arc::new(Provider {
                uuid,
                name: name.clone(),
                generation: 0,
                parent,
                root,
                inventories: BTreeMap::new(),
                traits: BTreeSet::new(),
                aggregates: BTreeSet::new(),
            }),
        );
        // handlers/resource_provider.py: 201 without a body before 1.20,
        // 200 with the provider from 1.20.
        let status = if microversion.at_least(Microversion::v1(20)) {
            Status::Ok
        } else {
            Status::Created
        };
        Ok(Applied::new(status))
    }

    /// `PUT /resource_providers/{uuid}`.
    pub(super) fn update_provider(
        &mut self,
        microversion: Microversion,
        uuid: Uuid,
        name: &ProviderName,
        parent: ParentUpdate,
    ) -> Result<Applied, Refusal> {
        let current = self.existing_provider(uuid)?;
        let allow_reparenting = microversion.at_least(Microversion::v1(37));
        // The handler always saves the parent field: when the body leaves it
        // out, the provider's own parent goes through the same checks.
        let wanted = match parent {
            ParentUpdate::Keep => current.parent,
            ParentUpdate::Set(p) => p,
        };
        let mut new_root = None;
        match wanted {
            Some(p) => {
                let parent_root = self.provider(p).ok_or(Refusal::ParentNotFound(p))?.root;
                if current.parent.is_some_and(|q| q != p) && !allow_reparenting {
                    return Err(Refusal::ReparentingNotAllowed);
                }
                if self.subtree(uuid).contains(&p) {
                    return Err(Refusal::ProviderLoop(p));
                }
                new_root = Some(parent_root);
            }
            None => {
                if current.parent.is_some() {
                    if !allow_reparenting {
                        return Err(Refusal::UnparentingNotAllowed);
                    }
                    new_root = Some(uuid);
                }
            }
        }
        if self.providers().any(|p| p.uuid != uuid && p.name == *name) {
            return Err(Refusal::DuplicateProviderName(Excerpt::of(name.as_str())));
        }
        if let Some(root) = new_root {
            for member in self.subtree(uuid) {
                if let Some(p) = self.provider_mut(member) {
                    p.root = root;
                }
            }
        }
        if let Some(p) = self.provider_mut(uuid) {
            p.name = name.clone();
            p.parent = wanted;
        }
        Ok(Applied::new(Status::Ok))
    }

    /// `DELETE /resource_providers/{uuid}`: refused while it has children or
    /// allocations; takes its inventories, traits and aggregate links with it.
    pub(super) fn delete_provider(&mut self, uuid: Uuid) -> Result<Applied, Refusal> {
        self.existing_provider(uuid)?;
        if self.children(uuid).next().is_some() {
            return Err(Refusal::ProviderHasChildren(uuid));
        }
        if self.usages.contains_key(&uuid) {
            return Err(Refusal::ProviderInUse(uuid));
        }
        Arc::make_mut(&mut self.providers).remove(&uuid);
        Ok(Applied::new(Status::NoContent))
    }
}

#[cfg(test)]
mod tests {
    use super::super::ops::Op;
    use super::*;
    use crate::outcome::ErrorCode;

    fn u(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }
    fn name(s: &str) -> ProviderName {
        ProviderName::parse(s).unwrap()
    }
    fn create(
        state: &mut State,
        mv: u16,
        n: u128,
        parent: Option<u128>,
    ) -> Result<Applied, Refusal> {
        state.apply_detailed(&Op::CreateProvider {
            microversion: Microversion::v1(mv),
            uuid: u(n),
            name: name(&format!("rp{n}")),
            parent: parent.map(u),
        })
    }
    fn reparent(
        state: &mut State,
        mv: u16,
        n: u128,
        parent: Option<u128>,
    ) -> Result<Applied, Refusal> {
        state.apply_detailed(&Op::UpdateProvider {
            microversion: Microversion::v1(mv),
            uuid: u(n),
            name: name(&format!("rp{n}")),
            parent: ParentUpdate::Set(parent.map(u)),
        })
    }

    #[test]
    fn create_status_changes_at_1_20() {
        let mut s = State::new();
        assert_eq!(create(&mut s, 19, 1, None).unwrap().status, Status::Created);
        assert_eq!(create(&mut s, 20, 2, None).unwrap().status, Status::Ok);
        assert_eq!(s.provider(u(2)).unwrap().generation(), 0);
    }

    #[test]
    fn duplicates_are_duplicate_name() {
        let mut s = State::new();
        create(&mut s, 39, 1, None).unwrap();
        let again = create(&mut s, 39, 1, None).unwrap_err();
        assert_eq!(again.code(), ErrorCode::DuplicateName);
        let same_name = s
            .apply_detailed(&Op::CreateProvider {
                microversion: Microversion::v1(39),
                uuid: u(2),
                name: name("rp1"),
                parent: None,
            })
            .unwrap_err();
        assert_eq!(
            same_name,
            Refusal::DuplicateProviderName(Excerpt::of("rp1"))
        );
    }

    #[test]
    fn parent_checks_precede_duplicate_checks() {
        // objects/resource_provider.py _create_in_db: parent errors are
        // raised before the insert that would find the duplicate.
        let mut s = State::new();
        create(&mut s, 39, 1, None).unwrap();
        assert_eq!(create(&mut s, 39, 1, Some(1)), Err(Refusal::ParentIsSelf));
        assert_eq!(
            create(&mut s, 39, 1, Some(9)),
            Err(Refusal::ParentNotFound(u(9)))
        );
    }

    #[test]
    fn children_take_their_parents_root() {
        let mut s = State::new();
        create(&mut s, 39, 1, None).unwrap();
        create(&mut s, 39, 2, Some(1)).unwrap();
        create(&mut s, 39, 3, Some(2)).unwrap();
        assert_eq!(s.provider(u(3)).unwrap().root(), u(1));
        assert_eq!(s.tree(u(1)).count(), 3);
    }

    #[test]
    fn reparenting_needs_1_37_but_first_parent_does_not() {
        // gabbits/resource-provider-reparenting.yaml and
        // objects/resource_provider.py _update_in_db.
        let mut s = State::new();
        for n in [1, 2, 3] {
            create(&mut s, 39, n, None).unwrap();
        }
        create(&mut s, 39, 4, Some(3)).unwrap();
        // A root may get its first parent at any version; its subtree follows.
        reparent(&mut s, 14, 3, Some(1)).unwrap();
        assert_eq!(s.provider(u(4)).unwrap().root(), u(1));
        assert_eq!(
            reparent(&mut s, 36, 3, Some(2)),
            Err(Refusal::ReparentingNotAllowed)
        );
        assert_eq!(
            reparent(&mut s, 36, 3, None),
            Err(Refusal::UnparentingNotAllowed)
        );
        reparent(&mut s, 37, 3, Some(2)).unwrap();
        assert_eq!(s.provider(u(4)).unwrap().root(), u(2));
        reparent(&mut s, 37, 3, None).unwrap();
        assert_eq!(s.provider(u(4)).unwrap().root(), u(3));
        assert_eq!(s.provider(u(3)).unwrap().generation(), 0);
    }

    #[test]
    fn no_loops() {
        let mut s = State::new();
        create(&mut s, 39, 1, None).unwrap();
        create(&mut s, 39, 2, Some(1)).unwrap();
        assert_eq!(
            reparent(&mut s, 39, 1, Some(2)),
            Err(Refusal::ProviderLoop(u(2)))
        );
        assert_eq!(
            reparent(&mut s, 39, 1, Some(1)),
            Err(Refusal::ProviderLoop(u(1)))
        );
    }

    #[test]
    fn delete_refuses_parents() {
        let mut s = State::new();
        create(&mut s, 39, 1, None).unwrap();
        create(&mut s, 39, 2, Some(1)).unwrap();
        let e = s
            .apply_detailed(&Op::DeleteProvider { uuid: u(1) })
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::CannotDeleteParent);
        s.apply_detailed(&Op::DeleteProvider { uuid: u(2) })
            .unwrap();
        s.apply_detailed(&Op::DeleteProvider { uuid: u(1) })
            .unwrap();
        assert_eq!(
            s.apply_detailed(&Op::DeleteProvider { uuid: u(1) }),
            Err(Refusal::ProviderNotFound(u(1)))
        );
    }
}
