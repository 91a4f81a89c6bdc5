//! The local solver: all assignments of a small set of variables (a chip
//! instance, or a cluster around a stalled constraint) that satisfy the
//! constraints among them, the other variables held at given values.
//!
//! It propagates forced values (a constraint with one unknown: all of its
//! roots in `Fp`, a unique one assigned, none a contradiction; a lookup
//! whose known components leave one table row), and branches exhaustively
//! (over every root of a univariate constraint, over which factor of a
//! single-monomial constraint vanishes, or — when enumerating — over every
//! value the table allows a looked-up variable). In [`Mode::Determine`] it
//! also applies the radix rule to linear equations over bounded variables.
//! Every branch is exhaustive, so a value a variable takes in every
//! surviving branch is the only value it can take.

use std::collections::HashMap;

use halo2_proofs::arithmetic::Field;
use halo2_proofs::pasta::Fp;

use super::linear::{eliminate, radix, Bound, LinEq};
use super::poly::{Poly, Var};
use super::roots::roots;
use super::system::System;
use crate::field::{fp, to_i128};

/// How the solver branches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Enumerate looked-up variables over their table values (chip
    /// uniqueness); no radix shortcut.
    Enumerate,
    /// Branch only over roots and monomial factors; radix rule on bounded
    /// linear equations (whole-model determinacy).
    Determine,
}

/// A surviving branch: the values it forces (`None`: left open).
#[derive(Clone, Debug)]
pub struct Leaf {
    /// Per local variable.
    pub values: Vec<Option<Fp>>,
    /// True when every local variable is assigned and every constraint holds.
    pub complete: bool,
}

/// The result of a local solve.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Every surviving branch (none: no assignment satisfies the constraints).
    Leaves(Vec<Leaf>),
    /// A branch where these local variables stay free: `p` (or more)
    /// solutions.
    Free(Vec<usize>),
    /// The branch budget ran out.
    Budget,
}

enum Cand {
    Values(usize, Vec<Fp>),
    Monomial(Vec<usize>),
}

/// A local problem.
pub struct Local<'a, 's> {
    sys: &'a System<'s>,
    base: &'a dyn Fn(Var) -> Option<Fp>,
    /// The local variables.
    pub vars: Vec<Var>,
    index: HashMap<Var, usize>,
    /// Constraint references in scope (see [`System::adj`]).
    pub cons: Vec<u32>,
    mode: Mode,
    bounds: Vec<Option<Bound>>,
    /// Branches explored (assignments checked).
    pub explored: u64,
    budget: u64,
}

type Asg = Vec<Option<Fp>>;

impl<'a, 's> Local<'a, 's> {
    /// A problem over `vars` and the constraints `cons`, other variables
    /// read from `base` (a constraint with an unknown outside `vars` is
    /// ignored), `bounds` known integer ranges of local variables, at most
    /// `budget` branches.
    pub fn new(
        sys: &'a System<'s>,
        base: &'a dyn Fn(Var) -> Option<Fp>,
        vars: Vec<Var>,
        cons: Vec<u32>,
        mode: Mode,
        bounds: Vec<Option<Bound>>,
        budget: u64,
    ) -> Self {
        let index = vars.iter().enumerate().map(|(i, &v)| (v, i)).collect();
        Local {
            sys,
            base,
            vars,
            index,
            cons,
            mode,
            bounds,
            explored: 0,
            budget,
        }
    }

    fn value(&self, a: &Asg, v: Var) -> Option<Fp> {
        match self.index.get(&v) {
            Some(&i) => a[i],
            None => (self.base)(v),
        }
    }

    /// The partial evaluation of `p`; `None` when an unknown is not local.
    fn reduce(&self, a: &Asg, p: &Poly) -> Option<Poly> {
        let q = p.partial(|v| self.value(a, v));
        q.vars()
            .iter()
            .all(|v| self.index.contains_key(v))
            .then_some(q)
    }

    /// Solves from the assignment `start` (inputs already set).
    pub fn solve(&mut self, start: Asg) -> Outcome {
        let mut leaves = vec![];
        match self.dfs(start, &mut leaves) {
            Err(o) => o,
            Ok(()) => Outcome::Leaves(leaves),
        }
    }

    fn dfs(&mut self, mut a: Asg, leaves: &mut Vec<Leaf>) -> Result<(), Outcome> {
        self.explored += 1;
        if self.explored > self.budget {
            return Err(Outcome::Budget);
        }
        let mut bounds = self.bounds.clone();
        let cand = match self.propagate(&mut a, &mut bounds) {
            None => return Ok(()), // contradiction
            Some(c) => c,
        };
        if a.iter().all(|x| x.is_some()) {
            if self.all_hold(&a) {
                leaves.push(Leaf {
                    values: a,
                    complete: true,
                });
            }
            return Ok(());
        }
        let Some(c) = cand else {
            if self.mode == Mode::Enumerate {
                return match self.solve_linear(&mut a) {
                    Ok(true) => self.dfs(a, leaves),
                    Ok(false) => Ok(()),
                    Err(free) => Err(Outcome::Free(free)),
                };
            }
            leaves.push(Leaf {
                values: a,
                complete: false,
            });
            return Ok(());
        };
        match c {
            Cand::Values(i, vals) => {
                for x in vals {
                    let mut b = a.clone();
                    b[i] = Some(x);
                    self.dfs(b, leaves)?;
                }
            }
            Cand::Monomial(vs) => {
                for i in vs {
                    let mut b = a.clone();
                    b[i] = Some(Fp::zero());
                    self.dfs(b, leaves)?;
                }
            }
        }
        Ok(())
    }

