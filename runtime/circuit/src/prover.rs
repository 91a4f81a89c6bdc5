//! IPA parameters (cached on disk per `k`), key generation, proving,
//! verification and the verifying-key fingerprint. Every entry point sets
//! the circuit shape for `configure` ([`ShapeGuard`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use halo2_proofs::dev::MockProver;
use halo2_proofs::pasta::{EqAffine, Fp};
use halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, ProvingKey, SingleVerifier, VerifyingKey,
};
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::transcript::{Blake2bRead, Blake2bWrite, Challenge255};

use crate::circuit::ModelCircuit;
use crate::shape::ShapeGuard;
use crate::CircuitError;

/// Environment variable naming the parameter cache directory.
pub const CACHE_ENV: &str = "ZKC_CACHE_DIR";

/// The parameter cache directory: `$ZKC_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/zkc`, else `~/.cache/zkc`, else a temp directory.
pub fn default_cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os(CACHE_ENV) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("zkc");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache").join("zkc");
    }
    std::env::temp_dir().join("zkc-cache")
}

fn io(path: &Path, e: impl std::fmt::Display) -> CircuitError {
    CircuitError::Io(format!("{}: {e}", path.display()))
}

/// IPA parameters for `2^k` rows: read from `cache/ipa-pasta-k{k}.raw`,
/// or generated (deterministically) and written there atomically. Returns
/// the parameters and whether they were generated.
pub fn params(k: u32, cache: &Path) -> Result<(Params<EqAffine>, bool), CircuitError> {
    let path = cache.join(format!("ipa-pasta-k{k}.raw"));
    if let Ok(bytes) = std::fs::read(&path) {
        if let Ok(p) = Params::<EqAffine>::read_uncompressed(&mut &bytes[..]) {
            if p.k() == k {
                return Ok((p, false));
            }
        }
        // A corrupted cache file is regenerated below.
    }
    let p = Params::<EqAffine>::new(k);
    std::fs::create_dir_all(cache).map_err(|e| {
        io(
            cache,
            format!(
                "cannot create the parameter cache ({e}); set {CACHE_ENV} to a writable directory"
            ),
        )
    })?;
    let tmp = cache.join(format!(".ipa-pasta-k{k}.raw.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        let mut buf = vec![];
        p.write_uncompressed(&mut buf)?;
        f.write_all(&buf)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(
            cache,
            format!(
                "cannot write the parameter cache ({e}); set {CACHE_ENV} to a writable directory"
            ),
        ));
    }
    Ok((p, true))
}

/// The verifying key of a circuit (no witness needed).
pub fn verifying_key(
    params: &Params<EqAffine>,
    c: &ModelCircuit,
) -> Result<VerifyingKey<EqAffine>, CircuitError> {
    let _g = ShapeGuard::set(c.plan().shape);
    keygen_vk(params, &c.without_witnesses_())
        .map_err(|e| CircuitError::Halo2(format!("verifying key: {e:?}")))
}

/// The proving key of a circuit.
pub fn proving_key(
    params: &Params<EqAffine>,
    vk: VerifyingKey<EqAffine>,
    c: &ModelCircuit,
) -> Result<ProvingKey<EqAffine>, CircuitError> {
    let _g = ShapeGuard::set(c.plan().shape);
    keygen_pk(params, vk, &c.without_witnesses_())
        .map_err(|e| CircuitError::Halo2(format!("proving key: {e:?}")))
}

