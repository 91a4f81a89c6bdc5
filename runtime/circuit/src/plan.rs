//! Layout planning: which chip lays out each node, how many rows every
//! group of lanes needs, the range-table width and `k`. Planning and
//! synthesis share [`node_layout`] and [`Cursors`], so the rows synthesis
//! uses are exactly the rows planned.

use std::collections::{BTreeMap, BTreeSet};

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};
use zkc_ir::{geometry, numel, Graph, NodeId, Op};

use crate::chips::commit::CommitLayout;
use crate::chips::mac::rows_for;
use crate::chips::range::table_rows;
use crate::chips::rescale::RescaleSpec;
pub use crate::commitment::Part;
use crate::shape::{
    CircuitShape, ARITH_LANE_CHOICES, COMMIT_LANE_CHOICES, MAC_LANE_CHOICES, RESCALE_LANE_CHOICES,
};
use crate::CircuitError;

/// Rows halo2 reserves at the end of the domain (blinding factors + 1) for
/// this design: at most 3 queries of any advice column, so 3 + 2 + 1.
pub const RESERVED_ROWS: usize = 6;
/// Largest `k` zkc plans for.
pub const MAX_K: u32 = 22;

/// How a node is laid out.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeLayout {
    /// No cells (constants).
    None,
    /// Cells of its inputs, reindexed (data movement).
    Movement,
    /// One dot product per element; rows per element.
    Dot(Vec<usize>),
    /// One arith lane per element.
    Arith(usize),
    /// One rescale per element (graph inputs and non-linear rescales).
    Rescale(Vec<RescaleSpec>),
    /// One max window per element; taps per window and the width of `m - x`.
    Max(Vec<usize>, u32),
    /// One table lookup per element.
    Table(usize),
    /// A private parameter: its cells are the commitment chip's (laid out
    /// once for all private nodes), and an element wider than the range
    /// table gets one MAC dot product rebuilding it from its limbs.
    Private,
}

/// Where the next element of each group goes.
#[derive(Clone, Debug, Default)]
pub struct Cursors {
    /// Next free MAC row.
    pub mac: usize,
    /// Arith elements placed (row = n / lanes, lane = n % lanes).
    pub arith: usize,
    /// Next free row per rescale lane.
    pub rescale: Vec<usize>,
    /// Next free max row.
    pub max: usize,
    /// Next free table row.
    pub table: usize,
}

impl Cursors {
    /// Fresh cursors for `shape`. Row 0 of the MAC and max lanes is a zero
    /// row (their gates read the previous row), so they start at row 1.
    pub fn new(shape: &CircuitShape) -> Self {
        Cursors {
            mac: usize::from(shape.mac_lanes > 0),
            max: usize::from(shape.max_lanes > 0),
            rescale: vec![0; shape.rescale_lanes],
            ..Default::default()
        }
    }
    /// Takes `rows` MAC rows; returns the first.
    pub fn mac(&mut self, rows: usize) -> usize {
        let r = self.mac;
        self.mac += rows;
        r
    }
    /// Takes one arith slot; returns `(row, lane)`.
    pub fn arith(&mut self, lanes: usize) -> (usize, usize) {
        let n = self.arith;
        self.arith += 1;
        (n / lanes.max(1), n % lanes.max(1))
    }
    /// Takes `rows` rows of the least used rescale lane; returns `(row, lane)`.
    pub fn rescale(&mut self, rows: usize) -> (usize, usize) {
        let lane = (0..self.rescale.len())
            .min_by_key(|&l| (self.rescale[l], l))
            .unwrap_or(0);
        let r = self.rescale[lane];
        self.rescale[lane] += rows;
        (r, lane)
    }
    /// Takes `rows` max rows.
    pub fn max(&mut self, rows: usize) -> usize {
        let r = self.max;
        self.max += rows;
        r
    }
    /// Takes one table row.
    pub fn table(&mut self) -> usize {
        self.table += 1;
        self.table - 1
    }
    /// Rows used by the tallest group (each rescale lane ends with a zero
    /// row, which its gates read as the next row).
    pub fn rows(&self, shape: &CircuitShape) -> usize {
        let arith = self.arith.div_ceil(shape.arith_lanes.max(1));
        let rescale = self.rescale.iter().copied().max().map_or(0, |r| r + 1);
        [self.mac, arith, rescale, self.max, self.table]
            .into_iter()
            .max()
            .unwrap_or(0)
    }
}

fn bits(v: &BigInt) -> u32 {
    if v.is_zero() {
        0
    } else {
        u32::try_from(v.bits()).unwrap_or(u32::MAX)
    }
}

fn bound_of(g: &Graph, id: NodeId) -> Result<(BigInt, BigInt), CircuitError> {
    g.ty(id)
        .bound
        .as_ref()
        .map(|b| (b.lo.clone(), b.hi.clone()))
        .ok_or_else(|| {
            CircuitError::Unsupported(format!(
                "{} has no bound (run bound analysis)",
                g.node(id).name
            ))
        })
}

