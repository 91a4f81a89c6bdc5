//! ONNX data-movement ops with constant parameters (Pad, Slice, Resize):
//! their parameters are resolved at import into the IR's index maps.

use tract_onnx::pb::NodeProto;
use zkc_ir::{NodeId, Op};

use crate::attrs::{self, axis, non_negative};
use crate::import::{tensor_f32, tensor_i64, Importer};
use crate::interpolate::Kernel;
use crate::ops_linear::map_resize_interpolated;
use crate::ops_table::{const_input, MapErr, Mapped};

pub(crate) fn map_pad(
    imp: &mut Importer,
    n: &NodeProto,
    name: &str,
    xs: Vec<usize>,
    x: NodeId,
) -> Result<Mapped, MapErr> {
    let mode = attrs::string(n, "mode", "constant")?;
    if mode != "constant" {
        return Err(format!("pad mode {mode} (only constant)").into());
    }
    let rank = xs.len();
    let (raw, value) = if n.input.len() > 1 {
        let p = n
            .input
            .get(1)
            .and_then(|v| imp.constant(v))
            .ok_or("pads must be constant")?;
        let value = match n.input.get(2).filter(|s| !s.is_empty()) {
            Some(v) => tensor_f32(&*imp.constant(v).ok_or("pad value must be constant")?)?
                .first()
                .copied()
                .unwrap_or(0.0),
            None => 0.0,
        };
        (tensor_i64(&p)?, value)
    } else {
        (
            attrs::ints(n, "pads")?.ok_or("pads are required")?,
            attrs::float(n, "value", 0.0)?,
        )
    };
    let mut pads = vec![0usize; 2 * rank];
    let axes: Vec<usize> = match n.input.get(3).filter(|s| !s.is_empty()) {
        Some(v) => tensor_i64(&*imp.constant(v).ok_or("pad axes must be constant")?)?
            .into_iter()
            .map(|a| axis(a, rank))
            .collect::<Result<_, String>>()?,
        None => (0..rank).collect(),
    };
    if raw.len() != 2 * axes.len() {
        return Err(format!("{} pads for {} axes", raw.len(), axes.len()).into());
    }
    let k = axes.len();
    for (i, &a) in axes.iter().enumerate() {
        pads[a] = non_negative(&[raw[i]], "pad")?[0];
        pads[a + rank] = non_negative(&[raw[i + k]], "pad")?[0];
    }
    let id = imp.add(Op::Pad { pads, value }, &[x], name)?;
    Ok(Mapped::Node(id))
}

pub(crate) fn map_slice(
    imp: &mut Importer,
    n: &NodeProto,
    name: &str,
    xs: Vec<usize>,
    out: Vec<usize>,
    x: NodeId,
) -> Result<Mapped, MapErr> {
    let rank = xs.len();
    let list = |imp: &mut Importer, i: usize, attr: &str| -> Result<Option<Vec<i64>>, MapErr> {
        if n.input.len() > 1 {
            match n.input.get(i).filter(|s| !s.is_empty()) {
                Some(v) => Ok(Some(tensor_i64(
                    &*imp.constant(v).ok_or("slice bounds must be constant")?,
                )?)),
                None => Ok(None),
            }
        } else {
            Ok(attrs::ints(n, attr)?)
        }
    };
    let starts = list(imp, 1, "starts")?.ok_or("starts are required")?;
    let ends = list(imp, 2, "ends")?.ok_or("ends are required")?;
    let axes = match list(imp, 3, "axes")? {
        Some(a) => a
            .iter()
            .map(|&a| axis(a, rank))
            .collect::<Result<Vec<_>, String>>()?,
        None => (0..starts.len()).collect(),
    };
    let steps = list(imp, 4, "steps")?.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err("starts, ends, axes and steps differ in length".into());
    }
    let mut start = vec![0; rank];
    let mut step = vec![1; rank];
    let mut len = xs.clone();
    // axes with negative steps: the whole axis is kept by the slice and then
    // gathered by constant indices (ONNX clamps starts to [0, d-1] and ends
    // to [-1, d-1] for negative steps)
    let mut reversed: Vec<(usize, Vec<usize>)> = vec![];
    for i in 0..starts.len() {
        let (a, d) = (axes[i], xs[axes[i]] as i64);
        if steps[i] == 0 {
            return Err("slice step 0".into());
        }
        if steps[i] < 0 {
            let wrap = |v: i64| if v < 0 { v.saturating_add(d) } else { v };
            let s = wrap(starts[i]).clamp(0, d - 1);
            let e = wrap(ends[i]).clamp(-1, d - 1);
            let mut idx = vec![];
            let mut j = s;
            while j > e {
                idx.push(j as usize);
                j += steps[i];
            }
            len[a] = idx.len();
            reversed.push((a, idx));
            continue;
        }
        let norm = |v: i64| if v < 0 { (v + d).max(0) } else { v.min(d) };
        let (s, e) = (norm(starts[i]), norm(ends[i]));
        start[a] = s as usize;
        step[a] = steps[i] as usize;
        len[a] = if e > s {
            ((e - s + steps[i] - 1) / steps[i]) as usize
        } else {
            0
        };
        if len[a] == 0 {
            start[a] = 0;
        }
    }
    if len != out {
        return Err(format!("slice gives {len:?}, tract infers {out:?}").into());
    }
    if reversed.iter().any(|(_, idx)| idx.is_empty()) {
        return Err(format!("a negative-step slice gives an empty tensor {len:?}; zkc does not support empty tensors").into());
    }
    let mut slice_len = len.clone();
    for (a, _) in &reversed {
        slice_len[*a] = xs[*a];
    }
    let plain = reversed.is_empty();
    let mut id = x;
    if slice_len != xs || plain {
        let op = Op::Slice {
            start,
            step,
            len: slice_len,
        };
        let label = if plain {
            name.to_string()
        } else {
            format!("{name}.forward")
        };
        id = imp.add(op, &[id], &label)?;
    }
    for (k, (a, indices)) in reversed.into_iter().enumerate() {
        let op = Op::Gather {
            axis: a,
            indices_shape: vec![indices.len()],
            indices,
        };
        id = imp.add(op, &[id], &format!("{name}.reverse{k}"))?;
    }
    Ok(Mapped::Node(id))
}

