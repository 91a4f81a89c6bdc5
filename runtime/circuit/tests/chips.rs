//! Soundness of every chip, on small models built from float IR text and
//! quantized at 8 bits. Each case: the integer runtime's trace satisfies the
//! circuit (MockProver), and tampered witnesses are rejected, including
//! coordinated forgeries that satisfy every gate and only a range lookup
//! can catch (the bug that let earlier zkML circuits forge ReLU outputs).

mod common;

use halo2_proofs::pasta::Fp;
use zkc_circuit::{field, prover, CellRecord, Tamper};

type Case = common::Logged;

fn case(text: &str, inputs: Option<Vec<Vec<i64>>>) -> Case {
    let g = common::quantized_text(text);
    let x = inputs.unwrap_or_else(|| common::inputs(&g, 7));
    Case::new(g, &x)
}

/// Mock checks of tampered witnesses.
trait Tampering {
    fn failures(&self, tamper: &[Tamper], inst: &[Fp]) -> Vec<String>;
    fn assert_rejected(&self, what: &str, tamper: &[Tamper]) -> Vec<String>;
}

impl Tampering for Case {
    /// Failures of the circuit with `tamper` applied and instance `inst`.
    fn failures(&self, tamper: &[Tamper], inst: &[Fp]) -> Vec<String> {
        prover::mock_failures(&self.c.tampered(tamper), inst).unwrap()
    }
    fn assert_rejected(&self, what: &str, tamper: &[Tamper]) -> Vec<String> {
        let f = self.failures(tamper, &self.inst);
        assert!(!f.is_empty(), "{what}: the tampered witness was accepted");
        f
    }
}

fn t(r: &CellRecord, delta: i64) -> Tamper {
    Tamper {
        column: r.column,
        row: r.row,
        delta,
    }
}

const MLP: &str = "graph mlp {
  %0 = input 0 : f32[1,4]
  %1 = const [0.5,-0.25,1,0.75,-1,0.125,0.3,-0.6,0.2,0.4,-0.3,0.1,0.9,-0.8,0.05,0.6] : f32[4,4] # fc.weight
  %2 = const [0.1,-0.2,0,0.3] : f32[4] # fc.bias
  %3 = gemm %0, %1, %2 : f32[1,4] # fc
  %4 = relu %3 : f32[1,4] # relu
  output %4
}";

#[test]
fn mac_chip() {
    let k = case(MLP, None);
    // A shifted accumulator: the dot product's result is off by one.
    k.assert_rejected(
        "shifted accumulator",
        &[t(&k.cell("fc.acc", "mac.acc", 1), 1)],
    );
    // A wrong copy of an input into a lane.
    k.assert_rejected("wrong lane input", &[t(&k.cell("fc.acc", "mac.x", 2), 1)]);
}

#[test]
fn rescale_chip_remainder_and_relu() {
    // Inputs chosen so that some pre-activations are positive, some negative.
    let k = case(MLP, Some(vec![vec![100, -50, 30, 80]]));
    k.assert_rejected("wrong remainder", &[t(&k.cell("fc", "rescale.r", 0), 1)]);
    k.assert_rejected("wrong output", &[t(&k.cell("fc", "rescale.y", 0), 1)]);
    k.assert_rejected("wrong direction", &[t(&k.cell("fc", "rescale.d", 0), 1)]);
    // Forge a positive ReLU output to 0 while keeping every gate satisfied:
    // y = 0, d = -1, s = -q - 1 (negative, so q = y + d*(s+1) still holds),
    // yr = 0, and the public output 0.
    let e = (0..4)
        .find(|&e| k.value("fc", e) > 0)
        .expect("a positive output");
    let q = k.value("fc", e);
    let forged = [
        t(&k.cell("fc", "rescale.y", e), -q),
        t(&k.cell("fc", "rescale.d", e), -1),
        t(&k.cell("fc", "rescale.s", e), -q - 1),
        t(&k.cell("fc", "rescale.yr", e), -q),
    ];
    let mut inst = k.inst.clone();
    let out_at = inst.len() - 4 + e;
    inst[out_at] = Fp::zero();
    let f = k.failures(&forged, &inst);
    assert!(!f.is_empty(), "a forged ReLU output was accepted");
    // the slack's range lookup catches it (with the output range checked
    // to the values y can reach, `hi - y` may catch it too)
    assert!(
        f.iter().any(|x| x.contains("Lookup")),
        "the slack's range lookup should catch it: {f:?}"
    );
    // The same with an honest-looking negative input forged positive (y = q + 1 above the clamp).
    let n = (0..4)
        .find(|&e| k.value("fc", e) == 0)
        .expect("a clamped output");
    k.assert_rejected(
        "clamped output forged",
        &[
            t(&k.cell("fc", "rescale.y", n), 5),
            t(&k.cell("fc", "rescale.yr", n), 5),
        ],
    );
}