fn round_shift(x: &BigInt, n: u32) -> BigInt {
    if n == 0 {
        return x.clone();
    }
    let d = BigInt::from(1) << n;
    let v = x + (BigInt::from(1) << (n - 1));
    num_integer::Integer::div_floor(&v, &d)
}

/// The rescale spec of one multiplier `m` over an input range.
pub fn rescale_spec(
    m: i64,
    shift: i32,
    lo: i64,
    hi: i64,
    x: &(BigInt, BigInt),
) -> Result<RescaleSpec, CircuitError> {
    let (mnum, n) = if shift > 0 {
        (i128::from(m), shift.unsigned_abs())
    } else {
        let k = shift.unsigned_abs();
        let v = i128::from(m)
            .checked_shl(k)
            .filter(|v| (v >> k) == i128::from(m));
        (
            v.ok_or_else(|| CircuitError::Unsupported(format!("multiplier {m} << {k} overflows")))?,
            0,
        )
    };
    let q = |v: &BigInt| round_shift(&(v * BigInt::from(mnum)), n);
    let (qa, qb) = (q(&x.0), q(&x.1));
    let (qmin, qmax) = if qa <= qb { (qa, qb) } else { (qb, qa) };
    let (l, h) = (BigInt::from(lo), BigInt::from(hi));
    let slack = (&l - &qmin).max(&qmax - &h).max(BigInt::zero());
    let (clamp_lo, clamp_hi) = (qmin < l, qmax > h);
    if clamp_lo || clamp_hi {
        let s_bits = bits(&(slack - 1u32));
        if h < l {
            return Err(CircuitError::Unsupported(format!(
                "rescale clamp lo = {lo} > hi = {hi}"
            )));
        }
        // `y = clamp(q, lo, hi)` is monotone in `q`: it only takes values in
        // `[clamp(qmin), clamp(qmax)]`, so that interval may be checked (a
        // one-sided Clip no longer pays for its type's whole range). A side
        // that can clamp keeps its bound; on a side that cannot, the gate
        // forbids that direction of `d`, so an input outside its proven
        // range finds no witness (fails closed) instead of a clamped one.
        // The reachable interval is used only when it is cheaper: fewer
        // bits, and no upper check that the full range did not need (an
        // upper check of a value wider than the table forces a wider
        // table). Either interval is sound with the per-side `d`.
        let reach = (
            qmin.clone().clamp(l.clone(), h.clone()),
            qmax.clone().clamp(l.clone(), h.clone()),
        );
        let (w, rw) = (&h - &l, &reach.1 - &reach.0);
        let cheaper = bits(&rw) < bits(&w) && (all_ones(&rw) || bits(&rw) <= 8 || !all_ones(&w));
        let ((l, h), w) = if cheaper { (reach, rw) } else { ((l, h), w) };
        let (Some(lo), Some(hi)) = (l.to_i64(), h.to_i64()) else {
            return Err(CircuitError::Unsupported(
                "rescale output range beyond i64".into(),
            ));
        };
        return Ok(RescaleSpec {
            mnum,
            n,
            lo,
            hi,
            clamp_lo,
            clamp_hi,
            s_bits,
            y_bits: bits(&w),
            check_hi: !all_ones(&w),
        });
    }
    // The clamp cannot fire: `y = q` lies in `[qmin, qmax]`, and checking
    // `0 <= y - qmin < 2^bits(qmax - qmin)` bounds it (which is what makes
    // `q` and the remainder unique; see the chip's uniqueness note).
    let (Some(ylo), Some(yhi)) = (qmin.to_i64(), qmax.to_i64()) else {
        return Err(CircuitError::Unsupported(
            "rescale output range beyond i64".into(),
        ));
    };
    Ok(RescaleSpec {
        mnum,
        n,
        lo: ylo,
        hi: yhi,
        clamp_lo: false,
        clamp_hi: false,
        s_bits: 0,
        y_bits: bits(&(qmax - qmin)),
        check_hi: false,
    })
}

/// The spec that range-checks a graph input in `[lo, hi]`.
fn input_spec(lo: &BigInt, hi: &BigInt) -> Result<RescaleSpec, CircuitError> {
    let (Some(l), Some(h)) = (lo.to_i64(), hi.to_i64()) else {
        return Err(CircuitError::Unsupported("input range beyond i64".into()));
    };
    let w = BigInt::from(h) - BigInt::from(l);
    if w.is_negative() {
        return Err(CircuitError::Unsupported(format!(
            "input range [{l}, {h}] is empty"
        )));
    }
    Ok(RescaleSpec {
        mnum: 1,
        n: 0,
        lo: l,
        hi: h,
        clamp_lo: false,
        clamp_hi: false,
        s_bits: 0,
        y_bits: bits(&w),
        check_hi: !all_ones(&w),
    })
}

/// True when `w + 1` is a power of two (`w >= 0`): a width-`w` range is
/// exactly `bits(w)` bits, so no upper check is needed.
fn all_ones(w: &BigInt) -> bool {
    ((w + 1u32) & w).is_zero()
}

