//! Max chip: `m = max(x_1, ..., x_k)` over a window laid out one tap per
//! row. Gates: `m` is the same on every row of the window,
//! `d = m - x` with `0 <= d < 2^t` (a range lookup, so `m >= x` for every
//! tap) and the running product `p = d` (first row) or `p = p_prev * d`
//! ends at 0 on the last row (so `m` equals some tap): `m` is exactly the
//! maximum, never a larger or smaller value.
//!
//! **Uniqueness.** Given the tap cells (copies of determined cells), `m`
//! is an integer with `m - x_i` in `[0, 2^t)` for every tap and
//! `prod (m - x_i) = 0`, so `m` is one of the taps and at least all of
//! them: the maximum. `d` and `p` then follow linearly. The width `t`
//! covers the input range, so the honest witness always fits.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed};
use halo2_proofs::poly::Rotation;

use crate::assign::{ACell, Assigner};
use crate::chips::range::RangeTableConfig;

/// Columns of the max chip.
#[derive(Clone, Debug)]
pub struct MaxConfig {
    /// The window's maximum (repeated on every row).
    pub m: Column<Advice>,
    /// The tap.
    pub x: Column<Advice>,
    /// `m - x`.
    pub d: Column<Advice>,
    /// Running product of `d`.
    pub p: Column<Advice>,
    /// 1 on a window's first row.
    pub first: Column<Fixed>,
    /// 1 on a window's last row.
    pub last: Column<Fixed>,
    /// Width of the range lookup of `d`.
    pub tag: Column<Fixed>,
    /// Enables the gates on window rows.
    pub q: Column<Fixed>,
}

/// What layers ask of the max chip.
pub trait MaxInstructions {
    /// Lays out `max(taps)` from `row` (`value` from the trace, `d_bits` the
    /// width of `m - x`); returns the max cell and the rows used.
    fn max(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        taps: &[&ACell],
        value: Value<Fp>,
        d_bits: u32,
    ) -> Result<(ACell, usize), Error>;
}

impl MaxConfig {
    /// Allocates the columns, gates and lookup.
    pub fn configure(meta: &mut ConstraintSystem<Fp>, table: RangeTableConfig) -> Self {
        let c = MaxConfig {
            m: meta.advice_column(),
            x: meta.advice_column(),
            d: meta.advice_column(),
            p: meta.advice_column(),
            first: meta.fixed_column(),
            last: meta.fixed_column(),
            tag: meta.fixed_column(),
            q: meta.fixed_column(),
        };
        meta.enable_equality(c.m);
        meta.enable_equality(c.x);
        let g = c.clone();
        meta.create_gate(
            "d = m - x; m = m_prev inside a window; p = d * (first ? 1 : p_prev); last: p = 0",
            move |v| {
                let q = v.query_fixed(g.q);
                let one = Expression::Constant(Fp::one());
                let (m, x, d, p) = (
                    v.query_advice(g.m, Rotation::cur()),
                    v.query_advice(g.x, Rotation::cur()),
                    v.query_advice(g.d, Rotation::cur()),
                    v.query_advice(g.p, Rotation::cur()),
                );
                let (m_prev, p_prev) = (
                    v.query_advice(g.m, Rotation::prev()),
                    v.query_advice(g.p, Rotation::prev()),
                );
                let (first, last) = (v.query_fixed(g.first), v.query_fixed(g.last));
                let not_first = one - first.clone();
                vec![
                    ("d = m - x", q.clone() * (d.clone() - (m.clone() - x))),
                    (
                        "m = m_prev inside a window",
                        q.clone() * not_first.clone() * (m - m_prev),
                    ),
                    (
                        "p = d * (first ? 1 : p_prev)",
                        q.clone() * (p.clone() - d * (first + not_first * p_prev)),
                    ),
                    ("last: p = 0", q * last * p),
                ]
            },
        );
        meta.lookup(|v| {
            vec![
                (v.query_fixed(c.tag), table.tag),
                (v.query_advice(c.d, Rotation::cur()), table.value),
            ]
        });
        c
    }
}

impl MaxInstructions for MaxConfig {
    fn max(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        taps: &[&ACell],
        value: Value<Fp>,
        d_bits: u32,
    ) -> Result<(ACell, usize), Error> {
        let mut out = None;
        let mut p = Value::known(Fp::one());
        for (i, x) in taps.iter().enumerate() {
            let at = row + i;
            region.assign_fixed(|| "q", self.q, at, || Value::known(Fp::one()))?;
            let m = a.advice(region, "max.m", self.m, at, value)?;
            if i == 0 {
                out = Some(m.clone());
            }
            let xc = a.copy(region, "max.x", x, self.x, at)?;
            let d = m.value().copied() - xc.value().copied();
            a.advice(region, "max.d", self.d, at, d)?;
            p = p * d;
            a.advice(region, "max.p", self.p, at, p)?;
            let f = |b: bool| Value::known(Fp::from(u64::from(b)));
            region.assign_fixed(|| "first", self.first, at, || f(i == 0))?;
            region.assign_fixed(|| "last", self.last, at, || f(i + 1 == taps.len()))?;
            region.assign_fixed(
                || "tag",
                self.tag,
                at,
                || Value::known(Fp::from(u64::from(d_bits))),
            )?;
        }
        out.map(|c| (c, taps.len())).ok_or(Error::Synthesis)
    }
}
