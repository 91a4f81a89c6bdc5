//! Index geometry of the ops: which input elements each output element reads.
//!
//! The float interpreter, the integer runtime and the circuit layout all use
//! these functions, so the three agree on every index by construction.

use crate::op::{Op, Window};
use crate::tensor::{numel, strides};
use crate::IrError;

/// Dot products with constant weights: output `o` is
/// `bias[bias_index[o]] + sum over taps (x[xi] * w[wi])`.
#[derive(Clone, Debug, Default)]
pub struct DotProducts {
    /// Start of each output's taps in `taps`; `offsets.len() == outputs + 1`.
    pub offsets: Vec<usize>,
    /// `(x index, w index)` pairs, output after output.
    pub taps: Vec<(u32, u32)>,
    /// Bias element of each output.
    pub bias_index: Vec<u32>,
}

impl DotProducts {
    /// Number of outputs.
    pub fn len(&self) -> usize {
        self.bias_index.len()
    }

    /// True when there are no outputs.
    pub fn is_empty(&self) -> bool {
        self.bias_index.is_empty()
    }

    /// The taps of output `o`.
    pub fn taps_of(&self, o: usize) -> &[(u32, u32)] {
        &self.taps[self.offsets[o]..self.offsets[o + 1]]
    }

    /// Total number of multiply-accumulates.
    pub fn macs(&self) -> usize {
        self.taps.len()
    }
}

/// Iterates over all multi-indices of `shape` in row-major order.
fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    let n = numel(shape);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..n {
        f(&idx);
        for ax in (0..shape.len()).rev() {
            idx[ax] += 1;
            if idx[ax] < shape[ax] {
                break;
            }
            idx[ax] = 0;
        }
    }
}

/// Taps of a grouped convolution (see [`Op::Conv`]).
pub fn conv_taps(
    window: &Window,
    groups: usize,
    x: &[usize],
    w: &[usize],
    y: &[usize],
) -> DotProducts {
    let nd = window.rank();
    let (xs, ws) = (strides(x), strides(w));
    let cin_g = w[1];
    let m_per_g = w[0] / groups.max(1);
    let mut d = DotProducts {
        offsets: vec![0],
        ..Default::default()
    };
    let kshape = &w[2..];
    for_each_index(y, |o| {
        let (n, m) = (o[0], o[1]);
        let g = m / m_per_g.max(1);
        for c in 0..cin_g {
            let ci = g * cin_g + c;
            for_each_index(kshape, |k| {
                let mut xi = n * xs[0] + ci * xs[1];
                for a in 0..nd {
                    let pos = (o[2 + a] * window.strides[a] + k[a] * window.dilations[a]) as isize
                        - window.pads[a] as isize;
                    if pos < 0 || pos as usize >= x[2 + a] {
                        return;
                    }
                    xi += pos as usize * xs[2 + a];
                }
                let wi = m * ws[0] + c * ws[1] + (0..nd).map(|a| k[a] * ws[2 + a]).sum::<usize>();
                d.taps.push((xi as u32, wi as u32));
            });
        }
        d.offsets.push(d.taps.len());
        d.bias_index.push(m as u32);
    });
    d
}

/// Taps of a grouped transposed convolution (see [`Op::ConvTranspose`]).
pub fn conv_transpose_taps(
    window: &Window,
    groups: usize,
    x: &[usize],
    w: &[usize],
    y: &[usize],
) -> DotProducts {
    let nd = window.rank();
    let (xs, ws) = (strides(x), strides(w));
    let m_per_g = w[1];
    let c_per_g = x[1] / groups.max(1);
    let mut d = DotProducts {
        offsets: vec![0],
        ..Default::default()
    };
    let kshape = &w[2..];
    for_each_index(y, |o| {
        let (n, m) = (o[0], o[1]);
        let g = m / m_per_g.max(1);
        let mo = m % m_per_g.max(1);
        for c in 0..c_per_g {
            let ci = g * c_per_g + c;
            for_each_index(kshape, |k| {
                let mut xi = n * xs[0] + ci * xs[1];
                for a in 0..nd {
                    // o = i*s + k*d - pad  =>  i = (o + pad - k*d) / s
                    let num = (o[2 + a] + window.pads[a]) as isize
                        - (k[a] * window.dilations[a]) as isize;
                    let s = window.strides[a] as isize;
                    if num < 0 || num % s != 0 || (num / s) as usize >= x[2 + a] {
                        return;
                    }
                    xi += (num / s) as usize * xs[2 + a];
                }
                let wi = ci * ws[0] + mo * ws[1] + (0..nd).map(|a| k[a] * ws[2 + a]).sum::<usize>();
                d.taps.push((xi as u32, wi as u32));
            });
        }
        d.offsets.push(d.taps.len());
        d.bias_index.push(m as u32);
    });
    d
}

