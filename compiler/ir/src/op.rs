//! The operations of the zkc IR and their exact semantics.
//!
//! Every op produces exactly one value. Tensors are row-major; images are
//! `[N, C, *spatial]`. Unless an op says otherwise it works on both float
//! values (`f32`, the float graph) and integer values (the quantized graph),
//! with the same index semantics.
//!
//! In a quantized graph every value is an integer tensor `q` (real value
//! `q * 2^-frac`, the frac being part of the value's type) and arithmetic is
//! exact: a conv, gemm, scale_shift, add, sub, mul or pool computes the exact
//! integer result (its type's frac is then the sum or common frac of its
//! inputs); only `rescale` rounds and clamps, and only `table` applies a
//! non-linear function. A `pad` value in a quantized graph is the integer
//! written to padded positions.

use crate::function::Function;
use crate::tensor::{Shape, Tensor};
use crate::IrError;

/// Sliding-window geometry shared by convolutions and pools.
///
/// `pads` holds the begin paddings of every spatial axis followed by the end
/// paddings (ONNX order). All vectors have one entry per spatial axis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Kernel extent per spatial axis.
    pub kernel: Vec<usize>,
    /// Step between windows per spatial axis (>= 1).
    pub strides: Vec<usize>,
    /// Distance between kernel taps per spatial axis (>= 1).
    pub dilations: Vec<usize>,
    /// Begin paddings then end paddings.
    pub pads: Vec<usize>,
}

impl Window {
    /// Number of spatial axes.
    pub fn rank(&self) -> usize {
        self.kernel.len()
    }

    /// Checks that every vector has one entry per spatial axis, that
    /// strides, dilations and kernel extents are positive, and that every
    /// number is at most [`crate::MAX_TENSOR_ELEMENTS`] (so the window
    /// arithmetic below cannot overflow).
    pub fn check(&self) -> Result<(), IrError> {
        let n = self.kernel.len();
        if self.strides.len() != n || self.dilations.len() != n || self.pads.len() != 2 * n {
            return Err(IrError::Invalid(format!("inconsistent window {self:?}")));
        }
        let all = [&self.kernel, &self.strides, &self.dilations, &self.pads];
        if all
            .iter()
            .any(|v| v.iter().any(|&x| x > crate::MAX_TENSOR_ELEMENTS))
        {
            return Err(IrError::Invalid(format!("window too large {self:?}")));
        }
        if self.kernel.contains(&0) || self.strides.contains(&0) || self.dilations.contains(&0) {
            return Err(IrError::Invalid(format!("zero in window {self:?}")));
        }
        Ok(())
    }

    /// True when some padding is at least the window span, so a window at the
    /// border could cover padding only (undefined for max and mean pools).
    /// False for an inconsistent window, which [`Self::check`] refuses.
    pub fn has_padding_only_windows(&self) -> bool {
        if self.check().is_err() {
            return false;
        }
        let n = self.rank();
        (0..n).any(|i| {
            let span = self.dilations[i] * (self.kernel[i].max(1) - 1) + 1;
            self.pads[i] >= span || self.pads[i + n] >= span
        })
    }

    /// Output extent of a forward window over `input` extents; `ceil` selects
    /// ONNX `ceil_mode`. Fails when the window does not fit.
    pub fn output_dims(&self, input: &[usize], ceil: bool) -> Result<Vec<usize>, IrError> {
        self.check()?;
        if input.len() != self.rank() {
            return Err(IrError::Invalid(format!(
                "window of rank {} over spatial dims {input:?}",
                self.rank()
            )));
        }
        (0..self.rank())
            .map(|i| {
                let padded = input[i] + self.pads[i] + self.pads[i + self.rank()];
                let span = self.dilations[i] * (self.kernel[i] - 1) + 1;
                if padded < span {
                    return Err(IrError::Invalid(format!(
                        "window span {span} larger than padded input {padded} on axis {i}"
                    )));
                }
                let num = padded - span;
                let mut out = num / self.strides[i] + 1;
                if ceil && !num.is_multiple_of(self.strides[i]) {
                    // ONNX: the last window must start inside the input or left padding.
                    if (out) * self.strides[i] < input[i] + self.pads[i] {
                        out += 1;
                    }
                }
                Ok(out)
            })
            .collect()
    }
}

