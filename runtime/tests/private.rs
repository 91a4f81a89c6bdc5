//! Private parameters in the interpreters: the integer runtime evaluates
//! them to their values; a published (redacted) graph and the float
//! interpreter refuse them.

mod common;

use common::{at_node, graph};
use zkc_ir::{Op, Private, Tensor};
use zkc_runtime::{eval_op_f32, eval_op_i64, run_int, RuntimeError};

const GEMM: &str = "graph t {
  %0 = input 0 : q0[1,2]
  %1 = private [2,-3] lo=-8 hi=7 : q0[2,1] # fc.weight
  %2 = private [5] lo=-100 hi=100 : q0[1] # fc.bias
  %3 = gemm %0, %1, %2 : q0[1,1] # fc
  output %3
}";

#[test]
fn private_parameters_evaluate_to_their_values() {
    let g = graph(GEMM);
    let run = run_int(&g, &[vec![10, 1]]).unwrap();
    assert_eq!(run.outputs(), vec![vec![20 - 3 + 5]]);
    let w = g.ids()[1];
    assert_eq!(run.value(w), Some(&[2i64, -3][..]));
}

#[test]
fn a_published_graph_cannot_be_run() {
    let mut g = graph(GEMM);
    g.redact_private();
    let err = run_int(&g, &[vec![10, 1]]).unwrap_err();
    let inner = at_node(&err, "private");
    assert!(matches!(inner, RuntimeError::Unsupported { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("private parameter fc.weight has no values (a published graph cannot be run)"),
        "{msg}"
    );
}

#[test]
fn eval_op_checks_private_values() {
    let p = |v: Vec<i64>| {
        Op::Private(Private {
            values: Some(Tensor::i64(vec![v.len()], v).unwrap()),
            lo: -1,
            hi: 1,
        })
    };
    assert_eq!(
        eval_op_i64(&p(vec![-1, 0, 1]), &[], &[], &[3])
            .unwrap()
            .values,
        vec![-1, 0, 1]
    );
    let err = eval_op_i64(&p(vec![-1, 2, 1]), &[], &[], &[3]).unwrap_err();
    assert!(
        err.to_string()
            .contains("element 1 is 2, outside its declared range [-1, 1]"),
        "{err}"
    );
    assert!(eval_op_i64(&p(vec![0, 0, 0]), &[], &[], &[2]).is_err());
    let hidden = Op::Private(Private {
        values: None,
        lo: 0,
        hi: 0,
    });
    let err = eval_op_i64(&hidden, &[], &[], &[1]).unwrap_err();
    assert!(err.to_string().contains("has no values"), "{err}");
    let err = eval_op_f32(&p(vec![0, 0, 0]), &[], &[], &[3]).unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::Unsupported {
                kind: "private",
                ..
            }
        ),
        "{err:?}"
    );
}
