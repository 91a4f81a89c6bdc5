//! ONNX bytes through `zkc_onnx::import_bytes`.

use super::*;
use crate::common::pb;

// ---------------------------------------------------------------------------
// ONNX.

fn import(bytes: &[u8]) -> Result<zkc_onnx::Imported, zkc_onnx::FrontendError> {
    zkc_onnx::import_bytes(bytes, "fuzz.onnx", "fuzz")
}

/// Checks an accepted import is self-consistent.
fn check_imported(imp: &zkc_onnx::Imported) -> std::result::Result<(), TestCaseError> {
    prop_assert!(zkc_ir::validate(&imp.graph, Stage::Float).is_ok());
    prop_assert_eq!(imp.inputs.len(), imp.graph.inputs_list().len());
    for i in &imp.inputs {
        prop_assert!(zkc_ir::checked_numel(&i.shape).is_ok());
    }
    Ok(())
}

#[test]
fn onnx_mutated_models() {
    // Mutated bundled models: `Ok` (a valid float graph) or `Err`.
    let strategy = (any::<Index>(), vec(byte_mut(), 1..6));
    check(
        "onnx_mutated_models",
        3000,
        0x5eed_0001,
        strategy,
        |(model, muts)| {
            let models = onnx_models();
            let (_, good) = &models[model.index(models.len())];
            let mut b = good.clone();
            apply_bytes(&mut b, &muts);
            let t = Instant::now();
            let r = import(&b);
            if let Ok(imp) = &r {
                check_imported(imp)?;
            }
            prop_assert!(
                t.elapsed() < Duration::from_secs(10),
                "took {:?}",
                t.elapsed()
            );
            Ok(outcome(&r))
        },
    );
}

#[test]
fn onnx_random_bytes() {
    // Random bytes, alone or behind the first bytes of a real model.
    let strategy = (0usize..64, vec(any::<u8>(), 0..512));
    check(
        "onnx_random_bytes",
        4096,
        0x5eed_0002,
        strategy,
        |(prefix, tail)| {
            let model = &onnx_models()[0].1;
            let mut b = model[..prefix.min(model.len())].to_vec();
            b.extend_from_slice(&tail);
            let r = import(&b);
            if let Ok(imp) = &r {
                check_imported(imp)?;
            }
            if let Ok(imp) = import(&tail) {
                check_imported(&imp)?;
            }
            Ok(outcome(&r))
        },
    );
}

const TWO_40: i64 = 1 << 40;

fn hostile_import(what: &str, bytes: Vec<u8>) {
    let r = within(3 * HOSTILE_SECONDS, move || {
        measure(|| import(&bytes).map(|_| ()))
    });
    assert_refused(what, r, 64 * MIB);
}

isolated_test! {
    /// An initializer claiming 2^40 elements with 4 bytes of data.
    fn hostile_onnx_initializer_2_40() {
        let w = pb::tensor("w", &[TWO_40], pb::FLOAT, &[0; 4], None);
        let m = pb::model(&[("Add", &["x", "w"], "y")], &[("x", Some(&[1]))], &[w], "y");
        hostile_import("initializer [2^40]", m);
    }
}

isolated_test! {
    /// Initializers whose dims overflow when multiplied, or are negative.
    fn hostile_onnx_initializer_dims_overflow() {
        for dims in [
            vec![1i64 << 32, 1 << 32, 1 << 32],
            vec![i64::MAX, 2],
            vec![-1, 4],
            vec![-(1 << 40), -(1 << 40)],
            vec![1 << 62, 0],
        ] {
            let w = pb::tensor("w", &dims, pb::FLOAT, &[0; 16], None);
            let m = pb::model(&[("Add", &["x", "w"], "y")], &[("x", Some(&[1]))], &[w], "y");
            hostile_import(&format!("initializer {dims:?}"), m);
        }
    }
}

isolated_test! {
    /// A graph input claiming 2^40 elements (and overflowing products).
    fn hostile_onnx_input_2_40() {
        for dims in [
            vec![1i64, TWO_40],
            vec![TWO_40],
            vec![1, 1 << 32, 1 << 32],
            vec![1, i64::MAX],
            vec![1, 1 << 20, 1 << 20, 1 << 20],
        ] {
            let m = pb::model(&[("Relu", &["x"], "y")], &[("x", Some(&dims))], &[], "y");
            hostile_import(&format!("input {dims:?}"), m);
        }
    }
}

isolated_test! {
    /// An initializer whose data is "external": /dev/zero, 2^40 bytes.
    fn hostile_onnx_external_data() {
        for (loc, len) in [("/dev/zero", 1u64 << 40), ("../../../../dev/urandom", 1 << 40), ("/etc/passwd", 4)] {
            let w = pb::tensor("w", &[1 << 38], pb::FLOAT, &[], Some((loc, len)));
            let m = pb::model(&[("Add", &["x", "w"], "y")], &[("x", Some(&[1]))], &[w], "y");
            hostile_import(&format!("external data {loc}"), m);
        }
    }
}

