//! Float interpreter tests: small graphs written as IR text, expected values
//! computed by hand (the comments show the arithmetic).

mod common;

use common::*;
use zkc_ir::{parse_graph, print_graph, validate, Clamp, Op, Stage};
use zkc_runtime::run_float;

#[test]
fn parser_round_trips_the_printed_form_exactly() {
    let g = parse_graph(BRIEF_CONV).unwrap();
    validate(&g, Stage::Float).unwrap();
    assert_eq!(print_graph(&g).unwrap(), BRIEF_CONV);
    // Clamps, names, negative and special floats, scalars, empty lists.
    let text = "graph \"my model\" {
  %0 = input 0 : f32[2,3] # x
  %1 = const [-1.5,0.25,-inf] : f32[3]
  %2 = add %0, %1 act=clip(-1,6) : f32[2,3] # /add
  %3 = gather %2 axis=1 indices=[2] indices_shape=[] : f32[2]
  %4 = clip %0 lo=-inf hi=0.5 : f32[2,3]
  output %3, %4
}
";
    let g = parse_graph(text).unwrap();
    assert_eq!(print_graph(&g).unwrap(), text);
    let add = g.outputs()[0];
    let add = g.inputs(add)[0];
    assert_eq!(g.node(add).name, "/add");
    assert_eq!(
        g.op(add),
        &Op::Add {
            act: Some(Clamp { lo: -1.0, hi: 6.0 })
        }
    );
}

#[test]
fn conv_padding_and_fused_relu() {
    // Diagonal 3x3 kernel, pad 1: y[i,j] = 0.5 + x[i-1,j-1] + x[i,j] + x[i+1,j+1].
    // x = [[1,2,3],[4,5,6],[7,8,9]]: y[0,0] = 0.5+1+5, y[1,1] = 0.5+1+5+9, ...
    let y = frun1(BRIEF_CONV, &[fiota(9, 1.0)]);
    assert_eq!(y, vec![6.5, 8.5, 3.5, 12.5, 15.5, 8.5, 7.5, 12.5, 14.5]);
    // Negated input: every pre-activation is 0.5 - (positive sum) < 0, so relu gives 0.
    let neg: Vec<f32> = fiota(9, 1.0).iter().map(|v| -v).collect();
    assert_eq!(frun1(BRIEF_CONV, &[neg]), vec![0.0; 9]);
    // The same conv with a clip(0,10) clamp.
    let clipped = BRIEF_CONV.replace("act=relu", "act=clip(0,10)");
    let y = frun1(&clipped, &[fiota(9, 1.0)]);
    assert_eq!(y, vec![6.5, 8.5, 3.5, 10.0, 10.0, 8.5, 7.5, 10.0, 10.0]);
}

#[test]
fn conv_stride_dilation_padding() {
    // x[i,j] = 5i + j on 5x5, kernel [[1,2],[3,4]], dilation 2, stride 2, pad 1, bias -1.
    // Output (oi,oj) reads rows 2oi-1, 2oi+1 and cols 2oj-1, 2oj+1.
    // y[1,1] = 1*x[1,1] + 2*x[1,3] + 3*x[3,1] + 4*x[3,3] - 1 = 6 + 16 + 48 + 72 - 1 = 141.
    // y[0,0] = 4*x[1,1] - 1 = 23; y[2,2] = 1*x[3,3] - 1 = 17.
    let text = "graph t {
  %0 = input 0 : f32[1,1,5,5]
  %1 = const [1,2,3,4] : f32[1,1,2,2]
  %2 = const [-1] : f32[1]
  %3 = conv %0, %1, %2 kernel=[2,2] strides=[2,2] pads=[1,1,1,1] dilations=[2,2] groups=1 : f32[1,1,3,3]
  output %3
}";
    let y = frun1(text, &[fiota(25, 0.0)]);
    assert_eq!(
        y,
        vec![23.0, 49.0, 23.0, 75.0, 141.0, 61.0, 31.0, 51.0, 17.0]
    );
}