/// True for a rescale the circuit checks as a linear relation: no right
/// shift and a clamp bound analysis proves inactive, so `y = x * M` is
/// fixed by its (determined) input with no range check.
pub fn is_linear(spec: &RescaleSpec) -> bool {
    spec.n == 0 && !spec.clamp()
}

/// How `id` is laid out, with the widths its lookups use.
pub fn node_layout(g: &Graph, id: NodeId, lanes: usize) -> Result<NodeLayout, CircuitError> {
    let ins = g.inputs(id);
    let op = g.op(id);
    let n = numel(g.shape(id));
    let unsupported = |why: &str| {
        CircuitError::Unsupported(format!("{} ({}): {why}", op.kind(), g.node(id).name))
    };
    Ok(match op {
        Op::Const(_) => NodeLayout::None,
        Op::Private(_) => NodeLayout::Private,
        Op::Input { .. } => {
            let (lo, hi) = bound_of(g, id)?;
            NodeLayout::Rescale(vec![input_spec(&lo, &hi)?; n])
        }
        Op::Conv { .. } | Op::ConvTranspose { .. } | Op::Gemm { .. } => {
            let d = geometry::dot_products(op, g.shape(ins[0]), g.shape(ins[1]), g.shape(id))
                .ok_or_else(|| unsupported("no dot products"))?;
            let extra = usize::from(is_private(g, ins[2]));
            NodeLayout::Dot(
                (0..d.len())
                    .map(|o| rows_for(d.taps_of(o).len() + extra, lanes))
                    .collect(),
            )
        }
        Op::SumPool { window, .. } => {
            let wins = geometry::pool_windows(window, g.shape(ins[0]), g.shape(id));
            NodeLayout::Dot(wins.iter().map(|w| rows_for(w.len(), lanes)).collect())
        }
        Op::ScaleShift { .. } => {
            NodeLayout::Dot(vec![
                rows_for(1 + usize::from(is_private(g, ins[2])), lanes);
                n
            ])
        }
        Op::Mul if ins.iter().any(|&i| is_parameter(g, i)) => NodeLayout::Dot(vec![1; n]),
        Op::Mul | Op::Add { .. } | Op::Sub { .. } => NodeLayout::Arith(n),
        Op::Rescale {
            mult,
            shift,
            lo,
            hi,
        } => {
            let x = bound_of(g, ins[0])?;
            let mut specs = vec![];
            let mut memo: BTreeMap<i64, RescaleSpec> = BTreeMap::new();
            for i in 0..n {
                let m = if mult.len() == 1 { mult[0] } else { mult[i] };
                let spec = match memo.get(&m) {
                    Some(s) => *s,
                    None => {
                        let s = rescale_spec(m, *shift, *lo, *hi, &x)?;
                        memo.insert(m, s);
                        s
                    }
                };
                specs.push(spec);
            }
            if specs.iter().all(is_linear) {
                NodeLayout::Arith(n)
            } else {
                NodeLayout::Rescale(specs)
            }
        }
        Op::MaxPool { window, .. } => {
            let wins = geometry::pool_windows(window, g.shape(ins[0]), g.shape(id));
            let (lo, hi) = bound_of(g, ins[0])?;
            NodeLayout::Max(wins.iter().map(|w| w.len()).collect(), bits(&(hi - lo)))
        }
        Op::Table { .. } => NodeLayout::Table(n),
        Op::Reshape
        | Op::Transpose { .. }
        | Op::Concat { .. }
        | Op::Pad { .. }
        | Op::Slice { .. }
        | Op::Gather { .. }
        | Op::Resize { .. } => NodeLayout::Movement,
        Op::BatchNorm { .. }
        | Op::Div
        | Op::Relu
        | Op::Clip(_)
        | Op::LeakyRelu { .. }
        | Op::Sigmoid
        | Op::Function(_)
        | Op::Tanh
        | Op::AvgPool { .. }
        | Op::GlobalAvgPool => return Err(unsupported("float-only op in a quantized graph")),
    })
}

impl Plan {
    /// Public labels (or targets) per sample of a dataset circuit: 1 for
    /// an accuracy statement, the output length for a squared-error one.
    pub fn labels_per_sample(&self) -> usize {
        match self.shape.statement {
            Some(st) if st.limbs == 0 => st.classes,
            _ => 1,
        }
    }
}

/// True when `id` is a private parameter.
pub fn is_private(g: &Graph, id: NodeId) -> bool {
    matches!(g.op(id), Op::Private(_))
}

/// True when `id` is a parameter (a constant or a private parameter): the
/// operand of a `mul` the MAC chip lays out as a one-tap dot product.
pub fn is_parameter(g: &Graph, id: NodeId) -> bool {
    g.const_tensor(id).is_some() || is_private(g, id)
}

/// The declared range of every private element, in packing order (the
/// nodes of [`Graph::private_ids`], elements row-major).
pub fn private_ranges(g: &Graph) -> Result<Vec<(i64, i64)>, CircuitError> {
    let order = g
        .private_ids()
        .map_err(|e| CircuitError::Unsupported(e.to_string()))?;
    let mut out = vec![];
    for id in order {
        if let Op::Private(p) = g.op(id) {
            out.extend(std::iter::repeat_n((p.lo, p.hi), numel(g.shape(id))));
        }
    }
    Ok(out)
}

