//! Values of the small integer tensors of an ONNX graph (shape sub-graphs),
//! computed before tract sees the model so that [`crate::limits`] can bound
//! the tensors that tract's constant folding would create from them.
//!
//! Only 1-D integer tensors of at most [`MAX_KNOWN`] elements are tracked,
//! through the ops shape sub-graphs are made of (`Shape`, `Gather`,
//! `Slice`, `Concat`, `Unsqueeze`, elementwise arithmetic, ...). A value
//! that cannot be computed here is simply unknown: the analysis only ever
//! adds refusals, never accepts anything tract would not.

use std::collections::HashMap;

use tract_onnx::pb::{GraphProto, NodeProto, TensorProto};

/// Largest tensor tracked (shape tensors are short).
pub(crate) const MAX_KNOWN: usize = 64;

/// ONNX `TensorProto` data type of int64.
const INT64: i32 = 7;
/// ONNX `TensorProto` data type of int32.
const INT32: i32 = 6;

/// The values of a small integer tensor, if it is one.
pub(crate) fn tensor_ints(t: &TensorProto) -> Option<Vec<i64>> {
    let n: i64 = t
        .dims
        .iter()
        .try_fold(1i64, |a, &d| a.checked_mul(d).filter(|&p| p >= 0))?;
    if n > MAX_KNOWN as i64 {
        return None;
    }
    let v: Vec<i64> = match t.data_type {
        INT64 if !t.int64_data.is_empty() => t.int64_data.clone(),
        INT64 => t
            .raw_data
            .chunks_exact(8)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
            .collect(),
        INT32 if !t.int32_data.is_empty() => t.int32_data.iter().map(|&x| i64::from(x)).collect(),
        INT32 => t
            .raw_data
            .chunks_exact(4)
            .map(|c| i64::from(i32::from_le_bytes(c.try_into().unwrap_or([0; 4]))))
            .collect(),
        _ => return None,
    };
    (v.len() as i64 == n).then_some(v)
}

/// The known values of `g`'s small integer tensors, by value name.
pub(crate) fn known_values(g: &GraphProto) -> HashMap<&str, Vec<i64>> {
    let mut known: HashMap<&str, Vec<i64>> = HashMap::new();
    for t in &g.initializer {
        if let Some(v) = tensor_ints(t) {
            known.insert(t.name.as_str(), v);
        }
    }
    // Static dims of graph inputs and initializers, for `Shape`.
    let mut dims: HashMap<&str, Vec<i64>> = HashMap::new();
    for t in &g.initializer {
        dims.insert(t.name.as_str(), t.dims.clone());
    }
    for i in &g.input {
        if let Some(d) = static_dims(i) {
            dims.insert(i.name.as_str(), d);
        }
    }
    for n in &g.node {
        let value = eval(n, &known, &dims).filter(|v| v.len() <= MAX_KNOWN);
        if let (Some(v), Some(out)) = (value, n.output.first()) {
            known.insert(out.as_str(), v);
        }
    }
    known
}

/// The dims of a graph input whose shape is fully static.
fn static_dims(i: &tract_onnx::pb::ValueInfoProto) -> Option<Vec<i64>> {
    use tract_onnx::pb::tensor_shape_proto::dimension::Value as Dim;
    use tract_onnx::pb::type_proto::Value as Ty;
    let Some(Ty::TensorType(t)) = i.r#type.as_ref()?.value.as_ref() else {
        return None;
    };
    t.shape
        .as_ref()?
        .dim
        .iter()
        .map(|d| match d.value {
            Some(Dim::DimValue(v)) if v >= 0 => Some(v),
            _ => None,
        })
        .collect()
}

/// An ONNX start/end index into an axis of length `len`: negative counts
/// from the end, the result is clamped to `0..=len`.
fn clamp_index(x: i64, len: i64) -> usize {
    let x = if x < 0 { x.saturating_add(len) } else { x };
    x.clamp(0, len) as usize
}

/// An integer attribute of `n`.
fn attr_int(n: &NodeProto, name: &str) -> Option<i64> {
    n.attribute.iter().find(|a| a.name == name).map(|a| a.i)
}

