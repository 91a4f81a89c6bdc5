//! Helpers shared by the integer runtime tests.
#![allow(dead_code)]

use zkc_ir::{parse_graph, print_graph, validate, Graph, Stage};
use zkc_runtime::{run_int, RuntimeError};

/// Parses, validates as a quantized graph, checks the print/parse round trip.
pub fn graph(text: &str) -> Graph {
    let g = parse_graph(text).unwrap_or_else(|e| panic!("parse failed: {e}\n{text}"));
    validate(&g, Stage::Quantized).unwrap_or_else(|e| panic!("invalid graph: {e}\n{text}"));
    let printed = print_graph(&g).unwrap();
    let again = parse_graph(&printed).unwrap_or_else(|e| panic!("reparse failed: {e}\n{printed}"));
    assert_eq!(
        print_graph(&again).unwrap(),
        printed,
        "print/parse round trip"
    );
    g
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
