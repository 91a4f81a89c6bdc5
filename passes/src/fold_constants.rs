//! Constant folding.
//!
//! Identity: an op whose inputs are all constants computes the same value on
//! every run, so it can be replaced by a `const` holding that value, computed
//! once by the float interpreter ([`zkc_runtime::eval_op_f32`]), the same code
//! that defines the float graph's meaning. Typical work: the weight
//! transposes (`transB`) and `alpha` scalings the ONNX front end emits for
//! Gemm. Only float graphs are folded.

use zkc_ir::{Graph, Op, Tensor};

use crate::{Pass, PassError};

/// Replaces every op with only constant inputs by its value.
pub struct FoldConstants;

impl Pass for FoldConstants {
    fn name(&self) -> &'static str {
        "fold_constants"
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        let order = g.topo_order().map_err(|source| PassError::Ir {
            pass: self.name(),
            source,
        })?;
        let mut folded = 0;
        for id in order {
            let op = g.op(id);
            if matches!(op, Op::Input { .. } | Op::Const(_)) || op.is_int_only() {
                continue;
            }
            let ins = g.inputs(id);
            let values: Option<Vec<Vec<f32>>> = ins
                .iter()
                .map(|&i| {
                    g.const_tensor(i)
                        .filter(|t| t.is_float())
                        .map(|t| t.to_f32())
                })
                .collect();
            let Some(values) = values else { continue };
            let shapes: Vec<Vec<usize>> = ins.iter().map(|&i| g.shape(i).to_vec()).collect();
            let refs: Vec<&[f32]> = values.iter().map(|v| v.as_slice()).collect();
            let srefs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
            let shape = g.shape(id).to_vec();
            let data = zkc_runtime::eval_op_f32(op, &refs, &srefs, &shape).map_err(|e| {
                PassError::Eval {
                    pass: self.name(),
                    msg: format!("{} ({}): {e}", op.kind(), g.node(id).name),
                }
            })?;
            let t = Tensor::f32(shape, data).map_err(|source| PassError::Ir {
                pass: self.name(),
                source,
            })?;
            let node = g.node_mut(id);
            node.op = Op::Const(t);
            g.set_inputs(id, &[]).map_err(|source| PassError::Ir {
                pass: self.name(),
                source,
            })?;
            folded += 1;
        }
        Ok(folded)
    }
}
