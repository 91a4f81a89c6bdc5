mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use zkc_circuit::Tamper;

#[test]
fn tampering_any_used_cell_fails() {
    for name in ["digits_mlp", "digits_cnn", "tiny_gan", "digits_resnet"] {
        let g = common::quantized(&common::root().join(format!("models/{name}.onnx")), 8);
        let (c, inst) = common::circuit(&g, &common::inputs(&g, 5));
        let log = Arc::new(Mutex::new(vec![]));
        zkc_circuit::prover::mock(&c.logging(log.clone()), &inst).unwrap();
        let cells = log.lock().unwrap().clone();
        let mut by_role: BTreeMap<&str, Vec<_>> = BTreeMap::new();
        for r in &cells {
            by_role.entry(r.role).or_default().push(r.clone());
        }
        for (role, list) in &by_role {
            if role.ends_with(".pad") || role.ends_with(".idle") || role.ends_with(".unused") {
                continue;
            }
            let step = (list.len() / 5).max(1);
            let mut caught = 0;
            let mut tried = 0;
            for r in list.iter().step_by(step).take(5) {
                tried += 1;
                let t = Tamper {
                    column: r.column,
                    row: r.row,
                    delta: 1,
                };
                if zkc_circuit::prover::mock(&c.tampered(t), &inst).is_err() {
                    caught += 1;
                }
            }
            eprintln!(
                "{name} {role}: {caught}/{tried} caught ({} cells)",
                list.len()
            );
            assert_eq!(caught, tried, "{name}: tampered {role} cells were accepted");
        }
    }
}
