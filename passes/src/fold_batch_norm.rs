//! BatchNormalization folding (and per-channel affine folding).
//!
//! Identity: inference-mode BatchNorm is the per-channel affine map
//! `y = x*s + t` with `s = scale / sqrt(var + epsilon)` and
//! `t = bias - mean * s`. When `x` is the output of a Conv, ConvTranspose or
//! Gemm `x = W*u + b` read by nothing else, then
//! `y = (W*s)*u + (b*s + t)`: scaling the weights of output channel `c` by
//! `s[c]` and replacing the bias gives the same values (up to float
//! rounding, computed in f64). The same identity folds a `mul` by a
//! per-channel constant (`t = 0`) and an `add`/`sub` of one (`s = 1`) into
//! such a producer. A BatchNorm with no foldable producer becomes a
//! `scale_shift` with the same `s` and `t`.
//!
//! Channels are axis 1 for Conv and ConvTranspose outputs and the last axis
//! for Gemm outputs (BatchNorm folds into a Gemm only when its output is 2-D,
//! where axis 1 is the last axis).

use zkc_ir::{Graph, NodeId, Op};

use crate::consts::{add_f32, const_f32, per_channel};
use crate::{Pass, PassError};

/// Folds BatchNorm and per-channel affine constants into producers.
pub struct FoldBatchNorm;

impl Pass for FoldBatchNorm {
    fn name(&self) -> &'static str {
        "fold_batch_norm"
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        let order = g.topo_order().map_err(|source| PassError::Ir {
            pass: self.name(),
            source,
        })?;
        let mut changes = 0;
        for id in order {
            if !g.contains(id) {
                continue;
            }
            let ins = g.inputs(id);
            let rewrite = match g.op(id) {
                Op::BatchNorm { epsilon } => {
                    batch_norm_affine(g, &ins, *epsilon).map(|(s, t)| (ins[0], 1, s, t))
                }
                Op::Mul => affine_operand(g, &ins, |c| (c, 0.0)),
                Op::Add { act: None } => affine_operand(g, &ins, |c| (1.0, c)),
                Op::Sub { act: None } if g.const_tensor(ins[0]).is_none() => {
                    affine_operand(g, &ins, |c| (1.0, -c))
                }
                _ => None,
            };
            let Some((x, axis, s, t)) = rewrite else {
                continue;
            };
            if fold_into_producer(g, x, axis, &s, &t) {
                g.replace_uses(id, x);
                g.remove(id);
                changes += 1;
            } else if matches!(g.op(id), Op::BatchNorm { .. }) {
                let c = s.len();
                let name = g.node(id).name.clone();
                let (Some(sid), Some(tid)) = (
                    add_f32(g, vec![c], s, format!("{name}.scale")),
                    add_f32(g, vec![c], t, format!("{name}.shift")),
                ) else {
                    continue;
                };
                g.node_mut(id).op = Op::ScaleShift { act: None };
                g.set_inputs(id, &[x, sid, tid])
                    .map_err(|source| PassError::Ir {
                        pass: self.name(),
                        source,
                    })?;
                changes += 1;
            }
        }
        Ok(changes)
    }
}

/// `(s, t)` of a BatchNorm with constant parameters.
fn batch_norm_affine(g: &Graph, ins: &[NodeId], eps: f32) -> Option<(Vec<f32>, Vec<f32>)> {
    let p: Vec<Vec<f32>> = ins[1..]
        .iter()
        .map(|&i| const_f32(g, i))
        .collect::<Option<_>>()?;
    let (scale, bias, mean, var) = (&p[0], &p[1], &p[2], &p[3]);
    let mut s = vec![];
    let mut t = vec![];
    for c in 0..scale.len() {
        let v = f64::from(var[c]) + f64::from(eps);
        if v <= 0.0 {
            return None;
        }
        let sc = f64::from(scale[c]) / v.sqrt();
        s.push(sc as f32);
        t.push((f64::from(bias[c]) - f64::from(mean[c]) * sc) as f32);
    }
    Some((s, t))
}

/// For a binary op with one computed operand `x` (slot 0 or 1) and a constant
/// that is per-channel for `x`'s producer: `(x, channel axis, s, t)` with `f`
/// mapping the constant to `(s, t)`.
fn affine_operand(
    g: &Graph,
    ins: &[NodeId],
    f: impl Fn(f32) -> (f32, f32),
) -> Option<(NodeId, usize, Vec<f32>, Vec<f32>)> {
    let (x, c) = if g.const_tensor(ins[1]).is_some() {
        (ins[0], ins[1])
    } else {
        (ins[1], ins[0])
    };
    let axis = channel_axis(g, x)?;
    let ys = g.shape(x);
    let vals = per_channel(&const_f32(g, c)?, g.shape(c), ys, axis)?;
    // the result must keep x's shape (no broadcasting up)
    if zkc_ir::broadcast_shapes(g.shape(c), ys)? != ys {
        return None;
    }
    let (s, t): (Vec<f32>, Vec<f32>) = vals.into_iter().map(f).unzip();
    Some((x, axis, s, t))
}

/// The channel axis of a foldable producer's output, if `x` is one.
fn channel_axis(g: &Graph, x: NodeId) -> Option<usize> {
    match g.op(x) {
        Op::Conv { act: None, .. } | Op::ConvTranspose { act: None, .. } => Some(1),
        Op::Gemm { act: None } => Some(g.shape(x).len() - 1),
        _ => None,
    }
}

/// Rewrites producer `x` to compute `x*s + t` per index of `axis`; false
/// when `x` is not a foldable producer whose channel axis is `axis`, or is
/// read elsewhere.
fn fold_into_producer(g: &mut Graph, x: NodeId, axis: usize, s: &[f32], t: &[f32]) -> bool {
    if channel_axis(g, x) != Some(axis) || !g.has_single_use(x) || g.shape(x)[axis] != s.len() {
        return false;
    }
    let ins = g.inputs(x);
    let (Some(w), Some(b)) = (const_f32(g, ins[1]), const_f32(g, ins[2])) else {
        return false;
    };
    let ws = g.shape(ins[1]).to_vec();
    let channel_of = |i: usize| -> usize {
        match g.op(x) {
            Op::Conv { .. } => i / (w.len() / ws[0]),
            Op::ConvTranspose { groups, .. } => {
                // w [C, M/groups, *K]: output channel = group * (M/groups) + m'
                let per_c = w.len() / ws[0];
                let (c, m) = (i / per_c, (i % per_c) / (per_c / ws[1]));
                (c / (ws[0] / groups)) * ws[1] + m
            }
            _ => i % ws[1],
        }
    };
    let new_w: Vec<f32> = (0..w.len())
        .map(|i| (f64::from(w[i]) * f64::from(s[channel_of(i)])) as f32)
        .collect();
    let new_b: Vec<f32> = (0..b.len())
        .map(|c| (f64::from(b[c]) * f64::from(s[c]) + f64::from(t[c])) as f32)
        .collect();
    let name = g.node(x).name.clone();
    let (Some(wid), Some(bid)) = (
        add_f32(g, ws, new_w, format!("{name}.weight")),
        add_f32(g, vec![b.len()], new_b, format!("{name}.bias")),
    ) else {
        return false;
    };
    g.set_inputs(x, &[ins[0], wid, bid]).is_ok()
}
