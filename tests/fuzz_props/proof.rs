//! Proof files and the artifact's other files through `zkc::proving`.

use super::*;
use crate::ir::{ir_mut, mutate_ir, IrMut};
use crate::json::{apply_json, json_op, mutate_json, zeros_list, JsonOp, TEN_MILLION};

// ---------------------------------------------------------------------------
// Proof files and the artifact's other files.

#[derive(Clone, Debug)]
enum ProofMut {
    Json(Vec<(Index, JsonOp)>),
    Bytes(Vec<ByteMut>),
    /// Changes public value `.1` (of the inputs or, `.0`, outputs) by `.2`
    /// and rewrites its field and float forms to match: only the proof
    /// itself can then reject it.
    Consistent(bool, Index, i64),
    /// Flips a bit of the proof bytes (re-encoded as valid hex).
    ProofBit(Index, u8),
}

fn proof_mut() -> impl Strategy<Value = ProofMut> {
    prop_oneof![
        6 => vec((any::<Index>(), json_op()), 1..4).prop_map(ProofMut::Json),
        2 => vec(byte_mut(), 1..4).prop_map(ProofMut::Bytes),
        1 => (any::<bool>(), any::<Index>(), prop_oneof![Just(1i64), Just(-1), any::<i8>().prop_map(i64::from)])
            .prop_map(|(o, i, d)| ProofMut::Consistent(o, i, d)),
        1 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| ProofMut::ProofBit(i, b)),
    ]
}

fn proof_bytes(m: &ProofMut) -> Vec<u8> {
    let f = proof_fixture();
    match m {
        ProofMut::Json(ops) => {
            // Pointers of the original document (stable across the ops).
            let mut d = f.proof_json.clone();
            for (i, op) in ops {
                apply_json(&mut d, &f.pointers[i.index(f.pointers.len())], op);
            }
            serde_json::to_vec_pretty(&d).unwrap()
        }
        ProofMut::Bytes(muts) => {
            let mut b = f.proof_text.clone().into_bytes();
            apply_bytes(&mut b, muts);
            b
        }
        ProofMut::Consistent(outputs, i, delta) => {
            let mut p = f.proof.clone();
            let t = if *outputs {
                &mut p.outputs[0]
            } else {
                &mut p.inputs[0]
            };
            let i = i.index(t.q.len());
            let q = t.q[i].wrapping_add(*delta);
            t.q[i] = q;
            t.field[i] = zkc_circuit::field::to_hex(zkc_circuit::field::fp64(q));
            t.values[i] = zkc_fixed::dequantize(q, t.frac);
            serde_json::to_vec(&p).unwrap()
        }
        ProofMut::ProofBit(i, bit) => {
            let mut p = f.proof.clone();
            let mut bytes: Vec<u8> = (0..p.proof.len() / 2)
                .map(|k| u8::from_str_radix(&p.proof[2 * k..2 * k + 2], 16).unwrap())
                .collect();
            let at = i.index(bytes.len());
            bytes[at] ^= 1 << bit;
            p.proof = bytes.iter().map(|b| format!("{b:02x}")).collect();
            serde_json::to_vec(&p).unwrap()
        }
    }
}

/// A proof file's content up to what verification may ignore: the case of
/// hex digits.
fn normalized(mut p: ProofFile) -> ProofFile {
    p.fingerprint = p.fingerprint.to_lowercase();
    p.proof = p.proof.to_lowercase();
    for t in p.inputs.iter_mut().chain(p.outputs.iter_mut()) {
        for h in &mut t.field {
            *h = h.to_lowercase();
        }
    }
    p
}

