//! Private weights end to end (`zkc compile --private weights`, `zkc
//! publish`, `zkc verify BUNDLE`): the bundle holds no weight and no salt,
//! verifies proofs alone, depends on the weights only through
//! `commitment.json`, and every mismatch is rejected.

mod common;

use common::ok;

use std::path::{Path, PathBuf};
use std::process::Output;

use zkc_ir::{print_graph_full, Graph, Op};

fn zkc(args: &[&str], cwd: &Path) -> Output {
    common::zkc_in(args, cwd)
}

/// A clean failure naming `needle` ([`common::fails`]).
fn fails(o: &Output, needle: &str) {
    common::fails(o, &[needle]);
}

fn tempdir(tag: &str) -> PathBuf {
    common::tempdir(&format!("private-{tag}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Compiles the bundled model at `m` (`models/<name>`, calibrated on its
/// own data) into `out`, with private weights when `private`.
fn compile(d: &Path, m: &Path, out: &str, private: bool) {
    let onnx = m.with_extension("onnx");
    let cal = m.join("calibration.json");
    let mut args = vec!["compile", s(&onnx), "--calibration", s(&cal), "-o", out];
    if private {
        args.extend(["--private", "weights"]);
    }
    ok(&zkc(&args, d));
}

/// Compiles bundled model `name` with private weights and sets it up.
fn private_model(d: &Path, name: &str, dir: &str) -> PathBuf {
    let m = common::root().join("models").join(name);
    let onnx = m.with_extension("onnx");
    let cal = m.join("calibration.json");
    let out = ok(&zkc(
        &[
            "compile",
            s(&onnx),
            "--calibration",
            s(&cal),
            "--private",
            "weights",
            "-o",
            dir,
            "--json",
        ],
        d,
    ));
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        r["commitment"].as_str().is_some_and(|c| c.len() == 64),
        "{r}"
    );
    assert!(r["circuit_shape"].as_str().unwrap().contains("commit"));
    ok(&zkc(&["setup", dir], d));
    d.join(dir)
}

/// The private values of an artifact's quantized graph, per node.
fn private_values(art: &Path) -> Vec<Vec<i64>> {
    let g = load(art);
    g.ids()
        .into_iter()
        .filter_map(|id| match g.op(id) {
            Op::Private(p) => Some(p.values.as_ref().unwrap().as_i64().unwrap().to_vec()),
            _ => None,
        })
        .collect()
}

fn load(dir: &Path) -> Graph {
    zkc_ir::parse_graph(&std::fs::read_to_string(dir.join("quantized.ir")).unwrap()).unwrap()
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().to_string(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn bundle_verifies_alone_and_holds_no_secret() {
    let d = tempdir("flow");
    let art = private_model(&d, "digits_cnn", "cnn.zkc");
    for f in ["secret.json", "commitment.json", "vk.bin", "setup.json"] {
        assert!(art.join(f).is_file(), "{f}");
    }
    let bundle = d.join("bundle");
    ok(&zkc(&["publish", s(&art), "-o", s(&bundle)], &d));
    let names: Vec<String> = files(&bundle).into_iter().map(|(n, _)| n).collect();
    let want = [
        "commitment.json",
        "manifest.json",
        "quantized.ir",
        "setup.json",
        "statement-vk.bin",
        "statement.json",
        "vk.bin",
    ];
    assert_eq!(names, want);
    // no weight value: every private node is hidden, and no run of eight
    // consecutive weights of any tensor appears in any bundle file
    let ir = std::fs::read_to_string(bundle.join("quantized.ir")).unwrap();
    let privates = ir.lines().filter(|l| l.contains("= private ")).count();
    assert!(privates >= 4, "{ir}");
    assert_eq!(ir.matches("= private hidden ").count(), privates);
    let all: Vec<String> = files(&bundle)
        .into_iter()
        .map(|(_, b)| String::from_utf8_lossy(&b).to_string())
        .collect();
    for v in private_values(&art) {
        for w in v.windows(8).step_by(7) {
            let needle = w
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(",");
            assert!(
                !all.iter().any(|t| t.contains(&needle)),
                "weights {needle} in the bundle"
            );
        }
    }
    // no salt
    let secret: serde_json::Value =
        serde_json::from_slice(&std::fs::read(art.join("secret.json")).unwrap()).unwrap();
    let salt = secret["salt"]
        .as_str()
        .unwrap()
        .trim_start_matches('0')
        .to_string();
    assert!(salt.len() > 40);
    assert!(!all.iter().any(|t| t.contains(&salt)));

    // prove from the artifact, verify from the bundle (and the artifact)
    let input = common::root().join("models/digits_cnn/input.json");
    ok(&zkc(
        &["prove", s(&art), "--input", s(&input), "-o", "p.json"],
        &d,
    ));
    let v: serde_json::Value =
        serde_json::from_str(&ok(&zkc(&["verify", s(&bundle), "p.json", "--json"], &d))).unwrap();
    assert_eq!(v["valid"], true);
    let c: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("commitment.json")).unwrap()).unwrap();
    assert_eq!(v["commitment"], c["commitment"]);
    ok(&zkc(&["verify", s(&art), "p.json"], &d));
    ok(&zkc(
        &["verify", s(&bundle), "p.json", "--recompute-key"],
        &d,
    ));
    // a bundle cannot prove
    fails(
        &zkc(
            &["prove", s(&bundle), "--input", s(&input), "-o", "q.json"],
            &d,
        ),
        "float.ir",
    );

    // the proof's claimed commitment changed
    let proof: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("p.json")).unwrap()).unwrap();
    let mut forged = proof.clone();
    let other = format!("{:0>64}", "1");
    forged["commitment"] = other.clone().into();
    std::fs::write(d.join("f.json"), serde_json::to_vec(&forged).unwrap()).unwrap();
    fails(&zkc(&["verify", s(&bundle), "f.json"], &d), "commitment");
    // the bundle's commitment replaced (another model's), proof consistent
    let b2 = d.join("bundle2");
    ok(&zkc(&["publish", s(&art), "-o", s(&b2)], &d));
    let mut c2 = c.clone();
    c2["commitment"] = other.clone().into();
    std::fs::write(b2.join("commitment.json"), serde_json::to_vec(&c2).unwrap()).unwrap();
    std::fs::write(d.join("f2.json"), serde_json::to_vec(&forged).unwrap()).unwrap();
    fails(&zkc(&["verify", s(&b2), "f2.json"], &d), "does not verify");
    // the proof without its commitment
    let mut bare = proof.clone();
    bare.as_object_mut().unwrap().remove("commitment");
    std::fs::write(d.join("f3.json"), serde_json::to_vec(&bare).unwrap()).unwrap();
    fails(&zkc(&["verify", s(&bundle), "f3.json"], &d), "commitment");
}

