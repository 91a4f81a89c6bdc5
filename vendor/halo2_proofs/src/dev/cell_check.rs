//! zkc patch: fast single-cell checks for mutation testing.
//!
//! After `MockProver::run`, a mutation tool changes one advice cell and asks
//! whether some constraint now fails. A full `verify` re-checks every row;
//! these methods check only what can involve that cell: every gate and
//! lookup on the rows within rotation distance of it, and the copy cycle it
//! belongs to. They answer exactly "would `verify` report a failure", for
//! circuits whose queries use rotations within `-MAX_ROTATION..=MAX_ROTATION`.

use ff::Field;
use pasta_curves::arithmetic::VartimeField;

use super::{util, CellValue, InstanceValue, MockProver, Value};
use crate::plonk::{Any, Column, Expression};

/// Largest rotation distance checked around a mutated cell.
pub const MAX_ROTATION: i32 = 2;

/// Sorted lookup tables, built once per `MockProver`.
#[derive(Debug)]
pub struct CellChecker<F: Field> {
    tables: Vec<Vec<Vec<Value<F>>>>,
    fills: Vec<Vec<Value<F>>>,
}

impl<F: VartimeField + Ord> MockProver<F> {
    fn lookup_load(&self, expression: &Expression<F>, row: usize) -> Value<F> {
        let n = self.n as i32;
        expression.evaluate(
            &|scalar| Value::Real(scalar),
            &|_| panic!("virtual selectors are removed during optimization"),
            &|query| {
                let q = self.cs.fixed_queries[query.index];
                self.fixed[q.0.index()][(row as i32 + n + q.1 .0) as usize % n as usize].into()
            },
            &|query| {
                let q = self.cs.advice_queries[query.index];
                self.advice[q.0.index()][(row as i32 + n + q.1 .0) as usize % n as usize].into()
            },
            &|query| {
                let q = self.cs.instance_queries[query.index];
                Value::Real(self.instance[q.0.index()][(row as i32 + n + q.1 .0) as usize % n as usize].value())
            },
            &|a| -a,
            &|a, b| a + b,
            &|a, b| a * b,
            &|a, scalar| a * scalar,
        )
    }

    /// Builds the sorted lookup tables (they depend on fixed columns only in
    /// circuits whose tables are `TableColumn`s).
    pub fn cell_checker(&self) -> CellChecker<F> {
        let mut tables = vec![];
        let mut fills = vec![];
        for lookup in &self.cs.lookups {
            let fill: Vec<_> = lookup
                .table_expressions
                .iter()
                .map(|c| self.lookup_load(c, self.usable_rows.end - 1))
                .collect();
            let mut table: Vec<Vec<_>> = self
                .usable_rows
                .clone()
                .map(|r| lookup.table_expressions.iter().map(|c| self.lookup_load(c, r)).collect())
                .collect();
            table.sort_unstable();
            table.dedup();
            tables.push(table);
            fills.push(fill);
        }
        CellChecker { tables, fills }
    }

    /// The value of an advice cell (`None` if unassigned or poisoned).
    pub fn advice_value(&self, column: usize, row: usize) -> Option<F> {
        match self.advice.get(column)?.get(row)? {
            CellValue::Assigned(v) => Some(*v),
            _ => None,
        }
    }

    /// Sets the value of an advice cell.
    pub fn set_advice_value(&mut self, column: usize, row: usize, v: F) {
        if let Some(c) = self.advice.get_mut(column).and_then(|c| c.get_mut(row)) {
            *c = CellValue::Assigned(v);
        }
    }

    /// True when every gate and lookup on rows near `(column, row)` and the
    /// copy cycle of the advice cell `(column, row)` are satisfied.
    pub fn advice_cell_satisfied(&self, checker: &CellChecker<F>, column: usize, row: usize) -> bool {
        let n = self.n as i32;
        let rows: Vec<usize> = (-MAX_ROTATION..=MAX_ROTATION)
            .map(|d| ((row as i32 + d + n) % n) as usize)
            .collect();
        for gate in &self.cs.gates {
            for poly in gate.polynomials() {
                for &r in &rows {
                    let rr = r as i32 + n;
                    let v = poly.evaluate(
                        &|scalar| Value::Real(scalar),
                        &|_| panic!("virtual selectors are removed during optimization"),
                        &util::load(n, rr, &self.cs.fixed_queries, &self.fixed),
                        &util::load(n, rr, &self.cs.advice_queries, &self.advice),
                        &util::load_instance(n, rr, &self.cs.instance_queries, &self.instance),
                        &|a| -a,
                        &|a, b| a + b,
                        &|a, b| a * b,
                        &|a, scalar| a * scalar,
                    );
                    match v {
                        Value::Real(x) if x.is_zero_vartime() => {}
                        _ => return false,
                    }
                }
            }
        }
        for (i, lookup) in self.cs.lookups.iter().enumerate() {
            for &r in rows.iter().filter(|r| self.usable_rows.contains(r)) {
                let input: Vec<_> = lookup.input_expressions.iter().map(|c| self.lookup_load(c, r)).collect();
                if input != checker.fills[i] && checker.tables[i].binary_search(&input).is_err() {
                    return false;
                }
            }
        }
        // The copy cycle through this cell.
        let columns = self.cs.permutation.get_columns();
        let Some(pc) = columns
            .iter()
            .position(|c: &Column<Any>| *c.column_type() == Any::Advice && c.index() == column)
        else {
            return true;
        };
        let value = |c: usize, r: usize| -> CellValue<F> {
            let col = columns[c];
            match col.column_type() {
                Any::Advice => self.advice[col.index()][r],
                Any::Fixed => self.fixed[col.index()][r],
                Any::Instance => match self.instance[col.index()][r] {
                    InstanceValue::Assigned(v) => CellValue::Assigned(v),
                    InstanceValue::Padding => CellValue::Assigned(F::ZERO),
                },
            }
        };
        let start = (pc, row);
        let v0 = value(pc, row);
        let mut cur = self.permutation.mapping[pc][row];
        while cur != start {
            if value(cur.0, cur.1) != v0 {
                return false;
            }
            cur = self.permutation.mapping[cur.0][cur.1];
        }
        true
    }
}
