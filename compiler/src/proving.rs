//! `zkc setup`, `zkc prove` and `zkc verify`: transparent IPA parameters
//! (cached per `k`), the verifying key stored in the artifact with its
//! fingerprint, proofs as JSON files carrying their public values.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use halo2_proofs::pasta::Fp;
use serde::{Deserialize, Serialize};
use zkc_circuit::{field, instance_of, plan, prover, CircuitShape, ModelCircuit, Plan};
use zkc_ir::Graph;

use crate::artifact::read_artifact_file;
use crate::model::{frac_of, Model};
use crate::{DriverError, Result};

/// Version of the proof file format.
pub const PROOF_FORMAT_VERSION: u32 = 1;
/// Version of the `setup.json` format. 2 added the digest of
/// `quantized.ir` and the number of public values; a `setup.json` of
/// another version is refused with "run `zkc setup` again".
pub const SETUP_FORMAT_VERSION: u32 = 2;
/// Largest proof file zkc reads (64 MiB).
pub const MAX_PROOF_BYTES: u64 = 64 << 20;

/// `setup.json`: what `prove` and `verify` need besides the model, and what
/// ties `vk.bin` to this artifact. `zkc prove` and `zkc verify` refuse it
/// unless its `quantized_ir_digest` is the digest of the artifact's
/// `quantized.ir` and its plan facts (`k`, `shape`, `range_bits`,
/// `instance_len`) are the ones the planner chooses for that IR, and they
/// refuse `vk.bin` unless its fingerprint is `fingerprint`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SetupInfo {
    /// [`SETUP_FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// [`crate::artifact::quantized_ir_digest`] of the `quantized.ir` the
    /// key was made for.
    pub quantized_ir_digest: String,
    /// log2 of the circuit's rows.
    pub k: u32,
    /// Lanes per chip.
    pub shape: ShapeInfo,
    /// Range-table width.
    pub range_bits: u32,
    /// Number of public values (every input element, then every output
    /// element).
    pub instance_len: usize,
    /// Fingerprint of the verifying key (`vk.bin`).
    pub fingerprint: String,
}

/// [`CircuitShape`] as stored.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ShapeInfo {
    /// MAC lanes.
    pub mac_lanes: usize,
    /// Arith lanes.
    pub arith_lanes: usize,
    /// Rescale lanes.
    pub rescale_lanes: usize,
    /// Max lanes.
    pub max_lanes: usize,
    /// Table lanes.
    pub table_lanes: usize,
    /// Commitment lanes (0 and absent for a public model).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub commit_lanes: usize,
    /// False when the circuit has commitment lanes but fixed weights
    /// (private inputs or outputs only); absent means `commit_lanes > 0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice_weights: Option<bool>,
    /// The dataset statement chip: classes, limbs, table width (absent
    /// for a one-input circuit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<(usize, usize, u32)>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl From<CircuitShape> for ShapeInfo {
    fn from(s: CircuitShape) -> Self {
        ShapeInfo {
            mac_lanes: s.mac_lanes,
            arith_lanes: s.arith_lanes,
            rescale_lanes: s.rescale_lanes,
            max_lanes: s.max_lanes,
            table_lanes: s.table_lanes,
            commit_lanes: s.commit_lanes,
            advice_weights: (s.commit_lanes > 0 && !s.advice_weights).then_some(false),
            statement: s.statement.map(|st| (st.classes, st.limbs, st.t)),
        }
    }
}

/// Public values of one tensor.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PublicTensor {
    /// Shape.
    pub shape: Vec<usize>,
    /// Fractional bits (value = q * 2^-frac).
    pub frac: i32,
    /// The quantized integers.
    pub q: Vec<i64>,
    /// The same as field elements (canonical, big-endian hex).
    pub field: Vec<String>,
    /// The dequantized values.
    pub values: Vec<f64>,
}

/// A proof file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ProofFile {
    /// Always `"zkc-proof"`.
    pub format: String,
    /// [`PROOF_FORMAT_VERSION`].
    pub version: u32,
    /// Model name.
    pub model: String,
    /// Fingerprint of the verifying key the proof is for.
    pub fingerprint: String,
    /// log2 of the circuit's rows.
    pub k: u32,
    /// Public inputs (empty when the inputs are private).
    pub inputs: Vec<PublicTensor>,
    /// Public outputs (empty when the outputs are private).
    pub outputs: Vec<PublicTensor>,
    /// The commitment to the private parts (field element, hex; the last
    /// public value), for a model with private parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
    /// The commitment to the private inputs (field element, hex; after
    /// the model's), for a model compiled with `--private input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_commitment: Option<String>,
    /// The commitment to the private outputs (hex; the last public value),
    /// for a model compiled with `--private output`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_commitment: Option<String>,
    /// The proof (hex).
    pub proof: String,
}

