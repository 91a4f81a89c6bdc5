//! Poseidon sponge chip of degree 4: the `P128Pow5T3` permutation (width
//! 3, rate 2, x^5 S-box, 8 full and 56 partial rounds) in zkc's commitment
//! domain, exactly as [`crate::poseidon::hash`] computes it out of circuit.
//!
//! `halo2_gadgets`' `Pow5Chip` computes the same permutation with x^5 in
//! its gates, which makes them degree 6 and doubles the prover's extended
//! domain of a circuit whose other gates are degree 5 at most. This chip
//! keeps every gate at degree 4 (3 plus the selector) by holding squares
//! in cells.
//!
//! **Layout.** Columns `s_0, s_1, s_2` (the state), `q_0, q_1, q_2`
//! (squares and intermediates), fixed `a_0..a_2`, `b_0..b_2` (round
//! constants), one region per hash. A hash of `m` permutations takes
//! `1 + 37 m` rows: per permutation an absorb row, then 4 full rounds, 28
//! rows of two partial rounds each, 4 full rounds; the state the last
//! round writes is the next absorb row (the output after the last).
//!
//! - *absorb* (row with the words `w_0, w_1` in `q_0, q_1`, copies of the
//!   message cells or constant zero padding): `s'_0 = s_0 + q_0`,
//!   `s'_1 = s_1 + q_1`, `s'_2 = s_2`; on the first row also `s = (0, 0,
//!   capacity)`.
//! - *full round* (constants `a`): `q_j = (s_j + a_j)^2`, `s'_i = sum_j
//!   M_ij q_j^2 (s_j + a_j)`.
//! - *two partial rounds* (constants `a`, then `b`): with `x = s_0 + a_0`,
//!   `q_0 = x^2`, `u = q_0^2 x`, `t_j = M_j0 u + sum_{k>0} M_jk (s_k + a_k)`:
//!   `q_1 = t_0`, `q_2 = (q_1 + b_0)^2`, and `s'_i = M_i0 q_2^2 (q_1 + b_0)
//!   + sum_{j>0} M_ij (t_j + b_j)`.
//!
//! **Uniqueness.** Given the message cells (copied into `q_0, q_1` of the
//! absorb rows) every other cell is a polynomial in earlier ones: each
//! gate fixes exactly one new cell (`q_j`, then `s'`), so the state, hence
//! the output `s_0` of the last row, is unique and equals the permutation
//! (the gates are the round function written with `q_0^2 x = x^5`). The
//! whole-circuit determinacy check confirms this on every private circuit.

use halo2_gadgets::poseidon::primitives::{Mds, P128Pow5T3, Spec};
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;

use crate::assign::ACell;

/// Rows one permutation takes (its absorb row and 36 round rows).
pub const ROWS_PER_PERMUTATION: usize = 37;

/// Half the full rounds (before and after the partial ones).
const HALF_FULL: usize = 4;
/// Partial rounds.
const PARTIAL: usize = 56;

/// Columns and gates of one sponge chip.
#[derive(Clone, Debug)]
pub struct SpongeConfig {
    /// The state.
    pub s: [Column<Advice>; 3],
    /// Squares and intermediates (the words on absorb rows).
    pub q: [Column<Advice>; 3],
    /// Round constants of a full round, or of a pair's first round.
    pub a: [Column<Fixed>; 3],
    /// Round constants of a pair's second round.
    pub b: [Column<Fixed>; 3],
    init: Selector,
    absorb: Selector,
    full: Selector,
    partial: Selector,
}

fn constants() -> (Vec<[Fp; 3]>, Mds<Fp, 3>) {
    let (rc, mds, _) = <P128Pow5T3 as Spec<Fp, 3, 2>>::constants();
    (rc, mds)
}

fn c(x: Fp) -> Expression<Fp> {
    Expression::Constant(x)
}