/// The constants of a private circuit's commitment layout: 0 (the advice
/// weight of every public tap) and the place values `2^(t*i)` of limbs
/// (`2^0 = 1` is also the input of a private bias's tap).
pub fn commit_constants(layout: &CommitLayout, t: u32) -> Vec<u32> {
    let most = layout.limbs.iter().map(Vec::len).max().unwrap_or(1).max(1);
    (0..most as u32).map(|i| t * i).collect()
}

/// The planned circuit of a quantized graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Lanes per chip.
    pub shape: CircuitShape,
    /// log2 of the number of rows.
    pub k: u32,
    /// Width `T` of the range table's widest tag.
    pub range_bits: u32,
    /// Range widths in the table.
    pub tags: BTreeSet<u32>,
    /// Rows used by the model region (and, with private parameters, the
    /// commitment chip and Poseidon's regions).
    pub rows: usize,
    /// Rows the chips' cursors use (what synthesis checks it laid out).
    pub cursor_rows: usize,
    /// Rows of the range table.
    pub range_table_rows: usize,
    /// Rows of the function tables.
    pub function_table_rows: usize,
    /// Public values: every input element, then every output element.
    pub instance_len: usize,
    /// Rows per op kind (summed over groups, for reports).
    pub rows_by_op: BTreeMap<String, usize>,
    /// Multiply-accumulate taps laid out.
    pub macs: usize,
    /// The commitment chip's layout (circuits with private parameters).
    pub commit: Option<CommitLayout>,
    /// Samples laid out (1 for a one-input circuit).
    pub samples: usize,
    /// The statement chip's limb widths (dataset circuits).
    pub statement: Option<Vec<u32>>,
    /// The commitment layouts of private inputs and outputs (in [`Part`]
    /// order), after the private parameters' rows in the same chip.
    pub io_commit: Vec<IoCommit>,
}

/// The commitment chip's layout of a private input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoCommit {
    /// [`Part::Input`] or [`Part::Output`].
    pub part: Part,
    /// Its slots (every element one slot: at most the table's width).
    pub layout: CommitLayout,
    /// The chip row of its salt (its slot rows follow).
    pub base: usize,
}

impl Plan {
    /// The committed parts, in the order of their commitments among the
    /// public values (the last ones).
    pub fn parts(&self) -> Vec<Part> {
        let mut v = vec![];
        if self.commit.is_some() {
            v.push(Part::Weights);
        }
        v.extend(self.io_commit.iter().map(|c| c.part));
        v
    }

    /// The chunk words (salt excluded) of every committed part, in
    /// [`Plan::parts`] order.
    pub fn commit_words(&self) -> Vec<usize> {
        let mut v = vec![];
        if let Some(l) = &self.commit {
            v.push(l.words() - 1);
        }
        v.extend(self.io_commit.iter().map(|c| c.layout.words() - 1));
        v
    }
}

/// The integer constants data movement places in its output: pad values,
/// and the elements of constant operands (a Concat with a constant part).
/// Each gets one constant cell, one MAC row (a dot product with no taps
/// and the value as bias), so a moved constant is a copy of a cell the verifying key
/// fixes.
pub fn constant_values(g: &Graph) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    for id in g.ids() {
        let op = g.op(id);
        if let Op::Pad { value, .. } = op {
            out.insert(*value as i64);
        }
        if op.is_data_movement() {
            for &i in &g.inputs(id) {
                if let Some(v) = g.const_tensor(i).and_then(|t| t.as_i64()) {
                    out.extend(v.iter().copied());
                }
            }
        }
    }
    out
}

/// The per-node layouts of a graph for a MAC lane count (independent of
/// the other lanes and of the range width).
pub struct Prepared {
    layouts: Vec<(NodeId, String, NodeLayout)>,
    names: Vec<String>,
    macs: usize,
    function_rows: usize,
    pads: usize,
    instance_len: usize,
    private: Vec<(i64, i64)>,
    /// Committed ranges of the private inputs and outputs.
    io: Vec<(Part, Vec<(i64, i64)>)>,
    input_len: usize,
    /// Classes and spread bits of the one output, for a classifier.
    output: Option<(usize, u32)>,
    /// Elements of the one output.
    output_len: Option<usize>,
}

