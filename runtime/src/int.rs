//! The integer runtime: the exact semantics of quantized graphs.
//!
//! This is the definition of what a quantized program computes; the circuit
//! uses its trace ([`IntRun`]) as the witness. Every value is an exact
//! integer, nothing wraps, nothing panics.

use num_bigint::Sign;
use zkc_ir::geometry;
use zkc_ir::{numel, Bound, DType, Graph, Op, Private, TensorData};

use crate::contract::{check_contract, check_graph_and_inputs};
use crate::error::RuntimeError;
use crate::float_kernels::movement;
use crate::int_kernels::{self as k, IntPool};
use crate::trace::IntRun;

type Result<T> = std::result::Result<T, RuntimeError>;

/// The result of [`eval_op_i64`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IntValue {
    /// The output, row-major, `numel(out_shape)` elements.
    pub values: Vec<i64>,
    /// Number of elements a `Rescale` saturated at a bit-width limit (0 for
    /// every other op; activation clamps such as ReLU are not counted).
    pub clamped: usize,
}

/// Why `op` cannot run in the integer runtime at all, if it cannot.
fn refusal(op: &Op) -> Option<RuntimeError> {
    let reason = if let Op::Input { index } = op {
        format!("graph input {index} is supplied by the caller (run_int)")
    } else if let Some(Some(act)) = op.act() {
        format!(
            "fused activation clip({},{}) is float-only: float-only op in the integer runtime",
            act.lo, act.hi
        )
    } else if op.is_float_only() {
        "float-only op in the integer runtime; quantize the graph first".into()
    } else {
        return None;
    };
    Some(RuntimeError::Unsupported {
        kind: op.kind(),
        reason,
    })
}

