//! Private inputs and outputs end to end (`zkc compile --private
//! input,output`): the proof carries commitments instead of the values,
//! `zkc prove` writes their opening beside it, `zkc verify --opening`
//! checks it, and every mismatch is rejected.

mod common;

use common::ok;

use std::path::{Path, PathBuf};
use std::process::Output;

fn zkc(args: &[&str], cwd: &Path) -> Output {
    common::zkc_in(args, cwd)
}

fn fails(o: &Output, needle: &str) {
    common::fails(o, &[needle]);
}

fn tempdir(tag: &str) -> PathBuf {
    common::tempdir(&format!("private-io-{tag}"))
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn write(path: &Path, v: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// Compiles bundled `name` with `--private PARTS` into `dir` and sets it up.
fn model(d: &Path, name: &str, parts: &str, dir: &str) -> PathBuf {
    let m = common::root().join("models").join(name);
    let mut args = vec![
        "compile".to_string(),
        s(&m.with_extension("onnx")).to_string(),
        "--calibration".into(),
        s(&m.join("calibration.json")).to_string(),
        "-o".into(),
        dir.into(),
    ];
    if !parts.is_empty() {
        args.extend(["--private".to_string(), parts.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(&zkc(&args, d));
    ok(&zkc(&["setup", dir], d));
    m
}

#[test]
fn private_input_and_output_prove_verify_and_open() {
    let d = tempdir("flow");
    let m = model(&d, "digits_mlp", "weights,input,output", "a");
    let input = m.join("input.json");
    let out = ok(&zkc(
        &["prove", "a", "--input", s(&input), "-o", "p.json"],
        &d,
    ));
    assert!(out.contains("opening"), "{out}");
    let proof = json(&d.join("p.json"));
    assert_eq!(
        proof["inputs"],
        serde_json::json!([]),
        "no input values in the proof"
    );
    assert_eq!(
        proof["outputs"],
        serde_json::json!([]),
        "no output values in the proof"
    );
    for key in ["commitment", "input_commitment", "output_commitment"] {
        assert_eq!(proof[key].as_str().map(str::len), Some(64), "{key}");
    }
    let opening = json(&d.join("p.opening.json"));
    assert_eq!(opening["parts"].as_array().unwrap().len(), 2);
    // the opened input is the quantized input, the opened output what
    // `zkc run` computes
    let run: serde_json::Value =
        serde_json::from_str(&ok(&zkc(&["run", "a", "--input", s(&input), "--json"], &d))).unwrap();
    let opened_out = &opening["parts"][1]["values"];
    let run_q = run["quantized_outputs"][0].clone();
    assert_eq!(
        opening["parts"][1]["q"], run_q,
        "opened output vs zkc run's quantized output"
    );
    // verify from the published bundle, with and without the opening
    ok(&zkc(&["publish", "a", "-o", "bundle"], &d));
    let v = ok(&zkc(&["verify", "bundle", "p.json"], &d));
    assert!(
        v.contains("input committed as") && v.contains("output committed as"),
        "{v}"
    );
    let v: serde_json::Value = serde_json::from_str(&ok(&zkc(
        &[
            "verify",
            "bundle",
            "p.json",
            "--opening",
            "p.opening.json",
            "--json",
        ],
        &d,
    )))
    .unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["opened_output"], *opened_out);
    // two proofs of the same input: fresh salts, different commitments
    ok(&zkc(
        &["prove", "a", "--input", s(&input), "-o", "p2.json"],
        &d,
    ));
    let p2 = json(&d.join("p2.json"));
    assert_ne!(p2["input_commitment"], proof["input_commitment"]);
    assert_ne!(p2["output_commitment"], proof["output_commitment"]);
    // nothing in the bundle reveals the input: its values are not there
    for f in std::fs::read_dir(d.join("bundle")).unwrap() {
        let name = f.unwrap().file_name();
        assert_ne!(name.to_string_lossy(), "p.opening.json");
    }

    // tamperings of the proof's commitments
    for key in ["input_commitment", "output_commitment"] {
        let mut t = proof.clone();
        let c = t[key].as_str().unwrap().to_string();
        let flipped = format!("{}{}", &c[..63], if c.ends_with('0') { "1" } else { "0" });
        t[key] = flipped.into();
        write(&d.join("t.json"), &t);
        fails(&zkc(&["verify", "bundle", "t.json"], &d), "does not verify");
        // the other proof's commitment
        t[key] = p2[key].clone();
        write(&d.join("t.json"), &t);
        fails(&zkc(&["verify", "bundle", "t.json"], &d), "does not verify");
        // no commitment at all
        t.as_object_mut().unwrap().remove(key);
        write(&d.join("t.json"), &t);
        fails(&zkc(&["verify", "bundle", "t.json"], &d), "carries no");
    }
    // a proof claiming public outputs for a private-output model
    let mut t = proof.clone();
    let (q, field, values) = (vec![0; 10], vec!["00"; 10], vec![0.0; 10]);
    t["outputs"] = serde_json::json!([{"shape": [1, 10], "frac": 8, "q": q, "field": field, "values": values}]);
    write(&d.join("t.json"), &t);
    fails(&zkc(&["verify", "bundle", "t.json"], &d), "public values");

    // tamperings of the opening
    let mut o = opening.clone();
    let q = o["parts"][0]["q"][5].as_i64().unwrap();
    o["parts"][0]["q"][5] = (q + 1).into();
    write(&d.join("o.json"), &o);
    fails(
        &zkc(&["verify", "bundle", "p.json", "--opening", "o.json"], &d),
        "do not open",
    );
    // another proof's opening (another salt)
    fails(
        &zkc(
            &["verify", "bundle", "p.json", "--opening", "p2.opening.json"],
            &d,
        ),
        "do not open",
    );
    // the opening with a part dropped
    let mut o = opening.clone();
    o["parts"].as_array_mut().unwrap().pop();
    write(&d.join("o.json"), &o);
    fails(
        &zkc(&["verify", "bundle", "p.json", "--opening", "o.json"], &d),
        "parts",
    );
    // a float value that is not the quantized one
    let mut o = opening.clone();
    o["parts"][1]["values"][0] = 123.0.into();
    write(&d.join("o.json"), &o);
    fails(
        &zkc(&["verify", "bundle", "p.json", "--opening", "o.json"], &d),
        "not the quantized",
    );
}

#[test]
fn public_and_private_proofs_do_not_pass_for_each_other() {
    let d = tempdir("swap");
    let m = model(&d, "digits_mlp", "input", "priv");
    model(&d, "digits_mlp", "", "pub");
    let input = m.join("input.json");
    ok(&zkc(
        &["prove", "priv", "--input", s(&input), "-o", "a.json"],
        &d,
    ));
    ok(&zkc(
        &["prove", "pub", "--input", s(&input), "-o", "b.json"],
        &d,
    ));
    assert!(
        !d.join("b.opening.json").exists(),
        "a public proof has no opening"
    );
    // the verifying keys differ, and the public values do not fit either way
    fails(&zkc(&["verify", "pub", "a.json"], &d), "another model");
    fails(&zkc(&["verify", "priv", "b.json"], &d), "another model");
    // the private proof's commitment grafted on a public proof
    let mut b = json(&d.join("b.json"));
    b["input_commitment"] = json(&d.join("a.json"))["input_commitment"].clone();
    write(&d.join("c.json"), &b);
    fails(&zkc(&["verify", "pub", "c.json"], &d), "public");
    // nothing to open in a public model's proof
    fails(
        &zkc(
            &["verify", "pub", "b.json", "--opening", "a.opening.json"],
            &d,
        ),
        "nothing to open",
    );
    // a dataset statement needs public inputs
    fails(
        &zkc(&["setup", "priv", "--dataset"], &d),
        "needs public inputs",
    );
}
