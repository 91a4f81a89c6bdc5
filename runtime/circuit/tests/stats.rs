//! The column counts reported for a shape match what `configure` allocates.

use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use zkc_circuit::{prover, CircuitShape, ModelCircuit, ShapeGuard};

fn count(debug: &str, key: &str) -> usize {
    debug
        .split(&format!("{key}: "))
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap()
}

#[test]
fn stats_match_configure() {
    for shape in [
        CircuitShape {
            mac_lanes: 32,
            arith_lanes: 2,
            rescale_lanes: 2,
            max_lanes: 1,
            table_lanes: 1,
            commit_lanes: 0,
            advice_weights: false,
            statement: None,
        },
        CircuitShape {
            mac_lanes: 16,
            arith_lanes: 1,
            rescale_lanes: 1,
            max_lanes: 1,
            table_lanes: 0,
            commit_lanes: 4,
            advice_weights: true,
            statement: None,
        },
        CircuitShape {
            mac_lanes: 8,
            arith_lanes: 0,
            rescale_lanes: 1,
            max_lanes: 0,
            table_lanes: 0,
            commit_lanes: 0,
            advice_weights: false,
            statement: None,
        },
        CircuitShape {
            mac_lanes: 0,
            arith_lanes: 1,
            rescale_lanes: 1,
            max_lanes: 0,
            table_lanes: 1,
            commit_lanes: 0,
            advice_weights: false,
            statement: None,
        },
    ] {
        let _g = ShapeGuard::set(shape);
        let mut cs = ConstraintSystem::<Fp>::default();
        ModelCircuit::configure(&mut cs);
        let d = format!("{:?}", cs.pinned());
        let s = prover::stats(&shape);
        assert_eq!(
            s.advice_columns,
            count(&d, "num_advice_columns"),
            "{shape:?}"
        );
        assert_eq!(s.fixed_columns, count(&d, "num_fixed_columns"), "{shape:?}");
        assert_eq!(
            s.lookups,
            d.matches("Argument {").count() - 1,
            "{shape:?}: {d}"
        );
    }
}

/// Commitments do not raise the circuit's degree: the sponge chip's gates
/// are degree 4 and the commitment chip's lookups as a rescale's, so a
/// private circuit's extended domain (and the prover's quotient work) is
/// the public one's (`halo2_gadgets`' Pow5Chip is degree 6 and doubled it).
#[test]
fn commitments_keep_the_degree() {
    let degree = |shape: CircuitShape| {
        let _g = ShapeGuard::set(shape);
        let mut cs = ConstraintSystem::<Fp>::default();
        ModelCircuit::configure(&mut cs);
        cs.degree()
    };
    for mac in [8, 32] {
        for commit in [1, 2, 8] {
            for advice_weights in [false, true] {
                let public = CircuitShape {
                    mac_lanes: mac,
                    arith_lanes: 1,
                    rescale_lanes: 2,
                    max_lanes: 1,
                    table_lanes: 1,
                    commit_lanes: 0,
                    advice_weights: false,
                    statement: None,
                };
                let private = CircuitShape {
                    commit_lanes: commit,
                    advice_weights,
                    ..public
                };
                assert_eq!(degree(public), 5, "{public:?}");
                assert_eq!(degree(private), degree(public), "{private:?}");
            }
        }
    }
}
