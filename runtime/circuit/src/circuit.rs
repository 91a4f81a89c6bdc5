//! The model circuit: one region holding every layer, laid out by the plan,
//! with the integer runtime's trace as the witness.

use std::collections::HashMap;
use std::sync::Arc;

use halo2_proofs::circuit::{Layouter, Region, SimpleFloorPlanner, Value};
use halo2_proofs::pasta::Fp;
use halo2_proofs::plonk::{Advice, Circuit, Column, ConstraintSystem, Error, Instance};
use zkc_ir::{broadcast_index_map, geometry, numel, Graph, NodeId, Op};
use zkc_runtime::IntRun;

use crate::assign::{column_index, ACell, Assigner, CellRecord, Forge, Tamper};
use crate::chips::arith::{ArithConfig, ArithInstructions, ArithOp, Operand};
use crate::chips::commit::{CommitConfig, Slot};
use crate::chips::mac::{MacConfig, MacInstructions, Tap, Weight};
use crate::chips::maxpool::{MaxConfig, MaxInstructions};
use crate::chips::range::RangeTableConfig;
use crate::chips::rescale::{RescaleConfig, RescaleInstructions};
use crate::chips::sse::SseConfig;
use crate::chips::statement::StatementConfig;
use crate::chips::table::{FunctionTable, TableConfig, TableInstructions};
use crate::commitment::{io_nodes, Part};
use crate::field::{fp, fp64, pow2};
use crate::plan::{node_layout, Cursors, NodeLayout, Plan};
use crate::shape::{current_shape, CircuitShape};

/// Columns and chips of a model circuit.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    shape: CircuitShape,
    mac: Option<MacConfig>,
    arith: Option<ArithConfig>,
    rescale: RescaleConfig,
    max: Option<MaxConfig>,
    table: Option<TableConfig>,
    commit: Option<CommitConfig>,
    statement: Option<StatementConfig>,
    sse: Option<SseConfig>,
    range: RangeTableConfig,
    instance: Column<Instance>,
}

impl ModelConfig {
    /// Every advice column of the circuit.
    pub fn advice_columns(&self) -> Vec<Column<Advice>> {
        let mut v = vec![];
        if let Some(m) = &self.mac {
            v.extend(m.x.iter().copied());
            v.push(m.acc);
            v.extend(m.wa.iter().flatten().copied());
        }
        if let Some(c) = &self.commit {
            v.extend(c.advice_columns());
        }
        if let Some(c) = &self.sse {
            v.extend(c.advice_columns());
        }
        if let Some(st) = &self.statement {
            v.extend(st.advice_columns());
        }
        if let Some(a) = &self.arith {
            for l in &a.lanes {
                v.extend([l.a, l.b, l.out]);
            }
        }
        for l in &self.rescale.lanes {
            v.extend([l.x, l.y, l.d, l.s, l.r, l.yr]);
        }
        if let Some(m) = &self.max {
            v.extend([m.m, m.x, m.d, m.p]);
        }
        if let Some(t) = &self.table {
            v.extend([t.x, t.y]);
        }
        v
    }
}

/// A quantized model as a halo2 circuit. Without a witness it describes the
/// circuit (for key generation); with one it is a proof's witness.
#[derive(Clone)]
pub struct ModelCircuit {
    graph: Arc<Graph>,
    plan: Arc<Plan>,
    witness: Option<Arc<IntRun>>,
    tamper: Vec<Tamper>,
    forge: Vec<Forge>,
    log: Option<Arc<std::sync::Mutex<Vec<CellRecord>>>>,
    salt: Option<Fp>,
    /// Salts of the private input's and output's commitments.
    io_salts: [Option<Fp>; 2],
    dataset: Option<Arc<DatasetWitness>>,
}

impl ModelCircuit {
    /// The circuit of `graph` under `plan`, with an optional witness.
    pub fn new(graph: Arc<Graph>, plan: Arc<Plan>, witness: Option<Arc<IntRun>>) -> Self {
        ModelCircuit {
            graph,
            plan,
            witness,
            tamper: vec![],
            forge: vec![],
            log: None,
            salt: None,
            io_salts: [None; 2],
            dataset: None,
        }
    }

    /// A dataset circuit (`plan` from [`crate::plan::plan_dataset`]) with an
    /// optional witness: one trace, label and flag per sample.
    pub fn dataset(
        graph: Arc<Graph>,
        plan: Arc<Plan>,
        witness: Option<Arc<DatasetWitness>>,
    ) -> Self {
        ModelCircuit {
            dataset: witness,
            ..ModelCircuit::new(graph, plan, None)
        }
    }

    /// The same circuit with the commitment's secret salt (part of the
    /// witness of a circuit with private parameters).
    pub fn with_salt(&self, salt: Fp) -> Self {
        ModelCircuit {
            salt: Some(salt),
            ..self.clone()
        }
    }

    /// The same circuit with the salts of the private input's and
    /// output's commitments (part of the witness; `None` for a public
    /// part).
    pub fn with_io_salts(&self, input: Option<Fp>, output: Option<Fp>) -> Self {
        ModelCircuit {
            io_salts: [input, output],
            ..self.clone()
        }
    }

    /// The same circuit with advice cells tampered with (soundness tests).
    pub fn tampered(&self, t: &[Tamper]) -> Self {
        ModelCircuit {
            tamper: t.to_vec(),
            ..self.clone()
        }
    }

    /// The same circuit with advice cells set to chosen field elements (an
    /// adversarial prover's witness): cells the layout writes get the
    /// forged value instead, cells it leaves unassigned are written too.
    /// Public values are whatever instance the caller proves or checks.
    pub fn forged(&self, f: &[Forge]) -> Self {
        ModelCircuit {
            forge: f.to_vec(),
            ..self.clone()
        }
    }

