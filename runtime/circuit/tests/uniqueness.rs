//! Chip-by-chip uniqueness, exhaustive at small widths (values of 3-5
//! bits, range tables of 3-4 bits): for every chip configuration the
//! planner can emit, the chip instance's input cells (in range, at and one
//! past the bounds, field elements near p for public inputs) determine
//! exactly one assignment of its other cells, the integer runtime's (see
//! `zkc_circuit::analysis::uniqueness`). Cases marked FINDING reproduce the
//! audit's forgeries and fail until the chips are fixed.

mod common;

use zkc_circuit::analysis::{check_uniqueness, uniqueness::Report};
use zkc_circuit::CircuitShape;

const RESCALE: CircuitShape = CircuitShape {
    mac_lanes: 0,
    arith_lanes: 0,
    rescale_lanes: 1,
    max_lanes: 0,
    table_lanes: 0,
    commit_lanes: 0,
    advice_weights: false,
    statement: None,
};

fn shape(mac: usize, arith: usize, rescale: usize, max: usize, table: usize) -> CircuitShape {
    CircuitShape {
        mac_lanes: mac,
        arith_lanes: arith,
        rescale_lanes: rescale,
        max_lanes: max,
        table_lanes: table,
        commit_lanes: 0,
        advice_weights: false,
        statement: None,
    }
}

/// Checks nodes `nodes` (by name) of the graph `text` laid out with `shape`
/// and a `t`-bit table; `finding` names the audit finding a failure
/// reproduces.
fn check(
    label: &str,
    text: &str,
    shape: CircuitShape,
    t: u32,
    inputs: Vec<Vec<i64>>,
    nodes: &[&str],
    finding: Option<&str>,
) -> Report {
    let g = common::from_text(text);
    let ids: Vec<_> = nodes
        .iter()
        .map(|n| {
            g.ids()
                .into_iter()
                .find(|&id| g.node(id).name == *n)
                .unwrap_or_else(|| panic!("no node {n}"))
        })
        .collect();
    let rep = check_uniqueness(&g, shape, t, &inputs, &ids, label)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    println!(
        "uniqueness {label}: {} chip instances, {} input choices, {} assignments checked, {} solutions, {} irrelevant cells, {} failures",
        rep.instances,
        rep.input_choices,
        rep.assignments,
        rep.solutions,
        rep.irrelevant,
        rep.failures.len()
    );
    assert!(
        rep.instances > 0 && rep.input_choices > 0,
        "{label}: nothing checked"
    );
    let shown: Vec<&str> = rep.failures.iter().take(6).map(|s| s.as_str()).collect();
    assert!(
        rep.failures.is_empty(),
        "{}{label}: {} uniqueness failures, e.g.\n  {}",
        finding.map_or(String::new(), |f| format!("{f}\n")),
        rep.failures.len(),
        shown.join("\n  ")
    );
    rep
}

const F1: &str = "FINDING 1: a graph input passes the rescale chip with n = 0 and the clamp off, yet d = ±1 is allowed, so x = y ± 1 while only y is range-checked";
const F2: &str = "FINDING 2: a degenerate clamp lo == hi gives y_bits = 0, so y is not range-checked and is free";
const F3: &str = "FINDING 3: with the clamp proven inactive y has no range check, so x*M + half = y*2^n + r has 2^n field solutions";
const F5: &str = "FINDING 5: an arith lane whose operand is a constant multiplies a free advice cell by a non-zero coefficient";

#[test]
fn rescale_graph_input_one_row() {
    let text = "graph g {
  %0 = input 0 : q0[1,2] in [-8,7] # x
  output %0
}";
    check(
        "input [-8,7] t=4",
        text,
        RESCALE,
        4,
        vec![vec![3, -8]],
        &["x"],
        Some(F1),
    );
}

