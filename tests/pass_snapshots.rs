//! One snapshot per pass case: each `tests/passes/*.ir` file names a pass on
//! its first line (`// pass: NAME`) followed by an input graph in IR text.
//!
//! Float passes run directly on the input. Quantization passes run inside
//! the quantization pipeline: the input (a float graph) is calibrated on 16
//! synthetic samples (seed 1), the passes before the named one run first,
//! and the snapshot shows the IR just before and just after the named pass.
//! Optional header lines: `// bits: N` sets activation and weight bits
//! (default 8), `// per_channel: true` per-channel weight scales.
//! The graph is validated before and after. Every pass has a case.

use std::path::Path;

use zkc_ir::{parse_graph, print_graph, validate, Graph, Stage};
use zkc_passes::{calibrate, synthetic_samples, Pass, Pipeline, QuantConfig};

fn header<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .take_while(|l| l.starts_with("//"))
        .find_map(|l| l.strip_prefix(&format!("// {key}: ")))
        .map(str::trim)
}

/// Runs `pass_name` on `g` (after the quantization passes before it, for a
/// quantization pass); returns the graph before it, the pass and its changes.
fn run_case(case: &str, text: &str, g: &mut Graph) -> (String, Box<dyn Pass>, usize) {
    let pass_name = header(text, "pass").unwrap_or_else(|| panic!("{case}: needs `// pass: NAME`"));
    if let Some(p) = zkc_passes::pass_by_name(pass_name) {
        validate(g, Stage::Float).unwrap_or_else(|e| panic!("{case}: input invalid: {e}"));
        let before = print_graph(g).unwrap();
        let changes = p.run(g).unwrap_or_else(|e| panic!("{case}: {e}"));
        return (before, p, changes);
    }
    let bits: u32 = header(text, "bits").map_or(8, |b| b.parse().unwrap());
    let per_channel = header(text, "per_channel") == Some("true");
    let cal = calibrate(g, &synthetic_samples(g, 16, 1)).unwrap();
    let passes = Pipeline::quantize(QuantConfig::new(bits, bits, per_channel), cal).into_passes();
    assert!(
        passes.iter().any(|p| p.name() == pass_name),
        "{case}: no pass {pass_name}"
    );
    for p in passes {
        if p.name() == pass_name {
            let before = print_graph(g).unwrap();
            let changes = p.run(g).unwrap_or_else(|e| panic!("{case}: {e}"));
            return (before, p, changes);
        }
        p.run(g)
            .unwrap_or_else(|e| panic!("{case}: {} before {pass_name}: {e}", p.name()));
        validate(g, p.produces()).unwrap_or_else(|e| panic!("{case}: after {}: {e}", p.name()));
    }
    unreachable!()
}

#[test]
fn pass_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/passes");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "ir"))
        .collect();
    files.sort();
    let mut covered = std::collections::BTreeSet::new();
    for path in files {
        let case = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let mut g = parse_graph(&text).unwrap_or_else(|e| panic!("{case}: {e}"));
        let (before, pass, changes) = run_case(&case, &text, &mut g);
        validate(&g, pass.produces()).unwrap_or_else(|e| panic!("{case}: output invalid: {e}"));
        let after = print_graph(&g).unwrap();
        let name = pass.name();
        covered.insert(name);
        insta::assert_snapshot!(
            case.clone(),
            format!("// before {name}\n{before}\n// after {name} ({changes} changes)\n{after}")
        );
    }
    let cal = zkc_passes::Calibration::default();
    let all = Pipeline::float()
        .names()
        .into_iter()
        .chain(Pipeline::quantize(QuantConfig::default(), cal).names());
    for p in all {
        assert!(
            covered.contains(p),
            "pass {p} has no snapshot case in tests/passes"
        );
    }
}
