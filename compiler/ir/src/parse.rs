//! Parser for the text form written by [`crate::print_graph`], so pass tests
//! can state their input and expected output as IR text.
//!
//! The parser checks syntax and references only; run [`crate::validate`] on
//! the result to check shapes and types. Constants printed as a digest cannot
//! be parsed back (their values are not in the text); a private parameter
//! printed `hidden` parses back without values.

use std::collections::{BTreeMap, HashMap};

use num_bigint::BigInt;

use crate::function::Function;
use crate::graph::{Bound, DType, Graph, NodeId, ValueType};
use crate::op::{Clamp, Op, Private, Window};
use crate::print::HIDDEN;
use crate::tensor::{checked_numel, Tensor, MAX_TENSOR_ELEMENTS};
use crate::IrError;

/// Parses a graph from its text form.
pub fn parse_graph(text: &str) -> Result<Graph, IrError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with("//"));
    let (ln, head) = lines.next().ok_or_else(|| perr(1, "empty text"))?;
    let name = head
        .strip_prefix("graph ")
        .and_then(|h| h.strip_suffix('{'))
        .ok_or_else(|| perr(ln, "expected `graph NAME {`"))?
        .trim();
    let name = name.trim_matches('"').to_string();
    let mut g = Graph::new(name);
    let mut ids: HashMap<String, NodeId> = HashMap::new();
    let mut done = false;
    for (ln, line) in lines {
        if line == "}" {
            done = true;
            break;
        }
        if let Some(parts) = line.strip_prefix("private ") {
            for part in parts.split(',') {
                match part.trim() {
                    "input" if !g.private_io.input => g.private_io.input = true,
                    "output" if !g.private_io.output => g.private_io.output = true,
                    other => {
                        return Err(perr(
                            ln,
                            &format!("expected `private input, output`, found {other:?}"),
                        ))
                    }
                }
            }
            continue;
        }
        if let Some(outs) = line.strip_prefix("output ") {
            let outs = outs
                .split(',')
                .map(|o| lookup(&ids, o.trim(), ln))
                .collect::<Result<Vec<_>, _>>()?;
            g.set_outputs(outs)?;
            continue;
        }
        let (lhs, rhs) = line
            .split_once(" = ")
            .ok_or_else(|| perr(ln, "expected `%N = op ...`"))?;
        let (body, ty_and_name) = rhs
            .split_once(" : ")
            .ok_or_else(|| perr(ln, "missing ` : type`"))?;
        let (ty_text, name) = match ty_and_name.split_once(" # ") {
            Some((t, n)) => (t, n.trim()),
            None => (ty_and_name, ""),
        };
        let ty = parse_type(ty_text.trim(), ln)?;
        let (op, inputs) = parse_body(body.trim(), &ids, &ty, ln)?;
        let id = g.add(op, &inputs, ty, name)?;
        ids.insert(lhs.trim().to_string(), id);
    }
    if !done {
        return Err(perr(0, "missing closing `}`"));
    }
    Ok(g)
}

/// A parse error at `line`; the message is clipped to [`MAX_ERROR_CHARS`]
/// characters so that a huge bad token is not echoed whole.
fn perr(line: usize, msg: &str) -> IrError {
    let msg = match msg.char_indices().nth(MAX_ERROR_CHARS) {
        Some((end, _)) => format!("{}... ({} bytes)", &msg[..end], msg.len()),
        None => msg.to_string(),
    };
    IrError::Parse { line, msg }
}

/// Longest parse-error message, in characters.
const MAX_ERROR_CHARS: usize = 160;

fn lookup(ids: &HashMap<String, NodeId>, name: &str, ln: usize) -> Result<NodeId, IrError> {
    ids.get(name)
        .copied()
        .ok_or_else(|| perr(ln, &format!("unknown value {name}")))
}

