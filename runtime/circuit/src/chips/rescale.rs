//! Rescale chip: the IR's `rescale`, `y = clamp(floor((x*M + 2^(n-1)) / 2^n), lo, hi)`.
//!
//! With `q` the unclamped quotient, the chip proves
//! `x*M + half = q * 2^n + r` with `0 <= r < 2^n` (a range lookup), and the
//! clamp with a direction `d` and a slack `s >= 0` (a range lookup):
//! `q = y + d*(s + 1)`, `d` in `{-c_lo, 0, c_hi}` where the fixed `c_lo`
//! (`c_hi`) is 1 only when bound analysis says the clamp can raise a value
//! to `lo` (lower one to `hi`); so `d = 0` for graph inputs and unclamped
//! rescales, and a one-sided clamp allows one direction only. `s = 0` when
//! `d = 0`, `y = lo` when `d = -1`, `y = hi` when `d = 1`. `y` is always
//! range-checked: `0 <= y - lo < 2^b` (plus `hi - y >= 0` on a second row
//! when `hi - lo + 1` is not a power of two); `lo == hi` gives `b = 0`, so
//! `y = lo`. For a rescale whose clamp cannot fire, `[lo, hi]` is the range
//! bound analysis proves for `y`; for a clamp that can fire on one side it
//! may be the values `y` can reach (the clamp bound on that side, the
//! proven bound on the other), when that is cheaper.
//!
//! **Uniqueness.** Given the input cell `x` (an integer of the proven
//! range, or for a graph input any field element), exactly one assignment
//! of `y, d, s, r, yr` (and their second-row limbs) satisfies the gate and
//! the lookups, and it is the integer runtime's: every term of
//! `q = y + d*(s+1)` is then an integer of a range far below `p / 2^n`, so
//! `x*M + half = q*2^n + r` with `0 <= r < 2^n` fixes `q` and `r` as the
//! floor division over the integers (no fractional `q' = q + k/2^n` exists,
//! since `y` is bounded); the three branches of `d` are disjoint (`d = 0`
//! needs `lo <= q <= hi`, `d = 1` needs `q > hi`, `d = -1` needs `q < lo`),
//! and each fixes `y` and `s`; a copied input outside its proven range
//! finds no witness on a side that cannot clamp (fails closed). A public
//! input (`M = 1`, `n = 0`, `c_lo = c_hi = 0`)
//! must therefore satisfy `y = x` with `lo <= x <= hi`. Values wider than
//! the table (`T` bits) use a second row holding their high limb.
use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed};
use halo2_proofs::poly::Rotation;

use crate::assign::{ACell, Assigner};
use crate::chips::range::RangeTableConfig;
use crate::field::{fp, fp64, pow2};

/// One lane's columns.
#[derive(Clone, Debug)]
pub struct RescaleLane {
    /// Input (a copy of the accumulator).
    pub x: Column<Advice>,
    /// Output.
    pub y: Column<Advice>,
    /// Clamp direction.
    pub d: Column<Advice>,
    /// Clamp slack (limb).
    pub s: Column<Advice>,
    /// Remainder (limb).
    pub r: Column<Advice>,
    /// `y - lo` (limb), or `hi - y` on a second row.
    pub yr: Column<Advice>,
    /// `M * 2^max(0, -n)`.
    pub mnum: Column<Fixed>,
    /// `2^max(n, 0)`.
    pub pow: Column<Fixed>,
    /// `2^(n-1)` for `n > 0`, else 0.
    pub half: Column<Fixed>,
    /// Clamp bounds.
    pub lo: Column<Fixed>,
    /// Clamp bounds.
    pub hi: Column<Fixed>,
    /// Widths of the range lookups of `r`, `s`, `yr`.
    pub tags: [Column<Fixed>; 3],
    /// Coefficients of the next row's limbs of `r`, `s`, `yr` (0 or `2^T`).
    pub limb: [Column<Fixed>; 3],
    /// 1 when the clamp can raise a value to `lo` (`d` may be -1).
    pub clamp_lo: Column<Fixed>,
    /// 1 when the clamp can lower a value to `hi` (`d` may be 1).
    pub clamp_hi: Column<Fixed>,
    /// 1 when the next row's `yr` holds `hi - y`.
    pub check_hi: Column<Fixed>,
    /// Enables the gates on an element's first row.
    pub q: Column<Fixed>,
}