    /// The same circuit, recording every advice cell it writes into `log`.
    pub fn logging(&self, log: Arc<std::sync::Mutex<Vec<CellRecord>>>) -> Self {
        ModelCircuit {
            log: Some(log),
            ..self.clone()
        }
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The circuit without witness (for key generation).
    pub fn without_witnesses_(&self) -> Self {
        ModelCircuit {
            witness: None,
            tamper: vec![],
            forge: vec![],
            log: None,
            salt: None,
            io_salts: [None; 2],
            dataset: None,
            ..self.clone()
        }
    }
}

impl Circuit<Fp> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        self.without_witnesses_()
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> ModelConfig {
        let shape = current_shape();
        let range = RangeTableConfig::configure(meta);
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        let private = shape.is_private();
        let commits = shape.has_commitments();
        if commits {
            // the constants column (0, the limb place values, Poseidon's
            // initial state)
            let c = meta.fixed_column();
            meta.enable_constant(c);
        }
        // Chips in a fixed order (gate and lookup indices follow it); the
        // commitment chip last, so a public circuit is unchanged by it.
        ModelConfig {
            shape,
            mac: (shape.mac_lanes > 0)
                .then(|| MacConfig::configure(meta, shape.mac_lanes, private)),
            arith: (shape.arith_lanes > 0).then(|| ArithConfig::configure(meta, shape.arith_lanes)),
            rescale: RescaleConfig::configure(meta, shape.rescale_lanes, range),
            max: (shape.max_lanes > 0).then(|| MaxConfig::configure(meta, range)),
            table: (shape.table_lanes > 0).then(|| TableConfig::configure(meta)),
            commit: commits.then(|| CommitConfig::configure(meta, shape.commit_lanes, range)),
            statement: shape
                .statement
                .filter(|st| st.limbs > 0)
                .map(|st| StatementConfig::configure(meta, st.classes, st.limbs, st.t, range)),
            sse: shape
                .statement
                .filter(|st| st.limbs == 0)
                .map(|_| SseConfig::configure(meta)),
            range,
            instance,
        }
    }