pub(crate) fn map_resize(
    imp: &mut Importer,
    n: &NodeProto,
    name: &str,
    xs: Vec<usize>,
    out: Option<Vec<usize>>,
    x: NodeId,
) -> Result<Mapped, MapErr> {
    let mode = attrs::string(n, "mode", "nearest")?;
    let kernel = match mode.as_str() {
        "nearest" => None,
        "linear" | "bilinear" | "trilinear" => Some(Kernel::Linear),
        "cubic" | "bicubic" => Some(Kernel::Cubic(f64::from(attrs::float(
            n,
            "cubic_coeff_a",
            -0.75,
        )?))),
        other => {
            return Err(format!("mode {other} (nearest, linear and cubic are supported)").into())
        }
    };
    if let Some(kernel) = kernel {
        return map_resize_interpolated(imp, n, name, kernel, xs, out, x);
    }
    let upsample = n.op_type == "Upsample";
    let (coord, nearest) = if upsample {
        ("asymmetric".to_string(), "floor".to_string())
    } else {
        (
            attrs::string(n, "coordinate_transformation_mode", "half_pixel")?,
            attrs::string(n, "nearest_mode", "round_prefer_floor")?,
        )
    };
    // Scales: Upsample attr (opset < 9) or input 1; Resize input 2 (opset >= 11) or 1 (opset 10).
    let scale_input = if upsample {
        1
    } else if n.input.len() >= 3 {
        2
    } else {
        1
    };
    let mut scales: Option<Vec<f32>> = if upsample {
        attrs::floats(n, "scales")?
    } else {
        None
    };
    if let Some(v) = n.input.get(scale_input).filter(|s| !s.is_empty()) {
        let t = imp.constant(v).ok_or("scales must be constant")?;
        let s = tensor_f32(&t)?;
        if !s.is_empty() {
            scales = Some(s);
        }
    }
    let out = match (out, &scales) {
        (Some(o), _) => o,
        // ONNX: output dim = floor(input dim * scale).
        (None, Some(s)) if s.len() == xs.len() => xs
            .iter()
            .zip(s)
            .map(|(&d, &f)| {
                let o = (d as f64 * f64::from(f)).floor();
                (o.is_finite() && o >= 1.0 && o <= zkc_ir::MAX_TENSOR_ELEMENTS as f64)
                    .then_some(o as usize)
                    .ok_or_else(|| format!("scale {f} gives no valid output size"))
            })
            .collect::<Result<_, _>>()?,
        (None, _) => return Err("output has no static shape and no scales".into()),
    };
    if xs.len() != out.len() {
        return Err("rank changes".into());
    }
    let mut maps = vec![];
    for a in 0..xs.len() {
        let (i_n, o_n) = (xs[a] as f64, out[a]);
        let scale = match &scales {
            Some(s) if s.len() == xs.len() => f64::from(s[a]),
            _ => o_n as f64 / i_n,
        };
        let mut m = Vec::with_capacity(o_n);
        for i in 0..o_n {
            let fi = i as f64;
            let orig = match coord.as_str() {
                "half_pixel" => (fi + 0.5) / scale - 0.5,
                "pytorch_half_pixel" => {
                    if o_n > 1 {
                        (fi + 0.5) / scale - 0.5
                    } else {
                        0.0
                    }
                }
                "asymmetric" => fi / scale,
                "tf_half_pixel_for_nn" => (fi + 0.5) / scale,
                "align_corners" => {
                    if o_n > 1 {
                        fi * (i_n - 1.0) / (o_n as f64 - 1.0)
                    } else {
                        0.0
                    }
                }
                other => return Err(format!("coordinate_transformation_mode {other}").into()),
            };
            let r = match nearest.as_str() {
                "round_prefer_floor" => {
                    if orig - orig.floor() == 0.5 {
                        orig.floor()
                    } else {
                        orig.round()
                    }
                }
                "round_prefer_ceil" => {
                    if orig - orig.floor() == 0.5 {
                        orig.ceil()
                    } else {
                        orig.round()
                    }
                }
                "floor" => orig.floor(),
                "ceil" => orig.ceil(),
                other => return Err(format!("nearest_mode {other}").into()),
            };
            m.push(r.clamp(0.0, i_n - 1.0) as usize);
        }
        maps.push(m);
    }
    let id = imp.add(Op::Resize { maps }, &[x], name)?;
    Ok(Mapped::Node(id))
}

