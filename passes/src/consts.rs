//! Helpers shared by passes for reading and replacing constant inputs.

use zkc_ir::{broadcast_shapes, Graph, NodeId, Tensor};

/// The values of a float `const` node.
pub(crate) fn const_f32(g: &Graph, id: NodeId) -> Option<Vec<f32>> {
    g.const_tensor(id)
        .filter(|t| t.is_float())
        .map(|t| t.to_f32())
}

/// If the constant `c` (shape `cs`) broadcast against a value of shape `ys`
/// varies at most along `axis`, its values per index of that axis.
pub(crate) fn per_channel(c: &[f32], cs: &[usize], ys: &[usize], axis: usize) -> Option<Vec<f32>> {
    if broadcast_shapes(cs, ys)? != ys || cs.len() > ys.len() {
        return None;
    }
    let off = ys.len() - cs.len();
    for (i, &d) in cs.iter().enumerate() {
        if d != 1 && i + off != axis {
            return None;
        }
    }
    let n = ys[axis];
    if c.len() == 1 {
        return Some(vec![c[0]; n]);
    }
    (c.len() == n).then(|| c.to_vec())
}

/// Adds a float constant node.
pub(crate) fn add_f32(
    g: &mut Graph,
    shape: Vec<usize>,
    data: Vec<f32>,
    name: String,
) -> Option<NodeId> {
    let t = Tensor::f32(shape, data).ok()?;
    Some(g.add_const(t, None, name))
}
