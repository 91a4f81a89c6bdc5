//! Private inputs and outputs: their values leave the public values and a
//! salted commitment to each takes their place (after the model's).
//!
//! The honest witness with the out-of-circuit commitments passes; the
//! commitment of other values or another salt fails; forging a committed
//! value together with the model cell it copies (one or several, any
//! field element) is rejected; and with the input's committed cells and
//! the salts taken as given, every other cell (the output's committed
//! cells and the commitments included) is determined.

mod common;

use std::sync::Arc;

use halo2_proofs::pasta::Fp;
use zkc_circuit::commitment::{commitment, io_commitment, io_range, io_ranges, Part};
use zkc_circuit::{adversary, instance_of, plan, prover, CellRecord, Forge, ModelCircuit};
use zkc_ir::Graph;

/// A gemm with public weights and a rescale with a clamp: the input's
/// bound spans a power of two, the output's does not.
fn text(private: &str, weights: &str) -> String {
    format!(
        "graph io {{
  %0 = input 0 : q4[1,3] in [-8,7] # x
  %1 = {weights} lo=-128 hi=127 : q3[3,2] in [-128,127] # w
  %2 = const [5,-9] : q7[2] in [-9,5] # b
  %3 = gemm %0, %1, %2 : q7[1,2] in [-3081,3077] # fc
  %4 = rescale %3 mult=1 shift=4 lo=0 hi=100 : q3[1,2] in [0,100] # out
  output %4
{private}}}"
    )
}

fn graph(private: &str, private_weights: bool) -> Graph {
    let w = if private_weights {
        "private [12,-7,127,-128,3,0]"
    } else {
        "const [12,-7,127,-128,3,0]"
    };
    let t = text(private, w);
    // a const prints no range
    let t = if private_weights {
        t
    } else {
        t.replace(" lo=-128 hi=127", "")
    };
    common::from_text(&t)
}

const X: [i64; 3] = [3, -8, 7];

struct Case {
    g: Graph,
    c: ModelCircuit,
    inst: Vec<Fp>,
    cells: Vec<CellRecord>,
}

fn case(g: Graph, x: [i64; 3]) -> Case {
    let run = zkc_runtime::run_int(&g, &[x.to_vec()]).unwrap();
    let mut inst = instance_of(&g, &run).unwrap();
    let p = plan(&g).unwrap();
    let mut c = ModelCircuit::new(
        Arc::new(g.clone()),
        Arc::new(p.clone()),
        Some(Arc::new(run.clone())),
    );
    if g.has_private() {
        inst.push(commitment(&g, Fp::from(77)).unwrap());
        c = c.with_salt(Fp::from(77));
    }
    let (si, so) = (Fp::from(101), Fp::from(202));
    let io = g.private_io;
    if io.input {
        inst.push(io_commitment(&g, &run, Part::Input, si).unwrap());
    }
    if io.output {
        inst.push(io_commitment(&g, &run, Part::Output, so).unwrap());
    }
    c = c.with_io_salts(io.input.then_some(si), io.output.then_some(so));
    assert_eq!(inst.len(), p.instance_len);
    let cells = common::mock_logged(&c, &inst);
    Case { g, c, inst, cells }
}

impl Case {
    fn rejects(&self, forged: &[Forge], inst: &[Fp]) -> bool {
        !adversary::mock_verify(&self.c.forged(forged), inst)
            .unwrap()
            .is_empty()
    }

    fn role(&self, role: &str) -> Vec<CellRecord> {
        self.cells
            .iter()
            .filter(|r| r.role == role)
            .cloned()
            .collect()
    }
}

#[test]
fn committed_ranges_are_the_smallest_power_of_two_spans_from_lo() {
    assert_eq!(io_range(-8, 7), Some((-8, 7)));
    assert_eq!(io_range(0, 100), Some((0, 127)));
    assert_eq!(io_range(5, 5), Some((5, 5)));
    assert_eq!(io_range(-1, 0), Some((-1, 0)));
    assert_eq!(io_range(1, 0), None);
    assert_eq!(
        io_range(i64::MAX - 1, i64::MAX),
        Some((i64::MAX - 1, i64::MAX))
    );
    assert_eq!(io_range(i64::MAX - 2, i64::MAX), None);
    let g = graph("  private input, output\n", false);
    assert_eq!(io_ranges(&g, Part::Input).unwrap(), vec![(-8, 7); 3]);
    assert_eq!(io_ranges(&g, Part::Output).unwrap(), vec![(0, 127); 2]);
}

