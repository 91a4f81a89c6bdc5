//! Exact interval analysis of quantized graphs (shared by the lowering
//! passes, which need the range of a value to choose a multiplier or a
//! table, and by `analyze_bounds`, which records and checks every range).
//!
//! Every element of a value is assumed to range independently over its
//! interval, so the bound of a dot product is the exact worst case
//! `bias + sum over taps of max(w*lo, w*hi)` (and the same with `min`).
//! A private parameter's elements range independently over its declared
//! `[lo, hi]` (never its values), so a dot product with private weights is
//! bounded by `bias + sum over taps of max(lo*xlo, lo*xhi, hi*xlo, hi*xhi)`
//! (likewise with `min`), again exact for independent elements, and every
//! bound holds for any values in the declared ranges: it depends on the
//! ranges only, never on the private values.
//! Ops not lowered yet (and arithmetic nodes whose rescale has not been
//! inserted) are bounded by their value's bit range, which the lowering
//! will clamp to, so the analysis is sound at every stage.

use std::collections::HashMap;

use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};
use zkc_ir::{geometry, Graph, NodeId, Op};

use crate::quant_config::range_of;

/// An inclusive integer interval.
pub(crate) type Iv = (BigInt, BigInt);

fn iv(lo: impl Into<BigInt>, hi: impl Into<BigInt>) -> Iv {
    (lo.into(), hi.into())
}

fn union(a: &Iv, b: &Iv) -> Iv {
    (a.0.clone().min(b.0.clone()), a.1.clone().max(b.1.clone()))
}

fn mul_iv(a: &Iv, b: &Iv) -> Iv {
    let c = [&a.0 * &b.0, &a.0 * &b.1, &a.1 * &b.0, &a.1 * &b.1];
    let lo = c.iter().min().cloned().unwrap_or_default();
    let hi = c.iter().max().cloned().unwrap_or_default();
    (lo, hi)
}

/// `floor((x + 2^(s-1)) / 2^s)` for `s > 0`, `x * 2^-s` otherwise, exactly.
pub(crate) fn round_shift_big(x: &BigInt, s: i32) -> BigInt {
    if s <= 0 {
        return x << (s.unsigned_abs() as usize);
    }
    let d = BigInt::one() << (s as usize);
    let half = BigInt::one() << ((s - 1) as usize);
    (x + half).div_floor(&d)
}

/// A parameter input (weights, bias, scale, shift) as the analysis sees
/// it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Param<'a> {
    /// A constant: every element's exact value.
    Values(&'a [i64]),
    /// A private parameter: every element anywhere in `[lo, hi]`,
    /// independently of the others.
    Range(i64, i64),
}

impl Param<'_> {
    /// The interval of element `i` (`None` past the end of a constant).
    fn at(&self, i: usize) -> Option<Iv> {
        match self {
            Param::Values(v) => v.get(i).map(|&x| iv(x, x)),
            Param::Range(lo, hi) => Some(iv(*lo, *hi)),
        }
    }
}

/// The parameter held by `id`: an integer constant or a private parameter.
pub(crate) fn param(g: &Graph, id: NodeId) -> Option<Param<'_>> {
    match g.op(id) {
        Op::Const(t) => t.as_i64().map(Param::Values),
        Op::Private(p) => Some(Param::Range(p.lo, p.hi)),
        _ => None,
    }
}

/// The interval of every output's dot product without its bias, for an
/// input interval `x`: exact (positive and negative weights summed apart)
/// for constant weights, `taps * [lo, hi] * x` for private ones.
fn unbiased_dots(d: &geometry::DotProducts, x: &Iv, w: Param<'_>) -> Option<Vec<Iv>> {
    let mut out = Vec::with_capacity(d.len());
    match w {
        Param::Values(w) => {
            for o in 0..d.len() {
                // Sum positive and negative weights separately: exact and fast.
                let (mut pos, mut neg) = (0i128, 0i128);
                for &(_, wi) in d.taps_of(o) {
                    let wv = i128::from(*w.get(wi as usize)?);
                    if wv > 0 {
                        pos += wv;
                    } else {
                        neg += wv;
                    }
                }
                let (pos, neg) = (BigInt::from(pos), BigInt::from(neg));
                out.push((&pos * &x.0 + &neg * &x.1, &pos * &x.1 + &neg * &x.0));
            }
        }
        Param::Range(lo, hi) => {
            // every tap's product lies in `p`, each weight independently
            let p = mul_iv(x, &iv(lo, hi));
            for o in 0..d.len() {
                let n = BigInt::from(d.taps_of(o).len());
                out.push((&n * &p.0, &n * &p.1));
            }
        }
    }
    Some(out)
}

