//! `zkc eval`: float versus quantized accuracy (classification) or mean
//! squared error (regression) over a labelled dataset, with per-layer
//! quantization error.

use std::collections::HashMap;
use std::io::IsTerminal;

use serde::Serialize;

use zkc_ir::NodeId;

use crate::data::{Dataset, Labels};
use crate::model::{frac_of, Model};
use crate::{DriverError, Result};

/// Quantization error of one layer over a dataset.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LayerError {
    /// Node name (the ONNX node).
    pub name: String,
    /// Op kind in the quantized graph.
    pub kind: String,
    /// RMS of (dequantized - float) divided by the largest |float| seen:
    /// the error accumulated up to this layer.
    pub rel_rms: f64,
    /// How much this layer adds: `rel_rms` minus the largest `rel_rms` of
    /// the layers feeding it (0 when it does not grow).
    pub added: f64,
}

/// What an evaluation measured. Classification fills the accuracy fields,
/// regression the MSE fields.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct EvalResult {
    /// Samples evaluated.
    pub samples: usize,
    /// Float top-1 accuracy (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub float_accuracy: Option<f64>,
    /// Quantized top-1 accuracy (classification).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantized_accuracy: Option<f64>,
    /// Fraction of samples where float and quantized top-1 agree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agreement: Option<f64>,
    /// Float mean squared error (regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub float_mse: Option<f64>,
    /// Quantized mean squared error (regression).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantized_mse: Option<f64>,
    /// The mean squared error a dataset proof states (regression): of the
    /// integer outputs against the targets quantized at the output's scale,
    /// exactly what `zkc prove --data` proves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_mse: Option<f64>,
    /// Largest |quantized - float| over all outputs and samples.
    pub max_abs_error: f64,
    /// Elements clamped over all samples (inputs and rescales).
    pub clamped: usize,
    /// Per-layer error, in topological order.
    pub layers: Vec<LayerError>,
}

/// Errors of the nearest measured layers upstream of `q`.
fn upstream(g: &zkc_ir::Graph, q: NodeId, rel: &HashMap<NodeId, f64>) -> Vec<f64> {
    let mut out = vec![];
    let mut seen = std::collections::HashSet::new();
    let mut stack = g.inputs(q);
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        match rel.get(&n) {
            Some(&e) => out.push(e),
            None => stack.extend(g.inputs(n)),
        }
    }
    out
}

/// The index of the first largest value (ties go to the smaller index, as
/// `numpy.argmax` and the dataset statement chip).
pub(crate) fn argmax<T: PartialOrd>(v: &[T]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

/// A progress bar on a terminal for long runs (hidden otherwise).
pub fn progress(n: usize, what: &str) -> indicatif::ProgressBar {
    if n < 20 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(n as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta})")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_message(what.to_string());
    pb
}

