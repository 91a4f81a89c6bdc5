//! Checks shared by the interpreters: an op's contract before its kernel
//! runs, and a graph's structure and inputs before a run starts. The float
//! interpreter and the integer runtime call the same code, so they accept
//! and refuse exactly the same shapes.

use zkc_ir::{checked_numel, Graph, IrError, NodeId, Op};

use crate::error::RuntimeError;

type Result<T> = std::result::Result<T, RuntimeError>;

/// An [`RuntimeError::InvalidOp`] naming the op kind.
pub(crate) fn invalid(op: &Op, msg: impl Into<String>) -> RuntimeError {
    RuntimeError::InvalidOp {
        kind: op.kind(),
        msg: msg.into(),
    }
}

/// Checks what every kernel relies on: one shape per input, each input's
/// length equal to its shape's element count, and `out_shape` equal to the
/// shape the op infers from `in_shapes` ([`Op::infer_shape`]).
pub(crate) fn check_contract<T>(
    op: &Op,
    inputs: &[&[T]],
    in_shapes: &[&[usize]],
    out_shape: &[usize],
) -> Result<()> {
    if inputs.len() != in_shapes.len() {
        return Err(invalid(
            op,
            format!(
                "{} inputs but {} input shapes",
                inputs.len(),
                in_shapes.len()
            ),
        ));
    }
    for (i, (data, shape)) in inputs.iter().zip(in_shapes).enumerate() {
        let n = checked_numel(shape).map_err(|e| invalid(op, e.to_string()))?;
        if data.len() != n {
            return Err(invalid(
                op,
                format!(
                    "input {i} has shape {shape:?} ({n} elements) but {} values",
                    data.len()
                ),
            ));
        }
    }
    if let Op::ConvTranspose { .. } = op {
        // `infer_shape` computes `stride * (S - 1)`: refuse empty spatial axes first.
        if let Some(x) = in_shapes.first() {
            if x.len() > 2 && x[2..].contains(&0) {
                return Err(invalid(op, format!("empty spatial axis in input {x:?}")));
            }
        }
    }
    let inferred = op
        .infer_shape(in_shapes, out_shape)
        .map_err(|e| invalid(op, e.to_string()))?;
    if inferred != out_shape {
        return Err(invalid(
            op,
            format!("output shape {out_shape:?} given, but the inputs give {inferred:?}"),
        ));
    }
    Ok(())
}

/// Checks the graph's structure (acyclic, no dangling output, inputs
/// numbered `0..n`) and the caller's inputs (one vector per graph input,
/// each with its declared element count). Returns the evaluation order and
/// the graph inputs in index order.
pub(crate) fn check_graph_and_inputs<T>(
    g: &Graph,
    inputs: &[Vec<T>],
) -> Result<(Vec<NodeId>, Vec<NodeId>)> {
    let order = g.topo_order()?;
    for &o in g.outputs() {
        if !g.contains(o) {
            return Err(IrError::Invalid(format!("output {o} is dangling")).into());
        }
    }
    let graph_inputs = g.inputs_list();
    for (pos, &id) in graph_inputs.iter().enumerate() {
        if !matches!(g.op(id), Op::Input { index } if *index == pos) {
            return Err(IrError::Invalid(format!(
                "graph inputs are not numbered 0..{}",
                graph_inputs.len()
            ))
            .into());
        }
    }
    if inputs.len() != graph_inputs.len() {
        return Err(RuntimeError::InputCount {
            expected: graph_inputs.len(),
            got: inputs.len(),
        });
    }
    for (index, (&id, data)) in graph_inputs.iter().zip(inputs).enumerate() {
        let shape = g.shape(id);
        let expected = checked_numel(shape)?;
        if data.len() != expected {
            return Err(RuntimeError::InputLength {
                index,
                shape: shape.to_vec(),
                expected,
                got: data.len(),
            });
        }
    }
    Ok((order, graph_inputs))
}