    fn all_hold(&self, a: &Asg) -> bool {
        let np = self.sys.polys.len() as u32;
        self.cons.iter().all(|&c| {
            if c < np {
                match self.reduce(a, &self.sys.polys[c as usize].poly) {
                    Some(q) => q.is_zero(),
                    None => true,
                }
            } else {
                let l = &self.sys.lookups[(c - np) as usize];
                let t: Option<Vec<Fp>> = l
                    .inputs
                    .iter()
                    .map(|p| self.reduce(a, p).and_then(|q| q.as_constant()))
                    .collect();
                t.is_none_or(|t| self.sys.tables[l.lookup].contains(&t))
            }
        })
    }

    /// Propagates forced values; `None` on a contradiction, else the best
    /// branching candidate (if any).
    fn propagate(&self, a: &mut Asg, bounds: &mut [Option<Bound>]) -> Option<Option<Cand>> {
        loop {
            let mut changed = false;
            let mut best: Option<Cand> = None;
            let consider = |c: Cand, best: &mut Option<Cand>| {
                let size = |c: &Cand| match c {
                    Cand::Values(_, v) => v.len(),
                    Cand::Monomial(v) => v.len() + 1_000_000,
                };
                if best.as_ref().is_none_or(|b| size(&c) < size(b)) {
                    *best = Some(c);
                }
            };
            let np = self.sys.polys.len() as u32;
            for &c in &self.cons {
                if c < np {
                    let Some(q) = self.reduce(a, &self.sys.polys[c as usize].poly) else {
                        continue;
                    };
                    let vs = q.vars();
                    match vs.len() {
                        0 => {
                            if !q.is_zero() {
                                return None;
                            }
                        }
                        1 => {
                            let i = self.index[&vs[0]];
                            let Some(mut r) = q.univariate(vs[0]).and_then(|u| roots(&u)) else {
                                continue;
                            };
                            if let Some(b) = bounds[i] {
                                r.retain(|x| to_i128(*x).is_some_and(|x| x >= b.0 && x <= b.1));
                            }
                            match r.len() {
                                0 => return None,
                                1 => {
                                    a[i] = Some(r[0]);
                                    changed = true;
                                }
                                _ => consider(Cand::Values(i, r), &mut best),
                            }
                        }
                        _ => {
                            if q.terms.len() == 1 {
                                let is: Vec<usize> = vs.iter().map(|v| self.index[v]).collect();
                                consider(Cand::Monomial(is), &mut best);
                            }
                        }
                    }
                } else {
                    match self.lookup_step(a, bounds, (c - np) as usize) {
                        Err(()) => return None,
                        Ok((ch, cand)) => {
                            changed |= ch;
                            if let Some(c) = cand {
                                consider(c, &mut best);
                            }
                        }
                    }
                }
                if changed {
                    break;
                }
            }
            if changed {
                continue;
            }
            if self.mode == Mode::Determine {
                match self.radix_step(a, bounds) {
                    Err(()) => return None,
                    Ok(true) => continue,
                    Ok(false) => {}
                }
            }
            return Some(best);
        }
    }

    /// One lookup: contradiction, forced values, bounds and candidates.
    fn lookup_step(
        &self,
        a: &mut Asg,
        bounds: &mut [Option<Bound>],
        li: usize,
    ) -> Result<(bool, Option<Cand>), ()> {
        let l = &self.sys.lookups[li];
        let Some(qs) = l
            .inputs
            .iter()
            .map(|p| self.reduce(a, p))
            .collect::<Option<Vec<Poly>>>()
        else {
            return Ok((false, None));
        };
        let known: Vec<Option<Fp>> = qs.iter().map(|q| q.as_constant()).collect();
        let table = &self.sys.tables[l.lookup];
        let rows = table.matching(&known);
        if rows.is_empty() {
            return Err(());
        }
        let open: Vec<usize> = (0..qs.len()).filter(|&i| known[i].is_none()).collect();
        if open.is_empty() {
            return Ok((false, None));
        }
        if rows.len() == 1 {
            let t = &table.rows[rows[0] as usize];
            let mut changed = false;
            for &j in &open {
                let vs = qs[j].vars();
                if vs.len() != 1 {
                    continue;
                }
                let i = self.index[&vs[0]];
                let Some(u) = qs[j].univariate(vs[0]) else {
                    continue;
                };
                let mut u = u;
                u[0] -= t[j];
                match roots(&u) {
                    Some(r) if r.is_empty() => return Err(()),
                    Some(r) if r.len() == 1 && a[i].is_none() => {
                        a[i] = Some(r[0]);
                        changed = true;
                    }
                    _ => {}
                }
            }
            return Ok((changed, None));
        }
        if open.len() != 1 {
            return Ok((false, None));
        }
        let j = open[0];
        let vs = qs[j].vars();
        let Some((lin, c0)) = qs[j].linear() else {
            return Ok((false, None));
        };
        if vs.len() != 1 || lin.len() != 1 {
            return Ok((false, None));
        }
        let i = self.index[&vs[0]];
        let coef = lin[0].1;
        if self.mode == Mode::Determine {
            if let Some(b) = table.range_of(&known, j, coef, c0) {
                let nb = match bounds[i] {
                    Some(o) => (o.0.max(b.0), o.1.min(b.1)),
                    None => b,
                };
                if nb.0 > nb.1 {
                    return Err(());
                }
                bounds[i] = Some(nb);
            }
            return Ok((false, None));
        }
        let inv = coef.invert().unwrap();
        let mut vals: Vec<Fp> = rows
            .iter()
            .map(|&r| (table.rows[r as usize][j] - c0) * inv)
            .collect();
        vals.sort_by_key(super::record::key);
        vals.dedup();
        Ok((false, Some(Cand::Values(i, vals))))
    }

