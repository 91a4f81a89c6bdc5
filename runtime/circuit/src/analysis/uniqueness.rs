//! Chip-by-chip uniqueness, exhaustive at small widths.
//!
//! A chip instance is the set of advice cells the assigner logged for one
//! element of one node; its constraints are the active gate constraints
//! and lookups that read one of those cells (read from the recorded
//! constraint system, never a copy of the gates). Its input cells are the
//! variables joined by copies to an earlier chip's cell or to a graph-input
//! instance cell; cells of other chips its constraints read (neighbouring
//! rows) keep their honest values. For each choice of input values, the
//! solver ([`super::solve`], [`Mode::Enumerate`]) enumerates every
//! looked-up cell over the values its table allows, solves the rest over
//! `Fp` (all roots of univariate constraints), and counts the complete
//! assignments. The statement checked:
//! - inputs in their bound-analysis ranges: exactly one assignment, whose
//!   output equals the integer runtime's value;
//! - a public input outside its range (or any field element that is not an
//!   in-range integer): no assignment;
//! - a copied input outside its range: at most one assignment, and if one,
//!   it equals the runtime's value (none when the runtime refuses the value).
//!
//! A variable left free (no lookup, no univariate constraint, a linear
//! system without full rank) means `p` or more assignments: a failure.

use std::collections::BTreeSet;

use halo2_proofs::arithmetic::Field;
use halo2_proofs::pasta::Fp;
use num_traits::ToPrimitive;
use zkc_ir::{Graph, NodeId, Op};
use zkc_runtime::IntRun;

use super::poly::Var;
use super::record::key;
use super::solve::{show, Local, Mode, Outcome};
use super::system::System;
use crate::field::{fp, pow2, to_i128};
use crate::CircuitError;

/// Where an input variable comes from.
#[derive(Clone, Debug)]
pub struct Input {
    /// The variable.
    pub var: Var,
    /// True for a graph-input instance cell.
    pub public: bool,
    /// The producing node and element (`None` for a public value that is
    /// no graph input, such as a dataset label).
    pub source: Option<(NodeId, usize)>,
    /// Where the value comes from.
    pub origin: Origin,
    /// Its bound-analysis range.
    pub bound: (i128, i128),
}

/// Where a chip instance's input comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A public value (instance row) the verifier supplies.
    Row(usize),
    /// A cell an earlier chip wrote: its node and element (as logged) and
    /// its role.
    Cell {
        /// Node being laid out when the cell was written.
        node: Option<NodeId>,
        /// Its element.
        element: usize,
        /// Its role (e.g. `rescale.y`).
        role: &'static str,
    },
}

/// One chip instance.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Node laid out.
    pub node: NodeId,
    /// Element of the node.
    pub element: usize,
    /// Unknown variables (the chip's own cells).
    pub vars: Vec<Var>,
    /// Input variables.
    pub inputs: Vec<Input>,
    /// Index into `vars` of the output (joined to a later chip or an output
    /// instance cell).
    pub output: Option<usize>,
    /// Constraint references (see [`System::adj`]).
    pub cons: Vec<u32>,
    /// Logged cells of the instance that no active constraint reads.
    pub irrelevant: usize,
}

/// What a uniqueness check covered and found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Chip instances checked.
    pub instances: usize,
    /// Input choices checked (over all instances).
    pub input_choices: usize,
    /// Branches the solver explored (assignments checked).
    pub assignments: u64,
    /// Complete solutions found.
    pub solutions: u64,
    /// Cells of the instances no constraint reads (e.g. padding).
    pub irrelevant: usize,
    /// Violations of the statement, readable.
    pub failures: Vec<String>,
}

impl Report {
    /// Adds `o` into `self`.
    pub fn merge(&mut self, o: Report) {
        self.instances += o.instances;
        self.input_choices += o.input_choices;
        self.assignments += o.assignments;
        self.solutions += o.solutions;
        self.irrelevant += o.irrelevant;
        self.failures.extend(o.failures);
    }
}

