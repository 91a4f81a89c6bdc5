//! Cell assignment with an optional tamper hook (for soundness tests: a
//! chosen advice cell gets a wrong value, and the proof must fail) and an
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

/// The index halo2 gave an advice column (from its `Debug` form, since
/// `Column::index` is private in halo2_proofs 0.4).
pub fn column_index(col: Column<Advice>) -> usize {
    let d = format!("{col:?}");
    d.split("index: ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

/// One advice cell the circuit wrote: which chip, column and row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CellRecord {
    /// The chip (and role) that owns the cell, e.g. `rescale.r`.
    pub role: &'static str,
    /// Advice column index.
    pub column: usize,
    /// Row in the model region.
    pub row: usize,
}

/// Assigns advice cells, applying a [`Tamper`] and logging when asked.
#[derive(Default)]
pub struct Assigner {
    tamper: Option<Tamper>,
    log: Option<RefCell<Vec<CellRecord>>>,
}

/// An assigned cell of the circuit's field.
pub type ACell = AssignedCell<Fp, Fp>;

impl Assigner {
    /// An assigner with an optional tamper and an optional log.
    pub fn new(tamper: Option<Tamper>, log: bool) -> Self {
        Assigner {
            tamper,
            log: log.then(|| RefCell::new(vec![])),
        }
    }

    fn adjust(&self, col: Column<Advice>, row: usize, v: Value<Fp>) -> Value<Fp> {
        match self.tamper {
            Some(t) if t.row == row && t.column == column_index(col) => {
                v.map(|x| x + crate::field::fp64(t.delta))
            }
            _ => v,
        }
    }

    fn record(&self, role: &'static str, col: Column<Advice>, row: usize) {
        if let Some(log) = &self.log {
            log.borrow_mut().push(CellRecord {
                role,
                column: column_index(col),
                row,
            });
        }
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

    /// The cells written so far (empty unless logging).
    pub fn take_log(&self) -> Vec<CellRecord> {
        self.log.as_ref().map(|l| l.take()).unwrap_or_default()
    }
}
