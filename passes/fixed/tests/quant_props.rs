//! Property tests: quantization helpers and float decomposition against
//! exact rational arithmetic (`num_rational::BigRational::from_float`).

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};
use proptest::prelude::*;
use zkc_fixed::{
    bits_for_range, dequantize, exact_rational_of_f32, exact_rational_of_f64, frac_bits_for,
    quantize, signed_bits_for_range, signed_range, FixedError, MAX_FRAC_BITS, MIN_FRAC_BITS,
};

/// `2^e` as an exact rational.
fn pow2(e: i32) -> BigRational {
    let p = BigInt::one() << e.unsigned_abs();
    if e >= 0 {
        BigRational::from_integer(p)
    } else {
        BigRational::new(BigInt::one(), p)
    }
}

/// Floats built as `m * 2^e` (with sign), covering ties and wide exponents.
fn dyadic_f64() -> impl Strategy<Value = f64> {
    (any::<bool>(), 0u64..(1 << 53), -1100i32..1000)
        .prop_map(|(neg, m, e)| {
            let v = m as f64 * 2f64.powi(e);
            if neg {
                -v
            } else {
                v
            }
        })
        .prop_filter("finite", |v| v.is_finite())
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        dyadic_f64(),
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        (-1000i64..1000, 0i32..8).prop_map(|(m, s)| m as f64 / f64::from(1 << s)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn f32_decomposition_is_exact(v in any::<f32>()) {
        match exact_rational_of_f32(v) {
            None => prop_assert!(!v.is_finite()),
            Some((num, den)) => {
                let want = BigRational::from_float(v).unwrap();
                prop_assert!(den.is_positive());
                prop_assert!((den.clone() & (den.clone() - 1u32)).is_zero());
                // Lowest terms: BigRational::new reduces, so equal parts mean reduced.
                prop_assert_eq!((num.clone(), den.clone()), (want.numer().clone(), want.denom().clone()));
            }
        }
    }

    #[test]
    fn f64_decomposition_is_exact(v in prop_oneof![any::<f64>(), dyadic_f64()]) {
        match exact_rational_of_f64(v) {
            None => prop_assert!(!v.is_finite()),
            Some((num, den)) => {
                let want = BigRational::from_float(v).unwrap();
                prop_assert_eq!((num, den), (want.numer().clone(), want.denom().clone()));
            }
        }
    }

    #[test]
    fn frac_bits_is_the_exact_floor_log(v in finite_f64(), bits in 2u32..=64) {
        let f = frac_bits_for(v, bits).unwrap();
        prop_assert!((MIN_FRAC_BITS..=MAX_FRAC_BITS).contains(&f));
        let a = BigRational::from_float(v.abs()).unwrap();
        if a.is_zero() {
            prop_assert_eq!(f, i32::try_from(bits).unwrap() - 1);
        } else {
            let limit = BigRational::from_integer((BigInt::one() << (bits - 1)) - 1u32);
            // a 2^f <= limit, unless clamped at the bottom.
            prop_assert!(&a * pow2(f) <= limit || f == MIN_FRAC_BITS);
            // a 2^(f+1) > limit, unless clamped at the top.
            prop_assert!(&a * pow2(f + 1) > limit || f == MAX_FRAC_BITS);
        }
    }

    #[test]
    fn quantize_matches_exact_rounding(
        v in finite_f64(),
        frac in -80i32..=80,
        a in any::<i64>(),
        b in prop_oneof![any::<i64>(), -128i64..128],
    ) {
        let (lo, hi) = (a.min(b), a.max(b));
        let exact = (BigRational::from_float(v).unwrap() * pow2(frac)).round().to_integer();
        let clamped = exact.clone().clamp(BigInt::from(lo), BigInt::from(hi));
        let want = (i64::try_from(&clamped).unwrap(), clamped != exact);
        prop_assert_eq!(quantize(v, frac, lo, hi), Ok(want));
    }

    #[test]
    fn quantize_ties_round_away(m in -1_000_000i64..1_000_000, frac in -10i32..=10) {
        // v * 2^frac = m + 1/2 exactly.
        let v = (m as f64 + 0.5) * 2f64.powi(-frac);
        let away = if m >= 0 { m + 1 } else { m };
        prop_assert_eq!(quantize(v, frac, i64::MIN, i64::MAX), Ok((away, false)));
    }

    #[test]
    fn dequantize_is_exact_and_inverts_quantize(q in -(1i64 << 53)..=(1i64 << 53), frac in -900i32..=900) {
        let v = dequantize(q, frac);
        let want = BigRational::from_integer(BigInt::from(q)) * pow2(-frac);
        prop_assert_eq!(BigRational::from_float(v).unwrap(), want);
        prop_assert_eq!(quantize(v, frac, i64::MIN, i64::MAX), Ok((q, false)));
    }

    #[test]
    fn signed_bits_is_the_smallest_width(lo in any::<i64>(), hi in any::<i64>(), shift in 0u32..80) {
        let (lo, hi) = (BigInt::from(lo) << shift, BigInt::from(hi) << shift);
        let b = signed_bits_for_range(&lo, &hi);
        let fits = |bits: u64, v: &BigInt| {
            let half = BigInt::one() << (bits - 1);
            -&half <= *v && *v < half
        };
        prop_assert!(b >= 1);
        prop_assert!(fits(b, &lo) && fits(b, &hi));
        prop_assert!(b == 1 || !(fits(b - 1, &lo) && fits(b - 1, &hi)));
        let u = bits_for_range(&lo, &hi);
        let top = BigInt::one() << u;
        prop_assert!(lo.abs() < top && hi.abs() < top);
        prop_assert!(u == 0 || lo.abs().max(hi.abs()) >= BigInt::one() << (u - 1));
        prop_assert!(b <= u + 1);
    }
}

#[test]
fn signed_range_matches_definition() {
    for bits in 1..=64u32 {
        let (lo, hi) = signed_range(bits).unwrap();
        let half = 1i128 << (bits - 1);
        assert_eq!((i128::from(lo), i128::from(hi)), (-half, half - 1));
        let (l, h) = (BigInt::from(lo), BigInt::from(hi));
        assert_eq!(signed_bits_for_range(&l, &h), u64::from(bits));
    }
    assert_eq!(signed_range(0), Err(FixedError::InvalidBits(0)));
}

#[test]
fn quantize_rejects_nan_and_empty_ranges() {
    assert_eq!(quantize(f64::NAN, 3, -8, 7), Err(FixedError::NaN));
    assert_eq!(
        quantize(1.0, 3, 8, 7),
        Err(FixedError::EmptyRange { lo: 8, hi: 7 })
    );
}
