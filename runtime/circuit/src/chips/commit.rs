//! Commitment chip: the private parameters of a model (`Op::Private`) as
//! range-checked advice cells, packed into field elements and hashed with
//! a secret salt by Poseidon; the hash is the circuit's last public value.
//!
//! **Packing.** Element `e` of declared range `[lo, hi]` (`hi - lo + 1 =
//! 2^B`) is packed as `u = e - lo` in `B` bits. Whole elements are taken
//! in graph order (private nodes in topological order, elements row-major)
//! and grouped greedily into *chunks* of at most [`CHUNK_BITS`] bits; a
//! chunk's value is `sum u_i * 2^(bits of the elements after i)`. The
//! commitment is `Poseidon(salt, chunk_0, chunk_1, ...)` in zkc's domain
//! ([`crate::poseidon`]). It depends on the values, the declared ranges
//! and the salt only, not on the plan.
//!
//! **Layout.** An element is one *slot* when `B <= T` (the range table's
//! width): the slot's cell holds `e` and its lookup checks `e - lo` in `B`
//! bits. A wider element is split into limbs of at most `T` bits, most
//! significant first, one slot each, holding the limb; its value cell is
//! rebuilt by the MAC chip (`lo + sum 2^pos_j * limb_j`, see the circuit).
//! Slots fill rows of `lanes` cells; a chunk starts on a new row. Per row,
//! with fixed `sh_p = 2^(bits of the slots after p in the row)` and
//! `cmul = 2^(bits of the row)` on rows continuing a chunk (0 on a chunk's
//! first row), the gate is
//! `acc = cmul * acc_prev + sum_p sh_p * (v_p + off_p)`
//! and each lane looks up `(tag_p, v_p + off_p)` in the range table
//! (`tag_p` the slot's width, `off_p = -lo` for a whole element, 0 for a
//! limb; idle lanes have tag and offset 0, which forces `v = 0`). Row 0
//! holds the salt in `acc` (no gate). The `acc` of a chunk's last row is
//! copied into the Poseidon chip as that chunk's word.
//!
//! **Uniqueness and binding.** Every slot value lies in `[0, 2^width)`
//! (lookup), so a chunk's `acc` is an injective function of its slots:
//! the widths sum to at most 248 bits, below the field's 254, so no two
//! slot assignments give the same field element. Given the commitment
//! (public) and Poseidon's collision resistance, the slots, hence the
//! elements (an element is `lo` plus its limbs), are the committed ones;
//! every cell the model reads from a private parameter is a copy of a slot
//! cell or of a value cell the MAC gate fixes from the limbs.
//! `tests/commitment.rs` checks the layout against the out-of-circuit
//! commitment and that changing any slot, several slots together or the
//! salt changes the public hash or fails a constraint.

use halo2_proofs::circuit::{Region, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed};
use halo2_proofs::poly::Rotation;

use crate::assign::{ACell, Assigner};
use crate::chips::range::RangeTableConfig;
use crate::field::{fp, pow2};

/// Largest number of bits packed into one field element (`Fp` has 254).
pub const CHUNK_BITS: u32 = 248;

/// Chunk words per segment: a commitment of more words hashes segments of
/// at most this many words separately (each on one of the Poseidon chips,
/// which work in parallel columns) and then the salt and the segment
/// hashes; of at most this many, the salt and the words directly.
pub const SEGMENT_WORDS: usize = 256;

/// The segments (ranges of chunk words, salt excluded) the commitment
/// hashes separately: one range when there are at most [`SEGMENT_WORDS`]
/// words, else equal-sized consecutive ranges. Depends only on the number
/// of words, never on the circuit's layout.
pub fn segments(words: usize) -> Vec<std::ops::Range<usize>> {
    if words <= SEGMENT_WORDS {
        #[allow(clippy::single_range_in_vec_init)]
        return vec![0..words];
    }
    let n = words.div_ceil(SEGMENT_WORDS);
    let size = words.div_ceil(n);
    (0..n)
        .map(|i| i * size..((i + 1) * size).min(words))
        .filter(|r| !r.is_empty())
        .collect()
}

/// One Poseidon hash of a circuit's commitments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashJob {
    /// Index of the committed part (in `Plan::parts` order).
    pub part: usize,
    /// The segment of the part's chunk words this job hashes, or `None`
    /// for the part's commitment (the salt, then the words or the
    /// segment hashes).
    pub segment: Option<std::ops::Range<usize>>,
    /// The Poseidon chip it runs on.
    pub chip: usize,
    /// Field elements it absorbs.
    pub inputs: usize,
}

