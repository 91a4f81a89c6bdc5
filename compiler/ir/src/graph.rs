//! The graph: nodes behind typed ids, one value per node.
//!
//! petgraph stores the edges (producer -> consumer, weighted by the input
//! slot) and stays private to this module.

use std::collections::BTreeSet;
use std::fmt;

use num_bigint::BigInt;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::op::{Op, Private};
use crate::tensor::{Shape, Tensor};
use crate::IrError;

/// Identifies a node and the value it defines. Stable while the node lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(u32);

impl NodeId {
    fn ix(self) -> NodeIndex<u32> {
        NodeIndex::new(self.0 as usize)
    }

    fn from_ix(ix: NodeIndex<u32>) -> Self {
        NodeId(ix.index() as u32)
    }

    /// The raw index (stable, but not dense after removals).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

/// Element type of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
    /// IEEE single precision (float graphs).
    F32,
    /// Exact integer `q` meaning the real number `q * 2^-frac`.
    Int {
        /// Fractional bits of the fixed-point scale (may be negative).
        frac: i32,
    },
}

/// Inclusive integer range every element of a value provably lies in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bound {
    /// Smallest possible value.
    pub lo: BigInt,
    /// Largest possible value.
    pub hi: BigInt,
}

impl Bound {
    /// The range `[lo, hi]`.
    pub fn new(lo: impl Into<BigInt>, hi: impl Into<BigInt>) -> Self {
        Bound {
            lo: lo.into(),
            hi: hi.into(),
        }
    }

    /// The largest magnitude in the range.
    pub fn magnitude(&self) -> BigInt {
        let l = if self.lo < BigInt::from(0) {
            -self.lo.clone()
        } else {
            self.lo.clone()
        };
        let h = if self.hi < BigInt::from(0) {
            -self.hi.clone()
        } else {
            self.hi.clone()
        };
        l.max(h)
    }
}

/// Type of a value: its shape, element type and (after bound analysis) range.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueType {
    /// The shape.
    pub shape: Shape,
    /// The element type.
    pub dtype: DType,
    /// The proven range of every element, once bound analysis has run.
    pub bound: Option<Bound>,
}

impl ValueType {
    /// A float value of the given shape.
    pub fn f32(shape: Shape) -> Self {
        ValueType {
            shape,
            dtype: DType::F32,
            bound: None,
        }
    }

    /// An integer value with `frac` fractional bits.
    pub fn int(shape: Shape, frac: i32) -> Self {
        ValueType {
            shape,
            dtype: DType::Int { frac },
            bound: None,
        }
    }

    /// The fractional bits, for integer values.
    pub fn frac(&self) -> Option<i32> {
        match self.dtype {
            DType::Int { frac } => Some(frac),
            DType::F32 => None,
        }
    }
}

/// A node: an op, the type of the value it defines, and a source name.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node computes.
    pub op: Op,
    /// The type of its value.
    pub ty: ValueType,
    /// A human-readable name (the ONNX node or tensor name), possibly empty.
    pub name: String,
}

/// A dataflow graph of [`Node`]s with ordered inputs and a list of outputs.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    g: StableDiGraph<Node, usize, u32>,
    outputs: Vec<NodeId>,
    /// The model name (file stem), printed in the header.
    pub name: String,
    /// Which of the graph's inputs and outputs are private (`zkc compile
    /// --private input,output`): a proof then shows a commitment to them
    /// instead of their values. Set on the final quantized graph; passes
    /// neither read nor keep it.
    pub private_io: PrivateIo,
}

/// Visibility of a graph's inputs and outputs (every input, or every
/// output, together). The default is both public.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PrivateIo {
    /// The inputs are private: committed, not public values.
    pub input: bool,
    /// The outputs are private: committed, not public values.
    pub output: bool,
}

impl PrivateIo {
    /// True when the inputs or the outputs are private.
    pub fn any(&self) -> bool {
        self.input || self.output
    }
}

impl Graph {
    /// An empty graph.
    pub fn new(name: impl Into<String>) -> Self {
        Graph {
            g: StableDiGraph::default(),
            outputs: vec![],
            name: name.into(),
            private_io: PrivateIo::default(),
        }
    }

    /// Adds a node with explicit type. Fails if an input id is not in the graph.
    pub fn add(
        &mut self,
        op: Op,
        inputs: &[NodeId],
        ty: ValueType,
        name: impl Into<String>,
    ) -> Result<NodeId, IrError> {
        for &i in inputs {
            self.check_id(i)?;
        }
        let id = NodeId::from_ix(self.g.add_node(Node {
            op,
            ty,
            name: name.into(),
        }));
        for (slot, &i) in inputs.iter().enumerate() {
            self.g.add_edge(i.ix(), id.ix(), slot);
        }
        Ok(id)
    }