    fn synthesize(
        &self,
        config: ModelConfig,
        mut layouter: impl Layouter<Fp>,
    ) -> Result<(), Error> {
        if config.shape != self.plan.shape {
            return Err(Error::Synthesis);
        }
        config.range.load(&mut layouter, &self.plan.tags)?;
        let g = &*self.graph;
        let tables: Vec<(NodeId, FunctionTable<'_>)> = g
            .topo_order()
            .map_err(|_| Error::Synthesis)?
            .into_iter()
            .filter_map(|id| match g.op(id) {
                Op::Table { lo, values, .. } => Some((
                    id,
                    FunctionTable {
                        id: 0,
                        lo: *lo,
                        values,
                    },
                )),
                _ => None,
            })
            .enumerate()
            .map(|(i, (id, f))| {
                (
                    id,
                    FunctionTable {
                        id: i as u64 + 1,
                        ..f
                    },
                )
            })
            .collect();
        if let Some(t) = &config.table {
            let list: Vec<FunctionTable<'_>> = tables
                .iter()
                .map(|(_, f)| FunctionTable {
                    id: f.id,
                    lo: f.lo,
                    values: f.values,
                })
                .collect();
            t.load(&mut layouter, &list)?;
        }
        let table_ids: HashMap<NodeId, u64> = tables.iter().map(|(id, f)| (*id, f.id)).collect();
        let assigner = Assigner::new(self.tamper.clone(), self.forge.clone(), self.log.is_some());
        let salt = self.salt.map(Value::known).unwrap_or(Value::unknown());
        let io_salts = self
            .io_salts
            .map(|s| s.map(Value::known).unwrap_or(Value::unknown()));
        let traces: Vec<Option<&IntRun>> = match &self.dataset {
            Some(d) => (0..self.plan.samples).map(|i| d.runs.get(i)).collect(),
            None => vec![self.witness.as_deref()],
        };
        let out = layouter.assign_region(
            || "model",
            |mut region| {
                assigner.start_pass();
                let mut s = Synth {
                    g,
                    plan: &self.plan,
                    cfg: &config,
                    a: &assigner,
                    trace: None,
                    traces: &traces,
                    dataset: self.dataset.as_deref(),
                    input_base: 0,
                    cells: HashMap::new(),
                    cur: Cursors::new(&self.plan.shape),
                    table_ids: &table_ids,
                    pads: HashMap::new(),
                    zero: None,
                    powers: HashMap::new(),
                    slots: vec![],
                    private_start: HashMap::new(),
                };
                s.run(&mut region, salt, io_salts)
            },
        )?;
        if let Some(log) = &self.log {
            if let Ok(mut l) = log.lock() {
                *l = assigner.take_log();
            }
        }
        // Public values, in the order of `instance_of`: every element of
        // every graph input (by input index), then every output element; in
        // a dataset circuit every sample's inputs, then the labels, the
        // flags and the count instead of outputs. A private input or output
        // is not among them: its commitment is.
        let mut offset = 0;
        if !g.private_io.input {
            for (cell, row) in &out.inputs {
                layouter.constrain_instance(cell.cell(), config.instance, *row)?;
            }
            let in_len: usize = g.inputs_list().iter().map(|&i| numel(g.shape(i))).sum();
            offset = in_len * self.plan.samples;
        }
        if self.plan.statement.is_some() {
            // labels (or targets), then flags, then the total
            for (cell, row) in &out.labels {
                layouter.constrain_instance(cell.cell(), config.instance, offset + row)?;
            }
            let tot = out.total.as_ref().ok_or(Error::Synthesis)?;
            let labels = self.plan.samples * self.plan.labels_per_sample();
            let n = self.plan.samples;
            layouter.constrain_instance(tot.cell(), config.instance, offset + labels + n)?;
            offset += labels + n + 1;
        } else if !g.private_io.output {
            for (i, cell) in out.outputs.iter().enumerate() {
                layouter.constrain_instance(cell.cell(), config.instance, offset + i)?;
            }
            offset += out.outputs.len();
        }
        // The commitments, the last public values (one per committed part,
        // `Plan::parts` order): Poseidon over the salt and the chunk words,
        // or over the salt and the hashes of the words' segments
        // (`chips::commit::segments`), spread over the chips as
        // `chips::commit::schedule` says.
        if let Some(c) = &config.commit {
            let parts = out.words;
            if parts.len() != self.plan.parts().len() {
                return Err(Error::Synthesis);
            }
            let counts: Vec<usize> = parts.iter().map(|w| w.len().saturating_sub(1)).collect();
            if counts != self.plan.commit_words() {
                return Err(Error::Synthesis);
            }
            let jobs = crate::chips::commit::schedule(&counts, c.poseidon.len());
            let mut segment_hashes: Vec<Vec<ACell>> = vec![vec![]; parts.len()];
            for job in jobs {
                let chip = c.poseidon.get(job.chip).ok_or(Error::Synthesis)?;
                let words = parts.get(job.part).ok_or(Error::Synthesis)?;
                match job.segment {
                    Some(r) => {
                        let part = words.get(1 + r.start..1 + r.end).ok_or(Error::Synthesis)?;
                        let h = chip.hash(&mut layouter, part)?;
                        segment_hashes[job.part].push(h);
                    }
                    None => {
                        let hashes = std::mem::take(&mut segment_hashes[job.part]);
                        let top = if hashes.is_empty() {
                            chip.hash(&mut layouter, words)?
                        } else {
                            let mut v = vec![words.first().cloned().ok_or(Error::Synthesis)?];
                            v.extend(hashes);
                            chip.hash(&mut layouter, &v)?
                        };
                        layouter.constrain_instance(
                            top.cell(),
                            config.instance,
                            offset + job.part,
                        )?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// Synthesis state.
struct Synth<'a> {
    g: &'a Graph,
    plan: &'a Plan,
    cfg: &'a ModelConfig,
    a: &'a Assigner,
    trace: Option<&'a IntRun>,
    /// The trace of every sample (one for a one-input circuit).
    traces: &'a [Option<&'a IntRun>],
    /// Labels and flags of a dataset circuit's witness.
    dataset: Option<&'a DatasetWitness>,
    /// Instance row of the current sample's first input element.
    input_base: usize,
    cells: HashMap<NodeId, Vec<ACell>>,
    cur: Cursors,
    table_ids: &'a HashMap<NodeId, u64>,
    pads: HashMap<i64, ACell>,
    /// The constant 0 (circuits with private parameters).
    zero: Option<ACell>,
    /// The constants `2^e` of the commitment layout, by `e`.
    powers: HashMap<u32, ACell>,
    /// Every private element's slot cells (packing order, limbs most
    /// significant first).
    slots: Vec<Vec<ACell>>,
    /// Packing index of every private node's first element.
    private_start: HashMap<NodeId, usize>,
}

/// The honest value of slot `s` of element `e` (committed range from `lo`,
/// limb widths `limbs`): `e` itself when it is one slot, else its limb
/// (`e - lo`, most significant limb first).
fn slot_of(e: i64, lo: i64, limbs: &[u32], s: &Slot) -> Fp {
    if limbs.len() == 1 {
        return fp64(e);
    }
    // an honest value lies in its range, so u >= 0
    let u = (i128::from(e) - i128::from(lo)) as u128;
    let after: u32 = limbs[s.limb + 1..].iter().sum();
    fp(((u >> after) & ((1u128 << s.width) - 1)) as i128)
}

/// A dot product's parameter operand.
enum Param {
    /// Public values (fixed weights).
    Fixed(Vec<i64>),
    /// A private parameter's cells (advice weights).
    Cells(Vec<ACell>),
}

/// A weight of a dot-product spec: an index into the parameter, or a
/// literal (pool windows, a missing bias).
#[derive(Clone, Copy)]
enum Idx {
    At(usize),
    Lit(i64),
}

impl Param {
    fn weight(&self, i: Idx) -> Result<Weight<'_>, Error> {
        match (self, i) {
            (_, Idx::Lit(v)) => Some(Weight::Fixed(v)),
            (Param::Fixed(v), Idx::At(i)) => v.get(i).map(|&w| Weight::Fixed(w)),
            (Param::Cells(c), Idx::At(i)) => c.get(i).map(Weight::Cell),
        }
        .ok_or(Error::Synthesis)
    }
}

/// What the model region hands to the rest of synthesis.
struct RegionOut {
    /// Input cells with their instance rows.
    inputs: Vec<(ACell, usize)>,
    /// Output cells (a one-input circuit).
    outputs: Vec<ACell>,
    /// The words each commitment hashes (the salt, then the chunks), in
    /// `Plan::parts` order.
    words: Vec<Vec<ACell>>,
    /// The label (or target) and flag cells of a dataset circuit, with
    /// their instance rows after the inputs.
    labels: Vec<(ACell, usize)>,
    /// The count (a dataset circuit).
    total: Option<ACell>,
}

/// The witness of a dataset circuit: every sample's trace, label and
/// whether it counts (a chunk is padded with samples that do not).
#[derive(Clone, Debug)]
pub struct DatasetWitness {
    /// Traces, one per sample of the chunk.
    pub runs: Vec<IntRun>,
    /// Class labels.
    pub labels: Vec<i64>,
    /// Whether each sample counts.
    pub counted: Vec<bool>,
}

impl Synth<'_> {
    /// The trace value of element `i` of `id`.
    fn val(&self, id: NodeId, i: usize) -> Value<i64> {
        match self.trace.and_then(|t| t.value(id)).and_then(|v| v.get(i)) {
            Some(&v) => Value::known(v),
            None => Value::unknown(),
        }
    }

    fn cells_of(&self, id: NodeId) -> Result<&Vec<ACell>, Error> {
        self.cells.get(&id).ok_or(Error::Synthesis)
    }

    /// Lays out every node; returns the input cells with their instance
    /// rows, the output cells and the commitment's words.
    fn run(
        &mut self,
        region: &mut Region<'_, Fp>,
        salt: Value<Fp>,
        io_salts: [Value<Fp>; 2],
    ) -> Result<RegionOut, Error> {
        let zero = Value::known(Fp::zero());
        self.a.at(None, 0);
        if let Some(mac) = &self.cfg.mac {
            self.a.advice(region, "mac.pad", mac.acc, 0, zero)?;
        }
        if let Some(mx) = &self.cfg.max {
            self.a.advice(region, "max.pad", mx.m, 0, zero)?;
            self.a.advice(region, "max.pad", mx.p, 0, zero)?;
        }
        // private values are the same in every sample's trace
        self.trace = self.traces.first().copied().flatten();
        let mut words: Vec<Vec<ACell>> = vec![];
        let weights = self.commit(region, salt)?;
        if !weights.is_empty() {
            words.push(weights);
        }
        self.place_pads(region)?;
        let order = self.g.topo_order().map_err(|_| Error::Synthesis)?;
        let layouts: Vec<(NodeId, NodeLayout)> = order
            .iter()
            .map(|&id| node_layout(self.g, id, self.plan.shape.mac_lanes).map(|l| (id, l)))
            .collect::<Result<_, _>>()
            .map_err(|_| Error::Synthesis)?;
        let in_len: usize = self
            .g
            .inputs_list()
            .iter()
            .map(|&i| numel(self.g.shape(i)))
            .sum();
        let mut inputs = vec![];
        let mut sample_outputs = vec![];
        for sample in 0..self.plan.samples {
            self.trace = self.traces.get(sample).copied().flatten();
            self.input_base = sample * in_len;
            // a sample's values are its own; private parameters are shared
            let g = self.g;
            self.cells
                .retain(|&id, _| matches!(g.op(id), Op::Private(_)));
            for (id, layout) in &layouts {
                let id = *id;
                let cells = match layout {
                    NodeLayout::None => continue,
                    NodeLayout::Private if self.cells.contains_key(&id) => continue,
                    NodeLayout::Movement => self.movement(id)?,
                    NodeLayout::Dot(_) => self.dots(region, id)?,
                    NodeLayout::Arith(_) => self.arith(region, id)?,
                    NodeLayout::Rescale(specs) => self.rescales(region, id, specs, &mut inputs)?,
                    NodeLayout::Max(_, d_bits) => self.maxes(region, id, *d_bits)?,
                    NodeLayout::Table(_) => self.tables(region, id)?,
                    NodeLayout::Private => self.private(region, id)?,
                };
                self.cells.insert(id, cells);
            }
            let mut outs = vec![];
            for &o in self.g.outputs() {
                outs.extend(self.cells_of(o)?.iter().cloned());
            }
            sample_outputs.push(outs);
        }
        let (labels, total) = self.statement(region, &sample_outputs)?;
        words.extend(self.commit_io(region, &inputs, &sample_outputs, io_salts)?);
        self.a.at(None, 0);
        for (lane, &row) in self.cfg.rescale.lanes.iter().zip(&self.cur.rescale) {
            for col in [lane.r, lane.s, lane.yr] {
                self.a.advice(region, "rescale.pad", col, row, zero)?;
            }
        }
        if self.cur.rows(&self.plan.shape) != self.plan.cursor_rows {
            return Err(Error::Synthesis);
        }
        // An adversarial witness may also fill cells the layout leaves empty.
        let forges = self.a.unwritten_forges();
        if !forges.is_empty() {
            let cols = self.cfg.advice_columns();
            for f in forges {
                let col = cols
                    .iter()
                    .find(|&&c| column_index(c) == f.column)
                    .ok_or(Error::Synthesis)?;
                region.assign_advice(|| "forged", *col, f.row, || Value::known(f.value))?;
            }
        }
        let outputs = if self.plan.statement.is_some() {
            vec![]
        } else {
            sample_outputs.pop().ok_or(Error::Synthesis)?
        };
        Ok(RegionOut {
            inputs,
            outputs,
            words,
            labels,
            total,
        })
    }

    /// The statement chip over every sample's outputs (dataset circuits):
    /// returns the label (or target) and flag cells with their instance
    /// rows after the inputs, and the total.
    #[allow(clippy::type_complexity)]
    fn statement(
        &mut self,
        region: &mut Region<'_, Fp>,
        outputs: &[Vec<ACell>],
    ) -> Result<(Vec<(ACell, usize)>, Option<ACell>), Error> {
        if let Some(cfg) = &self.cfg.sse {
            let per = outputs.first().map_or(0, Vec::len);
            let n = outputs.len();
            let mut cells = vec![];
            let mut acc: Option<ACell> = None;
            for (i, outs) in outputs.iter().enumerate() {
                self.a.at(None, i);
                let counted = self.dataset.map_or(Value::unknown(), |d| {
                    d.counted
                        .get(i)
                        .map_or(Value::unknown(), |&c| Value::known(Fp::from(u64::from(c))))
                });
                for (o, y) in outs.iter().enumerate() {
                    let target = self.dataset.map_or(Value::unknown(), |d| {
                        d.labels
                            .get(i * per + o)
                            .map_or(Value::unknown(), |&t| Value::known(fp64(t)))
                    });
                    let row = per + i * per + o;
                    let (t, val, a) =
                        cfg.row(region, self.a, row, y, target, counted, acc.as_ref())?;
                    cells.push((t, i * per + o));
                    cells.push((val, n * per + i));
                    acc = Some(a);
                }
            }
            return Ok((cells, acc));
        }
        let (Some(cfg), Some(widths)) = (&self.cfg.statement, &self.plan.statement) else {
            return Ok((vec![], None));
        };
        let n = outputs.len();
        let t = self.plan.range_bits;
        let mut labels = vec![];
        let mut tot: Option<ACell> = None;
        for (i, outs) in outputs.iter().enumerate() {
            self.a.at(None, i);
            let (label, counted) = match self.dataset {
                Some(d) => (
                    d.labels
                        .get(i)
                        .map_or(Value::unknown(), |&l| Value::known(fp64(l))),
                    d.counted
                        .get(i)
                        .map_or(Value::unknown(), |&c| Value::known(Fp::from(u64::from(c)))),
                ),
                None => (Value::unknown(), Value::unknown()),
            };
            let (lab, val, total) = cfg.sample(
                region,
                self.a,
                // rows from `classes` on: no gate of the first sample reads
                // a row before 0 (`tot_prev` is `classes` rows back)
                (i + 1) * cfg.classes,
                outs,
                label,
                counted,
                tot.as_ref(),
                widths,
                t,
            )?;
            labels.push((lab, i));
            labels.push((val, n + i));
            tot = Some(total);
        }
        Ok((labels, tot))
    }

    /// Constant cells for the values data movement places
    /// ([`crate::plan::constant_values`]): a dot product with no taps and
    /// the value as bias.
    fn place_pads(&mut self, region: &mut Region<'_, Fp>) -> Result<(), Error> {
        let values = crate::plan::constant_values(self.g);
        for v in values {
            let mac = self.cfg.mac.as_ref().ok_or(Error::Synthesis)?;
            let row = self.cur.mac(1);
            let (cell, _) = mac.dot(
                region,
                self.a,
                row,
                &[],
                v,
                Value::known(fp64(v)),
                self.zero.as_ref(),
            )?;
            self.pads.insert(v, cell);
        }
        Ok(())
    }

    fn movement(&self, id: NodeId) -> Result<Vec<ACell>, Error> {
        let ins = self.g.inputs(id);
        let shapes: Vec<&[usize]> = ins.iter().map(|&i| self.g.shape(i)).collect();
        let map = geometry::movement_map(self.g.op(id), &shapes, self.g.shape(id))
            .map_err(|_| Error::Synthesis)?;
        let pad = match self.g.op(id) {
            Op::Pad { value, .. } => self.pads.get(&(*value as i64)).cloned(),
            _ => None,
        };
        map.into_iter()
            .map(|s| match s {
                geometry::Source::Input { input, index } => {
                    let x = ins[input as usize];
                    match self.g.const_tensor(x) {
                        // a constant operand: the element's constant cell
                        Some(t) => t
                            .as_i64()
                            .and_then(|v| v.get(index as usize))
                            .and_then(|v| self.pads.get(v))
                            .cloned()
                            .ok_or(Error::Synthesis),
                        None => self
                            .cells_of(x)?
                            .get(index as usize)
                            .cloned()
                            .ok_or(Error::Synthesis),
                    }
                }
                geometry::Source::Pad => pad.clone().ok_or(Error::Synthesis),
            })
            .collect()
    }

    /// A parameter operand of a dot product: public values or the cells
    /// of a private parameter.
    fn param(&self, id: NodeId) -> Result<Param, Error> {
        if let Some(v) = self.g.const_tensor(id).and_then(|t| t.as_i64()) {
            return Ok(Param::Fixed(v.to_vec()));
        }
        if matches!(self.g.op(id), Op::Private(_)) {
            return Ok(Param::Cells(self.cells_of(id)?.clone()));
        }
        Err(Error::Synthesis)
    }

    fn dots(&mut self, region: &mut Region<'_, Fp>, id: NodeId) -> Result<Vec<ACell>, Error> {
        let g = self.g;
        let ins = g.inputs(id);
        let mac = self.cfg.mac.as_ref().ok_or(Error::Synthesis)?;
        let n = numel(g.shape(id));
        // (taps as (x index, weight index or literal), bias index) per output
        let mut specs: Vec<(Vec<(usize, Idx)>, Idx)> = Vec::with_capacity(n);
        let x_id;
        let (mut w, mut b) = (Param::Fixed(vec![]), Param::Fixed(vec![]));
        match g.op(id) {
            op @ (Op::Conv { .. } | Op::ConvTranspose { .. } | Op::Gemm { .. }) => {
                let d = geometry::dot_products(op, g.shape(ins[0]), g.shape(ins[1]), g.shape(id))
                    .ok_or(Error::Synthesis)?;
                (w, b) = (self.param(ins[1])?, self.param(ins[2])?);
                for o in 0..d.len() {
                    let taps = d
                        .taps_of(o)
                        .iter()
                        .map(|&(xi, wi)| (xi as usize, Idx::At(wi as usize)))
                        .collect();
                    specs.push((taps, Idx::At(d.bias_index[o] as usize)));
                }
                x_id = ins[0];
            }
            Op::SumPool { window, .. } => {
                let wins = geometry::pool_windows(window, g.shape(ins[0]), g.shape(id));
                for win in wins {
                    specs.push((
                        win.iter().map(|&i| (i as usize, Idx::Lit(1))).collect(),
                        Idx::Lit(0),
                    ));
                }
                x_id = ins[0];
            }
            Op::ScaleShift { .. } => {
                (w, b) = (self.param(ins[1])?, self.param(ins[2])?);
                let shape = g.shape(id);
                let per = numel(&shape[2..]).max(1);
                for i in 0..n {
                    let c = (i / per) % shape[1];
                    specs.push((vec![(i, Idx::At(c))], Idx::At(c)));
                }
                x_id = ins[0];
            }
            Op::Mul => {
                let ci = ins
                    .iter()
                    .position(|&i| crate::plan::is_parameter(g, i))
                    .ok_or(Error::Synthesis)?;
                x_id = ins[1 - ci];
                w = self.param(ins[ci])?;
                let xm = broadcast_index_map(g.shape(x_id), g.shape(id));
                let cm = broadcast_index_map(g.shape(ins[ci]), g.shape(id));
                for i in 0..n {
                    specs.push((vec![(xm[i], Idx::At(cm[i]))], Idx::Lit(0)));
                }
            }
            _ => return Err(Error::Synthesis),
        }
        let xs = self.cells_of(x_id)?.clone();
        let one = self.powers.get(&0).cloned();
        let mut out = Vec::with_capacity(n);
        for (o, (taps, bias)) in specs.iter().enumerate() {
            self.a.at(Some(id), o);
            let mut tap_cells: Vec<Tap<'_>> = Vec::with_capacity(taps.len() + 1);
            for &(xi, wi) in taps {
                let x = xs.get(xi).ok_or(Error::Synthesis)?;
                tap_cells.push((x, w.weight(wi)?));
            }
            // a private bias is one more tap: the constant 1 times the bias
            let fixed_bias = match b.weight(*bias)? {
                Weight::Fixed(v) => v,
                Weight::Cell(c) => {
                    tap_cells.push((one.as_ref().ok_or(Error::Synthesis)?, Weight::Cell(c)));
                    0
                }
            };
            let rows = crate::chips::mac::rows_for(tap_cells.len(), self.plan.shape.mac_lanes);
            let row = self.cur.mac(rows);
            let (cell, _) = mac.dot(
                region,
                self.a,
                row,
                &tap_cells,
                fixed_bias,
                self.val(id, o).map(fp64),
                self.zero.as_ref(),
            )?;
            out.push(cell);
        }
        Ok(out)
    }

    /// A private parameter's value cells: an element that fits the range
    /// table is its slot cell; a wider one is rebuilt from its limbs,
    /// `lo + sum 2^pos_j * limb_j`: by a chain of arith operations `r' =
    /// 2^w_j r + limb_j` (the last adding `lo`) when the circuit has arith
    /// lanes, else by a MAC dot product (inputs the constants `2^pos_j`,
    /// advice weights the limb cells).
    fn private(&mut self, region: &mut Region<'_, Fp>, id: NodeId) -> Result<Vec<ACell>, Error> {
        let Op::Private(p) = self.g.op(id) else {
            return Err(Error::Synthesis);
        };
        let (plan, cfg) = (self.plan, self.cfg);
        let start = *self.private_start.get(&id).ok_or(Error::Synthesis)?;
        let layout = plan.commit.as_ref().ok_or(Error::Synthesis)?;
        let n = numel(self.g.shape(id));
        let limbs_of = |i: usize| layout.limbs.get(start + i).ok_or(Error::Synthesis);
        // arith operations this node's wide elements take (for row enables)
        let mut ops_left: usize = (0..n)
            .map(|i| limbs_of(i).map(|l| l.len() - 1))
            .sum::<Result<usize, Error>>()?;
        let mut out = vec![];
        for i in 0..n {
            let e = start + i;
            let limbs = limbs_of(i)?;
            let cells = self.slots.get(e).ok_or(Error::Synthesis)?.clone();
            if limbs.len() == 1 {
                out.push(cells.first().cloned().ok_or(Error::Synthesis)?);
                continue;
            }
            self.a.at(Some(id), i);
            if let Some(ar) = cfg.arith.as_ref().filter(|_| plan.shape.arith_lanes > 0) {
                let lanes = plan.shape.arith_lanes;
                let mut acc = cells.first().cloned().ok_or(Error::Synthesis)?;
                for (j, &w) in limbs.iter().enumerate().skip(1) {
                    let limb = cells.get(j).ok_or(Error::Synthesis)?;
                    let last = j + 1 == limbs.len();
                    let lo = if last { i128::from(p.lo) } else { 0 };
                    let (row, lane) = self.cur.arith(lanes);
                    if lane == 0 {
                        ar.enable_row(region, self.a, row, ops_left.min(lanes))?;
                    }
                    ops_left -= 1;
                    let place = 1i128 << w;
                    let value = acc
                        .value()
                        .copied()
                        .zip(limb.value().copied())
                        .map(|(r, l)| r * fp(place) + l + fp(lo));
                    let op = ArithOp {
                        a: Operand::Cell(&acc),
                        b: Operand::Cell(limb),
                        coef: [0, place, 1, lo],
                    };
                    acc = ar.apply(region, self.a, row, lane, &op, value)?;
                }
                out.push(acc);
                continue;
            }
            let mac = cfg.mac.as_ref().ok_or(Error::Synthesis)?;
            let row = self.cur.mac(crate::chips::mac::rows_for(
                limbs.len(),
                plan.shape.mac_lanes,
            ));
            let mut taps: Vec<Tap<'_>> = vec![];
            let mut pos: u32 = limbs.iter().sum();
            for (j, &w) in limbs.iter().enumerate() {
                pos -= w;
                let x = self.powers.get(&pos).ok_or(Error::Synthesis)?;
                taps.push((x, Weight::Cell(cells.get(j).ok_or(Error::Synthesis)?)));
            }
            let (cell, _) = mac.dot(
                region,
                self.a,
                row,
                &taps,
                p.lo,
                self.val(id, i).map(fp64),
                self.zero.as_ref(),
            )?;
            out.push(cell);
        }
        Ok(out)
    }

    /// Lays out the commitment slots of the private input and output (in
    /// `Plan::io_commit` order) for the input cells (`inputs`, with their
    /// would-be instance rows) and the last sample's output cells, each
    /// slot's lookup checking it in the part's committed range: an element
    /// that fits the table is its slot, a copy of the model's cell; a wider
    /// one is limbs, which a MAC dot product `lo + sum 2^pos_j * limb_j`
    /// (fixed place values) recombines into a copy of the model's cell.
    /// Returns each part's words (its salt, then its chunks).
    fn commit_io(
        &mut self,
        region: &mut Region<'_, Fp>,
        inputs: &[(ACell, usize)],
        outputs: &[Vec<ACell>],
        salts: [Value<Fp>; 2],
    ) -> Result<Vec<Vec<ACell>>, Error> {
        let (plan, cfg) = (self.plan, self.cfg);
        let mut out = vec![];
        for io in &plan.io_commit {
            let cc = cfg.commit.as_ref().ok_or(Error::Synthesis)?;
            let (cells, salt) = match io.part {
                Part::Input => {
                    let mut v = inputs.to_vec();
                    v.sort_by_key(|x| x.1);
                    (v.into_iter().map(|x| x.0).collect::<Vec<_>>(), salts[0])
                }
                Part::Output => (outputs.last().cloned().ok_or(Error::Synthesis)?, salts[1]),
                Part::Weights => return Err(Error::Synthesis),
            };
            let ranges =
                crate::commitment::io_ranges(self.g, io.part).map_err(|_| Error::Synthesis)?;
            if cells.len() != io.layout.limbs.len() || ranges.len() != cells.len() {
                return Err(Error::Synthesis);
            }
            // the node and element of every committed element
            let owners: Vec<(NodeId, usize)> = io_nodes(self.g, io.part)
                .into_iter()
                .flat_map(|id| (0..numel(self.g.shape(id))).map(move |i| (id, i)))
                .collect();
            let layout = &io.layout;
            let slot_value = |s: &Slot| -> Value<Fp> {
                let Some(&(id, i)) = owners.get(s.element) else {
                    return Value::unknown();
                };
                let (lo, limbs) = (ranges[s.element].0, &layout.limbs[s.element]);
                self.val(id, i).map(|e| slot_of(e, lo, limbs, s))
            };
            let owner = |e: usize| owners.get(e).map_or((None, e), |&(id, i)| (Some(id), i));
            let (slots, words) = cc.assign(
                region,
                self.a,
                io.base,
                "commit.io",
                layout,
                &slot_value,
                &owner,
                salt,
            )?;
            for (e, (slot, cell)) in slots.iter().zip(&cells).enumerate() {
                let limbs = &layout.limbs[e];
                if limbs.len() == 1 {
                    let s = slot.first().ok_or(Error::Synthesis)?;
                    region.constrain_equal(s.cell(), cell.cell())?;
                    continue;
                }
                let (id, i) = owners[e];
                self.a.at(Some(id), i);
                let mac = cfg.mac.as_ref().ok_or(Error::Synthesis)?;
                let row = self.cur.mac(crate::chips::mac::rows_for(
                    limbs.len(),
                    plan.shape.mac_lanes,
                ));
                let mut pos: u32 = limbs.iter().sum();
                let mut taps: Vec<Tap<'_>> = vec![];
                for (j, &w) in limbs.iter().enumerate() {
                    pos -= w;
                    let place = 1i64
                        .checked_shl(pos)
                        .filter(|v| *v > 0)
                        .ok_or(Error::Synthesis)?;
                    taps.push((slot.get(j).ok_or(Error::Synthesis)?, Weight::Fixed(place)));
                }
                let (rebuilt, _) = mac.dot(
                    region,
                    self.a,
                    row,
                    &taps,
                    ranges[e].0,
                    self.val(id, i).map(fp64),
                    self.zero.as_ref(),
                )?;
                region.constrain_equal(rebuilt.cell(), cell.cell())?;
            }
            out.push(words);
        }
        Ok(out)
    }

    /// Lays out the commitment chip (circuits with private parameters):
    /// every private element's slots and the salt, then the constants the
    /// layout uses; returns the words the commitment hashes.
    fn commit(
        &mut self,
        region: &mut Region<'_, Fp>,
        salt: Value<Fp>,
    ) -> Result<Vec<ACell>, Error> {
        let Some(layout) = &self.plan.commit else {
            // no private parameters (the chip may still commit to a
            // private input or output)
            return Ok(vec![]);
        };
        let cc = self.cfg.commit.as_ref().ok_or(Error::Synthesis)?;
        // packing order (`Graph::private_ids`, as the commitment and the
        // plan): (node, element, lo) of every private element
        let mut elems: Vec<(NodeId, usize, i64)> = vec![];
        for id in self.g.private_ids().map_err(|_| Error::Synthesis)? {
            if let Op::Private(p) = self.g.op(id) {
                self.private_start.insert(id, elems.len());
                elems.extend((0..numel(self.g.shape(id))).map(|i| (id, i, p.lo)));
            }
        }
        if elems.len() != layout.limbs.len() {
            return Err(Error::Synthesis);
        }
        let slot_value = |s: &Slot| -> Value<Fp> {
            let (id, i, lo) = elems[s.element];
            let limbs = &layout.limbs[s.element];
            self.val(id, i).map(|e| slot_of(e, lo, limbs, s))
        };
        let owner = |e: usize| elems.get(e).map_or((None, e), |&(id, i, _)| (Some(id), i));
        let (cells, words) = cc.assign(
            region,
            self.a,
            0,
            "commit.v",
            layout,
            &slot_value,
            &owner,
            salt,
        )?;
        self.slots = cells;
        let row = layout.chip_rows();
        self.a.note("commit.zero", cc.acc, row);
        let zero = region.assign_advice_from_constant(|| "0", cc.acc, row, Fp::zero())?;
        self.zero = Some(zero);
        for (j, e) in crate::plan::commit_constants(layout, self.plan.range_bits)
            .into_iter()
            .enumerate()
        {
            self.a.note("commit.const", cc.acc, row + 1 + j);
            let c = region.assign_advice_from_constant(|| "2^e", cc.acc, row + 1 + j, pow2(e))?;
            self.powers.insert(e, c);
        }
        Ok(words)
    }

    fn arith(&mut self, region: &mut Region<'_, Fp>, id: NodeId) -> Result<Vec<ACell>, Error> {
        let g = self.g;
        let ins = g.inputs(id);
        let ar = self.cfg.arith.as_ref().ok_or(Error::Synthesis)?;
        let lanes = self.plan.shape.arith_lanes;
        let n = numel(g.shape(id));
        let maps: Vec<Vec<usize>> = ins
            .iter()
            .map(|&i| broadcast_index_map(g.shape(i), g.shape(id)))
            .collect();
        let consts: Vec<Option<&[i64]>> = ins
            .iter()
            .map(|&i| g.const_tensor(i).and_then(|t| t.as_i64()))
            .collect();
        let cells: Vec<Option<&Vec<ACell>>> = ins.iter().map(|&i| self.cells.get(&i)).collect();
        let mut out = Vec::with_capacity(n);
        for e in 0..n {
            self.a.at(Some(id), e);
            // operand j: a cell, or a constant (folded into the coefficients)
            let operand = |j: usize| -> Result<Operand<'_>, Error> {
                let idx = *maps.get(j).and_then(|m| m.get(e)).ok_or(Error::Synthesis)?;
                match (consts[j], cells[j]) {
                    (Some(c), _) => Ok(Operand::Const(i128::from(
                        *c.get(idx).ok_or(Error::Synthesis)?,
                    ))),
                    (None, Some(v)) => Ok(Operand::Cell(v.get(idx).ok_or(Error::Synthesis)?)),
                    (None, None) => Err(Error::Synthesis),
                }
            };
            let op = match g.op(id) {
                Op::Mul => ArithOp {
                    a: operand(0)?,
                    b: operand(1)?,
                    coef: [1, 0, 0, 0],
                },
                Op::Add { .. } | Op::Sub { .. } => {
                    let sign = if matches!(g.op(id), Op::Sub { .. }) {
                        -1
                    } else {
                        1
                    };
                    ArithOp {
                        a: operand(0)?,
                        b: operand(1)?,
                        coef: [0, 1, sign, 0],
                    }
                }
                Op::Rescale { mult, shift, .. } => {
                    let m = i128::from(if mult.len() == 1 { mult[0] } else { mult[e] });
                    let k = shift.unsigned_abs();
                    let scaled = m
                        .checked_shl(k)
                        .filter(|v| (v >> k) == m)
                        .ok_or(Error::Synthesis)?;
                    ArithOp {
                        a: operand(0)?,
                        b: Operand::Const(0),
                        coef: [0, scaled, 0, 0],
                    }
                }
                _ => return Err(Error::Synthesis),
            };
            let (row, lane) = self.cur.arith(lanes);
            if lane == 0 {
                let used = (n - e).min(lanes);
                ar.enable_row(region, self.a, row, used)?;
            }
            out.push(ar.apply(region, self.a, row, lane, &op, self.val(id, e).map(fp64))?);
        }
        Ok(out)
    }

    fn rescales(
        &mut self,
        region: &mut Region<'_, Fp>,
        id: NodeId,
        specs: &[crate::chips::rescale::RescaleSpec],
        inputs: &mut Vec<(ACell, usize)>,
    ) -> Result<Vec<ACell>, Error> {
        let t = self.plan.range_bits;
        let mut out = Vec::with_capacity(specs.len());
        let is_input = matches!(self.g.op(id), Op::Input { .. });
        let xs = if is_input {
            None
        } else {
            Some(self.cells_of(self.g.inputs(id)[0])?.clone())
        };
        let x_id = if is_input { id } else { self.g.inputs(id)[0] };
        // Instance rows of an input: after every element of the inputs
        // before it in input-index order (the order of `instance_of`).
        let input_offset: usize = if is_input {
            let list = self.g.inputs_list();
            let pos = list.iter().position(|&i| i == id).ok_or(Error::Synthesis)?;
            self.input_base
                + list[..pos]
                    .iter()
                    .map(|&i| numel(self.g.shape(i)))
                    .sum::<usize>()
        } else {
            0
        };
        for (e, spec) in specs.iter().enumerate() {
            self.a.at(Some(id), e);
            let rows = spec.rows(t).ok_or(Error::Synthesis)?;
            let (row, lane) = self.cur.rescale(rows);
            let x = match &xs {
                Some(v) => v.get(e).cloned().ok_or(Error::Synthesis)?,
                None => {
                    // A graph input: the lane's x cell holds the public
                    // value, bound to its instance row after the region.
                    let col = self.cfg.rescale.lanes.get(lane).ok_or(Error::Synthesis)?.x;
                    let cell =
                        self.a
                            .advice(region, "input.x", col, row, self.val(id, e).map(fp64))?;
                    inputs.push((cell.clone(), input_offset + e));
                    cell
                }
            };
            let x_int = self.val(x_id, e).map(i128::from);
            let cell = self.cfg.rescale.rescale(
                region,
                self.a,
                row,
                lane,
                &x,
                x_int,
                self.val(id, e),
                spec,
                t,
                xs.is_some(),
            )?;
            out.push(cell);
        }
        Ok(out)
    }

    fn maxes(
        &mut self,
        region: &mut Region<'_, Fp>,
        id: NodeId,
        d_bits: u32,
    ) -> Result<Vec<ACell>, Error> {
        let g = self.g;
        let x = g.inputs(id)[0];
        let Op::MaxPool { window, .. } = g.op(id) else {
            return Err(Error::Synthesis);
        };
        let wins = geometry::pool_windows(window, g.shape(x), g.shape(id));
        let xs = self.cells_of(x)?.clone();
        let mx = self.cfg.max.as_ref().ok_or(Error::Synthesis)?;
        let mut out = vec![];
        for (o, w) in wins.iter().enumerate() {
            self.a.at(Some(id), o);
            let taps: Vec<&ACell> = w.iter().map(|&i| &xs[i as usize]).collect();
            let row = self.cur.max(taps.len().max(1));
            let (cell, _) = mx.max(
                region,
                self.a,
                row,
                &taps,
                self.val(id, o).map(fp64),
                d_bits,
            )?;
            out.push(cell);
        }
        Ok(out)
    }

    fn tables(&mut self, region: &mut Region<'_, Fp>, id: NodeId) -> Result<Vec<ACell>, Error> {
        let x = self.g.inputs(id)[0];
        let xs = self.cells_of(x)?.clone();
        let tc = self.cfg.table.as_ref().ok_or(Error::Synthesis)?;
        let tid = *self.table_ids.get(&id).ok_or(Error::Synthesis)?;
        let mut out = vec![];
        for (e, xc) in xs.iter().enumerate() {
            self.a.at(Some(id), e);
            let row = self.cur.table();
            out.push(tc.apply(region, self.a, row, tid, xc, self.val(id, e).map(fp64))?);
        }
        Ok(out)
    }
}

/// The public values of a run: quantized inputs then outputs, as field
/// elements. Private inputs or outputs ([`Graph::private_io`]) are left out: the
/// caller appends the commitments (weights, then input, then output).
pub fn instance_of(g: &Graph, run: &IntRun) -> Option<Vec<Fp>> {
    let mut v = vec![];
    let ins = if g.private_io.input {
        vec![]
    } else {
        g.inputs_list()
    };
    let outs: &[NodeId] = if g.private_io.output {
        &[]
    } else {
        g.outputs()
    };
    for &id in ins.iter().chain(outs) {
        v.extend(run.value(id)?.iter().map(|&x| fp(i128::from(x))));
    }
    Some(v)
}

/// The public values of a dataset circuit: every sample's quantized inputs
/// (in input-index order), then every label (or every sample's targets),
/// every 0/1 flag, the total (the count of correct counted samples, or
/// their sum of squared errors), and the commitment when the model has one.
pub fn dataset_instance(
    inputs: &[Vec<Vec<i64>>],
    labels: &[i64],
    counted: &[bool],
    total: u128,
    commitment: Option<Fp>,
) -> Vec<Fp> {
    let mut v: Vec<Fp> = inputs
        .iter()
        .flat_map(|s| s.iter().flatten().map(|&x| fp64(x)))
        .collect();
    v.extend(labels.iter().map(|&l| fp64(l)));
    v.extend(counted.iter().map(|&c| Fp::from(u64::from(c))));
    v.push(crate::field::fp_u128(total));
    v.extend(commitment);
    v
}