impl SpongeConfig {
    /// Allocates the chip's columns and gates.
    pub fn configure(meta: &mut ConstraintSystem<Fp>) -> Self {
        let s = [0; 3].map(|_| meta.advice_column());
        let q = [0; 3].map(|_| meta.advice_column());
        let a = [0; 3].map(|_| meta.fixed_column());
        let b = [0; 3].map(|_| meta.fixed_column());
        // the output leaves through s_0, the words come in through q_0, q_1
        for col in [s[0], q[0], q[1]] {
            meta.enable_equality(col);
        }
        let (init, absorb) = (meta.selector(), meta.selector());
        let (full, partial) = (meta.selector(), meta.selector());
        let (_, mds) = constants();
        meta.create_gate("sponge init", |m| {
            let sel = m.query_selector(init);
            let cap = crate::poseidon::capacity();
            let s: Vec<_> = s
                .iter()
                .map(|&col| m.query_advice(col, Rotation::cur()))
                .collect();
            vec![
                ("s_0 = 0", sel.clone() * s[0].clone()),
                ("s_1 = 0", sel.clone() * s[1].clone()),
                ("s_2 = capacity", sel * (s[2].clone() - c(cap))),
            ]
        });
        meta.create_gate("sponge absorb", |m| {
            let sel = m.query_selector(absorb);
            let cur: Vec<_> = s
                .iter()
                .map(|&col| m.query_advice(col, Rotation::cur()))
                .collect();
            let nxt: Vec<_> = s
                .iter()
                .map(|&col| m.query_advice(col, Rotation::next()))
                .collect();
            let (w0, w1) = (
                m.query_advice(q[0], Rotation::cur()),
                m.query_advice(q[1], Rotation::cur()),
            );
            vec![
                (
                    "s'_0 = s_0 + w_0",
                    sel.clone() * (nxt[0].clone() - cur[0].clone() - w0),
                ),
                (
                    "s'_1 = s_1 + w_1",
                    sel.clone() * (nxt[1].clone() - cur[1].clone() - w1),
                ),
                ("s'_2 = s_2", sel * (nxt[2].clone() - cur[2].clone())),
            ]
        });
        meta.create_gate("sponge full round", |m| {
            let sel = m.query_selector(full);
            let mut x = vec![];
            let mut sq = vec![];
            let mut nxt = vec![];
            for j in 0..3 {
                x.push(m.query_advice(s[j], Rotation::cur()) + m.query_fixed(a[j]));
                sq.push(m.query_advice(q[j], Rotation::cur()));
                nxt.push(m.query_advice(s[j], Rotation::next()));
            }
            let mut out = vec![];
            for j in 0..3 {
                out.push(sel.clone() * (sq[j].clone() - x[j].clone() * x[j].clone()));
            }
            for (i, row) in mds.iter().enumerate() {
                let mut sum = nxt[i].clone();
                for j in 0..3 {
                    sum = sum - c(row[j]) * sq[j].clone() * sq[j].clone() * x[j].clone();
                }
                out.push(sel.clone() * sum);
            }
            out
        });
        meta.create_gate("sponge two partial rounds", |m| {
            let sel = m.query_selector(partial);
            let mut xa = vec![];
            let mut qs = vec![];
            let mut bs = vec![];
            let mut nxt = vec![];
            for j in 0..3 {
                xa.push(m.query_advice(s[j], Rotation::cur()) + m.query_fixed(a[j]));
                qs.push(m.query_advice(q[j], Rotation::cur()));
                bs.push(m.query_fixed(b[j]));
                nxt.push(m.query_advice(s[j], Rotation::next()));
            }
            let (q0, q1, q2) = (qs[0].clone(), qs[1].clone(), qs[2].clone());
            let u = q0.clone() * q0.clone() * xa[0].clone();
            let t: Vec<Expression<Fp>> = (0..3)
                .map(|j| {
                    c(mds[j][0]) * u.clone()
                        + c(mds[j][1]) * xa[1].clone()
                        + c(mds[j][2]) * xa[2].clone()
                })
                .collect();
            let y0 = q1.clone() + bs[0].clone();
            let v = q2.clone() * q2.clone() * y0.clone();
            let y1 = t[1].clone() + bs[1].clone();
            let y2 = t[2].clone() + bs[2].clone();
            let mut out = vec![
                sel.clone() * (q0 - xa[0].clone() * xa[0].clone()),
                sel.clone() * (q1 - t[0].clone()),
                sel.clone() * (q2 - y0.clone() * y0),
            ];
            for (i, row) in mds.iter().enumerate() {
                out.push(
                    sel.clone()
                        * (nxt[i].clone()
                            - c(row[0]) * v.clone()
                            - c(row[1]) * y1.clone()
                            - c(row[2]) * y2.clone()),
                );
            }
            out
        });
        SpongeConfig {
            s,
            q,
            a,
            b,
            init,
            absorb,
            full,
            partial,
        }
    }

