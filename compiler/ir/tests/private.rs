//! Private parameters in the IR: text form (full, short and public), the
//! validator's rules and the graph helpers.

use zkc_ir::{
    parse_graph, print_graph, print_graph_full, print_graph_public, validate, DType, Graph, Op,
    Private, Stage, Tensor, ValueType,
};

const TEXT: &str = "graph g {
  %0 = input 0 : q7[1,3]
  %1 = private [1,-2,3,4,5,-6] lo=-128 hi=127 : q6[3,2] # fc.weight
  %2 = private [100,-7] lo=-1000 hi=1000 : q13[2] # fc.bias
  %3 = gemm %0, %1, %2 : q13[1,2] # fc.acc
  %4 = rescale %3 mult=1 shift=7 lo=-128 hi=127 : q6[1,2] # fc
  output %4
}
";

fn parsed(text: &str) -> Graph {
    let g = parse_graph(text).unwrap();
    validate(&g, Stage::Quantized).unwrap();
    g
}

#[test]
fn full_print_round_trips_with_values() {
    let g = parsed(TEXT);
    let once = print_graph_full(&g).unwrap();
    assert_eq!(once, TEXT);
    assert_eq!(print_graph_full(&parsed(&once)).unwrap(), once);
    let w = g.ids()[1];
    assert_eq!(g.op(w).kind(), "private");
    assert!(g.const_tensor(w).is_none(), "a private is not a constant");
    assert_eq!(
        g.private_values(w).and_then(|t| t.as_i64()),
        Some(&[1, -2, 3, 4, 5, -6][..])
    );
    assert_eq!(g.private(w).map(|p| (p.lo, p.hi)), Some((-128, 127)));
    assert!(g.has_private());
    assert_eq!(g.private_ids().unwrap().len(), 2);
}

#[test]
fn public_print_hides_values_and_round_trips() {
    let g = parsed(TEXT);
    let public = print_graph_public(&g).unwrap();
    assert!(public.contains("%1 = private hidden lo=-128 hi=127 : q6[3,2] # fc.weight"));
    assert!(public.contains("%2 = private hidden lo=-1000 hi=1000 : q13[2] # fc.bias"));
    assert!(!public.contains("[1,-2"), "{public}");
    let back = parsed(&public);
    assert!(back
        .ids()
        .iter()
        .all(|&id| back.private_values(id).is_none()));
    assert_eq!(print_graph_public(&back).unwrap(), public);
    // a redacted graph prints `hidden` in every form
    assert_eq!(print_graph_full(&back).unwrap(), public);
    let mut r = g.clone();
    assert_eq!(r.redact_private(), 2);
    assert_eq!(print_graph_full(&r).unwrap(), public);
}

#[test]
fn graphs_without_private_print_the_same_publicly() {
    let text = TEXT
        .replace(
            "private [1,-2,3,4,5,-6] lo=-128 hi=127",
            "const [1,-2,3,4,5,-6]",
        )
        .replace("private [100,-7] lo=-1000 hi=1000", "const [100,-7]");
    let g = parsed(&text);
    assert!(!g.has_private());
    assert_eq!(
        print_graph_public(&g).unwrap(),
        print_graph_full(&g).unwrap()
    );
    assert_eq!(print_graph_full(&g).unwrap(), text);
}

#[test]
fn short_print_digests_large_private_values() {
    let values: Vec<String> = (0..20).map(|i| (i - 10).to_string()).collect();
    let text = format!(
        "graph g {{\n  %0 = input 0 : q0[1,20]\n  %1 = private [{}] lo=-10 hi=10 : q0[1,20] # p\n  %2 = add %0, %1 : q0[1,20]\n  output %2\n}}\n",
        values.join(",")
    );
    let g = parsed(&text);
    let short = print_graph(&g).unwrap();
    assert!(short.contains("%1 = private #"), "{short}");
    assert!(short.contains(" lo=-10 hi=10 : q0[1,20] # p"), "{short}");
    assert!(parse_graph(&short).is_err(), "a digest cannot be parsed");
    assert_eq!(print_graph_full(&g).unwrap(), text);
}

fn with_private(p: Private, ty: ValueType) -> Graph {
    let mut g = Graph::new("g");
    let id = g.add(Op::Private(p), &[], ty, "p").unwrap();
    g.set_outputs(vec![id]).unwrap();
    g
}

fn invalid(g: &Graph, stage: Stage) -> String {
    validate(g, stage).unwrap_err().to_string()
}

#[test]
fn validator_checks_private_parameters() {
    let t = |v: Vec<i64>| Some(Tensor::i64(vec![v.len()], v).unwrap());
    let ok = Private {
        values: t(vec![-3, 0, 3]),
        lo: -3,
        hi: 3,
    };
    let g = with_private(ok.clone(), ValueType::int(vec![3], 0));
    validate(&g, Stage::Quantized).unwrap();
    validate(&g, Stage::Quantizing).unwrap();
    assert!(invalid(&g, Stage::Float).contains("float graph"));

    let hidden = Private {
        values: None,
        ..ok.clone()
    };
    validate(
        &with_private(hidden, ValueType::int(vec![3], 0)),
        Stage::Quantized,
    )
    .unwrap();

    let out = Private {
        values: t(vec![-3, 4, 3]),
        ..ok.clone()
    };
    let e = invalid(
        &with_private(out, ValueType::int(vec![3], 0)),
        Stage::Quantized,
    );
    assert!(
        e.contains("element 1 is 4, outside the declared range [-3, 3]"),
        "{e}"
    );

    let empty = Private {
        values: None,
        lo: 1,
        hi: 0,
    };
    let e = invalid(
        &with_private(empty, ValueType::int(vec![3], 0)),
        Stage::Quantized,
    );
    assert!(e.contains("empty declared range"), "{e}");

    let e = invalid(
        &with_private(ok.clone(), ValueType::int(vec![1, 3], 0)),
        Stage::Quantized,
    );
    assert!(
        e.contains("values of shape [3] for a node of shape [1, 3]"),
        "{e}"
    );

    let e = invalid(
        &with_private(ok.clone(), ValueType::f32(vec![3])),
        Stage::Quantizing,
    );
    assert!(e.contains("integer type"), "{e}");

    let float = Private {
        values: Some(Tensor::f32(vec![1], vec![0.5]).unwrap()),
        lo: 0,
        hi: 1,
    };
    let e = invalid(
        &with_private(
            float,
            ValueType {
                shape: vec![1],
                dtype: DType::Int { frac: 0 },
                bound: None,
            },
        ),
        Stage::Quantized,
    );
    assert!(e.contains("must be integers"), "{e}");
}

#[test]
fn parser_refuses_malformed_private_lines() {
    for body in [
        "private lo=-1 hi=1 : q0[2]",
        "private [1,2] hi=1 : q0[2]",
        "private [1,2] lo=-1 : q0[2]",
        "private [1,2,3] lo=-3 hi=3 : q0[2]",
        "private [1.5,2] lo=-3 hi=3 : q0[2]",
    ] {
        let text = format!("graph g {{\n  %0 = {body}\n  output %0\n}}\n");
        assert!(parse_graph(&text).is_err(), "{body}");
    }
}
