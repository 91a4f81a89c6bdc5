//! Integer runtime tests: small quantized graphs written as IR text, expected
//! integers computed by hand (the comments show the arithmetic).

mod common;

use common::{at_node, graph, iota, run, run1};
use zkc_ir::Op;
use zkc_runtime::{eval_op_i64, run_int, IntValue, RuntimeError};

// ---- arithmetic ops -----------------------------------------------------------------

const CONV: &str = "graph t {
  %0 = input 0 : q4[1,1,3,3]
  %1 = const [2,0,0,0,-1,0,0,0,3] : q0[1,1,3,3]
  %2 = const [5] : q4[1]
  %3 = conv %0, %1, %2 kernel=[3,3] strides=[1,1] pads=[1,1,1,1] dilations=[1,1] groups=1 : q4[1,1,3,3]
  output %3
}
";

#[test]
fn conv_with_padding() {
    // y[i,j] = 5 + 2 x[i-1,j-1] - x[i,j] + 3 x[i+1,j+1], x = [[1,2,3],[4,5,6],[7,8,9]],
    // out-of-range taps read 0: y[0,0] = 5 - 1 + 15 = 19, y[1,1] = 5 + 2 - 5 + 27 = 29,
    // y[2,0] = 5 - 7 = -2, y[2,2] = 5 + 10 - 9 = 6.
    let want = vec![19, 21, 2, 25, 29, 3, -2, 5, 6];
    assert_eq!(run1(CONV, &[iota(9, 1)]), want);
    // The single-op entry point agrees.
    let g = graph(CONV);
    let conv = g.outputs()[0];
    let y = eval_op_i64(
        g.op(conv),
        &[&iota(9, 1), &[2, 0, 0, 0, -1, 0, 0, 0, 3], &[5]],
        &[&[1, 1, 3, 3], &[1, 1, 3, 3], &[1]],
        &[1, 1, 3, 3],
    )
    .unwrap();
    assert_eq!(
        y,
        IntValue {
            values: want,
            clamped: 0
        }
    );
}

#[test]
fn conv_groups_and_stride() {
    // Two groups of one channel, 1x2 kernels, stride 2 over x [1,2,1,4]:
    // channel 0 = [1,2,3,4] with w [1,-1], b 0: [1-2, 3-4] = [-1,-1];
    // channel 1 = [5,6,7,8] with w [2,3], b -10: [10+18-10, 14+24-10] = [18,28].
    let text = "graph t {
  %0 = input 0 : q0[1,2,1,4]
  %1 = const [1,-1,2,3] : q0[2,1,1,2]
  %2 = const [0,-10] : q0[2]
  %3 = conv %0, %1, %2 kernel=[1,2] strides=[1,2] pads=[0,0,0,0] dilations=[1,1] groups=2 : q0[1,2,1,2]
  output %3
}";
    assert_eq!(run1(text, &[iota(8, 1)]), vec![-1, -1, 18, 28]);
}

#[test]
fn conv_transpose() {
    // Stride 2, kernel 2x2, no overlap: y[2i+a, 2j+b] = 10 + x[i,j] * w[a,b],
    // x = [[1,2],[3,4]], w = [[1,-1],[2,3]].
    let text = "graph t {
  %0 = input 0 : q2[1,1,2,2]
  %1 = const [1,-1,2,3] : q1[1,1,2,2]
  %2 = const [10] : q3[1]
  %3 = conv_transpose %0, %1, %2 kernel=[2,2] strides=[2,2] pads=[0,0,0,0] dilations=[1,1] groups=1 output_padding=[0,0] : q3[1,1,4,4]
  output %3
}";
    #[rustfmt::skip]
    let want = vec![
        11, 9, 12, 8,
        12, 13, 14, 16,
        13, 7, 14, 6,
        16, 19, 18, 22,
    ];
    assert_eq!(run1(text, &[iota(4, 1)]), want);
    // Overlapping taps and a begin padding: x = [1,2,3], w = [1,10], stride 1:
    // full scatter [1, 10+2, 20+3, 30], bias -2, the first column padded away.
    let text = "graph t {
  %0 = input 0 : q0[1,1,1,3]
  %1 = const [1,10] : q0[1,1,1,2]
  %2 = const [-2] : q0[1]
  %3 = conv_transpose %0, %1, %2 kernel=[1,2] strides=[1,1] pads=[0,1,0,0] dilations=[1,1] groups=1 output_padding=[0,0] : q0[1,1,1,3]
  output %3
}";
    assert_eq!(run1(text, &[vec![1, 2, 3]]), vec![10, 21, 28]);
}

