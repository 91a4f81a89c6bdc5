//! Integer kernels of the ops. Callers have checked the op's contract
//! (element counts match shapes, the output shape is the one the op infers),
//! so the index maps from [`zkc_ir::geometry`] stay inside the input buffers.
//!
//! Every result is exact: products and sums are formed in `i128` (a product
//! of two `i64` always fits) with checked additions, and a result that does
//! not fit in `i64` is an [`RuntimeError::Overflow`], never a wrapped value.

use zkc_fixed::MAX_SHIFT;
use zkc_ir::geometry::{self, DotProducts};
use zkc_ir::{broadcast_index_map, numel, Op, Window};

use crate::contract::invalid;
use crate::error::RuntimeError;

type Result<T> = std::result::Result<T, RuntimeError>;

/// An [`RuntimeError::Overflow`] naming the op kind.
fn overflow(op: &Op, msg: impl Into<String>) -> RuntimeError {
    RuntimeError::Overflow {
        kind: op.kind(),
        msg: msg.into(),
    }
}

/// `acc` as an `i64`, or an overflow error for output element `o`.
fn to_i64(op: &Op, o: usize, acc: i128) -> Result<i64> {
    i64::try_from(acc).map_err(|_| {
        overflow(
            op,
            format!("output element {o} is {acc}, outside the i64 range"),
        )
    })
}

/// Evaluates dot products `b[bias] + sum x[xi] * w[wi]` exactly.
pub(crate) fn dot_products(
    op: &Op,
    d: &DotProducts,
    x: &[i64],
    w: &[i64],
    b: &[i64],
    out_len: usize,
) -> Result<Vec<i64>> {
    if d.len() != out_len {
        return Err(invalid(
            op,
            format!(
                "index map has {} outputs, the output holds {out_len}",
                d.len()
            ),
        ));
    }
    (0..d.len())
        .map(|o| {
            let mut acc = i128::from(b[d.bias_index[o] as usize]);
            for &(xi, wi) in d.taps_of(o) {
                // |x * w| <= 2^126: the product itself always fits in i128.
                let p = i128::from(x[xi as usize]) * i128::from(w[wi as usize]);
                acc = acc.checked_add(p).ok_or_else(|| {
                    overflow(
                        op,
                        format!("the accumulator of output element {o} exceeds i128"),
                    )
                })?;
            }
            to_i64(op, o, acc)
        })
        .collect()
}

/// Per-channel `x * scale + shift` over axis 1, exactly.
pub(crate) fn scale_shift(
    op: &Op,
    x: &[i64],
    x_shape: &[usize],
    scale: &[i64],
    shift: &[i64],
) -> Result<Vec<i64>> {
    let channels = x_shape[1];
    let inner = numel(&x_shape[2..]);
    x.iter()
        .enumerate()
        .map(|(i, &xv)| {
            let c = (i / inner.max(1)) % channels;
            // |x * s| <= 2^126 and |shift| <= 2^63: no i128 overflow.
            let y = i128::from(xv) * i128::from(scale[c]) + i128::from(shift[c]);
            to_i64(op, i, y)
        })
        .collect()
}

/// Elementwise binary op with numpy broadcasting through
/// [`broadcast_index_map`]; `f` returns `None` on `i64` overflow.
pub(crate) fn broadcast_binary(
    op: &Op,
    inputs: &[&[i64]],
    in_shapes: &[&[usize]],
    out_shape: &[usize],
    f: fn(i64, i64) -> Option<i64>,
) -> Result<Vec<i64>> {
    let (a, b) = (inputs[0], inputs[1]);
    let ma = broadcast_index_map(in_shapes[0], out_shape);
    let mb = broadcast_index_map(in_shapes[1], out_shape);
    ma.iter()
        .zip(&mb)
        .enumerate()
        .map(|(o, (&i, &j))| {
            f(a[i], b[j]).ok_or_else(|| {
                overflow(
                    op,
                    format!(
                        "output element {o} of {} and {} is outside the i64 range",
                        a[i], b[j]
                    ),
                )
            })
        })
        .collect()
}

/// Which integer pool reduction to apply over each window.
#[derive(Clone, Copy)]
pub(crate) enum IntPool {
    /// Maximum of the in-bounds taps (a window without any is an error).
    Max,
    /// Exact sum of the in-bounds taps (padding contributes 0).
    Sum,
}