/// Bounds of a dot-product op (conv, conv_transpose, gemm) with integer
/// weights and bias (constant or private), for an input interval.
fn dot_bounds(d: &geometry::DotProducts, x: &Iv, w: Param<'_>, b: Param<'_>) -> Option<Iv> {
    let mut acc: Option<Iv> = None;
    for (o, (l, h)) in unbiased_dots(d, x, w)?.into_iter().enumerate() {
        let (bl, bh) = b.at(d.bias_index[o] as usize)?;
        let r = (l + bl, h + bh);
        acc = Some(acc.map_or(r.clone(), |a| union(&a, &r)));
    }
    Some(acc.unwrap_or_default())
}

/// The per-channel products `x * scale[c]` of a scale_shift (without the
/// shift), for an input interval `x`.
fn scaled(x: &Iv, s: Param<'_>, channels: usize) -> Option<Vec<Iv>> {
    (0..channels).map(|c| Some(mul_iv(x, &s.at(c)?))).collect()
}

/// The largest magnitude of a dot product without its bias (or of a
/// scale_shift's `x * scale`) over every output of the conv,
/// conv_transpose, gemm or scale_shift `id`, when its input lies in `x`
/// and its weights are constants or private parameters; `None` for other
/// nodes. For private weights it depends only on their declared range.
pub(crate) fn unbiased_magnitude(g: &Graph, id: NodeId, x: &Iv) -> Option<BigInt> {
    let ins = g.inputs(id);
    let w = param(g, *ins.get(1)?)?;
    let ivs = match g.op(id) {
        Op::ScaleShift { .. } => scaled(x, w, g.shape(ins[1]).first().copied().unwrap_or(0))?,
        op => {
            let d = geometry::dot_products(op, g.shape(ins[0]), g.shape(ins[1]), g.shape(id))?;
            unbiased_dots(&d, x, w)?
        }
    };
    Some(
        ivs.iter()
            .map(|(l, h)| l.abs().max(h.abs()))
            .max()
            .unwrap_or_default(),
    )
}

/// The interval of every value of `g` that the analysis can bound, given
/// the bit width each value is clamped to.
pub(crate) fn compute_bounds(g: &Graph, bits_of: &dyn Fn(NodeId) -> u32) -> HashMap<NodeId, Iv> {
    let mut out: HashMap<NodeId, Iv> = HashMap::new();
    let order = g.topo_order().unwrap_or_default();
    for id in order {
        if let Some(b) = bound_of(g, id, &out, bits_of) {
            out.insert(id, b);
        }
    }
    out
}

