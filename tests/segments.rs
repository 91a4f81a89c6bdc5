//! Cutting quantized graphs into segments (`zkc_ir::split_graph`): running
//! the segments one after the other, each on the previous one's outputs,
//! gives the whole graph's integer outputs bit for bit, and every boundary
//! value is the whole run's value of that node. Checked on every bundled
//! model and every op-coverage model, at every single cut and at a few
//! multi-cut choices.

mod common;

use zkc_ir::{split_graph, validate, Graph, Stage};

fn quantized(path: &std::path::Path, name: Option<&str>) -> Graph {
    let opts = match name {
        Some(n) => common::bundled_options(n),
        None => zkc::quantize::QuantOptions::default(),
    };
    zkc::compile::compile(path, &opts).unwrap().quant.graph
}

/// Runs the segments of `cuts` in a chain on `x` and compares with the
/// whole run; returns how many boundary values were checked.
fn chain_equals_whole(g: &Graph, cuts: &[usize], x: &[Vec<i64>], tag: &str) -> usize {
    let whole = zkc_runtime::run_int(g, x).unwrap();
    let segs = split_graph(g, cuts).unwrap_or_else(|e| panic!("{tag} {cuts:?}: {e}"));
    assert_eq!(segs.len(), cuts.len() + 1);
    let mut feed: Vec<Vec<i64>> = x.to_vec();
    let mut checked = 0;
    for (i, s) in segs.iter().enumerate() {
        validate(&s.graph, Stage::Quantized)
            .unwrap_or_else(|e| panic!("{tag} {cuts:?} segment {i}: {e}"));
        if i > 0 {
            assert_eq!(s.inputs, segs[i - 1].outputs, "{tag}: the chain links");
        }
        let run = zkc_runtime::run_int(&s.graph, &feed)
            .unwrap_or_else(|e| panic!("{tag} {cuts:?} segment {i}: {e}"));
        feed = run.outputs().to_vec();
        for (o, v) in s.outputs.iter().zip(&feed) {
            assert_eq!(
                whole.value(*o).unwrap(),
                v.as_slice(),
                "{tag} {cuts:?}: segment {i}'s output {} differs",
                g.node(*o).name
            );
            checked += 1;
        }
    }
    assert_eq!(
        feed,
        whole.outputs().to_vec(),
        "{tag} {cuts:?}: final outputs"
    );
    checked
}

#[test]
fn segments_compose_to_the_whole_graph() {
    let mut cases = vec![];
    for (name, path) in common::models() {
        cases.push((name.clone(), quantized(&path, Some(&name))));
    }
    for (name, path) in common::op_models() {
        cases.push((name, quantized(&path, None)));
    }
    let mut total = 0;
    for (name, g) in &cases {
        let n = g.topo_order().unwrap().len();
        let x = common::inputs_in_bounds(g);
        // no cut: one segment, the graph itself
        total += chain_equals_whole(g, &[], &x, name);
        for c in 1..n {
            total += chain_equals_whole(g, &[c], &x, name);
        }
        if n > 4 {
            total += chain_equals_whole(g, &[1, n / 2, n - 1], &x, name);
            let thirds: Vec<usize> = [n / 3, 2 * n / 3].into_iter().filter(|&c| c > 0).collect();
            total += chain_equals_whole(g, &thirds, &x, name);
        }
    }
    println!("{} graphs, {total} boundary values checked", cases.len());
    assert!(total > 100);
}

#[test]
fn bad_cuts_are_refused() {
    let (name, path) = common::models().remove(0);
    let g = quantized(&path, Some(&name));
    let n = g.topo_order().unwrap().len();
    for cuts in [vec![0], vec![n], vec![3, 3], vec![4, 2]] {
        assert!(split_graph(&g, &cuts).is_err(), "{cuts:?} accepted");
    }
}

/// Every segment of the chosen cuts fits the limit, the segments still
/// compose to the whole graph, and a graph that fits is not cut.
#[test]
fn chosen_cuts_fit_the_limit_and_compose() {
    for name in ["digits_cnn", "digits_resnet", "tiny_gan"] {
        let path = common::root().join("models").join(format!("{name}.onnx"));
        let g = quantized(&path, Some(name));
        let whole_k = zkc_circuit::plan(&g).unwrap().k;
        assert!(zkc_circuit::segments::choose_cuts(&g, whole_k)
            .unwrap()
            .is_empty());
        for max_k in [whole_k - 1, whole_k - 2] {
            let cuts = match zkc_circuit::segments::choose_cuts(&g, max_k) {
                Ok(c) => c,
                // one node alone too large: said so
                Err(e) => {
                    let e = e.to_string();
                    assert!(
                        e.contains(" alone (position ") || e.contains("no cut"),
                        "{name}: {e}"
                    );
                    println!("{name} at k <= {max_k}: {e}");
                    continue;
                }
            };
            assert!(!cuts.is_empty(), "{name} at k <= {max_k}: no cut");
            let segs = split_graph(&g, &cuts).unwrap();
            for (i, s) in segs.iter().enumerate() {
                let k = zkc_circuit::plan(&s.graph).unwrap().k;
                assert!(k <= max_k, "{name}: segment {i} needs k = {k} > {max_k}");
            }
            let x = common::inputs_in_bounds(&g);
            chain_equals_whole(&g, &cuts, &x, name);
            println!(
                "{name}: k {whole_k} -> {} segments at k <= {max_k}, cuts {cuts:?}",
                segs.len()
            );
        }
    }
}
