//! Recording a synthesized circuit: the real constraint system (gates and
//! lookups read from halo2's [`ConstraintSystem`]) and everything synthesis
//! wrote (fixed values, the honest advice values, instance values, copy
//! constraints, table contents), captured by an [`Assignment`]
//! implementation driven exactly the way `MockProver::run` drives one.

use std::sync::{Arc, Mutex};

use halo2_proofs::circuit::Value;
use halo2_proofs::pasta::group::ff::PrimeField;
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{
    Advice, Any, Assigned, Assignment, Circuit, Column, ConstraintSystem, Error, Expression, Fixed,
    FloorPlanner, Instance, Selector,
};

use crate::assign::CellRecord;
use crate::circuit::ModelCircuit;
use crate::shape::ShapeGuard;
use crate::CircuitError;

/// The kind of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Advice (witness) column.
    Advice,
    /// Fixed column.
    Fixed,
    /// Instance (public) column.
    Instance,
}

/// A cell: column kind, column index and absolute row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellAt {
    /// Column kind.
    pub kind: Kind,
    /// Column index among the columns of its kind.
    pub column: usize,
    /// Row.
    pub row: usize,
}

/// A gate as configured: name, constraint names, polynomials.
#[derive(Clone, Debug)]
pub struct GateRecord {
    /// Gate name.
    pub name: &'static str,
    /// Constraint names (empty strings when unnamed), parallel to `polys`.
    pub constraint_names: Vec<&'static str>,
    /// Constraint polynomials (must vanish at every row).
    pub polys: Vec<Expression<Fp>>,
}

/// A lookup argument as configured, with its table's distinct rows.
#[derive(Clone, Debug)]
pub struct LookupRecord {
    /// Position among the lookup arguments.
    pub index: usize,
    /// Input expressions.
    pub inputs: Vec<Expression<Fp>>,
    /// Table expressions.
    pub table_exprs: Vec<Expression<Fp>>,
    /// The distinct tuples the table expressions take over the usable rows,
    /// sorted by their canonical encoding.
    pub table: Vec<Vec<Fp>>,
}

/// Everything [`record`] captured about one synthesized circuit.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// log2 of the number of rows.
    pub k: u32,
    /// Rows (`2^k`).
    pub n: usize,
    /// Rows where lookups and copies apply (`n - blinding - 1`); advice
    /// cells of later rows are random in a real proof.
    pub usable_rows: usize,
    /// Fixed values per column and row (`None`: never assigned, which is 0).
    pub fixed: Vec<Vec<Option<Fp>>>,
    /// Honest advice values per column and row (`None`: never assigned).
    pub advice: Vec<Vec<Option<Fp>>>,
    /// Instance values per column, padded with zeros to `n` rows.
    pub instance: Vec<Vec<Fp>>,
    /// Number of leading rows of instance column 0 that hold graph inputs
    /// (known to the verifier as the statement's inputs); the rest of the
    /// public values are outputs.
    pub input_rows: usize,
    /// Public values given (inputs then outputs).
    pub instance_len: usize,
    /// Selector enables per selector and row.
    pub selectors: Vec<Vec<bool>>,
    /// Every copy constraint.
    pub copies: Vec<(CellAt, CellAt)>,
    /// The gates.
    pub gates: Vec<GateRecord>,
    /// The lookup arguments.
    pub lookups: Vec<LookupRecord>,
    /// Equality-enabled columns.
    pub equality: Vec<(Kind, usize)>,
    /// The assigner's log of advice cells (role, node, element).
    pub log: Vec<CellRecord>,
}

impl Recorded {
    /// The fixed value at `(column, row)` (0 when unassigned).
    pub fn fixed_at(&self, column: usize, row: usize) -> Fp {
        self.fixed[column][row].unwrap_or(Fp::zero())
    }

    /// The honest value of an advice cell (0 when unassigned).
    pub fn advice_at(&self, column: usize, row: usize) -> Fp {
        self.advice[column][row].unwrap_or(Fp::zero())
    }

    /// The log record of an advice cell, if the assigner logged it.
    pub fn record_of(&self, column: usize, row: usize) -> Option<&CellRecord> {
        self.log.iter().find(|r| r.column == column && r.row == row)
    }
}

/// The number of public values that are graph inputs (they come first in
/// [`crate::instance_of`]).
pub fn input_rows(g: &zkc_ir::Graph) -> usize {
    if g.private_io.input {
        // private inputs are no public values: the commitment binds them
        return 0;
    }
    g.inputs_list()
        .iter()
        .map(|&i| zkc_ir::numel(g.shape(i)))
        .sum()
}