/// The interval of `id` given the intervals `known` of its inputs (the
/// step [`compute_bounds`] takes per node, in topological order).
pub(crate) fn bound_of(
    g: &Graph,
    id: NodeId,
    known: &HashMap<NodeId, Iv>,
    bits_of: &dyn Fn(NodeId) -> u32,
) -> Option<Iv> {
    let ins = g.inputs(id);
    let get = |i: usize| known.get(&ins[i]);
    let bit_range = || {
        let (lo, hi) = range_of(bits_of(id));
        Some(iv(lo, hi))
    };
    let op = g.op(id);
    g.ty(id).frac()?;
    if op.is_float_only() {
        return bit_range();
    }
    match op {
        Op::Input { .. } => bit_range(),
        Op::Const(t) => {
            let v = t.as_i64()?;
            let lo = v.iter().min().copied().unwrap_or(0);
            let hi = v.iter().max().copied().unwrap_or(0);
            Some(iv(lo, hi))
        }
        Op::Private(p) => Some(iv(p.lo, p.hi)),
        Op::Conv { .. } | Op::ConvTranspose { .. } | Op::Gemm { .. } => {
            let (x, w, b) = (get(0)?, param(g, ins[1])?, param(g, ins[2])?);
            let d = geometry::dot_products(op, g.shape(ins[0]), g.shape(ins[1]), g.shape(id))?;
            dot_bounds(&d, x, w, b)
        }
        Op::ScaleShift { .. } => {
            let (x, s, t) = (get(0)?, param(g, ins[1])?, param(g, ins[2])?);
            let channels = g.shape(ins[1]).first().copied().unwrap_or(0);
            let mut acc: Option<Iv> = None;
            for (c, p) in scaled(x, s, channels)?.into_iter().enumerate() {
                let (tl, th) = t.at(c)?;
                let r = (p.0 + tl, p.1 + th);
                acc = Some(acc.map_or(r.clone(), |a| union(&a, &r)));
            }
            acc
        }
        Op::Add { .. } => {
            let (a, b) = (get(0)?, get(1)?);
            Some((&a.0 + &b.0, &a.1 + &b.1))
        }
        Op::Sub { .. } => {
            let (a, b) = (get(0)?, get(1)?);
            Some((&a.0 - &b.1, &a.1 - &b.0))
        }
        Op::Mul => match (get(0), get(1)) {
            (Some(a), Some(b)) => Some(mul_iv(a, b)),
            _ => bit_range(),
        },
        Op::MaxPool { .. } => get(0).cloned(),
        Op::SumPool { window, .. } => {
            let x = get(0)?;
            let wins = geometry::pool_windows(window, g.shape(ins[0]), g.shape(id));
            let kmin = wins.iter().map(|w| w.len()).min().unwrap_or(0);
            let kmax = wins.iter().map(|w| w.len()).max().unwrap_or(0);
            let (a, b) = (BigInt::from(kmin), BigInt::from(kmax));
            let lo = (&a * &x.0).min(&b * &x.0);
            let hi = (&a * &x.1).max(&b * &x.1);
            Some((lo, hi))
        }
        Op::Pad { value, .. } => {
            let x = get(0)?;
            let v = BigInt::from(*value as i64);
            Some(union(x, &(v.clone(), v)))
        }
        Op::Concat { .. } => {
            let mut acc = get(0)?.clone();
            for i in 1..ins.len() {
                acc = union(&acc, get(i)?);
            }
            Some(acc)
        }
        Op::Reshape
        | Op::Transpose { .. }
        | Op::Slice { .. }
        | Op::Gather { .. }
        | Op::Resize { .. } => get(0).cloned(),
        Op::Rescale {
            mult,
            shift,
            lo,
            hi,
        } => {
            let x = get(0)?;
            let mut mults: Vec<i64> = mult.clone();
            mults.sort_unstable();
            mults.dedup();
            let mut rlo: Option<BigInt> = None;
            let mut rhi: Option<BigInt> = None;
            for m in mults {
                for xv in [&x.0, &x.1] {
                    let r = round_shift_big(&(xv * BigInt::from(m)), *shift);
                    rlo = Some(rlo.map_or(r.clone(), |v| v.min(r.clone())));
                    rhi = Some(rhi.map_or(r.clone(), |v| v.max(r)));
                }
            }
            let (l, h) = (BigInt::from(*lo), BigInt::from(*hi));
            let clamp = |v: BigInt| v.max(l.clone()).min(h.clone());
            Some((clamp(rlo?), clamp(rhi?)))
        }
        Op::Table { lo, values, .. } => {
            let x = get(0)?;
            let base = BigInt::from(*lo);
            let len = BigInt::from(values.len());
            let first = (&x.0 - &base).max(BigInt::zero());
            let last = (&x.1 - &base).min(&len - 1);
            let (a, b) = (usize::try_from(first).ok()?, usize::try_from(last).ok()?);
            let slice = values.get(a..=b).filter(|s| !s.is_empty())?;
            Some(iv(*slice.iter().min()?, *slice.iter().max()?))
        }
        Op::BatchNorm { .. }
        | Op::Div
        | Op::Relu
        | Op::Clip(_)
        | Op::LeakyRelu { .. }
        | Op::Sigmoid
        | Op::Function(_)
        | Op::Tanh
        | Op::AvgPool { .. }
        | Op::GlobalAvgPool => bit_range(),
    }
}