/// One rescaled element's parameters (derived from the IR op and bounds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RescaleSpec {
    /// `M * 2^max(0, -n)`.
    pub mnum: i128,
    /// `max(n, 0)`.
    pub n: u32,
    /// Lower clamp bound; when `clamp` is false, the least value bound
    /// analysis proves for `y`.
    pub lo: i64,
    /// Upper clamp bound; when `clamp` is false, the largest value bound
    /// analysis proves for `y`.
    pub hi: i64,
    /// Whether the clamp can raise a value to `lo` (bound analysis: some
    /// `q < lo`). When false the circuit forbids `d = -1`.
    pub clamp_lo: bool,
    /// Whether the clamp can lower a value to `hi` (some `q > hi`). When
    /// false the circuit forbids `d = 1`.
    pub clamp_hi: bool,
    /// Bits of the slack `|q - y| - 1` of a clamped value.
    pub s_bits: u32,
    /// Bits of the range check `0 <= y - lo < 2^y_bits` (always made; 0
    /// forces `y = lo`).
    pub y_bits: u32,
    /// Whether `hi - y` needs its own check (range not a power of two).
    pub check_hi: bool,
}

impl RescaleSpec {
    /// Whether the clamp can change a value on either side.
    pub fn clamp(&self) -> bool {
        self.clamp_lo || self.clamp_hi
    }

    /// Rows the element uses with a `t`-bit table (1 or 2), or `None` when
    /// it does not fit two rows.
    pub fn rows(&self, t: u32) -> Option<usize> {
        let wide = |b: u32| b > t;
        if [self.n, self.s_bits, self.y_bits]
            .iter()
            .any(|&b| b > 2 * t)
        {
            return None;
        }
        if self.check_hi && wide(self.y_bits) {
            return None;
        }
        let two = wide(self.n) || wide(self.s_bits) || wide(self.y_bits) || self.check_hi;
        Some(if two { 2 } else { 1 })
    }

    /// The range widths this element looks up with a `t`-bit table.
    pub fn tags(&self, t: u32) -> Vec<u32> {
        let mut v = vec![];
        for b in [self.n, self.s_bits, self.y_bits] {
            if b > t {
                v.extend([t, b - t]);
            } else {
                v.push(b);
            }
        }
        v
    }
}

/// What layers ask of the rescale chip.
pub trait RescaleInstructions {
    /// Rescales `x` (whose integer is `x_int`) into a cell holding `y` (the
    /// trace value) from `row` of `lane`; returns the output cell. With
    /// `copy_x` the input is copied into the lane; otherwise `x` already is
    /// the lane's input cell (a public input).
    #[allow(clippy::too_many_arguments)]
    fn rescale(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        lane: usize,
        x: &ACell,
        x_int: Value<i128>,
        y: Value<i64>,
        spec: &RescaleSpec,
        t: u32,
        copy_x: bool,
    ) -> Result<ACell, Error>;
}

/// Lanes of the chip.
#[derive(Clone, Debug)]
pub struct RescaleConfig {
    /// The lanes.
    pub lanes: Vec<RescaleLane>,
}

impl RescaleConfig {
    /// Allocates `lanes` lanes, their gates and lookups into `table`.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        lanes: usize,
        table: RangeTableConfig,
    ) -> Self {
        let lanes = (0..lanes).map(|_| configure_lane(meta, table)).collect();
        RescaleConfig { lanes }
    }
}

