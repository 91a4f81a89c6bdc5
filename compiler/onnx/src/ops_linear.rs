//! ONNX ops that are linear maps with constant coefficients, lowered to
//! several IR nodes: reductions (`ReduceMean`, `ReduceSum`) as a transpose,
//! a reshape and global average pooling; `MatMul` with a constant right
//! operand of any rank as one `gemm` per batch element; `Resize` in `linear`
//! and `cubic` modes as one constant matrix (`gemm`) per resized axis.

use tract_onnx::pb::NodeProto;
use zkc_ir::{NodeId, Op};

use crate::attrs;
use crate::import::{tensor_f32, tensor_i64, Importer, Val};
use crate::interpolate::{is_identity, AxisResize, Kernel, Row};
use crate::ops_table::{
    const_input as konst, constant, gemm_with_bias, given, input_node as input, scalar, MapErr,
    Mapped,
};

/// The static shape of `value`.
fn shape(imp: &Importer, value: Option<&String>) -> Result<Vec<usize>, MapErr> {
    let v = value.ok_or("missing value")?;
    Ok(imp
        .shape_of(v)
        .ok_or_else(|| format!("{v} has no static shape"))?)
}

/// `perm` moving axis `a` of a rank-`r` tensor last, and its inverse.
fn axis_last(a: usize, r: usize) -> (Vec<usize>, Vec<usize>) {
    let mut perm: Vec<usize> = (0..r).filter(|&i| i != a).collect();
    perm.push(a);
    let mut inv = vec![0; r];
    for (i, &p) in perm.iter().enumerate() {
        inv[p] = i;
    }
    (perm, inv)
}

/// The sorted, distinct axes a `Reduce*` node reduces (from its `axes`
/// attribute or constant input, negative axes counted from the end; every
/// axis when none are given), or `None` when it is a no-op
/// (`noop_with_empty_axes` with no axes).
pub(crate) fn reduce_axes(
    imp: &mut Importer,
    n: &NodeProto,
    rank: usize,
) -> Result<Option<Vec<usize>>, MapErr> {
    let r = rank as i64;
    let axes = match attrs::ints(n, "axes")? {
        Some(a) => Some(a),
        None if given(n, 1) => Some(tensor_i64(
            &*konst(imp, n, 1).ok_or("its axes input is not a constant")?,
        )?),
        None => None,
    };
    let mut axes: Vec<i64> = match axes {
        Some(a) if !a.is_empty() => a,
        _ if attrs::int(n, "noop_with_empty_axes", 0)? != 0 => return Ok(None),
        _ => (0..r).collect(),
    };
    for a in axes.iter_mut() {
        if *a < -r || *a >= r {
            return Err(format!("axis {a} is out of range for rank {rank}").into());
        }
        if *a < 0 {
            *a += r;
        }
    }
    axes.sort_unstable();
    axes.dedup();
    Ok(Some(axes.into_iter().map(|a| a as usize).collect()))
}

/// The number of elements each output of a reduction of `xs` over `reduced`
/// combines; an empty axis is refused, `what` ("a reduction", "a softmax")
/// naming the op.
pub(crate) fn reduced_count(xs: &[usize], reduced: &[usize], what: &str) -> Result<usize, MapErr> {
    let count = reduced.iter().map(|&a| xs[a]).product();
    if count == 0 {
        return Err(
            format!("{what} over an empty axis (zkc does not support empty tensors)").into(),
        );
    }
    Ok(count)
}

/// `xs` with the `reduced` axes kept as size 1 (ONNX's `keepdims` shape,
/// which broadcasts back against `xs`).
pub(crate) fn keep_dims(xs: &[usize], reduced: &[usize]) -> Vec<usize> {
    (0..xs.len())
        .map(|i| if reduced.contains(&i) { 1 } else { xs[i] })
        .collect()
}