/// Computes the layouts of every node of `g` for `mac_lanes` lanes.
pub fn prepare(g: &Graph, mac_lanes: usize) -> Result<Prepared, CircuitError> {
    let order = g
        .topo_order()
        .map_err(|e| CircuitError::Unsupported(e.to_string()))?;
    let mut layouts = vec![];
    let mut names = vec![];
    let (mut macs, mut function_rows) = (0, 1);
    for id in order {
        let l = node_layout(g, id, mac_lanes)?;
        if matches!(l, NodeLayout::Dot(_)) {
            macs += dot_taps(g, id).unwrap_or(0);
        }
        if let Op::Table { values, .. } = g.op(id) {
            function_rows += values.len();
        }
        layouts.push((id, g.op(id).kind().to_string(), l));
        names.push(g.node(id).name.clone());
    }
    let private = private_ranges(g)?;
    let mut io = vec![];
    for (on, part) in [
        (g.private_io.input, Part::Input),
        (g.private_io.output, Part::Output),
    ] {
        if on {
            io.push((part, crate::commitment::io_ranges(g, part)?));
        }
    }
    let input_len = g.inputs_list().iter().map(|&i| numel(g.shape(i))).sum();
    let output = match g.outputs() {
        [o] if numel(g.shape(*o)) >= 2 => bound_of(g, *o)
            .ok()
            .map(|(lo, hi)| (numel(g.shape(*o)), bits(&(hi - lo)).max(1))),
        _ => None,
    };
    // public inputs, public outputs, then one commitment per private part
    let output_len_all: usize = g.outputs().iter().map(|&o| numel(g.shape(o))).sum();
    let instance_len = if g.private_io.input { 0 } else { input_len }
        + if g.private_io.output {
            0
        } else {
            output_len_all
        }
        + usize::from(!private.is_empty())
        + io.len();
    let output_len = match g.outputs() {
        [o] => Some(numel(g.shape(*o))),
        _ => None,
    };
    Ok(Prepared {
        private,
        io,
        input_len,
        output,
        output_len,
        layouts,
        names,
        macs,
        function_rows,
        pads: constant_values(g).len(),
        instance_len,
    })
}

/// Plans with `shape` and range width `t`; `Err(reason)` when a chip the
/// model needs has no lanes, some check does not fit `t` bits, or the
/// circuit needs more than `2^MAX_K` rows (the reason names the op and the
/// quantity).
pub fn plan_with(p: &Prepared, shape: CircuitShape, t: u32) -> Result<Plan, String> {
    plan_samples(p, shape, t, 1)
}

