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
use zkc_circuit::plan::{plan_dataset, plan_dataset_for, StatementKind};
use zkc_circuit::{
    dataset_instance, field, prover, CircuitShape, DatasetWitness, ModelCircuit, Plan,
};
use zkc_ir::Graph;

use crate::artifact::read_artifact_file;
use crate::data::{read_dataset_and_bytes, Labels};
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
    /// `"accuracy"` or `"sse"` (sum of squared errors).
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
    /// Correct samples among them (accuracy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<u64>,
    /// Their sum of squared errors in the output's quantized units
    /// (squared), decimal (sse).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum_squared_error_q: Option<String>,
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
    /// `"accuracy"` or `"sse"`.
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
    /// Correct samples (accuracy; the sum over chunks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<u64>,
    /// Sum of squared errors in quantized units (sse; the sum over
    /// chunks, decimal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum_squared_error_q: Option<String>,
    /// Fractional bits of the output (the real sum of squared errors is
    /// `sum_squared_error_q * 2^(-2 frac)`).
    #[serde(default)]
    pub output_frac: i32,
    /// Elements of the model's output (per sample).
    #[serde(default)]
    pub outputs: usize,
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

/// The statement a model's dataset proofs make by default: accuracy for a
/// classifier, the sum of squared errors for a model with one output of
/// one element.
pub fn default_kind(g: &Graph) -> Option<StatementKind> {
    match g.outputs() {
        [o] if zkc_ir::numel(g.shape(*o)) >= 2 => Some(StatementKind::Accuracy),
        [o] if zkc_ir::numel(g.shape(*o)) == 1 => Some(StatementKind::SquaredError),
        _ => None,
    }
}

/// The name of a statement kind in files.
pub fn kind_name(k: StatementKind) -> &'static str {
    match k {
        StatementKind::Accuracy => "accuracy",
        StatementKind::SquaredError => "sse",
    }
}

/// The statement kind named `name` (`accuracy` or `sse`).
pub fn kind_of(name: &str) -> Option<StatementKind> {
    match name {
        "accuracy" => Some(StatementKind::Accuracy),
        "sse" => Some(StatementKind::SquaredError),
        _ => None,
    }
}

/// Largest output or target magnitude a squared-error statement takes, so
/// the sum cannot wrap the field.
const MAX_SSE_VALUE: i64 = 1 << 44;

/// A regression target quantized as a squared-error statement compares it:
/// at the output's scale, rounded half to even (as inputs are); refused
/// when its length is not the output's or a value lies beyond
/// `MAX_SSE_VALUE` output units (it would be clamped, and the sum could
/// wrap the field). `zkc eval`'s statement MSE uses the same rule.
pub fn quantize_target(g: &Graph, t: &[f32]) -> std::result::Result<Vec<i64>, String> {
    let out = g.outputs()[0];
    let n = zkc_ir::numel(g.shape(out));
    if t.len() != n {
        return Err(format!("{} values but the model outputs {n}", t.len()));
    }
    let (q, clamped) = zkc_runtime::quantize_input(
        t,
        crate::model::frac_of(g, out),
        -MAX_SSE_VALUE,
        MAX_SSE_VALUE,
    )
    .map_err(|e| e.to_string())?;
    if clamped > 0 {
        return Err(format!(
            "a target is beyond {MAX_SSE_VALUE} output units, too large for a squared-error statement"
        ));
    }
    Ok(q)
}