/// `ReduceMean` / `ReduceSum` over any constant set of axes: the kept axes
/// are moved first, the tensor viewed as `[1, kept, reduced]`, averaged by
/// global average pooling (exact division), multiplied back by the count for
/// a sum, and reshaped to ONNX's output shape.
pub(crate) fn map_reduce(imp: &mut Importer, n: &NodeProto, name: &str) -> Result<Mapped, MapErr> {
    let fe = MapErr::Model;
    let xs = shape(imp, n.input.first())?;
    let Some(reduced) = reduce_axes(imp, n, xs.len())? else {
        return Ok(Mapped::Alias(Val::Node(input(imp, n, 0, name)?)));
    };
    reduced_count(&xs, &reduced, "a reduction")?;
    let out = shape(imp, n.output.first())?;
    let x = input(imp, n, 0, name)?;
    let mut y = if n.op_type == "ReduceSum" {
        sum_over(imp, x, &xs, &reduced, name)?
    } else {
        mean_over(imp, x, &xs, &reduced, None, name)?
    };
    if imp.graph.shape(y) != out.as_slice() {
        y = imp.add_shaped(Op::Reshape, &[y], out, name).map_err(fe)?;
    }
    Ok(Mapped::Node(y))
}

/// `x` (shape `xs`) with the axes not in `reduced` moved first (a transpose
/// unless they already are) and viewed as `[1, kept, reduced]`, so one
/// window over the last axis reduces exactly the `reduced` axes.
pub(crate) fn view_reduced_last(
    imp: &mut Importer,
    x: NodeId,
    xs: &[usize],
    reduced: &[usize],
    name: &str,
) -> Result<NodeId, MapErr> {
    let fe = MapErr::Model;
    let kept: Vec<usize> = (0..xs.len()).filter(|a| !reduced.contains(a)).collect();
    let count: usize = reduced.iter().map(|&a| xs[a]).product();
    let rows: usize = kept.iter().map(|&a| xs[a]).product();
    let perm: Vec<usize> = kept.iter().chain(reduced).copied().collect();
    let mut y = x;
    if perm.iter().enumerate().any(|(i, &p)| i != p) {
        y = imp
            .add(Op::Transpose { perm }, &[y], &format!("{name}.order"))
            .map_err(fe)?;
    }
    imp.add_shaped(
        Op::Reshape,
        &[y],
        vec![1, rows, count],
        &format!("{name}.view"),
    )
    .map_err(fe)
}

/// The mean of `x` (shape `xs`) over the sorted, distinct axes `reduced`:
/// the kept axes moved first, viewed as `[1, kept, reduced]` and averaged by
/// global average pooling (an exact division), then reshaped to `out` when
/// given (else left as global_avg_pool's `[1, kept, 1]`, or `[N, C, 1, ..]`
/// when `reduced` is every spatial axis).
pub(crate) fn mean_over(
    imp: &mut Importer,
    x: NodeId,
    xs: &[usize],
    reduced: &[usize],
    out: Option<Vec<usize>>,
    name: &str,
) -> Result<NodeId, MapErr> {
    let fe = MapErr::Model;
    let spatial = xs.len() >= 3 && reduced == (2..xs.len()).collect::<Vec<_>>();
    let mut y = if spatial {
        x
    } else {
        view_reduced_last(imp, x, xs, reduced, name)?
    };
    y = imp
        .add(Op::GlobalAvgPool, &[y], &format!("{name}.mean"))
        .map_err(fe)?;
    match out {
        Some(out) if imp.graph.shape(y) != out.as_slice() => Ok(imp
            .add_shaped(Op::Reshape, &[y], out, &format!("{name}.mean_shape"))
            .map_err(fe)?),
        _ => Ok(y),
    }
}

/// The sum of `x` over `reduced`: [`mean_over`] (an exact division) times the
/// element count, left in global_avg_pool's shape.
fn sum_over(
    imp: &mut Importer,
    x: NodeId,
    xs: &[usize],
    reduced: &[usize],
    name: &str,
) -> Result<NodeId, MapErr> {
    let count: usize = reduced.iter().map(|&a| xs[a]).product();
    let y = mean_over(imp, x, xs, reduced, None, name)?;
    let c = scalar(imp, count as f32, &format!("{name}.count"))?;
    imp.add(Op::Mul, &[y, c], &format!("{name}.sum"))
        .map_err(MapErr::Model)
}