/// The hashes of the commitments of parts with `words[i]` chunk words
/// each, in the order synthesis lays them out: per part, its segments
/// (when it has more than [`SEGMENT_WORDS`] words) on consecutive chips,
/// then its commitment on the chip its first segment used. Parts start
/// on the chip after the previous part's last one. Depends only on the
/// word counts and the chip count.
pub fn schedule(words: &[usize], chips: usize) -> Vec<HashJob> {
    let chips = chips.max(1);
    let mut jobs = vec![];
    let mut next = 0;
    for (part, &n) in words.iter().enumerate() {
        let segs = segments(n);
        let first = next % chips;
        if segs.len() <= 1 {
            jobs.push(HashJob {
                part,
                segment: None,
                chip: first,
                inputs: 1 + n,
            });
            next += 1;
            continue;
        }
        let count = segs.len();
        for (i, r) in segs.into_iter().enumerate() {
            jobs.push(HashJob {
                part,
                chip: (next + i) % chips,
                inputs: r.len(),
                segment: Some(r),
            });
        }
        jobs.push(HashJob {
            part,
            segment: None,
            chip: first,
            inputs: 1 + count,
        });
        next += count;
    }
    jobs
}

/// Rows the Poseidon regions of `jobs` take on the busiest of `chips`
/// chips.
pub fn poseidon_rows(jobs: &[HashJob], chips: usize) -> usize {
    let mut rows = vec![0; chips.max(1)];
    for j in jobs {
        if let Some(r) = rows.get_mut(j.chip) {
            *r += 1 + POSEIDON_ROWS_PER_PERMUTATION * crate::poseidon::permutations(j.inputs);
        }
    }
    rows.into_iter().max().unwrap_or(0)
}

/// Rows one Poseidon permutation takes in the sponge chip's region
/// ([`crate::chips::sponge`]: its absorb row, 4 + 28 + 4 round rows).
pub const POSEIDON_ROWS_PER_PERMUTATION: usize = crate::chips::sponge::ROWS_PER_PERMUTATION;

/// The packed width of an element of range `[lo, hi]`, or `None` unless
/// `hi - lo + 1` is a power of two (the chip checks `e - lo` in exactly
/// `B` bits, so only such ranges are checked exactly).
pub fn element_width(lo: i64, hi: i64) -> Option<u32> {
    let span = (i128::from(hi) - i128::from(lo)).checked_add(1)?;
    if span <= 0 || (span & (span - 1)) != 0 {
        return None;
    }
    Some(span.trailing_zeros())
}

/// Exclusive end index of every chunk: whole elements, greedily, each
/// chunk at most [`CHUNK_BITS`] bits (every width is at most 64).
pub fn chunk_ends(widths: &[u32]) -> Vec<usize> {
    let mut ends = vec![];
    let mut bits = 0u32;
    for (i, &w) in widths.iter().enumerate() {
        if i > 0 && bits + w > CHUNK_BITS {
            ends.push(i);
            bits = 0;
        }
        bits += w;
    }
    if !widths.is_empty() {
        ends.push(widths.len());
    }
    ends
}

/// The packed value of every chunk of `u` (each `u_i < 2^widths[i]`).
pub fn chunk_values(u: &[u64], widths: &[u32]) -> Vec<Fp> {
    let mut out = vec![];
    let mut start = 0;
    for end in chunk_ends(widths) {
        let mut acc = Fp::zero();
        for i in start..end {
            acc = acc * pow2(widths[i]) + Fp::from(u[i]);
        }
        out.push(acc);
        start = end;
    }
    out
}

/// Limb widths of a `width`-bit element with a `t`-bit table, most
/// significant first: one limb when `width <= t`.
pub fn limb_widths(width: u32, t: u32) -> Vec<u32> {
    if width <= t || t == 0 {
        return vec![width];
    }
    let m = width.div_ceil(t);
    let mut v = vec![width - t * (m - 1)];
    v.extend(std::iter::repeat_n(t, m as usize - 1));
    v
}