/// Taps of a dense layer `x [..., K] · w [K, N] + b [N]` (see [`Op::Gemm`]).
pub fn gemm_taps(x: &[usize], w: &[usize]) -> DotProducts {
    let (k, n) = (w[0], w[1]);
    let rows = numel(&x[..x.len().saturating_sub(1)]);
    let mut d = DotProducts {
        offsets: vec![0],
        ..Default::default()
    };
    for r in 0..rows {
        for j in 0..n {
            for t in 0..k {
                d.taps.push(((r * k + t) as u32, (t * n + j) as u32));
            }
            d.offsets.push(d.taps.len());
            d.bias_index.push(j as u32);
        }
    }
    d
}

/// The dot products of a conv, conv_transpose or gemm (`None` for other
/// ops), from the shapes of its input, its weight and its output.
pub fn dot_products(op: &Op, x: &[usize], w: &[usize], y: &[usize]) -> Option<DotProducts> {
    match op {
        Op::Conv { window, groups, .. } => Some(conv_taps(window, *groups, x, w, y)),
        Op::ConvTranspose { window, groups, .. } => {
            Some(conv_transpose_taps(window, *groups, x, w, y))
        }
        Op::Gemm { .. } => Some(gemm_taps(x, w)),
        _ => None,
    }
}

/// Windows of a pool: for each output, the flat input indices of its in-bounds
/// taps (the divisors of `count_include_pad` are [`padded_tap_counts`]).
pub fn pool_windows(window: &Window, x: &[usize], y: &[usize]) -> Vec<Vec<u32>> {
    let nd = window.rank();
    let xs = strides(x);
    let mut out = Vec::with_capacity(numel(y));
    for_each_index(y, |o| {
        let mut taps = vec![];
        for_each_index(&window.kernel, |k| {
            let mut xi = o[0] * xs[0] + o[1] * xs[1];
            for a in 0..nd {
                let pos = (o[2 + a] * window.strides[a] + k[a] * window.dilations[a]) as isize
                    - window.pads[a] as isize;
                if pos < 0 || pos as usize >= x[2 + a] {
                    return;
                }
                xi += pos as usize * xs[2 + a];
            }
            taps.push(xi as u32);
        });
        out.push(taps);
    });
    out
}

/// For each output of a pool, the number of its kernel taps that lie inside
/// the *padded* input (`-pad_begin <= pos < x + pad_end` on every axis):
/// the divisor of an average pool with `count_include_pad` (ONNX's reference:
/// padding counts, positions past it that `ceil_mode` adds do not). It is
/// the full kernel size for every window that does not pass the padding.
pub fn padded_tap_counts(window: &Window, x: &[usize], y: &[usize]) -> Vec<usize> {
    let nd = window.rank();
    let mut out = Vec::with_capacity(numel(y));
    for_each_index(y, |o| {
        let mut count = 1usize;
        for a in 0..nd {
            let end = (x[2 + a] + window.pads[nd + a]) as isize;
            let inside = (0..window.kernel[a])
                .filter(|&k| {
                    let pos = (o[2 + a] * window.strides[a] + k * window.dilations[a]) as isize
                        - window.pads[a] as isize;
                    pos < end
                })
                .count();
            count *= inside;
        }
        out.push(count);
    });
    out
}

/// For a global pool over `[N, C, *S]`: the flat input indices per output.
pub fn global_pool_windows(x: &[usize]) -> Vec<Vec<u32>> {
    let per = numel(&x[2..]);
    (0..x[0] * x[1])
        .map(|o| (o * per..(o + 1) * per).map(|i| i as u32).collect())
        .collect()
}

/// Where an output element of a data-movement op comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Element `index` of input number `input`.
    Input {
        /// Which input of the op.
        input: u32,
        /// Flat index in that input.
        index: u32,
    },
    /// The op's padding value.
    Pad,
}