#[test]
fn a_public_proof_is_not_a_private_one_and_back() {
    let d = tempdir("mix");
    let art = private_model(&d, "digits_mlp", "priv.zkc");
    let m = common::root().join("models/digits_mlp");
    compile(&d, &m, "pub.zkc", false);
    ok(&zkc(&["setup", "pub.zkc"], &d));
    let input = m.join("input.json");
    ok(&zkc(
        &["prove", "pub.zkc", "--input", s(&input), "-o", "pub.json"],
        &d,
    ));
    ok(&zkc(
        &["prove", s(&art), "--input", s(&input), "-o", "priv.json"],
        &d,
    ));
    // a public-weights proof presented as private, and the reverse
    fails(&zkc(&["verify", s(&art), "pub.json"], &d), "another model");
    fails(
        &zkc(&["verify", "pub.zkc", "priv.json"], &d),
        "another model",
    );
    // a public proof with a commitment grafted on is refused by the public model
    let mut p: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("pub.json")).unwrap()).unwrap();
    p["commitment"] = format!("{:0>64}", "2").into();
    std::fs::write(d.join("g.json"), serde_json::to_vec(&p).unwrap()).unwrap();
    fails(
        &zkc(&["verify", "pub.zkc", "g.json"], &d),
        "no private parts",
    );
}

