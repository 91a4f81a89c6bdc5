//! Files zkc reads from disk and must not trust (audit finding 7), through
//! the `zkc` binary: the IPA parameter cache (checked against pinned digests,
//! a bad file regenerated with a warning naming it) and the artifact's
//! `vk.bin` and `setup.json` (bound to `quantized.ir` by a digest, to the
//! plan, and to each other by the fingerprint).

mod common;

use common::{fails, ok};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

struct Env {
    d: PathBuf,
    cache: PathBuf,
}

impl Env {
    /// A scratch directory; `own_cache` gives it a parameter cache of its
    /// own (for tests that tamper with it), else the test run's shared one.
    fn new(tag: &str, own_cache: bool) -> Env {
        let d = std::env::temp_dir().join(format!("zkc-trusted-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let cache = if own_cache {
            d.join("cache")
        } else {
            std::env::temp_dir().join("zkc-test-param-cache")
        };
        Env { d, cache }
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_zkc"));
        c.args(args)
            .env("ZKC_CACHE_DIR", &self.cache)
            .current_dir(&self.d);
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run zkc")
    }
    /// Compiles a bundled model as `dir` (extra compile flags appended;
    /// without any, calibrated on the model's calibration.json) and sets
    /// it up.
    fn model(&self, name: &str, dir: &str, flags: &[&str]) -> PathBuf {
        let m = common::root().join("models").join(name);
        let onnx = m.with_extension("onnx");
        let cal = m.join("calibration.json");
        let mut args = vec!["compile", onnx.to_str().unwrap(), "-o", dir];
        if flags.is_empty() {
            args.extend(["--calibration", cal.to_str().unwrap()]);
        }
        args.extend(flags);
        ok(&self.run(&args));
        ok(&self.run(&["setup", dir]));
        self.d.join(dir)
    }
    fn prove(&self, name: &str, art: &Path, proof: &str) -> Output {
        let input = common::root().join("models").join(name).join("input.json");
        self.run(&[
            "prove",
            art.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "-o",
            proof,
        ])
    }
    fn verify(&self, art: &Path, proof: &str) -> Output {
        self.run(&["verify", art.to_str().unwrap(), proof])
    }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::from_str(s).unwrap_or_else(|e| panic!("{e}: {s}"))
}

fn setup_json(art: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(art.join("setup.json")).unwrap()).unwrap()
}