/// Evaluates one op on integer data, exactly as [`Op`] documents it for
/// quantized graphs.
///
/// `inputs[i]` is the row-major data of input `i` (in the op's input order)
/// and `in_shapes[i]` its shape; `out_shape` is the node's declared shape.
/// The op's contract is checked first (element counts, and `out_shape` equal
/// to what [`Op::infer_shape`] gives), as in [`crate::eval_op_f32`], so
/// malformed arguments are an error, never a panic.
///
/// Semantics (index maps from [`zkc_ir::geometry`] and
/// [`zkc_ir::broadcast_index_map`], shared with the float interpreter and the
/// circuit):
/// - `Conv`, `ConvTranspose`, `Gemm`: `bias[bias_index[o]] + sum x * w`,
///   accumulated exactly in `i128`; `ScaleShift`: `x * scale[c] + shift[c]`;
///   `Add`, `Sub`, `Mul`: exact, numpy broadcasting; `SumPool`: exact sum of
///   the in-bounds taps; `MaxPool`: maximum of the in-bounds taps. A result
///   outside `i64` is [`RuntimeError::Overflow`].
/// - Data movement copies elements; `Pad` writes its value, which must be an
///   integer in the `i64` range.
/// - `Rescale`: [`zkc_fixed::rescale`] per element (`mult` of length 1 or
///   one per element); [`IntValue::clamped`] counts the elements saturated at a bit-width limit; a
///   left shift past `i128` is [`RuntimeError::Overflow`].
/// - `Table`: `values[x - lo]`; an `x` the table does not cover is
///   [`RuntimeError::TableRange`].
/// - `Private`: its values, each of which must lie in its declared range
///   ([`RuntimeError::InvalidOp`] otherwise).
///
/// Errors ([`RuntimeError::Unsupported`]): `Input` (supplied by [`run_int`]),
/// float-only ops and fused activations, float constants, and a `Private`
/// without values (a published graph, which cannot be run).
pub fn eval_op_i64(
    op: &Op,
    inputs: &[&[i64]],
    in_shapes: &[&[usize]],
    out_shape: &[usize],
) -> Result<IntValue> {
    if let Some(e) = refusal(op) {
        return Err(e);
    }
    check_contract(op, inputs, in_shapes, out_shape)?;
    let out_len = numel(out_shape);
    let exact = |values: Vec<i64>| IntValue { values, clamped: 0 };
    Ok(match op {
        Op::Input { .. }
        | Op::BatchNorm { .. }
        | Op::Div
        | Op::Relu
        | Op::Clip(_)
        | Op::LeakyRelu { .. }
        | Op::Sigmoid
        | Op::Function(_)
        | Op::Tanh
        | Op::AvgPool { .. }
        | Op::GlobalAvgPool => {
            return Err(refusal(op).unwrap_or_else(|| RuntimeError::Unsupported {
                kind: op.kind(),
                reason: "float-only op in the integer runtime".into(),
            }))
        }
        Op::Private(p) => exact(private_values(p, "")?),
        Op::Const(t) => match t.data() {
            TensorData::I64(v) => exact(v.clone()),
            TensorData::F32(_) => {
                return Err(RuntimeError::Unsupported {
                    kind: op.kind(),
                    reason: "float constant in the integer runtime; quantize it first".into(),
                })
            }
        },
        // Fused activations were refused above (`refusal`).
        Op::Conv { window, groups, .. } => {
            let d = geometry::conv_taps(window, *groups, in_shapes[0], in_shapes[1], out_shape);
            exact(k::dot_products(
                op, &d, inputs[0], inputs[1], inputs[2], out_len,
            )?)
        }
        Op::ConvTranspose { window, groups, .. } => {
            let d = geometry::conv_transpose_taps(
                window,
                *groups,
                in_shapes[0],
                in_shapes[1],
                out_shape,
            );
            exact(k::dot_products(
                op, &d, inputs[0], inputs[1], inputs[2], out_len,
            )?)
        }
        Op::Gemm { .. } => {
            let d = geometry::gemm_taps(in_shapes[0], in_shapes[1]);
            exact(k::dot_products(
                op, &d, inputs[0], inputs[1], inputs[2], out_len,
            )?)
        }
        Op::ScaleShift { .. } => exact(k::scale_shift(
            op,
            inputs[0],
            in_shapes[0],
            inputs[1],
            inputs[2],
        )?),
        Op::Add { .. } => exact(k::broadcast_binary(
            op,
            inputs,
            in_shapes,
            out_shape,
            i64::checked_add,
        )?),
        Op::Sub { .. } => exact(k::broadcast_binary(
            op,
            inputs,
            in_shapes,
            out_shape,
            i64::checked_sub,
        )?),
        Op::Mul => exact(k::broadcast_binary(
            op,
            inputs,
            in_shapes,
            out_shape,
            i64::checked_mul,
        )?),
        Op::MaxPool { window, .. } => exact(k::pool(
            op,
            IntPool::Max,
            window,
            inputs[0],
            in_shapes[0],
            out_shape,
        )?),
        Op::SumPool { window, .. } => exact(k::pool(
            op,
            IntPool::Sum,
            window,
            inputs[0],
            in_shapes[0],
            out_shape,
        )?),
        Op::Pad { value, .. } => {
            let v = k::pad_value(op, *value)?;
            exact(movement(op, inputs, in_shapes, out_shape, Some(v))?)
        }
        Op::Reshape
        | Op::Transpose { .. }
        | Op::Concat { .. }
        | Op::Slice { .. }
        | Op::Gather { .. }
        | Op::Resize { .. } => exact(movement(op, inputs, in_shapes, out_shape, None)?),
        Op::Rescale {
            mult,
            shift,
            lo,
            hi,
        } => {
            let (values, clamped) = k::rescale(op, inputs[0], mult, *shift, *lo, *hi)?;
            IntValue { values, clamped }
        }
        Op::Table { name, lo, values } => exact(k::table(name, *lo, values, inputs[0])?),
    })
}

/// The values of a private parameter (`name` names it in errors): its
/// integer values, each inside its declared range; a redacted parameter (a
/// published graph) has none to run with.
fn private_values(p: &Private, name: &str) -> Result<Vec<i64>> {
    let what = if name.is_empty() {
        "private parameter".to_string()
    } else {
        format!("private parameter {name}")
    };
    let unsupported = |reason: String| RuntimeError::Unsupported {
        kind: "private",
        reason,
    };
    let t = p.values.as_ref().ok_or_else(|| {
        unsupported(format!(
            "{what} has no values (a published graph cannot be run)"
        ))
    })?;
    let v = t
        .as_i64()
        .ok_or_else(|| unsupported(format!("{what} holds float values")))?;
    if let Some(i) = v.iter().position(|x| !(p.lo..=p.hi).contains(x)) {
        return Err(RuntimeError::InvalidOp {
            kind: "private",
            msg: format!(
                "{what}: element {i} is {}, outside its declared range [{}, {}]",
                v[i], p.lo, p.hi
            ),
        });
    }
    Ok(v.to_vec())
}

