//! One snapshot per pass case: each `tests/passes/*.ir` file names a pass on
//! its first line (`// pass: NAME`) followed by an input graph in IR text.
//! The test validates the input, runs the pass, validates the result and
//! snapshots the IR before and after. Every float pass has at least one case.

use std::path::Path;

use zkc_ir::{parse_graph, print_graph, validate, Stage};

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
        let pass_name = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// pass: "))
            .unwrap_or_else(|| panic!("{case}: first line must be `// pass: NAME`"))
            .trim()
            .to_string();
        let pass = zkc_passes::pass_by_name(&pass_name)
            .unwrap_or_else(|| panic!("{case}: no pass {pass_name}"));
        let mut g = parse_graph(&text).unwrap_or_else(|e| panic!("{case}: {e}"));
        validate(&g, Stage::Float).unwrap_or_else(|e| panic!("{case}: input invalid: {e}"));
        let before = print_graph(&g).unwrap();
        let changes = pass.run(&mut g).unwrap_or_else(|e| panic!("{case}: {e}"));
        validate(&g, pass.produces()).unwrap_or_else(|e| panic!("{case}: output invalid: {e}"));
        let after = print_graph(&g).unwrap();
        covered.insert(pass_name.clone());
        insta::assert_snapshot!(
            case.clone(),
            format!("// before {pass_name}\n{before}\n// after {pass_name} ({changes} changes)\n{after}")
        );
    }
    for p in zkc_passes::Pipeline::float().names() {
        assert!(
            covered.contains(p),
            "pass {p} has no snapshot case in tests/passes"
        );
    }
}
