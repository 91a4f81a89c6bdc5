//! Helpers: quantized models and their traces.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use zkc_circuit::{instance_of, plan, ModelCircuit};
use zkc_ir::Graph;
use zkc_passes::{calibrate, synthetic_samples, Pipeline, QuantConfig};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The op-coverage models (`models/ops/*.onnx`), sorted: `(name, path)`.
pub fn op_models() -> Vec<(String, PathBuf)> {
    let dir = root().join("models/ops");
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("models/ops/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().to_string(), p))
        .collect();
    v.sort();
    assert!(v.len() >= 9, "expected the op-coverage models");
    v
}

/// Imports, runs the float and quantization pipelines (synthetic
/// calibration, 8 bits) on an ONNX file.
pub fn quantized(path: &Path, bits: u32) -> Graph {
    let mut g = zkc_onnx::import_file(path).unwrap().graph;
    Pipeline::float().run(&mut g, |_, _| {}).unwrap();
    let cal = calibrate(&g, &synthetic_samples(&g, 16, 1)).unwrap();
    Pipeline::quantize(QuantConfig::new(bits, bits, false), cal)
        .run(&mut g, |_, _| {})
        .unwrap();
    g
}

/// Quantized graph from IR text (already quantized).
pub fn from_text(text: &str) -> Graph {
    let g = zkc_ir::parse_graph(text).unwrap();
    zkc_ir::validate(&g, zkc_ir::Stage::Quantized).unwrap();
    g
}

/// A deterministic integer input inside each graph input's bound.
pub fn inputs(g: &Graph, seed: u64) -> Vec<Vec<i64>> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    g.inputs_list()
        .iter()
        .map(|&id| {
            let b = g.ty(id).bound.clone().unwrap();
            let (lo, hi): (i64, i64) = ((&b.lo).try_into().unwrap(), (&b.hi).try_into().unwrap());
            (0..zkc_ir::numel(g.shape(id)))
                .map(|_| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    lo + (s % ((hi - lo + 1) as u64)) as i64
                })
                .collect()
        })
        .collect()
}

/// The circuit of `g` with a witness for `inputs`, and its public values.
pub fn circuit(g: &Graph, inputs: &[Vec<i64>]) -> (ModelCircuit, Vec<halo2_proofs::pasta::Fp>) {
    let run = zkc_runtime::run_int(g, inputs).unwrap();
    let inst = instance_of(g, &run).unwrap();
    let p = plan(g).unwrap();
    (
        ModelCircuit::new(Arc::new(g.clone()), Arc::new(p), Some(Arc::new(run))),
        inst,
    )
}

/// A quantized graph from float IR text (synthetic calibration, 8 bits).
pub fn quantized_text(text: &str) -> Graph {
    let mut g = zkc_ir::parse_graph(text).unwrap();
    Pipeline::float().run(&mut g, |_, _| {}).unwrap();
    let cal = calibrate(&g, &synthetic_samples(&g, 16, 1)).unwrap();
    Pipeline::quantize(QuantConfig::default(), cal)
        .run(&mut g, |_, _| {})
        .unwrap();
    g
}

/// A circuit with its honest witness (which must satisfy it: MockProver),
/// its public values, trace and every advice cell it writes.
pub struct Logged {
    pub g: Graph,
    pub c: ModelCircuit,
    pub inst: Vec<halo2_proofs::pasta::Fp>,
    pub cells: Vec<zkc_circuit::CellRecord>,
    pub run: zkc_runtime::IntRun,
}

impl Logged {
    /// Lays out `g` on inputs `x`; panics unless the honest witness passes.
    pub fn new(g: Graph, x: &[Vec<i64>]) -> Self {
        let (c, inst) = circuit(&g, x);
        let log = Arc::new(std::sync::Mutex::new(vec![]));
        let f = zkc_circuit::adversary::mock_verify(&c.logging(log.clone()), &inst).unwrap();
        assert!(f.is_empty(), "the honest witness fails: {f:?}");
        let cells = log.lock().unwrap().clone();
        let run = zkc_runtime::run_int(&g, x).unwrap();
        Logged {
            g,
            c,
            inst,
            cells,
            run,
        }
    }
    /// The node named `name`.
    pub fn node(&self, name: &str) -> zkc_ir::NodeId {
        self.g
            .ids()
            .into_iter()
            .find(|&id| self.g.node(id).name == name)
            .unwrap_or_else(|| panic!("no node {name}"))
    }
    /// The cells with `role` of element `e` of node `id`, by row then column.
    pub fn cells_of(
        &self,
        id: zkc_ir::NodeId,
        role: &str,
        e: usize,
    ) -> Vec<zkc_circuit::CellRecord> {
        let mut v: Vec<_> = self
            .cells
            .iter()
            .filter(|r| r.node == Some(id) && r.role == role && r.element == e)
            .cloned()
            .collect();
        v.sort_by_key(|r| (r.row, r.column));
        v
    }
    /// The cells with `role` of element `e` of node `name`.
    pub fn cells(&self, name: &str, role: &str, e: usize) -> Vec<zkc_circuit::CellRecord> {
        self.cells_of(self.node(name), role, e)
    }
    /// The first cell with `role` of element `e` of node `name`.
    pub fn cell(&self, name: &str, role: &str, e: usize) -> zkc_circuit::CellRecord {
        self.cells(name, role, e)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no {role} cell for {name}[{e}]"))
    }
    /// The trace value of element `e` of node `name`.
    pub fn value(&self, name: &str, e: usize) -> i64 {
        self.run.value(self.node(name)).unwrap()[e]
    }
}

/// The honest witness of `c` with public values `inst` satisfies every
/// constraint; returns the cells its layout logged.
pub fn mock_logged(
    c: &ModelCircuit,
    inst: &[halo2_proofs::pasta::Fp],
) -> Vec<zkc_circuit::CellRecord> {
    let log = Arc::new(std::sync::Mutex::new(vec![]));
    let f = zkc_circuit::adversary::mock_verify(&c.logging(log.clone()), inst).unwrap();
    assert!(f.is_empty(), "honest witness fails: {f:?}");
    let cells = log.lock().unwrap().clone();
    cells
}

/// A determinacy report with no undetermined and no unconstrained cell.
pub fn assert_determined(rep: &zkc_circuit::analysis::determinacy::Report) {
    assert!(
        rep.undetermined.is_empty(),
        "undetermined: {:?}",
        &rep.undetermined[..rep.undetermined.len().min(8)]
    );
    assert!(
        rep.unconstrained.is_empty(),
        "unconstrained: {:?}",
        rep.unconstrained
    );
}
