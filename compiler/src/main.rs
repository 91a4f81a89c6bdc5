//! The `zkc` command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use zkc::artifact::default_dir;
use zkc::quantize::QuantOptions;
use zkc_passes::QuantConfig;

/// zkc: compile ONNX models into integer-only programs and Halo2 circuits,
/// and prove their inference with no trusted setup.
#[derive(Parser)]
#[command(name = "zkc", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Quantization settings shared by compile, inspect and experiment.
#[derive(Args, Clone)]
struct QuantArgs {
    /// Calibration data: a data.json ({"inputs": [...]}) or an input.json.
    /// Without it zkc calibrates on a synthetic sample (and warns).
    #[arg(long, value_name = "FILE")]
    calibration: Option<PathBuf>,
    /// Signed bits of activations (4 to 16).
    #[arg(long, default_value_t = 8, value_name = "N")]
    bits: u32,
    /// Signed bits of weights (4 to 16) [default: 8].
    #[arg(long, value_name = "N")]
    weight_bits: Option<u32>,
    /// One weight scale per output channel instead of per tensor.
    #[arg(long)]
    per_channel: bool,
    /// Seed of the synthetic calibration sample.
    #[arg(long, default_value_t = 1, value_name = "SEED")]
    seed: u64,
    /// Parts kept private, comma-separated: `weights` (weights and biases
    /// become advice cells bound to a public Poseidon commitment, written
    /// to commitment.json; the verifying key then depends only on the
    /// architecture and the scales), `input`, `output` (a proof then
    /// carries a salted commitment to them instead of their values)
    /// [default: everything public].
    #[arg(long, value_name = "PARTS", value_delimiter = ',')]
    private: Vec<PrivatePart>,
}

/// A part of the statement that can be kept private.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum PrivatePart {
    /// Weights and biases.
    Weights,
    /// The model's inputs: a proof shows a commitment to them (a fresh salt
    /// per proof, in the opening file `zkc prove` writes) instead of their
    /// values.
    Input,
    /// The model's outputs, committed in the same way.
    Output,
}

impl QuantArgs {
    fn options(&self) -> anyhow::Result<QuantOptions> {
        Ok(QuantOptions {
            cfg: QuantConfig::new(self.bits, self.weight_bits.unwrap_or(8), self.per_channel)
                .with_private_weights(self.private.contains(&PrivatePart::Weights))
                .with_private_io(zkc_ir::PrivateIo {
                    input: self.private.contains(&PrivatePart::Input),
                    output: self.private.contains(&PrivatePart::Output),
                }),
            calibration: self.calibration.clone(),
            seed: self.seed,
        })
    }

