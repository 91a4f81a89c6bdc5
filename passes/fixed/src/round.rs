//! Integer rounding shifts, the `Rescale` op, and exact rounding of rationals.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, Zero};

/// Largest shift magnitude accepted by [`round_shift`] and [`rescale`], and
/// the largest shift [`crate::choose_multiplier`] returns.
pub const MAX_SHIFT: i32 = 120;

/// Rounding right shift, the DESIGN's requantization rule.
///
/// Guarantees, for `|s| <= MAX_SHIFT`:
/// - `s > 0`: returns `floor((x + 2^(s-1)) / 2^s)`, i.e. `x / 2^s` rounded to
///   nearest with ties toward `+inf` (floor division, also for negative `x`).
///   This never overflows.
/// - `s <= 0`: returns `x * 2^(-s)`, or `None` if that is outside `i128`.
///
/// Returns `None` when `|s| > MAX_SHIFT`.
pub fn round_shift(x: i128, s: i32) -> Option<i128> {
    if !(-MAX_SHIFT..=MAX_SHIFT).contains(&s) {
        return None;
    }
    if s > 0 {
        // x = a * 2^s + c with 0 <= c < 2^s; the result is a + [c >= 2^(s-1)],
        // and c >= 2^(s-1) exactly when bit s-1 of x (two's complement) is set.
        let half_bit = (x >> (s - 1)) & 1;
        Some((x >> s) + half_bit)
    } else {
        x.checked_mul(1i128 << (-s))
    }
}

/// The integer `Rescale` op of the IR (the runtime and the circuit use this).
///
/// Guarantees: returns `Some((clamp(y, lo, hi), y != clamp(y, lo, hi)))` with
/// `y = round_shift(x * mult, shift)` computed exactly; the flag says whether
/// the clamp changed the value. Returns `None` when `x * mult` or `y` does not
/// fit in `i128`, when `|shift| > MAX_SHIFT`, or when `lo > hi`.
pub fn rescale(x: i128, mult: i128, shift: i32, lo: i64, hi: i64) -> Option<(i64, bool)> {
    if lo > hi {
        return None;
    }
    let y = round_shift(x.checked_mul(mult)?, shift)?;
    let clamped = y.clamp(i128::from(lo), i128::from(hi));
    let out = i64::try_from(clamped).ok()?;
    Some((out, clamped != y))
}

/// Rounds `num / den` to the nearest integer, ties away from zero
/// (`round_half_away(-5, 2) = -3`, `round_half_away(5, 2) = 3`).
///
/// Guarantees: the exact result for every `num` and nonzero `den` (either
/// sign); `None` only when `den == 0`.
pub fn round_half_away(num: &BigInt, den: &BigInt) -> Option<BigInt> {
    let (num, den) = normalize(num, den)?;
    // Round the magnitude half up, then restore the sign.
    let magnitude = round_half_up_positive_den(&num.abs(), &den);
    Some(if num.is_negative() {
        -magnitude
    } else {
        magnitude
    })
}

/// Rounds `num / den` to the nearest integer, ties toward `+inf`, i.e.
/// `floor(num / den + 1/2)` (`round_half_up(-5, 2) = -2`).
///
/// Guarantees: the exact result for every `num` and nonzero `den` (either
/// sign); `None` only when `den == 0`. For `den = 2^s`, `s > 0`, this equals
/// [`round_shift`]`(num, s)`.
pub fn round_half_up(num: &BigInt, den: &BigInt) -> Option<BigInt> {
    let (num, den) = normalize(num, den)?;
    Some(round_half_up_positive_den(&num, &den))
}

/// `floor((2 num + den) / (2 den))` for `den > 0`.
fn round_half_up_positive_den(num: &BigInt, den: &BigInt) -> BigInt {
    let twice_den: BigInt = den * 2;
    let shifted: BigInt = num * 2 + den;
    shifted.div_floor(&twice_den)
}

/// The same fraction with a positive denominator; `None` if `den == 0`.
fn normalize(num: &BigInt, den: &BigInt) -> Option<(BigInt, BigInt)> {
    if den.is_zero() {
        None
    } else if den.is_negative() {
        Some((-num, -den))
    } else {
        Some((num.clone(), den.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big(v: i64) -> BigInt {
        BigInt::from(v)
    }

    #[test]
    fn shift_zero_is_identity() {
        assert_eq!(round_shift(-7, 0), Some(-7));
        assert_eq!(round_shift(i128::MIN, 0), Some(i128::MIN));
    }

    #[test]
    fn positive_shift_rounds_half_up() {
        assert_eq!(round_shift(5, 1), Some(3)); // 2.5 -> 3
        assert_eq!(round_shift(-5, 1), Some(-2)); // -2.5 -> -2
        assert_eq!(round_shift(-6, 2), Some(-1)); // -1.5 -> -1
        assert_eq!(round_shift(-7, 2), Some(-2)); // -1.75 -> -2
        assert_eq!(round_shift(i128::MAX, 1), Some(1i128 << 126));
        assert_eq!(round_shift(i128::MIN, 120), Some(-(1i128 << 7)));
        assert_eq!(round_shift(i128::MAX, 120), Some(1i128 << 7));
    }

    #[test]
    fn negative_shift_multiplies_and_detects_overflow() {
        assert_eq!(round_shift(-3, -4), Some(-48));
        assert_eq!(round_shift(1, -120), Some(1i128 << 120));
        assert_eq!(round_shift(1 << 7, -120), None);
        assert_eq!(round_shift(-(1 << 7), -120), Some(i128::MIN));
        assert_eq!(round_shift(0, -120), Some(0));
    }

    #[test]
    fn shift_out_of_range_is_none() {
        assert_eq!(round_shift(1, 121), None);
        assert_eq!(round_shift(1, -121), None);
        assert_eq!(round_shift(0, i32::MIN), None);
    }

    #[test]
    fn rescale_clamps_and_flags() {
        assert_eq!(rescale(300, 1, 1, -128, 127), Some((127, true)));
        assert_eq!(rescale(-300, 1, 1, -128, 127), Some((-128, true)));
        assert_eq!(rescale(-300, 1, 1, 0, 127), Some((0, true)));
        assert_eq!(rescale(253, 1, 1, -128, 127), Some((127, false)));
        assert_eq!(rescale(7, 3, -2, -128, 127), Some((84, false)));
        assert_eq!(rescale(1, 1, 0, 5, 4), None);
        assert_eq!(rescale(i128::MAX, 2, 1, -1, 1), None);
        assert_eq!(rescale(1 << 100, 1, -30, i64::MIN, i64::MAX), None);
    }

    #[test]
    fn rational_rounding_ties() {
        assert_eq!(round_half_away(&big(5), &big(2)), Some(big(3)));
        assert_eq!(round_half_away(&big(-5), &big(2)), Some(big(-3)));
        assert_eq!(round_half_up(&big(-5), &big(2)), Some(big(-2)));
        assert_eq!(round_half_up(&big(5), &big(-2)), Some(big(-2)));
        assert_eq!(round_half_away(&big(-7), &big(3)), Some(big(-2)));
        assert_eq!(round_half_away(&big(1), &big(0)), None);
        assert_eq!(round_half_up(&big(1), &big(0)), None);
    }
}
