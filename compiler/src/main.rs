//! The `zkc` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

/// zkc: compile ONNX models into integer-only programs and Halo2 circuits,
/// and prove their inference with no trusted setup.
#[derive(Parser)]
#[command(name = "zkc", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile an ONNX model into an artifact directory (IR, report).
    Compile {
        /// The ONNX model (e.g. exported from PyTorch with torch.onnx.export).
        model: PathBuf,
        /// Output directory [default: <model stem>.zkc in the current directory].
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
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
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", one_line(&e));
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

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Compile { model, out, json } => {
            let dir = out.unwrap_or_else(|| zkc::artifact::default_dir(&model));
            let compiled = zkc::compile::compile_float(&model, |_, _| {})?;
            zkc::compile::write_artifact(&dir, &compiled)
                .with_context(|| format!("writing {}", dir.display()))?;
            let r = &compiled.report;
            if json {
                println!("{}", serde_json::to_string(r)?);
            } else {
                println!("compiled {} -> {}", model.display(), dir.display());
                let ops: Vec<String> = r.ops.iter().map(|(k, v)| format!("{k}x{v}")).collect();
                println!("  ops     {}", ops.join(" "));
                println!("  macs    {}", r.macs);
                println!("  params  {}", r.params);
            }
        }
        Command::Inspect { model, pass } => {
            let stages = zkc::compile::inspect(&model)?;
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
    }
    Ok(())
}