/// The dataset plan: the most samples per proof (a power of two up to
/// [`MAX_SAMPLES_PER_PROOF`]) whose circuit fits `2^max(k, TARGET_K)` rows.
pub fn dataset_plan(g: &Graph, single_k: u32, kind: StatementKind) -> Result<Plan> {
    let target = single_k.max(TARGET_K);
    let mut best = plan_dataset(g, 1, kind).map_err(circuit_err)?;
    let mut n = 2;
    while n <= MAX_SAMPLES_PER_PROOF {
        match plan_dataset(g, n, kind) {
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
    kind: Option<StatementKind>,
    stage: &dyn Fn(&str),
) -> Result<(StatementSetup, Timings)> {
    let (_, quant) = load_public(dir)?;
    let kind = kind.or_else(|| default_kind(&quant)).ok_or_else(|| {
        art(
            dir,
            "a dataset statement needs a model with one output (a classifier's scores or a regressor's value)",
        )
    })?;
    if kind == StatementKind::SquaredError {
        let out = quant.outputs()[0];
        let ok = quant
            .ty(out)
            .bound
            .as_ref()
            .is_some_and(|b| b.lo >= (-MAX_SSE_VALUE).into() && b.hi <= MAX_SSE_VALUE.into());
        if !ok {
            return Err(art(
                dir,
                "the output's range is too wide for a squared-error statement",
            ));
        }
    }
    let p = match per_proof {
        Some(n) if n == 0 || n > MAX_SAMPLES_PER_PROOF => {
            return Err(art(
                dir,
                format!("--samples-per-proof {n} is outside 1..={MAX_SAMPLES_PER_PROOF}"),
            ))
        }
        Some(n) => plan_dataset(&quant, n, kind).map_err(circuit_err)?,
        None => dataset_plan(&quant, single_k, kind)?,
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
        statement: kind_name(kind).into(),
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
fn read_statement(dir: &Path, g: &Graph) -> Result<(StatementSetup, Plan, StatementKind)> {
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
    let kind = kind_of(&s.statement).ok_or_else(mismatch)?;
    if s.format_version != 1
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
    let shape_kind = match p.shape.statement {
        Some(st) if st.limbs == 0 => StatementKind::SquaredError,
        _ => StatementKind::Accuracy,
    };
    if p.k != s.k || p.instance_len != s.instance_len || shape_kind != kind {
        return Err(mismatch());
    }
    Ok((s, p, kind))
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
    crate::proving::load_vk_file(
        dir,
        STATEMENT_VK_FILE,
        STATEMENT_SETUP_FILE,
        params,
        s.shape.into(),
        &s.fingerprint,
    )
}

/// The labelled samples of a data file, quantized as the circuit sees
/// them: `(inputs per sample, labels, digest)`.
#[allow(clippy::type_complexity)]
fn read_data(
    path: &Path,
    g: &Graph,
    inputs: &[crate::artifact::ManifestInput],
    kind: StatementKind,
) -> Result<(Vec<Vec<Vec<i64>>>, Vec<Vec<i64>>, String)> {
    // one read: the digest is of the bytes parsed (the reader bounds the
    // size, refuses an empty dataset and checks one label per sample)
    let (d, bytes) = read_dataset_and_bytes(path, inputs)?;
    let digest = dataset_digest(&bytes);
    let labels: Vec<Vec<i64>> =
        match (kind, d.labels) {
            (_, None) => {
                return Err(bad(
                    path,
                    "has no \"labels\"; a dataset statement needs one per sample",
                ))
            }
            (StatementKind::Accuracy, Some(Labels::Classes(c))) => c
                .into_iter()
                .map(|l| {
                    i64::try_from(l)
                        .map(|l| vec![l])
                        .map_err(|_| bad(path, "a label is too large"))
                })
                .collect::<Result<_>>()?,
            (StatementKind::Accuracy, Some(Labels::Targets(_))) => return Err(bad(
                path,
                "has real-valued labels, but this model's statement is an accuracy (class labels)",
            )),
            (StatementKind::SquaredError, Some(labels)) => {
                let targets: Vec<Vec<f32>> = match labels {
                    Labels::Targets(t) => t,
                    Labels::Classes(c) => c.into_iter().map(|v| vec![v as f32]).collect(),
                };
                targets
                    .iter()
                    .enumerate()
                    .map(|(k, t)| {
                        quantize_target(g, t).map_err(|e| bad(path, format!("label {k}: {e}")))
                    })
                    .collect::<Result<_>>()?
            }
        };
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
    labels: &[Vec<i64>],
    per: usize,
) -> Vec<(Vec<Vec<Vec<i64>>>, Vec<i64>, Vec<bool>)> {
    let width = labels.first().map_or(1, Vec::len);
    let zero: Vec<Vec<i64>> = g
        .inputs_list()
        .iter()
        .map(|&i| vec![0; zkc_ir::numel(g.shape(i))])
        .collect();
    q.chunks(per)
        .zip(labels.chunks(per))
        .map(|(x, l)| {
            let mut x = x.to_vec();
            let mut l: Vec<i64> = l.iter().flatten().copied().collect();
            let mut c = vec![true; x.len()];
            while x.len() < per {
                x.push(zero.clone());
                l.extend(std::iter::repeat_n(0, width));
                c.push(false);
            }
            (x, l, c)
        })
        .collect()
}

/// The statement's total over one chunk, as the circuit computes it: the
/// counted samples classified correctly, or their sum of squared errors.
fn chunk_total(
    kind: StatementKind,
    outputs: &[Vec<i64>],
    labels: &[i64],
    counted: &[bool],
) -> u128 {
    let per = labels.len() / counted.len().max(1);
    let mut total: u128 = 0;
    for (i, out) in outputs.iter().enumerate() {
        if !counted[i] {
            continue;
        }
        match kind {
            StatementKind::Accuracy => {
                let pred = crate::evaluate::argmax(out) as i64;
                total += u128::from(pred == labels[i]);
            }
            StatementKind::SquaredError => {
                for (o, &y) in out.iter().enumerate() {
                    let e = i128::from(y) - i128::from(labels[i * per + o]);
                    total += (e * e) as u128;
                }
            }
        }
    }
    total
}

/// The proven statement in words and numbers.
#[derive(Clone, Debug, Serialize)]
pub struct Statement {
    /// `"accuracy"` or `"sse"`.
    pub statement: String,
    /// Samples.
    pub samples: usize,
    /// Correct samples (accuracy).
    pub correct: Option<u64>,
    /// Sum of squared errors in real units (sse).
    pub sum_squared_error: Option<f64>,
    /// Mean squared error per output value (sse).
    pub mse: Option<f64>,
}

impl DatasetProof {
    /// The statement this proof claims.
    pub fn statement(&self) -> Statement {
        let sse = self
            .sum_squared_error_q
            .as_deref()
            .and_then(|v| v.parse::<u128>().ok())
            .map(|v| v as f64 * 2f64.powi(-2 * self.output_frac));
        let values = self.samples * self.outputs_per_sample();
        Statement {
            statement: self.statement.clone(),
            samples: self.samples,
            correct: self.correct,
            sum_squared_error: sse,
            mse: sse.map(|s| s / values.max(1) as f64),
        }
    }

    fn outputs_per_sample(&self) -> usize {
        self.outputs.max(1)
    }
}

/// The statement in words: "gets K of N samples right (P%)" or "has a
/// mean squared error of M (sum S over N samples)".
pub fn describe(st: &Statement) -> String {
    match (st.correct, st.mse, st.sum_squared_error) {
        (Some(c), _, _) => format!(
            "gets {c} of {} samples right ({:.2}%)",
            st.samples,
            100.0 * c as f64 / st.samples.max(1) as f64
        ),
        (None, Some(m), Some(sse)) => format!(
            "has a mean squared error of {m:.6} (sum {sse:.6} over {} samples)",
            st.samples
        ),
        _ => "makes no statement".into(),
    }
}

/// `zkc prove DIR --data DATA.json -o PROOF`: one chunk proof per
/// `samples_per_proof` samples, the proving key made once. `progress` is
/// called after every chunk with `(done, total)`. With `max_mse`, refuses
/// to prove a squared-error statement whose mean exceeds it.
#[allow(clippy::too_many_arguments)]
pub fn prove_dataset(
    dir: &Path,
    data: &Path,
    out: &Path,
    cache: &Path,
    max_mse: Option<f64>,
    stage: &dyn Fn(&str),
    progress: &dyn Fn(usize, usize),
) -> Result<(DatasetProof, Timings)> {
    let m = Model::load(dir)?;
    let (s, p, kind) = read_statement(dir, &m.quant)?;
    let (q, labels, digest) = read_data(data, &m.quant, &m.manifest.inputs, kind)?;
    let private = crate::commitment::salted(dir, &m.quant)?;
    let out_id = m.quant.outputs()[0];
    let output_frac = crate::model::frac_of(&m.quant, out_id);
    let outputs = zkc_ir::numel(m.quant.shape(out_id));
    let parts = chunks(&m.quant, &q, &labels, p.samples);
    // run every sample first: the statement is known before any proof
    let mut runs_of = vec![];
    let mut totals = vec![];
    for (x, l, counted) in &parts {
        let runs = x
            .iter()
            .map(|xi| zkc_runtime::run_int(&m.quant, xi))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let outs: Vec<Vec<i64>> = runs
            .iter()
            .map(|r| r.outputs().into_iter().next().unwrap_or_default())
            .collect();
        totals.push(chunk_total(kind, &outs, l, counted));
        runs_of.push(runs);
    }
    if let (Some(limit), StatementKind::SquaredError) = (max_mse, kind) {
        let sse: u128 = totals.iter().sum();
        let mse = sse as f64 * 2f64.powi(-2 * output_frac) / (q.len() * outputs) as f64;
        if mse > limit {
            return Err(bad(
                data,
                format!("the model's mean squared error on it is {mse}, above --max-mse {limit}"),
            ));
        }
    }
    let mut t = Timings::default();
    stage(&format!("IPA parameters for k = {}", p.k));
    let params = load_params(p.k, cache, &mut t)?;
    let vk = load_statement_vk(dir, &params, &s)?;
    let graph = Arc::new(m.quant.clone());
    let plan = Arc::new(p.clone());
    let mut out_chunks = vec![];
    let mut pk = None;
    let n_chunks = parts.len();
    for (i, ((x, l, counted), runs)) in parts.into_iter().zip(runs_of).enumerate() {
        let total = totals[i];
        let samples = counted.iter().filter(|&&c| c).count();
        let inst = dataset_instance(&x, &l, &counted, total, private.map(|(_, c)| c));
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
        let (correct, sse) = match kind {
            StatementKind::Accuracy => (Some(total as u64), None),
            StatementKind::SquaredError => (None, Some(total.to_string())),
        };
        out_chunks.push(ChunkProof {
            samples,
            correct,
            sum_squared_error_q: sse,
            proof: proof.iter().map(|b| format!("{b:02x}")).collect(),
        });
        progress(i + 1, n_chunks);
    }
    let sum: u128 = totals.iter().sum();
    let file = DatasetProof {
        format: "zkc-dataset-proof".into(),
        version: 1,
        model: m.manifest.model.clone(),
        statement: kind_name(kind).into(),
        fingerprint: s.fingerprint,
        commitment: private.map(|(_, c)| field::to_hex(c)),
        dataset_digest: digest,
        samples: q.len(),
        correct: (kind == StatementKind::Accuracy).then_some(sum as u64),
        sum_squared_error_q: (kind == StatementKind::SquaredError).then(|| sum.to_string()),
        output_frac,
        outputs,
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
/// the chunk totals add up; returns the proof (its statement is proven).
pub fn verify_dataset(
    dir: &Path,
    proof_path: &Path,
    data: &Path,
    cache: &Path,
) -> Result<(DatasetProof, Timings)> {
    let (manifest, quant) = load_public(dir)?;
    let (s, p, kind) = read_statement(dir, &quant)?;
    // bounded before it is read (a chunk proof is at most MAX_PROOF_BYTES)
    let meta =
        std::fs::metadata(proof_path).map_err(|e| bad(proof_path, format!("cannot read: {e}")))?;
    if meta.len() > crate::proving::MAX_PROOF_BYTES * 64 {
        return Err(bad(proof_path, "larger than the proof size limit"));
    }
    let bytes =
        std::fs::read(proof_path).map_err(|e| bad(proof_path, format!("cannot read: {e}")))?;
    let f: DatasetProof = serde_json::from_slice(&bytes)
        .map_err(|e| bad(proof_path, format!("not a zkc dataset proof ({e})")))?;
    let reject = |why: &str| Err(bad(proof_path, why.to_string()));
    if f.format != "zkc-dataset-proof" || f.version != 1 || f.statement != kind_name(kind) {
        return reject("unsupported dataset proof format, or another statement than this model's");
    }
    if f.model != manifest.model || f.fingerprint != s.fingerprint {
        return reject("the proof is for another model (its statement key differs)");
    }
    let out_id = quant.outputs()[0];
    if f.samples_per_proof != p.samples
        || f.output_frac != crate::model::frac_of(&quant, out_id)
        || f.outputs != zkc_ir::numel(quant.shape(out_id))
    {
        return reject("the proof's chunk size or output scale is not this model's");
    }
    let (q, labels, digest) = read_data(data, &quant, &manifest.inputs, kind)?;
    if f.dataset_digest != digest || f.samples != q.len() {
        return reject(
            "the proof is for another dataset (its digest or size differs from the data file)",
        );
    }
    let commitment = crate::commitment::expected(dir, &quant, proof_path, f.commitment.as_deref())?;
    let parts = chunks(&quant, &q, &labels, p.samples);
    if parts.len() != f.chunks.len() {
        return reject("the proof has a chunk missing or too many for the data file");
    }
    let value = |c: &ChunkProof| -> Option<u128> {
        match kind {
            StatementKind::Accuracy => c.correct.map(u128::from),
            StatementKind::SquaredError => c.sum_squared_error_q.as_deref()?.parse().ok(),
        }
    };
    let claimed: Option<u128> = match kind {
        StatementKind::Accuracy => f.correct.map(u128::from),
        StatementKind::SquaredError => f
            .sum_squared_error_q
            .as_deref()
            .and_then(|v| v.parse().ok()),
    };
    let mut sum: u128 = 0;
    for c in &f.chunks {
        let v = value(c).ok_or_else(|| bad(proof_path, "a chunk has no total"))?;
        sum = sum
            .checked_add(v)
            .ok_or_else(|| bad(proof_path, "the chunk totals overflow"))?;
    }
    if claimed != Some(sum) {
        return reject("the chunk totals do not add up to the claimed total");
    }
    let mut t = Timings::default();
    let params = load_params(s.k, cache, &mut t)?;
    let now = Instant::now();
    let vk = load_statement_vk(dir, &params, &s)?;
    t.vk_s = now.elapsed().as_secs_f64();
    let now = Instant::now();
    for (i, ((x, l, counted), chunk)) in parts.iter().zip(&f.chunks).enumerate() {
        let n = counted.iter().filter(|&&c| c).count();
        let total = value(chunk).unwrap_or(u128::MAX);
        if chunk.samples != n
            || (kind == StatementKind::Accuracy && total > n as u128)
            || total >= 1u128 << 127
        {
            return reject(&format!("chunk {i} claims a wrong number of samples"));
        }
        let inst = dataset_instance(x, l, counted, total, commitment);
        let proof = decode_hex(&chunk.proof)
            .ok_or_else(|| bad(proof_path, format!("chunk {i}: the proof is not hex")))?;
        prover::verify(&params, &vk, &inst, s.instance_len, &proof)
            .map_err(|e| bad(proof_path, format!("chunk {i} does not verify ({e})")))?;
    }
    t.verify_s = now.elapsed().as_secs_f64();
    Ok((f, t))
}
