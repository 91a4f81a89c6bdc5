//! The circuit's shape: how many lanes each chip gets. Chosen per model by
//! the planner; `Circuit::configure` has no parameters in halo2_proofs 0.4,
//! so the shape reaches it through a thread-local set by [`ShapeGuard`]
//! around every keygen, proof, verification or mock run.

use std::cell::Cell;

/// Lanes per chip (0 disables a chip and its columns and lookups).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CircuitShape {
    /// Multiply-accumulate lanes per row (dot products with fixed weights).
    pub mac_lanes: usize,
    /// Elementwise `alpha*a*b + beta*a + gamma*b + delta` lanes.
    pub arith_lanes: usize,
    /// Rescale (rounding shift, range-checked remainder, clamp) lanes.
    pub rescale_lanes: usize,
    /// Max-pool lanes (0 or 1).
    pub max_lanes: usize,
    /// Function-table lookup lanes (0 or 1).
    pub table_lanes: usize,
    /// Commitment lanes (0 for a model without private parameters; then
    /// there are also no advice weights, no Poseidon chip and no
    /// commitment among the public values).
    pub commit_lanes: usize,
    /// The MAC chip's weights are advice cells (a model with private
    /// parameters); needs commitment lanes. Without private parameters a
    /// circuit may still have commitment lanes (private inputs or outputs)
    /// and keeps fixed weights.
    pub advice_weights: bool,
    /// The dataset statement chip (a circuit proving an accuracy over
    /// several samples), or `None` for a one-input circuit.
    pub statement: Option<StatementShape>,
}

/// The statement chip's configuration: classes per sample, and the limbs
/// (and table width) of its range checks; `limbs == 0` (and `t == 0`) is
/// the squared-error statement of a regressor with `classes` outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatementShape {
    /// Classes per sample (the model's output length, 2 to 2^16).
    pub classes: usize,
    /// Limbs of the comparisons' range checks (1 to 4).
    pub limbs: usize,
    /// Range-table width the limbs use (8 to 16).
    pub t: u32,
}

/// Multiply-accumulate lane counts the planner tries.
pub const MAC_LANE_CHOICES: [usize; 4] = [0, 8, 16, 32];
/// Arith lane counts the planner tries.
pub const ARITH_LANE_CHOICES: [usize; 4] = [0, 1, 2, 4];
/// Rescale lane counts the planner tries.
pub const RESCALE_LANE_CHOICES: [usize; 2] = [1, 2];
/// Commitment lane counts the planner tries for a model with private
/// parameters (0 is the only choice without).
pub const COMMIT_LANE_CHOICES: [usize; 4] = [1, 2, 4, 8];

impl CircuitShape {
    /// True for a shape the planner can choose: lane counts from the
    /// `*_LANE_CHOICES` lists, at most one max-pool and one table lane. A
    /// shape read from a file must pass this before a circuit is configured
    /// with it (a huge lane count would make `configure` spin or allocate
    /// without bound).
    pub fn is_plannable(&self) -> bool {
        MAC_LANE_CHOICES.contains(&self.mac_lanes)
            && ARITH_LANE_CHOICES.contains(&self.arith_lanes)
            && RESCALE_LANE_CHOICES.contains(&self.rescale_lanes)
            && self.max_lanes <= 1
            && self.table_lanes <= 1
            && (self.commit_lanes == 0 || COMMIT_LANE_CHOICES.contains(&self.commit_lanes))
            && (!self.advice_weights || self.commit_lanes > 0)
            && self.statement.is_none_or(|s| {
                // an accuracy statement (limbs >= 1) or a squared-error one
                (s.limbs >= 1
                    && (2..=1 << 16).contains(&s.classes)
                    && s.limbs <= 4
                    && (8..=16).contains(&s.t))
                    || (s.limbs == 0 && (1..=1 << 16).contains(&s.classes) && s.t == 0)
            })
    }

    /// True when the circuit has private parameters (advice weights and
    /// their commitment).
    pub fn is_private(&self) -> bool {
        self.commit_lanes > 0 && self.advice_weights
    }

    /// True when the circuit has a commitment chip (private parameters,
    /// inputs or outputs).
    pub fn has_commitments(&self) -> bool {
        self.commit_lanes > 0
    }

    /// A compact text form, e.g. `mac32 arith2 rescale2 max0 table0`
    /// (followed by ` commit4` in a circuit with private parameters).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "mac{} arith{} rescale{} max{} table{}",
            self.mac_lanes, self.arith_lanes, self.rescale_lanes, self.max_lanes, self.table_lanes
        );
        if self.commit_lanes > 0 {
            s.push_str(&format!(" commit{}", self.commit_lanes));
            if !self.advice_weights {
                s.push_str(" fixed-weights");
            }
        }
        if let Some(st) = self.statement {
            if st.limbs == 0 {
                s.push_str(&format!(" sse{}", st.classes));
            } else {
                s.push_str(&format!(" accuracy{}x{}", st.classes, st.limbs));
            }
        }
        s
    }
}

/// Shape used when none is set (a small circuit with every chip).
pub const DEFAULT_SHAPE: CircuitShape = CircuitShape {
    mac_lanes: 8,
    arith_lanes: 1,
    rescale_lanes: 1,
    max_lanes: 1,
    table_lanes: 1,
    commit_lanes: 0,
    advice_weights: false,
    statement: None,
};

thread_local! {
    static SHAPE: Cell<Option<CircuitShape>> = const { Cell::new(None) };
}

/// Sets the shape `configure` sees on this thread until dropped.
pub struct ShapeGuard(Option<CircuitShape>);

impl ShapeGuard {
    /// Sets `shape` for this thread.
    pub fn set(shape: CircuitShape) -> Self {
        ShapeGuard(SHAPE.with(|s| s.replace(Some(shape))))
    }
}

impl Drop for ShapeGuard {
    fn drop(&mut self) {
        SHAPE.with(|s| s.set(self.0));
    }
}

/// The shape set on this thread (or [`DEFAULT_SHAPE`]).
pub fn current_shape() -> CircuitShape {
    SHAPE.with(|s| s.get()).unwrap_or(DEFAULT_SHAPE)
}
