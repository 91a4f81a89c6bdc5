//! `zkc compile` and `zkc inspect`: ONNX to IR through the pass pipeline.

use std::path::Path;

use zkc_ir::{print_graph, print_graph_full, Graph};
use zkc_passes::Pipeline;

use crate::artifact::{
    write_dir_atomically, Manifest, ManifestInput, FORMAT_VERSION, MAX_ARTIFACT_FILE_BYTES,
};
use crate::quantize::{quantize, QuantOptions, QuantizedModel};
use crate::report::{graph_stats, pass_lines, Report};
use crate::{DriverError, Result};

/// A model compiled through the float pipeline.
#[derive(Clone)]
pub struct Compiled {
    /// The float graph after the pipeline.
    pub graph: Graph,
    /// The model's inputs.
    pub inputs: Vec<ManifestInput>,
    /// ONNX output names.
    pub outputs: Vec<String>,
    /// ONNX opset.
    pub opset: i64,
    /// The float passes run.
    pub passes: Vec<crate::report::PassLine>,
}

/// A model compiled all the way: float and quantized graphs, manifest and
/// report.
pub struct Artifact {
    /// The float half.
    pub float: Compiled,
    /// The quantized half.
    pub quant: QuantizedModel,
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `report.json`.
    pub report: Report,
}

/// Imports `model` and runs the float pipeline. `after` sees the graph after
/// the import (as pass `import`) and after every pass.
pub fn compile_float(model: &Path, mut after: impl FnMut(&str, &Graph)) -> Result<Compiled> {
    let imported = zkc_onnx::import_file(model)?;
    let mut graph = imported.graph;
    after("import", &graph);
    let reports = Pipeline::float().run(&mut graph, |name, g| after(name, g))?;
    Ok(Compiled {
        graph,
        inputs: imported
            .inputs
            .iter()
            .map(|i| ManifestInput {
                name: i.name.clone(),
                shape: i.shape.clone(),
            })
            .collect(),
        outputs: imported.outputs.clone(),
        opset: imported.opset,
        passes: pass_lines(&reports),
    })
}

/// Compiles `model` through the float and quantization pipelines and plans
/// its circuit.
pub fn compile(model: &Path, opts: &QuantOptions) -> Result<Artifact> {
    let float = compile_float(model, |_, _| {})?;
    let quant = quantize(&float, opts, |_, _| {})?;
    assemble(model, float, quant)
}

/// Builds manifest and report from the two halves (planning the circuit).
pub fn assemble(model: &Path, float: Compiled, quant: QuantizedModel) -> Result<Artifact> {
    let plan = crate::proving::plan_of(&quant.graph)?;
    let stats = zkc_circuit::prover::stats(&plan.shape);
    let (ops, macs, params) = graph_stats(&float.graph);
    let (quantized_ops, _, _) = graph_stats(&quant.graph);
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        zkc_version: env!("CARGO_PKG_VERSION").to_string(),
        model: float.graph.name.clone(),
        source: model.display().to_string(),
        inputs: float.inputs.clone(),
        outputs: float.outputs.clone(),
        quantization: quant.info.clone(),
    };
    let mut passes = float.passes.clone();
    passes.extend(quant.passes.iter().cloned());
    let report = Report {
        model: float.graph.name.clone(),
        source: model.display().to_string(),
        opset: float.opset,
        ops,
        macs,
        params,
        quantized_ops,
        quantization: quant.info.clone(),
        passes,
        k: plan.k,
        rows: plan.rows,
        advice_columns: stats.advice_columns,
        fixed_columns: stats.fixed_columns,
        lookups: stats.lookups,
        instance_values: plan.instance_len,
        rows_by_op: plan.rows_by_op.clone(),
        circuit_shape: plan.shape.describe(),
        range_bits: plan.range_bits,
    };
    Ok(Artifact {
        float,
        quant,
        manifest,
        report,
    })
}

/// Writes the artifact directory for a compiled model (atomically). A
/// model with private parts also gets a fresh salt (`secret.json`) and its
/// commitment (`commitment.json`), returned.
pub fn write_artifact(
    dir: &Path,
    a: &Artifact,
) -> Result<Option<crate::commitment::CommitmentFile>> {
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("manifest.json", json_bytes(&a.manifest)?),
        ("report.json", json_bytes(&a.report)?),
        ("float.ir", print_graph_full(&a.float.graph)?.into_bytes()),
        (
            "quantized.ir",
            print_graph_full(&a.quant.graph)?.into_bytes(),
        ),
    ];
    let mut commitment = None;
    if a.quant.graph.has_private() {
        // the model's commitment covers the weights; a private input or
        // output is committed per proof instead
        let (secret, c) = crate::commitment::new_files(&a.quant.graph, &["weights".to_string()])?;
        files.push((crate::commitment::SECRET_FILE, json_bytes(&secret)?));
        files.push((crate::commitment::COMMITMENT_FILE, json_bytes(&c)?));
        commitment = Some(c);
    }
    for (name, bytes) in &files {
        if bytes.len() as u64 > MAX_ARTIFACT_FILE_BYTES {
            return Err(DriverError::Artifact {
                path: dir.display().to_string(),
                reason: format!(
                    "{name} would be {} bytes, more than zkc's limit of {MAX_ARTIFACT_FILE_BYTES} bytes per artifact file (the model has too many parameters)",
                    bytes.len()
                ),
            });
        }
    }
    write_dir_atomically(dir, &files)?;
    Ok(commitment)
}

/// The IR after the import and after every pass (float, then
/// quantization), as `zkc inspect` prints it.
pub fn inspect(model: &Path, opts: &QuantOptions) -> Result<Vec<(String, String)>> {
    let mut stages = vec![];
    let mut err = None;
    let mut record = |name: &str, g: &Graph| match print_graph(g) {
        Ok(text) => stages.push((name.to_string(), text)),
        Err(e) => err = Some(e),
    };
    let float = compile_float(model, &mut record)?;
    quantize(&float, opts, |name, g| record(name, g))?;
    if let Some(e) = err {
        return Err(e.into());
    }
    Ok(stages)
}

/// Pretty JSON with a trailing newline.
pub fn json_bytes<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    let mut b = serde_json::to_vec_pretty(v).map_err(|e| crate::DriverError::Io {
        path: "<json>".into(),
        reason: e.to_string(),
    })?;
    b.push(b'\n');
    Ok(b)
}
