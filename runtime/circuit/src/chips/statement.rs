//! Dataset statement chip (classification): per sample, the index of the
//! first largest output (argmax, ties to the smallest index, as
//! `numpy.argmax` and `zkc eval`), whether it equals the sample's public
//! label, and the running count of correct samples over the proof.
//!
//! One row per class `j` of a sample (`C` rows), columns `y` (a copy of
//! output `j`), `h` (one-hot of the prediction), `s` (prefix sum of `h`),
//! `sel` (prefix sum of `h * y`), `p` (prefix sum of `j * h`), `m` (the
//! maximum, the same on every row of the sample) and the limbs of
//! `r = m - y - (1 - s)`; on the sample's last row also `lab` and `val`
//! (copies of the public label and of the public 0/1 flag saying whether
//! the sample counts: chunks are padded with uncounted samples), `w`, the
//! correctness bit `c` and the running count `tot`. Gates (fixed `q` on
//! the sample's rows, `cont = 1` after its first row, `j` the row's class,
//! `ql` on its last row, `more = 1` after the first sample):
//!
//! - `h (1 - h) = 0`; `s = cont s_prev + h`; `sel = cont sel_prev + h y`;
//!   `p = cont p_prev + j h`; `cont (m - m_prev) = 0`;
//! - `m - y - (1 - s) = sum 2^(T i) r_i`, every limb range-checked (the
//!   last one to the remaining width);
//! - last row: `s = 1`, `sel = m`, `c (p - lab) = 0`,
//!   `c - 1 + (p - lab) w = 0`, `c w = 0`, `tot = c val + more
//!   tot_prevsample`.
//!
//! **Uniqueness.** Given the outputs `y` (determined cells): `h` is a 0/1
//! vector with one 1 (`s` ends at 1 and is a prefix sum of bits), at the
//! prediction `p`; `r >= 0` for every row (limbs, far below the field
//! size) gives `m >= y_j` for all `j` and `m > y_j` before `p`, and
//! `sel = m` gives `m = y_p`: so `m` is the maximum and `p` its first
//! index, both unique, hence `s`, `sel`, `r` and its limbs. `c` is 1 iff
//! `p = lab` (if `p != lab`, `c (p - lab) = 0` forces `c = 0`; if equal,
//! the second gate forces `c = 1`); `w` is then `1 / (p - lab)`, or 0 when
//! `p = lab` (`c w = 0`). `tot` follows linearly and the last sample's
//! `tot` is public. `tests/statement.rs` checks this exhaustively at small
//! widths (`analysis::statement_uniqueness`).

use halo2_proofs::arithmetic::Field;
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed};
use halo2_proofs::poly::Rotation;

use crate::assign::{ACell, Assigner};
use crate::chips::range::RangeTableConfig;
use crate::field::{fp, pow2};

/// Columns of the statement chip.
#[derive(Clone, Debug)]
pub struct StatementConfig {
    /// Output copy.
    pub y: Column<Advice>,
    /// One-hot prediction.
    pub h: Column<Advice>,
    /// Prefix sum of `h`.
    pub s: Column<Advice>,
    /// Prefix sum of `h * y`.
    pub sel: Column<Advice>,
    /// Prefix sum of `j * h`.
    pub p: Column<Advice>,
    /// The sample's maximum.
    pub m: Column<Advice>,
    /// Limbs of `m - y - (1 - s)`.
    pub r: Vec<Column<Advice>>,
    /// Public label (last row).
    pub lab: Column<Advice>,
    /// Public "counts" flag (last row).
    pub val: Column<Advice>,
    /// Inverse witness of `p - lab` (last row).
    pub w: Column<Advice>,
    /// Correct (last row).
    pub c: Column<Advice>,
    /// Running count (last row).
    pub tot: Column<Advice>,
    /// Enables the row gates.
    pub q: Column<Fixed>,
    /// 1 after a sample's first row.
    pub cont: Column<Fixed>,
    /// The row's class index.
    pub j: Column<Fixed>,
    /// 1 on a sample's last row.
    pub ql: Column<Fixed>,
    /// 1 on last rows after the first sample.
    pub more: Column<Fixed>,
    /// Width of every limb's lookup.
    pub tag: Vec<Column<Fixed>>,
    /// Classes per sample (the distance between two samples' last rows).
    pub classes: usize,
}

/// Limb widths of the `bits`-bit difference with a `t`-bit table.
pub fn limbs(bits: u32, t: u32) -> Vec<u32> {
    let n = bits.div_ceil(t.max(1)).max(1);
    (0..n).map(|i| (bits - t * i).min(t)).collect()
}

