//! ReLU / Clip / ReLU6 fusion into the producing op.
//!
//! Identity: `relu(f(x)) = clamp(f(x), 0, +inf)` and
//! `clip(f(x), lo, hi) = clamp(f(x), lo, hi)`; when the producer `f` (conv,
//! conv_transpose, gemm, scale_shift, add, sub) is read only by the
//! activation, the clamp can become `f`'s output clamp (`act=`), composed
//! with any clamp it already has. In the quantized graph that clamp becomes
//! the bounds of the requantization, so a fused ReLU costs nothing extra.

use zkc_ir::{Clamp, Graph, Op};

use crate::{Pass, PassError};

/// Fuses ReLU and Clip into their producer.
pub struct FuseActivations;

impl Pass for FuseActivations {
    fn name(&self) -> &'static str {
        "fuse_activations"
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        let order = g.topo_order().map_err(|source| PassError::Ir {
            pass: self.name(),
            source,
        })?;
        let mut fused = 0;
        for id in order {
            let clamp = match g.op(id) {
                Op::Relu => Clamp::RELU,
                Op::Clip(c) => *c,
                _ => continue,
            };
            let x = g.inputs(id)[0];
            if !g.has_single_use(x) {
                continue;
            }
            let Some(act) = g.node_mut(x).op.act_mut() else {
                continue;
            };
            *act = Some(match act {
                Some(prev) => prev.then(&clamp),
                None => clamp,
            });
            g.replace_uses(id, x);
            g.remove(id);
            fused += 1;
        }
        Ok(fused)
    }
}
