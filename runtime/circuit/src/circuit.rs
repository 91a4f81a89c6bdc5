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
use crate::chips::mac::{MacConfig, MacInstructions, Tap};
use crate::chips::maxpool::{MaxConfig, MaxInstructions};
use crate::chips::range::RangeTableConfig;
use crate::chips::rescale::{RescaleConfig, RescaleInstructions};
use crate::chips::table::{FunctionTable, TableConfig, TableInstructions};
use crate::field::{fp, fp64};
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
            ..self.clone()
        }
    }
}

impl Circuit<Fp> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;

    fn without_witnesses(&self) -> Self {
        ModelCircuit {
            witness: None,
            tamper: vec![],
            forge: vec![],
            log: None,
            ..self.clone()
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fp>) -> ModelConfig {
        let shape = current_shape();
        let range = RangeTableConfig::configure(meta);
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        ModelConfig {
            shape,
            mac: (shape.mac_lanes > 0).then(|| MacConfig::configure(meta, shape.mac_lanes)),
            arith: (shape.arith_lanes > 0).then(|| ArithConfig::configure(meta, shape.arith_lanes)),
            rescale: RescaleConfig::configure(meta, shape.rescale_lanes, range),
            max: (shape.max_lanes > 0).then(|| MaxConfig::configure(meta, range)),
            table: (shape.table_lanes > 0).then(|| TableConfig::configure(meta)),
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
        let (inputs, outputs) = layouter.assign_region(
            || "model",
            |mut region| {
                assigner.start_pass();
                let mut s = Synth {
                    g,
                    plan: &self.plan,
                    cfg: &config,
                    a: &assigner,
                    trace: self.witness.as_deref(),
                    cells: HashMap::new(),
                    cur: Cursors::new(&self.plan.shape),
                    table_ids: &table_ids,
                    pads: HashMap::new(),
                };
                s.run(&mut region)
            },
        )?;
        if let Some(log) = &self.log {
            if let Ok(mut l) = log.lock() {
                *l = assigner.take_log();
            }
        }
        // Public values, in the order of `instance_of`: every element of
        // every graph input (by input index), then every output element.
        for (cell, row) in &inputs {
            layouter.constrain_instance(cell.cell(), config.instance, *row)?;
        }
        let offset: usize = g.inputs_list().iter().map(|&i| numel(g.shape(i))).sum();
        for (i, cell) in outputs.iter().enumerate() {
            layouter.constrain_instance(cell.cell(), config.instance, offset + i)?;
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
    cells: HashMap<NodeId, Vec<ACell>>,
    cur: Cursors,
    table_ids: &'a HashMap<NodeId, u64>,
    pads: HashMap<i64, ACell>,
}

impl Synth<'_> {
    /// The trace value of element `i` of `id`.
    fn val(&self, id: NodeId, i: usize) -> Value<i64> {
        match self.trace.and_then(|t| t.value(id)).and_then(|v| v.get(i)) {
            Some(&v) => Value::known(v),
            None => Value::unknown(),
        }
    }

    fn consts(&self, id: NodeId) -> Result<&[i64], Error> {
        self.g
            .const_tensor(id)
            .and_then(|t| t.as_i64())
            .ok_or(Error::Synthesis)
    }

    fn cells_of(&self, id: NodeId) -> Result<&Vec<ACell>, Error> {
        self.cells.get(&id).ok_or(Error::Synthesis)
    }

    /// Lays out every node; returns the input cells with their instance
    /// rows, and the output cells.
    #[allow(clippy::type_complexity)]
    fn run(
        &mut self,
        region: &mut Region<'_, Fp>,
    ) -> Result<(Vec<(ACell, usize)>, Vec<ACell>), Error> {
        let zero = Value::known(Fp::zero());
        self.a.at(None, 0);
        if let Some(mac) = &self.cfg.mac {
            self.a.advice(region, "mac.pad", mac.acc, 0, zero)?;
        }
        if let Some(mx) = &self.cfg.max {
            self.a.advice(region, "max.pad", mx.m, 0, zero)?;
            self.a.advice(region, "max.pad", mx.p, 0, zero)?;
        }
        self.place_pads(region)?;
        let order = self.g.topo_order().map_err(|_| Error::Synthesis)?;
        let mut inputs = vec![];
        for id in order {
            let layout =
                node_layout(self.g, id, self.plan.shape.mac_lanes).map_err(|_| Error::Synthesis)?;
            let cells = match layout {
                NodeLayout::None => continue,
                NodeLayout::Movement => self.movement(id)?,
                NodeLayout::Dot(_) => self.dots(region, id)?,
                NodeLayout::Arith(_) => self.arith(region, id)?,
                NodeLayout::Rescale(specs) => self.rescales(region, id, &specs, &mut inputs)?,
                NodeLayout::Max(_, d_bits) => self.maxes(region, id, d_bits)?,
                NodeLayout::Table(_) => self.tables(region, id)?,
            };
            self.cells.insert(id, cells);
        }
        self.a.at(None, 0);
        for (lane, &row) in self.cfg.rescale.lanes.iter().zip(&self.cur.rescale) {
            for col in [lane.r, lane.s, lane.yr] {
                self.a.advice(region, "rescale.pad", col, row, zero)?;
            }
        }
        if self.cur.rows(&self.plan.shape) != self.plan.rows {
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
        let mut outs = vec![];
        for &o in self.g.outputs() {
            outs.extend(self.cells_of(o)?.iter().cloned());
        }
        Ok((inputs, outs))
    }

    /// Constant cells for the values data movement places
    /// ([`crate::plan::constant_values`]): a dot product with no taps and
    /// the value as bias.
    fn place_pads(&mut self, region: &mut Region<'_, Fp>) -> Result<(), Error> {
        let values = crate::plan::constant_values(self.g);
        for v in values {
            let mac = self.cfg.mac.as_ref().ok_or(Error::Synthesis)?;
            let row = self.cur.mac(1);
            let (cell, _) = mac.dot(region, self.a, row, &[], v, Value::known(fp64(v)))?;
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

    fn dots(&mut self, region: &mut Region<'_, Fp>, id: NodeId) -> Result<Vec<ACell>, Error> {
        let g = self.g;
        let ins = g.inputs(id);
        let mac = self.cfg.mac.as_ref().ok_or(Error::Synthesis)?;
        let n = numel(g.shape(id));
        // (x input, taps as (x index, weight), bias) per output
        let mut specs: Vec<(Vec<(usize, i64)>, i64)> = Vec::with_capacity(n);
        let x_id;
        match g.op(id) {
            op @ (Op::Conv { .. } | Op::ConvTranspose { .. } | Op::Gemm { .. }) => {
                let d = geometry::dot_products(op, g.shape(ins[0]), g.shape(ins[1]), g.shape(id))
                    .ok_or(Error::Synthesis)?;
                let (w, b) = (self.consts(ins[1])?, self.consts(ins[2])?);
                for o in 0..d.len() {
                    let taps = d
                        .taps_of(o)
                        .iter()
                        .map(|&(xi, wi)| (xi as usize, w[wi as usize]))
                        .collect();
                    specs.push((taps, b[d.bias_index[o] as usize]));
                }
                x_id = ins[0];
            }
            Op::SumPool { window, .. } => {
                let wins = geometry::pool_windows(window, g.shape(ins[0]), g.shape(id));
                for w in wins {
                    specs.push((w.iter().map(|&i| (i as usize, 1)).collect(), 0));
                }
                x_id = ins[0];
            }
            Op::ScaleShift { .. } => {
                let (s, t) = (self.consts(ins[1])?, self.consts(ins[2])?);
                let shape = g.shape(id);
                let per = numel(&shape[2..]).max(1);
                for i in 0..n {
                    let c = (i / per) % shape[1];
                    specs.push((vec![(i, s[c])], t[c]));
                }
                x_id = ins[0];
            }
            Op::Mul => {
                let ci = ins
                    .iter()
                    .position(|&i| g.const_tensor(i).is_some())
                    .ok_or(Error::Synthesis)?;
                x_id = ins[1 - ci];
                let c = self.consts(ins[ci])?;
                let xm = broadcast_index_map(g.shape(x_id), g.shape(id));
                let cm = broadcast_index_map(g.shape(ins[ci]), g.shape(id));
                for i in 0..n {
                    specs.push((vec![(xm[i], c[cm[i]])], 0));
                }
            }
            _ => return Err(Error::Synthesis),
        }
        let xs = self.cells_of(x_id)?.clone();
        let mut out = Vec::with_capacity(n);
        for (o, (taps, bias)) in specs.iter().enumerate() {
            self.a.at(Some(id), o);
            let tap_cells: Vec<Tap<'_>> = taps.iter().map(|&(xi, w)| (&xs[xi], w)).collect();
            let rows = crate::chips::mac::rows_for(taps.len(), self.plan.shape.mac_lanes);
            let row = self.cur.mac(rows);
            let (cell, _) = mac.dot(
                region,
                self.a,
                row,
                &tap_cells,
                *bias,
                self.val(id, o).map(fp64),
            )?;
            out.push(cell);
        }
        Ok(out)
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
            list[..pos].iter().map(|&i| numel(self.g.shape(i))).sum()
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

/// The public values of a run: quantized inputs then outputs, as field elements.
pub fn instance_of(g: &Graph, run: &IntRun) -> Option<Vec<Fp>> {
    let mut v = vec![];
    for &id in g.inputs_list().iter().chain(g.outputs()) {
        v.extend(run.value(id)?.iter().map(|&x| fp(i128::from(x))));
    }
    Some(v)
}