/// For every output element of a data-movement op ([`Op::is_data_movement`]),
/// the element it copies. Fails for other ops.
pub fn movement_map(op: &Op, ins: &[&[usize]], y: &[usize]) -> Result<Vec<Source>, IrError> {
    let src = |index: usize| Source::Input {
        input: 0,
        index: index as u32,
    };
    let mut map = Vec::with_capacity(numel(y));
    match op {
        Op::Reshape => map.extend((0..numel(y)).map(src)),
        Op::Transpose { perm } => {
            let xs = strides(ins[0]);
            for_each_index(y, |o| {
                map.push(src(o
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| v * xs[perm[i]])
                    .sum()));
            });
        }
        Op::Concat { axis } => {
            let axis = *axis;
            let mut which = vec![];
            for (i, s) in ins.iter().enumerate() {
                for j in 0..s[axis] {
                    which.push((i, j));
                }
            }
            let all: Vec<Vec<usize>> = ins.iter().map(|s| strides(s)).collect();
            for_each_index(y, |o| {
                let (i, j) = which[o[axis]];
                let idx: usize = o
                    .iter()
                    .enumerate()
                    .map(|(a, &v)| if a == axis { j } else { v } * all[i][a])
                    .sum();
                map.push(Source::Input {
                    input: i as u32,
                    index: idx as u32,
                });
            });
        }
        Op::Pad { pads, .. } => {
            let x = ins[0];
            let xs = strides(x);
            let r = x.len();
            for_each_index(y, |o| {
                let mut idx = 0usize;
                for a in 0..r {
                    let p = o[a] as isize - pads[a] as isize;
                    if p < 0 || p as usize >= x[a] {
                        map.push(Source::Pad);
                        return;
                    }
                    idx += p as usize * xs[a];
                }
                map.push(src(idx));
            });
        }
        Op::Slice { start, step, .. } => {
            let xs = strides(ins[0]);
            for_each_index(y, |o| {
                map.push(src(o
                    .iter()
                    .enumerate()
                    .map(|(a, &v)| (start[a] + v * step[a]) * xs[a])
                    .sum()));
            });
        }
        Op::Gather {
            axis,
            indices,
            indices_shape,
        } => {
            let x = ins[0];
            let xs = strides(x);
            let k = indices_shape.len();
            let ishape_strides = strides(indices_shape);
            for_each_index(y, |o| {
                let j: usize = (0..k).map(|t| o[axis + t] * ishape_strides[t]).sum();
                let mut idx = indices[j] * xs[*axis];
                for a in 0..*axis {
                    idx += o[a] * xs[a];
                }
                for a in axis + 1..x.len() {
                    idx += o[a + k - 1] * xs[a];
                }
                map.push(src(idx));
            });
        }
        Op::Resize { maps } => {
            let xs = strides(ins[0]);
            for_each_index(y, |o| {
                map.push(src(o
                    .iter()
                    .enumerate()
                    .map(|(a, &v)| maps[a][v] * xs[a])
                    .sum()));
            });
        }
        Op::Input { .. }
        | Op::Const(_)
        | Op::Private(_)
        | Op::Conv { .. }
        | Op::ConvTranspose { .. }
        | Op::Gemm { .. }
        | Op::BatchNorm { .. }
        | Op::ScaleShift { .. }
        | Op::Add { .. }
        | Op::Sub { .. }
        | Op::Mul
        | Op::Div
        | Op::Relu
        | Op::Clip(_)
        | Op::LeakyRelu { .. }
        | Op::Sigmoid
        | Op::Function(_)
        | Op::Tanh
        | Op::MaxPool { .. }
        | Op::AvgPool { .. }
        | Op::GlobalAvgPool
        | Op::SumPool { .. }
        | Op::Rescale { .. }
        | Op::Table { .. } => {
            return Err(IrError::Invalid(format!(
                "{} is not a data-movement op",
                op.kind()
            )))
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn win(k: usize, s: usize, p: usize) -> Window {
        Window {
            kernel: vec![k, k],
            strides: vec![s, s],
            dilations: vec![1, 1],
            pads: vec![p; 4],
        }
    }

    #[test]
    fn conv_counts_in_bounds_taps() {
        // 1x1x3x3 input, 3x3 kernel, pad 1: the corner output sees 4 taps, the centre 9.
        let d = conv_taps(
            &win(3, 1, 1),
            1,
            &[1, 1, 3, 3],
            &[1, 1, 3, 3],
            &[1, 1, 3, 3],
        );
        assert_eq!(d.taps_of(0).len(), 4);
        assert_eq!(d.taps_of(4).len(), 9);
        assert_eq!(d.macs(), 4 * 4 + 4 * 6 + 9);
    }

    #[test]
    fn conv_transpose_scatters_each_input_once_per_tap() {
        // stride 2, kernel 2, no pad: every output reads exactly one input tap.
        let d = conv_transpose_taps(
            &win(2, 2, 0),
            1,
            &[1, 1, 2, 2],
            &[1, 1, 2, 2],
            &[1, 1, 4, 4],
        );
        assert!((0..16).all(|o| d.taps_of(o).len() == 1));
        assert_eq!(d.macs(), 16);
    }

    #[test]
    fn transpose_and_pad_maps() {
        let m = movement_map(&Op::Transpose { perm: vec![1, 0] }, &[&[2, 3]], &[3, 2]).unwrap();
        let idx: Vec<u32> = m
            .iter()
            .map(|s| match s {
                Source::Input { index, .. } => *index,
                Source::Pad => 99,
            })
            .collect();
        assert_eq!(idx, vec![0, 3, 1, 4, 2, 5]);
        let p = movement_map(
            &Op::Pad {
                pads: vec![1, 0],
                value: 0.0,
            },
            &[&[2]],
            &[3],
        )
        .unwrap();
        assert_eq!(p[0], Source::Pad);
    }
}
