//! Exact fixed-point arithmetic for zkc (DESIGN.md, "Numeric semantics").
//!
//! - [`round_shift`] / [`rescale`]: the integer semantics of the IR op
//!   `Rescale` (round half up by a right shift, exact left shift, clamp),
//!   shared by the integer runtime and the circuit.
//! - [`round_half_away`] / [`round_half_up`]: exact rounding of rationals.
//! - [`choose_multiplier`] / [`verify_multiplier`]: the smallest `(M, n)`
//!   with `round_shift(x * M, n) == round(x * r)` on a bounded range.
//! - [`frac_bits_for`], [`quantize`], [`dequantize`], [`signed_range`],
//!   [`bits_for_range`], [`signed_bits_for_range`]: quantization helpers.
//! - [`exact_rational_of_f32`] / [`exact_rational_of_f64`]: floats as exact
//!   dyadic rationals.
//!
//! No float arithmetic is used on an exact path: floats are decomposed into
//! `mantissa * 2^exponent` and everything else is integer arithmetic
//! (`i128` or `BigInt`). Nothing here panics on any argument.

mod error;
mod float;
mod multiplier;
mod quant;
mod round;
mod slack;

pub use error::FixedError;
pub use float::{exact_rational_of_f32, exact_rational_of_f64};
pub use multiplier::{choose_multiplier, verify_multiplier, Mismatch, Multiplier, TieRule};
pub use quant::{
    bits_for_range, dequantize, frac_bits_for, quantize, signed_bits_for_range, signed_range,
    MAX_FRAC_BITS, MIN_FRAC_BITS,
};
pub use round::{rescale, round_half_away, round_half_up, round_shift, MAX_SHIFT};