/// A fused output clamp of a float op (`relu` is `[0, +inf]`, `relu6` is `[0, 6]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clamp {
    /// Lower bound (may be `-inf`).
    pub lo: f32,
    /// Upper bound (may be `+inf`).
    pub hi: f32,
}

impl Clamp {
    /// The ReLU clamp `[0, +inf]`.
    pub const RELU: Clamp = Clamp {
        lo: 0.0,
        hi: f32::INFINITY,
    };

    /// Applies the clamp (NaN-free inputs assumed).
    pub fn apply(&self, x: f32) -> f32 {
        x.max(self.lo).min(self.hi)
    }

    /// The intersection of two clamps applied one after the other.
    pub fn then(&self, next: &Clamp) -> Clamp {
        Clamp {
            lo: self.lo.max(next.lo).min(next.hi),
            hi: self.hi.min(next.hi).max(next.lo),
        }
    }
}

/// A private parameter: its values (absent once redacted for publication)
/// and the declared range of every element, which is public and is what
/// bound analysis uses, so a circuit planned from it does not depend on
/// the values.
#[derive(Clone, Debug, PartialEq)]
pub struct Private {
    /// The values (an integer tensor of the node's shape), or `None` in a
    /// published graph.
    pub values: Option<Tensor>,
    /// Smallest allowed element.
    pub lo: i64,
    /// Largest allowed element.
    pub hi: i64,
}

