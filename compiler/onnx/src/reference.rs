//! tract as the float reference: runs the ONNX model itself (tract's own
//! optimised kernels), independently of zkc's IR and interpreters.

use std::path::Path;
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;

use crate::FrontendError;

/// A runnable tract model with input shapes fixed (symbolic batch = 1).
pub struct TractReference {
    plan: Arc<TypedRunnableModel>,
    shapes: Vec<Vec<usize>>,
}

impl TractReference {
    /// Loads `path` with tract, fixing the input shapes to `shapes` (as
    /// reported by [`crate::import_file`]).
    pub fn load(path: &Path, shapes: &[Vec<usize>]) -> Result<Self, FrontendError> {
        let err = |e: TractError| FrontendError::Model {
            file: path.display().to_string(),
            reason: format!("tract reference: {e:#}"),
        };
        let mut model = tract_onnx::onnx().model_for_path(path).map_err(err)?;
        for (i, s) in shapes.iter().enumerate() {
            let dt = model
                .input_fact(i)
                .ok()
                .and_then(|f| f.datum_type.concretize())
                .unwrap_or(f32::datum_type());
            model
                .set_input_fact(i, InferenceFact::dt_shape(dt, s.clone()))
                .map_err(err)?;
        }
        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(err)?;
        Ok(TractReference {
            plan,
            shapes: shapes.to_vec(),
        })
    }

    /// Runs the model on flat row-major inputs; returns the flat outputs.
    pub fn run(&self, inputs: &[Vec<f32>]) -> Result<Vec<Vec<f32>>, String> {
        if inputs.len() != self.shapes.len() {
            return Err(format!(
                "expected {} inputs, got {}",
                self.shapes.len(),
                inputs.len()
            ));
        }
        let mut tv = TVec::new();
        for (data, shape) in inputs.iter().zip(&self.shapes) {
            let t = Tensor::from_shape(shape, data).map_err(|e| e.to_string())?;
            tv.push(t.into_tvalue());
        }
        let outs = self.plan.run(tv).map_err(|e| format!("{e:#}"))?;
        outs.iter().map(|o| crate::import::tensor_f32(o)).collect()
    }
}
