//! Deterministic text form of a graph.
//!
//! Nodes are numbered `%0, %1, ...` in [`Graph::topo_order`], so two graphs
//! with the same structure print identically whatever their internal ids.
//! One line per node:
//!
//! ```text
//! %3 = gemm %0, %1, %2 act=relu : f32[1,32] # /fc1/Gemm
//! ```
//!
//! Constants with at most [`INLINE_CONST_LIMIT`] elements print their values;
//! larger ones print a digest (`#0123456789abcdef`), which the parser refuses.
//! A private parameter prints like a constant followed by its declared
//! range, or `hidden` in place of its values when they are redacted (always
//! in [`print_graph_public`]):
//!
//! ```text
//! %1 = private [1,-2,3] lo=-128 hi=127 : q7[3] in [-128,127] # fc.weight
//! %1 = private hidden lo=-128 hi=127 : q7[3] in [-128,127] # fc.weight
//! ```
//!
//! Private inputs or outputs ([`crate::PrivateIo`]) print one line after
//! the outputs: `private input`, `private output` or `private input,
//! output`; a graph with public ones prints no such line.

use std::collections::HashMap;
use std::fmt::Write;

use crate::function::Function;
use crate::graph::{DType, Graph, NodeId, ValueType};
use crate::op::{Clamp, Op, Window};
use crate::tensor::{Tensor, TensorData};
use crate::IrError;

/// Constants up to this many elements are printed in full.
pub const INLINE_CONST_LIMIT: usize = 16;

/// What a private parameter without (or with redacted) values prints in
/// place of them.
pub(crate) const HIDDEN: &str = "hidden";

/// Prints the graph in the text form described in the module docs.
pub fn print_graph(g: &Graph) -> Result<String, IrError> {
    print_with_limit(g, INLINE_CONST_LIMIT, false)
}

/// Prints the graph with every constant (and table) in full, so that
/// [`crate::parse_graph`] reads back an identical graph. Used for artifacts.
/// Private parameters print their values too (a private artifact); see
/// [`print_graph_public`] for the published form.
pub fn print_graph_full(g: &Graph) -> Result<String, IrError> {
    print_with_limit(g, usize::MAX, false)
}

/// [`print_graph_full`], except that every private parameter prints
/// `hidden` instead of its values: the published form of a graph with
/// private weights, which reveals shapes, types, declared ranges and bounds
/// only. [`crate::parse_graph`] reads it back with the values absent. A
/// graph without private parameters prints exactly as [`print_graph_full`].
pub fn print_graph_public(g: &Graph) -> Result<String, IrError> {
    print_with_limit(g, usize::MAX, true)
}

fn print_with_limit(g: &Graph, limit: usize, redact: bool) -> Result<String, IrError> {
    let order = g.topo_order()?;
    let num: HashMap<NodeId, usize> = order.iter().enumerate().map(|(i, &id)| (id, i)).collect();
    let mut s = String::new();
    let _ = writeln!(s, "graph {} {{", quote_if_needed(&g.name));
    for &id in &order {
        let node = g.node(id);
        let ins: Vec<String> = g
            .inputs(id)
            .iter()
            .map(|i| format!("%{}", num[i]))
            .collect();
        let _ = write!(s, "  %{} = {}", num[&id], node.op.kind());
        if let Op::Input { index } = node.op {
            let _ = write!(s, " {index}");
        }
        match &node.op {
            Op::Const(t) => {
                let _ = write!(s, " {}", tensor_text(t, limit));
            }
            Op::Private(p) => {
                let values = match &p.values {
                    Some(t) if !redact => tensor_text(t, limit),
                    _ => HIDDEN.to_string(),
                };
                let _ = write!(s, " {values} lo={} hi={}", p.lo, p.hi);
            }
            _ => {}
        }
        if !ins.is_empty() {
            let _ = write!(s, " {}", ins.join(", "));
        }
        let attrs = attrs_text(&node.op, limit);
        if !attrs.is_empty() {
            let _ = write!(s, " {attrs}");
        }
        let _ = write!(s, " : {}", type_text(&node.ty));
        if !node.name.is_empty() {
            let _ = write!(s, " # {}", node.name.replace('\n', " "));
        }
        s.push('\n');
    }
    let outs: Vec<String> = g.outputs().iter().map(|o| format!("%{}", num[o])).collect();
    let _ = writeln!(s, "  output {}", outs.join(", "));
    let io = g.private_io;
    if io.any() {
        let parts: Vec<&str> = [(io.input, "input"), (io.output, "output")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        let _ = writeln!(s, "  private {}", parts.join(", "));
    }
    s.push_str("}\n");
    Ok(s)
}

/// The graph name as printed: `"`, `\\` and control characters become `_`;
/// the result is bare when it is a plain identifier and quoted otherwise.
/// Printing is stable: the parser reads the printed name back as the
/// sanitized name, which prints the same way again.
fn quote_if_needed(name: &str) -> String {
    let name: String = name
        .chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        name
    } else {
        format!("\"{name}\"")
    }
}

/// The text of a value type, e.g. `f32[1,64]` or `q5[1,64] in [-128,127]`.
pub fn type_text(ty: &ValueType) -> String {
    let dims: Vec<String> = ty.shape.iter().map(|d| d.to_string()).collect();
    let mut s = match ty.dtype {
        DType::F32 => format!("f32[{}]", dims.join(",")),
        DType::Int { frac } => format!("q{frac}[{}]", dims.join(",")),
    };
    if let Some(b) = &ty.bound {
        let _ = write!(s, " in [{},{}]", b.lo, b.hi);
    }
    s
}

