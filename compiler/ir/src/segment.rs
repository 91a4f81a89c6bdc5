//! Cutting a graph into a chain of segments at tensor boundaries (the
//! ground of segmented proofs: each segment becomes its own circuit).
//!
//! Segment `i` holds the nodes at topological positions `[c_{i-1}, c_i)`
//! (with `c_{-1} = 0` and the last segment running to the end), except
//! that graph inputs always belong to segment 0 and constants and private
//! parameters are copied into every segment that reads them. The values
//! crossing the cut `c_i` (defined before it, read at or after it, or a
//! graph output defined before it) are segment `i`'s outputs and segment
//! `i + 1`'s inputs, in the same order (the order of their definitions), so
//! segment `i + 1` reads nothing but segment `i`'s outputs: a value needed
//! two segments later passes through the one between (as an input that is
//! also an output). The last segment's outputs are the graph's outputs.
//! Running the segments one after the other computes what the graph does.

use std::collections::{HashMap, HashSet};

use crate::graph::{Graph, NodeId};
use crate::op::Op;
use crate::IrError;

/// One segment of a cut graph.
#[derive(Clone, Debug)]
pub struct Segment {
    /// The segment as a graph of its own (its inputs are the boundary in).
    pub graph: Graph,
    /// The nodes of the original graph its inputs carry, in input order.
    pub inputs: Vec<NodeId>,
    /// The nodes of the original graph its outputs carry, in output order.
    pub outputs: Vec<NodeId>,
}

fn is_copied(g: &Graph, id: NodeId) -> bool {
    matches!(g.op(id), Op::Const(_) | Op::Private(_))
}

/// Cuts `g` before the topological positions `cuts` (strictly increasing,
/// each in `1..len`); returns one segment per range. No cut gives one
/// segment equal to `g` up to node ids.
pub fn split_graph(g: &Graph, cuts: &[usize]) -> Result<Vec<Segment>, IrError> {
    let order = g.topo_order()?;
    let n = order.len();
    if cuts.windows(2).any(|w| w[0] >= w[1]) || cuts.iter().any(|&c| c == 0 || c >= n) {
        return Err(IrError::Invalid(format!(
            "cuts {cuts:?} are not strictly increasing positions in 1..{n}"
        )));
    }
    let pos: HashMap<NodeId, usize> = order.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    // the segment of every node (graph inputs in the first)
    let seg_of = |id: NodeId| -> usize {
        if matches!(g.op(id), Op::Input { .. }) {
            return 0;
        }
        cuts.iter().take_while(|&&c| c <= pos[&id]).count()
    };
    let outputs: HashSet<NodeId> = g.outputs().iter().copied().collect();
    // the last segment that reads each value (the graph's outputs are read
    // after the last segment)
    let mut last_use: HashMap<NodeId, usize> = HashMap::new();
    for &id in &order {
        for i in g.inputs(id) {
            let s = seg_of(id);
            let e = last_use.entry(i).or_insert(s);
            *e = (*e).max(s);
        }
    }
    for &o in &outputs {
        last_use.insert(o, cuts.len() + 1);
    }
    // the values crossing each cut, in definition order
    let crossing = |k: usize| -> Vec<NodeId> {
        order
            .iter()
            .copied()
            .filter(|&id| !is_copied(g, id))
            .filter(|&id| seg_of(id) < k && last_use.get(&id).is_some_and(|&u| u >= k))
            .collect()
    };
    let mut segments = vec![];
    for s in 0..=cuts.len() {
        let ins = if s == 0 { vec![] } else { crossing(s) };
        let outs = if s == cuts.len() {
            g.outputs().to_vec()
        } else {
            crossing(s + 1)
        };
        let mut sg = Graph::new(format!("{}.{s}", g.name));
        let mut map: HashMap<NodeId, NodeId> = HashMap::new();
        for (index, &id) in ins.iter().enumerate() {
            let node = g.node(id);
            let new = sg.add(Op::Input { index }, &[], node.ty.clone(), node.name.clone())?;
            map.insert(id, new);
        }
        // graph inputs keep their indices (segment 0 only)
        for &id in &order {
            let owned = seg_of(id) == s && !is_copied(g, id);
            let copied = is_copied(g, id)
                && (g.users(id).iter().any(|&(u, _)| seg_of(u) == s) || outs.contains(&id));
            let needed = (owned || copied) && !map.contains_key(&id);
            if !needed {
                continue;
            }
            let node = g.node(id);
            let inputs: Vec<NodeId> = g
                .inputs(id)
                .iter()
                .map(|i| {
                    map.get(i).copied().ok_or_else(|| {
                        IrError::Invalid(format!(
                            "segment {s}: node {} reads a value it does not receive",
                            node.name
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
            let new = sg.add(node.op.clone(), &inputs, node.ty.clone(), node.name.clone())?;
            map.insert(id, new);
        }
        let new_outs: Vec<NodeId> = outs
            .iter()
            .map(|o| {
                map.get(o).copied().ok_or_else(|| {
                    IrError::Invalid(format!("segment {s} lacks output {}", g.node(*o).name))
                })
            })
            .collect::<Result<_, _>>()?;
        sg.set_outputs(new_outs)?;
        segments.push(Segment {
            graph: sg,
            inputs: ins,
            outputs: outs,
        });
    }
    Ok(segments)
}
