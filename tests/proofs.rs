//! Real key generation, proving and verification through the `zkc` binary,
//! and every way a proof or artifact can be wrong: each is rejected with a
//! one-line error and a non-zero exit, and no partial file is left behind.

mod common;

use common::{fails, ok};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn zkc(args: &[&str], cwd: &Path, cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkc"))
        .args(args)
        .env("ZKC_CACHE_DIR", cache)
        .current_dir(cwd)
        .output()
        .expect("run zkc")
}

struct Env {
    d: PathBuf,
    cache: PathBuf,
}

impl Env {
    fn new(tag: &str) -> Env {
        let d = std::env::temp_dir().join(format!("zkc-proofs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        // One shared parameter cache for the test run (parameters are deterministic).
        let cache = std::env::temp_dir().join("zkc-test-param-cache");
        Env { d, cache }
    }
    fn run(&self, args: &[&str]) -> Output {
        zkc(args, &self.d, &self.cache)
    }
    /// Compiles and sets up a bundled model as `<name>.zkc`.
    fn model(&self, name: &str) -> PathBuf {
        let m = common::root().join("models").join(name);
        let onnx = m.with_extension("onnx");
        let cal = m.join("calibration.json");
        let dir = format!("{name}.zkc");
        ok(&self.run(&[
            "compile",
            onnx.to_str().unwrap(),
            "--calibration",
            cal.to_str().unwrap(),
            "-o",
            &dir,
        ]));
        ok(&self.run(&["setup", &dir]));
        self.d.join(dir)
    }
    fn prove(&self, name: &str, art: &Path, proof: &str) -> serde_json::Value {
        let input = common::root().join("models").join(name).join("input.json");
        ok(&self.run(&[
            "prove",
            art.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "-o",
            proof,
        ]));
        serde_json::from_slice(&std::fs::read(self.d.join(proof)).unwrap()).unwrap()
    }
    fn verify(&self, art: &Path, proof: &str) -> Output {
        self.run(&["verify", art.to_str().unwrap(), proof, "--json"])
    }
    fn write_proof(&self, file: &str, v: &serde_json::Value) {
        std::fs::write(self.d.join(file), serde_json::to_vec(v).unwrap()).unwrap();
    }
}

#[test]
fn prove_and_verify_round_trips_and_rejects_forgeries() {
    let e = Env::new("roundtrip");
    let mlp = e.model("digits_mlp");
    let cnn = e.model("digits_cnn");
    let p = e.prove("digits_mlp", &mlp, "mlp.proof");
    let out = ok(&e.verify(&mlp, "mlp.proof"));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["outputs"][0], p["outputs"][0]["values"]);
    // The proven outputs match `zkc run` on the same input.
    let input = common::root().join("models/digits_mlp/input.json");
    let run: serde_json::Value = serde_json::from_str(&ok(&e.run(&[
        "run",
        mlp.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--json",
    ])))
    .unwrap();
    assert_eq!(run["quantized_outputs"][0], p["outputs"][0]["q"]);
    // A second model round-trips too.
    e.prove("digits_cnn", &cnn, "cnn.proof");
    ok(&e.verify(&cnn, "cnn.proof"));

    // One byte of the proof changed.
    let mut bad = p.clone();
    let hex = bad["proof"].as_str().unwrap().to_string();
    let i = hex.len() / 2;
    let flipped = if &hex[i..i + 1] == "0" { "1" } else { "0" };
    bad["proof"] = serde_json::Value::String(format!("{}{}{}", &hex[..i], flipped, &hex[i + 1..]));
    e.write_proof("byte.proof", &bad);
    fails(
        &e.verify(&mlp, "byte.proof"),
        &["byte.proof", "does not verify"],
    );

    // A changed public output (all three forms changed consistently).
    let mut bad = p.clone();
    let o = &mut bad["outputs"][0];
    let q0 = o["q"][0].as_i64().unwrap() + 1;
    let frac = o["frac"].as_i64().unwrap() as i32;
    o["q"][0] = q0.into();
    o["field"][0] = zkc_circuit::field::to_hex(zkc_circuit::field::fp64(q0)).into();
    o["values"][0] = zkc_fixed::dequantize(q0, frac).into();
    e.write_proof("output.proof", &bad);
    fails(
        &e.verify(&mlp, "output.proof"),
        &["output.proof", "does not verify"],
    );

    // Only the float form changed: inconsistent public values.
    let mut bad = p.clone();
    bad["outputs"][0]["values"][0] = 123.0.into();
    e.write_proof("float.proof", &bad);
    fails(
        &e.verify(&mlp, "float.proof"),
        &["float.proof", "inconsistent"],
    );

    // A proof checked against another model's artifact.
    fails(
        &e.verify(&cnn, "mlp.proof"),
        &["mlp.proof", "another model"],
    );
    // ... even with its fingerprint rewritten to the other model's.
    let mut bad = p.clone();
    let cnn_setup: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cnn.join("setup.json")).unwrap()).unwrap();
    bad["fingerprint"] = cnn_setup["fingerprint"].clone();
    e.write_proof("refp.proof", &bad);
    fails(&e.verify(&cnn, "refp.proof"), &["refp.proof"]);

    // A truncated proof file.
    let full = std::fs::read(e.d.join("mlp.proof")).unwrap();
    std::fs::write(e.d.join("trunc.proof"), &full[..full.len() / 2]).unwrap();
    fails(
        &e.verify(&mlp, "trunc.proof"),
        &["trunc.proof", "not a zkc proof file"],
    );
    // A proof whose hex is cut short (valid JSON, short proof).
    let mut bad = p.clone();
    let hex = bad["proof"].as_str().unwrap().to_string();
    bad["proof"] = serde_json::Value::String(hex[..hex.len() / 2].to_string());
    e.write_proof("short.proof", &bad);
    fails(
        &e.verify(&mlp, "short.proof"),
        &["short.proof", "does not verify"],
    );
    // Recomputing the key from the model agrees with vk.bin.
    ok(&e.run(&[
        "verify",
        mlp.to_str().unwrap(),
        "mlp.proof",
        "--recompute-key",
    ]));
}

