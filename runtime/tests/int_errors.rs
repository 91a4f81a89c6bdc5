//! Integer runtime tests: the trace, input checks, errors, and the float
//! conversions of inputs and outputs.

mod common;

use common::{at_node, graph};
use zkc_ir::{parse_graph, Clamp, Graph, Op, Tensor, ValueType, Window};
use zkc_runtime::{dequantize, eval_op_i64, quantize_input, run_int, RuntimeError};

#[test]
fn trace_and_output_order() {
    // Inputs are matched by index, not by position in the text; outputs keep their order.
    let text = "graph t {
  %0 = input 1 : q0[2]
  %1 = input 0 : q0[2]
  %2 = sub %1, %0 : q0[2]
  %3 = mul %2, %2 : q0[2]
  %4 = rescale %3 mult=1 shift=2 lo=-3 hi=3 : q-2[2]
  output %4, %2
}";
    let g = graph(text);
    let run = run_int(&g, &[vec![5, 5], vec![1, 2]]).unwrap();
    // input0 - input1 = [4,3]; squared [16,9]; /4 = [4, 2.25] -> [4,2] -> clamp [3,2].
    assert_eq!(run.outputs(), vec![vec![3, 2], vec![4, 3]]);
    let sub = run.output_ids()[1];
    assert_eq!(run.value(sub), Some(&[4i64, 3][..]));
    assert_eq!(run.shape(sub), Some(&[2usize][..]));
    assert_eq!((run.len(), run.is_empty()), (5, false));
    assert_eq!(run.clamped(run.output_ids()[0]), 1);
    assert_eq!(run.total_clamped(), 1);
    let order: Vec<_> = run.iter().map(|(id, _)| id).collect();
    assert_eq!(order, g.topo_order().unwrap());
}

const GEMM: &str = "graph t {
  %0 = input 0 : q0[1,2]
  %1 = const [1,1] : q0[2,1]
  %2 = const [-1] : q0[1]
  %3 = gemm %0, %1, %2 : q0[1,1] # /fc
  output %3
}";

#[test]
fn wrong_number_of_inputs() {
    let g = graph(GEMM);
    for given in [vec![], vec![vec![0; 2], vec![0; 2]]] {
        let err = run_int(&g, &given).unwrap_err();
        assert!(
            matches!(err, RuntimeError::InputCount { expected: 1, got } if got == given.len()),
            "{err:?}"
        );
    }
}

#[test]
fn wrong_input_length() {
    let err = run_int(&graph(GEMM), &[vec![0; 3]]).unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::InputLength {
                index: 0,
                expected: 2,
                got: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("3 were given"), "{err}");
}

