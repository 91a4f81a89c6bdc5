#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds from the repository: the bundled
# models, their input/data/calibration files, the IR of every bundled model
# (as written by `zkc compile`) plus the pass cases, and real proof files.
# Run from anywhere; needs the release zkc binary (built if missing).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="$here/corpus"
zkc="$root/target/release/zkc"

if [[ ! -x "$zkc" ]]; then
    (cd "$root" && cargo build --release --bin zkc)
fi

mkdir -p "$corpus"/{onnx_import,input_json,data_json,ir_text,proof_file,artifact_dir}

# ONNX models.
cp "$root"/models/*.onnx "$corpus/onnx_import/"

# input.json files (also valid data files: read_dataset accepts them).
for d in "$root"/models/*/; do
    m="$(basename "$d")"
    [[ -f "$d/input.json" ]] && cp "$d/input.json" "$corpus/input_json/$m-input.json"
    [[ -f "$d/input.json" ]] && cp "$d/input.json" "$corpus/data_json/$m-input.json"
    [[ -f "$d/data.json" ]] && cp "$d/data.json" "$corpus/data_json/$m-data.json"
    [[ -f "$d/calibration.json" ]] && cp "$d/calibration.json" "$corpus/data_json/$m-calibration.json"
done

# IR text: every bundled model compiled, and the pass cases.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export ZKC_CACHE_DIR="$work/cache"
for onnx in "$root"/models/*.onnx; do
    m="$(basename "$onnx" .onnx)"
    cal=()
    [[ -f "$root/models/$m/calibration.json" ]] && cal=(--calibration "$root/models/$m/calibration.json")
    "$zkc" compile "$onnx" "${cal[@]}" -o "$work/$m.zkc" >/dev/null 2>&1
    cp "$work/$m.zkc/float.ir" "$corpus/ir_text/$m-float.ir"
    cp "$work/$m.zkc/quantized.ir" "$corpus/ir_text/$m-quantized.ir"
done
cp "$root"/tests/passes/*.ir "$corpus/ir_text/"

# Proofs: digits_mlp (the artifact proof_file verifies against, built the
# same way) and diabetes_linear (another model, another shape).
for m in digits_mlp diabetes_linear; do
    "$zkc" setup "$work/$m.zkc" >/dev/null 2>&1
    "$zkc" prove "$work/$m.zkc" --input "$root/models/$m/input.json" -o "$corpus/proof_file/$m.proof" >/dev/null 2>&1
done

# Artifact files: byte 0 picks the file (see fuzz_targets/artifact_dir.rs).
i=0
for f in manifest.json setup.json vk.bin quantized.ir float.ir report.json; do
    { printf "\\$(printf '%03o' "$i")"; cat "$work/digits_mlp.zkc/$f"; } >"$corpus/artifact_dir/$f"
    i=$((i + 1))
done

for t in onnx_import input_json data_json ir_text proof_file artifact_dir; do
    echo "$t: $(ls "$corpus/$t" | wc -l) seeds, $(du -sh "$corpus/$t" | cut -f1)"
done
