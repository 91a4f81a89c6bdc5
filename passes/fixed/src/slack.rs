//! The rounding slack of a rational `p / q` over `1 <= y <= X`.
//!
//! For `y >= 1` let `b(y) = (2 y p + q) mod 2q`, so that `y p / q + 1/2` has
//! fractional part `b(y) / 2q`, and `k(y) = 2q - b(y)` in `1..=2q` (the gap,
//! in units of `1 / 2q`, from `y p / q + 1/2` up to the next integer). The
//! slack is `kappa = min over 1 <= y <= X of k(y) / y`; see
//! [`crate::choose_multiplier`] for why it decides the multiplier.
//!
//! Three exact searches, the cheapest applicable one is used:
//! - blocks: on a run of `y` with the same `c = floor(y p / q + 1/2)`,
//!   `k(y) / y = ((2c + 1) q) / y - 2p` decreases, so only the last `y` of
//!   each run (and `X`) can attain the minimum: `round(X p / q) + 1`
//!   candidates, few when the output range of the rescale is small;
//! - window: `k` has period `q` in `y`, so only the last `min(X, q)` values
//!   of `y` can attain the minimum;
//! - gaps: by increasing `k` (each `k` fixes `y` modulo `q`), stopping once
//!   `k / X` reaches the best ratio. If this one is cut short, a lower bound
//!   is returned and marked inexact.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Zero};
use std::cmp::Ordering;

/// Work limit (iterations) of each of the two exact searches.
pub(crate) const SCAN_LIMIT: u64 = 1 << 18;

/// A positive rational `num / den` that is either exactly `kappa` or, when
/// `exact` is false, a lower bound of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Slack {
    pub(crate) num: BigInt,
    pub(crate) den: BigInt,
    pub(crate) exact: bool,
}

impl Slack {
    /// True when `value_num / value_den < self` (denominators positive).
    pub(crate) fn exceeds(&self, value_num: &BigInt, value_den: &BigInt) -> bool {
        value_num * &self.den < &self.num * value_den
    }
}

/// `kappa` (or a lower bound) for coprime `p, q >= 1` and `x_max >= 1`, with
/// each search limited to `limit` iterations.
pub(crate) fn slack(p: &BigInt, q: &BigInt, x_max: &BigInt, limit: u64) -> Slack {
    let limit_big = BigInt::from(limit);
    let window = x_max.min(q);
    let blocks = block_count(p, q, x_max);
    if blocks <= *window && blocks <= limit_big {
        scan_blocks(p, q, x_max)
    } else if *window <= limit_big {
        scan_window(p, q, x_max)
    } else {
        scan_gaps(p, q, x_max, limit)
    }
}

/// `round_half_up(X p / q) + 1`, the number of distinct rounded values.
fn block_count(p: &BigInt, q: &BigInt, x_max: &BigInt) -> BigInt {
    let two_q: BigInt = q * 2;
    let shifted: BigInt = x_max * p * 2 + q;
    shifted.div_floor(&two_q) + 1u32
}

/// Exact minimum over the last `y` of each block of equal rounded value:
/// `y_c = ceil((2c + 1) q / 2p) - 1` for `c < round(X p / q)`, and `X`.
fn scan_blocks(p: &BigInt, q: &BigInt, x_max: &BigInt) -> Slack {
    let mut best = (tie_gap(p, q, x_max), x_max.clone());
    let last = block_count(p, q, x_max) - 1u32;
    let two_p: BigInt = p * 2;
    let mut c = BigInt::zero();
    while c < last {
        let boundary: BigInt = (&c * 2u32 + 1u32) * q;
        let y = boundary.div_ceil(&two_p) - 1u32;
        if y >= BigInt::one() && y <= *x_max {
            let k = tie_gap(p, q, &y);
            if less(&k, &y, &best.0, &best.1) {
                best = (k, y);
            }
        }
        c += 1u32;
    }
    Slack {
        num: best.0,
        den: best.1,
        exact: true,
    }
}

