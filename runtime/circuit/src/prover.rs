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

/// Personalization of the parameter digest (BLAKE2b-256, 16 bytes).
const PARAMS_DIGEST_PERSONAL: &[u8; 16] = b"zkc-ipa-params01";

/// Pinned digests of the IPA parameters: for each `k`, the BLAKE2b-256
/// digest (personalization `zkc-ipa-params01`, hex) of the bytes
/// `Params::<EqAffine>::new(k).write_uncompressed` produces, which is the
/// content of the cache file `ipa-pasta-k{k}.raw`. `Params::new` is
/// deterministic (generators hashed to the curve from their index), so these
/// never change unless halo2's parameter generation does; the unit tests
/// recompute the small ones (`pinned_digests_match_params_new`) and, with
/// `--ignored`, all of them. A `k` missing here is never read from the
/// cache (see [`params`]).
pub const PINNED_PARAMS_DIGESTS: &[(u32, &str)] = &[
    // k, digest; the comment is the time Params::new(k) took on one of the
    // project's 2-core machines (release build, otherwise idle).
    (
        4,
        "66665e7447896a6b7419fee751ec4e42d4ee8e2e2da6af88fe431caebce85243",
    ), // 0.01 s
    (
        5,
        "16a0cacdb95a6fe450848c97740fbeb112d55e3a145095de5ac66de13d29cf91",
    ), // 0.02 s
    (
        6,
        "910cc2b93cd3368c99fbeab574ed17469c6d6802475b959b8a37143b51afed17",
    ), // 0.04 s
    (
        7,
        "65ad026ed78722c828d6facae18a533e54882301cac38295653dc4b225050179",
    ), // 0.09 s
    (
        8,
        "e1776394615dd0afd8ffaf740d369c9831d81d8d5b69440754863f014a06b394",
    ), // 0.20 s
    (
        9,
        "b22f5e5108fd01945c7b48d05701a50e99e29046fd1ecb9503c6f9b4477cdd9b",
    ), // 0.37 s
    (
        10,
        "5e6aa46a78736bac36b7456aa8ce1e1a079cd1bfb5cd27fa5e39b1fbf21bf6db",
    ), // 0.85 s
    (
        11,
        "fe282c7510d249e60f1c0a7b22ae05bdabfbf98601731da7b17ad79e067edc94",
    ), // 1.67 s
    (
        12,
        "50a8214dce00a37408ea1e10ce83687becaa4f144a1a7d30ae519fcc3f832034",
    ), // 3.71 s
    (
        13,
        "68876daeb1e4b5d160cd0a8b4d30ad33f8264e99618cec0efd06651b387c0243",
    ), // 6.96 s
    (
        14,
        "2601295950314bd3344df62db2195c0228acf59ecc79d7a20734c27d09511a10",
    ), // 11.00 s
    (
        15,
        "329bbe97df9511d72501a33266f967cc3ae318452565b036029610cb1b4e87ce",
    ), // 24.45 s
    (
        16,
        "147630fdc9c1a3362e765893d1c64514f0aaed923bb917bd7c9bbe26deac639e",
    ), // 65.52 s
    (
        17,
        "9d1204105dacf22ca82a5535d3d26c1e954fa8876c5434725229e82d152de0fb",
    ), // 130.63 s
];

/// The pinned digest of the parameters for `2^k` rows, if `k` has one.
pub fn pinned_params_digest(k: u32) -> Option<&'static str> {
    pinned_in(PINNED_PARAMS_DIGESTS, k)
}

fn pinned_in<'a>(pins: &[(u32, &'a str)], k: u32) -> Option<&'a str> {
    pins.iter().find(|(pk, _)| *pk == k).map(|(_, d)| *d)
}

/// The size in bytes of `write_uncompressed` output for `2^k` rows: `k`
/// (4 bytes), then `2 * 2^k + 2` points of two 32-byte coordinates.
pub fn params_file_len(k: u32) -> u64 {
    4 + ((2u64 << k) + 2) * 64
}

/// BLAKE2b-256 (personalization `zkc-ipa-params01`) of serialized
/// parameters, as hex: what [`PINNED_PARAMS_DIGESTS`] holds.
pub fn params_digest_of_bytes(bytes: &[u8]) -> String {
    let h = blake2b_simd::Params::new()
        .hash_length(32)
        .personal(PARAMS_DIGEST_PERSONAL)
        .to_state()
        .update(bytes)
        .finalize();
    h.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The serialized form (`write_uncompressed`) of parameters.
pub fn params_bytes(p: &Params<EqAffine>) -> Result<Vec<u8>, CircuitError> {
    let mut buf = Vec::with_capacity(usize::try_from(params_file_len(p.k())).unwrap_or(0));
    p.write_uncompressed(&mut buf)
        .map_err(|e| CircuitError::Halo2(format!("cannot serialize the IPA parameters: {e}")))?;
    Ok(buf)
}

/// The name of the cache file of the parameters for `2^k` rows.
pub fn params_file_name(k: u32) -> String {
    format!("ipa-pasta-k{k}.raw")
}

/// Where [`params`] got the parameters from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamsSource {
    /// Read from the cache file `path`, whose digest equals the pinned one.
    Cached {
        /// The cache file.
        path: PathBuf,
    },
    /// There was no cache file: generated, checked against the pinned
    /// digest, and written to `path`.
    Generated {
        /// The cache file written.
        path: PathBuf,
    },
    /// The cache file `path` existed but was not the pinned parameters
    /// (`reason`): regenerated, checked against the pinned digest, and
    /// `path` atomically overwritten. The caller should warn the user
    /// ([`ParamsSource::warning`]): someone or something wrote that file.
    Replaced {
        /// The cache file replaced.
        path: PathBuf,
        /// What was wrong with it, e.g. "does not match the pinned digest
        /// for k = 11".
        reason: String,
    },
    /// `k` has no pinned digest: generated in memory; the cache was neither
    /// read nor written.
    Unpinned,
}

