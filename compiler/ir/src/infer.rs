//! Shape inference: the output shape each op gives its inputs, or why the
//! inputs are invalid (used by graph construction and the validator).

use crate::op::Op;
use crate::tensor::{broadcast_shapes, checked_numel, Shape};
use crate::IrError;

impl Op {
    /// The output shape for the given input shapes, or why they are invalid.
    ///
    /// `Input` and `Reshape` take their shape from the node (`declared`), which
    /// is checked for element count only; so does a `Private` without values
    /// (one with values has their shape, as a `Const` has its tensor's).
    pub fn infer_shape(&self, ins: &[&[usize]], declared: &[usize]) -> Result<Shape, IrError> {
        let (lo, hi) = self.arity();
        if ins.len() < lo || ins.len() > hi {
            return Err(IrError::Invalid(format!(
                "{} takes {lo}..={hi} inputs, got {}",
                self.kind(),
                ins.len()
            )));
        }
        let bad = |msg: String| Err(IrError::Invalid(format!("{}: {msg}", self.kind())));
        let shape = match self {
            Op::Input { .. } => declared.to_vec(),
            Op::Const(t) => t.shape().to_vec(),
            Op::Private(p) => match &p.values {
                Some(t) => t.shape().to_vec(),
                None => declared.to_vec(),
            },
            Op::Conv { window, groups, .. } => {
                let (x, w, b) = (ins[0], ins[1], ins[2]);
                let nd = window.rank();
                if x.len() != nd + 2 || w.len() != nd + 2 {
                    return bad(format!("input {x:?} / weight {w:?} rank mismatch"));
                }
                if *groups == 0 || x[1] % groups != 0 || w[0] % groups != 0 {
                    return bad(format!("groups {groups} do not divide channels"));
                }
                if w[1] * groups != x[1] || w[2..] != window.kernel[..] || b != [w[0]] {
                    return bad(format!("weight {w:?} / bias {b:?} do not fit input {x:?}"));
                }
                let mut out = vec![x[0], w[0]];
                out.extend(window.output_dims(&x[2..], false)?);
                out
            }
            Op::ConvTranspose {
                window,
                groups,
                output_padding,
                ..
            } => {
                let (x, w, b) = (ins[0], ins[1], ins[2]);
                let nd = window.rank();
                window.check()?;
                if x.len() != nd + 2 || w.len() != nd + 2 || output_padding.len() != nd {
                    return bad(format!("input {x:?} / weight {w:?} rank mismatch"));
                }
                if x[2..].contains(&0) {
                    return bad(format!("empty spatial axis in {x:?}"));
                }
                if *groups == 0 || x[1] != w[0] || x[1] % groups != 0 {
                    return bad(format!("weight {w:?} does not fit input {x:?}"));
                }
                let m = w[1] * groups;
                if w[2..] != window.kernel[..] || b != [m] {
                    return bad(format!("weight {w:?} / bias {b:?} mismatch"));
                }
                let mut out = vec![x[0], m];
                for i in 0..nd {
                    let full = window.strides[i] * (x[2 + i] - 1)
                        + output_padding[i]
                        + window.dilations[i] * (window.kernel[i] - 1)
                        + 1;
                    let pads = window.pads[i] + window.pads[i + nd];
                    if full <= pads {
                        return bad(format!("padding {pads} removes the whole axis {i}"));
                    }
                    out.push(full - pads);
                }
                out
            }
            Op::Gemm { .. } => {
                let (x, w, b) = (ins[0], ins[1], ins[2]);
                if x.is_empty() || w.len() != 2 || x[x.len() - 1] != w[0] || b != [w[1]] {
                    return bad(format!("x {x:?}, w {w:?}, b {b:?} do not fit"));
                }
                let mut out = x.to_vec();
                let last = out.len() - 1;
                out[last] = w[1];
                out
            }
            Op::BatchNorm { .. } | Op::ScaleShift { .. } => {
                let x = ins[0];
                if x.len() < 2 || ins[1..].iter().any(|p| *p != [x[1]]) {
                    return bad(format!("parameters do not match channels of {x:?}"));
                }
                x.to_vec()
            }
            Op::Add { .. } | Op::Sub { .. } | Op::Mul | Op::Div => {
                match broadcast_shapes(ins[0], ins[1]) {
                    Some(s) => s,
                    None => return bad(format!("cannot broadcast {:?} and {:?}", ins[0], ins[1])),
                }
            }
            Op::Relu
            | Op::Clip(_)
            | Op::LeakyRelu { .. }
            | Op::Sigmoid
            | Op::Function(_)
            | Op::Tanh
            | Op::Rescale { .. }
            | Op::Table { .. } => ins[0].to_vec(),
            Op::MaxPool { window, ceil_mode }
            | Op::AvgPool {
                window, ceil_mode, ..
            }
            | Op::SumPool { window, ceil_mode } => {
                let x = ins[0];
                if x.len() != window.rank() + 2 {
                    return bad(format!("input {x:?} does not fit window"));
                }
                if !matches!(self, Op::SumPool { .. }) && window.has_padding_only_windows() {
                    return bad("padding as wide as the window leaves windows with no input".into());
                }
                let mut out = x[..2].to_vec();
                out.extend(window.output_dims(&x[2..], *ceil_mode)?);
                out
            }
            Op::GlobalAvgPool => {
                let x = ins[0];
                if x.len() < 3 {
                    return bad(format!("needs [N,C,spatial..], got {x:?}"));
                }
                let mut out = x.to_vec();
                out[2..].iter_mut().for_each(|d| *d = 1);
                out
            }
            Op::Reshape => {
                if checked_numel(declared)? != checked_numel(ins[0])? {
                    return bad(format!("cannot reshape {:?} to {declared:?}", ins[0]));
                }
                declared.to_vec()
            }
            Op::Transpose { perm } => {
                let x = ins[0];
                let mut seen = vec![false; x.len()];
                if perm.len() != x.len()
                    || perm
                        .iter()
                        .any(|&p| p >= x.len() || std::mem::replace(&mut seen[p], true))
                {
                    return bad(format!("perm {perm:?} invalid for {x:?}"));
                }
                perm.iter().map(|&p| x[p]).collect()
            }
            Op::Concat { axis } => {
                let first = ins[0];
                if *axis >= first.len() {
                    return bad(format!("axis {axis} out of range for {first:?}"));
                }
                let mut out = first.to_vec();
                out[*axis] = 0;
                for s in ins {
                    if s.len() != first.len()
                        || (0..s.len()).any(|i| i != *axis && s[i] != first[i])
                    {
                        return bad(format!("shapes {first:?} and {s:?} differ off axis {axis}"));
                    }
                    out[*axis] += s[*axis];
                }
                out
            }
            Op::Pad { pads, .. } => {
                let x = ins[0];
                if pads.len() != 2 * x.len() {
                    return bad(format!("{} pads for rank {}", pads.len(), x.len()));
                }
                (0..x.len())
                    .map(|i| x[i] + pads[i] + pads[i + x.len()])
                    .collect()
            }
            Op::Slice { start, step, len } => {
                let x = ins[0];
                let n = x.len();
                if start.len() != n || step.len() != n || len.len() != n {
                    return bad(format!("slice rank mismatch for {x:?}"));
                }
                for a in 0..n {
                    if step[a] == 0 || (len[a] > 0 && start[a] + (len[a] - 1) * step[a] >= x[a]) {
                        return bad(format!("axis {a} out of range for {x:?}"));
                    }
                }
                len.clone()
            }
            Op::Gather {
                axis,
                indices,
                indices_shape,
            } => {
                let x = ins[0];
                if *axis >= x.len()
                    || indices.iter().any(|&i| i >= x[*axis])
                    || checked_numel(indices_shape)? != indices.len()
                {
                    return bad(format!("indices out of range for {x:?} axis {axis}"));
                }
                let mut out = x[..*axis].to_vec();
                out.extend(indices_shape);
                out.extend(&x[*axis + 1..]);
                out
            }
            Op::Resize { maps } => {
                let x = ins[0];
                if maps.len() != x.len()
                    || maps
                        .iter()
                        .zip(x)
                        .any(|(m, &d)| m.is_empty() || m.iter().any(|&i| i >= d))
                {
                    return bad(format!("index maps do not fit {x:?}"));
                }
                maps.iter().map(|m| m.len()).collect()
            }
        };
        checked_numel(&shape)?;
        Ok(shape)
    }
}
