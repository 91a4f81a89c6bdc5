//! The active constraint instances of a recorded circuit: every gate
//! polynomial at every row and every lookup at every usable row, with the
//! fixed (and selector) values substituted, dropped when identically zero;
//! cells joined by copy constraints are one variable (union-find).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use halo2_proofs::arithmetic::Field;
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::Expression;

use super::linear::Bound;
use super::poly::{Poly, Var};
use super::record::{key, CellAt, Kind, Recorded};
use crate::field::to_i128;
use crate::CircuitError;

/// A gate constraint at one row.
#[derive(Clone, Debug)]
pub struct PolyC {
    /// Gate index.
    pub gate: usize,
    /// Constraint index within the gate.
    pub index: usize,
    /// Row.
    pub row: usize,
    /// The polynomial in variables.
    pub poly: Poly,
    /// The raw cells it reads with a non-zero coefficient.
    pub cells: Vec<u32>,
}

/// A lookup at one row.
#[derive(Clone, Debug)]
pub struct LookupC {
    /// Lookup argument index.
    pub lookup: usize,
    /// Row.
    pub row: usize,
    /// The input expressions as polynomials in variables.
    pub inputs: Vec<Poly>,
    /// The raw cells the inputs read.
    pub cells: Vec<u32>,
}

/// A lookup table's distinct rows, indexed by the components known.
#[derive(Debug)]
pub struct Table {
    /// The rows.
    pub rows: Vec<Vec<Fp>>,
    keys: Vec<Vec<[u8; 32]>>,
    set: HashSet<Vec<[u8; 32]>>,
    #[allow(clippy::type_complexity)]
    index: RefCell<HashMap<u64, HashMap<Vec<[u8; 32]>, Rc<Vec<u32>>>>>,
    #[allow(clippy::type_complexity)]
    hulls: RefCell<HashMap<(u64, Vec<[u8; 32]>, usize), Option<Bound>>>,
}

fn mask_of(known: &[Option<Fp>]) -> u64 {
    known
        .iter()
        .enumerate()
        .filter(|(_, k)| k.is_some())
        .map(|(i, _)| 1u64 << i)
        .sum()
}

impl Table {
    fn new(rows: Vec<Vec<Fp>>) -> Self {
        let keys: Vec<Vec<[u8; 32]>> = rows.iter().map(|r| r.iter().map(key).collect()).collect();
        Table {
            set: keys.iter().cloned().collect(),
            rows,
            keys,
            index: RefCell::new(HashMap::new()),
            hulls: RefCell::new(HashMap::new()),
        }
    }
    /// True when `t` is a row of the table.
    pub fn contains(&self, t: &[Fp]) -> bool {
        self.set.contains(&t.iter().map(key).collect::<Vec<_>>())
    }
    /// The rows whose components equal the known components (shared, not
    /// copied: index built once per set of known components).
    pub fn matching(&self, known: &[Option<Fp>]) -> Rc<Vec<u32>> {
        let mask = mask_of(known);
        if mask == 0 {
            return Rc::new((0..self.rows.len() as u32).collect());
        }
        let want: Vec<[u8; 32]> = known.iter().flatten().map(key).collect();
        let mut idx = self.index.borrow_mut();
        let m = idx.entry(mask).or_insert_with(|| {
            let mut m: HashMap<Vec<[u8; 32]>, Vec<u32>> = HashMap::new();
            for (r, k) in self.keys.iter().enumerate() {
                let sel: Vec<[u8; 32]> = (0..k.len())
                    .filter(|i| mask >> i & 1 == 1)
                    .map(|i| k[i])
                    .collect();
                m.entry(sel).or_default().push(r as u32);
            }
            m.into_iter().map(|(k, v)| (k, Rc::new(v))).collect()
        });
        m.get(&want).cloned().unwrap_or_default()
    }
    /// The smallest integer interval holding component `j` of every row
    /// matching the known components (`None`: no row, or a component that
    /// is not a small integer). Cached.
    pub fn hull(&self, known: &[Option<Fp>], j: usize) -> Option<Bound> {
        let k = (
            mask_of(known),
            known.iter().flatten().map(key).collect::<Vec<_>>(),
            j,
        );
        if let Some(h) = self.hulls.borrow().get(&k) {
            return *h;
        }
        let rows = self.matching(known);
        let h = (|| {
            let vals: Vec<i128> = rows
                .iter()
                .map(|&r| to_i128(self.rows[r as usize][j]))
                .collect::<Option<_>>()?;
            Some((*vals.iter().min()?, *vals.iter().max()?))
        })();
        self.hulls.borrow_mut().insert(k, h);
        h
    }
    /// The integer range of `v` when component `j` of a lookup is
    /// `a * v + c0` and the other components are `known`: `a = +-1` and
    /// `c0` small integers, the matching table values integers ([`hull`]);
    /// `None` otherwise (no bound derived).
    ///
    /// [`hull`]: Table::hull
    pub fn range_of(&self, known: &[Option<Fp>], j: usize, a: Fp, c0: Fp) -> Option<Bound> {
        let (a, c0) = (to_i128(a)?, to_i128(c0)?);
        if a.abs() != 1 {
            return None;
        }
        let (tl, th) = self.hull(known, j)?;
        let (x, y) = ((tl - c0) * a, (th - c0) * a);
        Some((x.min(y), x.max(y)))
    }
}

