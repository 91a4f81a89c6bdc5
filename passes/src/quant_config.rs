//! Quantization settings and the per-value bit widths they imply.

use std::collections::BTreeSet;

use zkc_ir::{Graph, NodeId, Op};

use crate::PassError;

/// Bits of a bias or add/sub constant (signed): as wide as bound analysis
/// allows a value to be ([`crate::analyze_bounds::MAX_VALUE_BITS`]), so a
/// bias stays exact at the accumulator's precision (DESIGN.md).
pub const BIAS_BITS: u32 = crate::analyze_bounds::MAX_VALUE_BITS as u32;

/// Largest requantization shift the circuit can check: a remainder of up to
/// two rows of its widest (16-bit) range table. Weight fractional bits are
/// capped so that no dot product's shift exceeds it.
pub const MAX_SHIFT_BITS: i32 = 32;

/// Quantization settings (DESIGN.md, "Numeric semantics").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantConfig {
    /// Signed bits of activations (4..=16).
    pub bits: u32,
    /// Signed bits of weights (4..=16).
    pub weight_bits: u32,
    /// Signed bits of the graph outputs (at least `bits`), so that a
    /// low-bit network still reports fine-grained scores.
    pub output_bits: u32,
    /// One weight scale per output channel instead of per tensor.
    pub per_channel: bool,
    /// Weights, biases and constant operands become private parameters
    /// (`zkc compile --private weights`; see
    /// [`crate::privatize_weights`]). Not supported with `per_channel`.
    pub private_weights: bool,
    /// Private inputs and outputs (`zkc compile --private input,output`):
    /// recorded on the quantized graph ([`zkc_ir::Graph::private_io`]),
    /// which the passes do not otherwise change.
    pub private_io: zkc_ir::PrivateIo,
}

impl Default for QuantConfig {
    fn default() -> Self {
        QuantConfig::new(8, 8, false)
    }
}

impl QuantConfig {
    /// Settings with `bits` activations and `weight_bits` weights; outputs
    /// get `max(bits, 16)` bits.
    pub fn new(bits: u32, weight_bits: u32, per_channel: bool) -> Self {
        QuantConfig {
            bits,
            weight_bits,
            output_bits: bits.max(16),
            per_channel,
            private_weights: false,
            private_io: zkc_ir::PrivateIo::default(),
        }
    }

    /// The same settings with [`QuantConfig::private_io`] set to `io`.
    pub fn with_private_io(mut self, io: zkc_ir::PrivateIo) -> Self {
        self.private_io = io;
        self
    }

    /// The same settings with [`QuantConfig::private_weights`] set to `on`.
    pub fn with_private_weights(mut self, on: bool) -> Self {
        self.private_weights = on;
        self
    }

    /// Checks the documented ranges, and that per-channel weights are not
    /// asked for together with private weights.
    pub fn check(&self) -> Result<(), PassError> {
        if self.per_channel && self.private_weights {
            return Err(PassError::Unsupported {
                pass: "quantize_graph",
                msg: PER_CHANNEL_PRIVATE.into(),
            });
        }
        for (what, b) in [("--bits", self.bits), ("--weight-bits", self.weight_bits)] {
            if !(4..=16).contains(&b) {
                return Err(PassError::Unsupported {
                    pass: "quantize_graph",
                    msg: format!("{what} {b} is outside 4..=16"),
                });
            }
        }
        Ok(())
    }
}

/// Why per-channel weights and private weights cannot be combined (yet):
/// per-channel weights are stored shifted to the finest channel's scale, so
/// they do not lie in the `--weight-bits` range a private weight declares.
pub(crate) const PER_CHANNEL_PRIVATE: &str =
    "per-channel weights are not supported with --private weights yet";

/// Nodes whose value is a graph output, directly or through data-movement
/// ops only; these get [`QuantConfig::output_bits`].
pub fn output_fed(g: &Graph) -> BTreeSet<NodeId> {
    let mut fed = BTreeSet::new();
    let mut stack: Vec<NodeId> = g.outputs().to_vec();
    while let Some(id) = stack.pop() {
        if fed.insert(id) && g.op(id).is_data_movement() {
            stack.extend(g.inputs(id));
        }
    }
    fed
}

/// Extra bits of a value read by a reciprocal square root (a variance) or
/// a log (a mean of exponentials): at the activations' width a small value
/// next to a large one keeps only a few significant bits, and `1/sqrt` and
/// `ln` turn their relative error into the output's error.
pub const RSQRT_LOG_INPUT_EXTRA_BITS: u32 = 4;

/// True when `id` is read by a `rsqrt` or `log_scaled` function, directly
/// or through data movement.
fn feeds_rsqrt_or_log(g: &Graph, id: NodeId) -> bool {
    g.users(id).into_iter().any(|(u, _)| match g.op(u) {
        Op::Function(zkc_ir::Function::Rsqrt { .. } | zkc_ir::Function::LogScaled { .. }) => true,
        op if op.is_data_movement() => feeds_rsqrt_or_log(g, u),
        _ => false,
    })
}

/// The signed bit width a node's value is clamped to: `--bits`, the output
/// width for graph outputs, and [`RSQRT_LOG_INPUT_EXTRA_BITS`] more (at most 16,
/// the widest table) for a value a reciprocal square root or a log reads.
pub fn value_bits(cfg: &QuantConfig, fed: &BTreeSet<NodeId>, g: &Graph, id: NodeId) -> u32 {
    match g.op(id) {
        Op::Input { .. } => cfg.bits,
        _ if fed.contains(&id) => cfg.output_bits,
        _ if feeds_rsqrt_or_log(g, id) => (cfg.bits + RSQRT_LOG_INPUT_EXTRA_BITS)
            .min(16)
            .max(cfg.bits),
        _ => cfg.bits,
    }
}

/// `(lo, hi)` of a signed `bits`-bit integer.
pub fn range_of(bits: u32) -> (i64, i64) {
    zkc_fixed::signed_range(bits).unwrap_or((i64::MIN, i64::MAX))
}
