//! Conversions between the float world and quantized inputs and outputs
//! (used by the command line): exact, through [`zkc_fixed`].

use crate::error::RuntimeError;

/// Quantizes `x` at `frac` fractional bits into `[lo, hi]`: each element
/// becomes `clamp(round_half_away(x * 2^frac), lo, hi)`, computed exactly by
/// [`zkc_fixed::quantize`]. Returns the integers and the number of elements
/// the clamp changed.
///
/// # Errors
///
/// [`RuntimeError::EmptyRange`] if `lo > hi`;
/// [`RuntimeError::NonFiniteQuantize`] for the first NaN or infinite element.
pub fn quantize_input(
    x: &[f32],
    frac: i32,
    lo: i64,
    hi: i64,
) -> Result<(Vec<i64>, usize), RuntimeError> {
    if lo > hi {
        return Err(RuntimeError::EmptyRange { lo, hi });
    }
    let mut clamped = 0;
    let q = x
        .iter()
        .enumerate()
        .map(|(position, &v)| {
            let non_finite = RuntimeError::NonFiniteQuantize { position, value: v };
            if !v.is_finite() {
                return Err(non_finite);
            }
            let (q, c) = zkc_fixed::quantize(f64::from(v), frac, lo, hi).map_err(|_| non_finite)?;
            clamped += usize::from(c);
            Ok(q)
        })
        .collect::<Result<Vec<i64>, RuntimeError>>()?;
    Ok((q, clamped))
}

/// Dequantizes: each element becomes `q * 2^-frac` ([`zkc_fixed::dequantize`]
/// in `f64`, then rounded once to `f32`; exact whenever the value is an
/// `f32`, e.g. `|q| <= 2^24` in the normal range).
pub fn dequantize(q: &[i64], frac: i32) -> Vec<f32> {
    q.iter()
        .map(|&v| zkc_fixed::dequantize(v, frac) as f32)
        .collect()
}
