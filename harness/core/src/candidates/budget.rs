//! A hard cap on the work one candidates request may cause.
//!
//! Placement explores the full Cartesian product of every group's matches
//! per tree (`objects/allocation_candidate.py` `_merge_candidates`, and the
//! product over resource classes in `_alloc_candidates_multiple_providers`)
//! with no bound by default (`max_allocation_candidates = -1`,
//! `conf/placement.py:67`; it only stops collecting results), so a few
//! wide trees and a handful of granular groups make one request run for
//! minutes: a denial of service any user with `GET /allocation_candidates`
//! can cause. The core counts every combination it looks at and stops at
//! [`MAX_COMBINATIONS`], reporting the answer as truncated, so a fuzzer can
//! never hang the engine.

/// Most steps the engine takes for one request: combinations of providers
/// for classes, combinations of group matches, and single-provider matches
/// (which a sharing provider multiplies by its anchors).
pub const MAX_COMBINATIONS: u64 = 10_000;

/// Work left for one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    left: u64,
    exhausted: bool,
}

impl Budget {
    /// A budget of `steps` combinations.
    pub fn new(steps: u64) -> Self {
        Budget {
            left: steps,
            exhausted: false,
        }
    }

    /// Takes one step; `false` (and exhausted from then on) when none is left.
    pub fn spend(&mut self) -> bool {
        if self.left == 0 {
            self.exhausted = true;
            return false;
        }
        self.left -= 1;
        true
    }

    /// Whether some step was refused.
    pub fn exhausted(&self) -> bool {
        self.exhausted
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(MAX_COMBINATIONS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_out() {
        let mut b = Budget::new(2);
        assert!(b.spend() && b.spend());
        assert!(!b.exhausted());
        assert!(!b.spend());
        assert!(b.exhausted());
    }
}
