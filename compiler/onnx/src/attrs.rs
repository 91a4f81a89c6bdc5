//! Reading ONNX attributes and window geometry (`auto_pad`, defaults).

use tract_onnx::pb::NodeProto;
use zkc_ir::Window;

/// A problem with one node, turned into a `FrontendError` by the caller.
pub(crate) type NodeResult<T> = Result<T, String>;

/// An integer attribute, or `default` when absent.
pub(crate) fn int(node: &NodeProto, name: &str, default: i64) -> NodeResult<i64> {
    Ok(node
        .get_attr_opt::<i64>(name)
        .map_err(|e| format!("attribute {name}: {e}"))?
        .unwrap_or(default))
}

/// An integer-list attribute, if present.
pub(crate) fn ints(node: &NodeProto, name: &str) -> NodeResult<Option<Vec<i64>>> {
    node.get_attr_opt_vec::<i64>(name)
        .map_err(|e| format!("attribute {name}: {e}"))
}

/// A float attribute, or `default` when absent.
pub(crate) fn float(node: &NodeProto, name: &str, default: f32) -> NodeResult<f32> {
    Ok(node
        .get_attr_opt::<f32>(name)
        .map_err(|e| format!("attribute {name}: {e}"))?
        .unwrap_or(default))
}

/// A float-list attribute, if present.
pub(crate) fn floats(node: &NodeProto, name: &str) -> NodeResult<Option<Vec<f32>>> {
    node.get_attr_opt_vec::<f32>(name)
        .map_err(|e| format!("attribute {name}: {e}"))
}

/// A string attribute, or `default` when absent.
pub(crate) fn string(node: &NodeProto, name: &str, default: &str) -> NodeResult<String> {
    Ok(node
        .get_attr_opt::<&str>(name)
        .map_err(|e| format!("attribute {name}: {e}"))?
        .unwrap_or(default)
        .to_string())
}

/// Converts signed values to `usize`, refusing negatives.
pub(crate) fn non_negative(v: &[i64], what: &str) -> NodeResult<Vec<usize>> {
    v.iter()
        .map(|&x| usize::try_from(x).map_err(|_| format!("negative {what} {x} is not supported")))
        .collect()
}

/// Normalizes a possibly negative axis against `rank`.
pub(crate) fn axis(a: i64, rank: usize) -> NodeResult<usize> {
    let r = rank as i64;
    let a2 = if a < 0 { a + r } else { a };
    if a2 < 0 || a2 >= r.max(1) {
        return Err(format!("axis {a} out of range for rank {rank}"));
    }
    Ok(a2 as usize)
}

/// The window of a Conv/pool node over spatial extents `spatial`, with kernel
/// `kernel`: strides, dilations and pads from attributes, `auto_pad` resolved.
pub(crate) fn window(
    node: &NodeProto,
    spatial: &[usize],
    kernel: Vec<usize>,
) -> NodeResult<Window> {
    let nd = spatial.len();
    if kernel.len() != nd {
        return Err(format!(
            "kernel {kernel:?} does not match {nd} spatial axes"
        ));
    }
    let get = |name: &str, default: usize, len: usize| -> NodeResult<Vec<usize>> {
        match ints(node, name)? {
            Some(v) if v.len() == len => non_negative(&v, name),
            Some(v) if v.is_empty() => Ok(vec![default; len]),
            Some(v) => Err(format!("{name} has {} values, expected {len}", v.len())),
            None => Ok(vec![default; len]),
        }
    };
    let strides = get("strides", 1, nd)?;
    let dilations = get("dilations", 1, nd)?;
    let auto_pad = string(node, "auto_pad", "NOTSET")?;
    let pads = match auto_pad.as_str() {
        "NOTSET" | "" => get("pads", 0, 2 * nd)?,
        "VALID" => vec![0; 2 * nd],
        "SAME_UPPER" | "SAME_LOWER" => {
            let mut p = vec![0; 2 * nd];
            for i in 0..nd {
                let s = strides[i].max(1);
                let out = spatial[i].div_ceil(s);
                let span = dilations[i] * (kernel[i].max(1) - 1) + 1;
                let total = ((out.max(1) - 1) * s + span).saturating_sub(spatial[i]);
                let small = total / 2;
                if auto_pad == "SAME_UPPER" {
                    p[i] = small;
                    p[i + nd] = total - small;
                } else {
                    p[i] = total - small;
                    p[i + nd] = small;
                }
            }
            p
        }
        other => return Err(format!("auto_pad {other} is not supported")),
    };
    let w = Window {
        kernel,
        strides,
        dilations,
        pads,
    };
    w.check().map_err(|e| e.to_string())?;
    Ok(w)
}
