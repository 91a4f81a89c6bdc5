//! Dataset statements: `zkc prove DIR --data DATA.json` proves "the model
//! (with commitment C) gets K of N samples right on the dataset with digest
//! D", and `zkc verify DIR PROOF --data DATA.json` checks it.
//!
//! The dataset circuit ([`zkc_circuit::plan::plan_dataset`]) lays out
//! `samples_per_proof` copies of the model sharing its parameters, and the
//! statement chip: per sample the first index of the largest output
//! (ties go to the smaller index, as `zkc eval`), compared with the label,
//! counted when the sample's flag is 1. A dataset of N samples is proven in
//! `ceil(N / samples_per_proof)` chunk proofs, the last padded with
//! uncounted all-zero samples. Every chunk's public values are its samples'
//! quantized inputs, labels and flags, its count and the commitment: the
//! verifier rebuilds them from the data file, so a chunk dropped,
//! repeated, reordered or proven on other samples does not verify, and the
//! counts add up to K. D is the BLAKE2b-256 of the data file's bytes.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use zkc_circuit::plan::{plan_dataset, plan_dataset_for};
use zkc_circuit::{
    dataset_instance, field, prover, CircuitShape, DatasetWitness, ModelCircuit, Plan,
};
use zkc_ir::Graph;

use crate::artifact::read_artifact_file;
use crate::data::{read_dataset, Labels};
use crate::model::{quantize_inputs, Model};
use crate::proving::{
    circuit_err, decode_hex, load_params, load_public, public_ir_digest, write_file_atomically,
    ShapeInfo, Timings,
};
use crate::{DriverError, Result};

/// The statement key's description in an artifact or bundle.
pub const STATEMENT_SETUP_FILE: &str = "statement.json";
/// The statement circuit's verifying key.
pub const STATEMENT_VK_FILE: &str = "statement-vk.bin";
/// Largest number of samples one chunk proof holds.
pub const MAX_SAMPLES_PER_PROOF: usize = 256;
/// Chunks are sized so their circuit has at most this many rows
/// (`2^k`), or the one-input circuit's `k`, whichever is larger.
pub const TARGET_K: u32 = 14;

/// `statement.json`: the dataset circuit a verifier checks chunk proofs
/// against.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StatementSetup {
    /// Always 1.
    pub format_version: u32,
    /// `"accuracy"`.
    pub statement: String,
    /// Digest of the published quantized IR (as `setup.json`).
    pub quantized_ir_digest: String,
    /// Samples per chunk proof.
    pub samples_per_proof: usize,
    /// log2 of the circuit's rows.
    pub k: u32,
    /// Lanes per chip (with the statement chip).
    pub shape: ShapeInfo,
    /// Range-table width.
    pub range_bits: u32,
    /// Public values per chunk.
    pub instance_len: usize,
    /// Fingerprint of `statement-vk.bin`.
    pub fingerprint: String,
}

/// One chunk of a dataset proof.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ChunkProof {
    /// Samples of the dataset in this chunk (the rest is padding).
    pub samples: usize,
    /// Correct samples among them.
    pub correct: u64,
    /// The proof (hex).
    pub proof: String,
}

/// A dataset proof file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DatasetProof {
    /// Always `"zkc-dataset-proof"`.
    pub format: String,
    /// Always 1.
    pub version: u32,
    /// Model name.
    pub model: String,
    /// `"accuracy"`.
    pub statement: String,
    /// Fingerprint of the statement key.
    pub fingerprint: String,
    /// The model's commitment (private models).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    /// BLAKE2b-256 of the data file.
    pub dataset_digest: String,
    /// Samples in the dataset.
    pub samples: usize,
    /// Correct samples (the sum over chunks).
    pub correct: u64,
    /// Samples per chunk proof.
    pub samples_per_proof: usize,
    /// The chunk proofs, in dataset order.
    pub chunks: Vec<ChunkProof>,
}

fn art(dir: &Path, reason: impl Into<String>) -> DriverError {
    DriverError::Artifact {
        path: dir.display().to_string(),
        reason: reason.into(),
    }
}