/// Copies an artifact directory (flat).
fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Swaps points `i` and `j` of a parameter file (`write_uncompressed`
/// layout: `k` in 4 bytes, then 64 bytes per point, `g` first). The result
/// is still a parseable file of the same `k`.
fn swap_points(bytes: &mut [u8], i: usize, j: usize) {
    for b in 0..64 {
        bytes.swap(4 + 64 * i + b, 4 + 64 * j + b);
    }
}

/// Replaces point `i` by point `j` (another valid point).
fn copy_point(bytes: &mut [u8], i: usize, j: usize) {
    let p = bytes[4 + 64 * j..4 + 64 * j + 64].to_vec();
    bytes[4 + 64 * i..4 + 64 * i + 64].copy_from_slice(&p);
}

/// The one warning line a replaced cache file must produce.
fn assert_replaced_warning(o: &Output, file: &Path, k: u64) {
    let err = stderr(o);
    let want = format!(
        "warning: {} does not match the pinned digest for k = {k}; regenerated it",
        file.display()
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines, vec![want.as_str()], "{err}");
}

#[test]
fn tampered_parameter_cache_is_detected_and_replaced() {
    let e = Env::new("params", true);
    let m = common::root().join("models/digits_mlp");
    let onnx = m.with_extension("onnx");
    let cal = m.join("calibration.json");
    ok(&e.run(&[
        "compile",
        onnx.to_str().unwrap(),
        "--calibration",
        cal.to_str().unwrap(),
        "-o",
        "mlp.zkc",
    ]));
    // A fresh cache: generated, no warning.
    let o = e.run(&["setup", "mlp.zkc", "--json"]);
    let v = json(&ok(&o));
    assert_eq!(stderr(&o), "", "no warning for a fresh cache");
    assert_eq!(v["timings"]["params_source"], "generated");
    assert!(v["timings"]["params_warning"].is_null());
    let k = v["k"].as_u64().unwrap();
    let file = e.cache.join(format!("ipa-pasta-k{k}.raw"));
    let honest = std::fs::read(&file).unwrap();
    let o = e.run(&["setup", "mlp.zkc", "--json"]);
    assert_eq!(json(&ok(&o))["timings"]["params_source"], "cached");
    assert_eq!(stderr(&o), "");

    // Two generators swapped (a file a forger could have made): setup
    // regenerates it, warns once naming the file, and reports it.
    let mut bad = honest.clone();
    swap_points(&mut bad, 0, 1);
    assert_ne!(bad, honest);
    std::fs::write(&file, &bad).unwrap();
    let o = e.run(&["setup", "mlp.zkc", "--json"]);
    let v = json(&ok(&o));
    assert_replaced_warning(&o, &file, k);
    assert_eq!(v["timings"]["params_source"], "replaced");
    assert_eq!(v["timings"]["params_generated"], true);
    let w = v["timings"]["params_warning"].as_str().unwrap();
    assert!(w.contains(&file.display().to_string()), "{w}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        honest,
        "the file is repaired"
    );

    // The same through prove (one generator replaced by another valid point).
    let mut bad = honest.clone();
    copy_point(&mut bad, 3, 7);
    std::fs::write(&file, &bad).unwrap();
    let o = e.prove("digits_mlp", Path::new("mlp.zkc"), "mlp.proof");
    ok(&o);
    assert_replaced_warning(&o, &file, k);
    assert_eq!(std::fs::read(&file).unwrap(), honest);

    // And through verify, with --json: the proof made above verifies.
    let mut bad = honest.clone();
    swap_points(&mut bad, 5, (1 << k) - 1);
    std::fs::write(&file, &bad).unwrap();
    let o = e.run(&["verify", "mlp.zkc", "mlp.proof", "--json"]);
    let v = json(&ok(&o));
    assert_replaced_warning(&o, &file, k);
    assert_eq!(v["valid"], true);
    assert_eq!(v["timings"]["params_source"], "replaced");
    // A file of the wrong size (truncated) is replaced too.
    std::fs::write(&file, &honest[..honest.len() / 2]).unwrap();
    let o = e.verify(Path::new("mlp.zkc"), "mlp.proof");
    ok(&o);
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "warning: {} does not match the pinned digest for k = {k}",
            file.display()
        )) && err.trim_end().ends_with("; regenerated it")
            && err.lines().count() == 1,
        "{err}"
    );
    // Repaired: the next run is quiet.
    let o = e.verify(Path::new("mlp.zkc"), "mlp.proof");
    ok(&o);
    assert_eq!(stderr(&o), "");
    assert_eq!(std::fs::read(&file).unwrap(), honest);
}

#[test]
fn temp_dir_fallback_cache_is_checked_too() {
    // With no ZKC_CACHE_DIR, XDG_CACHE_HOME or HOME, the cache is
    // `$TMPDIR/zkc-cache`, a shared place anyone may have written first.
    let e = Env::new("fallback", true);
    let tmp = e.d.join("tmp");
    std::fs::create_dir_all(tmp.join("zkc-cache")).unwrap();
    let m = common::root().join("models/digits_mlp");
    let onnx = m.with_extension("onnx");
    let cal = m.join("calibration.json");
    ok(&e.run(&[
        "compile",
        onnx.to_str().unwrap(),
        "--calibration",
        cal.to_str().unwrap(),
        "-o",
        "mlp.zkc",
    ]));
    let fallback = |args: &[&str]| {
        e.cmd(args)
            .env_remove("ZKC_CACHE_DIR")
            .env_remove("XDG_CACHE_HOME")
            .env_remove("HOME")
            .env("TMPDIR", &tmp)
            .output()
            .expect("run zkc")
    };
    let k = json(&ok(&fallback(&["setup", "mlp.zkc", "--json"])))["k"]
        .as_u64()
        .unwrap();
    let file = tmp.join(format!("zkc-cache/ipa-pasta-k{k}.raw"));
    let honest = std::fs::read(&file).unwrap();
    // Someone planted a tampered file there: replaced, with the warning.
    let mut bad = honest.clone();
    swap_points(&mut bad, 1, 2);
    std::fs::write(&file, &bad).unwrap();
    let o = fallback(&["setup", "mlp.zkc"]);
    ok(&o);
    assert_replaced_warning(&o, &file, k);
    assert_eq!(std::fs::read(&file).unwrap(), honest);
    // Someone put a file where the directory should be: a clear error,
    // no panic.
    std::fs::remove_dir_all(tmp.join("zkc-cache")).unwrap();
    std::fs::write(tmp.join("zkc-cache"), b"not a directory").unwrap();
    fails(&fallback(&["setup", "mlp.zkc"]), &["ZKC_CACHE_DIR"]);
    // A planted temporary file (or symlink) of zkc's temporary name is not
    // followed: zkc creates its temporary files exclusively, with a fresh
    // name, so the write still lands in the cache file.
    std::fs::remove_file(tmp.join("zkc-cache")).unwrap();
    std::fs::create_dir_all(tmp.join("zkc-cache")).unwrap();
    ok(&fallback(&["setup", "mlp.zkc"]));
    assert_eq!(std::fs::read(&file).unwrap(), honest);
}