#[test]
fn rescale_graph_input_two_rows() {
    // 6-bit range with a 4-bit table: a high limb row.
    let text = "graph g {
  %0 = input 0 : q0[1,1] in [-32,31] # x
  output %0
}";
    check(
        "input [-32,31] t=4",
        text,
        RESCALE,
        4,
        vec![vec![-7]],
        &["x"],
        Some(F1),
    );
}

#[test]
fn rescale_graph_input_check_hi() {
    // range of 11 values: not a power of two, so hi - y gets its own row.
    let text = "graph g {
  %0 = input 0 : q0[1,1] in [-5,5] # x
  output %0
}";
    check(
        "input [-5,5] t=4",
        text,
        RESCALE,
        4,
        vec![vec![2]],
        &["x"],
        Some(F1),
    );
}

const INPUT8: &str = "  %0 = input 0 : q0[1,2] in [-8,7] # x\n";

fn rescale_graph(input: &str, op: &str) -> String {
    format!("graph g {{\n{input}  %1 = {op} # y\n  output %1\n}}")
}

#[test]
fn rescale_clamp_on_one_row() {
    // q = floor((x + 1) / 2) in [-4, 4], clamped to [0, 3] (ReLU-like).
    let text = rescale_graph(
        INPUT8,
        "rescale %0 mult=1 shift=1 lo=0 hi=3 : q0[1,2] in [0,3]",
    );
    check(
        "clamp [0,3] n=1 t=4",
        &text,
        RESCALE,
        4,
        vec![vec![5, -6]],
        &["y"],
        None,
    );
}

#[test]
fn rescale_clamp_on_signed_one_row() {
    let text = rescale_graph(
        INPUT8,
        "rescale %0 mult=3 shift=2 lo=-4 hi=3 : q0[1,2] in [-4,3]",
    );
    check(
        "clamp [-4,3] M=3 n=2 t=4",
        &text,
        RESCALE,
        4,
        vec![vec![7, -8]],
        &["y"],
        None,
    );
}

#[test]
fn rescale_clamp_on_two_rows_wide_shift() {
    // n = 5 > t = 4: the remainder has a high limb row; range [-1, 1] is
    // not a power of two (check_hi).
    let input = "  %0 = input 0 : q0[1,2] in [-32,31] # x\n";
    let text = rescale_graph(
        input,
        "rescale %0 mult=3 shift=5 lo=-1 hi=1 : q0[1,2] in [-1,1]",
    );
    check(
        "clamp [-1,1] M=3 n=5 t=4",
        &text,
        RESCALE,
        4,
        vec![vec![31, -20]],
        &["y"],
        None,
    );
}

#[test]
fn rescale_clamp_on_two_rows_wide_slack() {
    // n = 0 (shift 0), slack up to 128: 7 bits over a 4-bit table.
    let input = "  %0 = input 0 : q0[1,1] in [-128,127] # x\n";
    let text = rescale_graph(
        input,
        "rescale %0 mult=1 shift=0 lo=0 hi=3 : q0[1,1] in [0,3]",
    );
    check(
        "clamp [0,3] n=0 wide slack t=4",
        &text,
        RESCALE,
        4,
        vec![vec![-100]],
        &["y"],
        None,
    );
}

#[test]
fn rescale_check_hi_relu6() {
    // a ReLU6-style clip: [0, 5] is 6 values, not a power of two.
    let text = rescale_graph(
        INPUT8,
        "rescale %0 mult=1 shift=0 lo=0 hi=5 : q0[1,2] in [0,5]",
    );
    check(
        "clamp [0,5] n=0 check_hi t=3",
        &text,
        RESCALE,
        3,
        vec![vec![6, -1]],
        &["y"],
        None,
    );
}

#[test]
fn rescale_negative_shift_clamped() {
    // shift -1: y = clamp(2x, -8, 7), n = 0 with the multiplier 2.
    let text = rescale_graph(
        INPUT8,
        "rescale %0 mult=1 shift=-1 lo=-8 hi=7 : q0[1,2] in [-8,7]",
    );
    check(
        "shift -1 clamp [-8,7] t=4",
        &text,
        RESCALE,
        4,
        vec![vec![3, -7]],
        &["y"],
        None,
    );
}

