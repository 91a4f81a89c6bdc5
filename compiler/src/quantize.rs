//! Quantized compilation: calibration, the quantization pipeline, and the
//! quantized half of the artifact.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zkc_ir::Graph;
use zkc_passes::{calibrate, synthetic_samples, Pipeline, QuantConfig};

use crate::compile::Compiled;
use crate::data::read_dataset;
use crate::report::PassLine;
use crate::Result;

/// Number of synthetic calibration samples used without `--calibration`.
pub const SYNTHETIC_SAMPLES: usize = 32;

/// How to quantize.
#[derive(Clone, Debug)]
pub struct QuantOptions {
    /// Bit widths and per-channel choice.
    pub cfg: QuantConfig,
    /// A `data.json` or `input.json` to calibrate on; synthetic when `None`.
    pub calibration: Option<PathBuf>,
    /// Seed of the synthetic calibration sample.
    pub seed: u64,
}

impl Default for QuantOptions {
    fn default() -> Self {
        QuantOptions {
            cfg: QuantConfig::default(),
            calibration: None,
            seed: 1,
        }
    }
}

/// Where calibration ranges came from (recorded in the artifact).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CalibrationInfo {
    /// The calibration file, or `"synthetic"`.
    pub source: String,
    /// Seed of the synthetic sample (when synthetic).
    pub seed: Option<u64>,
    /// Number of samples run.
    pub samples: usize,
}

/// The quantization settings recorded in the manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct QuantInfo {
    /// Activation bits.
    pub bits: u32,
    /// Weight bits.
    pub weight_bits: u32,
    /// Output bits.
    pub output_bits: u32,
    /// Per-channel weight scales.
    pub per_channel: bool,
    /// Calibration.
    pub calibration: CalibrationInfo,
    /// The private parts (`weights`, `input`, `output`): committed, not in
    /// the verifying key or the public values (absent for a public model).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub private: Vec<String>,
}

/// A quantized graph and how it was made.
pub struct QuantizedModel {
    /// The quantized graph (validated, bounds recorded).
    pub graph: Graph,
    /// Settings and calibration.
    pub info: QuantInfo,
    /// The quantization passes run.
    pub passes: Vec<PassLine>,
}

/// Calibrates `c.graph` and runs the quantization pipeline on a copy of it.
/// `after` sees the graph after every quantization pass.
pub fn quantize(
    c: &Compiled,
    opts: &QuantOptions,
    after: impl FnMut(&'static str, &Graph),
) -> Result<QuantizedModel> {
    let (samples, source, seed) = match &opts.calibration {
        Some(p) => (
            read_dataset(p, &c.inputs)?.samples,
            p.display().to_string(),
            None,
        ),
        None => (
            synthetic_samples(&c.graph, SYNTHETIC_SAMPLES, opts.seed),
            "synthetic".to_string(),
            Some(opts.seed),
        ),
    };
    let cal = calibrate(&c.graph, &samples)?;
    let n = cal.samples;
    let mut g = c.graph.clone();
    let reports = Pipeline::quantize(opts.cfg.clone(), cal).run(&mut g, after)?;
    g.private_io = opts.cfg.private_io;
    let io = opts.cfg.private_io;
    let private = [
        (opts.cfg.private_weights, "weights"),
        (io.input, "input"),
        (io.output, "output"),
    ]
    .into_iter()
    .filter(|(on, _)| *on)
    .map(|(_, name)| name.to_string())
    .collect();
    Ok(QuantizedModel {
        graph: g,
        info: QuantInfo {
            bits: opts.cfg.bits,
            weight_bits: opts.cfg.weight_bits,
            output_bits: opts.cfg.output_bits,
            per_channel: opts.cfg.per_channel,
            calibration: CalibrationInfo {
                source,
                seed,
                samples: n,
            },
            private,
        },
        passes: crate::report::pass_lines(&reports),
    })
}

/// True when `path` names a readable calibration file (for early errors).
pub fn check_calibration_file(path: &Path) -> Result<()> {
    if path.is_file() {
        Ok(())
    } else {
        Err(crate::DriverError::Data {
            path: path.display().to_string(),
            reason: "calibration file not found".into(),
        })
    }
}
