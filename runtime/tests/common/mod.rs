//! Helpers shared by the interpreter tests (integer helpers unprefixed,
//! float helpers prefixed with `f`).
#![allow(dead_code)]

use zkc_ir::{parse_graph, print_graph, validate, Graph, Stage};
use zkc_runtime::{run_float, run_int, RuntimeError};

/// Parses, validates for `stage`, checks the print/parse round trip.
pub fn parsed(text: &str, stage: Stage) -> Graph {
    let g = parse_graph(text).unwrap_or_else(|e| panic!("parse failed: {e}\n{text}"));
    validate(&g, stage).unwrap_or_else(|e| panic!("invalid graph: {e}\n{text}"));
    let printed = print_graph(&g).unwrap();
    let again = parse_graph(&printed).unwrap_or_else(|e| panic!("reparse failed: {e}\n{printed}"));
    assert_eq!(
        print_graph(&again).unwrap(),
        printed,
        "print/parse round trip"
    );
    g
}

/// A quantized graph from IR text.
pub fn graph(text: &str) -> Graph {
    parsed(text, Stage::Quantized)
}

pub fn run(text: &str, inputs: &[Vec<i64>]) -> Vec<Vec<i64>> {
    run_int(&graph(text), inputs)
        .unwrap_or_else(|e| panic!("run failed: {e}"))
        .outputs()
}

pub fn run1(text: &str, inputs: &[Vec<i64>]) -> Vec<i64> {
    let mut outs = run(text, inputs);
    assert_eq!(outs.len(), 1);
    outs.remove(0)
}

pub fn iota(n: usize, start: i64) -> Vec<i64> {
    (0..n as i64).map(|i| start + i).collect()
}

/// The error inside `AtNode`, after checking the node's kind.
pub fn at_node<'a>(err: &'a RuntimeError, want_kind: &str) -> &'a RuntimeError {
    match err {
        RuntimeError::AtNode { kind, error, .. } => {
            assert_eq!(*kind, want_kind, "{err}");
            error
        }
        other => panic!("expected AtNode, got {other:?}"),
    }
}

// ---- float helpers ----

/// A float graph from IR text.
pub fn fgraph(text: &str) -> Graph {
    parsed(text, Stage::Float)
}

/// Runs a one-input graph and returns its outputs.
pub fn frun(text: &str, inputs: &[Vec<f32>]) -> Vec<Vec<f32>> {
    run_float(&fgraph(text), inputs)
        .unwrap_or_else(|e| panic!("run failed: {e}"))
        .outputs()
}

/// Runs a graph with one output and returns it.
pub fn frun1(text: &str, inputs: &[Vec<f32>]) -> Vec<f32> {
    let mut outs = frun(text, inputs);
    assert_eq!(outs.len(), 1);
    outs.remove(0)
}

pub fn assert_close(got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "length: got {got:?}, want {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let tol = 1e-6 * w.abs().max(1.0);
        assert!(
            (g - w).abs() <= tol,
            "element {i}: got {g}, want {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

pub fn fiota(n: usize, start: f32) -> Vec<f32> {
    (0..n).map(|i| start + i as f32).collect()
}

pub const BRIEF_CONV: &str = "graph t {
  %0 = input 0 : f32[1,1,3,3]
  %1 = const [1,0,0,0,1,0,0,0,1] : f32[1,1,3,3]
  %2 = const [0.5] : f32[1]
  %3 = conv %0, %1, %2 kernel=[3,3] strides=[1,1] pads=[1,1,1,1] dilations=[1,1] groups=1 act=relu : f32[1,1,3,3]
  output %3
}
";