/// The part of `b` inside the `i64` range, or `None` when it has none.
fn bound_in_i64(b: &Bound) -> Option<(i64, i64)> {
    let lo = match i64::try_from(&b.lo) {
        Ok(lo) => lo,
        Err(_) if b.lo.sign() == Sign::Minus => i64::MIN,
        Err(_) => return None,
    };
    let hi = match i64::try_from(&b.hi) {
        Ok(hi) => hi,
        Err(_) if b.hi.sign() == Sign::Plus => i64::MAX,
        Err(_) => return None,
    };
    (lo <= hi).then_some((lo, hi))
}

/// Checks input `index` against the bound declared on its node, if any.
fn check_input_bound(index: usize, data: &[i64], bound: Option<&Bound>) -> Result<()> {
    let Some(b) = bound else { return Ok(()) };
    let range = bound_in_i64(b);
    let inside = |v: &i64| range.is_some_and(|(lo, hi)| (lo..=hi).contains(v));
    match data.iter().position(|v| !inside(v)) {
        None => Ok(()),
        Some(position) => Err(RuntimeError::InputOutOfBound {
            index,
            position,
            value: data[position],
            lo: b.lo.to_string(),
            hi: b.hi.to_string(),
        }),
    }
}

/// Evaluates a quantized graph on `inputs` (one flat row-major vector of
/// integers per graph input, in input-index order, each at its input node's
/// frac) and returns every node's value.
///
/// Before computing anything it checks the graph (acyclic, no dangling
/// output, inputs numbered `0..n`, no `f32` value), that exactly one vector
/// per graph input is given, that each has the element count of the input's
/// declared shape, and, when an input node carries a bound (set by bound
/// analysis), that every value lies in it; violations are errors naming what
/// was expected and what was given. Nodes are evaluated in
/// [`Graph::topo_order`] with [`eval_op_i64`]; a node that fails is reported
/// as [`RuntimeError::AtNode`] with its id, kind and name. Never panics.
pub fn run_int(g: &Graph, inputs: &[Vec<i64>]) -> Result<IntRun> {
    let (order, graph_inputs) = check_graph_and_inputs(g, inputs)?;
    for &id in &order {
        let node = g.node(id);
        if node.ty.dtype == DType::F32 {
            return Err(RuntimeError::AtNode {
                node: id,
                kind: node.op.kind(),
                name: node.name.clone(),
                error: Box::new(RuntimeError::Unsupported {
                    kind: node.op.kind(),
                    reason: "f32 value in the integer runtime; quantize the graph first".into(),
                }),
            });
        }
    }
    for (index, (&id, data)) in graph_inputs.iter().zip(inputs).enumerate() {
        check_input_bound(index, data, g.ty(id).bound.as_ref())?;
    }

    let mut run = IntRun::new(g.outputs().to_vec(), order.len());
    for id in order {
        let node = g.node(id);
        let at = |error: RuntimeError| RuntimeError::AtNode {
            node: id,
            kind: node.op.kind(),
            name: node.name.clone(),
            error: Box::new(error),
        };
        let value = match &node.op {
            Op::Input { index } => IntValue {
                values: inputs[*index].clone(),
                clamped: 0,
            },
            op => {
                let (values, shapes) = run.operands(&g.inputs(id));
                match op {
                    // as eval_op_i64, with the parameter's name in errors
                    Op::Private(p) => check_contract(op, &values, &shapes, &node.ty.shape)
                        .and_then(|()| private_values(p, &node.name))
                        .map(|values| IntValue { values, clamped: 0 }),
                    _ => eval_op_i64(op, &values, &shapes, &node.ty.shape),
                }
                .map_err(at)?
            }
        };
        run.push(id, node.ty.shape.clone(), value.values, value.clamped);
    }
    Ok(run)
}
