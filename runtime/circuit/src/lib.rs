//! zkc's Halo2 back end (`halo2_proofs` 0.4, IPA over the Pasta curves, no
//! trusted setup).
//!
//! A quantized IR graph is planned ([`plan()`]: lanes per chip, range-table
//! width, `k`) and laid out as one [`ModelCircuit`] whose witness is the
//! integer runtime's trace: the circuit never recomputes a value another
//! way, it checks the relation each traced value must satisfy. Chips
//! (`chips/`): multiply-accumulate with weights in fixed columns,
//! elementwise arithmetic, rescale (rounding shift with a range-checked
//! remainder and a sound clamp), max, and function tables, all range checks
//! going through one tagged lookup table. Model inputs and outputs are the
//! public instance; public weights are fixed columns, so the verifying key
//! binds the model. Private parameters (`Op::Private`) are advice cells
//! bound to a Poseidon commitment that is the last public value
//! (`chips/commit.rs`); the verifying key then depends only on the
//! architecture and the quantization scales.

#![warn(missing_docs)]

pub mod adversary;
pub mod analysis;
mod assign;
pub mod chips;
mod circuit;
pub mod commitment;
pub mod field;
pub mod mutation;
pub mod plan;
pub mod poseidon;
pub mod prover;
pub mod segments;
mod shape;

pub use assign::{column_index, CellRecord, Forge, Tamper};
pub use circuit::{dataset_instance, instance_of, DatasetWitness, ModelCircuit};
pub use plan::{plan, Plan};
pub use shape::{
    current_shape, CircuitShape, ShapeGuard, StatementShape, ARITH_LANE_CHOICES,
    COMMIT_LANE_CHOICES, DEFAULT_SHAPE, MAC_LANE_CHOICES, RESCALE_LANE_CHOICES,
};

/// Errors of planning, key generation, proving and verification.
#[derive(Debug, thiserror::Error)]
pub enum CircuitError {
    /// The model cannot be laid out.
    #[error("cannot build a circuit: {0}")]
    Unsupported(String),
    /// halo2 failed (keygen or proving).
    #[error("{0}")]
    Halo2(String),
    /// A proof or witness does not satisfy the circuit.
    #[error("invalid: {0}")]
    Invalid(String),
    /// The parameter cache could not be read or written.
    #[error("{0}")]
    Io(String),
}
