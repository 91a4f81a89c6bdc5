//! Float kernels of the ops. Callers have checked the op's contract (element
//! counts match shapes, the output shape is the one the op infers), so the
//! index maps from [`zkc_ir::geometry`] stay inside the input buffers.
//!
//! Dot products and window sums accumulate in `f64` and round to `f32` once.

use zkc_ir::geometry::{self, DotProducts, Source};
use zkc_ir::{broadcast_index_map, numel, Clamp, Op, Window};

use crate::error::RuntimeError;

type Result<T> = std::result::Result<T, RuntimeError>;

fn invalid(op: &Op, msg: impl Into<String>) -> RuntimeError {
    RuntimeError::InvalidOp {
        kind: op.kind(),
        msg: msg.into(),
    }
}

/// Applies an optional fused clamp.
pub(crate) fn activate(y: f32, act: &Option<Clamp>) -> f32 {
    match act {
        Some(c) => c.apply(y),
        None => y,
    }
}

/// Evaluates dot products `b[bias] + sum x[xi] * w[wi]` (in `f64`), then the clamp.
pub(crate) fn dot_products(
    op: &Op,
    d: &DotProducts,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    out_len: usize,
    act: &Option<Clamp>,
) -> Result<Vec<f32>> {
    if d.len() != out_len {
        return Err(invalid(
            op,
            format!(
                "index map has {} outputs, the output holds {out_len}",
                d.len()
            ),
        ));
    }
    Ok((0..d.len())
        .map(|o| {
            let acc = d
                .taps_of(o)
                .iter()
                .fold(f64::from(b[d.bias_index[o] as usize]), |acc, &(xi, wi)| {
                    acc + f64::from(x[xi as usize]) * f64::from(w[wi as usize])
                });
            activate(acc as f32, act)
        })
        .collect())
}

/// Which pool reduction to apply over each window.
#[derive(Clone, Copy)]
pub(crate) enum PoolKind {
    /// Maximum of the in-bounds taps.
    Max,
    /// Sum of the in-bounds taps divided by the kernel size or the tap count.
    Avg {
        /// Divide by the full kernel size.
        count_include_pad: bool,
    },
    /// Sum of the in-bounds taps.
    Sum,
}

/// Evaluates a windowed pool through [`geometry::pool_windows`].
pub(crate) fn pool(
    op: &Op,
    kind: PoolKind,
    window: &Window,
    x: &[f32],
    x_shape: &[usize],
    out_shape: &[usize],
) -> Result<Vec<f32>> {
    let windows = geometry::pool_windows(window, x_shape, out_shape);
    let padded = match kind {
        PoolKind::Avg {
            count_include_pad: true,
        } => geometry::padded_tap_counts(window, x_shape, out_shape),
        _ => vec![],
    };
    if windows.len() != numel(out_shape) {
        return Err(invalid(
            op,
            "pool index map does not match the output shape",
        ));
    }
    windows
        .iter()
        .enumerate()
        .map(|(o, taps)| {
            if taps.is_empty() && !matches!(kind, PoolKind::Sum) {
                return Err(invalid(
                    op,
                    format!("output element {o} has a window entirely in the padding"),
                ));
            }
            let sum = || taps.iter().map(|&i| f64::from(x[i as usize])).sum::<f64>();
            Ok(match kind {
                PoolKind::Max => taps
                    .iter()
                    .map(|&i| x[i as usize])
                    .fold(f32::NEG_INFINITY, f32::max),
                PoolKind::Avg { count_include_pad } => {
                    let divisor = if count_include_pad {
                        padded[o]
                    } else {
                        taps.len()
                    };
                    (sum() / divisor as f64) as f32
                }
                PoolKind::Sum => sum() as f32,
            })
        })
        .collect()
}

