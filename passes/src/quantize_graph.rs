//! Quantization with power-of-two scales (DESIGN.md, "Numeric semantics").
//!
//! Every value gets a fixed-point type `q = round(v * 2^f)` with its own
//! fractional bits `f`:
//!
//! - graph inputs and activations: `f = floor(log2((2^(b-1) - 1) / max|v|))`
//!   from the calibration range, `b = --bits`; graph outputs use the wider
//!   output width and keep [`OUTPUT_HEADROOM_BITS`] bits of headroom above
//!   the calibrated range (unseen inputs often give larger scores); an
//!   arithmetic op never gets more fractional bits than its exact
//!   accumulator has;
//! - weights (conv, conv_transpose, gemm, scale_shift and elementwise
//!   constant factors): the same rule on `max|w|` with `--weight-bits`, per
//!   tensor, or per output channel with `--per-channel` (each channel then
//!   keeps `b_w` significant bits but all are stored at the finest channel's
//!   scale, at most 8 bits finer than the per-tensor scale, so the type
//!   stays one scale per tensor);
//! - biases: exactly at `f_x + f_w` (the accumulator's scale), in up to
//!   [`BIAS_BITS`] bits (bound analysis then checks the accumulator);
//! - constant operands of add/sub: at the other operand's scale, likewise;
//! - a constant that does not fit is an error naming it, never a silent
//!   clamp;
//! - max_pool, relu, clip and data movement keep their input's scale.
//!
//! Identity: `v ≈ q * 2^-f` with error at most `2^-(f+1)` inside the range.
//! The pass only chooses types and quantizes constants; the arithmetic
//! nodes keep their ops (with the target type of their value), and
//! `insert_rescales`, `lower_divisions` and `tabulate_functions` make the
//! rounding explicit. Scalar constant factors and divisors stay float for
//! `lower_divisions`.

use zkc_fixed::{frac_bits_for, quantize};
use zkc_ir::{DType, Graph, NodeId, Op, Stage, Tensor};

use std::collections::BTreeMap;

use crate::calibrate::Calibration;
use crate::frac_caps::{frac_caps, Cap};
use crate::quant_config::{
    output_fed, range_of, value_bits, QuantConfig, BIAS_BITS, MAX_SHIFT_BITS,
};
use crate::{Pass, PassError};

/// The quantization pass; holds the settings and the calibration of the
/// graph it runs on.
pub struct QuantizeGraph {
    /// Bit widths.
    pub cfg: QuantConfig,
    /// Ranges of the float graph's values.
    pub cal: Calibration,
    /// Precision given up in the last run (see [`Pass::notes`]).
    notes: std::cell::RefCell<Vec<String>>,
}

const NAME: &str = "quantize_graph";

/// Headroom (in bits) of graph outputs above their calibrated range.
pub const OUTPUT_HEADROOM_BITS: i32 = 2;

fn err(msg: String) -> PassError {
    PassError::Unsupported { pass: NAME, msg }
}

fn ir(source: zkc_ir::IrError) -> PassError {
    PassError::Ir { pass: NAME, source }
}

/// The fractional bits for magnitude `m` at `bits` bits.
fn frac_for(m: f32, bits: u32) -> Result<i32, PassError> {
    frac_bits_for(f64::from(m), bits).map_err(|e| err(e.to_string()))
}

/// Quantizes float values at `frac` into `[lo, hi]`; a value that does
/// not fit is an error naming `what` (never a silent clamp: DESIGN.md,
/// "Numeric semantics").
fn quantize_all(
    v: &[f32],
    frac: i32,
    (lo, hi): (i64, i64),
    what: &dyn Fn() -> String,
) -> Result<Vec<i64>, PassError> {
    v.iter()
        .map(|&x| {
            let (q, clamped) =
                quantize(f64::from(x), frac, lo, hi).map_err(|e| err(e.to_string()))?;
            if clamped {
                return Err(err(format!(
                    "{}: {x} at scale 2^-{frac} is outside [{lo}, {hi}]",
                    what()
                )));
            }
            Ok(q)
        })
        .collect()
}

fn frac(g: &Graph, id: NodeId) -> Result<i32, PassError> {
    g.ty(id).frac().ok_or_else(|| {
        err(format!(
            "{} ({}) has no fixed-point type yet",
            g.op(id).kind(),
            g.node(id).name
        ))
    })
}

