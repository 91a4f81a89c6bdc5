#!/usr/bin/env python3
"""The ONNX backend node tests as zkc's conformance suite.

Selects every float test of an op zkc supports from the node tests that the
onnx 1.20.x wheel ships (``onnx/backend/test/data/node/test_*``), turns every
graph input but the first into an initializer holding the test's own value,
and runs the zkc binary on it:

* ``zkc compile --bits B --weight-bits B --calibration <the test's input>``
  at B = 8 and 16, then ``zkc run`` on the test's input;
* the float output (zkc's float interpreter) must match the test's expected
  output within ONNX's own tolerance (rtol 1e-3, atol 1e-7);
* the quantized output must be within ``QUANT_TOL[B]`` of it, measured as the
  largest absolute error divided by the largest magnitude of the input and
  the expected output (a test whose values are all zero uses an absolute
  1e-6 * QUANT_TOL), or the run must
  report its saturation (``clamped > 0``): nothing wrong may be silent;
* with ``--prove N`` the first N passing tests whose circuit has k <= 12 are
  also set up, proven and verified at 8 bits, and the proven output must
  equal ``zkc run``'s.

Every test ends in one status: ``pass``, ``refused`` (zkc said no, with a
one-line reason), ``float`` (float output wrong), ``quant`` (quantized output
outside tolerance with nothing clamped), ``saturated`` (outside tolerance, but
the clamp is reported), ``crash`` (zkc panicked or printed no JSON) or
``proof`` (setup, prove or verify failed or disagreed). ``expected.tsv``
lists every test whose status is not ``pass``, with the reason; the run fails
if a test's status differs from the list in any way (a test that starts
passing must leave the list too), and fails on any ``float``, ``quant`` or
``crash``, which the list may not hold.

``--table`` prints the per-op table of the README.
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED = os.path.join(HERE, "expected.tsv")

# The ops the README lists as supported on the data path.
SUPPORTED = {
    "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat",
    "Conv", "ConvTranspose", "Div", "Dropout", "Erf", "Flatten", "Gather", "GatherND", "Gelu", "Gemm",
    "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid", "HardSwish",
    "Identity", "LayerNormalization", "LeakyRelu", "LogSoftmax", "MatMul", "MaxPool", "Mul", "Pad", "ReduceMax", "ReduceMean",
    "ReduceSum", "Relu", "Reshape", "Resize", "Upsample", "Sigmoid", "Slice", "Softmax",
    "Split", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze",
}
# Data types counted as float tests.
FLOATS = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE}
# Largest quantized error relative to the output's magnitude, per bit width:
# 8-bit activations resolve about 1/128 of their range and errors add up over
# a few ops; 16 bits resolve 1/32768.
QUANT_TOL = {8: 0.05, 16: 0.002}
FLOAT_RTOL, FLOAT_ATOL = 1e-3, 1e-7
STATUSES = ("pass", "refused", "float", "quant", "saturated", "crash", "proof")
NEVER_EXPECTED = {"float", "quant", "crash"}


def node_dir():
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")


def elem_type(value_info):
    t = value_info.type
    return t.tensor_type.elem_type if t.HasField("tensor_type") else None


def select(root):
    """Every float test all of whose ops zkc supports, as (name, dir, ops)."""
    out = []
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        path = os.path.join(d, "model.onnx")
        if not os.path.exists(path) or not os.path.isdir(os.path.join(d, "test_data_set_0")):
            continue
        model = onnx.load(path)
        g = model.graph
        ops = sorted({n.op_type for n in g.node})
        if not ops or any(op not in SUPPORTED for op in ops):
            continue
        inits = {i.name for i in g.initializer}
        inputs = [i for i in g.input if i.name not in inits]
        if not inputs or elem_type(inputs[0]) not in FLOATS:
            continue
        if any(elem_type(o) not in FLOATS for o in g.output):
            continue
        out.append((name, d, ops))
    return out


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def specialize(d, work):
    """Writes the test's model with inputs 1.. as initializers; returns
    (model path, input array, expected output arrays)."""
    model = onnx.load(os.path.join(d, "model.onnx"))
    g = model.graph
    data = os.path.join(d, "test_data_set_0")
    inits = {i.name for i in g.initializer}
    inputs = [i for i in g.input if i.name not in inits]
    values = [load_pb(os.path.join(data, f"input_{k}.pb")) for k in range(len(inputs))]
    outputs = [load_pb(os.path.join(data, f"output_{k}.pb")) for k in range(len(g.output))]
    for vi, value in zip(inputs[1:], values[1:]):
        g.initializer.append(numpy_helper.from_array(value, vi.name))
        g.input.remove(vi)
    path = os.path.join(work, "model.onnx")
    onnx.save(model, path)
    return path, values[0], outputs


def zkc(binary, *args):
    p = subprocess.run([binary, *args, "--json"], capture_output=True, text=True)
    try:
        obj = json.loads(p.stdout)
    except json.JSONDecodeError:
        obj = None
    return p, obj


def one_line(text, work=None):
    if work:
        text = text.replace(work, "<test>")
    return " ".join(text.split())[:160]


def check_outputs(expected, got, rtol, atol):
    """(largest error over all outputs or None if shapes disagree, whether
    all are within the tolerance)."""
    worst = 0.0
    for e, g in zip(expected, got):
        e = np.asarray(e, dtype=np.float64).ravel()
        g = np.asarray(g, dtype=np.float64).ravel()
        if e.shape != g.shape:
            return None, False
        worst = max(worst, float(np.max(np.abs(e - g), initial=0.0)))
        if not np.allclose(g, e, rtol=rtol, atol=atol):
            return worst, False
    return worst, len(expected) == len(got)


def run_test(binary, name, d, work, prove):
    """(status, detail, info) of one test."""
    path, x, expected = specialize(d, work)
    inp = os.path.join(work, "input.json")
    if not np.all(np.isfinite(x)):
        return "refused", "the input holds NaN or Inf, which have no quantized value", {}
    with open(inp, "w") as f:
        json.dump({"input_data": [np.asarray(x, dtype=np.float64).ravel().tolist()]}, f)
    # quantization error scales with the values quantized: the input's
    # magnitude and the output's (an output that cancels, as a dot product
    # can, may be far smaller than the values that produce it)
    scale = max([float(np.max(np.abs(np.asarray(v, dtype=np.float64)), initial=0.0))
                 for v in [x, *expected]])
    info = {}
    for bits in (8, 16):
        art = os.path.join(work, f"b{bits}")
        p, rep = zkc(binary, "compile", path, "-o", art, "--bits", str(bits),
                     "--weight-bits", str(bits), "--calibration", inp)
        if rep is None or p.returncode > 1 or "panicked" in p.stderr:
            return "crash", one_line(p.stderr or p.stdout, work), info
        if not rep.get("ok", True) or p.returncode != 0:
            return "refused", one_line(rep.get("error", p.stderr), work), info
        info[f"k{bits}"] = rep.get("k")
        p, res = zkc(binary, "run", art, "--input", inp)
        if res is None or "panicked" in p.stderr:
            return "crash", one_line(p.stderr or p.stdout, work), info
        if p.returncode != 0:
            return "refused", one_line(res.get("error", p.stderr), work), info
        worst, ok = check_outputs(expected, res["float_outputs"], FLOAT_RTOL, FLOAT_ATOL)
        if not ok:
            return "float", f"float output differs by {worst} at {bits} bits", info
        worst, _ = check_outputs(expected, res["outputs"], 0.0, 1e300)
        if worst is None:
            return "float", f"output shape differs at {bits} bits", info
        rel = worst / scale if scale > 0 else worst / 1e-6 * QUANT_TOL[bits]
        info[f"err{bits}"] = rel
        if rel > QUANT_TOL[bits]:
            if res.get("clamped", 0) > 0:
                return "saturated", f"{res['clamped']} values clamped at {bits} bits", info
            return "quant", f"relative error {rel:.4g} > {QUANT_TOL[bits]} at {bits} bits", info
        if bits == 8:
            info["outputs"] = res["outputs"]
    if prove and info.get("k8") is not None and info["k8"] <= 12:
        status = prove_test(binary, work, inp, info["outputs"])
        info["proved"] = status is None
        if status is not None:
            return "proof", status, info
    return "pass", "", info


def prove_test(binary, work, inp, outputs):
    art = os.path.join(work, "b8")
    proof = os.path.join(work, "proof")
    for args in (["setup", art], ["prove", art, "--input", inp, "-o", proof]):
        p, res = zkc(binary, *args)
        if p.returncode != 0 or res is None:
            return f"{args[0]} failed: " + one_line(p.stderr, work)
    p, res = zkc(binary, "verify", art, proof)
    if p.returncode != 0 or res is None:
        return "verify failed: " + one_line(p.stderr, work)
    proven = res.get("outputs")
    if proven is None or len(proven) != len(outputs) or any(
            np.asarray(a, dtype=np.float64).ravel().tolist() != np.asarray(b, dtype=np.float64).ravel().tolist()
            for a, b in zip(proven, outputs)):
        return "proven output differs from zkc run"
    return None


def read_expected():
    out = {}
    if not os.path.exists(EXPECTED):
        return out
    with open(EXPECTED) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            name, status, reason = (line.split("\t") + ["", ""])[:3]
            out[name] = (status, reason)
    return out


def write_expected(results):
    with open(EXPECTED, "w") as f:
        f.write("# ONNX backend node tests zkc does not pass, with the reason (generated by\n")
        f.write("# scripts/conformance/node_tests.py --update; review every change).\n")
        f.write("# test\tstatus\treason\n")
        for name, (status, detail, _info, _ops) in sorted(results.items()):
            if status != "pass":
                f.write(f"{name}\t{status}\t{detail}\n")


def table(results):
    per_op = collections.defaultdict(lambda: collections.Counter())
    for status, _d, _i, ops in results.values():
        for op in ops:
            per_op[op]["tests"] += 1
            per_op[op][status] += 1
    lines = ["| op | tests | pass | refused | saturated (reported) | other |",
             "|---|---:|---:|---:|---:|---:|"]
    for op in sorted(per_op):
        c = per_op[op]
        other = c["tests"] - c["pass"] - c["refused"] - c["saturated"]
        lines.append(f"| {op} | {c['tests']} | {c['pass']} | {c['refused']} | {c['saturated']} | {other} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zkc", default=os.environ.get("ZKC", "target/release/zkc"))
    ap.add_argument("--filter", default="", help="run only tests whose name contains this")
    ap.add_argument("--prove", type=int, default=0, help="set up, prove and verify up to N passing tests")
    ap.add_argument("--update", action="store_true", help="rewrite expected.tsv from this run")
    ap.add_argument("--table", action="store_true", help="print the per-op table")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    binary = os.path.abspath(args.zkc)
    tests = [t for t in select(node_dir()) if args.filter in t[0]]
    results = {}
    proved = 0
    for name, d, ops in tests:
        work = tempfile.mkdtemp(prefix="zkc-node-")
        try:
            status, detail, info = run_test(binary, name, d, work, proved < args.prove)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        proved += bool(info.get("proved"))
        results[name] = (status, detail, info, ops)
        if args.verbose or status != "pass":
            errs = " ".join(f"{k}={v:.3g}" for k, v in info.items() if k.startswith("err"))
            print(f"{status:9} {name} {detail} {errs}".rstrip())
    counts = collections.Counter(r[0] for r in results.values())
    print(f"{len(results)} tests: " + ", ".join(f"{counts[s]} {s}" for s in STATUSES if counts[s])
          + f"; {proved} proven and verified")
    if args.table:
        print(table(results))
    if args.update:
        write_expected(results)
        return 0
    if args.filter:
        return 0 if not any(r[0] in NEVER_EXPECTED for r in results.values()) else 1
    expected = read_expected()
    failures = []
    for name, (status, detail, _i, _o) in sorted(results.items()):
        want = expected.get(name, ("pass", ""))
        if status in NEVER_EXPECTED:
            failures.append(f"{name}: {status}: {detail}")
        elif (status, detail) != (want[0], want[1] if status != "pass" else ""):
            failures.append(f"{name}: expected {want[0]} ({want[1]}), got {status} ({detail})")
    for name in sorted(set(expected) - set(results)):
        failures.append(f"{name}: listed in expected.tsv but not selected")
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