fn art(dir: &Path, reason: impl Into<String>) -> DriverError {
    DriverError::Artifact {
        path: dir.display().to_string(),
        reason: reason.into(),
    }
}

pub(crate) fn circuit_err(e: zkc_circuit::CircuitError) -> DriverError {
    DriverError::Circuit(e.to_string())
}

/// Writes `bytes` to `path` atomically (temporary file, then rename).
pub fn write_file_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |e: std::io::Error| DriverError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let r = std::fs::write(&tmp, bytes).and_then(|_| std::fs::rename(&tmp, path));
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r.map_err(io)
}

/// The circuit plan of a compiled model.
pub fn plan_of(g: &Graph) -> Result<Plan> {
    plan(g).map_err(circuit_err)
}

/// Timings of a step, in seconds, and where the IPA parameters came from.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Timings {
    /// Parameter loading or generation.
    pub params_s: f64,
    /// Whether parameters were generated (not read from the cache).
    pub params_generated: bool,
    /// [`prover::ParamsSource::label`]: `cached`, `generated`, `replaced`
    /// (the cache file did not match the pinned digest and was
    /// regenerated) or `unpinned` (no pinned digest for this `k`: generated
    /// in memory, the cache not used).
    pub params_source: String,
    /// For `replaced`, one line naming the cache file and what was wrong
    /// with it ([`prover::ParamsSource::warning`]); `zkc` prints it on
    /// stderr as a warning.
    pub params_warning: Option<String>,
    /// Verifying-key generation or reading.
    pub vk_s: f64,
    /// Proving-key generation.
    pub pk_s: f64,
    /// Proof creation.
    pub prove_s: f64,
    /// Proof verification.
    pub verify_s: f64,
}

/// IPA parameters for `2^k` rows ([`prover::params`]: cached per `k`,
/// checked against a pinned digest), recording the time and source in `t`.
pub(crate) fn load_params(
    k: u32,
    cache: &Path,
    t: &mut Timings,
) -> Result<halo2_proofs::poly::commitment::Params<halo2_proofs::pasta::EqAffine>> {
    let now = Instant::now();
    let (params, source) = prover::params(k, cache).map_err(circuit_err)?;
    t.params_s = now.elapsed().as_secs_f64();
    t.params_generated = source.generated();
    t.params_source = source.label().to_string();
    t.params_warning = source.warning();
    Ok(params)
}

/// `zkc setup`: parameters, verifying key, `vk.bin` and `setup.json`
/// (recording the digest of `quantized.ir` and the plan).
pub fn setup(dir: &Path, cache: &Path, stage: &dyn Fn(&str)) -> Result<(SetupInfo, Timings)> {
    let (_, quant) = load_public(dir)?;
    let ir_digest = public_ir_digest(dir, &quant)?;
    let p = plan_of(&quant)?;
    let mut t = Timings::default();
    stage(&format!(
        "IPA parameters for k = {} (cached in {})",
        p.k,
        cache.display()
    ));
    let params = load_params(p.k, cache, &mut t)?;
    stage("verifying key");
    let now = Instant::now();
    let c = ModelCircuit::new(Arc::new(quant), Arc::new(p.clone()), None);
    let vk = prover::verifying_key(&params, &c).map_err(circuit_err)?;
    t.vk_s = now.elapsed().as_secs_f64();
    let info = SetupInfo {
        format_version: SETUP_FORMAT_VERSION,
        quantized_ir_digest: ir_digest,
        k: p.k,
        shape: p.shape.into(),
        range_bits: p.range_bits,
        instance_len: p.instance_len,
        fingerprint: prover::fingerprint(&vk),
    };
    write_file_atomically(
        &dir.join("vk.bin"),
        &prover::write_vk(&vk).map_err(circuit_err)?,
    )?;
    write_file_atomically(&dir.join("setup.json"), &crate::compile::json_bytes(&info)?)?;
    Ok((info, t))
}

/// Only the version of `setup.json` (any other fields ignored).
#[derive(Deserialize)]
struct SetupVersion {
    format_version: u32,
}

