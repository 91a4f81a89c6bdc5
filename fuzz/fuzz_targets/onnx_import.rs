//! ONNX bytes through `zkc_onnx::import_bytes`: `Ok` (a valid float graph)
//! or `Err`, never a panic, a hang or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let r = zkc_onnx::import_bytes(data, "fuzz.onnx", "fuzz");
    if let Ok(imp) = r {
        assert!(zkc_ir::validate(&imp.graph, zkc_ir::Stage::Float).is_ok());
        assert_eq!(imp.inputs.len(), imp.graph.inputs_list().len());
    }
});
