//! Reading user data files: `input.json` (`{"input_data": [[...]]}`) and
//! `data.json` (`{"inputs": [[...], ...], "labels": [...]}`).
//!
//! Every check a hostile or mistaken file needs is here: size limit, JSON
//! syntax, the shape of the document, finite numbers, and element counts
//! against the model's inputs. Nested lists are flattened row-major.

use std::path::Path;

use serde_json::Value;

use crate::artifact::ManifestInput;
use crate::{DriverError, Result};

/// Largest data file zkc reads (256 MiB).
pub const MAX_DATA_BYTES: u64 = 256 << 20;

/// Labels of a dataset.
#[derive(Clone, Debug, PartialEq)]
pub enum Labels {
    /// Class ids (classification; all labels are non-negative integers).
    Classes(Vec<usize>),
    /// Real targets (regression), one value or one vector per sample.
    Targets(Vec<Vec<f32>>),
}

/// A dataset: samples (each a list of flat model inputs) and optional labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Per sample, per model input, the flat values.
    pub samples: Vec<Vec<Vec<f32>>>,
    /// Labels, when the file has them.
    pub labels: Option<Labels>,
}

fn bad(path: &Path, reason: impl Into<String>) -> DriverError {
    DriverError::Data {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let meta = std::fs::metadata(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    if meta.is_dir() {
        return Err(bad(path, "is a directory, expected a JSON file"));
    }
    if meta.len() > MAX_DATA_BYTES {
        return Err(bad(
            path,
            format!("larger than the {MAX_DATA_BYTES} byte limit"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| bad(path, format!("cannot read: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| bad(path, format!("not valid JSON: {e}")))
}

/// Flattens a number or nested list of numbers, checking every value is a
/// finite number.
fn flatten(v: &Value, out: &mut Vec<f32>, depth: usize) -> std::result::Result<(), String> {
    if depth > 16 {
        return Err("lists nested deeper than 16 levels".into());
    }
    match v {
        Value::Number(n) => {
            let x = n.as_f64().ok_or("a number is out of range")?;
            let f = x as f32;
            if !f.is_finite() {
                return Err(format!("value {x} is not a finite f32"));
            }
            out.push(f);
            Ok(())
        }
        Value::Array(a) => a.iter().try_for_each(|x| flatten(x, out, depth + 1)),
        Value::Null => {
            Err("null where a number was expected (NaN and infinity are not allowed)".into())
        }
        other => Err(format!("expected numbers, found {}", kind(other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Splits one sample (a list with one entry per model input, or for a
/// single-input model a flat list) into flat inputs, checking their sizes.
fn sample(v: &Value, inputs: &[ManifestInput]) -> std::result::Result<Vec<Vec<f32>>, String> {
    let per_input: Vec<&Value> = match v {
        Value::Array(a) if inputs.len() > 1 => a.iter().collect(),
        _ => vec![v],
    };
    if per_input.len() != inputs.len() {
        return Err(format!(
            "{} input lists for a model with {} inputs",
            per_input.len(),
            inputs.len()
        ));
    }
    let mut out = vec![];
    for (v, inp) in per_input.iter().zip(inputs) {
        let mut flat = vec![];
        flatten(v, &mut flat, 0)?;
        let need: usize = inp.shape.iter().product();
        if flat.len() != need {
            return Err(format!(
                "input {} has shape {:?} ({need} values) but {} values were given",
                inp.name,
                inp.shape,
                flat.len()
            ));
        }
        out.push(flat);
    }
    Ok(out)
}

/// Reads an `input.json` for a model with the given inputs: one sample.
pub fn read_input(path: &Path, inputs: &[ManifestInput]) -> Result<Vec<Vec<f32>>> {
    let doc = read_json(path)?;
    let data = doc.get("input_data").ok_or_else(|| {
        bad(
            path,
            "missing \"input_data\" (expected {\"input_data\": [[...]]})",
        )
    })?;
    let Value::Array(lists) = data else {
        return Err(bad(
            path,
            "\"input_data\" must be a list with one list per model input",
        ));
    };
    if lists.len() != inputs.len() {
        return Err(bad(
            path,
            format!(
                "\"input_data\" has {} lists but the model has {} inputs",
                lists.len(),
                inputs.len()
            ),
        ));
    }
    let mut out = vec![];
    for (v, inp) in lists.iter().zip(inputs) {
        out.extend(sample(v, std::slice::from_ref(inp)).map_err(|e| bad(path, e))?);
    }
    Ok(out)
}

/// Reads a `data.json` (or, for calibration, an `input.json`) for a model
/// with the given inputs. Labels are class ids when every label is a
/// non-negative integer, real targets otherwise; `labels`, when present,
/// must have one entry per sample.
pub fn read_dataset(path: &Path, inputs: &[ManifestInput]) -> Result<Dataset> {
    let doc = read_json(path)?;
    if doc.get("inputs").is_none() && doc.get("input_data").is_some() {
        let s = read_input(path, inputs)?;
        return Ok(Dataset {
            samples: vec![s],
            labels: None,
        });
    }
    let Some(Value::Array(rows)) = doc.get("inputs") else {
        return Err(bad(
            path,
            "missing \"inputs\" list (expected {\"inputs\": [[...], ...], \"labels\": [...]})",
        ));
    };
    if rows.is_empty() {
        return Err(bad(path, "\"inputs\" is empty"));
    }
    let samples = rows
        .iter()
        .enumerate()
        .map(|(i, r)| sample(r, inputs).map_err(|e| bad(path, format!("sample {i}: {e}"))))
        .collect::<Result<Vec<_>>>()?;
    let labels = match doc.get("labels") {
        None | Some(Value::Null) => None,
        Some(Value::Array(l)) => {
            if l.len() != samples.len() {
                return Err(bad(
                    path,
                    format!("{} labels for {} samples", l.len(), samples.len()),
                ));
            }
            let classes: Option<Vec<usize>> = l
                .iter()
                .map(|v| v.as_u64().and_then(|x| usize::try_from(x).ok()))
                .collect();
            match classes {
                Some(c) => Some(Labels::Classes(c)),
                None => {
                    let t = l
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            let mut f = vec![];
                            flatten(v, &mut f, 0)
                                .map_err(|e| bad(path, format!("label {i}: {e}")))?;
                            Ok(f)
                        })
                        .collect::<Result<Vec<_>>>()?;
                    Some(Labels::Targets(t))
                }
            }
        }
        Some(other) => {
            return Err(bad(
                path,
                format!("\"labels\" must be a list, found {}", kind(other)),
            ))
        }
    };
    Ok(Dataset { samples, labels })
}