/// Reads `setup.json` and checks its version, `k` and shape (nothing about
/// the model yet: see [`read_setup`]).
fn read_setup_file(dir: &Path) -> Result<SetupInfo> {
    let bytes = read_artifact_file(dir, "setup.json")
        .map_err(|_| art(dir, "setup.json is missing; run `zkc setup` first"))?;
    let corrupted = |e: serde_json::Error| {
        art(
            dir,
            format!("setup.json is corrupted ({e}); run `zkc setup` again"),
        )
    };
    let v: SetupVersion = serde_json::from_slice(&bytes).map_err(corrupted)?;
    if v.format_version != SETUP_FORMAT_VERSION {
        return Err(art(
            dir,
            format!(
                "setup.json has format {}, not {SETUP_FORMAT_VERSION} (it does not bind the key to quantized.ir); run `zkc setup` again",
                v.format_version
            ),
        ));
    }
    let s: SetupInfo = serde_json::from_slice(&bytes).map_err(|e| {
        art(
            dir,
            format!("setup.json is corrupted ({e}); run `zkc setup` again"),
        )
    })?;
    if s.k > zkc_circuit::plan::MAX_K || !CircuitShape::from(s.shape).is_plannable() {
        return Err(art(
            dir,
            "setup.json has an impossible k or circuit shape; run `zkc setup` again",
        ));
    }
    Ok(s)
}

impl From<ShapeInfo> for CircuitShape {
    fn from(s: ShapeInfo) -> Self {
        CircuitShape {
            mac_lanes: s.mac_lanes,
            arith_lanes: s.arith_lanes,
            rescale_lanes: s.rescale_lanes,
            max_lanes: s.max_lanes,
            table_lanes: s.table_lanes,
            commit_lanes: s.commit_lanes,
            advice_weights: s.advice_weights.unwrap_or(s.commit_lanes > 0),
            statement: s
                .statement
                .map(|(classes, limbs, t)| zkc_circuit::StatementShape { classes, limbs, t }),
        }
    }
}

/// Reads `setup.json` and checks it against the artifact: the digest of
/// `quantized.ir` (as read now), then plans the model with the recorded
/// shape and range-table width (no search: verify stays fast) and checks
/// `k` and the number of public values against that plan.
fn read_setup(dir: &Path, g: &Graph) -> Result<(SetupInfo, Plan)> {
    let s = read_setup_file(dir)?;
    if s.quantized_ir_digest != public_ir_digest(dir, g)? {
        return Err(art(
            dir,
            "setup.json was made for another quantized.ir (its digest differs): the key in it and in vk.bin is not this model's; run `zkc setup` again",
        ));
    }
    let mismatch = || {
        art(
            dir,
            "setup.json does not match the compiled model (k, circuit shape, range bits or public values); run `zkc setup` again",
        )
    };
    let p = zkc_circuit::plan::plan_for(g, CircuitShape::from(s.shape), s.range_bits)
        .map_err(|_| mismatch())?;
    // planned with setup.json's shape and range width, so those agree
    if s.k != p.k || s.instance_len != p.instance_len {
        return Err(mismatch());
    }
    Ok((s, p))
}

/// Checks that `setup.json` of `dir` is the setup of the graph `g` (see
/// [`read_setup`]).
pub fn check_setup(dir: &Path, g: &Graph) -> Result<()> {
    read_setup(dir, g).map(|_| ())
}

/// Loads the verifying key (for the shape in `setup.json`) and checks its
/// fingerprint.
fn load_vk(
    dir: &Path,
    params: &halo2_proofs::poly::commitment::Params<halo2_proofs::pasta::EqAffine>,
    s: &SetupInfo,
) -> Result<halo2_proofs::plonk::VerifyingKey<halo2_proofs::pasta::EqAffine>> {
    load_vk_file(
        dir,
        "vk.bin",
        "setup.json",
        params,
        s.shape.into(),
        &s.fingerprint,
    )
}

/// Reads the verifying key `file` of `dir` for `shape` and checks that its
/// fingerprint is `fingerprint` (recorded in `setup`).
pub(crate) fn load_vk_file(
    dir: &Path,
    file: &str,
    setup: &str,
    params: &halo2_proofs::poly::commitment::Params<halo2_proofs::pasta::EqAffine>,
    shape: CircuitShape,
    fingerprint: &str,
) -> Result<halo2_proofs::plonk::VerifyingKey<halo2_proofs::pasta::EqAffine>> {
    let bytes = read_artifact_file(dir, file)
        .map_err(|_| art(dir, format!("{file} is missing; run `zkc setup` first")))?;
    let vk = prover::read_vk(&bytes, params, shape)
        .map_err(|e| art(dir, format!("{file}: {e}; run `zkc setup` again")))?;
    if prover::fingerprint(&vk) != fingerprint {
        return Err(art(
            dir,
            format!("{file} does not match the fingerprint in {setup}; run `zkc setup` again"),
        ));
    }
    Ok(vk)
}

