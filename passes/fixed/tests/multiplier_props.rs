//! Property tests: `choose_multiplier` against exact rational arithmetic and
//! brute force, including minimality of the shift.

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::One;
use proptest::prelude::*;
use zkc_fixed::{
    choose_multiplier, round_half_away, verify_multiplier, FixedError, Multiplier, TieRule,
};

const DIVISORS: [i64; 8] = [3, 5, 7, 10, 12, 25, 49, 100];

/// `r = 2^k / d` as `(num, den)`.
fn scaled_inverse(d: i64, k: i32) -> (BigInt, BigInt) {
    let (mut num, mut den) = (BigInt::one(), BigInt::from(d));
    if k >= 0 {
        num <<= k.unsigned_abs();
    } else {
        den <<= k.unsigned_abs();
    }
    (num, den)
}

/// The multiplier `ceil(r 2^n)` at shift `n` (test-side exact arithmetic).
fn ceil_multiplier(num: &BigInt, den: &BigInt, n: u32, rule: TieRule) -> Multiplier {
    let scaled: BigInt = num << n;
    let mult = i128::try_from(scaled.div_ceil(den)).unwrap();
    Multiplier {
        mult,
        shift: n,
        rule,
        minimal: true,
    }
}

/// Whether `(ceil(r 2^n), n)` reproduces `rule` on `[-x_max, x_max]`.
fn reproduces(num: &BigInt, den: &BigInt, n: u32, rule: TieRule, x_max: u32) -> bool {
    let m = ceil_multiplier(num, den, n, rule);
    verify_multiplier(num, den, &m, x_max).unwrap().is_none()
}

/// Full check: the result verifies by brute force, and no smaller shift
/// reproduces either rounding rule.
fn check_exhaustively(num: &BigInt, den: &BigInt, x_max: u32) -> Result<Multiplier, TestCaseError> {
    let m = choose_multiplier(num, den, &BigInt::from(x_max), 63)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert!(m.minimal);
    let check = verify_multiplier(num, den, &m, x_max).unwrap();
    prop_assert_eq!(
        check,
        None,
        "r = {}/{}, X = {}, m = {:?}",
        num,
        den,
        x_max,
        m
    );
    for smaller in 0..m.shift {
        for rule in [TieRule::HalfAwayFromZero, TieRule::HalfUp] {
            prop_assert!(
                !reproduces(num, den, smaller, rule, x_max),
                "shift {} < {} already reproduces {:?} for r = {}/{}, X = {}",
                smaller,
                m.shift,
                rule,
                num,
                den,
                x_max
            );
        }
    }
    Ok(m)
}

/// `m.apply(x) == round_half_away(x r)` at `x` (exact arithmetic).
fn agrees_at(num: &BigInt, den: &BigInt, m: &Multiplier, x: i128) -> bool {
    let want = round_half_away(&(num * x), den).unwrap();
    m.apply(x).map(BigInt::from) == Some(want)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn fractional_bit_scalings_of_inverses(
        d in proptest::sample::select(DIVISORS.to_vec()),
        k in -6i32..=10,
        x_max in 0u32..=600,
    ) {
        // Every d has an odd factor > 1, so r is never dyadic.
        let (num, den) = scaled_inverse(d, k);
        let m = check_exhaustively(&num, &den, x_max)?;
        prop_assert_eq!(m.rule, TieRule::HalfAwayFromZero);
    }

    #[test]
    fn random_ratios(a in 1i64..300, b in 1i64..300, x_max in 0u32..=600) {
        let (num, den) = (BigInt::from(a), BigInt::from(b));
        let m = check_exhaustively(&num, &den, x_max)?;
        // The multiplier is ceil(r 2^n).
        let want = ceil_multiplier(&num, &den, m.shift, m.rule).mult;
        prop_assert_eq!(m.mult, want);
    }

    #[test]
    fn dyadic_ratios(p in 1i64..200, j in 0u32..=10, x_max in 0u32..=1500) {
        let num = BigInt::from(2 * p + 1);
        let den = BigInt::one() << j;
        let m = check_exhaustively(&num, &den, x_max)?;
        let tie_in_range = j >= 1 && u64::from(x_max) >= 1u64 << (j - 1);
        if m.rule == TieRule::HalfUp {
            // Exact representation, and half away from zero really differs.
            prop_assert!(tie_in_range);
            prop_assert_eq!((m.mult, m.shift), (i128::from(2 * p + 1), j));
            let away = Multiplier { rule: TieRule::HalfAwayFromZero, ..m };
            let mismatch = verify_multiplier(&num, &den, &away, x_max).unwrap();
            prop_assert!(mismatch.is_some_and(|c| c.x < 0));
        } else {
            prop_assert!(m.shift < j || !tie_in_range || j == 0);
        }
        prop_assert!(m.shift <= j);
    }

    #[test]
    fn large_ranges_hold_and_shift_minus_one_fails(
        d in proptest::sample::select(DIVISORS.to_vec()),
        k in -4i32..=20,
        log_x in 12u32..=40,
        samples in proptest::collection::vec(any::<i64>(), 64),
    ) {
        let (num, den) = scaled_inverse(d, k);
        let x_max = (1i128 << log_x) - 1;
        let m = choose_multiplier(&num, &den, &BigInt::from(x_max), 63).unwrap();
        prop_assert!(m.minimal);
        // The last period holds every worst case (k(y) has period q, the
        // denominator of r in lowest terms).
        let q = i128::try_from(&den / num.gcd(&den)).unwrap();
        let start = (x_max - q + 1).max(1);
        let window = (start..=x_max).flat_map(|x| [x, -x]);
        let random = samples.iter().map(|s| i128::from(*s) % (x_max + 1));
        for x in window.chain(random) {
            prop_assert!(agrees_at(&num, &den, &m, x), "x = {}, m = {:?}", x, m);
        }
        if m.shift > 0 {
            // For positive x both rules agree, so a failure there rules out
            // both for shift - 1.
            let below = ceil_multiplier(&num, &den, m.shift - 1, m.rule);
            let fails = (start..=x_max).any(|x| !agrees_at(&num, &den, &below, x));
            prop_assert!(fails, "shift {} - 1 also works, r = {}/{}, X = {}, m = {:?}", m.shift, num, den, x_max, m);
        }
    }
}