fn kind_of(c: &Column<Any>) -> Kind {
    match c.column_type() {
        Any::Advice => Kind::Advice,
        Any::Fixed => Kind::Fixed,
        Any::Instance => Kind::Instance,
    }
}

struct Recorder {
    n: usize,
    usable: usize,
    fixed: Vec<Vec<Option<Fp>>>,
    advice: Vec<Vec<Option<Fp>>>,
    instance: Vec<Vec<Fp>>,
    selectors: Vec<Vec<bool>>,
    copies: Vec<(CellAt, CellAt)>,
}

fn value_of<VR: Into<Assigned<Fp>>>(v: Value<VR>) -> Result<Fp, Error> {
    let mut out = None;
    let _ = v.map(|x| out = Some(x.into().evaluate()));
    out.ok_or(Error::Synthesis)
}

impl Assignment<Fp> for Recorder {
    fn enter_region<NR, N>(&mut self, _: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
    }

    fn exit_region(&mut self) {}

    fn enable_selector<A, AR>(&mut self, _: A, s: &Selector, row: usize) -> Result<(), Error>
    where
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        if row >= self.usable {
            return Err(Error::Synthesis);
        }
        self.selectors[s.index()][row] = true;
        Ok(())
    }

    fn query_instance(&self, column: Column<Instance>, row: usize) -> Result<Value<Fp>, Error> {
        if row >= self.usable {
            return Err(Error::Synthesis);
        }
        self.instance
            .get(column.index())
            .and_then(|c| c.get(row))
            .map(|v| Value::known(*v))
            .ok_or(Error::BoundsFailure)
    }

    fn assign_advice<V, VR, A, AR>(
        &mut self,
        _: A,
        column: Column<Advice>,
        row: usize,
        to: V,
    ) -> Result<(), Error>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<Fp>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        if row >= self.usable {
            return Err(Error::Synthesis);
        }
        let v = value_of(to())?;
        *self
            .advice
            .get_mut(column.index())
            .and_then(|c| c.get_mut(row))
            .ok_or(Error::BoundsFailure)? = Some(v);
        Ok(())
    }

    fn assign_fixed<V, VR, A, AR>(
        &mut self,
        _: A,
        column: Column<Fixed>,
        row: usize,
        to: V,
    ) -> Result<(), Error>
    where
        V: FnOnce() -> Value<VR>,
        VR: Into<Assigned<Fp>>,
        A: FnOnce() -> AR,
        AR: Into<String>,
    {
        if row >= self.usable {
            return Err(Error::Synthesis);
        }
        let v = value_of(to())?;
        *self
            .fixed
            .get_mut(column.index())
            .and_then(|c| c.get_mut(row))
            .ok_or(Error::BoundsFailure)? = Some(v);
        Ok(())
    }

    fn copy(
        &mut self,
        left: Column<Any>,
        left_row: usize,
        right: Column<Any>,
        right_row: usize,
    ) -> Result<(), Error> {
        if left_row >= self.usable || right_row >= self.usable {
            return Err(Error::Synthesis);
        }
        let cell = |c: &Column<Any>, row| CellAt {
            kind: kind_of(c),
            column: c.index(),
            row,
        };
        self.copies
            .push((cell(&left, left_row), cell(&right, right_row)));
        Ok(())
    }

    fn fill_from_row(
        &mut self,
        column: Column<Fixed>,
        from_row: usize,
        to: Value<Assigned<Fp>>,
    ) -> Result<(), Error> {
        if from_row >= self.usable {
            return Err(Error::Synthesis);
        }
        let v = value_of(to)?;
        let col = self
            .fixed
            .get_mut(column.index())
            .ok_or(Error::BoundsFailure)?;
        for cell in &mut col[from_row..self.usable] {
            *cell = Some(v);
        }
        Ok(())
    }

    fn push_namespace<NR, N>(&mut self, _: N)
    where
        NR: Into<String>,
        N: FnOnce() -> NR,
    {
    }

    fn pop_namespace(&mut self, _: Option<String>) {}
}

/// The canonical encoding of a field element (for sorting and hashing).
pub fn key(x: &Fp) -> [u8; 32] {
    let mut k = [0u8; 32];
    k.copy_from_slice(x.to_repr().as_ref());
    k
}