/// Evaluates `model` on `data` (which must have labels).
pub fn evaluate(
    model: &Model,
    data: &Dataset,
    data_path: &str,
    show_progress: bool,
) -> Result<EvalResult> {
    let labels = data.labels.as_ref().ok_or_else(|| DriverError::Data {
        path: data_path.to_string(),
        reason: "has no \"labels\"; eval needs one label per sample".into(),
    })?;
    let pairs = model.layer_pairs();
    let mut sse: HashMap<usize, (f64, f64, usize)> = HashMap::new(); // pair -> (sum sq err, max |f|, count)
    let (mut f_ok, mut q_ok, mut agree) = (0usize, 0usize, 0usize);
    let (mut f_se, mut q_se, mut n_targets) = (0f64, 0f64, 0usize);
    let mut sse_q: Option<u128> = Some(0);
    let out_frac = model
        .quant
        .outputs()
        .first()
        .map_or(0, |&o| frac_of(&model.quant, o));
    let (mut max_err, mut clamped) = (0f64, 0usize);
    let pb = if show_progress {
        progress(data.samples.len(), "eval")
    } else {
        indicatif::ProgressBar::hidden()
    };
    for (k, sample) in data.samples.iter().enumerate() {
        let inf = model.infer(sample)?;
        clamped += inf.clamped;
        for (a, b) in inf.quant.iter().zip(&inf.float) {
            for (x, y) in a.iter().zip(b) {
                max_err = max_err.max(f64::from((x - y).abs()));
            }
        }
        let (fo, qo) = (&inf.float[0], &inf.quant[0]);
        match labels {
            Labels::Classes(c) => {
                let (fa, qa) = (argmax(fo), argmax(qo));
                f_ok += usize::from(fa == c[k]);
                q_ok += usize::from(qa == c[k]);
                agree += usize::from(fa == qa);
            }
            Labels::Targets(t) => {
                let t = &t[k];
                if t.len() != fo.len() {
                    return Err(DriverError::Data {
                        path: data_path.to_string(),
                        reason: format!(
                            "label {k} has {} values but the model outputs {}",
                            t.len(),
                            fo.len()
                        ),
                    });
                }
                for i in 0..t.len() {
                    f_se += f64::from(fo[i] - t[i]).powi(2);
                    q_se += f64::from(qo[i] - t[i]).powi(2);
                }
                // what a dataset proof states; none when a target is out of
                // its range (the proof refuses such a dataset)
                match (crate::dataset::quantize_target(&model.quant, t), &mut sse_q) {
                    (Ok(tq), Some(sum)) => {
                        if let Some(yq) = inf.quant_outputs.first() {
                            for (y, t) in yq.iter().zip(&tq) {
                                let e = i128::from(*y) - i128::from(*t);
                                *sum += (e * e) as u128;
                            }
                        }
                    }
                    _ => sse_q = None,
                }
                n_targets += t.len();
            }
        }
        for (p, &(q, f)) in pairs.iter().enumerate() {
            let (Some(qv), Some(fv)) = (inf.int_run.value(q), inf.float_run.value(f)) else {
                continue;
            };
            let deq = zkc_runtime::dequantize(qv, frac_of(&model.quant, q));
            let e = sse.entry(p).or_insert((0.0, 0.0, 0));
            for (a, b) in deq.iter().zip(fv) {
                e.0 += f64::from(a - b).powi(2);
                e.1 = e.1.max(f64::from(b.abs()));
                e.2 += 1;
            }
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    let n = data.samples.len();
    let frac = |x: usize| x as f64 / n as f64;
    let rel: HashMap<NodeId, f64> = pairs
        .iter()
        .enumerate()
        .filter_map(|(p, &(q, _))| {
            let (s, m, c) = sse.get(&p)?;
            Some((q, (s / (*c).max(1) as f64).sqrt() / m.max(1e-12)))
        })
        .collect();
    let layers = pairs
        .iter()
        .filter_map(|&(q, _)| {
            let r = *rel.get(&q)?;
            let before = upstream(&model.quant, q, &rel)
                .into_iter()
                .fold(0f64, f64::max);
            Some(LayerError {
                name: model.quant.node(q).name.clone(),
                kind: model.quant.op(q).kind().to_string(),
                rel_rms: r,
                added: (r - before).max(0.0),
            })
        })
        .collect();
    let classification = matches!(labels, Labels::Classes(_));
    Ok(EvalResult {
        samples: n,
        float_accuracy: classification.then(|| frac(f_ok)),
        quantized_accuracy: classification.then(|| frac(q_ok)),
        agreement: classification.then(|| frac(agree)),
        float_mse: (!classification).then(|| f_se / n_targets.max(1) as f64),
        quantized_mse: (!classification).then(|| q_se / n_targets.max(1) as f64),
        statement_mse: sse_q
            .filter(|_| !classification)
            .map(|s| s as f64 * 2f64.powi(-2 * out_frac) / n_targets.max(1) as f64),
        max_abs_error: max_err,
        clamped,
        layers,
    })
}