/// Largest number of products a `MatMul` of two computed tensors may need.
const MAX_COMPUTED_PRODUCTS: usize = 1 << 22;

/// `MatMul` of two computed tensors (attention's `Q K^T` and `A V`), as
/// elementwise products and a sum: `A [.., M, K]` viewed as
/// `[.., M, 1, K]`, `B [.., K, N]` transposed and viewed as `[.., 1, N, K]`,
/// multiplied with NumPy broadcasting into `[.., M, N, K]` and summed over
/// `K` (an exact mean times `K`), then shaped as ONNX's output. 1-D
/// operands are promoted as ONNX does (`[K]` as `[1, K]` on the left,
/// `[K, 1]` on the right).
fn map_matmul_computed(imp: &mut Importer, n: &NodeProto, name: &str) -> Result<Mapped, MapErr> {
    let fe = MapErr::Model;
    let (xs, ys) = (shape(imp, n.input.first())?, shape(imp, n.input.get(1))?);
    let out = shape(imp, n.output.first())?;
    if xs.is_empty() || ys.is_empty() {
        return Err("an operand is a scalar (MatMul needs at least 1-D)".into());
    }
    let a_shape = if xs.len() == 1 {
        vec![1, xs[0]]
    } else {
        xs.clone()
    };
    let b_shape = if ys.len() == 1 {
        vec![ys[0], 1]
    } else {
        ys.clone()
    };
    let (ra, rb) = (a_shape.len(), b_shape.len());
    let (m, k) = (a_shape[ra - 2], a_shape[ra - 1]);
    let (k2, nn) = (b_shape[rb - 2], b_shape[rb - 1]);
    if k != k2 {
        return Err(format!("inner dimensions differ: {xs:?} x {ys:?}").into());
    }
    let batch = zkc_ir::broadcast_shapes(&a_shape[..ra - 2], &b_shape[..rb - 2])
        .ok_or_else(|| format!("batch dimensions of {xs:?} and {ys:?} do not broadcast"))?;
    let products = batch.iter().product::<usize>() * m * nn * k;
    if products > MAX_COMPUTED_PRODUCTS {
        return Err(format!(
            "a product of two computed tensors {xs:?} x {ys:?} needs {products} multiplications, more than {MAX_COMPUTED_PRODUCTS}"
        )
        .into());
    }
    let a = input(imp, n, 0, name)?;
    let b = input(imp, n, 1, name)?;
    let mut a_view = a_shape[..ra - 1].to_vec();
    a_view.extend([1, k]);
    let a = imp
        .add_shaped(Op::Reshape, &[a], a_view, &format!("{name}.rows"))
        .map_err(fe)?;
    let b = if ys.len() >= 2 {
        let mut perm: Vec<usize> = (0..rb).collect();
        perm.swap(rb - 2, rb - 1);
        imp.add(Op::Transpose { perm }, &[b], &format!("{name}.cols"))
            .map_err(fe)?
    } else {
        b // a 1-D right operand is its own transpose
    };
    let mut b_view = b_shape[..rb - 2].to_vec();
    b_view.extend([1, nn, k]);
    let b = imp
        .add_shaped(Op::Reshape, &[b], b_view, &format!("{name}.cols_view"))
        .map_err(fe)?;
    let p = imp
        .add(Op::Mul, &[a, b], &format!("{name}.products"))
        .map_err(fe)?;
    let ps = imp.graph.shape(p).to_vec();
    let last = ps.len() - 1;
    let mut y = sum_over(imp, p, &ps, &[last], name)?;
    if imp.graph.shape(y) != out.as_slice() {
        y = imp.add_shaped(Op::Reshape, &[y], out, name).map_err(fe)?;
    }
    Ok(Mapped::Node(y))
}