fn parse_type(s: &str, ln: usize) -> Result<ValueType, IrError> {
    let (main, bound) = match s.split_once(" in ") {
        Some((m, b)) => (m, Some(b)),
        None => (s, None),
    };
    let open = main
        .find('[')
        .ok_or_else(|| perr(ln, "type needs [dims]"))?;
    let dtype = match &main[..open] {
        "f32" => DType::F32,
        q if q.starts_with('q') => DType::Int {
            frac: q[1..]
                .parse()
                .map_err(|_| perr(ln, "bad fractional bits"))?,
        },
        other => return Err(perr(ln, &format!("unknown element type {other}"))),
    };
    let shape = match Value::parse(&main[open..], ln)? {
        Value::List(v) => v.iter().map(|d| d.usize(ln)).collect::<Result<_, _>>()?,
        _ => return Err(perr(ln, "bad shape")),
    };
    let bound = match bound {
        None => None,
        Some(b) => {
            let inner = b
                .trim()
                .strip_prefix('[')
                .and_then(|b| b.strip_suffix(']'))
                .ok_or_else(|| perr(ln, "bad bound"))?;
            let (lo, hi) = inner.split_once(',').ok_or_else(|| perr(ln, "bad bound"))?;
            let p = |x: &str| {
                x.trim()
                    .parse::<BigInt>()
                    .map_err(|_| perr(ln, "bad bound number"))
            };
            Some(Bound {
                lo: p(lo)?,
                hi: p(hi)?,
            })
        }
    };
    Ok(ValueType {
        shape,
        dtype,
        bound,
    })
}

/// An attribute value.
#[derive(Clone, Debug)]
enum Value {
    Num(String),
    List(Vec<Value>),
    Word(String),
    Call(String, Vec<Value>),
}

impl Value {
    fn parse(s: &str, ln: usize) -> Result<Value, IrError> {
        let mut p = Scanner {
            c: s.chars().collect(),
            i: 0,
            ln,
        };
        let v = p.value()?;
        if p.i != p.c.len() {
            return Err(perr(ln, &format!("trailing text in `{s}`")));
        }
        Ok(v)
    }
    fn num(&self, ln: usize) -> Result<&str, IrError> {
        match self {
            Value::Num(n) => Ok(n),
            Value::Word(w) if matches!(w.as_str(), "inf" | "-inf" | "NaN") => Ok(w),
            _ => Err(perr(ln, &format!("expected a number, got {self:?}"))),
        }
    }
    fn usize(&self, ln: usize) -> Result<usize, IrError> {
        self.num(ln)?
            .parse()
            .map_err(|_| perr(ln, "expected a non-negative integer"))
    }
    fn i64(&self, ln: usize) -> Result<i64, IrError> {
        self.num(ln)?
            .parse()
            .map_err(|_| perr(ln, "expected an integer"))
    }
    fn f32(&self, ln: usize) -> Result<f32, IrError> {
        self.num(ln)?
            .parse()
            .map_err(|_| perr(ln, "expected a number"))
    }
    fn list(&self, ln: usize) -> Result<&[Value], IrError> {
        match self {
            Value::List(v) => Ok(v),
            Value::Word(w) if w.starts_with('#') => {
                Err(perr(ln, "elided constant (digest) cannot be parsed"))
            }
            _ => Err(perr(ln, "expected a list")),
        }
    }
    fn usizes(&self, ln: usize) -> Result<Vec<usize>, IrError> {
        self.list(ln)?.iter().map(|v| v.usize(ln)).collect()
    }
    fn i64s(&self, ln: usize) -> Result<Vec<i64>, IrError> {
        self.list(ln)?.iter().map(|v| v.i64(ln)).collect()
    }
}

struct Scanner {
    c: Vec<char>,
    i: usize,
    ln: usize,
}

impl Scanner {
    fn value(&mut self) -> Result<Value, IrError> {
        match self.c.get(self.i) {
            Some('[') => {
                self.i += 1;
                let mut items = vec![];
                if self.c.get(self.i) == Some(&']') {
                    self.i += 1;
                    return Ok(Value::List(items));
                }
                loop {
                    items.push(self.value()?);
                    match self.c.get(self.i) {
                        Some(',') => self.i += 1,
                        Some(']') => {
                            self.i += 1;
                            return Ok(Value::List(items));
                        }
                        _ => return Err(perr(self.ln, "expected `,` or `]`")),
                    }
                }
            }
            Some(_) => {
                let start = self.i;
                while let Some(&ch) = self.c.get(self.i) {
                    if matches!(ch, ',' | ']' | '(' | ')') {
                        break;
                    }
                    self.i += 1;
                }
                let word: String = self.c[start..self.i].iter().collect();
                if self.c.get(self.i) == Some(&'(') {
                    self.i += 1;
                    let mut args = vec![self.value()?];
                    while self.c.get(self.i) == Some(&',') {
                        self.i += 1;
                        args.push(self.value()?);
                    }
                    if self.c.get(self.i) != Some(&')') {
                        return Err(perr(self.ln, "expected `)`"));
                    }
                    self.i += 1;
                    return Ok(Value::Call(word, args));
                }
                let first = word.chars().next().unwrap_or(' ');
                if first.is_ascii_digit() || (first == '-' && word.len() > 1 && word != "-inf") {
                    Ok(Value::Num(word))
                } else {
                    Ok(Value::Word(word))
                }
            }
            None => Err(perr(self.ln, "expected a value")),
        }
    }
}

