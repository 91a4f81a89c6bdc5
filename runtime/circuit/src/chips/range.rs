//! The tagged range table: rows `(t, v)` for `0 <= v < 2^t`, for every bit
//! width `t` some check of the circuit uses (and `(0, 0)` for idle rows).
//! A lookup of `(t, e)` proves `0 <= e < 2^t` for an expression `e`.

use std::collections::BTreeSet;

use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{ConstraintSystem, Error, TableColumn};

/// Columns of the range table.
#[derive(Clone, Copy, Debug)]
pub struct RangeTableConfig {
    /// Bit width `t`.
    pub tag: TableColumn,
    /// A value below `2^t`.
    pub value: TableColumn,
}

/// Number of rows the table needs for the given widths.
pub fn table_rows(tags: &BTreeSet<u32>) -> usize {
    1 + tags
        .iter()
        .filter(|&&t| t > 0)
        .map(|&t| 1usize << t)
        .sum::<usize>()
}

impl RangeTableConfig {
    /// Allocates the table columns.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        RangeTableConfig {
            tag: meta.lookup_table_column(),
            value: meta.lookup_table_column(),
        }
    }

    /// Fills the table for the widths in `tags`.
    pub fn load(
        &self,
        layouter: &mut impl Layouter<Fp>,
        tags: &BTreeSet<u32>,
    ) -> Result<(), Error> {
        layouter.assign_table(
            || "range table",
            |mut t| {
                let mut row = 0;
                t.assign_cell(|| "tag", self.tag, row, || Value::known(Fp::zero()))?;
                t.assign_cell(|| "value", self.value, row, || Value::known(Fp::zero()))?;
                row += 1;
                for &bits in tags.iter().filter(|&&b| b > 0) {
                    for v in 0..(1u64 << bits) {
                        t.assign_cell(
                            || "tag",
                            self.tag,
                            row,
                            || Value::known(Fp::from(u64::from(bits))),
                        )?;
                        t.assign_cell(|| "value", self.value, row, || Value::known(Fp::from(v)))?;
                        row += 1;
                    }
                }
                Ok(())
            },
        )
    }
}
