//! Private parameters: the commitment chip and the advice weights.
//!
//! The honest witness with the out-of-circuit commitment passes; another
//! commitment, salt or weight fails; forged slot cells (one or several
//! together, any field element, limbs moved between each other so their
//! sum stays) are rejected; and the verifying key does not depend on the
//! weight values.

mod common;

use std::sync::Arc;

use halo2_proofs::pasta::Fp;
use zkc_circuit::chips::commit::{chunk_ends, chunk_values, limb_widths, CommitLayout};
use zkc_circuit::commitment::commitment;
use zkc_circuit::{adversary, instance_of, plan, prover, Forge, ModelCircuit};
use zkc_ir::Graph;

/// A gemm with private weights (one limb at an 8-bit table) and a private
/// bias wider than the table (limbs rebuilt by the MAC chip), then a conv
/// with a private weight and a public bias.
fn text(w: [i64; 6], b: [i64; 2]) -> String {
    format!(
        "graph priv {{
  %0 = input 0 : q4[1,3] in [-8,7] # x
  %1 = private [{}] lo=-128 hi=127 : q3[3,2] in [-128,127] # w
  %2 = private [{}] lo=-65536 hi=65535 : q7[2] in [-65536,65535] # b
  %3 = gemm %0, %1, %2 : q7[1,2] in [-68608,68607] # fc
  output %3
}}",
        w.map(|v| v.to_string()).join(","),
        b.map(|v| v.to_string()).join(",")
    )
}

const W: [i64; 6] = [12, -7, 127, -128, 3, 0];
const B: [i64; 2] = [40000, -65536];

struct Case {
    g: Graph,
    c: ModelCircuit,
    inst: Vec<Fp>,
    cells: Vec<zkc_circuit::CellRecord>,
}

fn case(w: [i64; 6], b: [i64; 2], salt: Fp) -> Case {
    let g = common::from_text(&text(w, b));
    let x = vec![vec![3, -8, 7]];
    let run = zkc_runtime::run_int(&g, &x).unwrap();
    let mut inst = instance_of(&g, &run).unwrap();
    inst.push(commitment(&g, salt).unwrap());
    let p = plan(&g).unwrap();
    assert!(p.shape.is_private());
    let c =
        ModelCircuit::new(Arc::new(g.clone()), Arc::new(p), Some(Arc::new(run))).with_salt(salt);
    let cells = common::mock_logged(&c, &inst);
    Case { g, c, inst, cells }
}

impl Case {
    fn rejects(&self, forged: &[Forge], inst: &[Fp]) -> bool {
        !adversary::mock_verify(&self.c.forged(forged), inst)
            .unwrap()
            .is_empty()
    }
    fn slot_cells(&self) -> Vec<zkc_circuit::CellRecord> {
        self.cells
            .iter()
            .filter(|r| r.role == "commit.v")
            .cloned()
            .collect()
    }
}

#[test]
fn packing_is_greedy_and_limbs_are_most_significant_first() {
    assert_eq!(chunk_ends(&[100, 100, 100, 8]), vec![2, 4]);
    assert_eq!(chunk_ends(&[]), Vec::<usize>::new());
    assert_eq!(chunk_ends(&[64; 4]), vec![3, 4]);
    assert_eq!(limb_widths(17, 8), vec![1, 8, 8]);
    assert_eq!(limb_widths(8, 8), vec![8]);
    assert_eq!(limb_widths(0, 8), vec![0]);
    let v = chunk_values(&[1, 2, 3], &[4, 4, 8]);
    assert_eq!(v, vec![Fp::from(0x1203)]);
    // a range that is not a power-of-two span is refused
    assert!(CommitLayout::new(&[(-5, 5)], 8, 2).is_none());
    // lo == hi: a zero-width element (no freedom at all)
    let l = CommitLayout::new(&[(7, 7), (0, 255)], 8, 2).unwrap();
    assert_eq!(l.rows.len(), 1);
    assert_eq!(l.rows[0][0].width, 0);
}