#[test]
fn conv_asymmetric_padding_uses_onnx_pad_order() {
    // pads = [top 1, left 0, bottom 0, right 1]; x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]].
    // y[0,0] = 3*x[0,0] + 4*x[0,1] = 11; y[2,2] = 1*x[1,2] + 3*x[2,2] = 33.
    let text = "graph t {
  %0 = input 0 : f32[1,1,3,3]
  %1 = const [1,2,3,4] : f32[1,1,2,2]
  %2 = const [0] : f32[1]
  %3 = conv %0, %1, %2 kernel=[2,2] strides=[1,1] pads=[1,0,0,1] dilations=[1,1] groups=1 : f32[1,1,3,3]
  output %3
}";
    let y = frun1(text, &[fiota(9, 1.0)]);
    assert_eq!(y, vec![11.0, 18.0, 9.0, 37.0, 47.0, 21.0, 67.0, 77.0, 33.0]);
}

#[test]
fn conv_groups() {
    // C=4, M=4, groups=2, 1x1 kernels: outputs 0,1 read channels 0,1; outputs 2,3 read 2,3.
    // x = [1,2,3,4]; w rows [1,2],[3,4],[5,6],[7,8]:
    // y = [1*1+2*2, 1*3+2*4, 3*5+4*6, 3*7+4*8] + bias [0,0,0,0.5] = [5, 11, 39, 53.5].
    let text = "graph t {
  %0 = input 0 : f32[1,4,1,1]
  %1 = const [1,2,3,4,5,6,7,8] : f32[4,2,1,1]
  %2 = const [0,0,0,0.5] : f32[4]
  %3 = conv %0, %1, %2 kernel=[1,1] strides=[1,1] pads=[0,0,0,0] dilations=[1,1] groups=2 : f32[1,4,1,1]
  output %3
}";
    assert_eq!(
        frun1(text, &[vec![1.0, 2.0, 3.0, 4.0]]),
        vec![5.0, 11.0, 39.0, 53.5]
    );
}

#[test]
fn conv_depthwise() {
    // Two channels, groups=2, 2x2 kernels, no padding.
    // ch0: x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,0],[0,1]]: y = x[i,j] + x[i+1,j+1] = [6,8,12,14].
    // ch1: x = squares [[1,4,9],[16,25,36],[49,64,81]], w = [[0,1],[-1,0]], bias 1:
    //      y = x[i,j+1] - x[i+1,j] + 1 = [4-16, 9-25, 25-49, 36-64] + 1 = [-11,-15,-23,-27].
    let text = "graph t {
  %0 = input 0 : f32[1,2,3,3]
  %1 = const [1,0,0,1,0,1,-1,0] : f32[2,1,2,2]
  %2 = const [0,1] : f32[2]
  %3 = conv %0, %1, %2 kernel=[2,2] strides=[1,1] pads=[0,0,0,0] dilations=[1,1] groups=2 : f32[1,2,2,2]
  output %3
}";
    let mut x = fiota(9, 1.0);
    x.extend((1..=9).map(|i| (i * i) as f32));
    let y = frun1(text, &[x]);
    assert_eq!(y, vec![6.0, 8.0, 12.0, 14.0, -11.0, -15.0, -23.0, -27.0]);
}

#[test]
fn conv_transpose_stride_padding_output_padding() {
    // x = [[1,2],[3,4]], w = [[1,2,3],[4,5,6],[7,8,9]], stride 2, pads begin 1 / end 0,
    // output_padding 1: full extent 2*1 + 1 + 2 + 1 = 6, minus 1 pad = 5.
    // Output o on an axis gathers i*2 + k = o + 1: o=0: (i0,k1); o=1: (i0,k2),(i1,k0);
    // o=2: (i1,k1); o=3: (i1,k2); o=4: nothing (output padding) -> bias only.
    // y[1,1] = x00*w22 + x01*w20 + x10*w02 + x11*w00 + 0.5 = 9 + 14 + 9 + 4 + 0.5 = 36.5.
    let text = "graph t {
  %0 = input 0 : f32[1,1,2,2]
  %1 = const [1,2,3,4,5,6,7,8,9] : f32[1,1,3,3]
  %2 = const [0.5] : f32[1]
  %3 = conv_transpose %0, %1, %2 kernel=[3,3] strides=[2,2] pads=[1,1,0,0] dilations=[1,1] groups=1 output_padding=[1,1] : f32[1,1,5,5]
  output %3
}";
    let y = frun1(text, &[vec![1.0, 2.0, 3.0, 4.0]]);
    #[rustfmt::skip]
    let want = vec![
        5.5, 14.5, 10.5, 12.5, 0.5,
        14.5, 36.5, 24.5, 30.5, 0.5,
        15.5, 34.5, 20.5, 24.5, 0.5,
        24.5, 55.5, 32.5, 36.5, 0.5,
        0.5, 0.5, 0.5, 0.5, 0.5,
    ];
    assert_eq!(y, want);
}