#[test]
fn proof_mutated_files() {
    // Mutated proofs of a real artifact: `read_proof` and `verify` never
    // panic, and `verify` accepts only the original proof.
    let strategy = (proof_mut(), prop::bool::weighted(0.03));
    check(
        "proof_mutated_files",
        1200,
        0x5eed_0005,
        strategy,
        |(m, recompute)| {
            let f = proof_fixture();
            let path = scratch().join("proof-case.json");
            std::fs::write(&path, proof_bytes(&m)).unwrap();
            let t = Instant::now();
            let read = zkc::proving::read_proof(&path);
            let verified = zkc::proving::verify(&f.dir, &path, &f.cache, recompute);
            prop_assert!(
                t.elapsed() < Duration::from_secs(20),
                "took {:?}",
                t.elapsed()
            );
            match verified {
                Ok((p, _)) => {
                    prop_assert!(read.is_ok());
                    let (p, original) = (normalized(p), normalized(f.proof.clone()));
                    prop_assert_eq!(p, original, "verify accepted a changed proof");
                    Ok("verified (unchanged)")
                }
                Err(_) if read.is_ok() => Ok("read, not verified"),
                Err(_) => Ok("refused"),
            }
        },
    );
}

#[derive(Clone, Debug)]
enum ArtMut {
    /// `setup.json` (false) or `manifest.json` (true).
    Json(bool, Vec<(Index, JsonOp)>),
    Vk(Vec<ByteMut>),
    /// `quantized.ir` (true) or `float.ir`.
    Ir(bool, Vec<IrMut>),
    /// Any file, byte-mutated.
    Raw(Index, Vec<ByteMut>),
}

fn art_mut() -> impl Strategy<Value = ArtMut> {
    prop_oneof![
        3 => (any::<bool>(), vec((any::<Index>(), json_op()), 1..4)).prop_map(|(m, o)| ArtMut::Json(m, o)),
        2 => vec(byte_mut(), 1..4).prop_map(ArtMut::Vk),
        3 => (any::<bool>(), vec(ir_mut(), 1..4)).prop_map(|(q, m)| ArtMut::Ir(q, m)),
        1 => (any::<Index>(), vec(byte_mut(), 1..4)).prop_map(|(i, m)| ArtMut::Raw(i, m)),
    ]
}

#[test]
fn artifact_mutated_files() {
    // Mutated artifact files (`setup.json`, `manifest.json`, `vk.bin`, the
    // IR files) under `verify`, `Model::load`, `infer` and `plan_of`.
    let strategy = (art_mut(), prop::bool::weighted(0.05));
    check(
        "artifact_mutated_files",
        400,
        0x5eed_0007,
        strategy,
        |(m, recompute)| {
            let f = proof_fixture();
            let mut files = f.files.clone();
            let pick = |files: &[(String, Vec<u8>)], name: &str| -> usize {
                files.iter().position(|(n, _)| n == name).unwrap()
            };
            match &m {
                ArtMut::Json(manifest, ops) => {
                    let k = pick(
                        &files,
                        if *manifest {
                            "manifest.json"
                        } else {
                            "setup.json"
                        },
                    );
                    let doc: Value = serde_json::from_slice(&files[k].1).unwrap();
                    files[k].1 = serde_json::to_vec_pretty(&mutate_json(&doc, ops)).unwrap();
                }
                ArtMut::Vk(muts) => {
                    let k = pick(&files, "vk.bin");
                    apply_bytes(&mut files[k].1, muts);
                }
                ArtMut::Ir(quant, muts) => {
                    let k = pick(&files, if *quant { "quantized.ir" } else { "float.ir" });
                    let text = String::from_utf8(files[k].1.clone()).unwrap();
                    files[k].1 = mutate_ir(&text, muts).into_bytes();
                }
                ArtMut::Raw(i, muts) => {
                    let k = i.index(files.len());
                    apply_bytes(&mut files[k].1, muts);
                }
            }
            let dir = scratch().join("artifact-case");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            for (n, b) in &files {
                std::fs::write(dir.join(n), b).unwrap();
            }
            let t = Instant::now();
            let proof = f.dir.parent().unwrap().join("mlp.proof");
            let verified = zkc::proving::verify(&dir, &proof, &f.cache, recompute);
            let loaded = zkc::model::Model::load(&dir);
            if let Ok(model) = &loaded {
                let input = models_dir().join("digits_mlp/input.json");
                if let Ok(x) = zkc::data::read_input(&input, &model.manifest.inputs) {
                    let _ = model.infer(&x);
                }
                let _ = zkc::proving::plan_of(&model.quant);
            }
            prop_assert!(
                t.elapsed() < Duration::from_secs(20),
                "took {:?}",
                t.elapsed()
            );
            Ok(match (verified.is_ok(), loaded.is_ok()) {
                (true, _) => "verified",
                (false, true) => "loaded, not verified",
                (false, false) => "refused",
            })
        },
    );
}

