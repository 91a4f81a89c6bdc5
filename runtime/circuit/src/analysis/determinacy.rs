//! Whole-model determinacy: given what the verifier knows (fixed cells,
//! the public inputs, the zero padding of the instance column), every
//! variable of a synthesized circuit (advice cells and public outputs,
//! cells joined by copy constraints counting as one) takes exactly one
//! value in every assignment over `Fp` that satisfies the gates and
//! lookups. Then a valid proof pins the public outputs: no second witness,
//! integer or not, exists for the same public inputs.
//!
//! The check propagates from the known values with rules that each assign
//! a value only when no other element of `Fp` can satisfy the constraints
//! they read, given the values already determined, and proven integer
//! ranges ("bounds") that hold in every satisfying assignment:
//!
//! - **gate**: a gate constraint with one unknown: its roots in `Fp` inside
//!   the unknown's bound; exactly one determines it;
//! - **table row**: a lookup whose known components match one table row
//!   determines each open component that is a polynomial in one unknown
//!   with one root;
//! - **range** (bound only): a lookup with one open component `v + c`
//!   bounds `v` by the table values that match the known components;
//! - **affine** (bound only): a linear constraint in which `v` is the only
//!   unbounded unknown and equals an integer combination of the others
//!   bounds `v` by that combination's range;
//! - **radix**: a linear constraint over bounded unknowns with
//!   super-increasing coefficients and integer span below `p / 2` has at
//!   most one solution ([`super::linear::radix`]);
//! - **split**: where none applies, the local solver
//!   ([`super::solve::Local`], [`Mode::Determine`]) branches exhaustively
//!   over the roots and monomial factors of the constraints around a
//!   stalled variable; a value every surviving branch forces is the only
//!   one.
//!
//! The check is about one synthesized witness: it shows that for *these*
//! public inputs no second witness exists. That all inputs behave alike
//! rests on the chip-level [`super::uniqueness`] checks (every input at
//! small widths, bounds and field elements near `p` included), which this
//! check complements at the scale of real models: it catches a cell that
//! no chip statement covers (a missing copy, a lane no gate reads, a chip
//! input taken from an undetermined cell).
//!
//! What is left undetermined is reported by name; a sound circuit has none.
//! Every determined value is also compared with the honest witness (a
//! mismatch would be a bug of this check, reported as such).

use std::collections::{BTreeMap, VecDeque};

use halo2_proofs::arithmetic::Field;
use halo2_proofs::pasta::Fp;
use zkc_ir::Graph;

use super::linear::{radix, Bound, LinEq};
use super::poly::{Poly, Var};
use super::record::{CellAt, Kind};
use super::roots::roots;
use super::solve::{Local, Mode, Outcome};
use super::system::{cell_id, System};
use crate::field::{fp, to_i128};
use crate::mutation::is_free_role;

/// The split clusters tried in turn around a stalled variable (unknowns,
/// greedy growth): small and breadth-first first (few branches), larger
/// and grown through the tightest constraints when that fails (a max
/// window of many taps).
const CLUSTERS: [(usize, bool); 2] = [(16, false), (32, true)];
/// Branch budget of one split.
const BUDGET: u64 = 20_000;
/// Widest integer range kept as a bound (far below `p / 2`).
const WIDE: i128 = 1 << 120;

/// What the determinacy check found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Variables of the circuit (classes of cells joined by copies).
    pub vars: usize,
    /// Advice and instance cells in those variables.
    pub cells: usize,
    /// Gate constraint instances and lookup instances read.
    pub constraints: usize,
    /// Variables determined, by the rule that determined them (`known`:
    /// fixed or public input).
    pub by_rule: BTreeMap<&'static str, usize>,
    /// Local splits run and the branches they explored.
    pub splits: usize,
    /// Branches explored by the splits.
    pub branches: u64,
    /// Variables left undetermined, described by role, node and element.
    pub undetermined: Vec<String>,
    /// Logged advice cells of a used role that occur in no constraint and
    /// no copy (nothing binds them).
    pub unconstrained: Vec<String>,
    /// Internal inconsistencies (a rule derived a value other than the
    /// honest one, or a contradiction): bugs of the check or the witness.
    pub errors: Vec<String>,
}