/// `k(y) = 2q - ((2 y p + q) mod 2q)`.
pub(crate) fn tie_gap(p: &BigInt, q: &BigInt, y: &BigInt) -> BigInt {
    let two_q: BigInt = q * 2;
    let shifted: BigInt = y * p * 2 + q;
    let b = shifted.mod_floor(&two_q);
    two_q - b
}

/// `a_num / a_den < b_num / b_den` for positive denominators.
fn less(a_num: &BigInt, a_den: &BigInt, b_num: &BigInt, b_den: &BigInt) -> bool {
    (a_num * b_den).cmp(&(b_num * a_den)) == Ordering::Less
}

/// Exact minimum over the window `max(1, X - q + 1) ..= X`.
fn scan_window(p: &BigInt, q: &BigInt, x_max: &BigInt) -> Slack {
    let start = (x_max - q + 1u32).max(BigInt::one());
    let mut best = (tie_gap(p, q, x_max), x_max.clone());
    let mut y = start;
    while y < *x_max {
        let k = tie_gap(p, q, &y);
        if less(&k, &y, &best.0, &best.1) {
            best = (k, y.clone());
        }
        y += 1u32;
    }
    Slack {
        num: best.0,
        den: best.1,
        exact: true,
    }
}

/// Minimum found by increasing gap `k`: for each `k`, the largest `y <= X`
/// with `k(y) = k`. Stops exactly once `k / X` reaches the best ratio (no
/// larger `k` can beat it), or with a lower bound after `limit` gaps.
fn scan_gaps(p: &BigInt, q: &BigInt, x_max: &BigInt, limit: u64) -> Slack {
    let mut best = (tie_gap(p, q, x_max), x_max.clone());
    let Some(p_inv) = p.mod_floor(q).modinv(q) else {
        // Unreachable for coprime p, q; 1 / X is always a lower bound.
        return Slack {
            num: BigInt::one(),
            den: x_max.clone(),
            exact: false,
        };
    };
    let two_q: BigInt = q * 2;
    // k(y) has the parity of q.
    let mut k = if q.is_odd() {
        BigInt::one()
    } else {
        BigInt::from(2)
    };
    let mut steps = 0u64;
    while k <= two_q {
        if !less(&k, x_max, &best.0, &best.1) {
            break;
        }
        if steps == limit {
            return lower_bound(best, &k, x_max);
        }
        if let Some(y) = largest_with_gap(q, x_max, &p_inv, &k) {
            if less(&k, &y, &best.0, &best.1) {
                best = (k.clone(), y);
            }
        }
        k += 2u32;
        steps += 1;
    }
    Slack {
        num: best.0,
        den: best.1,
        exact: true,
    }
}

/// The largest `1 <= y <= X` with `k(y) = k`, if any: `2yp + q = -k (mod 2q)`,
/// i.e. `y = -(k + q) / 2 * p^-1 (mod q)`.
fn largest_with_gap(q: &BigInt, x_max: &BigInt, p_inv: &BigInt, k: &BigInt) -> Option<BigInt> {
    let half: BigInt = (k + q) / 2;
    let residue = (-half * p_inv).mod_floor(q);
    let y = x_max - (x_max - residue).mod_floor(q);
    (y >= BigInt::one()).then_some(y)
}

