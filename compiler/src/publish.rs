//! `zkc publish`: the verifier's bundle, everything `zkc verify` needs and
//! nothing secret.
//!
//! A bundle holds `manifest.json` (paths reduced to file names),
//! `quantized.ir` as published (every private value hidden: only shapes,
//! declared ranges and scales), `setup.json` (circuit shape, `k`, the
//! digest of that IR, the verifying key's fingerprint), `vk.bin` and, for a
//! model with private parts, `commitment.json`; with the dataset statement
//! key, `statement.json` and `statement-vk.bin`. It never holds `float.ir`
//! (float weights), `secret.json` (the salt) or `report.json`. For a
//! private model the bundle depends only on the architecture, the
//! quantization scales, the model name and the commitment: two models of
//! the same shape and scales with different weights publish bundles that
//! differ only in `commitment.json`.

use std::path::{Path, PathBuf};

use crate::artifact::{read_artifact_file, write_dir_atomically};
use crate::proving::{load_public, public_ir_digest};
use crate::{DriverError, Result};

/// What `zkc publish` wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Published {
    /// The bundle directory.
    pub bundle: String,
    /// The files in it.
    pub files: Vec<String>,
    /// The commitment (private models).
    pub commitment: Option<String>,
}

fn art(dir: &Path, reason: impl Into<String>) -> DriverError {
    DriverError::Artifact {
        path: dir.display().to_string(),
        reason: reason.into(),
    }
}

fn file_name(p: &str) -> String {
    Path::new(p)
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| p.to_string())
}

/// Writes the bundle of the artifact `dir` (after `zkc setup`) to `out`.
pub fn publish(dir: &Path, out: &Path) -> Result<Published> {
    let (mut manifest, quant) = load_public(dir)?;
    if same_dir(dir, out) {
        return Err(art(
            out,
            "is the artifact itself; publish to another directory",
        ));
    }
    if out.join("float.ir").exists() || out.join(crate::commitment::SECRET_FILE).exists() {
        return Err(art(
            out,
            "holds a model artifact (float.ir or secret.json); publish to another directory",
        ));
    }
    // setup.json must be this model's (the digest of the published IR and
    // the plan), so the bundle verifies what the artifact proves
    let setup = read_artifact_file(dir, "setup.json")
        .map_err(|_| art(dir, "setup.json is missing; run `zkc setup` first"))?;
    crate::proving::check_setup(dir, &quant)?;
    let vk = read_artifact_file(dir, "vk.bin")
        .map_err(|_| art(dir, "vk.bin is missing; run `zkc setup` first"))?;
    manifest.source = file_name(&manifest.source);
    let cal = &mut manifest.quantization.calibration;
    if cal.seed.is_none() {
        cal.source = file_name(&cal.source);
    }
    let ir = zkc_ir::print_graph_public(&quant)?;
    if crate::artifact::ir_digest_of_bytes(ir.as_bytes()) != public_ir_digest(dir, &quant)? {
        return Err(art(
            dir,
            "quantized.ir is not in zkc's canonical form (edited after `zkc compile`); recompile the model",
        ));
    }
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("manifest.json", crate::compile::json_bytes(&manifest)?),
        ("quantized.ir", ir.into_bytes()),
        ("setup.json", setup),
        ("vk.bin", vk),
    ];
    // the dataset statement's key, when `zkc setup` made it
    if dir.join(crate::dataset::STATEMENT_SETUP_FILE).exists() {
        crate::dataset::check_statement(dir, &quant)?;
        for f in [
            crate::dataset::STATEMENT_SETUP_FILE,
            crate::dataset::STATEMENT_VK_FILE,
        ] {
            files.push((f, read_artifact_file(dir, f)?));
        }
    }
    let mut commitment = None;
    if quant.has_private() {
        let (c, _) = crate::commitment::read_commitment(dir)?;
        commitment = Some(c.commitment.clone());
        files.push((
            crate::commitment::COMMITMENT_FILE,
            crate::compile::json_bytes(&c)?,
        ));
        // the salt must appear nowhere (it is only in secret.json)
        let salt = crate::commitment::read_salt(dir)?;
        let hex = zkc_circuit::field::to_hex(salt);
        let needle = hex.trim_start_matches('0');
        if needle.len() >= 16
            && files
                .iter()
                .any(|(_, b)| String::from_utf8_lossy(b).contains(needle))
        {
            return Err(art(
                dir,
                "refusing to publish: the salt would be in the bundle",
            ));
        }
    }
    write_dir_atomically(out, &files)?;
    Ok(Published {
        bundle: out.display().to_string(),
        files: files.iter().map(|(n, _)| n.to_string()).collect(),
        commitment,
    })
}

fn same_dir(a: &Path, b: &Path) -> bool {
    let canon = |p: &Path| -> Option<PathBuf> { std::fs::canonicalize(p).ok() };
    matches!((canon(a), canon(b)), (Some(x), Some(y)) if x == y)
}
