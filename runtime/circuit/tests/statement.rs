//! The dataset statement chip: argmax (ties to the first index), the
//! label comparison and the count, with shared private weights.

mod common;

use std::sync::Arc;

use halo2_proofs::pasta::Fp;
use zkc_circuit::commitment::commitment;
use zkc_circuit::plan::plan_dataset;
use zkc_circuit::{adversary, dataset_instance, DatasetWitness, Forge, ModelCircuit};
use zkc_ir::Graph;

/// Three classes; weights chosen so that ties happen.
const TEXT: &str = "graph stmt {
  %0 = input 0 : q4[1,2] in [-8,7] # x
  %1 = private [1,1,0,0,1,1] lo=-128 hi=127 : q3[2,3] in [-128,127] # w
  %2 = private [0,0,0] lo=-4096 hi=4095 : q7[3] in [-4096,4095] # b
  %3 = gemm %0, %1, %2 : q7[1,3] in [-6144,6143] # fc
  output %3
}";

fn argmax(v: &[i64]) -> i64 {
    let mut b = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[b] {
            b = i;
        }
    }
    b as i64
}

struct Case {
    c: ModelCircuit,
    inst: Vec<Fp>,
    correct: u64,
    cells: Vec<zkc_circuit::CellRecord>,
}

fn case(g: &Graph, xs: &[Vec<i64>], labels: &[i64], counted: &[bool], salt: Fp) -> Case {
    let n = xs.len();
    let p = plan_dataset(g, n, zkc_circuit::plan::StatementKind::Accuracy).unwrap();
    assert_eq!(p.samples, n);
    let runs: Vec<_> = xs
        .iter()
        .map(|x| zkc_runtime::run_int(g, std::slice::from_ref(x)).unwrap())
        .collect();
    let mut correct = 0;
    for (i, r) in runs.iter().enumerate() {
        let out = &r.outputs()[0];
        if counted[i] && argmax(out) == labels[i] {
            correct += 1;
        }
    }
    let inputs: Vec<Vec<Vec<i64>>> = xs.iter().map(|x| vec![x.clone()]).collect();
    let c_fp = commitment(g, salt).unwrap();
    let inst = dataset_instance(&inputs, labels, counted, u128::from(correct), Some(c_fp));
    assert_eq!(inst.len(), p.instance_len);
    let w = DatasetWitness {
        runs,
        labels: labels.to_vec(),
        counted: counted.to_vec(),
    };
    let c =
        ModelCircuit::dataset(Arc::new(g.clone()), Arc::new(p), Some(Arc::new(w))).with_salt(salt);
    let log = Arc::new(std::sync::Mutex::new(vec![]));
    let f = adversary::mock_verify(&c.logging(log.clone()), &inst).unwrap();
    assert!(f.is_empty(), "honest witness fails: {f:?}");
    let cells = log.lock().unwrap().clone();
    Case {
        c,
        inst,
        correct,
        cells,
    }
}

fn xs() -> Vec<Vec<i64>> {
    // outputs [x0, x0 + x1, x1]: ties when x1 = 0 (classes 0 and 1) or x0 = 0
    vec![
        vec![3, 0],
        vec![0, 5],
        vec![-2, -2],
        vec![7, -8],
        vec![1, 1],
        vec![0, 0],
    ]
}

#[test]
fn honest_counts_pass_and_every_other_count_fails() {
    let g = common::from_text(TEXT);
    let labels = [0, 1, 1, 0, 1, 0];
    let counted = [true, true, true, true, true, false];
    let k = case(&g, &xs(), &labels, &counted, Fp::from(3));
    // [3,3,0] -> 0 ok; [0,5,5] -> 1 ok; [-2,-4,-2] -> 0 (label 1) no;
    // [7,-1,-8] -> 0 ok; [1,2,1] -> 1 ok; the last does not count
    assert_eq!(k.correct, 4);
    let total = k.inst.len() - 2;
    for wrong in [0u64, 3, 5, 6] {
        let mut inst = k.inst.clone();
        inst[total] = Fp::from(wrong);
        assert!(
            !adversary::mock_verify(&k.c, &inst).unwrap().is_empty(),
            "count {wrong} accepted"
        );
    }
    // a label changed in the public values: the proven count no longer holds
    let mut inst = k.inst.clone();
    let first_label = total - 2 * labels.len();
    inst[first_label] = Fp::from(1);
    assert!(!adversary::mock_verify(&k.c, &inst).unwrap().is_empty());
    // the uncounted sample flagged as counted
    let mut inst = k.inst.clone();
    inst[total - 1] = Fp::one();
    let f = adversary::mock_verify(&k.c, &inst).unwrap();
    // [0,0,0] -> 0 with label 0: counting it would need count 5
    assert!(!f.is_empty());
}