fn scalar_i64(name: &str, v: i64) -> Vec<u8> {
    pb::tensor(name, &[], pb::INT64, &pb::i64s(&[v]), None)
}

/// A model adding graph input `x` (shape [1]) to `c`, computed from
/// initializers by `nodes` (a constant sub-graph, which tract evaluates).
fn constant_subgraph(nodes: &[(&str, &[&str], &str)], initializers: &[Vec<u8>]) -> Vec<u8> {
    let mut all = nodes.to_vec();
    all.push(("Add", &["x", "c"], "y"));
    pb::model(&all, &[("x", Some(&[1]))], initializers, "y")
}

isolated_test! {
    /// ConstantOfShape of a constant [2^20, 2^20]: tract would evaluate it
    /// while analysing the model (refused first by
    /// compiler/onnx/src/limits.rs).
    fn hostile_onnx_constant_of_shape_2_40() {
        let shape = pb::tensor("s", &[2], pb::INT64, &pb::i64s(&[1 << 20, 1 << 20]), None);
        let m = constant_subgraph(&[("ConstantOfShape", &["s"], "c")], &[shape]);
        hostile_import("ConstantOfShape [2^20, 2^20]", m);
    }
}

isolated_test! {
    /// Range(0, 2^40, 1) of constants.
    fn hostile_onnx_range_2_40() {
        let m = constant_subgraph(
            &[("Range", &["a", "b", "d"], "c")],
            &[scalar_i64("a", 0), scalar_i64("b", TWO_40), scalar_i64("d", 1)],
        );
        hostile_import("Range(0, 2^40, 1)", m);
    }
}

isolated_test! {
    /// Expand of a constant [0] to [2^20, 2^20].
    fn hostile_onnx_expand_2_40() {
        let ones = pb::tensor("o", &[1], pb::FLOAT, &[0; 4], None);
        let shape = pb::tensor("s", &[2], pb::INT64, &pb::i64s(&[1 << 20, 1 << 20]), None);
        let m = constant_subgraph(&[("Expand", &["o", "s"], "c")], &[ones, shape]);
        hostile_import("Expand([0], [2^20, 2^20])", m);
    }
}

isolated_test! {
    /// ConstantOfShape whose shape is computed from constants (Concat, Mul):
    /// not a literal of the file. tract's constant folding used to allocate
    /// it (2 GB and 4 s for 2^28 elements, a panic for 2^40);
    /// `check_constant_sizes` (compiler/onnx/src/limits.rs) now computes
    /// such values (compiler/onnx/src/shape_values.rs) and refuses them.
    fn hostile_onnx_constant_of_shape_via_concat() {
        // 2^40 elements, and 2^28 (1 GiB of f32: under the single-allocation
        // cap, so whatever tract folded would really be allocated).
        for half in [20, 14] {
            let a = pb::tensor("a", &[1], pb::INT64, &pb::i64s(&[1 << half]), None);
            let b = pb::tensor("b", &[1], pb::INT64, &pb::i64s(&[1 << half]), None);
            let m = pb::model_with_attrs(
                &[
                    ("Concat", &["a", "b"], "s", &[("axis", 0)]),
                    ("ConstantOfShape", &["s"], "c", &[]),
                    ("Add", &["x", "c"], "y", &[]),
                ],
                &[("x", Some(&[1]))],
                &[a, b],
                "y",
            );
            hostile_import(&format!("ConstantOfShape(Concat([2^{half}], [2^{half}]))"), m);
        }
        let a = pb::tensor("a", &[2], pb::INT64, &pb::i64s(&[1 << 10, 1 << 10]), None);
        let b = pb::tensor("b", &[2], pb::INT64, &pb::i64s(&[1 << 10, 1 << 10]), None);
        let m = constant_subgraph(
            &[("Mul", &["a", "b"], "s"), ("ConstantOfShape", &["s"], "c")],
            &[a, b],
        );
        hostile_import("ConstantOfShape([2^10, 2^10] * [2^10, 2^10])", m);
    }
}

isolated_test! {
    /// Pad of a constant by 2^40 (constant pads): refused by
    /// `check_constant_sizes` (compiler/onnx/src/limits.rs) before tract
    /// folds it (Pad was added to the checked ops after this test found it).
    fn hostile_onnx_pad_constant_2_40() {
        let o = pb::tensor("o", &[1], pb::FLOAT, &[0; 4], None);
        let pads = pb::tensor("p", &[2], pb::INT64, &pb::i64s(&[0, TWO_40]), None);
        let m = constant_subgraph(&[("Pad", &["o", "p"], "c")], &[o, pads]);
        hostile_import("Pad([0], [0, 2^40])", m);
    }
}

isolated_test! {
    /// ConstantOfShape at 2^28 elements (1 GiB of f32): under the
    /// single-allocation cap, so tract would really allocate it.
    fn hostile_onnx_constant_of_shape_2_28() {
        let shape = pb::tensor("s", &[2], pb::INT64, &pb::i64s(&[1 << 14, 1 << 14]), None);
        let m = constant_subgraph(&[("ConstantOfShape", &["s"], "c")], &[shape]);
        hostile_import("ConstantOfShape [2^14, 2^14]", m);
    }
}