    fn warn_if_synthetic(&self) {
        if self.calibration.is_none() {
            eprintln!(
                "warning: no --calibration given; calibrating on {} synthetic samples (seed {}); real data gives better accuracy",
                zkc::quantize::SYNTHETIC_SAMPLES,
                self.seed
            );
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Compile an ONNX model into an artifact directory (IR, quantized IR, report).
    Compile {
        /// The ONNX model (e.g. exported from PyTorch with torch.onnx.export).
        model: PathBuf,
        /// Output directory [default: <model stem>.zkc in the current directory].
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        quant: QuantArgs,
        /// Print one JSON object (the report) on stdout instead of a summary.
        #[arg(long)]
        json: bool,
    },
    /// Print the IR after the import and after every pass.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
        /// Print only the IR after this pass (e.g. fold_batch_norm).
        #[arg(long, value_name = "PASS")]
        pass: Option<String>,
        #[command(flatten)]
        quant: QuantArgs,
    },
    /// Run a compiled model on one input: quantized and float outputs, error, clamps.
    Run {
        /// The artifact directory written by `zkc compile`.
        dir: PathBuf,
        /// The input: {"input_data": [[...]]}.
        #[arg(long, value_name = "INPUT.json")]
        input: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Float versus quantized accuracy (classification) or MSE (regression).
    Eval {
        /// The artifact directory written by `zkc compile`.
        dir: PathBuf,
        /// Labelled data: {"inputs": [[...], ...], "labels": [...]}.
        #[arg(long, value_name = "DATA.json")]
        data: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Generate the IPA parameters (cached per k) and the verifying key. No trusted setup.
    Setup {
        /// The artifact directory written by `zkc compile`.
        dir: PathBuf,
        /// Parameter cache directory [default: $ZKC_CACHE_DIR, else ~/.cache/zkc].
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        /// Also make the key of dataset statements (`zkc prove --data`):
        /// on by default for a model with private weights.
        #[arg(long)]
        dataset: bool,
        /// Samples per chunk proof of a dataset statement [default: as many
        /// as fit 2^14 rows, or the model's own k, up to 256].
        #[arg(long, value_name = "N")]
        samples_per_proof: Option<usize>,
        /// The dataset statement: `accuracy` (a classifier: argmax equals the
        /// label) or `sse` (a regressor: sum of squared errors) [default:
        /// accuracy for several outputs, sse for one].
        #[arg(long, value_name = "KIND")]
        statement: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Prove that the compiled model maps this input to its output.
    Prove {
        /// The artifact directory (after `zkc setup`).
        dir: PathBuf,
        /// The input: {"input_data": [[...]]}.
        #[arg(
            long,
            value_name = "INPUT.json",
            required_unless_present = "data",
            conflicts_with = "data"
        )]
        input: Option<PathBuf>,
        /// A labelled dataset ({"inputs": [...], "labels": [...]}): prove how
        /// many samples the model classifies correctly, or a regressor's sum
        /// of squared errors (after `zkc setup` made the statement key).
        #[arg(long, value_name = "DATA.json")]
        data: Option<PathBuf>,
        /// With --data on a regressor: refuse unless the mean squared error
        /// is at most X.
        #[arg(long, value_name = "X", requires = "data")]
        max_mse: Option<f64>,
        /// The proof file to write.
        #[arg(short, long, value_name = "PROOF")]
        out: PathBuf,
        /// Parameter cache directory [default: $ZKC_CACHE_DIR, else ~/.cache/zkc].
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Write the verifier's bundle: manifest, published IR (no private
    /// values), setup.json, vk.bin and commitment.json; never the salt.
    Publish {
        /// The artifact directory (after `zkc setup`).
        dir: PathBuf,
        /// The bundle directory to write.
        #[arg(short, long, value_name = "BUNDLE")]
        out: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Verify a proof; exit 0 and print the proven outputs only if it is valid.
    Verify {
        /// The artifact directory (after `zkc setup`) or a bundle from `zkc publish`.
        dir: PathBuf,
        /// The proof file.
        proof: PathBuf,
        /// Regenerate the verifying key from the model instead of reading vk.bin
        /// (slower; checks that vk.bin belongs to the compiled model).
        #[arg(long)]
        recompute_key: bool,
        /// The data file a dataset proof is about (its public values are
        /// rebuilt from it, and its digest must match).
        #[arg(long, value_name = "DATA.json")]
        data: Option<PathBuf>,
        /// The opening `zkc prove` wrote beside a proof of a model with a
        /// private input or output (PROOF.opening.json): checks that it
        /// opens the proof's commitments and prints the values it reveals.
        #[arg(long, value_name = "OPENING.json", conflicts_with = "data")]
        opening: Option<PathBuf>,
        /// With --data: also require the proven mean squared error to be at
        /// most X.
        #[arg(long, value_name = "X", requires = "data")]
        max_mse: Option<f64>,
        /// Parameter cache directory [default: $ZKC_CACHE_DIR, else ~/.cache/zkc].
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Compile at several bit widths and tabulate accuracy and per-layer error.
    Experiment {
        /// The ONNX model.
        model: PathBuf,
        /// Labelled data to evaluate on.
        #[arg(long, value_name = "DATA.json")]
        data: PathBuf,
        /// Activation bit widths: a range like 4..12 (inclusive) or a list like 4,6,8.
        #[arg(long, default_value = "4..12", value_name = "RANGE")]
        bits: String,
        /// Fixed weight bits [default: the same as the activation bits].
        #[arg(long, value_name = "N")]
        weight_bits: Option<u32>,
        /// One weight scale per output channel.
        #[arg(long)]
        per_channel: bool,
        /// Calibration data (synthetic when absent).
        #[arg(long, value_name = "FILE")]
        calibration: Option<PathBuf>,
        /// Directory for experiment.csv, layers.csv and accuracy.svg
        /// [default: <model stem>.experiment].
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

impl Command {
    /// Whether `--json` was given (then a failure is also one JSON object
    /// on stdout).
    fn json(&self) -> bool {
        match self {
            Command::Inspect { .. } => false,
            Command::Compile { json, .. }
            | Command::Run { json, .. }
            | Command::Eval { json, .. }
            | Command::Setup { json, .. }
            | Command::Prove { json, .. }
            | Command::Verify { json, .. }
            | Command::Publish { json, .. }
            | Command::Experiment { json, .. } => *json,
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // a usage error under --json is a JSON failure too (not --help)
            if e.use_stderr() && std::env::args().any(|a| a == "--json") {
                let msg = e.to_string();
                let first = msg.lines().next().unwrap_or("usage error");
                let first = first.trim_start_matches("error: ");
                println!("{}", serde_json::json!({ "ok": false, "error": first }));
            }
            e.exit()
        }
    };
    let json = cli.command.json();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = one_line(&e);
            if json {
                // scripts read failures where they read results
                println!("{}", serde_json::json!({ "ok": false, "error": msg }));
            }
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = vec![];
    for c in e.chain() {
        let s = c.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
    }
    parts.join(": ")
}

/// Parses `4..12` (inclusive) or `4,6,8`.
fn parse_bits(s: &str) -> anyhow::Result<Vec<u32>> {
    let v: Vec<u32> = if let Some((a, b)) = s.split_once("..") {
        let (a, b): (u32, u32) = (a.trim().parse()?, b.trim_start_matches('=').trim().parse()?);
        anyhow::ensure!(a <= b, "empty bit range {s}");
        (a..=b).collect()
    } else {
        s.split(',')
            .map(|x| x.trim().parse())
            .collect::<Result<_, _>>()?
    };
    anyhow::ensure!(!v.is_empty(), "no bit widths in {s}");
    Ok(v)
}

fn stem_dir(model: &Path, ext: &str) -> PathBuf {
    let stem = model
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "model".into());
    PathBuf::from(format!("{stem}.{ext}"))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Compile {
            model,
            out,
            quant,
            json,
        } => {
            let dir = out.unwrap_or_else(|| default_dir(&model));
            let art = zkc::compile::compile(&model, &quant.options()?)?;
            let commitment = zkc::compile::write_artifact(&dir, &art)
                .with_context(|| format!("writing {}", dir.display()))?;
            quant.warn_if_synthetic();
            let r = &art.report;
            for n in r.passes.iter().flat_map(|p| &p.notes) {
                eprintln!("note: {n}");
            }
            if json {
                let mut v = serde_json::to_value(r)?;
                if let Some(c) = &commitment {
                    v["commitment"] = c.commitment.clone().into();
                }
                println!("{v}");
            } else {
                println!("compiled {} -> {}", model.display(), dir.display());
                let ops: Vec<String> = r.ops.iter().map(|(k, v)| format!("{k} x{v}")).collect();
                println!("  float ops      {}", ops.join(", "));
                let qops: Vec<String> = r
                    .quantized_ops
                    .iter()
                    .map(|(k, v)| format!("{k} x{v}"))
                    .collect();
                println!("  quantized ops  {}", qops.join(", "));
                println!("  macs {}   params {}", r.macs, r.params);
                println!(
                    "  circuit        k = {} ({} of {} rows), {} advice / {} fixed columns, {} lookups, {} public values",
                    r.k,
                    r.rows,
                    1u64 << r.k,
                    r.advice_columns,
                    r.fixed_columns,
                    r.lookups,
                    r.instance_values
                );
                let rows: Vec<String> = r
                    .rows_by_op
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect();
                println!("  rows by op     {}", rows.join(", "));
                let q = &r.quantization;
                println!(
                    "  quantization   {}-bit activations, {}-bit weights{}, calibrated on {} ({} samples)",
                    q.bits,
                    q.weight_bits,
                    if q.per_channel { " per channel" } else { "" },
                    q.calibration.source,
                    q.calibration.samples
                );
                if let Some(c) = &commitment {
                    println!(
                        "  private        weights ({} values) committed: {}",
                        c.values, c.commitment
                    );
                    println!(
                        "                 commitment.json is public; secret.json holds the salt: keep it (and this directory) private"
                    );
                }
                let io: Vec<&str> = q
                    .private
                    .iter()
                    .map(String::as_str)
                    .filter(|p| *p != "weights")
                    .collect();
                if !io.is_empty() {
                    println!(
                        "  private        {}: each proof carries a salted commitment instead of the values; `zkc prove` writes their opening beside the proof",
                        io.join(", ")
                    );
                }
            }
        }
        Command::Inspect { model, pass, quant } => {
            let stages = zkc::compile::inspect(&model, &quant.options()?)?;
            if let Some(p) = &pass {
                if !stages.iter().any(|(n, _)| n == p) {
                    let names: Vec<&str> = stages.iter().map(|(n, _)| n.as_str()).collect();
                    anyhow::bail!("no pass named {p}; passes: {}", names.join(", "));
                }
            }
            for (name, text) in stages {
                if pass.as_ref().is_none_or(|p| *p == name) {
                    println!("// after {name}");
                    print!("{text}");
                }
            }
        }
        Command::Run { dir, input, json } => {
            let m = zkc::model::Model::load(&dir)?;
            let x = zkc::data::read_input(&input, &m.manifest.inputs)?;
            let inf = m.infer(&x)?;
            let max_err = inf
                .quant
                .iter()
                .zip(&inf.float)
                .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
                .fold(0f32, f32::max);
            if json {
                let v = serde_json::json!({
                    "outputs": inf.quant, "float_outputs": inf.float,
                    "quantized_outputs": inf.quant_outputs, "max_abs_error": max_err, "clamped": inf.clamped,
                });
                println!("{v}");
            } else {
                for (i, (q, f)) in inf.quant.iter().zip(&inf.float).enumerate() {
                    let name = m.manifest.outputs.get(i).cloned().unwrap_or_default();
                    println!("output {i} ({name}):");
                    println!("  quantized {}", fmt_vec(q));
                    println!("  float     {}", fmt_vec(f));
                }
                println!("max abs error {max_err:.6}");
                println!("clamped values {}", inf.clamped);
            }
        }
        Command::Eval { dir, data, json } => {
            let m = zkc::model::Model::load(&dir)?;
            let d = zkc::data::read_dataset(&data, &m.manifest.inputs)?;
            let r = zkc::evaluate::evaluate(&m, &d, &data.display().to_string(), true)?;
            if json {
                let mut v = serde_json::to_value(&r)?;
                if let Some(o) = v.as_object_mut() {
                    o.remove("layers");
                }
                println!("{v}");
            } else {
                print_eval(&r);
            }
        }
        Command::Setup {
            dir,
            cache_dir,
            dataset,
            samples_per_proof,
            statement,
            json,
        } => {
            let kind =
                match statement.as_deref() {
                    None => None,
                    Some(k) => Some(zkc::dataset::kind_of(k).with_context(|| {
                        format!("--statement {k}: expected `accuracy` or `sse`")
                    })?),
                };
            let cache = zkc::proving::cache_dir(cache_dir);
            let sp = Spinner::new();
            let (info, t) = zkc::proving::setup(&dir, &cache, &|m| sp.stage(m))?;
            let (_, quant) = zkc::proving::load_public(&dir)?;
            let statement = if dataset
                || samples_per_proof.is_some()
                || kind.is_some()
                || (quant.has_private()
                    && !quant.private_io.input
                    && zkc::dataset::default_kind(&quant).is_some())
            {
                Some(zkc::dataset::setup_statement(
                    &dir,
                    &cache,
                    info.k,
                    samples_per_proof,
                    kind,
                    &|m| sp.stage(m),
                )?)
            } else {
                None
            };
            sp.done();
            warn_params(&t);
            if json {
                println!(
                    "{}",
                    serde_json::json!({"k": info.k, "fingerprint": info.fingerprint, "timings": t,
                        "statement": statement.as_ref().map(|(s, t)| serde_json::json!({"kind": s.statement, "k": s.k, "samples_per_proof": s.samples_per_proof, "fingerprint": s.fingerprint, "timings": t}))})
                );
            } else {
                println!(
                    "setup {}: k = {}, verifying key {}",
                    dir.display(),
                    info.k,
                    info.fingerprint
                );
                println!(
                    "  parameters {:.2} s{}, verifying key {:.2} s (no trusted setup: IPA over Pasta)",
                    t.params_s,
                    match t.params_source.as_str() {
                        "cached" => " (cached)",
                        "unpinned" => " (generated in memory: no pinned digest for this k)",
                        _ => " (generated, now cached)",
                    },
                    t.vk_s
                );
                if let Some((s, st)) = &statement {
                    println!(
                        "  dataset statements ({}): k = {}, {} samples per proof, key {} ({:.2} s)",
                        s.statement, s.k, s.samples_per_proof, s.fingerprint, st.vk_s
                    );
                }
            }
        }
        Command::Prove {
            dir,
            input: None,
            data: Some(data),
            out,
            cache_dir,
            max_mse,
            json,
        } => {
            let cache = zkc::proving::cache_dir(cache_dir);
            let sp = Spinner::new();
            let (f, t) = zkc::dataset::prove_dataset(
                &dir,
                &data,
                &out,
                &cache,
                max_mse,
                &|m| sp.stage(m),
                &|i, n| sp.stage(&format!("proofs: chunk {i} of {n}")),
            )?;
            sp.done();
            warn_params(&t);
            if json {
                let mut v = serde_json::to_value(f.statement())?;
                v["proof"] = out.display().to_string().into();
                v["chunks"] = f.chunks.len().into();
                v["dataset_digest"] = f.dataset_digest.clone().into();
                v["commitment"] = f.commitment.clone().into();
                v["timings"] = serde_json::to_value(&t)?;
                println!("{v}");
            } else {
                println!(
                    "proved {} on {} -> {}: {}, in {} chunk proofs",
                    dir.display(),
                    data.display(),
                    out.display(),
                    zkc::dataset::describe(&f.statement()),
                    f.chunks.len()
                );
                println!("  proving key {:.2} s, proofs {:.2} s", t.pk_s, t.prove_s);
            }
        }
        Command::Prove {
            dir,
            input,
            out,
            cache_dir,
            json,
            ..
        } => {
            let input = input.context("give --input INPUT.json or --data DATA.json")?;
            let cache = zkc::proving::cache_dir(cache_dir);
            let sp = Spinner::new();
            let (f, t) = zkc::proving::prove(&dir, &input, &out, &cache, &|m| sp.stage(m))?;
            sp.done();
            warn_params(&t);
            if json {
                println!(
                    "{}",
                    serde_json::json!({"proof": out, "bytes": f.proof.len() / 2, "outputs": f.outputs.iter().map(|o| &o.values).collect::<Vec<_>>(), "input_commitment": f.input_commitment, "output_commitment": f.output_commitment, "timings": t})
                );
            } else {
                println!(
                    "proved {} -> {} ({} bytes)",
                    dir.display(),
                    out.display(),
                    f.proof.len() / 2
                );
                println!("  proving key {:.2} s, proof {:.2} s", t.pk_s, t.prove_s);
                if let Some(c) = &f.input_commitment {
                    println!("  input committed as {c} (private)");
                }
                if let Some(c) = &f.output_commitment {
                    println!("  output committed as {c} (private)");
                }
                if f.input_commitment.is_some() || f.output_commitment.is_some() {
                    println!(
                        "  opening (values and salts; keep it private) -> {}",
                        zkc::opening::opening_path(&out).display()
                    );
                }
                print_outputs(&f);
            }
        }
        Command::Verify {
            dir,
            proof,
            cache_dir,
            data: Some(data),
            max_mse,
            json,
            ..
        } => {
            let cache = zkc::proving::cache_dir(cache_dir);
            let (f, t) = zkc::dataset::verify_dataset(&dir, &proof, &data, &cache)?;
            warn_params(&t);
            let st = f.statement();
            if let (Some(limit), Some(mse)) = (max_mse, st.mse) {
                anyhow::ensure!(
                    mse <= limit,
                    "the proof is valid but its mean squared error {mse} is above --max-mse {limit}"
                );
            }
            if json {
                let mut v = serde_json::to_value(&st)?;
                v["valid"] = true.into();
                v["commitment"] = f.commitment.clone().into();
                v["dataset_digest"] = f.dataset_digest.clone().into();
                if let Some(c) = st.correct {
                    v["accuracy"] = (c as f64 / st.samples.max(1) as f64).into();
                }
                if let Some(limit) = max_mse {
                    v["max_mse"] = limit.into();
                }
                v["timings"] = serde_json::to_value(&t)?;
                println!("{v}");
            } else {
                println!(
                    "valid proof: the model {} {} on the dataset with digest {}{} (verified {} chunk proofs in {:.3} s)",
                    match &f.commitment {
                        Some(c) => format!("{} with commitment {c}", f.model),
                        None => f.model.clone(),
                    },
                    zkc::dataset::describe(&st),
                    f.dataset_digest,
                    max_mse.map_or(String::new(), |m| format!(", at most {m}")),
                    f.chunks.len(),
                    t.verify_s
                );
            }
        }
        Command::Verify {
            dir,
            proof,
            recompute_key,
            cache_dir,
            json,
            opening,
            ..
        } => {
            let cache = zkc::proving::cache_dir(cache_dir);
            if zkc::dataset::is_dataset_proof(&proof) {
                anyhow::bail!(
                    "{} is a dataset proof: verify it with --data DATA.json",
                    proof.display()
                );
            }
            let (f, t) = zkc::proving::verify(&dir, &proof, &cache, recompute_key)?;
            warn_params(&t);
            // the opening, checked against the (now verified) commitments
            let opened = match &opening {
                Some(path) => {
                    let (_, quant) = zkc::proving::load_public(&dir)?;
                    let claimed = zkc::proving::io_commitments(&proof, &quant, &f)?;
                    anyhow::ensure!(
                        !claimed.is_empty(),
                        "--opening: the model's inputs and outputs are public; there is nothing to open"
                    );
                    Some(zkc::opening::check(path, &quant, &claimed)?)
                }
                None => None,
            };
            if json {
                let mut v = serde_json::json!({"valid": true, "outputs": f.outputs.iter().map(|o| &o.values).collect::<Vec<_>>(), "commitment": f.commitment, "timings": t});
                if let Some(c) = &f.input_commitment {
                    v["input_commitment"] = c.clone().into();
                }
                if let Some(c) = &f.output_commitment {
                    v["output_commitment"] = c.clone().into();
                }
                if let Some(o) = &opened {
                    for p in &o.parts {
                        v[format!("opened_{}", p.part)] = serde_json::to_value(&p.values)?;
                    }
                }
                println!("{v}");
            } else {
                println!(
                    "valid proof for {} (verified in {:.3} s)",
                    f.model, t.verify_s
                );
                if let Some(c) = &f.commitment {
                    println!("  model committed as {c}");
                }
                if let Some(c) = &f.input_commitment {
                    println!("  input committed as {c} (private)");
                }
                if let Some(c) = &f.output_commitment {
                    println!("  output committed as {c} (private)");
                }
                print_outputs(&f);
                if let Some(o) = &opened {
                    for p in &o.parts {
                        let v: Vec<f32> = p.values.iter().map(|&x| x as f32).collect();
                        println!("  opened {}: {}", p.part, fmt_vec(&v));
                    }
                }
            }
        }
        Command::Publish { dir, out, json } => {
            let p = zkc::publish::publish(&dir, &out)?;
            if json {
                println!("{}", serde_json::to_string(&p)?);
            } else {
                println!("published {} -> {}", dir.display(), out.display());
                println!("  files          {}", p.files.join(", "));
                if let Some(c) = &p.commitment {
                    println!("  commitment     {c}");
                }
            }
        }
        Command::Experiment {
            model,
            data,
            bits,
            weight_bits,
            per_channel,
            calibration,
            out,
            json,
        } => {
            let bits = parse_bits(&bits).with_context(|| format!("--bits {bits}"))?;
            for &b in &bits {
                anyhow::ensure!((4..=16).contains(&b), "--bits {b} is outside 4..=16");
            }
            let opts = zkc::experiment::ExperimentOptions {
                bits,
                weight_bits,
                per_channel,
                calibration: calibration.as_deref(),
            };
            let rows = zkc::experiment::run(&model, &data, &opts)?;
            let dir = out.unwrap_or_else(|| stem_dir(&model, "experiment"));
            let name = model
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            let files = [
                (
                    "experiment.csv",
                    zkc::experiment::summary_csv(&rows).into_bytes(),
                ),
                (
                    "layers.csv",
                    zkc::experiment::layers_csv(&rows).into_bytes(),
                ),
                (
                    "accuracy.svg",
                    zkc::experiment::chart(&name, &rows).into_bytes(),
                ),
            ];
            zkc::artifact::write_plain_dir_atomically(&dir, &files)?;
            if calibration.is_none() {
                eprintln!("warning: no --calibration given; calibrated on synthetic samples; real data gives better accuracy");
            }
            if json {
                println!("{}", serde_json::to_string(&rows)?);
            } else {
                print_experiment(&rows);
                println!(
                    "wrote {}/experiment.csv, layers.csv, accuracy.svg",
                    dir.display()
                );
            }
        }
    }
    Ok(())
}

/// A spinner with stage messages on a terminal (silent otherwise).
struct Spinner(indicatif::ProgressBar, std::time::Instant);

impl Spinner {
    fn new() -> Self {
        use std::io::IsTerminal;
        let pb = if std::io::stderr().is_terminal() {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.enable_steady_tick(std::time::Duration::from_millis(120));
            pb
        } else {
            indicatif::ProgressBar::hidden()
        };
        Spinner(pb, std::time::Instant::now())
    }
    fn stage(&self, m: &str) {
        self.0
            .set_message(format!("{m} ({:.1} s)", self.1.elapsed().as_secs_f64()));
    }
    fn done(&self) {
        self.0.finish_and_clear();
    }
}

/// One warning line on stderr when the parameter cache file was not the
/// pinned parameters (and was regenerated).
fn warn_params(t: &zkc::proving::Timings) {
    if let Some(w) = &t.params_warning {
        eprintln!("warning: {w}");
    }
}

fn print_outputs(f: &zkc::proving::ProofFile) {
    for (i, o) in f.outputs.iter().enumerate() {
        let v: Vec<f32> = o.values.iter().map(|&x| x as f32).collect();
        println!("  output {i}: {}", fmt_vec(&v));
    }
}

fn fmt_vec(v: &[f32]) -> String {
    let items: Vec<String> = v.iter().take(16).map(|x| format!("{x:.4}")).collect();
    let more = if v.len() > 16 {
        format!(" ... ({} values)", v.len())
    } else {
        String::new()
    };
    format!("[{}]{more}", items.join(", "))
}

fn print_eval(r: &zkc::evaluate::EvalResult) {
    println!("samples {}", r.samples);
    if let (Some(f), Some(q), Some(a)) = (r.float_accuracy, r.quantized_accuracy, r.agreement) {
        println!(
            "top-1 accuracy  float {:.2}%  quantized {:.2}%  agreement {:.2}%",
            100.0 * f,
            100.0 * q,
            100.0 * a
        );
    }
    if let (Some(f), Some(q)) = (r.float_mse, r.quantized_mse) {
        println!("MSE  float {f:.6}  quantized {q:.6}");
        if let Some(st) = r.statement_mse {
            println!(
                "     quantized against quantized targets {st:.6} (what `zkc prove --data` proves)"
            );
        }
    }
    println!(
        "max abs output error {:.6}   clamped values {}",
        r.max_abs_error, r.clamped
    );
    let (name, e) = zkc::experiment::worst_layer(r);
    println!("layer adding the most error: {name} (+{e:.4} relative RMS)");
}

fn print_experiment(rows: &[zkc::experiment::Row]) {
    let classification = rows
        .first()
        .is_some_and(|r| r.eval.float_accuracy.is_some());
    let (fh, qh) = if classification {
        ("float acc", "quant acc")
    } else {
        ("float MSE", "quant MSE")
    };
    println!(
        "{:>4} {:>4} {:>10} {:>10} {:>9} {:>10} {:>8}  layer adding most error (rel. RMS)",
        "bits", "w", fh, qh, "agree", "max err", "clamped"
    );
    for r in rows {
        let (f, q) = zkc::experiment::metric(&r.eval);
        let (wl, we) = zkc::experiment::worst_layer(&r.eval);
        let agree = r
            .eval
            .agreement
            .map(|a| format!("{:.2}%", 100.0 * a))
            .unwrap_or_else(|| "-".into());
        let (fs, qs) = if classification {
            (format!("{:.2}%", 100.0 * f), format!("{:.2}%", 100.0 * q))
        } else {
            (format!("{f:.5}"), format!("{q:.5}"))
        };
        println!(
            "{:>4} {:>4} {:>10} {:>10} {:>9} {:>10.5} {:>8}  {wl} (+{we:.4})",
            r.bits, r.weight_bits, fs, qs, agree, r.eval.max_abs_error, r.eval.clamped
        );
    }
}