fn bound(g: &Graph, id: NodeId) -> Result<(i128, i128), CircuitError> {
    let b = g
        .ty(id)
        .bound
        .as_ref()
        .ok_or_else(|| CircuitError::Unsupported("a chip input has no bound".into()))?;
    match (b.lo.to_i128(), b.hi.to_i128()) {
        (Some(l), Some(h)) => Ok((l, h)),
        _ => Err(CircuitError::Unsupported("bound beyond i128".into())),
    }
}

/// The graph input and element of public value `row`.
fn input_element(g: &Graph, row: usize) -> Option<(NodeId, usize)> {
    let mut at = 0;
    for id in g.inputs_list() {
        let n = zkc_ir::numel(g.shape(id));
        if row < at + n {
            return Some((id, row - at));
        }
        at += n;
    }
    None
}

/// The chip instance of element `element` of `node`.
pub fn instance(
    sys: &System<'_>,
    g: &Graph,
    node: NodeId,
    element: usize,
) -> Result<Instance, CircuitError> {
    let rec = sys.rec;
    let pos: Vec<usize> = (0..rec.log.len())
        .filter(|&i| rec.log[i].node == Some(node) && rec.log[i].element == element)
        .collect();
    let bounds = |o: &Origin| -> Result<Sourced, CircuitError> {
        let src = match o {
            Origin::Row(row) => input_element(g, *row),
            Origin::Cell { node, element, .. } => node.map(|n| (n, *element)),
        }
        .ok_or_else(|| CircuitError::Unsupported("a chip input without a source".into()))?;
        Ok((Some(src), bound(g, src.0)?))
    };
    instance_at(sys, node, element, &pos, &bounds, None, &|_| false)
}

/// An input's source node and element (if any) and its range.
pub type Sourced = (Option<(NodeId, usize)>, (i128, i128));

/// The source and range of an input by its origin.
pub type Bounds<'b> = dyn Fn(&Origin) -> Result<Sourced, CircuitError> + 'b;

