//! The zkc driver: compiles ONNX models into artifact directories and runs
//! the commands of the `zkc` binary. `anyhow` is used only in `main.rs`.

#![warn(missing_docs)]

pub mod artifact;
pub mod commitment;
pub mod compile;
pub mod data;
pub mod dataset;
pub mod evaluate;
pub mod experiment;
pub mod model;
pub mod opening;
pub mod plot;
pub mod proving;
pub mod publish;
pub mod quantize;
pub mod report;

/// Errors of the driver, each a one-line message that says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// The ONNX front end refused the model.
    #[error(transparent)]
    Frontend(#[from] zkc_onnx::FrontendError),
    /// A pass failed.
    #[error("{0}")]
    Pass(#[from] zkc_passes::PassError),
    /// An interpreter failed.
    #[error("{0}")]
    Runtime(#[from] zkc_runtime::RuntimeError),
    /// The IR is invalid.
    #[error("{0}")]
    Ir(#[from] zkc_ir::IrError),
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// An artifact directory is missing, incomplete or corrupted.
    #[error("{path}: {reason}")]
    Artifact {
        /// The artifact directory.
        path: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// Planning, key generation or proving failed.
    #[error("{0}")]
    Circuit(String),
    /// A user-supplied data file is invalid.
    #[error("{path}: {reason}")]
    Data {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Result type of the driver.
pub type Result<T> = std::result::Result<T, DriverError>;