/// Plans a dataset circuit: `samples` copies of the model sharing its
/// parameters, and the statement chip of `shape` (a one-input circuit when
/// it has none; then `samples` must be 1).
pub fn plan_samples(
    p: &Prepared,
    shape: CircuitShape,
    t: u32,
    samples: usize,
) -> Result<Plan, String> {
    if samples == 0 || (shape.statement.is_none() && samples != 1) {
        return Err("a dataset circuit needs a statement and at least one sample".into());
    }
    let statement = match shape.statement {
        None => None,
        Some(st) if st.limbs == 0 => {
            if p.output_len != Some(st.classes) {
                return Err(format!(
                    "the squared-error chip of {} outputs does not fit this model",
                    st.classes
                ));
            }
            Some(vec![])
        }
        Some(st) => {
            let (classes, bits) = p.output.ok_or_else(|| {
                "an accuracy statement needs one output of at least two classes with a bound"
                    .to_string()
            })?;
            let widths = crate::chips::statement::limbs(bits, t);
            if st.classes != classes || st.limbs != widths.len() || st.t != t {
                return Err(format!(
                    "the statement chip {}x{} ({} bits) does not fit {classes} classes of {bits} bits",
                    st.classes, st.limbs, st.t
                ));
            }
            Some(widths)
        }
    };
    let mut cur = Cursors::new(&shape);
    let mut tags: BTreeSet<u32> = BTreeSet::from([0]);
    let mut by_op: BTreeMap<String, usize> = BTreeMap::new();
    let no_lanes = |chip: &str| Err(format!("no {chip} lanes in {}", shape.describe()));
    if p.pads > 0 && shape.mac_lanes == 0 {
        return no_lanes("mac");
    }
    cur.mac(p.pads);
    // a dataset's inputs are public (its digest is a public value), and a
    // dataset circuit has no public outputs to hide
    if statement.is_some() && p.io.iter().any(|(part, _)| *part == Part::Input) {
        return Err(
            "a dataset statement needs public inputs (the data set is public); compile without `--private input`"
                .into(),
        );
    }
    let io: Vec<&(Part, Vec<(i64, i64)>)> =
        p.io.iter()
            .filter(|(part, _)| statement.is_none() || *part != Part::Output)
            .collect();
    let commits = !p.private.is_empty() || !io.is_empty();
    if commits != (shape.commit_lanes > 0) {
        return Err(if commits {
            format!("no commit lanes in {}", shape.describe())
        } else {
            "no private parameters, inputs or outputs for the commitment lanes".into()
        });
    }
    if shape.advice_weights == p.private.is_empty() {
        return Err(if p.private.is_empty() {
            "advice weights without private parameters".into()
        } else {
            format!(
                "private parameters need advice weights, not {}",
                shape.describe()
            )
        });
    }
    let commit = if p.private.is_empty() {
        None
    } else {
        let l = CommitLayout::new(&p.private, t, shape.commit_lanes).ok_or_else(|| {
            "a private parameter's declared range does not span a power of two".to_string()
        })?;
        for row in &l.rows {
            tags.extend(row.iter().map(|s| s.width));
        }
        // elements wider than the table are rebuilt from their limbs: by
        // arith operations (one per limb after the first) when there are
        // arith lanes, else by MAC rows
        let wide = l.limbs.iter().filter(|v| v.len() > 1);
        if shape.arith_lanes > 0 {
            let ops: usize = wide.map(|v| v.len() - 1).sum();
            (0..ops).for_each(|_| {
                cur.arith(shape.arith_lanes);
            });
            if ops > 0 {
                by_op.insert("private".into(), ops.div_ceil(shape.arith_lanes));
            }
        } else {
            let rebuild: usize = wide.map(|v| rows_for(v.len(), shape.mac_lanes)).sum();
            if rebuild > 0 && shape.mac_lanes == 0 {
                return no_lanes("mac");
            }
            cur.mac(rebuild);
            if rebuild > 0 {
                by_op.insert("private".into(), rebuild);
            }
        }
        Some(l)
    };
    for ((_, kind, layout), name) in (0..samples).flat_map(|_| p.layouts.iter().zip(&p.names)) {
        let before = (
            cur.mac,
            cur.arith,
            cur.rescale.iter().sum::<usize>(),
            cur.max,
            cur.table,
        );
        match layout {
            NodeLayout::None | NodeLayout::Movement | NodeLayout::Private => {}
            NodeLayout::Dot(rows) => {
                if shape.mac_lanes == 0 {
                    return no_lanes("mac");
                }
                rows.iter().for_each(|&r| {
                    cur.mac(r);
                });
            }
            NodeLayout::Arith(n) => {
                if shape.arith_lanes == 0 {
                    return no_lanes("arith");
                }
                (0..*n).for_each(|_| {
                    cur.arith(shape.arith_lanes);
                });
            }
            NodeLayout::Rescale(specs) => {
                if shape.rescale_lanes == 0 {
                    return no_lanes("rescale");
                }
                for s in specs {
                    let rows = s.rows(t).ok_or_else(|| {
                        format!(
                            "{kind} {name}: its rescale needs a {}-bit remainder, a {}-bit slack and a {}-bit output check{}, more than two {t}-bit rows allow",
                            s.n,
                            s.s_bits,
                            s.y_bits,
                            if s.check_hi { " with an upper check" } else { "" }
                        )
                    })?;
                    tags.extend(s.tags(t));
                    cur.rescale(rows);
                }
            }
            NodeLayout::Max(windows, d_bits) => {
                if shape.max_lanes == 0 {
                    return no_lanes("max");
                }
                if *d_bits > t {
                    return Err(format!(
                        "{kind} {name}: its taps differ by up to {d_bits} bits, more than a {t}-bit range table holds"
                    ));
                }
                tags.insert(*d_bits);
                windows.iter().for_each(|&w| {
                    cur.max(w.max(1));
                });
            }
            NodeLayout::Table(n) => {
                if shape.table_lanes == 0 {
                    return no_lanes("table");
                }
                (0..*n).for_each(|_| {
                    cur.table();
                });
            }
        }
        let after = (
            cur.mac,
            cur.arith,
            cur.rescale.iter().sum::<usize>(),
            cur.max,
            cur.table,
        );
        let used = (after.0 - before.0)
            + (after.1 - before.1).div_ceil(shape.arith_lanes.max(1))
            + (after.2 - before.2)
            + (after.3 - before.3)
            + (after.4 - before.4);
        if used > 0 {
            *by_op.entry(kind.clone()).or_insert(0) += used;
        }
    }
    // the commitment chip: the private parameters' slots and the constants
    // they use, then every private input's or output's slots
    let mut chip_rows = 0;
    let mut constants = 0;
    let mut words = vec![];
    if let Some(l) = &commit {
        constants = commit_constants(l, t).len() + 1;
        chip_rows = l.chip_rows() + constants;
        words.push(l.words() - 1);
    }
    let mut io_commit = vec![];
    let mut io_rebuild = 0;
    for (part, ranges) in io {
        let l = CommitLayout::new(ranges, t, shape.commit_lanes).ok_or_else(|| {
            format!(
                "a private {}'s range is not a power-of-two span",
                part.name()
            )
        })?;
        // an element wider than the table is committed as limbs, which
        // the MAC chip recombines (fixed place values) into a copy of the
        // model's cell
        let rebuild: usize = l
            .limbs
            .iter()
            .filter(|v| v.len() > 1)
            .map(|v| rows_for(v.len(), shape.mac_lanes))
            .sum();
        if rebuild > 0 && shape.mac_lanes == 0 {
            return no_lanes("mac");
        }
        io_rebuild += rebuild;
        for row in &l.rows {
            tags.extend(row.iter().map(|s| s.width));
        }
        words.push(l.words() - 1);
        let base = chip_rows;
        chip_rows += l.chip_rows();
        io_commit.push(IoCommit {
            part: *part,
            layout: l,
            base,
        });
    }
    cur.mac(io_rebuild);
    if io_rebuild > 0 {
        *by_op.entry("commitment".into()).or_insert(0) += io_rebuild;
    }
    let cursor_rows = cur.rows(&shape);
    let mut rows = cursor_rows;
    // statement rows start after one idle sample's worth (no gate reads a
    // row before 0)
    let per_sample = match shape.statement {
        Some(st) => st.classes,
        None => 0,
    };
    if let Some(w) = &statement {
        tags.extend(w.iter().copied());
        let n = (samples + 1) * per_sample;
        rows = rows.max(n);
        by_op.insert("statement".into(), n);
    }
    // a dataset circuit's public values: every sample's inputs, labels and
    // flags, the count (and the commitment)
    let labels = if statement.as_ref().is_some_and(|w| w.is_empty()) {
        per_sample
    } else {
        1
    };
    let instance_len = if statement.is_some() {
        samples * (p.input_len + labels + 1) + 1 + usize::from(!p.private.is_empty())
    } else {
        p.instance_len
    };
    if chip_rows > 0 {
        rows = rows.max(chip_rows);
        // Poseidon's regions (their own columns) and the constants column
        // (Poseidon's initial state and the layout's constants)
        let jobs = crate::chips::commit::schedule(&words, shape.commit_lanes);
        rows = rows
            .max(crate::chips::commit::poseidon_rows(
                &jobs,
                shape.commit_lanes,
            ))
            .max(3 * jobs.len() + constants);
        *by_op.entry("commitment".into()).or_insert(0) += chip_rows - constants;
    }
    let range_rows = table_rows(&tags);
    let need = rows.max(range_rows).max(p.function_rows).max(instance_len) + RESERVED_ROWS + 1;
    let k = (need.next_power_of_two().trailing_zeros()).max(4);
    if k > MAX_K {
        let (what, n) = [
            ("chip rows", rows),
            ("range-table rows", range_rows),
            ("function-table rows", p.function_rows),
            ("public values", instance_len),
        ]
        .into_iter()
        .max_by_key(|x| x.1)
        .unwrap_or(("rows", need));
        let top = by_op
            .iter()
            .max_by_key(|x| x.1)
            .map(|(op, r)| format!(" ({op} ops use {r} of them)"))
            .unwrap_or_default();
        return Err(format!(
            "{n} {what}{} need 2^{k} rows, more than 2^{MAX_K}",
            if what == "chip rows" {
                top
            } else {
                String::new()
            }
        ));
    }
    Ok(Plan {
        shape,
        k,
        range_bits: t,
        tags,
        rows,
        cursor_rows,
        range_table_rows: range_rows,
        function_table_rows: p.function_rows,
        instance_len,
        rows_by_op: by_op,
        macs: p.macs * samples,
        commit,
        samples,
        statement,
        io_commit,
    })
}

