//! Mechanical soundness checks of the circuit, read from the real
//! constraint system and the real synthesis (never a hand-written mirror
//! of the gates):
//!
//! - [`record::record`] captures a synthesized circuit: gates, lookups and
//!   their tables, equality columns, fixed / advice / instance values, copy
//!   constraints, the assigner log;
//! - [`system::System`] turns it into active constraint instances over
//!   variables (cells joined by copies);
//! - [`uniqueness`] checks chip by chip, exhaustively at small widths, that
//!   the inputs of a chip instance determine exactly one assignment of its
//!   other cells, equal to the integer runtime's value;
//!   [`statement_uniqueness`] does the same for a dataset circuit's
//!   statement chip, sample by sample.
//!
//! - [`determinacy`] checks a whole model: the verifier's values (fixed
//!   cells, public inputs) determine every variable of the circuit.

pub mod determinacy;
pub mod linear;
pub mod poly;
pub mod record;
pub mod roots;
pub mod solve;
pub mod statement_uniqueness;
pub mod system;
pub mod uniqueness;

use std::sync::Arc;

use halo2_proofs::pasta::Fp;
use zkc_ir::{Graph, NodeId};
use zkc_runtime::IntRun;

use crate::plan::{plan_with, prepare};
use crate::{instance_of, CircuitError, CircuitShape, ModelCircuit};

/// A circuit of `g` laid out with `shape` and a `t`-bit range table, with
/// the witness of `inputs`: the circuit, its public values and the trace.
pub fn small_circuit(
    g: &Graph,
    shape: CircuitShape,
    t: u32,
    inputs: &[Vec<i64>],
) -> Result<(ModelCircuit, Vec<Fp>, IntRun), CircuitError> {
    let prepared = prepare(g, shape.mac_lanes)?;
    let plan = plan_with(&prepared, shape, t).map_err(|why| {
        CircuitError::Unsupported(format!(
            "no plan with {} and t = {t}: {why}",
            shape.describe()
        ))
    })?;
    let run = zkc_runtime::run_int(g, inputs).map_err(|e| CircuitError::Invalid(e.to_string()))?;
    let mut inst =
        instance_of(g, &run).ok_or_else(|| CircuitError::Invalid("no public values".into()))?;
    let private = plan.shape.is_private();
    let mut c = ModelCircuit::new(
        Arc::new(g.clone()),
        Arc::new(plan),
        Some(Arc::new(run.clone())),
    );
    // a model with private parameters: a fixed salt and its commitment
    if private {
        let salt = Fp::from(0x5a17);
        inst.push(crate::commitment::commitment(g, salt)?);
        c = c.with_salt(salt);
    }
    // private inputs and outputs: fixed salts and their commitments
    let io = g.private_io;
    let salt_of = |on: bool, s: u64| on.then(|| Fp::from(s));
    let (si, so) = (salt_of(io.input, 0x1a17), salt_of(io.output, 0x0a17));
    for (part, salt) in [
        (crate::commitment::Part::Input, si),
        (crate::commitment::Part::Output, so),
    ] {
        if let Some(salt) = salt {
            inst.push(crate::commitment::io_commitment(g, &run, part, salt)?);
        }
    }
    if io.any() {
        c = c.with_io_salts(si, so);
    }
    Ok((c, inst, run))
}

/// Records the circuit of `g` (as [`small_circuit`]) and checks the
/// uniqueness of every element of each of `nodes` ([`uniqueness`]). A gate
/// or lookup the honest witness violates is reported as a failure too.
/// `label` names the configuration in failure messages.
pub fn check_uniqueness(
    g: &Graph,
    shape: CircuitShape,
    t: u32,
    inputs: &[Vec<i64>],
    nodes: &[NodeId],
    label: &str,
) -> Result<uniqueness::Report, CircuitError> {
    let (c, inst, run) = small_circuit(g, shape, t, inputs)?;
    let rec = record::record(&c, &inst, record::input_rows(g))?;
    let sys = system::System::build_with(&rec, false)?;
    let mut rep = uniqueness::check_nodes(&sys, g, &run, nodes, label)?;
    for v in &sys.violations {
        rep.failures
            .push(format!("{label}: incomplete circuit: {v}"));
    }
    Ok(rep)
}

/// Records the circuit of `g` (planned as `zkc_circuit::plan` does, with
/// the witness of `inputs`) and runs the whole-model [`determinacy`] check.
pub fn check_determinacy(
    g: &Graph,
    inputs: &[Vec<i64>],
) -> Result<determinacy::Report, CircuitError> {
    let plan = crate::plan(g)?;
    let run = zkc_runtime::run_int(g, inputs).map_err(|e| CircuitError::Invalid(e.to_string()))?;
    let inst =
        instance_of(g, &run).ok_or_else(|| CircuitError::Invalid("no public values".into()))?;
    let c = ModelCircuit::new(Arc::new(g.clone()), Arc::new(plan), Some(Arc::new(run)));
    let rec = record::record(&c, &inst, record::input_rows(g))?;
    let sys = system::System::build(&rec)?;
    Ok(determinacy::check(&sys, Some(g)))
}

/// [`check_determinacy`] of a model with private parameters: records the
/// circuit with a fixed salt and its commitment, then takes the committed
/// cells (every private value's slots, and the salt) as given, since the
/// commitment binds them rather than determines them, and checks that they
/// and the verifier's values determine every other cell: the rebuilt
/// values, the packing, the model, and every cell of the Poseidon chips.
pub fn check_determinacy_private(
    g: &Graph,
    inputs: &[Vec<i64>],
) -> Result<determinacy::Report, CircuitError> {
    let plan = crate::plan(g)?;
    let run = zkc_runtime::run_int(g, inputs).map_err(|e| CircuitError::Invalid(e.to_string()))?;
    let mut inst =
        instance_of(g, &run).ok_or_else(|| CircuitError::Invalid("no public values".into()))?;
    let salt = Fp::from(0x5a17);
    inst.push(crate::commitment::commitment(g, salt)?);
    let c =
        ModelCircuit::new(Arc::new(g.clone()), Arc::new(plan), Some(Arc::new(run))).with_salt(salt);
    check_determinacy_given(
        &c,
        &inst,
        g,
        &["commit.v", "commit.salt"],
        record::input_rows(g),
    )
}

/// The whole-circuit [`determinacy`] check of any circuit of `g` (a
/// dataset circuit too) with its public values `inst`, of which the first
/// `input_rows` are given (the rest, outputs or a statement's total, must
/// be determined), taking the cells logged with one of the `given` roles
/// as known (the committed cells, which the commitment binds rather than
/// determines).
pub fn check_determinacy_given(
    c: &ModelCircuit,
    inst: &[Fp],
    g: &Graph,
    given: &[&str],
    input_rows: usize,
) -> Result<determinacy::Report, CircuitError> {
    let rec = record::record(c, inst, input_rows)?;
    let mut sys = system::System::build(&rec)?;
    let known: Vec<usize> = rec
        .log
        .iter()
        .filter(|r| given.contains(&r.role))
        .filter_map(|r| {
            let cell = record::CellAt {
                kind: record::Kind::Advice,
                column: r.column,
                row: r.row,
            };
            system::cell_id(&rec, cell).and_then(|id| sys.var_of.get(&id).copied())
        })
        .map(|v| v as usize)
        .collect();
    for v in known {
        sys.known[v] = Some(sys.honest[v]);
    }
    Ok(determinacy::check(&sys, Some(g)))
}