#[test]
fn conv_transpose_weight_layout_and_groups() {
    // groups=1, C=2, M=2, w is [C, M, 1, 1] = [[1,2],[3,4]]: y[m] = sum_c x[c] * w[c,m].
    // x = [1,2]: y = [1*1 + 2*3, 1*2 + 2*4] = [7, 10].
    let text = "graph t {
  %0 = input 0 : f32[1,2,1,1]
  %1 = const [1,2,3,4] : f32[2,2,1,1]
  %2 = const [0,0] : f32[2]
  %3 = conv_transpose %0, %1, %2 kernel=[1,1] strides=[1,1] pads=[0,0,0,0] dilations=[1,1] groups=1 output_padding=[0,0] : f32[1,2,1,1]
  output %3
}";
    assert_eq!(frun1(text, &[vec![1.0, 2.0]]), vec![7.0, 10.0]);
    // groups=2, w [2,1,1,1] = [3,5]: each channel scales itself: [1*3, 2*5] + bias [1,-1].
    let text = "graph t {
  %0 = input 0 : f32[1,2,1,1]
  %1 = const [3,5] : f32[2,1,1,1]
  %2 = const [1,-1] : f32[2]
  %3 = conv_transpose %0, %1, %2 kernel=[1,1] strides=[1,1] pads=[0,0,0,0] dilations=[1,1] groups=2 output_padding=[0,0] act=relu : f32[1,2,1,1]
  output %3
}";
    assert_eq!(frun1(text, &[vec![1.0, 2.0]]), vec![4.0, 9.0]);
    assert_eq!(frun1(text, &[vec![1.0, -2.0]]), vec![4.0, 0.0]);
}

#[test]
fn gemm_with_relu() {
    // x = [[1,2,3],[4,5,6]], w = [[1,2],[3,4],[5,6]], b = [0.5,-30]:
    // row 0: [1+6+15, 2+8+18] + b = [22.5, -2] -> relu [22.5, 0];
    // row 1: [4+15+30, 8+20+36] + b = [49.5, 34].
    let text = "graph t {
  %0 = input 0 : f32[2,3]
  %1 = const [1,2,3,4,5,6] : f32[3,2]
  %2 = const [0.5,-30] : f32[2]
  %3 = gemm %0, %1, %2 act=relu : f32[2,2]
  output %3
}";
    assert_eq!(frun1(text, &[fiota(6, 1.0)]), vec![22.5, 0.0, 49.5, 34.0]);
}

#[test]
fn gemm_accumulates_in_f64() {
    // In f32, 1e8 + 1 rounds back to 1e8 and the sum would be 0; in f64 it is exactly 1.
    let text = "graph t {
  %0 = input 0 : f32[1,3]
  %1 = const [1,1,1] : f32[3,1]
  %2 = const [0] : f32[1]
  %3 = gemm %0, %1, %2 : f32[1,1]
  output %3
}";
    assert_eq!(frun1(text, &[vec![1e8, 1.0, -1e8]]), vec![1.0]);
}

#[test]
fn batch_norm() {
    // scale [2,0.5], bias [1,-1], mean [1,2], var [3,15], eps 1 -> std [2,4].
    // ch0: (1-1)/2*2+1 = 1, (2-1)/2*2+1 = 2; ch1: (3-2)/4*0.5-1 = -0.875, (4-2)/4*0.5-1 = -0.75.
    let text = "graph t {
  %0 = input 0 : f32[1,2,1,2]
  %1 = const [2,0.5] : f32[2]
  %2 = const [1,-1] : f32[2]
  %3 = const [1,2] : f32[2]
  %4 = const [3,15] : f32[2]
  %5 = batch_norm %0, %1, %2, %3, %4 epsilon=1 : f32[1,2,1,2]
  output %5
}";
    assert_eq!(frun1(text, &[fiota(4, 1.0)]), vec![1.0, 2.0, -0.875, -0.75]);
}

