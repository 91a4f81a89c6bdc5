//! The IR validator: run after every pass in tests and debug builds.

use crate::graph::{DType, Graph};
use crate::op::{Op, Private};
use crate::IrError;

/// Largest `|shift|` of a rescale (the fixed-point library's limit).
pub const MAX_RESCALE_SHIFT: u32 = 120;

/// Which stage a graph is in; decides which ops and element types are legal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Float graph: every value `f32`, no integer-only ops.
    Float,
    /// Between quantization passes: every computed value is an integer, but
    /// float-only ops (rewritten by later passes) and float constants (their
    /// operands, quantized by the pass that lowers them) may remain. An
    /// arithmetic node's type is then the target type of its value.
    Quantizing,
    /// Quantized graph: every value an integer, no float-only ops.
    Quantized,
}

/// Checks that the graph is well formed:
///
/// - it is acyclic and every input and output reference is a live node (no
///   dangling values), with at least one output;
/// - graph inputs are numbered `0..n` without gaps or repeats;
/// - every node has an accepted number of inputs and its stored shape equals
///   the shape its op infers from its inputs;
/// - constants match their declared type;
/// - a `Private` parameter appears only in [`Stage::Quantizing`] and
///   [`Stage::Quantized`] graphs, has an integer type, a declared range with
///   `lo <= hi` and, unless redacted, integer values of the node's shape that
///   all lie in that range;
/// - in [`Stage::Float`] every value is `f32` and no integer-only op appears;
///   in [`Stage::Quantized`] every value is an integer and no float-only op
///   (including a float fused activation) appears;
/// - `Div` divides by a constant (weights of `Conv`, `Gemm` and the like may
///   be computed from constants until constant folding; quantization requires
///   them to be constants).
pub fn validate(g: &Graph, stage: Stage) -> Result<(), IrError> {
    let order = g.topo_order()?;
    if g.outputs().is_empty() {
        return Err(IrError::Invalid("the graph has no outputs".into()));
    }
    for &o in g.outputs() {
        if !g.contains(o) {
            return Err(IrError::Invalid(format!("output {o} is dangling")));
        }
    }
    let inputs = g.inputs_list();
    for (i, &id) in inputs.iter().enumerate() {
        if !matches!(g.op(id), Op::Input { index } if *index == i) {
            return Err(IrError::Invalid(format!(
                "graph inputs are not numbered 0..{}",
                inputs.len()
            )));
        }
    }
    for id in order {
        let node = g.node(id);
        let at = |msg: String| {
            IrError::Invalid(format!("{} {id} ({}): {msg}", node.op.kind(), node.name))
        };
        if let Op::Private(p) = &node.op {
            check_private(p, &node.ty.shape, node.ty.dtype).map_err(at)?;
        }
        let ins = g.inputs(id);
        let shapes: Vec<&[usize]> = ins.iter().map(|&i| g.shape(i)).collect();
        let inferred = node
            .op
            .infer_shape(&shapes, &node.ty.shape)
            .map_err(|e| at(e.to_string()))?;
        if inferred != node.ty.shape {
            return Err(at(format!(
                "declared shape {:?} but inputs give {inferred:?}",
                node.ty.shape
            )));
        }
        match (stage, node.ty.dtype) {
            (Stage::Float, DType::Int { .. }) => {
                return Err(at("integer value in a float graph".into()))
            }
            (Stage::Quantized, DType::F32) => {
                return Err(at("float value left in a quantized graph".into()))
            }
            _ => {}
        }
        if stage == Stage::Quantized && node.op.is_float_only() {
            return Err(at("float op left in a quantized graph".into()));
        }
        if stage == Stage::Float && node.op.is_int_only() {
            return Err(at("integer op in a float graph".into()));
        }
        if let Op::Const(t) = &node.op {
            if t.is_float() != (node.ty.dtype == DType::F32) {
                return Err(at("constant data does not match its type".into()));
            }
        }
        match &node.op {
            Op::Rescale {
                mult,
                shift,
                lo,
                hi,
            } => {
                if mult.len() != 1 && mult.len() != crate::tensor::numel(&node.ty.shape) {
                    return Err(at(format!(
                        "{} multipliers for {:?}",
                        mult.len(),
                        node.ty.shape
                    )));
                }
                if lo > hi || shift.unsigned_abs() > MAX_RESCALE_SHIFT {
                    return Err(at(format!(
                        "clamp [{lo}, {hi}] or shift {shift} out of range"
                    )));
                }
            }
            Op::Table { values, .. } if values.is_empty() => return Err(at("empty table".into())),
            Op::Pad { value, .. }
                if stage == Stage::Quantized
                    && (value.fract() != 0.0 || value.abs() > 16_777_216.0) =>
            {
                return Err(at(format!(
                    "pad value {value} is not an integer of at most 2^24"
                )));
            }
            _ => {}
        }
        let const_from = match &node.op {
            Op::Div => 1..2,
            _ => 0..0,
        };
        for slot in const_from {
            if g.const_tensor(ins[slot]).is_none() {
                return Err(at(format!("input {slot} must be a constant")));
            }
        }
    }
    Ok(())
}

/// What is wrong with a private parameter of a node of `shape` and `dtype`.
fn check_private(p: &Private, shape: &[usize], dtype: DType) -> Result<(), String> {
    if dtype == DType::F32 {
        return Err("a private parameter must have an integer type".into());
    }
    if p.lo > p.hi {
        return Err(format!("empty declared range [{}, {}]", p.lo, p.hi));
    }
    let Some(t) = &p.values else { return Ok(()) };
    let Some(v) = t.as_i64() else {
        return Err("private values must be integers".into());
    };
    if t.shape() != shape {
        return Err(format!(
            "values of shape {:?} for a node of shape {shape:?}",
            t.shape()
        ));
    }
    match v.iter().position(|x| !(p.lo..=p.hi).contains(x)) {
        None => Ok(()),
        Some(i) => Err(format!(
            "element {i} is {}, outside the declared range [{}, {}]",
            v[i], p.lo, p.hi
        )),
    }
}

/// [`validate`], plus: every node contributes to an output (run after dead
/// node removal, at the end of a pipeline).
pub fn validate_final(g: &Graph, stage: Stage) -> Result<(), IrError> {
    validate(g, stage)?;
    let live = g.live_set();
    for id in g.ids() {
        if !live.contains(&id) && !matches!(g.op(id), Op::Input { .. }) {
            return Err(IrError::Invalid(format!(
                "{} {id} ({}) is dead",
                g.op(id).kind(),
                g.node(id).name
            )));
        }
    }
    Ok(())
}
