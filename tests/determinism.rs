//! Determinism: compiling the same model twice gives byte-identical
//! artifacts and the same verifying-key fingerprint; two proofs of the same
//! input (different blinding) both verify.

mod common;

use std::path::Path;
use std::process::Command;

fn zkc(args: &[&str], cwd: &Path, cache: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_zkc"))
        .args(args)
        .env("ZKC_CACHE_DIR", cache)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn compile_setup_and_prove_are_deterministic() {
    let d = std::env::temp_dir().join(format!("zkc-determinism-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let cache = std::env::temp_dir().join("zkc-test-param-cache");
    let m = common::root().join("models/digits_cnn");
    let onnx = m.with_extension("onnx");
    let cal = m.join("calibration.json");
    for dir in ["a.zkc", "b.zkc"] {
        zkc(
            &[
                "compile",
                onnx.to_str().unwrap(),
                "--calibration",
                cal.to_str().unwrap(),
                "-o",
                dir,
            ],
            &d,
            &cache,
        );
        zkc(&["setup", dir], &d, &cache);
    }
    let (a, b) = (files(&d.join("a.zkc")), files(&d.join("b.zkc")));
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(x == y, "{name} differs between two compilations");
    }
    assert!(a.iter().any(|f| f.0 == "vk.bin") && a.iter().any(|f| f.0 == "setup.json"));
    let input = m.join("input.json");
    for p in ["1.proof", "2.proof"] {
        zkc(
            &[
                "prove",
                "a.zkc",
                "--input",
                input.to_str().unwrap(),
                "-o",
                p,
            ],
            &d,
            &cache,
        );
    }
    let (p1, p2) = (
        std::fs::read(d.join("1.proof")).unwrap(),
        std::fs::read(d.join("2.proof")).unwrap(),
    );
    assert_ne!(p1, p2, "proofs are blinded with fresh randomness");
    for p in ["1.proof", "2.proof"] {
        zkc(&["verify", "b.zkc", p], &d, &cache);
    }
}