impl ParamsSource {
    /// Whether the parameters were generated in this call (not read).
    pub fn generated(&self) -> bool {
        !matches!(self, ParamsSource::Cached { .. })
    }

    /// A short machine-readable name: `cached`, `generated`, `replaced` or
    /// `unpinned`.
    pub fn label(&self) -> &'static str {
        match self {
            ParamsSource::Cached { .. } => "cached",
            ParamsSource::Generated { .. } => "generated",
            ParamsSource::Replaced { .. } => "replaced",
            ParamsSource::Unpinned => "unpinned",
        }
    }

    /// For [`ParamsSource::Replaced`], one line naming the file and what was
    /// wrong, e.g. "/c/ipa-pasta-k11.raw does not match the pinned digest
    /// for k = 11; regenerated it"; `None` otherwise.
    pub fn warning(&self) -> Option<String> {
        match self {
            ParamsSource::Replaced { path, reason } => {
                Some(format!("{} {reason}; regenerated it", path.display()))
            }
            _ => None,
        }
    }
}

/// What the cache file of one `k` holds.
enum CacheRead {
    /// No file.
    Missing,
    /// Exactly the pinned parameters (these bytes).
    Good(Vec<u8>),
    /// Anything else, and why.
    Bad(String),
}

fn read_cache_file(path: &Path, k: u32, pin: &str) -> CacheRead {
    let mismatch = format!("does not match the pinned digest for k = {k}");
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return CacheRead::Missing,
        Err(e) => return CacheRead::Bad(format!("cannot be read ({e})")),
    };
    let want = params_file_len(k);
    if !meta.is_file() || meta.len() != want {
        return CacheRead::Bad(format!(
            "{mismatch} (it has {} bytes, not {want})",
            meta.len()
        ));
    }
    // Read at most one byte more than expected, in case it grows meanwhile.
    let mut bytes = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
    let read = std::fs::File::open(path).and_then(|f| {
        use std::io::Read;
        f.take(want + 1).read_to_end(&mut bytes)
    });
    if let Err(e) = read {
        return CacheRead::Bad(format!("cannot be read ({e})"));
    }
    if bytes.len() as u64 != want || params_digest_of_bytes(&bytes) != pin {
        return CacheRead::Bad(mismatch);
    }
    CacheRead::Good(bytes)
}

/// Writes `bytes` to `path` atomically: a fresh temporary file in the same
/// directory (created exclusively, so a planted file or symlink of that name
/// is never followed), synced, then renamed over `path`.
fn write_cache_file(cache: &Path, path: &Path, k: u32, bytes: &[u8]) -> std::io::Result<()> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let tmp = cache.join(format!(
        ".ipa-pasta-k{k}.raw.tmp-{}-{nanos}",
        std::process::id()
    ));
    let r = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// IPA parameters for `2^k` rows, never trusting the disk: for a `k` with a
/// pinned digest ([`PINNED_PARAMS_DIGESTS`]), `cache/ipa-pasta-k{k}.raw` is
/// used only if its bytes have exactly that digest; otherwise the
/// parameters are generated (deterministically), their digest is checked
/// against the pin (a mismatch is an error: halo2's parameter generation
/// changed), and the cache file is written atomically, replacing a bad one
/// ([`ParamsSource::Replaced`], which the caller should report). For a `k`
/// with no pin, the parameters are generated in memory on every call (slow
/// but sound) and the cache is not touched. So the parameters returned are
/// always exactly `Params::new(k)`: a planted cache file can neither make a
/// forged proof verify nor make an honest one fail.
///
/// Errors: `k` above [`crate::plan::MAX_K`], the cache directory cannot be
/// created or written (the message names [`CACHE_ENV`]), or generation
/// disagrees with the pin.
pub fn params(k: u32, cache: &Path) -> Result<(Params<EqAffine>, ParamsSource), CircuitError> {
    params_pinned(k, cache, PINNED_PARAMS_DIGESTS)
}