    /// Adds a node whose shape is inferred from its inputs (`Input` and
    /// `Reshape` need [`Graph::add`] with an explicit shape).
    pub fn add_inferred(
        &mut self,
        op: Op,
        inputs: &[NodeId],
        dtype: DType,
        name: impl Into<String>,
    ) -> Result<NodeId, IrError> {
        let shapes: Vec<Shape> = inputs
            .iter()
            .map(|&i| self.check_id(i).map(|_| self.ty(i).shape.clone()))
            .collect::<Result<_, _>>()?;
        let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
        let shape = op.infer_shape(&refs, &[])?;
        let ty = ValueType {
            shape,
            dtype,
            bound: None,
        };
        self.add(op, inputs, ty, name)
    }

    /// Adds a constant node typed from the tensor (`F32` or `Int { frac }`).
    pub fn add_const(&mut self, t: Tensor, frac: Option<i32>, name: impl Into<String>) -> NodeId {
        let shape = t.shape().to_vec();
        let dtype = match frac {
            Some(frac) => DType::Int { frac },
            None => DType::F32,
        };
        let ty = ValueType {
            shape,
            dtype,
            bound: None,
        };
        NodeId::from_ix(self.g.add_node(Node {
            op: Op::Const(t),
            ty,
            name: name.into(),
        }))
    }

    fn check_id(&self, id: NodeId) -> Result<(), IrError> {
        if self.g.contains_node(id.ix()) {
            Ok(())
        } else {
            Err(IrError::Invalid(format!("dangling value {id}")))
        }
    }

    /// True when `id` names a live node.
    pub fn contains(&self, id: NodeId) -> bool {
        self.g.contains_node(id.ix())
    }

    /// The node. Panics on a removed id (a compiler bug, never user input).
    pub fn node(&self, id: NodeId) -> &Node {
        &self.g[id.ix()]
    }