fn dot_taps(g: &Graph, id: NodeId) -> Option<usize> {
    let ins = g.inputs(id);
    match g.op(id) {
        Op::SumPool { window, .. } => Some(
            geometry::pool_windows(window, g.shape(ins[0]), g.shape(id))
                .iter()
                .map(|w| w.len())
                .sum(),
        ),
        Op::ScaleShift { .. } | Op::Mul => Some(numel(g.shape(id))),
        op => geometry::dot_products(op, g.shape(ins[0]), g.shape(ins[1]), g.shape(id))
            .map(|d| d.macs()),
    }
}

/// A rough prover cost of a plan: `2^k` times the committed columns.
fn cost(p: &Plan) -> u64 {
    let s = &p.shape;
    let advice = s.mac_lanes
        + 1
        + 3 * s.arith_lanes
        + 6 * s.rescale_lanes
        + 4 * s.max_lanes
        + 2 * s.table_lanes;
    let lookups = 3 * s.rescale_lanes + s.max_lanes + s.table_lanes;
    let equality = s.mac_lanes
        + 1
        + 3 * s.arith_lanes
        + 2 * s.rescale_lanes
        + 2 * s.max_lanes
        + 2 * s.table_lanes
        + 1;
    let fixed = s.mac_lanes + 2 + 4 * s.arith_lanes + 17 * s.rescale_lanes + 3 * s.max_lanes + 1;
    // commitment lanes, the MAC's advice weights and Poseidon's columns
    let (c, wa) = (s.commit_lanes, if s.is_private() { s.mac_lanes } else { 0 });
    // one sponge chip (6 advice, 6 fixed columns, 3 of them in the
    // permutation) per commitment lane
    let advice = advice + c + wa + c * 6;
    let lookups = lookups + c;
    let equality = equality + c + wa + c * 3;
    let fixed = fixed + 3 * c + c * 6 + usize::from(s.has_commitments()) * 3;
    // the statement chip
    let sl = s.statement.map_or(0, |st| st.limbs);
    let stmt = usize::from(s.statement.is_some());
    let advice = advice + stmt * (11 + sl);
    let lookups = lookups + sl;
    let equality = equality + stmt * 4;
    let fixed = fixed + stmt * (5 + sl);
    let units = 4 * advice + 12 * lookups + 4 * equality.div_ceil(3) + fixed;
    (1u64 << p.k) * units as u64
}

