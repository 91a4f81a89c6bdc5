//! Loading an ONNX file and walking its nodes into a float IR graph.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use tract_onnx::pb::{ModelProto, NodeProto};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::Factoid;
use zkc_ir::{DType, Graph, NodeId, Op, Tensor as IrTensor, ValueType};

use crate::op_lists::is_known;
use crate::ops_table::{map_node, MapErr, Mapped};
use crate::{FrontendError, MAX_ONNX_BYTES};

/// A model input after shape fixing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputInfo {
    /// The ONNX input name.
    pub name: String,
    /// Its static shape (symbolic batch dimensions set to 1).
    pub shape: Vec<usize>,
}

/// The result of importing an ONNX model.
#[derive(Clone, Debug)]
pub struct Imported {
    /// The float IR graph (validated structurally, not yet transformed).
    pub graph: Graph,
    /// The model inputs, in order.
    pub inputs: Vec<InputInfo>,
    /// The ONNX output names, in order.
    pub outputs: Vec<String>,
    /// The default-domain opset version.
    pub opset: i64,
}

/// Imports the ONNX file at `path`; the graph is named after the file stem.
pub fn import_file(path: &Path) -> Result<Imported, FrontendError> {
    let file = path.display().to_string();
    let io = |e: std::io::Error| FrontendError::Io {
        file: file.clone(),
        reason: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(FrontendError::Io {
            file,
            reason: "is a directory, expected an .onnx file".into(),
        });
    }
    if meta.len() > MAX_ONNX_BYTES {
        return Err(FrontendError::Model {
            file,
            reason: format!(
                "file is {} bytes, above the {} byte limit",
                meta.len(),
                MAX_ONNX_BYTES
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "model".into());
    // external data is read from the model's own directory
    let dir = match path.parent() {
        Some(d) if d.as_os_str().is_empty() => Path::new("."),
        Some(d) => d,
        None => Path::new("."),
    };
    import_model(&bytes, &file, &stem, Some(dir))
}

/// Imports an ONNX model from memory. `file` names it in errors; `name`
/// becomes the graph name.
/// Initializers stored as external data are refused (there is no
/// directory to read them from); [`import_file`] reads them.
pub fn import_bytes(bytes: &[u8], file: &str, name: &str) -> Result<Imported, FrontendError> {
    import_model(bytes, file, name, None)
}

fn import_model(
    bytes: &[u8],
    file: &str,
    name: &str,
    dir: Option<&Path>,
) -> Result<Imported, FrontendError> {
    let decode = |reason: String| FrontendError::Decode {
        file: file.to_string(),
        reason,
    };
    if bytes.is_empty() {
        return Err(decode("the file is empty".into()));
    }
    let mut proto = tract_onnx::onnx()
        .proto_model_for_read(&mut &bytes[..])
        .map_err(|e| decode(format!("{e:#}")))?;
    if let Some(g) = proto.graph.as_mut() {
        if g.node.len() <= crate::MAX_ONNX_NODES {
            crate::external_data::inline_external(g, dir, file)?;
        }
    }
    let graph_proto = proto
        .graph
        .as_ref()
        .ok_or_else(|| decode("the model has no graph".into()))?;
    if graph_proto.node.is_empty() && graph_proto.output.is_empty() {
        return Err(decode("the graph is empty".into()));
    }
    if graph_proto.node.len() > crate::MAX_ONNX_NODES {
        return Err(FrontendError::Model {
            file: file.to_string(),
            reason: format!(
                "{} nodes, above the limit of {}",
                graph_proto.node.len(),
                crate::MAX_ONNX_NODES
            ),
        });
    }
    crate::limits::check_constant_sizes(graph_proto)
        .and_then(|_| crate::limits::check_outputs_defined(graph_proto))
        .map_err(|reason| FrontendError::Model {
            file: file.to_string(),
            reason,
        })?;
    refuse_training_mode(graph_proto, file)?;
    let (model, names) = analysed_model(&proto, file)?;
    let opset = proto
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map(|o| o.version)
        .unwrap_or(0);
    let mut imp = Importer {
        opset,
        file: file.to_string(),
        model: &model,
        names,
        graph: Graph::new(name),
        env: HashMap::new(),
        materialized: HashMap::new(),
    };
    let inputs = imp.add_inputs()?;
    let used = used_names(graph_proto);
    for node in topo_nodes(graph_proto, file)? {
        imp.import_node(node, &used)?;
    }
    let mut outs = vec![];
    let mut names = vec![];
    for o in &graph_proto.output {
        outs.push(imp.node_for(&o.name, &o.name)?);
        names.push(o.name.clone());
    }
    imp.graph
        .set_outputs(outs)
        .map_err(|e| imp.model_err(e.to_string()))?;
    zkc_ir::validate(&imp.graph, zkc_ir::Stage::Float)
        .map_err(|e| imp.model_err(format!("internal error, imported IR is invalid: {e}")))?;
    let opset = imp.opset;
    Ok(Imported {
        graph: imp.graph,
        inputs,
        outputs: names,
        opset,
    })
}

/// Parses the proto with tract, fixes input shapes and runs tract's shape and
/// constant inference.
/// Also returns tract's name of every value: tract merges equal constants
/// into one node, so the later names of equal initializers (zero biases,
/// `axes = steps = [1]`) are found only there.
#[allow(clippy::type_complexity)]
fn analysed_model(
    proto: &ModelProto,
    file: &str,
) -> Result<(InferenceModel, HashMap<String, OutletId>), FrontendError> {
    let model_err = |reason: String| FrontendError::Model {
        file: file.to_string(),
        reason,
    };
    let parsed = crate::limits::no_panic(|| tract_onnx::onnx().parse(proto, None))
        .map_err(|p| model_err(format!("tract failed while parsing ({p})")))?
        .map_err(|e| {
            first_unsupported(proto, file).unwrap_or_else(|| model_err(format!("{e:#}")))
        })?;
    if !parsed.unresolved_inputs.is_empty() {
        return Err(model_err(format!(
            "values used but never defined: {}",
            parsed.unresolved_inputs.join(", ")
        )));
    }
    let names = parsed.outlets_by_name;
    let mut model = parsed.model;
    let n_inputs = model.input_outlets().map(|o| o.len()).unwrap_or(0);
    if n_inputs == 0 {
        return Err(model_err("the model has no inputs".into()));
    }
    for i in 0..n_inputs {
        let name = model
            .input_outlets()
            .ok()
            .and_then(|o| o.get(i).map(|o| model.node(o.node).name.clone()))
            .unwrap_or_default();
        let input_err = |reason: String| FrontendError::Input {
            file: file.to_string(),
            input: name.clone(),
            reason,
        };
        let fact = model
            .input_fact(i)
            .map_err(|e| input_err(e.to_string()))?
            .clone();
        let dt = fact.datum_type.concretize().unwrap_or(f32::datum_type());
        if !dt.is_float() {
            return Err(input_err(format!(
                "has element type {dt:?}; zkc supports float inputs"
            )));
        }
        if fact.shape.is_open() {
            return Err(input_err(
                "has unknown shape (rank not given); export the model with static input shapes"
                    .into(),
            ));
        }
        let mut shape = Vec::new();
        for (axis, d) in fact.shape.dims().enumerate() {
            match d.concretize().and_then(|t| t.as_i64()) {
                Some(v) if v > 0 => shape.push(v as usize),
                Some(0) => {
                    return Err(input_err(format!(
                        "dimension {axis} is 0; zkc does not support empty tensors"
                    )))
                }
                _ if axis == 0 => shape.push(1),
                _ => {
                    return Err(input_err(format!(
                        "dimension {axis} is unknown or symbolic ({d:?}); only the batch dimension (axis 0) may be"
                    )))
                }
            }
        }
        zkc_ir::checked_numel(&shape).map_err(|e| input_err(e.to_string()))?;
        model
            .set_input_fact(i, InferenceFact::dt_shape(dt, shape))
            .map_err(|e| input_err(e.to_string()))?;
    }
    crate::limits::no_panic(|| model.analyse(false))
        .map_err(|p| model_err(format!("tract failed during shape inference ({p})")))?
        .map_err(|e| {
            first_unsupported(proto, file)
                .unwrap_or_else(|| model_err(format!("shape inference failed: {e:#}")))
        })?;
    Ok((model, names))
}

/// The first node whose op zkc does not know at all, as an error.
fn first_unsupported(proto: &ModelProto, file: &str) -> Option<FrontendError> {
    let g = proto.graph.as_ref()?;
    g.node
        .iter()
        .find(|n| !is_known(&n.op_type))
        .map(|n| FrontendError::Unsupported {
            op: n.op_type.clone(),
            node: node_name(n),
            file: file.to_string(),
            detail: crate::op_lists::missing(&n.op_type)
                .map(|m| format!(": {m}"))
                .unwrap_or_default(),
        })
}

/// The node's name, or its first output when unnamed.
pub(crate) fn node_name(n: &NodeProto) -> String {
    if !n.name.is_empty() {
        n.name.clone()
    } else {
        n.output.first().cloned().unwrap_or_default()
    }
}

/// Refuses a BatchNormalization in training mode before tract sees it
/// (tract's own error, "Wrong number of outputs", names neither the cause
/// nor the fix).
fn refuse_training_mode(g: &tract_onnx::pb::GraphProto, file: &str) -> Result<(), FrontendError> {
    for n in g.node.iter().filter(|n| n.op_type == "BatchNormalization") {
        let training = crate::attrs::int(n, "training_mode", 0).unwrap_or(1) != 0
            || n.output.iter().skip(1).any(|o| !o.is_empty());
        if training {
            return Err(FrontendError::Unsupported {
                op: n.op_type.clone(),
                node: node_name(n),
                file: file.to_string(),
                detail: format!(": {}", crate::ops_table::TRAINING_BATCH_NORM),
            });
        }
    }
    Ok(())
}

/// Every value name some node or graph output reads.
fn used_names(g: &tract_onnx::pb::GraphProto) -> HashSet<String> {
    let mut used: HashSet<String> = g
        .node
        .iter()
        .flat_map(|n| n.input.iter().cloned())
        .collect();
    used.extend(g.output.iter().map(|o| o.name.clone()));
    used
}

/// The nodes in a topological order (ONNX requires one, but not every
/// exporter respects it).
fn topo_nodes<'a>(
    g: &'a tract_onnx::pb::GraphProto,
    file: &str,
) -> Result<Vec<&'a NodeProto>, FrontendError> {
    let producer: HashMap<&str, usize> = g
        .node
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.output.iter().map(move |o| (o.as_str(), i)))
        .collect();
    let mut state = vec![0u8; g.node.len()]; // 0 new, 1 on stack, 2 done
    let mut order = Vec::with_capacity(g.node.len());
    for start in 0..g.node.len() {
        let mut stack = vec![(start, 0usize)];
        while let Some((i, k)) = stack.pop() {
            if k == 0 {
                if state[i] == 2 {
                    continue;
                }
                state[i] = 1;
            }
            let deps = &g.node[i].input;
            if k < deps.len() {
                stack.push((i, k + 1));
                if let Some(&p) = producer.get(deps[k].as_str()) {
                    match state[p] {
                        0 => stack.push((p, 0)),
                        1 => {
                            return Err(FrontendError::Model {
                                file: file.to_string(),
                                reason: format!(
                                    "the graph has a cycle through node {}",
                                    node_name(&g.node[p])
                                ),
                            })
                        }
                        _ => {}
                    }
                }
            } else if state[i] != 2 {
                state[i] = 2;
                order.push(&g.node[i]);
            }
        }
    }
    Ok(order)
}

