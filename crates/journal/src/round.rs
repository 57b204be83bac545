//! Rounding a balanced journal to the currency's minor units, once, so that it stays balanced.
//!
//! The journal total is rounded first; then each side's lines share that rounded total by
//! the largest-remainder method (every line is floored, and the leftover minor units go to
//! the lines that lost the most). So the rounded journal balances exactly, no line moves by
//! a full minor unit or more, and the total moves by at most half a unit. With a rounding
//! account, lines are rounded independently instead and the difference is posted there.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds `amounts` (all non-negative, one side of a journal) so that they sum to
/// `target`, which must be a multiple of the minor unit within one unit per line of their
/// exact sum. Returns the rounded amounts in the same order.
///
/// ```
/// use ledgerline_journal::round::largest_remainder;
/// use rust_decimal::Decimal;
/// let third = Decimal::new(33_3333, 4);
/// let got = largest_remainder(&[third, third, third], Decimal::new(10000, 2), 2);
/// assert_eq!(got.iter().sum::<Decimal>(), Decimal::new(10000, 2));
/// assert_eq!(got[0].to_string(), "33.34");
/// ```
pub fn largest_remainder(amounts: &[Decimal], target: Decimal, minor: u32) -> Vec<Decimal> {
    let unit = Decimal::new(1, minor);
    let mut floored: Vec<Decimal> = amounts
        .iter()
        .map(|a| a.round_dp_with_strategy(minor, RoundingStrategy::ToZero))
        .collect();
    let sum: Decimal = floored.iter().sum();
    let mut leftover = ((target - sum) / unit).round().to_i128_lossy();
    // Lines that lost the most go first; ties by position for determinism.
    let mut order: Vec<usize> = (0..amounts.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = amounts[a] - floored[a];
        let rb = amounts[b] - floored[b];
        rb.cmp(&ra).then(a.cmp(&b))
    });
    let n = order.len();
    let mut i = 0;
    while leftover > 0 && n > 0 {
        floored[order[i % n]] += unit;
        leftover -= 1;
        i += 1;
    }
    // A negative leftover happens only with inconsistent input; take units back from the
    // lines that lost the least, never below zero.
    let mut j = n;
    while leftover < 0 && j > 0 {
        j -= 1;
        let k = order[j];
        if floored[k] >= unit {
            floored[k] -= unit;
            leftover += 1;
        }
    }
    for f in &mut floored {
        f.rescale(minor);
    }
    floored
}

trait Lossy {
    fn to_i128_lossy(self) -> i128;
}

impl Lossy for Decimal {
    fn to_i128_lossy(self) -> i128 {
        let t = self.trunc();
        t.mantissa() / 10i128.pow(t.scale())
    }
}

/// Rounds one amount half away from zero to `minor` digits, with exactly that scale.
pub fn round_amount(a: Decimal, minor: u32) -> Decimal {
    let mut r = a.round_dp_with_strategy(minor, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(minor);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn shares_sum_to_target_and_stay_within_a_unit(
            cents in proptest::collection::vec(0i64..10_000_000, 1..30),
            minor in 0u32..=3,
        ) {
            let amounts: Vec<Decimal> = cents.iter().map(|c| Decimal::new(*c, 4)).collect();
            let exact: Decimal = amounts.iter().sum();
            let target = round_amount(exact, minor);
            let got = largest_remainder(&amounts, target, minor);
            prop_assert_eq!(got.iter().sum::<Decimal>(), target);
            let unit = Decimal::new(1, minor);
            for (g, a) in got.iter().zip(&amounts) {
                prop_assert!((*g - *a).abs() < unit, "{} vs {}", g, a);
                prop_assert!(*g >= Decimal::ZERO);
                prop_assert_eq!(g.scale(), minor);
            }
            prop_assert!((target - exact).abs() * Decimal::TWO <= unit);
        }
    }
}
