//! Uniqueness of a dataset circuit's statement chip, sample by sample,
//! exhaustive at small widths (see [`super::uniqueness`] for the solver
//! and the statement checked).
//!
//! A sample's instance is the cells the statement chip logged for it
//! (`stmt.*` for accuracy, `sse.*` for squared error). Its inputs are the
//! model's output cells it copies (their bound-analysis range), and the
//! public label (or targets) and flag, which the verifier supplies: they
//! are checked over a range wider than the honest one (labels one past
//! the classes, targets one past the output's bound, flags -1 to 2), with
//! exactly one assignment expected wherever the chip's arithmetic defines
//! the result. The previous sample's running total keeps its honest value
//! (it is the previous instance's output), and the next sample's gates,
//! which read this one's total, are left out. The output is the running
//! total, which must be the previous total plus the flag times
//! `[argmax(y) = label]` (ties to the first index) or the flag times
//! `sum (y - t)^2`.

use std::collections::HashSet;

use halo2_proofs::pasta::Fp;
use zkc_ir::{numel, Graph};

use super::record::{self, Recorded};
use super::system::System;
use super::uniqueness::{check_instance_with, instance_at, Origin, Report};
use crate::field::{fp, to_i128};
use crate::{CircuitError, ModelCircuit};

/// Input combinations checked exhaustively per sample (beyond, a sample).
pub const EXHAUSTIVE: usize = 50_000;

/// Which statement the circuit proves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Accuracy,
    SquaredError,
}

fn int(x: Fp) -> Option<i128> {
    to_i128(x)
}

/// The honest value of the last cell logged with `role` for sample `i`.
fn honest_last(rec: &Recorded, role: &str, i: usize) -> Fp {
    rec.log
        .iter()
        .rev()
        .find(|r| r.node.is_none() && r.element == i && r.role == role)
        .map_or(Fp::zero(), |r| rec.advice_at(r.column, r.row))
}

/// Checks the statement chip of the dataset circuit `c` (of `g`, with
/// public values `inst`, `samples` samples) for every sample; `label`
/// names the configuration in failure messages.
pub fn check_statement_uniqueness(
    c: &ModelCircuit,
    inst: &[Fp],
    g: &Graph,
    label: &str,
) -> Result<Report, CircuitError> {
    let plan = c.plan();
    let samples = plan.samples;
    let out = *g
        .outputs()
        .first()
        .ok_or_else(|| CircuitError::Unsupported("no output".into()))?;
    let classes = numel(g.shape(out));
    let per = plan.labels_per_sample();
    let in_len = record::input_rows(g);
    let (label_row, flag_row) = (samples * in_len, samples * in_len + samples * per);
    // every label (target) and flag is given; the total is determined
    let rec = record::record(c, inst, flag_row + samples)?;
    let sys = System::build_with(&rec, false)?;
    let kind = if rec.log.iter().any(|r| r.role == "stmt.tot") {
        Kind::Accuracy
    } else if rec.log.iter().any(|r| r.role == "sse.acc") {
        Kind::SquaredError
    } else {
        return Err(CircuitError::Unsupported("no statement chip".into()));
    };
    let (prefix, total_role) = match kind {
        Kind::Accuracy => ("stmt.", "stmt.tot"),
        Kind::SquaredError => ("sse.", "sse.acc"),
    };
    let ob = g
        .ty(out)
        .bound
        .as_ref()
        .and_then(|b| Some((i128::try_from(&b.lo).ok()?, i128::try_from(&b.hi).ok()?)))
        .ok_or_else(|| CircuitError::Unsupported("the output has no bound".into()))?;
    let bounds = |o: &Origin| -> Result<_, CircuitError> {
        match o {
            Origin::Row(r) if (label_row..flag_row).contains(r) => Ok(match kind {
                Kind::Accuracy => (None, (0, classes as i128 - 1)),
                Kind::SquaredError => (None, ob),
            }),
            Origin::Row(r) if (flag_row..flag_row + samples).contains(r) => Ok((None, (0, 1))),
            Origin::Cell {
                node: Some(n),
                element,
                ..
            } if *n == out => Ok((Some((out, *element)), ob)),
            other => Err(CircuitError::Unsupported(format!(
                "a statement input from {other:?}"
            ))),
        }
    };
    let cell_id = |i: usize| (rec.log[i].column * rec.n + rec.log[i].row) as u32;
    let mut rep = Report::default();
    for i in 0..samples {
        let mine = |r: &crate::CellRecord, s: usize| {
            r.node.is_none() && r.element == s && r.role.starts_with(prefix)
        };
        let pos: Vec<usize> = (0..rec.log.len())
            .filter(|&j| mine(&rec.log[j], i))
            .collect();
        let later: HashSet<u32> = (0..rec.log.len())
            .filter(|&j| (i + 1..samples).any(|s| mine(&rec.log[j], s)))
            .map(cell_id)
            .collect();
        // the next samples' gates read this total: they are theirs
        let mut inst = instance_at(&sys, out, i, &pos, &bounds, Some(total_role), &|c| {
            later.contains(&c)
        })?;
        // the verifier's labels (targets) and flags: wider than honest,
        // all with a defined result
        for input in &mut inst.inputs {
            if let Origin::Row(r) = input.origin {
                input.public = false;
                input.bound = if r < flag_row {
                    (input.bound.0 - 1, input.bound.1 + 1)
                } else {
                    (-1, 2)
                };
            }
        }
        let prev = if i == 0 {
            Fp::zero()
        } else {
            honest_last(&rec, total_role, i - 1)
        };
        let inputs = inst.inputs.clone();
        let want = |xs: &[Fp]| -> Option<Fp> {
            let mut ys = vec![None; classes];
            let mut labels = vec![None; per];
            let mut flag = None;
            for (input, &x) in inputs.iter().zip(xs) {
                let v = int(x)?;
                match input.origin {
                    Origin::Row(r) if r < flag_row => {
                        *labels.get_mut((r - label_row).checked_sub(i * per)?)? = Some(v)
                    }
                    Origin::Row(_) => flag = Some(v),
                    Origin::Cell { element, .. } => *ys.get_mut(element)? = Some(v),
                }
            }
            let ys: Vec<i128> = ys.into_iter().collect::<Option<_>>()?;
            let labels: Vec<i128> = labels.into_iter().collect::<Option<_>>()?;
            let flag = flag?;
            let term = match kind {
                Kind::Accuracy => {
                    let best = ys
                        .iter()
                        .enumerate()
                        .fold(0, |b, (j, &y)| if y > ys[b] { j } else { b });
                    i128::from(best as i128 == labels[0])
                }
                Kind::SquaredError => ys.iter().zip(&labels).map(|(y, t)| (y - t) * (y - t)).sum(),
            };
            Some(prev + fp(flag * term))
        };
        let name = format!("{label}: statement, sample {i}");
        rep.merge(check_instance_with(
            &sys,
            Some(g),
            &inst,
            &name,
            EXHAUSTIVE,
            &want,
        ));
    }
    for v in &sys.violations {
        rep.failures
            .push(format!("{label}: incomplete circuit: {v}"));
    }
    Ok(rep)
}