#[test]
fn arith_chip() {
    let k = case(
        "graph sq {
  %0 = input 0 : f32[1,4]
  %1 = mul %0, %0 : f32[1,4] # square
  %2 = add %1, %0 : f32[1,4] # plus
  output %2
}",
        None,
    );
    k.assert_rejected(
        "wrong product",
        &[t(&k.cell("square.acc", "arith.out", 1), 1)],
    );
    k.assert_rejected(
        "wrong operand",
        &[t(&k.cell("square.acc", "arith.a", 1), 1)],
    );
    k.assert_rejected("wrong sum", &[t(&k.cell("plus.acc", "arith.out", 0), -1)]);
}

const POOL: &str = "graph pool {
  %0 = input 0 : f32[1,1,2,4]
  %1 = max_pool %0 kernel=[2,2] strides=[2,2] pads=[0,0,0,0] dilations=[1,1] ceil_mode=0 : f32[1,1,1,2] # pool
  output %1
}";

#[test]
fn max_chip() {
    let k = case(POOL, Some(vec![vec![10, 50, -3, 7, 20, 5, 40, 8]]));
    // Window 0 holds {10, 50, 20, 5}: its max is 50. Claim 20 (a tap, not the
    // max); the chip derives d = m - x and the running product from m, so the
    // forgery satisfies every gate (p ends at 0, at the tap 20) and only the
    // range lookup of d = 20 - 50 < 0 can catch it.
    let m = k.value("pool", 0);
    assert_eq!(m, 50);
    let ms = k.cells("pool", "max.m", 0);
    let forged: Vec<Tamper> = ms.iter().map(|r| t(r, 20 - m)).collect();
    let mut inst = k.inst.clone();
    let n = inst.len();
    inst[n - 2] = field::fp64(20);
    let f = k.failures(&forged, &inst);
    assert!(
        !f.is_empty() && f.iter().all(|x| x.contains("Lookup")),
        "a max that is not the max: {f:?}"
    );
    // Claiming more than the max: every d > 0, so the product is not 0.
    let f = k.assert_rejected("max + 1", &ms.iter().map(|r| t(r, 1)).collect::<Vec<_>>());
    assert!(
        f.iter().any(|x| x.contains("ConstraintNotSatisfied")),
        "{f:?}"
    );
}

#[test]
fn table_chip() {
    let k = case(
        "graph sig {
  %0 = input 0 : f32[1,4]
  %1 = sigmoid %0 : f32[1,4] # sig
  output %1
}",
        None,
    );
    let f = k.assert_rejected("wrong sigmoid", &[t(&k.cell("sig", "table.y", 2), 1)]);
    assert!(f.iter().any(|x| x.contains("Lookup")), "{f:?}");
}

#[test]
fn public_input_out_of_range() {
    let k = case(MLP, None);
    // Input 0 is 8-bit; claim 300 publicly with a consistent witness.
    let mut inst = k.inst.clone();
    let id = k.g.inputs_list()[0];
    let x0 = k.run.value(id).unwrap()[0];
    inst[0] = field::fp64(300);
    let cell = |role| k.cells_of(id, role, 0).into_iter().next().unwrap();
    let f = k.failures(
        &[
            t(&cell("rescale.y"), 300 - x0),
            t(&cell("rescale.yr"), 300 - x0),
        ],
        &inst,
    );
    assert!(
        f.iter().any(|x| x.contains("Lookup")),
        "an out-of-range public input was accepted: {f:?}"
    );
}

#[test]
fn whole_models_satisfy_the_circuit() {
    let mut names: Vec<String> = [
        "digits_mlp",
        "digits_cnn",
        "digits_resnet",
        "tiny_gan",
        "diabetes_linear",
    ]
    .map(String::from)
    .to_vec();
    names.extend(
        common::op_models()
            .into_iter()
            .map(|(n, _)| format!("ops/{n}")),
    );
    let corpus = common::root().join("../shared/corpus/ezkl");
    if let Ok(rd) = std::fs::read_dir(&corpus) {
        let mut small: Vec<String> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n != "lenet_5" && n != "variable_cnn")
            .collect();
        small.sort();
        names.extend(small.into_iter().map(|n| format!("corpus:{n}")));
    }
    for name in names {
        let path = match name.strip_prefix("corpus:") {
            Some(n) => corpus.join(n).join("network.onnx"),
            None => common::root().join(format!("models/{name}.onnx")),
        };
        let g = common::quantized(&path, 8);
        for seed in [1, 2] {
            let (c, inst) = common::circuit(&g, &common::inputs(&g, seed));
            prover::mock(&c, &inst).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