impl Report {
    /// True when every variable is determined and nothing is unbound.
    pub fn ok(&self) -> bool {
        self.undetermined.is_empty() && self.unconstrained.is_empty() && self.errors.is_empty()
    }
}

struct State<'a, 's> {
    sys: &'a System<'s>,
    val: Vec<Option<Fp>>,
    bound: Vec<Option<Bound>>,
    queue: VecDeque<u32>,
    queued: Vec<bool>,
    /// Variables of each constraint (gate constraints, then lookups).
    cvars: Vec<Vec<Var>>,
    /// Undetermined variables of each constraint.
    open: Vec<u32>,
    rep: Report,
}

impl State<'_, '_> {
    fn push_adj(&mut self, v: Var) {
        for &c in &self.sys.adj[v as usize] {
            if !self.queued[c as usize] {
                self.queued[c as usize] = true;
                self.queue.push_back(c);
            }
        }
    }

    fn set(&mut self, v: Var, x: Fp, rule: &'static str) {
        let vi = v as usize;
        if self.val[vi].is_some() {
            return;
        }
        if x != self.sys.honest[vi] {
            self.rep.errors.push(format!(
                "rule {rule} derived a value other than the honest one for {}",
                self.sys.describe(v, None)
            ));
        }
        self.val[vi] = Some(x);
        *self.rep.by_rule.entry(rule).or_default() += 1;
        for &c in &self.sys.adj[vi] {
            self.open[c as usize] -= 1;
        }
        self.push_adj(v);
    }

    fn tighten(&mut self, v: Var, b: Bound) {
        let vi = v as usize;
        let nb = match self.bound[vi] {
            Some(o) => (o.0.max(b.0), o.1.min(b.1)),
            None => b,
        };
        if nb.0 > nb.1 {
            self.rep.errors.push(format!(
                "empty range derived for {}",
                self.sys.describe(v, None)
            ));
            return;
        }
        if self.bound[vi] != Some(nb) {
            self.bound[vi] = Some(nb);
            if nb.0 == nb.1 {
                self.set(v, fp(nb.0), "range");
            } else {
                self.push_adj(v);
            }
        }
    }

    fn in_bound(&self, v: Var, x: Fp) -> bool {
        match self.bound[v as usize] {
            Some(b) => to_i128(x).is_some_and(|x| x >= b.0 && x <= b.1),
            None => true,
        }
    }

    fn reduce(&self, p: &Poly) -> Poly {
        p.partial(|v| self.val[v as usize])
    }

    /// Undetermined variables of constraint `c` without a bound.
    fn unbounded(&self, c: usize) -> usize {
        self.cvars[c]
            .iter()
            .filter(|v| self.val[**v as usize].is_none() && self.bound[**v as usize].is_none())
            .count()
    }

    fn gate(&mut self, c: usize) {
        // the gate, affine and radix rules need at most one unbounded unknown
        if self.open[c] == 0 || (self.open[c] > 1 && self.unbounded(c) > 1) {
            return;
        }
        let sys = self.sys;
        let q = self.reduce(&sys.polys[c].poly);
        let vs = q.vars();
        match vs.len() {
            0 => {
                if !q.is_zero() {
                    self.rep.errors.push(format!(
                        "determined values violate gate constraint at row {}",
                        self.sys.polys[c].row
                    ));
                }
            }
            1 => {
                let v = vs[0];
                let Some(r) = q.univariate(v).and_then(|u| roots(&u)) else {
                    return;
                };
                let r: Vec<Fp> = r.into_iter().filter(|x| self.in_bound(v, *x)).collect();
                if r.len() == 1 {
                    self.set(v, r[0], "gate");
                } else if r.is_empty() {
                    self.rep.errors.push(format!(
                        "no value satisfies a gate for {}",
                        self.sys.describe(v, None)
                    ));
                }
            }
            _ => {
                if let Some((lin, c0)) = q.linear() {
                    self.linear(&lin, c0);
                }
            }
        }
    }

