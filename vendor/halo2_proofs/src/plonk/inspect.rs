//! zkc patch: read-only access to a configured [`ConstraintSystem`] (its
//! gates, lookup arguments, equality-enabled columns and column counts) and
//! to the columns and rotations of queries, so that a circuit's real
//! constraints can be analysed (e.g. checked for under-constrained cells)
//! without a hand-written copy of its gates. Nothing here changes how
//! circuits are built, proved or verified.

use ff::Field;

use super::circuit::{
    AdviceQuery, Any, Column, ConstraintSystem, Expression, Fixed, FixedQuery, InstanceQuery,
    Selector, TableColumn,
};
use crate::poly::Rotation;

/// One gate of a constraint system: its name and its constraints (each a
/// polynomial that must vanish on every row of the domain).
#[derive(Clone, Debug)]
pub struct GateView<'a, F: Field> {
    /// The gate's name (as given to `create_gate`).
    pub name: &'static str,
    /// The name of each constraint (empty when unnamed), parallel to `polynomials`.
    pub constraint_names: Vec<&'static str>,
    /// The constraint polynomials.
    pub polynomials: &'a [Expression<F>],
}

/// One lookup argument: at every usable row, the tuple of its input
/// expressions must equal the tuple of its table expressions at some row.
#[derive(Clone, Copy, Debug)]
pub struct LookupView<'a, F: Field> {
    /// The argument's position in the constraint system (halo2_proofs 0.4
    /// lookups have no names).
    pub index: usize,
    /// Input expressions.
    pub input_expressions: &'a [Expression<F>],
    /// Table expressions (queries of table columns), parallel to the inputs.
    pub table_expressions: &'a [Expression<F>],
}

impl<F: Field> ConstraintSystem<F> {
    /// The gates, in creation order.
    pub fn gates(&self) -> Vec<GateView<'_, F>> {
        self.gates
            .iter()
            .map(|g| GateView {
                name: g.name(),
                constraint_names: (0..g.polynomials().len())
                    .map(|i| g.constraint_name(i))
                    .collect(),
                polynomials: g.polynomials(),
            })
            .collect()
    }

    /// The lookup arguments, in creation order.
    pub fn lookups(&self) -> Vec<LookupView<'_, F>> {
        self.lookups
            .iter()
            .enumerate()
            .map(|(index, l)| LookupView {
                index,
                input_expressions: &l.input_expressions,
                table_expressions: &l.table_expressions,
            })
            .collect()
    }

    /// The columns taking part in the permutation (equality) argument.
    pub fn equality_columns(&self) -> Vec<Column<Any>> {
        self.permutation.get_columns()
    }

    /// The fixed columns enabled for global constants.
    pub fn constant_columns(&self) -> &[Column<Fixed>] {
        &self.constants
    }

    /// Number of fixed columns (before selector compression).
    pub fn num_fixed_columns(&self) -> usize {
        self.num_fixed_columns
    }

    /// Number of advice columns.
    pub fn num_advice_columns(&self) -> usize {
        self.num_advice_columns
    }

    /// Number of instance columns.
    pub fn num_instance_columns(&self) -> usize {
        self.num_instance_columns
    }

    /// Number of selectors.
    pub fn num_selectors(&self) -> usize {
        self.num_selectors
    }
}

impl FixedQuery {
    /// Index of the queried fixed column.
    pub fn column_index(&self) -> usize {
        self.column_index
    }
    /// Rotation of the query.
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }
}

impl AdviceQuery {
    /// Index of the queried advice column.
    pub fn column_index(&self) -> usize {
        self.column_index
    }
    /// Rotation of the query.
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }
}

impl InstanceQuery {
    /// Index of the queried instance column.
    pub fn column_index(&self) -> usize {
        self.column_index
    }
    /// Rotation of the query.
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }
}

impl Selector {
    /// Index of this selector.
    pub fn index(&self) -> usize {
        self.0
    }
}

impl TableColumn {
    /// Index of the fixed column holding this table column (read only: the
    /// column itself stays private, see the type's security note).
    pub fn index(&self) -> usize {
        self.inner().index()
    }
}
