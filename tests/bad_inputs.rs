//! The error audit as a table: bad inputs across every subcommand, each must
//! exit non-zero with a one-line message naming the problem, never panic,
//! and leave no output behind.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

struct Fixture {
    d: PathBuf,
    cache: PathBuf,
}

impl Fixture {
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_zkc"))
            .args(args)
            .env("ZKC_CACHE_DIR", &self.cache)
            .current_dir(&self.d)
            .output()
            .unwrap()
    }
    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.d.join(name), bytes).unwrap();
    }
}

fn model(name: &str) -> String {
    common::root()
        .join("models")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn bad_inputs_table() {
    let d = std::env::temp_dir().join(format!("zkc-bad-inputs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    let f = Fixture {
        d: d.clone(),
        cache: std::env::temp_dir().join("zkc-test-param-cache"),
    };
    let mlp = model("digits_mlp.onnx");
    let cal = model("digits_mlp/calibration.json");
    let input = model("digits_mlp/input.json");
    let data = model("digits_mlp/data.json");
    assert!(f
        .run(&["compile", &mlp, "--calibration", &cal, "-o", "ok.zkc"])
        .status
        .success());
    assert!(f.run(&["setup", "ok.zkc"]).status.success());
    assert!(f
        .run(&["prove", "ok.zkc", "--input", &input, "-o", "ok.proof"])
        .status
        .success());
    let good = std::fs::read(Path::new(&model("digits_mlp.onnx"))).unwrap();
    f.write("trunc.onnx", &good[..good.len() / 3]);
    f.write("zero.onnx", b"");
    f.write("text.onnx", b"this is not a protobuf at all \x00\xff");
    f.write("short.json", br#"{"input_data": [[0.5, 0.25]]}"#);
    f.write("nan.json", br#"{"input_data": [[NaN]]}"#);
    f.write("null.json", br#"{"input_data": [[null, 1]]}"#);
    f.write(
        "deep.json",
        format!("{{\"input_data\": {}1{}}}", "[".repeat(40), "]".repeat(40)).as_bytes(),
    );
    f.write("noinputs.json", br#"{"labels": [1]}"#);
    f.write("nolabels.json", br#"{"inputs": [[0]]}"#);
    f.write(
        "badproof.json",
        br#"{"format": "zkc-proof", "version": 99}"#,
    );
    f.write("garbage.proof", b"\x00\x01\x02 not json");
    f.write("dir.zkc", b"a file, not a directory");
    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "missing model",
            vec!["compile", "missing.onnx", "-o", "o1.zkc"],
            vec!["missing.onnx"],
        ),
        (
            "truncated model",
            vec!["compile", "trunc.onnx", "-o", "o2.zkc"],
            vec!["trunc.onnx", "not a valid ONNX model"],
        ),
        (
            "empty model",
            vec!["compile", "zero.onnx", "-o", "o3.zkc"],
            vec!["zero.onnx", "empty"],
        ),
        (
            "text as model",
            vec!["compile", "text.onnx", "-o", "o4.zkc"],
            vec!["text.onnx"],
        ),
        (
            "model is a directory",
            vec!["compile", ".", "-o", "o5.zkc"],
            vec!["directory"],
        ),
        (
            "bits out of range",
            vec!["compile", &mlp, "--bits", "17", "-o", "o6.zkc"],
            vec!["--bits 17"],
        ),
        (
            "weight bits out of range",
            vec!["compile", &mlp, "--weight-bits", "2", "-o", "o7.zkc"],
            vec!["--weight-bits 2"],
        ),
        (
            "calibration not JSON",
            vec![
                "compile",
                &mlp,
                "--calibration",
                "text.onnx",
                "-o",
                "o8.zkc",
            ],
            vec!["text.onnx", "not valid JSON"],
        ),
        (
            "calibration of the wrong size",
            vec![
                "compile",
                &mlp,
                "--calibration",
                "short.json",
                "-o",
                "o9.zkc",
            ],
            vec!["short.json", "64 values"],
        ),
        (
            "inspect missing model",
            vec!["inspect", "missing.onnx"],
            vec!["missing.onnx"],
        ),
        (
            "run: missing artifact",
            vec!["run", "none.zkc", "--input", &input],
            vec!["none.zkc"],
        ),
        (
            "run: artifact is a file",
            vec!["run", "dir.zkc", "--input", &input],
            vec!["dir.zkc"],
        ),
        (
            "run: wrong input length",
            vec!["run", "ok.zkc", "--input", "short.json"],
            vec!["short.json", "2 values"],
        ),
        (
            "run: NaN literal",
            vec!["run", "ok.zkc", "--input", "nan.json"],
            vec!["nan.json", "not valid JSON"],
        ),
        (
            "run: null value",
            vec!["run", "ok.zkc", "--input", "null.json"],
            vec!["null.json", "NaN and infinity"],
        ),
        (
            "run: absurd nesting",
            vec!["run", "ok.zkc", "--input", "deep.json"],
            vec!["deep.json"],
        ),
        (
            "eval: no inputs",
            vec!["eval", "ok.zkc", "--data", "noinputs.json"],
            vec!["noinputs.json", "inputs"],
        ),
        (
            "eval: no labels",
            vec!["eval", "ok.zkc", "--data", "nolabels.json"],
            vec!["nolabels.json"],
        ),
        (
            "experiment: bad bit range",
            vec!["experiment", &mlp, "--data", &data, "--bits", "9..5"],
            vec!["--bits"],
        ),
        (
            "experiment: bits out of range",
            vec!["experiment", &mlp, "--data", &data, "--bits", "2,8"],
            vec!["--bits 2"],
        ),
        (
            "setup: missing artifact",
            vec!["setup", "none.zkc"],
            vec!["none.zkc"],
        ),
        (
            "prove: missing input file",
            vec!["prove", "ok.zkc", "--input", "none.json", "-o", "p1.proof"],
            vec!["none.json"],
        ),
        (
            "prove: wrong input",
            vec!["prove", "ok.zkc", "--input", "short.json", "-o", "p2.proof"],
            vec!["short.json"],
        ),
        (
            "verify: missing proof",
            vec!["verify", "ok.zkc", "none.proof"],
            vec!["none.proof"],
        ),
        (
            "verify: garbage proof",
            vec!["verify", "ok.zkc", "garbage.proof"],
            vec!["garbage.proof", "not a zkc proof file"],
        ),
        (
            "verify: wrong proof version",
            vec!["verify", "ok.zkc", "badproof.json"],
            vec!["badproof.json"],
        ),
        (
            "verify: missing artifact",
            vec!["verify", "none.zkc", "ok.proof"],
            vec!["none.zkc"],
        ),
    ];
    assert!(cases.len() >= 20);
    for (what, args, needles) in &cases {
        let o = f.run(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{what}: succeeded");
        assert!(!err.contains("panicked"), "{what}: panic: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{what}: {err}");
        for n in needles {
            assert!(err.contains(n), "{what}: {err:?} lacks {n:?}");
        }
    }
    for out in [
        "o1.zkc", "o2.zkc", "o3.zkc", "o4.zkc", "o5.zkc", "o6.zkc", "o7.zkc", "o8.zkc", "o9.zkc",
        "p1.proof", "p2.proof",
    ] {
        assert!(!d.join(out).exists(), "{out} was written");
    }
    // Nothing half-written anywhere: no temporary files left.
    for e in std::fs::read_dir(&d).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(!n.contains(".tmp-"), "leftover temporary {n}");
    }
}
