#!/usr/bin/env bash
# End to end on a bundled model: compile (quantize), set up keys (no trusted
# setup), prove one inference, verify the proof, and evaluate accuracy.
# Outputs go to target/quickstart/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p zkc
zkc="${CARGO_TARGET_DIR:-target}/release/zkc"
out=target/quickstart
model=models/digits_cnn
mkdir -p "$out"
set -x
"$zkc" compile "$model.onnx" --calibration "$model/calibration.json" -o "$out/digits_cnn.zkc"
"$zkc" setup "$out/digits_cnn.zkc"
"$zkc" prove "$out/digits_cnn.zkc" --input "$model/input.json" -o "$out/digits_cnn.proof"
"$zkc" verify "$out/digits_cnn.zkc" "$out/digits_cnn.proof"
"$zkc" eval "$out/digits_cnn.zkc" --data "$model/data.json"
