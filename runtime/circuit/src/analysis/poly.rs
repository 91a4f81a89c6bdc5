//! Sparse multivariate polynomials over `Fp` in numbered variables, built
//! from halo2 [`Expression`]s with fixed values substituted.

use std::collections::BTreeMap;

use halo2_proofs::arithmetic::Field;
use halo2_proofs::pasta::Fp;

use super::record::key;

/// A variable (a cell, or a class of cells joined by copy constraints).
pub type Var = u32;

/// A polynomial: a sum of `coefficient * product of variables` terms. Kept
/// normalized: monomials sorted (variables sorted, with repetition for
/// powers), no zero coefficients, no repeated monomial.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Poly {
    /// The terms.
    pub terms: Vec<(Vec<Var>, Fp)>,
}

fn normalize(terms: Vec<(Vec<Var>, Fp)>) -> Poly {
    let mut m: BTreeMap<Vec<Var>, Fp> = BTreeMap::new();
    for (mut mono, c) in terms {
        mono.sort_unstable();
        let e = m.entry(mono).or_insert(Fp::zero());
        *e += c;
    }
    Poly {
        terms: m
            .into_iter()
            .filter(|(_, c)| !bool::from(c.is_zero()))
            .collect(),
    }
}

#[allow(clippy::should_implement_trait)]
impl Poly {
    /// The constant `c`.
    pub fn constant(c: Fp) -> Self {
        normalize(vec![(vec![], c)])
    }
    /// The variable `v`.
    pub fn var(v: Var) -> Self {
        Poly {
            terms: vec![(vec![v], Fp::one())],
        }
    }
    /// `self + o`.
    pub fn add(mut self, o: Poly) -> Self {
        if o.terms.is_empty() {
            return self;
        }
        if self.terms.is_empty() {
            return o;
        }
        self.terms.extend(o.terms);
        normalize(self.terms)
    }
    /// `-self`.
    pub fn neg(self) -> Self {
        self.scale(-Fp::one())
    }
    /// `self * f`.
    pub fn scale(self, f: Fp) -> Self {
        if bool::from(f.is_zero()) {
            return Poly::default();
        }
        Poly {
            terms: self.terms.into_iter().map(|(m, c)| (m, c * f)).collect(),
        }
    }
    /// `self * o`.
    pub fn mul(self, o: Poly) -> Self {
        if self.terms.is_empty() || o.terms.is_empty() {
            return Poly::default();
        }
        let mut t = Vec::with_capacity(self.terms.len() * o.terms.len());
        for (ma, ca) in &self.terms {
            for (mb, cb) in &o.terms {
                let mut m = ma.clone();
                m.extend_from_slice(mb);
                t.push((m, *ca * *cb));
            }
        }
        normalize(t)
    }
    /// True for the zero polynomial.
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }
    /// The value of a constant polynomial.
    pub fn as_constant(&self) -> Option<Fp> {
        match self.terms.as_slice() {
            [] => Some(Fp::zero()),
            [(m, c)] if m.is_empty() => Some(*c),
            _ => None,
        }
    }
    /// The distinct variables, sorted.
    pub fn vars(&self) -> Vec<Var> {
        let mut v: Vec<Var> = self
            .terms
            .iter()
            .flat_map(|(m, _)| m.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
    /// Renames the variables.
    pub fn map_vars(&self, f: impl Fn(Var) -> Var) -> Poly {
        normalize(
            self.terms
                .iter()
                .map(|(m, c)| (m.iter().map(|&v| f(v)).collect(), *c))
                .collect(),
        )
    }
    /// Substitutes the known variables (`val` returns their values).
    pub fn partial(&self, val: impl Fn(Var) -> Option<Fp>) -> Poly {
        let mut t = Vec::with_capacity(self.terms.len());
        let mut changed = false;
        for (m, c) in &self.terms {
            let mut coef = *c;
            let mut rest = Vec::with_capacity(m.len());
            for &v in m {
                match val(v) {
                    Some(x) => {
                        coef *= x;
                        changed = true;
                    }
                    None => rest.push(v),
                }
            }
            t.push((rest, coef));
        }
        if !changed {
            return self.clone();
        }
        normalize(t)
    }
    /// The value with every variable known.
    pub fn eval(&self, val: impl Fn(Var) -> Fp) -> Fp {
        let mut s = Fp::zero();
        for (m, c) in &self.terms {
            let mut t = *c;
            for &v in m {
                t *= val(v);
            }
            s += t;
        }
        s
    }
    /// The coefficients (lowest degree first) of a polynomial in the single
    /// variable `v` (`None` if another variable occurs).
    pub fn univariate(&self, v: Var) -> Option<Vec<Fp>> {
        let mut c = vec![];
        for (m, k) in &self.terms {
            if m.iter().any(|&x| x != v) {
                return None;
            }
            let d = m.len();
            if c.len() <= d {
                c.resize(d + 1, Fp::zero());
            }
            c[d] += *k;
        }
        Some(c)
    }
    /// `(coefficients, constant)` when the polynomial has degree at most 1.
    pub fn linear(&self) -> Option<(Vec<(Var, Fp)>, Fp)> {
        let mut lin = vec![];
        let mut c0 = Fp::zero();
        for (m, k) in &self.terms {
            match m.as_slice() {
                [] => c0 += *k,
                [v] => lin.push((*v, *k)),
                _ => return None,
            }
        }
        Some((lin, c0))
    }
    /// A canonical byte form (for deduplication).
    pub fn fingerprint(&self) -> Vec<u8> {
        let mut out = vec![];
        for (m, c) in &self.terms {
            out.extend((m.len() as u32).to_le_bytes());
            for v in m {
                out.extend(v.to_le_bytes());
            }
            out.extend(key(c));
        }
        out
    }
}
