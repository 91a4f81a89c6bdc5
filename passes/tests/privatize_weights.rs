//! `privatize_weights`: the public text hides every parameter, does not
//! depend on the weights' values, and the recorded bounds hold for any
//! values in the declared ranges.

use num_bigint::BigInt;
use zkc_ir::{
    parse_graph, print_graph_full, print_graph_public, validate, Graph, NodeId, Op, Stage, Tensor,
};
use zkc_passes::privatize_weights::PrivatizeWeights;
use zkc_passes::{calibrate, synthetic_samples, Pass, PassError, Pipeline, QuantConfig};

/// A float model with every kind of parameter: conv (padded, so outputs
/// have different tap counts), scale_shift, a mul by a constant tensor, a
/// table (sigmoid), a division (global average pool), gemm, an added
/// constant and conv_transpose.
const MODEL: &str = "graph private_weights {
  %0 = input 0 : f32[1,1,4,4]
  %1 = const [-0.176,-0.349,0.151,-0.428,0.036,-0.134,-0.442,0.007,-0.463,-0.066,-0.43,-0.409,-0.075,0.327,-0.376,-0.277,0.127,0.448] : f32[2,1,3,3] # conv.weight
  %2 = const [0.015,-0.021] : f32[2] # conv.bias
  %3 = conv %0, %1, %2 kernel=[3,3] strides=[1,1] pads=[1,1,1,1] dilations=[1,1] groups=1 act=relu : f32[1,2,4,4] # conv
  %4 = const [0.8,1.25] : f32[2] # bn.scale
  %5 = const [0.05,-0.1] : f32[2] # bn.shift
  %6 = scale_shift %3, %4, %5 : f32[1,2,4,4] # bn
  %7 = const [1.5,-0.75] : f32[1,2,1,1] # gate
  %8 = mul %6, %7 : f32[1,2,4,4] # gated
  %9 = sigmoid %8 : f32[1,2,4,4] # act
  %10 = global_avg_pool %9 : f32[1,2,1,1] # pool
  %11 = reshape %10 : f32[1,2] # flat
  %12 = const [0.953,-0.907,0.717,-0.421,-0.711,-0.764] : f32[2,3] # fc.weight
  %13 = const [-0.077,0.126,-0.128] : f32[3] # fc.bias
  %14 = gemm %11, %12, %13 : f32[1,3] # fc
  %15 = const [0.082,0.139,-0.128] : f32[3] # offset
  %16 = add %14, %15 : f32[1,3] # logits
  %17 = const [0.048,-0.437,-0.44,-0.294,0.18,-0.072,-0.186,0.086] : f32[2,1,2,2] # up.weight
  %18 = const [-0.009] : f32[1] # up.bias
  %19 = conv_transpose %9, %17, %18 kernel=[2,2] strides=[2,2] pads=[0,0,0,0] dilations=[1,1] groups=1 output_padding=[0,0] : f32[1,1,8,8] # up
  output %16, %19
}
";

fn cfg() -> QuantConfig {
    QuantConfig::new(8, 8, false).with_private_weights(true)
}

/// The quantization passes for `MODEL`, split before `privatize_weights`:
/// the graph after `insert_rescales` and the passes still to run.
fn quantized_until_private() -> (Graph, Vec<Box<dyn Pass>>) {
    let mut g = parse_graph(MODEL).unwrap();
    validate(&g, Stage::Float).unwrap();
    let cal = calibrate(&g, &synthetic_samples(&g, 16, 1)).unwrap();
    let mut passes = Pipeline::quantize(cfg(), cal).into_passes().into_iter();
    for p in passes.by_ref() {
        p.run(&mut g).unwrap();
        validate(&g, p.produces()).unwrap();
        if p.name() == "insert_rescales" {
            break;
        }
    }
    let rest: Vec<Box<dyn Pass>> = passes.collect();
    assert_eq!(rest[0].name(), "privatize_weights");
    (g, rest)
}

fn finish(g: &mut Graph, passes: &[Box<dyn Pass>]) -> Vec<String> {
    let mut notes = vec![];
    for p in passes {
        p.run(g).unwrap_or_else(|e| panic!("{}: {e}", p.name()));
        validate(g, p.produces()).unwrap_or_else(|e| panic!("after {}: {e}", p.name()));
        notes.extend(p.notes());
    }
    notes
}

fn privatized() -> Graph {
    let (mut g, rest) = quantized_until_private();
    finish(&mut g, &rest);
    g
}

/// A xorshift generator (deterministic).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// In `[lo, hi]`, the ends a quarter of the time each.
    fn in_range(&mut self, lo: i64, hi: i64) -> i64 {
        match self.next() % 4 {
            0 => lo,
            1 => hi,
            _ => {
                let span = (hi as i128 - lo as i128 + 1) as u128;
                (lo as i128 + (u128::from(self.next()) % span) as i128) as i64
            }
        }
    }
}

