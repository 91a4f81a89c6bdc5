//! Removal of ops that return their input unchanged.
//!
//! Identity: `reshape` to the input's own shape, `transpose` by the identity
//! permutation, `pad` by zero everywhere, `slice` of every element with step
//! 1, `concat` of a single input and `resize` by identity maps all satisfy
//! `y = x` element for element, so their readers can read `x` directly.

use zkc_ir::{Graph, Op};

use crate::{Pass, PassError};

/// Bypasses and removes identity data-movement ops.
pub struct RemoveNoops;

/// True when `op` applied to a value of shape `x` returns it unchanged.
fn is_noop(op: &Op, x: &[usize], y: &[usize]) -> bool {
    if x != y {
        return false;
    }
    match op {
        Op::Reshape => true,
        Op::Transpose { perm } => perm.iter().enumerate().all(|(i, &p)| i == p),
        Op::Pad { pads, .. } => pads.iter().all(|&p| p == 0),
        Op::Slice { start, step, .. } => {
            start.iter().all(|&s| s == 0) && step.iter().all(|&s| s == 1)
        }
        Op::Concat { .. } => true,
        Op::Resize { maps } => maps
            .iter()
            .all(|m| m.iter().enumerate().all(|(i, &j)| i == j)),
        _ => false,
    }
}

impl Pass for RemoveNoops {
    fn name(&self) -> &'static str {
        "remove_noops"
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        let mut removed = 0;
        for id in g.ids() {
            let ins = g.inputs(id);
            if ins.len() != 1 || !is_noop(g.op(id), g.shape(ins[0]), g.shape(id)) {
                continue;
            }
            g.replace_uses(id, ins[0]);
            g.remove(id);
            removed += 1;
        }
        Ok(removed)
    }
}
