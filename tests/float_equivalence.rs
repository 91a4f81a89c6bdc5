//! The passes preserve meaning: the float IR after the whole float pipeline,
//! run by zkc's float interpreter, gives the same outputs as tract running
//! the original ONNX file, on every bundled model, every op-coverage model
//! (`models/ops`) and every corpus network.
//!
//! Tolerance: `max |zkc - tract| <= 1e-4 * max(1, max |tract|)`.

mod common;

use std::path::Path;

use zkc::artifact::ManifestInput;

const TOL: f32 = 1e-4;

fn check(name: &str, model: &Path, inputs: &[Vec<Vec<f32>>]) {
    check_against(name, model, model, inputs)
}

/// [`check`] with tract running `reference` (the same network in ops tract
/// implements) instead of `model`.
fn check_against(name: &str, model: &Path, reference: &Path, inputs: &[Vec<Vec<f32>>]) {
    let compiled =
        zkc::compile::compile_float(model, |_, _| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
    let shapes: Vec<Vec<usize>> = compiled.inputs.iter().map(|i| i.shape.clone()).collect();
    let tract = zkc_onnx::TractReference::load(reference, &shapes)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    for (k, input) in inputs.iter().enumerate() {
        let ours = zkc_runtime::run_float(&compiled.graph, input)
            .unwrap_or_else(|e| panic!("{name} sample {k}: {e}"))
            .outputs();
        let theirs = tract
            .run(input)
            .unwrap_or_else(|e| panic!("{name} sample {k}: {e}"));
        assert_eq!(ours.len(), theirs.len(), "{name}: output count");
        for (o, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            let err = common::rel_err(a, b);
            assert!(
                err <= TOL,
                "{name} sample {k} output {o}: relative error {err:e} > {TOL:e}"
            );
        }
    }
}

fn random_inputs(inputs: &[ManifestInput], count: u64) -> Vec<Vec<Vec<f32>>> {
    (0..count)
        .map(|s| {
            inputs
                .iter()
                .enumerate()
                .map(|(i, inp)| {
                    common::random_vec(inp.shape.iter().product(), s * 31 + i as u64 + 1)
                })
                .collect()
        })
        .collect()
}

#[test]
fn bundled_models_match_tract() {
    for (name, path) in common::models() {
        let m = zkc::compile::compile_float(&path, |_, _| {}).unwrap();
        let input_json = common::root().join("models").join(&name).join("input.json");
        let mut samples = vec![zkc::data::read_input(&input_json, &m.inputs).unwrap()];
        samples.extend(random_inputs(&m.inputs, 3));
        check(&name, &path, &samples);
    }
}

#[test]
fn op_coverage_models_match_tract() {
    for (name, path) in common::op_models() {
        let m =
            zkc::compile::compile_float(&path, |_, _| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
        // tract has no Upsample (opsets 7 to 9): the same module exported
        // at opset 11 (Resize) is the reference.
        let reference = match name.as_str() {
            "upsample_op9" => path.with_file_name("upsample_op11.onnx"),
            _ => path.clone(),
        };
        check_against(&name, &path, &reference, &random_inputs(&m.inputs, 3));
    }
}

#[test]
fn corpus_networks_match_tract() {
    for (name, path, input_json) in common::corpus() {
        let m =
            zkc::compile::compile_float(&path, |_, _| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut samples =
            vec![zkc::data::read_input(&input_json, &m.inputs)
                .unwrap_or_else(|e| panic!("{name}: {e}"))];
        // Two corpus networks give trivial outputs on their own input: random inputs too.
        samples.extend(random_inputs(&m.inputs, 3));
        check(&name, &path, &samples);
    }
}
