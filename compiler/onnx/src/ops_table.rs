//! The one table from ONNX ops to zkc IR ops.

use tract_onnx::pb::NodeProto;
use zkc_ir::{Clamp, Function, NodeId, Op, Tensor as IrTensor};

use crate::attrs::{self, axis, non_negative};
use crate::import::{tensor_f32, tensor_i64, Importer, Val};
use crate::op_lists::missing;
use crate::ops_movement::{map_pad, map_resize, map_slice};
use crate::FrontendError;

/// What an ONNX node became.
pub(crate) enum Mapped {
    /// A new IR node (for the node's first output).
    Node(NodeId),
    /// One new IR node per output, in order (Split).
    Nodes(Vec<NodeId>),
    /// An existing value (Identity, float Cast, inference Dropout).
    Alias(Val),
}

/// Why a node could not be mapped.
pub(crate) enum MapErr {
    /// The node uses something zkc does not support (empty: unknown op).
    Unsupported(String),
    /// The model itself is invalid.
    Model(FrontendError),
}

impl From<String> for MapErr {
    fn from(s: String) -> Self {
        MapErr::Unsupported(s)
    }
}

impl From<&str> for MapErr {
    fn from(s: &str) -> Self {
        MapErr::Unsupported(s.to_string())
    }
}

impl From<FrontendError> for MapErr {
    fn from(e: FrontendError) -> Self {
        MapErr::Model(e)
    }
}

/// Refusal of a Dropout in training mode.
const TRAINING_DROPOUT: &str =
    "training mode (random dropout) is not supported; export the model in eval mode (model.eval())";

/// Refusal of a BatchNormalization in training mode.
pub(crate) const TRAINING_BATCH_NORM: &str = "training_mode=1 (batch statistics) is not supported; export the model in eval mode (model.eval())";

