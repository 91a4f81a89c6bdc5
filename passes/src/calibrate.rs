//! Calibration: the float graph is run on sample inputs and the largest
//! magnitude of every value is recorded; quantization derives each value's
//! power-of-two scale from it.

use std::collections::HashMap;

use zkc_ir::{Graph, NodeId};

use crate::PassError;

/// Largest `|value|` seen for every node over the calibration samples.
#[derive(Clone, Debug, Default)]
pub struct Calibration {
    /// Max magnitude per node of the calibrated graph.
    pub max_abs: HashMap<NodeId, f32>,
    /// Number of samples run.
    pub samples: usize,
}

impl Calibration {
    /// The recorded magnitude of a node (0 when never seen).
    pub fn of(&self, id: NodeId) -> f32 {
        self.max_abs.get(&id).copied().unwrap_or(0.0)
    }
}

/// Runs `g` on every sample (a list of flat inputs) and records ranges.
pub fn calibrate(g: &Graph, samples: &[Vec<Vec<f32>>]) -> Result<Calibration, PassError> {
    let mut cal = Calibration::default();
    for (k, s) in samples.iter().enumerate() {
        let run = zkc_runtime::run_float(g, s).map_err(|e| PassError::Eval {
            pass: "calibrate",
            msg: format!("sample {k}: {e}"),
        })?;
        for (id, v) in run.iter() {
            let m = v.iter().fold(0f32, |m, x| m.max(x.abs()));
            let e = cal.max_abs.entry(id).or_insert(0.0);
            *e = e.max(m);
        }
        cal.samples += 1;
    }
    Ok(cal)
}

/// `count` synthetic samples for `g`'s inputs: values uniform in `[-1, 1)`
/// from a xorshift generator seeded with `seed` (deterministic).
pub fn synthetic_samples(g: &Graph, count: usize, seed: u64) -> Vec<Vec<Vec<f32>>> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    };
    let shapes: Vec<usize> = g
        .inputs_list()
        .iter()
        .map(|&i| zkc_ir::numel(g.shape(i)))
        .collect();
    (0..count)
        .map(|_| {
            shapes
                .iter()
                .map(|&n| (0..n).map(|_| next()).collect())
                .collect()
        })
        .collect()
}