/// The constraint instances of a recorded circuit over variables.
pub struct System<'r> {
    /// The recording.
    pub rec: &'r Recorded,
    /// Variable of each raw cell id that occurs (cells joined by copies share one).
    pub var_of: HashMap<u32, Var>,
    /// Raw cells of each variable (those occurring in constraints or copies).
    pub members: Vec<Vec<u32>>,
    /// The honest value of each variable.
    pub honest: Vec<Fp>,
    /// Values known to the verifier: fixed cells, input and padding
    /// instance rows.
    pub known: Vec<Option<Fp>>,
    /// True for variables holding a graph-input instance cell.
    pub public_input: Vec<bool>,
    /// Active gate constraints.
    pub polys: Vec<PolyC>,
    /// Active lookups.
    pub lookups: Vec<LookupC>,
    /// Tables per lookup argument.
    pub tables: Vec<Table>,
    /// Constraints per variable: `c < polys.len()` is a gate constraint,
    /// else lookup `c - polys.len()`.
    pub adj: Vec<Vec<u32>>,
    /// Gates and lookups the honest witness violates (non-strict builds).
    pub violations: Vec<String>,
}

/// The raw id of an advice or instance cell.
pub fn cell_id(rec: &Recorded, c: CellAt) -> Option<u32> {
    let na = rec.advice.len();
    match c.kind {
        Kind::Advice => Some((c.column * rec.n + c.row) as u32),
        Kind::Instance => Some(((na + c.column) * rec.n + c.row) as u32),
        Kind::Fixed => None,
    }
}

/// The cell of a raw id.
pub fn cell_of(rec: &Recorded, id: u32) -> CellAt {
    let (col, row) = (id as usize / rec.n, id as usize % rec.n);
    let na = rec.advice.len();
    if col < na {
        CellAt {
            kind: Kind::Advice,
            column: col,
            row,
        }
    } else {
        CellAt {
            kind: Kind::Instance,
            column: col - na,
            row,
        }
    }
}

fn find(p: &mut [u32], mut x: u32) -> u32 {
    while p[x as usize] != x {
        let g = p[p[x as usize] as usize];
        p[x as usize] = g;
        x = g;
    }
    x
}

#[derive(Clone, Copy)]
enum Abs {
    Zero,
    Const(Fp),
    Var,
}

fn abs_eval(e: &Expression<Fp>, rec: &Recorded, row: usize) -> Abs {
    let n = rec.n as i64;
    let at = |r: i32| (row as i64 + i64::from(r)).rem_euclid(n) as usize;
    let c = |x: Fp| {
        if bool::from(x.is_zero()) {
            Abs::Zero
        } else {
            Abs::Const(x)
        }
    };
    e.evaluate(
        &c,
        &|s| {
            if rec.selectors[s.index()][row] {
                Abs::Const(Fp::one())
            } else {
                Abs::Zero
            }
        },
        &|q| c(rec.fixed_at(q.column_index(), at(q.rotation().0))),
        &|_| Abs::Var,
        &|_| Abs::Var,
        &|a| match a {
            Abs::Const(x) => Abs::Const(-x),
            o => o,
        },
        &|a, b| match (a, b) {
            (Abs::Zero, o) | (o, Abs::Zero) => o,
            (Abs::Const(x), Abs::Const(y)) => c(x + y),
            _ => Abs::Var,
        },
        &|a, b| match (a, b) {
            (Abs::Zero, _) | (_, Abs::Zero) => Abs::Zero,
            (Abs::Const(x), Abs::Const(y)) => c(x * y),
            _ => Abs::Var,
        },
        &|a, f| match a {
            Abs::Zero => Abs::Zero,
            Abs::Const(x) => c(x * f),
            Abs::Var => {
                if bool::from(f.is_zero()) {
                    Abs::Zero
                } else {
                    Abs::Var
                }
            }
        },
    )
}

