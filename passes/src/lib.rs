//! zkc's passes: pure IR-to-IR rewrites, one per file, each documenting the
//! identity it relies on, and the [`Pipeline`] that runs them in a fixed,
//! named order, validating the graph after every pass.

#![warn(missing_docs)]

pub mod analyze_bounds;
mod bounds;
pub mod calibrate;
mod consts;
pub mod fold_batch_norm;
pub mod fold_constants;
mod frac_caps;
pub mod fuse_activations;
pub mod insert_rescales;
pub mod lower_divisions;
mod pipeline;
pub mod privatize_weights;
pub mod quant_config;
pub mod quantize_graph;
pub mod remove_dead;
pub mod remove_noops;
pub mod tabulate_functions;

pub use calibrate::{calibrate, synthetic_samples, Calibration};
pub use pipeline::{pass_by_name, Pass, PassReport, Pipeline};
pub use quant_config::QuantConfig;

use zkc_ir::IrError;

/// Why a pass failed.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    /// The graph is invalid (before or after a pass).
    #[error("{pass}: {source}")]
    Ir {
        /// The pass name.
        pass: &'static str,
        /// The validator's or builder's error.
        source: IrError,
    },
    /// A value could not be computed (constant folding).
    #[error("{pass}: {msg}")]
    Eval {
        /// The pass name.
        pass: &'static str,
        /// What failed.
        msg: String,
    },
    /// The model cannot be compiled as it stands.
    #[error("{pass}: {msg}")]
    Unsupported {
        /// The pass name.
        pass: &'static str,
        /// What is not supported, and where.
        msg: String,
    },
}
