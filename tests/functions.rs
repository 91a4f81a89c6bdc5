//! Smooth functions, normalizations and products of computed tensors
//! against their definitions: ONNX `LayerNormalization` (lowered to means, a
//! product and a reciprocal square root table), `Gelu`, `Erf`, `Softmax` /
//! `LogSoftmax`, `Cast` to float16 and a `MatMul` of two computed tensors.
//! For each: zkc's float
//! interpreter matches a direct evaluation of the ONNX formula, the 8-bit
//! program stays within a stated tolerance of it, and the integer trace
//! satisfies the circuit (MockProver).

mod common;

use zkc_passes::QuantConfig;

use common::pb::{model_with_attrs, tensor, FLOAT};

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Compiles `bytes` at 8 bits calibrated on `x`, checks the trace against
/// the circuit, and returns (quantized, float) outputs.
fn run(tag: &str, bytes: Vec<u8>, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (_, _, inf) = common::compile_and_mock(tag, &bytes, x, QuantConfig::new(8, 8, false));
    (inf.quant[0].clone(), inf.float[0].clone())
}

fn max_err(a: &[f32], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (f64::from(x) - y).abs())
        .fold(0.0, f64::max)
}

/// A deterministic input of `n` values in about [-2, 2] with uneven rows.
fn input(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i * 37 % 23) as f32 / 11.0 - 1.0) * (1.0 + (i % 5) as f32 / 4.0))
        .collect()
}

/// LayerNormalization over the last axis of `[1, 4, 8]` with a scale and a
/// bias, then GELU: the pre-norm feed-forward pattern of a transformer.
#[test]
fn layer_norm_then_gelu() {
    let (t, c) = (4usize, 8usize);
    let scale: Vec<f32> = (0..c).map(|i| 0.5 + i as f32 / 8.0).collect();
    let bias: Vec<f32> = (0..c).map(|i| (i as f32 - 3.5) / 10.0).collect();
    let bytes = model_with_attrs(
        &[
            ("LayerNormalization", &["x", "s", "b"], "n", &[("axis", -1)]),
            ("Gelu", &["n"], "y", &[]),
        ],
        &[("x", Some(&[1, t as i64, c as i64]))],
        &[
            tensor("s", &[c as i64], FLOAT, &f32s(&scale), None),
            tensor("b", &[c as i64], FLOAT, &f32s(&bias), None),
        ],
        "y",
    );
    let x = input(t * c);
    let mut want = vec![];
    for row in x.chunks(c) {
        let row: Vec<f64> = row.iter().map(|&v| f64::from(v)).collect();
        let mean = row.iter().sum::<f64>() / c as f64;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / c as f64;
        for (i, v) in row.iter().enumerate() {
            let n = (v - mean) / (var + 1e-5).sqrt() * f64::from(scale[i]) + f64::from(bias[i]);
            want.push(0.5 * n * (1.0 + libm::erf(n / std::f64::consts::SQRT_2)));
        }
    }
    let (q, f) = run("ln", bytes, &x);
    let range = want.iter().fold(0f64, |m, v| m.max(v.abs()));
    assert!(max_err(&f, &want) < 1e-5 * range, "float {f:?} vs {want:?}");
    let e = max_err(&q, &want) / range;
    assert!(e < 0.05, "8-bit error {e} of the output range");
}

/// GELU (exact form; the tanh form is a string attribute, covered by the
/// ONNX node tests and zkc-ir's unit test) and Erf, each alone on 32 values.
#[test]
fn gelu_and_erf() {
    let x = input(32);
    type Case = (&'static str, &'static str, fn(f64) -> f64);
    let cases: [Case; 2] = [
        ("Gelu", "gelu", |v| {
            0.5 * v * (1.0 + libm::erf(v / std::f64::consts::SQRT_2))
        }),
        ("Erf", "erf", libm::erf),
    ];
    for (op, tag, def) in cases {
        let bytes = model_with_attrs(
            &[(op, &["x"], "y", &[])],
            &[("x", Some(&[1, 32]))],
            &[],
            "y",
        );
        let want: Vec<f64> = x.iter().map(|&v| def(f64::from(v))).collect();
        let (q, f) = run(tag, bytes, &x);
        assert!(max_err(&f, &want) < 1e-6, "{op} float");
        assert!(
            max_err(&q, &want) < 0.03,
            "{op} 8-bit error {}",
            max_err(&q, &want)
        );
    }
}

