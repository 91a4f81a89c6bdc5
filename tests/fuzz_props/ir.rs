//! IR text (`float.ir`, `quantized.ir`) through `zkc_ir::parse`.

use super::*;
use crate::json::{zeros_list, TEN_MILLION};

// ---------------------------------------------------------------------------
// IR text (`float.ir`, `quantized.ir`).

const NUMS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "8",
    "63",
    "64",
    "65",
    "127",
    "-128",
    "255",
    "120",
    "121",
    "-121",
    "4294967296",
    "67108864",
    "67108865",
    "1099511627776",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "0.5",
    "-0.0",
    "1e39",
    "3.4e38",
    "NaN",
    "inf",
    "-inf",
    "1e-45",
    "99999999999999999999999999999999",
];

const OPS: &[&str] = &[
    "input",
    "const",
    "conv",
    "conv_transpose",
    "gemm",
    "batch_norm",
    "scale_shift",
    "add",
    "sub",
    "mul",
    "div",
    "relu",
    "clip",
    "leaky_relu",
    "sigmoid",
    "tanh",
    "max_pool",
    "sum_pool",
    "avg_pool",
    "global_avg_pool",
    "reshape",
    "transpose",
    "concat",
    "pad",
    "slice",
    "gather",
    "resize",
    "rescale",
    "table",
    "output",
];

const TYPES: &[&str] = &[
    "f32",
    "q0",
    "q6",
    "q-1",
    "q-200",
    "q63",
    "q64",
    "q200",
    "q2147483647",
    "q-2147483648",
    "i64",
];