fn configure_lane(meta: &mut ConstraintSystem<Fp>, table: RangeTableConfig) -> RescaleLane {
    let mut adv = || meta.advice_column();
    let (x, y, d, s, r, yr) = (adv(), adv(), adv(), adv(), adv(), adv());
    meta.enable_equality(x);
    meta.enable_equality(y);
    let mut fix = || meta.fixed_column();
    let l = RescaleLane {
        x,
        y,
        d,
        s,
        r,
        yr,
        mnum: fix(),
        pow: fix(),
        half: fix(),
        lo: fix(),
        hi: fix(),
        tags: [fix(), fix(), fix()],
        limb: [fix(), fix(), fix()],
        clamp_lo: fix(),
        clamp_hi: fix(),
        check_hi: fix(),
        q: meta.fixed_column(),
    };
    let c = l.clone();
    meta.create_gate("rescale", move |m| {
        let q = m.query_fixed(c.q);
        let cur = |m: &mut halo2_proofs::plonk::VirtualCells<'_, Fp>, col| {
            m.query_advice(col, Rotation::cur())
        };
        let (x, y, d) = (cur(m, c.x), cur(m, c.y), cur(m, c.d));
        let limb = |m: &mut halo2_proofs::plonk::VirtualCells<'_, Fp>, col, i: usize| {
            m.query_advice(col, Rotation::cur())
                + m.query_fixed(c.limb[i]) * m.query_advice(col, Rotation::next())
        };
        let (r, s, yr) = (limb(m, c.r, 0), limb(m, c.s, 1), limb(m, c.yr, 2));
        let yr_next = m.query_advice(c.yr, Rotation::next());
        let [mnum, pow, half, lo, hi, clamp_lo, clamp_hi, check_hi] = [
            c.mnum, c.pow, c.half, c.lo, c.hi, c.clamp_lo, c.clamp_hi, c.check_hi,
        ]
        .map(|f| m.query_fixed(f));
        let one = Expression::Constant(Fp::one());
        let dm1 = d.clone() - one.clone();
        let dp1 = d.clone() + one.clone();
        let qd = |e: Expression<Fp>| q.clone() * e;
        vec![
            (
                "x*M + half = (y + d*(s+1)) * 2^n + r",
                qd(x * mnum + half - (y.clone() + d.clone() * s.clone() + d.clone()) * pow - r),
            ),
            (
                "d in {-c_lo, 0, c_hi}",
                qd(d.clone() * (d.clone() + clamp_lo) * (d.clone() - clamp_hi)),
            ),
            ("s = 0 unless d != 0", qd((one - d.clone() * d.clone()) * s)),
            (
                "d = -1 => y = lo",
                qd(d.clone() * dm1 * (y.clone() - lo.clone())),
            ),
            ("d = 1 => y = hi", qd(d * dp1 * (y.clone() - hi.clone()))),
            ("y - lo = yr", qd(y.clone() - lo - yr)),
            (
                "check_hi => hi - y = yr_next",
                qd(check_hi * (yr_next - (hi - y))),
            ),
        ]
    });
    for (i, col) in [l.r, l.s, l.yr].into_iter().enumerate() {
        let tag = l.tags[i];
        meta.lookup(|m| {
            vec![
                (m.query_fixed(tag), table.tag),
                (m.query_advice(col, Rotation::cur()), table.value),
            ]
        });
    }
    l
}

/// Splits `v >= 0` of `bits` bits into `(low, high)` limbs at `t` bits.
fn limbs(v: i128, bits: u32, t: u32) -> (i128, i128) {
    if bits > t {
        (v & ((1i128 << t) - 1), v >> t)
    } else {
        (v, 0)
    }
}