fn set_private(g: &mut Graph, id: NodeId, values: Vec<i64>) {
    let shape = g.shape(id).to_vec();
    match &mut g.node_mut(id).op {
        Op::Private(p) => p.values = Some(Tensor::i64(shape, values).unwrap()),
        op => panic!("not private: {op:?}"),
    }
}

#[test]
fn every_parameter_is_private_and_hidden() {
    let g = privatized();
    validate(&g, Stage::Quantized).unwrap();
    let names: Vec<&str> = g
        .private_ids()
        .unwrap()
        .into_iter()
        .map(|id| g.node(id).name.as_str())
        .collect();
    for want in [
        "conv.weight",
        "conv.bias",
        "bn.scale",
        "bn.shift",
        "gate",
        "fc.weight",
        "fc.bias",
        "offset",
        "up.weight",
        "up.bias",
    ] {
        assert!(names.contains(&want), "{want} not private: {names:?}");
    }
    assert!(
        g.ids().iter().all(|&id| g.const_tensor(id).is_none()),
        "no constant left"
    );
    let public = print_graph_public(&g).unwrap();
    for line in public.lines().filter(|l| l.contains("= private ")) {
        assert!(line.contains("= private hidden lo="), "{line}");
    }
    assert_eq!(public.matches("private hidden").count(), names.len());
    // the full print keeps the values and reads back to the same text
    let full = print_graph_full(&g).unwrap();
    assert!(!full.contains("hidden"));
    assert_eq!(
        print_graph_full(&parse_graph(&full).unwrap()).unwrap(),
        full
    );
    let back = parse_graph(&public).unwrap();
    validate(&back, Stage::Quantized).unwrap();
    assert_eq!(print_graph_public(&back).unwrap(), public);
    insta::assert_snapshot!("private_weights_public", public);
}

/// Other weights (every one anywhere in its range, biases and constants
/// beyond theirs too, or all of them small) at the same scales give the
/// same public graph, multipliers, tables and bounds included. (Small
/// weights give narrower exact bounds: were the tables chosen before the
/// weights became private, they would differ, or fail bound analysis.)
#[test]
fn public_text_does_not_depend_on_the_values() {
    let (base, rest) = quantized_until_private();
    let mut a = base.clone();
    finish(&mut a, &rest);
    let public = print_graph_public(&a).unwrap();
    let mut rng = Rng(0x5eed);
    for variant in 0..5 {
        let mut b = base.clone();
        for id in b.ids() {
            let Some(t) = b.const_tensor(id).filter(|t| !t.is_float()) else {
                continue;
            };
            let is_weight = b.users(id).iter().any(|&(u, slot)| {
                matches!(b.op(u), Op::Mul)
                    || (slot == 1
                        && matches!(
                            b.op(u),
                            Op::Conv { .. }
                                | Op::ConvTranspose { .. }
                                | Op::Gemm { .. }
                                | Op::ScaleShift { .. }
                        ))
            });
            let (lo, hi) = if is_weight {
                (-127, 127)
            } else {
                (-1 << 20, 1 << 20)
            };
            let v = match (variant, t.as_i64()) {
                (0, Some(v)) => v.iter().map(|x| x / 16).collect(),
                _ => (0..t.len()).map(|_| rng.in_range(lo, hi)).collect(),
            };
            let t = Tensor::i64(t.shape().to_vec(), v).unwrap();
            b.node_mut(id).op = Op::Const(t);
        }
        finish(&mut b, &rest);
        assert_ne!(print_graph_full(&b).unwrap(), print_graph_full(&a).unwrap());
        assert_eq!(print_graph_public(&b).unwrap(), public);
    }
}

fn in_bound(g: &Graph, id: NodeId, v: &[i64]) -> bool {
    let b = g.ty(id).bound.as_ref().expect("bound recorded");
    v.iter()
        .all(|&x| b.lo <= BigInt::from(x) && BigInt::from(x) <= b.hi)
}

