//! Property tests: the integer runtime against exact `BigInt` arithmetic.

use num_bigint::BigInt;
use num_integer::Integer;
use proptest::prelude::*;
use zkc_ir::Op;
use zkc_runtime::{eval_op_i64, RuntimeError};

/// The DESIGN's rescale in `BigInt`: `Some((y, clamped))`, or `None` when
/// the unclamped value leaves `i128` (the runtime then reports an overflow).
fn rescale_exact(x: i64, mult: i64, shift: i32, lo: i64, hi: i64) -> Option<(i64, bool)> {
    let p = BigInt::from(x) * BigInt::from(mult);
    let y = if shift > 0 {
        let half = BigInt::from(1) << (shift - 1) as usize;
        (p + half).div_floor(&(BigInt::from(1) << shift as usize))
    } else {
        p * (BigInt::from(1) << (-shift) as usize)
    };
    i128::try_from(&y).ok()?;
    let c = y.clone().clamp(BigInt::from(lo), BigInt::from(hi));
    Some((i64::try_from(&c).ok()?, c != y))
}

fn range() -> impl Strategy<Value = (i64, i64)> {
    prop_oneof![
        Just((-128, 127)),
        Just((0, 127)),
        Just((i64::MIN, i64::MAX)),
        any::<(i64, i64)>().prop_map(|(a, b)| (a.min(b), a.max(b))),
    ]
}

fn value() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), -1000i64..1000, Just(i64::MIN), Just(i64::MAX)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn rescale_matches_bigint(
        xs in proptest::collection::vec(value(), 1..6),
        mults in proptest::collection::vec(value(), 1..6),
        per_element in any::<bool>(),
        shift in prop_oneof![-120i32..=120, -8i32..=16],
        (lo, hi) in range(),
    ) {
        let n = xs.len();
        let mult: Vec<i64> = if per_element {
            (0..n).map(|i| mults[i % mults.len()]).collect()
        } else {
            vec![mults[0]]
        };
        let op = Op::Rescale { mult: mult.clone(), shift, lo, hi };
        let got = eval_op_i64(&op, &[&xs], &[&[n]], &[n]);
        let want: Option<Vec<(i64, bool)>> = xs
            .iter()
            .enumerate()
            .map(|(i, &x)| rescale_exact(x, mult[if per_element { i } else { 0 }], shift, lo, hi))
            .collect();
        match (got, want) {
            (Ok(v), Some(w)) => {
                let values: Vec<i64> = w.iter().map(|p| p.0).collect();
                // Saturation: clamped to a bit-width limit (-2^k or 2^k - 1).
                let limit = |y: i64| {
                    let b = i128::from(y);
                    if b < 0 { (-b).count_ones() == 1 } else { b > 0 && (b + 1).count_ones() == 1 }
                };
                let clamped = w.iter().filter(|p| p.1 && limit(p.0)).count();
                prop_assert_eq!(v.values, values);
                prop_assert_eq!(v.clamped, clamped);
            }
            (Err(RuntimeError::Overflow { kind: "rescale", .. }), None) => {}
            (got, want) => prop_assert!(false, "got {:?}, want {:?}", got, want),
        }
    }

    #[test]
    fn gemm_matches_bigint(
        k in 1usize..5,
        n in 1usize..4,
        data in proptest::collection::vec(value(), 40),
    ) {
        // x [2,k], w [k,n], b [n] drawn from `data`; values of any size, so
        // overflow must be reported exactly when the true result leaves i64.
        let x: Vec<i64> = data[..2 * k].to_vec();
        let w: Vec<i64> = data[10..10 + k * n].to_vec();
        let b: Vec<i64> = data[30..30 + n].to_vec();
        let got = eval_op_i64(&Op::Gemm { act: None }, &[&x, &w, &b], &[&[2, k], &[k, n], &[n]], &[2, n]);
        let want: Option<Vec<i64>> = (0..2 * n)
            .map(|o| {
                let (r, j) = (o / n, o % n);
                let acc = (0..k).fold(BigInt::from(b[j]), |acc, t| {
                    acc + BigInt::from(x[r * k + t]) * BigInt::from(w[t * n + j])
                });
                i64::try_from(&acc).ok()
            })
            .collect();
        match (got, want) {
            (Ok(v), Some(w)) => prop_assert_eq!(v.values, w),
            (Err(RuntimeError::Overflow { kind: "gemm", .. }), None) => {}
            (got, want) => prop_assert!(false, "got {:?}, want {:?}", got, want),
        }
    }
}
