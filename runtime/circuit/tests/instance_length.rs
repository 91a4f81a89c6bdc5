//! `prover::verify` checks the number of public values (audit finding 6).
//!
//! halo2 pads a short instance column with zeros, so without that check a
//! real proof whose last public value is 0 also verifies with that value
//! dropped, and any proof verifies with zeros appended: a caller that
//! assembles the instance itself could be made to accept a statement about
//! more or fewer values than the circuit has.

mod common;

use std::sync::Arc;

use halo2_proofs::pasta::Fp;
use zkc_circuit::{instance_of, plan, prover, ModelCircuit};

/// A one-layer MLP whose last output is `relu(w . x - 0.5)` with small
/// weights: negative before the ReLU for the input below, so 0 after it.
const MLP: &str = "graph mlp {
  %0 = input 0 : f32[1,4]
  %1 = const [0.5,-0.25,1,0.05,-1,0.125,0.3,0.05,0.2,0.4,-0.3,0.05,0.9,-0.8,0.05,0.05] : f32[4,4] # fc.weight
  %2 = const [0.1,0.2,0,-0.5] : f32[4] # fc.bias
  %3 = gemm %0, %1, %2 : f32[1,4] # fc
  %4 = relu %3 : f32[1,4] # relu
  output %4
}";

#[test]
fn verify_rejects_a_padded_or_truncated_instance() {
    let g = common::quantized_text(MLP);
    let x = vec![vec![40, -20, 30, 10]];
    let run = zkc_runtime::run_int(&g, &x).unwrap();
    let inst = instance_of(&g, &run).unwrap();
    let p = plan(&g).unwrap();
    assert_eq!(inst.len(), p.instance_len);
    let outputs = run.outputs();
    assert_eq!(
        outputs[0].last(),
        Some(&0),
        "the case needs a last output of 0 (outputs {outputs:?})"
    );
    assert!(
        outputs[0].iter().any(|&v| v != 0),
        "the case needs a non-zero output too (outputs {outputs:?})"
    );
    assert_eq!(inst.last(), Some(&Fp::zero()));

    let cache = std::env::temp_dir().join(format!("zkc-instance-len-{}", std::process::id()));
    let (params, _) = prover::params(p.k, &cache).unwrap();
    let c = ModelCircuit::new(
        Arc::new(g.clone()),
        Arc::new(p.clone()),
        Some(Arc::new(run)),
    );
    let vk = prover::verifying_key(&params, &c).unwrap();
    let pk = prover::proving_key(&params, vk.clone(), &c).unwrap();
    let proof = prover::prove(&params, &pk, &c, &inst).unwrap();
    let n = p.instance_len;

    // The honest statement verifies.
    prover::verify(&params, &vk, &inst, n, &proof).expect("the honest instance verifies");
    // One extra trailing zero.
    let mut longer = inst.clone();
    longer.push(Fp::zero());
    let e = prover::verify(&params, &vk, &longer, n, &proof)
        .expect_err("an instance with a trailing zero appended must be rejected");
    assert!(e.to_string().contains("public values"), "{e}");
    // The last value (0) dropped.
    let shorter = &inst[..n - 1];
    let e = prover::verify(&params, &vk, shorter, n, &proof)
        .expect_err("an instance with its last (zero) value dropped must be rejected");
    assert!(e.to_string().contains("public values"), "{e}");
    // Many zeros appended, and an empty instance.
    let mut padded = inst.clone();
    padded.resize(n + 17, Fp::zero());
    assert!(prover::verify(&params, &vk, &padded, n, &proof).is_err());
    assert!(prover::verify(&params, &vk, &[], n, &proof).is_err());
    // The right length but a wrong expectation (a caller passing another
    // plan's length) is refused too, before halo2 runs.
    assert!(prover::verify(&params, &vk, &inst, n + 1, &proof).is_err());
    let _ = std::fs::remove_dir_all(&cache);
}