#[test]
fn rescale_two_lanes() {
    let text = rescale_graph(
        INPUT8,
        "rescale %0 mult=1 shift=1 lo=0 hi=3 : q0[1,2] in [0,3]",
    );
    check(
        "clamp [0,3] two lanes t=4",
        &text,
        shape(0, 0, 2, 0, 0),
        4,
        vec![vec![5, -6]],
        &["y"],
        None,
    );
}

#[test]
fn rescale_degenerate_clamp() {
    let text = rescale_graph(
        INPUT8,
        "rescale %0 mult=1 shift=1 lo=2 hi=2 : q0[1,2] in [2,2]",
    );
    check(
        "clamp lo = hi = 2 t=4",
        &text,
        RESCALE,
        4,
        vec![vec![5, -6]],
        &["y"],
        Some(F2),
    );
}

#[test]
fn rescale_clamp_off() {
    // q = floor((x + 2) / 4) in [-2, 2]: the clamp [-4, 3] never fires.
    let text = rescale_graph(
        INPUT8,
        "rescale %0 mult=1 shift=2 lo=-4 hi=3 : q0[1,2] in [-2,2]",
    );
    check(
        "clamp off n=2 t=4",
        &text,
        RESCALE,
        4,
        vec![vec![5, -6]],
        &["y"],
        Some(F3),
    );
}

#[test]
fn rescale_clamp_off_two_rows() {
    let input = "  %0 = input 0 : q0[1,1] in [-32,31] # x\n";
    let text = rescale_graph(
        input,
        "rescale %0 mult=1 shift=5 lo=-4 hi=3 : q0[1,1] in [-1,1]",
    );
    check(
        "clamp off n=5 t=4",
        &text,
        RESCALE,
        4,
        vec![vec![20]],
        &["y"],
        Some(F3),
    );
}

fn gemm(k: usize) -> String {
    let w: Vec<String> = (0..k)
        .map(|i| ((i as i64 * 5) % 7 - 3).to_string())
        .collect();
    format!(
        "graph g {{
  %0 = input 0 : q0[1,{k}] in [-4,3] # x
  %1 = const [{}] : q0[{k},1] in [-3,3] # w
  %2 = const [5] : q0[1] in [5,5] # b
  %3 = gemm %0, %1, %2 : q0[1,1] in [-200,200] # dot
  output %3
}}",
        w.join(",")
    )
}

#[test]
fn mac_padding_lanes() {
    // 3 taps on 8 lanes: five padding lanes.
    check(
        "mac 3 taps / 8 lanes",
        &gemm(3),
        shape(8, 0, 1, 0, 0),
        4,
        vec![vec![1, -4, 3]],
        &["dot"],
        None,
    );
}

#[test]
fn mac_multi_row() {
    // 19 taps on 8 lanes: three rows with a running sum.
    let x: Vec<i64> = (0..19).map(|i| i % 8 - 4).collect();
    check(
        "mac 19 taps / 8 lanes",
        &gemm(19),
        shape(8, 0, 1, 0, 0),
        4,
        vec![x],
        &["dot"],
        None,
    );
}

fn two_inputs(op: &str) -> String {
    format!(
        "graph g {{
  %0 = input 0 : q0[1,2] in [-4,3] # a
  %1 = input 1 : q0[1,2] in [-8,7] # b
  %2 = {op} : q0[1,2] in [-64,64] # z
  output %2
}}"
    )
}

#[test]
fn arith_mul_of_activations() {
    check(
        "arith a*b",
        &two_inputs("mul %0, %1"),
        shape(0, 1, 1, 0, 0),
        4,
        vec![vec![2, -3], vec![7, -8]],
        &["z"],
        None,
    );
}