/// The chip instance made of the logged cells at positions `pos` of the
/// assigner log (named after `node` and `element`): inputs are the cells
/// joined to a public value below the recording's `input_rows` or to an
/// earlier logged cell, their sources and ranges from `bounds`; the output
/// is the variable of the last cell logged with `output_role`, or else
/// the one joined to a later cell or public value. Constraints that read
/// a `foreign` cell (another instance's, reading this one's by rotation)
/// are left to that instance.
pub fn instance_at(
    sys: &System<'_>,
    node: NodeId,
    element: usize,
    pos: &[usize],
    bounds: &Bounds<'_>,
    output_role: Option<&str>,
    foreign: &dyn Fn(u32) -> bool,
) -> Result<Instance, CircuitError> {
    let rec = sys.rec;
    let (Some(&first), Some(&last)) = (pos.first(), pos.last()) else {
        return Err(CircuitError::Unsupported(
            "no cells for this element".into(),
        ));
    };
    let id = |i: usize| (rec.log[i].column * rec.n + rec.log[i].row) as u32;
    let chip: BTreeSet<u32> = pos.iter().map(|&i| id(i)).collect();
    let np = sys.polys.len();
    let mut cons = vec![];
    let mut read: BTreeSet<u32> = BTreeSet::new();
    for (i, p) in sys.polys.iter().enumerate() {
        if p.cells.iter().any(|c| chip.contains(c)) && !p.cells.iter().any(|&c| foreign(c)) {
            cons.push(i as u32);
            read.extend(p.cells.iter().copied());
        }
    }
    for (i, l) in sys.lookups.iter().enumerate() {
        if l.cells.iter().any(|c| chip.contains(c)) && !l.cells.iter().any(|&c| foreign(c)) {
            cons.push((np + i) as u32);
            read.extend(l.cells.iter().copied());
        }
    }
    let logged_at: std::collections::HashMap<u32, usize> =
        (0..rec.log.len()).map(|i| (id(i), i)).collect();
    let mut vars = vec![];
    let mut inputs = vec![];
    let mut output = None;
    let mut seen = BTreeSet::new();
    for &c in &read {
        let v = sys.var_of[&c];
        if !seen.insert(v) {
            continue;
        }
        // a variable the verifier knows (copied to a fixed cell: a
        // constant such as the zero every public tap's advice weight copies)
        // is neither an input nor free: it keeps its (fixed) value
        let members = &sys.members[v as usize];
        let instance = members
            .iter()
            .any(|&m| super::system::cell_of(rec, m).kind == super::record::Kind::Instance);
        if !instance && sys.known.get(v as usize).is_some_and(|k| k.is_some()) {
            continue;
        }
        let mut public = None;
        let mut earlier: Option<(usize, Origin)> = None;
        let mut later = false;
        for &m in members {
            let cell = super::system::cell_of(rec, m);
            if cell.kind == super::record::Kind::Instance {
                if cell.row < rec.input_rows {
                    public = Some(Origin::Row(cell.row));
                } else if cell.row < rec.instance_len {
                    later = true;
                }
            } else if let Some(&i) = logged_at.get(&m) {
                // the producer: the earliest logged cell of the class
                if i < first && earlier.as_ref().is_none_or(|(j, _)| i < *j) {
                    let r = &rec.log[i];
                    earlier = Some((
                        i,
                        Origin::Cell {
                            node: r.node,
                            element: r.element,
                            role: r.role,
                        },
                    ));
                }
                if i > last {
                    later = true;
                }
            }
        }
        let own = members.iter().any(|m| chip.contains(m));
        if let Some(origin) = public {
            let (source, b) = bounds(&origin)?;
            inputs.push(Input {
                var: v,
                public: true,
                source,
                origin,
                bound: b,
            });
        } else if let (true, Some((_, origin))) = (own, earlier) {
            let (source, b) = bounds(&origin)?;
            inputs.push(Input {
                var: v,
                public: false,
                source,
                origin,
                bound: b,
            });
        } else if own {
            if later {
                output = Some(vars.len());
            }
            vars.push(v);
        }
    }
    let irrelevant = chip.iter().filter(|c| !read.contains(c)).count();
    if let Some(role) = output_role {
        let cell = pos
            .iter()
            .rev()
            .find(|&&i| rec.log[i].role == role)
            .map(|&i| id(i))
            .ok_or_else(|| CircuitError::Unsupported(format!("no {role} cell")))?;
        let v = sys.var_of[&cell];
        output = vars.iter().position(|&x| x == v);
    }
    Ok(Instance {
        node,
        element,
        vars,
        inputs,
        output,
        cons,
        irrelevant,
    })
}

/// Values to try for an input with range `(lo, hi)`: the bounds, one past
/// them, the middle, and (public inputs) field elements near `p` and
/// inverses of powers of two.
pub fn choices(b: (i128, i128), public: bool) -> Vec<Fp> {
    let (lo, hi) = b;
    let mut ints = vec![lo, hi, lo + (hi - lo) / 2, lo - 1, hi + 1];
    if lo < hi {
        ints.extend([lo + 1, hi - 1]);
    }
    if lo <= 0 && 0 <= hi {
        ints.push(0);
    }
    let mut v: Vec<Fp> = ints.into_iter().map(fp).collect();
    if public {
        let half = (Fp::zero() - Fp::one()) * Fp::from(2).invert().unwrap();
        v.extend([-Fp::one(), -Fp::from(2), half, half + Fp::one()]);
        for j in 1..=5 {
            v.push(pow2(j).invert().unwrap());
        }
    }
    v.sort_by_key(key);
    v.dedup();
    v
}

fn in_range(x: Fp, b: (i128, i128)) -> Option<i64> {
    to_i128(x)
        .filter(|&v| v >= b.0 && v <= b.1)
        .and_then(|v| i64::try_from(v).ok())
}

