//! IR snapshots of every bundled model: after the float pipeline, and after
//! quantization at 8 bits with the model's calibration set (constants
//! larger than 16 elements print as digests, so a weight change shows up as
//! a digest change).

mod common;

use std::path::Path;

use zkc::quantize::{quantize, QuantOptions};

/// Snapshots `name`'s float IR (`{prefix}{name}_float`) and its quantized
/// IR under `opts` (`{prefix}{name}_quantized`), both validated first.
fn snapshot_pipelines(prefix: &str, name: &str, path: &Path, opts: &QuantOptions) {
    let c = zkc::compile::compile_float(path, |_, _| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
    zkc_ir::validate_final(&c.graph, zkc_ir::Stage::Float).unwrap();
    insta::assert_snapshot!(
        format!("{prefix}{name}_float"),
        zkc_ir::print_graph(&c.graph).unwrap()
    );
    let q = quantize(&c, opts, |_, _| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
    zkc_ir::validate_final(&q.graph, zkc_ir::Stage::Quantized).unwrap();
    insta::assert_snapshot!(
        format!("{prefix}{name}_quantized"),
        zkc_ir::print_graph(&q.graph).unwrap()
    );
}

#[test]
fn bundled_models_after_pipelines() {
    for (name, path) in common::models() {
        let opts = common::bundled_options(&name);
        snapshot_pipelines("", &name, &path, &opts);
    }
}

/// The op-coverage models (`models/ops`): the float IR shows how each ONNX
/// op and attribute was imported and folded; the quantized IR (synthetic
/// calibration) how it was lowered.
#[test]
fn op_coverage_models_after_pipelines() {
    for (name, path) in common::op_models() {
        snapshot_pipelines("ops_", &name, &path, &QuantOptions::default());
    }
}
