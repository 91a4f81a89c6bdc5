//! Whole-model determinacy (`zkc_circuit::analysis::determinacy`): on every
//! bundled, op-coverage and corpus model, the verifier's values (fixed
//! cells and the public inputs) determine every advice cell and public
//! output over `Fp`, so no second witness exists for the same inputs.
//! Undetermined or unbound cells are printed by role, node and element.
//!
//! `ZKC_DETERMINACY=name,...` restricts the run to the named models.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use zkc_circuit::analysis::check_determinacy;

fn models() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = [
        "digits_mlp",
        "digits_cnn",
        "digits_resnet",
        "tiny_gan",
        "diabetes_linear",
    ]
    .iter()
    .map(|n| {
        (
            n.to_string(),
            common::root().join(format!("models/{n}.onnx")),
        )
    })
    .collect();
    v.extend(
        common::op_models()
            .into_iter()
            .map(|(n, p)| (format!("ops/{n}"), p)),
    );
    let corpus = common::root().join("../shared/corpus/ezkl");
    match std::fs::read_dir(&corpus) {
        Ok(rd) => {
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .filter(|e| e.path().join("network.onnx").is_file())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect();
            names.sort();
            v.extend(
                names
                    .into_iter()
                    .map(|n| (format!("corpus/{n}"), corpus.join(&n).join("network.onnx"))),
            );
        }
        Err(_) => eprintln!("note: {} not found, corpus skipped", corpus.display()),
    }
    if let Ok(only) = std::env::var("ZKC_DETERMINACY") {
        let want: Vec<&str> = only.split(',').collect();
        v.retain(|(n, _)| want.iter().any(|w| n.ends_with(w)));
    }
    v
}

#[test]
fn every_model_is_determined_by_its_public_inputs() {
    let mut failed = vec![];
    let (mut vars, mut cells, mut splits) = (0, 0, 0);
    let list = models();
    assert!(!list.is_empty());
    for (name, path) in &list {
        let t = Instant::now();
        let g = common::quantized(path, 8);
        let r =
            check_determinacy(&g, &common::inputs(&g, 5)).unwrap_or_else(|e| panic!("{name}: {e}"));
        eprintln!(
            "{name}: {} variables ({} cells, {} constraint instances) determined: {:?}; {} splits, {} branches; {:.1} s",
            r.vars,
            r.cells,
            r.constraints,
            r.by_rule,
            r.splits,
            r.branches,
            t.elapsed().as_secs_f64()
        );
        vars += r.vars;
        cells += r.cells;
        splits += r.splits;
        if !r.ok() {
            for s in r.undetermined.iter().take(20) {
                eprintln!("  {name}: undetermined: {s}");
            }
            for s in r.unconstrained.iter().take(20) {
                eprintln!("  {name}: unconstrained: {s}");
            }
            for s in r.errors.iter().take(20) {
                eprintln!("  {name}: error: {s}");
            }
            failed.push(format!(
                "{name}: {} undetermined, {} unconstrained, {} errors",
                r.undetermined.len(),
                r.unconstrained.len(),
                r.errors.len()
            ));
        }
    }
    eprintln!(
        "{} models: {vars} variables, {cells} cells, {splits} splits",
        list.len()
    );
    assert!(failed.is_empty(), "{failed:#?}");
}

/// The check itself can fail: weakening the recorded circuit of a real
/// model (the constraint classes the audit's findings lacked) leaves cells
/// undetermined, and the report names them by role.
#[test]
fn weakened_circuits_leave_cells_undetermined() {
    use halo2_proofs::pasta::Fp;
    use halo2_proofs::plonk::Expression;
    use zkc_circuit::analysis::{determinacy, record, system};

    let g = common::quantized(&common::root().join("models/digits_mlp.onnx"), 8);
    let (c, inst) = common::circuit(&g, &common::inputs(&g, 5));
    let rec = record::record(&c, &inst, record::input_rows(&g)).unwrap();
    let run = |rec: &record::Recorded| {
        let sys = system::System::build(rec).unwrap();
        determinacy::check(&sys, Some(&g))
    };
    let honest = run(&rec);
    assert!(honest.ok(), "{:?}", honest.undetermined.first());

    let has = |r: &determinacy::Report, role: &str| r.undetermined.iter().any(|s| s.contains(role));

    // No range checks (finding 3's class): rescale remainders and outputs
    // have fractional solutions.
    let mut no_ranges = rec.clone();
    no_ranges.lookups.clear();
    let r = run(&no_ranges);
    assert!(
        has(&r, "rescale.r") && has(&r, "rescale.y"),
        "{:?}",
        r.undetermined
    );

    // No copy constraints: chip inputs are free.
    let mut no_copies = rec.clone();
    no_copies.copies.clear();
    let r = run(&no_copies);
    assert!(has(&r, "mac.x"), "{:?}", r.undetermined);

    // Each named constraint of the rescale gate dropped in turn.
    let gi = rec.gates.iter().position(|g| g.name == "rescale").unwrap();
    let mut caught = vec![];
    for ci in 0..rec.gates[gi].polys.len() {
        let mut weak = rec.clone();
        weak.gates[gi].polys[ci] = Expression::Constant(Fp::zero());
        let r = run(&weak);
        if !r.undetermined.is_empty() {
            caught.push(rec.gates[gi].constraint_names[ci]);
        }
    }
    eprintln!("rescale constraints whose removal leaves cells undetermined: {caught:?}");
    for must in [
        "x*M + half = (y + d*(s+1)) * 2^n + r",
        "d in {-c_lo, 0, c_hi}",
        "y - lo = yr",
    ] {
        assert!(caught.contains(&must), "dropping {must:?} went unnoticed");
    }
}

/// Private weights: with the committed cells given, the verifier's values
/// determine every other cell of digits_cnn's circuit, its commitment
/// chip and Poseidon chips included.
#[test]
fn private_digits_cnn_is_determined_given_its_commitment() {
    let path = common::root().join("models/digits_cnn.onnx");
    let mut g = zkc_onnx::import_file(&path).unwrap().graph;
    zkc_passes::Pipeline::float()
        .run(&mut g, |_, _| {})
        .unwrap();
    let cal = zkc_passes::calibrate(&g, &zkc_passes::synthetic_samples(&g, 16, 1)).unwrap();
    let cfg = zkc_passes::QuantConfig::new(8, 8, false).with_private_weights(true);
    zkc_passes::Pipeline::quantize(cfg, cal)
        .run(&mut g, |_, _| {})
        .unwrap();
    assert!(g.has_private());
    let x = common::inputs(&g, 1);
    let rep = zkc_circuit::analysis::check_determinacy_private(&g, &x).unwrap();
    println!("private digits_cnn: {:?}", rep.by_rule);
    assert!(rep.errors.is_empty(), "{:?}", rep.errors);
    assert!(
        rep.undetermined.is_empty(),
        "undetermined: {:?}",
        &rep.undetermined[..rep.undetermined.len().min(10)]
    );
    assert!(rep.unconstrained.is_empty(), "{:?}", rep.unconstrained);
}
