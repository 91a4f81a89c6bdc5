//! A compiled model loaded from its artifact directory, and running it on
//! float inputs through both the float reference and the integer runtime.

use std::path::Path;

use zkc_ir::{parse_graph, validate_final, DType, Graph, NodeId, Op, Stage};

use crate::artifact::{read_artifact_file, read_manifest, Manifest};
use crate::{DriverError, Result};

/// Both graphs of an artifact.
pub struct Model {
    /// The manifest.
    pub manifest: Manifest,
    /// The float graph (the reference).
    pub float: Graph,
    /// The quantized graph (what is proven).
    pub quant: Graph,
}

/// One inference: the dequantized integer outputs next to the float ones.
pub struct Inference {
    /// Float reference outputs.
    pub float: Vec<Vec<f32>>,
    /// Quantized outputs, dequantized.
    pub quant: Vec<Vec<f32>>,
    /// Quantized inputs (the public inputs of a proof).
    pub quant_inputs: Vec<Vec<i64>>,
    /// Quantized outputs as integers (the public outputs of a proof).
    pub quant_outputs: Vec<Vec<i64>>,
    /// Elements clamped: inputs out of range plus rescale clamps.
    pub clamped: usize,
    /// The float trace (every value).
    pub float_run: zkc_runtime::FloatRun,
    /// The integer trace (every value; the circuit's witness).
    pub int_run: zkc_runtime::IntRun,
}

/// Reads, parses and validates an IR file of an artifact.
pub fn load_graph(dir: &Path, file: &str, stage: Stage) -> Result<Graph> {
    let bytes = read_artifact_file(dir, file)?;
    let art = |reason: String| DriverError::Artifact {
        path: dir.display().to_string(),
        reason,
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| art(format!("{file} is not UTF-8 text; recompile the model")))?;
    let g = parse_graph(&text)
        .map_err(|e| art(format!("{file} is corrupted ({e}); recompile the model")))?;
    validate_final(&g, stage)
        .map_err(|e| art(format!("{file} is invalid ({e}); recompile the model")))?;
    Ok(g)
}

/// The fractional bits of a quantized node.
pub fn frac_of(g: &Graph, id: NodeId) -> i32 {
    match g.ty(id).dtype {
        DType::Int { frac } => frac,
        DType::F32 => 0,
    }
}

impl Model {
    /// Loads and validates an artifact directory.
    pub fn load(dir: &Path) -> Result<Model> {
        let manifest = read_manifest(dir)?;
        let float = load_graph(dir, "float.ir", Stage::Float)?;
        let quant = load_graph(dir, "quantized.ir", Stage::Quantized)?;
        let same_inputs = |g: &Graph| {
            let ids = g.inputs_list();
            ids.len() == manifest.inputs.len()
                && ids
                    .iter()
                    .zip(&manifest.inputs)
                    .all(|(&id, m)| g.shape(id) == m.shape.as_slice())
        };
        if !same_inputs(&float) || !same_inputs(&quant) {
            return Err(DriverError::Artifact {
                path: dir.display().to_string(),
                reason: "manifest and graphs disagree on the inputs; recompile the model".into(),
            });
        }
        Ok(Model {
            manifest,
            float,
            quant,
        })
    }

    /// Quantizes float inputs for the quantized graph: `(integers, clamped)`.
    pub fn quantize_inputs(&self, inputs: &[Vec<f32>]) -> Result<(Vec<Vec<i64>>, usize)> {
        quantize_inputs(&self.quant, inputs)
    }

    /// Runs both graphs on float inputs (already checked for count, length
    /// and finiteness by the data readers).
    pub fn infer(&self, inputs: &[Vec<f32>]) -> Result<Inference> {
        let float_run = zkc_runtime::run_float(&self.float, inputs)?;
        let (quant_inputs, in_clamped) = self.quantize_inputs(inputs)?;
        let int_run = zkc_runtime::run_int(&self.quant, &quant_inputs)?;
        let quant_outputs = int_run.outputs();
        let quant = self
            .quant
            .outputs()
            .iter()
            .zip(&quant_outputs)
            .map(|(&id, q)| zkc_runtime::dequantize(q, frac_of(&self.quant, id)))
            .collect();
        Ok(Inference {
            float: float_run.outputs(),
            quant,
            quant_inputs,
            quant_outputs,
            clamped: in_clamped + int_run.total_clamped(),
            float_run,
            int_run,
        })
    }

    /// Pairs of (quantized node, float node) representing the same value:
    /// non-constant nodes with the same name, by quantized topological order.
    pub fn layer_pairs(&self) -> Vec<(NodeId, NodeId)> {
        let by_name: std::collections::HashMap<&str, NodeId> = self
            .float
            .ids()
            .into_iter()
            .filter(|&id| !matches!(self.float.op(id), Op::Const(_) | Op::Input { .. }))
            .map(|id| (self.float.node(id).name.as_str(), id))
            .collect();
        self.quant
            .topo_order()
            .unwrap_or_default()
            .into_iter()
            .filter(|&id| !matches!(self.quant.op(id), Op::Const(_) | Op::Input { .. }))
            .filter_map(|q| {
                let f = *by_name.get(self.quant.node(q).name.as_str())?;
                (self.quant.shape(q) == self.float.shape(f)).then_some((q, f))
            })
            .collect()
    }
}

/// Quantizes float inputs for the quantized graph `quant` (its inputs'
/// scales and ranges): `(integers, clamped)`. What `zkc prove` and `zkc
/// verify --data` both use, so a verifier derives the same public values.
pub fn quantize_inputs(quant: &Graph, inputs: &[Vec<f32>]) -> Result<(Vec<Vec<i64>>, usize)> {
    let mut out = vec![];
    let mut clamped = 0;
    for (id, x) in quant.inputs_list().into_iter().zip(inputs) {
        let (lo, hi) = match &quant.ty(id).bound {
            Some(b) => (
                i64::try_from(&b.lo).unwrap_or(i64::MIN),
                i64::try_from(&b.hi).unwrap_or(i64::MAX),
            ),
            None => (i64::MIN, i64::MAX),
        };
        let (q, c) = zkc_runtime::quantize_input(x, frac_of(quant, id), lo, hi)?;
        clamped += c;
        out.push(q);
    }
    Ok((out, clamped))
}