/// `min(best, k / X)`: every untried gap is at least `k` and every `y <= X`.
fn lower_bound(best: (BigInt, BigInt), k: &BigInt, x_max: &BigInt) -> Slack {
    let (num, den) = if less(k, x_max, &best.0, &best.1) {
        (k.clone(), x_max.clone())
    } else {
        best
    };
    Slack {
        num,
        den,
        exact: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(p: i64, q: i64, x_max: i64) -> (BigInt, BigInt) {
        let (p, q) = (BigInt::from(p), BigInt::from(q));
        let mut best = (BigInt::from(1) << 64u32, BigInt::one());
        for y in 1..=x_max {
            let y = BigInt::from(y);
            let k = tie_gap(&p, &q, &y);
            if less(&k, &y, &best.0, &best.1) {
                best = (k, y);
            }
        }
        best
    }

    fn same_ratio(a: &(BigInt, BigInt), num: &BigInt, den: &BigInt) -> bool {
        &a.0 * den == num * &a.1
    }

    #[test]
    fn tie_gap_matches_definition() {
        // p/q = 1/10: y = 5 is a tie (0.5 + 0.5 = 1), gap 2q.
        let (p, q) = (BigInt::from(1), BigInt::from(10));
        assert_eq!(tie_gap(&p, &q, &BigInt::from(5)), BigInt::from(20));
        // y = 4: 0.4 + 0.5 = 0.9, gap 0.1 = 2 / 20.
        assert_eq!(tie_gap(&p, &q, &BigInt::from(4)), BigInt::from(2));
    }

    #[test]
    fn all_strategies_agree_with_brute_force() {
        let mut gap_scans = 0;
        for q in 2..40i64 {
            for p in 1..3 * q {
                if p.gcd(&q) != 1 {
                    continue;
                }
                for x_max in [1i64, 2, 3, q - 1, q, q + 1, 2 * q + 3, 97] {
                    if x_max < 1 {
                        continue;
                    }
                    let want = brute(p, q, x_max);
                    let (bp, bq, bx) = (BigInt::from(p), BigInt::from(q), BigInt::from(x_max));
                    let any = slack(&bp, &bq, &bx, SCAN_LIMIT);
                    assert!(any.exact);
                    assert!(same_ratio(&want, &any.num, &any.den), "{p}/{q} X={x_max}");
                    let window = scan_window(&bp, &bq, &bx);
                    assert!(
                        same_ratio(&want, &window.num, &window.den),
                        "window {p}/{q}"
                    );
                    let blocks = scan_blocks(&bp, &bq, &bx);
                    assert!(
                        same_ratio(&want, &blocks.num, &blocks.den),
                        "blocks {p}/{q}"
                    );
                    // Force the gap search (window limit 0), unbounded.
                    let gaps = scan_gaps(&bp, &bq, &bx, u64::MAX);
                    assert!(gaps.exact);
                    assert!(
                        same_ratio(&want, &gaps.num, &gaps.den),
                        "gaps {p}/{q} X={x_max}"
                    );
                    gap_scans += 1;
                    // Cut short: a lower bound, exact only if it still finished.
                    let cut = scan_gaps(&bp, &bq, &bx, 1);
                    let le = &cut.num * &want.1 <= &want.0 * &cut.den;
                    assert!(le, "cut {p}/{q} X={x_max}");
                    if cut.exact {
                        assert!(same_ratio(&want, &cut.num, &cut.den));
                    }
                }
            }
        }
        assert!(gap_scans > 1000);
    }

    #[test]
    fn dispatch_uses_gap_search_beyond_the_window_limit() {
        for (p, q, x_max) in [(1i64, 1001i64, 5000i64), (7, 1000, 3000), (3, 997, 600)] {
            let want = brute(p, q, x_max);
            let (bp, bq, bx) = (BigInt::from(p), BigInt::from(q), BigInt::from(x_max));
            let s = slack(&bp, &bq, &bx, 50);
            let le = &s.num * &want.1 <= &want.0 * &s.den;
            assert!(le, "{p}/{q} X={x_max}");
            if s.exact {
                assert!(same_ratio(&want, &s.num, &s.den));
            }
        }
    }

    #[test]
    fn huge_window_gap_search_finishes_exactly() {
        // q and X both beyond the window limit; X >= 2q, so the search ends
        // after a few gaps, and the minimum is attained at the returned y.
        let p = BigInt::from(5);
        let q = BigInt::from((1u64 << 40) + 1);
        let x_max = BigInt::from(1u64 << 43);
        let s = slack(&p, &q, &x_max, SCAN_LIMIT);
        assert!(s.exact);
        assert_eq!(tie_gap(&p, &q, &s.den), s.num);
        assert!(s.den <= x_max && s.den > BigInt::zero());
        // No y in the last few values beats it.
        let mut y = &x_max - 1000u32;
        while y <= x_max {
            assert!(!less(&tie_gap(&p, &q, &y), &y, &s.num, &s.den));
            y += 1u32;
        }
    }
}