/// Mean over the spatial axes through [`geometry::global_pool_windows`].
pub(crate) fn global_avg_pool(op: &Op, x: &[f32], x_shape: &[usize]) -> Result<Vec<f32>> {
    if numel(&x_shape[2..]) == 0 {
        return Err(invalid(op, format!("no spatial positions in {x_shape:?}")));
    }
    Ok(geometry::global_pool_windows(x_shape)
        .iter()
        .map(|taps| {
            let s: f64 = taps.iter().map(|&i| f64::from(x[i as usize])).sum();
            (s / taps.len() as f64) as f32
        })
        .collect())
}

/// Inference batch normalization over axis 1, computed in `f64`.
pub(crate) fn batch_norm(
    op: &Op,
    epsilon: f32,
    x: &[f32],
    x_shape: &[usize],
    params: [&[f32]; 4],
) -> Result<Vec<f32>> {
    let [scale, bias, mean, var] = params;
    let channels = x_shape[1];
    let inner = numel(&x_shape[2..]);
    let mut inv_std = Vec::with_capacity(channels);
    for (c, &var_c) in var.iter().enumerate() {
        let v = f64::from(var_c) + f64::from(epsilon);
        if v.is_nan() || v <= 0.0 {
            return Err(invalid(
                op,
                format!("variance + epsilon of channel {c} is {v}, not positive"),
            ));
        }
        inv_std.push(1.0 / v.sqrt());
    }
    Ok(x.iter()
        .enumerate()
        .map(|(i, &xv)| {
            let c = (i / inner.max(1)) % channels;
            let y = (f64::from(xv) - f64::from(mean[c])) * inv_std[c] * f64::from(scale[c])
                + f64::from(bias[c]);
            y as f32
        })
        .collect())
}

/// Per-channel `x * scale + shift` over axis 1 (in `f64`), then the clamp.
pub(crate) fn scale_shift(
    x: &[f32],
    x_shape: &[usize],
    scale: &[f32],
    shift: &[f32],
    act: &Option<Clamp>,
) -> Vec<f32> {
    let channels = x_shape[1];
    let inner = numel(&x_shape[2..]);
    x.iter()
        .enumerate()
        .map(|(i, &xv)| {
            let c = (i / inner.max(1)) % channels;
            let y = f64::from(xv) * f64::from(scale[c]) + f64::from(shift[c]);
            activate(y as f32, act)
        })
        .collect()
}

/// Elementwise binary op with numpy broadcasting through [`broadcast_index_map`].
pub(crate) fn broadcast_binary(
    a: &[f32],
    a_shape: &[usize],
    b: &[f32],
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(f32, f32) -> f32,
) -> Vec<f32> {
    let ma = broadcast_index_map(a_shape, out_shape);
    let mb = broadcast_index_map(b_shape, out_shape);
    ma.iter().zip(&mb).map(|(&i, &j)| f(a[i], b[j])).collect()
}

/// `1 / (1 + exp(-x))`, computed in `f64`.
pub(crate) fn sigmoid(x: f32) -> f32 {
    (1.0 / (1.0 + (-f64::from(x)).exp())) as f32
}

/// `tanh(x)`, computed in `f64`.
pub(crate) fn tanh(x: f32) -> f32 {
    f64::from(x).tanh() as f32
}

/// Copies elements as [`geometry::movement_map`] says; padding reads `pad_value`.
/// Generic over the element type: the integer runtime uses it too.
pub(crate) fn movement<T: Copy>(
    op: &Op,
    inputs: &[&[T]],
    in_shapes: &[&[usize]],
    out_shape: &[usize],
    pad_value: Option<T>,
) -> Result<Vec<T>> {
    let map =
        geometry::movement_map(op, in_shapes, out_shape).map_err(|e| invalid(op, e.to_string()))?;
    if map.len() != numel(out_shape) {
        return Err(invalid(op, "movement map does not match the output shape"));
    }
    map.iter()
        .map(|s| match *s {
            Source::Input { input, index } => Ok(inputs[input as usize][index as usize]),
            Source::Pad => pad_value.ok_or_else(|| invalid(op, "padding without a pad value")),
        })
        .collect()
}