fn f32_text(v: f32) -> String {
    format!("{v}")
}

fn list<T: ToString>(v: &[T]) -> String {
    let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(","))
}

fn tensor_text(t: &Tensor, limit: usize) -> String {
    if t.len() > limit {
        return format!("#{:016x}", t.digest());
    }
    match t.data() {
        TensorData::F32(v) => {
            let items: Vec<String> = v.iter().map(|&x| f32_text(x)).collect();
            format!("[{}]", items.join(","))
        }
        TensorData::I64(v) => list(v),
    }
}

fn clamp_text(c: &Clamp) -> String {
    if *c == Clamp::RELU {
        "relu".into()
    } else {
        format!("clip({},{})", f32_text(c.lo), f32_text(c.hi))
    }
}

fn window_text(w: &Window) -> String {
    format!(
        "kernel={} strides={} pads={} dilations={}",
        list(&w.kernel),
        list(&w.strides),
        list(&w.pads),
        list(&w.dilations)
    )
}

fn act_text(act: &Option<Clamp>) -> Option<String> {
    act.as_ref().map(|c| format!("act={}", clamp_text(c)))
}

fn attrs_text(op: &Op, limit: usize) -> String {
    let parts: Vec<String> = match op {
        // a private's range prints with its values (see `print_with_limit`)
        Op::Input { .. } | Op::Const(_) | Op::Private(_) => vec![],
        Op::Conv {
            window,
            groups,
            act,
        } => {
            let mut v = vec![window_text(window), format!("groups={groups}")];
            v.extend(act_text(act));
            v
        }
        Op::ConvTranspose {
            window,
            groups,
            output_padding,
            act,
        } => {
            let mut v = vec![
                window_text(window),
                format!("groups={groups}"),
                format!("output_padding={}", list(output_padding)),
            ];
            v.extend(act_text(act));
            v
        }
        Op::Gemm { act } | Op::ScaleShift { act } | Op::Add { act } | Op::Sub { act } => {
            act_text(act).into_iter().collect()
        }
        Op::BatchNorm { epsilon } => vec![format!("epsilon={}", f32_text(*epsilon))],
        Op::Mul | Op::Div | Op::Relu | Op::Sigmoid | Op::Tanh | Op::GlobalAvgPool => vec![],
        Op::Function(Function::Rsqrt { epsilon }) => {
            vec![format!("epsilon={}", f32_text(*epsilon))]
        }
        Op::Function(Function::LogScaled { scale }) => {
            vec![format!("scale={}", f32_text(*scale))]
        }
        Op::Function(Function::Erf | Function::Gelu | Function::GeluTanh)
        | Op::Function(Function::Exp | Function::RoundF16) => vec![],
        Op::Reshape => vec![],
        Op::Clip(c) => vec![format!("lo={} hi={}", f32_text(c.lo), f32_text(c.hi))],
        Op::LeakyRelu { alpha } => vec![format!("alpha={}", f32_text(*alpha))],
        Op::MaxPool { window, ceil_mode } | Op::SumPool { window, ceil_mode } => {
            vec![
                window_text(window),
                format!("ceil_mode={}", u8::from(*ceil_mode)),
            ]
        }
        Op::AvgPool {
            window,
            ceil_mode,
            count_include_pad,
        } => vec![
            window_text(window),
            format!("ceil_mode={}", u8::from(*ceil_mode)),
            format!("count_include_pad={}", u8::from(*count_include_pad)),
        ],
        Op::Transpose { perm } => vec![format!("perm={}", list(perm))],
        Op::Concat { axis } => vec![format!("axis={axis}")],
        Op::Pad { pads, value } => vec![format!("pads={} value={}", list(pads), f32_text(*value))],
        Op::Slice { start, step, len } => vec![format!(
            "start={} step={} len={}",
            list(start),
            list(step),
            list(len)
        )],
        Op::Gather {
            axis,
            indices,
            indices_shape,
        } => vec![format!(
            "axis={axis} indices={} indices_shape={}",
            list(indices),
            list(indices_shape)
        )],
        Op::Resize { maps } => {
            let m: Vec<String> = maps.iter().map(|m| list(m)).collect();
            vec![format!("maps=[{}]", m.join(","))]
        }
        Op::Rescale {
            mult,
            shift,
            lo,
            hi,
        } => {
            let m = if mult.len() == 1 {
                mult[0].to_string()
            } else if mult.len() <= limit {
                list(mult)
            } else {
                let t = Tensor::i64(vec![mult.len()], mult.clone());
                t.map(|t| format!("#{:016x}", t.digest()))
                    .unwrap_or_default()
            };
            vec![format!("mult={m} shift={shift} lo={lo} hi={hi}")]
        }
        Op::Table { name, lo, values } => {
            let v = if values.len() <= limit {
                list(values)
            } else {
                let t = Tensor::i64(vec![values.len()], values.clone());
                t.map(|t| format!("#{:016x}", t.digest()))
                    .unwrap_or_default()
            };
            vec![format!("name={name} lo={lo} values={v}")]
        }
    };
    parts.join(" ")
}