/// Maps one ONNX node.
pub(crate) fn map_node(imp: &mut Importer, n: &NodeProto, name: &str) -> Result<Mapped, MapErr> {
    let fe = MapErr::Model;
    let input = |imp: &mut Importer, i: usize| input_node(imp, n, i, name);
    let konst = |imp: &mut Importer, i: usize| const_input(imp, n, i);
    let x_shape = |imp: &Importer| -> Result<Vec<usize>, MapErr> {
        let v = n.input.first().ok_or("missing input 0")?;
        Ok(imp
            .shape_of(v)
            .ok_or_else(|| format!("input {v} has no static shape"))?)
    };
    let out_shape = |imp: &Importer| -> Result<Vec<usize>, MapErr> {
        let o = n.output.first().ok_or("missing output")?;
        Ok(imp
            .shape_of(o)
            .ok_or_else(|| format!("output {o} has no static shape"))?)
    };
    let add = |imp: &mut Importer, op: Op, ins: &[NodeId]| imp.add(op, ins, name).map_err(fe);
    let node = |id: NodeId| Ok(Mapped::Node(id));
    let unary = |imp: &mut Importer, op: Op| -> Result<NodeId, MapErr> {
        let x = input(imp, 0)?;
        add(imp, op, &[x])
    };

    match n.op_type.as_str() {
        "Identity" => Ok(Mapped::Alias(Val::Node(input(imp, 0)?))),
        "Dropout" => {
            // inference Dropout is the identity; training mode drops values
            // at random, which no proof can reproduce
            if attrs::int(n, "is_test", 1)? == 0 {
                return Err(TRAINING_DROPOUT.into());
            }
            if n.input.get(2).is_some_and(|s| !s.is_empty()) {
                let t = konst(imp, 2)
                    .ok_or("its training_mode input is not a constant; export the model in eval mode (model.eval())")?;
                if tensor_i64(&t)?.iter().any(|&v| v != 0) {
                    return Err(TRAINING_DROPOUT.into());
                }
            }
            Ok(Mapped::Alias(Val::Node(input(imp, 0)?)))
        }
        "Cast" => {
            let to = attrs::int(n, "to", 1)?;
            // TensorProto.DataType: FLOAT=1, FLOAT16=10, DOUBLE=11, BFLOAT16=16
            if to == 10 {
                // rounding to float16 changes values: modelled exactly
                return node(unary(imp, Op::Function(Function::RoundF16))?);
            }
            if to == 16 {
                return Err(
                    "cast to bfloat16 is not supported; export the model in float32".into(),
                );
            }
            if ![1, 11].contains(&to) {
                return Err(format!("cast to non-float type {to} on the data path").into());
            }
            Ok(Mapped::Alias(Val::Node(input(imp, 0)?)))
        }
        "Conv" | "ConvTranspose" => {
            let xs = x_shape(imp)?;
            let w = konst(imp, 1).ok_or("weights must be constant")?;
            let ws = w.shape().to_vec();
            if xs.len() < 3 || ws.len() != xs.len() {
                return Err(
                    format!("input {xs:?} and weight {ws:?} are not [N,C,spatial..]").into(),
                );
            }
            let kernel = match attrs::ints(n, "kernel_shape")? {
                Some(k) => non_negative(&k, "kernel")?,
                None => ws[2..].to_vec(),
            };
            if kernel != ws[2..] {
                return Err(format!("kernel_shape {kernel:?} disagrees with weight {ws:?}").into());
            }
            let groups =
                usize::try_from(attrs::int(n, "group", 1)?).map_err(|_| "negative group")?;
            let x = input(imp, 0)?;
            let wid = input(imp, 1)?;
            let m = if n.op_type == "Conv" {
                ws[0]
            } else {
                ws[1] * groups
            };
            let b = match n.input.get(2).filter(|s| !s.is_empty()) {
                Some(_) => input(imp, 2)?,
                None => zeros(imp, m, &format!("{name}.bias"))?,
            };
            if n.op_type == "Conv" {
                let window = attrs::window(n, &xs[2..], kernel)?;
                return node(add(
                    imp,
                    Op::Conv {
                        window,
                        groups,
                        act: None,
                    },
                    &[x, wid, b],
                )?);
            }
            let nd = xs.len() - 2;
            let mut output_padding = match attrs::ints(n, "output_padding")? {
                Some(p) if p.len() == nd => non_negative(&p, "output_padding")?,
                _ => vec![0; nd],
            };
            let mut window = attrs::window(n, &xs[2..], kernel)?;
            if attrs::string(n, "auto_pad", "NOTSET")? != "NOTSET"
                || attrs::ints(n, "output_shape")?.is_some()
            {
                // Explicit pads from the requested output extent (ONNX formula,
                // with floor division as the reference implementation uses).
                let out = out_shape(imp)?;
                let upper = attrs::string(n, "auto_pad", "NOTSET")? == "SAME_UPPER";
                for i in 0..nd {
                    let full = window.strides[i] * (xs[2 + i] - 1)
                        + output_padding[i]
                        + window.dilations[i] * (window.kernel[i] - 1)
                        + 1;
                    let total = full as i64 - out[2 + i] as i64;
                    let (b, e) = if upper {
                        (total.div_euclid(2), total - total.div_euclid(2))
                    } else {
                        (total - total.div_euclid(2), total.div_euclid(2))
                    };
                    if b < 0 {
                        return Err(format!(
                            "output_shape {out:?} extends the output before its first position (padding {b} on axis {i})"
                        )
                        .into());
                    }
                    // a negative end padding extends the output at the end:
                    // positions no input reaches, which hold the bias alone,
                    // as output_padding does
                    window.pads[i] = b as usize;
                    window.pads[i + nd] = e.max(0) as usize;
                    output_padding[i] += (-e).max(0) as usize;
                }
            }
            node(add(
                imp,
                Op::ConvTranspose {
                    window,
                    groups,
                    output_padding,
                    act: None,
                },
                &[x, wid, b],
            )?)
        }
        "Gemm" => {
            let (ta, tb) = (
                attrs::int(n, "transA", 0)? != 0,
                attrs::int(n, "transB", 0)? != 0,
            );
            let (alpha, beta) = (
                attrs::float(n, "alpha", 1.0)?,
                attrs::float(n, "beta", 1.0)?,
            );
            if konst(imp, 1).is_none() {
                return Err("B must be constant".into());
            }
            let t = Op::Transpose { perm: vec![1, 0] };
            let mut x = input(imp, 0)?;
            if ta {
                x = imp
                    .add(t.clone(), &[x], &format!("{name}.transA"))
                    .map_err(fe)?;
            }
            let mut w = input(imp, 1)?;
            if tb {
                w = imp.add(t, &[w], &format!("{name}.transB")).map_err(fe)?;
            }
            if alpha != 1.0 {
                let a = scalar(imp, alpha, &format!("{name}.alpha"))?;
                w = imp
                    .add(Op::Mul, &[w, a], &format!("{name}.alpha"))
                    .map_err(fe)?;
            }
            let nout = imp.graph.shape(w).get(1).copied().ok_or("B is not 2-D")?;
            gemm_with_bias(imp, n, name, x, w, nout, beta, 2)
        }
        "MatMul" => crate::ops_linear::map_matmul(imp, n, name),
        "Add" | "Sub" | "Mul" | "Div" => {
            if n.op_type == "Div" && konst(imp, 1).is_none() {
                return Err("Div by a non-constant (only constant divisors are supported)".into());
            }
            let a = input(imp, 0)?;
            let b = input(imp, 1)?;
            let op = match n.op_type.as_str() {
                "Add" => Op::Add { act: None },
                "Sub" => Op::Sub { act: None },
                "Mul" => Op::Mul,
                _ => Op::Div,
            };
            node(add(imp, op, &[a, b])?)
        }
        "Relu" => node(unary(imp, Op::Relu)?),
        "Split" => {
            // one slice per output, sized as tract inferred them
            let xs = x_shape(imp)?;
            let rank = xs.len() as i64;
            let mut axis = attrs::int(n, "axis", 0)?;
            if axis < -rank || axis >= rank {
                return Err(format!("axis {axis} is out of range for rank {rank}").into());
            }
            if axis < 0 {
                axis += rank;
            }
            let axis = axis as usize;
            let x = input(imp, 0)?;
            let mut offset = 0usize;
            let mut ids = vec![];
            for (i, o) in n.output.iter().enumerate() {
                let len = imp
                    .shape_of(o)
                    .ok_or_else(|| format!("output {o} has no static shape"))?;
                let mut start = vec![0; xs.len()];
                start[axis] = offset;
                offset += len.get(axis).copied().unwrap_or(0);
                if offset > xs[axis] || len.len() != xs.len() {
                    return Err(format!("output {o} does not fit the input {xs:?}").into());
                }
                let op = Op::Slice {
                    start,
                    step: vec![1; xs.len()],
                    len,
                };
                ids.push(imp.add(op, &[x], &format!("{name}.{i}")).map_err(fe)?);
            }
            Ok(Mapped::Nodes(ids))
        }
        "HardSigmoid" | "HardSwish" => {
            // piecewise linear: clip(alpha * x + beta, 0, 1), times x for
            // HardSwish (alpha = 1/6, beta = 1/2)
            let (alpha, beta) = if n.op_type == "HardSigmoid" {
                (
                    attrs::float(n, "alpha", 0.2)?,
                    attrs::float(n, "beta", 0.5)?,
                )
            } else {
                (1.0 / 6.0, 0.5)
            };
            if !alpha.is_finite() || !beta.is_finite() {
                return Err(format!("alpha {alpha} and beta {beta} must be finite").into());
            }
            let x = input(imp, 0)?;
            let a = scalar(imp, alpha, &format!("{name}.alpha"))?;
            let b = scalar(imp, beta, &format!("{name}.beta"))?;
            let ax = imp
                .add(Op::Mul, &[x, a], &format!("{name}.scaled"))
                .map_err(fe)?;
            let axb = imp
                .add(Op::Add { act: None }, &[ax, b], &format!("{name}.shifted"))
                .map_err(fe)?;
            let clip = Op::Clip(Clamp { lo: 0.0, hi: 1.0 });
            if n.op_type == "HardSigmoid" {
                node(add(imp, clip, &[axb])?)
            } else {
                let h = imp.add(clip, &[axb], &format!("{name}.gate")).map_err(fe)?;
                node(add(imp, Op::Mul, &[x, h])?)
            }
        }
        "Sigmoid" => node(unary(imp, Op::Sigmoid)?),
        "Tanh" => node(unary(imp, Op::Tanh)?),
        "Erf" => node(unary(imp, Op::Function(Function::Erf))?),
        "Gelu" => {
            let f = match attrs::string(n, "approximate", "none")?.as_str() {
                "none" => Function::Gelu,
                "tanh" => Function::GeluTanh,
                other => return Err(format!("approximate = {other:?} (only none and tanh)").into()),
            };
            node(unary(imp, Op::Function(f))?)
        }
        "Softmax" | "LogSoftmax" => {
            let xs = x_shape(imp)?;
            crate::ops_norm::map_softmax(imp, n, name, xs)
        }
        "ReduceMax" => {
            let (xs, ys) = (x_shape(imp)?, out_shape(imp)?);
            crate::ops_norm::map_reduce_max(imp, n, name, xs, ys)
        }
        "LayerNormalization" => {
            let xs = x_shape(imp)?;
            crate::ops_norm::map_layer_norm(imp, n, name, xs)
        }
        "LeakyRelu" => {
            let alpha = attrs::float(n, "alpha", 0.01)?;
            node(unary(imp, Op::LeakyRelu { alpha })?)
        }
        "Clip" => {
            let bound = |imp: &mut Importer, i: usize, attr: &str, d: f32| -> Result<f32, MapErr> {
                if n.input.get(i).is_some_and(|s| !s.is_empty()) {
                    let t = konst(imp, i).ok_or("Clip bounds must be constant")?;
                    return Ok(tensor_f32(&t)?.first().copied().ok_or("empty Clip bound")?);
                }
                Ok(attrs::float(n, attr, d)?)
            };
            let lo = bound(imp, 1, "min", f32::NEG_INFINITY)?;
            let hi = bound(imp, 2, "max", f32::INFINITY)?;
            if lo.is_nan() || hi.is_nan() {
                return Err(format!("Clip bounds [{lo}, {hi}] are not numbers").into());
            }
            // ONNX: min(max(x, lo), hi), so every output is `hi` when lo > hi
            let lo = lo.min(hi);
            node(unary(imp, Op::Clip(Clamp { lo, hi }))?)
        }
        "BatchNormalization" => {
            if attrs::int(n, "training_mode", 0)? != 0 {
                return Err(TRAINING_BATCH_NORM.into());
            }
            let epsilon = attrs::float(n, "epsilon", 1e-5)?;
            let mut ins = vec![];
            for i in 0..5 {
                ins.push(input(imp, i)?);
            }
            node(add(imp, Op::BatchNorm { epsilon }, &ins)?)
        }
        "MaxPool" | "AveragePool" => {
            let xs = x_shape(imp)?;
            if xs.len() < 3 {
                return Err(format!("input {xs:?} is not [N,C,spatial..]").into());
            }
            let kernel = non_negative(
                &attrs::ints(n, "kernel_shape")?.ok_or("kernel_shape is required")?,
                "kernel",
            )?;
            let window = attrs::window(n, &xs[2..], kernel)?;
            let ceil_mode = attrs::int(n, "ceil_mode", 0)? != 0;
            let x = input(imp, 0)?;
            let op = if n.op_type == "MaxPool" {
                Op::MaxPool { window, ceil_mode }
            } else {
                let count_include_pad = attrs::int(n, "count_include_pad", 0)? != 0;
                Op::AvgPool {
                    window,
                    ceil_mode,
                    count_include_pad,
                }
            };
            node(add(imp, op, &[x])?)
        }
        "GlobalAveragePool" => node(unary(imp, Op::GlobalAvgPool)?),
        "ReduceMean" | "ReduceSum" => crate::ops_linear::map_reduce(imp, n, name),
        "GlobalMaxPool" => {
            let xs = x_shape(imp)?;
            if xs.len() < 3 {
                return Err(format!("input {xs:?} is not [N,C,spatial..]").into());
            }
            let nd = xs.len() - 2;
            let window = zkc_ir::Window {
                kernel: xs[2..].to_vec(),
                strides: vec![1; nd],
                dilations: vec![1; nd],
                pads: vec![0; 2 * nd],
            };
            node(unary(
                imp,
                Op::MaxPool {
                    window,
                    ceil_mode: false,
                },
            )?)
        }
        "Flatten" | "Reshape" | "Squeeze" | "Unsqueeze" => {
            let shape = out_shape(imp)?;
            if shape.contains(&0) {
                // e.g. Reshape with allowzero = 1 and a 0 in its shape
                return Err(format!(
                    "its output {shape:?} has a zero-size dimension; zkc does not support empty tensors"
                )
                .into());
            }
            let x = input(imp, 0)?;
            node(imp.add_shaped(Op::Reshape, &[x], shape, name).map_err(fe)?)
        }
        "Transpose" => {
            let rank = x_shape(imp)?.len();
            let perm = match attrs::ints(n, "perm")? {
                Some(p) => p
                    .iter()
                    .map(|&a| axis(a, rank))
                    .collect::<Result<_, String>>()?,
                None => (0..rank).rev().collect(),
            };
            node(unary(imp, Op::Transpose { perm })?)
        }
        "Concat" => {
            let rank = x_shape(imp)?.len();
            let ax = axis(attrs::int(n, "axis", 0)?, rank)?;
            let mut ins = vec![];
            for i in 0..n.input.len() {
                ins.push(input(imp, i)?);
            }
            node(add(imp, Op::Concat { axis: ax }, &ins)?)
        }
        "Pad" => {
            let (xs, x) = (x_shape(imp)?, input(imp, 0)?);
            map_pad(imp, n, name, xs, x)
        }
        "Slice" => {
            let (xs, ys, x) = (x_shape(imp)?, out_shape(imp)?, input(imp, 0)?);
            map_slice(imp, n, name, xs, ys, x)
        }
        "Gather" => {
            let xs = x_shape(imp)?;
            let ax = axis(attrs::int(n, "axis", 0)?, xs.len())?;
            let idx = konst(imp, 1).ok_or("indices must be constant")?;
            let indices = tensor_i64(&idx)?
                .into_iter()
                .map(|i| {
                    let j = if i < 0 { i + xs[ax] as i64 } else { i };
                    usize::try_from(j)
                        .ok()
                        .filter(|&j| j < xs[ax])
                        .ok_or(format!("index {i} out of range"))
                })
                .collect::<Result<_, String>>()?;
            let op = Op::Gather {
                axis: ax,
                indices,
                indices_shape: idx.shape().to_vec(),
            };
            node(unary(imp, op)?)
        }
        "GatherND" => {
            let (xs, x) = (x_shape(imp)?, input(imp, 0)?);
            crate::ops_movement::map_gather_nd(imp, n, name, xs, x)
        }
        "Resize" | "Upsample" => {
            // tract 0.23 has no Upsample op (opset 7 to 9): its output
            // shape is unknown to tract and computed from the scales.
            let (xs, ys, x) = (x_shape(imp)?, out_shape(imp).ok(), input(imp, 0)?);
            map_resize(imp, n, name, xs, ys, x)
        }
        op => Err(MapErr::Unsupported(
            missing(op).unwrap_or_default().to_string(),
        )),
    }
}

