//! The files of a model with private parts: `secret.json` (the salt; it
//! stays in the artifact and never goes into a bundle) and
//! `commitment.json` (the public commitment, published with the bundle).
//!
//! The commitment is `Poseidon(salt, packed private values)` as
//! `zkc_circuit::commitment` defines it; a proof of a private model has it
//! as its last public value, and `zkc verify` checks it against
//! `commitment.json`.

use std::path::Path;

use halo2_proofs::pasta::Fp;
use serde::{Deserialize, Serialize};
use zkc_circuit::field;
use zkc_ir::Graph;

use crate::artifact::read_artifact_file;
use crate::{DriverError, Result};

/// The salt file of an artifact with private parts.
pub const SECRET_FILE: &str = "secret.json";
/// The commitment file (artifact and bundle).
pub const COMMITMENT_FILE: &str = "commitment.json";
/// The commitment scheme, as recorded in `commitment.json`.
pub const SCHEME: &str = "poseidon-p128pow5t3-fp/packed-v1";

/// `secret.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Secret {
    /// Always `"zkc-secret"`.
    pub format: String,
    /// The salt (a field element, canonical big-endian hex).
    pub salt: String,
    /// A reminder that this file must not be published.
    pub note: String,
}

/// `commitment.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CommitmentFile {
    /// Always `"zkc-commitment"`.
    pub format: String,
    /// [`SCHEME`].
    pub scheme: String,
    /// The model name.
    pub model: String,
    /// The private parts (`weights`).
    pub private: Vec<String>,
    /// The commitment (a field element, canonical big-endian hex).
    pub commitment: String,
    /// Number of private values committed.
    pub values: usize,
}

fn art(dir: &Path, reason: impl Into<String>) -> DriverError {
    DriverError::Artifact {
        path: dir.display().to_string(),
        reason: reason.into(),
    }
}

/// A fresh salt and the two files for `g` (which has private parameters).
pub fn new_files(g: &Graph, private: &[String]) -> Result<(Secret, CommitmentFile)> {
    let salt = zkc_circuit::commitment::random_salt();
    let c = zkc_circuit::commitment::commitment(g, salt)
        .map_err(|e| DriverError::Circuit(e.to_string()))?;
    let values = zkc_circuit::commitment::private_elements(g)
        .map_err(|e| DriverError::Circuit(e.to_string()))?
        .len();
    Ok((
        Secret {
            format: "zkc-secret".into(),
            salt: field::to_hex(salt),
            note: "the salt that hides the committed private values: keep this file secret; `zkc publish` never copies it".into(),
        },
        CommitmentFile {
            format: "zkc-commitment".into(),
            scheme: SCHEME.into(),
            model: g.name.clone(),
            private: private.to_vec(),
            commitment: field::to_hex(c),
            values,
        },
    ))
}

/// Reads `commitment.json` of an artifact or bundle.
pub fn read_commitment(dir: &Path) -> Result<(CommitmentFile, Fp)> {
    let bytes = read_artifact_file(dir, COMMITMENT_FILE).map_err(|_| {
        art(
            dir,
            "commitment.json is missing (the model has private parts); recompile, or publish the bundle again",
        )
    })?;
    let f: CommitmentFile = serde_json::from_slice(&bytes)
        .map_err(|e| art(dir, format!("commitment.json is corrupted ({e})")))?;
    if f.format != "zkc-commitment" || f.scheme != SCHEME {
        return Err(art(
            dir,
            format!(
                "commitment.json has format {:?} and scheme {:?}, not zkc-commitment / {SCHEME}",
                f.format, f.scheme
            ),
        ));
    }
    let c = field::from_hex(&f.commitment).ok_or_else(|| {
        art(
            dir,
            "commitment.json: the commitment is not a field element",
        )
    })?;
    Ok((f, c))
}

/// Reads the salt from `secret.json` (only an artifact has it).
pub fn read_salt(dir: &Path) -> Result<Fp> {
    let bytes = read_artifact_file(dir, SECRET_FILE).map_err(|_| {
        art(
            dir,
            "secret.json is missing: proving a private model needs the artifact `zkc compile` wrote (a published bundle cannot prove)",
        )
    })?;
    let s: Secret = serde_json::from_slice(&bytes)
        .map_err(|e| art(dir, format!("secret.json is corrupted ({e})")))?;
    field::from_hex(&s.salt).ok_or_else(|| art(dir, "secret.json: the salt is not a field element"))
}

/// For a model with private parts, the salt from `secret.json` and the
/// commitment it gives, checked against `commitment.json` (they differ only
/// when the artifact was changed after `zkc compile`); `None` for a public
/// model. What `zkc prove` and `zkc prove --data` prove against.
pub fn salted(dir: &Path, g: &Graph) -> Result<Option<(Fp, Fp)>> {
    if !g.has_private() {
        return Ok(None);
    }
    let salt = read_salt(dir)?;
    let (_, published) = read_commitment(dir)?;
    let c = zkc_circuit::commitment::commitment(g, salt)
        .map_err(|e| DriverError::Circuit(e.to_string()))?;
    if c != published {
        return Err(art(
            dir,
            "the private values and salt do not give the commitment in commitment.json (the artifact was changed after `zkc compile`); recompile the model",
        ));
    }
    Ok(Some((salt, c)))
}

/// The commitment a proof of `g` (read from `proof`, claiming `claimed`)
/// is checked against: `commitment.json`'s for a model with private parts,
/// where the proof must claim exactly it; none for a public model, where
/// the proof must claim none.
pub fn expected(dir: &Path, g: &Graph, proof: &Path, claimed: Option<&str>) -> Result<Option<Fp>> {
    let bad = |reason: &str| DriverError::Data {
        path: proof.display().to_string(),
        reason: reason.into(),
    };
    if !g.has_private() {
        return match claimed {
            Some(_) => Err(bad(
                "the proof carries a commitment, but this model has no private parts",
            )),
            None => Ok(None),
        };
    }
    let (_, c) = read_commitment(dir)?;
    if claimed.and_then(field::from_hex) != Some(c) {
        return Err(bad(
            "the proof is not for the committed model (its commitment is not the one in commitment.json)",
        ));
    }
    Ok(Some(c))
}