/// `GatherND` with constant indices: the data's first `batch_dims + r` axes
/// (`r` the indices' last dimension) are flattened into one, and a constant
/// `gather` along it takes each index tuple's linear position, so the output
/// is ONNX's `indices.shape[:-1] + data.shape[batch_dims + r:]` exactly
/// (negative indices count from the end; any index out of range is refused).
/// This is how the default PyTorch exporter writes `adaptive_avg_pool2d`.
pub(crate) fn map_gather_nd(
    imp: &mut Importer,
    n: &NodeProto,
    name: &str,
    xs: Vec<usize>,
    x: NodeId,
) -> Result<Mapped, MapErr> {
    let b = usize::try_from(attrs::int(n, "batch_dims", 0)?)
        .map_err(|_| "negative batch_dims is not supported")?;
    let idx = const_input(imp, n, 1).ok_or("indices must be constant (only constant GatherND)")?;
    let ishape = idx.shape().to_vec();
    let (&r, lead) = ishape
        .split_last()
        .ok_or("indices must have rank at least 1")?;
    if b + r > xs.len() || lead.len() < b || lead[..b] != xs[..b] {
        return Err(format!(
            "indices of shape {ishape:?} with batch_dims {b} do not fit data of shape {xs:?}"
        )
        .into());
    }
    let count: usize = lead.iter().product();
    if count == 0 || xs.iter().product::<usize>() == 0 {
        return Err("GatherND gives an empty tensor; zkc does not support empty tensors".into());
    }
    let values = tensor_i64(&idx)?;
    if values.len() != count * r {
        return Err(format!("indices hold {} values for shape {ishape:?}", values.len()).into());
    }
    let per_batch: usize = lead[b..].iter().product();
    let block: usize = xs[b..b + r].iter().product();
    let mut linear = Vec::with_capacity(count);
    for p in 0..count {
        let mut at = (p / per_batch) * block;
        let mut stride = block;
        for (j, &i) in values[p * r..(p + 1) * r].iter().enumerate() {
            let d = xs[b + j];
            stride /= d;
            let k = if i < 0 { i + d as i64 } else { i };
            let k = usize::try_from(k)
                .ok()
                .filter(|&k| k < d)
                .ok_or_else(|| format!("index {i} out of range for an axis of {d}"))?;
            at += k * stride;
        }
        linear.push(at);
    }
    let outer: usize = xs[..b + r].iter().product();
    let mut flat = vec![outer];
    flat.extend_from_slice(&xs[b + r..]);
    let mut id = x;
    if flat != xs {
        id = imp.add_shaped(Op::Reshape, &[id], flat, &format!("{name}.flat"))?;
    }
    let op = Op::Gather {
        axis: 0,
        indices: linear,
        indices_shape: lead.to_vec(),
    };
    Ok(Mapped::Node(imp.add(op, &[id], name)?))
}