/// A `[a,b,...]` list of numbers of at most `max` entries, parsed without an
/// intermediate tree (constants can hold millions of values). A digest
/// (`#...`, an elided constant) is refused.
fn number_list<T: std::str::FromStr>(s: &str, ln: usize, max: usize) -> Result<Vec<T>, IrError> {
    if s.starts_with('#') {
        return Err(perr(ln, "elided constant (digest) cannot be parsed"));
    }
    let inner = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .ok_or_else(|| perr(ln, "expected a list of numbers"))?;
    if inner.trim().is_empty() {
        return Ok(vec![]);
    }
    let count = inner.bytes().filter(|&b| b == b',').count() + 1;
    if count > max {
        return Err(perr(ln, &format!("{count} values where at most {max} fit")));
    }
    let mut v = Vec::with_capacity(count);
    for part in inner.split(',') {
        v.push(
            part.trim()
                .parse()
                .map_err(|_| perr(ln, &format!("bad number `{}`", part.trim())))?,
        );
    }
    Ok(v)
}

/// Splits `body` into kind, positional words, operands and `key=value` attributes.
fn parse_body(
    body: &str,
    ids: &HashMap<String, NodeId>,
    ty: &ValueType,
    ln: usize,
) -> Result<(Op, Vec<NodeId>), IrError> {
    let mut words = body.split_whitespace();
    let kind = words.next().ok_or_else(|| perr(ln, "missing op"))?;
    let mut inputs = vec![];
    let mut positional = vec![];
    let mut attrs: BTreeMap<String, Value> = BTreeMap::new();
    // Long number lists are parsed straight into numbers (no value tree).
    let mut lists: BTreeMap<String, &str> = BTreeMap::new();
    for w in words {
        let w = w.trim_end_matches(',');
        if w.starts_with('%') {
            inputs.push(lookup(ids, w, ln)?);
        } else if let Some((k, v)) = w.split_once('=') {
            if (k == "mult" || k == "values") && v.starts_with('[') {
                lists.insert(k.to_string(), v);
            } else {
                attrs.insert(k.to_string(), Value::parse(v, ln)?);
            }
        } else {
            positional.push(w.to_string());
        }
    }
    let get = |k: &str| {
        attrs
            .get(k)
            .ok_or_else(|| perr(ln, &format!("{kind} needs attribute {k}")))
    };
    let window = || -> Result<Window, IrError> {
        Ok(Window {
            kernel: get("kernel")?.usizes(ln)?,
            strides: get("strides")?.usizes(ln)?,
            pads: get("pads")?.usizes(ln)?,
            dilations: get("dilations")?.usizes(ln)?,
        })
    };
    let flag = |k: &str| -> Result<bool, IrError> { Ok(get(k)?.usize(ln)? != 0) };
    let act = || -> Result<Option<Clamp>, IrError> {
        match attrs.get("act") {
            None => Ok(None),
            Some(Value::Word(w)) if w == "relu" => Ok(Some(Clamp::RELU)),
            Some(Value::Call(f, a)) if f == "clip" && a.len() == 2 => Ok(Some(Clamp {
                lo: a[0].f32(ln)?,
                hi: a[1].f32(ln)?,
            })),
            Some(v) => Err(perr(ln, &format!("bad act {v:?}"))),
        }
    };
    let op = match kind {
        "input" => Op::Input {
            index: positional
                .first()
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| perr(ln, "input needs an index"))?,
        },
        "const" => {
            let lit = positional
                .first()
                .ok_or_else(|| perr(ln, "const needs values"))?;
            let n = checked_numel(&ty.shape)?;
            let t = match ty.dtype {
                DType::F32 => Tensor::f32(ty.shape.clone(), number_list(lit, ln, n)?)?,
                DType::Int { .. } => Tensor::i64(ty.shape.clone(), number_list(lit, ln, n)?)?,
            };
            Op::Const(t)
        }
        "private" => {
            let lit = positional
                .first()
                .ok_or_else(|| perr(ln, "private needs values or `hidden`"))?;
            let values = if lit == HIDDEN {
                None
            } else {
                let n = checked_numel(&ty.shape)?;
                Some(Tensor::i64(ty.shape.clone(), number_list(lit, ln, n)?)?)
            };
            Op::Private(Private {
                values,
                lo: get("lo")?.i64(ln)?,
                hi: get("hi")?.i64(ln)?,
            })
        }
        "conv" => Op::Conv {
            window: window()?,
            groups: get("groups")?.usize(ln)?,
            act: act()?,
        },
        "conv_transpose" => Op::ConvTranspose {
            window: window()?,
            groups: get("groups")?.usize(ln)?,
            output_padding: get("output_padding")?.usizes(ln)?,
            act: act()?,
        },
        "gemm" => Op::Gemm { act: act()? },
        "batch_norm" => Op::BatchNorm {
            epsilon: get("epsilon")?.f32(ln)?,
        },
        "scale_shift" => Op::ScaleShift { act: act()? },
        "add" => Op::Add { act: act()? },
        "sub" => Op::Sub { act: act()? },
        "mul" => Op::Mul,
        "div" => Op::Div,
        "relu" => Op::Relu,
        "clip" => Op::Clip(Clamp {
            lo: get("lo")?.f32(ln)?,
            hi: get("hi")?.f32(ln)?,
        }),
        "leaky_relu" => Op::LeakyRelu {
            alpha: get("alpha")?.f32(ln)?,
        },
        "sigmoid" => Op::Sigmoid,
        "tanh" => Op::Tanh,
        "erf" => Op::Function(Function::Erf),
        "gelu" => Op::Function(Function::Gelu),
        "gelu_tanh" => Op::Function(Function::GeluTanh),
        "round_f16" => Op::Function(Function::RoundF16),
        "exp" => Op::Function(Function::Exp),
        "log_scaled" => Op::Function(Function::LogScaled {
            scale: get("scale")?.f32(ln)?,
        }),
        "rsqrt" => Op::Function(Function::Rsqrt {
            epsilon: get("epsilon")?.f32(ln)?,
        }),
        "max_pool" => Op::MaxPool {
            window: window()?,
            ceil_mode: flag("ceil_mode")?,
        },
        "sum_pool" => Op::SumPool {
            window: window()?,
            ceil_mode: flag("ceil_mode")?,
        },
        "avg_pool" => Op::AvgPool {
            window: window()?,
            ceil_mode: flag("ceil_mode")?,
            count_include_pad: flag("count_include_pad")?,
        },
        "global_avg_pool" => Op::GlobalAvgPool,
        "reshape" => Op::Reshape,
        "transpose" => Op::Transpose {
            perm: get("perm")?.usizes(ln)?,
        },
        "concat" => Op::Concat {
            axis: get("axis")?.usize(ln)?,
        },
        "pad" => Op::Pad {
            pads: get("pads")?.usizes(ln)?,
            value: get("value")?.f32(ln)?,
        },
        "slice" => Op::Slice {
            start: get("start")?.usizes(ln)?,
            step: get("step")?.usizes(ln)?,
            len: get("len")?.usizes(ln)?,
        },
        "gather" => Op::Gather {
            axis: get("axis")?.usize(ln)?,
            indices: get("indices")?.usizes(ln)?,
            indices_shape: get("indices_shape")?.usizes(ln)?,
        },
        "resize" => Op::Resize {
            maps: get("maps")?
                .list(ln)?
                .iter()
                .map(|m| m.usizes(ln))
                .collect::<Result<_, _>>()?,
        },
        "rescale" => {
            let mult = match lists.get("mult") {
                Some(l) => number_list(l, ln, checked_numel(&ty.shape)?)?,
                None => vec![get("mult")?.i64(ln)?],
            };
            Op::Rescale {
                mult,
                shift: get("shift")?
                    .i64(ln)?
                    .try_into()
                    .map_err(|_| perr(ln, "shift out of range"))?,
                lo: get("lo")?.i64(ln)?,
                hi: get("hi")?.i64(ln)?,
            }
        }
        "table" => Op::Table {
            name: match get("name")? {
                Value::Word(w) => w.clone(),
                _ => return Err(perr(ln, "table name must be a word")),
            },
            lo: get("lo")?.i64(ln)?,
            values: match lists.get("values") {
                Some(l) => number_list(l, ln, MAX_TENSOR_ELEMENTS)?,
                None => get("values")?.i64s(ln)?,
            },
        },
        other => return Err(perr(ln, &format!("unknown op `{other}`"))),
    };
    Ok((op, inputs))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The private-io line prints after the outputs, parses back, and is
    /// refused when repeated or unknown.
    #[test]
    fn private_io_round_trips() {
        let body = "  %0 = input 0 : f32[1,4]\n  output %0\n";
        for (line, io) in [
            ("", (false, false)),
            ("  private input\n", (true, false)),
            ("  private output\n", (false, true)),
            ("  private input, output\n", (true, true)),
        ] {
            let text = format!("graph g {{\n{body}{line}}}\n");
            let g = parse_graph(&text).unwrap();
            assert_eq!((g.private_io.input, g.private_io.output), io);
            assert_eq!(crate::print_graph_full(&g).unwrap(), text);
        }
        for bad in ["private input, input", "private weights", "private "] {
            let text = format!("graph g {{\n{body}  {bad}\n}}\n");
            assert!(parse_graph(&text).is_err(), "{bad}");
        }
    }

    /// Every function op prints with its parameters and parses back to the
    /// same op.
    #[test]
    fn function_ops_round_trip() {
        let text = "graph g {
  %0 = input 0 : f32[1,4]
  %1 = erf %0 : f32[1,4]
  %2 = gelu %1 : f32[1,4]
  %3 = gelu_tanh %2 : f32[1,4]
  %4 = rsqrt %3 epsilon=0.00001 : f32[1,4]
  %5 = exp %4 : f32[1,4]
  %6 = log_scaled %5 scale=10 : f32[1,4]
  %7 = round_f16 %6 : f32[1,4]
  output %7
}
";
        let g = parse_graph(text).unwrap();
        let once = crate::print_graph_full(&g).unwrap();
        let again = parse_graph(&once).unwrap();
        assert_eq!(crate::print_graph_full(&again).unwrap(), once);
        let ops: Vec<Op> = again.ids().iter().map(|&id| again.op(id).clone()).collect();
        for f in [
            Function::Erf,
            Function::Gelu,
            Function::GeluTanh,
            Function::Rsqrt { epsilon: 1e-5 },
            Function::Exp,
            Function::LogScaled { scale: 10.0 },
            Function::RoundF16,
        ] {
            assert!(ops.contains(&Op::Function(f)), "{f:?} in {once}");
        }
    }

    #[test]
    fn printing_graph_names_is_stable() {
        let body = "  %0 = input 0 : f32[1,4]\n  %1 = relu %0 : f32[1,4]\n  output %1\n}\n";
        let base = parse_graph(&format!("graph g {{\n{body}")).unwrap();
        for name in [
            "remov\\ea",
            "a\"b",
            "x\ny\r",
            " a ",
            "",
            "x {",
            "\"",
            "ünï",
            "ok_name-1.2",
        ] {
            let mut g = base.clone();
            g.name = name.to_string();
            let once = crate::print_graph_full(&g).unwrap();
            let twice = crate::print_graph_full(&parse_graph(&once).unwrap()).unwrap();
            assert_eq!(once, twice, "name {name:?}");
        }
    }

    #[test]
    fn inconsistent_or_huge_windows_are_errors() {
        for window in [
            "kernel=[2,2] strides=[1,1] pads=[1,1,0,0] dilations=[141]",
            "kernel=[2,2] strides=[1,1] pads=[1,1,0,0] dilations=[1,18446744073709551615]",
            "kernel=[2,2] strides=[1,1] pads=[18446744073709551615,1,0,0] dilations=[1,1]",
        ] {
            let text = format!(
                "graph g {{\n  %0 = input 0 : f32[1,1,3,3]\n  \
                 %1 = avg_pool %0 {window} ceil_mode=0 count_include_pad=0 : f32[1,1,3,3]\n  \
                 output %1\n}}\n"
            );
            let valid =
                parse_graph(&text).is_ok_and(|g| crate::validate(&g, crate::Stage::Float).is_ok());
            assert!(!valid, "{window}");
        }
    }

    #[test]
    fn errors_clip_huge_tokens() {
        let token = "x".repeat(100_000);
        let text = format!("graph g {{\n  %0 = {token} 0 : f32[1]\n}}\n");
        let e = parse_graph(&text).unwrap_err().to_string();
        assert!(e.contains("xxxx"), "{e}");
        assert!(e.len() < 400, "{} bytes: {}", e.len(), &e[..400]);
    }
}
