//! IR snapshot of every bundled model after the float pipeline (constants
//! larger than 16 elements print as digests, so a weight change shows up as
//! a digest change).

mod common;

#[test]
fn bundled_models_after_float_pipeline() {
    for (name, path) in common::models() {
        let c =
            zkc::compile::compile_float(&path, |_, _| {}).unwrap_or_else(|e| panic!("{name}: {e}"));
        zkc_ir::validate_final(&c.graph, zkc_ir::Stage::Float).unwrap();
        let text = zkc_ir::print_graph(&c.graph).unwrap();
        insta::assert_snapshot!(format!("{name}_float"), text);
    }
}