/// The integer runtime's value of the instance's element for input values
/// `xs` (`None`: the runtime refuses them, so no assignment may exist).
fn expected(g: &Graph, run: &IntRun, inst: &Instance, xs: &[Fp]) -> Option<Fp> {
    let ints: Vec<i64> = xs
        .iter()
        .map(|x| to_i128(*x).and_then(|v| i64::try_from(v).ok()))
        .collect::<Option<_>>()?;
    let op = g.op(inst.node);
    if matches!(op, Op::Input { .. }) {
        let (x, inp) = (ints[0], &inst.inputs[0]);
        return (i128::from(x) >= inp.bound.0 && i128::from(x) <= inp.bound.1)
            .then(|| fp(x.into()));
    }
    let ins = g.inputs(inst.node);
    let mut vals: Vec<Vec<i64>> = ins
        .iter()
        .map(|&i| run.value(i).map(|v| v.to_vec()))
        .collect::<Option<_>>()?;
    for (inp, &x) in inst.inputs.iter().zip(&ints) {
        let mut hit = false;
        let (node, element) = inp.source?;
        for (j, &i) in ins.iter().enumerate() {
            if i == node {
                *vals[j].get_mut(element)? = x;
                hit = true;
            }
        }
        if !hit {
            return None;
        }
    }
    let refs: Vec<&[i64]> = vals.iter().map(|v| v.as_slice()).collect();
    let shapes: Vec<&[usize]> = ins.iter().map(|&i| g.shape(i)).collect();
    let out = zkc_runtime::eval_op_i64(op, &refs, &shapes, g.shape(inst.node)).ok()?;
    out.values.get(inst.element).map(|&v| fp(v.into()))
}

/// Input combinations: the full product when small, else each choice for
/// all inputs at once plus a deterministic sample of mixtures.
fn combos(per: &[Vec<Fp>], exhaustive: usize) -> Vec<Vec<Fp>> {
    let total: usize = per.iter().map(|v| v.len()).product();
    if total <= exhaustive {
        let mut out = vec![vec![]];
        for c in per {
            out = out
                .into_iter()
                .flat_map(|p| {
                    c.iter().map(move |x| {
                        let mut q = p.clone();
                        q.push(*x);
                        q
                    })
                })
                .collect();
        }
        return out;
    }
    let m = per.iter().map(|v| v.len()).max().unwrap_or(0);
    let mut out: Vec<Vec<Fp>> = (0..m)
        .map(|i| per.iter().map(|c| c[i % c.len()]).collect())
        .collect();
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..96 {
        out.push(
            per.iter()
                .map(|c| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    c[(s % c.len() as u64) as usize]
                })
                .collect(),
        );
    }
    out
}

/// Checks one chip instance for every input choice against the integer
/// runtime's value of the node's element. `label` names the configuration
/// in failure messages.
pub fn check_instance(
    sys: &System<'_>,
    g: &Graph,
    run: &IntRun,
    inst: &Instance,
    label: &str,
) -> Report {
    let name = format!(
        "{label}: {} element {}",
        g.node(inst.node).name,
        inst.element
    );
    check_instance_with(sys, Some(g), inst, &name, 128, &|xs| {
        expected(g, run, inst, xs)
    })
}

