//! The float interpreter: the reference semantics of float graphs.

use zkc_ir::geometry;
use zkc_ir::{numel, Graph, Op};

use crate::contract::{check_contract, check_graph_and_inputs, invalid};
use crate::error::RuntimeError;
use crate::float_kernels::{self as k, PoolKind};
use crate::trace::FloatRun;

type Result<T> = std::result::Result<T, RuntimeError>;

/// Evaluates one op on float data, exactly as [`Op`] documents it.
///
/// `inputs[i]` is the row-major data of input `i` (in the op's input order)
/// and `in_shapes[i]` its shape; `out_shape` is the node's declared shape.
/// The op's contract is checked first (element counts, and `out_shape` equal
/// to what [`Op::infer_shape`] gives), so malformed arguments are an error,
/// never a panic. On success the result has `numel(out_shape)` elements in
/// row-major order.
///
/// Index maps come from [`zkc_ir::geometry`] and
/// [`zkc_ir::broadcast_index_map`]. Conv, ConvTranspose, Gemm and the pools
/// accumulate in `f64` and round to `f32` once; BatchNorm, ScaleShift,
/// Sigmoid and Tanh compute in `f64`; a fused clamp applies last. Inputs are
/// assumed finite ([`run_float`] guarantees it).
///
/// Errors: `Input` (graph inputs are supplied by [`run_float`]), the
/// integer-only `Rescale`, `Table` and `Private`, division by zero, a
/// max/avg pool window lying entirely in the padding, BatchNorm with
/// `var + epsilon <= 0`, and any contract violation.
pub fn eval_op_f32(
    op: &Op,
    inputs: &[&[f32]],
    in_shapes: &[&[usize]],
    out_shape: &[usize],
) -> Result<Vec<f32>> {
    check_contract(op, inputs, in_shapes, out_shape)?;
    let out_len = numel(out_shape);
    let unary = |f: &dyn Fn(f32) -> f32| -> Vec<f32> { inputs[0].iter().map(|&x| f(x)).collect() };
    Ok(match op {
        Op::Input { index } => {
            return Err(RuntimeError::Unsupported {
                kind: op.kind(),
                reason: format!("graph input {index} is supplied by the caller (run_float)"),
            })
        }
        Op::Rescale { .. } | Op::Table { .. } => {
            return Err(RuntimeError::Unsupported {
                kind: op.kind(),
                reason: "integer-only op in the float interpreter; use the integer runtime".into(),
            })
        }
        Op::Private(_) => {
            return Err(RuntimeError::Unsupported {
                kind: op.kind(),
                reason: "a private parameter belongs to a quantized graph; use the integer runtime"
                    .into(),
            })
        }
        Op::Const(t) => t.to_f32(),
        Op::Conv {
            window,
            groups,
            act,
        } => {
            let d = geometry::conv_taps(window, *groups, in_shapes[0], in_shapes[1], out_shape);
            k::dot_products(op, &d, inputs[0], inputs[1], inputs[2], out_len, act)?
        }
        Op::ConvTranspose {
            window,
            groups,
            act,
            output_padding: _,
        } => {
            let d = geometry::conv_transpose_taps(
                window,
                *groups,
                in_shapes[0],
                in_shapes[1],
                out_shape,
            );
            k::dot_products(op, &d, inputs[0], inputs[1], inputs[2], out_len, act)?
        }
        Op::Gemm { act } => {
            let d = geometry::gemm_taps(in_shapes[0], in_shapes[1]);
            k::dot_products(op, &d, inputs[0], inputs[1], inputs[2], out_len, act)?
        }
        Op::BatchNorm { epsilon } => k::batch_norm(
            op,
            *epsilon,
            inputs[0],
            in_shapes[0],
            [inputs[1], inputs[2], inputs[3], inputs[4]],
        )?,
        Op::ScaleShift { act } => {
            k::scale_shift(inputs[0], in_shapes[0], inputs[1], inputs[2], act)
        }
        Op::Add { act } => binary(inputs, in_shapes, out_shape, |a, b| k::activate(a + b, act)),
        Op::Sub { act } => binary(inputs, in_shapes, out_shape, |a, b| k::activate(a - b, act)),
        Op::Mul => binary(inputs, in_shapes, out_shape, |a, b| a * b),
        Op::Div => {
            if let Some(j) = inputs[1].iter().position(|&b| b == 0.0) {
                return Err(invalid(
                    op,
                    format!("division by zero (divisor element {j} is 0)"),
                ));
            }
            binary(inputs, in_shapes, out_shape, |a, b| a / b)
        }
        Op::Relu => unary(&|x| x.max(0.0)),
        Op::Clip(c) => unary(&|x| c.apply(x)),
        Op::LeakyRelu { alpha } => unary(&|x| if x >= 0.0 { x } else { alpha * x }),
        Op::Sigmoid => unary(&k::sigmoid),
        Op::Tanh => unary(&k::tanh),
        Op::Function(f) => unary(&|x| f.eval(f64::from(x)) as f32),
        Op::MaxPool { window, .. } => k::pool(
            op,
            PoolKind::Max,
            window,
            inputs[0],
            in_shapes[0],
            out_shape,
        )?,
        Op::AvgPool {
            window,
            count_include_pad,
            ..
        } => k::pool(
            op,
            PoolKind::Avg {
                count_include_pad: *count_include_pad,
            },
            window,
            inputs[0],
            in_shapes[0],
            out_shape,
        )?,
        Op::SumPool { window, .. } => k::pool(
            op,
            PoolKind::Sum,
            window,
            inputs[0],
            in_shapes[0],
            out_shape,
        )?,
        Op::GlobalAvgPool => k::global_avg_pool(op, inputs[0], in_shapes[0])?,
        Op::Pad { value, .. } => k::movement(op, inputs, in_shapes, out_shape, Some(*value))?,
        Op::Reshape
        | Op::Transpose { .. }
        | Op::Concat { .. }
        | Op::Slice { .. }
        | Op::Gather { .. }
        | Op::Resize { .. } => k::movement(op, inputs, in_shapes, out_shape, None)?,
    })
}

