//! The zkc runtime: interpreters of the IR.
//!
//! [`run_float`] evaluates a float graph node by node (the reference the
//! quantized program is compared with and the source of calibration ranges);
//! [`eval_op_f32`] evaluates a single op. [`run_int`] evaluates a quantized
//! graph exactly (the definition of what the quantized program computes, and
//! the trace the circuit uses as its witness); [`eval_op_i64`] evaluates a
//! single op on integers. [`quantize_input`] and [`dequantize`] convert
//! between floats and quantized values. Every index computation goes
//! through [`zkc_ir::geometry`] (and [`zkc_ir::broadcast_index_map`]), so the
//! float interpreter, the integer runtime and the circuit agree on which input
//! elements each output element reads.

#![warn(missing_docs)]

mod contract;
mod error;
mod float;
mod float_kernels;
mod int;
mod int_kernels;
mod quantize_io;
mod trace;

pub use error::RuntimeError;
pub use float::{eval_op_f32, run_float};
pub use int::{eval_op_i64, run_int, IntValue};
pub use quantize_io::{dequantize, quantize_input};
pub use trace::{FloatRun, IntRun, Trace};
