//! Whole-model witness mutation: every advice cell the layout uses is
//! changed, one at a time, and the circuit must reject each change. Cells
//! the layout leaves free on purpose (padding of unused lanes and rows) are
//! listed by their roles (`*.pad`, `*.idle`, `*.unused`) and not mutated;
//! blinding rows lie outside the layout.
//!
//! Each mutation is checked with halo2's `MockProver` (built once), looking
//! only at the gates and lookups on rows near the cell and at its copy
//! cycle (see `vendor/halo2_proofs/src/dev/cell_check.rs`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use halo2_proofs::dev::MockProver;
use halo2_proofs::pasta::Fp;

use crate::assign::CellRecord;
use crate::circuit::ModelCircuit;
use crate::shape::ShapeGuard;
use crate::CircuitError;

/// True for roles of cells the layout leaves unconstrained on purpose.
pub fn is_free_role(role: &str) -> bool {
    role.ends_with(".pad") || role.ends_with(".idle") || role.ends_with(".unused")
}

/// Mutation results of one role (chip and cell kind).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoleScore {
    /// Cells of this role in the layout.
    pub cells: usize,
    /// Cells mutated.
    pub mutated: usize,
    /// Mutations the circuit rejected.
    pub caught: usize,
}

/// What a mutation run found.
#[derive(Clone, Debug, Default)]
pub struct MutationReport {
    /// Per role (e.g. `rescale.r`), the cells, mutations and rejections.
    pub roles: BTreeMap<&'static str, RoleScore>,
    /// Cells left unconstrained on purpose, by role.
    pub free: BTreeMap<&'static str, usize>,
    /// Mutations the circuit accepted (soundness bugs).
    pub survivors: Vec<CellRecord>,
}

impl MutationReport {
    /// Per chip (the role's prefix): `(mutated, caught)`.
    pub fn by_chip(&self) -> BTreeMap<String, (usize, usize)> {
        let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (role, s) in &self.roles {
            let chip = role.split('.').next().unwrap_or(role).to_string();
            let e = out.entry(chip).or_default();
            e.0 += s.mutated;
            e.1 += s.caught;
        }
        out
    }
}

/// A deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Mutates the used advice cells of `c` (every one, or a seeded sample of
/// `sample = (n, seed)` cells covering every (role, column) pair) and
/// checks each is rejected.
pub fn mutate(
    c: &ModelCircuit,
    instance: &[Fp],
    sample: Option<(usize, u64)>,
) -> Result<MutationReport, CircuitError> {
    let _g = ShapeGuard::set(c.plan().shape);
    let log = Arc::new(Mutex::new(vec![]));
    let logging = c.logging(log.clone());
    let mut prover = MockProver::run(c.plan().k, &logging, vec![instance.to_vec()])
        .map_err(|e| CircuitError::Halo2(format!("mock prover: {e:?}")))?;
    if let Err(f) = prover.verify() {
        return Err(CircuitError::Invalid(format!(
            "the honest witness fails ({} failures)",
            f.len()
        )));
    }
    let cells: Vec<CellRecord> = log.lock().map(|l| l.clone()).unwrap_or_default();
    let mut report = MutationReport::default();
    let mut used = vec![];
    for r in cells {
        if is_free_role(r.role) {
            *report.free.entry(r.role).or_default() += 1;
        } else {
            report.roles.entry(r.role).or_default().cells += 1;
            used.push(r);
        }
    }
    let chosen: Vec<CellRecord> = match sample {
        None => used,
        Some((n, seed)) if n < used.len() => {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            for i in (1..used.len()).rev() {
                let j = (rng.next() % (i as u64 + 1)) as usize;
                used.swap(i, j);
            }
            let mut seen = std::collections::HashSet::new();
            let (mut first, mut rest): (Vec<_>, Vec<_>) = used
                .into_iter()
                .partition(|r| seen.insert((r.role, r.column)));
            let room = n.saturating_sub(first.len());
            first.extend(rest.drain(..room.min(rest.len())));
            first
        }
        Some(_) => used,
    };
    let checker = prover.cell_checker();
    for r in chosen {
        let Some(old) = prover.advice_value(r.column, r.row) else {
            continue;
        };
        prover.set_advice_value(r.column, r.row, old + Fp::one());
        let accepted = prover.advice_cell_satisfied(&checker, r.column, r.row);
        prover.set_advice_value(r.column, r.row, old);
        let s = report.roles.entry(r.role).or_default();
        s.mutated += 1;
        if accepted {
            report.survivors.push(r);
        } else {
            s.caught += 1;
        }
    }
    Ok(report)
}