/// Another model of the same architecture and scales: the artifact's
/// private weights changed (within their range), recommitted.
fn with_other_weights(src: &Path, dst: &Path) {
    let a = zkc::model::Model::load(src).unwrap();
    let mut g = a.quant.clone();
    for id in g.ids() {
        if let Op::Private(p) = &mut g.node_mut(id).op {
            let t = p.values.as_mut().unwrap();
            let mut v = t.as_i64().unwrap().to_vec();
            for (i, x) in v.iter_mut().enumerate() {
                if i % 3 == 0 {
                    *x = (-*x).clamp(p.lo, p.hi);
                }
            }
            *t = zkc_ir::Tensor::i64(t.shape().to_vec(), v).unwrap();
        }
    }
    std::fs::create_dir_all(dst).unwrap();
    for f in ["manifest.json", "float.ir", "report.json"] {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
    std::fs::write(dst.join("quantized.ir"), print_graph_full(&g).unwrap()).unwrap();
    let info = &a.manifest.quantization.private;
    let (secret, c) = zkc::commitment::new_files(&g, info).unwrap();
    std::fs::write(
        dst.join("secret.json"),
        zkc::compile::json_bytes(&secret).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dst.join("commitment.json"),
        zkc::compile::json_bytes(&c).unwrap(),
    )
    .unwrap();
}

#[test]
fn bundles_of_same_shape_differ_only_in_the_commitment() {
    let d = tempdir("same");
    let a = private_model(&d, "digits_mlp", "a.zkc");
    let b = d.join("b.zkc");
    with_other_weights(&a, &b);
    assert_ne!(private_values(&a), private_values(&b));
    ok(&zkc(&["setup", "b.zkc"], &d));
    ok(&zkc(&["publish", "a.zkc", "-o", "ba"], &d));
    ok(&zkc(&["publish", "b.zkc", "-o", "bb"], &d));
    let (fa, fb) = (files(&d.join("ba")), files(&d.join("bb")));
    assert_eq!(fa.len(), fb.len());
    for ((na, ba), (nb, bb)) in fa.iter().zip(&fb) {
        assert_eq!(na, nb);
        if na == "commitment.json" {
            assert_ne!(ba, bb);
        } else {
            assert_eq!(ba, bb, "{na} differs");
        }
    }
    // a proof by the other model is refused against the first's bundle
    let input = common::root().join("models/digits_mlp/input.json");
    ok(&zkc(
        &["prove", "b.zkc", "--input", s(&input), "-o", "pb.json"],
        &d,
    ));
    fails(&zkc(&["verify", "ba", "pb.json"], &d), "commitment");
    ok(&zkc(&["verify", "bb", "pb.json"], &d));
    // and its artifact, its commitment.json swapped for the first's, cannot prove
    std::fs::copy(a.join("commitment.json"), b.join("commitment.json")).unwrap();
    fails(
        &zkc(
            &["prove", "b.zkc", "--input", s(&input), "-o", "pc.json"],
            &d,
        ),
        "commitment.json",
    );
}

#[test]
fn bad_flags_are_refused_cleanly() {
    let d = tempdir("flags");
    let m = common::root().join("models/digits_mlp.onnx");
    fails(
        &zkc(
            &[
                "compile",
                s(&m),
                "--private",
                "weights",
                "--per-channel",
                "-o",
                "x.zkc",
            ],
            &d,
        ),
        "per-channel",
    );
    assert!(!d.join("x.zkc").exists());
    let o = zkc(&["compile", s(&m), "--private", "bogus"], &d);
    assert!(!o.status.success());
    // publishing before setup
    ok(&zkc(
        &["compile", s(&m), "--private", "weights", "-o", "y.zkc"],
        &d,
    ));
    fails(&zkc(&["publish", "y.zkc", "-o", "b"], &d), "zkc setup");
    assert!(!d.join("b").exists());
}

/// The first `n` samples of a bundled model's data.json, written to `dir`.
fn subset(name: &str, n: usize, dir: &Path, file: &str) -> PathBuf {
    let d: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::root().join("models").join(name).join("data.json")).unwrap(),
    )
    .unwrap();
    let take = |k: &str| -> serde_json::Value { d[k].as_array().unwrap()[..n].to_vec().into() };
    let v = serde_json::json!({"inputs": take("inputs"), "labels": take("labels")});
    let p = dir.join(file);
    std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
    p
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).unwrap()
}