/// For random values in the declared ranges (often at their ends) and
/// random inputs, every value of the integer run lies in its recorded
/// bound.
#[test]
fn bounds_hold_for_any_values_in_the_declared_ranges() {
    let mut g = privatized();
    let privates = g.private_ids().unwrap();
    let input = g.inputs_list()[0];
    let ib = g.ty(input).bound.clone().unwrap();
    let (ilo, ihi) = (
        i64::try_from(&ib.lo).unwrap(),
        i64::try_from(&ib.hi).unwrap(),
    );
    let n_in = zkc_ir::numel(g.shape(input));
    let mut rng = Rng(0xb0b);
    for trial in 0..200 {
        for &p in &privates {
            let (lo, hi) = {
                let pr = g.private(p).unwrap();
                (pr.lo, pr.hi)
            };
            let n = zkc_ir::numel(g.shape(p));
            let v = match trial {
                // every parameter at one end, every input at one end
                0 => vec![hi; n],
                1 => vec![lo; n],
                _ => (0..n).map(|_| rng.in_range(lo, hi)).collect(),
            };
            set_private(&mut g, p, v);
        }
        validate(&g, Stage::Quantized).unwrap();
        let x: Vec<i64> = match trial {
            0 => vec![ihi; n_in],
            1 => vec![ilo; n_in],
            _ => (0..n_in).map(|_| rng.in_range(ilo, ihi)).collect(),
        };
        let run = zkc_runtime::run_int(&g, &[x]).unwrap_or_else(|e| panic!("trial {trial}: {e}"));
        for (id, v) in run.iter() {
            assert!(
                in_bound(&g, id, v),
                "trial {trial}: {} {} = {v:?} outside {:?}",
                g.op(id).kind(),
                g.node(id).name,
                g.ty(id).bound
            );
        }
    }
}

/// A small quantized graph (as after `insert_rescales`): `x [1,2]` (8-bit)
/// times 8-bit weights has `|x.w| <= 2 * 128 * 128 = 32768`.
fn gemm_graph(bias: &str, offset: &str) -> Graph {
    let text = format!(
        "graph t {{
  %0 = input 0 : q7[1,2]
  %1 = const [3,-4,5,6] : q6[2,2] # fc.weight
  %2 = const {bias} : q13[2] # fc.bias
  %3 = gemm %0, %1, %2 : q13[1,2] # fc.acc
  %4 = rescale %3 mult=1 shift=7 lo=-128 hi=127 : q6[1,2] # fc
  %5 = const {offset} : q6[2] # offset
  %6 = sub %5, %4 : q6[1,2] # shifted.acc
  %7 = rescale %6 mult=1 shift=0 lo=-128 hi=127 : q6[1,2] # shifted
  output %7
}}
"
    );
    let g = parse_graph(&text).unwrap();
    validate(&g, Stage::Quantizing).unwrap();
    g
}

fn declared(g: &Graph, name: &str) -> (i64, i64) {
    let id = g
        .ids()
        .into_iter()
        .find(|&id| g.node(id).name == name)
        .unwrap();
    let p = g
        .private(id)
        .unwrap_or_else(|| panic!("{name} is not private"));
    (p.lo, p.hi)
}

#[test]
fn declared_ranges_follow_the_weight_range_and_the_inputs() {
    let mut g = gemm_graph("[100,-7]", "[1,2]");
    let pass = PrivatizeWeights::new(cfg());
    assert_eq!(pass.run(&mut g).unwrap(), 3);
    validate(&g, Stage::Quantizing).unwrap();
    assert!(pass.notes().is_empty(), "{:?}", pass.notes());
    assert_eq!(declared(&g, "fc.weight"), (-128, 127));
    // A = 2 taps * 128 * 128 = 32768: the 17-bit signed range holds it
    assert_eq!(declared(&g, "fc.bias"), (-65536, 65535));
    // the other operand is a rescale to [-128, 127]: A = 128, 9 bits
    assert_eq!(declared(&g, "offset"), (-256, 255));
    let mut g4 = gemm_graph("[100,-7]", "[1,2]");
    let four = QuantConfig::new(8, 4, false).with_private_weights(true);
    PrivatizeWeights::new(four).run(&mut g4).unwrap();
    assert_eq!(declared(&g4, "fc.weight"), (-8, 7));
    // 8-bit x, 4-bit weights: A = 2 taps * 128 * 8 = 2048, 13 bits
    assert_eq!(declared(&g4, "fc.bias"), (-4096, 4095));
}

#[test]
fn biases_and_constants_beyond_their_range_are_clamped_with_a_note() {
    let mut g = gemm_graph("[70000,-7]", "[1,-500]");
    let pass = PrivatizeWeights::new(cfg());
    pass.run(&mut g).unwrap();
    let notes = pass.notes();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].starts_with("gemm fc.acc: 1 of 2 values of its bias fc.bias clamped into the declared range [-65536, 65535]"),
        "{notes:?}"
    );
    assert!(
        notes[1].starts_with("sub shifted.acc: 1 of 2 values of its constant operand offset clamped into the declared range [-256, 255]"),
        "{notes:?}"
    );
    let bias = g
        .ids()
        .into_iter()
        .find(|&id| g.node(id).name == "fc.bias")
        .unwrap();
    assert_eq!(
        g.private_values(bias).and_then(|t| t.as_i64()),
        Some(&[65535, -7][..])
    );
}

