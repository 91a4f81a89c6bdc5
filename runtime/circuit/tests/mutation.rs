//! Whole-model witness mutation: every used advice cell (or a seeded sample
//! covering every column of every chip, for larger models) is changed by
//! one, and the circuit must reject every change. Cells the layout leaves
//! free on purpose are listed by role and not mutated.
//!
//! `ZKC_MUTATION_SAMPLE=N` sets the sample size of the larger models
//! (default 2000); `ZKC_MUTATION_SAMPLE=all` mutates every cell of them too.

mod common;

use zkc_circuit::mutation::mutate;

fn run(name: &str, path: &std::path::Path, sample: Option<(usize, u64)>) {
    let g = common::quantized(path, 8);
    let (c, inst) = common::circuit(&g, &common::inputs(&g, 11));
    let r = mutate(&c, &inst, sample).unwrap_or_else(|e| panic!("{name}: {e}"));
    let total: usize = r.roles.values().map(|s| s.mutated).sum();
    let cells: usize = r.roles.values().map(|s| s.cells).sum();
    eprintln!(
        "{name}: {total} of {cells} used cells mutated; free (padding) cells by role: {:?}",
        r.free
    );
    for (chip, (m, k)) in r.by_chip() {
        eprintln!(
            "  {name} {chip}: {k}/{m} mutations rejected ({:.1}%)",
            100.0 * k as f64 / m.max(1) as f64
        );
    }
    assert!(total > 0);
    assert!(
        r.survivors.is_empty(),
        "{name}: accepted mutations: {:?}",
        &r.survivors[..r.survivors.len().min(10)]
    );
    for (role, s) in &r.roles {
        assert!(s.mutated > 0, "{name}: no {role} cell was mutated");
    }
}

fn sample() -> Option<(usize, u64)> {
    match std::env::var("ZKC_MUTATION_SAMPLE").ok().as_deref() {
        Some("all") => None,
        Some(n) => Some((n.parse().unwrap_or(2000), 7)),
        None => Some((2000, 7)),
    }
}

#[test]
fn every_cell_of_small_models() {
    for name in ["digits_mlp", "diabetes_linear", "tiny_gan"] {
        run(
            name,
            &common::root().join(format!("models/{name}.onnx")),
            None,
        );
    }
}

#[test]
fn sampled_cells_of_larger_models() {
    for name in ["digits_cnn", "digits_resnet"] {
        run(
            name,
            &common::root().join(format!("models/{name}.onnx")),
            sample(),
        );
    }
    let corpus = common::root().join("../shared/corpus/ezkl");
    for name in ["2l_relu_sigmoid_conv", "lenet_5"] {
        let p = corpus.join(name).join("network.onnx");
        if p.is_file() {
            run(name, &p, sample());
        }
    }
}

#[test]
fn every_cell_of_op_coverage_models() {
    for (name, path) in common::op_models() {
        run(&format!("ops/{name}"), &path, None);
    }
}