#[test]
fn dataset_statement_matches_eval_and_every_tampering_fails() {
    let d = tempdir("data");
    let m = common::root().join("models/digits_mlp");
    compile(&d, &m, "a.zkc", true);
    // small chunks keep the test fast: 20 samples in 3 chunks of 8
    let st = json(&zkc(
        &["setup", "a.zkc", "--samples-per-proof", "8", "--json"],
        &d,
    ));
    assert_eq!(st["statement"]["samples_per_proof"], 8);
    let data = subset("digits_mlp", 20, &d, "data.json");
    let eval = json(&zkc(&["eval", "a.zkc", "--data", s(&data), "--json"], &d));
    let want = (eval["quantized_accuracy"].as_f64().unwrap() * 20.0).round() as u64;
    let p = json(&zkc(
        &[
            "prove",
            "a.zkc",
            "--data",
            s(&data),
            "-o",
            "d.json",
            "--json",
        ],
        &d,
    ));
    assert_eq!(p["correct"], want);
    assert_eq!(p["chunks"], 3);
    ok(&zkc(&["publish", "a.zkc", "-o", "bundle"], &d));
    let v = json(&zkc(
        &["verify", "bundle", "d.json", "--data", s(&data), "--json"],
        &d,
    ));
    assert_eq!(v["valid"], true);
    assert_eq!(v["correct"], want);
    assert_eq!(v["samples"], 20);
    let c: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("bundle/commitment.json")).unwrap()).unwrap();
    assert_eq!(v["commitment"], c["commitment"]);
    assert_eq!(v["dataset_digest"].as_str().unwrap().len(), 64);
    // a single-input proof's verify refuses a dataset proof without --data
    fails(&zkc(&["verify", "bundle", "d.json"], &d), "--data");

    let proof: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("d.json")).unwrap()).unwrap();
    let write = |name: &str, v: &serde_json::Value| {
        std::fs::write(d.join(name), serde_json::to_vec(v).unwrap()).unwrap();
        name.to_string()
    };
    let verify =
        |proof: &str, data: &Path| zkc(&["verify", "bundle", proof, "--data", s(data)], &d);
    // a label changed in the data file: another dataset
    let mut dv: serde_json::Value = serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    let l0 = dv["labels"][0].as_u64().unwrap();
    dv["labels"][0] = ((l0 + 1) % 10).into();
    let changed = d.join("changed.json");
    std::fs::write(&changed, serde_json::to_vec(&dv).unwrap()).unwrap();
    fails(&verify("d.json", &changed), "another dataset");
    // ... even with the proof's digest made to match: the chunk fails
    let mut f = proof.clone();
    let bytes = std::fs::read(&changed).unwrap();
    f["dataset_digest"] = zkc::dataset::dataset_digest(&bytes).into();
    fails(&verify(&write("f1.json", &f), &changed), "does not verify");
    // a sample's input changed, digest matched
    let mut dv: serde_json::Value = serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    let x = &mut dv["inputs"][9];
    let x = if x[0].is_array() { &mut x[0] } else { x };
    x[5] = 16.0.into();
    let changed2 = d.join("changed2.json");
    std::fs::write(&changed2, serde_json::to_vec(&dv).unwrap()).unwrap();
    let mut f = proof.clone();
    f["dataset_digest"] = zkc::dataset::dataset_digest(&std::fs::read(&changed2).unwrap()).into();
    fails(&verify(&write("f2.json", &f), &changed2), "does not verify");
    // the count one off, in a chunk and in the total together
    for delta in [1i64, -1] {
        let mut f = proof.clone();
        let c0 = f["chunks"][0]["correct"].as_i64().unwrap();
        if c0 + delta < 0 || c0 + delta > 8 {
            continue;
        }
        f["chunks"][0]["correct"] = (c0 + delta).into();
        f["correct"] = (f["correct"].as_i64().unwrap() + delta).into();
        fails(&verify(&write("f3.json", &f), &data), "does not verify");
    }
    // only the total changed
    let mut f = proof.clone();
    f["correct"] = (f["correct"].as_i64().unwrap() + 1).into();
    fails(&verify(&write("f4.json", &f), &data), "add up");
    // a chunk dropped, or repeated in another's place
    let mut f = proof.clone();
    f["chunks"].as_array_mut().unwrap().pop();
    fails(&verify(&write("f5.json", &f), &data), "chunk");
    let mut f = proof.clone();
    let first = f["chunks"][0].clone();
    let second = f["chunks"][1].clone();
    f["chunks"][1] = first.clone();
    f["correct"] = (f["correct"].as_i64().unwrap() - second["correct"].as_i64().unwrap()
        + first["correct"].as_i64().unwrap())
    .into();
    fails(&verify(&write("f6.json", &f), &data), "does not verify");
    // the chunks swapped
    let mut f = proof.clone();
    f["chunks"].as_array_mut().unwrap().swap(0, 1);
    let out = verify(&write("f7.json", &f), &data);
    if first != second {
        fails(&out, "chunk");
    }
    // another model's commitment (another salt: recompiled)
    compile(&d, &m, "b.zkc", true);
    ok(&zkc(&["setup", "b.zkc", "--samples-per-proof", "8"], &d));
    ok(&zkc(&["publish", "b.zkc", "-o", "bundle-b"], &d));
    fails(
        &zkc(&["verify", "bundle-b", "d.json", "--data", s(&data)], &d),
        "committed model",
    );
    // and the proof with its commitment replaced by b's
    let cb: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("bundle-b/commitment.json")).unwrap())
            .unwrap();
    let mut f = proof.clone();
    f["commitment"] = cb["commitment"].clone();
    fails(
        &zkc(
            &[
                "verify",
                "bundle-b",
                &write("f8.json", &f),
                "--data",
                s(&data),
            ],
            &d,
        ),
        "does not verify",
    );
}

