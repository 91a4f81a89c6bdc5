//! Which ONNX ops zkc maps on the data path, which it accepts only inside
//! constant sub-graphs (tract evaluates those), and what it lacks for the
//! ops users often reach for (named in the refusal).

/// ONNX ops zkc maps onto its IR (on the data path; any op is accepted in
/// constant sub-graphs, which tract evaluates).
pub const SUPPORTED_OPS: &[&str] = &[
    "Add",
    "AveragePool",
    "BatchNormalization",
    "Cast",
    "Clip",
    "Concat",
    "Constant",
    "Conv",
    "ConvTranspose",
    "Div",
    "Dropout",
    "Erf",
    "Flatten",
    "Gather",
    "GatherND",
    "Gelu",
    "Gemm",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "HardSigmoid",
    "HardSwish",
    "Identity",
    "LayerNormalization",
    "LeakyRelu",
    "LogSoftmax",
    "MatMul",
    "MaxPool",
    "Mul",
    "Pad",
    "ReduceMax",
    "ReduceMean",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Resize",
    "Sigmoid",
    "Slice",
    "Softmax",
    "Split",
    "Squeeze",
    "Sub",
    "Tanh",
    "Transpose",
    "Unsqueeze",
    "Upsample",
];

/// Ops seen only in constant (shape) sub-graphs of common exports.
const CONSTANT_ONLY_OPS: &[&str] = &[
    "Shape",
    "ConstantOfShape",
    "Range",
    "Expand",
    "Where",
    "Equal",
    "Sqrt",
    "Pow",
    "Neg",
    "Floor",
    "Ceil",
    "Size",
];

/// What zkc lacks for ops users often reach for (named in the refusal).
pub(crate) fn missing(op: &str) -> Option<&'static str> {
    Some(match op {
        "GroupNormalization" | "InstanceNormalization" => {
            "is not mapped yet (LayerNormalization is: a model can normalize over the last axes that way)"
        }
        "Exp" | "Log" | "Sqrt" | "Reciprocal" | "Pow" => {
            "on the data path is not mapped as a standalone op yet: it needs a table of the function over its input's range (zkc tabulates sigmoid, tanh, leaky ReLU, erf and GELU, and maps Softmax, LogSoftmax and LayerNormalization whole)"
        }
        "QuantizeLinear" | "DequantizeLinear" | "QLinearConv" | "QLinearMatMul" | "MatMulInteger" | "ConvInteger" => {
            "pre-quantized (QDQ) models are not imported yet; export the float model and let zkc quantize it"
        }
        _ => return None,
    })
}

/// True for ops zkc knows, on the data path or in constant sub-graphs.
pub(crate) fn is_known(op: &str) -> bool {
    SUPPORTED_OPS.contains(&op) || CONSTANT_ONLY_OPS.contains(&op)
}