/// The IR node of input `i` of `n` (read by the node `name`).
pub(crate) fn input_node(
    imp: &mut Importer,
    n: &NodeProto,
    i: usize,
    name: &str,
) -> Result<NodeId, MapErr> {
    let v = n
        .input
        .get(i)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("missing input {i}"))?;
    imp.node_for(v, name).map_err(MapErr::Model)
}

/// Input `i` of `n` if it is given and constant.
pub(crate) fn const_input(
    imp: &mut Importer,
    n: &NodeProto,
    i: usize,
) -> Option<std::sync::Arc<tract_onnx::prelude::Tensor>> {
    n.input
        .get(i)
        .filter(|s| !s.is_empty())
        .and_then(|v| imp.constant(v))
}

/// True when input `i` of `n` is given (present and not empty).
pub(crate) fn given(n: &NodeProto, i: usize) -> bool {
    n.input.get(i).is_some_and(|s| !s.is_empty())
}

/// A constant `f32` IR tensor of `shape`.
pub(crate) fn constant(
    imp: &mut Importer,
    shape: Vec<usize>,
    data: Vec<f32>,
    name: &str,
) -> Result<NodeId, MapErr> {
    let t = IrTensor::f32(shape, data).map_err(|e| e.to_string())?;
    Ok(imp.graph.add_const(t, None, name))
}