#[derive(Clone, Debug)]
pub(crate) enum Tok {
    Num(&'static str),
    Ref(Index),
    Op(&'static str),
    Type(&'static str),
    Any(String),
}

#[derive(Clone, Debug)]
pub(crate) enum IrMut {
    DeleteLine(Index),
    DupLine(Index, Index),
    SwapLines(Index, Index),
    /// Replaces token `.1` of line `.0`.
    Token(Index, Index, Tok),
    Bytes(ByteMut),
}

pub(crate) fn ir_mut() -> impl Strategy<Value = IrMut> {
    let tok = prop_oneof![
        5 => prop::sample::select(NUMS).prop_map(Tok::Num),
        2 => any::<Index>().prop_map(Tok::Ref),
        1 => prop::sample::select(OPS).prop_map(Tok::Op),
        1 => prop::sample::select(TYPES).prop_map(Tok::Type),
        1 => "[\\[\\],=%a-z0-9 #:()-]{0,6}".prop_map(Tok::Any),
    ];
    prop_oneof![
        1 => any::<Index>().prop_map(IrMut::DeleteLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| IrMut::DupLine(a, b)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| IrMut::SwapLines(a, b)),
        8 => (any::<Index>(), any::<Index>(), tok).prop_map(|(l, t, k)| IrMut::Token(l, t, k)),
        2 => byte_mut().prop_map(IrMut::Bytes),
    ]
}

/// Byte ranges of the tokens of a line (runs of name, number and `%` chars).
fn tokens(line: &str) -> Vec<(usize, usize)> {
    let is_tok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '%' | '-' | '+');
    let mut out = vec![];
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (is_tok(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}

pub(crate) fn mutate_ir(text: &str, muts: &[IrMut]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    for m in muts {
        let n = lines.len();
        if n == 0 {
            break;
        }
        match m {
            IrMut::DeleteLine(i) => {
                lines.remove(i.index(n));
            }
            IrMut::DupLine(a, b) => {
                let l = lines[a.index(n)].clone();
                lines.insert(b.index(n + 1), l);
            }
            IrMut::SwapLines(a, b) => lines.swap(a.index(n), b.index(n)),
            IrMut::Token(l, t, k) => {
                let li = l.index(n);
                let toks = tokens(&lines[li]);
                if toks.is_empty() {
                    continue;
                }
                let (s, e) = toks[t.index(toks.len())];
                let new = match k {
                    Tok::Num(x) | Tok::Op(x) | Tok::Type(x) => x.to_string(),
                    Tok::Ref(r) => format!("%{}", r.index(n + 2)),
                    Tok::Any(x) => x.clone(),
                };
                lines[li].replace_range(s..e, &new);
            }
            IrMut::Bytes(b) => {
                let mut bytes = lines.join("\n").into_bytes();
                apply_bytes(&mut bytes, std::slice::from_ref(b));
                lines = String::from_utf8_lossy(&bytes)
                    .lines()
                    .map(String::from)
                    .collect();
            }
        }
    }
    lines.join("\n")
}

/// Runs both interpreters on zero inputs (when the inputs are small).
fn run_zero_inputs(g: &Graph) {
    let shapes: Vec<usize> = g
        .inputs_list()
        .iter()
        .map(|&id| zkc_ir::checked_numel(g.shape(id)).unwrap_or(usize::MAX))
        .collect();
    if shapes.iter().any(|&n| n > 1 << 20) {
        return;
    }
    let f: Vec<Vec<f32>> = shapes.iter().map(|&n| vec![0.0; n]).collect();
    let i: Vec<Vec<i64>> = shapes.iter().map(|&n| vec![0; n]).collect();
    let _ = zkc_runtime::run_float(g, &f);
    let _ = zkc_runtime::run_int(g, &i);
}

/// Parses, validates at every stage and, when valid, runs, plans and
/// re-prints an IR text.
fn check_ir(text: &str) -> Result<Outcome, TestCaseError> {
    let t = Instant::now();
    let Ok(g) = zkc_ir::parse_graph(text) else {
        return Ok("not parsed");
    };
    let float_ok = zkc_ir::validate(&g, Stage::Float).is_ok();
    let quant_ok = zkc_ir::validate(&g, Stage::Quantized).is_ok();
    let _ = zkc_ir::validate(&g, Stage::Quantizing);
    if float_ok {
        let _ = zkc_ir::validate_final(&g, Stage::Float);
    }
    if quant_ok {
        let _ = zkc_ir::validate_final(&g, Stage::Quantized);
        let _ = zkc::proving::plan_of(&g);
    }
    if float_ok || quant_ok {
        run_zero_inputs(&g);
        let printed = zkc_ir::print_graph_full(&g);
        prop_assert!(
            printed.is_ok(),
            "a valid graph does not print: {:?}",
            printed.err()
        );
        let printed = printed.unwrap();
        let again = zkc_ir::parse_graph(&printed);
        prop_assert!(
            again.is_ok(),
            "a valid graph's text does not parse: {:?}",
            again.err()
        );
        prop_assert_eq!(
            zkc_ir::print_graph_full(&again.unwrap()).ok(),
            Some(printed)
        );
    }
    prop_assert!(
        t.elapsed() < Duration::from_secs(10),
        "took {:?}",
        t.elapsed()
    );
    Ok(match (float_ok, quant_ok) {
        (true, _) => "valid float graph (ran)",
        (_, true) => "valid quantized graph (ran)",
        _ => "parsed, invalid",
    })
}

#[test]
fn ir_mutated_texts() {
    // Line- and token-mutated IR of the bundled models (float and quantized).
    let strategy = (any::<Index>(), any::<bool>(), vec(ir_mut(), 1..5));
    check(
        "ir_mutated_texts",
        3000,
        0x5eed_0004,
        strategy,
        |(model, quant, muts)| {
            let c = &compiled()[model.index(compiled().len())];
            let text = mutate_ir(if quant { &c.quant_ir } else { &c.float_ir }, &muts);
            check_ir(&text)
        },
    );
}

#[test]
fn ir_random_lines() {
    // Random short lines inside a valid header.
    let strategy = vec("[%0-9a-z =:,\\[\\]#.-]{0,40}", 0..8);
    check("ir_random_lines", 2000, 0x5eed_0009, strategy, |lines| {
        check_ir(&format!("graph g {{\n{}\n}}\n", lines.join("\n")))
    });
}

fn hostile_ir(what: &str, text: String, budget: usize) {
    let r = within(3 * HOSTILE_SECONDS, move || {
        measure(|| {
            zkc_ir::parse_graph(&text).and_then(|g| {
                zkc_ir::validate(&g, Stage::Float)?;
                zkc_ir::validate(&g, Stage::Quantized)?;
                Ok(g)
            })
        })
    });
    assert_refused(what, r, budget);
}

isolated_test! {
    /// Inputs and constants claiming 2^40 elements.
    fn hostile_ir_huge_shapes() {
        let h = "1099511627776";
        hostile_ir(
            "input f32[2^40]",
            format!("graph g {{\n%0 = input 0 : f32[{h}]\n%1 = relu %0 : f32[{h}]\noutput %1\n}}"),
            MIB,
        );
        hostile_ir(
            "input q0[2^40] with rescale",
            format!("graph g {{\n%0 = input 0 : q0[{h}]\n%1 = rescale %0 mult=1 shift=0 lo=0 hi=1 : q0[{h}]\noutput %1\n}}"),
            MIB,
        );
        hostile_ir(
            "const f32[2^40]",
            format!("graph g {{\n%0 = const [1] : f32[{h}]\noutput %0\n}}"),
            MIB,
        );
        hostile_ir(
            "const q0[2^32,2^32]",
            "graph g {\n%0 = const [1] : q0[4294967296,4294967296]\noutput %0\n}".into(),
            MIB,
        );
        hostile_ir(
            "reshape to 2^40",
            format!("graph g {{\n%0 = input 0 : f32[1]\n%1 = reshape %0 : f32[{h}]\noutput %1\n}}"),
            MIB,
        );
        hostile_ir(
            "pads of 2^40",
            format!("graph g {{\n%0 = input 0 : f32[1,1]\n%1 = pad %0 pads=[0,0,{h},{h}] value=0 : f32[1,2199023255553]\noutput %1\n}}"),
            MIB,
        );
        let table = "graph g {\n%0 = input 0 : q0[1]\n%1 = table %0 name=t lo=-9223372036854775808 values=[1] : q0[1]\noutput %1\n}".to_string();
        let r = within(3 * HOSTILE_SECONDS, move || {
            measure(|| {
                let g = zkc_ir::parse_graph(&table)?;
                zkc_ir::validate(&g, Stage::Quantized)?;
                zkc_runtime::run_int(&g, &[vec![i64::MAX]]).map_err(|e| zkc_ir::IrError::Invalid(e.to_string()))
            })
        });
        assert_refused("table lookup at the end of i64", r, MIB);
    }
}

/// A constant of `n` listed values for a 3-element type.
fn long_const(n: usize) -> String {
    format!(
        "graph g {{\n%0 = const {} : f32[3]\noutput %0\n}}",
        zeros_list(n)
    )
}

isolated_test! {
    /// A constant of 10^6 listed values (a 2 MB line): refused for its
    /// shape, memory linear in the text.
    fn hostile_ir_million_values() {
        let text = long_const(1_000_000);
        let budget = 64 * text.len();
        hostile_ir("const of 10^6 values for f32[3]", text, budget);
    }
}

isolated_test! {
    /// 10^7 listed values (20 MB) for a 3-element constant: refused within
    /// 8 bytes of heap per byte of text (the scanner once materialized every
    /// value before checking the count: ~47 bytes per byte).
    fn hostile_ir_ten_million_values() {
        let text = long_const(TEN_MILLION);
        let budget = 8 * text.len();
        hostile_ir("const of 10^7 values for f32[3]", text, budget);
    }
}

isolated_test! {
    /// A constant nested 10^6 lists deep (the IR value scanner once recursed
    /// per `[` and overflowed the stack at some 10^5).
    fn hostile_ir_deep_nesting() {
        let n = 1_000_000;
        let text = format!("graph g {{\n%0 = const {}1{} : f32[1]\noutput %0\n}}", "[".repeat(n), "]".repeat(n));
        hostile_ir("const nested 10^6 deep", text, 256 * MIB);
    }
}
