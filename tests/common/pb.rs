//! Protobuf writer for hand-made ONNX models (nodes with integer
//! attributes, initializers, external data), so the tests need no Python.

pub fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}
pub fn field(num: u32, bytes: &[u8], out: &mut Vec<u8>) {
    varint(u64::from(num) << 3 | 2, out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}
pub fn int_field(num: u32, v: i64, out: &mut Vec<u8>) {
    varint(u64::from(num) << 3, out);
    varint(v as u64, out);
}
/// ValueInfoProto of a float tensor with the given dims; `None` means no
/// shape at all, and a dim <= 0 is symbolic (`N`).
pub fn value_info(name: &str, dims: Option<&[i64]>) -> Vec<u8> {
    let mut tensor_type = vec![];
    int_field(1, 1, &mut tensor_type); // elem_type FLOAT
    if let Some(dims) = dims {
        let mut shape = vec![];
        for &d in dims {
            let mut dim = vec![];
            if d > 0 {
                int_field(1, d, &mut dim);
            } else {
                field(2, b"N", &mut dim);
            }
            field(1, &dim, &mut shape);
        }
        field(2, &shape, &mut tensor_type);
    }
    let mut ty = vec![];
    field(1, &tensor_type, &mut ty);
    let mut vi = vec![];
    field(1, name.as_bytes(), &mut vi);
    field(2, &ty, &mut vi);
    vi
}
pub const FLOAT: i64 = 1;
pub const INT64: i64 = 7;
/// TensorProto `name` with `dims`, element type and raw data, or data
/// stored externally at `external = (location, length)`.
pub fn tensor(
    name: &str,
    dims: &[i64],
    data_type: i64,
    raw: &[u8],
    external: Option<(&str, u64)>,
) -> Vec<u8> {
    let mut t = vec![];
    for &d in dims {
        int_field(1, d, &mut t);
    }
    int_field(2, data_type, &mut t);
    field(8, name.as_bytes(), &mut t);
    match external {
        None => field(9, raw, &mut t),
        Some((location, length)) => {
            for (k, v) in [
                ("location", location.to_string()),
                ("length", length.to_string()),
            ] {
                let mut e = vec![];
                field(1, k.as_bytes(), &mut e);
                field(2, v.as_bytes(), &mut e);
                field(13, &e, &mut t);
            }
            int_field(14, 1, &mut t); // data_location EXTERNAL
        }
    }
    t
}
pub fn i64s(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}
/// A model with nodes `(op, inputs, output)`, graph inputs, initializers
/// (TensorProto bytes) and one output.
pub fn model(
    nodes: &[(&str, &[&str], &str)],
    inputs: &[(&str, Option<&[i64]>)],
    initializers: &[Vec<u8>],
    output: &str,
) -> Vec<u8> {
    let nodes: Vec<_> = nodes
        .iter()
        .map(|&(op, ins, out)| (op, ins, out, &[][..]))
        .collect();
    model_with_attrs(&nodes, inputs, initializers, output)
}
/// [`model`] with integer attributes `(name, value)` per node; an output
/// written `"a,b"` gives the node several outputs.
#[allow(clippy::type_complexity)]
pub fn model_with_attrs(
    nodes: &[(&str, &[&str], &str, &[(&str, i64)])],
    inputs: &[(&str, Option<&[i64]>)],
    initializers: &[Vec<u8>],
    output: &str,
) -> Vec<u8> {
    let mut graph = vec![];
    for (op, ins, out, attrs) in nodes {
        let mut n = vec![];
        for i in *ins {
            field(1, i.as_bytes(), &mut n);
        }
        // "a,b": several outputs
        for o in out.split(',') {
            field(2, o.as_bytes(), &mut n);
        }
        let first = out.split(',').next().unwrap_or(out);
        field(3, format!("node_{first}").as_bytes(), &mut n);
        field(4, op.as_bytes(), &mut n);
        for (name, v) in *attrs {
            let mut a = vec![];
            field(1, name.as_bytes(), &mut a);
            int_field(3, *v, &mut a);
            int_field(20, 2, &mut a); // type INT
            field(5, &a, &mut n);
        }
        field(1, &n, &mut graph);
    }
    field(2, b"g", &mut graph);
    for t in initializers {
        field(5, t, &mut graph);
    }
    for (name, dims) in inputs {
        field(11, &value_info(name, *dims), &mut graph);
    }
    field(12, &value_info(output, None), &mut graph);
    let mut m = vec![];
    int_field(1, 8, &mut m); // ir_version
    let mut opset = vec![];
    int_field(2, 13, &mut opset);
    field(8, &opset, &mut m);
    field(7, &graph, &mut m);
    m
}
