//! One inventory record and the capacity arithmetic Placement applies to it.
//!
//! Shared by the body parser (which builds records from JSON with Placement's
//! defaults), the state model (which stores them and admits allocations
//! against them) and allocation candidates (which filter providers by them),
//! so that all three agree on one capacity rule.

use std::fmt;

/// Placement's integer ceiling for every amount it stores (`db/constants.py`
/// `MAX_INT`, a signed 32-bit column).
pub const MAX_INT: u32 = 0x7FFF_FFFF;

/// Placement's ceiling for `allocation_ratio` (`SQL_SP_FLOAT_MAX`, the largest
/// value a single-precision SQL float holds).
pub const MAX_ALLOCATION_RATIO: f64 = 3.40282e38;

/// An inventory of one resource class on one provider.
///
/// Fields are already within Placement's schema bounds when a record comes
/// from [`Inventory::new`]; the constructor is the only place they are checked.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inventory {
    total: u32,
    reserved: u32,
    min_unit: u32,
    max_unit: u32,
    step_size: u32,
    allocation_ratio: f64,
}

/// Why a set of inventory fields is not a record Placement would store.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum InventoryError {
    /// A field outside Placement's schema bounds.
    #[error("{field} must be between {min} and {max}")]
    OutOfRange {
        /// The field name as it appears in a body.
        field: &'static str,
        /// The smallest value allowed.
        min: u32,
        /// The largest value allowed.
        max: u32,
    },
    /// `allocation_ratio` that is not a finite number within bounds.
    #[error("allocation_ratio must be a finite number no larger than 3.40282e+38")]
    BadAllocationRatio,
}

/// What Placement's inventory handlers say about a record's capacity: before
/// 1.26 `reserved` must be below `total` (capacity > 0); from 1.26 it may
/// equal it (capacity >= 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapacityRule {
    /// Microversions before 1.26.
    ReservedBelowTotal,
    /// Microversion 1.26 and later.
    ReservedUpToTotal,
}

impl CapacityRule {
    /// The rule of the inventory routes at `microversion`
    /// (`handlers/inventory.py` `_validate_inventory_capacity`).
    pub fn at(microversion: crate::Microversion) -> Self {
        if microversion.at_least(crate::Microversion::v1(26)) {
            CapacityRule::ReservedUpToTotal
        } else {
            CapacityRule::ReservedBelowTotal
        }
    }
}

/// Why an amount cannot be allocated against an inventory on its own terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnitViolation {
    /// Below `min_unit`.
    #[error("amount {amount} is below min_unit {min_unit}")]
    BelowMinUnit {
        /// The amount asked for.
        amount: u64,
        /// The record's minimum.
        min_unit: u32,
    },
    /// Above `max_unit`.
    #[error("amount {amount} is above max_unit {max_unit}")]
    AboveMaxUnit {
        /// The amount asked for.
        amount: u64,
        /// The record's maximum.
        max_unit: u32,
    },
    /// Not a multiple of `step_size`.
    #[error("amount {amount} is not a multiple of step_size {step_size}")]
    OffStep {
        /// The amount asked for.
        amount: u64,
        /// The record's step.
        step_size: u32,
    },
}

impl Inventory {
    /// Placement's defaults for the fields a body may leave out
    /// (`INVENTORY_DEFAULTS` in `handlers/inventory.py`).
    pub fn with_total(total: u32) -> Result<Self, InventoryError> {
        Self::new(total, 0, 1, MAX_INT, 1, 1.0)
    }

    /// A record from all its fields, each within Placement's schema bounds:
    /// total, min_unit, max_unit, step_size in 1..=MAX_INT, reserved in
    /// 0..=MAX_INT, allocation_ratio finite and at most
    /// [`MAX_ALLOCATION_RATIO`]. Relations between fields (reserved against
    /// total, min_unit against max_unit) are not checked here because
    /// Placement does not check them in the schema; see
    /// [`Inventory::capacity_ok`].
    pub fn new(
        total: u32,
        reserved: u32,
        min_unit: u32,
        max_unit: u32,
        step_size: u32,
        allocation_ratio: f64,
    ) -> Result<Self, InventoryError> {
        let positive = |field, value: u32| {
            if (1..=MAX_INT).contains(&value) {
                Ok(value)
            } else {
                Err(InventoryError::OutOfRange {
                    field,
                    min: 1,
                    max: MAX_INT,
                })
            }
        };
        if reserved > MAX_INT {
            return Err(InventoryError::OutOfRange {
                field: "reserved",
                min: 0,
                max: MAX_INT,
            });
        }
        // Placement's schema has no minimum on allocation_ratio: 0 and
        // negative ratios are stored (a known weakness the scanner reports);
        // the model keeps them so it predicts what Placement does.
        if !allocation_ratio.is_finite() || allocation_ratio > MAX_ALLOCATION_RATIO {
            return Err(InventoryError::BadAllocationRatio);
        }
        Ok(Inventory {
            total: positive("total", total)?,
            reserved,
            min_unit: positive("min_unit", min_unit)?,
            max_unit: positive("max_unit", max_unit)?,
            step_size: positive("step_size", step_size)?,
            allocation_ratio,
        })
    }

    /// `total`.
    pub fn total(&self) -> u32 {
        self.total
    }
    /// `reserved`.
    pub fn reserved(&self) -> u32 {
        self.reserved
    }
    /// `min_unit`.
    pub fn min_unit(&self) -> u32 {
        self.min_unit
    }
    /// `max_unit`.
    pub fn max_unit(&self) -> u32 {
        self.max_unit
    }
    /// `step_size`.
    pub fn step_size(&self) -> u32 {
        self.step_size
    }
    /// `allocation_ratio`.
    pub fn allocation_ratio(&self) -> f64 {
        self.allocation_ratio
    }

