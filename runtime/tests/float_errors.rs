//! Float interpreter errors: wrong inputs, overflow, division by zero and
//! contract violations are errors, never panics.

mod common;

use common::*;
use zkc_ir::{Clamp, Op, Window};
use zkc_runtime::{eval_op_f32, run_float, RuntimeError};

// ---- errors -------------------------------------------------------------------------

#[test]
fn wrong_number_of_inputs() {
    let g = fgraph(BRIEF_CONV);
    for given in [vec![], vec![vec![0.0; 9], vec![0.0; 9]]] {
        let err = run_float(&g, &given).unwrap_err();
        assert!(
            matches!(err, RuntimeError::InputCount { expected: 1, got } if got == given.len()),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("takes 1 input") && msg.contains(&format!("{} were given", given.len())),
            "{msg}"
        );
    }
}

#[test]
fn wrong_input_length() {
    let g = fgraph(BRIEF_CONV);
    let err = run_float(&g, &[vec![0.0; 8]]).unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::InputLength {
                index: 0,
                expected: 9,
                got: 8,
                ..
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("[1, 1, 3, 3]") && msg.contains("needs 9") && msg.contains("8 were given"),
        "{msg}"
    );
}

#[test]
fn non_finite_input() {
    let g = fgraph(BRIEF_CONV);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut x = vec![0.0; 9];
        x[3] = bad;
        let err = run_float(&g, &[x]).unwrap_err();
        assert!(
            matches!(
                err,
                RuntimeError::NonFiniteInput {
                    index: 0,
                    position: 3,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("element 3"), "{err}");
    }
}

#[test]
fn overflow_is_an_error_naming_the_node() {
    let text = "graph t {
  %0 = input 0 : f32[1]
  %1 = const [10000000000000000000000000000000] : f32[1]
  %2 = mul %0, %1 : f32[1] # /big/Mul
  output %2
}";
    let g = fgraph(text);
    assert_eq!(
        run_float(&g, &[vec![2.0]]).unwrap().outputs(),
        vec![vec![2e31]]
    );
    let err = run_float(&g, &[vec![1e10]]).unwrap_err();
    assert!(
        matches!(err, RuntimeError::NonFiniteValue { kind: "mul", .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("/big/Mul"), "{err}");
}

#[test]
fn division_by_zero_is_an_error() {
    let text = "graph t {
  %0 = input 0 : f32[2]
  %1 = const [2,0] : f32[2]
  %2 = div %0, %1 : f32[2] # /d
  output %2
}";
    let err = run_float(&fgraph(text), &[vec![1.0, 1.0]]).unwrap_err();
    let RuntimeError::AtNode {
        kind, name, error, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*kind, name.as_str()), ("div", "/d"));
    assert!(
        matches!(**error, RuntimeError::InvalidOp { kind: "div", .. }),
        "{error:?}"
    );
    assert!(err.to_string().contains("division by zero"), "{err}");
}

#[test]
fn eval_op_refuses_input_integer_ops_and_bad_shapes() {
    let input = eval_op_f32(&Op::Input { index: 0 }, &[], &[], &[1]).unwrap_err();
    assert!(
        matches!(input, RuntimeError::Unsupported { kind: "input", .. }),
        "{input:?}"
    );
    let rescale = Op::Rescale {
        mult: vec![1],
        shift: 1,
        lo: -128,
        hi: 127,
    };
    let err = eval_op_f32(&rescale, &[&[1.0]], &[&[1]], &[1]).unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::Unsupported {
                kind: "rescale",
                ..
            }
        ),
        "{err:?}"
    );
    let table = Op::Table {
        name: "sigmoid".into(),
        lo: 0,
        values: vec![0, 1],
    };
    let err = eval_op_f32(&table, &[&[1.0]], &[&[1]], &[1]).unwrap_err();
    assert!(
        matches!(err, RuntimeError::Unsupported { kind: "table", .. }),
        "{err:?}"
    );

    // Data length not matching the shape, wrong declared output, wrong arity: errors, no panic.
    let add = Op::Add { act: None };
    assert!(eval_op_f32(&add, &[&[1.0], &[1.0, 2.0]], &[&[1], &[1]], &[1]).is_err());
    assert!(eval_op_f32(&add, &[&[1.0], &[1.0]], &[&[1], &[1]], &[2]).is_err());
    assert!(eval_op_f32(&add, &[&[1.0]], &[&[1]], &[1]).is_err());
    assert!(eval_op_f32(&add, &[&[1.0, 2.0], &[1.0, 2.0, 3.0]], &[&[2], &[3]], &[3]).is_err());
    let window = Window {
        kernel: vec![2, 2],
        strides: vec![1, 1],
        dilations: vec![1, 1],
        pads: vec![0, 0, 0, 0],
    };
    let conv_t = Op::ConvTranspose {
        window: window.clone(),
        groups: 1,
        output_padding: vec![0, 0],
        act: None,
    };
    let w = [0.0; 4];
    let err = eval_op_f32(
        &conv_t,
        &[&[], &w, &[0.0]],
        &[&[1, 1, 0, 2], &[1, 1, 2, 2], &[1]],
        &[1, 1, 1, 3],
    );
    assert!(err.is_err());
    let conv = Op::Conv {
        window,
        groups: 1,
        act: None,
    };
    let x = [0.0; 4];
    // Kernel larger than the input.
    let err = eval_op_f32(
        &conv,
        &[&x, &[0.0; 9], &[0.0]],
        &[&[1, 1, 2, 2], &[1, 1, 3, 3], &[1]],
        &[1, 1, 1, 1],
    );
    assert!(
        matches!(err, Err(RuntimeError::InvalidOp { kind: "conv", .. })),
        "{err:?}"
    );
}

#[test]
fn eval_op_conv_matches_graph_run() {
    // Direct call of the single-op entry point on the brief's conv.
    let window = Window {
        kernel: vec![3, 3],
        strides: vec![1, 1],
        dilations: vec![1, 1],
        pads: vec![1, 1, 1, 1],
    };
    let op = Op::Conv {
        window,
        groups: 1,
        act: Some(Clamp::RELU),
    };
    let x = fiota(9, 1.0);
    let w = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let y = eval_op_f32(
        &op,
        &[&x, &w, &[0.5]],
        &[&[1, 1, 3, 3], &[1, 1, 3, 3], &[1]],
        &[1, 1, 3, 3],
    )
    .unwrap();
    assert_eq!(y, vec![6.5, 8.5, 3.5, 12.5, 15.5, 8.5, 7.5, 12.5, 14.5]);
}

#[test]
fn pool_window_entirely_in_padding_is_an_error() {
    // pad 2 >= kernel 1: the first output's window sees only padding.
    let op = Op::MaxPool {
        window: Window {
            kernel: vec![1, 1],
            strides: vec![1, 1],
            dilations: vec![1, 1],
            pads: vec![1, 1, 1, 1],
        },
        ceil_mode: false,
    };
    let err = eval_op_f32(&op, &[&[1.0]], &[&[1, 1, 1, 1]], &[1, 1, 3, 3]).unwrap_err();
    assert!(err.to_string().contains("padding"), "{err}");
}
