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
    // and the committed cells, every cell is determined (the inverse
    // witness `w` of a correct sample included: `c w = 0` makes it 0)
    let g = common::from_text(TEXT);
    let labels = [0, 1, 1, 0, 1, 0];
    let counted = [true, true, true, true, true, false];
    let k = case(&g, &xs(), &labels, &counted, Fp::from(3));
    assert!(k.correct > 0, "a correct sample exercises the c = 1 branch");
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
    common::assert_determined(&rep);
}

/// Three classes of 2 bits each (a clamped output), small enough
/// for the statement chip's check to try every combination of outputs,
/// labels and flags per sample.
const SMALL: &str = "graph small {
  %0 = input 0 : q0[1,3] in [-2,1] # x
  %1 = rescale %0 mult=1 shift=0 lo=-2 hi=1 : q0[1,3] in [-2,1] # y
  output %1
}";

fn small_case(kind: zkc_circuit::plan::StatementKind) -> (ModelCircuit, Vec<Fp>, Graph) {
    use zkc_circuit::plan::StatementKind;
    // a regressor of two outputs (its chip has one row per output)
    let (text, xs) = match kind {
        StatementKind::Accuracy => (
            SMALL.to_string(),
            vec![vec![1, 1, -2], vec![-2, 0, 0], vec![-1, 1, 1]],
        ),
        StatementKind::SquaredError => (
            SMALL.replace("[1,3]", "[1,2]"),
            vec![vec![1, -2], vec![-2, 0], vec![-1, 1]],
        ),
    };
    let g = common::from_text(&text);
    let per = xs[0].len();
    let n = xs.len();
    let p = plan_dataset(&g, n, kind).unwrap();
    let runs: Vec<_> = xs
        .iter()
        .map(|x| zkc_runtime::run_int(&g, std::slice::from_ref(x)).unwrap())
        .collect();
    let counted = vec![true, false, true];
    let (labels, total): (Vec<i64>, u128) = match kind {
        StatementKind::Accuracy => {
            let labels = vec![0, 1, 2];
            let t = runs
                .iter()
                .zip(&labels)
                .zip(&counted)
                .filter(|((r, l), c)| **c && argmax(&r.outputs()[0]) == **l)
                .count();
            (labels, t as u128)
        }
        StatementKind::SquaredError => {
            let targets = vec![0, -2, 1, 1, 1, -1];
            let t: i64 = runs
                .iter()
                .enumerate()
                .filter(|(i, _)| counted[*i])
                .map(|(i, r)| {
                    r.outputs()[0]
                        .iter()
                        .zip(&targets[per * i..per * (i + 1)])
                        .map(|(y, t)| (y - t) * (y - t))
                        .sum::<i64>()
                })
                .sum();
            (targets, t as u128)
        }
    };
    let inputs: Vec<Vec<Vec<i64>>> = xs.iter().map(|x| vec![x.clone()]).collect();
    let inst = dataset_instance(&inputs, &labels, &counted, total, None);
    assert_eq!(inst.len(), p.instance_len);
    let w = DatasetWitness {
        runs,
        labels,
        counted,
    };
    let c = ModelCircuit::dataset(Arc::new(g.clone()), Arc::new(p), Some(Arc::new(w)));
    assert!(adversary::mock_verify(&c, &inst).unwrap().is_empty());
    (c, inst, g)
}

/// Exhaustive uniqueness of the statement chips: per sample, every
/// combination of the three outputs (in range, at and one past the
/// bounds), the label (or targets) and the flag gives exactly one
/// assignment, whose running total is the previous one plus the flag
/// times the sample's term (first-index argmax equal to the label, or the
/// squared error).
#[test]
fn statement_chips_are_unique_exhaustively_at_small_widths() {
    use zkc_circuit::plan::StatementKind;
    for kind in [StatementKind::Accuracy, StatementKind::SquaredError] {
        let (c, inst, g) = small_case(kind);
        let label = format!("{kind:?}");
        let rep = zkc_circuit::analysis::statement_uniqueness::check_statement_uniqueness(
            &c, &inst, &g, &label,
        )
        .unwrap();
        println!(
            "statement uniqueness {label}: {} instances, {} input choices, {} assignments, {} solutions, {} failures",
            rep.instances,
            rep.input_choices,
            rep.assignments,
            rep.solutions,
            rep.failures.len()
        );
        assert_eq!(rep.instances, 3);
        // per sample, every combination: at least 6 values per output (in
        // range, at and one past the bounds), 7 labels (or 6 values per
        // target), 6 flags (-2 to 3); a sampled check would try ~100
        let all = match kind {
            StatementKind::Accuracy => 3 * 6 * 6 * 6 * 7 * 6,
            StatementKind::SquaredError => 3 * 6 * 6 * 6 * 6 * 6,
        };
        assert!(
            rep.input_choices >= all,
            "{label}: not exhaustive ({} choices)",
            rep.input_choices
        );
        let shown: Vec<&String> = rep.failures.iter().take(6).collect();
        assert!(rep.failures.is_empty(), "{label}: {shown:#?}");
    }
}
