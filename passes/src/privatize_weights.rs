//! Private weights (`zkc compile --private weights`).
//!
//! Turns every numeric parameter of a quantized graph into a `private` node
//! (same name, shape and type) whose values the prover commits to and whose
//! declared range `[lo, hi]` is public. The parameters are the integer
//! constants read as
//!
//! - the weights (input 1) of conv, conv_transpose and gemm, the scale
//!   (input 1) of scale_shift, and the constant factor of a mul of a value
//!   by a constant tensor (laid out as a dot product): declared range
//!   `range_of(--weight-bits)`, the full signed range (the quantizer's
//!   symmetric weights lie inside it; one outside is an error);
//! - the biases (input 2) of those four ops: the smallest signed range
//!   `[-2^(b-1), 2^(b-1) - 1]` holding `[-A, A]` (a power-of-two span, which
//!   the circuit range-checks exactly in `b` bits), with `A` the largest
//!   magnitude of a dot product without bias over the op's outputs (of
//!   `x * scale` for scale_shift) that the weights' declared range and the
//!   bound of `x` allow ([`crate::bounds`]);
//! - the constant operand of an add or sub of a value (scalar or not):
//!   the smallest signed range holding `[-A, A]`, with `A` the largest
//!   magnitude of the other operand's bound.
//!
//! `A` is capped at `2^61 - 1` (the bias width). Nodes are visited in
//! topological order, so the bound of `x` is final (computed with every
//! earlier parameter already private) when a bias is declared. A bias or
//! constant value outside its declared range is clamped into it, and a note
//! names the node: the results using it change (this happens only when the
//! bias exceeds everything the weighted sum can reach).
//!
//! Guarantee: every declared range, and so every bound computed from the
//! graph afterwards, is a function of the architecture (ops, shapes,
//! windows), the quantization settings (bit widths, fractional bits, clamps)
//! and the activation bounds, which are themselves computed from declared
//! ranges, never from private values. Two models of the same architecture
//! whose scales agree therefore privatize to graphs whose
//! [`zkc_ir::print_graph_public`] text is byte-identical, provided (as in
//! [`crate::Pipeline::quantize`]) the passes that choose multipliers and
//! tables from bounds (`lower_divisions`, `tabulate_functions`) and
//! `analyze_bounds` run after this one. The circuit planned from that text
//! does not depend on the values.
//!
//! Identity: a private parameter evaluates to its values (the integer
//! runtime), so the graph computes the same results, except for the noted
//! clamps.
//!
//! Not parameters, left public: constants read only by data movement (concat,
//! pad, gather...), table values and rescale multipliers (op attributes, not
//! nodes). An integer constant left public that some other op reads is
//! listed in a note. The operands of a mul, add or sub of two constants are
//! not parameters either.
//!
//! Refused: per-channel weights (stored at the finest channel's scale, so
//! not inside the weight range); a parameter with more than
//! [`MAX_PRIVATE_ELEMENTS`] elements; and a constant that is a parameter of
//! one op and also read by another op or a graph output (it could not be
//! private in one place and public in another; the quantizer gives each use
//! its own constant, so only hand-written graphs can have one), except that
//! a weight may be shared by several weighted ops.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use num_bigint::BigInt;
use num_traits::Signed;
use zkc_ir::{Graph, NodeId, Op, Private, Stage, Tensor};

use crate::bounds::{bound_of, unbiased_magnitude, Iv};
use crate::quant_config::{
    output_fed, range_of, value_bits, QuantConfig, BIAS_BITS, PER_CHANNEL_PRIVATE,
};
use crate::{Pass, PassError};

const NAME: &str = "privatize_weights";

/// Most elements a private parameter may have.
pub const MAX_PRIVATE_ELEMENTS: usize = 1 << 24;

/// Makes the weights, biases and constant operands private parameters.
pub struct PrivatizeWeights {
    /// Bit widths (the weights' declared range).
    pub cfg: QuantConfig,
    /// Clamped biases and constants left public in the last run.
    notes: RefCell<Vec<String>>,
}

impl PrivatizeWeights {
    /// The pass for `cfg`.
    pub fn new(cfg: QuantConfig) -> Self {
        PrivatizeWeights {
            cfg,
            notes: Default::default(),
        }
    }
}

fn err(msg: String) -> PassError {
    PassError::Unsupported { pass: NAME, msg }
}