#[test]
fn honest_witness_with_its_commitment_passes_and_others_fail() {
    let salt = Fp::from(0xdead_beef);
    let k = case(W, B, salt);
    // another salt's commitment
    let mut other = k.inst.clone();
    *other.last_mut().unwrap() = commitment(&k.g, Fp::from(1)).unwrap();
    assert!(k.rejects(&[], &other));
    // another model's commitment (one weight changed), same salt
    let g2 = common::from_text(&text([12, -7, 127, -128, 3, 1], B));
    let mut other = k.inst.clone();
    *other.last_mut().unwrap() = commitment(&g2, salt).unwrap();
    assert!(k.rejects(&[], &other));
    // the circuit with the wrong salt in its witness
    let wrong = k.c.with_salt(Fp::from(2));
    assert!(!adversary::mock_verify(&wrong, &k.inst).unwrap().is_empty());
}

#[test]
fn forged_slots_are_rejected() {
    let k = case(W, B, Fp::from(99));
    let slots = k.slot_cells();
    assert_eq!(slots.len(), 6 + 2 * 3, "6 weights, 2 biases of 3 limbs");
    let values = [
        Fp::one(),
        -Fp::one(),
        Fp::from(256),
        Fp::from(1 << 20),
        -Fp::from(300),
    ];
    for r in &slots {
        for &d in &values {
            let honest = k.honest(r);
            let f = [Forge {
                column: r.column,
                row: r.row,
                value: honest + d,
            }];
            assert!(k.rejects(&f, &k.inst), "slot {r:?} + {d:?} accepted");
        }
    }
    // two limbs of one bias moved together (their weighted sum unchanged):
    // the packed chunk changes, so the commitment does
    let b0: Vec<_> = slots
        .iter()
        .filter(|r| k.g.node(r.node.unwrap()).name == "b" && r.element == 0)
        .cloned()
        .collect();
    assert_eq!(b0.len(), 3);
    let f = [
        Forge {
            column: b0[1].column,
            row: b0[1].row,
            value: k.honest(&b0[1]) - Fp::one(),
        },
        Forge {
            column: b0[2].column,
            row: b0[2].row,
            value: k.honest(&b0[2]) + Fp::from(256),
        },
    ];
    assert!(k.rejects(&f, &k.inst));
    // the same two limbs with the output changed consistently is still
    // caught (by the limb range and the commitment)
    let f2 = [Forge {
        column: b0[2].column,
        row: b0[2].row,
        value: k.honest(&b0[2]) + Fp::from(1),
    }];
    assert!(k.rejects(&f2, &k.inst));
}

impl Case {
    /// The honest value of a logged cell: recomputed by re-running the
    /// layout with no forgery and reading MockProver's assignment is not
    /// exposed, so the slot's value is derived from the trace.
    fn honest(&self, r: &zkc_circuit::CellRecord) -> Fp {
        let id = r.node.unwrap();
        let zkc_ir::Op::Private(p) = self.g.op(id) else {
            panic!()
        };
        let e = p.values.as_ref().unwrap().as_i64().unwrap()[r.element];
        let limbs = limb_widths(
            zkc_circuit::chips::commit::element_width(p.lo, p.hi).unwrap(),
            8,
        );
        if limbs.len() == 1 {
            return zkc_circuit::field::fp64(e);
        }
        // which limb: the slot rows of one element are consecutive in
        // packing order, most significant first
        let same: Vec<_> = self
            .slot_cells()
            .into_iter()
            .filter(|s| s.node == r.node && s.element == r.element)
            .collect();
        let j = same.iter().position(|s| s == r).unwrap();
        let u = (e - p.lo) as u64;
        let after: u32 = limbs[j + 1..].iter().sum();
        Fp::from((u >> after) & ((1u64 << limbs[j]) - 1))
    }
}

