//! Normalizations and reductions that are not linear, as IR ops:
//! `LayerNormalization` (means by exact global average pooling, the
//! variance from a product of two values, the reciprocal square root as a
//! function), `Softmax` / `LogSoftmax` (a max, exp and log functions, an
//! exact mean: no division by a computed value) and `ReduceMax`. The
//! functions become tables once quantized.

use tract_onnx::pb::NodeProto;
use zkc_ir::{Function, NodeId, Op};

use crate::attrs;
use crate::import::{Importer, Val};
use crate::ops_linear::{keep_dims, mean_over, reduce_axes, reduced_count, view_reduced_last};
use crate::ops_table::{given, input_node as input, MapErr, Mapped};

/// `LayerNormalization` over axes `axis..rank` (ONNX opset 17):
/// `d = x - mean(x)`, `r = rsqrt(mean(d * d) + epsilon)`, `y = d * r *
/// scale + bias`, the means over the normalized axes with their sizes kept
/// as 1 so they broadcast back. The optional `Mean` and `InvStdDev` outputs
/// are `mean(x)` and `r`. `stash_type` (the precision of the statistics)
/// is ignored: zkc's float interpreter computes them in at least f32.
pub(crate) fn map_layer_norm(
    imp: &mut Importer,
    n: &NodeProto,
    name: &str,
    xs: Vec<usize>,
) -> Result<Mapped, MapErr> {
    let fe = MapErr::Model;
    let rank = xs.len();
    let a = attrs::axis(attrs::int(n, "axis", -1)?, rank)?;
    let epsilon = attrs::float(n, "epsilon", 1e-5)?;
    if !(epsilon.is_finite() && epsilon > 0.0) {
        return Err(format!("epsilon {epsilon} must be positive").into());
    }
    let reduced: Vec<usize> = (a..rank).collect();
    reduced_count(&xs, &reduced, "a normalization")?;
    let kept = keep_dims(&xs, &reduced);
    let x = input(imp, n, 0, name)?;
    let m = mean_over(
        imp,
        x,
        &xs,
        &reduced,
        Some(kept.clone()),
        &format!("{name}.mu"),
    )?;
    let d = imp
        .add(Op::Sub { act: None }, &[x, m], &format!("{name}.centered"))
        .map_err(fe)?;
    let sq = imp
        .add(Op::Mul, &[d, d], &format!("{name}.squared"))
        .map_err(fe)?;
    let v = mean_over(imp, sq, &xs, &reduced, Some(kept), &format!("{name}.var"))?;
    let r = imp
        .add(
            Op::Function(Function::Rsqrt { epsilon }),
            &[v],
            &format!("{name}.inv_std"),
        )
        .map_err(fe)?;
    let mut y = imp
        .add(Op::Mul, &[d, r], &format!("{name}.normalized"))
        .map_err(fe)?;
    let scale = input(imp, n, 1, name)?;
    let label = if given(n, 2) {
        format!("{name}.scaled")
    } else {
        name.to_string()
    };
    y = imp.add(Op::Mul, &[y, scale], &label).map_err(fe)?;
    if given(n, 2) {
        let b = input(imp, n, 2, name)?;
        y = imp.add(Op::Add { act: None }, &[y, b], name).map_err(fe)?;
    }
    Ok(Mapped::Nodes(
        [y, m, r].into_iter().take(n.output.len().max(1)).collect(),
    ))
}