#[test]
fn named_ratios_over_wide_ranges() {
    for (a, b) in [(1, 9), (3, 7), (1, 3), (1, 10), (1, 100), (5, 12)] {
        let (num, den) = (BigInt::from(a), BigInt::from(b));
        let m = choose_multiplier(&num, &den, &BigInt::from(100_000), 63).unwrap();
        assert!(m.minimal);
        assert_eq!(verify_multiplier(&num, &den, &m, 100_000).unwrap(), None);
        let below = ceil_multiplier(&num, &den, m.shift - 1, m.rule);
        let counter = verify_multiplier(&num, &den, &below, 100_000).unwrap();
        assert!(counter.is_some(), "{a}/{b}: shift {} - 1 works", m.shift);
    }
}

#[test]
fn minimal_shift_beats_the_classical_bound() {
    // r = 1/10 over |x| <= 1000: the classical X eps < 1/(2q) first holds at
    // n = 14, the exact criterion finds n = 11; brute force confirms both
    // that 11 works and that 10 does not.
    let (num, den) = (BigInt::from(1), BigInt::from(10));
    let m = choose_multiplier(&num, &den, &BigInt::from(1000), 63).unwrap();
    assert_eq!(verify_multiplier(&num, &den, &m, 1000).unwrap(), None);
    let mut classical = 1u32;
    loop {
        let c = ceil_multiplier(&num, &den, classical, m.rule);
        // eps = M / 2^n - 1/10; need 1000 eps < 1/20, i.e. 20000 (10 M - 2^n) < 10 * 2^n.
        let lhs = BigInt::from(20_000) * (BigInt::from(10 * c.mult) - (BigInt::one() << classical));
        if lhs < BigInt::from(10) << classical {
            break;
        }
        classical += 1;
    }
    assert_eq!(classical, 14);
    assert_eq!((m.mult, m.shift), (205, 11));
    assert!(!reproduces(
        &num,
        &den,
        m.shift - 1,
        TieRule::HalfAwayFromZero,
        1000
    ));
}

#[test]
fn errors_for_invalid_arguments() {
    let one = BigInt::one();
    let e = choose_multiplier(&BigInt::from(0), &one, &one, 63);
    assert!(matches!(e, Err(FixedError::NonPositiveRatio { .. })));
    let e = choose_multiplier(&one, &BigInt::from(-3), &one, 63);
    assert!(matches!(e, Err(FixedError::NonPositiveRatio { .. })));
    let e = verify_multiplier(
        &one,
        &BigInt::from(0),
        &ceil_multiplier(&one, &one, 0, TieRule::HalfUp),
        3,
    );
    assert!(matches!(e, Err(FixedError::NonPositiveRatio { .. })));
}