#[test]
fn gemm() {
    // x = [[1,2,3],[-4,5,-6]], w = [[1,2],[3,4],[5,6]], b = [100,-100]:
    // row 0: [1+6+15, 2+8+18] = [22,28]; row 1: [-4+15-30, -8+20-36] = [-19,-24].
    let text = "graph t {
  %0 = input 0 : q3[2,3]
  %1 = const [1,2,3,4,5,6] : q2[3,2]
  %2 = const [100,-100] : q5[2]
  %3 = gemm %0, %1, %2 : q5[2,2]
  output %3
}";
    assert_eq!(
        run1(text, &[vec![1, 2, 3, -4, 5, -6]]),
        vec![122, -72, 81, -124]
    );
}

#[test]
fn scale_shift() {
    // x [1,2,2] = [[1,2],[3,4]], scale [3,-2], shift [1,5]: [4,7] and [-1,-3].
    let text = "graph t {
  %0 = input 0 : q1[1,2,2]
  %1 = const [3,-2] : q2[2]
  %2 = const [1,5] : q3[2]
  %3 = scale_shift %0, %1, %2 : q3[1,2,2]
  output %3
}";
    assert_eq!(run1(text, &[vec![1, 2, 3, 4]]), vec![4, 7, -1, -3]);
}

#[test]
fn add_sub_mul_broadcasting() {
    // a [2,1] = [1,-2] against b [3] = [10,20,30].
    let text = "graph t {
  %0 = input 0 : q0[2,1]
  %1 = const [10,20,30] : q0[3]
  %2 = add %0, %1 : q0[2,3]
  %3 = sub %0, %1 : q0[2,3]
  %4 = mul %1, %0 : q0[2,3]
  %5 = mul %0, %0 : q0[2,1]
  output %2, %3, %4, %5
}";
    let outs = run(text, &[vec![1, -2]]);
    assert_eq!(outs[0], vec![11, 21, 31, 8, 18, 28]);
    assert_eq!(outs[1], vec![-9, -19, -29, -12, -22, -32]);
    assert_eq!(outs[2], vec![10, 20, 30, -20, -40, -60]);
    assert_eq!(outs[3], vec![1, 4]);
}

#[test]
fn max_pool_padding_never_wins() {
    // x = -[[1,2,3],[4,5,6],[7,8,9]], kernel 2, stride 2, pad 1: windows
    // {x00}, {x01,x02}, {x10,x20}, {x11,x12,x21,x22}; a padded 0 would win each.
    let text = "graph t {
  %0 = input 0 : q0[1,1,3,3]
  %1 = max_pool %0 kernel=[2,2] strides=[2,2] pads=[1,1,1,1] dilations=[1,1] ceil_mode=0 : q0[1,1,2,2]
  output %1
}";
    let x: Vec<i64> = iota(9, 1).iter().map(|v| -v).collect();
    assert_eq!(run1(text, &[x]), vec![-1, -2, -4, -5]);
}

#[test]
fn sum_pool_with_padding() {
    // x = [[1,2,3],[4,5,6],[7,8,9]], kernel 2, stride 1, top/left pad 1:
    // out[i,j] sums rows i-1..i and columns j-1..j that exist.
    let text = "graph t {
  %0 = input 0 : q0[1,1,3,3]
  %1 = sum_pool %0 kernel=[2,2] strides=[1,1] pads=[1,1,0,0] dilations=[1,1] ceil_mode=0 : q0[1,1,3,3]
  output %1
}";
    assert_eq!(
        run1(text, &[iota(9, 1)]),
        vec![1, 3, 5, 5, 12, 16, 11, 24, 28]
    );
    // Windows entirely in the padding sum to 0 (allowed for sum pools).
    let text = "graph t {
  %0 = input 0 : q0[1,1,1,1]
  %1 = sum_pool %0 kernel=[1,1] strides=[1,1] pads=[1,1,1,1] dilations=[1,1] ceil_mode=0 : q0[1,1,3,3]
  output %1
}";
    assert_eq!(run1(text, &[vec![7]]), vec![0, 0, 0, 0, 7, 0, 0, 0, 0]);
}

// ---- data movement ------------------------------------------------------------------