/// A stable fingerprint of a verifying key: BLAKE2b-256 of its pinned
/// representation (domain, constraint system, fixed and permutation
/// commitments), as hex. Equal fingerprints mean the same circuit and model.
pub fn fingerprint(vk: &VerifyingKey<EqAffine>) -> String {
    let pinned = format!("{:?}", vk.pinned());
    let h = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(b"zkc-vk-fprint-01")
        .to_state()
        .update(pinned.as_bytes())
        .finalize();
    h.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// Proves `c` (with a witness) for the public values `instance`.
pub fn prove(
    params: &Params<EqAffine>,
    pk: &ProvingKey<EqAffine>,
    c: &ModelCircuit,
    instance: &[Fp],
) -> Result<Vec<u8>, CircuitError> {
    let _g = ShapeGuard::set(c.plan().shape);
    let mut transcript = Blake2bWrite::<_, EqAffine, Challenge255<_>>::init(vec![]);
    create_proof(
        params,
        pk,
        std::slice::from_ref(c),
        &[&[instance]],
        rand::rng(),
        &mut transcript,
    )
    .map_err(|e| CircuitError::Halo2(format!("proving failed: {e:?}")))?;
    Ok(transcript.finalize())
}

/// Verifies `proof` for `instance`; `Ok(())` only for a valid proof with
/// no bytes after it (halo2 does not check that the transcript is used up,
/// so without that check one proof would have endless accepted encodings).
pub fn verify(
    params: &Params<EqAffine>,
    vk: &VerifyingKey<EqAffine>,
    instance: &[Fp],
    proof: &[u8],
) -> Result<(), CircuitError> {
    let mut rest: &[u8] = proof;
    {
        let mut transcript = Blake2bRead::<_, EqAffine, Challenge255<_>>::init(&mut rest);
        verify_proof(
            params,
            vk,
            SingleVerifier::new(params),
            &[&[instance]],
            &mut transcript,
        )
        .map_err(|e| CircuitError::Invalid(format!("{e:?}")))?;
    }
    if !rest.is_empty() {
        return Err(CircuitError::Invalid(format!(
            "{} bytes after the end of the proof",
            rest.len()
        )));
    }
    Ok(())
}

/// Runs halo2's mock prover: `Ok(())` when every constraint holds, else the
/// failures (at most 10 described).
pub fn mock(c: &ModelCircuit, instance: &[Fp]) -> Result<(), CircuitError> {
    let fails = mock_failures(c, instance)?;
    if fails.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = fails.iter().take(10).map(|s| s.as_str()).collect();
    Err(CircuitError::Invalid(format!(
        "{} constraint failures: {}",
        fails.len(),
        shown.join("; ")
    )))
}

/// Runs halo2's mock prover and describes every failure (`Debug` form, so
/// a test can tell a lookup failure from a gate or copy failure).
pub fn mock_failures(c: &ModelCircuit, instance: &[Fp]) -> Result<Vec<String>, CircuitError> {
    let _g = ShapeGuard::set(c.plan().shape);
    let prover = MockProver::run(c.plan().k, c, vec![instance.to_vec()])
        .map_err(|e| CircuitError::Halo2(format!("mock prover: {e:?}")))?;
    Ok(match prover.verify() {
        Ok(()) => vec![],
        Err(fails) => fails.iter().map(|f| format!("{f:?}")).collect(),
    })
}

/// Serializes a verifying key (its commitments; see `vendor/halo2_proofs`).
pub fn write_vk(vk: &VerifyingKey<EqAffine>) -> Result<Vec<u8>, CircuitError> {
    let mut v = vec![];
    vk.write(&mut v)
        .map_err(|e| CircuitError::Io(format!("verifying key: {e}")))?;
    Ok(v)
}

/// Reads a verifying key written by [`write_vk`] for a circuit of `shape`.
pub fn read_vk(
    bytes: &[u8],
    params: &Params<EqAffine>,
    shape: crate::CircuitShape,
) -> Result<VerifyingKey<EqAffine>, CircuitError> {
    let _g = ShapeGuard::set(shape);
    VerifyingKey::read::<_, ModelCircuit>(&mut &bytes[..], params).map_err(|e| {
        CircuitError::Invalid(format!("verifying key does not match the circuit: {e}"))
    })
}

/// Column and lookup counts of a circuit shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitStats {
    /// Advice columns.
    pub advice_columns: usize,
    /// Fixed columns (including the gate enables and lookup tables).
    pub fixed_columns: usize,
    /// Lookup arguments.
    pub lookups: usize,
}

/// The counts of the columns [`ModelCircuit`]'s `configure` allocates.
pub fn stats(shape: &crate::CircuitShape) -> CircuitStats {
    let s = shape;
    let mac = usize::from(s.mac_lanes > 0);
    let arith = usize::from(s.arith_lanes > 0);
    CircuitStats {
        advice_columns: mac * (s.mac_lanes + 1)
            + 3 * s.arith_lanes
            + 6 * s.rescale_lanes
            + 4 * s.max_lanes
            + 2 * s.table_lanes,
        fixed_columns: mac * (s.mac_lanes + 3)
            + arith * (4 * s.arith_lanes + 1)
            + 14 * s.rescale_lanes
            + 4 * s.max_lanes
            + s.table_lanes
            + 2
            + 3 * s.table_lanes,
        lookups: 3 * s.rescale_lanes + s.max_lanes + s.table_lanes,
    }
}