#[test]
fn scale_shift() {
    // ch0: x*2 + 0.5 on [1,2] = [2.5, 4.5]; ch1: x*-1 + 1 on [3,4] = [-2, -3].
    let text = "graph t {
  %0 = input 0 : f32[1,2,2]
  %1 = const [2,-1] : f32[2]
  %2 = const [0.5,1] : f32[2]
  %3 = scale_shift %0, %1, %2 : f32[1,2,2]
  output %3
}";
    assert_eq!(frun1(text, &[fiota(4, 1.0)]), vec![2.5, 4.5, -2.0, -3.0]);
}

#[test]
fn add_mul_sub_broadcasting_and_fused_clamp() {
    // a [2,1] = [1,2] (column), b [1,3] = [10,20,30] (row): outer sum / product / difference.
    // %6: [2,3] - [3] broadcasts along the last axis: %4 - [1,-1,0] =
    //     [-10,-18,-29,-9,-17,-28], clamped to [-20,25].
    // %7: [2,3] + [] (scalar 25): %2 + 25 = [36,46,56,37,47,57], relu keeps them.
    let text = "graph t {
  %0 = input 0 : f32[2,1]
  %1 = const [10,20,30] : f32[1,3]
  %2 = add %0, %1 : f32[2,3]
  %3 = mul %0, %1 : f32[2,3]
  %4 = sub %0, %1 : f32[2,3]
  %5 = const [1,-1,0] : f32[3]
  %6 = sub %4, %5 act=clip(-20,25) : f32[2,3]
  %7 = const [25] : f32[]
  %8 = add %2, %7 act=relu : f32[2,3]
  output %2, %3, %4, %6, %8
}";
    let outs = frun(text, &[vec![1.0, 2.0]]);
    assert_eq!(outs[0], vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    assert_eq!(outs[1], vec![10.0, 20.0, 30.0, 20.0, 40.0, 60.0]);
    assert_eq!(outs[2], vec![-9.0, -19.0, -29.0, -8.0, -18.0, -28.0]);
    assert_eq!(outs[3], vec![-10.0, -18.0, -20.0, -9.0, -17.0, -20.0]);
    assert_eq!(outs[4], vec![36.0, 46.0, 56.0, 37.0, 47.0, 57.0]);
    // Broadcasting on the left operand too: [3] + [2,1] (add with relu, some negative).
    let text = "graph t {
  %0 = input 0 : f32[3]
  %1 = const [0,-2] : f32[2,1]
  %2 = add %0, %1 act=relu : f32[2,3]
  output %2
}";
    // row 0: [1,2,3] + 0; row 1: [1,2,3] - 2 = [-1,0,1] -> relu [0,0,1].
    assert_eq!(
        frun1(text, &[vec![1.0, 2.0, 3.0]]),
        vec![1.0, 2.0, 3.0, 0.0, 0.0, 1.0]
    );
}

#[test]
fn div_by_constant() {
    // [1,2,3] / [2,4,-8] per column, on both rows; then / scalar 4.
    let text = "graph t {
  %0 = input 0 : f32[2,3]
  %1 = const [2,4,-8] : f32[3]
  %2 = div %0, %1 : f32[2,3]
  %3 = const [4] : f32[]
  %4 = div %0, %3 : f32[2,3]
  output %2, %4
}";
    let outs = frun(text, &[vec![1.0, 2.0, 3.0, 4.0, 8.0, -16.0]]);
    assert_eq!(outs[0], vec![0.5, 0.5, -0.375, 2.0, 2.0, 2.0]);
    assert_eq!(outs[1], vec![0.25, 0.5, 0.75, 1.0, 2.0, -4.0]);
}

#[test]
fn max_pool_padding_never_wins() {
    // x = -[[1,2,3],[4,5,6],[7,8,9]], 2x2 kernel, stride 2, pad 1: windows cover
    // rows {-1,0},{1,2} x cols {-1,0},{1,2}. Maxima over in-bounds taps only:
    // {-1}, {-2,-3}, {-4,-7}, {-5,-6,-8,-9} -> [-1,-2,-4,-5] (a padded 0 would win otherwise).
    let text = "graph t {
  %0 = input 0 : f32[1,1,3,3]
  %1 = max_pool %0 kernel=[2,2] strides=[2,2] pads=[1,1,1,1] dilations=[1,1] ceil_mode=0 : f32[1,1,2,2]
  output %1
}";
    let x: Vec<f32> = fiota(9, 1.0).iter().map(|v| -v).collect();
    assert_eq!(frun1(text, &[x]), vec![-1.0, -2.0, -4.0, -5.0]);
}

