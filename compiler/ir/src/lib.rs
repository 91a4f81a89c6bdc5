//! The zkc intermediate representation.
//!
//! A [`Graph`] of [`Node`]s behind typed [`NodeId`]s (petgraph stays private),
//! one value per node with a [`ValueType`] (shape, element type, proven
//! range). Every [`Op`] documents its exact semantics; [`geometry`] computes
//! the index maps every interpreter and the circuit share. [`validate`]
//! checks a graph, [`print_graph`] writes the deterministic text form that
//! snapshots compare and [`parse_graph`] reads it back. A quantized graph
//! may hold [`Private`] parameters (values known to the prover only);
//! [`print_graph_public`] writes its published form, without their values.

#![warn(missing_docs)]

mod function;
pub mod geometry;
mod graph;
mod infer;
mod op;
mod parse;
mod print;
pub mod segment;
mod tensor;
mod validate;

pub use function::Function;
pub use graph::{Bound, DType, Graph, Node, NodeId, PrivateIo, ValueType};
pub use op::{Clamp, Op, Private, Window};
pub use parse::parse_graph;
pub use print::{print_graph, print_graph_full, print_graph_public, type_text, INLINE_CONST_LIMIT};
pub use segment::{split_graph, Segment};
pub use tensor::{
    broadcast_index_map, broadcast_shapes, checked_numel, numel, strides, Shape, Tensor,
    TensorData, MAX_TENSOR_ELEMENTS,
};
pub use validate::{validate, validate_final, Stage};

/// Errors of IR construction, validation and parsing.
#[derive(Debug, thiserror::Error)]
pub enum IrError {
    /// The graph or an op is malformed.
    #[error("invalid IR: {0}")]
    Invalid(String),
    /// A tensor or graph exceeds a documented size limit.
    #[error("too large: {0}")]
    TooLarge(String),
    /// The text form could not be parsed.
    #[error("IR text line {line}: {msg}")]
    Parse {
        /// 1-based line number (0 when unknown).
        line: usize,
        /// What is wrong.
        msg: String,
    },
}