#[test]
fn arith_add_and_sub() {
    check(
        "arith a+b",
        &two_inputs("add %0, %1"),
        shape(0, 2, 1, 0, 0),
        4,
        vec![vec![2, -3], vec![7, -8]],
        &["z"],
        None,
    );
    check(
        "arith a-b",
        &two_inputs("sub %0, %1"),
        shape(0, 1, 1, 0, 0),
        4,
        vec![vec![2, -3], vec![7, -8]],
        &["z"],
        None,
    );
}

#[test]
fn arith_add_constant() {
    let text = "graph g {
  %0 = input 0 : q0[1,2] in [-4,3] # a
  %1 = const [3,-2] : q0[1,2] in [-2,3] # c
  %2 = add %0, %1 : q0[1,2] in [-6,6] # z
  %3 = sub %1, %0 : q0[1,2] in [-6,6] # w
  output %2, %3
}";
    check(
        "arith a+c, c-a",
        text,
        shape(0, 4, 1, 0, 0),
        4,
        vec![vec![2, -3]],
        &["z", "w"],
        None,
    );
}

#[test]
fn arith_linear_rescale() {
    // y = 3x exactly (no shift, clamp never fires): an arith lane.
    let text = rescale_graph(
        INPUT8,
        "rescale %0 mult=3 shift=0 lo=-128 hi=127 : q0[1,2] in [-24,21]",
    );
    check(
        "arith linear rescale 3x",
        &text,
        shape(0, 1, 1, 0, 0),
        4,
        vec![vec![5, -6]],
        &["y"],
        None,
    );
}

#[test]
fn arith_rescale_of_constant() {
    let text = "graph g {
  %0 = input 0 : q0[1,2] in [-4,3] # a
  %1 = const [5,-3] : q0[1,2] in [-3,5] # c
  %2 = rescale %1 mult=1 shift=-1 lo=-128 hi=127 : q0[1,2] in [-6,10] # c2
  %3 = add %0, %2 : q0[1,2] in [-10,13] # z
  output %3
}";
    check(
        "arith rescale of a constant",
        text,
        shape(0, 1, 1, 0, 0),
        4,
        vec![vec![2, -3]],
        &["c2"],
        Some(F5),
    );
}

fn max_graph(k: usize, pads: usize) -> String {
    let outs = (k + 2 * pads - k) / k + 1;
    format!(
        "graph g {{
  %0 = input 0 : q0[1,1,{k}] in [-4,3] # x
  %1 = max_pool %0 kernel=[{k}] strides=[{k}] pads=[{pads},{pads}] dilations=[1] ceil_mode=0 : q0[1,1,{outs}] in [-4,3] # m
  output %1
}}"
    )
}

#[test]
fn max_one_to_four_taps() {
    for k in 1..=4 {
        let x: Vec<i64> = (0..k as i64).map(|i| (i * 3) % 8 - 4).collect();
        check(
            &format!("max {k} taps"),
            &max_graph(k, 0),
            shape(0, 0, 1, 1, 0),
            3,
            vec![x],
            &["m"],
            None,
        );
    }
}

#[test]
fn max_with_padding() {
    // kernel 2, pad 1 on 3 values: windows of 1 and 2 in-bounds taps.
    let text = "graph g {
  %0 = input 0 : q0[1,1,3] in [-4,3] # x
  %1 = max_pool %0 kernel=[2] strides=[2] pads=[1,1] dilations=[1] ceil_mode=0 : q0[1,1,2] in [-4,3] # m
  output %1
}";
    check(
        "max padded",
        text,
        shape(0, 0, 1, 1, 0),
        3,
        vec![vec![2, -4, 1]],
        &["m"],
        None,
    );
}

fn table_graph(name: &str, values: &str) -> String {
    format!(
        "graph g {{
  %0 = input 0 : q0[1,2] in [-8,7] # x
  %1 = table %0 name={name} lo=-8 values=[{values}] : q0[1,2] in [-64,64] # f
  output %1
}}"
    )
}