fn public_tensor(g: &Graph, id: zkc_ir::NodeId, q: &[i64]) -> PublicTensor {
    let frac = frac_of(g, id);
    PublicTensor {
        shape: g.shape(id).to_vec(),
        frac,
        q: q.to_vec(),
        field: q.iter().map(|&v| field::to_hex(field::fp64(v))).collect(),
        values: q.iter().map(|&v| zkc_fixed::dequantize(v, frac)).collect(),
    }
}

/// `zkc prove`: runs the model on the input and proves the run.
pub fn prove(
    dir: &Path,
    input: &Path,
    out: &Path,
    cache: &Path,
    stage: &dyn Fn(&str),
) -> Result<(ProofFile, Timings)> {
    let m = Model::load(dir)?;
    let (s, p) = read_setup(dir, &m.quant)?;
    let x = crate::data::read_input(input, &m.manifest.inputs)?;
    let (q_in, _) = m.quantize_inputs(&x)?;
    let run = zkc_runtime::run_int(&m.quant, &q_in)?;
    let mut instance = instance_of(&m.quant, &run)
        .ok_or_else(|| art(dir, "the trace lacks an input or output"))?;
    // a private model: the salt, and the published commitment it gives
    let private = crate::commitment::salted(dir, &m.quant)?;
    instance.extend(private.map(|(_, c)| c));
    // private inputs and outputs: fresh salts, their commitments and the
    // opening the prover keeps
    let io = crate::opening::commit(&m.quant, &run)?;
    let io_commit = |part: zkc_circuit::commitment::Part| {
        io.as_ref()
            .and_then(|(v, _)| v.iter().find(|x| x.0 == part).map(|x| (x.1, x.2)))
    };
    let (in_c, out_c) = (
        io_commit(zkc_circuit::commitment::Part::Input),
        io_commit(zkc_circuit::commitment::Part::Output),
    );
    instance.extend(in_c.map(|x| x.1));
    instance.extend(out_c.map(|x| x.1));
    let mut t = Timings::default();
    stage(&format!("IPA parameters for k = {}", p.k));
    let params = load_params(p.k, cache, &mut t)?;
    let now = Instant::now();
    let vk = load_vk(dir, &params, &s)?;
    t.vk_s = now.elapsed().as_secs_f64();
    stage("proving key");
    let now = Instant::now();
    let graph = Arc::new(m.quant.clone());
    let run = Arc::new(run);
    let mut c = ModelCircuit::new(graph.clone(), Arc::new(p.clone()), Some(run.clone()));
    if let Some((salt, _)) = private {
        c = c.with_salt(salt);
    }
    if io.is_some() {
        c = c.with_io_salts(in_c.map(|x| x.0), out_c.map(|x| x.0));
    }
    let pk = prover::proving_key(&params, vk, &c).map_err(circuit_err)?;
    t.pk_s = now.elapsed().as_secs_f64();
    stage("proof");
    let now = Instant::now();
    let proof = prover::prove(&params, &pk, &c, &instance).map_err(circuit_err)?;
    t.prove_s = now.elapsed().as_secs_f64();
    let tensors = |ids: &[zkc_ir::NodeId]| -> Result<Vec<PublicTensor>> {
        ids.iter()
            .map(|&id| {
                let q = run
                    .value(id)
                    .ok_or_else(|| art(dir, "the trace lacks a public value"))?;
                Ok(public_tensor(&m.quant, id, q))
            })
            .collect()
    };
    let file = ProofFile {
        format: "zkc-proof".into(),
        version: PROOF_FORMAT_VERSION,
        model: m.manifest.model.clone(),
        fingerprint: s.fingerprint,
        k: p.k,
        inputs: if m.quant.private_io.input {
            vec![]
        } else {
            tensors(&m.quant.inputs_list())?
        },
        outputs: if m.quant.private_io.output {
            vec![]
        } else {
            tensors(m.quant.outputs())?
        },
        commitment: private.map(|(_, c)| field::to_hex(c)),
        input_commitment: in_c.map(|x| field::to_hex(x.1)),
        output_commitment: out_c.map(|x| field::to_hex(x.1)),
        proof: proof.iter().map(|b| format!("{b:02x}")).collect(),
    };
    // the opening first: a proof whose commitments nobody can open would
    // be useless to its prover
    if let Some((_, opening)) = &io {
        write_file_atomically(
            &crate::opening::opening_path(out),
            &crate::compile::json_bytes(opening)?,
        )?;
    }
    write_file_atomically(out, &crate::compile::json_bytes(&file)?)?;
    Ok((file, t))
}

