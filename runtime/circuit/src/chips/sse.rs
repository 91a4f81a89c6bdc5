//! Dataset statement chip (regression): the sum of squared errors between
//! every counted sample's outputs and its public targets, both in the
//! output's quantized units.
//!
//! One row per (sample, output element), from row 1: columns `y` (a copy
//! of the output), `tgt` (a copy of the public target), `val` (a copy of
//! the sample's public 0/1 flag), `e = y - tgt`, `ev = val * e` and the
//! running sum `acc`. Gates (fixed `q` on the rows, `cont = 1` after the
//! first): `e = y - tgt`, `ev = val e`, `acc = cont acc_prev + ev e`. The
//! last row's `acc` is public.
//!
//! **Uniqueness.** Given the outputs (determined cells) and the public
//! targets and flags, `e`, `ev` and `acc` each have coefficient 1 in one
//! gate whose other terms are already determined: one value each, so the
//! sum is exactly `sum val_i (y - tgt)^2` over the field; it is an integer
//! below `2^100` for outputs and targets below `2^45` in magnitude (checked
//! by the driver) and at most 2^16 rows, so it does not wrap.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed};
use halo2_proofs::poly::Rotation;

use crate::assign::{ACell, Assigner};

/// Columns of the squared-error chip.
#[derive(Clone, Debug)]
pub struct SseConfig {
    /// Output copy.
    pub y: Column<Advice>,
    /// Public target.
    pub tgt: Column<Advice>,
    /// Public "counts" flag of the row's sample.
    pub val: Column<Advice>,
    /// `y - tgt`.
    pub e: Column<Advice>,
    /// `val * e`.
    pub ev: Column<Advice>,
    /// Running sum of `ev * e`.
    pub acc: Column<Advice>,
    /// Enables the gates.
    pub q: Column<Fixed>,
    /// 1 after the first row.
    pub cont: Column<Fixed>,
}

impl SseConfig {
    /// Allocates the chip.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        let c = SseConfig {
            y: meta.advice_column(),
            tgt: meta.advice_column(),
            val: meta.advice_column(),
            e: meta.advice_column(),
            ev: meta.advice_column(),
            acc: meta.advice_column(),
            q: meta.fixed_column(),
            cont: meta.fixed_column(),
        };
        for col in [c.y, c.tgt, c.val, c.acc] {
            meta.enable_equality(col);
        }
        let g = c.clone();
        meta.create_gate("squared error", move |v| {
            let q = v.query_fixed(g.q);
            let cont = v.query_fixed(g.cont);
            let y = v.query_advice(g.y, Rotation::cur());
            let tgt = v.query_advice(g.tgt, Rotation::cur());
            let val = v.query_advice(g.val, Rotation::cur());
            let e = v.query_advice(g.e, Rotation::cur());
            let ev = v.query_advice(g.ev, Rotation::cur());
            let acc = v.query_advice(g.acc, Rotation::cur());
            let prev = v.query_advice(g.acc, Rotation::prev());
            vec![
                ("e = y - tgt", q.clone() * (e.clone() - (y - tgt))),
                ("ev = val e", q.clone() * (ev.clone() - val * e.clone())),
                (
                    "acc = cont acc_prev + ev e",
                    q * (acc - cont * prev - ev * e),
                ),
            ]
        });
        c
    }

    /// Every advice column of the chip.
    pub fn advice_columns(&self) -> Vec<Column<Advice>> {
        vec![self.y, self.tgt, self.val, self.e, self.ev, self.acc]
    }

    /// Lays out one row at `row`: output cell, target and flag values;
    /// returns `(tgt, val, acc)` cells (the caller binds the first two to
    /// the instance).
    #[allow(clippy::too_many_arguments)]
    pub fn row(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        y: &ACell,
        target: Value<Fp>,
        counted: Value<Fp>,
        prev: Option<&ACell>,
    ) -> Result<(ACell, ACell, ACell), Error> {
        let one = Value::known(Fp::one());
        region.assign_fixed(|| "q", self.q, row, || one)?;
        region.assign_fixed(
            || "cont",
            self.cont,
            row,
            || Value::known(Fp::from(u64::from(prev.is_some()))),
        )?;
        let yc = a.copy(region, "sse.y", y, self.y, row)?;
        let t = a.advice(region, "sse.tgt", self.tgt, row, target)?;
        let val = a.advice(region, "sse.val", self.val, row, counted)?;
        let e = yc.value().copied() - target;
        a.advice(region, "sse.e", self.e, row, e)?;
        let ev = counted * e;
        a.advice(region, "sse.ev", self.ev, row, ev)?;
        let before = prev.map_or(Value::known(Fp::zero()), |p| p.value().copied());
        let acc = a.advice(region, "sse.acc", self.acc, row, before + ev * e)?;
        Ok((t, val, acc))
    }
}