/// A value during import: an IR node or a constant known to tract.
#[derive(Clone)]
pub(crate) enum Val {
    Node(NodeId),
    Const(Arc<Tensor>),
}

/// Import state: the tract analysis, the IR being built and the name map.
pub(crate) struct Importer<'m> {
    pub file: String,
    model: &'m InferenceModel,
    pub graph: Graph,
    env: HashMap<String, Val>,
    materialized: HashMap<String, NodeId>,
    /// tract's outlet of every named value (see [`analysed_model`]).
    names: HashMap<String, OutletId>,
    /// The default-domain opset version (0 when the model names none).
    pub opset: i64,
}

impl Importer<'_> {
    pub(crate) fn model_err(&self, reason: String) -> FrontendError {
        FrontendError::Model {
            file: self.file.clone(),
            reason,
        }
    }

    fn add_inputs(&mut self) -> Result<Vec<InputInfo>, FrontendError> {
        let outlets = self
            .model
            .input_outlets()
            .map_err(|e| self.model_err(e.to_string()))?
            .to_vec();
        let mut infos = vec![];
        for (index, outlet) in outlets.iter().enumerate() {
            let name = self.model.node(outlet.node).name.clone();
            let shape = self
                .fact_shape(*outlet)
                .ok_or_else(|| self.model_err(format!("input {name} has no static shape")))?;
            let id = self
                .graph
                .add(
                    Op::Input { index },
                    &[],
                    ValueType::f32(shape.clone()),
                    name.clone(),
                )
                .map_err(|e| self.model_err(e.to_string()))?;
            self.env.insert(name.clone(), Val::Node(id));
            infos.push(InputInfo { name, shape });
        }
        Ok(infos)
    }

    fn outlet(&self, name: &str) -> Option<OutletId> {
        self.model
            .find_outlet_label(name)
            .or_else(|| {
                self.model
                    .node_by_name(name)
                    .ok()
                    .map(|n| OutletId::new(n.id, 0))
            })
            .or_else(|| self.names.get(name).copied())
    }

    fn fact_shape(&self, o: OutletId) -> Option<Vec<usize>> {
        let f = self.model.outlet_fact(o).ok()?;
        let dims = f.shape.concretize()?;
        dims.iter()
            .map(|d| d.as_i64().and_then(|v| usize::try_from(v).ok()))
            .collect()
    }

    /// The static shape tract inferred for the value `name`.
    pub(crate) fn shape_of(&self, name: &str) -> Option<Vec<usize>> {
        match self.env.get(name) {
            Some(Val::Node(id)) => Some(self.graph.shape(*id).to_vec()),
            Some(Val::Const(t)) => Some(t.shape().to_vec()),
            None => self.outlet(name).and_then(|o| self.fact_shape(o)),
        }
    }

    /// The value called `name`: an imported node or a constant.
    pub(crate) fn value(&mut self, name: &str) -> Option<Val> {
        if let Some(v) = self.env.get(name) {
            return Some(v.clone());
        }
        let o = self.outlet(name)?;
        let t = self.model.outlet_fact(o).ok()?.value.concretize()?;
        let v = Val::Const(t);
        self.env.insert(name.to_string(), v.clone());
        Some(v)
    }

    /// The constant called `name`, if it is one.
    pub(crate) fn constant(&mut self, name: &str) -> Option<Arc<Tensor>> {
        match self.value(name)? {
            Val::Const(t) => Some(t),
            Val::Node(_) => None,
        }
    }

    /// An IR node for the value `name`, creating a `const` node for constants.
    pub(crate) fn node_for(&mut self, name: &str, user: &str) -> Result<NodeId, FrontendError> {
        match self.value(name) {
            Some(Val::Node(id)) => Ok(id),
            Some(Val::Const(t)) => {
                if let Some(&id) = self.materialized.get(name) {
                    return Ok(id);
                }
                let data =
                    tensor_f32(&t).map_err(|e| self.model_err(format!("constant {name}: {e}")))?;
                let ir = IrTensor::f32(t.shape().to_vec(), data)
                    .map_err(|e| self.model_err(e.to_string()))?;
                let id = self.graph.add_const(ir, None, name);
                self.materialized.insert(name.to_string(), id);
                Ok(id)
            }
            None => Err(self.model_err(format!("value {name} read by {user} is not defined"))),
        }
    }

    /// Adds an IR node, inferring its shape.
    pub(crate) fn add(
        &mut self,
        op: Op,
        inputs: &[NodeId],
        name: &str,
    ) -> Result<NodeId, FrontendError> {
        self.graph
            .add_inferred(op, inputs, DType::F32, name)
            .map_err(|e| self.model_err(format!("node {name}: {e}")))
    }

    /// Adds an IR node with an explicit shape (reshapes).
    pub(crate) fn add_shaped(
        &mut self,
        op: Op,
        inputs: &[NodeId],
        shape: Vec<usize>,
        name: &str,
    ) -> Result<NodeId, FrontendError> {
        let id = self
            .graph
            .add(op, inputs, ValueType::f32(shape), name)
            .map_err(|e| self.model_err(format!("node {name}: {e}")))?;
        let shapes: Vec<Vec<usize>> = inputs
            .iter()
            .map(|&i| self.graph.shape(i).to_vec())
            .collect();
        let refs: Vec<&[usize]> = shapes.iter().map(|s| s.as_slice()).collect();
        self.graph
            .op(id)
            .infer_shape(&refs, self.graph.shape(id))
            .map_err(|e| self.model_err(format!("node {name}: {e}")))?;
        Ok(id)
    }

    fn import_node(
        &mut self,
        node: &NodeProto,
        used: &HashSet<String>,
    ) -> Result<(), FrontendError> {
        let outs: Vec<&String> = node.output.iter().filter(|o| !o.is_empty()).collect();
        if outs.is_empty() {
            return Ok(());
        }
        // Constant (shape) sub-graphs: tract already knows every output's value.
        let consts: Option<Vec<Arc<Tensor>>> = outs
            .iter()
            .map(|o| {
                self.outlet(o)
                    .and_then(|o| self.model.outlet_fact(o).ok())
                    .and_then(|f| f.value.concretize())
            })
            .collect();
        if let Some(values) = consts {
            for (o, v) in outs.iter().zip(values) {
                self.env.insert((*o).clone(), Val::Const(v));
            }
            return Ok(());
        }
        let name = node_name(node);
        for extra in &outs[1..] {
            if used.contains(extra.as_str())
                && !matches!(node.op_type.as_str(), "Split" | "LayerNormalization")
            {
                return Err(FrontendError::Unsupported {
                    op: node.op_type.clone(),
                    node: name,
                    file: self.file.clone(),
                    detail: format!(": its extra output {extra} is used (training-mode outputs are not supported)"),
                });
            }
        }
        let mapped = map_node(self, node, &name).map_err(|e| match e {
            MapErr::Model(e) => e,
            MapErr::Unsupported(detail) => FrontendError::Unsupported {
                op: node.op_type.clone(),
                node: name.clone(),
                file: self.file.clone(),
                detail: if detail.is_empty() {
                    detail
                } else {
                    format!(": {detail}")
                },
            },
        })?;
        let ids = match mapped {
            Mapped::Node(id) => vec![id],
            Mapped::Nodes(ids) => ids,
            Mapped::Alias(v) => {
                self.env.insert(outs[0].clone(), v);
                return Ok(());
            }
        };
        for (o, id) in outs.iter().zip(ids) {
            if let Some(expected) = self.outlet(o).and_then(|o| self.fact_shape(o)) {
                if self.graph.shape(id) != expected.as_slice() {
                    return Err(self.model_err(format!(
                        "internal error at node {name}: zkc infers shape {:?}, tract {expected:?}",
                        self.graph.shape(id)
                    )));
                }
            }
            self.env.insert((*o).clone(), Val::Node(id));
        }
        Ok(())
    }
}

/// The values of a tract tensor as `f32`.
pub(crate) fn tensor_f32(t: &Tensor) -> Result<Vec<f32>, String> {
    let c = t.cast_to::<f32>().map_err(|e| format!("{e}"))?;
    let v = c.to_plain_array_view::<f32>().map_err(|e| format!("{e}"))?;
    Ok(v.iter().copied().collect())
}

/// The values of a tract tensor as `i64`.
pub(crate) fn tensor_i64(t: &Tensor) -> Result<Vec<i64>, String> {
    let c = t.cast_to::<i64>().map_err(|e| format!("{e}"))?;
    let v = c.to_plain_array_view::<i64>().map_err(|e| format!("{e}"))?;
    Ok(v.iter().copied().collect())
}
