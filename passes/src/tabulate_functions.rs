//! Smooth functions as tables.
//!
//! Identity: on an integer input `x` at `f_x` fractional bits that provably
//! lies in `[lo, hi]` (bound analysis), `sigmoid`, `tanh` and `leaky_relu`
//! are the finite maps `x -> round(f(x * 2^-f_x) * 2^f_y)` (clamped to the
//! output's bits), so they become a `table` with one entry per input value
//! (at most 2^16 entries). The circuit checks a table by a lookup.

use zkc_fixed::quantize;
use zkc_ir::{Graph, Op, Stage};

use crate::bounds::compute_bounds;
use crate::quant_config::{output_fed, range_of, value_bits, QuantConfig};
use crate::{Pass, PassError};

const NAME: &str = "tabulate_functions";

/// Largest table (entries).
pub const MAX_TABLE: usize = 1 << 16;

/// Turns sigmoid, tanh and leaky_relu into tables.
pub struct TabulateFunctions {
    /// Bit widths.
    pub cfg: QuantConfig,
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

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        let fed = output_fed(g);
        let bounds = compute_bounds(g, &|n| value_bits(&self.cfg, &fed, g, n));
        let mut changes = 0;
        for id in g.ids() {
            let f: Box<dyn Fn(f64) -> f64> = match g.op(id) {
                Op::Sigmoid => Box::new(|v: f64| 1.0 / (1.0 + (-v).exp())),
                Op::Tanh => Box::new(f64::tanh),
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
            let values = (lo..=hi)
                .map(|q| {
                    let v = f((q as f64) * 2f64.powi(-fx));
                    quantize(v, fy, olo, ohi)
                        .map(|(q, _)| q)
                        .map_err(|e| err(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
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