#[test]
fn input_outside_its_declared_bound() {
    let text = "graph t {
  %0 = input 0 : q4[2] in [-8,7]
  %1 = input 1 : q4[2]
  %2 = add %0, %1 : q4[2]
  output %2
}";
    let g = graph(text);
    let big = vec![i64::MAX - 7, i64::MIN];
    assert_eq!(
        run_int(&g, &[vec![7, 7], big]).unwrap().outputs(),
        vec![vec![i64::MAX, i64::MIN + 7]]
    );
    assert!(run_int(&g, &[vec![-8, 7], vec![0, 0]]).is_ok());
    for (x, position, value) in [(vec![7, 8], 1, 8), (vec![-9, 0], 0, -9)] {
        let err = run_int(&g, &[x, vec![0, 0]]).unwrap_err();
        assert!(
            matches!(err, RuntimeError::InputOutOfBound { index: 0, position: p, value: v, .. } if p == position && v == value),
            "{err:?}"
        );
        assert!(err.to_string().contains("[-8, 7]"), "{err}");
    }
    // Bounds wider than i64 admit every i64; bounds beyond it admit none.
    let wide = text.replace("[-8,7]", "[-100000000000000000000,100000000000000000000]");
    let g = graph(&wide);
    assert!(run_int(&g, &[vec![i64::MIN, i64::MAX], vec![0, 0]]).is_ok());
    let beyond = text.replace("[-8,7]", "[100000000000000000000,100000000000000000001]");
    let err = run_int(&graph(&beyond), &[vec![i64::MAX, 0], vec![0, 0]]).unwrap_err();
    assert!(
        matches!(err, RuntimeError::InputOutOfBound { position: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn i64_overflow_is_an_error_naming_the_node() {
    let g = graph(GEMM);
    // 2^62 + 2^62 - 1 = i64::MAX: the partial sum 2^63 exceeds i64, the result does not.
    let x = 1i64 << 62;
    assert_eq!(
        run_int(&g, &[vec![x, x]]).unwrap().outputs(),
        vec![vec![i64::MAX]]
    );
    let err = run_int(&g, &[vec![x, x + 1]]).unwrap_err();
    assert!(
        matches!(
            at_node(&err, "gemm"),
            RuntimeError::Overflow { kind: "gemm", .. }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("/fc") && msg.contains("overflow"), "{msg}");
    // Elementwise ops: `%0 <op> 2` and `2 - %0`.
    for (op, x) in [
        ("add %0, %1", i64::MAX - 1),
        ("mul %0, %1", i64::MIN / 2 - 1),
        ("sub %1, %0", i64::MIN + 1),
    ] {
        let text = format!(
            "graph t {{
  %0 = input 0 : q0[1]
  %1 = const [2] : q0[1]
  %2 = {op} : q0[1]
  output %2
}}"
        );
        let g = graph(&text);
        let kind = &op[..3];
        assert!(run_int(&g, &[vec![x / 2]]).is_ok());
        let err = run_int(&g, &[vec![x]]).unwrap_err();
        assert!(
            matches!(at_node(&err, kind), RuntimeError::Overflow { kind: k, .. } if *k == kind),
            "{err:?}"
        );
    }
}

#[test]
fn float_constant_is_refused() {
    let op = Op::Const(Tensor::f32(vec![1], vec![0.5]).unwrap());
    let err = eval_op_i64(&op, &[], &[], &[1]).unwrap_err();
    assert!(
        matches!(err, RuntimeError::Unsupported { kind: "const", .. }),
        "{err:?}"
    );
    // A float constant typed as an integer (the validator would refuse it).
    let mut g = Graph::new("t");
    let x = g
        .add(Op::Input { index: 0 }, &[], ValueType::int(vec![1], 0), "x")
        .unwrap();
    let c = g.add(op, &[], ValueType::int(vec![1], 0), "c").unwrap();
    let y = g
        .add(
            Op::Add { act: None },
            &[x, c],
            ValueType::int(vec![1], 0),
            "y",
        )
        .unwrap();
    g.set_outputs(vec![y]).unwrap();
    let err = run_int(&g, &[vec![1]]).unwrap_err();
    assert!(err.to_string().contains("float constant"), "{err}");
    assert!(matches!(
        at_node(&err, "const"),
        RuntimeError::Unsupported { .. }
    ));
    // A float-typed value in an otherwise integer graph.
    let text = "graph t {
  %0 = input 0 : q0[1]
  %1 = const [0.5] : f32[1]
  %2 = add %0, %1 : q0[1]
  output %2
}";
    let err = run_int(&parse_graph(text).unwrap(), &[vec![1]]).unwrap_err();
    assert!(matches!(
        at_node(&err, "const"),
        RuntimeError::Unsupported { .. }
    ));
}

#[test]
fn float_only_ops_are_refused() {
    let window = Window {
        kernel: vec![1, 1],
        strides: vec![1, 1],
        dilations: vec![1, 1],
        pads: vec![0; 4],
    };
    let x: &[i64] = &[1, 2];
    let s: &[usize] = &[1, 2, 1, 1];
    let c: &[usize] = &[2];
    type Case<'a> = (Op, Vec<&'a [i64]>, Vec<&'a [usize]>);
    let cases: Vec<Case> = vec![
        (Op::Relu, vec![x], vec![s]),
        (Op::Sigmoid, vec![x], vec![s]),
        (Op::Tanh, vec![x], vec![s]),
        (Op::Clip(Clamp::RELU), vec![x], vec![s]),
        (Op::LeakyRelu { alpha: 0.1 }, vec![x], vec![s]),
        (Op::Div, vec![x, x], vec![s, s]),
        (Op::GlobalAvgPool, vec![x], vec![s]),
        (
            Op::AvgPool {
                window,
                ceil_mode: false,
                count_include_pad: false,
            },
            vec![x],
            vec![s],
        ),
        (
            Op::BatchNorm { epsilon: 1e-5 },
            vec![x, x, x, x, x],
            vec![s, c, c, c, c],
        ),
        (
            Op::Add {
                act: Some(Clamp::RELU),
            },
            vec![x, x],
            vec![s, s],
        ),
        (
            Op::ScaleShift {
                act: Some(Clamp { lo: 0.0, hi: 6.0 }),
            },
            vec![x, x, x],
            vec![s, c, c],
        ),
    ];
    for (op, ins, shapes) in cases {
        let err = eval_op_i64(&op, &ins, &shapes, s).unwrap_err();
        assert!(
            matches!(err, RuntimeError::Unsupported { kind, .. } if kind == op.kind()),
            "{op:?}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains("float-only op in the integer runtime"),
            "{err}"
        );
    }
    // In a graph, the failing node is named.
    let text = "graph t {
  %0 = input 0 : q0[2]
  %1 = relu %0 : q0[2] # /relu
  output %1
}";
    let err = run_int(&parse_graph(text).unwrap(), &[vec![1, -1]]).unwrap_err();
    assert!(err.to_string().contains("/relu"), "{err}");
    assert!(matches!(
        at_node(&err, "relu"),
        RuntimeError::Unsupported { .. }
    ));
}

