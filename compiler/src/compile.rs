//! `zkc compile` and `zkc inspect`: ONNX to IR through the pass pipeline.

use std::path::Path;

use zkc_ir::{print_graph, print_graph_full, Graph};
use zkc_passes::Pipeline;

use crate::artifact::{write_dir_atomically, Manifest, ManifestInput, FORMAT_VERSION};
use crate::report::{graph_stats, pass_lines, Report};
use crate::Result;

/// A model compiled through the float pipeline.
pub struct Compiled {
    /// The float graph after the pipeline.
    pub graph: Graph,
    /// The manifest to write.
    pub manifest: Manifest,
    /// The report to write.
    pub report: Report,
}

/// Imports `model` and runs the float pipeline. `after` sees the graph after
/// the import (as pass `import`) and after every pass.
pub fn compile_float(model: &Path, mut after: impl FnMut(&str, &Graph)) -> Result<Compiled> {
    let imported = zkc_onnx::import_file(model)?;
    let mut graph = imported.graph;
    after("import", &graph);
    let reports = Pipeline::float().run(&mut graph, |name, g| after(name, g))?;
    let (ops, macs, params) = graph_stats(&graph);
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        zkc_version: env!("CARGO_PKG_VERSION").to_string(),
        model: graph.name.clone(),
        source: model.display().to_string(),
        inputs: imported
            .inputs
            .iter()
            .map(|i| ManifestInput {
                name: i.name.clone(),
                shape: i.shape.clone(),
            })
            .collect(),
        outputs: imported.outputs.clone(),
    };
    let report = Report {
        model: graph.name.clone(),
        source: model.display().to_string(),
        opset: imported.opset,
        ops,
        macs,
        params,
        passes: pass_lines(&reports),
    };
    Ok(Compiled {
        graph,
        manifest,
        report,
    })
}

/// Writes the artifact directory for a compiled model (atomically).
pub fn write_artifact(dir: &Path, c: &Compiled) -> Result<()> {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("manifest.json", json_bytes(&c.manifest)?),
        ("report.json", json_bytes(&c.report)?),
        ("float.ir", print_graph_full(&c.graph)?.into_bytes()),
    ];
    write_dir_atomically(dir, &files)
}

/// The IR after the import and after every pass, as `zkc inspect` prints it.
pub fn inspect(model: &Path) -> Result<Vec<(String, String)>> {
    let mut stages = vec![];
    let mut err = None;
    compile_float(model, |name, g| match print_graph(g) {
        Ok(text) => stages.push((name.to_string(), text)),
        Err(e) => err = Some(e),
    })?;
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