fn binary(
    inputs: &[&[f32]],
    in_shapes: &[&[usize]],
    out_shape: &[usize],
    f: impl Fn(f32, f32) -> f32,
) -> Vec<f32> {
    k::broadcast_binary(
        inputs[0],
        in_shapes[0],
        inputs[1],
        in_shapes[1],
        out_shape,
        f,
    )
}

/// Evaluates a float graph on `inputs` (one flat row-major vector per graph
/// input, in input-index order) and returns every node's value.
///
/// Before computing anything it checks that exactly one vector per graph
/// input is given, that each has the element count of the input's declared
/// shape, and that every value is finite; violations are errors naming what
/// was expected and what was given. Nodes are evaluated in
/// [`Graph::topo_order`] with [`eval_op_f32`]; a node that fails is reported
/// with its id, kind and name, and a node that produces NaN or an infinity
/// (overflow) is an error, so every value of a returned run is finite.
/// Malformed graphs (cycle, dangling output, inputs not numbered `0..n`) are
/// errors, never panics.
pub fn run_float(g: &Graph, inputs: &[Vec<f32>]) -> Result<FloatRun> {
    let (order, _) = check_graph_and_inputs(g, inputs)?;
    for (index, data) in inputs.iter().enumerate() {
        if let Some(position) = data.iter().position(|v| !v.is_finite()) {
            return Err(RuntimeError::NonFiniteInput {
                index,
                position,
                value: data[position],
            });
        }
    }

    let mut run = FloatRun::new(g.outputs().to_vec(), order.len());
    for id in order {
        let node = g.node(id);
        let at = |error: RuntimeError| RuntimeError::AtNode {
            node: id,
            kind: node.op.kind(),
            name: node.name.clone(),
            error: Box::new(error),
        };
        let data = match &node.op {
            Op::Input { index } => inputs[*index].clone(),
            op => {
                let (values, shapes) = run.operands(&g.inputs(id));
                eval_op_f32(op, &values, &shapes, &node.ty.shape).map_err(at)?
            }
        };
        if let Some(position) = data.iter().position(|v| !v.is_finite()) {
            return Err(RuntimeError::NonFiniteValue {
                node: id,
                kind: node.op.kind(),
                name: node.name.clone(),
                position,
                value: data[position],
            });
        }
        run.push(id, node.ty.shape.clone(), data, 0);
    }
    Ok(run)
}
