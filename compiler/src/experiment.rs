//! `zkc experiment`: compile a model at several bit widths and measure what
//! quantization costs in accuracy (or MSE), overall and per layer.

use std::path::Path;

use serde::Serialize;
use zkc_passes::QuantConfig;

use crate::compile::{assemble, compile_float};
use crate::data::read_dataset;
use crate::evaluate::{evaluate, EvalResult};
use crate::model::Model;
use crate::plot::{line_chart, Series};
use crate::quantize::{quantize, QuantOptions};
use crate::Result;

/// One bit width's results.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Activation bits.
    pub bits: u32,
    /// Weight bits.
    pub weight_bits: u32,
    /// The evaluation.
    pub eval: EvalResult,
}

/// Settings of an experiment.
pub struct ExperimentOptions<'a> {
    /// Activation bit widths to try.
    pub bits: Vec<u32>,
    /// Fixed weight bits (`None`: the same as the activations).
    pub weight_bits: Option<u32>,
    /// Per-channel weights.
    pub per_channel: bool,
    /// Calibration file (synthetic when `None`).
    pub calibration: Option<&'a Path>,
}

/// Runs the experiment.
pub fn run(model: &Path, data: &Path, opts: &ExperimentOptions) -> Result<Vec<Row>> {
    let float = compile_float(model, |_, _| {})?;
    let dataset = read_dataset(data, &float.inputs)?;
    let mut rows = vec![];
    for &b in &opts.bits {
        let wb = opts.weight_bits.unwrap_or(b);
        let qopts = QuantOptions {
            cfg: QuantConfig::new(b, wb, opts.per_channel),
            calibration: opts.calibration.map(|p| p.to_path_buf()),
            seed: 1,
        };
        let q = quantize(&float, &qopts, |_, _| {})?;
        let art = assemble(model, float.clone(), q)?;
        let m = Model {
            manifest: art.manifest,
            float: art.float.graph,
            quant: art.quant.graph,
        };
        let eval = evaluate(&m, &dataset, &data.display().to_string(), true)?;
        rows.push(Row {
            bits: b,
            weight_bits: wb,
            eval,
        });
    }
    Ok(rows)
}

/// The rounding layer (a rescale or table) that adds the most error (name,
/// added relative RMS error).
pub fn worst_layer(e: &EvalResult) -> (String, f64) {
    e.layers
        .iter()
        .filter(|l| l.kind == "rescale" || l.kind == "table")
        .max_by(|a, b| a.added.total_cmp(&b.added))
        .map(|l| (l.name.clone(), l.added))
        .unwrap_or_default()
}

/// Summary CSV: one line per bit width.
pub fn summary_csv(rows: &[Row]) -> String {
    let mut s = String::from("bits,weight_bits,samples,float_metric,quantized_metric,agreement,max_abs_error,clamped,worst_layer,worst_layer_added_rel_rms\n");
    for r in rows {
        let e = &r.eval;
        let (fm, qm) = metric(e);
        let (wl, we) = worst_layer(e);
        s += &format!(
            "{},{},{},{fm:.6},{qm:.6},{},{:.6},{},{},{we:.6}\n",
            r.bits,
            r.weight_bits,
            e.samples,
            e.agreement.map(|a| format!("{a:.6}")).unwrap_or_default(),
            e.max_abs_error,
            e.clamped,
            csv_field(&wl)
        );
    }
    s
}

/// Per-layer CSV: one line per bit width and layer.
pub fn layers_csv(rows: &[Row]) -> String {
    let mut s = String::from("bits,layer,kind,rel_rms,added_rel_rms\n");
    for r in rows {
        for l in &r.eval.layers {
            s += &format!(
                "{},{},{},{:.6},{:.6}\n",
                r.bits,
                csv_field(&l.name),
                l.kind,
                l.rel_rms,
                l.added
            );
        }
    }
    s
}

fn csv_field(t: &str) -> String {
    if t.contains([',', '"', '\n']) {
        format!("\"{}\"", t.replace('"', "\"\""))
    } else {
        t.to_string()
    }
}

/// `(float, quantized)` accuracy for classifiers, MSE for regression.
pub fn metric(e: &EvalResult) -> (f64, f64) {
    match (e.float_accuracy, e.quantized_accuracy) {
        (Some(f), Some(q)) => (f, q),
        _ => (e.float_mse.unwrap_or(0.0), e.quantized_mse.unwrap_or(0.0)),
    }
}

/// The chart of the metric against bits.
pub fn chart(model: &str, rows: &[Row]) -> String {
    let classification = rows
        .first()
        .is_some_and(|r| r.eval.float_accuracy.is_some());
    let name = if classification {
        "top-1 accuracy"
    } else {
        "MSE"
    };
    let q: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (f64::from(r.bits), metric(&r.eval).1))
        .collect();
    let f: Vec<(f64, f64)> = rows
        .iter()
        .map(|r| (f64::from(r.bits), metric(&r.eval).0))
        .collect();
    line_chart(
        &format!("{model}: {name} against activation bits"),
        "bits",
        name,
        &[
            Series {
                label: "quantized",
                color: "#1f77b4",
                points: q,
                dashed: false,
            },
            Series {
                label: "float",
                color: "#888888",
                points: f,
                dashed: true,
            },
        ],
    )
}