/// `MatMul` with a constant right operand: 2-D as one `gemm` (left operand
/// of any rank, rows flattened); 1-D as a `[K, 1]` matrix; N-D (batched,
/// NumPy broadcasting) as one `gemm` per batch element of the output,
/// concatenated.
pub(crate) fn map_matmul(imp: &mut Importer, n: &NodeProto, name: &str) -> Result<Mapped, MapErr> {
    let fe = MapErr::Model;
    let Some(b) = konst(imp, n, 1) else {
        return map_matmul_computed(imp, n, name);
    };
    let xs = shape(imp, n.input.first())?;
    let out = shape(imp, n.output.first())?;
    let bs = b.shape().to_vec();
    // the right operand as a stack of [K, N] matrices
    let (k, nn, b_batch) = match bs.len() {
        0 => return Err("right operand is a scalar (MatMul needs at least 1-D)".into()),
        1 => (bs[0], 1, vec![]),
        r => (bs[r - 2], bs[r - 1], bs[..r - 2].to_vec()),
    };
    // the left operand as a stack of [M, K] matrices
    let (m, x_batch) = match xs.len() {
        0 => return Err("left operand is a scalar".into()),
        1 => (1, vec![]),
        r => (xs[r - 2], xs[..r - 2].to_vec()),
    };
    if xs.last() != Some(&k) {
        return Err(format!("left operand {xs:?} does not match the right operand {bs:?}").into());
    }
    let x = input(imp, n, 0, name)?;
    if b_batch.is_empty() {
        let w = if bs.len() == 2 {
            input(imp, n, 1, name)?
        } else {
            constant(imp, vec![k, nn], tensor_f32(&b)?, &format!("{name}.w"))?
        };
        let rows: usize = xs[..xs.len() - 1].iter().product();
        let flat = if xs.len() == 2 {
            x
        } else {
            imp.add_shaped(Op::Reshape, &[x], vec![rows, k], &format!("{name}.rows"))
                .map_err(fe)?
        };
        let gname = if xs.len() == 2 && bs.len() == 2 {
            name.to_string()
        } else {
            format!("{name}.gemm")
        };
        let Mapped::Node(y) = gemm_with_bias(imp, n, &gname, flat, w, nn, 0.0, usize::MAX)? else {
            return Err("internal error: MatMul without a bias became an alias".into());
        };
        if imp.graph.shape(y) == out.as_slice() {
            return Ok(Mapped::Node(y));
        }
        return Ok(Mapped::Node(
            imp.add_shaped(Op::Reshape, &[y], out, name).map_err(fe)?,
        ));
    }
    // broadcast batch shape, right-aligned as NumPy does
    let r = x_batch.len().max(b_batch.len());
    let pad = |v: &[usize]| -> Vec<usize> {
        std::iter::repeat_n(1, r - v.len())
            .chain(v.iter().copied())
            .collect()
    };
    let (xb, bb) = (pad(&x_batch), pad(&b_batch));
    let mut ob = Vec::with_capacity(r);
    for (&p, &q) in xb.iter().zip(&bb) {
        if p != q && p != 1 && q != 1 {
            return Err(format!("batch shapes of {xs:?} and {bs:?} do not broadcast").into());
        }
        ob.push(p.max(q));
    }
    let total: usize = ob.iter().product();
    if total > 4096 {
        return Err(format!("a batched MatMul of {total} matrices (at most 4096)").into());
    }
    let bv = tensor_f32(&b)?;
    let x3 = imp
        .add_shaped(
            Op::Reshape,
            &[x],
            vec![xb.iter().product(), m, k],
            &format!("{name}.stack"),
        )
        .map_err(fe)?;
    let flat_index = |dims: &[usize], idx: &[usize]| -> usize {
        dims.iter()
            .zip(idx)
            .fold(0, |acc, (&d, &i)| acc * d + if d == 1 { 0 } else { i })
    };
    let mut parts = vec![];
    let mut idx = vec![0usize; r];
    for t in 0..total {
        let (xi, bi) = (flat_index(&xb, &idx), flat_index(&bb, &idx));
        let slice = Op::Slice {
            start: vec![xi, 0, 0],
            step: vec![1, 1, 1],
            len: vec![1, m, k],
        };
        let s = imp.add(slice, &[x3], &format!("{name}.x{t}")).map_err(fe)?;
        let s = imp
            .add_shaped(Op::Reshape, &[s], vec![m, k], &format!("{name}.x{t}.rows"))
            .map_err(fe)?;
        let w = constant(
            imp,
            vec![k, nn],
            bv[bi * k * nn..(bi + 1) * k * nn].to_vec(),
            &format!("{name}.w{t}"),
        )?;
        let Mapped::Node(y) = gemm_with_bias(
            imp,
            n,
            &format!("{name}.gemm{t}"),
            s,
            w,
            nn,
            0.0,
            usize::MAX,
        )?
        else {
            return Err("internal error: MatMul without a bias became an alias".into());
        };
        parts.push(y);
        // next batch index, row-major
        for a in (0..r).rev() {
            idx[a] += 1;
            if idx[a] < ob[a] {
                break;
            }
            idx[a] = 0;
        }
    }
    let y = if parts.len() == 1 {
        parts[0]
    } else {
        imp.add(Op::Concat { axis: 0 }, &parts, &format!("{name}.concat"))
            .map_err(fe)?
    };
    Ok(Mapped::Node(
        imp.add_shaped(Op::Reshape, &[y], out, name).map_err(fe)?,
    ))
}