#[test]
fn private_parts_leave_the_public_values() {
    for (line, pw, publics) in [
        ("", false, 3 + 2),
        ("  private input\n", false, 2 + 1),
        ("  private output\n", false, 3 + 1),
        ("  private input, output\n", false, 2),
        ("  private input, output\n", true, 3),
    ] {
        let g = graph(line, pw);
        let p = plan(&g).unwrap();
        assert_eq!(p.instance_len, publics, "{line:?} {pw}");
        assert_eq!(p.shape.has_commitments(), pw || !line.is_empty());
        assert_eq!(
            p.shape.is_private(),
            pw,
            "advice weights only for private weights"
        );
        case(g, X);
    }
}

#[test]
fn other_values_or_salts_do_not_open_the_commitments() {
    for line in ["  private input\n", "  private output\n"] {
        let k = case(graph(line, false), X);
        let part = if line.contains("input") {
            Part::Input
        } else {
            Part::Output
        };
        let run = zkc_runtime::run_int(&k.g, &[X.to_vec()]).unwrap();
        // another salt
        let mut other = k.inst.clone();
        *other.last_mut().unwrap() = io_commitment(&k.g, &run, part, Fp::from(1)).unwrap();
        assert!(k.rejects(&[], &other), "{line}: another salt accepted");
        // another input's (or output's) commitment under the same salt
        let x2 = [3, -8, 6];
        let run2 = zkc_runtime::run_int(&k.g, &[x2.to_vec()]).unwrap();
        let salt = if part == Part::Input { 101 } else { 202 };
        let c2 = io_commitment(&k.g, &run2, part, Fp::from(salt)).unwrap();
        let mut other = k.inst.clone();
        *other.last_mut().unwrap() = c2;
        if part == Part::Input || run2.value(k.g.outputs()[0]) != run.value(k.g.outputs()[0]) {
            assert!(k.rejects(&[], &other), "{line}: another value accepted");
        }
        // the circuit with the wrong salt in its witness
        let wrong = match part {
            Part::Input => k.c.with_io_salts(Some(Fp::from(3)), None),
            _ => k.c.with_io_salts(None, Some(Fp::from(3))),
        };
        assert!(!adversary::mock_verify(&wrong, &k.inst).unwrap().is_empty());
    }
}

#[test]
fn forged_committed_values_are_rejected_alone_and_with_their_sources() {
    let k = case(graph("  private input, output\n", false), X);
    let slots = k.role("commit.io");
    assert_eq!(slots.len(), 3 + 2, "3 inputs and 2 outputs committed");
    let xs = k.role("input.x");
    assert_eq!(xs.len(), 3);
    let run = zkc_runtime::run_int(&k.g, &[X.to_vec()]).unwrap();
    let honest = |r: &CellRecord| -> Fp {
        let id = r.node.unwrap();
        zkc_circuit::field::fp64(run.value(id).unwrap()[r.element])
    };
    let deltas = [
        Fp::one(),
        -Fp::one(),
        Fp::from(16),
        Fp::from(1 << 20),
        -Fp::from(300),
        zkc_circuit::field::pow2(253),
    ];
    for r in &slots {
        for &d in &deltas {
            let f = [Forge {
                column: r.column,
                row: r.row,
                value: honest(r) + d,
            }];
            assert!(k.rejects(&f, &k.inst), "slot {r:?} + {d:?} accepted");
        }
    }
    // an input changed alone: its committed copy no longer equals it
    for x in &xs {
        for &d in &deltas {
            let f = [Forge {
                column: x.column,
                row: x.row,
                value: honest(x) + d,
            }];
            assert!(k.rejects(&f, &k.inst), "input {x:?} + {d:?} accepted");
        }
    }
    // an input changed together with its committed copy: the model sees
    // the new value consistently, but the commitment is of the old one
    for (i, x) in xs.iter().enumerate() {
        let s = slots
            .iter()
            .find(|s| s.node == x.node && s.element == x.element)
            .unwrap();
        for &d in &deltas {
            let f = [
                Forge {
                    column: x.column,
                    row: x.row,
                    value: honest(x) + d,
                },
                Forge {
                    column: s.column,
                    row: s.row,
                    value: honest(s) + d,
                },
            ];
            assert!(
                k.rejects(&f, &k.inst),
                "input {i} and its slot + {d:?} accepted"
            );
        }
    }
    // every committed value shifted at once
    let all: Vec<Forge> = slots
        .iter()
        .chain(&xs)
        .map(|r| Forge {
            column: r.column,
            row: r.row,
            value: honest(r) + Fp::one(),
        })
        .collect();
    assert!(k.rejects(&all, &k.inst));
}