/// `Cast` to float16 rounds to float16 (ties to even), as onnxruntime does:
/// `x -> Cast(FLOAT16) -> Cast(FLOAT)` gives exactly the float16 values in
/// float, and the 8-bit program stays within one output step of them.
#[test]
fn cast_to_float16_rounds() {
    let bytes = model_with_attrs(
        &[
            ("Cast", &["x"], "h", &[("to", 10)]),
            ("Cast", &["h"], "y", &[("to", 1)]),
        ],
        &[("x", Some(&[1, 4]))],
        &[],
        "y",
    );
    let x = [0.1f32, 1.000_488_3, -0.7, 0.333_333_3];
    // onnxruntime 1.32 on the same model
    let want = [0.0999755859375, 1.0, -0.7001953125, 0.333251953125];
    let (q, f) = run("f16", bytes, &x);
    assert_eq!(f.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), want);
    assert!(max_err(&q, &want) <= 1.0 / 64.0, "8-bit {q:?}");
}

/// Softmax and LogSoftmax over 10 scores, as a classifier's last layer:
/// lowered without a division (`z = x - max`, `L = ln(sum(exp(z)))`, then
/// `z - L` or `exp(z - L)`), every step a table, a max, an exact mean or a
/// subtraction. Float matches the definition, 8 bits stay within 2% of the
/// output's magnitude (at least 1), and the trace satisfies the circuit.
#[test]
fn softmax_and_log_softmax() {
    let x: Vec<f32> = (0..10).map(|i| ((i * 7 % 10) as f32 - 4.5) / 1.5).collect();
    let max = x.iter().fold(f64::MIN, |m, &v| m.max(f64::from(v)));
    let lse = max
        + x.iter()
            .map(|&v| (f64::from(v) - max).exp())
            .sum::<f64>()
            .ln();
    for (op, tag) in [("Softmax", "softmax"), ("LogSoftmax", "logsoftmax")] {
        let bytes = model_with_attrs(
            &[(op, &["x"], "y", &[("axis", -1)])],
            &[("x", Some(&[1, 10]))],
            &[],
            "y",
        );
        let want: Vec<f64> = x
            .iter()
            .map(|&v| {
                let l = f64::from(v) - lse;
                if op == "Softmax" {
                    l.exp()
                } else {
                    l
                }
            })
            .collect();
        let (q, f) = run(tag, bytes, &x);
        assert!(max_err(&f, &want) < 1e-6, "{op} float {f:?}");
        let tol = 0.02 * want.iter().fold(1f64, |m, v| m.max(v.abs()));
        assert!(max_err(&q, &want) < tol, "{op} 8-bit {q:?} vs {want:?}");
    }
}

/// MatMul of two computed tensors (attention's `Q K^T`): `x [1, 4, 8]`
/// times its own values viewed as `[1, 8, 4]`, lowered to elementwise
/// products and an exact sum; float matches the product, 8 bits stay
/// within 3% of the output's magnitude, and the trace satisfies the
/// circuit.
#[test]
fn matmul_of_two_computed_tensors() {
    use common::pb::{i64s, INT64};
    let bytes = model_with_attrs(
        &[
            ("Reshape", &["x", "shape"], "t", &[]),
            ("MatMul", &["x", "t"], "y", &[]),
        ],
        &[("x", Some(&[1, 4, 8]))],
        &[tensor("shape", &[3], INT64, &i64s(&[1, 8, 4]), None)],
        "y",
    );
    let x = input(32);
    let mut want = vec![0f64; 16];
    for i in 0..4 {
        for j in 0..4 {
            want[i * 4 + j] = (0..8)
                .map(|c| f64::from(x[i * 8 + c]) * f64::from(x[c * 4 + j]))
                .sum();
        }
    }
    let (q, f) = run("matmul2", bytes, &x);
    let range = want.iter().fold(0f64, |m, v| m.max(v.abs()));
    assert!(max_err(&f, &want) < 1e-5 * range, "float {f:?} vs {want:?}");
    assert!(max_err(&q, &want) < 0.03 * range, "8-bit {q:?} vs {want:?}");
}
