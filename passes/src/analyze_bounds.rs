//! Bound analysis: the exact worst-case range of every value, recorded in
//! the IR (`in [lo,hi]` in the text form) and checked against the limits
//! the integer runtime and the circuit can represent.
//!
//! Identity: none (the graph's meaning is unchanged); the pass proves that
//! no value and no intermediate product can leave `[-2^62, 2^62]`
//! ([`MAX_VALUE_BITS`]) or, for the `x * mult` of a rescale and the terms
//! of a dot product, `2^120` ([`MAX_PRODUCT_BITS`]) — far below half the
//! Pasta field modulus (about 2^253), so field arithmetic never wraps
//! around, and within `i64`/`i128` for the runtime. It also proves that
//! every table input stays inside its table. After it, the graph is a
//! valid quantized graph: no float op or value is left.

use num_bigint::BigInt;
use num_traits::Signed;
use zkc_ir::{Bound, Graph, Op, Stage};

use crate::bounds::compute_bounds;
use crate::quant_config::{output_fed, value_bits, QuantConfig};
use crate::{Pass, PassError};

/// Largest bit length of any value's magnitude.
pub const MAX_VALUE_BITS: u64 = 62;
/// Largest bit length of a rescale's `x * mult`.
pub const MAX_PRODUCT_BITS: u64 = 120;

const NAME: &str = "analyze_bounds";

/// Records and checks every value's range.
pub struct AnalyzeBounds {
    /// Bit widths (the ranges of graph inputs).
    pub cfg: QuantConfig,
}

fn err(msg: String) -> PassError {
    PassError::Unsupported { pass: NAME, msg }
}

impl Pass for AnalyzeBounds {
    fn name(&self) -> &'static str {
        NAME
    }

    fn produces(&self) -> Stage {
        Stage::Quantized
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        let fed = output_fed(g);
        let bounds = compute_bounds(g, &|n| value_bits(&self.cfg, &fed, g, n));
        let order = g
            .topo_order()
            .map_err(|source| PassError::Ir { pass: NAME, source })?;
        for &id in &order {
            let node = g.node(id);
            let what = format!("{} ({})", node.op.kind(), node.name);
            let (lo, hi) = bounds
                .get(&id)
                .cloned()
                .ok_or_else(|| err(format!("{what}: no bound (unquantized value?)")))?;
            let mag = lo.abs().max(hi.abs());
            if mag.bits() > MAX_VALUE_BITS {
                return Err(err(format!(
                    "{what}: values may reach {} bits (limit {MAX_VALUE_BITS}); use fewer --bits or --weight-bits",
                    mag.bits()
                )));
            }
            let ins = g.inputs(id);
            match &node.op {
                Op::Rescale { mult, .. } => {
                    let (xl, xh) = &bounds[&ins[0]];
                    let m = mult.iter().map(|m| m.unsigned_abs()).max().unwrap_or(0);
                    let prod = xl.abs().max(xh.abs()) * BigInt::from(m);
                    if prod.bits() > MAX_PRODUCT_BITS {
                        return Err(err(format!(
                            "{what}: x * mult may reach {} bits (limit {MAX_PRODUCT_BITS})",
                            prod.bits()
                        )));
                    }
                }
                Op::Table {
                    lo: tlo, values, ..
                } => {
                    let (xl, xh) = &bounds[&ins[0]];
                    let tl = BigInt::from(*tlo);
                    let th = &tl + BigInt::from(values.len()) - 1;
                    if *xl < tl || *xh > th {
                        return Err(err(format!(
                            "{what}: input range [{xl}, {xh}] leaves the table [{tl}, {th}]"
                        )));
                    }
                }
                _ => {}
            }
        }
        for id in order {
            let (lo, hi) = bounds[&id].clone();
            g.node_mut(id).ty.bound = Some(Bound { lo, hi });
        }
        Ok(g.len())
    }
}
