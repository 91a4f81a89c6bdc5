//! Shared helpers of the end-to-end tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub mod pb;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `.onnx` files of `dir`, sorted: `(file stem, path)`.
fn onnx_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().to_string(), p))
        .collect();
    v.sort();
    v
}

/// The project's own models: `(name, onnx path)`.
pub fn models() -> Vec<(String, PathBuf)> {
    let v = onnx_files(&root().join("models"));
    assert!(v.len() >= 5, "expected the five bundled models");
    v
}

/// The quantization options the quick start uses for bundled model
/// `name`: default bits, calibrated on its own `calibration.json`.
pub fn bundled_options(name: &str) -> zkc::quantize::QuantOptions {
    zkc::quantize::QuantOptions {
        calibration: Some(root().join("models").join(name).join("calibration.json")),
        ..Default::default()
    }
}

/// The op-coverage models (`models/ops/*.onnx`, untrained, one family of
/// ONNX ops and attributes each, opsets 9 to 18): `(name, onnx path)`.
pub fn op_models() -> Vec<(String, PathBuf)> {
    let v = onnx_files(&root().join("models/ops"));
    assert!(v.len() >= 9, "expected the op-coverage models");
    v
}

/// The external corpus (`../shared/corpus/ezkl`), when present:
/// `(name, network.onnx, input.json)`.
pub fn corpus() -> Vec<(String, PathBuf, PathBuf)> {
    let dir = root().join("../shared/corpus/ezkl");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        eprintln!("note: {} not found, corpus cases skipped", dir.display());
        return vec![];
    };
    let mut v: Vec<_> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("network.onnx").is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                p.join("network.onnx"),
                p.join("input.json"),
            )
        })
        .collect();
    v.sort();
    v
}

/// A deterministic pseudo-random vector in [-1, 1) (xorshift).
pub fn random_vec(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// Largest `|a - b|` relative to `max(1, max |b|)`.
pub fn rel_err(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "output lengths differ");
    let scale = b.iter().fold(1f32, |m, x| m.max(x.abs()));
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs())) / scale
}

/// A model built in memory (`pb`), compiled at `cfg` calibrated on the one
/// input `x`: the pass notes, the model, and its run on `x` after checking
/// that the integer trace satisfies the circuit (MockProver).
pub fn compile_and_mock(
    tag: &str,
    bytes: &[u8],
    x: &[f32],
    cfg: zkc_passes::QuantConfig,
) -> (Vec<String>, zkc::model::Model, zkc::model::Inference) {
    let d = std::env::temp_dir().join(format!("zkc-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    let onnx = d.join("m.onnx");
    std::fs::write(&onnx, bytes).unwrap();
    let cal = d.join("input.json");
    std::fs::write(&cal, format!("{{\"input_data\": [{x:?}]}}")).unwrap();
    let opts = zkc::quantize::QuantOptions {
        cfg,
        calibration: Some(cal),
        seed: 1,
    };
    let a = zkc::compile::compile(&onnx, &opts).unwrap_or_else(|e| panic!("{tag}: {e}"));
    let notes = a
        .report
        .passes
        .iter()
        .flat_map(|p| p.notes.clone())
        .collect();
    let m = zkc::model::Model {
        manifest: a.manifest,
        float: a.float.graph,
        quant: a.quant.graph,
    };
    let inf = m.infer(&[x.to_vec()]).unwrap();
    let plan = zkc_circuit::plan(&m.quant).unwrap_or_else(|e| panic!("{tag}: {e}"));
    let inst = zkc_circuit::instance_of(&m.quant, &inf.int_run).unwrap();
    let c = zkc_circuit::ModelCircuit::new(
        std::sync::Arc::new(m.quant.clone()),
        std::sync::Arc::new(plan),
        Some(std::sync::Arc::new(inf.int_run.clone())),
    );
    zkc_circuit::prover::mock(&c, &inst).unwrap_or_else(|e| panic!("{tag}: {e}"));
    let _ = std::fs::remove_dir_all(&d);
    (notes, m, inf)
}

/// Runs the `zkc` binary with `args` in `cwd`, with a parameter cache
/// shared by the tests.
pub fn zkc_in(args: &[&str], cwd: &Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_zkc"))
        .args(args)
        .env(
            "ZKC_CACHE_DIR",
            std::env::temp_dir().join("zkc-test-param-cache"),
        )
        .current_dir(cwd)
        .output()
        .expect("run zkc")
}

/// A fresh empty temporary directory named after `tag` and the process.
pub fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zkc-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The stdout of a successful `zkc` run (else the test fails with its
/// stderr).
pub fn ok(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "zkc failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).to_string()
}

/// A failure with a one-line error naming every needle, and no panic.
pub fn fails(o: &std::process::Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "expected failure; stdout {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for n in needles {
        assert!(err.contains(n), "{err:?} does not mention {n:?}");
    }
}

/// A deterministic input inside every graph input's bound.
pub fn inputs_in_bounds(g: &zkc_ir::Graph) -> Vec<Vec<i64>> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    g.inputs_list()
        .iter()
        .map(|&id| {
            let b = g.ty(id).bound.clone().unwrap();
            let (lo, hi): (i64, i64) = ((&b.lo).try_into().unwrap(), (&b.hi).try_into().unwrap());
            (0..zkc_ir::numel(g.shape(id)))
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    lo + (s % ((hi - lo + 1) as u64)) as i64
                })
                .collect()
        })
        .collect()
}