    /// Every advice column of the chip.
    pub fn advice_columns(&self) -> Vec<Column<Advice>> {
        self.s.iter().chain(&self.q).copied().collect()
    }

    /// Hashes `words` (cells of any region) in zkc's commitment domain in
    /// one region of its own; returns the output cell.
    #[allow(clippy::needless_range_loop)] // state, constants and columns side by side
    pub fn hash(&self, layouter: &mut impl Layouter<Fp>, words: &[ACell]) -> Result<ACell, Error> {
        let (rc, mds) = constants();
        // the message zero-padded to pairs (an empty one is one pair)
        let pairs = words.len().div_ceil(2).max(1);
        layouter.assign_region(
            || "commitment hash",
            |mut region| {
                let mut state =
                    [Fp::zero(), Fp::zero(), crate::poseidon::capacity()].map(Value::known);
                self.init.enable(&mut region, 0)?;
                let mut row = 0;
                let mut out = None;
                for p in 0..pairs {
                    // absorb
                    self.absorb.enable(&mut region, row)?;
                    let mut w = [Value::known(Fp::zero()); 2];
                    for (i, wi) in w.iter_mut().enumerate() {
                        match words.get(2 * p + i) {
                            Some(cell) => {
                                let v = cell.copy_advice(|| "word", &mut region, self.q[i], row)?;
                                *wi = v.value().copied();
                            }
                            None => {
                                region.assign_advice_from_constant(
                                    || "padding",
                                    self.q[i],
                                    row,
                                    Fp::zero(),
                                )?;
                            }
                        }
                    }
                    self.assign_state(&mut region, row, &state)?;
                    state[0] = state[0] + w[0];
                    state[1] = state[1] + w[1];
                    row += 1;
                    // rounds
                    let mut r = 0;
                    while r < 2 * HALF_FULL + PARTIAL {
                        self.assign_state(&mut region, row, &state)?;
                        if !(HALF_FULL..HALF_FULL + PARTIAL).contains(&r) {
                            self.full.enable(&mut region, row)?;
                            let mut sq = [Value::known(Fp::zero()); 3];
                            let mut x = [Value::known(Fp::zero()); 3];
                            Self::constants_at(&mut region, &self.a, row, &rc[r])?;
                            for j in 0..3 {
                                x[j] = state[j] + Value::known(rc[r][j]);
                                sq[j] = x[j] * x[j];
                                region.assign_advice(|| "q", self.q[j], row, || sq[j])?;
                            }
                            let mut next = [Value::known(Fp::zero()); 3];
                            for (i, n) in next.iter_mut().enumerate() {
                                for j in 0..3 {
                                    *n = *n + Value::known(mds[i][j]) * sq[j] * sq[j] * x[j];
                                }
                            }
                            state = next;
                            r += 1;
                        } else {
                            self.partial.enable(&mut region, row)?;
                            Self::constants_at(&mut region, &self.a, row, &rc[r])?;
                            Self::constants_at(&mut region, &self.b, row, &rc[r + 1])?;
                            let xa: Vec<Value<Fp>> =
                                (0..3).map(|j| state[j] + Value::known(rc[r][j])).collect();
                            let q0 = xa[0] * xa[0];
                            let u = q0 * q0 * xa[0];
                            let t: Vec<Value<Fp>> = (0..3)
                                .map(|j| {
                                    Value::known(mds[j][0]) * u
                                        + Value::known(mds[j][1]) * xa[1]
                                        + Value::known(mds[j][2]) * xa[2]
                                })
                                .collect();
                            let y0 = t[0] + Value::known(rc[r + 1][0]);
                            let q2 = y0 * y0;
                            let v = q2 * q2 * y0;
                            region.assign_advice(|| "q0", self.q[0], row, || q0)?;
                            region.assign_advice(|| "q1", self.q[1], row, || t[0])?;
                            region.assign_advice(|| "q2", self.q[2], row, || q2)?;
                            let y1 = t[1] + Value::known(rc[r + 1][1]);
                            let y2 = t[2] + Value::known(rc[r + 1][2]);
                            let mut next = [Value::known(Fp::zero()); 3];
                            for (i, n) in next.iter_mut().enumerate() {
                                *n = Value::known(mds[i][0]) * v
                                    + Value::known(mds[i][1]) * y1
                                    + Value::known(mds[i][2]) * y2;
                            }
                            state = next;
                            r += 2;
                        }
                        row += 1;
                    }
                    if p + 1 == pairs {
                        let cells = self.assign_state(&mut region, row, &state)?;
                        out = Some(cells);
                    }
                }
                out.ok_or(Error::Synthesis)
            },
        )
    }