fn float_const(g: &Graph, id: NodeId, user: NodeId) -> Result<Vec<f32>, PassError> {
    g.const_tensor(id)
        .filter(|t| t.is_float())
        .map(|t| t.to_f32())
        .ok_or_else(|| {
            err(format!(
                "{} ({}): its weights/parameters must be constants",
                g.op(user).kind(),
                g.node(user).name
            ))
        })
}

fn add_int_const(
    g: &mut Graph,
    shape: Vec<usize>,
    data: Vec<i64>,
    frac: i32,
    name: String,
) -> Result<NodeId, PassError> {
    let t = Tensor::i64(shape, data).map_err(ir)?;
    Ok(g.add_const(t, Some(frac), name))
}

/// Per-output-channel index of every weight element, and the channel count.
fn weight_channels(op: &Op, w_shape: &[usize]) -> (Vec<usize>, usize) {
    let n: usize = w_shape.iter().product();
    match op {
        Op::Conv { .. } => {
            let per = n / w_shape[0].max(1);
            ((0..n).map(|i| i / per.max(1)).collect(), w_shape[0])
        }
        Op::ConvTranspose { groups, .. } => {
            let per_c = n / w_shape[0].max(1);
            let k = per_c / w_shape[1].max(1);
            let c_per_g = w_shape[0] / (*groups).max(1);
            let m = w_shape[1] * groups;
            let ch = (0..n)
                .map(|i| (i / per_c / c_per_g.max(1)) * w_shape[1] + (i % per_c) / k.max(1))
                .collect();
            (ch, m)
        }
        _ => {
            // gemm w [K, N] and elementwise factors: the last axis
            let last = *w_shape.last().unwrap_or(&1);
            ((0..n).map(|i| i % last.max(1)).collect(), last)
        }
    }
}

impl QuantizeGraph {
    /// The pass for `cfg` and the calibration `cal` of the graph it runs on.
    pub fn new(cfg: QuantConfig, cal: Calibration) -> Self {
        QuantizeGraph {
            cfg,
            cal,
            notes: Default::default(),
        }
    }

    fn act_frac(
        &self,
        g: &Graph,
        fed: &std::collections::BTreeSet<NodeId>,
        id: NodeId,
    ) -> Result<i32, PassError> {
        let f = frac_for(self.cal.of(id), value_bits(&self.cfg, fed, g, id))?;
        let is_output = fed.contains(&id) && !matches!(g.op(id), Op::Input { .. });
        Ok(if is_output {
            f - OUTPUT_HEADROOM_BITS
        } else {
            f
        })
    }

    /// [`Self::act_frac`] within the value's cap (see [`crate::frac_caps`]),
    /// noting a cap that applies.
    fn capped_frac(
        &self,
        g: &Graph,
        fed: &std::collections::BTreeSet<NodeId>,
        caps: &BTreeMap<NodeId, Cap>,
        id: NodeId,
    ) -> Result<i32, PassError> {
        let f = self.act_frac(g, fed, id)?;
        match caps.get(&id) {
            Some(cap) if cap.bits < f => {
                self.notes.borrow_mut().push(format!(
                    "{} {}: fractional bits capped from {f} to {} so that {} {} requantizes it within {MAX_SHIFT_BITS} bits (its calibrated values are tiny next to that op's output; parts below 2^-{} are dropped)",
                    g.op(id).kind(),
                    g.node(id).name,
                    cap.bits,
                    g.op(cap.by).kind(),
                    g.node(cap.by).name,
                    cap.bits
                ));
                Ok(cap.bits)
            }
            _ => Ok(f),
        }
    }