#[test]
fn tables_sigmoid_tanh_leaky_relu() {
    let s = shape(0, 0, 1, 0, 1);
    let cases = [
        ("sigmoid", "1,1,2,2,3,4,5,6,8,10,11,12,13,14,14,15"),
        ("tanh", "-15,-15,-14,-14,-13,-11,-8,-4,0,4,8,11,13,14,14,15"),
        ("leaky_relu", "-1,-1,-1,-1,-1,-1,0,0,0,1,2,3,4,5,6,7"),
    ];
    for (name, values) in cases {
        check(
            &format!("table {name}"),
            &table_graph(name, values),
            s,
            4,
            vec![vec![-8, 7]],
            &["f"],
            None,
        );
    }
}

#[test]
fn range_table_tags() {
    // remainders, slacks and y - lo of widths 1..=4 over tables of 3 and 4
    // bits: every tag of the range table, and limb splits at t = 3.
    for (shift, t) in [(1, 3), (2, 3), (3, 3), (4, 4), (4, 3)] {
        let hi = (1i64 << shift) - 1;
        let op = format!("rescale %0 mult=5 shift={shift} lo=0 hi={hi} : q0[1,2] in [0,{hi}]");
        let text = rescale_graph(INPUT8, &op);
        check(
            &format!("range tags n={shift} t={t}"),
            &text,
            RESCALE,
            t,
            vec![vec![7, -2]],
            &["y"],
            None,
        );
    }
}

#[test]
fn rescale_one_sided_clamps() {
    // the clamp can fire on one side only: that direction of d is the only
    // one the gate allows, and y is checked to the values it can reach
    // ([-8, 0] and [0, 7]), not to the clip's whole range
    for (lo, hi, label) in [
        (-100, 0, "clamp [-100,0] upper only"),
        (0, 100, "clamp [0,100] lower only"),
    ] {
        let (rl, rh) = (lo.max(-8), hi.min(7));
        let text = rescale_graph(
            INPUT8,
            &format!("rescale %0 mult=1 shift=0 lo={lo} hi={hi} : q0[1,2] in [{rl},{rh}]"),
        );
        check(
            &format!("{label} t=4"),
            &text,
            RESCALE,
            4,
            vec![vec![5, -6]],
            &["y"],
            None,
        );
    }
}

#[test]
fn mac_with_private_weights_and_bias() {
    // advice weights (copies of committed cells) and a private bias as a
    // tap on the constant 1; the bias is wider than the 4-bit table, so
    // its value cell is rebuilt from two limbs
    let text = "graph g {
  %0 = input 0 : q0[1,2] in [-4,3] # x
  %1 = private [2,-3] lo=-4 hi=3 : q0[2,1] in [-4,3] # w
  %2 = private [-20] lo=-32 hi=31 : q0[1] in [-32,31] # b
  %3 = gemm %0, %1, %2 : q0[1,1] in [-64,63] # dot
  output %3
}";
    let mut s = shape(8, 0, 1, 0, 0);
    s.commit_lanes = 2;
    s.advice_weights = true;
    check(
        "mac private weights",
        text,
        s,
        4,
        vec![vec![1, -4]],
        &["dot"],
        None,
    );
    // the same with arith lanes: the bias is rebuilt by an arith lane
    s.arith_lanes = 1;
    check(
        "mac private weights, bias rebuilt by arith",
        text,
        s,
        4,
        vec![vec![1, -4]],
        &["dot"],
        None,
    );
    // and the whole circuit is determined given the committed cells
    let g = common::from_text(text);
    let (c, inst, _) = zkc_circuit::analysis::small_circuit(&g, s, 4, &[vec![1, -4]]).unwrap();
    assert!(
        c.plan().rows_by_op.contains_key("private"),
        "{:?}",
        c.plan().rows_by_op
    );
    let rep = zkc_circuit::analysis::check_determinacy_given(
        &c,
        &inst,
        &g,
        &["commit.v", "commit.salt"],
        zkc_circuit::analysis::record::input_rows(&g),
    )
    .unwrap();
    common::assert_determined(&rep);
}