/// The polynomial of `e` at `row` over raw cell ids.
fn raw_poly(e: &Expression<Fp>, rec: &Recorded, row: usize) -> Poly {
    let n = rec.n as i64;
    let na = rec.advice.len();
    let at = |r: i32| (row as i64 + i64::from(r)).rem_euclid(n) as usize;
    e.evaluate(
        &Poly::constant,
        &|s| {
            Poly::constant(if rec.selectors[s.index()][row] {
                Fp::one()
            } else {
                Fp::zero()
            })
        },
        &|q| Poly::constant(rec.fixed_at(q.column_index(), at(q.rotation().0))),
        &|q| Poly::var((q.column_index() * rec.n + at(q.rotation().0)) as u32),
        &|q| Poly::var(((na + q.column_index()) * rec.n + at(q.rotation().0)) as u32),
        &|a| a.neg(),
        &|a, b| a.add(b),
        &|a, b| a.mul(b),
        &|a, f| a.scale(f),
    )
}

impl<'r> System<'r> {
    /// Builds the system of `rec`. Fails when the honest witness violates a
    /// constraint, a lookup or a copy (the recording is then no witness).
    pub fn build(rec: &'r Recorded) -> Result<Self, CircuitError> {
        Self::build_with(rec, true)
    }

    /// As [`System::build`]; with `strict = false` a gate or lookup the
    /// honest witness violates is listed in [`System::violations`] instead
    /// of failing (a circuit whose honest witness fails is incomplete, and
    /// its chip instances can still be checked for uniqueness).
    pub fn build_with(rec: &'r Recorded, strict: bool) -> Result<Self, CircuitError> {
        let na = rec.advice.len();
        let ncells = (na + rec.instance.len()) * rec.n;
        let mut parent: Vec<u32> = (0..ncells as u32).collect();
        let mut fixed_copy: Vec<(u32, Fp)> = vec![];
        for &(a, b) in &rec.copies {
            match (cell_id(rec, a), cell_id(rec, b)) {
                (Some(x), Some(y)) => {
                    let (rx, ry) = (find(&mut parent, x), find(&mut parent, y));
                    if rx != ry {
                        parent[rx.max(ry) as usize] = rx.min(ry);
                    }
                }
                (Some(x), None) => fixed_copy.push((x, rec.fixed_at(b.column, b.row))),
                (None, Some(y)) => fixed_copy.push((y, rec.fixed_at(a.column, a.row))),
                (None, None) => {
                    if rec.fixed_at(a.column, a.row) != rec.fixed_at(b.column, b.row) {
                        return Err(CircuitError::Invalid("a fixed copy differs".into()));
                    }
                }
            }
        }
        let mut sys = System {
            rec,
            var_of: HashMap::new(),
            members: vec![],
            honest: vec![],
            known: vec![],
            public_input: vec![],
            polys: vec![],
            lookups: vec![],
            tables: rec
                .lookups
                .iter()
                .map(|l| Table::new(l.table.clone()))
                .collect(),
            adj: vec![],
            violations: vec![],
        };
        let mut root_var: HashMap<u32, Var> = HashMap::new();
        let mut var =
            |sys: &mut System<'r>, parent: &mut Vec<u32>, cell: u32| -> Result<Var, CircuitError> {
                if let Some(&v) = sys.var_of.get(&cell) {
                    return Ok(v);
                }
                let root = find(parent, cell);
                let v = *root_var.entry(root).or_insert_with(|| {
                    sys.members.push(vec![]);
                    sys.honest.push(Fp::zero());
                    sys.known.push(None);
                    sys.public_input.push(false);
                    sys.adj.push(vec![]);
                    (sys.members.len() - 1) as Var
                });
                let vi = v as usize;
                let c = cell_of(rec, cell);
                let (val, known) = match c.kind {
                    Kind::Advice => (rec.advice_at(c.column, c.row), false),
                    _ => {
                        let x = rec.instance[c.column][c.row];
                        let input = c.column == 0 && c.row < rec.input_rows;
                        sys.public_input[vi] |= input;
                        (x, input || c.row >= rec.instance_len)
                    }
                };
                if sys.members[vi].is_empty() {
                    sys.honest[vi] = val;
                } else if sys.honest[vi] != val {
                    return Err(CircuitError::Invalid(format!(
                        "the honest witness breaks a copy constraint at {c:?}"
                    )));
                }
                if known {
                    sys.known[vi] = Some(val);
                }
                sys.members[vi].push(cell);
                sys.var_of.insert(cell, v);
                Ok(v)
            };
        for &(a, b) in &rec.copies {
            for c in [a, b] {
                if let Some(id) = cell_id(rec, c) {
                    var(&mut sys, &mut parent, id)?;
                }
            }
        }
        for (cell, value) in fixed_copy {
            let v = var(&mut sys, &mut parent, cell)? as usize;
            if sys.honest[v] != value {
                return Err(CircuitError::Invalid("a copy to a fixed cell fails".into()));
            }
            sys.known[v] = Some(value);
        }
        for (gi, g) in rec.gates.iter().enumerate() {
            for (pi, e) in g.polys.iter().enumerate() {
                for row in 0..rec.n {
                    match abs_eval(e, rec, row) {
                        Abs::Zero => continue,
                        Abs::Const(_) => {
                            return Err(CircuitError::Invalid(format!(
                                "gate {} constraint {pi} is a non-zero constant at row {row}",
                                g.name
                            )))
                        }
                        Abs::Var => {}
                    }
                    let raw = raw_poly(e, rec, row);
                    if raw.is_zero() {
                        continue;
                    }
                    let cells = raw.vars();
                    let mut m = HashMap::new();
                    for &c in &cells {
                        m.insert(c, var(&mut sys, &mut parent, c)?);
                    }
                    let poly = raw.map_vars(|c| m[&c]);
                    if poly.eval(|v| sys.honest[v as usize]) != Fp::zero() {
                        let msg = format!(
                            "the honest witness fails gate {} constraint {pi} at row {row}",
                            g.name
                        );
                        if strict {
                            return Err(CircuitError::Invalid(msg));
                        }
                        sys.violations.push(msg);
                    }
                    if poly.as_constant().is_some() {
                        continue;
                    }
                    sys.polys.push(PolyC {
                        gate: gi,
                        index: pi,
                        row,
                        poly,
                        cells,
                    });
                }
            }
        }
        for (li, l) in rec.lookups.iter().enumerate() {
            for row in 0..rec.usable_rows {
                let raws: Vec<Poly> = l.inputs.iter().map(|e| raw_poly(e, rec, row)).collect();
                let mut cells: Vec<u32> = raws.iter().flat_map(|p| p.vars()).collect();
                cells.sort_unstable();
                cells.dedup();
                let mut m = HashMap::new();
                for &c in &cells {
                    m.insert(c, var(&mut sys, &mut parent, c)?);
                }
                let inputs: Vec<Poly> = raws.iter().map(|p| p.map_vars(|c| m[&c])).collect();
                let honest: Vec<Fp> = inputs
                    .iter()
                    .map(|p| p.eval(|v| sys.honest[v as usize]))
                    .collect();
                if !sys.tables[li].contains(&honest) {
                    let msg = format!("the honest witness fails lookup {li} at row {row}");
                    if strict {
                        return Err(CircuitError::Invalid(msg));
                    }
                    sys.violations.push(msg);
                }
                if cells.is_empty() {
                    continue;
                }
                sys.lookups.push(LookupC {
                    lookup: li,
                    row,
                    inputs,
                    cells,
                });
            }
        }
        let np = sys.polys.len();
        for (i, p) in sys.polys.iter().enumerate() {
            for v in p.poly.vars() {
                sys.adj[v as usize].push(i as u32);
            }
        }
        for (i, l) in sys.lookups.iter().enumerate() {
            let mut vs: Vec<Var> = l.inputs.iter().flat_map(|p| p.vars()).collect();
            vs.sort_unstable();
            vs.dedup();
            for v in vs {
                sys.adj[v as usize].push((np + i) as u32);
            }
        }
        Ok(sys)
    }

    /// Number of variables.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when there is no variable.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// A readable name of a variable: its cells, with the assigner's role,
    /// node and element where logged.
    pub fn describe(&self, v: Var, graph: Option<&zkc_ir::Graph>) -> String {
        let mut parts = vec![];
        for &c in self.members[v as usize].iter().take(4) {
            let cell = cell_of(self.rec, c);
            let mut s = match cell.kind {
                Kind::Instance => format!("instance row {}", cell.row),
                _ => format!("column {} row {}", cell.column, cell.row),
            };
            if cell.kind == Kind::Advice {
                if let Some(r) = self.rec.record_of(cell.column, cell.row) {
                    let node = match (r.node, graph) {
                        (Some(id), Some(g)) => g.node(id).name.clone(),
                        (Some(id), None) => format!("{id:?}"),
                        (None, _) => "-".into(),
                    };
                    s = format!("{} of node {node} element {}, {s}", r.role, r.element);
                } else {
                    s = format!("unlogged advice, {s}");
                }
            }
            parts.push(s);
        }
        if self.members[v as usize].len() > 4 {
            parts.push(format!("+{} copies", self.members[v as usize].len() - 4));
        }
        parts.join(" = ")
    }
}