/// One cell of the chip: limb `limb` (most significant first) of element
/// `element`, `width` bits, looked up as `v + off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Element index in the packing order.
    pub element: usize,
    /// Limb index, most significant first.
    pub limb: usize,
    /// Width in bits (the lookup's tag).
    pub width: u32,
    /// Fixed offset (`-lo` for a whole element, 0 for a limb).
    pub off: i64,
}

/// Where every element of the packing goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitLayout {
    /// Slots of chip rows `1..`, at most `lanes` per row.
    pub rows: Vec<Vec<Slot>>,
    /// Per row: true when it continues the previous row's chunk.
    pub cont: Vec<bool>,
    /// The chip row (counting the salt row 0) of every chunk's last row.
    pub chunk_last: Vec<usize>,
    /// Limb widths of every element.
    pub limbs: Vec<Vec<u32>>,
}

impl CommitLayout {
    /// Lays out elements of the given ranges with a `t`-bit table in
    /// `lanes` lanes; `None` if a range is not a power-of-two span.
    pub fn new(ranges: &[(i64, i64)], t: u32, lanes: usize) -> Option<Self> {
        let widths: Vec<u32> = ranges
            .iter()
            .map(|&(lo, hi)| element_width(lo, hi))
            .collect::<Option<_>>()?;
        let lanes = lanes.max(1);
        let mut l = CommitLayout {
            rows: vec![],
            cont: vec![],
            chunk_last: vec![],
            limbs: widths.iter().map(|&w| limb_widths(w, t)).collect(),
        };
        let mut start = 0;
        for end in chunk_ends(&widths) {
            let mut slots = vec![];
            for (e, range) in ranges.iter().enumerate().take(end).skip(start) {
                let limbs = &l.limbs[e];
                for (j, &w) in limbs.iter().enumerate() {
                    let off = if limbs.len() == 1 { -range.0 } else { 0 };
                    slots.push(Slot {
                        element: e,
                        limb: j,
                        width: w,
                        off,
                    });
                }
            }
            for (i, row) in slots.chunks(lanes).enumerate() {
                l.rows.push(row.to_vec());
                l.cont.push(i > 0);
            }
            l.chunk_last.push(l.rows.len());
            start = end;
        }
        Some(l)
    }

    /// Rows of the chip (the salt row and the slot rows).
    pub fn chip_rows(&self) -> usize {
        1 + self.rows.len()
    }

    /// Words the commitment hashes (the salt and every chunk).
    pub fn words(&self) -> usize {
        1 + self.chunk_last.len()
    }
}

/// Columns, gate and lookups of the commitment chip, and the Poseidon
/// chip's configuration.
#[derive(Clone, Debug)]
pub struct CommitConfig {
    /// Slot cells, one column per lane.
    pub v: Vec<Column<Advice>>,
    /// Running pack (and the salt on row 0).
    pub acc: Column<Advice>,
    /// Enables the gate.
    pub q: Column<Fixed>,
    /// `2^(row bits)` on continuing rows, else 0.
    pub cmul: Column<Fixed>,
    /// Per lane: the slot's place value in the row.
    pub sh: Vec<Column<Fixed>>,
    /// Per lane: the lookup offset.
    pub off: Vec<Column<Fixed>>,
    /// Per lane: the slot's width.
    pub tag: Vec<Column<Fixed>>,
    /// Poseidon sponge chips (`P128Pow5T3`, width 3, rate 2, degree 4),
    /// one per lane, each in its own columns.
    pub poseidon: Vec<crate::chips::sponge::SpongeConfig>,
}