isolated_test! {
    /// A graph output that no node, input or initializer produces: tract
    /// indexed a map with it and panicked ("no entry found for key",
    /// tract-onnx-0.23.9/src/model.rs:187); `check_outputs_defined`
    /// (compiler/onnx/src/limits.rs) now refuses it first.
    fn hostile_onnx_output_not_produced() {
        let m = pb::model(&[("Relu", &["x"], "y")], &[("x", Some(&[1, 4]))], &[], "nobody");
        hostile_import("graph output `nobody` not produced", m);
        let mut m = std::fs::read(models_dir().join("diabetes_linear.onnx")).unwrap();
        m[47] = 0x7f; // renames the Gemm's output, not the graph's
        hostile_import("diabetes_linear.onnx with byte 47 = 0x7f", m);
    }
}

/// Every single-bit flip of every bundled model through `import_bytes`
/// (about 450 000 imports, a minute or two): none may panic. Prints how
/// many flips were accepted and refused. Deterministic; not run by default.
#[test]
#[ignore = "exhaustive sweep (minutes)"]
fn onnx_bit_flip_sweep() {
    let (mut accepted, mut refused, mut panicked) = (0usize, 0usize, vec![]);
    for (name, good) in onnx_models() {
        for at in 0..good.len() {
            for bit in 0..8u8 {
                let mut b = good.clone();
                b[at] ^= 1 << bit;
                match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| import(&b))) {
                    Ok(Ok(_)) => accepted += 1,
                    Ok(Err(_)) => refused += 1,
                    Err(_) => panicked.push((name.clone(), at, bit)),
                }
            }
        }
    }
    eprintln!("{accepted} flips accepted, {refused} refused");
    assert!(
        panicked.is_empty(),
        "import_bytes panicked on: {panicked:?}"
    );
}

/// Single-bit flips of the bundled models (found by `onnx_bit_flip_sweep`)
/// that made tract panic inside `zkc_onnx::import_bytes` before its parser
/// and analyser ran under `catch_unwind` (compiler/onnx/src/limits.rs
/// `no_panic`): one per panic site, `(model, byte, bit, site)`.
const TRACT_PANICS: &[(&str, usize, u8, &str)] = &[
    (
        "diabetes_linear",
        22,
        4,
        "tract_onnx::model::ParsingContext::parse_graph: no entry found for key",
    ),
    (
        "digits_cnn",
        1508,
        0,
        "tract_hir::ops::array::add_dims::AddDims::output_shape: index exceeds length",
    ),
    (
        "digits_cnn",
        1348,
        2,
        "tract_core::ops::array::gather::Gather::eval_t: index out of bounds",
    ),
    (
        "digits_cnn",
        164,
        5,
        "tract_core::ops::cnn::padding::PaddingSpec::compute_one: index out of bounds",
    ),
    (
        "digits_cnn",
        187,
        0,
        "tract_core::ops::cnn::padding::PaddingSpec::explicit_usize: divide by zero",
    ),
    (
        "digits_cnn",
        617,
        1,
        "tract_core::ops::cnn::padding::PaddingSpec::explicit_onnx_pool_usize: divide by zero",
    ),
    (
        "digits_cnn",
        112,
        5,
        "tract_hir::ops::cnn::conv::Conv::output_shape: index out of bounds",
    ),
    (
        "digits_cnn",
        461,
        4,
        "tract_hir::ops::cnn::pools::HirMaxPool: index out of bounds",
    ),
    (
        "digits_cnn",
        556,
        5,
        "tract_hir::ops::cnn::pools::rules_for_shape: index out of bounds",
    ),
    (
        "tiny_gan",
        463,
        5,
        "tract_core::ops::cnn::deconv::output_shape: index out of bounds",
    ),
    (
        "tiny_gan",
        515,
        5,
        "tract_core::ops::cnn::padding::PaddingSpec::compute_one_for_deconv: index out of bounds",
    ),
    (
        "digits_resnet",
        1755,
        4,
        "tract_hir::ops::array::flatten::Flatten: index out of bounds",
    ),
    (
        "digits_resnet",
        1830,
        2,
        "tract_hir::ops::array::flatten::Flatten::compute_shape: range end out of range",
    ),
];

#[test]
fn onnx_tract_panic_reproducers() {
    for &(model, at, bit, site) in TRACT_PANICS {
        let mut b = std::fs::read(models_dir().join(format!("{model}.onnx"))).unwrap();
        b[at] ^= 1 << bit;
        match import(&b) {
            Ok(_) => eprintln!("{model}.onnx byte {at} bit {bit} ({site}): accepted"),
            Err(e) => eprintln!(
                "{model}.onnx byte {at} bit {bit}: refused: {}",
                clip(&e.to_string(), 120)
            ),
        }
    }
}
