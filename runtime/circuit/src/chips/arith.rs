//! Elementwise arithmetic chip: each lane computes
//! `out = alpha * a * b + beta * a + gamma * b + delta` with the
//! coefficients in fixed columns. It checks `x * y` (square activations),
//! `a + b`, `a - b`, additions of constants and exact scalings.
//!
//! **Uniqueness.** Every operand is either a copy of a cell (equality
//! constraint) or a constant that [`ArithInstructions::apply`] folds into
//! the fixed coefficients, so an operand cell that is not a copy has a zero
//! coefficient in every term. Given the operand cells, `out` has
//! coefficient 1 in the gate, so exactly one value satisfies it: the
//! runtime's.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed};
use halo2_proofs::poly::Rotation;

use crate::assign::{ACell, Assigner};
use crate::field::fp;

/// One lane's columns.
#[derive(Clone, Debug)]
pub struct ArithLane {
    /// First operand.
    pub a: Column<Advice>,
    /// Second operand.
    pub b: Column<Advice>,
    /// Result.
    pub out: Column<Advice>,
    /// `[alpha, beta, gamma, delta]`.
    pub coef: [Column<Fixed>; 4],
}

/// Lanes and their shared selector.
#[derive(Clone, Debug)]
pub struct ArithConfig {
    /// The lanes.
    pub lanes: Vec<ArithLane>,
    /// Enables the gates on used rows.
    pub q: Column<Fixed>,
}

/// An operand of an elementwise operation.
#[derive(Clone, Copy, Debug)]
pub enum Operand<'a> {
    /// A cell (copied into the lane with an equality constraint).
    Cell(&'a ACell),
    /// A constant (folded into the fixed coefficients).
    Const(i128),
}

/// An elementwise operation: operands and coefficients.
pub struct ArithOp<'a> {
    /// First operand.
    pub a: Operand<'a>,
    /// Second operand.
    pub b: Operand<'a>,
    /// `[alpha, beta, gamma, delta]` as integers.
    pub coef: [i128; 4],
}

impl ArithOp<'_> {
    /// The lane's coefficients with constant operands folded in, and the
    /// operand cells left: `alpha*a*b + beta*a + gamma*b + delta` is the
    /// same value, and a missing cell has coefficient 0 in every term.
    pub fn folded(&self) -> ([Fp; 4], Option<&ACell>, Option<&ACell>) {
        let [mut al, mut be, mut ga, mut de] = self.coef.map(fp);
        let a = match self.a {
            Operand::Cell(c) => Some(c),
            Operand::Const(ca) => {
                let ca = fp(ca);
                ga += al * ca;
                de += be * ca;
                (al, be) = (Fp::zero(), Fp::zero());
                None
            }
        };
        let b = match self.b {
            Operand::Cell(c) => Some(c),
            Operand::Const(cb) => {
                let cb = fp(cb);
                be += al * cb;
                de += ga * cb;
                (al, ga) = (Fp::zero(), Fp::zero());
                None
            }
        };
        ([al, be, ga, de], a, b)
    }
}

/// What layers ask of the arith chip.
pub trait ArithInstructions {
    /// Places `op` in `lane` of `row`; the result must be `value`.
    fn apply(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        lane: usize,
        op: &ArithOp<'_>,
        value: Value<Fp>,
    ) -> Result<ACell, Error>;
}

impl ArithConfig {
    /// Allocates `lanes` lanes and their gate.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, lanes: usize) -> Self {
        let q = meta.fixed_column();
        let lanes: Vec<ArithLane> = (0..lanes)
            .map(|_| {
                let l = ArithLane {
                    a: meta.advice_column(),
                    b: meta.advice_column(),
                    out: meta.advice_column(),
                    coef: [
                        meta.fixed_column(),
                        meta.fixed_column(),
                        meta.fixed_column(),
                        meta.fixed_column(),
                    ],
                };
                for c in [l.a, l.b, l.out] {
                    meta.enable_equality(c);
                }
                l
            })
            .collect();
        for l in &lanes {
            let l = l.clone();
            meta.create_gate(
                "out = alpha * a * b + beta * a + gamma * b + delta",
                move |m| {
                    let q = m.query_fixed(q);
                    let a = m.query_advice(l.a, Rotation::cur());
                    let b = m.query_advice(l.b, Rotation::cur());
                    let out = m.query_advice(l.out, Rotation::cur());
                    let [al, be, ga, de] = l.coef.map(|c| m.query_fixed(c));
                    vec![(
                        "out = alpha * a * b + beta * a + gamma * b + delta",
                        q * (out - (al * a.clone() * b.clone() + be * a + ga * b + de)),
                    )]
                },
            );
        }
        ArithConfig { lanes, q }
    }

    /// Marks `row` as used (every lane's gate is then checked; idle lanes
    /// must hold zeros).
    pub fn enable_row(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        used: usize,
    ) -> Result<(), Error> {
        region.assign_fixed(|| "q", self.q, row, || Value::known(Fp::one()))?;
        for l in &self.lanes[used.min(self.lanes.len())..] {
            for c in [l.a, l.b, l.out] {
                a.advice(region, "arith.idle", c, row, Value::known(Fp::zero()))?;
            }
            for c in l.coef {
                region.assign_fixed(|| "coef", c, row, || Value::known(Fp::zero()))?;
            }
        }
        Ok(())
    }
}

impl ArithInstructions for ArithConfig {
    fn apply(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        lane: usize,
        op: &ArithOp<'_>,
        value: Value<Fp>,
    ) -> Result<ACell, Error> {
        let l = self.lanes.get(lane).ok_or(Error::Synthesis)?;
        let zero = Value::known(Fp::zero());
        let (coef, ca, cb) = op.folded();
        match ca {
            Some(c) => a.copy(region, "arith.a", c, l.a, row)?,
            None => a.advice(region, "arith.unused", l.a, row, zero)?,
        };
        match cb {
            Some(c) => a.copy(region, "arith.b", c, l.b, row)?,
            None => a.advice(region, "arith.unused", l.b, row, zero)?,
        };
        for (c, v) in l.coef.iter().zip(coef) {
            region.assign_fixed(|| "coef", *c, row, || Value::known(v))?;
        }
        a.advice(region, "arith.out", l.out, row, value)
    }
}