impl RescaleInstructions for RescaleConfig {
    fn rescale(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        row: usize,
        lane: usize,
        x: &ACell,
        x_int: Value<i128>,
        y: Value<i64>,
        spec: &RescaleSpec,
        t: u32,
        copy_x: bool,
    ) -> Result<ACell, Error> {
        let l = &self.lanes[lane];
        let rows = spec.rows(t).ok_or(Error::Synthesis)?;
        region.assign_fixed(|| "q", l.q, row, || Value::known(Fp::one()))?;
        if copy_x {
            a.copy(region, "rescale.x", x, l.x, row)?;
        }
        let y_cell = a.advice(region, "rescale.y", l.y, row, y.map(fp64))?;
        // Witness: q, r from the input; d, s from q and the trace's y.
        let half: i128 = if spec.n > 0 { 1 << (spec.n - 1) } else { 0 };
        let aux = x_int.zip(y).map(|(x, y)| {
            let num = x * spec.mnum + half;
            let q = num.div_euclid(1i128 << spec.n);
            let r = num - (q << spec.n);
            let y = i128::from(y);
            let (d, s) = if q > y {
                (1, q - y - 1)
            } else if q < y {
                (-1, y - q - 1)
            } else {
                (0, 0)
            };
            (r, d, s, y - i128::from(spec.lo), i128::from(spec.hi) - y)
        });
        let split = |v: Value<i128>, bits: u32| v.map(|v| limbs(v, bits, t)).unzip();
        let (r0, r1) = split(aux.map(|a| a.0), spec.n);
        let (s0, s1) = split(aux.map(|a| a.2), spec.s_bits);
        let (y0, y1) = split(aux.map(|a| a.3), spec.y_bits);
        let y1 = if spec.check_hi { aux.map(|a| a.4) } else { y1 };
        a.advice(region, "rescale.d", l.d, row, aux.map(|a| fp(a.1)))?;
        a.advice(region, "rescale.r", l.r, row, r0.map(fp))?;
        a.advice(region, "rescale.s", l.s, row, s0.map(fp))?;
        a.advice(region, "rescale.yr", l.yr, row, y0.map(fp))?;
        let tag = |b: u32| if b > t { t } else { b };
        let hi_tag = |b: u32| b.saturating_sub(t);
        let fixed = |region: &mut Region<'_, Fp>, col, at, v: Fp| {
            region.assign_fixed(|| "rescale", col, at, || Value::known(v))
        };
        fixed(region, l.mnum, row, fp(spec.mnum))?;
        fixed(region, l.pow, row, pow2(spec.n))?;
        fixed(region, l.half, row, fp(half))?;
        fixed(region, l.lo, row, fp64(spec.lo))?;
        fixed(region, l.hi, row, fp64(spec.hi))?;
        for (i, b) in [tag(spec.n), tag(spec.s_bits), tag(spec.y_bits)]
            .into_iter()
            .enumerate()
        {
            fixed(region, l.tags[i], row, Fp::from(u64::from(b)))?;
        }
        let limb_coef = |b: u32| if b > t { pow2(t) } else { Fp::zero() };
        fixed(region, l.limb[0], row, limb_coef(spec.n))?;
        fixed(region, l.limb[1], row, limb_coef(spec.s_bits))?;
        fixed(
            region,
            l.limb[2],
            row,
            if spec.check_hi {
                Fp::zero()
            } else {
                limb_coef(spec.y_bits)
            },
        )?;
        fixed(region, l.clamp_lo, row, Fp::from(u64::from(spec.clamp_lo)))?;
        fixed(region, l.clamp_hi, row, Fp::from(u64::from(spec.clamp_hi)))?;
        fixed(region, l.check_hi, row, Fp::from(u64::from(spec.check_hi)))?;
        if rows == 2 {
            let nx = row + 1;
            for col in [l.x, l.y, l.d] {
                a.advice(region, "rescale.pad", col, nx, Value::known(Fp::zero()))?;
            }
            a.advice(region, "rescale.r", l.r, nx, r1.map(fp))?;
            a.advice(region, "rescale.s", l.s, nx, s1.map(fp))?;
            a.advice(region, "rescale.yr", l.yr, nx, y1.map(fp))?;
            let y2_tag = if spec.check_hi {
                spec.y_bits
            } else {
                hi_tag(spec.y_bits)
            };
            for (i, b) in [hi_tag(spec.n), hi_tag(spec.s_bits), y2_tag]
                .into_iter()
                .enumerate()
            {
                fixed(region, l.tags[i], nx, Fp::from(u64::from(b)))?;
            }
        }
        Ok(y_cell)
    }
}
