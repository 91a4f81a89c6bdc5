//! Cell assignment with an adversarial-prover hook (for soundness tests:
//! chosen advice cells get chosen values, any field element, including
//! cells the honest layout never writes, and the proof must fail) and an
//! optional log of every advice cell written (for mutation testing).

use std::cell::RefCell;

use halo2_proofs::circuit::{AssignedCell, Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, Error};

/// Adds `delta` to the advice cell at `(column index, row)` of the region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tamper {
    /// Advice column index (`Column::index()`).
    pub column: usize,
    /// Row in the model region.
    pub row: usize,
    /// Added to the honest value.
    pub delta: i64,
}

/// The index halo2 gave an advice column (`Column::index`, public in the
/// vendored halo2; see ZKC-PATCH.md).
pub fn column_index(col: Column<Advice>) -> usize {
    col.index()
}

/// One advice cell the circuit wrote: which chip, column and row, and for
/// which node and element of the graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellRecord {
    /// The chip (and role) that owns the cell, e.g. `rescale.r`.
    pub role: &'static str,
    /// Advice column index.
    pub column: usize,
    /// Row in the model region.
    pub row: usize,
    /// The graph node being laid out (`None` for padding rows).
    pub node: Option<zkc_ir::NodeId>,
    /// The element of that node.
    pub element: usize,
}

/// Sets the advice cell at `(column index, row)` of the model region to
/// `value`, whatever the honest witness holds there (or whether the honest
/// layout writes it at all): what a malicious prover can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forge {
    /// Advice column index (`Column::index()`).
    pub column: usize,
    /// Row in the model region.
    pub row: usize,
    /// The value written.
    pub value: halo2_proofs::pasta::Fp,
}

/// Assigns advice cells, applying [`Tamper`]s and [`Forge`]s and logging
/// when asked.
#[derive(Default)]
pub struct Assigner {
    tamper: Vec<Tamper>,
    forge: Vec<Forge>,
    written: RefCell<std::collections::HashSet<(usize, usize)>>,
    log: Option<RefCell<Vec<CellRecord>>>,
    at: std::cell::Cell<(Option<zkc_ir::NodeId>, usize)>,
}

/// An assigned cell of the circuit's field.
pub type ACell = AssignedCell<Fp, Fp>;

impl Assigner {
    /// An assigner with tampered and forged cells and an optional log.
    pub fn new(tamper: Vec<Tamper>, forge: Vec<Forge>, log: bool) -> Self {
        Assigner {
            tamper,
            forge,
            written: RefCell::default(),
            log: log.then(|| RefCell::new(vec![])),
            at: std::cell::Cell::new((None, 0)),
        }
    }

    /// Sets the node and element the next cells belong to (for the log).
    pub fn at(&self, node: Option<zkc_ir::NodeId>, element: usize) {
        self.at.set((node, element));
    }

    fn adjust(&self, col: Column<Advice>, row: usize, v: Value<Fp>) -> Value<Fp> {
        if self.tamper.is_empty() && self.forge.is_empty() {
            return v;
        }
        let c = column_index(col);
        if !self.forge.is_empty() {
            self.written.borrow_mut().insert((c, row));
        }
        if let Some(f) = self
            .forge
            .iter()
            .rev()
            .find(|f| f.row == row && f.column == c)
        {
            return Value::known(f.value);
        }
        let delta: i64 = self
            .tamper
            .iter()
            .filter(|t| t.row == row && t.column == c)
            .map(|t| t.delta)
            .sum();
        if delta == 0 {
            v
        } else {
            v.map(|x| x + crate::field::fp64(delta))
        }
    }

    fn record(&self, role: &'static str, col: Column<Advice>, row: usize) {
        if let Some(log) = &self.log {
            let (node, element) = self.at.get();
            log.borrow_mut().push(CellRecord {
                role,
                column: column_index(col),
                row,
                node,
                element,
            });
        }
    }

    /// Logs a cell assigned outside the assigner (e.g. from the instance).
    pub fn note(&self, role: &'static str, col: Column<Advice>, row: usize) {
        self.record(role, col, row);
    }

    /// Assigns `v` to `(col, row)`.
    pub fn advice(
        &self,
        region: &mut Region<'_, Fp>,
        role: &'static str,
        col: Column<Advice>,
        row: usize,
        v: Value<Fp>,
    ) -> Result<ACell, Error> {
        self.record(role, col, row);
        let v = self.adjust(col, row, v);
        region.assign_advice(|| role, col, row, || v)
    }

    /// Copies `cell` to `(col, row)` with an equality constraint.
    pub fn copy(
        &self,
        region: &mut Region<'_, Fp>,
        role: &'static str,
        cell: &ACell,
        col: Column<Advice>,
        row: usize,
    ) -> Result<ACell, Error> {
        let c = self.advice(region, role, col, row, cell.value().copied())?;
        region.constrain_equal(cell.cell(), c.cell())?;
        Ok(c)
    }

    /// The forged cells the layout has not written (so far in this pass).
    pub fn unwritten_forges(&self) -> Vec<Forge> {
        let w = self.written.borrow();
        self.forge
            .iter()
            .filter(|f| !w.contains(&(f.column, f.row)))
            .copied()
            .collect()
    }

    /// Forgets which cells were written (the floor planner runs a region
    /// twice).
    pub fn start_pass(&self) {
        self.written.borrow_mut().clear();
    }

    /// The cells written (empty unless logging), each once: the floor
    /// planner runs the region twice (once to measure it), so repeated
    /// `(column, row)` records are merged.
    pub fn take_log(&self) -> Vec<CellRecord> {
        let all = self.log.as_ref().map(|l| l.take()).unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        let mut out: Vec<CellRecord> = all
            .into_iter()
            .rev()
            .filter(|r| seen.insert((r.column, r.row)))
            .collect();
        out.reverse();
        out
    }
}