/// A zero bias of `m` elements.
fn zeros(imp: &mut Importer, m: usize, name: &str) -> Result<NodeId, MapErr> {
    constant(imp, vec![m], vec![0.0; m], name)
}

/// A float scalar constant.
pub(crate) fn scalar(imp: &mut Importer, v: f32, name: &str) -> Result<NodeId, MapErr> {
    Ok(imp.graph.add_const(IrTensor::scalar(v), None, name))
}

/// Emits `gemm(x, w, bias)` where the bias comes from input `c_slot` (scaled
/// by `beta`) when it is a constant that broadcasts to `[nout]`, a zero bias
/// otherwise (followed by an `add` of the input when it is not).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_with_bias(
    imp: &mut Importer,
    n: &NodeProto,
    name: &str,
    x: NodeId,
    w: NodeId,
    nout: usize,
    beta: f32,
    c_slot: usize,
) -> Result<Mapped, MapErr> {
    let fe = MapErr::Model;
    let c_name = n.input.get(c_slot).filter(|s| !s.is_empty()).cloned();
    let c_const = c_name.as_ref().and_then(|c| imp.constant(c));
    let (bias, extra) = match (&c_name, c_const) {
        (None, _) => (zeros(imp, nout, &format!("{name}.bias"))?, None),
        (Some(_), Some(t)) if t.len() == nout || t.len() == 1 => {
            let v = tensor_f32(&t)?;
            let data: Vec<f32> = (0..nout)
                .map(|j| beta * v[if v.len() == 1 { 0 } else { j }])
                .collect();
            let t = IrTensor::f32(vec![nout], data).map_err(|e| e.to_string())?;
            (imp.graph.add_const(t, None, format!("{name}.bias")), None)
        }
        (Some(c), _) => (zeros(imp, nout, &format!("{name}.bias"))?, Some(c.clone())),
    };
    let y = imp
        .add(Op::Gemm { act: None }, &[x, w, bias], name)
        .map_err(fe)?;
    match extra {
        None => Ok(Mapped::Node(y)),
        Some(c) => {
            let mut cid = imp.node_for(&c, name).map_err(fe)?;
            if beta != 1.0 {
                let b = scalar(imp, beta, &format!("{name}.beta"))?;
                cid = imp.add(Op::Mul, &[cid, b], name).map_err(fe)?;
            }
            Ok(Mapped::Node(
                imp.add(Op::Add { act: None }, &[y, cid], name)
                    .map_err(fe)?,
            ))
        }
    }
}
