//! The error type of the fixed-point helpers.

use num_bigint::BigInt;
use thiserror::Error;

/// Why a fixed-point helper refused its arguments. Every variant names an
/// argument outside the documented domain, or a result that cannot be
/// represented within the requested limits; no variant signals a bug.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FixedError {
    /// The ratio `num / den` is not a positive rational (zero or negative
    /// numerator, or zero denominator).
    #[error("ratio {num}/{den} is not a positive rational")]
    NonPositiveRatio {
        /// The numerator as given.
        num: BigInt,
        /// The denominator as given.
        den: BigInt,
    },
    /// The bound on `|x|` is negative.
    #[error("input bound {0} is negative")]
    NegativeBound(BigInt),
    /// The allowed multiplier width is outside `1..=127` bits.
    #[error("multiplier width {0} is outside 1..=127 bits")]
    InvalidMultBits(u32),
    /// Every multiplier that reproduces the rounding needs more bits than
    /// allowed; `needed` is the width of the first candidate over the limit.
    #[error("the multiplier needs {needed} bits, more than the allowed {max}")]
    MultiplierTooWide {
        /// Bits of the first multiplier over the limit.
        needed: u64,
        /// The allowed number of bits.
        max: u32,
    },
    /// No shift up to `max` reproduces the rounding.
    #[error("no shift up to {max} reproduces the rounding")]
    ShiftTooLarge {
        /// The largest shift tried.
        max: i32,
    },
    /// A bit width outside the documented range of the function.
    #[error("bit width {0} is outside the supported range")]
    InvalidBits(u32),
    /// A clamp range with `lo > hi`.
    #[error("empty clamp range [{lo}, {hi}]")]
    EmptyRange {
        /// Lower bound as given.
        lo: i64,
        /// Upper bound as given.
        hi: i64,
    },
    /// A NaN where a number is required.
    #[error("value is NaN")]
    NaN,
}