#[test]
fn regression_statement_matches_eval_and_rejects_a_changed_error() {
    let d = tempdir("sse");
    let m = common::root().join("models/diabetes_linear");
    compile(&d, &m, "r.zkc", true);
    let st = json(&zkc(
        &["setup", "r.zkc", "--samples-per-proof", "32", "--json"],
        &d,
    ));
    assert_eq!(st["statement"]["kind"], "sse");
    let data = m.join("data.json");
    let eval = json(&zkc(&["eval", "r.zkc", "--data", s(&data), "--json"], &d));
    let p = json(&zkc(
        &[
            "prove",
            "r.zkc",
            "--data",
            s(&data),
            "-o",
            "r.json",
            "--json",
        ],
        &d,
    ));
    assert_eq!(p["mse"], eval["statement_mse"]);
    assert_eq!(p["chunks"], 3);
    ok(&zkc(&["publish", "r.zkc", "-o", "rb"], &d));
    let v = json(&zkc(
        &[
            "verify",
            "rb",
            "r.json",
            "--data",
            s(&data),
            "--max-mse",
            "1",
            "--json",
        ],
        &d,
    ));
    assert_eq!(v["valid"], true);
    assert_eq!(v["mse"], eval["statement_mse"]);
    // a stricter cap than the proven error fails (prove and verify)
    fails(
        &zkc(
            &[
                "verify",
                "rb",
                "r.json",
                "--data",
                s(&data),
                "--max-mse",
                "0.01",
            ],
            &d,
        ),
        "above",
    );
    fails(
        &zkc(
            &[
                "prove",
                "r.zkc",
                "--data",
                s(&data),
                "-o",
                "x.json",
                "--max-mse",
                "0.01",
            ],
            &d,
        ),
        "above",
    );
    assert!(!d.join("x.json").exists());
    // the sum of squared errors one off in a chunk (and the total)
    let proof: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("r.json")).unwrap()).unwrap();
    let mut f = proof.clone();
    let c0: u128 = f["chunks"][0]["sum_squared_error_q"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let all: u128 = f["sum_squared_error_q"].as_str().unwrap().parse().unwrap();
    f["chunks"][0]["sum_squared_error_q"] = (c0 - 1).to_string().into();
    f["sum_squared_error_q"] = (all - 1).to_string().into();
    std::fs::write(d.join("f.json"), serde_json::to_vec(&f).unwrap()).unwrap();
    fails(
        &zkc(&["verify", "rb", "f.json", "--data", s(&data)], &d),
        "does not verify",
    );
    // a target changed (digest made to match)
    let mut dv: serde_json::Value = serde_json::from_slice(&std::fs::read(&data).unwrap()).unwrap();
    let t0 = dv["labels"][0].as_f64().unwrap();
    dv["labels"][0] = (t0 + 0.5).into();
    let changed = d.join("changed.json");
    std::fs::write(&changed, serde_json::to_vec(&dv).unwrap()).unwrap();
    let mut f = proof.clone();
    f["dataset_digest"] = zkc::dataset::dataset_digest(&std::fs::read(&changed).unwrap()).into();
    std::fs::write(d.join("g.json"), serde_json::to_vec(&f).unwrap()).unwrap();
    fails(
        &zkc(&["verify", "rb", "g.json", "--data", s(&changed)], &d),
        "does not verify",
    );
}