    /// `(total - reserved) * allocation_ratio` as a real number, the value
    /// Placement compares usage against when it admits an allocation.
    /// Negative when reserved exceeds total.
    pub fn capacity(&self) -> f64 {
        (i64::from(self.total) - i64::from(self.reserved)) as f64 * self.allocation_ratio
    }

    /// The capacity truncated toward zero, as Placement's `Inventory.capacity`
    /// property computes it for its reserved-versus-total check.
    pub fn capacity_truncated(&self) -> i128 {
        // Finite and at most ~3.4e38 * 2^31 < i128::MAX, so the cast is exact
        // up to truncation and never saturates.
        self.capacity().trunc() as i128
    }

    /// Whether Placement's inventory handlers accept this record's capacity
    /// under `rule`.
    pub fn capacity_ok(&self, rule: CapacityRule) -> bool {
        let capacity = self.capacity_truncated();
        match rule {
            CapacityRule::ReservedBelowTotal => capacity > 0,
            CapacityRule::ReservedUpToTotal => capacity >= 0,
        }
    }

    /// Checks `amount` against min_unit, max_unit and step_size, in
    /// Placement's order.
    pub fn check_units(&self, amount: u64) -> Result<(), UnitViolation> {
        if amount < u64::from(self.min_unit) {
            return Err(UnitViolation::BelowMinUnit {
                amount,
                min_unit: self.min_unit,
            });
        }
        if amount > u64::from(self.max_unit) {
            return Err(UnitViolation::AboveMaxUnit {
                amount,
                max_unit: self.max_unit,
            });
        }
        if amount % u64::from(self.step_size) != 0 {
            return Err(UnitViolation::OffStep {
                amount,
                step_size: self.step_size,
            });
        }
        Ok(())
    }

    /// Whether a usage of `used` fits: `used <= (total - reserved) * ratio`.
    ///
    /// Usages are sums of 31-bit amounts, far below 2^53, so converting them
    /// to f64 is exact and the comparison is the one Python makes.
    pub fn fits(&self, used: u64) -> bool {
        (used as f64) <= self.capacity()
    }
}

impl fmt::Display for Inventory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "total {} reserved {} units {}..={} step {} ratio {}",
            self.total,
            self.reserved,
            self.min_unit,
            self.max_unit,
            self.step_size,
            self.allocation_ratio
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_placements() {
        let inv = Inventory::with_total(10).unwrap();
        assert_eq!(
            (
                inv.reserved(),
                inv.min_unit(),
                inv.max_unit(),
                inv.step_size()
            ),
            (0, 1, MAX_INT, 1)
        );
        assert_eq!(inv.allocation_ratio(), 1.0);
    }

    #[test]
    fn bounds_are_31_bit() {
        assert!(Inventory::with_total(MAX_INT).is_ok());
        assert!(Inventory::with_total(MAX_INT + 1).is_err());
        assert!(Inventory::with_total(0).is_err());
        assert!(Inventory::new(1, MAX_INT + 1, 1, 1, 1, 1.0).is_err());
        assert!(Inventory::new(1, 0, 1, 1, 0, 1.0).is_err());
    }

    #[test]
    fn ratio_must_be_finite_and_bounded() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 3.5e38] {
            assert_eq!(
                Inventory::new(1, 0, 1, 1, 1, bad),
                Err(InventoryError::BadAllocationRatio)
            );
        }
        // Placement stores zero and negative ratios; so does the model.
        assert!(Inventory::new(1, 0, 1, 1, 1, 0.0).is_ok());
        assert!(Inventory::new(1, 0, 1, 1, 1, -2.0).is_ok());
    }

    #[test]
    fn capacity_rule_changes_at_1_26() {
        let full = Inventory::new(4, 4, 1, 4, 1, 1.0).unwrap();
        assert!(!full.capacity_ok(CapacityRule::ReservedBelowTotal));
        assert!(full.capacity_ok(CapacityRule::ReservedUpToTotal));
        let over = Inventory::new(4, 5, 1, 4, 1, 1.0).unwrap();
        assert!(!over.capacity_ok(CapacityRule::ReservedUpToTotal));
        // int(0.5) == 0 in Python: a fractional capacity below one is zero.
        let half = Inventory::new(1, 0, 1, 1, 1, 0.5).unwrap();
        assert!(!half.capacity_ok(CapacityRule::ReservedBelowTotal));
    }

    #[test]
    fn fits_uses_the_unrounded_capacity() {
        let inv = Inventory::new(3, 1, 1, 10, 1, 1.5).unwrap();
        assert!(inv.fits(3));
        assert!(!inv.fits(4));
        let big = Inventory::new(MAX_INT, 0, 1, MAX_INT, 1, MAX_ALLOCATION_RATIO).unwrap();
        assert!(big.fits(u64::from(MAX_INT) * 1000));
    }

    #[test]
    fn unit_checks_in_placements_order() {
        let inv = Inventory::new(100, 0, 2, 8, 2, 1.0).unwrap();
        assert!(matches!(
            inv.check_units(1),
            Err(UnitViolation::BelowMinUnit { .. })
        ));
        assert!(matches!(
            inv.check_units(10),
            Err(UnitViolation::AboveMaxUnit { .. })
        ));
        assert!(matches!(
            inv.check_units(5),
            Err(UnitViolation::OffStep { .. })
        ));
        assert!(inv.check_units(6).is_ok());
    }
}