    /// Quantizes weight `w` (float const) for `user`; returns the int const
    /// node and its frac.
    fn weights(
        &self,
        g: &mut Graph,
        user: NodeId,
        w: NodeId,
        per_channel: bool,
        cap: i32,
    ) -> Result<(NodeId, i32), PassError> {
        let v = float_const(g, w, user)?;
        let shape = g.shape(w).to_vec();
        let bw = self.cfg.weight_bits;
        let (lo, hi) = range_of(bw);
        let sym = (lo + 1, hi); // symmetric weights: [-(2^(b-1)-1), 2^(b-1)-1]
        let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
        let f_tensor = frac_for(max, bw)?;
        let f_tensor = if f_tensor > cap {
            self.notes.borrow_mut().push(format!(
                "{} {}: weight fractional bits capped from {f_tensor} to {cap}, so its requantization shift stays within {MAX_SHIFT_BITS} bits (tiny activations or weights; precision of the weights is reduced)",
                g.op(user).kind(),
                g.node(user).name
            ));
            cap
        } else {
            f_tensor
        };
        if per_channel {
            let op = g.op(user).clone();
            let (ch, n) = weight_channels(&op, &shape);
            let mut cmax = vec![0f32; n];
            for (i, x) in v.iter().enumerate() {
                cmax[ch[i]] = cmax[ch[i]].max(x.abs());
            }
            let fc: Vec<i32> = cmax
                .iter()
                .map(|&m| frac_for(m, bw).map(|f| f.min(f_tensor + 8).min(cap)))
                .collect::<Result<_, _>>()?;
            let fmax = fc.iter().copied().max().unwrap_or(f_tensor);
            let mut out = Vec::with_capacity(v.len());
            for (i, x) in v.iter().enumerate() {
                let q = quantize(f64::from(*x), fc[ch[i]], sym.0, sym.1)
                    .map_err(|e| err(e.to_string()))?
                    .0;
                out.push(q << (fmax - fc[ch[i]]));
            }
            return Ok((
                add_int_const(g, shape, out, fmax, g.node(w).name.clone())?,
                fmax,
            ));
        }
        let data = quantize_all(&v, f_tensor, sym, &|| {
            format!("weight {} of {}", g.node(w).name, g.node(user).name)
        })?;
        Ok((
            add_int_const(g, shape, data, f_tensor, g.node(w).name.clone())?,
            f_tensor,
        ))
    }

    /// Quantizes the float constant `c` read by `user` exactly at `frac`
    /// into `range` and adds it as an int const (same shape and name); a
    /// value that does not fit is an error naming `what` of the constant.
    fn constant(
        &self,
        g: &mut Graph,
        user: NodeId,
        c: NodeId,
        frac: i32,
        range: (i64, i64),
        what: &str,
    ) -> Result<NodeId, PassError> {
        let v = float_const(g, c, user)?;
        let data = quantize_all(&v, frac, range, &|| {
            format!("{what} {} of {}", g.node(c).name, g.node(user).name)
        })?;
        add_int_const(g, g.shape(c).to_vec(), data, frac, g.node(c).name.clone())
    }

    /// Quantizes a bias (float const) exactly at `frac` (the accumulator's
    /// scale) in [`BIAS_BITS`] bits; one that does not fit is an error.
    fn bias(&self, g: &mut Graph, user: NodeId, b: NodeId, frac: i32) -> Result<NodeId, PassError> {
        self.constant(g, user, b, frac, range_of(BIAS_BITS), "bias")
    }
}