fn unsupported(r: Result<usize, PassError>) -> String {
    match r {
        Err(e @ PassError::Unsupported { .. }) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn refusals() {
    let mut g = gemm_graph("[1,2]", "[1,2]");
    let per_channel = QuantConfig::new(8, 8, true).with_private_weights(true);
    let e = unsupported(PrivatizeWeights::new(per_channel.clone()).run(&mut g));
    assert!(
        e.contains("per-channel weights are not supported with --private weights yet"),
        "{e}"
    );
    assert!(per_channel.check().is_err());

    // a weight outside the weight range (not from the quantizer)
    let mut g = gemm_graph("[1,2]", "[1,2]");
    let w = g.ids()[1];
    g.node_mut(w).op = Op::Const(Tensor::i64(vec![2, 2], vec![3, -4, 5, 600]).unwrap());
    let e = unsupported(PrivatizeWeights::new(cfg()).run(&mut g));
    assert!(e.contains("weight fc.weight holds 600"), "{e}");

    // a bias that is also a graph output would stay public there
    let mut g = gemm_graph("[1,2]", "[1,2]");
    let b = g.ids()[2];
    let mut outs = g.outputs().to_vec();
    outs.push(b);
    g.set_outputs(outs).unwrap();
    let e = unsupported(PrivatizeWeights::new(cfg()).run(&mut g));
    assert!(
        e.contains(
            "constant fc.bias is a parameter of gemm fc.acc and is also used elsewhere \
             (input 2 of gemm fc.acc, a graph output)"
        ),
        "{e}"
    );

    // too many elements for a private parameter
    let n = zkc_passes::privatize_weights::MAX_PRIVATE_ELEMENTS + 1;
    let mut g = Graph::new("big");
    let x = g
        .add(
            Op::Input { index: 0 },
            &[],
            zkc_ir::ValueType::int(vec![n], 0),
            "x",
        )
        .unwrap();
    let c = g.add_const(Tensor::i64(vec![n], vec![0; n]).unwrap(), Some(0), "big");
    let y = g
        .add_inferred(
            Op::Add { act: None },
            &[x, c],
            zkc_ir::DType::Int { frac: 0 },
            "y",
        )
        .unwrap();
    g.set_outputs(vec![y]).unwrap();
    let e = unsupported(PrivatizeWeights::new(cfg()).run(&mut g));
    assert!(e.contains("big of add y has 16777217 elements"), "{e}");
}

#[test]
fn shared_weights_stay_one_parameter_and_other_constants_are_noted() {
    let text = "graph t {
  %0 = input 0 : q7[1,2]
  %1 = const [3,-4,5,6] : q6[2,2] # w
  %2 = const [0,0] : q13[2] # b1
  %3 = const [0,0] : q13[2] # b2
  %4 = gemm %0, %1, %2 : q13[1,2] # a
  %5 = gemm %0, %1, %3 : q13[1,2] # b
  %6 = const [1,2] : q7[1,2] # pad_part
  %7 = concat %0, %6 axis=0 : q7[2,2] # cat
  %8 = const [5,5] : q7[2] # odd
  %9 = rescale %8 mult=1 shift=1 lo=-128 hi=127 : q6[2] # halved
  output %4, %5, %7, %9
}
";
    let mut g = parse_graph(text).unwrap();
    let pass = PrivatizeWeights::new(cfg());
    assert_eq!(pass.run(&mut g).unwrap(), 3);
    validate(&g, Stage::Quantizing).unwrap();
    assert_eq!(g.private_ids().unwrap().len(), 3);
    let notes = pass.notes();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains("odd (read by rescale halved)") && !notes[0].contains("pad_part"),
        "{notes:?}"
    );
}

fn bound_of(g: &Graph, name: &str) -> (BigInt, BigInt) {
    let id = g
        .ids()
        .into_iter()
        .find(|&id| g.node(id).name == name)
        .unwrap();
    let b = g.ty(id).bound.clone().unwrap();
    (b.lo, b.hi)
}

/// Constant weights keep their exact bound; private ones are bounded over
/// their whole declared range.
#[test]
fn dot_bounds_are_exact_for_constants_and_ranges() {
    let analyze = zkc_passes::analyze_bounds::AnalyzeBounds { cfg: cfg() };
    let mut g = gemm_graph("[100,-7]", "[1,2]");
    analyze.run(&mut g).unwrap();
    // output 0: 3x0 + 5x1 + 100; output 1: -4x0 + 6x1 - 7, x in [-128, 127]
    let want = (BigInt::from(-1283), BigInt::from(1267));
    assert_eq!(bound_of(&g, "fc.acc"), want);
    let mut g = gemm_graph("[100,-7]", "[1,2]");
    PrivatizeWeights::new(cfg()).run(&mut g).unwrap();
    analyze.run(&mut g).unwrap();
    // 2 taps of [-128,127] * [-128,127] = [-16256, 16384], bias [-65536, 65535]
    let want = (BigInt::from(-98048), BigInt::from(98303));
    assert_eq!(bound_of(&g, "fc.acc"), want);
}
