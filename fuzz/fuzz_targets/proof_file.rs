//! Proof files through `zkc::proving::read_proof` and the full
//! `zkc::proving::verify` against a real artifact (digits_mlp, built once
//! per process): never a panic, and `verify` accepts nothing but proofs of
//! the real statement (fingerprint, k, public inputs and outputs, up to hex
//! case). Proofs are randomized, so the seed proof's bytes differ from the
//! fixture's; both are valid.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let f = zkc_fuzz::proof_fixture();
    let path = zkc_fuzz::scratch_file("case.proof", data);
    let read = zkc::proving::read_proof(&path);
    if let Ok((p, _)) = zkc::proving::verify(&f.dir, &path, &f.cache, false) {
        assert!(read.is_ok());
        let statement = |p| {
            let mut p = zkc_fuzz::normalized(p);
            p.proof.clear();
            p
        };
        assert_eq!(
            statement(p),
            statement(f.proof.clone()),
            "verify accepted a proof of another statement"
        );
    }
});