    fn constants_at(
        region: &mut halo2_proofs::circuit::Region<'_, Fp>,
        cols: &[Column<Fixed>; 3],
        row: usize,
        rc: &[Fp; 3],
    ) -> Result<(), Error> {
        for (col, v) in cols.iter().zip(rc) {
            region.assign_fixed(|| "round constant", *col, row, || Value::known(*v))?;
        }
        Ok(())
    }

    fn assign_state(
        &self,
        region: &mut halo2_proofs::circuit::Region<'_, Fp>,
        row: usize,
        state: &[Value<Fp>; 3],
    ) -> Result<ACell, Error> {
        let first = region.assign_advice(|| "s_0", self.s[0], row, || state[0])?;
        for (col, v) in self.s.iter().zip(state).skip(1) {
            region.assign_advice(|| "s", *col, row, || *v)?;
        }
        Ok(first)
    }
}

/// Rows a hash of `inputs` words takes.
pub fn rows(inputs: usize) -> usize {
    1 + ROWS_PER_PERMUTATION * inputs.div_ceil(2).max(1)
}

#[cfg(test)]
mod tests {
    use halo2_proofs::circuit::{Layouter, SimpleFloorPlanner, Value};
    use halo2_proofs::dev::MockProver;
    use halo2_proofs::pasta::Fp;
    use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Instance};

    use super::{rows, SpongeConfig};

    /// Hashes its message words in circuit; the output is the public value.
    #[derive(Clone, Default)]
    struct HashCircuit(Vec<Fp>);

    impl Circuit<Fp> for HashCircuit {
        type Config = (SpongeConfig, Column<Advice>, Column<Instance>);
        type FloorPlanner = SimpleFloorPlanner;

        fn without_witnesses(&self) -> Self {
            HashCircuit(vec![Fp::zero(); self.0.len()])
        }

        fn configure(meta: &mut ConstraintSystem<Fp>) -> Self::Config {
            let constants = meta.fixed_column();
            meta.enable_constant(constants);
            let words = meta.advice_column();
            meta.enable_equality(words);
            let instance = meta.instance_column();
            meta.enable_equality(instance);
            (SpongeConfig::configure(meta), words, instance)
        }

        fn synthesize(
            &self,
            (sponge, words, instance): Self::Config,
            mut layouter: impl Layouter<Fp>,
        ) -> Result<(), Error> {
            let cells = layouter.assign_region(
                || "message",
                |mut region| {
                    self.0
                        .iter()
                        .enumerate()
                        .map(|(i, &w)| region.assign_advice(|| "w", words, i, || Value::known(w)))
                        .collect::<Result<Vec<_>, _>>()
                },
            )?;
            let out = sponge.hash(&mut layouter, &cells)?;
            layouter.constrain_instance(out.cell(), instance, 0)
        }
    }

    /// The chip computes zkc's native hash (odd and even lengths, one and
    /// several permutations), and no other value passes.
    #[test]
    fn the_chip_computes_the_native_hash() {
        for n in [1usize, 2, 3, 5, 8] {
            let msg: Vec<Fp> = (0..n as u64)
                .map(|i| Fp::from(7 * i + 3) - Fp::from(50))
                .collect();
            let want = crate::poseidon::hash(&msg);
            let k = (rows(n) + 12).next_power_of_two().trailing_zeros().max(6);
            let c = HashCircuit(msg.clone());
            let ok = MockProver::run(k, &c, vec![vec![want]]).unwrap();
            assert_eq!(ok.verify(), Ok(()), "{n} words");
            let bad = MockProver::run(k, &c, vec![vec![want + Fp::one()]]).unwrap();
            assert!(bad.verify().is_err(), "{n} words: another output accepted");
        }
    }
}
