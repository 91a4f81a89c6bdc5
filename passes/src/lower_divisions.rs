//! Division by constants as fixed-point multiplication.
//!
//! Identity: for a rational `r > 0` and every integer `|x| <= X` (`X` from
//! the bound analysis of the operand), `zkc_fixed::choose_multiplier`
//! returns the smallest `n` and `M = ceil(r * 2^n)` with
//! `floor((x*M + 2^(n-1)) / 2^n) = round(x * r)`, rounding to nearest with
//! ties away from zero (or, when `r` is a power of two times an integer and
//! a negative tie is in range, ties up, as the requantization shifts do).
//! The derivation is in `choose_multiplier`'s documentation: with
//! `eps = M/2^n - r >= 0`, `floor(x*r + 1/2 + x*eps) = floor(x*r + 1/2)`
//! except at exact negative ties, as long as `X * eps` stays below the
//! distance from `x*r + 1/2` to the next integer. So the result is exact:
//! there is no approximation error beyond the rounding of `x*r` itself.
//!
//! Rewrites, with `k = f_y - f_x` (output minus input fractional bits):
//! - `div(x, c)`: `r = 2^k / c`;
//! - `mul(x, c)` with a scalar constant `c`: `r = c * 2^k`;
//! - `avg_pool`: a `sum_pool` then `r = 2^k / count` per output element
//!   (`count` is the kernel size, or the in-bounds taps without
//!   `count_include_pad`); `global_avg_pool` likewise over all positions.
//!
//! Negative factors use `-M` (rounding is symmetric). Several factors share
//! the largest shift `n`, each `M` scaled by `2^(n - n_i)`, which changes no
//! result. The `rescale` clamps to the value's bit range.
//!
//! The one exception to exactness: when the exact shift exceeds
//! `MAX_SHIFT_BITS` (a division by an arbitrary float at 16 bits, whose
//! exact rounding needs more bits than the circuit range-checks), every
//! factor uses `n = MAX_SHIFT_BITS` and `M = round(r * 2^n)`, so the result
//! may differ from `round(x * r)` by up to `1 + floor(X / 2^(n+1))` steps;
//! the pass reports this as a note naming the node and that bound. The integer
//! runtime and the circuit still agree on the result bit for bit.

use std::collections::HashMap;

use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use zkc_fixed::{choose_multiplier, exact_rational_of_f32};
use zkc_ir::{geometry, DType, Graph, NodeId, Op, Stage, ValueType, Window};

use crate::bounds::compute_bounds;
use crate::quant_config::{output_fed, range_of, value_bits, QuantConfig, MAX_SHIFT_BITS};
use crate::{Pass, PassError};

const NAME: &str = "lower_divisions";

/// Widest multiplier the IR stores (`i64`), with headroom.
const MAX_MULT_BITS: u32 = 62;

/// Lowers divisions, scalar factors and average pools to rescales.
pub struct LowerDivisions {
    /// Bit widths.
    pub cfg: QuantConfig,
    /// Divisions rounded to `MAX_SHIFT_BITS` instead of exactly (last run).
    notes: std::cell::RefCell<Vec<String>>,
}

impl LowerDivisions {
    /// The pass for these bit widths.
    pub fn new(cfg: QuantConfig) -> Self {
        LowerDivisions {
            cfg,
            notes: Default::default(),
        }
    }
}

fn err(msg: String) -> PassError {
    PassError::Unsupported { pass: NAME, msg }
}

fn ir(source: zkc_ir::IrError) -> PassError {
    PassError::Ir { pass: NAME, source }
}

/// A factor `r = (-1)^neg * num / den`.
type Factor = (bool, BigInt, BigInt);

/// The exact `(M, n)` of `r` for `|x| <= x_max`, or `None` when none fits
/// the IR's multiplier width or `zkc_fixed::MAX_SHIFT`.
fn exact_multiplier(f: &Factor, x_max: &BigInt) -> Result<Option<(i128, u32)>, PassError> {
    let (neg, num, den) = f;
    if num.is_zero() {
        return Ok(Some((0, 0)));
    }
    match choose_multiplier(num, den, x_max, MAX_MULT_BITS) {
        Ok(m) => Ok(Some((if *neg { -m.mult } else { m.mult }, m.shift))),
        Err(
            zkc_fixed::FixedError::ShiftTooLarge { .. }
            | zkc_fixed::FixedError::MultiplierTooWide { .. },
        ) => Ok(None),
        Err(e) => Err(err(e.to_string())),
    }
}