    /// Mutable access to the node.
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.g[id.ix()]
    }

    /// The node's op.
    pub fn op(&self, id: NodeId) -> &Op {
        &self.g[id.ix()].op
    }

    /// The type of the node's value.
    pub fn ty(&self, id: NodeId) -> &ValueType {
        &self.g[id.ix()].ty
    }

    /// The node's shape.
    pub fn shape(&self, id: NodeId) -> &[usize] {
        &self.g[id.ix()].ty.shape
    }

    /// The tensor of a `Const` node (`None` for every other node, including
    /// a `Private` one: its values are not a constant of the program).
    pub fn const_tensor(&self, id: NodeId) -> Option<&Tensor> {
        match &self.g[id.ix()].op {
            Op::Const(t) => Some(t),
            _ => None,
        }
    }

    /// The parameter of a `Private` node (its declared range, and its
    /// values unless redacted).
    pub fn private(&self, id: NodeId) -> Option<&Private> {
        match &self.g[id.ix()].op {
            Op::Private(p) => Some(p),
            _ => None,
        }
    }

    /// The values of a `Private` node, when the graph still holds them
    /// (`None` for other nodes and for a redacted, published graph).
    pub fn private_values(&self, id: NodeId) -> Option<&Tensor> {
        self.private(id).and_then(|p| p.values.as_ref())
    }

    /// True when some node is a `Private` parameter.
    pub fn has_private(&self) -> bool {
        self.g
            .node_weights()
            .any(|n| matches!(n.op, Op::Private(_)))
    }

    /// The `Private` nodes in [`Graph::topo_order`] (the order the text form
    /// numbers them in). Fails on a cycle.
    pub fn private_ids(&self) -> Result<Vec<NodeId>, IrError> {
        Ok(self
            .topo_order()?
            .into_iter()
            .filter(|&id| matches!(self.op(id), Op::Private(_)))
            .collect())
    }

    /// Drops the values of every `Private` node (keeping shapes and declared
    /// ranges), as in a published graph; returns how many held values.
    pub fn redact_private(&mut self) -> usize {
        let mut n = 0;
        for node in self.g.node_weights_mut() {
            if let Op::Private(p) = &mut node.op {
                n += usize::from(p.values.take().is_some());
            }
        }
        n
    }

    /// The node's inputs in slot order.
    pub fn inputs(&self, id: NodeId) -> Vec<NodeId> {
        let mut e: Vec<(usize, NodeId)> = self
            .g
            .edges_directed(id.ix(), Direction::Incoming)
            .map(|e| (*e.weight(), NodeId::from_ix(e.source())))
            .collect();
        e.sort();
        e.into_iter().map(|(_, n)| n).collect()
    }

    /// The nodes reading `id`, with the slot they read it in, sorted.
    pub fn users(&self, id: NodeId) -> Vec<(NodeId, usize)> {
        let mut u: Vec<(NodeId, usize)> = self
            .g
            .edges_directed(id.ix(), Direction::Outgoing)
            .map(|e| (NodeId::from_ix(e.target()), *e.weight()))
            .collect();
        u.sort();
        u
    }

    /// True when `id` is read by exactly one node and is not a graph output.
    pub fn has_single_use(&self, id: NodeId) -> bool {
        self.users(id).len() == 1 && !self.outputs.contains(&id)
    }

    /// Replaces the inputs of `id`.
    pub fn set_inputs(&mut self, id: NodeId, inputs: &[NodeId]) -> Result<(), IrError> {
        for &i in inputs {
            self.check_id(i)?;
        }
        let old: Vec<_> = self
            .g
            .edges_directed(id.ix(), Direction::Incoming)
            .map(|e| e.id())
            .collect();
        for e in old {
            self.g.remove_edge(e);
        }
        for (slot, &i) in inputs.iter().enumerate() {
            self.g.add_edge(i.ix(), id.ix(), slot);
        }
        Ok(())
    }

    /// Makes every reader of `old` (and the graph outputs) read `new` instead.
    pub fn replace_uses(&mut self, old: NodeId, new: NodeId) {
        for (user, slot) in self.users(old) {
            let edges: Vec<_> = self
                .g
                .edges_connecting(old.ix(), user.ix())
                .filter(|e| *e.weight() == slot)
                .map(|e| e.id())
                .collect();
            for e in edges {
                self.g.remove_edge(e);
            }
            self.g.add_edge(new.ix(), user.ix(), slot);
        }
        for o in &mut self.outputs {
            if *o == old {
                *o = new;
            }
        }
    }

    /// Adds a node that reads `id` as its only input and moves every other
    /// reader of `id` (and any graph output naming `id`) to the new node.
    pub fn insert_after(
        &mut self,
        id: NodeId,
        op: Op,
        ty: ValueType,
        name: impl Into<String>,
    ) -> Result<NodeId, IrError> {
        let users = self.users(id);
        let new = self.add(op, &[id], ty, name)?;
        for (user, slot) in users {
            let edges: Vec<_> = self
                .g
                .edges_connecting(id.ix(), user.ix())
                .filter(|e| *e.weight() == slot)
                .map(|e| e.id())
                .collect();
            for e in edges {
                self.g.remove_edge(e);
            }
            self.g.add_edge(new.ix(), user.ix(), slot);
        }
        for o in &mut self.outputs {
            if *o == id {
                *o = new;
            }
        }
        Ok(new)
    }

    /// Removes a node and its edges.
    pub fn remove(&mut self, id: NodeId) {
        self.g.remove_node(id.ix());
    }

    /// Every live node id, in creation order.
    pub fn ids(&self) -> Vec<NodeId> {
        self.g.node_indices().map(NodeId::from_ix).collect()
    }

    /// Number of live nodes.
    pub fn len(&self) -> usize {
        self.g.node_count()
    }

    /// True when the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.g.node_count() == 0
    }

    /// The graph inputs (the `Input` nodes), ordered by their index.
    pub fn inputs_list(&self) -> Vec<NodeId> {
        let mut v: Vec<(usize, NodeId)> = self
            .ids()
            .into_iter()
            .filter_map(|id| match self.op(id) {
                Op::Input { index } => Some((*index, id)),
                _ => None,
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, id)| id).collect()
    }

    /// The graph outputs in order.
    pub fn outputs(&self) -> &[NodeId] {
        &self.outputs
    }

    /// Sets the graph outputs.
    pub fn set_outputs(&mut self, outputs: Vec<NodeId>) -> Result<(), IrError> {
        for &o in &outputs {
            self.check_id(o)?;
        }
        self.outputs = outputs;
        Ok(())
    }

    /// Nodes in a deterministic topological order: among ready nodes the
    /// oldest (smallest id) comes first. Fails on a cycle.
    pub fn topo_order(&self) -> Result<Vec<NodeId>, IrError> {
        let mut indeg: std::collections::HashMap<NodeId, usize> = self
            .ids()
            .into_iter()
            .map(|id| {
                let n = self.g.edges_directed(id.ix(), Direction::Incoming).count();
                (id, n)
            })
            .collect();
        let mut ready: BTreeSet<NodeId> = indeg
            .iter()
            .filter(|(_, &d)| d == 0)
            .map(|(&id, _)| id)
            .collect();
        let mut order = Vec::with_capacity(self.len());
        while let Some(id) = ready.pop_first() {
            order.push(id);
            for e in self.g.edges_directed(id.ix(), Direction::Outgoing) {
                let t = NodeId::from_ix(e.target());
                if let Some(d) = indeg.get_mut(&t) {
                    *d -= 1;
                    if *d == 0 {
                        ready.insert(t);
                    }
                }
            }
        }
        if order.len() != self.len() {
            return Err(IrError::Invalid("the graph has a cycle".into()));
        }
        Ok(order)
    }

    /// Nodes from which some graph output is reachable.
    pub fn live_set(&self) -> BTreeSet<NodeId> {
        let mut live = BTreeSet::new();
        let mut stack: Vec<NodeId> = self.outputs.clone();
        while let Some(id) = stack.pop() {
            if self.contains(id) && live.insert(id) {
                stack.extend(self.inputs(id));
            }
        }
        live
    }

    /// Removes every node that no output depends on, except graph inputs.
    /// Returns how many nodes were removed.
    pub fn remove_dead(&mut self) -> usize {
        let live = self.live_set();
        let dead: Vec<NodeId> = self
            .ids()
            .into_iter()
            .filter(|id| !live.contains(id) && !matches!(self.op(*id), Op::Input { .. }))
            .collect();
        for &id in &dead {
            self.remove(id);
        }
        dead.len()
    }
}
