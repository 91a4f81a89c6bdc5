//! Linear algebra over `Fp` for the solvers: fraction-free Gaussian
//! elimination of chosen variables, and the "radix" rule (a linear equation
//! over bounded integer variables whose integer span stays below `p / 2`
//! and whose coefficients are super-increasing w.r.t. the bounds has at most
//! one integer solution, found digit by digit).

use std::collections::BTreeMap;

use halo2_proofs::arithmetic::Field;
use halo2_proofs::pasta::Fp;

use super::poly::Var;
use crate::field::{fp, to_i128};

/// `sum coef * var + constant = 0`.
#[derive(Clone, Debug, Default)]
pub struct LinEq {
    /// Non-zero coefficients.
    pub coef: BTreeMap<Var, Fp>,
    /// Constant term.
    pub constant: Fp,
}

impl LinEq {
    /// From `(coefficients, constant)` (zero coefficients dropped).
    pub fn new(lin: &[(Var, Fp)], constant: Fp) -> Self {
        let mut coef = BTreeMap::new();
        for &(v, c) in lin {
            let e = coef.entry(v).or_insert(Fp::zero());
            *e += c;
        }
        coef.retain(|_, c: &mut Fp| !bool::from(c.is_zero()));
        LinEq { coef, constant }
    }

    fn combine(&self, a: Fp, o: &LinEq, b: Fp) -> LinEq {
        // a * self + b * o
        let mut coef = BTreeMap::new();
        for (v, c) in &self.coef {
            *coef.entry(*v).or_insert(Fp::zero()) += *c * a;
        }
        for (v, c) in &o.coef {
            *coef.entry(*v).or_insert(Fp::zero()) += *c * b;
        }
        coef.retain(|_, c: &mut Fp| !bool::from(c.is_zero()));
        LinEq {
            coef,
            constant: self.constant * a + o.constant * b,
        }
    }
}

/// Eliminates the variables of `order`, one at a time, from `eqs`
/// (fraction-free: rows are combined as `p * row - c * pivot`). Returns the
/// pivot rows (variable, row that defines it in terms of later variables)
/// and the remaining rows, which no longer contain any eliminated variable.
pub fn eliminate(mut eqs: Vec<LinEq>, order: &[Var]) -> (Vec<(Var, LinEq)>, Vec<LinEq>) {
    let mut pivots = vec![];
    for &v in order {
        let Some(i) = eqs.iter().position(|e| e.coef.contains_key(&v)) else {
            continue;
        };
        let piv = eqs.swap_remove(i);
        let pc = piv.coef[&v];
        for e in eqs.iter_mut() {
            if let Some(&c) = e.coef.get(&v) {
                *e = e.combine(pc, &piv, -c);
            }
        }
        pivots.push((v, piv));
    }
    (pivots, eqs)
}

/// An integer interval `[lo, hi]`.
pub type Bound = (i128, i128);

/// The radix rule on `e` (every variable bounded by `bound`): `None` when
/// its conditions fail (a coefficient or constant beyond `i128`, an integer
/// span of `p / 2` or more, coefficients not super-increasing); otherwise
/// `Some(solution)`, the unique integer solution inside the bounds, or
/// `Some(None)` when there is none.
pub fn radix(e: &LinEq, bound: impl Fn(Var) -> Option<Bound>) -> Option<Option<Vec<(Var, Fp)>>> {
    // v = l + u, 0 <= u <= w: sum c u = R with R = -(constant + sum c l)
    let mut terms = vec![];
    let mut r = -e.constant;
    for (&v, &c) in &e.coef {
        let (l, h) = bound(v)?;
        let ci = to_i128(c)?;
        if ci.checked_abs()? >= 1i128 << 100 || h < l {
            return None;
        }
        r -= c * fp(l);
        terms.push((v, ci, l, h.checked_sub(l)?));
    }
    terms.sort_by_key(|t| t.1.unsigned_abs());
    // span and super-increase
    let mut span: i128 = 0;
    for &(_, c, _, w) in &terms {
        if w > 0 && c.unsigned_abs() <= span as u128 {
            return None;
        }
        span = span.checked_add(c.checked_abs()?.checked_mul(w)?)?;
        if span >= 1i128 << 120 {
            return None; // far below p / 2 ~ 2^253 is all zkc needs
        }
    }
    let Some(mut rem) = to_i128(r) else {
        return Some(None);
    };
    let lo: i128 = terms.iter().filter(|t| t.1 < 0).map(|t| t.1 * t.3).sum();
    let hi: i128 = terms.iter().filter(|t| t.1 > 0).map(|t| t.1 * t.3).sum();
    if rem < lo || rem > hi {
        return Some(None);
    }
    let mut out = vec![];
    for i in (0..terms.len()).rev() {
        let (v, c, l, w) = terms[i];
        let rest_lo: i128 = terms[..i]
            .iter()
            .filter(|t| t.1 < 0)
            .map(|t| t.1 * t.3)
            .sum();
        let rest_hi: i128 = terms[..i]
            .iter()
            .filter(|t| t.1 > 0)
            .map(|t| t.1 * t.3)
            .sum();
        // c u in [rem - rest_hi, rem - rest_lo]
        let (a, b) = (rem - rest_hi, rem - rest_lo);
        let u = if c > 0 {
            a.div_euclid(c) + i128::from(a.rem_euclid(c) != 0)
        } else {
            // c u in [a, b]  <=>  (-c) u in [-b, -a]
            let (a2, c2) = (-b, -c);
            a2.div_euclid(c2) + i128::from(a2.rem_euclid(c2) != 0)
        };
        let cu = c * u;
        if u < 0 || u > w || cu < a || cu > b {
            return Some(None);
        }
        rem -= cu;
        out.push((v, fp(l + u)));
    }
    if rem != 0 {
        return Some(None);
    }
    Some(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radix_digits() {
        // 37 = y*8 + r, y in [0, 15], r in [0, 7]
        let e = LinEq::new(&[(0, fp(8)), (1, fp(1))], fp(-37));
        let b = |_| Some((0, 15));
        assert!(
            radix(&e, b).is_none(),
            "r's bound 15 >= 8: not super-increasing"
        );
        let b = |v| Some(if v == 0 { (0, 15) } else { (0, 7) });
        let s = radix(&e, b).unwrap().unwrap();
        assert_eq!(s, vec![(0, fp(4)), (1, fp(5))]);
        // signed: -3 = y*8 + r with y in [-2, 1]
        let e = LinEq::new(&[(0, fp(8)), (1, fp(1))], fp(3));
        let b = |v| Some(if v == 0 { (-2, 1) } else { (0, 7) });
        assert_eq!(
            radix(&e, b).unwrap().unwrap(),
            vec![(0, fp(-1)), (1, fp(5))]
        );
        // no solution in range
        let e = LinEq::new(&[(0, fp(8)), (1, fp(1))], fp(-200));
        assert_eq!(radix(&e, b).unwrap(), None);
    }
}