#[test]
fn data_movement_ops() {
    // x [2,3] = [[1,2,3],[4,5,6]].
    let text = "graph t {
  %0 = input 0 : q3[2,3]
  %1 = reshape %0 : q3[3,2]
  %2 = transpose %0 perm=[1,0] : q3[3,2]
  %3 = const [7,8] : q3[2,1]
  %4 = concat %3, %0 axis=1 : q3[2,4]
  %5 = pad %0 pads=[1,0,0,1] value=-7 : q3[3,4]
  %6 = slice %0 start=[0,1] step=[1,2] len=[2,1] : q3[2,1]
  %7 = gather %0 axis=1 indices=[2,0,2] indices_shape=[3] : q3[2,3]
  %8 = gather %0 axis=1 indices=[1] indices_shape=[] : q3[2]
  %9 = resize %0 maps=[[1,0],[0,0,2]] : q3[2,3]
  output %1, %2, %4, %5, %6, %7, %8, %9
}";
    let outs = run(text, &[iota(6, 1)]);
    assert_eq!(outs[0], vec![1, 2, 3, 4, 5, 6]);
    assert_eq!(outs[1], vec![1, 4, 2, 5, 3, 6]);
    assert_eq!(outs[2], vec![7, 1, 2, 3, 8, 4, 5, 6]);
    // One padded row on top, one padded column on the right, value -7.
    assert_eq!(outs[3], vec![-7, -7, -7, -7, 1, 2, 3, -7, 4, 5, 6, -7]);
    assert_eq!(outs[4], vec![2, 5]);
    assert_eq!(outs[5], vec![3, 1, 3, 6, 4, 6]);
    assert_eq!(outs[6], vec![2, 5]);
    // Rows swapped, columns 0,0,2.
    assert_eq!(outs[7], vec![4, 4, 6, 1, 1, 3]);
}

#[test]
fn resize_nearest_4d() {
    let text = "graph t {
  %0 = input 0 : q0[1,1,2,2]
  %1 = resize %0 maps=[[0],[0],[0,0,1,1],[0,0,1,1]] : q0[1,1,4,4]
  output %1
}";
    #[rustfmt::skip]
    let want = vec![
        1, 1, 2, 2,
        1, 1, 2, 2,
        3, 3, 4, 4,
        3, 3, 4, 4,
    ];
    assert_eq!(run1(text, &[iota(4, 1)]), want);
}

#[test]
fn pad_value_must_be_an_integer() {
    let pad = |value: f32| Op::Pad {
        pads: vec![1, 0],
        value,
    };
    let ok = eval_op_i64(&pad(-3.0), &[&[5]], &[&[1]], &[2]).unwrap();
    assert_eq!(ok.values, vec![-3, 5]);
    let big = eval_op_i64(&pad(-9.223_372e18), &[&[5]], &[&[1]], &[2]).unwrap();
    assert_eq!(big.values, vec![i64::MIN, 5]);
    for bad in [0.5, f32::NAN, f32::INFINITY, 9.223_373e18, 1e30] {
        let err = eval_op_i64(&pad(bad), &[&[5]], &[&[1]], &[2]).unwrap_err();
        assert!(
            matches!(err, RuntimeError::InvalidOp { kind: "pad", .. }),
            "{bad}: {err:?}"
        );
    }
}

// ---- rescale and table --------------------------------------------------------------

fn rescale_graph(n: usize, attrs: &str) -> String {
    format!(
        "graph t {{
  %0 = input 0 : q4[{n}]
  %1 = rescale %0 {attrs} : q2[{n}]
  output %1
}}"
    )
}

#[test]
fn rescale_rounds_half_up_with_floor_division() {
    // x / 2 rounded half toward +inf: 2.5 -> 3, -2.5 -> -2, -1.5 -> -1, -3.5 -> -3.
    let text = rescale_graph(10, "mult=1 shift=1 lo=-128 hi=127");
    let x = vec![5, -5, 4, -4, 3, -3, -6, -7, 7, 6];
    assert_eq!(run1(&text, &[x]), vec![3, -2, 2, -2, 2, -1, -3, -3, 4, 3]);
    // The brief's requantization: shift 3, x / 8: 12/8 = 1.5 -> 2, -12/8 -> -1, -13/8 -> -2.
    let text = rescale_graph(4, "mult=1 shift=3 lo=-128 hi=127");
    assert_eq!(run1(&text, &[vec![12, -12, -13, 3]]), vec![2, -1, -2, 0]);
}