#[test]
fn bad_artifacts_inputs_and_cache() {
    let e = Env::new("bad");
    let mlp = e.model("digits_mlp");
    let a = mlp.to_str().unwrap();
    let input = common::root().join("models/digits_mlp/input.json");
    let inp = input.to_str().unwrap();
    // Missing directory.
    fails(&e.run(&["setup", "nope.zkc"]), &["nope.zkc", "zkc compile"]);
    fails(
        &e.run(&["prove", "nope.zkc", "--input", inp, "-o", "x.proof"]),
        &["nope.zkc"],
    );
    assert!(!e.d.join("x.proof").exists());
    // Input of the wrong shape: no proof file written.
    std::fs::write(e.d.join("short.json"), r#"{"input_data": [[1, 2, 3]]}"#).unwrap();
    fails(
        &e.run(&["prove", a, "--input", "short.json", "-o", "x.proof"]),
        &["short.json", "64 values"],
    );
    assert!(!e.d.join("x.proof").exists());
    // Unwritable cache directory (a regular file stands in the way).
    std::fs::write(e.d.join("blocker"), b"x").unwrap();
    let out = zkc(&["setup", a], &e.d, &e.d.join("blocker/cache"));
    fails(&out, &["ZKC_CACHE_DIR"]);
    // Corrupted setup.json, truncated vk.bin, missing setup.
    ok(&e.run(&["setup", a]));
    let p = e.prove("digits_mlp", &mlp, "good.proof");
    assert!(p["proof"].as_str().unwrap().len() > 1000);
    let vk = std::fs::read(mlp.join("vk.bin")).unwrap();
    std::fs::write(mlp.join("vk.bin"), &vk[..vk.len() - 7]).unwrap();
    fails(&e.verify(&mlp, "good.proof"), &["vk.bin", "zkc setup"]);
    let mut vk2 = vk.clone();
    let n = vk2.len();
    vk2[n - 40] ^= 1;
    std::fs::write(mlp.join("vk.bin"), &vk2).unwrap();
    fails(&e.verify(&mlp, "good.proof"), &["vk.bin"]);
    std::fs::write(mlp.join("vk.bin"), &vk).unwrap();
    std::fs::write(mlp.join("setup.json"), b"{ not json").unwrap();
    fails(&e.verify(&mlp, "good.proof"), &["setup.json", "zkc setup"]);
    std::fs::remove_file(mlp.join("setup.json")).unwrap();
    fails(
        &e.run(&["prove", a, "--input", inp, "-o", "y.proof"]),
        &["setup.json", "zkc setup"],
    );
    assert!(!e.d.join("y.proof").exists());
    // A corrupted quantized graph.
    std::fs::write(mlp.join("quantized.ir"), "graph g {\n}\n").unwrap();
    fails(&e.run(&["setup", a]), &["quantized.ir"]);
}