/// Checks one chip instance for every input choice (the choices of
/// [`choices`] per input's range: all their combinations when there are at
/// most `exhaustive` of them, else each choice for every input at once and
/// a fixed sample of mixtures): with every
/// input in range exactly one assignment, whose output is `want(inputs)`;
/// a public input out of range, none; a copied one out of range, at most
/// one, equal to `want` (none when `want` is `None`). `name` names the
/// instance in failure messages.
pub fn check_instance_with(
    sys: &System<'_>,
    g: Option<&Graph>,
    inst: &Instance,
    name: &str,
    exhaustive: usize,
    want_of: &dyn Fn(&[Fp]) -> Option<Fp>,
) -> Report {
    let mut rep = Report {
        instances: 1,
        irrelevant: inst.irrelevant,
        ..Default::default()
    };
    let mut local_vars: Vec<Var> = inst.vars.clone();
    local_vars.extend(inst.inputs.iter().map(|i| i.var));
    let per: Vec<Vec<Fp>> = inst
        .inputs
        .iter()
        .map(|i| choices(i.bound, i.public))
        .collect();
    let honest = |v: Var| Some(sys.honest[v as usize]);
    for xs in combos(&per, exhaustive) {
        rep.input_choices += 1;
        let mut start = vec![None; inst.vars.len()];
        start.extend(xs.iter().map(|x| Some(*x)));
        let mut local = Local::new(
            sys,
            &honest,
            local_vars.clone(),
            inst.cons.clone(),
            Mode::Enumerate,
            vec![None; local_vars.len()],
            2_000_000,
        );
        let outcome = local.solve(start);
        rep.assignments += local.explored;
        let shown: Vec<String> = xs.iter().map(|x| show(*x)).collect();
        let ctx = format!("{name}, inputs [{}]", shown.join(", "));
        let leaves = match outcome {
            Outcome::Budget => {
                rep.failures.push(format!("{ctx}: search budget exhausted"));
                continue;
            }
            Outcome::Free(free) => {
                let names: Vec<String> = free
                    .iter()
                    .map(|&i| sys.describe(local.vars[i], g))
                    .collect();
                rep.failures.push(format!(
                    "{ctx}: free variable(s), p or more solutions: {}",
                    names.join("; ")
                ));
                continue;
            }
            Outcome::Leaves(l) => l,
        };
        let mut sols: Vec<Vec<Fp>> = leaves
            .into_iter()
            .filter(|l| l.complete)
            .map(|l| {
                l.values
                    .into_iter()
                    .map(|v| v.unwrap_or(Fp::zero()))
                    .collect()
            })
            .collect();
        sols.sort_by_key(|s| s.iter().map(key).collect::<Vec<_>>());
        sols.dedup();
        rep.solutions += sols.len() as u64;
        let all_in = inst
            .inputs
            .iter()
            .zip(&xs)
            .all(|(i, x)| in_range(*x, i.bound).is_some());
        let public_out = inst
            .inputs
            .iter()
            .zip(&xs)
            .any(|(i, x)| i.public && in_range(*x, i.bound).is_none());
        let want = want_of(&xs);
        let out_of = |s: &Vec<Fp>| inst.output.map(|o| s[o]);
        let describe_sols = |sols: &[Vec<Fp>]| -> String {
            sols.iter()
                .take(3)
                .map(|s| {
                    let cells: Vec<String> = s
                        .iter()
                        .take(inst.vars.len())
                        .enumerate()
                        .map(|(i, x)| {
                            let d = sys.describe(inst.vars[i], g);
                            let role = d.split(" of node").next().unwrap_or("").to_string();
                            format!("{role}={}", show(*x))
                        })
                        .collect();
                    format!("{{{}}}", cells.join(" "))
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let fail = if public_out {
            (!sols.is_empty()).then(|| {
                format!(
                    "{ctx}: public input out of range, yet {} assignment(s): {}",
                    sols.len(),
                    describe_sols(&sols)
                )
            })
        } else if all_in {
            if sols.len() != 1 {
                Some(format!(
                    "{ctx}: {} assignments, expected exactly one: {}",
                    sols.len(),
                    describe_sols(&sols)
                ))
            } else if want.is_none() || out_of(&sols[0]) != want {
                Some(format!(
                    "{ctx}: the unique assignment gives {}, the runtime {}",
                    out_of(&sols[0]).map_or("no output".into(), show),
                    want.map_or("refuses".into(), show)
                ))
            } else {
                None
            }
        } else if sols.len() > 1
            || (sols.len() == 1 && (want.is_none() || out_of(&sols[0]) != want))
        {
            Some(format!(
                "{ctx} (a copied input out of range): {} assignment(s), runtime {}: {}",
                sols.len(),
                want.map_or("refuses".into(), show),
                describe_sols(&sols)
            ))
        } else {
            None
        };
        rep.failures.extend(fail);
    }
    rep
}

/// Checks every element of each node of `nodes`.
pub fn check_nodes(
    sys: &System<'_>,
    g: &Graph,
    run: &IntRun,
    nodes: &[NodeId],
    label: &str,
) -> Result<Report, CircuitError> {
    let mut rep = Report::default();
    for &node in nodes {
        for e in 0..zkc_ir::numel(g.shape(node)) {
            let inst = instance(sys, g, node, e)?;
            rep.merge(check_instance(sys, g, run, &inst, label));
        }
    }
    Ok(rep)
}