fn eval_fixed(e: &Expression<Fp>, rec: &Recorder, row: usize) -> Result<Fp, CircuitError> {
    let n = rec.n;
    let bad =
        || CircuitError::Unsupported("a lookup table expression reads a non-fixed cell".into());
    let at = |rot: i32| (row as i64 + i64::from(rot)).rem_euclid(n as i64) as usize;
    let ok: Result<Fp, ()> = e.evaluate(
        &|c| Ok(c),
        &|s| {
            Ok(if rec.selectors[s.index()][row] {
                Fp::one()
            } else {
                Fp::zero()
            })
        },
        &|q| Ok(rec.fixed[q.column_index()][at(q.rotation().0)].unwrap_or(Fp::zero())),
        &|_| Err(()),
        &|_| Err(()),
        &|a: Result<Fp, ()>| a.map(|a| -a),
        &|a, b| Ok(a? + b?),
        &|a, b| Ok(a? * b?),
        &|a, f| a.map(|a| a * f),
    );
    ok.map_err(|_| bad())
}

/// Records `c` (which must carry a witness) with public values `instance`:
/// configures a constraint system under the plan's shape, runs the
/// circuit's floor planner on a recording [`Assignment`] (as
/// `MockProver::run` does), and returns the gates, lookups (with their
/// tables' contents), equality columns, fixed, advice and instance values,
/// copy constraints and the assigner log. Fails when synthesis fails (e.g.
/// no witness) or the instance does not fit the usable rows.
/// `input_rows` is the number of leading public values that are graph
/// inputs ([`input_rows`] of the circuit's graph).
pub fn record(
    c: &ModelCircuit,
    instance: &[Fp],
    input_rows: usize,
) -> Result<Recorded, CircuitError> {
    if input_rows > instance.len() {
        return Err(CircuitError::Invalid(
            "more input rows than public values".into(),
        ));
    }
    let plan = c.plan();
    let _g = ShapeGuard::set(plan.shape);
    let k = plan.k;
    let n = 1usize << k;
    let mut cs = ConstraintSystem::<Fp>::default();
    let config = ModelCircuit::configure(&mut cs);
    if n < cs.minimum_rows() {
        return Err(CircuitError::Unsupported(format!("2^{k} rows are too few")));
    }
    let usable = n - (cs.blinding_factors() + 1);
    if instance.len() > usable || cs.num_instance_columns() != 1 {
        return Err(CircuitError::Invalid("the instance does not fit".into()));
    }
    let mut inst = vec![Fp::zero(); n];
    inst[..instance.len()].copy_from_slice(instance);
    let mut rec = Recorder {
        n,
        usable,
        fixed: vec![vec![None; n]; cs.num_fixed_columns()],
        advice: vec![vec![None; n]; cs.num_advice_columns()],
        instance: vec![inst],
        selectors: vec![vec![false; n]; cs.num_selectors()],
        copies: vec![],
    };
    let log = Arc::new(Mutex::new(vec![]));
    let logging = c.logging(log.clone());
    let constants = cs.constant_columns().to_vec();
    <ModelCircuit as Circuit<Fp>>::FloorPlanner::synthesize(&mut rec, &logging, config, constants)
        .map_err(|e| CircuitError::Halo2(format!("synthesis: {e:?}")))?;
    let gates = cs
        .gates()
        .into_iter()
        .map(|g| GateRecord {
            name: g.name,
            constraint_names: g.constraint_names.clone(),
            polys: g.polynomials.to_vec(),
        })
        .collect();
    let mut lookups = vec![];
    for l in cs.lookups() {
        let mut rows: Vec<Vec<Fp>> = vec![];
        for row in 0..usable {
            let t: Vec<Fp> = l
                .table_expressions
                .iter()
                .map(|e| eval_fixed(e, &rec, row))
                .collect::<Result<_, _>>()?;
            rows.push(t);
        }
        rows.sort_by_key(|t| t.iter().map(key).collect::<Vec<_>>());
        rows.dedup();
        lookups.push(LookupRecord {
            index: l.index,
            inputs: l.input_expressions.to_vec(),
            table_exprs: l.table_expressions.to_vec(),
            table: rows,
        });
    }
    let equality = cs
        .equality_columns()
        .iter()
        .map(|c| (kind_of(c), c.index()))
        .collect();
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    Ok(Recorded {
        k,
        n,
        usable_rows: usable,
        fixed: rec.fixed,
        advice: rec.advice,
        instance: rec.instance,
        input_rows,
        instance_len: instance.len(),
        selectors: rec.selectors,
        copies: rec.copies,
        gates,
        lookups,
        equality,
        log,
    })
}