/// What a parameter is to the op reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Weights, a scale, a constant factor: the weight range.
    Weight,
    /// A bias or shift: `[-A, A]` from the dot products.
    Bias,
    /// An add/sub operand: `[-A, A]` from the other operand.
    Addend,
}

fn is_int_const(g: &Graph, id: NodeId) -> bool {
    g.const_tensor(id).is_some_and(|t| t.as_i64().is_some())
}

fn describe(g: &Graph, id: NodeId) -> String {
    format!("{} {}", g.op(id).kind(), g.node(id).name)
}

/// The parameter inputs of `id`: `(slot, role)` for every input slot that
/// holds an integer constant and is a parameter of this op.
fn param_slots(g: &Graph, id: NodeId) -> Vec<(usize, Role)> {
    let ins = g.inputs(id);
    let computed = |i: usize| {
        ins.get(i)
            .is_some_and(|&x| !matches!(g.op(x), Op::Const(_) | Op::Private(_)))
    };
    let slots: Vec<(usize, Role)> = match g.op(id) {
        Op::Conv { .. } | Op::ConvTranspose { .. } | Op::Gemm { .. } | Op::ScaleShift { .. } => {
            vec![(1, Role::Weight), (2, Role::Bias)]
        }
        Op::Mul if ins.len() == 2 => (0..2)
            .filter(|&s| computed(1 - s))
            .map(|s| (s, Role::Weight))
            .collect(),
        Op::Add { .. } | Op::Sub { .. } if ins.len() == 2 => (0..2)
            .filter(|&s| computed(1 - s))
            .map(|s| (s, Role::Addend))
            .collect(),
        _ => vec![],
    };
    slots
        .into_iter()
        .filter(|&(s, _)| ins.get(s).is_some_and(|&c| is_int_const(g, c)))
        .collect()
}

/// `A` as an `i64`, capped at the bias width.
fn capped(a: BigInt) -> i64 {
    let max = range_of(BIAS_BITS).1;
    i64::try_from(a).map_or(max, |a| a.min(max))
}

impl PrivatizeWeights {
    /// Every parameter constant with its role, checked: one role, no
    /// reader that is not a parameter use, within the size limit.
    fn parameters(&self, g: &Graph) -> Result<BTreeMap<NodeId, Role>, PassError> {
        let mut uses: BTreeMap<NodeId, Vec<(NodeId, Role)>> = BTreeMap::new();
        for id in g.ids() {
            let ins = g.inputs(id);
            for (slot, role) in param_slots(g, id) {
                uses.entry(ins[slot]).or_default().push((id, role));
            }
        }
        let mut out = BTreeMap::new();
        for (c, readers) in uses {
            let name = &g.node(c).name;
            let role = readers[0].1;
            let shared_weight = readers.iter().all(|r| r.1 == Role::Weight);
            let all_uses = g.users(c).len();
            if all_uses != readers.len()
                || g.outputs().contains(&c)
                || (readers.len() > 1 && !shared_weight)
            {
                let mut uses: Vec<String> = g
                    .users(c)
                    .iter()
                    .map(|&(u, slot)| format!("input {slot} of {}", describe(g, u)))
                    .collect();
                if g.outputs().contains(&c) {
                    uses.push("a graph output".into());
                }
                return Err(err(format!(
                    "constant {name} is a parameter of {} and is also used elsewhere ({}); a private parameter must have a single role (quantize the float graph, which gives each use its own constant)",
                    describe(g, readers[0].0),
                    uses.join(", ")
                )));
            }
            let n = g.const_tensor(c).map_or(0, |t| t.len());
            if n > MAX_PRIVATE_ELEMENTS {
                return Err(err(format!(
                    "parameter {name} of {} has {n} elements; at most {MAX_PRIVATE_ELEMENTS} can be private",
                    describe(g, readers[0].0)
                )));
            }
            out.insert(c, role);
        }
        Ok(out)
    }

    /// Replaces the constant `c` by a private parameter declared `[lo, hi]`,
    /// clamping its values into it; returns how many were clamped.
    fn privatize(&self, g: &mut Graph, c: NodeId, lo: i64, hi: i64) -> Result<usize, PassError> {
        let t = g
            .const_tensor(c)
            .ok_or_else(|| err(format!("{} is not a constant", g.node(c).name)))?;
        let v = t.as_i64().unwrap_or_default();
        let clamped = v.iter().filter(|&&x| x < lo || x > hi).count();
        let values = Tensor::i64(
            t.shape().to_vec(),
            v.iter().map(|&x| x.clamp(lo, hi)).collect(),
        )
        .map_err(|source| PassError::Ir { pass: NAME, source })?;
        let node = g.node_mut(c);
        node.op = Op::Private(Private {
            values: Some(values),
            lo,
            hi,
        });
        node.ty.bound = None;
        Ok(clamped)
    }
}

