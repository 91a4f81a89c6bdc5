//! Exact decomposition of IEEE floats into dyadic rationals.

use num_bigint::BigInt;
use num_traits::One;

/// A finite float as `(-1)^negative * mantissa * 2^exponent`, with `mantissa`
/// odd (or zero, with exponent 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dyadic {
    pub(crate) negative: bool,
    pub(crate) mantissa: u64,
    pub(crate) exponent: i32,
}

impl Dyadic {
    /// Decomposes a finite `f64` exactly; `None` for NaN and infinities.
    pub(crate) fn of_f64(v: f64) -> Option<Dyadic> {
        if !v.is_finite() {
            return None;
        }
        let bits = v.to_bits();
        let negative = bits >> 63 == 1;
        let field = i32::try_from((bits >> 52) & 0x7ff).ok()?;
        let fraction = bits & ((1u64 << 52) - 1);
        let (mantissa, exponent) = if field == 0 {
            (fraction, -1074)
        } else {
            (fraction | (1u64 << 52), field - 1075)
        };
        Some(Dyadic::reduced(negative, mantissa, exponent))
    }

    /// Decomposes a finite `f32` exactly; `None` for NaN and infinities.
    pub(crate) fn of_f32(v: f32) -> Option<Dyadic> {
        if !v.is_finite() {
            return None;
        }
        let bits = v.to_bits();
        let negative = bits >> 31 == 1;
        let field = i32::try_from((bits >> 23) & 0xff).ok()?;
        let fraction = u64::from(bits & ((1u32 << 23) - 1));
        let (mantissa, exponent) = if field == 0 {
            (fraction, -149)
        } else {
            (fraction | (1u64 << 23), field - 150)
        };
        Some(Dyadic::reduced(negative, mantissa, exponent))
    }

    /// Strips trailing zero bits so the mantissa is odd (zero: exponent 0).
    fn reduced(negative: bool, mantissa: u64, exponent: i32) -> Dyadic {
        if mantissa == 0 {
            return Dyadic {
                negative,
                mantissa: 0,
                exponent: 0,
            };
        }
        let zeros = mantissa.trailing_zeros();
        Dyadic {
            negative,
            mantissa: mantissa >> zeros,
            exponent: exponent + zeros as i32,
        }
    }

    /// `(num, den)` in lowest terms, `den = 2^k > 0`.
    fn to_fraction(self) -> (BigInt, BigInt) {
        let mut num = BigInt::from(self.mantissa);
        if self.negative {
            num = -num;
        }
        let shift = self.exponent.unsigned_abs();
        if self.exponent >= 0 {
            (num << shift, BigInt::one())
        } else {
            (num, BigInt::one() << shift)
        }
    }
}

/// The exact value of a finite `f32` as `(num, den)`: `num / den == v`,
/// `den` a positive power of two, `gcd(num, den) == 1` (zero, also `-0.0`, is
/// `(0, 1)`). Returns `None` for NaN and infinities.
pub fn exact_rational_of_f32(v: f32) -> Option<(BigInt, BigInt)> {
    Dyadic::of_f32(v).map(Dyadic::to_fraction)
}

/// The exact value of a finite `f64` as `(num, den)`, with the same
/// guarantees as [`exact_rational_of_f32`].
pub fn exact_rational_of_f64(v: f64) -> Option<(BigInt, BigInt)> {
    Dyadic::of_f64(v).map(Dyadic::to_fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_values() {
        let b = |v: i64| BigInt::from(v);
        assert_eq!(exact_rational_of_f32(0.75), Some((b(3), b(4))));
        assert_eq!(exact_rational_of_f32(-6.0), Some((b(-6), b(1))));
        assert_eq!(exact_rational_of_f32(-0.0), Some((b(0), b(1))));
        assert_eq!(
            exact_rational_of_f32(0.1),
            Some((b(13_421_773), b(1 << 27)))
        );
        assert_eq!(exact_rational_of_f32(f32::NAN), None);
        assert_eq!(exact_rational_of_f32(f32::NEG_INFINITY), None);
        assert_eq!(exact_rational_of_f64(f64::INFINITY), None);
        let tiny = exact_rational_of_f32(f32::from_bits(1));
        assert_eq!(tiny, Some((b(1), BigInt::one() << 149u32)));
        let tiny = exact_rational_of_f64(f64::from_bits(1));
        assert_eq!(tiny, Some((b(1), BigInt::one() << 1074u32)));
        let max = exact_rational_of_f32(f32::MAX);
        assert_eq!(max, Some((b((1 << 24) - 1) << 104u32, b(1))));
    }
}