    /// The affine and radix rules on `sum lin + c0 = 0`.
    fn linear(&mut self, lin: &[(Var, Fp)], c0: Fp) {
        let unbounded: Vec<&(Var, Fp)> = lin
            .iter()
            .filter(|(v, _)| self.bound[*v as usize].is_none())
            .collect();
        match unbounded.as_slice() {
            [] => {
                let e = LinEq::new(lin, c0);
                match radix(&e, |v| self.bound[v as usize]) {
                    Some(Some(sol)) => {
                        for (v, x) in sol {
                            self.set(v, x, "radix");
                        }
                    }
                    Some(None) => self
                        .rep
                        .errors
                        .push("a radix equation has no solution in range".into()),
                    None => {}
                }
            }
            [(u, a)] => {
                // u = -(c0 + sum c w) / a
                let inv = -a.invert().unwrap();
                let Some(mut lo) = to_i128(c0 * inv) else {
                    return;
                };
                let mut hi = lo;
                for (w, c) in lin {
                    if w == u {
                        continue;
                    }
                    let Some(k) = to_i128(*c * inv) else { return };
                    let Some((bl, bh)) = self.bound[*w as usize] else {
                        return;
                    };
                    if k.abs() >= WIDE || bl.abs() >= WIDE || bh.abs() >= WIDE {
                        return;
                    }
                    let (x, y) = (k * bl, k * bh);
                    lo += x.min(y);
                    hi += x.max(y);
                    if lo.abs() >= WIDE || hi.abs() >= WIDE {
                        return;
                    }
                }
                self.tighten(*u, (lo, hi));
            }
            _ => {}
        }
    }

