//! Shared pieces of the zkc fuzz targets: scratch files, the model inputs
//! data files are read against, the real artifact and proof `proof_file`
//! checks against.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use zkc::artifact::ManifestInput;
use zkc::proving::ProofFile;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// This process's scratch directory (under the system temp dir).
pub fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("zkc-fuzz-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch directory");
        d
    })
}

/// Writes `data` to the scratch file `name`; its path.
pub fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
    let p = scratch().join(name);
    std::fs::write(&p, data).expect("write a scratch file");
    p
}

fn mi(name: &str, shape: &[usize]) -> ManifestInput {
    ManifestInput {
        name: name.into(),
        shape: shape.to_vec(),
    }
}

/// The input lists data files are read against: the bundled models'
/// (`[1,64]`, `[1,10]`, `[1,16]`, `[1,1,8,8]`), two inputs, and a scalar
/// with an empty input.
pub fn input_sets() -> &'static [Vec<ManifestInput>] {
    static S: OnceLock<Vec<Vec<ManifestInput>>> = OnceLock::new();
    S.get_or_init(|| {
        vec![
            vec![mi("input", &[1, 64])],
            vec![mi("input", &[1, 10])],
            vec![mi("input", &[1, 16])],
            vec![mi("input", &[1, 1, 8, 8])],
            vec![mi("a", &[2, 3]), mi("b", &[4])],
            vec![mi("s", &[]), mi("z", &[1, 0]), mi("t", &[1, 1, 2])],
        ]
    })
}

/// Zero inputs for a graph's inputs, when each has at most 2^20 elements.
pub fn zero_inputs(g: &zkc_ir::Graph) -> Option<(Vec<Vec<f32>>, Vec<Vec<i64>>)> {
    let sizes: Vec<usize> = g
        .inputs_list()
        .iter()
        .map(|&id| {
            zkc_ir::checked_numel(g.shape(id))
                .ok()
                .filter(|&n| n <= 1 << 20)
        })
        .collect::<Option<_>>()?;
    Some((
        sizes.iter().map(|&n| vec![0.0; n]).collect(),
        sizes.iter().map(|&n| vec![0; n]).collect(),
    ))
}

/// A real artifact (digits_mlp, calibrated, set up) and a proof of its
/// bundled input, made once per process in the scratch directory.
pub struct ProofFixture {
    /// The artifact directory.
    pub dir: PathBuf,
    /// The IPA parameter cache.
    pub cache: PathBuf,
    /// The proof file.
    pub proof_path: PathBuf,
    /// The proof, as read back.
    pub proof: ProofFile,
}

pub fn proof_fixture() -> &'static ProofFixture {
    static F: OnceLock<ProofFixture> = OnceLock::new();
    F.get_or_init(|| {
        let models = root().join("models");
        let dir = scratch().join("mlp.zkc");
        let cache = scratch().join("cache");
        let opts = zkc::quantize::QuantOptions {
            calibration: Some(models.join("digits_mlp/calibration.json")),
            ..Default::default()
        };
        let a = zkc::compile::compile(&models.join("digits_mlp.onnx"), &opts).expect("compile");
        zkc::compile::write_artifact(&dir, &a).expect("write the artifact");
        zkc::proving::setup(&dir, &cache, &|_| {}).expect("setup");
        let out = scratch().join("mlp.proof");
        zkc::proving::prove(
            &dir,
            &models.join("digits_mlp/input.json"),
            &out,
            &cache,
            &|_| {},
        )
        .expect("prove");
        let proof = zkc::proving::read_proof(&out).expect("read the proof");
        zkc::proving::verify(&dir, &out, &cache, false).expect("the proof verifies");
        ProofFixture {
            dir,
            cache,
            proof_path: out,
            proof,
        }
    })
}

/// A proof file up to what verification may ignore: the case of hex digits.
pub fn normalized(mut p: ProofFile) -> ProofFile {
    p.fingerprint = p.fingerprint.to_lowercase();
    p.proof = p.proof.to_lowercase();
    for t in p.inputs.iter_mut().chain(p.outputs.iter_mut()) {
        for h in &mut t.field {
            *h = h.to_lowercase();
        }
    }
    p
}
