//! Quantization helpers: fractional-bit choice, float <-> integer conversion,
//! bit-width bookkeeping. The conversions are exact (no float rounding in
//! between): floats are decomposed into `mantissa * 2^exponent`.

use crate::error::FixedError;
use crate::float::Dyadic;
use num_bigint::BigInt;
use num_traits::Signed;

/// Smallest fractional-bit count [`frac_bits_for`] returns.
pub const MIN_FRAC_BITS: i32 = -64;
/// Largest fractional-bit count [`frac_bits_for`] returns.
pub const MAX_FRAC_BITS: i32 = 64;

/// Magnitudes at or above `2^SATURATED_BITS` are out of every `i64` range.
const SATURATED_BITS: u32 = 100;

/// The DESIGN's fractional bits for a tensor with largest magnitude
/// `max_abs` at `bits` signed bits: `f = floor(log2((2^(bits-1) - 1) / max_abs))`,
/// i.e. the largest `f` with `max_abs * 2^f <= 2^(bits-1) - 1`, computed
/// exactly (no float logarithm).
///
/// Guarantees: the exact value clamped to `[MIN_FRAC_BITS, MAX_FRAC_BITS]`;
/// the sign of `max_abs` is ignored; when `max_abs` is zero, NaN or infinite
/// (no usable range) the default `bits - 1` is returned (unit range).
///
/// # Errors
///
/// [`FixedError::InvalidBits`] unless `2 <= bits <= 64`.
pub fn frac_bits_for(max_abs: f64, bits: u32) -> Result<i32, FixedError> {
    if !(2..=64).contains(&bits) {
        return Err(FixedError::InvalidBits(bits));
    }
    let default = i32::try_from(bits - 1).map_err(|_| FixedError::InvalidBits(bits))?;
    let Some(d) = Dyadic::of_f64(max_abs.abs()).filter(|d| d.mantissa != 0) else {
        return Ok(default);
    };
    let limit = (1u64 << (bits - 1)) - 1;
    let f = floor_log2_ratio(limit, d.mantissa) - i64::from(d.exponent);
    let clamped = f.clamp(i64::from(MIN_FRAC_BITS), i64::from(MAX_FRAC_BITS));
    i32::try_from(clamped).map_err(|_| FixedError::InvalidBits(bits))
}

/// The largest `f` with `m * 2^f <= l`, for `l, m >= 1`.
fn floor_log2_ratio(l: u64, m: u64) -> i64 {
    let t = i64::from(u64::BITS - l.leading_zeros()) - i64::from(u64::BITS - m.leading_zeros());
    let shift = t.unsigned_abs();
    let fits = if t >= 0 {
        u128::from(m) << shift <= u128::from(l)
    } else {
        u128::from(m) <= u128::from(l) << shift
    };
    if fits {
        t
    } else {
        t - 1
    }
}

/// Quantizes `v` at `frac` fractional bits into `[lo, hi]`.
///
/// Guarantees: returns `(clamp(q, lo, hi), q != clamp(q, lo, hi))` where
/// `q = round_half_away(v * 2^frac)` is computed exactly for every finite
/// `v` and every `frac`; `+inf` / `-inf` clamp to `hi` / `lo` (flag set).
///
/// # Errors
///
/// [`FixedError::NaN`] for NaN, [`FixedError::EmptyRange`] if `lo > hi`.
pub fn quantize(v: f64, frac: i32, lo: i64, hi: i64) -> Result<(i64, bool), FixedError> {
    if v.is_nan() {
        return Err(FixedError::NaN);
    }
    if lo > hi {
        return Err(FixedError::EmptyRange { lo, hi });
    }
    let q = scaled_round_half_away(v, frac);
    let clamped = q.clamp(i128::from(lo), i128::from(hi));
    let out = i64::try_from(clamped).map_err(|_| FixedError::EmptyRange { lo, hi })?;
    Ok((out, clamped != q))
}