    /// Linear equations over local unknowns: eliminate the unbounded ones,
    /// apply the radix rule to the rest.
    fn radix_step(&self, a: &mut Asg, bounds: &[Option<Bound>]) -> Result<bool, ()> {
        let (eqs, unknown) = self.linear_eqs(a);
        if eqs.is_empty() {
            return Ok(false);
        }
        let unbounded: Vec<Var> = unknown
            .iter()
            .copied()
            .filter(|v| bounds[self.index[v]].is_none())
            .collect();
        let (_, rest) = eliminate(eqs, &unbounded);
        let mut changed = false;
        for e in rest {
            if e.coef.is_empty() {
                if !bool::from(e.constant.is_zero()) {
                    return Err(());
                }
                continue;
            }
            if e.coef.keys().any(|v| a[self.index[v]].is_some()) {
                continue; // assigned by an earlier equation of this round
            }
            match radix(&e, |v| bounds[self.index[&v]]) {
                None => {}
                Some(None) => return Err(()),
                Some(Some(sol)) => {
                    for (v, x) in sol {
                        a[self.index[&v]] = Some(x);
                    }
                    changed = true;
                }
            }
        }
        Ok(changed)
    }

    /// The linear constraints in scope over local unknowns (at least two),
    /// and those unknowns.
    fn linear_eqs(&self, a: &Asg) -> (Vec<LinEq>, Vec<Var>) {
        let np = self.sys.polys.len() as u32;
        let mut eqs = vec![];
        let mut unknown = vec![];
        for &c in &self.cons {
            if c >= np {
                continue;
            }
            let Some(q) = self.reduce(a, &self.sys.polys[c as usize].poly) else {
                continue;
            };
            let Some((lin, c0)) = q.linear() else {
                continue;
            };
            if lin.len() < 2 {
                continue;
            }
            unknown.extend(lin.iter().map(|t| t.0));
            eqs.push(LinEq::new(&lin, c0));
        }
        unknown.sort_unstable();
        unknown.dedup();
        (eqs, unknown)
    }

    /// At a dead end: solve the linear constraints among the unknowns if they
    /// determine all of them (`Ok(true)`), `Ok(false)` if inconsistent,
    /// `Err(free variables)` otherwise.
    fn solve_linear(&self, a: &mut Asg) -> Result<bool, Vec<usize>> {
        let (eqs, _) = self.linear_eqs(a);
        let open: Vec<usize> = (0..a.len()).filter(|&i| a[i].is_none()).collect();
        let order: Vec<Var> = open.iter().map(|&i| self.vars[i]).collect();
        let (pivots, rest) = eliminate(eqs, &order);
        if rest
            .iter()
            .any(|e| e.coef.is_empty() && !bool::from(e.constant.is_zero()))
        {
            return Ok(false);
        }
        if pivots.len() < open.len() {
            let piv: Vec<Var> = pivots.iter().map(|p| p.0).collect();
            return Err(open
                .into_iter()
                .filter(|&i| !piv.contains(&self.vars[i]))
                .collect());
        }
        // back substitution (each pivot row holds only later pivots)
        for (v, e) in pivots.iter().rev() {
            let mut s = e.constant;
            for (w, c) in &e.coef {
                if w != v {
                    s += *c * a[self.index[w]].unwrap_or(Fp::zero());
                }
            }
            a[self.index[v]] = Some(-s * e.coef[v].invert().unwrap());
        }
        Ok(true)
    }
}

/// The integer of `x` (signed), for messages.
pub fn show(x: Fp) -> String {
    match to_i128(x) {
        Some(v) => v.to_string(),
        None => format!("{x:?}"),
    }
}

/// `fp` re-exported for the analysis modules.
pub fn int(v: i128) -> Fp {
    fp(v)
}
