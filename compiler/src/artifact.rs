//! The artifact directory (`<model>.zkc/`): written atomically, read back
//! with clear errors.
//!
//! Layout: `manifest.json` (format version, model, inputs, outputs,
//! quantization settings and calibration), `float.ir` (the float IR after
//! the float pipeline) and `quantized.ir` (the quantized IR, with bounds),
//! both with every constant in full and readable by
//! [`zkc_ir::parse_graph`], and `report.json`.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::{DriverError, Result};

/// Version of the artifact layout; bumped on incompatible changes.
pub const FORMAT_VERSION: u32 = 1;

/// Largest artifact file zkc reads or writes (4 GiB: the text IR of a
/// model near the 2 GiB ONNX limit's parameter count at about 13 bytes per
/// weight would not fit, but `zkc compile` refuses to write what this
/// limit would refuse to read, so an artifact it writes can always be read).
pub const MAX_ARTIFACT_FILE_BYTES: u64 = 4 << 30;

/// A model input in the manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestInput {
    /// ONNX input name.
    pub name: String,
    /// Static shape.
    pub shape: Vec<usize>,
}

/// `manifest.json`: what the artifact is.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    /// [`FORMAT_VERSION`] of the writer.
    pub format_version: u32,
    /// zkc version that wrote it.
    pub zkc_version: String,
    /// Model name.
    pub model: String,
    /// The ONNX file compiled.
    pub source: String,
    /// Model inputs.
    pub inputs: Vec<ManifestInput>,
    /// ONNX output names.
    pub outputs: Vec<String>,
    /// How the quantized graph was made.
    pub quantization: crate::quantize::QuantInfo,
}

/// The default artifact directory for a model file: `<stem>.zkc` in the
/// current directory.
pub fn default_dir(model: &Path) -> PathBuf {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "model".into());
    PathBuf::from(format!("{stem}.zkc"))
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> DriverError {
    DriverError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes `files` as the directory `dir`, atomically: everything is written
/// to a temporary sibling directory which then replaces `dir`. An existing
/// `dir` is replaced only if it is a zkc artifact (has `manifest.json`) or
/// empty; anything else is refused so user data is never deleted.
pub fn write_dir_atomically(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = dir
        .file_name()
        .ok_or_else(|| io_err(dir, "not a directory name"))?
        .to_string_lossy()
        .to_string();
    if dir.exists() {
        let is_artifact = dir.join("manifest.json").is_file();
        let is_empty = std::fs::read_dir(dir)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !dir.is_dir() || !(is_artifact || is_empty) {
            return Err(io_err(
                dir,
                "exists and is not a zkc artifact directory; choose another output with -o",
            ));
        }
    }
    std::fs::create_dir_all(&parent).map_err(|e| io_err(&parent, e))?;
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tmp = parent.join(format!(".{name}.tmp-{}-{nonce}", std::process::id()));
    let result = (|| {
        std::fs::create_dir(&tmp).map_err(|e| io_err(&tmp, e))?;
        for (file, bytes) in files {
            let p = tmp.join(file);
            std::fs::write(&p, bytes).map_err(|e| io_err(&p, e))?;
        }
        if dir.exists() {
            let old = parent.join(format!(".{name}.old-{}-{nonce}", std::process::id()));
            std::fs::rename(dir, &old).map_err(|e| io_err(dir, e))?;
            std::fs::rename(&tmp, dir).map_err(|e| io_err(dir, e))?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&tmp, dir).map_err(|e| io_err(dir, e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Reads a file of an artifact directory, refusing missing or huge files.
pub fn read_artifact_file(dir: &Path, file: &str) -> Result<Vec<u8>> {
    let art = |reason: String| DriverError::Artifact {
        path: dir.display().to_string(),
        reason,
    };
    if !dir.is_dir() {
        return Err(art(
            "is not a zkc artifact directory (run `zkc compile MODEL.onnx` first)".into(),
        ));
    }
    let p = dir.join(file);
    let meta = std::fs::metadata(&p)
        .map_err(|_| art(format!("{file} is missing; recompile the model")))?;
    if meta.len() > MAX_ARTIFACT_FILE_BYTES {
        return Err(art(format!(
            "{file} is larger than {MAX_ARTIFACT_FILE_BYTES} bytes"
        )));
    }
    std::fs::read(&p).map_err(|e| art(format!("{file}: {e}")))
}

/// Personalization of [`quantized_ir_digest`] (BLAKE2b, 16 bytes).
const IR_DIGEST_PERSONAL: &[u8; 16] = b"zkc-ir-digest-01";

/// BLAKE2b-256 (personalization `zkc-ir-digest-01`, hex) of `bytes`.
pub fn ir_digest_of_bytes(bytes: &[u8]) -> String {
    let h = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(IR_DIGEST_PERSONAL)
        .to_state()
        .update(bytes)
        .finalize();
    h.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest ([`ir_digest_of_bytes`]) of the artifact's `quantized.ir`,
/// the file [`crate::model::Model::load`] parses into the proven program:
/// `setup.json` records it, so a key set up for one quantized program is
/// refused for any other (even one with the same circuit shape).
pub fn quantized_ir_digest(dir: &Path) -> Result<String> {
    Ok(ir_digest_of_bytes(&read_artifact_file(
        dir,
        "quantized.ir",
    )?))
}

/// Reads and checks `manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let bytes = read_artifact_file(dir, "manifest.json")?;
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| DriverError::Artifact {
        path: dir.display().to_string(),
        reason: format!("manifest.json is corrupted ({e}); recompile the model"),
    })?;
    if m.format_version != FORMAT_VERSION {
        return Err(DriverError::Artifact {
            path: dir.display().to_string(),
            reason: format!(
                "artifact format {} is not {FORMAT_VERSION}; recompile with this zkc",
                m.format_version
            ),
        });
    }
    Ok(m)
}

/// Writes `files` as the directory `dir` atomically, like
/// [`write_dir_atomically`], for outputs that are not model artifacts
/// (experiment results): an existing `dir` is replaced only if it holds
/// nothing but files of the same names.
pub fn write_plain_dir_atomically(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<()> {
    if dir.exists() {
        let names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| io_err(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
            .collect();
        if !names.iter().all(|n| files.iter().any(|(f, _)| f == n)) {
            return Err(io_err(
                dir,
                "exists and holds other files; choose another output with -o",
            ));
        }
        std::fs::remove_dir_all(dir).map_err(|e| io_err(dir, e))?;
    }
    write_dir_atomically(dir, files)
}