/// Plans `g` with a given shape and range-table width (the choice
/// [`plan`] made when the key was generated, as `setup.json` records it):
/// the same layout as [`plan`] gives for that choice, without the search.
pub fn plan_for(g: &Graph, shape: CircuitShape, t: u32) -> Result<Plan, CircuitError> {
    let prepared = prepare(g, shape.mac_lanes)?;
    plan_with(&prepared, shape, t).map_err(|why| {
        CircuitError::Unsupported(format!(
            "the model does not fit {} with a {t}-bit range table: {why}",
            shape.describe()
        ))
    })
}

/// Plans `g`: tries lane counts and range widths and keeps the cheapest.
pub fn plan(g: &Graph) -> Result<Plan, CircuitError> {
    search(g, 1, None)
}

/// The statement a dataset circuit proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementKind {
    /// How many samples the classifier gets right (argmax = label).
    Accuracy,
    /// The sum of squared errors of a regressor against targets.
    SquaredError,
}

/// Plans the dataset circuit of `g` for `samples` samples per proof (an
/// accuracy statement): tries lane counts and range widths, keeps the
/// cheapest.
pub fn plan_dataset(g: &Graph, samples: usize, kind: StatementKind) -> Result<Plan, CircuitError> {
    search(g, samples, Some(kind))
}

/// [`plan_for`] of a dataset circuit.
pub fn plan_dataset_for(
    g: &Graph,
    shape: CircuitShape,
    t: u32,
    samples: usize,
) -> Result<Plan, CircuitError> {
    let prepared = prepare(g, shape.mac_lanes)?;
    plan_samples(&prepared, shape, t, samples).map_err(|why| {
        CircuitError::Unsupported(format!(
            "the dataset circuit does not fit {} with a {t}-bit range table: {why}",
            shape.describe()
        ))
    })
}

fn search(g: &Graph, samples: usize, kind: Option<StatementKind>) -> Result<Plan, CircuitError> {
    let has = |f: &dyn Fn(&Op) -> bool| g.ids().into_iter().any(|id| f(g.op(id)));
    let max_lanes = usize::from(has(&|o| matches!(o, Op::MaxPool { .. })));
    let table_lanes = usize::from(has(&|o| matches!(o, Op::Table { .. })));
    if kind.is_some() && g.private_io.input {
        return Err(CircuitError::Unsupported(
            "a dataset statement needs public inputs (the data set is public); compile without `--private input`".into(),
        ));
    }
    let private = has(&|o| matches!(o, Op::Private(_)));
    let io = g.private_io.input || (kind.is_none() && g.private_io.output);
    let commit_choices: &[usize] = if private || io {
        &COMMIT_LANE_CHOICES
    } else {
        &[0]
    };
    let mut best: Option<Plan> = None;
    let mut why = String::new();
    for mac in MAC_LANE_CHOICES {
        let prepared = prepare(g, mac)?;
        for arith in ARITH_LANE_CHOICES {
            for (rescale, &commit_lanes) in RESCALE_LANE_CHOICES
                .into_iter()
                .flat_map(|r| commit_choices.iter().map(move |c| (r, c)))
            {
                for t in 8..=16 {
                    let st = match (kind, prepared.output) {
                        (None, _) => None,
                        (Some(StatementKind::SquaredError), _) => {
                            let n = prepared.output_len.ok_or_else(|| {
                                CircuitError::Unsupported(
                                    "a squared-error statement needs a model with one output"
                                        .into(),
                                )
                            })?;
                            Some(crate::shape::StatementShape {
                                classes: n,
                                limbs: 0,
                                t: 0,
                            })
                        }
                        (Some(StatementKind::Accuracy), Some((classes, bits))) => {
                            Some(crate::shape::StatementShape {
                                classes,
                                limbs: crate::chips::statement::limbs(bits, t).len(),
                                t,
                            })
                        }
                        (Some(StatementKind::Accuracy), None) => {
                            return Err(CircuitError::Unsupported(
                                "an accuracy statement needs a model with one output of at least two classes".into(),
                            ))
                        }
                    };
                    let shape = CircuitShape {
                        mac_lanes: mac,
                        arith_lanes: arith,
                        rescale_lanes: rescale,
                        max_lanes,
                        table_lanes,
                        commit_lanes,
                        advice_weights: private,
                        statement: st,
                    };
                    match plan_samples(&prepared, shape, t, samples) {
                        Ok(p) => {
                            let better = best
                                .as_ref()
                                .is_none_or(|b| (cost(&p), p.k) < (cost(b), b.k));
                            if better {
                                best = Some(p);
                            }
                        }
                        // the widest table's reason: narrower ones fail first
                        Err(e) if !e.starts_with("no ") => why = e,
                        Err(_) => {}
                    }
                }
            }
        }
    }
    best.ok_or_else(|| {
        CircuitError::Unsupported(format!(
            "the model does not fit a circuit of at most 2^{MAX_K} rows: {why}"
        ))
    })
}
