//! Regression tests for the forgeries an outside audit found: each builds
//! the forged witness an attacker would use (several cells changed
//! together, field elements that are not small integers) and checks that
//! MockProver rejects it with the exact constraint or lookup named, and
//! that a real proof of that witness does not verify. On the code before
//! the fixes every one of these witnesses was accepted.

mod common;

use halo2_proofs::arithmetic::Field;
use halo2_proofs::dev::metadata;
use halo2_proofs::dev::VerifyFailure;
use halo2_proofs::pasta::Fp;
use zkc_circuit::{adversary, field, CircuitShape, Forge};

type Case = common::Logged;

/// A case from quantized IR text: the honest witness must satisfy the
/// circuit (MockProver), and its cells are logged.
fn case(text: &str, x: Vec<Vec<i64>>) -> Case {
    Case::new(common::from_text(text), &x)
}

/// Forged witnesses of a case.
trait Forging {
    fn forge(&self, name: &str, role: &str, e: usize, value: Fp) -> Forge;
    fn shape(&self) -> CircuitShape;
    fn failures(&self, forged: &[Forge], inst: &[Fp]) -> Vec<VerifyFailure>;
    fn real_accepted(&self, forged: &[Forge], inst: &[Fp]) -> bool;
}

impl Forging for Case {
    fn forge(&self, name: &str, role: &str, e: usize, value: Fp) -> Forge {
        let r = self.cell(name, role, e);
        Forge {
            column: r.column,
            row: r.row,
            value,
        }
    }
    fn shape(&self) -> CircuitShape {
        self.c.plan().shape
    }
    /// MockProver's failures for a forged witness and public values.
    fn failures(&self, forged: &[Forge], inst: &[Fp]) -> Vec<VerifyFailure> {
        adversary::mock_verify(&self.c.forged(forged), inst).unwrap()
    }
    /// Whether a real proof of the forged witness verifies.
    fn real_accepted(&self, forged: &[Forge], inst: &[Fp]) -> bool {
        adversary::real_proof_accepted(&self.c, &self.c.forged(forged), inst).unwrap()
    }
}

/// The rescale gate of `lane` (gates are created in the order mac, arith
/// lanes, rescale lanes, max).
fn rescale_gate(s: &CircuitShape, lane: usize) -> metadata::Gate {
    let index = usize::from(s.mac_lanes > 0) + s.arith_lanes + lane;
    (index, "rescale").into()
}

/// The rescale lane holding advice column `column`: advice columns are
/// allocated mac (lanes, then acc), arith (a, b, out per lane), then six per
/// rescale lane (x, y, d, s, r, yr).
fn lane_of(c: &Case, column: usize) -> usize {
    let s = c.shape();
    let base = if s.mac_lanes > 0 { s.mac_lanes + 1 } else { 0 } + 3 * s.arith_lanes;
    let lane = (column - base) / 6;
    assert!(
        lane < s.rescale_lanes,
        "column {column} is not a rescale lane"
    );
    lane
}

/// True when `f` holds a failure of constraint `index` (`name`) of `gate`.
fn has_constraint(
    f: &[VerifyFailure],
    gate: metadata::Gate,
    index: usize,
    name: &'static str,
) -> bool {
    let want: metadata::Constraint = (gate, index, name).into();
    f.iter().any(|v| match v {
        VerifyFailure::ConstraintNotSatisfied { constraint, .. } => *constraint == want,
        _ => false,
    })
}

/// True when `f` holds a failure of lookup argument `index`.
fn has_lookup(f: &[VerifyFailure], index: usize) -> bool {
    f.iter()
        .any(|v| matches!(v, VerifyFailure::Lookup { lookup_index, .. } if *lookup_index == index))
}

/// Lookup arguments: three per rescale lane (`r`, `s`, `yr`), then max and
/// table.
fn yr_lookup(lane: usize) -> usize {
    3 * lane + 2
}

const INPUT_ONLY: &str = "graph f1 {
  %0 = input 0 : q4[1,2] in [-128,127] # x
  %1 = const [1,1] : q0[2,1] in [1,1] # w
  %2 = const [0] : q4[1] in [0,0] # b
  %3 = gemm %0, %1, %2 : q4[1,1] in [-256,254] # acc
  output %3
}";

