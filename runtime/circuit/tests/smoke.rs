mod common;

#[test]
fn digits_models_satisfy_mock_prover() {
    for name in [
        "digits_mlp",
        "digits_cnn",
        "digits_resnet",
        "tiny_gan",
        "diabetes_linear",
    ] {
        let g = common::quantized(&common::root().join(format!("models/{name}.onnx")), 8);
        let (c, inst) = common::circuit(&g, &common::inputs(&g, 3));
        eprintln!(
            "{name}: k={} rows={} shape={} T={} tags={:?}",
            c.plan().k,
            c.plan().rows,
            c.plan().shape.describe(),
            c.plan().range_bits,
            c.plan().tags
        );
        zkc_circuit::prover::mock(&c, &inst).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}