    fn lookup(&mut self, li: usize) {
        if self.open[self.sys.polys.len() + li] == 0 {
            return;
        }
        let sys = self.sys;
        let l = &sys.lookups[li];
        let qs: Vec<Poly> = l.inputs.iter().map(|p| self.reduce(p)).collect();
        let known: Vec<Option<Fp>> = qs.iter().map(|q| q.as_constant()).collect();
        let open: Vec<usize> = (0..qs.len()).filter(|&i| known[i].is_none()).collect();
        if open.is_empty() {
            return;
        }
        let table = &sys.tables[l.lookup];
        let rows = table.matching(&known);
        if rows.is_empty() {
            self.rep.errors.push(format!(
                "no table row matches lookup {} at row {}",
                l.lookup, l.row
            ));
            return;
        }
        if rows.len() == 1 {
            let t = table.rows[rows[0] as usize].clone();
            for &j in &open {
                let vs = qs[j].vars();
                if vs.len() != 1 {
                    continue;
                }
                let Some(mut u) = qs[j].univariate(vs[0]) else {
                    continue;
                };
                u[0] -= t[j];
                let r: Vec<Fp> = roots(&u)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|x| self.in_bound(vs[0], *x))
                    .collect();
                if r.len() == 1 {
                    self.set(vs[0], r[0], "table row");
                }
            }
            return;
        }
        let [j] = open[..] else { return };
        let Some((lin, c0)) = qs[j].linear() else {
            return;
        };
        let [(v, a)] = lin[..] else { return };
        if let Some(b) = table.range_of(&known, j, a, c0) {
            self.tighten(v, b);
        }
    }

    fn run_queue(&mut self) {
        let np = self.sys.polys.len();
        while let Some(c) = self.queue.pop_front() {
            self.queued[c as usize] = false;
            let c = c as usize;
            if c < np {
                self.gate(c);
            } else {
                self.lookup(c - np);
            }
        }
    }

    /// The linear rule: the gate constraints around `v` that are linear in
    /// their (at most [`LINEAR_VARS`]) open variables, solved together over
    /// `Fp` by Gaussian elimination; when the system has full rank in its
    /// variables (a unique solution whatever their range), they are set.
    /// This is what Poseidon's partial rounds need (the next state appears
    /// through the inverse MDS matrix in three equations at once).
    fn linear_system(&mut self, v: Var) -> bool {
        let sys = self.sys;
        let np = sys.polys.len();
        let mut vars: Vec<Var> = vec![v];
        let mut rows: Vec<(Vec<(Var, Fp)>, Fp)> = vec![];
        let mut seen = std::collections::BTreeSet::new();
        let mut frontier = vec![v];
        while let Some(w) = frontier.pop() {
            for &c in &sys.adj[w as usize] {
                let c = c as usize;
                if c >= np || !seen.insert(c) || self.open[c] == 0 {
                    continue;
                }
                let Some((lin, c0)) = self.reduce(&sys.polys[c].poly).linear() else {
                    continue;
                };
                let new: Vec<Var> = lin
                    .iter()
                    .map(|x| x.0)
                    .filter(|x| !vars.contains(x))
                    .collect();
                if vars.len() + new.len() > LINEAR_VARS {
                    continue;
                }
                vars.extend(new.iter().copied());
                frontier.extend(new);
                rows.push((lin, c0));
            }
        }
        let n = vars.len();
        if rows.len() < n {
            return false;
        }
        // augmented matrix, one row per constraint: sum a_j x_j + c0 = 0
        let mut m: Vec<Vec<Fp>> = rows
            .iter()
            .map(|(lin, c0)| {
                let mut r = vec![Fp::zero(); n + 1];
                for (x, k) in lin {
                    if let Some(j) = vars.iter().position(|y| y == x) {
                        r[j] += *k;
                    }
                }
                r[n] = -*c0;
                r
            })
            .collect();
        let mut rank = 0;
        for col in 0..n {
            let Some(p) = (rank..m.len()).find(|&r| m[r][col] != Fp::zero()) else {
                return false;
            };
            m.swap(rank, p);
            let inv = Option::<Fp>::from(m[rank][col].invert()).unwrap_or(Fp::zero());
            for x in m[rank].iter_mut() {
                *x *= inv;
            }
            for r in 0..m.len() {
                if r != rank && m[r][col] != Fp::zero() {
                    let f = m[r][col];
                    let pivot = m[rank].clone();
                    for (a, b) in m[r].iter_mut().zip(&pivot) {
                        *a -= f * b;
                    }
                }
            }
            rank += 1;
        }
        // the remaining rows must be consistent (0 = 0)
        if m[rank..].iter().any(|r| r[n] != Fp::zero()) {
            self.rep
                .errors
                .push("determined values violate a linear system of gates".into());
            return false;
        }
        for (j, &x) in vars.iter().enumerate() {
            self.set(x, m[j][n], "linear");
        }
        true
    }

    /// True when a constraint of `v` reads a determined variable (a split
    /// elsewhere could not succeed yet).
    fn near_known(&self, v: Var) -> bool {
        self.sys.adj[v as usize]
            .iter()
            .any(|&c| (self.open[c as usize] as usize) < self.cvars[c as usize].len())
    }

    /// One split around the undetermined `v`; true when it determined
    /// something.
    fn split(&mut self, v: Var, size: usize, greedy: bool) -> bool {
        let sys = self.sys;
        let unknowns = |c: u32| -> Vec<Var> {
            self.cvars[c as usize]
                .iter()
                .copied()
                .filter(|w| self.val[*w as usize].is_none())
                .collect()
        };
        let mut vars = vec![v];
        if greedy {
            // always through the adjacent constraint that adds the fewest
            // new unknowns, while they fit
            loop {
                let mut best: Option<Vec<Var>> = None;
                for w in &vars {
                    for &c in &sys.adj[*w as usize] {
                        if self.open[c as usize] as usize > size {
                            continue;
                        }
                        let new: Vec<Var> = unknowns(c)
                            .into_iter()
                            .filter(|u| !vars.contains(u))
                            .collect();
                        if !new.is_empty()
                            && vars.len() + new.len() <= size
                            && best.as_ref().is_none_or(|b| new.len() < b.len())
                        {
                            best = Some(new);
                        }
                    }
                }
                match best {
                    Some(new) => vars.extend(new),
                    None => break,
                }
            }
        } else {
            // breadth first from `v`
            let mut i = 0;
            while i < vars.len() && vars.len() < size {
                for &c in &sys.adj[vars[i] as usize] {
                    let open = self.open[c as usize] as usize;
                    if open > size || vars.len() + open > size + 1 {
                        continue;
                    }
                    for u in unknowns(c) {
                        if !vars.contains(&u) && vars.len() < size {
                            vars.push(u);
                        }
                    }
                }
                i += 1;
            }
        }
        // the constraints whose unknowns all lie in the cluster (the local
        // solver ignores the others: a relaxation, so its uniqueness holds)
        let mut cons: Vec<u32> = vars
            .iter()
            .flat_map(|w| sys.adj[*w as usize].iter().copied())
            .filter(|&c| {
                self.open[c as usize] > 0
                    && self.open[c as usize] as usize <= vars.len()
                    && unknowns(c).iter().all(|u| vars.contains(u))
            })
            .collect();
        cons.sort_unstable();
        cons.dedup();
        let val = &self.val;
        let base = |w: Var| val[w as usize];
        let bounds: Vec<Option<Bound>> = vars.iter().map(|w| self.bound[*w as usize]).collect();
        let mut local = Local::new(
            sys,
            &base,
            vars.clone(),
            cons,
            Mode::Determine,
            bounds,
            BUDGET,
        );
        let outcome = local.solve(vec![None; vars.len()]);
        let explored = local.explored;
        drop(local);
        self.rep.splits += 1;
        self.rep.branches += explored;
        let Outcome::Leaves(leaves) = outcome else {
            return false;
        };
        if leaves.is_empty() {
            self.rep.errors.push(format!(
                "no assignment satisfies the constraints around {}",
                sys.describe(v, None)
            ));
            return false;
        }
        let mut found = false;
        for (i, &w) in vars.iter().enumerate() {
            let x = leaves[0].values[i];
            if let Some(x) = x {
                if leaves.iter().all(|l| l.values[i] == Some(x)) {
                    self.set(w, x, "split");
                    found = true;
                }
            }
        }
        found
    }
}