/// Evaluates a windowed pool through [`geometry::pool_windows`].
pub(crate) fn pool(
    op: &Op,
    kind: IntPool,
    window: &Window,
    x: &[i64],
    x_shape: &[usize],
    out_shape: &[usize],
) -> Result<Vec<i64>> {
    let windows = geometry::pool_windows(window, x_shape, out_shape);
    if windows.len() != numel(out_shape) {
        return Err(invalid(
            op,
            "pool index map does not match the output shape",
        ));
    }
    windows
        .iter()
        .enumerate()
        .map(|(o, taps)| match kind {
            IntPool::Max => taps.iter().map(|&i| x[i as usize]).max().ok_or_else(|| {
                invalid(
                    op,
                    format!("output element {o} has a window entirely in the padding"),
                )
            }),
            IntPool::Sum => {
                // At most 2^26 taps of magnitude <= 2^63: the sum fits in i128.
                let s: i128 = taps.iter().map(|&i| i128::from(x[i as usize])).sum();
                to_i64(op, o, s)
            }
        })
        .collect()
}

/// The integer a `pad` writes in the quantized graph: the op's `f32` value,
/// which must be an integer in the `i64` range.
pub(crate) fn pad_value(op: &Op, value: f32) -> Result<i64> {
    // -2^63 and 2^63 are exact f32 values; every integral f32 in between fits.
    const LIMIT: f32 = 9_223_372_036_854_775_808.0;
    if value.is_finite() && value.trunc() == value && (-LIMIT..LIMIT).contains(&value) {
        Ok(value as i64)
    } else {
        Err(invalid(
            op,
            format!("pad value {value} is not an integer in the i64 range"),
        ))
    }
}

/// True when `bound` is a limit of a signed bit width (`-2^k` or `2^k - 1`).
fn is_bit_limit(bound: i64) -> bool {
    let b = i128::from(bound);
    if b < 0 {
        (-b).count_ones() == 1
    } else {
        b > 0 && (b + 1).count_ones() == 1
    }
}

/// The `Rescale` op through [`zkc_fixed::rescale`], element by element, with
/// the number of elements saturated at a bit-width limit (the clamp changed
/// the value and the bound it hit is `-2^k` or `2^k - 1`; activation clamps
/// such as ReLU's `lo = 0` or ReLU6's `hi` are not saturation).
pub(crate) fn rescale(
    op: &Op,
    x: &[i64],
    mult: &[i64],
    shift: i32,
    lo: i64,
    hi: i64,
) -> Result<(Vec<i64>, usize)> {
    if lo > hi {
        return Err(invalid(op, format!("empty clamp range [{lo}, {hi}]")));
    }
    if shift.unsigned_abs() > MAX_SHIFT.unsigned_abs() {
        return Err(invalid(
            op,
            format!("shift {shift} is outside [-{MAX_SHIFT}, {MAX_SHIFT}]"),
        ));
    }
    if mult.len() != 1 && mult.len() != x.len() {
        return Err(invalid(
            op,
            format!(
                "{} multipliers for {} elements (needs 1 or one per element)",
                mult.len(),
                x.len()
            ),
        ));
    }
    let mut clamped = 0;
    let values = x
        .iter()
        .enumerate()
        .map(|(i, &xv)| {
            let m = if mult.len() == 1 { mult[0] } else { mult[i] };
            let (y, c) = zkc_fixed::rescale(i128::from(xv), i128::from(m), shift, lo, hi)
                .ok_or_else(|| {
                    overflow(
                        op,
                        format!(
                            "element {i}: {xv} * {m} shifted left by {} exceeds i128",
                            -shift
                        ),
                    )
                })?;
            clamped += usize::from(c && is_bit_limit(y));
            Ok(y)
        })
        .collect::<Result<Vec<i64>>>()?;
    Ok((values, clamped))
}

/// The `Table` op: `values[x - lo]`, every `x` inside the table.
pub(crate) fn table(name: &str, lo: i64, values: &[i64], x: &[i64]) -> Result<Vec<i64>> {
    x.iter()
        .enumerate()
        .map(|(position, &xv)| {
            usize::try_from(i128::from(xv) - i128::from(lo))
                .ok()
                .and_then(|d| values.get(d))
                .copied()
                .ok_or_else(|| RuntimeError::TableRange {
                    name: name.to_string(),
                    position,
                    value: xv,
                    lo,
                    len: values.len(),
                })
        })
        .collect()
}
