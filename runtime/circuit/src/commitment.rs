//! The commitment to a model's private parameters, out of circuit: what
//! `zkc compile --private weights` writes to `commitment.json` and what the
//! circuit's last public value must equal (see [`crate::chips::commit`]
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

/// The chunk words of `g`'s private parameters (without the salt).
pub fn chunk_words(g: &Graph) -> Result<Vec<Fp>, CircuitError> {
    let elems = private_elements(g)?;
    let mut u = Vec::with_capacity(elems.len());
    let mut widths = Vec::with_capacity(elems.len());
    for &(v, lo, hi) in &elems {
        // checked above: lo <= v <= hi and the span is 2^w (w <= 64)
        u.push((i128::from(v) - i128::from(lo)) as u64);
        widths.push(element_width(lo, hi).unwrap_or(0));
    }
    Ok(chunk_values(&u, &widths))
}

/// The commitment of `g`'s private parameters under `salt`:
/// `Poseidon(salt, chunk words...)`, or for more than
/// [`crate::chips::commit::SEGMENT_WORDS`] words
/// `Poseidon(salt, Poseidon(segment_0), Poseidon(segment_1), ...)`.
pub fn commitment(g: &Graph, salt: Fp) -> Result<Fp, CircuitError> {
    let words = chunk_words(g)?;
    let segs = crate::chips::commit::segments(words.len());
    let mut top = vec![salt];
    if segs.len() <= 1 {
        top.extend(words);
    } else {
        top.extend(segs.into_iter().map(|r| crate::poseidon::hash(&words[r])));
    }
    Ok(crate::poseidon::hash(&top))
}

/// A fresh uniformly random salt (from the thread's CSPRNG, seeded by the
/// operating system): what makes the commitment hiding.
pub fn random_salt() -> Fp {
    use halo2_proofs::arithmetic::Field;
    Fp::random(&mut rand::rng())
}
