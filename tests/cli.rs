//! The `zkc` binary end to end: success paths and bad input. Every bad input
//! must give a one-line error on stderr, a non-zero exit, no panic, and
//! leave nothing in the output directory.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn zkc(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkc"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run zkc")
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zkc-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Asserts a clean failure: non-zero exit, one line on stderr containing
/// every `needle`, no panic, and no output directory.
fn assert_fails(out: &Output, needles: &[&str], dir: &Path) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert!(!err.contains("panicked"), "panic: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "expected one line, got: {err}"
    );
    for n in needles {
        assert!(err.contains(n), "stderr {err:?} does not mention {n:?}");
    }
    assert!(!dir.exists(), "{} was written", dir.display());
}

fn write_model(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn compile_writes_artifact_and_report() {
    let d = tempdir("ok");
    let model = common::root().join("models/digits_cnn.onnx");
    let out = zkc(&["compile", model.to_str().unwrap(), "--json"], &d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ops"]["conv"], 2);
    assert!(report["macs"].as_u64().unwrap() > 10_000);
    let art = d.join("digits_cnn.zkc");
    for f in ["manifest.json", "report.json", "float.ir"] {
        assert!(art.join(f).is_file(), "{f} missing");
    }
    // The artifact's IR parses back to a valid graph.
    let text = std::fs::read_to_string(art.join("float.ir")).unwrap();
    let g = zkc_ir::parse_graph(&text).unwrap();
    zkc_ir::validate_final(&g, zkc_ir::Stage::Float).unwrap();
    // Recompiling over an existing artifact replaces it.
    let again = zkc(&["compile", model.to_str().unwrap()], &d);
    assert!(again.status.success());
}

#[test]
fn inspect_prints_every_pass() {
    let d = tempdir("inspect");
    let model = common::root().join("models/digits_resnet.onnx");
    let out = zkc(&["inspect", model.to_str().unwrap()], &d);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for p in [
        "import",
        "fold_constants",
        "fold_batch_norm",
        "fuse_activations",
    ] {
        assert!(text.contains(&format!("// after {p}")), "missing {p}");
    }
    assert!(text.contains("batch_norm"), "import shows BatchNorm");
    let bad = zkc(&["inspect", model.to_str().unwrap(), "--pass", "nope"], &d);
    assert_fails(&bad, &["no pass named nope"], &d.join("nothing"));
}

#[test]
fn missing_file() {
    let d = tempdir("missing");
    let out = zkc(&["compile", "does_not_exist.onnx", "-o", "out.zkc"], &d);
    assert_fails(
        &out,
        &["does_not_exist.onnx", "cannot read"],
        &d.join("out.zkc"),
    );
}

#[test]
fn truncated_onnx() {
    let d = tempdir("trunc");
    let good = std::fs::read(common::root().join("models/digits_mlp.onnx")).unwrap();
    let m = write_model(&d, "trunc.onnx", &good[..good.len() / 2]);
    let out = zkc(&["compile", m.to_str().unwrap(), "-o", "out.zkc"], &d);
    assert_fails(
        &out,
        &["trunc.onnx", "not a valid ONNX model"],
        &d.join("out.zkc"),
    );
}

#[test]
fn random_bytes_and_empty_file() {
    let d = tempdir("random");
    let bytes: Vec<u8> = common::random_vec(4096, 7)
        .iter()
        .map(|x| (x * 127.0) as i8 as u8)
        .collect();
    let m = write_model(&d, "random.onnx", &bytes);
    let out = zkc(&["compile", m.to_str().unwrap(), "-o", "out.zkc"], &d);
    assert_fails(&out, &["random.onnx"], &d.join("out.zkc"));
    let e = write_model(&d, "empty.onnx", b"");
    let out = zkc(&["compile", e.to_str().unwrap(), "-o", "out.zkc"], &d);
    assert_fails(&out, &["empty.onnx", "empty"], &d.join("out.zkc"));
}

/// Writes `bytes` as `file` in a fresh directory, compiles it, and asserts
/// a clean refusal whose one line holds every `needle`.
fn refused(tag: &str, file: &str, bytes: &[u8], needles: &[&str]) {
    let d = tempdir(tag);
    let m = write_model(&d, file, bytes);
    let out = zkc(&["compile", m.to_str().unwrap(), "-o", "out.zkc"], &d);
    assert_fails(&out, needles, &d.join("out.zkc"));
}

#[test]
fn unsupported_op() {
    let bytes = common::pb::model(&[("Sqrt", &["x"], "y")], &[("x", Some(&[0, 4]))], &[], "y");
    refused(
        "unsup",
        "sqrt.onnx",
        &bytes,
        &[
            "unsupported ONNX op Sqrt",
            "node_y",
            "sqrt.onnx",
            "table of the function",
            "Softmax",
        ],
    );
}

#[test]
fn div_by_non_constant() {
    let bytes = common::pb::model(
        &[("Div", &["x", "z"], "y")],
        &[("x", Some(&[0, 4])), ("z", Some(&[0, 4]))],
        &[],
        "y",
    );
    refused(
        "div",
        "div.onnx",
        &bytes,
        &["unsupported ONNX op Div", "non-constant", "div.onnx"],
    );
}

#[test]
fn two_inputs_of_unknown_shape() {
    let bytes = common::pb::model(
        &[("Add", &["a", "b"], "y")],
        &[("a", None), ("b", None)],
        &[],
        "y",
    );
    refused(
        "unknown",
        "unknown.onnx",
        &bytes,
        &["unknown.onnx", "input a", "unknown shape"],
    );
}

#[test]
fn output_dir_that_is_not_an_artifact_is_refused() {
    let d = tempdir("notart");
    std::fs::create_dir_all(d.join("precious")).unwrap();
    std::fs::write(d.join("precious/keep.txt"), b"data").unwrap();
    let model = common::root().join("models/digits_mlp.onnx");
    let out = zkc(&["compile", model.to_str().unwrap(), "-o", "precious"], &d);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a zkc artifact"));
    assert_eq!(std::fs::read(d.join("precious/keep.txt")).unwrap(), b"data");
}

#[test]
fn help_and_version() {
    let d = tempdir("help");
    for args in [
        &["--help"][..],
        &["--version"],
        &["compile", "--help"],
        &["inspect", "--help"],
    ] {
        let out = zkc(args, &d);
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty());
    }
}

/// Compiles digits_mlp into `d/mlp.zkc` (with its calibration set).
fn compiled_mlp(d: &Path) -> PathBuf {
    let m = common::root().join("models/digits_mlp");
    let out = zkc(
        &[
            "compile",
            m.with_extension("onnx").to_str().unwrap(),
            "--calibration",
            m.join("calibration.json").to_str().unwrap(),
            "-o",
            "mlp.zkc",
        ],
        d,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    d.join("mlp.zkc")
}

#[test]
fn run_eval_and_experiment() {
    let d = tempdir("runeval");
    let art = compiled_mlp(&d);
    let m = common::root().join("models/digits_mlp");
    let input = m.join("input.json");
    let out = zkc(
        &[
            "run",
            art.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--json",
        ],
        &d,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["outputs"][0].as_array().unwrap().len(), 10);
    assert!(v["max_abs_error"].as_f64().unwrap() < 1.0);
    let data = m.join("data.json");
    let out = zkc(
        &[
            "eval",
            art.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--json",
        ],
        &d,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in [
        "samples",
        "float_accuracy",
        "quantized_accuracy",
        "agreement",
    ] {
        assert!(v.get(k).is_some(), "eval --json lacks {k}: {v}");
    }
    assert_eq!(v["samples"], 360);
    let onnx = m.with_extension("onnx");
    let out = zkc(
        &[
            "experiment",
            onnx.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--bits",
            "6,8",
            "-o",
            "exp",
        ],
        &d,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(d.join("exp/experiment.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(std::fs::read_to_string(d.join("exp/accuracy.svg"))
        .unwrap()
        .contains("<polyline"));
    assert!(std::fs::read_to_string(d.join("exp/layers.csv"))
        .unwrap()
        .contains("/fc1/Gemm"));
}

/// Runs `zkc run` or `zkc eval` on a file with `contents` and expects a clean
/// failure mentioning `needles`.
fn bad_data(cmd: &str, flag: &str, contents: &str, needles: &[&str]) {
    let d = tempdir(&format!(
        "bad-{cmd}-{}",
        needles[0].len() * 31 + contents.len()
    ));
    let art = compiled_mlp(&d);
    std::fs::write(d.join("bad.json"), contents).unwrap();
    let out = zkc(&[cmd, art.to_str().unwrap(), flag, "bad.json"], &d);
    assert_fails(&out, needles, &d.join("nothing"));
}

#[test]
fn bad_inputs_for_run() {
    bad_data(
        "run",
        "--input",
        r#"{"input_data": [[1, 2, 3]]}"#,
        &["bad.json", "64 values", "3 values"],
    );
    bad_data(
        "run",
        "--input",
        r#"{"input_data": [[null]]}"#,
        &["bad.json", "NaN"],
    );
    bad_data(
        "run",
        "--input",
        r#"{"input_data": [[1e999]]}"#,
        &["bad.json"],
    );
    bad_data(
        "run",
        "--input",
        "not json at all",
        &["bad.json", "not valid JSON"],
    );
    bad_data(
        "run",
        "--input",
        r#"{"inputs": [[1]]}"#,
        &["bad.json", "input_data"],
    );
    bad_data(
        "run",
        "--input",
        r#"{"input_data": [["a"]]}"#,
        &["bad.json", "string"],
    );
}

#[test]
fn bad_data_for_eval() {
    let row: Vec<String> = (0..64).map(|i| (i % 3).to_string()).collect();
    let row = format!("[{}]", row.join(","));
    bad_data(
        "eval",
        "--data",
        &format!(r#"{{"inputs": [{row}, [1,2]], "labels": [1, 2]}}"#),
        &["bad.json", "sample 1"],
    );
    bad_data(
        "eval",
        "--data",
        &format!(r#"{{"inputs": [{row}]}}"#),
        &["bad.json", "labels"],
    );
    bad_data(
        "eval",
        "--data",
        &format!(r#"{{"inputs": [{row}], "labels": [1, 2]}}"#),
        &["bad.json", "more labels than the 1 samples"],
    );
}

#[test]
fn bad_artifacts_and_options() {
    let d = tempdir("badart");
    let input = common::root().join("models/digits_mlp/input.json");
    let out = zkc(
        &["run", "missing.zkc", "--input", input.to_str().unwrap()],
        &d,
    );
    assert_fails(&out, &["missing.zkc", "zkc compile"], &d.join("nothing"));
    let art = compiled_mlp(&d);
    std::fs::write(art.join("quantized.ir"), "graph x {\n  %0 = garbage\n}\n").unwrap();
    let out = zkc(
        &[
            "run",
            art.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
        ],
        &d,
    );
    assert_fails(&out, &["quantized.ir", "recompile"], &d.join("nothing"));
    let model = common::root().join("models/digits_mlp.onnx");
    let out = zkc(
        &[
            "compile",
            model.to_str().unwrap(),
            "--bits",
            "3",
            "-o",
            "b3.zkc",
        ],
        &d,
    );
    assert_fails(&out, &["--bits 3"], &d.join("b3.zkc"));
    let out = zkc(
        &[
            "compile",
            model.to_str().unwrap(),
            "--calibration",
            "nope.json",
            "-o",
            "c.zkc",
        ],
        &d,
    );
    assert_fails(&out, &["nope.json"], &d.join("c.zkc"));
}

/// Training-mode Dropout and BatchNormalization are refused with zkc's own
/// message naming the node and the fix; inference Dropout (training_mode
/// false, or absent) is the identity.
#[test]
fn training_mode_is_refused() {
    use common::pb::{model, model_with_attrs, tensor};
    let d = tempdir("training");
    let bool_t = |name: &str, v: u8| tensor(name, &[], 9, &[v], None); // BOOL
    let f32_t = |name: &str, v: &[f32]| {
        let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
        tensor(name, &[v.len() as i64], 1, &raw, None)
    };
    let ratio = f32_t("ratio", &[0.5]);
    type Case<'a> = (&'a str, Vec<u8>, Option<&'a [&'a str]>);
    let cases: Vec<Case> = vec![
        (
            "dropout_train.onnx",
            model(
                &[("Dropout", &["x", "ratio", "train"], "y")],
                &[("x", Some(&[1, 4]))],
                &[ratio.clone(), bool_t("train", 1)],
                "y",
            ),
            Some(&["Dropout", "node_y", "training mode", "model.eval()"]),
        ),
        (
            "dropout_eval.onnx",
            model(
                &[("Dropout", &["x", "ratio", "train"], "y")],
                &[("x", Some(&[1, 4]))],
                &[ratio.clone(), bool_t("train", 0)],
                "y",
            ),
            None,
        ),
        (
            "dropout_plain.onnx",
            model(
                &[("Dropout", &["x"], "y")],
                &[("x", Some(&[1, 4]))],
                &[],
                "y",
            ),
            None,
        ),
        (
            "bn_train.onnx",
            model_with_attrs(
                &[(
                    "BatchNormalization",
                    &["x", "s", "b", "m", "v"],
                    "y",
                    &[("training_mode", 1)],
                )],
                &[("x", Some(&[1, 2, 3, 3]))],
                &[
                    f32_t("s", &[1.0, 1.0]),
                    f32_t("b", &[0.0, 0.0]),
                    f32_t("m", &[0.0, 0.0]),
                    f32_t("v", &[1.0, 1.0]),
                ],
                "y",
            ),
            Some(&[
                "BatchNormalization",
                "node_y",
                "training_mode=1",
                "model.eval()",
            ]),
        ),
    ];
    for (file, bytes, refusal) in cases {
        let m = write_model(&d, file, &bytes);
        let out_dir = d.join(format!("{file}.zkc"));
        let out = zkc(
            &[
                "compile",
                m.to_str().unwrap(),
                "-o",
                out_dir.to_str().unwrap(),
            ],
            &d,
        );
        match refusal {
            Some(needles) => assert_fails(&out, needles, &out_dir),
            None => assert!(
                out.status.success(),
                "{file}: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
}

/// With `--json`, a failed command prints one JSON object on stdout
/// (`ok: false` and the same one-line error as stderr), for every command
/// that takes `--json`, and for a usage error under `--json`.
#[test]
fn json_failures_are_json_on_stdout() {
    let d = tempdir("jsonfail");
    let missing = d.join("missing");
    let m = missing.to_str().unwrap();
    for args in [
        vec!["compile", m, "--json"],
        vec!["run", m, "--input", m, "--json"],
        vec!["eval", m, "--data", m, "--json"],
        vec!["setup", m, "--json"],
        vec!["prove", m, "--input", m, "-o", m, "--json"],
        vec!["prove", m, "--json"], // a usage error (no --input)
        vec!["verify", m, m, "--json"],
        vec!["experiment", m, "--data", m, "--json"],
    ] {
        let out = zkc(&args, &d);
        assert!(!out.status.success(), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stdout.lines().count(), 1, "{args:?}: {stdout}");
        let v: serde_json::Value = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {stdout}"));
        assert_eq!(v["ok"], false, "{args:?}");
        let err = v["error"].as_str().unwrap_or_default();
        assert!(
            !err.is_empty() && stderr.contains(err),
            "{args:?}: {err} / {stderr}"
        );
    }
}

/// A reduction over a non-spatial axis (here the channels of `[1, 2, 3]`)
/// compiles, and its float and quantized outputs are the sums (it used to be
/// refused: only spatial reductions were lowered).
#[test]
fn reductions_over_any_axes() {
    use common::pb::{i64s, model, tensor, INT64};
    let d = tempdir("reduce");
    let axes = tensor("axes", &[1], INT64, &i64s(&[1]), None);
    let bytes = model(
        &[("ReduceSum", &["x", "axes"], "y")],
        &[("x", Some(&[1, 2, 3]))],
        &[axes],
        "y",
    );
    let m = write_model(&d, "reduce.onnx", &bytes);
    let input = d.join("input.json");
    std::fs::write(
        &input,
        r#"{"input_data": [[0.5, -0.25, 1.0, 0.25, 0.5, -0.75]]}"#,
    )
    .unwrap();
    let v = compile_and_run(&d, &m, &input);
    let want = [0.75, 0.25, 0.25];
    for key in ["float_outputs", "outputs"] {
        let got = first_output(&v, key);
        assert_eq!(got.len(), 3, "{key}: {got:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 0.02, "{key}: {got:?} is not {want:?}");
        }
    }
}

/// External tensor data (`model.onnx.data` beside the model, as PyTorch's
/// default exporter writes it) is read from the model's own directory and
/// gives the same program as inline data; a location outside that
/// directory (`..`, absolute, a symbolic link leading out), a missing
/// file, or a length that does not match the tensor is refused with one
/// line naming the initializer.
#[test]
fn external_data_beside_the_model() {
    use common::pb::{model, tensor, FLOAT};
    let d = tempdir("external");
    let w: Vec<u8> = [0.5f32, -0.25, 0.75, 1.0]
        .iter()
        .flat_map(|x| x.to_le_bytes())
        .collect();
    std::fs::write(d.join("m.onnx.data"), &w).unwrap();
    std::fs::write(d.join("outside.data"), &w).unwrap();
    std::fs::create_dir_all(d.join("sub")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(d.join("outside.data"), d.join("sub/link.data")).unwrap();
    let build = |loc: Option<(&str, u64)>| {
        let t = tensor("w", &[4], FLOAT, if loc.is_some() { &[] } else { &w }, loc);
        model(
            &[("Add", &["x", "w"], "y")],
            &[("x", Some(&[4]))],
            &[t],
            "y",
        )
    };
    let compile = |dir: &Path, file: &str, bytes: Vec<u8>| {
        let m = write_model(dir, file, &bytes);
        let out_dir = d.join(format!("{file}.zkc"));
        (
            zkc(
                &[
                    "compile",
                    m.to_str().unwrap(),
                    "-o",
                    out_dir.to_str().unwrap(),
                ],
                dir,
            ),
            out_dir,
        )
    };
    let (inline, inline_dir) = compile(&d, "inline.onnx", build(None));
    let (external, external_dir) = compile(&d, "m.onnx", build(Some(("m.onnx.data", 16))));
    for o in [&inline, &external] {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let ir = |dir: &Path| std::fs::read_to_string(dir.join("quantized.ir")).unwrap();
    assert_eq!(
        ir(&inline_dir).replace("inline", "m"),
        ir(&external_dir),
        "external data gives another program"
    );
    // the model in sub/, reading ../outside.data or a link leading out
    let sub = d.join("sub");
    let outside = d.join("outside.data");
    let mut hostile = vec![
        ("up.onnx", "../outside.data", 16, "relative path inside"),
        (
            "abs.onnx",
            outside.to_str().unwrap(),
            16,
            "relative path inside",
        ),
        ("missing.onnx", "nothing.data", 16, "nothing.data"),
    ];
    if cfg!(unix) {
        hostile.push((
            "link.onnx",
            "link.data",
            16,
            "outside the model's directory",
        ));
    }
    for (file, loc, len, needle) in hostile {
        let (out, out_dir) = compile(&sub, file, build(Some((loc, len))));
        assert_fails(&out, &["initializer w", needle, file], &out_dir);
    }
    let (out, out_dir) = compile(&d, "short.onnx", build(Some(("m.onnx.data", 12))));
    assert_fails(&out, &["initializer w", "does not match"], &out_dir);
    std::fs::write(d.join("half.data"), &w[..8]).unwrap();
    let (out, out_dir) = compile(&d, "half.onnx", build(Some(("half.data", 16))));
    assert_fails(&out, &["initializer w", "past the end"], &out_dir);
}

/// A cast to bfloat16 is refused with a one-line reason (tract has no
/// bfloat16 type); float16 casts round (tests/functions.rs).
#[test]
fn cast_to_bfloat16_is_refused() {
    let bytes = common::pb::model_with_attrs(
        &[("Cast", &["x"], "y", &[("to", 16)])],
        &[("x", Some(&[1, 4]))],
        &[],
        "y",
    );
    refused("cast16", "cast16.onnx", &bytes, &["Cast", "Bfloat16"]);
}

/// `zkc compile MODEL --calibration INPUT` into `d`, then `zkc run --json`
/// on the same input: the run's JSON (both commands must succeed).
fn compile_and_run(d: &Path, m: &Path, input: &Path) -> serde_json::Value {
    let art = d.join("model.zkc");
    let (m, art_s, input_s) = (
        m.to_str().unwrap(),
        art.to_str().unwrap(),
        input.to_str().unwrap(),
    );
    let out = zkc(&["compile", m, "-o", art_s, "--calibration", input_s], d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = zkc(&["run", art_s, "--input", input_s, "--json"], d);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Output 0 under `key` (`outputs` or `float_outputs`) of a `zkc run --json`.
fn first_output(v: &serde_json::Value, key: &str) -> Vec<f64> {
    v[key][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// GatherND with constant indices, as ONNX defines it: with `batch_dims = 1`
/// each batch takes its own index tuples (the spec's example: data
/// `[[[0,1],[2,3]],[[4,5],[6,7]]]`, indices `[[1],[0]]` give
/// `[[2,3],[4,5]]`), and a negative index counts from the end (`[[-1],[-2]]`
/// gives the same); float and quantized outputs both.
#[test]
fn gather_nd_with_constant_indices() {
    use common::pb::{i64s, model_with_attrs, tensor, INT64};
    for (tag, idx) in [("pos", [1i64, 0]), ("neg", [-1, -2])] {
        let d = tempdir(&format!("gathernd-{tag}"));
        let indices = tensor("idx", &[2, 1], INT64, &i64s(&idx), None);
        let bytes = model_with_attrs(
            &[("GatherND", &["x", "idx"], "y", &[("batch_dims", 1)])],
            &[("x", Some(&[2, 2, 2]))],
            &[indices],
            "y",
        );
        let m = write_model(&d, "gnd.onnx", &bytes);
        let input = d.join("input.json");
        std::fs::write(
            &input,
            r#"{"input_data": [[0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875]]}"#,
        )
        .unwrap();
        let v = compile_and_run(&d, &m, &input);
        let want = [0.25, 0.375, 0.5, 0.625];
        for key in ["float_outputs", "outputs"] {
            let got = first_output(&v, key);
            assert_eq!(got, want, "{tag} {key}");
        }
    }
}