fn bad(path: &Path, reason: impl Into<String>) -> DriverError {
    DriverError::Data {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// BLAKE2b-256 (personalization `zkc-dataset-d001`, hex) of a data file.
pub fn dataset_digest(bytes: &[u8]) -> String {
    let h = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"zkc-dataset-d001")
        .to_state()
        .update(bytes)
        .finalize();
    h.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// True when `g` can carry an accuracy statement: one output of at least
/// two classes.
pub fn is_classifier(g: &Graph) -> bool {
    matches!(g.outputs(), [o] if zkc_ir::numel(g.shape(*o)) >= 2)
}

/// The dataset plan: the most samples per proof (a power of two up to
/// [`MAX_SAMPLES_PER_PROOF`]) whose circuit fits `2^max(k, TARGET_K)` rows.
pub fn dataset_plan(g: &Graph, single_k: u32) -> Result<Plan> {
    let target = single_k.max(TARGET_K);
    let mut best = plan_dataset(g, 1).map_err(circuit_err)?;
    let mut n = 2;
    while n <= MAX_SAMPLES_PER_PROOF {
        match plan_dataset(g, n) {
            Ok(p) if p.k <= target => best = p,
            _ => break,
        }
        n *= 2;
    }
    Ok(best)
}

/// The statement key of `dir` (after `zkc setup`): `statement.json` and
/// `statement-vk.bin`, returned with the parameters' timings. `per_proof`
/// fixes the samples per chunk proof (else [`dataset_plan`] chooses).
pub fn setup_statement(
    dir: &Path,
    cache: &Path,
    single_k: u32,
    per_proof: Option<usize>,
    stage: &dyn Fn(&str),
) -> Result<(StatementSetup, Timings)> {
    let (_, quant) = load_public(dir)?;
    if !is_classifier(&quant) {
        return Err(art(
            dir,
            "an accuracy statement needs a model with one output of at least two classes (regression statements are not supported yet)",
        ));
    }
    let p = match per_proof {
        Some(n) if n == 0 || n > MAX_SAMPLES_PER_PROOF => {
            return Err(art(
                dir,
                format!("--samples-per-proof {n} is outside 1..={MAX_SAMPLES_PER_PROOF}"),
            ))
        }
        Some(n) => plan_dataset(&quant, n).map_err(circuit_err)?,
        None => dataset_plan(&quant, single_k)?,
    };
    let mut t = Timings::default();
    stage(&format!(
        "IPA parameters for the statement circuit, k = {} ({} samples per proof)",
        p.k, p.samples
    ));
    let params = load_params(p.k, cache, &mut t)?;
    stage("statement verifying key");
    let now = Instant::now();
    let c = ModelCircuit::dataset(Arc::new(quant.clone()), Arc::new(p.clone()), None);
    let vk = prover::verifying_key(&params, &c).map_err(circuit_err)?;
    t.vk_s = now.elapsed().as_secs_f64();
    let info = StatementSetup {
        format_version: 1,
        statement: "accuracy".into(),
        quantized_ir_digest: public_ir_digest(dir, &quant)?,
        samples_per_proof: p.samples,
        k: p.k,
        shape: p.shape.into(),
        range_bits: p.range_bits,
        instance_len: p.instance_len,
        fingerprint: prover::fingerprint(&vk),
    };
    write_file_atomically(
        &dir.join(STATEMENT_VK_FILE),
        &prover::write_vk(&vk).map_err(circuit_err)?,
    )?;
    write_file_atomically(
        &dir.join(STATEMENT_SETUP_FILE),
        &crate::compile::json_bytes(&info)?,
    )?;
    Ok((info, t))
}

/// Reads `statement.json` and checks it against the graph (digest, plan).
fn read_statement(dir: &Path, g: &Graph) -> Result<(StatementSetup, Plan)> {
    let bytes = read_artifact_file(dir, STATEMENT_SETUP_FILE).map_err(|_| {
        art(
            dir,
            "statement.json is missing: run `zkc setup DIR --dataset` (a private model gets it from `zkc setup`)",
        )
    })?;
    let s: StatementSetup = serde_json::from_slice(&bytes).map_err(|e| {
        art(
            dir,
            format!("statement.json is corrupted ({e}); run `zkc setup` again"),
        )
    })?;
    let mismatch = || {
        art(
            dir,
            "statement.json does not match the compiled model; run `zkc setup` again",
        )
    };
    let shape = CircuitShape::from(s.shape);
    if s.format_version != 1
        || s.statement != "accuracy"
        || s.k > zkc_circuit::plan::MAX_K
        || !shape.is_plannable()
        || s.samples_per_proof == 0
        || s.samples_per_proof > MAX_SAMPLES_PER_PROOF
        || s.quantized_ir_digest != public_ir_digest(dir, g)?
    {
        return Err(mismatch());
    }
    let p =
        plan_dataset_for(g, shape, s.range_bits, s.samples_per_proof).map_err(|_| mismatch())?;
    if p.k != s.k || p.instance_len != s.instance_len {
        return Err(mismatch());
    }
    Ok((s, p))
}

/// Checks that `statement.json` of `dir` is the statement setup of `g`.
pub fn check_statement(dir: &Path, g: &Graph) -> Result<()> {
    read_statement(dir, g).map(|_| ())
}

fn load_statement_vk(
    dir: &Path,
    params: &halo2_proofs::poly::commitment::Params<halo2_proofs::pasta::EqAffine>,
    s: &StatementSetup,
) -> Result<halo2_proofs::plonk::VerifyingKey<halo2_proofs::pasta::EqAffine>> {
    let bytes = read_artifact_file(dir, STATEMENT_VK_FILE)
        .map_err(|_| art(dir, "statement-vk.bin is missing; run `zkc setup` again"))?;
    let vk = prover::read_vk(&bytes, params, s.shape.into())
        .map_err(|e| art(dir, format!("statement-vk.bin: {e}; run `zkc setup` again")))?;
    if prover::fingerprint(&vk) != s.fingerprint {
        return Err(art(
            dir,
            "statement-vk.bin does not match statement.json; run `zkc setup` again",
        ));
    }
    Ok(vk)
}

/// The labelled samples of a data file, quantized as the circuit sees
/// them: `(inputs per sample, labels, digest)`.
#[allow(clippy::type_complexity)]
fn read_data(
    path: &Path,
    g: &Graph,
    inputs: &[crate::artifact::ManifestInput],
) -> Result<(Vec<Vec<Vec<i64>>>, Vec<i64>, String)> {
    let bytes = std::fs::read(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    let digest = dataset_digest(&bytes);
    let d = read_dataset(path, inputs)?;
    let labels =
        match d.labels {
            Some(Labels::Classes(c)) => c,
            Some(Labels::Targets(_)) => return Err(bad(
                path,
                "has real-valued labels: only accuracy statements (class labels) are supported yet",
            )),
            None => {
                return Err(bad(
                    path,
                    "has no \"labels\"; a dataset statement needs one per sample",
                ))
            }
        };
    if d.samples.is_empty() {
        return Err(bad(path, "has no samples"));
    }
    let labels = labels
        .into_iter()
        .map(|l| i64::try_from(l).map_err(|_| bad(path, "a label is too large")))
        .collect::<Result<Vec<_>>>()?;
    let q = d
        .samples
        .iter()
        .map(|s| quantize_inputs(g, s).map(|(q, _)| q))
        .collect::<Result<Vec<_>>>()?;
    Ok((q, labels, digest))
}

/// Splits samples into chunks of `per`, padding the last with all-zero,
/// uncounted samples: per chunk `(inputs, labels, counted)`.
#[allow(clippy::type_complexity)]
fn chunks(
    g: &Graph,
    q: &[Vec<Vec<i64>>],
    labels: &[i64],
    per: usize,
) -> Vec<(Vec<Vec<Vec<i64>>>, Vec<i64>, Vec<bool>)> {
    let zero: Vec<Vec<i64>> = g
        .inputs_list()
        .iter()
        .map(|&i| vec![0; zkc_ir::numel(g.shape(i))])
        .collect();
    q.chunks(per)
        .zip(labels.chunks(per))
        .map(|(x, l)| {
            let mut x = x.to_vec();
            let mut l = l.to_vec();
            let mut c = vec![true; x.len()];
            while x.len() < per {
                x.push(zero.clone());
                l.push(0);
                c.push(false);
            }
            (x, l, c)
        })
        .collect()
}

fn argmax(v: &[i64]) -> i64 {
    let mut b = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[b] {
            b = i;
        }
    }
    b as i64
}

/// `zkc prove DIR --data DATA.json -o PROOF`: one chunk proof per
/// `samples_per_proof` samples, the proving key made once. `progress` is
/// called after every chunk with `(done, total)`.
pub fn prove_dataset(
    dir: &Path,
    data: &Path,
    out: &Path,
    cache: &Path,
    stage: &dyn Fn(&str),
    progress: &dyn Fn(usize, usize),
) -> Result<(DatasetProof, Timings)> {
    let m = Model::load(dir)?;
    let (s, p) = read_statement(dir, &m.quant)?;
    let (q, labels, digest) = read_data(data, &m.quant, &m.manifest.inputs)?;
    let private = if m.quant.has_private() {
        let salt = crate::commitment::read_salt(dir)?;
        let (_, published) = crate::commitment::read_commitment(dir)?;
        let c = zkc_circuit::commitment::commitment(&m.quant, salt).map_err(circuit_err)?;
        if c != published {
            return Err(art(
                dir,
                "the private values and salt do not give the commitment in commitment.json; recompile the model",
            ));
        }
        Some((salt, c))
    } else {
        None
    };
    let mut t = Timings::default();
    stage(&format!("IPA parameters for k = {}", p.k));
    let params = load_params(p.k, cache, &mut t)?;
    let vk = load_statement_vk(dir, &params, &s)?;
    let graph = Arc::new(m.quant.clone());
    let plan = Arc::new(p.clone());
    let parts = chunks(&m.quant, &q, &labels, p.samples);
    let mut out_chunks = vec![];
    let mut pk = None;
    let total = parts.len();
    for (i, (x, l, counted)) in parts.into_iter().enumerate() {
        let runs = x
            .iter()
            .map(|xi| zkc_runtime::run_int(&m.quant, xi))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let correct = runs
            .iter()
            .zip(&l)
            .zip(&counted)
            .filter(|((r, &lab), &c)| c && r.outputs().first().is_some_and(|o| argmax(o) == lab))
            .count() as u64;
        let samples = counted.iter().filter(|&&c| c).count();
        let inst = dataset_instance(&x, &l, &counted, correct, private.map(|(_, c)| c));
        let w = DatasetWitness {
            runs,
            labels: l,
            counted,
        };
        let mut c = ModelCircuit::dataset(graph.clone(), plan.clone(), Some(Arc::new(w)));
        if let Some((salt, _)) = private {
            c = c.with_salt(salt);
        }
        if pk.is_none() {
            stage("proving key");
            let now = Instant::now();
            pk = Some(prover::proving_key(&params, vk.clone(), &c).map_err(circuit_err)?);
            t.pk_s = now.elapsed().as_secs_f64();
            stage("proofs");
        }
        let key = pk.as_ref().ok_or_else(|| art(dir, "no proving key"))?;
        let now = Instant::now();
        let proof = prover::prove(&params, key, &c, &inst).map_err(circuit_err)?;
        t.prove_s += now.elapsed().as_secs_f64();
        out_chunks.push(ChunkProof {
            samples,
            correct,
            proof: proof.iter().map(|b| format!("{b:02x}")).collect(),
        });
        progress(i + 1, total);
    }
    let file = DatasetProof {
        format: "zkc-dataset-proof".into(),
        version: 1,
        model: m.manifest.model.clone(),
        statement: "accuracy".into(),
        fingerprint: s.fingerprint,
        commitment: private.map(|(_, c)| field::to_hex(c)),
        dataset_digest: digest,
        samples: q.len(),
        correct: out_chunks.iter().map(|c| c.correct).sum(),
        samples_per_proof: p.samples,
        chunks: out_chunks,
    };
    write_file_atomically(out, &crate::compile::json_bytes(&file)?)?;
    Ok((file, t))
}

/// True when the file at `path` is a dataset proof (by its `format`).
pub fn is_dataset_proof(path: &Path) -> bool {
    #[derive(Deserialize)]
    struct Head {
        format: String,
    }
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Head>(&b).ok())
        .is_some_and(|h| h.format == "zkc-dataset-proof")
}

/// `zkc verify DIR PROOF --data DATA.json`: `Ok` only when every chunk
/// proof verifies against public values rebuilt from the data file and
/// the counts add up; returns the proven statement.
pub fn verify_dataset(
    dir: &Path,
    proof_path: &Path,
    data: &Path,
    cache: &Path,
) -> Result<(DatasetProof, Timings)> {
    let (manifest, quant) = load_public(dir)?;
    let (s, p) = read_statement(dir, &quant)?;
    let bytes =
        std::fs::read(proof_path).map_err(|e| bad(proof_path, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > crate::proving::MAX_PROOF_BYTES * 64 {
        return Err(bad(proof_path, "larger than the proof size limit"));
    }
    let f: DatasetProof = serde_json::from_slice(&bytes)
        .map_err(|e| bad(proof_path, format!("not a zkc dataset proof ({e})")))?;
    let reject = |why: &str| Err(bad(proof_path, why.to_string()));
    if f.format != "zkc-dataset-proof" || f.version != 1 || f.statement != "accuracy" {
        return reject("unsupported dataset proof format");
    }
    if f.model != manifest.model || f.fingerprint != s.fingerprint {
        return reject("the proof is for another model (its statement key differs)");
    }
    if f.samples_per_proof != p.samples {
        return reject("the proof's chunk size is not this model's");
    }
    let (q, labels, digest) = read_data(data, &quant, &manifest.inputs)?;
    if f.dataset_digest != digest || f.samples != q.len() {
        return reject(
            "the proof is for another dataset (its digest or size differs from the data file)",
        );
    }
    let commitment = if quant.has_private() {
        let (_, c) = crate::commitment::read_commitment(dir)?;
        if f.commitment.as_deref().and_then(field::from_hex) != Some(c) {
            return reject("the proof is not for the committed model (its commitment is not the one in commitment.json)");
        }
        Some(c)
    } else {
        if f.commitment.is_some() {
            return reject("the proof carries a commitment, but this model has no private parts");
        }
        None
    };
    let parts = chunks(&quant, &q, &labels, p.samples);
    if parts.len() != f.chunks.len() {
        return reject("the proof has a chunk missing or too many for the data file");
    }
    if f.chunks.iter().map(|c| c.correct).sum::<u64>() != f.correct {
        return reject("the chunk counts do not add up to the claimed count");
    }
    let mut t = Timings::default();
    let params = load_params(s.k, cache, &mut t)?;
    let now = Instant::now();
    let vk = load_statement_vk(dir, &params, &s)?;
    t.vk_s = now.elapsed().as_secs_f64();
    let now = Instant::now();
    for (i, ((x, l, counted), chunk)) in parts.iter().zip(&f.chunks).enumerate() {
        let n = counted.iter().filter(|&&c| c).count();
        if chunk.samples != n || chunk.correct > n as u64 {
            return reject(&format!("chunk {i} claims a wrong number of samples"));
        }
        let inst = dataset_instance(x, l, counted, chunk.correct, commitment);
        let proof = decode_hex(&chunk.proof)
            .ok_or_else(|| bad(proof_path, format!("chunk {i}: the proof is not hex")))?;
        prover::verify(&params, &vk, &inst, s.instance_len, &proof)
            .map_err(|e| bad(proof_path, format!("chunk {i} does not verify ({e})")))?;
    }
    t.verify_s = now.elapsed().as_secs_f64();
    Ok((f, t))
}