/// The value of node `n`'s output, when its inputs are known.
fn eval(
    n: &NodeProto,
    known: &HashMap<&str, Vec<i64>>,
    dims: &HashMap<&str, Vec<i64>>,
) -> Option<Vec<i64>> {
    let input = |i: usize| n.input.get(i).and_then(|x| known.get(x.as_str()));
    match n.op_type.as_str() {
        "Constant" => n
            .attribute
            .iter()
            .find(|a| a.name == "value")
            .and_then(|a| a.t.as_ref())
            .and_then(tensor_ints),
        "Identity" | "Cast" | "Reshape" | "Squeeze" | "Unsqueeze" | "Flatten" => input(0).cloned(),
        "Shape" => {
            let d = dims.get(n.input.first()?.as_str())?;
            let r = d.len() as i64;
            let start = clamp_index(attr_int(n, "start").unwrap_or(0), r);
            let end = clamp_index(attr_int(n, "end").unwrap_or(r), r);
            Some(d[start..end.max(start)].to_vec())
        }
        "Concat" => {
            let mut out = vec![];
            for x in &n.input {
                out.extend_from_slice(known.get(x.as_str())?);
                if out.len() > MAX_KNOWN {
                    return None;
                }
            }
            Some(out)
        }
        "Add" | "Sub" | "Mul" | "Div" | "Max" | "Min" => {
            let (a, b) = (input(0)?, input(1)?);
            let f = |x: i64, y: i64| match n.op_type.as_str() {
                "Add" => x.checked_add(y),
                "Sub" => x.checked_sub(y),
                "Mul" => x.checked_mul(y),
                "Div" => x.checked_div(y),
                "Max" => Some(x.max(y)),
                _ => Some(x.min(y)),
            };
            match (a.len(), b.len()) {
                (1, _) => b.iter().map(|&y| f(a[0], y)).collect(),
                (_, 1) => a.iter().map(|&x| f(x, b[0])).collect(),
                (p, q) if p == q => a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect(),
                _ => None,
            }
        }
        "Neg" => input(0)?.iter().map(|x| x.checked_neg()).collect(),
        "Abs" => input(0)?.iter().map(|x| x.checked_abs()).collect(),
        "ReduceProd" => input(0)?
            .iter()
            .try_fold(1i64, |a, &x| a.checked_mul(x))
            .map(|p| vec![p]),
        "ReduceSum" => input(0)?
            .iter()
            .try_fold(0i64, |a, &x| a.checked_add(x))
            .map(|p| vec![p]),
        "Gather" if attr_int(n, "axis").unwrap_or(0) == 0 => {
            let (data, idx) = (input(0)?, input(1)?);
            let len = data.len() as i64;
            idx.iter()
                .map(|&i| {
                    let i = if i < 0 { i + len } else { i };
                    (0..len).contains(&i).then(|| data[i as usize])
                })
                .collect()
        }
        "Slice" => {
            let data = input(0)?;
            let one = |i: usize| input(i).filter(|v| v.len() == 1).map(|v| v[0]);
            if n.input.len() > 3 && one(3).is_none_or(|a| a != 0 && a != -1) {
                return None;
            }
            let step = if n.input.len() > 4 { one(4)? } else { 1 };
            if step != 1 {
                return None;
            }
            let len = data.len() as i64;
            let (s, e) = (clamp_index(one(1)?, len), clamp_index(one(2)?, len));
            Some(data[s..e.max(s)].to_vec())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tract_onnx::pb::AttributeProto;

    fn int_tensor(name: &str, v: &[i64]) -> TensorProto {
        TensorProto {
            name: name.into(),
            dims: vec![v.len() as i64],
            data_type: INT64,
            int64_data: v.to_vec(),
            ..Default::default()
        }
    }

    fn node(op: &str, inputs: &[&str], out: &str) -> NodeProto {
        NodeProto {
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![out.into()],
            ..Default::default()
        }
    }

    #[test]
    fn values_flow_through_shape_ops() {
        let mut gather = node("Gather", &["c", "i"], "g");
        gather.attribute.push(AttributeProto {
            name: "axis".into(),
            i: 0,
            ..Default::default()
        });
        let g = GraphProto {
            initializer: vec![
                int_tensor("a", &[1 << 14]),
                int_tensor("b", &[3, 4]),
                int_tensor("i", &[-1]),
                int_tensor("two", &[2]),
            ],
            node: vec![
                node("Concat", &["a", "b"], "c"),
                gather,
                node("Mul", &["c", "two"], "m"),
                node("ReduceProd", &["b"], "p"),
                node("Relu", &["b"], "unknown"),
            ],
            ..Default::default()
        };
        let k = known_values(&g);
        assert_eq!(k["c"], vec![1 << 14, 3, 4]);
        assert_eq!(k["g"], vec![4]);
        assert_eq!(k["m"], vec![1 << 15, 6, 8]);
        assert_eq!(k["p"], vec![12]);
        assert!(!k.contains_key("unknown"));
    }

    #[test]
    fn overflow_leaves_values_unknown() {
        let g = GraphProto {
            initializer: vec![int_tensor("a", &[i64::MAX]), int_tensor("b", &[2])],
            node: vec![node("Mul", &["a", "b"], "m")],
            ..Default::default()
        };
        assert!(!known_values(&g).contains_key("m"));
    }
}
