//! Reading user data files: `input.json` (`{"input_data": [[...]]}`) and
//! `data.json` (`{"inputs": [[...], ...], "labels": [...]}`).
//!
//! Every check a hostile or mistaken file needs is here: size limit, JSON
//! syntax, the shape of the document, finite numbers, nesting depth and
//! element counts against the model's inputs. Nested lists are flattened
//! row-major while they are parsed (no intermediate JSON tree), so memory
//! stays about four bytes per number whatever the file holds.

use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::artifact::ManifestInput;
use crate::{DriverError, Result};

/// Largest data file zkc reads (256 MiB).
pub const MAX_DATA_BYTES: u64 = 256 << 20;
/// Deepest nesting of lists in a data file.
pub const MAX_NESTING: usize = 16;

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

/// A number or nested list of numbers, flattened row-major. Also records
/// whether it was a single non-negative integer (a class id).
#[derive(Debug, Default)]
struct Flat {
    values: Vec<f32>,
    class: Option<u64>,
}

/// Pushes every number of a value (up to [`MAX_NESTING`] deep) into `out`.
struct Flatten<'a> {
    out: &'a mut Vec<f32>,
    depth: usize,
    class: &'a mut Option<u64>,
}

impl Flatten<'_> {
    fn push<E: de::Error>(self, x: f64) -> std::result::Result<(), E> {
        let f = x as f32;
        if !f.is_finite() {
            return Err(E::custom(format!("value {x} is not a finite f32")));
        }
        self.out.push(f);
        Ok(())
    }
}

impl<'de> Visitor<'de> for Flatten<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("numbers or lists of numbers")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<(), E> {
        if self.depth == 0 {
            *self.class = Some(v);
        }
        self.push(v as f64)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<(), E> {
        self.push(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<(), E> {
        self.push(v)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Err(E::custom(
            "null where a number was expected (NaN and infinity are not allowed)",
        ))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<(), E> {
        Err(E::custom("expected numbers, found a boolean"))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<(), E> {
        Err(E::custom("expected numbers, found a string"))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> std::result::Result<(), A::Error> {
        Err(de::Error::custom("expected numbers, found an object"))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        if self.depth >= MAX_NESTING {
            return Err(de::Error::custom(format!(
                "lists nested deeper than {MAX_NESTING} levels"
            )));
        }
        let mut none = None;
        while seq
            .next_element_seed(Flatten {
                out: &mut *self.out,
                depth: self.depth + 1,
                class: &mut none,
            })?
            .is_some()
        {}
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Flatten<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Deserialize<'de> for Flat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut f = Flat::default();
        Flatten {
            out: &mut f.values,
            depth: 0,
            class: &mut f.class,
        }
        .deserialize(d)?;
        Ok(f)
    }
}

/// `input.json`.
#[derive(Deserialize)]
struct InputDoc {
    input_data: Vec<Flat>,
}

/// Deserializes the `inputs` list of a `data.json`, checking every sample
/// against the model's inputs as soon as it is parsed (so a file of millions
/// of bad samples stops at the first).
struct SamplesSeed<'a> {
    inputs: &'a [ManifestInput],
}

impl<'de> DeserializeSeed<'de> for SamplesSeed<'_> {
    type Value = Vec<Vec<Vec<f32>>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for SamplesSeed<'_> {
    type Value = Vec<Vec<Vec<f32>>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of samples")
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = vec![];
        loop {
            let i = out.len();
            let raw: Option<Vec<Flat>> = if self.inputs.len() == 1 {
                seq.next_element::<Flat>()?.map(|f| vec![f])
            } else {
                seq.next_element::<Vec<Flat>>()?
            };
            let Some(raw) = raw else { break };
            if raw.len() != self.inputs.len() {
                return Err(de::Error::custom(format!(
                    "sample {i}: {} input lists for a model with {} inputs",
                    raw.len(),
                    self.inputs.len()
                )));
            }
            let sample = raw
                .into_iter()
                .zip(self.inputs)
                .map(|(f, inp)| check(f.values, inp))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| de::Error::custom(format!("sample {i}: {e}")))?;
            out.push(sample);
        }
        Ok(out)
    }
}

/// `data.json`: samples checked while parsed, labels, other keys ignored.
struct DataSeed<'a> {
    inputs: &'a [ManifestInput],
}

type DataParts = (Option<Vec<Vec<Vec<f32>>>>, Option<Vec<Flat>>);

