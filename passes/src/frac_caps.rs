//! Caps on activation fractional bits, so every requantization stays within
//! [`MAX_SHIFT_BITS`].
//!
//! Calibration alone gives a value `f = floor(log2((2^(b-1) - 1) / max|v|))`
//! fractional bits, without bound: a tensor of random-weight activations
//! near 1e-10 gets `f = 40`. When such a value feeds an op whose output is
//! much larger (a bias or a constant added dominates), the requantization
//! from the input's scale to the output's needs a shift wider than the
//! circuit's rescale can check, and the model fails at circuit planning.
//!
//! Identity: for every value `v`, `cap(v)` is the largest `f_v` for which
//! each consumer `c` requantizes within [`MAX_SHIFT_BITS`] bits, given the
//! consumer's own (capped) output bits `f_c`:
//!
//! - a weighted op (conv, conv_transpose, gemm, scale_shift, a mul by a
//!   constant tensor) shifts by `f_v + f_w - f_c`, with `f_w` the weights'
//!   own calibrated bits, so `cap = f_c + MAX_SHIFT_BITS - f_w` (capping the
//!   input instead of the weights keeps the weights' precision);
//! - add, sub and concat align `v` to the output: `cap = f_c + MAX_SHIFT_BITS`;
//! - an op that keeps its input's scale (relu, clip, max_pool, pad and data
//!   movement) passes on its own cap;
//! - other ops (tables, divisions, pooling means, a mul of two values) do not
//!   limit `v`: their rounding is chosen by later passes.
//!
//! What is given up is named: a capped value loses its parts below
//! `2^-cap`, which the consumer's output could not resolve within a
//! 32-bit shift in any case (DESIGN.md, "Numeric semantics").

use std::collections::BTreeMap;

use zkc_fixed::frac_bits_for;
use zkc_ir::{Graph, NodeId, Op};

use crate::quant_config::MAX_SHIFT_BITS;

/// The cap of a value and the consumer that sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cap {
    /// Largest fractional bits the value may have.
    pub bits: i32,
    /// The consumer whose requantization sets the cap.
    pub by: NodeId,
}

/// The calibrated fractional bits of a constant operand's largest
/// magnitude at `bits`, when the operand is a float constant.
fn const_frac(g: &Graph, c: NodeId, bits: u32) -> Option<i32> {
    let t = g.const_tensor(c).filter(|t| t.is_float())?;
    let max = t.to_f32().iter().fold(0f32, |m, x| m.max(x.abs()));
    frac_bits_for(f64::from(max), bits).ok()
}

/// How far input slot `slot` of `c` may be finer than `c`'s output:
/// `Some(d)` means `f_in <= f_c + d`, `None` that `c` passes its own cap on,
/// and no entry (the outer `None`) that `c` does not limit it.
fn slack(g: &Graph, c: NodeId, slot: usize, weight_bits: u32) -> Option<Option<i32>> {
    let ins = g.inputs(c);
    let konst = |i: usize| ins.get(i).is_some_and(|&x| g.const_tensor(x).is_some());
    match g.op(c) {
        Op::Conv { .. } | Op::ConvTranspose { .. } | Op::Gemm { .. } | Op::ScaleShift { .. }
            if slot == 0 =>
        {
            let fw = const_frac(g, ins[1], weight_bits)?;
            Some(Some(MAX_SHIFT_BITS - fw))
        }
        Op::Mul if konst(1 - slot.min(1)) => {
            let other = ins[1 - slot.min(1)];
            let t = g.const_tensor(other)?;
            if t.len() == 1 {
                return None; // a scalar factor: lower_divisions rounds it
            }
            let fw = const_frac(g, other, weight_bits)?;
            Some(Some(MAX_SHIFT_BITS - fw))
        }
        Op::Add { .. } | Op::Sub { .. } | Op::Concat { .. } => Some(Some(MAX_SHIFT_BITS)),
        // ops that keep their input's scale (concat, the one data-movement
        // op with several inputs, aligns them and is matched above)
        op if slot == 0
            && (op.is_data_movement()
                || matches!(op, Op::Relu | Op::Clip(_) | Op::MaxPool { .. })) =>
        {
            Some(None)
        }
        _ => None,
    }
}

/// The cap of every value that has one, given `act(c)`: the calibrated
/// fractional bits of each non-constant value `c`. Values are visited
/// from the outputs back, so a consumer's own cap is known first.
pub(crate) fn frac_caps(
    g: &Graph,
    order: &[NodeId],
    weight_bits: u32,
    act: &dyn Fn(NodeId) -> Option<i32>,
) -> BTreeMap<NodeId, Cap> {
    let mut caps: BTreeMap<NodeId, Cap> = BTreeMap::new();
    for &v in order.iter().rev() {
        if matches!(g.op(v), Op::Const(_)) {
            continue;
        }
        let mut best: Option<Cap> = None;
        for (c, slot) in g.users(v) {
            let limit = match slack(g, c, slot, weight_bits) {
                None => continue,
                Some(None) => caps.get(&c).copied(),
                Some(Some(d)) => {
                    let own = act(c);
                    let f_c = match (own, caps.get(&c)) {
                        (Some(a), Some(k)) => Some(a.min(k.bits)),
                        (Some(a), None) => Some(a),
                        (None, k) => k.map(|k| k.bits),
                    };
                    f_c.map(|f| Cap {
                        bits: f.saturating_add(d),
                        by: c,
                    })
                }
            };
            if let Some(l) = limit {
                if best.is_none_or(|b| l.bits < b.bits) {
                    best = Some(l);
                }
            }
        }
        if let Some(b) = best {
            caps.insert(v, b);
        }
    }
    caps
}