isolated_test! {
    /// A proof file whose public lists hold 10^7 values (a 20 MB file).
    fn hostile_proof_ten_million_values() {
        let f = proof_fixture();
        let mut doc = f.proof_json.clone();
        let big: Value = serde_json::from_str(&zeros_list(TEN_MILLION)).unwrap();
        doc["inputs"][0]["q"] = big;
        let path = scratch().join("hostile.proof");
        std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
        drop(doc);
        let (dir, cache) = (f.dir.clone(), f.cache.clone());
        let r = within(3 * HOSTILE_SECONDS, move || {
            measure(|| zkc::proving::verify(&dir, &path, &cache, false).map(|_| ()))
        });
        assert_refused("proof with 10^7 public values", r, 1 << 30);
    }
}

isolated_test! {
    /// `setup.json` claiming huge lane counts: `verify` used to configure a
    /// circuit with them (10^5 MAC lanes spun for minutes, 10^11 aborted on
    /// an 800 GB allocation); `CircuitShape::is_plannable` now refuses any
    /// shape the planner cannot choose before a circuit is built.
    fn hostile_setup_json_huge_lanes() {
        let f = proof_fixture();
        for lanes in [100_000u64, 100_000_000_000] {
            let dir = scratch().join(format!("lanes-{lanes}"));
            std::fs::create_dir_all(&dir).unwrap();
            for (n, b) in &f.files {
                let mut b = b.clone();
                if n == "setup.json" {
                    let mut v: Value = serde_json::from_slice(&b).unwrap();
                    v["shape"]["mac_lanes"] = json!(lanes);
                    b = serde_json::to_vec(&v).unwrap();
                }
                std::fs::write(dir.join(n), b).unwrap();
            }
            let (proof, cache) = (f.dir.parent().unwrap().join("mlp.proof"), f.cache.clone());
            let r = within(3 * HOSTILE_SECONDS, move || {
                measure(|| zkc::proving::verify(&dir, &proof, &cache, false).map(|_| ()))
            });
            assert_refused(&format!("setup.json with {lanes} MAC lanes"), r, 64 * MIB);
        }
    }
}

isolated_test! {
    /// A proof whose `model` names another model: `verify` used to print
    /// "valid proof for <any name>"; it now compares the name with the
    /// artifact's manifest.
    fn hostile_proof_renamed_model() {
        let f = proof_fixture();
        let mut doc = f.proof_json.clone();
        doc["model"] = json!("some_other_model");
        let path = scratch().join("renamed.proof");
        std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
        let r = measure(|| zkc::proving::verify(&f.dir, &path, &f.cache, false).map(|_| ()));
        assert_refused("proof renamed to another model", r, 64 * MIB);
    }
}

isolated_test! {
    /// Bytes appended to a valid proof: halo2 does not check that the
    /// transcript is exhausted, so they used to be accepted (one proof,
    /// endless encodings); runtime/circuit/src/prover.rs `verify` now
    /// refuses leftover bytes.
    fn hostile_proof_trailing_bytes() {
        let f = proof_fixture();
        for extra in ["00", "ff", "deadbeef"] {
            let mut doc = f.proof_json.clone();
            doc["proof"] = json!(format!("{}{extra}", f.proof.proof));
            let path = scratch().join("trailing.proof");
            std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
            let r = measure(|| zkc::proving::verify(&f.dir, &path, &f.cache, false).map(|_| ()));
            assert_refused(&format!("proof + {extra}"), r, 64 * MIB);
        }
    }
}