fn bad_proof(path: &Path, reason: impl Into<String>) -> DriverError {
    DriverError::Data {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Reads and structurally checks a proof file.
pub fn read_proof(path: &Path) -> Result<ProofFile> {
    let meta = std::fs::metadata(path).map_err(|e| bad_proof(path, format!("cannot read: {e}")))?;
    if meta.len() > MAX_PROOF_BYTES {
        return Err(bad_proof(path, "larger than the proof size limit"));
    }
    let bytes = std::fs::read(path).map_err(|e| bad_proof(path, format!("cannot read: {e}")))?;
    let f: ProofFile = serde_json::from_slice(&bytes)
        .map_err(|e| bad_proof(path, format!("not a zkc proof file ({e})")))?;
    if f.format != "zkc-proof" || f.version != PROOF_FORMAT_VERSION {
        return Err(bad_proof(
            path,
            format!(
                "unsupported proof format {} version {}",
                f.format, f.version
            ),
        ));
    }
    Ok(f)
}

/// Decodes the public values of a proof against the model: shapes, fracs,
/// field encodings and dequantized values must all agree.
fn decode_public(path: &Path, g: &Graph, f: &ProofFile) -> Result<Vec<Fp>> {
    let ins = if g.private_io.input {
        vec![]
    } else {
        g.inputs_list()
    };
    let outs: &[zkc_ir::NodeId] = if g.private_io.output {
        &[]
    } else {
        g.outputs()
    };
    let ids: Vec<_> = ins.into_iter().chain(outs.iter().copied()).collect();
    let tensors: Vec<&PublicTensor> = f.inputs.iter().chain(&f.outputs).collect();
    if ids.len() != tensors.len() {
        return Err(bad_proof(
            path,
            "the public values do not match the model's inputs and outputs",
        ));
    }
    let mut inst = vec![];
    for (&id, t) in ids.iter().zip(tensors) {
        let n = zkc_ir::numel(g.shape(id));
        if t.shape != g.shape(id)
            || t.frac != frac_of(g, id)
            || t.q.len() != n
            || t.field.len() != n
            || t.values.len() != n
        {
            return Err(bad_proof(
                path,
                "the public values do not match the model's shapes and scales",
            ));
        }
        for i in 0..n {
            let fe = field::from_hex(&t.field[i])
                .ok_or_else(|| bad_proof(path, "a public value is not a field element"))?;
            if fe != field::fp64(t.q[i]) || t.values[i] != zkc_fixed::dequantize(t.q[i], t.frac) {
                return Err(bad_proof(
                    path,
                    "the public values are inconsistent (integer, field and float forms differ)",
                ));
            }
            inst.push(fe);
        }
    }
    Ok(inst)
}

/// `zkc verify`: `Ok` only for a valid proof of this model; returns the proof
/// file (its public outputs are then proven).
pub fn verify(
    dir: &Path,
    proof_path: &Path,
    cache: &Path,
    recompute_key: bool,
) -> Result<(ProofFile, Timings)> {
    let (manifest, quant) = load_public(dir)?;
    // setup.json must be this quantized.ir's (digest) and agree with its
    // plan; vk.bin must have setup.json's fingerprint (load_vk). Only a
    // vk.bin and setup.json both hand-made for this artifact get past these
    // checks, and `--recompute-key` catches those too.
    let (s, p) = read_setup(dir, &quant)?;
    let f = read_proof(proof_path)?;
    if f.model != manifest.model {
        return Err(bad_proof(
            proof_path,
            format!(
                "the proof is for another model ({:?}), this artifact is {:?}",
                f.model, manifest.model
            ),
        ));
    }
    if f.fingerprint != s.fingerprint {
        return Err(bad_proof(
            proof_path,
            format!(
                "the proof is for another model (verifying key {}, this artifact has {})",
                short(&f.fingerprint),
                short(&s.fingerprint)
            ),
        ));
    }
    if f.k != s.k {
        return Err(bad_proof(
            proof_path,
            "the proof's k does not match the model",
        ));
    }
    let mut inst = decode_public(proof_path, &quant, &f)?;
    // the commitment: the published one (commitment.json), which the
    // proof must carry; a public model has none
    inst.extend(crate::commitment::expected(
        dir,
        &quant,
        proof_path,
        f.commitment.as_deref(),
    )?);
    // the private input's and output's commitments: whatever the proof
    // claims (the proof binds them), present exactly when the part is private
    inst.extend(
        io_commitments(proof_path, &quant, &f)?
            .into_iter()
            .map(|x| x.1),
    );
    let proof =
        decode_hex(&f.proof).ok_or_else(|| bad_proof(proof_path, "the proof is not hex"))?;
    let mut t = Timings::default();
    let params = load_params(s.k, cache, &mut t)?;
    let now = Instant::now();
    let vk = if recompute_key {
        let c = ModelCircuit::new(Arc::new(quant), Arc::new(p), None);
        let vk = prover::verifying_key(&params, &c).map_err(circuit_err)?;
        if prover::fingerprint(&vk) != s.fingerprint {
            return Err(art(
                dir,
                "the model's verifying key does not match setup.json; run `zkc setup` again",
            ));
        }
        vk
    } else {
        load_vk(dir, &params, &s)?
    };
    t.vk_s = now.elapsed().as_secs_f64();
    let now = Instant::now();
    prover::verify(&params, &vk, &inst, s.instance_len, &proof)
        .map_err(|e| bad_proof(proof_path, format!("the proof does not verify ({e})")))?;
    t.verify_s = now.elapsed().as_secs_f64();
    Ok((f, t))
}

/// The commitments a proof of `g` claims for its private input and output
/// (commitment order), each present exactly when that part is private.
pub fn io_commitments(
    path: &Path,
    g: &Graph,
    f: &ProofFile,
) -> Result<Vec<(zkc_circuit::commitment::Part, Fp)>> {
    use zkc_circuit::commitment::Part;
    let mut out = vec![];
    for (part, on, claimed) in [
        (Part::Input, g.private_io.input, &f.input_commitment),
        (Part::Output, g.private_io.output, &f.output_commitment),
    ] {
        match (on, claimed) {
            (true, Some(h)) => out.push((
                part,
                field::from_hex(h).ok_or_else(|| {
                    bad_proof(
                        path,
                        format!("the {} commitment is not a field element", part.name()),
                    )
                })?,
            )),
            (true, None) => {
                return Err(bad_proof(
                    path,
                    format!(
                        "the model's {} is private, but the proof carries no {} commitment",
                        part.name(),
                        part.name()
                    ),
                ))
            }
            (false, Some(_)) => {
                return Err(bad_proof(
                    path,
                    format!(
                        "the proof carries a {} commitment, but the model's {} is public",
                        part.name(),
                        part.name()
                    ),
                ))
            }
            (false, None) => {}
        }
    }
    Ok(out)
}

/// The manifest and the quantized graph of an artifact or a published
/// bundle (all `setup`, `verify` and `publish` read; no float graph, and in
/// a bundle no private value).
pub fn load_public(dir: &Path) -> Result<(crate::artifact::Manifest, Graph)> {
    let manifest = crate::artifact::read_manifest(dir)?;
    let quant = crate::model::load_graph(dir, "quantized.ir", zkc_ir::Stage::Quantized)?;
    Ok((manifest, quant))
}

/// The digest `setup.json` records, of the quantized program `g` read
/// from `dir`: for a public model, of its `quantized.ir` file as it is
/// (any change to the file is refused); for a model with private parts, of
/// the IR as published (every private value hidden), so its key and bundle
/// do not depend on the values, which the commitment binds instead.
pub fn public_ir_digest(dir: &Path, g: &Graph) -> Result<String> {
    if !g.has_private() {
        return crate::artifact::quantized_ir_digest(dir);
    }
    Ok(crate::artifact::ir_digest_of_bytes(
        zkc_ir::print_graph_public(g)?.as_bytes(),
    ))
}

fn short(s: &str) -> &str {
    s.get(..16).unwrap_or(s)
}

pub(crate) fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// The parameter cache directory: `--cache-dir`, else the default.
pub fn cache_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.unwrap_or_else(prover::default_cache_dir)
}
