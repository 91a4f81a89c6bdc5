//! The ONNX front end: reads an ONNX file with tract-onnx and maps it to a
//! float zkc IR graph.
//!
//! tract is used for parsing, for fixing symbolic batch dimensions to 1 and
//! for shape and constant inference (so shape sub-graphs such as
//! `Shape -> Gather -> Unsqueeze -> Concat -> Reshape` disappear), never for
//! its own graph rewrites: BatchNorm folding and activation fusion are zkc
//! passes. Every remaining ONNX node is mapped to IR ops through one table
//! ([`SUPPORTED_OPS`]); anything else is an error naming the op, the node and
//! the file.

#![warn(missing_docs)]

mod attrs;
mod external_data;
mod import;
mod interpolate;
mod limits;
mod op_lists;
mod ops_linear;
mod ops_movement;
mod ops_norm;
mod ops_table;
mod reference;
mod shape_values;

pub use external_data::MAX_EXTERNAL_BYTES;
pub use import::{import_bytes, import_file, Imported, InputInfo};
pub use op_lists::SUPPORTED_OPS;
pub use reference::TractReference;

/// Largest ONNX file zkc reads (1 GiB).
pub const MAX_ONNX_BYTES: u64 = 1 << 30;

/// Largest number of ONNX nodes zkc imports.
pub const MAX_ONNX_NODES: usize = 100_000;

/// Errors of the ONNX front end. Each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    /// The file could not be read.
    #[error("cannot read {file}: {reason}")]
    Io {
        /// The file.
        file: String,
        /// The OS error.
        reason: String,
    },
    /// The bytes are not a parseable ONNX model.
    #[error("{file} is not a valid ONNX model: {reason}")]
    Decode {
        /// The file.
        file: String,
        /// What tract reported.
        reason: String,
    },
    /// An op zkc does not support.
    #[error("unsupported ONNX op {op} at node {node} in {file}{detail}")]
    Unsupported {
        /// The ONNX op type.
        op: String,
        /// The node name.
        node: String,
        /// The file.
        file: String,
        /// Why (empty when the op is unknown), starting with `: `.
        detail: String,
    },
    /// A model input zkc cannot give a static shape.
    #[error("{file}: input {input}: {reason}")]
    Input {
        /// The file.
        file: String,
        /// The ONNX input name.
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// The model is structurally invalid or could not be analysed.
    #[error("{file}: {reason}")]
    Model {
        /// The file.
        file: String,
        /// What is wrong.
        reason: String,
    },
}