#[test]
fn a_real_proof_verifies_and_binds_both_commitments() {
    let k = case(graph("  private input, output\n", true), X);
    let p = k.c.plan().clone();
    let params = halo2_proofs::poly::commitment::Params::new(p.k);
    let vk = prover::verifying_key(&params, &k.c).unwrap();
    let pk = prover::proving_key(&params, vk.clone(), &k.c).unwrap();
    let proof = prover::prove(&params, &pk, &k.c, &k.inst).unwrap();
    prover::verify(&params, &vk, &k.inst, p.instance_len, &proof).unwrap();
    for i in 0..k.inst.len() {
        let mut other = k.inst.clone();
        other[i] += Fp::one();
        assert!(
            prover::verify(&params, &vk, &other, p.instance_len, &proof).is_err(),
            "public value {i} changed, proof still verifies"
        );
    }
}

#[test]
fn given_the_committed_input_everything_else_is_determined() {
    for pw in [false, true] {
        let k = case(graph("  private input, output\n", pw), X);
        // given: the input's committed cells, the weights' (if private)
        // and the salts; not the output's committed cells
        let given: &[&str] = if pw {
            &["commit.v", "commit.salt", "input.x"]
        } else {
            &["commit.salt", "input.x"]
        };
        let rep =
            zkc_circuit::analysis::check_determinacy_given(&k.c, &k.inst, &k.g, given, 0).unwrap();
        println!("{rep:?}");
        common::assert_determined(&rep);
    }
}

/// An output wider than the range table: committed as limbs that the MAC
/// chip recombines into a copy of the output cell.
#[test]
fn a_wide_output_is_committed_as_limbs_bound_to_the_output() {
    let t = "graph wide {
  %0 = input 0 : q4[1,3] in [-8,7] # x
  %1 = const [12,-7,127,-128,3,0] : q3[3,2] in [-128,127] # w
  %2 = const [5,-9] : q7[2] in [-9,5] # b
  %3 = gemm %0, %1, %2 : q7[1,2] in [-3081,3077] # fc
  output %3
  private output
}";
    let g = common::from_text(t);
    let p = plan(&g).unwrap();
    let l = &p.io_commit[0].layout;
    assert!(
        l.limbs.iter().all(|v| v.len() > 1),
        "13-bit outputs at a {}-bit table: {:?}",
        p.range_bits,
        l.limbs
    );
    let k = case(g, X);
    let slots = k.role("commit.io");
    let run = zkc_runtime::run_int(&k.g, &[X.to_vec()]).unwrap();
    let lo = io_ranges(&k.g, Part::Output).unwrap()[0].0;
    let honest = |r: &CellRecord| -> Fp {
        let e = run.value(k.g.outputs()[0]).unwrap()[r.element];
        let same: Vec<&CellRecord> = slots.iter().filter(|s| s.element == r.element).collect();
        let j = same.iter().position(|s| *s == r).unwrap();
        let w = &l.limbs[r.element];
        let u = (e - lo) as u64;
        let after: u32 = w[j + 1..].iter().sum();
        Fp::from((u >> after) & ((1 << w[j]) - 1))
    };
    // any limb moved by any amount, alone, is rejected
    for r in &slots {
        for d in [
            Fp::one(),
            -Fp::one(),
            Fp::from(256),
            zkc_circuit::field::pow2(200),
        ] {
            let f = [Forge {
                column: r.column,
                row: r.row,
                value: honest(r) + d,
            }];
            assert!(k.rejects(&f, &k.inst), "limb {r:?} + {d:?} accepted");
        }
    }
    // two limbs of one output moved so that their weighted sum (so the
    // packed word and the recombined value) stays: a limb leaves its range
    let o0: Vec<&CellRecord> = slots.iter().filter(|r| r.element == 0).collect();
    let w = &l.limbs[0];
    assert_eq!(o0.len(), w.len());
    let f = [
        Forge {
            column: o0[0].column,
            row: o0[0].row,
            value: honest(o0[0]) - Fp::one(),
        },
        Forge {
            column: o0[1].column,
            row: o0[1].row,
            value: honest(o0[1]) + zkc_circuit::field::pow2(w[1]),
        },
    ];
    assert!(k.rejects(&f, &k.inst), "limbs moved together accepted");
    // given only the salt, everything is determined from the public input
    let rep = zkc_circuit::analysis::check_determinacy_given(
        &k.c,
        &k.inst,
        &k.g,
        &["commit.salt"],
        zkc_circuit::analysis::record::input_rows(&k.g),
    )
    .unwrap();
    common::assert_determined(&rep);
}