/// The operations. Inputs are listed per variant in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Graph input number `index`; no inputs. Its value is supplied by the caller.
    Input {
        /// Position among the graph inputs.
        index: usize,
    },
    /// A constant tensor; no inputs.
    Const(Tensor),
    /// A private parameter of a quantized graph (`zkc compile --private
    /// weights`): an integer tensor the prover knows and commits to, whose
    /// every element lies in the declared `[lo, hi]`. The circuit holds it
    /// in advice cells, range-checks each element to `[lo, hi]` and binds
    /// them all to a public commitment; the verifier sees only the shape
    /// and the range. No inputs. In a published graph `values` is `None`.
    /// Quantized graphs only; its shape is the node's declared shape. It is
    /// not a constant: [`crate::Graph::const_tensor`] returns `None` for it
    /// (passes must not read its values), [`crate::Graph::private`] gives it.
    Private(Private),
    /// Grouped N-d convolution (cross-correlation), inputs `x [N,C,*S]`,
    /// `w [M, C/groups, *K]`, `b [M]`:
    /// `y[n,m,o] = b[m] + sum_{c,k} x[n, g*C/groups + c, o*stride + k*dilation - pad_begin] * w[m,c,k]`
    /// with `g = m / (M/groups)` and out-of-range input positions reading 0,
    /// then the optional clamp.
    Conv {
        /// Window geometry (kernel from `w`).
        window: Window,
        /// Number of groups (`C` and `M` divisible by it).
        groups: usize,
        /// Fused activation (float graphs only).
        act: Option<Clamp>,
    },
    /// Grouped N-d transposed convolution, inputs `x [N,C,*S]`, `w [C, M/groups, *K]`,
    /// `b [M]`: every input element scatters `x[n,c,i] * w[c,m',k]` to output
    /// position `i*stride + k*dilation - pad_begin` of channel `g*M/groups + m'`;
    /// output extent `stride*(S-1) + output_padding + dilation*(K-1) + 1 - pads`.
    ConvTranspose {
        /// Window geometry (kernel from `w`).
        window: Window,
        /// Number of groups.
        groups: usize,
        /// Extra extent added at the end of each spatial axis.
        output_padding: Vec<usize>,
        /// Fused activation (float graphs only).
        act: Option<Clamp>,
    },
    /// Dense layer, inputs `x [..., K]`, `w [K, N]`, `b [N]`:
    /// `y[..., n] = b[n] + sum_k x[..., k] * w[k, n]`, then the optional clamp.
    Gemm {
        /// Fused activation (float graphs only).
        act: Option<Clamp>,
    },
    /// Inference-mode batch normalization over axis 1, inputs `x`, `scale`, `bias`,
    /// `mean`, `var` (each `[C]`): `y = (x - mean) / sqrt(var + epsilon) * scale + bias`.
    /// Float graphs only.
    BatchNorm {
        /// Added to the variance.
        epsilon: f32,
    },
    /// Per-channel affine map over axis 1, inputs `x`, `scale [C]`, `shift [C]`:
    /// `y[n,c,...] = x[n,c,...] * scale[c] + shift[c]`, then the optional clamp.
    ScaleShift {
        /// Fused activation (float graphs only).
        act: Option<Clamp>,
    },
    /// Elementwise `a + b` with numpy broadcasting, then the optional clamp.
    Add {
        /// Fused activation (float graphs only).
        act: Option<Clamp>,
    },
    /// Elementwise `a - b` with numpy broadcasting, then the optional clamp.
    Sub {
        /// Fused activation (float graphs only).
        act: Option<Clamp>,
    },
    /// Elementwise `a * b` with numpy broadcasting (both may be computed values,
    /// as in a square activation `x*x`).
    Mul,
    /// Elementwise `a / b` with numpy broadcasting; `b` must be a constant.
    /// Float graphs only.
    Div,
    /// `max(x, 0)`. Float graphs only (quantization turns it into a clamp).
    Relu,
    /// `min(max(x, lo), hi)`. Float graphs only.
    Clip(Clamp),
    /// `x` if `x >= 0`, else `alpha * x`. Float graphs only.
    LeakyRelu {
        /// Slope for negative inputs.
        alpha: f32,
    },
    /// `1 / (1 + exp(-x))`. Float graphs only.
    Sigmoid,
    /// `tanh(x)`. Float graphs only.
    Tanh,
    /// A smooth function `f(x)` elementwise ([`Function::eval`]). Float
    /// graphs only (the quantizer tabulates it).
    Function(Function),
    /// Maximum over each window (padding never wins); shape as for a forward window.
    MaxPool {
        /// Window geometry.
        window: Window,
        /// ONNX ceil_mode.
        ceil_mode: bool,
    },
    /// Mean over each window. With `count_include_pad` the divisor is the
    /// number of taps inside the padded input
    /// ([`crate::geometry::padded_tap_counts`]: the full kernel size unless a
    /// `ceil_mode` window passes the padding), otherwise the number of
    /// in-bounds taps. Float graphs only.
    AvgPool {
        /// Window geometry.
        window: Window,
        /// ONNX ceil_mode.
        ceil_mode: bool,
        /// Whether padded positions count in the divisor.
        count_include_pad: bool,
    },
    /// Mean over all spatial positions: `[N,C,*S] -> [N,C,1,..,1]`. Float graphs only.
    GlobalAvgPool,
    /// Sum over each window, padded positions reading 0 (integer form of pools).
    SumPool {
        /// Window geometry.
        window: Window,
        /// ONNX ceil_mode.
        ceil_mode: bool,
    },
    /// Same elements in row-major order under the node's output shape.
    Reshape,
    /// Axis permutation: output axis `i` is input axis `perm[i]`.
    Transpose {
        /// The permutation.
        perm: Vec<usize>,
    },
    /// Concatenation of all inputs along `axis` (other extents equal).
    Concat {
        /// The axis.
        axis: usize,
    },
    /// Constant padding: `pads` holds begin paddings of every axis then end
    /// paddings; new positions hold `value`.
    Pad {
        /// Begin paddings then end paddings, one pair per axis.
        pads: Vec<usize>,
        /// The padding value: a float in float graphs, an integer (exact in
        /// `f32`, so `|value| <= 2^24`) in quantized graphs.
        value: f32,
    },
    /// Strided slice: on axis `a`, output index `i` reads input index
    /// `start[a] + i*step[a]`; the output extent is `len[a]`.
    Slice {
        /// First input index per axis.
        start: Vec<usize>,
        /// Step per axis (>= 1).
        step: Vec<usize>,
        /// Output extent per axis.
        len: Vec<usize>,
    },
    /// Selection along `axis` by constant indices: the axis is replaced by the
    /// shape `indices_shape` and output index `j` reads input index `indices[j]`.
    Gather {
        /// The axis.
        axis: usize,
        /// Flattened, non-negative indices.
        indices: Vec<usize>,
        /// The shape of the index tensor (`[]` removes the axis).
        indices_shape: Shape,
    },
    /// Nearest-neighbour resize: on axis `a`, output index `i` reads input index
    /// `maps[a][i]`; output extents are the map lengths.
    Resize {
        /// Source index per output index, per axis.
        maps: Vec<Vec<usize>>,
    },
    /// Integer rescale (quantized graphs only). With `shift > 0`:
    /// `y = clamp(floor((x*mult + 2^(shift-1)) / 2^shift), lo, hi)` (round half
    /// up, floor division also for negatives); with `shift <= 0`:
    /// `y = clamp(x * mult * 2^-shift, lo, hi)`. `mult` has one entry (all
    /// elements) or one per element. Requantization is `mult = [1]`.
    Rescale {
        /// Multiplier: one value, or one per element.
        mult: Vec<i64>,
        /// Right shift (negative: exact left shift).
        shift: i32,
        /// Lower clamp bound.
        lo: i64,
        /// Upper clamp bound.
        hi: i64,
    },
    /// Table lookup (quantized graphs only): `y = values[x - lo]`; every `x`
    /// must lie in `[lo, lo + values.len())`, which bound analysis proves.
    Table {
        /// What the table computes, for printing (e.g. `sigmoid`).
        name: String,
        /// Smallest input covered.
        lo: i64,
        /// Output per input, starting at `lo`.
        values: Vec<i64>,
    },
}