/// The maximum of `x` (shape `xs`) over the sorted, distinct axes
/// `reduced`, reshaped to `out`: the kept axes moved first, viewed as
/// `[1, kept, reduced]` and reduced by one max-pool window over the last
/// axis.
pub(crate) fn max_over(
    imp: &mut Importer,
    x: NodeId,
    xs: &[usize],
    reduced: &[usize],
    out: Vec<usize>,
    name: &str,
) -> Result<NodeId, MapErr> {
    let fe = MapErr::Model;
    let count: usize = reduced.iter().map(|&a| xs[a]).product();
    let mut y = view_reduced_last(imp, x, xs, reduced, name)?;
    let window = zkc_ir::Window {
        kernel: vec![count],
        strides: vec![1],
        dilations: vec![1],
        pads: vec![0, 0],
    };
    y = imp
        .add(
            Op::MaxPool {
                window,
                ceil_mode: false,
            },
            &[y],
            &format!("{name}.max"),
        )
        .map_err(fe)?;
    imp.add_shaped(Op::Reshape, &[y], out, &format!("{name}.max_shape"))
        .map_err(fe)
}

/// The reduced axes of a softmax over `axis` of a rank-`rank` tensor: the
/// one axis from opset 13 on, every axis from `axis` on before (the input
/// was coerced to 2-D there).
fn softmax_axes(imp: &Importer, n: &NodeProto, rank: usize) -> Result<Vec<usize>, MapErr> {
    let legacy = imp.opset > 0 && imp.opset < 13;
    let a = attrs::axis(attrs::int(n, "axis", if legacy { 1 } else { -1 })?, rank)?;
    Ok(if legacy { (a..rank).collect() } else { vec![a] })
}

/// `Softmax` and `LogSoftmax` without a division: with `z = x - max(x)`
/// and `L = ln(sum(exp(z)))` (the log of the mean of `exp(z)` times the
/// count, one table), `LogSoftmax = z - L` and `Softmax = exp(z - L)`. Every
/// step is a table, an exact mean, a max or a subtraction, so no division
/// by a computed value is needed; `exp(z - L) <= 1` holds exactly in float.
pub(crate) fn map_softmax(
    imp: &mut Importer,
    n: &NodeProto,
    name: &str,
    xs: Vec<usize>,
) -> Result<Mapped, MapErr> {
    let fe = MapErr::Model;
    let reduced = softmax_axes(imp, n, xs.len())?;
    let count = reduced_count(&xs, &reduced, "a softmax")?;
    let kept = keep_dims(&xs, &reduced);
    let x = input(imp, n, 0, name)?;
    let m = max_over(imp, x, &xs, &reduced, kept.clone(), &format!("{name}.m"))?;
    let z = imp
        .add(Op::Sub { act: None }, &[x, m], &format!("{name}.shifted"))
        .map_err(fe)?;
    let e = imp
        .add(Op::Function(Function::Exp), &[z], &format!("{name}.exp"))
        .map_err(fe)?;
    let s = mean_over(imp, e, &xs, &reduced, Some(kept), &format!("{name}.sum"))?;
    let scale = count as f32;
    let l = imp
        .add(
            Op::Function(Function::LogScaled { scale }),
            &[s],
            &format!("{name}.log_sum"),
        )
        .map_err(fe)?;
    let log_label = if n.op_type == "LogSoftmax" {
        name.to_string()
    } else {
        format!("{name}.log")
    };
    let y = imp
        .add(Op::Sub { act: None }, &[z, l], &log_label)
        .map_err(fe)?;
    if n.op_type == "LogSoftmax" {
        return Ok(Mapped::Node(y));
    }
    Ok(Mapped::Node(
        imp.add(Op::Function(Function::Exp), &[y], name)
            .map_err(fe)?,
    ))
}

/// `ReduceMax` over any constant set of axes (as attribute or input).
pub(crate) fn map_reduce_max(
    imp: &mut Importer,
    n: &NodeProto,
    name: &str,
    xs: Vec<usize>,
    out: Vec<usize>,
) -> Result<Mapped, MapErr> {
    let Some(reduced) = reduce_axes(imp, n, xs.len())? else {
        return Ok(Mapped::Alias(Val::Node(input(imp, n, 0, name)?)));
    };
    reduced_count(&xs, &reduced, "a reduction")?;
    let x = input(imp, n, 0, name)?;
    Ok(Mapped::Node(max_over(imp, x, &xs, &reduced, out, name)?))
}
