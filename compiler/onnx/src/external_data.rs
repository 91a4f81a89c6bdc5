//! External tensor data: initializers whose bytes live in a file beside
//! the model (`model.onnx.data`, as PyTorch's default exporter writes
//! them). They are read here, checked, and inlined into the proto before
//! tract sees it, so tract never opens a file.
//!
//! Guarantees: a location is a relative path of plain components (no
//! absolute path, no `..`) that resolves, symbolic links followed, to a
//! regular file inside the model's directory; the declared element count
//! is within [`MAX_TENSOR_ELEMENTS`] before anything is read; `length`
//! (when given) equals the tensor's size and `offset + length` lies inside
//! the file; all external data together stays within
//! [`MAX_EXTERNAL_BYTES`]. Anything else is an error naming the tensor and
//! the file.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

use tract_onnx::pb::{GraphProto, TensorProto};
use zkc_ir::MAX_TENSOR_ELEMENTS;

use crate::FrontendError;

/// Limit on the external data of one model, all tensors together.
pub const MAX_EXTERNAL_BYTES: u64 = 1 << 31;

/// `TensorProto.DataLocation.EXTERNAL`.
const EXTERNAL: i32 = 1;

/// Bytes per element of an ONNX data type (`None`: not supported).
fn element_bytes(data_type: i32) -> Option<u64> {
    Some(match data_type {
        2 | 3 | 9 => 1,       // UINT8, INT8, BOOL
        4 | 5 | 10 | 16 => 2, // UINT16, INT16, FLOAT16, BFLOAT16
        1 | 6 | 12 => 4,      // FLOAT, INT32, UINT32
        7 | 11 | 13 => 8,     // INT64, DOUBLE, UINT64
        _ => return None,
    })
}

/// Inlines the external data of every initializer of `g`; `dir` is the
/// model's directory (`None` when the model came from memory: external
/// data is then refused).
pub(crate) fn inline_external(
    g: &mut GraphProto,
    dir: Option<&Path>,
    file: &str,
) -> Result<(), FrontendError> {
    let mut total = 0u64;
    for t in g.initializer.iter_mut() {
        if t.data_location != Some(EXTERNAL) {
            continue;
        }
        let err = |reason: String| FrontendError::Model {
            file: file.to_string(),
            reason: format!("external data of initializer {}: {reason}", t.name),
        };
        let bytes = read_external(t, dir, &mut total).map_err(err)?;
        t.raw_data = bytes;
        t.data_location = None;
        t.external_data.clear();
    }
    Ok(())
}

fn entry<'a>(t: &'a TensorProto, key: &str) -> Option<&'a str> {
    t.external_data
        .iter()
        .find(|e| e.key == key)
        .map(|e| e.value.as_str())
}

fn number(t: &TensorProto, key: &str) -> Result<Option<u64>, String> {
    entry(t, key)
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| format!("{key} {v:?} is not a number"))
        })
        .transpose()
}

/// The checked path of `location` inside `dir`.
fn resolve(dir: &Path, location: &str) -> Result<PathBuf, String> {
    let rel = Path::new(location);
    if location.is_empty()
        || !rel
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "location {location:?} must be a relative path inside the model's directory"
        ));
    }
    let root = dir
        .canonicalize()
        .map_err(|e| format!("the model's directory: {e}"))?;
    let full = root
        .join(rel)
        .canonicalize()
        .map_err(|e| format!("{location}: {e}"))?;
    if !full.starts_with(&root) {
        return Err(format!("{location} leads outside the model's directory"));
    }
    if !full.is_file() {
        return Err(format!("{location} is not a regular file"));
    }
    Ok(full)
}

fn read_external(t: &TensorProto, dir: Option<&Path>, total: &mut u64) -> Result<Vec<u8>, String> {
    let location = entry(t, "location").ok_or("no location given")?;
    let dir = dir.ok_or_else(|| {
        format!("{location} can only be read when the model is imported from its file")
    })?;
    let per = element_bytes(t.data_type)
        .ok_or_else(|| format!("data type {} is not supported", t.data_type))?;
    let mut n: u64 = 1;
    for &d in &t.dims {
        let d = u64::try_from(d).map_err(|_| format!("negative dimension {d}"))?;
        n = n
            .checked_mul(d)
            .filter(|&n| n <= MAX_TENSOR_ELEMENTS as u64)
            .ok_or_else(|| {
                format!(
                    "{:?} is above the limit of {MAX_TENSOR_ELEMENTS} elements",
                    t.dims
                )
            })?;
    }
    let want = n * per;
    let offset = number(t, "offset")?.unwrap_or(0);
    let length = number(t, "length")?.unwrap_or(want);
    if length != want {
        return Err(format!(
            "length {length} does not match the tensor's {want} bytes ({:?})",
            t.dims
        ));
    }
    *total = total.saturating_add(want);
    if *total > MAX_EXTERNAL_BYTES {
        return Err(format!(
            "the model's external data exceeds {MAX_EXTERNAL_BYTES} bytes"
        ));
    }
    let path = resolve(dir, location)?;
    let mut f = std::fs::File::open(&path).map_err(|e| format!("{location}: {e}"))?;
    let size = f.metadata().map_err(|e| format!("{location}: {e}"))?.len();
    if offset.checked_add(length).is_none_or(|end| end > size) {
        return Err(format!(
            "bytes {offset}..{} are past the end of {location} ({size} bytes)",
            offset.saturating_add(length)
        ));
    }
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| format!("{location}: {e}"))?;
    let mut buf = vec![0u8; length as usize];
    f.read_exact(&mut buf)
        .map_err(|e| format!("{location}: {e}"))?;
    Ok(buf)
}