impl Pass for QuantizeGraph {
    fn name(&self) -> &'static str {
        NAME
    }

    fn produces(&self) -> Stage {
        Stage::Quantizing
    }

    fn notes(&self) -> Vec<String> {
        self.notes.borrow().clone()
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        self.cfg.check()?;
        self.notes.borrow_mut().clear();
        let fed = output_fed(g);
        let order = g.topo_order().map_err(ir)?;
        let caps = frac_caps(g, &order, self.cfg.weight_bits, &|c| {
            self.act_frac(g, &fed, c).ok()
        });
        let mut changed = 0;
        for id in order {
            let ins = g.inputs(id);
            let op = g.op(id).clone();
            let name = g.node(id).name.clone();
            let f_y = match &op {
                Op::Const(_) => continue,
                Op::Input { .. } => self.capped_frac(g, &fed, &caps, id)?,
                Op::Conv { .. }
                | Op::ConvTranspose { .. }
                | Op::Gemm { .. }
                | Op::ScaleShift { .. } => {
                    let fx = frac(g, ins[0])?;
                    let per_channel = self.cfg.per_channel && !matches!(op, Op::ScaleShift { .. });
                    let f_act = self.capped_frac(g, &fed, &caps, id)?;
                    let cap = f_act + MAX_SHIFT_BITS - fx;
                    let (w, fw) = self.weights(g, id, ins[1], per_channel, cap)?;
                    let b = self.bias(g, id, ins[2], fx + fw)?;
                    g.set_inputs(id, &[ins[0], w, b]).map_err(ir)?;
                    f_act.min(fx + fw)
                }
                Op::Mul => {
                    let scalar = |i: NodeId| g.const_tensor(i).is_some_and(|t| t.len() == 1);
                    let c = ins.iter().position(|&i| g.const_tensor(i).is_some());
                    match c {
                        // scalar factor: lowered by lower_divisions
                        Some(ci) if scalar(ins[ci]) => self.capped_frac(g, &fed, &caps, id)?,
                        Some(ci) => {
                            let x = ins[1 - ci];
                            let fx = frac(g, x)?;
                            let f_act = self.capped_frac(g, &fed, &caps, id)?;
                            let cap = f_act + MAX_SHIFT_BITS - fx;
                            let (cq, fc) = self.weights(g, id, ins[ci], false, cap)?;
                            let mut new = ins.clone();
                            new[ci] = cq;
                            g.set_inputs(id, &new).map_err(ir)?;
                            f_act.min(fx + fc)
                        }
                        None => self
                            .capped_frac(g, &fed, &caps, id)?
                            .min(frac(g, ins[0])? + frac(g, ins[1])?),
                    }
                }
                Op::Add { .. } | Op::Sub { .. } => {
                    let c = ins.iter().position(|&i| g.const_tensor(i).is_some());
                    if let Some(ci) = c {
                        let fo = frac(g, ins[1 - ci])?;
                        let cq =
                            self.constant(g, id, ins[ci], fo, range_of(BIAS_BITS), "constant")?;
                        let mut new = ins.clone();
                        new[ci] = cq;
                        g.set_inputs(id, &new).map_err(ir)?;
                    }
                    let cur = g.inputs(id);
                    let finest = frac(g, cur[0])?.max(frac(g, cur[1])?);
                    self.capped_frac(g, &fed, &caps, id)?.min(finest)
                }
                Op::Div
                | Op::Sigmoid
                | Op::Tanh
                | Op::Function(_)
                | Op::LeakyRelu { .. }
                | Op::AvgPool { .. }
                | Op::GlobalAvgPool => self.capped_frac(g, &fed, &caps, id)?,
                Op::Concat { .. } => {
                    // constant parts are quantized at the output's scale
                    // (calibration covers them); insert_rescales aligns the rest
                    let f_y = self.capped_frac(g, &fed, &caps, id)?;
                    let range = range_of(value_bits(&self.cfg, &fed, g, id));
                    let mut new = ins.clone();
                    for (slot, &c) in ins.iter().enumerate() {
                        if g.const_tensor(c).is_some() {
                            new[slot] = self.constant(g, id, c, f_y, range, "constant")?;
                        }
                    }
                    g.set_inputs(id, &new).map_err(ir)?;
                    f_y
                }
                Op::Relu | Op::Clip(_) | Op::MaxPool { .. } => frac(g, ins[0])?,
                Op::Pad { pads, value } => {
                    let fx = frac(g, ins[0])?;
                    // stored in the op as f32: exact up to 2^24
                    let q = quantize_all(&[*value], fx, (-(1 << 24), 1 << 24), &|| {
                        format!("pad value of {name}")
                    })?[0];
                    g.node_mut(id).op = Op::Pad {
                        pads: pads.clone(),
                        value: q as f32,
                    };
                    fx
                }
                Op::Reshape
                | Op::Transpose { .. }
                | Op::Slice { .. }
                | Op::Gather { .. }
                | Op::Resize { .. } => frac(g, ins[0])?,
                Op::BatchNorm { .. } => {
                    return Err(err(format!(
                        "batch_norm ({name}) has non-constant parameters"
                    )));
                }
                Op::SumPool { .. } | Op::Rescale { .. } | Op::Table { .. } | Op::Private(_) => {
                    return Err(err(format!("{} ({name}) is already quantized", op.kind())));
                }
            };
            g.node_mut(id).ty.dtype = DType::Int { frac: f_y };
            changed += 1;
        }
        g.remove_dead();
        Ok(changed)
    }
}