/// `Resize` (or `Upsample`) in `linear` or `cubic` mode: for each axis whose
/// map is not the identity, from the last to the first as ONNX nests them,
/// the axis is moved last and multiplied by its constant `[in, out]` matrix
/// (`gemm`), the bias holding `extrapolation_value` at positions outside the
/// input (`tf_crop_and_resize`).
pub(crate) fn map_resize_interpolated(
    imp: &mut Importer,
    n: &NodeProto,
    name: &str,
    kernel: Kernel,
    xs: Vec<usize>,
    out: Option<Vec<usize>>,
    x: NodeId,
) -> Result<Mapped, MapErr> {
    let fe = MapErr::Model;
    let r = xs.len();
    let upsample = n.op_type == "Upsample";
    let coord = if upsample {
        "asymmetric".to_string()
    } else {
        attrs::string(n, "coordinate_transformation_mode", "half_pixel")?
    };
    let axes: Vec<usize> = match attrs::ints(n, "axes")? {
        Some(a) => a
            .iter()
            .map(|&v| attrs::axis(v, r))
            .collect::<Result<_, _>>()?,
        None => (0..r).collect(),
    };
    // inputs: Upsample (X, scales); Resize-10 (X, scales); Resize-11+ (X, roi, scales, sizes)
    let (roi_i, scales_i, sizes_i) = if upsample || n.input.len() == 2 {
        (None, 1, None)
    } else {
        (Some(1), 2, Some(3))
    };
    let floats_of = |imp: &mut Importer, i: usize| -> Result<Option<Vec<f32>>, MapErr> {
        if !given(n, i) {
            return Ok(None);
        }
        let t = konst(imp, n, i).ok_or("its scales, sizes and roi must be constant")?;
        let v = tensor_f32(&t)?;
        Ok((!v.is_empty()).then_some(v))
    };
    let per_axis = |v: Vec<f32>, what: &str, fill: f64| -> Result<Vec<f64>, MapErr> {
        if v.len() != axes.len() {
            return Err(format!("{} {what} for {} axes", v.len(), axes.len()).into());
        }
        let mut full = vec![fill; r];
        for (&a, &s) in axes.iter().zip(&v) {
            full[a] = f64::from(s);
        }
        Ok(full)
    };
    let scales = match (upsample, attrs::floats(n, "scales")?) {
        (true, Some(s)) => Some(s),
        _ => floats_of(imp, scales_i)?,
    };
    let sizes = match sizes_i {
        Some(i) if given(n, i) => Some(tensor_i64(
            &*konst(imp, n, i).ok_or("sizes must be constant")?,
        )?),
        _ => None,
    };
    let (scale, size): (Vec<f64>, Vec<usize>) = match (scales, sizes) {
        (Some(s), _) => {
            let s = per_axis(s, "scales", 1.0)?;
            let size = xs
                .iter()
                .zip(&s)
                .map(|(&d, &f)| (d as f64 * f) as usize)
                .collect();
            (s, size)
        }
        (None, Some(z)) => {
            let z = per_axis(z.iter().map(|&v| v as f32).collect(), "sizes", 0.0)?;
            let mut size: Vec<usize> = (0..r)
                .map(|a| {
                    if axes.contains(&a) {
                        z[a] as usize
                    } else {
                        xs[a]
                    }
                })
                .collect();
            let mut s: Vec<f64> = (0..r).map(|a| size[a] as f64 / xs[a] as f64).collect();
            let policy = attrs::string(n, "keep_aspect_ratio_policy", "stretch")?;
            if policy != "stretch" {
                let it = axes.iter().map(|&a| s[a]);
                let k = match policy.as_str() {
                    "not_larger" => it.fold(f64::INFINITY, f64::min),
                    "not_smaller" => it.fold(f64::NEG_INFINITY, f64::max),
                    p => return Err(format!("keep_aspect_ratio_policy {p}").into()),
                };
                for &a in &axes {
                    s[a] = k;
                    size[a] = (k * xs[a] as f64 + 0.5) as usize;
                }
            }
            (s, size)
        }
        (None, None) => return Err("neither scales nor sizes are given".into()),
    };
    if let Some(o) = &out {
        if *o != size {
            return Err(format!("the output {size:?} disagrees with the inferred {o:?}").into());
        }
    }
    let roi = match roi_i {
        Some(i) if coord == "tf_crop_and_resize" => {
            let v = floats_of(imp, i)?.ok_or("tf_crop_and_resize needs a roi")?;
            let half = v.len() / 2;
            let (lo, hi) = (
                per_axis(v[..half].to_vec(), "roi starts", 0.0)?,
                per_axis(v[half..].to_vec(), "roi ends", 1.0)?,
            );
            lo.into_iter().zip(hi).collect()
        }
        _ => vec![(0.0, 1.0); r],
    };
    let extrapolation = attrs::float(n, "extrapolation_value", 0.0)?;
    let antialias = attrs::int(n, "antialias", 0)? != 0;
    let exclude_outside = attrs::int(n, "exclude_outside", 0)? != 0;
    let mut y = x;
    for a in (0..r).rev() {
        if !axes.contains(&a) {
            continue;
        }
        let spec = AxisResize {
            kernel,
            coord: coord.clone(),
            antialias,
            exclude_outside,
            roi: roi[a],
        };
        let rows: Vec<Row> = spec.rows(xs[a], size[a], scale[a])?;
        if is_identity(&rows, xs[a]) {
            continue;
        }
        let (i_n, o_n) = (xs[a], size[a]);
        let mut w = vec![0f32; i_n * o_n];
        let mut bias = vec![0f32; o_n];
        for (o, row) in rows.iter().enumerate() {
            match row {
                Some(c) => c
                    .iter()
                    .enumerate()
                    .for_each(|(i, &v)| w[i * o_n + o] = v as f32),
                None => bias[o] = extrapolation,
            }
        }
        let (perm, inv) = axis_last(a, r);
        let moved = a != r - 1;
        if moved {
            y = imp
                .add(Op::Transpose { perm }, &[y], &format!("{name}.axis{a}"))
                .map_err(fe)?;
        }
        let wid = constant(imp, vec![i_n, o_n], w, &format!("{name}.axis{a}.w"))?;
        let bid = constant(imp, vec![o_n], bias, &format!("{name}.axis{a}.b"))?;
        y = imp
            .add(
                Op::Gemm { act: None },
                &[y, wid, bid],
                &format!("{name}.axis{a}.interpolate"),
            )
            .map_err(fe)?;
        if moved {
            y = imp
                .add(
                    Op::Transpose { perm: inv },
                    &[y],
                    &format!("{name}.axis{a}.back"),
                )
                .map_err(fe)?;
        }
    }
    if y == x {
        return Ok(Mapped::Alias(Val::Node(x)));
    }
    Ok(Mapped::Node(y))
}