/// `(round(r * 2^cap), cap)`: the multiplier rounded to `cap` fractional bits.
fn rounded_multiplier(f: &Factor, cap: u32) -> Result<(i128, u32), PassError> {
    let (neg, num, den) = f;
    let v = zkc_fixed::round_half_up(&(num << cap as usize), den)
        .and_then(|v| i128::try_from(v).ok())
        .ok_or_else(|| err(format!("factor {num}/{den} has no {cap}-bit multiplier")))?;
    Ok((if *neg { -v } else { v }, cap))
}

/// `(M, n, exact)` per factor, sharing one shift: exact multipliers when
/// every factor has one within `MAX_SHIFT_BITS`, otherwise every factor
/// rounded to `MAX_SHIFT_BITS` fractional bits and `exact` false.
fn multipliers(factors: &[Factor], x_max: &BigInt) -> Result<(Vec<i64>, i32, bool), PassError> {
    let cap = MAX_SHIFT_BITS.unsigned_abs();
    let mut memo: HashMap<&Factor, (i128, u32)> = HashMap::new();
    let mut exact = true;
    for f in factors {
        if memo.contains_key(f) {
            continue;
        }
        match exact_multiplier(f, x_max)? {
            Some(m) if m.1 <= cap => memo.insert(f, m),
            // wider than the circuit checks: round every factor instead
            _ => {
                exact = false;
                break;
            }
        };
    }
    if !exact {
        memo = factors
            .iter()
            .map(|f| Ok((f, rounded_multiplier(f, cap)?)))
            .collect::<Result<_, PassError>>()?;
    }
    let n = memo.values().map(|m| m.1).max().unwrap_or(0);
    let mult = factors
        .iter()
        .map(|f| {
            let (m, ni) = memo[f];
            i64::try_from(m << (n - ni))
                .ok()
                .filter(|v| v.unsigned_abs() < 1u64 << MAX_MULT_BITS)
                .ok_or_else(|| err(format!("multiplier {m} << {} does not fit 62 bits", n - ni)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let n = i32::try_from(n).map_err(|_| err("shift too large".into()))?;
    Ok((mult, n, exact))
}

/// `2^k * num / den` as (sign, |num|, den) in lowest terms not required.
fn factor(k: i32, num: BigInt, den: BigInt) -> Factor {
    let neg = num.is_negative() != den.is_negative() && !num.is_zero();
    let (mut num, mut den) = (num.abs(), den.abs());
    if k >= 0 {
        num <<= k as usize;
    } else {
        den <<= k.unsigned_abs() as usize;
    }
    if num.is_zero() {
        den = BigInt::one();
    }
    (neg, num, den)
}

fn const_f32(g: &Graph, id: NodeId) -> Option<Vec<f32>> {
    g.const_tensor(id)
        .filter(|t| t.is_float())
        .map(|t| t.to_f32())
}

impl Pass for LowerDivisions {
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
        self.notes.borrow_mut().clear();
        let fed = output_fed(g);
        let order = g.topo_order().map_err(ir)?;
        let mut changes = 0;
        for id in order {
            let ins = g.inputs(id);
            let name = g.node(id).name.clone();
            let f_y = g.ty(id).frac().unwrap_or(0);
            let (x, factors, count_max) = match g.op(id).clone() {
                Op::Div | Op::Mul => {
                    let Some(ci) = ins.iter().position(|&i| const_f32(g, i).is_some()) else {
                        continue;
                    };
                    if matches!(g.op(id), Op::Mul)
                        && g.const_tensor(ins[ci]).is_some_and(|t| t.len() != 1)
                    {
                        continue;
                    }
                    let x = ins[1 - ci];
                    let k = f_y - g.ty(x).frac().unwrap_or(0);
                    let c = const_f32(g, ins[ci]).unwrap_or_default();
                    let shape = g.shape(id).to_vec();
                    let idx = zkc_ir::broadcast_index_map(g.shape(ins[ci]), &shape);
                    let is_div = matches!(g.op(id), Op::Div);
                    let mut fs = vec![];
                    for &i in &idx {
                        let (cn, cd) = exact_rational_of_f32(c[i]).ok_or_else(|| {
                            err(format!("{name}: constant {} is not finite", c[i]))
                        })?;
                        if is_div {
                            if cn.is_zero() {
                                return Err(err(format!("{name}: division by zero")));
                            }
                            fs.push(factor(k, cd, cn));
                        } else {
                            fs.push(factor(k, cn, cd));
                        }
                    }
                    if fs.iter().all(|f| *f == fs[0]) {
                        fs.truncate(1);
                    }
                    (x, fs, 1usize)
                }
                Op::AvgPool {
                    window,
                    ceil_mode,
                    count_include_pad,
                } => {
                    let x = ins[0];
                    let wins = geometry::pool_windows(&window, g.shape(x), g.shape(id));
                    let counts: Vec<usize> = if count_include_pad {
                        geometry::padded_tap_counts(&window, g.shape(x), g.shape(id))
                    } else {
                        wins.iter().map(|w| w.len()).collect()
                    };
                    let sum = self.sum_pool(g, x, window, ceil_mode, &name)?;
                    let k = f_y - g.ty(x).frac().unwrap_or(0);
                    let mut fs: Vec<_> = counts
                        .iter()
                        .map(|&c| factor(k, BigInt::one(), BigInt::from(c)))
                        .collect();
                    if fs.iter().all(|f| *f == fs[0]) {
                        fs.truncate(1);
                    }
                    let kmax = wins.iter().map(|w| w.len()).max().unwrap_or(1);
                    (sum, fs, kmax)
                }
                Op::GlobalAvgPool => {
                    let x = ins[0];
                    let xs = g.shape(x).to_vec();
                    let nd = xs.len() - 2;
                    let window = Window {
                        kernel: xs[2..].to_vec(),
                        strides: vec![1; nd],
                        dilations: vec![1; nd],
                        pads: vec![0; 2 * nd],
                    };
                    let count: usize = xs[2..].iter().product();
                    let sum = self.sum_pool(g, x, window, false, &name)?;
                    let k = f_y - g.ty(x).frac().unwrap_or(0);
                    (
                        sum,
                        vec![factor(k, BigInt::one(), BigInt::from(count))],
                        count,
                    )
                }
                _ => continue,
            };
            // Range of the rescale's operand: the pooled sum is at most `count_max` inputs.
            let bounds = compute_bounds(g, &|n| value_bits(&self.cfg, &fed, g, n));
            let src = if count_max > 1 || matches!(g.op(x), Op::SumPool { .. }) {
                g.inputs(x)[0]
            } else {
                x
            };
            let (lo, hi) = bounds
                .get(&src)
                .cloned()
                .ok_or_else(|| err(format!("{name}: the operand's range is unknown")))?;
            let x_max = lo.abs().max(hi.abs()) * BigInt::from(count_max);
            let (mult, shift, exact) = multipliers(&factors, &x_max)?;
            if !exact {
                // |x*M/2^n - x*r| <= x_max / 2^(n+1), plus one for rounding
                let steps = (&x_max >> (shift + 1) as usize) + 1;
                self.notes.borrow_mut().push(format!(
                    "{name}: exact rounding of this division needs a shift wider than {MAX_SHIFT_BITS} bits; its multiplier is rounded to {MAX_SHIFT_BITS} fractional bits, so a result may differ from round(x / c) by up to {steps} step(s)"
                ));
            }
            let (lo, hi) = range_of(value_bits(&self.cfg, &fed, g, id));
            g.node_mut(id).op = Op::Rescale {
                mult,
                shift,
                lo,
                hi,
            };
            g.set_inputs(id, &[x]).map_err(ir)?;
            changes += 1;
        }
        g.remove_dead();
        Ok(changes)
    }
}

impl LowerDivisions {
    /// Adds `sum_pool(x)` named `<name>.sum` at `x`'s scale.
    fn sum_pool(
        &self,
        g: &mut Graph,
        x: NodeId,
        window: Window,
        ceil_mode: bool,
        name: &str,
    ) -> Result<NodeId, PassError> {
        let f = g.ty(x).frac().unwrap_or(0);
        let op = Op::SumPool { window, ceil_mode };
        let shape = op.infer_shape(&[g.shape(x)], &[]).map_err(ir)?;
        g.add(
            op,
            &[x],
            ValueType {
                shape,
                dtype: DType::Int { frac: f },
                bound: None,
            },
            format!("{name}.sum"),
        )
        .map_err(ir)
    }
}