impl<'de> DeserializeSeed<'de> for DataSeed<'_> {
    type Value = DataParts;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_> {
    type Value = DataParts;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let (mut samples, mut labels): DataParts = (None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "inputs" => {
                    samples = Some(map.next_value_seed(SamplesSeed {
                        inputs: self.inputs,
                    })?)
                }
                "labels" => {
                    let limit = samples.as_ref().map(|s| s.len());
                    labels = map.next_value_seed(LabelsSeed { limit })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((samples, labels))
    }
}

/// The `labels` list (or null), refused as soon as it outgrows the number of
/// samples when that is already known.
struct LabelsSeed {
    limit: Option<usize>,
}

impl<'de> DeserializeSeed<'de> for LabelsSeed {
    type Value = Option<Vec<Flat>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for LabelsSeed {
    type Value = Option<Vec<Flat>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of labels")
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut out = vec![];
        while let Some(f) = seq.next_element::<Flat>()? {
            out.push(f);
            if let Some(n) = self.limit.filter(|&n| out.len() > n) {
                return Err(de::Error::custom(format!(
                    "more labels than the {n} samples"
                )));
            }
        }
        Ok(Some(out))
    }
}

/// Just the keys, to tell `data.json` from `input.json`.
#[derive(Deserialize)]
struct Keys {
    inputs: Option<IgnoredAny>,
    input_data: Option<IgnoredAny>,
}

fn read_bytes(path: &Path) -> Result<Vec<u8>> {
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
    std::fs::read(path).map_err(|e| bad(path, format!("cannot read: {e}")))
}

fn parse<'a, T: Deserialize<'a>>(path: &Path, bytes: &'a [u8], expected: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => bad(path, format!("{e} (expected {expected})")),
        _ => bad(path, format!("not valid JSON: {e}")),
    })
}

/// Checks a flat input against its declared shape.
fn check(flat: Vec<f32>, inp: &ManifestInput) -> std::result::Result<Vec<f32>, String> {
    let need = zkc_ir::checked_numel(&inp.shape).map_err(|e| format!("input {}: {e}", inp.name))?;
    if flat.len() != need {
        return Err(format!(
            "input {} has shape {:?} ({need} values) but {} values were given",
            inp.name,
            inp.shape,
            flat.len()
        ));
    }
    Ok(flat)
}

/// Reads an `input.json` for a model with the given inputs: one sample.
pub fn read_input(path: &Path, inputs: &[ManifestInput]) -> Result<Vec<Vec<f32>>> {
    let bytes = read_bytes(path)?;
    let doc: InputDoc = parse(path, &bytes, r#"{"input_data": [[...]]}"#)?;
    if doc.input_data.len() != inputs.len() {
        return Err(bad(
            path,
            format!(
                "\"input_data\" has {} lists but the model has {} inputs",
                doc.input_data.len(),
                inputs.len()
            ),
        ));
    }
    doc.input_data
        .into_iter()
        .zip(inputs)
        .map(|(f, inp)| check(f.values, inp).map_err(|e| bad(path, e)))
        .collect()
}

/// Reads a `data.json` (or, for calibration, an `input.json`) for a model
/// with the given inputs. Labels are class ids when every label is a
/// non-negative integer, real targets otherwise; `labels`, when present,
/// must have one entry per sample.
pub fn read_dataset(path: &Path, inputs: &[ManifestInput]) -> Result<Dataset> {
    read_dataset_and_bytes(path, inputs).map(|(d, _)| d)
}

/// [`read_dataset`], also returning the file's bytes as read (a dataset
/// statement digests exactly the bytes it parsed).
pub fn read_dataset_and_bytes(path: &Path, inputs: &[ManifestInput]) -> Result<(Dataset, Vec<u8>)> {
    let bytes = read_bytes(path)?;
    let d = dataset_from(path, &bytes, inputs)?;
    Ok((d, bytes))
}

fn dataset_from(path: &Path, bytes: &[u8], inputs: &[ManifestInput]) -> Result<Dataset> {
    let keys: Keys = parse(path, bytes, "a JSON object")?;
    if keys.inputs.is_none() && keys.input_data.is_some() {
        let s = read_input(path, inputs)?;
        return Ok(Dataset {
            samples: vec![s],
            labels: None,
        });
    }
    if keys.inputs.is_none() {
        return Err(bad(
            path,
            "missing \"inputs\" list (expected {\"inputs\": [[...], ...], \"labels\": [...]})",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (samples, labels) = DataSeed { inputs }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|_| v))
        .map_err(|e| match e.classify() {
            serde_json::error::Category::Data => bad(path, format!("{e}")),
            _ => bad(path, format!("not valid JSON: {e}")),
        })?;
    let samples = samples.ok_or_else(|| bad(path, "missing \"inputs\" list"))?;
    if samples.is_empty() {
        return Err(bad(path, "\"inputs\" is empty"));
    }
    let labels = match labels {
        None => None,
        Some(l) => {
            if l.len() != samples.len() {
                return Err(bad(
                    path,
                    format!("{} labels for {} samples", l.len(), samples.len()),
                ));
            }
            let classes: Option<Vec<usize>> = l
                .iter()
                .map(|f| f.class.and_then(|c| usize::try_from(c).ok()))
                .collect();
            Some(match classes {
                Some(c) => Labels::Classes(c),
                None => Labels::Targets(l.into_iter().map(|f| f.values).collect()),
            })
        }
    };
    Ok(Dataset { samples, labels })
}
