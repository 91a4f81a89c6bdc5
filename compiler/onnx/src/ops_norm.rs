//! `LayerNormalization` as IR ops: means by exact global average pooling,
//! the variance from a product of two values, and the reciprocal square
//! root as a function (a table once quantized).

use tract_onnx::pb::NodeProto;
use zkc_ir::{Function, Op};

use crate::attrs;
use crate::import::Importer;
use crate::ops_linear::mean_over;
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
    if reduced.iter().map(|&i| xs[i]).product::<usize>() == 0 {
        return Err(
            "a normalization over an empty axis (zkc does not support empty tensors)".into(),
        );
    }
    let kept: Vec<usize> = xs
        .iter()
        .enumerate()
        .map(|(i, &d)| if i < a { d } else { 1 })
        .collect();
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