/// `round_half_away(v * 2^frac)` for non-NaN `v`, with magnitudes of at
/// least `2^SATURATED_BITS` (and infinities) saturated to that value.
fn scaled_round_half_away(v: f64, frac: i32) -> i128 {
    let saturated = 1i128 << SATURATED_BITS;
    let Some(d) = Dyadic::of_f64(v) else {
        return if v > 0.0 { saturated } else { -saturated };
    };
    let magnitude = if d.mantissa == 0 {
        0
    } else {
        let t = i64::from(d.exponent) + i64::from(frac);
        round_magnitude(d.mantissa, t).min(saturated)
    };
    if d.negative {
        -magnitude
    } else {
        magnitude
    }
}

/// `round_half_up(m * 2^t)` for `m >= 1`, saturated at `2^SATURATED_BITS`.
fn round_magnitude(m: u64, t: i64) -> i128 {
    let width = i64::from(u64::BITS - m.leading_zeros());
    if t >= 0 {
        if width + t >= i64::from(SATURATED_BITS) {
            return 1i128 << SATURATED_BITS;
        }
        return i128::from(m) << t;
    }
    let s = t.unsigned_abs();
    if s > 64 {
        // m < 2^64 <= 2^(s-1): below one half.
        return 0;
    }
    let half = 1u128 << (s - 1);
    let rounded = (u128::from(m) + half) >> s;
    i128::try_from(rounded).unwrap_or(i128::MAX)
}

/// `q * 2^-frac` as an `f64`.
///
/// Guarantees: the `f64` nearest to `q * 2^-frac` (ties to even) whenever that
/// value is zero or a normal float, in particular exact for `|q| <= 2^53`;
/// `±inf` on overflow.
pub fn dequantize(q: i64, frac: i32) -> f64 {
    // Beyond these exponents every nonzero i64 over- or underflows anyway.
    let mut k = (-i64::from(frac)).clamp(-2200, 2200);
    let mut x = q as f64;
    while k > 1023 {
        x *= pow2(1023);
        k -= 1023;
    }
    while k < -1022 {
        x *= pow2(-1022);
        k += 1022;
    }
    x * pow2(k)
}

/// `2^k` exactly, for `-1022 <= k <= 1023` (normal range).
fn pow2(k: i64) -> f64 {
    let field = u64::try_from(k.clamp(-1022, 1023) + 1023).unwrap_or(1023);
    f64::from_bits(field << 52)
}

/// The signed `bits`-bit range `(-(2^(bits-1)), 2^(bits-1) - 1)` (two's
/// complement, not symmetric: `bits = 8` gives `(-128, 127)`). Symmetric
/// weight quantization stays inside it because [`frac_bits_for`] targets
/// `2^(bits-1) - 1`.
///
/// # Errors
///
/// [`FixedError::InvalidBits`] unless `1 <= bits <= 64`.
pub fn signed_range(bits: u32) -> Result<(i64, i64), FixedError> {
    if !(1..=64).contains(&bits) {
        return Err(FixedError::InvalidBits(bits));
    }
    let half = 1i128 << (bits - 1);
    let lo = i64::try_from(-half).map_err(|_| FixedError::InvalidBits(bits))?;
    let hi = i64::try_from(half - 1).map_err(|_| FixedError::InvalidBits(bits))?;
    Ok((lo, hi))
}

/// Bits of the largest magnitude among `lo` and `hi`: `max(bitlen(|lo|),
/// bitlen(|hi|))`, 0 when both are zero. Every value of `[lo, hi]` has
/// magnitude below `2^result`; a signed representation needs at most one
/// more bit (see [`signed_bits_for_range`]).
pub fn bits_for_range(lo: &BigInt, hi: &BigInt) -> u64 {
    lo.magnitude().bits().max(hi.magnitude().bits())
}

/// The smallest `b >= 1` such that the signed `b`-bit range
/// `[-(2^(b-1)), 2^(b-1) - 1]` contains both `lo` and `hi` (hence all of
/// `[lo, hi]`), without the 64-bit cap of [`signed_range`].
pub fn signed_bits_for_range(lo: &BigInt, hi: &BigInt) -> u64 {
    signed_bits(lo).max(signed_bits(hi))
}

