//! A Cartesian product walked under a [`Budget`].
//!
//! Both places where Placement multiplies choices (providers per resource
//! class, matches per group) go through [`for_each_combination`], so the
//! work cap applies to all of them.

use super::budget::Budget;

/// Calls `visit` with every combination of one index below each of
/// `lengths`, in lexicographic order, while `budget` lasts. A zero length
/// means no combination; no lengths at all means one empty combination.
pub fn for_each_combination(
    lengths: &[usize],
    budget: &mut Budget,
    mut visit: impl FnMut(&[usize]),
) {
    if lengths.contains(&0) {
        return;
    }
    let mut choice = vec![0usize; lengths.len()];
    loop {
        if !budget.spend() {
            return;
        }
        visit(&choice);
        // Advance the rightmost position that can still move.
        let mut position = lengths.len();
        loop {
            if position == 0 {
                return;
            }
            position -= 1;
            let (Some(slot), Some(&len)) = (choice.get_mut(position), lengths.get(position)) else {
                return;
            };
            *slot += 1;
            if *slot < len {
                break;
            }
            *slot = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(lengths: &[usize], steps: u64) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        let mut budget = Budget::new(steps);
        for_each_combination(lengths, &mut budget, |c| out.push(c.to_vec()));
        out
    }

    #[test]
    fn walks_every_combination_in_order() {
        assert_eq!(
            collect(&[2, 2], 100),
            vec![vec![0, 0], vec![0, 1], vec![1, 0], vec![1, 1]]
        );
        assert_eq!(collect(&[], 100), vec![Vec::<usize>::new()]);
        assert!(collect(&[3, 0], 100).is_empty());
    }

    #[test]
    fn stops_at_budget() {
        assert_eq!(collect(&[10, 10, 10], 5).len(), 5);
    }
}
