//! Property tests: `round_shift`, `rescale` and the rational rounding helpers
//! against exact big-integer / big-rational arithmetic.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Zero};
use proptest::prelude::*;
use zkc_fixed::{rescale, round_half_away, round_half_up, round_shift, MAX_SHIFT};

/// `floor((x + 2^(s-1)) / 2^s)` for `s > 0`, `x * 2^-s` otherwise, exactly.
fn exact_shift(x: &BigInt, s: i32) -> BigInt {
    if s > 0 {
        let den = BigInt::one() << s.unsigned_abs();
        let num: BigInt = x + (BigInt::one() << (s.unsigned_abs() - 1));
        num.div_floor(&den)
    } else {
        x << s.unsigned_abs()
    }
}

fn fits_i128(v: &BigInt) -> Option<i128> {
    i128::try_from(v).ok()
}

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(1024)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn round_shift_matches_exact_on_all_i128(x in any::<i128>(), s in -MAX_SHIFT..=MAX_SHIFT) {
        let want = fits_i128(&exact_shift(&BigInt::from(x), s));
        prop_assert_eq!(round_shift(x, s), want);
    }

    #[test]
    fn round_shift_matches_exact_on_small_values(x in -100_000i128..100_000, s in -20i32..=20) {
        let want = fits_i128(&exact_shift(&BigInt::from(x), s));
        prop_assert_eq!(round_shift(x, s), want);
    }

    #[test]
    fn round_shift_ties_go_up(m in -1_000_000i128..1_000_000, s in 1i32..=60) {
        // x / 2^s = m + 1/2 exactly.
        let x = (2 * m + 1) << (s - 1);
        prop_assert_eq!(round_shift(x, s), Some(m + 1));
    }

    #[test]
    fn round_shift_rejects_out_of_range_shifts(x in any::<i128>(), s in (MAX_SHIFT + 1)..=i32::MAX) {
        prop_assert_eq!(round_shift(x, s), None);
        prop_assert_eq!(round_shift(x, -s), None);
    }

    #[test]
    fn rescale_matches_exact(
        x in any::<i64>(),
        mult in prop_oneof![any::<i64>(), -300i64..300],
        shift in -MAX_SHIFT..=MAX_SHIFT,
        a in any::<i64>(),
        b in any::<i64>(),
    ) {
        let (lo, hi) = (a.min(b), a.max(b));
        let product = BigInt::from(x) * BigInt::from(mult);
        let got = rescale(i128::from(x), i128::from(mult), shift, lo, hi);
        let want = fits_i128(&product)
            .and_then(|_| fits_i128(&exact_shift(&product, shift)))
            .map(|y| {
                let c = y.clamp(i128::from(lo), i128::from(hi));
                (c as i64, c != y)
            });
        prop_assert_eq!(got, want);
    }

    #[test]
    fn rescale_requantizes_bytes(acc in -(1i128 << 24)..(1i128 << 24), s in 1i32..=16, relu in any::<bool>()) {
        let lo = if relu { 0 } else { -128 };
        let (y, clamped) = rescale(acc, 1, s, lo, 127).unwrap();
        let exact = exact_shift(&BigInt::from(acc), s);
        let exact = i128::try_from(&exact).unwrap();
        prop_assert_eq!(i128::from(y), exact.clamp(i128::from(lo), 127));
        prop_assert_eq!(clamped, !(i128::from(lo)..=127).contains(&exact));
    }

    #[test]
    fn rescale_rejects_empty_ranges(x in any::<i64>(), lo in any::<i64>(), gap in 1i64..1000) {
        let hi = lo.saturating_sub(gap);
        prop_assume!(hi < lo);
        prop_assert_eq!(rescale(i128::from(x), 1, 0, lo, hi), None);
    }

    #[test]
    fn rational_rounding_matches_num_rational(
        num in prop_oneof![any::<i64>(), -1000i64..1000],
        den in prop_oneof![any::<i64>(), -50i64..50],
    ) {
        prop_assume!(den != 0);
        let (n, d) = (BigInt::from(num), BigInt::from(den));
        let r = BigRational::new(n.clone(), d.clone());
        // num-rational's round() is documented as ties away from zero.
        prop_assert_eq!(round_half_away(&n, &d), Some(r.round().to_integer()));
        let half = BigRational::new(BigInt::one(), BigInt::from(2));
        prop_assert_eq!(round_half_up(&n, &d), Some((r + half).floor().to_integer()));
    }

    #[test]
    fn rational_ties(m in -1_000_000i64..1_000_000, scale in 1i64..1000) {
        // (2m + 1) / 2 scaled: exactly m + 1/2.
        let n = BigInt::from(2 * m + 1) * scale;
        let d = BigInt::from(2 * scale);
        let away = if m >= 0 { m + 1 } else { m };
        prop_assert_eq!(round_half_away(&n, &d), Some(BigInt::from(away)));
        prop_assert_eq!(round_half_up(&n, &d), Some(BigInt::from(m + 1)));
        prop_assert_eq!(round_half_up(&-&n, &-&d), Some(BigInt::from(m + 1)));
    }

    #[test]
    fn half_up_by_power_of_two_is_round_shift(x in any::<i128>(), s in 1i32..=MAX_SHIFT) {
        let den = BigInt::one() << s.unsigned_abs();
        let want = round_half_up(&BigInt::from(x), &den).map(|v| i128::try_from(v).unwrap());
        prop_assert_eq!(round_shift(x, s), want);
    }
}

#[test]
fn zero_denominator_is_none() {
    assert_eq!(round_half_away(&BigInt::one(), &BigInt::zero()), None);
    assert_eq!(round_half_up(&BigInt::zero(), &BigInt::zero()), None);
}
