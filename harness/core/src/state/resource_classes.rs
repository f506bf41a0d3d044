//! Custom resource classes (`/resource_classes`).
//!
//! Standard classes always exist and cannot be deleted; a custom class is
//! in use, and cannot be deleted, while any provider has an inventory of it
//! (`objects/resource_class.py` `_destroy`). Allocations need an inventory,
//! so that also covers classes with allocations.

use crate::error::Excerpt;
use crate::names::ResourceClass;
use crate::outcome::Status;

use super::ops::Applied;
use super::refusal::Refusal;
use super::store::State;

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
        if !self.custom_classes.insert(name.clone()) {
            return Err(Refusal::ResourceClassExists(x));
        }
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
        if self.custom_classes.insert(name.clone()) {
            Ok(Applied::new(Status::Created))
        } else {
            Ok(Applied::new(Status::NoContent))
        }
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
        if self
            .providers
            .values()
            .any(|p| p.inventories.contains_key(name))
        {
            return Err(Refusal::ResourceClassInUse(x()));
        }
        self.custom_classes.remove(name);
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