/// Smallest `b` with `-(2^(b-1)) <= v <= 2^(b-1) - 1`.
fn signed_bits(v: &BigInt) -> u64 {
    if v.is_negative() {
        let inner: BigInt = -v - 1u32;
        inner.bits() + 1
    } else {
        v.bits() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frac_bits_examples() {
        assert_eq!(frac_bits_for(1.0, 8), Ok(6)); // 127 / 1 -> 6
        assert_eq!(frac_bits_for(0.5, 8), Ok(7));
        assert_eq!(frac_bits_for(127.0, 8), Ok(0));
        assert_eq!(frac_bits_for(127.5, 8), Ok(-1));
        assert_eq!(frac_bits_for(-3.0, 8), Ok(5)); // 127/3 = 42.3
        assert_eq!(frac_bits_for(0.0, 8), Ok(7));
        assert_eq!(frac_bits_for(f64::NAN, 16), Ok(15));
        assert_eq!(frac_bits_for(f64::INFINITY, 8), Ok(7));
        assert_eq!(frac_bits_for(1e-300, 8), Ok(MAX_FRAC_BITS));
        assert_eq!(frac_bits_for(1e300, 8), Ok(MIN_FRAC_BITS));
        assert_eq!(frac_bits_for(1.0, 1), Err(FixedError::InvalidBits(1)));
        assert_eq!(frac_bits_for(1.0, 65), Err(FixedError::InvalidBits(65)));
        assert_eq!(frac_bits_for(1.0, 64), Ok(62));
    }

    #[test]
    fn quantize_examples() {
        assert_eq!(quantize(0.75, 1, -128, 127), Ok((2, false))); // 1.5 -> 2
        assert_eq!(quantize(-0.75, 1, -128, 127), Ok((-2, false)));
        assert_eq!(quantize(-0.25, 1, -128, 127), Ok((-1, false))); // -0.5 -> -1
        assert_eq!(quantize(100.0, 1, -128, 127), Ok((127, true)));
        assert_eq!(quantize(-100.0, 1, 0, 127), Ok((0, true)));
        assert_eq!(quantize(f64::INFINITY, 0, -128, 127), Ok((127, true)));
        assert_eq!(quantize(f64::NEG_INFINITY, 0, -128, 127), Ok((-128, true)));
        assert_eq!(quantize(1e300, 0, i64::MIN, i64::MAX), Ok((i64::MAX, true)));
        assert_eq!(quantize(1e-300, 64, -128, 127), Ok((0, false)));
        assert_eq!(quantize(f64::NAN, 0, -128, 127), Err(FixedError::NaN));
        let e = quantize(1.0, 0, 3, 2);
        assert_eq!(e, Err(FixedError::EmptyRange { lo: 3, hi: 2 }));
    }

    #[test]
    fn dequantize_examples() {
        assert_eq!(dequantize(3, 2), 0.75);
        assert_eq!(dequantize(-3, -2), -12.0);
        assert_eq!(dequantize(1, 1074), f64::from_bits(1));
        assert_eq!(dequantize(1, -1023), 2f64.powi(1023));
        assert_eq!(dequantize(1, -1024), f64::INFINITY);
        assert_eq!(dequantize(i64::MAX, i32::MAX), 0.0);
        assert_eq!(dequantize(-1, i32::MIN), f64::NEG_INFINITY);
    }

    #[test]
    fn ranges_and_bits() {
        assert_eq!(signed_range(8), Ok((-128, 127)));
        assert_eq!(signed_range(1), Ok((-1, 0)));
        assert_eq!(signed_range(64), Ok((i64::MIN, i64::MAX)));
        assert_eq!(signed_range(0), Err(FixedError::InvalidBits(0)));
        assert_eq!(signed_range(65), Err(FixedError::InvalidBits(65)));
        let b = |v: i64| BigInt::from(v);
        assert_eq!(bits_for_range(&b(-128), &b(127)), 8);
        assert_eq!(bits_for_range(&b(0), &b(0)), 0);
        assert_eq!(bits_for_range(&b(-3), &b(2)), 2);
        assert_eq!(signed_bits_for_range(&b(-128), &b(127)), 8);
        assert_eq!(signed_bits_for_range(&b(-129), &b(127)), 9);
        assert_eq!(signed_bits_for_range(&b(-128), &b(128)), 9);
        assert_eq!(signed_bits_for_range(&b(-1), &b(0)), 1);
    }
}