#[test]
fn max_pool_ceil_mode_and_channels() {
    // 3x3 input, 2x2 kernel, stride 2, ceil_mode: 2x2 output, the last windows are partial:
    // {1,2,4,5} -> 5, {3,6} -> 6, {7,8} -> 8, {9} -> 9; channel 1 is channel 0 + 10.
    let text = "graph t {
  %0 = input 0 : f32[1,2,3,3]
  %1 = max_pool %0 kernel=[2,2] strides=[2,2] pads=[0,0,0,0] dilations=[1,1] ceil_mode=1 : f32[1,2,2,2]
  output %1
}";
    let mut x = fiota(9, 1.0);
    x.extend(fiota(9, 11.0));
    assert_eq!(
        frun1(text, &[x]),
        vec![5.0, 6.0, 8.0, 9.0, 15.0, 16.0, 18.0, 19.0]
    );
}

const AVG: &str = "graph t {
  %0 = input 0 : f32[1,1,3,3]
  %1 = avg_pool %0 kernel=[2,2] strides=[2,2] pads=[1,1,1,1] dilations=[1,1] ceil_mode=0 count_include_pad=CIP : f32[1,1,2,2]
  output %1
}";

#[test]
fn avg_pool_count_include_pad() {
    // Same windows as the max pool test on x = [1..9]: sums {1}=1, {2,3}=5, {4,7}=11,
    // {5,6,8,9}=28. Divisor 4 (kernel size) with count_include_pad ...
    let y = frun1(&AVG.replace("CIP", "1"), &[fiota(9, 1.0)]);
    assert_eq!(y, vec![0.25, 1.25, 2.75, 7.0]);
    // ... and the number of in-bounds taps (1, 2, 2, 4) without.
    let y = frun1(&AVG.replace("CIP", "0"), &[fiota(9, 1.0)]);
    assert_eq!(y, vec![1.0, 2.5, 5.5, 7.0]);
}

/// With `ceil_mode` a last window may pass the padding: ONNX counts the
/// padded positions but not those past the padding (its reference
/// implementation). On x = [1, 2, 3], kernel 2, stride 2: the last window
/// holds x = 3 and one position past the input; with no end padding it
/// averages over 1 tap, with one position of end padding over 2.
#[test]
fn avg_pool_ceil_mode_counts_only_the_padded_extent() {
    let text = |pads: &str, out: usize| {
        format!(
            "graph t {{
  %0 = input 0 : f32[1,1,1,3]
  %1 = avg_pool %0 kernel=[1,2] strides=[1,2] pads=[{pads}] dilations=[1,1] ceil_mode=1 count_include_pad=1 : f32[1,1,1,{out}]
  output %1
}}"
        )
    };
    assert_eq!(frun1(&text("0,0,0,0", 2), &[fiota(3, 1.0)]), vec![1.5, 3.0]);
    assert_eq!(frun1(&text("0,0,0,1", 2), &[fiota(3, 1.0)]), vec![1.5, 1.5]);
}

#[test]
fn sum_pool() {
    let text = "graph t {
  %0 = input 0 : f32[1,1,3,3]
  %1 = sum_pool %0 kernel=[2,2] strides=[2,2] pads=[1,1,1,1] dilations=[1,1] ceil_mode=0 : f32[1,1,2,2]
  output %1
}";
    assert_eq!(frun1(text, &[fiota(9, 1.0)]), vec![1.0, 5.0, 11.0, 28.0]);
}

#[test]
fn global_avg_pool() {
    // Channel means: (1+2+3+4)/4 = 2.5, (10+20+30+50)/4 = 27.5.
    let text = "graph t {
  %0 = input 0 : f32[1,2,2,2]
  %1 = global_avg_pool %0 : f32[1,2,1,1]
  output %1
}";
    let x = vec![1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 50.0];
    assert_eq!(frun1(text, &[x]), vec![2.5, 27.5]);
}

