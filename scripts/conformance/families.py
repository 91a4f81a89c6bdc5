#!/usr/bin/env python3
"""The PyTorch model families, as both exporters write them, through zkc.

``models/families.py`` (which needs torch) exports torchvision's classifiers
and common hand-written modules with the TorchScript and the default (dynamo)
exporter and commits a *skeleton* of every export: the exporter's graph
exactly, with the values of the large weight tensors dropped and their mean
and standard deviation kept. This script (which needs only onnx, numpy and
onnxruntime) checks every skeleton:

1. refills each dropped tensor with seeded normal values of its recorded mean
   and standard deviation, and writes the model as the exporter did (the
   dynamo exports with their weights in a ``model.onnx.data`` file beside the
   model, so zkc's external-data reader is exercised too);
2. runs it with onnxruntime on a seeded standard-normal input;
3. ``zkc compile`` (8 bits, calibrated on four other seeded inputs), then
   ``zkc run``: the float output must match onnxruntime's within ``FLOAT_TOL``
   of the output's largest magnitude.

Each model and exporter ends in one status: ``pass``, ``refused`` (zkc said
no, with a one-line reason), ``float`` (float output wrong) or ``crash``
(zkc panicked or printed no JSON); models the exporter itself could not
export are listed in ``models/families/export_failures.tsv``.
``families.tsv`` beside this script lists every status that is not
``pass``, with the reason; the run fails if a status differs from it, and on
any ``float`` or ``crash``. ``--update`` rewrites the list and ``--table``
prints the model-by-exporter table of the README (k, float error, and the
quantized output's error relative to its magnitude, which with random weights
says how far 8 bits carry a deep network, not how accurate a trained one is).
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import zlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

from node_tests import zkc  # runs `zkc ... --json`: (process, parsed stdout or None)

ort.set_default_logger_severity(3)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FAMILIES = os.path.join(ROOT, "models", "families")
EXPECTED = os.path.join(HERE, "families.tsv")
EXPORTERS = ("torchscript", "dynamo")
FLOAT_TOL = 1e-4
NEVER_EXPECTED = {"float", "crash"}
SKELETON = re.compile(r"zkc-skeleton mean=(\S+) std=(\S+)")


def refill(m):
    """Fills every dropped tensor in place; returns how many."""
    n = 0
    for t in m.graph.initializer:
        hit = SKELETON.fullmatch(t.doc_string or "")
        if not hit:
            continue
        mean, std = float(hit.group(1)), float(hit.group(2))
        rng = np.random.default_rng(zlib.crc32(t.name.encode()))
        a = rng.normal(mean, std, size=tuple(t.dims)).astype(np.float32)
        t.CopyFrom(numpy_helper.from_array(a, t.name))
        n += 1
    return n


def materialize(skeleton, exporter, work):
    m = onnx.load(skeleton)
    refill(m)
    path = os.path.join(work, "model.onnx")
    if exporter == "dynamo":
        onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location="model.onnx.data", size_threshold=1024)
    else:
        onnx.save(m, path)
    return path, json.loads(m.doc_string)


def one_line(text, work):
    text = (text or "").strip().replace(work, "<dir>")
    return text.splitlines()[-1] if text else "(no message)"


def run_model(binary, skeleton, exporter, work):
    """(status, detail, info) of one export."""
    path, meta = materialize(skeleton, exporter, work)
    shape = meta["input_shape"]
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal(shape).astype(np.float32) for _ in range(5)]
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    want = sess.run(None, {sess.get_inputs()[0].name: xs[0]})[0].astype(np.float64)
    inp, cal = os.path.join(work, "input.json"), os.path.join(work, "calibration.json")
    with open(inp, "w") as f:
        json.dump({"input_data": [xs[0].ravel().tolist()]}, f)
    with open(cal, "w") as f:
        json.dump({"inputs": [x.ravel().tolist() for x in xs[1:]]}, f)
    art = os.path.join(work, "art")
    info = {}
    p, rep = zkc(binary, "compile", path, "-o", art, "--calibration", cal)
    if rep is None or "panicked" in p.stderr:
        return "crash", one_line(p.stderr or p.stdout, work), info
    if p.returncode != 0 or not rep.get("ok", True):
        return "refused", one_line(rep.get("error", p.stderr), work), info
    info["k"] = rep.get("k")
    p, res = zkc(binary, "run", art, "--input", inp)
    if res is None or "panicked" in p.stderr:
        return "crash", one_line(p.stderr or p.stdout, work), info
    if p.returncode != 0:
        return "refused", one_line(res.get("error", p.stderr), work), info
    scale = max(float(np.max(np.abs(want))), 1e-12)
    got = np.asarray(res["float_outputs"][0], dtype=np.float64)
    quant = np.asarray(res["outputs"][0], dtype=np.float64)
    if got.size != want.size:
        return "float", f"float output has {got.size} values, onnxruntime {want.size}", info
    info["float_err"] = float(np.max(np.abs(got - want.ravel()))) / scale
    info["quant_err"] = float(np.max(np.abs(quant - want.ravel()))) / scale
    info["clamped"] = res.get("clamped", 0)
    if info["float_err"] > FLOAT_TOL:
        return "float", f"float output differs by {info['float_err']:.3g} of its magnitude", info
    return "pass", "", info


def read_tsv(path, key_fields):
    out = {}
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                parts = line.split("\t")
                out[tuple(parts[:key_fields])] = tuple(parts[key_fields:])
    return out


def write_expected(results):
    with open(EXPECTED, "w") as f:
        f.write("# PyTorch family exports zkc does not pass, with the reason (generated by\n")
        f.write("# scripts/conformance/families.py --update; review every change).\n")
        f.write("# model\texporter\tstatus\treason\n")
        for (name, exporter), (status, detail, _i) in sorted(results.items()):
            if status != "pass":
                f.write(f"{name}\t{exporter}\t{status}\t{detail}\n")


def cell(r):
    if r is None:
        return "export failed"
    status, detail, info = r
    if status != "pass":
        return f"{status}: {detail}"
    clamped = f", {info['clamped']} clamped" if info.get("clamped") else ""
    return f"k={info['k']}, float {info['float_err']:.0e}, 8-bit {info['quant_err']:.2f}{clamped}"


def table(results, names):
    lines = ["| model | TorchScript exporter | default (dynamo) exporter |", "|---|---|---|"]
    for name in names:
        lines.append(f"| {name} | {cell(results.get((name, 'torchscript')))} "
                     f"| {cell(results.get((name, 'dynamo')))} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--zkc", default=os.environ.get("ZKC", "target/release/zkc"))
    ap.add_argument("--filter", default="", help="check only models whose name contains this")
    ap.add_argument("--update", action="store_true", help="rewrite families.tsv from this run")
    ap.add_argument("--table", action="store_true", help="print the model-by-exporter table")
    args = ap.parse_args()
    binary = os.path.abspath(args.zkc)
    skeletons = sorted(f for f in os.listdir(FAMILIES) if f.endswith(".onnx"))
    failed_exports = read_tsv(os.path.join(FAMILIES, "export_failures.tsv"), 2)
    names = sorted({f.split(".")[0] for f in skeletons} | {k[0] for k in failed_exports})
    results = {}
    for f in skeletons:
        name, exporter = f.split(".")[:2]
        if args.filter not in name:
            continue
        work = tempfile.mkdtemp(prefix="zkc-family-")
        try:
            results[(name, exporter)] = run_model(binary, os.path.join(FAMILIES, f), exporter, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        status, detail, info = results[(name, exporter)]
        print(f"{status:8} {name:20} {exporter:11} {cell(results[(name, exporter)]) if status == 'pass' else detail}",
              flush=True)
    for (name, exporter), (reason,) in sorted(failed_exports.items()):
        if args.filter in name:
            print(f"export   {name:20} {exporter:11} {reason}")
    counts = {}
    for status, _d, _i in results.values():
        counts[status] = counts.get(status, 0) + 1
    print(f"{len(results)} exports: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    if args.table:
        print(table(results, [n for n in names if args.filter in n]))
    if args.update:
        write_expected(results)
        return 0
    failures = []
    expected = read_tsv(EXPECTED, 2)
    for key, (status, detail, _i) in sorted(results.items()):
        want = expected.get(key, ("pass", ""))
        if status in NEVER_EXPECTED:
            failures.append(f"{key}: {status}: {detail}")
        elif (status, detail if status != "pass" else "") != (want[0], want[1] if len(want) > 1 else ""):
            failures.append(f"{key}: expected {want[0]} ({want[1:]}), got {status} ({detail})")
    if not args.filter:
        for key in sorted(set(expected) - set(results)):
            failures.append(f"{key}: listed in families.tsv but no skeleton exists")
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
