//! `report.json`: what a compiled model contains and costs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use zkc_ir::{geometry, Graph, Op};
use zkc_passes::PassReport;

/// One pass of the pipeline, as reported.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PassLine {
    /// Pass name.
    pub pass: String,
    /// Rewrites made.
    pub changes: usize,
    /// Nodes after the pass.
    pub nodes: usize,
    /// What the pass had to give up, and where (e.g. capped weight
    /// precision); absent when nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The contents of `report.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Report {
    /// Model name (file stem).
    pub model: String,
    /// The ONNX file compiled.
    pub source: String,
    /// ONNX opset.
    pub opset: i64,
    /// Ops by kind in the compiled graph (constants and inputs excluded).
    pub ops: BTreeMap<String, usize>,
    /// Multiply-accumulates of Conv, ConvTranspose and Gemm.
    pub macs: usize,
    /// Elements of all constants (weights, biases, parameters).
    pub params: usize,
    /// Ops by kind in the quantized graph (what the circuit checks).
    pub quantized_ops: BTreeMap<String, usize>,
    /// Quantization settings and calibration.
    pub quantization: crate::quantize::QuantInfo,
    /// The passes run, in order (float pipeline, then quantization).
    pub passes: Vec<PassLine>,
    /// log2 of the circuit's rows.
    pub k: u32,
    /// Rows the model uses (of `2^k`).
    pub rows: usize,
    /// Advice columns.
    pub advice_columns: usize,
    /// Fixed columns.
    pub fixed_columns: usize,
    /// Lookup arguments.
    pub lookups: usize,
    /// Public values (input and output elements).
    pub instance_values: usize,
    /// Circuit rows per op kind.
    pub rows_by_op: BTreeMap<String, usize>,
    /// Lanes per chip, e.g. `mac32 arith2 rescale2 max0 table0`.
    pub circuit_shape: String,
    /// Width of the range table.
    pub range_bits: u32,
}

/// Counts ops by kind, MACs and parameters of a graph.
pub fn graph_stats(g: &Graph) -> (BTreeMap<String, usize>, usize, usize) {
    let mut ops = BTreeMap::new();
    let (mut macs, mut params) = (0, 0);
    for id in g.ids() {
        let op = g.op(id);
        match op {
            Op::Input { .. } => continue,
            Op::Const(t) => {
                params += t.len();
                continue;
            }
            _ => {}
        }
        *ops.entry(op.kind().to_string()).or_insert(0) += 1;
        let ins = g.inputs(id);
        let sh = |i: usize| g.shape(ins[i]);
        if ins.len() == 3 {
            if let Some(d) = geometry::dot_products(op, sh(0), sh(1), g.shape(id)) {
                macs += d.macs();
            }
        }
    }
    (ops, macs, params)
}

/// Converts pipeline reports.
pub fn pass_lines(r: &[PassReport]) -> Vec<PassLine> {
    r.iter()
        .map(|p| PassLine {
            pass: p.pass.to_string(),
            changes: p.changes,
            nodes: p.nodes,
            notes: p.notes.clone(),
        })
        .collect()
}
