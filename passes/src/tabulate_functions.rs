//! Smooth functions as tables.
//!
//! Identity: on an integer input `x` at `f_x` fractional bits that provably
//! lies in `[lo, hi]` (bound analysis), `sigmoid`, `tanh`, `leaky_relu` and
//! the functions of [`zkc_ir::Function`] (erf, GELU, rsqrt, exp, log,
//! float16 rounding) are the finite maps `x -> round(f(x * 2^-f_x) * 2^f_y)`
//! (clamped to the output's bits; entries that clamp are counted in a
//! note), so they become a `table` with one entry per input value (at most
//! 2^16 entries). The circuit checks a table by a lookup.

use zkc_fixed::quantize;
use zkc_ir::{Graph, Op, Stage};

use crate::bounds::compute_bounds;
use crate::quant_config::{output_fed, range_of, value_bits, QuantConfig};
use crate::{Pass, PassError};

const NAME: &str = "tabulate_functions";

/// Largest table (entries).
pub const MAX_TABLE: usize = 1 << 16;

/// Turns sigmoid, tanh, leaky_relu and the [`zkc_ir::Function`]s into tables.
pub struct TabulateFunctions {
    /// Bit widths.
    pub cfg: QuantConfig,
    /// Saturated table entries in the last run (see [`Pass::notes`]).
    notes: std::cell::RefCell<Vec<String>>,
}

impl TabulateFunctions {
    /// The pass for `cfg`.
    pub fn new(cfg: QuantConfig) -> Self {
        TabulateFunctions {
            cfg,
            notes: Default::default(),
        }
    }
}

fn err(msg: String) -> PassError {
    PassError::Unsupported { pass: NAME, msg }
}

impl Pass for TabulateFunctions {
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
        let bounds = compute_bounds(g, &|n| value_bits(&self.cfg, &fed, g, n));
        let mut changes = 0;
        for id in g.ids() {
            let f: Box<dyn Fn(f64) -> f64> = match g.op(id) {
                Op::Sigmoid => Box::new(|v: f64| 1.0 / (1.0 + (-v).exp())),
                Op::Tanh => Box::new(f64::tanh),
                Op::Function(f) => {
                    let f = *f;
                    Box::new(move |v: f64| f.eval(v))
                }
                Op::LeakyRelu { alpha } => {
                    let a = f64::from(*alpha);
                    Box::new(move |v: f64| if v >= 0.0 { v } else { a * v })
                }
                _ => continue,
            };
            let kind = g.op(id).kind().to_string();
            let name = g.node(id).name.clone();
            let x = g.inputs(id)[0];
            let (lo, hi) = bounds
                .get(&x)
                .cloned()
                .ok_or_else(|| err(format!("{kind} ({name}): input range unknown")))?;
            let (Ok(lo), Ok(hi)) = (i64::try_from(lo), i64::try_from(hi)) else {
                return Err(err(format!(
                    "{kind} ({name}): input range too wide for a table"
                )));
            };
            let size = usize::try_from(hi - lo + 1).unwrap_or(usize::MAX);
            if size > MAX_TABLE {
                return Err(err(format!(
                    "{kind} ({name}): input range [{lo}, {hi}] needs {size} table entries (max {MAX_TABLE}); use fewer --bits"
                )));
            }
            let (fx, fy) = (g.ty(x).frac().unwrap_or(0), g.ty(id).frac().unwrap_or(0));
            let (olo, ohi) = range_of(value_bits(&self.cfg, &fed, g, id));
            let mut saturated = 0usize;
            let values = (lo..=hi)
                .map(|q| {
                    let v = f((q as f64) * 2f64.powi(-fx));
                    let (q, clamped) = quantize(v, fy, olo, ohi).map_err(|e| err(e.to_string()))?;
                    saturated += usize::from(clamped);
                    Ok(q)
                })
                .collect::<Result<Vec<_>, PassError>>()?;
            if saturated > 0 {
                self.notes.borrow_mut().push(format!(
                    "{kind} {name}: {saturated} of {size} table entries saturate at the output's range [{olo}, {ohi}] at scale 2^-{fy} (inputs beyond the calibrated range)"
                ));
            }
            g.node_mut(id).op = Op::Table {
                name: kind,
                lo,
                values,
            };
            changes += 1;
        }
        Ok(changes)
    }
}
