//! The verifying-key fingerprint of every bundled model, compiled as the
//! quick start does (its own `calibration.json`, default bits) and set up:
//! pinned in a snapshot, so any change of a circuit (a gate, a lookup, a
//! column, the layout, a weight or a shift) fails here and must be
//! reviewed. `quantized.ir`'s digest is pinned beside it, so a snapshot
//! change says whether the model or only its circuit moved.

mod common;

use zkc::compile::{compile, write_artifact};

#[test]
fn bundled_models_have_their_pinned_verifying_keys() {
    let tmp = std::env::temp_dir().join(format!("zkc-vk-fprints-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let cache = std::env::temp_dir().join("zkc-test-param-cache");
    let mut lines = vec![];
    for (name, onnx) in common::models() {
        let opts = common::bundled_options(&name);
        let a = compile(&onnx, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        let dir = tmp.join(format!("{name}.zkc"));
        write_artifact(&dir, &a).unwrap();
        let (info, _) = zkc::proving::setup(&dir, &cache, &|_| {}).unwrap();
        lines.push(format!(
            "{name}: k = {}, vk {}, quantized.ir {}",
            info.k, info.fingerprint, info.quantized_ir_digest
        ));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    insta::assert_snapshot!(lines.join("\n"));
}
