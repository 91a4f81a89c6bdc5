//! Function-table chip: `y = f(x)` for the IR's `table` ops (sigmoid, tanh,
//! leaky ReLU). A fixed table holds `(id, x, f(x))` for every table op `id`
//! and every input in its range; a lane row looks up `(id, x, y)`, so `y`
//! can only be the tabulated value.

use halo2_proofs::circuit::{Layouter, Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed, TableColumn};
use halo2_proofs::poly::Rotation;

use crate::assign::{ACell, Assigner};
use crate::field::fp64;

/// Columns of the function table and its lookup lane.
#[derive(Clone, Debug)]
pub struct TableConfig {
    /// Input.
    pub x: Column<Advice>,
    /// Output.
    pub y: Column<Advice>,
    /// Table id on used rows, 0 on idle rows.
    pub id: Column<Fixed>,
    /// Table columns `(id, x, f(x))`.
    pub table: [TableColumn; 3],
}

/// One table: its id, first input and outputs.
pub struct FunctionTable<'a> {
    /// Id (1-based) in the shared table.
    pub id: u64,
    /// Smallest input.
    pub lo: i64,
    /// Outputs from `lo` on.
    pub values: &'a [i64],
}

/// What layers ask of the table chip.
pub trait TableInstructions {
    /// Looks up `y = f_id(x)` at `row` (`y` from the trace).
    fn apply(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        id: u64,
        x: &ACell,
        y: Value<Fp>,
    ) -> Result<ACell, Error>;
}

impl TableConfig {
    /// Allocates the lane, the table and the lookup.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        let c = TableConfig {
            x: meta.advice_column(),
            y: meta.advice_column(),
            id: meta.fixed_column(),
            table: [
                meta.lookup_table_column(),
                meta.lookup_table_column(),
                meta.lookup_table_column(),
            ],
        };
        meta.enable_equality(c.x);
        meta.enable_equality(c.y);
        meta.lookup(|v| {
            vec![
                (v.query_fixed(c.id), c.table[0]),
                (v.query_advice(c.x, Rotation::cur()), c.table[1]),
                (v.query_advice(c.y, Rotation::cur()), c.table[2]),
            ]
        });
        c
    }

    /// Loads every table (plus the idle row `(0, 0, 0)`).
    pub fn load(
        &self,
        layouter: &mut impl Layouter<Fp>,
        tables: &[FunctionTable<'_>],
    ) -> Result<(), Error> {
        layouter.assign_table(
            || "function tables",
            |mut t| {
                let mut row = 0;
                let mut put = |t: &mut halo2_proofs::circuit::Table<'_, Fp>,
                               vals: [Fp; 3]|
                 -> Result<(), Error> {
                    for (col, v) in self.table.iter().zip(vals) {
                        t.assign_cell(|| "f", *col, row, || Value::known(v))?;
                    }
                    row += 1;
                    Ok(())
                };
                put(&mut t, [Fp::zero(); 3])?;
                for f in tables {
                    for (i, &v) in f.values.iter().enumerate() {
                        put(&mut t, [Fp::from(f.id), fp64(f.lo + i as i64), fp64(v)])?;
                    }
                }
                Ok(())
            },
        )
    }
}

impl TableInstructions for TableConfig {
    fn apply(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        id: u64,
        x: &ACell,
        y: Value<Fp>,
    ) -> Result<ACell, Error> {
        a.copy(region, "table.x", x, self.x, row)?;
        region.assign_fixed(|| "id", self.id, row, || Value::known(Fp::from(id)))?;
        a.advice(region, "table.y", self.y, row, y)
    }
}