#[test]
fn transpose() {
    // [2,3] -> [3,2]: [[0,1,2],[3,4,5]]^T = [[0,3],[1,4],[2,5]].
    let text = "graph t {
  %0 = input 0 : f32[2,3]
  %1 = transpose %0 perm=[1,0] : f32[3,2]
  output %1
}";
    assert_eq!(
        frun1(text, &[fiota(6, 0.0)]),
        vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    );
    // [2,3,4] with perm [2,0,1] -> [4,2,3]: out[i,j,k] = x[j,k,i] = 12j + 4k + i.
    let text = "graph t {
  %0 = input 0 : f32[2,3,4]
  %1 = transpose %0 perm=[2,0,1] : f32[4,2,3]
  output %1
}";
    #[rustfmt::skip]
    let want = vec![
        0.0, 4.0, 8.0, 12.0, 16.0, 20.0,
        1.0, 5.0, 9.0, 13.0, 17.0, 21.0,
        2.0, 6.0, 10.0, 14.0, 18.0, 22.0,
        3.0, 7.0, 11.0, 15.0, 19.0, 23.0,
    ];
    assert_eq!(frun1(text, &[fiota(24, 0.0)]), want);
}

#[test]
fn concat() {
    // Axis 1 interleaves rows: [[1],[2]] ++ [[10,11],[12,13]] = [[1,10,11],[2,12,13]].
    let text = "graph t {
  %0 = input 0 : f32[2,1]
  %1 = const [10,11,12,13] : f32[2,2]
  %2 = concat %0, %1 axis=1 : f32[2,3]
  %3 = concat %1, %0, %1 axis=1 : f32[2,5]
  output %2, %3
}";
    let outs = frun(text, &[vec![1.0, 2.0]]);
    assert_eq!(outs[0], vec![1.0, 10.0, 11.0, 2.0, 12.0, 13.0]);
    assert_eq!(
        outs[1],
        vec![10.0, 11.0, 1.0, 10.0, 11.0, 12.0, 13.0, 2.0, 12.0, 13.0]
    );
    // Axis 0 appends.
    let text = "graph t {
  %0 = input 0 : f32[1,2]
  %1 = const [10,11,12,13] : f32[2,2]
  %2 = concat %1, %0 axis=0 : f32[3,2]
  output %2
}";
    assert_eq!(
        frun1(text, &[vec![1.0, 2.0]]),
        vec![10.0, 11.0, 12.0, 13.0, 1.0, 2.0]
    );
}

#[test]
fn pad() {
    // [[1,2],[3,4]] with one row before (axis 0 begin) and one column after (axis 1 end), value -1.
    let text = "graph t {
  %0 = input 0 : f32[2,2]
  %1 = pad %0 pads=[1,0,0,1] value=-1 : f32[3,3]
  output %1
}";
    let y = frun1(text, &[fiota(4, 1.0)]);
    assert_eq!(y, vec![-1.0, -1.0, -1.0, 1.0, 2.0, -1.0, 3.0, 4.0, -1.0]);
}

#[test]
fn slice() {
    // x [3,4] = 0..12: rows 1,2 and columns 0,2 -> [4,6,8,10].
    let text = "graph t {
  %0 = input 0 : f32[3,4]
  %1 = slice %0 start=[1,0] step=[1,2] len=[2,2] : f32[2,2]
  %2 = slice %0 start=[0,3] step=[2,1] len=[2,1] : f32[2,1]
  output %1, %2
}";
    let outs = frun(text, &[fiota(12, 0.0)]);
    assert_eq!(outs[0], vec![4.0, 6.0, 8.0, 10.0]);
    // rows 0,2 of column 3: [3, 11].
    assert_eq!(outs[1], vec![3.0, 11.0]);
}

