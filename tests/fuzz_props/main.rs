//! Robustness properties: hostile input to everything zkc parses (ONNX bytes,
//! `input.json`, `data.json`, IR text, the artifact directory's files and
//! proof files) gives `Ok` or `Err`, never a panic, a hang or an unbounded
//! allocation.
//!
//! Run (about 30 s in release on 2 cores; bounded case counts, fixed seeds):
//!
//! ```sh
//! cargo test --release -p zkc --test fuzz_props
//! cargo test --release -p zkc --test fuzz_props -- --nocapture   # + a summary line per property
//! ```
//!
//! More cases (every property then runs that many; the seeds stay fixed, or
//! set one with `PROPTEST_RNG_SEED`):
//!
//! ```sh
//! PROPTEST_CASES=10000 cargo test --release -p zkc --test fuzz_props
//! PROPTEST_CASES=2000 PROPTEST_RNG_SEED=7 cargo test --release -p zkc --test fuzz_props
//! ```
//!
//! - Properties (`onnx_*`, `json_*`, `ir_*`, `proof_*`, `artifact_*`) mutate
//!   the bundled models, data files, compiled IR, a real proof and its
//!   artifact, or generate documents from scratch, and check what is
//!   accepted (a valid graph, right-sized finite inputs, a proof of the real
//!   statement only). Any panic fails the property with a shrunk input.
//! - The `hostile_*` tests feed inputs that claim enormous sizes; each runs
//!   in a child process (this test binary re-run on that one test) so that a
//!   stack overflow or a failed allocation, which abort instead of
//!   panicking, fails only that test, and the parent kills the child when it
//!   takes too long. A global allocator counts live heap bytes: each hostile
//!   call must return within [`HOSTILE_SECONDS`] and its memory budget, and
//!   no single allocation above [`MAX_SINGLE_ALLOC`] is served.
//! - `onnx_tract_panic_reproducers` keeps the single-bit flips that once
//!   made tract panic inside `import_bytes` (now errors), and
//!   `onnx_bit_flip_sweep` (ignored, about two minutes) tries every
//!   single-bit flip of every bundled model.
//!
//! The same entry points are fuzzed with libFuzzer in `fuzz/`.

#[path = "../common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::RngSeed;
use serde_json::{json, Value};
use zkc::artifact::ManifestInput;
use zkc::proving::ProofFile;
use zkc_ir::{Graph, Stage};

// ---------------------------------------------------------------------------
// Heap accounting.

/// Largest single allocation served; larger requests fail, which aborts the
/// process with "memory allocation of N bytes failed" instead of letting a
/// hostile input take the machine's memory (the `hostile_*` children report
/// that as a failure of their test).
const MAX_SINGLE_ALLOC: usize = 2 << 30;