#[test]
fn forged_predictions_are_rejected() {
    let g = common::from_text(TEXT);
    let labels = [1, 1, 1, 0, 1, 0];
    let counted = [true; 6];
    let k = case(&g, &xs(), &labels, &counted, Fp::from(4));
    let cell = |role: &str, e: usize, j: usize| {
        let v: Vec<_> = k
            .cells
            .iter()
            .filter(|r| r.role == role && r.element == e)
            .collect();
        *v.get(j).unwrap_or_else(|| panic!("no {role} {e} {j}"))
    };
    let forge = |r: &zkc_circuit::CellRecord, value: Fp| Forge {
        column: r.column,
        row: r.row,
        value,
    };
    let rejects = |f: &[Forge]| {
        !adversary::mock_verify(&k.c.forged(f), &k.inst)
            .unwrap()
            .is_empty()
    };
    // the correctness bit of sample 1 ([0,5,5], label 1: correct) zeroed,
    // with the count lowered to match
    let mut inst = k.inst.clone();
    let total = inst.len() - 2;
    inst[total] -= Fp::one();
    let f = [forge(cell("stmt.c", 1, 0), Fp::zero())];
    assert!(!adversary::mock_verify(&k.c.forged(&f), &inst)
        .unwrap()
        .is_empty());
    // the maximum of sample 2 lowered below an output
    assert!(rejects(&[forge(cell("stmt.m", 2, 0), -Fp::from(5))]));
    // a limb given a huge field element
    assert!(rejects(&[forge(
        cell("stmt.r", 3, 0),
        Fp::from(1u64 << 50)
    )]));
    // the coordinated attack: claim the first sample ([3,3,0], label 1) is
    // predicted as class 1 (the tie's second index): move the one-hot
    // (with the prefix sums, selected value and index all moved with it)
    let f = [
        forge(cell("stmt.h", 0, 0), Fp::zero()),
        forge(cell("stmt.h", 0, 1), Fp::one()),
        forge(cell("stmt.s", 0, 0), Fp::zero()),
        forge(cell("stmt.sel", 0, 0), Fp::zero()),
        forge(cell("stmt.p", 0, 1), Fp::one()),
        forge(cell("stmt.p", 0, 2), Fp::one()),
        forge(cell("stmt.c", 0, 0), Fp::one()),
    ];
    let mut inst = k.inst.clone();
    let total = inst.len() - 2;
    inst[total] += Fp::one();
    let fails = adversary::mock_verify(&k.c.forged(&f), &inst).unwrap();
    assert!(!fails.is_empty(), "moved prediction accepted");
    // it is the first-index rule that catches it: row 0 before the claimed
    // prediction must be strictly below the maximum
    assert!(
        fails
            .iter()
            .any(|v| format!("{v:?}").contains("m - y - (1 - s) = limbs")
                || format!("{v:?}").contains("Lookup")),
        "{fails:?}"
    );
}

#[test]
fn a_real_proof_of_a_count_verifies() {
    let g = common::from_text(TEXT);
    let labels = [0, 1, 1, 0, 1, 0];
    let counted = [true, true, true, true, true, false];
    let k = case(&g, &xs(), &labels, &counted, Fp::from(7));
    let p = k.c.plan().clone();
    let params = halo2_proofs::poly::commitment::Params::new(p.k);
    let vk = zkc_circuit::prover::verifying_key(&params, &k.c).unwrap();
    let pk = zkc_circuit::prover::proving_key(&params, vk.clone(), &k.c).unwrap();
    let proof = zkc_circuit::prover::prove(&params, &pk, &k.c, &k.inst).unwrap();
    zkc_circuit::prover::verify(&params, &vk, &k.inst, p.instance_len, &proof).unwrap();
    let mut one_more = k.inst.clone();
    let total = one_more.len() - 2;
    one_more[total] += Fp::one();
    assert!(zkc_circuit::prover::verify(&params, &vk, &one_more, p.instance_len, &proof).is_err());
}

#[test]
fn dataset_circuit_is_determined_given_its_commitment() {
    // the whole dataset circuit: given the public inputs, labels and flags
    // and the committed cells, every cell is determined, except the
    // inverse witness `w` of samples whose prediction equals the label
    // (free, and read by no other constraint)
    let g = common::from_text(TEXT);
    let labels = [0, 1, 1, 0, 1, 0];
    let counted = [true, true, true, true, true, false];
    let k = case(&g, &xs(), &labels, &counted, Fp::from(3));
    let given = k.inst.len() - 2; // all but the count and the commitment
    let rep = zkc_circuit::analysis::check_determinacy_given(
        &k.c,
        &k.inst,
        &g,
        &["commit.v", "commit.salt"],
        given,
    )
    .unwrap();
    println!("{:?}", rep.by_rule);
    assert!(rep.errors.is_empty(), "{:?}", rep.errors);
    let w_cols: Vec<usize> = k
        .cells
        .iter()
        .filter(|r| r.role == "stmt.w")
        .map(|r| r.column)
        .collect();
    let bad: Vec<&String> = rep
        .undetermined
        .iter()
        .filter(|d| {
            !(d.contains("stmt.w") || w_cols.iter().any(|c| d.contains(&format!("column {c} "))))
        })
        .collect();
    assert!(bad.is_empty(), "undetermined: {bad:?}");
    // at most one free w per correct sample
    assert!(
        rep.undetermined.len() <= k.correct as usize + 1,
        "{:?}",
        rep.undetermined
    );
}
