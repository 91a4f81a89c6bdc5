//! The zkc runtime: interpreters of the IR.
//!
//! [`run_float`] evaluates a float graph node by node (the reference the
//! quantized program is compared with and the source of calibration ranges);
//! [`eval_op_f32`] evaluates a single op. Every index computation goes
//! through [`zkc_ir::geometry`] (and [`zkc_ir::broadcast_index_map`]), so the
//! float interpreter, the integer runtime and the circuit agree on which input
//! elements each output element reads.

#![warn(missing_docs)]

mod error;
mod float;
mod float_kernels;

pub use error::RuntimeError;
pub use float::{eval_op_f32, run_float, FloatRun};