#[test]
fn eval_op_refuses_input_and_bad_shapes() {
    let err = eval_op_i64(&Op::Input { index: 0 }, &[], &[], &[1]).unwrap_err();
    assert!(
        matches!(err, RuntimeError::Unsupported { kind: "input", .. }),
        "{err:?}"
    );
    let add = Op::Add { act: None };
    assert!(eval_op_i64(&add, &[&[1], &[1, 2]], &[&[1], &[1]], &[1]).is_err());
    assert!(eval_op_i64(&add, &[&[1], &[1]], &[&[1], &[1]], &[2]).is_err());
    assert!(eval_op_i64(&add, &[&[1]], &[&[1]], &[1]).is_err());
    assert!(eval_op_i64(&add, &[&[1, 2], &[1, 2, 3]], &[&[2], &[3]], &[3]).is_err());
    let gemm = Op::Gemm { act: None };
    let err = eval_op_i64(
        &gemm,
        &[&[1, 2], &[1, 2], &[0]],
        &[&[1, 2], &[1, 2], &[1]],
        &[1, 1],
    );
    assert!(
        matches!(err, Err(RuntimeError::InvalidOp { kind: "gemm", .. })),
        "{err:?}"
    );
    // A max pool window entirely in the padding.
    let op = Op::MaxPool {
        window: Window {
            kernel: vec![1, 1],
            strides: vec![1, 1],
            dilations: vec![1, 1],
            pads: vec![1, 1, 1, 1],
        },
        ceil_mode: false,
    };
    assert!(eval_op_i64(&op, &[&[1]], &[&[1, 1, 1, 1]], &[1, 1, 3, 3]).is_err());
}

#[test]
fn quantize_and_dequantize() {
    // Round half away from zero at frac 1: 1.5 -> 2, -1.5 -> -2, -0.5 -> -1; 200 clamps.
    let (q, clamped) = quantize_input(&[0.75, -0.75, -0.25, 100.0, 0.0], 1, -128, 127).unwrap();
    assert_eq!((q.as_slice(), clamped), (&[2, -2, -1, 127, 0][..], 1));
    let (q, clamped) = quantize_input(&[-3.0, 5.0], -1, 0, 127).unwrap();
    assert_eq!((q, clamped), (vec![0, 3], 1)); // -1.5 -> -2 -> 0; 2.5 -> 3
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let err = quantize_input(&[1.0, bad], 4, -128, 127).unwrap_err();
        assert!(
            matches!(err, RuntimeError::NonFiniteQuantize { position: 1, .. }),
            "{err:?}"
        );
    }
    assert!(matches!(
        quantize_input(&[1.0], 0, 1, 0),
        Err(RuntimeError::EmptyRange { lo: 1, hi: 0 })
    ));
    assert_eq!(dequantize(&[3, -5, 0], 2), vec![0.75, -1.25, 0.0]);
    assert_eq!(dequantize(&[3], -3), vec![24.0]);
    let x = [0.5f32, -1.25, 3.0, -7.75];
    let (q, _) = quantize_input(&x, 4, -128, 127).unwrap();
    assert_eq!(dequantize(&q, 4), x.to_vec());
}