impl CommitConfig {
    /// Allocates `lanes` lanes, the gate, one lookup per lane and one
    /// Poseidon chip per lane.
    pub fn configure(
        meta: &mut ConstraintSystem<Fp>,
        lanes: usize,
        range: RangeTableConfig,
    ) -> Self {
        let v: Vec<_> = (0..lanes).map(|_| meta.advice_column()).collect();
        let acc = meta.advice_column();
        let (q, cmul) = (meta.fixed_column(), meta.fixed_column());
        let sh: Vec<_> = (0..lanes).map(|_| meta.fixed_column()).collect();
        let off: Vec<_> = (0..lanes).map(|_| meta.fixed_column()).collect();
        let tag: Vec<_> = (0..lanes).map(|_| meta.fixed_column()).collect();
        for &c in v.iter().chain([&acc]) {
            meta.enable_equality(c);
        }
        meta.create_gate("acc = cmul * acc_prev + sum sh_p * (v_p + off_p)", |m| {
            let q = m.query_fixed(q);
            let mut sum = m.query_fixed(cmul) * m.query_advice(acc, Rotation::prev());
            for p in 0..lanes {
                sum = sum
                    + m.query_fixed(sh[p])
                        * (m.query_advice(v[p], Rotation::cur()) + m.query_fixed(off[p]));
            }
            vec![(
                "acc = cmul * acc_prev + sum sh_p * (v_p + off_p)",
                q * (m.query_advice(acc, Rotation::cur()) - sum),
            )]
        });
        for p in 0..lanes {
            meta.lookup(|m| {
                let u: Expression<Fp> =
                    m.query_advice(v[p], Rotation::cur()) + m.query_fixed(off[p]);
                vec![(m.query_fixed(tag[p]), range.tag), (u, range.value)]
            });
        }
        let poseidon = (0..lanes)
            .map(|_| crate::chips::sponge::SpongeConfig::configure(meta))
            .collect();
        CommitConfig {
            v,
            acc,
            q,
            cmul,
            sh,
            off,
            tag,
            poseidon,
        }
    }

    /// Every advice column of the chip outside Poseidon's.
    pub fn advice_columns(&self) -> Vec<Column<Advice>> {
        let mut c = self.v.clone();
        c.push(self.acc);
        c
    }

    /// Lays out the slots of `layout` from chip row `base` (the salt; the
    /// slot rows follow) with values `slot_value` (a slot's `v`, logged with
    /// `role`) and the salt; `owner` names the node and element of a packing
    /// index (for the cell log). Returns every slot cell (per element, per
    /// limb) and the words to hash (the salt, then every chunk).
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &self,
        region: &mut Region<'_, Fp>,
        a: &Assigner,
        base: usize,
        role: &'static str,
        layout: &CommitLayout,
        slot_value: &dyn Fn(&Slot) -> Value<Fp>,
        owner: &dyn Fn(usize) -> (Option<zkc_ir::NodeId>, usize),
        salt: Value<Fp>,
    ) -> Result<(Vec<Vec<ACell>>, Vec<ACell>), Error> {
        let mut cells: Vec<Vec<Option<ACell>>> =
            layout.limbs.iter().map(|l| vec![None; l.len()]).collect();
        a.at(None, 0);
        let salt_cell = a.advice(region, "commit.salt", self.acc, base, salt)?;
        let mut words = vec![salt_cell];
        let mut acc = Value::known(Fp::zero());
        let known = |x: u64| Value::known(Fp::from(x));
        let mut next_chunk = 0;
        for (r, row) in layout.rows.iter().enumerate() {
            let last = layout.chunk_last.get(next_chunk) == Some(&(r + 1));
            let at = base + r + 1;
            let bits: u32 = row.iter().map(|s| s.width).sum();
            region.assign_fixed(|| "q", self.q, at, || known(1))?;
            let cont = layout.cont[r];
            let cmul = if cont { pow2(bits) } else { Fp::zero() };
            region.assign_fixed(|| "cmul", self.cmul, at, || Value::known(cmul))?;
            acc = if cont {
                acc.map(|x| x * pow2(bits))
            } else {
                Value::known(Fp::zero())
            };
            let mut after = bits;
            for (p, s) in row.iter().enumerate() {
                after -= s.width;
                let (node, element) = owner(s.element);
                a.at(node, element);
                let v = slot_value(s);
                let cell = a.advice(region, role, self.v[p], at, v)?;
                let sh = pow2(after);
                region.assign_fixed(|| "sh", self.sh[p], at, || Value::known(sh))?;
                region.assign_fixed(
                    || "off",
                    self.off[p],
                    at,
                    || Value::known(fp(s.off.into())),
                )?;
                region.assign_fixed(|| "tag", self.tag[p], at, || known(u64::from(s.width)))?;
                acc = acc + v.map(|x| (x + fp(s.off.into())) * sh);
                cells[s.element][s.limb] = Some(cell);
            }
            a.at(None, 0);
            let c = a.advice(region, "commit.acc", self.acc, at, acc)?;
            if last {
                words.push(c);
                next_chunk += 1;
            }
        }
        let cells = cells
            .into_iter()
            .map(|l| l.into_iter().collect::<Option<Vec<_>>>())
            .collect::<Option<Vec<_>>>()
            .ok_or(Error::Synthesis)?;
        Ok((cells, words))
    }
}