/// Most open variables the linear rule solves together.
const LINEAR_VARS: usize = 6;

/// Checks that the verifier's values determine every variable of `sys`;
/// `graph` names nodes in the report.
pub fn check(sys: &System<'_>, graph: Option<&Graph>) -> Report {
    let n = sys.len();
    let nc = sys.polys.len() + sys.lookups.len();
    let mut st = State {
        sys,
        val: vec![None; n],
        bound: vec![None; n],
        queue: (0..nc as u32).collect(),
        queued: vec![true; nc],
        cvars: sys
            .polys
            .iter()
            .map(|p| p.poly.vars())
            .chain(sys.lookups.iter().map(|l| {
                let mut vs: Vec<Var> = l.inputs.iter().flat_map(|p| p.vars()).collect();
                vs.sort_unstable();
                vs.dedup();
                vs
            }))
            .collect(),
        open: vec![],
        rep: Report {
            vars: n,
            cells: sys.members.iter().map(|m| m.len()).sum(),
            constraints: nc,
            ..Default::default()
        },
    };
    for v in 0..n {
        if let Some(x) = sys.known[v] {
            st.val[v] = Some(x);
            *st.rep.by_rule.entry("known").or_default() += 1;
        }
    }
    st.open = st
        .cvars
        .iter()
        .map(|vs| vs.iter().filter(|v| st.val[**v as usize].is_none()).count() as u32)
        .collect();
    loop {
        st.run_queue();
        let open: Vec<Var> = (0..n as Var)
            .filter(|&v| st.val[v as usize].is_none())
            .collect();
        // escalate: a round of small splits; the larger clusters only
        // when a whole round of small ones found nothing
        let mut progress = false;
        for &v in &open {
            if st.val[v as usize].is_none() && st.near_known(v) && st.linear_system(v) {
                progress = true;
                st.run_queue();
            }
        }
        if progress {
            continue;
        }
        for (size, greedy) in CLUSTERS {
            for &v in &open {
                if st.val[v as usize].is_none() && st.near_known(v) && st.split(v, size, greedy) {
                    progress = true;
                    st.run_queue();
                }
            }
            if progress {
                break;
            }
        }
        if !progress {
            break;
        }
    }
    for v in 0..n as Var {
        if st.val[v as usize].is_none() {
            st.rep.undetermined.push(sys.describe(v, graph));
        }
    }
    let rec = sys.rec;
    for r in &rec.log {
        if is_free_role(r.role) {
            continue;
        }
        let c = CellAt {
            kind: Kind::Advice,
            column: r.column,
            row: r.row,
        };
        let bound = cell_id(rec, c).is_some_and(|id| sys.var_of.contains_key(&id));
        if !bound {
            let node = match (r.node, graph) {
                (Some(id), Some(g)) => g.node(id).name.clone(),
                _ => "-".into(),
            };
            st.rep.unconstrained.push(format!(
                "{} of node {node} element {}, column {} row {}",
                r.role, r.element, r.column, r.row
            ));
        }
    }
    st.rep
}
