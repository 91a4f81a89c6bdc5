//! Requantization as rounding shifts.
//!
//! Identity: an accumulator `acc` at `f_acc` fractional bits represents
//! `acc * 2^-f_acc`; the same real value at `f_y` bits, rounded half up and
//! clamped to the value's range, is
//! `y = clamp(floor((acc + 2^(s-1)) / 2^s), lo, hi)` with `s = f_acc - f_y`
//! (an exact left shift when `s <= 0`): a `rescale` with `mult = 1`.
//!
//! - conv, conv_transpose, gemm, scale_shift and mul (of two values, or by a
//!   constant tensor) become their exact accumulator (named `<name>.acc`, at
//!   the sum of their inputs' fracs) followed by a `rescale` (named `<name>`)
//!   to the value's type; a fused activation becomes the rescale's clamp
//!   (`lo = 0` for ReLU, `hi = round down(6 * 2^f_y)` for ReLU6);
//! - add/sub align the coarser operand to the finer one by an exact left
//!   shift, add exactly, then rescale;
//! - a standalone relu/clip becomes a `rescale` with shift 0 (a clamp);
//! - concat rescales every input whose scale differs from its own.
//!
//! Scalar constant factors, divisions and pools are left to
//! `lower_divisions`, smooth functions to `tabulate_functions`.

use zkc_ir::{Clamp, DType, Graph, NodeId, Op, Stage, ValueType};

use crate::quant_config::{output_fed, range_of, value_bits, QuantConfig};
use crate::{Pass, PassError};

/// Bounds used for exact alignment shifts (never reached: bound analysis
/// proves the shifted value stays far inside them).
pub const WIDE: i64 = 1 << 62;

const NAME: &str = "insert_rescales";

/// Makes every requantization an explicit rounding shift.
pub struct InsertRescales {
    /// Bit widths.
    pub cfg: QuantConfig,
}

fn ir(source: zkc_ir::IrError) -> PassError {
    PassError::Ir { pass: NAME, source }
}

fn frac(g: &Graph, id: NodeId) -> i32 {
    g.ty(id).frac().unwrap_or(0)
}

/// Integer bounds at `f` fractional bits of a real clamp, within `bits`.
pub(crate) fn int_clamp(c: Option<Clamp>, f: i32, bits: u32) -> Result<(i64, i64), PassError> {
    let (lo, hi) = range_of(bits);
    let Some(c) = c else { return Ok((lo, hi)) };
    let scale = 2f64.powi(f);
    let l = (f64::from(c.lo) * scale).ceil();
    let h = (f64::from(c.hi) * scale).floor();
    let l = if l.is_finite() {
        (l.max(lo as f64) as i64).max(lo)
    } else if l < 0.0 {
        lo
    } else {
        hi
    };
    let h = if h.is_finite() {
        (h.min(hi as f64) as i64).min(hi)
    } else if h > 0.0 {
        hi
    } else {
        lo
    };
    if l > h {
        return Err(PassError::Unsupported {
            pass: NAME,
            msg: format!("clamp [{}, {}] is empty at {f} fractional bits", c.lo, c.hi),
        });
    }
    Ok((l, h))
}

fn is_accumulating(g: &Graph, id: NodeId) -> bool {
    match g.op(id) {
        Op::Conv { .. } | Op::ConvTranspose { .. } | Op::Gemm { .. } | Op::ScaleShift { .. } => {
            true
        }
        Op::Mul => g.inputs(id).iter().all(|&i| g.ty(i).dtype != DType::F32),
        _ => false,
    }
}

impl InsertRescales {
    /// Turns `id` into its accumulator at `f_acc` and adds the rescale to its
    /// target type after it.
    fn split(
        &self,
        g: &mut Graph,
        fed: &std::collections::BTreeSet<NodeId>,
        id: NodeId,
        f_acc: i32,
    ) -> Result<(), PassError> {
        let f_y = frac(g, id);
        let bits = value_bits(&self.cfg, fed, g, id);
        let act = g.op(id).act().cloned().flatten();
        let (lo, hi) = int_clamp(act, f_y, bits)?;
        if let Some(a) = g.node_mut(id).op.act_mut() {
            *a = None;
        }
        let name = g.node(id).name.clone();
        g.node_mut(id).name = format!("{name}.acc");
        g.node_mut(id).ty.dtype = DType::Int { frac: f_acc };
        let ty = ValueType::int(g.shape(id).to_vec(), f_y);
        let op = Op::Rescale {
            mult: vec![1],
            shift: f_acc - f_y,
            lo,
            hi,
        };
        g.insert_after(id, op, ty, name).map_err(ir)?;
        Ok(())
    }

    /// Puts a rescale to `f` (clamped to `range`) between input `slot` of
    /// `id` and its producer.
    fn rescale_input(
        &self,
        g: &mut Graph,
        id: NodeId,
        slot: usize,
        f: i32,
        (lo, hi): (i64, i64),
    ) -> Result<(), PassError> {
        let mut ins = g.inputs(id);
        let x = ins[slot];
        let op = Op::Rescale {
            mult: vec![1],
            shift: frac(g, x) - f,
            lo,
            hi,
        };
        let name = format!("{}.in{slot}", g.node(id).name);
        let r = g
            .add(op, &[x], ValueType::int(g.shape(x).to_vec(), f), name)
            .map_err(ir)?;
        ins[slot] = r;
        g.set_inputs(id, &ins).map_err(ir)
    }
}

impl Pass for InsertRescales {
    fn name(&self) -> &'static str {
        NAME
    }

    fn produces(&self) -> Stage {
        Stage::Quantizing
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        let fed = output_fed(g);
        let order = g.topo_order().map_err(ir)?;
        let mut changes = 0;
        for id in order {
            let ins = g.inputs(id);
            match g.op(id).clone() {
                _ if is_accumulating(g, id) => {
                    let f_acc = frac(g, ins[0]) + frac(g, ins[1]);
                    self.split(g, &fed, id, f_acc)?;
                }
                Op::Add { .. } | Op::Sub { .. } => {
                    let fc = frac(g, ins[0]).max(frac(g, ins[1]));
                    for (slot, &x) in ins.iter().enumerate() {
                        if frac(g, x) < fc {
                            self.rescale_input(g, id, slot, fc, (-WIDE, WIDE - 1))?;
                        }
                    }
                    self.split(g, &fed, id, fc)?;
                }
                Op::Relu | Op::Clip(_) => {
                    let c = match g.op(id) {
                        Op::Clip(c) => *c,
                        _ => Clamp::RELU,
                    };
                    let (f_x, f_y) = (frac(g, ins[0]), frac(g, id));
                    let (lo, hi) = int_clamp(Some(c), f_y, value_bits(&self.cfg, &fed, g, id))?;
                    g.node_mut(id).op = Op::Rescale {
                        mult: vec![1],
                        shift: f_x - f_y,
                        lo,
                        hi,
                    };
                }
                Op::Concat { .. } => {
                    let f_y = frac(g, id);
                    let range = range_of(value_bits(&self.cfg, &fed, g, id));
                    for (slot, &x) in ins.iter().enumerate() {
                        if frac(g, x) != f_y {
                            self.rescale_input(g, id, slot, f_y, range)?;
                        }
                    }
                }
                _ => continue,
            }
            changes += 1;
        }
        Ok(changes)
    }
}