fn params_pinned(
    k: u32,
    cache: &Path,
    pins: &[(u32, &str)],
) -> Result<(Params<EqAffine>, ParamsSource), CircuitError> {
    if k > crate::plan::MAX_K {
        return Err(CircuitError::Unsupported(format!(
            "k = {k} is above the largest supported {}",
            crate::plan::MAX_K
        )));
    }
    let Some(pin) = pinned_in(pins, k) else {
        return Ok((Params::<EqAffine>::new(k), ParamsSource::Unpinned));
    };
    let path = cache.join(params_file_name(k));
    let replaced = match read_cache_file(&path, k, pin) {
        CacheRead::Good(bytes) => {
            // The bytes are exactly the pinned parameters, so this parses.
            let p = Params::<EqAffine>::read_uncompressed(&mut &bytes[..])
                .map_err(|e| io(&path, format!("cannot parse the IPA parameters ({e})")))?;
            return Ok((p, ParamsSource::Cached { path }));
        }
        CacheRead::Missing => None,
        CacheRead::Bad(reason) => Some(reason),
    };
    let p = Params::<EqAffine>::new(k);
    let bytes = params_bytes(&p)?;
    let got = params_digest_of_bytes(&bytes);
    if got != pin {
        return Err(CircuitError::Halo2(format!(
            "the IPA parameters generated for k = {k} have digest {got}, not the pinned {pin}: \
             halo2's parameter generation changed; recompute PINNED_PARAMS_DIGESTS \
             (runtime/circuit/src/prover.rs)"
        )));
    }
    std::fs::create_dir_all(cache).map_err(|e| {
        io(
            cache,
            format!(
                "cannot create the parameter cache ({e}); set {CACHE_ENV} to a writable directory"
            ),
        )
    })?;
    if let Err(e) = write_cache_file(cache, &path, k, &bytes) {
        let what = if replaced.is_some() {
            "does not match the pinned digest and cannot be replaced"
        } else {
            "cannot be written"
        };
        return Err(io(
            &path,
            format!(
                "the parameter cache file {what} ({e}); set {CACHE_ENV} to a writable directory"
            ),
        ));
    }
    let source = match replaced {
        Some(reason) => ParamsSource::Replaced { path, reason },
        None => ParamsSource::Generated { path },
    };
    Ok((p, source))
}

#[cfg(test)]
mod tests;

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

/// Proves `c` (with a witness) for the public values `instance`, which
/// must number exactly the plan's `instance_len` ([`CircuitError::Invalid`]
/// otherwise, as in [`verify`]).
pub fn prove(
    params: &Params<EqAffine>,
    pk: &ProvingKey<EqAffine>,
    c: &ModelCircuit,
    instance: &[Fp],
) -> Result<Vec<u8>, CircuitError> {
    if instance.len() != c.plan().instance_len {
        return Err(CircuitError::Invalid(format!(
            "{} public values, but the circuit has {}",
            instance.len(),
            c.plan().instance_len
        )));
    }
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

/// Verifies `proof` for `instance`; `Ok(())` only for a valid proof of
/// exactly `expected_len` public values (the plan's `instance_len`) with no
/// bytes after it. Both checks close gaps in halo2: it pads a short instance
/// column with zeros (so without the length check a proof whose last public
/// value is 0 would also verify with that value dropped, and any proof with
/// zeros appended), and it does not check that the transcript is used up (so
/// one proof would have endless accepted encodings). A wrong length is
/// [`CircuitError::Invalid`], refused before halo2 runs.
pub fn verify(
    params: &Params<EqAffine>,
    vk: &VerifyingKey<EqAffine>,
    instance: &[Fp],
    expected_len: usize,
    proof: &[u8],
) -> Result<(), CircuitError> {
    if instance.len() != expected_len {
        return Err(CircuitError::Invalid(format!(
            "{} public values, but the circuit has {expected_len}",
            instance.len()
        )));
    }
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
    // private parameters: commitment lanes and `acc`, the MAC's advice
    // weights, per lane a sponge chip's state and square columns;
    // the constants column, the chip's enable and `cmul`, per lane `sh`,
    // `off`, `tag` and a Poseidon chip's round constants (its selectors
    // are not columns yet)
    let c = s.commit_lanes;
    let commits = usize::from(s.has_commitments());
    let advice_weights = usize::from(s.is_private()) * s.mac_lanes;
    let commit_advice = commits * (c + 1) + advice_weights + 6 * c;
    let commit_fixed = commits * (1 + 2) + 3 * c + 6 * c;
    CircuitStats {
        advice_columns: mac * (s.mac_lanes + 1)
            + 3 * s.arith_lanes
            + 6 * s.rescale_lanes
            + 4 * s.max_lanes
            + 2 * s.table_lanes
            + commit_advice,
        fixed_columns: mac * (s.mac_lanes + 3)
            + arith * (4 * s.arith_lanes + 1)
            + 15 * s.rescale_lanes
            + 4 * s.max_lanes
            + s.table_lanes
            + 2
            + 3 * s.table_lanes
            + commit_fixed,
        lookups: 3 * s.rescale_lanes + s.max_lanes + s.table_lanes + c,
    }
}