/// Time a hostile input may take to be refused.
const HOSTILE_SECONDS: u64 = 5;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Relaxed) + n;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's arguments; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if l.size() > MAX_SINGLE_ALLOC {
            return std::ptr::null_mut();
        }
        let p = System.alloc(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if l.size() > MAX_SINGLE_ALLOC {
            return std::ptr::null_mut();
        }
        let p = System.alloc_zeroed(l);
        if !p.is_null() {
            grew(l.size());
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > MAX_SINGLE_ALLOC {
            return std::ptr::null_mut();
        }
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            if new >= l.size() {
                grew(new - l.size());
            } else {
                LIVE.fetch_sub(l.size() - new, Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f`: its result, the peak of live heap bytes above the level at the
/// start, and the time taken. Meaningful in a `hostile_*` child, where only
/// one test runs.
fn measure<R>(f: impl FnOnce() -> R) -> (R, usize, Duration) {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let t = Instant::now();
    let r = f();
    let took = t.elapsed();
    (r, PEAK.load(Relaxed).saturating_sub(base), took)
}

/// Asserts a hostile call was refused quickly and within `budget` bytes.
#[track_caller]
fn assert_refused<T: std::fmt::Debug, E: std::fmt::Display + std::fmt::Debug>(
    what: &str,
    r: (std::result::Result<T, E>, usize, Duration),
    budget: usize,
) {
    let (r, peak, took) = r;
    eprintln!(
        "{what}: {:.3} s, peak {:.1} MiB, {}",
        took.as_secs_f64(),
        peak as f64 / (1 << 20) as f64,
        match &r {
            Ok(_) => "accepted".to_string(),
            Err(e) => format!("refused: {}", clip(&e.to_string(), 160)),
        }
    );
    assert!(r.is_err(), "{what}: accepted a hostile input: {r:?}");
    assert!(
        took < Duration::from_secs(HOSTILE_SECONDS),
        "{what}: took {took:?}"
    );
    assert!(
        peak <= budget,
        "{what}: peak heap {peak} bytes above the {budget} byte budget"
    );
}

fn clip(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}... ({} bytes)", &s[..end], s.len())
}

const MIB: usize = 1 << 20;

// ---------------------------------------------------------------------------
// Child processes for the hostile tests.

const CHILD_ENV: &str = "ZKC_FUZZ_PROPS_CHILD";
const CHILD_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `body` in a child process (this binary, filtered to test `name`),
/// killing it after [`CHILD_TIMEOUT`]; fails unless the child's test passed.
fn isolated(name: &str, body: impl FnOnce()) {
    if std::env::var(CHILD_ENV).as_deref() == Ok(name) {
        body();
        return;
    }
    let out = scratch().join(format!("child-{name}.out"));
    let err = scratch().join(format!("child-{name}.err"));
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([name, "--exact", "--include-ignored", "--nocapture"])
        .arg("--test-threads=1")
        .env(CHILD_ENV, name)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("spawn the test binary");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > CHILD_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    let tail = |s: &str| {
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(25)..].join("\n")
    };
    eprintln!("{}", tail(&stderr));
    let Some(status) = status else {
        panic!("{name}: no answer within {CHILD_TIMEOUT:?} (hang)");
    };
    assert!(
        status.success() && stdout.contains("1 passed"),
        "{name} failed in its child process ({status}):\n{}\n{}",
        tail(&stdout),
        tail(&stderr)
    );
}

/// The libtest name of test `name` in module `module` (`module_path!()`,
/// whose first segment is the crate, absent from test names).
fn test_name(module: &str, name: &str) -> String {
    match module.split_once("::") {
        Some((_, m)) => format!("{m}::{name}"),
        None => name.to_string(),
    }
}

/// A test run through [`isolated`].
macro_rules! isolated_test {
    ($(#[$m:meta])* fn $name:ident() $body:block) => {
        $(#[$m])*
        #[test]
        fn $name() {
            isolated(&test_name(module_path!(), stringify!($name)), || $body)
        }
    };
}

// ---------------------------------------------------------------------------
// The properties, by what they feed (after `isolated_test!`, which they use).

mod ir;
mod json;
mod onnx;
mod proof;

// ---------------------------------------------------------------------------
// Fixtures.

/// This process's scratch directory.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("zkc-fuzz-props-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

/// The property-test configuration: `default_cases` cases unless
/// `PROPTEST_CASES` says otherwise, a fixed seed unless `PROPTEST_RNG_SEED`
/// gives one, and no regression files written into the source tree.
fn config(default_cases: u32, seed: u64) -> ProptestConfig {
    let base = ProptestConfig::default();
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default_cases);
    let rng_seed = match base.rng_seed {
        RngSeed::Fixed(s) => RngSeed::Fixed(s ^ seed),
        RngSeed::Random => RngSeed::Fixed(seed),
    };
    ProptestConfig {
        cases,
        rng_seed,
        failure_persistence: None,
        max_shrink_iters: 512,
        ..base
    }
}

/// What a property case did, for the summary line.
type Outcome = &'static str;

fn outcome<T, E>(r: &Result<T, E>) -> Outcome {
    if r.is_ok() {
        "accepted"
    } else {
        "refused"
    }
}

/// Runs a property over [`config`]`(default_cases, seed)` cases; fails with
/// the minimal failing input (panics are caught and shrunk too) and prints
/// how often each outcome happened.
fn check<S: Strategy>(
    name: &str,
    default_cases: u32,
    seed: u64,
    strategy: S,
    f: impl Fn(S::Value) -> Result<Outcome, TestCaseError>,
) {
    let tally = std::sync::Mutex::new(std::collections::BTreeMap::<Outcome, usize>::new());
    let mut runner = proptest::test_runner::TestRunner::new(config(default_cases, seed));
    let t = Instant::now();
    let r = runner.run(&strategy, |v| {
        let o = f(v)?;
        *tally.lock().unwrap().entry(o).or_default() += 1;
        Ok(())
    });
    eprintln!(
        "{name}: {:?} in {:.1} s",
        tally.lock().unwrap(),
        t.elapsed().as_secs_f64()
    );
    if let Err(e) = r {
        panic!("{name}: {e}");
    }
}

/// Runs `f` on its own thread and panics if it has not returned within
/// `secs` (the thread is left behind; the child process then exits).
fn within<R: Send + 'static>(secs: u64, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || {
            let _ = tx.send(f());
        })
        .unwrap();
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(r) => r,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("no answer within {secs} s (hang)")
        }
        Err(e) => panic!("the call panicked or aborted ({e})"),
    }
}

fn models_dir() -> PathBuf {
    common::root().join("models")
}

/// The bundled ONNX models' bytes.
fn onnx_models() -> &'static [(String, Vec<u8>)] {
    static M: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    M.get_or_init(|| {
        common::models()
            .into_iter()
            .map(|(n, p)| (n, std::fs::read(p).unwrap()))
            .collect()
    })
}

/// A bundled model compiled in-process: its IR texts and manifest inputs.
struct CompiledModel {
    name: String,
    float_ir: String,
    quant_ir: String,
    inputs: Vec<ManifestInput>,
}

fn compiled() -> &'static [CompiledModel] {
    static C: OnceLock<Vec<CompiledModel>> = OnceLock::new();
    C.get_or_init(|| {
        common::models()
            .into_iter()
            .map(|(name, path)| {
                let a = zkc::compile::compile(&path, &zkc::quantize::QuantOptions::default())
                    .unwrap_or_else(|e| panic!("compile {name}: {e}"));
                CompiledModel {
                    name,
                    float_ir: zkc_ir::print_graph_full(&a.float.graph).unwrap(),
                    quant_ir: zkc_ir::print_graph_full(&a.quant.graph).unwrap(),
                    inputs: a.manifest.inputs.clone(),
                }
            })
            .collect()
    })
}

/// A real artifact, set up, with a real proof (made by the `zkc` binary).
struct ProofFixture {
    dir: PathBuf,
    cache: PathBuf,
    /// The artifact's files, to rebuild mutated copies from.
    files: Vec<(String, Vec<u8>)>,
    proof_text: String,
    proof_json: Value,
    proof: ProofFile,
    /// JSON pointers of every value of the proof document.
    pointers: Vec<String>,
}

fn zkc_cli(args: &[&str], cwd: &Path, cache: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_zkc"))
        .args(args)
        .env("ZKC_CACHE_DIR", cache)
        .current_dir(cwd)
        .output()
        .expect("run zkc");
    assert!(
        out.status.success(),
        "zkc {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn proof_fixture() -> &'static ProofFixture {
    static F: OnceLock<ProofFixture> = OnceLock::new();
    F.get_or_init(|| {
        let d = scratch().join("proof-fixture");
        std::fs::create_dir_all(&d).unwrap();
        let cache = d.join("cache");
        let m = models_dir();
        let s = |p: PathBuf| p.display().to_string();
        zkc_cli(
            &[
                "compile",
                &s(m.join("digits_mlp.onnx")),
                "--calibration",
                &s(m.join("digits_mlp/calibration.json")),
                "-o",
                "mlp.zkc",
            ],
            &d,
            &cache,
        );
        zkc_cli(&["setup", "mlp.zkc"], &d, &cache);
        zkc_cli(
            &[
                "prove",
                "mlp.zkc",
                "--input",
                &s(m.join("digits_mlp/input.json")),
                "-o",
                "mlp.proof",
            ],
            &d,
            &cache,
        );
        let dir = d.join("mlp.zkc");
        let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (
                    p.file_name().unwrap().to_string_lossy().to_string(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect();
        files.sort();
        let proof_path = d.join("mlp.proof");
        let proof_text = std::fs::read_to_string(&proof_path).unwrap();
        let proof_json: Value = serde_json::from_str(&proof_text).unwrap();
        let proof = zkc::proving::read_proof(&proof_path).unwrap();
        zkc::proving::verify(&dir, &proof_path, &cache, false).expect("the real proof verifies");
        let mut pointers = vec![];
        json_pointers(&proof_json, String::new(), &mut pointers);
        ProofFixture {
            dir,
            cache,
            files,
            proof_text,
            proof_json,
            proof,
            pointers,
        }
    })
}

fn json_pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                json_pointers(x, format!("{at}/{i}"), out);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                json_pointers(x, format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

// ---------------------------------------------------------------------------
// Byte-level mutations (ONNX bytes, raw JSON text, vk.bin, IR text).

#[derive(Clone, Debug)]
enum ByteMut {
    Flip(Index, u8),
    Set(Index, u8),
    Insert(Index, u8),
    Delete(Index, u8),
    Truncate(Index),
    /// Overwrites with the LEB128 varint of a (large) value: a hostile
    /// protobuf length, dimension or count.
    Varint(Index, u64),
    /// Copies a range of the input over another position.
    Splice(Index, Index, u8),
}

fn byte_mut() -> impl Strategy<Value = ByteMut> {
    let big = prop_oneof![
        Just(1u64 << 40),
        Just(u64::MAX),
        Just(1 << 31),
        Just((1 << 32) - 1),
        Just(1 << 26),
        Just(1 << 20),
        any::<u64>(),
    ];
    prop_oneof![
        3 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| ByteMut::Flip(i, b)),
        2 => (any::<Index>(), prop_oneof![Just(0u8), Just(0xff), Just(0x7f), Just(0x80), any::<u8>()])
            .prop_map(|(i, b)| ByteMut::Set(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| ByteMut::Insert(i, b)),
        1 => (any::<Index>(), 1u8..16).prop_map(|(i, n)| ByteMut::Delete(i, n)),
        1 => any::<Index>().prop_map(ByteMut::Truncate),
        2 => (any::<Index>(), big).prop_map(|(i, v)| ByteMut::Varint(i, v)),
        1 => (any::<Index>(), any::<Index>(), 1u8..64).prop_map(|(a, b, n)| ByteMut::Splice(a, b, n)),
    ]
}

fn leb128(mut v: u64) -> Vec<u8> {
    let mut out = vec![];
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

fn apply_bytes(b: &mut Vec<u8>, muts: &[ByteMut]) {
    for m in muts {
        let n = b.len();
        if n == 0 {
            if let ByteMut::Insert(_, x) = m {
                b.push(*x);
            }
            continue;
        }
        match m {
            ByteMut::Flip(i, bit) => b[i.index(n)] ^= 1 << bit,
            ByteMut::Set(i, x) => b[i.index(n)] = *x,
            ByteMut::Insert(i, x) => b.insert(i.index(n + 1), *x),
            ByteMut::Delete(i, k) => {
                let at = i.index(n);
                b.drain(at..(at + *k as usize).min(n));
            }
            ByteMut::Truncate(i) => b.truncate(i.index(n)),
            ByteMut::Varint(i, v) => {
                let at = i.index(n);
                for (j, x) in leb128(*v).into_iter().enumerate() {
                    if at + j < b.len() {
                        b[at + j] = x;
                    } else {
                        b.push(x);
                    }
                }
            }
            ByteMut::Splice(from, to, k) => {
                let from = from.index(n);
                let chunk: Vec<u8> = b[from..(from + *k as usize).min(n)].to_vec();
                let to = to.index(n);
                for (j, x) in chunk.into_iter().enumerate() {
                    if to + j < b.len() {
                        b[to + j] = x;
                    }
                }
            }
        }
    }
}