#[test]
fn verifying_key_does_not_depend_on_the_weights() {
    let a = common::from_text(&text(W, B));
    let b = common::from_text(&text([-1, 2, -3, 4, -5, 6], [0, 17]));
    let (pa, pb) = (plan(&a).unwrap(), plan(&b).unwrap());
    assert_eq!(pa, pb);
    let params = halo2_proofs::poly::commitment::Params::new(pa.k);
    let vk = |g: &Graph, p: &zkc_circuit::Plan| {
        let c = ModelCircuit::new(Arc::new(g.clone()), Arc::new(p.clone()), None);
        prover::fingerprint(&prover::verifying_key(&params, &c).unwrap())
    };
    assert_eq!(vk(&a, &pa), vk(&b, &pb));
}

#[test]
fn a_real_proof_verifies_and_binds_the_commitment() {
    let salt = Fp::from(5);
    let k = case(W, B, salt);
    let p = k.c.plan().clone();
    let params = halo2_proofs::poly::commitment::Params::new(p.k);
    let vk = prover::verifying_key(&params, &k.c).unwrap();
    let pk = prover::proving_key(&params, vk.clone(), &k.c).unwrap();
    let proof = prover::prove(&params, &pk, &k.c, &k.inst).unwrap();
    prover::verify(&params, &vk, &k.inst, p.instance_len, &proof).unwrap();
    let mut other = k.inst.clone();
    *other.last_mut().unwrap() += Fp::one();
    assert!(prover::verify(&params, &vk, &other, p.instance_len, &proof).is_err());
}

#[test]
fn a_long_commitment_hashes_segments_on_parallel_chips() {
    // 9,000 8-bit weights: 291 words, more than one segment
    let n = 3000;
    let w: Vec<String> = (0..3 * n as i64)
        .map(|i| ((i * 37) % 255 - 127).to_string())
        .collect();
    let text = format!(
        "graph big {{
  %0 = input 0 : q4[1,3] in [-8,7] # x
  %1 = private [{}] lo=-128 hi=127 : q3[3,{n}] in [-128,127] # w
  %2 = const [{}] : q7[{n}] in [0,0] # b
  %3 = gemm %0, %1, %2 : q7[1,{n}] in [-3072,3072] # fc
  output %3
}}",
        w.join(","),
        vec!["0"; n].join(",")
    );
    let g = common::from_text(&text);
    let words = zkc_circuit::commitment::chunk_words(&g).unwrap();
    assert!(zkc_circuit::chips::commit::segments(words.len()).len() >= 2);
    let salt = Fp::from(11);
    let run = zkc_runtime::run_int(&g, &[vec![3, -8, 7]]).unwrap();
    let mut inst = instance_of(&g, &run).unwrap();
    inst.push(commitment(&g, salt).unwrap());
    let p = plan(&g).unwrap();
    let c =
        ModelCircuit::new(Arc::new(g.clone()), Arc::new(p), Some(Arc::new(run))).with_salt(salt);
    assert!(adversary::mock_verify(&c, &inst).unwrap().is_empty());
    // the flat hash (no segments) is not the commitment
    let mut flat = vec![salt];
    flat.extend(words);
    let mut other = inst.clone();
    *other.last_mut().unwrap() = zkc_circuit::poseidon::hash(&flat);
    assert!(!adversary::mock_verify(&c, &other).unwrap().is_empty());
}

#[test]
fn given_the_committed_cells_everything_else_is_determined() {
    // whole-circuit determinacy: with the private values' slots and the
    // salt taken as given (the commitment binds them), the verifier's
    // values determine every other cell, the Poseidon chips' included
    let g = common::from_text(&text(W, B));
    let rep = zkc_circuit::analysis::check_determinacy_private(&g, &[vec![3, -8, 7]]).unwrap();
    println!("{rep:?}");
    common::assert_determined(&rep);
}
