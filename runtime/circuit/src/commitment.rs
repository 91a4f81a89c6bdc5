//! The commitments of a circuit, out of circuit: to a model's private
//! parameters (what `zkc compile --private weights` writes to
//! `commitment.json`), and to a run's private inputs or outputs (`zkc
//! compile --private input,output`; a fresh salt per proof). They are the
//! circuit's last public values, in [`Part`] order (see [`crate::chips::commit`]
//! for the packing and why it binds the values).

use halo2_proofs::pasta::Fp;
use zkc_ir::{Graph, Op};

use crate::chips::commit::{chunk_values, element_width};
use crate::CircuitError;

/// Every private element of `g` in packing order (the nodes of
/// `Graph::private_ids`, elements row-major) as `(value, lo, hi)`; fails for
/// a published graph (no values), a value outside its declared range or a
/// range that does not span a power of two.
pub fn private_elements(g: &Graph) -> Result<Vec<(i64, i64, i64)>, CircuitError> {
    let order = g
        .private_ids()
        .map_err(|e| CircuitError::Unsupported(e.to_string()))?;
    let mut out = vec![];
    for id in order {
        let Op::Private(p) = g.op(id) else { continue };
        let name = &g.node(id).name;
        let values = p.values.as_ref().and_then(|t| t.as_i64()).ok_or_else(|| {
            CircuitError::Invalid(format!("private parameter {name} has no values"))
        })?;
        if element_width(p.lo, p.hi).is_none() {
            return Err(CircuitError::Unsupported(format!(
                "private parameter {name}: its range [{}, {}] does not span a power of two",
                p.lo, p.hi
            )));
        }
        for &v in values {
            if v < p.lo || v > p.hi {
                return Err(CircuitError::Invalid(format!(
                    "private parameter {name}: value {v} outside its declared range [{}, {}]",
                    p.lo, p.hi
                )));
            }
            out.push((v, p.lo, p.hi));
        }
    }
    Ok(out)
}

/// The packed words (without the salt) of `values`, element `i` in the
/// range `ranges[i]` (a power-of-two span); fails for a value outside its
/// range or a range that is not such a span.
pub fn pack(values: &[i64], ranges: &[(i64, i64)]) -> Result<Vec<Fp>, CircuitError> {
    if values.len() != ranges.len() {
        return Err(CircuitError::Invalid(format!(
            "{} values for {} committed elements",
            values.len(),
            ranges.len()
        )));
    }
    let mut u = Vec::with_capacity(values.len());
    let mut widths = Vec::with_capacity(values.len());
    for (&v, &(lo, hi)) in values.iter().zip(ranges) {
        let w = element_width(lo, hi).ok_or_else(|| {
            CircuitError::Unsupported(format!("range [{lo}, {hi}] does not span a power of two"))
        })?;
        if v < lo || v > hi {
            return Err(CircuitError::Invalid(format!(
                "value {v} outside its committed range [{lo}, {hi}]"
            )));
        }
        u.push((i128::from(v) - i128::from(lo)) as u64);
        widths.push(w);
    }
    Ok(chunk_values(&u, &widths))
}

/// The chunk words of `g`'s private parameters (without the salt).
pub fn chunk_words(g: &Graph) -> Result<Vec<Fp>, CircuitError> {
    let elems = private_elements(g)?;
    let values: Vec<i64> = elems.iter().map(|e| e.0).collect();
    let ranges: Vec<(i64, i64)> = elems.iter().map(|e| (e.1, e.2)).collect();
    pack(&values, &ranges)
}

/// The commitment of packed `words` under `salt`: `Poseidon(salt,
/// words...)`, or for more than [`crate::chips::commit::SEGMENT_WORDS`]
/// words `Poseidon(salt, Poseidon(segment_0), Poseidon(segment_1), ...)`.
pub fn commit_words(words: &[Fp], salt: Fp) -> Fp {
    let segs = crate::chips::commit::segments(words.len());
    let mut top = vec![salt];
    if segs.len() <= 1 {
        top.extend_from_slice(words);
    } else {
        top.extend(segs.into_iter().map(|r| crate::poseidon::hash(&words[r])));
    }
    crate::poseidon::hash(&top)
}

