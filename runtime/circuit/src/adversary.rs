//! The adversarial prover, for soundness tests: a witness with any field
//! element in any advice cell ([`Forge`](crate::Forge), through
//! [`ModelCircuit::forged`]) and any public values, checked two ways: by
//! halo2's `MockProver`, which names the exact gate constraint, lookup or
//! copy that fails ([`mock_verify`]), and by a real proof of that witness
//! against the honest circuit's keys ([`real_proof_accepted`]), which is
//! what a verifier would see.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use halo2_proofs::dev::{MockProver, VerifyFailure};
use halo2_proofs::pasta::{EqAffine, Fp};
use halo2_proofs::plonk::{create_proof, keygen_pk, keygen_vk, verify_proof, SingleVerifier};
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};

use crate::circuit::ModelCircuit;
use crate::shape::ShapeGuard;
use crate::CircuitError;

/// Runs `MockProver` on `c` with `instance`; the failures, exactly as halo2
/// reports them (empty when every gate, lookup and copy holds).
pub fn mock_verify(c: &ModelCircuit, instance: &[Fp]) -> Result<Vec<VerifyFailure>, CircuitError> {
    let _g = ShapeGuard::set(c.plan().shape);
    let prover = MockProver::run(c.plan().k, c, vec![instance.to_vec()])
        .map_err(|e| CircuitError::Halo2(format!("mock prover: {e:?}")))?;
    Ok(prover.verify().err().unwrap_or_default())
}

/// IPA parameters per `k`, generated once per process (tests only use
/// small `k`).
fn params(k: u32) -> Params<EqAffine> {
    static CACHE: OnceLock<Mutex<HashMap<u32, Params<EqAffine>>>> = OnceLock::new();
    let m = CACHE.get_or_init(Default::default);
    let mut m = m.lock().unwrap_or_else(|e| e.into_inner());
    m.entry(k).or_insert_with(|| Params::new(k)).clone()
}

/// Makes a real proof of `forged`'s witness for `instance` with the keys of
/// `honest` (the circuit a verifier holds), and verifies it: `Ok(true)`
/// when the verifier accepts. halo2's `create_proof` checks no gate, so a
/// witness that only breaks gates yields a proof that verification must
/// reject; one whose looked-up value is outside its table yields no proof
/// at all (`Ok(false)` too).
pub fn real_proof_accepted(
    honest: &ModelCircuit,
    forged: &ModelCircuit,
    instance: &[Fp],
) -> Result<bool, CircuitError> {
    let _g = ShapeGuard::set(honest.plan().shape);
    let params = params(honest.plan().k);
    let key = honest.without_witnesses_();
    let vk = keygen_vk(&params, &key).map_err(|e| CircuitError::Halo2(format!("{e:?}")))?;
    let pk = keygen_pk(&params, vk, &key).map_err(|e| CircuitError::Halo2(format!("{e:?}")))?;
    let mut transcript = Blake2bWrite::<_, EqAffine, Challenge255<_>>::init(vec![]);
    match create_proof(
        &params,
        &pk,
        std::slice::from_ref(forged),
        &[&[instance]],
        rand::rng(),
        &mut transcript,
    ) {
        Ok(()) => {}
        // A looked-up value outside its table: halo2 cannot even build the
        // lookup argument, so no proof of this witness exists.
        Err(halo2_proofs::plonk::Error::ConstraintSystemFailure) => return Ok(false),
        Err(e) => return Err(CircuitError::Halo2(format!("proving failed: {e:?}"))),
    }
    let proof = transcript.finalize();
    let mut t = Blake2bRead::<_, EqAffine, Challenge255<_>>::init(&proof[..]);
    Ok(verify_proof(
        &params,
        pk.get_vk(),
        SingleVerifier::new(&params),
        &[&[instance]],
        &mut t,
    )
    .is_ok())
}