#[test]
fn gather() {
    // x [3,2] = [[1,2],[3,4],[5,6]].
    let text = "graph t {
  %0 = input 0 : f32[3,2]
  %1 = gather %0 axis=0 indices=[2,0,2] indices_shape=[3] : f32[3,2]
  %2 = gather %0 axis=1 indices=[1] indices_shape=[] : f32[3]
  %3 = gather %0 axis=1 indices=[1,0,0,1] indices_shape=[2,2] : f32[3,2,2]
  output %1, %2, %3
}";
    let outs = frun(text, &[fiota(6, 1.0)]);
    assert_eq!(outs[0], vec![5.0, 6.0, 1.0, 2.0, 5.0, 6.0]);
    assert_eq!(outs[1], vec![2.0, 4.0, 6.0]);
    // out[r, a, b] = x[r, idx[a,b]] with idx = [[1,0],[0,1]].
    assert_eq!(
        outs[2],
        vec![2.0, 1.0, 1.0, 2.0, 4.0, 3.0, 3.0, 4.0, 6.0, 5.0, 5.0, 6.0]
    );
}

#[test]
fn resize_nearest() {
    // 2x2 -> 4x4 by repeating each row and column; the width map is reversed to catch axis mixups.
    let text = "graph t {
  %0 = input 0 : f32[1,1,2,2]
  %1 = resize %0 maps=[[0],[0],[0,0,1,1],[1,1,0,0]] : f32[1,1,4,4]
  output %1
}";
    #[rustfmt::skip]
    let want = vec![
        2.0, 2.0, 1.0, 1.0,
        2.0, 2.0, 1.0, 1.0,
        4.0, 4.0, 3.0, 3.0,
        4.0, 4.0, 3.0, 3.0,
    ];
    assert_eq!(frun1(text, &[fiota(4, 1.0)]), want);
}

#[test]
fn reshape_keeps_row_major_order() {
    // [6] -> [2,3] then transpose: the reshape must give rows [0,1,2],[3,4,5].
    let text = "graph t {
  %0 = input 0 : f32[6]
  %1 = reshape %0 : f32[2,3]
  %2 = transpose %1 perm=[1,0] : f32[3,2]
  output %1, %2
}";
    let outs = frun(text, &[fiota(6, 0.0)]);
    assert_eq!(outs[0], fiota(6, 0.0));
    assert_eq!(outs[1], vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
}

#[test]
fn elementwise_activations() {
    let text = "graph t {
  %0 = input 0 : f32[4]
  %1 = sigmoid %0 : f32[4]
  %2 = tanh %0 : f32[4]
  %3 = leaky_relu %0 alpha=0.1 : f32[4]
  %4 = clip %0 lo=-1 hi=0.5 : f32[4]
  %5 = relu %0 : f32[4]
  output %1, %2, %3, %4, %5
}";
    let outs = frun(text, &[vec![0.0, 2.0, -2.0, -0.5]]);
    // 1/(1+e^-2) = 0.8807970779778823, 1/(1+e^2) = 0.11920292202211755, 1/(1+e^0.5) = 0.3775406687981454
    assert_close(&outs[0], &[0.5, 0.880_797_1, 0.119_202_92, 0.377_540_67]);
    // tanh(2) = 0.9640275800758169, tanh(0.5) = 0.46211715726000974
    assert_close(&outs[1], &[0.0, 0.964_027_6, -0.964_027_6, -0.462_117_16]);
    assert_close(&outs[2], &[0.0, 2.0, -0.2, -0.05]);
    assert_eq!(outs[3], vec![0.0, 0.5, -1.0, -0.5]);
    assert_eq!(outs[4], vec![0.0, 2.0, 0.0, 0.0]);
}

#[test]
fn trace_and_output_order() {
    // Inputs are matched by index, not by position in the text; outputs keep their listed order.
    let text = "graph t {
  %0 = input 1 : f32[2]
  %1 = input 0 : f32[2]
  %2 = sub %1, %0 : f32[2]
  %3 = mul %2, %2 : f32[2]
  output %3, %2
}";
    let g = fgraph(text);
    let run = run_float(&g, &[vec![5.0, 5.0], vec![1.0, 2.0]]).unwrap();
    // input0 - input1 = [4,3]; squared [16,9].
    assert_eq!(run.outputs(), vec![vec![16.0, 9.0], vec![4.0, 3.0]]);
    let sub = run.output_ids()[1];
    assert_eq!(run.value(sub), Some(&[4.0f32, 3.0][..]));
    assert_eq!(run.shape(sub), Some(&[2usize][..]));
    assert_eq!(run.len(), 4);
    let order: Vec<_> = run.iter().map(|(id, _)| id).collect();
    assert_eq!(order, g.topo_order().unwrap());
}
