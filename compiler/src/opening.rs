//! Private inputs and outputs (`zkc compile --private input,output`): a
//! proof carries a salted Poseidon commitment to each instead of the
//! values (the scheme of `commitment.json`, with the part's values packed
//! in the ranges `zkc_circuit::commitment::io_ranges` gives). `zkc prove`
//! draws a fresh salt per proof and per part and writes the values and
//! salts next to the proof as the *opening* (`PROOF.opening.json`): the
//! prover keeps it, and may hand it to whoever should learn what a
//! commitment hides; `zkc verify --opening` checks it against the proof.

use std::path::{Path, PathBuf};

use halo2_proofs::pasta::Fp;
use serde::{Deserialize, Serialize};
use zkc_circuit::commitment::{commit_words, io_commitment, io_nodes, io_ranges, pack, Part};
use zkc_circuit::field;
use zkc_ir::Graph;
use zkc_runtime::IntRun;

use crate::model::frac_of;
use crate::{DriverError, Result};

/// Always the `format` of an opening file.
pub const FORMAT: &str = "zkc-opening";

/// Largest opening file `zkc verify --opening` reads.
const MAX_OPENING_BYTES: u64 = 256 << 20;

/// An opening file: the values and salts behind a proof's input and
/// output commitments.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OpeningFile {
    /// [`FORMAT`].
    pub format: String,
    /// A reminder that the file reveals the committed values.
    pub note: String,
    /// The model name.
    pub model: String,
    /// One entry per private part (`input`, then `output`).
    pub parts: Vec<PartOpening>,
}

/// The opening of one part's commitment.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PartOpening {
    /// `input` or `output`.
    pub part: String,
    /// The commitment (canonical big-endian hex), as in the proof.
    pub commitment: String,
    /// The salt (canonical big-endian hex).
    pub salt: String,
    /// Every element of every tensor of the part, quantized, in input (or
    /// output) order.
    pub q: Vec<i64>,
    /// The same, dequantized.
    pub values: Vec<f64>,
}

/// Where `zkc prove -o PROOF` writes the opening: `PROOF` with its
/// extension replaced by `opening.json` (`proof.json` gives
/// `proof.opening.json`).
pub fn opening_path(proof: &Path) -> PathBuf {
    proof.with_extension("opening.json")
}

/// The private parts of `g`'s inputs and outputs, in commitment order.
pub fn private_parts(g: &Graph) -> Vec<Part> {
    let io = g.private_io;
    [(io.input, Part::Input), (io.output, Part::Output)]
        .into_iter()
        .filter_map(|(on, p)| on.then_some(p))
        .collect()
}

fn circuit(e: zkc_circuit::CircuitError) -> DriverError {
    DriverError::Circuit(e.to_string())
}

/// Each private part with its fresh salt and commitment.
pub type PartCommits = Vec<(Part, Fp, Fp)>;

/// Fresh salts and the commitments of `run`'s private parts, with their
/// opening (`None` when every input and output is public).
pub fn commit(g: &Graph, run: &IntRun) -> Result<Option<(PartCommits, OpeningFile)>> {
    let parts = private_parts(g);
    if parts.is_empty() {
        return Ok(None);
    }
    let mut commits = vec![];
    let mut openings = vec![];
    for part in parts {
        let salt = zkc_circuit::commitment::random_salt();
        let c = io_commitment(g, run, part, salt).map_err(circuit)?;
        let mut q = vec![];
        let mut values = vec![];
        for id in io_nodes(g, part) {
            let v = run
                .value(id)
                .ok_or_else(|| DriverError::Circuit("the trace lacks a private value".into()))?;
            let frac = frac_of(g, id);
            values.extend(v.iter().map(|&x| zkc_fixed::dequantize(x, frac)));
            q.extend_from_slice(v);
        }
        commits.push((part, salt, c));
        openings.push(PartOpening {
            part: part.name().into(),
            commitment: field::to_hex(c),
            salt: field::to_hex(salt),
            q,
            values,
        });
    }
    Ok(Some((
        commits,
        OpeningFile {
            format: FORMAT.into(),
            note: "the values and salts behind a proof's input/output commitments: whoever holds this file learns them; do not publish it with the proof".into(),
            model: g.name.clone(),
            parts: openings,
        },
    )))
}

fn bad(path: &Path, reason: impl Into<String>) -> DriverError {
    DriverError::Data {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Reads an opening file and checks it against `g` and the commitments a
/// (valid) proof carries (`claimed`, per part in commitment order): every
/// part opened, values in range, and each commitment recomputed from the
/// values and salt equal to the proof's. Returns the file.
pub fn check(path: &Path, g: &Graph, claimed: &[(Part, Fp)]) -> Result<OpeningFile> {
    let meta = std::fs::metadata(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    if meta.len() > MAX_OPENING_BYTES {
        return Err(bad(path, "larger than the opening size limit"));
    }
    let bytes = std::fs::read(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    let f: OpeningFile = serde_json::from_slice(&bytes)
        .map_err(|e| bad(path, format!("not a zkc opening file ({e})")))?;
    if f.format != FORMAT {
        return Err(bad(path, format!("unsupported format {:?}", f.format)));
    }
    if f.model != g.name {
        return Err(bad(
            path,
            format!("the opening is for model {:?}, not {:?}", f.model, g.name),
        ));
    }
    if f.parts.len() != claimed.len() {
        return Err(bad(
            path,
            format!(
                "the opening has {} parts, the proof commits to {}",
                f.parts.len(),
                claimed.len()
            ),
        ));
    }
    for (o, &(part, c)) in f.parts.iter().zip(claimed) {
        if o.part != part.name() {
            return Err(bad(
                path,
                format!("expected the {} part, found {:?}", part.name(), o.part),
            ));
        }
        let salt = field::from_hex(&o.salt)
            .ok_or_else(|| bad(path, format!("{}: the salt is not a field element", o.part)))?;
        let ranges = io_ranges(g, part).map_err(circuit)?;
        let words = pack(&o.q, &ranges).map_err(|e| bad(path, format!("{}: {e}", o.part)))?;
        if commit_words(&words, salt) != c {
            return Err(bad(
                path,
                format!(
                    "the {} values and salt do not open the proof's {} commitment",
                    o.part, o.part
                ),
            ));
        }
        if field::from_hex(&o.commitment) != Some(c) {
            return Err(bad(
                path,
                format!("the {} commitment differs from the proof's", o.part),
            ));
        }
        // the float form must be the quantized values' (it is what gets printed)
        let mut fracs = vec![];
        for id in io_nodes(g, part) {
            fracs.extend(std::iter::repeat_n(
                frac_of(g, id),
                zkc_ir::numel(g.shape(id)),
            ));
        }
        let consistent = o.values.len() == o.q.len()
            && o.q
                .iter()
                .zip(&o.values)
                .zip(&fracs)
                .all(|((&q, &v), &frac)| v == zkc_fixed::dequantize(q, frac));
        if !consistent {
            return Err(bad(
                path,
                format!("{}: the values are not the quantized ones", o.part),
            ));
        }
    }
    Ok(f)
}
