//! The trace of an interpreter run: every node's value, in evaluation order.

use std::collections::HashMap;

use zkc_ir::NodeId;

/// One evaluated node.
#[derive(Clone, Debug)]
struct Entry<T> {
    id: NodeId,
    shape: Vec<usize>,
    data: Vec<T>,
    clamped: usize,
}

/// The value of every node of a run (for the integer runtime, the witness
/// the circuit checks).
///
/// Guarantees: every live node of the graph has a value with
/// `numel(shape)` elements in row-major order.
#[derive(Clone, Debug)]
pub struct Trace<T> {
    entries: Vec<Entry<T>>,
    position: HashMap<NodeId, usize>,
    outputs: Vec<NodeId>,
}

/// The trace of [`crate::run_float`].
pub type FloatRun = Trace<f32>;
/// The trace of [`crate::run_int`].
pub type IntRun = Trace<i64>;

impl<T: Clone> Trace<T> {
    /// An empty trace for a graph with these outputs.
    pub(crate) fn new(outputs: Vec<NodeId>, capacity: usize) -> Self {
        Trace {
            entries: Vec::with_capacity(capacity),
            position: HashMap::with_capacity(capacity),
            outputs,
        }
    }

    /// Records the value of `id`.
    pub(crate) fn push(&mut self, id: NodeId, shape: Vec<usize>, data: Vec<T>, clamped: usize) {
        self.position.insert(id, self.entries.len());
        self.entries.push(Entry {
            id,
            shape,
            data,
            clamped,
        });
    }

    /// The values and shapes of `ids` (all already evaluated).
    pub(crate) fn operands(&self, ids: &[NodeId]) -> (Vec<&[T]>, Vec<&[usize]>) {
        ids.iter()
            .map(|i| {
                let e = &self.entries[self.position[i]];
                (e.data.as_slice(), e.shape.as_slice())
            })
            .unzip()
    }

    /// The values of the graph outputs, in `Graph::outputs` order.
    pub fn outputs(&self) -> Vec<Vec<T>> {
        self.outputs
            .iter()
            .filter_map(|o| self.value(*o).map(|v| v.to_vec()))
            .collect()
    }

    /// The ids of the graph outputs, in `Graph::outputs` order.
    pub fn output_ids(&self) -> &[NodeId] {
        &self.outputs
    }

    /// The value of node `id` (row-major), or `None` if the run has no such node.
    pub fn value(&self, id: NodeId) -> Option<&[T]> {
        self.position
            .get(&id)
            .map(|&p| self.entries[p].data.as_slice())
    }

    /// The shape of node `id`'s value, or `None` if there is no such node.
    pub fn shape(&self, id: NodeId) -> Option<&[usize]> {
        self.position
            .get(&id)
            .map(|&p| self.entries[p].shape.as_slice())
    }

    /// Elements of node `id` a `Rescale` saturated at a bit-width limit (0
    /// for other ops, unknown ids and float runs).
    pub fn clamped(&self, id: NodeId) -> usize {
        self.position
            .get(&id)
            .map_or(0, |&p| self.entries[p].clamped)
    }

    /// Saturated elements over all nodes.
    pub fn total_clamped(&self) -> usize {
        self.entries.iter().map(|e| e.clamped).sum()
    }

    /// Every node with its value, in evaluation (topological) order.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &[T])> + '_ {
        self.entries.iter().map(|e| (e.id, e.data.as_slice()))
    }

    /// Number of evaluated nodes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no node was evaluated.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
