//! Multiply-accumulate chip: dot products, `L` lanes per row. Public
//! weights and biases live in fixed columns, so the verifying key binds
//! them; inputs are copies of the cells holding the values.
//!
//! Gate `acc = cont * acc_prev + bias + sum_i x_i * (w_i + wa_i)` on every
//! used row: a dot product starts on a row with `cont = 0` (and its bias),
//! continues on rows with `cont = 1`, and its value is the `acc` of its
//! last row. The advice weights `wa` exist only in circuits with private
//! parameters: there every `wa` cell of a used row is a copy, either of a
//! private parameter's cell (its fixed `w` is then 0) or of the constant
//! zero (a public weight, or a padding lane).
//!
//! **Uniqueness.** Every lane input is a copy of a determined cell, or a
//! padding cell whose weight is 0 (fixed 0 and, with advice weights, a copy
//! of the constant 0); every advice weight is a copy of a determined cell;
//! `acc` has coefficient 1 on every row, so given the inputs and weights
//! each row's `acc` (and hence the dot product) has exactly one value: the
//! runtime's.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed};
use halo2_proofs::poly::Rotation;

use crate::assign::{ACell, Assigner};
use crate::field::fp64;

/// Columns and gate of the MAC chip.
#[derive(Clone, Debug)]
pub struct MacConfig {
    /// Inputs, one per lane.
    pub x: Vec<Column<Advice>>,
    /// Weights, one per lane.
    pub w: Vec<Column<Fixed>>,
    /// Advice weights, one per lane (circuits with private parameters).
    pub wa: Option<Vec<Column<Advice>>>,
    /// Running sum.
    pub acc: Column<Advice>,
    /// Bias (first row of a dot product).
    pub bias: Column<Fixed>,
    /// 1 on continuation rows.
    pub cont: Column<Fixed>,
    /// Enables the gate.
    pub q: Column<Fixed>,
}

/// A tap's weight: public (a fixed value) or a private parameter's cell.
#[derive(Clone, Copy, Debug)]
pub enum Weight<'a> {
    /// A public weight, in the fixed column.
    Fixed(i64),
    /// A private weight: the advice weight is a copy of this cell.
    Cell(&'a ACell),
}

/// One tap: an input cell and its weight.
pub type Tap<'a> = (&'a ACell, Weight<'a>);

/// What layers ask of the MAC chip.
pub trait MacInstructions {
    /// Lays out `bias + sum of taps` from `row`; returns the value's cell
    /// (which must equal `value` from the trace) and the rows used. With
    /// advice weights, `zero` is the constant-zero cell every advice weight
    /// of a public tap or padding lane copies.
    #[allow(clippy::too_many_arguments)]
    fn dot(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        taps: &[Tap<'_>],
        bias: i64,
        value: Value<Fp>,
        zero: Option<&ACell>,
    ) -> Result<(ACell, usize), Error>;
}

/// Rows a dot product of `taps` taps uses with `lanes` lanes.
pub fn rows_for(taps: usize, lanes: usize) -> usize {
    taps.div_ceil(lanes.max(1)).max(1)
}

impl MacConfig {
    /// Allocates `lanes` lanes and the gate (with advice weights when
    /// `private`).
    pub fn configure(meta: &mut ConstraintSystem<Fp>, lanes: usize, private: bool) -> Self {
        let x: Vec<_> = (0..lanes).map(|_| meta.advice_column()).collect();
        let w: Vec<_> = (0..lanes).map(|_| meta.fixed_column()).collect();
        let wa: Option<Vec<_>> = private.then(|| {
            (0..lanes)
                .map(|_| {
                    let c = meta.advice_column();
                    meta.enable_equality(c);
                    c
                })
                .collect()
        });
        let acc = meta.advice_column();
        for &c in &x {
            meta.enable_equality(c);
        }
        meta.enable_equality(acc);
        let (bias, cont, q) = (
            meta.fixed_column(),
            meta.fixed_column(),
            meta.fixed_column(),
        );
        let wa_gate = wa.clone();
        meta.create_gate("acc = cont * acc_prev + bias + sum x_i * w_i", |m| {
            let q = m.query_fixed(q);
            let acc_cur = m.query_advice(acc, Rotation::cur());
            let acc_prev = m.query_advice(acc, Rotation::prev());
            let mut sum = m.query_fixed(bias) + m.query_fixed(cont) * acc_prev;
            for i in 0..x.len() {
                let mut wi = m.query_fixed(w[i]);
                if let Some(wa) = &wa_gate {
                    wi = wi + m.query_advice(wa[i], Rotation::cur());
                }
                sum = sum + m.query_advice(x[i], Rotation::cur()) * wi;
            }
            vec![(
                "acc = cont * acc_prev + bias + sum x_i * w_i",
                q * (acc_cur - sum),
            )]
        });
        MacConfig {
            x,
            w,
            wa,
            acc,
            bias,
            cont,
            q,
        }
    }
}

impl MacInstructions for MacConfig {
    fn dot(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        taps: &[Tap<'_>],
        bias: i64,
        value: Value<Fp>,
        zero: Option<&ACell>,
    ) -> Result<(ACell, usize), Error> {
        let lanes = self.x.len();
        if self.wa.is_some() != zero.is_some() {
            return Err(Error::Synthesis);
        }
        let rows = rows_for(taps.len(), lanes);
        let mut acc = Value::known(fp64(bias));
        let mut out = None;
        for r in 0..rows {
            let at = row + r;
            region.assign_fixed(|| "q", self.q, at, || Value::known(Fp::one()))?;
            region.assign_fixed(
                || "bias",
                self.bias,
                at,
                || Value::known(if r == 0 { fp64(bias) } else { Fp::zero() }),
            )?;
            region.assign_fixed(
                || "cont",
                self.cont,
                at,
                || Value::known(Fp::from(u64::from(r > 0))),
            )?;
            for lane in 0..lanes {
                let tap = taps.get(r * lanes + lane);
                if let (Some(wa), Some(zero)) = (&self.wa, zero) {
                    let src = match tap {
                        Some(&(_, Weight::Cell(c))) => c,
                        _ => zero,
                    };
                    a.copy(region, "mac.wa", src, wa[lane], at)?;
                }
                let w = match tap {
                    Some(&(cell, Weight::Fixed(w))) => {
                        let c = a.copy(region, "mac.x", cell, self.x[lane], at)?;
                        acc = acc + c.value().map(|v| *v * fp64(w));
                        w
                    }
                    Some(&(cell, Weight::Cell(wc))) => {
                        if self.wa.is_none() {
                            return Err(Error::Synthesis);
                        }
                        let c = a.copy(region, "mac.x", cell, self.x[lane], at)?;
                        acc = acc + c.value().copied() * wc.value().copied();
                        0
                    }
                    // a padding lane: x is 0 (a copy of the constant 0 when
                    // there is one, so every cell of the row is determined)
                    None => {
                        match zero {
                            Some(z) => {
                                a.copy(region, "mac.pad", z, self.x[lane], at)?;
                            }
                            None => {
                                a.advice(
                                    region,
                                    "mac.pad",
                                    self.x[lane],
                                    at,
                                    Value::known(Fp::zero()),
                                )?;
                            }
                        }
                        0
                    }
                };
                region.assign_fixed(|| "w", self.w[lane], at, || Value::known(fp64(w)))?;
            }
            let v = if r + 1 == rows { value } else { acc };
            out = Some(a.advice(region, "mac.acc", self.acc, at, v)?);
        }
        out.map(|c| (c, rows)).ok_or(Error::Synthesis)
    }
}