#[test]
fn another_models_verifying_key_is_rejected() {
    let e = Env::new("othervk", false);
    let mlp = e.model("digits_mlp", "mlp.zkc", &[]);
    let other = e.model("diabetes_linear", "lin.zkc", &[]);
    ok(&e.prove("digits_mlp", &mlp, "mlp.proof"));
    ok(&e.verify(&mlp, "mlp.proof"));
    let own = std::fs::read(mlp.join("vk.bin")).unwrap();
    std::fs::copy(other.join("vk.bin"), mlp.join("vk.bin")).unwrap();
    fails(&e.verify(&mlp, "mlp.proof"), &["vk.bin", "zkc setup"]);
    fails(
        &e.prove("digits_mlp", &mlp, "again.proof"),
        &["vk.bin", "zkc setup"],
    );
    assert!(!e.d.join("again.proof").exists());
    // The honest key verifies again.
    std::fs::write(mlp.join("vk.bin"), own).unwrap();
    ok(&e.verify(&mlp, "mlp.proof"));
}

/// Rewrites a proof's public values to `art`'s scales (the integers and
/// field elements, which the proof is about, unchanged): what a forger
/// would do to present a proof of one quantization as another's.
fn restate_for(proof: &mut serde_json::Value, art: &Path) {
    let own: serde_json::Value = {
        // An honest proof of `art` gives its fracs.
        let p = art.parent().unwrap().join("honest-a.proof");
        serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
    };
    for side in ["inputs", "outputs"] {
        let n = proof[side].as_array().unwrap().len();
        for t in 0..n {
            let frac = own[side][t]["frac"].as_i64().unwrap() as i32;
            let q: Vec<i64> = proof[side][t]["q"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            proof[side][t]["frac"] = frac.into();
            proof[side][t]["values"] = q
                .iter()
                .map(|&v| zkc_fixed::dequantize(v, frac))
                .collect::<Vec<f64>>()
                .into();
        }
    }
}

#[test]
fn another_artifacts_key_and_setup_are_rejected() {
    // The same ONNX model quantized two ways: same inputs, outputs and
    // circuit shape, different weights and scales, so only the digest of
    // quantized.ir in setup.json tells the two keys apart.
    let e = Env::new("otherkey", false);
    let a = e.model("digits_mlp", "a.zkc", &[]);
    let b = e.model("digits_mlp", "b.zkc", &["--seed", "7"]);
    let (sa, sb) = (setup_json(&a), setup_json(&b));
    for f in ["k", "shape", "range_bits", "instance_len"] {
        assert_eq!(sa[f], sb[f], "{f}: the case needs the same plan");
    }
    assert_ne!(sa["fingerprint"], sb["fingerprint"]);
    assert_ne!(sa["quantized_ir_digest"], sb["quantized_ir_digest"]);
    ok(&e.prove("digits_mlp", &a, "honest-a.proof"));
    ok(&e.verify(&a, "honest-a.proof"));
    ok(&e.prove("digits_mlp", &b, "b.proof"));

    // A's artifact with B's vk.bin and setup.json, and B's proof restated
    // in A's scales: before setup.json carried the digest, `zkc verify`
    // accepted this as a proof about A's model.
    let forged = e.d.join("forged.zkc");
    copy_dir(&a, &forged);
    for f in ["vk.bin", "setup.json"] {
        std::fs::copy(b.join(f), forged.join(f)).unwrap();
    }
    let mut p: serde_json::Value =
        serde_json::from_slice(&std::fs::read(e.d.join("b.proof")).unwrap()).unwrap();
    restate_for(&mut p, &a);
    std::fs::write(e.d.join("forged.proof"), serde_json::to_vec(&p).unwrap()).unwrap();
    fails(
        &e.verify(&forged, "forged.proof"),
        &["setup.json", "quantized.ir", "zkc setup"],
    );
    // The honest proof of A under the swapped files is refused the same way.
    fails(
        &e.verify(&forged, "honest-a.proof"),
        &["setup.json", "zkc setup"],
    );
    // And so is proving with them.
    fails(
        &e.prove("digits_mlp", &forged, "x.proof"),
        &["setup.json", "zkc setup"],
    );
    assert!(!e.d.join("x.proof").exists());

    // Someone who can also hand-edit setup.json (the digest set to A's):
    // caught by --recompute-key, which rebuilds the key from quantized.ir.
    let mut s = setup_json(&b);
    s["quantized_ir_digest"] = sa["quantized_ir_digest"].clone();
    std::fs::write(forged.join("setup.json"), serde_json::to_vec(&s).unwrap()).unwrap();
    fails(
        &e.run(&[
            "verify",
            forged.to_str().unwrap(),
            "forged.proof",
            "--recompute-key",
        ]),
        &["setup.json", "zkc setup"],
    );

    // The honest artifact still verifies, with and without --recompute-key.
    ok(&e.verify(&a, "honest-a.proof"));
    ok(&e.run(&[
        "verify",
        a.to_str().unwrap(),
        "honest-a.proof",
        "--recompute-key",
    ]));
}

#[test]
fn setup_json_from_an_older_zkc_or_another_plan_is_refused() {
    let e = Env::new("oldsetup", false);
    let a = e.model("digits_mlp", "a.zkc", &[]);
    ok(&e.prove("digits_mlp", &a, "a.proof"));
    let honest = std::fs::read(a.join("setup.json")).unwrap();
    let s: serde_json::Value = serde_json::from_slice(&honest).unwrap();
    // The format-1 setup.json: no digest, no instance_len.
    let old = serde_json::json!({
        "format_version": 1,
        "k": s["k"],
        "shape": s["shape"],
        "range_bits": s["range_bits"],
        "fingerprint": s["fingerprint"],
    });
    std::fs::write(a.join("setup.json"), serde_json::to_vec(&old).unwrap()).unwrap();
    fails(&e.verify(&a, "a.proof"), &["setup.json", "zkc setup"]);
    fails(
        &e.prove("digits_mlp", &a, "b.proof"),
        &["setup.json", "zkc setup"],
    );
    // A plan fact changed (digest intact): refused before any key is read.
    let mut edited = s.clone();
    edited["instance_len"] = (s["instance_len"].as_u64().unwrap() + 1).into();
    std::fs::write(a.join("setup.json"), serde_json::to_vec(&edited).unwrap()).unwrap();
    fails(
        &e.verify(&a, "a.proof"),
        &["setup.json", "does not match", "zkc setup"],
    );
    // quantized.ir changed after setup (a comment line: same program, but
    // not the file the key was set up for).
    std::fs::write(a.join("setup.json"), &honest).unwrap();
    ok(&e.verify(&a, "a.proof"));
    let ir = std::fs::read_to_string(a.join("quantized.ir")).unwrap();
    std::fs::write(a.join("quantized.ir"), format!("{ir}\n")).unwrap();
    fails(
        &e.verify(&a, "a.proof"),
        &["setup.json", "quantized.ir", "zkc setup"],
    );
    // `zkc setup` again fixes it.
    ok(&e.run(&["setup", a.to_str().unwrap()]));
    ok(&e.verify(&a, "a.proof"));
}