impl Pass for PrivatizeWeights {
    fn name(&self) -> &'static str {
        NAME
    }

    fn produces(&self) -> Stage {
        Stage::Quantizing
    }

    fn notes(&self) -> Vec<String> {
        self.notes.borrow().clone()
    }

    fn run(&self, g: &mut Graph) -> Result<usize, PassError> {
        self.notes.borrow_mut().clear();
        if self.cfg.per_channel {
            return Err(err(PER_CHANNEL_PRIVATE.into()));
        }
        let params = self.parameters(g)?;
        let mut changes = 0;
        // Weights first: their range is fixed, so every bound below sees it.
        let (wlo, whi) = range_of(self.cfg.weight_bits);
        for (&c, _) in params.iter().filter(|(_, &r)| r == Role::Weight) {
            let v = g
                .const_tensor(c)
                .and_then(|t| t.as_i64())
                .unwrap_or_default();
            if let Some(&x) = v.iter().find(|&&x| x < wlo || x > whi) {
                return Err(err(format!(
                    "weight {} holds {x}, outside the {}-bit weight range [{wlo}, {whi}]",
                    g.node(c).name,
                    self.cfg.weight_bits
                )));
            }
            self.privatize(g, c, wlo, whi)?;
            changes += 1;
        }
        let fed = output_fed(g);
        let order = g
            .topo_order()
            .map_err(|source| PassError::Ir { pass: NAME, source })?;
        let mut known: HashMap<NodeId, Iv> = HashMap::new();
        for id in order {
            let ins = g.inputs(id);
            for (slot, role) in param_slots(g, id) {
                let c = ins[slot];
                if params.get(&c) != Some(&role) || role == Role::Weight {
                    continue;
                }
                let unknown = || err(format!("{}: input range unknown", describe(g, id)));
                let a = match role {
                    Role::Bias => {
                        let x = known.get(&ins[0]).ok_or_else(unknown)?;
                        unbiased_magnitude(g, id, x).ok_or_else(|| {
                            err(format!(
                                "{}: its weights are not a constant, so its bias has no declared range",
                                describe(g, id)
                            ))
                        })?
                    }
                    _ => {
                        let (lo, hi) = known.get(&ins[1 - slot]).ok_or_else(unknown)?;
                        lo.abs().max(hi.abs())
                    }
                };
                // the smallest signed range holding [-A, A]: a power-of-two
                // span, which the circuit range-checks exactly
                let a = capped(a);
                let bits = 64 - a.unsigned_abs().leading_zeros() + 1;
                let (lo, hi) = range_of(bits);
                let clamped = self.privatize(g, c, lo, hi)?;
                if clamped > 0 {
                    let what = if role == Role::Bias {
                        "bias"
                    } else {
                        "constant operand"
                    };
                    let n = g.private_values(c).map_or(0, |t| t.len());
                    self.notes.borrow_mut().push(format!(
                        "{}: {clamped} of {n} values of its {what} {} clamped into the declared range [{lo}, {hi}] (the {bits}-bit range holding the largest magnitude, {a}, its other inputs can reach); results using them change",
                        describe(g, id),
                        g.node(c).name
                    ));
                }
                known.insert(c, (BigInt::from(lo), BigInt::from(hi)));
                changes += 1;
            }
            let graph: &Graph = g;
            let b = bound_of(graph, id, &known, &|n| {
                value_bits(&self.cfg, &fed, graph, n)
            });
            if let Some(b) = b {
                known.insert(id, b);
            }
        }
        let public: Vec<String> = g
            .ids()
            .into_iter()
            .filter(|&c| is_int_const(g, c))
            .filter_map(|c| {
                let readers: Vec<String> = g
                    .users(c)
                    .into_iter()
                    .filter(|&(u, _)| !g.op(u).is_data_movement())
                    .map(|(u, _)| describe(g, u))
                    .collect();
                (!readers.is_empty())
                    .then(|| format!("{} (read by {})", g.node(c).name, readers.join(", ")))
            })
            .collect();
        if !public.is_empty() {
            self.notes.borrow_mut().push(format!(
                "integer constants left public (not weights, biases or constant operands of a weighted op, add or sub): {}",
                public.join("; ")
            ));
        }
        Ok(changes)
    }
}