impl StatementConfig {
    /// Allocates the chip for `classes` classes and `limbs` limbs.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        classes: usize,
        limbs: usize,
        t: u32,
        range: RangeTableConfig,
    ) -> Self {
        let mut adv = || meta.advice_column();
        let (y, h, s, sel, p, m) = (adv(), adv(), adv(), adv(), adv(), adv());
        let r: Vec<_> = (0..limbs).map(|_| meta.advice_column()).collect();
        let (lab, val, w, c, tot) = (
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
            meta.advice_column(),
        );
        for col in [y, lab, val, tot] {
            meta.enable_equality(col);
        }
        let (q, cont, j, ql, more) = (
            meta.fixed_column(),
            meta.fixed_column(),
            meta.fixed_column(),
            meta.fixed_column(),
            meta.fixed_column(),
        );
        let tag: Vec<_> = (0..limbs).map(|_| meta.fixed_column()).collect();
        let back = -(classes as i32);
        let cfg = StatementConfig {
            y,
            h,
            s,
            sel,
            p,
            m,
            r,
            lab,
            val,
            w,
            c,
            tot,
            q,
            cont,
            j,
            ql,
            more,
            tag,
            classes,
        };
        let g = cfg.clone();
        meta.create_gate("argmax, label and count", move |v| {
            let one = Expression::Constant(Fp::one());
            let q = v.query_fixed(g.q);
            let cont = v.query_fixed(g.cont);
            let jj = v.query_fixed(g.j);
            let ql = v.query_fixed(g.ql);
            let more = v.query_fixed(g.more);
            let y = v.query_advice(g.y, Rotation::cur());
            let h = v.query_advice(g.h, Rotation::cur());
            let s = v.query_advice(g.s, Rotation::cur());
            let s_prev = v.query_advice(g.s, Rotation::prev());
            let sel = v.query_advice(g.sel, Rotation::cur());
            let sel_prev = v.query_advice(g.sel, Rotation::prev());
            let p = v.query_advice(g.p, Rotation::cur());
            let p_prev = v.query_advice(g.p, Rotation::prev());
            let m = v.query_advice(g.m, Rotation::cur());
            let m_prev = v.query_advice(g.m, Rotation::prev());
            let lab = v.query_advice(g.lab, Rotation::cur());
            let val = v.query_advice(g.val, Rotation::cur());
            let w = v.query_advice(g.w, Rotation::cur());
            let c = v.query_advice(g.c, Rotation::cur());
            let tot = v.query_advice(g.tot, Rotation::cur());
            let tot_prev = v.query_advice(g.tot, Rotation(back));
            let mut limbs = Expression::Constant(Fp::zero());
            for (i, &col) in g.r.iter().enumerate() {
                limbs = limbs
                    + v.query_advice(col, Rotation::cur())
                        * Expression::Constant(pow2(t * i as u32));
            }
            let z = p.clone() - lab;
            vec![
                (
                    "h is a bit",
                    q.clone() * h.clone() * (one.clone() - h.clone()),
                ),
                (
                    "s = cont s_prev + h",
                    q.clone() * (s.clone() - cont.clone() * s_prev - h.clone()),
                ),
                (
                    "sel = cont sel_prev + h y",
                    q.clone() * (sel.clone() - cont.clone() * sel_prev - h.clone() * y.clone()),
                ),
                (
                    "p = cont p_prev + j h",
                    q.clone() * (p - cont.clone() * p_prev - jj * h),
                ),
                ("m = m_prev", q.clone() * cont * (m.clone() - m_prev)),
                (
                    "m - y - (1 - s) = limbs",
                    q * (m.clone() - y - (one.clone() - s.clone()) - limbs),
                ),
                ("last: s = 1", ql.clone() * (s - one.clone())),
                ("last: sel = m", ql.clone() * (sel - m)),
                ("last: c (p - lab) = 0", ql.clone() * c.clone() * z.clone()),
                (
                    "last: c = 1 - (p - lab) w",
                    ql.clone() * (c.clone() - one + z * w.clone()),
                ),
                ("last: c w = 0", ql.clone() * c.clone() * w),
                (
                    "last: tot = c val + more tot_prev",
                    ql * (tot - c * val - more * tot_prev),
                ),
            ]
        });
        for (i, &col) in cfg.r.iter().enumerate() {
            let tag = cfg.tag[i];
            meta.lookup(|v| {
                vec![
                    (v.query_fixed(tag), range.tag),
                    (v.query_advice(col, Rotation::cur()), range.value),
                ]
            });
        }
        cfg
    }

    /// Every advice column of the chip.
    pub fn advice_columns(&self) -> Vec<Column<Advice>> {
        let mut v = vec![self.y, self.h, self.s, self.sel, self.p, self.m];
        v.extend(self.r.iter().copied());
        v.extend([self.lab, self.val, self.w, self.c, self.tot]);
        v
    }

    /// Lays out one sample from `row` (`classes` rows): its output cells,
    /// label and flag cells (copied from the instance by the caller) and
    /// the previous sample's `tot` (none for the first); returns this
    /// sample's `tot` cell.
    #[allow(clippy::too_many_arguments)]
    pub fn sample(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        outputs: &[ACell],
        label: Value<Fp>,
        counted: Value<Fp>,
        prev_tot: Option<&ACell>,
        widths: &[u32],
        t: u32,
    ) -> Result<(ACell, ACell, ACell), Error> {
        let n = self.classes;
        let first_sample = prev_tot.is_none();
        if outputs.len() != n || widths.len() != self.r.len() {
            return Err(Error::Synthesis);
        }
        // the honest witness: first index of the maximum
        let ys: Value<Vec<i128>> = outputs
            .iter()
            .map(|c| c.value().map(|v| crate::field::to_i128(*v).unwrap_or(0)))
            .fold(Value::known(vec![]), |acc, v| {
                acc.zip(v).map(|(mut a, v)| {
                    a.push(v);
                    a
                })
            });
        let pred = ys.clone().map(|v| {
            let mut b = 0;
            for (i, x) in v.iter().enumerate() {
                if *x > v[b] {
                    b = i;
                }
            }
            b
        });
        let max = ys.clone().zip(pred).map(|(v, b)| v[b]);
        let known = |x: u64| Value::known(Fp::from(x));
        let (mut s, mut sel, mut p) = (
            Value::known(Fp::zero()),
            Value::known(Fp::zero()),
            Value::known(Fp::zero()),
        );
        let mut last = None;
        for (jx, out) in outputs.iter().enumerate() {
            let at = row + jx;
            region.assign_fixed(|| "q", self.q, at, || known(1))?;
            region.assign_fixed(|| "cont", self.cont, at, || known(u64::from(jx > 0)))?;
            region.assign_fixed(|| "j", self.j, at, || known(jx as u64))?;
            let y = a.copy(region, "stmt.y", out, self.y, at)?;
            let hv = pred.map(|b| Fp::from(u64::from(b == jx)));
            a.advice(region, "stmt.h", self.h, at, hv)?;
            s = s + hv;
            sel = sel + hv * y.value().copied();
            p = p + hv * Value::known(Fp::from(jx as u64));
            a.advice(region, "stmt.s", self.s, at, s)?;
            a.advice(region, "stmt.sel", self.sel, at, sel)?;
            a.advice(region, "stmt.p", self.p, at, p)?;
            a.advice(region, "stmt.m", self.m, at, max.map(fp))?;
            // r = m - y - (1 - s), split into limbs
            let before = pred.map(|b| i128::from(jx < b));
            let r = max
                .zip(ys.clone())
                .zip(before)
                .map(|((m, v), b)| (m - v[jx] - b).max(0) as u128);
            let mut shift = 0;
            for (i, &wd) in widths.iter().enumerate() {
                region.assign_fixed(|| "tag", self.tag[i], at, || known(u64::from(wd)))?;
                let limb = r.map(|r| fp(((r >> shift) & ((1u128 << wd) - 1)) as i128));
                a.advice(region, "stmt.r", self.r[i], at, limb)?;
                shift += t;
            }
            if jx + 1 == n {
                last = Some(at);
            }
        }
        let at = last.ok_or(Error::Synthesis)?;
        region.assign_fixed(|| "ql", self.ql, at, || known(1))?;
        region.assign_fixed(|| "more", self.more, at, || known(u64::from(!first_sample)))?;
        let lab = a.advice(region, "stmt.lab", self.lab, at, label)?;
        let val = a.advice(region, "stmt.val", self.val, at, counted)?;
        let z = p - label;
        let w = z.map(|z| Option::<Fp>::from(z.invert()).unwrap_or(Fp::zero()));
        a.advice(region, "stmt.w", self.w, at, w)?;
        let c = z.map(|z| Fp::from(u64::from(z == Fp::zero())));
        a.advice(region, "stmt.c", self.c, at, c)?;
        let prev = prev_tot.map_or(Value::known(Fp::zero()), |c| c.value().copied());
        let tot = a.advice(region, "stmt.tot", self.tot, at, c * counted + prev)?;
        Ok((lab, val, tot))
    }
}
