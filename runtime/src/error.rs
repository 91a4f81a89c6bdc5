//! Errors of the interpreters.

use zkc_ir::{IrError, NodeId};

/// Why an interpreter could not compute a value.
///
/// Wrong user input (input count, input length, non-finite input values) and
/// malformed graphs are reported through this type; the interpreters never
/// panic on them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeError {
    /// The caller supplied a different number of inputs than the graph has.
    #[error("the graph takes {expected} input(s), but {got} were given")]
    InputCount {
        /// Number of graph inputs.
        expected: usize,
        /// Number of inputs supplied.
        got: usize,
    },
    /// An input has a different number of elements than its declared shape.
    #[error("input {index} has shape {shape:?} and needs {expected} values, but {got} were given")]
    InputLength {
        /// Position of the input among the graph inputs.
        index: usize,
        /// The declared shape of the input.
        shape: Vec<usize>,
        /// Number of elements the shape holds.
        expected: usize,
        /// Number of values supplied.
        got: usize,
    },
    /// An input holds NaN or an infinity.
    #[error("input {index}, element {position} is {value}: inputs must be finite numbers")]
    NonFiniteInput {
        /// Position of the input among the graph inputs.
        index: usize,
        /// Flat (row-major) position of the offending element.
        position: usize,
        /// The offending value.
        value: f32,
    },
    /// An integer input value lies outside the bound declared on its input
    /// node (the range bound analysis, and hence the circuit, assumes).
    #[error("input {index}, element {position} is {value}, outside the input's declared range [{lo}, {hi}]")]
    InputOutOfBound {
        /// Position of the input among the graph inputs.
        index: usize,
        /// Flat (row-major) position of the offending element.
        position: usize,
        /// The offending value.
        value: i64,
        /// Lower end of the declared range (decimal).
        lo: String,
        /// Upper end of the declared range (decimal).
        hi: String,
    },
    /// An exact integer result does not fit where the integer runtime keeps
    /// it (an `i64` value, or the `i128` accumulator of a dot product or a
    /// left-shifting rescale).
    #[error("{kind}: integer overflow: {msg}")]
    Overflow {
        /// The op kind ([`zkc_ir::Op::kind`]).
        kind: &'static str,
        /// Which element and what did not fit.
        msg: String,
    },
    /// A `table` input lies outside the inputs the table covers (bound
    /// analysis is supposed to rule this out).
    #[error("table `{name}`: input {value} at element {position} is outside the {len} input(s) the table covers from {lo}")]
    TableRange {
        /// The table's name (what it computes).
        name: String,
        /// Flat position of the offending element.
        position: usize,
        /// The offending input value.
        value: i64,
        /// The smallest input the table covers.
        lo: i64,
        /// The number of inputs the table covers.
        len: usize,
    },
    /// A float given to [`crate::quantize_input`] is NaN or infinite.
    #[error("element {position} is {value}: only finite numbers can be quantized")]
    NonFiniteQuantize {
        /// Flat position of the offending element.
        position: usize,
        /// The offending value.
        value: f32,
    },
    /// A clamp range with `lo > hi` was given to [`crate::quantize_input`].
    #[error("empty clamp range [{lo}, {hi}]")]
    EmptyRange {
        /// Lower bound as given.
        lo: i64,
        /// Upper bound as given.
        hi: i64,
    },
    /// An op was given inputs that do not satisfy its documented contract
    /// (shapes, element counts, divisor zero, empty window, ...).
    #[error("{kind}: {msg}")]
    InvalidOp {
        /// The op kind ([`zkc_ir::Op::kind`]).
        kind: &'static str,
        /// What is wrong.
        msg: String,
    },
    /// The op cannot be evaluated by this interpreter (e.g. an integer-only op
    /// in the float interpreter, or an `input` node evaluated on its own).
    #[error("{kind} cannot be evaluated here: {reason}")]
    Unsupported {
        /// The op kind ([`zkc_ir::Op::kind`]).
        kind: &'static str,
        /// Why.
        reason: String,
    },
    /// Evaluating a node produced NaN or an infinity (overflow).
    #[error(
        "node {node} ({kind} `{name}`) produced a non-finite value {value} at element {position}"
    )]
    NonFiniteValue {
        /// The node.
        node: NodeId,
        /// Its op kind.
        kind: &'static str,
        /// Its name.
        name: String,
        /// Flat position of the first offending element.
        position: usize,
        /// The offending value.
        value: f32,
    },
    /// Evaluating a node failed; `error` says why.
    #[error("node {node} ({kind} `{name}`): {error}")]
    AtNode {
        /// The node.
        node: NodeId,
        /// Its op kind.
        kind: &'static str,
        /// Its name.
        name: String,
        /// The underlying error.
        error: Box<RuntimeError>,
    },
    /// The graph itself is malformed (cycle, dangling output, ...).
    #[error("malformed graph: {0}")]
    Graph(#[from] IrError),
}