impl Op {
    /// A short stable name of the op kind (used by the printer and reports).
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Input { .. } => "input",
            Op::Const(_) => "const",
            Op::Private(_) => "private",
            Op::Conv { .. } => "conv",
            Op::ConvTranspose { .. } => "conv_transpose",
            Op::Gemm { .. } => "gemm",
            Op::BatchNorm { .. } => "batch_norm",
            Op::ScaleShift { .. } => "scale_shift",
            Op::Add { .. } => "add",
            Op::Sub { .. } => "sub",
            Op::Mul => "mul",
            Op::Div => "div",
            Op::Relu => "relu",
            Op::Clip(_) => "clip",
            Op::LeakyRelu { .. } => "leaky_relu",
            Op::Sigmoid => "sigmoid",
            Op::Tanh => "tanh",
            Op::Function(f) => f.name(),
            Op::MaxPool { .. } => "max_pool",
            Op::AvgPool { .. } => "avg_pool",
            Op::GlobalAvgPool => "global_avg_pool",
            Op::SumPool { .. } => "sum_pool",
            Op::Reshape => "reshape",
            Op::Transpose { .. } => "transpose",
            Op::Concat { .. } => "concat",
            Op::Pad { .. } => "pad",
            Op::Slice { .. } => "slice",
            Op::Gather { .. } => "gather",
            Op::Resize { .. } => "resize",
            Op::Rescale { .. } => "rescale",
            Op::Table { .. } => "table",
        }
    }

    /// The accepted number of inputs, as an inclusive range.
    pub fn arity(&self) -> (usize, usize) {
        match self {
            Op::Input { .. } | Op::Const(_) | Op::Private(_) => (0, 0),
            Op::Conv { .. } | Op::ConvTranspose { .. } | Op::Gemm { .. } => (3, 3),
            Op::BatchNorm { .. } => (5, 5),
            Op::ScaleShift { .. } => (3, 3),
            Op::Add { .. } | Op::Sub { .. } | Op::Mul | Op::Div => (2, 2),
            Op::Concat { .. } => (1, usize::MAX),
            Op::Relu
            | Op::Clip(_)
            | Op::LeakyRelu { .. }
            | Op::Sigmoid
            | Op::Function(_)
            | Op::Tanh
            | Op::MaxPool { .. }
            | Op::AvgPool { .. }
            | Op::GlobalAvgPool
            | Op::SumPool { .. }
            | Op::Reshape
            | Op::Transpose { .. }
            | Op::Pad { .. }
            | Op::Slice { .. }
            | Op::Gather { .. }
            | Op::Resize { .. }
            | Op::Rescale { .. }
            | Op::Table { .. } => (1, 1),
        }
    }

    /// True for ops that only exist in float graphs; the validator rejects
    /// them (and any float value) in a quantized graph.
    pub fn is_float_only(&self) -> bool {
        match self {
            Op::BatchNorm { .. }
            | Op::Div
            | Op::Relu
            | Op::Clip(_)
            | Op::LeakyRelu { .. }
            | Op::Sigmoid
            | Op::Function(_)
            | Op::Tanh
            | Op::AvgPool { .. }
            | Op::GlobalAvgPool => true,
            Op::Conv { act, .. }
            | Op::ConvTranspose { act, .. }
            | Op::Gemm { act }
            | Op::ScaleShift { act }
            | Op::Add { act }
            | Op::Sub { act } => act.is_some(),
            Op::Input { .. }
            | Op::Const(_)
            | Op::Mul
            | Op::MaxPool { .. }
            | Op::SumPool { .. }
            | Op::Reshape
            | Op::Transpose { .. }
            | Op::Concat { .. }
            | Op::Pad { .. }
            | Op::Slice { .. }
            | Op::Gather { .. }
            | Op::Resize { .. } => false,
            Op::Private(_) | Op::Rescale { .. } | Op::Table { .. } => false,
        }
    }

    /// True for ops that only exist in quantized graphs (including private
    /// parameters, which quantization creates).
    pub fn is_int_only(&self) -> bool {
        matches!(self, Op::Private(_) | Op::Rescale { .. } | Op::Table { .. })
    }

    /// True for ops that only move or select elements (no arithmetic).
    pub fn is_data_movement(&self) -> bool {
        matches!(
            self,
            Op::Reshape
                | Op::Transpose { .. }
                | Op::Concat { .. }
                | Op::Pad { .. }
                | Op::Slice { .. }
                | Op::Gather { .. }
                | Op::Resize { .. }
        )
    }

    /// The fused activation, for ops that carry one.
    pub fn act(&self) -> Option<&Option<Clamp>> {
        match self {
            Op::Conv { act, .. }
            | Op::ConvTranspose { act, .. }
            | Op::Gemm { act }
            | Op::ScaleShift { act }
            | Op::Add { act }
            | Op::Sub { act } => Some(act),
            Op::Input { .. }
            | Op::Const(_)
            | Op::Private(_)
            | Op::BatchNorm { .. }
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
            | Op::Reshape
            | Op::Transpose { .. }
            | Op::Concat { .. }
            | Op::Pad { .. }
            | Op::Slice { .. }
            | Op::Gather { .. }
            | Op::Resize { .. }
            | Op::Rescale { .. }
            | Op::Table { .. } => None,
        }
    }

    /// Mutable access to the fused activation, for ops that carry one.
    pub fn act_mut(&mut self) -> Option<&mut Option<Clamp>> {
        match self {
            Op::Conv { act, .. }
            | Op::ConvTranspose { act, .. }
            | Op::Gemm { act }
            | Op::ScaleShift { act }
            | Op::Add { act }
            | Op::Sub { act } => Some(act),
            Op::Input { .. }
            | Op::Const(_)
            | Op::Private(_)
            | Op::BatchNorm { .. }
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
            | Op::Reshape
            | Op::Transpose { .. }
            | Op::Concat { .. }
            | Op::Pad { .. }
            | Op::Slice { .. }
            | Op::Gather { .. }
            | Op::Resize { .. }
            | Op::Rescale { .. }
            | Op::Table { .. } => None,
        }
    }
}