#[test]
fn rescale_negative_shift_per_element_mult_and_clamps() {
    // Negative shift is an exact left shift: 7*3*4 = 84, -1*3*4 = -12 -> clamped to -10.
    let g = graph(&rescale_graph(2, "mult=3 shift=-2 lo=-10 hi=100"));
    let run = run_int(&g, &[vec![7, -1]]).unwrap();
    assert_eq!(run.outputs(), vec![vec![84, -10]]);
    // -10 is not a bit-width limit: an activation-style clamp, not saturation.
    assert_eq!(run.clamped(g.outputs()[0]), 0);
    // Per-element multipliers: 10/4 = 2.5 -> 3, 20/4 = 5, -30/4 = -7.5 -> -7.
    let text = rescale_graph(3, "mult=[1,2,-3] shift=2 lo=-128 hi=127");
    assert_eq!(run1(&text, &[vec![10, 10, 10]]), vec![3, 5, -7]);
    // Saturation counting: 150 -> 127 and -150 -> -128 saturate; 126.5 -> 127
    // and 127 do not; the ReLU-style clamp of -128 to 0 is not saturation.
    let text = "graph t {
  %0 = input 0 : q4[4]
  %1 = rescale %0 mult=1 shift=1 lo=-128 hi=127 : q3[4]
  %2 = rescale %1 mult=1 shift=0 lo=0 hi=127 : q3[4]
  output %2
}";
    let g = graph(text);
    let run = run_int(&g, &[vec![300, -300, 253, 254]]).unwrap();
    let (r1, r2) = (g.inputs(g.outputs()[0])[0], g.outputs()[0]);
    assert_eq!(run.value(r1), Some(&[127, -128, 127, 127][..]));
    assert_eq!(run.value(r2), Some(&[127, 0, 127, 127][..]));
    assert_eq!((run.clamped(r1), run.clamped(r2)), (2, 0));
    assert_eq!(run.total_clamped(), 2);
    assert_eq!(run.clamped(g.inputs(r1)[0]), 0);
}

#[test]
fn rescale_errors() {
    // A left shift past i128 is an overflow, not a wrapped or clamped value.
    let g = graph(&rescale_graph(1, "mult=1 shift=-100 lo=-128 hi=127"));
    assert_eq!(run_int(&g, &[vec![1]]).unwrap().outputs(), vec![vec![127]]);
    let err = run_int(&g, &[vec![1 << 40]]).unwrap_err();
    assert!(
        matches!(at_node(&err, "rescale"), RuntimeError::Overflow { .. }),
        "{err}"
    );
    let rescale = |mult: Vec<i64>, shift: i32, lo: i64, hi: i64| Op::Rescale {
        mult,
        shift,
        lo,
        hi,
    };
    let eval = |op: &Op| eval_op_i64(op, &[&[1, 2]], &[&[2]], &[2]);
    assert!(eval(&rescale(vec![1], 0, 1, 0)).is_err()); // empty range
    assert!(eval(&rescale(vec![1], 121, 0, 1)).is_err()); // shift beyond MAX_SHIFT
    assert!(eval(&rescale(vec![1], -121, 0, 1)).is_err());
    assert!(eval(&rescale(vec![1, 2, 3], 0, 0, 1)).is_err()); // mult length
    assert!(eval(&rescale(vec![], 0, 0, 1)).is_err());
    assert_eq!(
        eval(&rescale(vec![3, -1], 0, -5, 5)).unwrap(),
        IntValue {
            values: vec![3, -2],
            clamped: 0
        }
    );
}

const TABLE: &str = "graph t {
  %0 = input 0 : q3[1,2]
  %1 = const [1,-1] : q3[2]
  %2 = add %0, %1 : q3[1,2]
  %3 = rescale %2 mult=1 shift=1 lo=-128 hi=127 : q2[1,2]
  %4 = table %3 name=sigmoid lo=-2 values=[1,2,3,4,5] : q3[1,2] # /sig
  output %4
}";

#[test]
fn table_lookup() {
    // x + [1,-1], halved: [-5,3] -> [-4,2] -> [-2,1] -> values[0], values[3].
    assert_eq!(run1(TABLE, &[vec![-5, 3]]), vec![1, 4]);
    // [3,5] -> [4,4] -> [2,2] -> values[4].
    assert_eq!(run1(TABLE, &[vec![3, 5]]), vec![5, 5]);
}

#[test]
fn table_input_out_of_range() {
    let g = graph(TABLE);
    // [-1, 6] -> [0, 5] -> [0, 3]: 3 is past the last covered input 2.
    let err = run_int(&g, &[vec![-1, 6]]).unwrap_err();
    assert!(err.to_string().contains("/sig"), "{err}");
    let inner = at_node(&err, "table");
    assert!(
        matches!(
            inner,
            RuntimeError::TableRange { name, position: 1, value: 3, lo: -2, len: 5 } if name == "sigmoid"
        ),
        "{inner:?}"
    );
    // Below the table: [-7, 0] -> [-6, -1] -> [-3, 0].
    let err = run_int(&g, &[vec![-7, 0]]).unwrap_err();
    assert!(matches!(
        at_node(&err, "table"),
        RuntimeError::TableRange {
            position: 0,
            value: -3,
            ..
        }
    ));
    // Extreme inputs do not overflow the index computation.
    let table = Op::Table {
        name: "t".into(),
        lo: i64::MAX,
        values: vec![9],
    };
    assert_eq!(
        eval_op_i64(&table, &[&[i64::MAX]], &[&[1]], &[1])
            .unwrap()
            .values,
        vec![9]
    );
    assert!(eval_op_i64(&table, &[&[i64::MIN]], &[&[1]], &[1]).is_err());
}