/// Finding 1: a public input one past its bound (`q = 128` at 8 bits),
/// carried through the input rescale as `d = 1`, `y = 127`; and a public
/// input that is a field element near `p`.
#[test]
fn f1_public_input_one_past_its_bound() {
    let k = case(INPUT_ONLY, vec![vec![127, 5]]);
    let x = k.cell("x", "input.x", 0);
    let lane = lane_of(&k, x.column);
    for (forged_x, y, d) in [(128i64, 127i64, 1i64), (-129, -128, -1)] {
        let mut inst = k.inst.clone();
        inst[0] = field::fp64(forged_x);
        // the output is computed from the clamped value, as the audit did
        let n = inst.len();
        inst[n - 1] = field::fp64(y + k.value("x", 1));
        let forged = [
            k.forge("x", "input.x", 0, field::fp64(forged_x)),
            k.forge("x", "rescale.y", 0, field::fp64(y)),
            k.forge("x", "rescale.d", 0, field::fp64(d)),
            k.forge("x", "rescale.s", 0, Fp::zero()),
            k.forge("x", "rescale.yr", 0, field::fp64(y + 128)),
            k.forge("acc", "mac.x", 0, field::fp64(y)),
            k.forge("acc", "mac.acc", 0, inst[n - 1]),
        ];
        let f = k.failures(&forged, &inst);
        assert!(
            has_constraint(
                &f,
                rescale_gate(&k.shape(), lane),
                1,
                "d in {-c_lo, 0, c_hi}"
            ),
            "input {forged_x} forged as {y}: {f:?}"
        );
        assert!(
            !k.real_accepted(&forged, &inst),
            "input {forged_x}: real proof accepted"
        );
    }
    // A public input far outside the range (field elements near p and
    // near p/2), with y = x so the first constraint holds: only the range
    // check of y - lo can refuse it.
    let half = -Fp::from(2).invert().unwrap();
    for v in [
        field::fp64(128),
        half,
        -Fp::from(130),
        Fp::from(2).invert().unwrap(),
    ] {
        let mut inst = k.inst.clone();
        inst[0] = v;
        let n = inst.len();
        inst[n - 1] = v + field::fp64(k.value("x", 1));
        let forged = [
            k.forge("x", "input.x", 0, v),
            k.forge("x", "rescale.y", 0, v),
            k.forge("x", "rescale.yr", 0, v + Fp::from(128)),
            k.forge("acc", "mac.x", 0, v),
            k.forge("acc", "mac.acc", 0, inst[n - 1]),
        ];
        let f = k.failures(&forged, &inst);
        assert!(has_lookup(&f, yr_lookup(lane)), "input {v:?}: {f:?}");
    }
}

/// Finding 2: a degenerate clamp `lo == hi` (a Clip with min = max) must
/// still force `y = lo`.
#[test]
fn f2_degenerate_clamp() {
    let text = "graph f2 {
  %0 = input 0 : q4[1,2] in [-128,127] # x
  %1 = rescale %0 mult=1 shift=1 lo=5 hi=5 : q3[1,2] in [5,5] # clip
  output %1
}";
    let k = case(text, vec![vec![40, -7]]);
    let y = k.cell("clip", "rescale.y", 0);
    let lane = lane_of(&k, y.column);
    // The unclamped quotient q = floor((40 + 1) / 2) = 20 published as y,
    // with d = 0, s = 0 and yr = y - lo (or 0).
    for yr in [15i64, 0] {
        let mut inst = k.inst.clone();
        inst[2] = field::fp64(20);
        let forged = [
            k.forge("clip", "rescale.y", 0, field::fp64(20)),
            k.forge("clip", "rescale.d", 0, Fp::zero()),
            k.forge("clip", "rescale.s", 0, Fp::zero()),
            k.forge("clip", "rescale.yr", 0, field::fp64(yr)),
        ];
        let f = k.failures(&forged, &inst);
        let gate = has_constraint(&f, rescale_gate(&k.shape(), lane), 5, "y - lo = yr");
        assert!(gate || has_lookup(&f, yr_lookup(lane)), "yr = {yr}: {f:?}");
        assert!(
            !k.real_accepted(&forged, &inst),
            "yr = {yr}: real proof accepted"
        );
    }
}

/// Finding 3: fractional outputs of an unclamped rescale, `y' = y + 1/2`,
/// that cancel in the next dot product's weights and shift its
/// accumulator by an integer of the prover's choice.
#[test]
fn f3_fractional_outputs_of_unclamped_rescales() {
    let text = "graph f3 {
  %0 = input 0 : q4[1,2] in [-128,127] # x
  %1 = rescale %0 mult=1 shift=1 lo=-128 hi=127 : q3[1,2] in [-64,64] # pool
  %2 = const [1,1] : q0[2,1] in [1,1] # w
  %3 = const [0] : q3[1] in [0,0] # b
  %4 = gemm %1, %2, %3 : q3[1,1] in [-128,128] # fc
  output %4
}";
    // Even inputs: (x + 1) = 2y + 1, so r = 1 and y' = y + 1/2, r' = 0.
    let k = case(text, vec![vec![10, 20]]);
    let inv2 = Fp::from(2).invert().unwrap();
    let y_lane = lane_of(&k, k.cell("pool", "rescale.y", 0).column);
    let mut forged = vec![];
    let taps = k.cells("fc", "mac.x", 0);
    for (e, tap) in taps.iter().enumerate().take(2) {
        let y = field::fp64(k.value("pool", e)) + inv2;
        let lo = field::fp64(-64);
        forged.extend([
            k.forge("pool", "rescale.y", e, y),
            k.forge("pool", "rescale.r", e, Fp::zero()),
            k.forge("pool", "rescale.yr", e, y - lo),
            Forge {
                column: tap.column,
                row: tap.row,
                value: y,
            },
        ]);
    }
    let acc = field::fp64(k.value("fc", 0) + 1);
    forged.push(k.forge("fc", "mac.acc", 0, acc));
    let mut inst = k.inst.clone();
    let n = inst.len();
    inst[n - 1] = acc;
    let f = k.failures(&forged, &inst);
    assert!(
        has_lookup(&f, yr_lookup(y_lane)),
        "fractional y accepted: {f:?}"
    );
    assert!(!k.real_accepted(&forged, &inst), "real proof accepted");
}