/// The commitment of `g`'s private parameters under `salt`
/// ([`commit_words`] of [`chunk_words`]).
pub fn commitment(g: &Graph, salt: Fp) -> Result<Fp, CircuitError> {
    Ok(commit_words(&chunk_words(g)?, salt))
}

/// A committed part of a circuit's witness. A circuit's commitments are
/// its last public values, in this order (each present only when that
/// part is private).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    /// The private parameters (`zkc compile --private weights`).
    Weights,
    /// Every element of every graph input, in input order.
    Input,
    /// Every element of every graph output, in output order.
    Output,
}

impl Part {
    /// `weights`, `input` or `output`.
    pub fn name(self) -> &'static str {
        match self {
            Part::Weights => "weights",
            Part::Input => "input",
            Part::Output => "output",
        }
    }
}

/// The committed range of a private input or output element whose proven
/// bound is `[lo, hi]`: `[lo, lo + 2^B - 1]` with `B` the bits of `hi -
/// lo`, the smallest power-of-two span from `lo` holding the bound (the
/// circuit proves the bound itself elsewhere; the commitment's range check
/// only makes the packing injective).
pub fn io_range(lo: i64, hi: i64) -> Option<(i64, i64)> {
    let w = i128::from(hi) - i128::from(lo);
    if w < 0 {
        return None;
    }
    let b = 128 - w.leading_zeros();
    let top = i128::from(lo) + (1i128 << b) - 1;
    i64::try_from(top).ok().map(|top| (lo, top))
}

/// The nodes a private input or output commitment covers: the graph's
/// inputs (input order) or outputs (output order).
pub fn io_nodes(g: &Graph, part: Part) -> Vec<zkc_ir::NodeId> {
    match part {
        Part::Input => g.inputs_list(),
        Part::Output => g.outputs().to_vec(),
        Part::Weights => vec![],
    }
}

/// The committed range of every element of a private input or output
/// part ([`io_range`] of each node's bound).
pub fn io_ranges(g: &Graph, part: Part) -> Result<Vec<(i64, i64)>, CircuitError> {
    let mut out = vec![];
    for id in io_nodes(g, part) {
        let name = &g.node(id).name;
        let r = g
            .ty(id)
            .bound
            .as_ref()
            .and_then(|b| Some((i64::try_from(&b.lo).ok()?, i64::try_from(&b.hi).ok()?)))
            .and_then(|(lo, hi)| io_range(lo, hi))
            .ok_or_else(|| {
                CircuitError::Unsupported(format!(
                    "private {} {name}: its bound is missing or beyond 64 bits",
                    part.name()
                ))
            })?;
        out.extend(std::iter::repeat_n(r, zkc_ir::numel(g.shape(id))));
    }
    Ok(out)
}

/// The commitment of a private input or output part of a run under
/// `salt`: [`commit_words`] of the part's values packed in
/// [`io_ranges`].
pub fn io_commitment(
    g: &Graph,
    run: &zkc_runtime::IntRun,
    part: Part,
    salt: Fp,
) -> Result<Fp, CircuitError> {
    let mut values = vec![];
    for id in io_nodes(g, part) {
        let v = run.value(id).ok_or_else(|| {
            CircuitError::Invalid(format!(
                "the trace lacks the {} {}",
                part.name(),
                g.node(id).name
            ))
        })?;
        values.extend_from_slice(v);
    }
    Ok(commit_words(&pack(&values, &io_ranges(g, part)?)?, salt))
}

/// A fresh uniformly random salt (from the thread's CSPRNG, seeded by the
/// operating system): what makes the commitment hiding.
pub fn random_salt() -> Fp {
    use halo2_proofs::arithmetic::Field;
    Fp::random(&mut rand::rng())
}