/// Finding 4: public values bind inputs in input-index order, even when
/// the graph's node order differs.
#[test]
fn f4_input_binding_order() {
    let text = "graph f4 {
  %0 = input 1 : q4[1,2] in [-8,7] # b
  %1 = input 0 : q4[1,3] in [-8,7] # a
  output %0, %1
}";
    let g = common::from_text(text);
    assert_eq!(g.inputs_list().len(), 2);
    // case() checks that the honest public values (instance_of order) pass
    let k = case(text, vec![vec![1, 2, 3], vec![4, 5]]);
    // the node-order layout of the old code: b's values first
    let mut swapped = k.inst.clone();
    swapped[..5].copy_from_slice(&[4, 5, 1, 2, 3].map(field::fp64));
    let f = k.failures(&[], &swapped);
    assert!(
        f.iter()
            .any(|v| matches!(v, VerifyFailure::Permutation { .. })),
        "swapped inputs accepted: {f:?}"
    );
}

/// Finding 5: a rescale of a constant laid out as a linear relation must
/// bind the constant, not a free cell.
#[test]
fn f5_rescaled_constant_is_bound() {
    let text = "graph f5 {
  %0 = input 0 : q4[1,2] in [-8,7] # x
  %1 = const [3,5] : q4[1,2] in [3,5] # c
  %2 = rescale %1 mult=1 shift=-1 lo=-128 hi=127 : q5[1,2] in [6,10] # cs
  %3 = rescale %0 mult=1 shift=-1 lo=-128 hi=127 : q5[1,2] in [-16,14] # xs
  %4 = add %3, %2 : q5[1,2] in [-10,24] # sum
  output %4, %2
}";
    // case() checks that the honest witness passes (it failed before: the
    // free cell held 0, so the output was 0 instead of 6)
    let k = case(text, vec![vec![1, -2]]);
    assert_eq!(k.value("cs", 0), 6);
    // Every arith cell that is not a copy must have no say: forging the
    // operand cells of the constant's lane and its output is caught.
    let out = k.cell("cs", "arith.out", 0);
    let mut inst = k.inst.clone();
    let n = inst.len();
    inst[n - 2] = field::fp64(8);
    let mut forged = vec![Forge {
        column: out.column,
        row: out.row,
        value: field::fp64(8),
    }];
    for r in k.cells("cs", "arith.unused", 0) {
        forged.push(Forge {
            column: r.column,
            row: r.row,
            value: field::fp64(4),
        });
    }
    let f = k.failures(&forged, &inst);
    assert!(
        f.iter()
            .any(|v| matches!(v, VerifyFailure::ConstraintNotSatisfied { .. })),
        "a forged constant was accepted: {f:?}"
    );
}

/// A clamp that can only lower values to `hi` (`c_lo = 0`) must not accept
/// `d = -1`: publishing `y = lo` for an in-range quotient, with the slack
/// chosen to balance the quotient (`s = -45`, a field element near `p`) or
/// the remainder (`s = 0`, `r = 91`), is rejected by the direction
/// constraint, and a real proof of either witness does not verify.
#[test]
fn f6_one_sided_clamp_refuses_the_other_side() {
    let text = "graph f6 {
  %0 = input 0 : q4[1,2] in [-128,127] # x
  %1 = rescale %0 mult=1 shift=1 lo=-64 hi=10 : q3[1,2] in [-64,10] # clip
  output %1
}";
    // x = -40: q = floor(-39 / 2) = -20, honest y = -20, d = 0, r = 1;
    // x = 30: q = 15 > hi, honest y = 10, d = 1, s = 4
    let k = case(text, vec![vec![-40, 30]]);
    assert_eq!(k.value("clip", 0), -20);
    let lane = lane_of(&k, k.cell("clip", "rescale.y", 0).column);
    for (s, r) in [(-45i64, 1i64), (0, 91)] {
        let mut inst = k.inst.clone();
        inst[2] = field::fp64(-64);
        let forged = [
            k.forge("clip", "rescale.y", 0, field::fp64(-64)),
            k.forge("clip", "rescale.d", 0, field::fp64(-1)),
            k.forge("clip", "rescale.s", 0, field::fp64(s)),
            k.forge("clip", "rescale.r", 0, field::fp64(r)),
            k.forge("clip", "rescale.yr", 0, Fp::zero()),
        ];
        let f = k.failures(&forged, &inst);
        assert!(
            has_constraint(
                &f,
                rescale_gate(&k.shape(), lane),
                1,
                "d in {-c_lo, 0, c_hi}"
            ),
            "s = {s}: {f:?}"
        );
        assert!(
            !k.real_accepted(&forged, &inst),
            "s = {s}: real proof accepted"
        );
    }
}
