#!/usr/bin/env bash
# Benchmark zkc's proving flow (compile, setup, prove, verify) per model, each step
# its own process under /usr/bin/time -v (wall time, peak RSS), plus accuracy.
# Prints one tab-separated line per model, in the same key=value format as the peer's
# ../shared/bench/run_ezkl.sh so the two lines can be put side by side:
#
#   name k= setup= prove= verify= proof= peakRSS= status rows= macs= compile= pk=
#   prove_only= verify_only= params= stepRSS= maxerr= [acc= agree= | mse= | agree= agree_on=synthetic]
#
# usage: bench/bench.sh [--fresh-cache] [--no-accuracy] [MODEL ...]
#   MODEL: models/NAME.onnx (uses models/NAME/{calibration,input,data}.json),
#          a directory holding network.onnx + input.json (calibrated on input.json),
#          or a bare NAME found as models/NAME.onnx or ../shared/corpus/ezkl/NAME.
#   default: every models/*.onnx, then ../shared/corpus/ezkl/{lenet_5,variable_cnn}.
#   --fresh-cache  a new, empty parameter cache per model: `zkc setup` then includes
#                  generating the IPA parameters (Params::new). By default the normal
#                  cache ($ZKC_CACHE_DIR, else ~/.cache/zkc) is used and, if the
#                  parameters for k were not cached yet, an untimed warm-up setup
#                  generates them first, so setup_s never includes that generation.
#   --no-accuracy  skip `zkc run` / `zkc eval`.
# env: ZKC (binary; default target/release/zkc of this repo),
#      ZKC_BENCH_HOME (default ~/.cache/zkc-bench; work dirs go to $ZKC_BENCH_HOME/zkc-work),
#      SUMMARY (default $ZKC_BENCH_HOME/zkc-summary.tsv; every line is appended to it).
# Exit status: 0 if every model passed every step, 1 otherwise, 2 on a usage error.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
CORPUS=$(cd "$ROOT/.." && pwd)/shared/corpus/ezkl
ZKC=${ZKC:-$ROOT/target/release/zkc}
BENCH_HOME=${ZKC_BENCH_HOME:-$HOME/.cache/zkc-bench}
WORK=$BENCH_HOME/zkc-work
SUMMARY=${SUMMARY:-$BENCH_HOME/zkc-summary.tsv}

FRESH=0
ACCURACY=1
MODELS=()
while [ $# -gt 0 ]; do
  case $1 in
    --fresh-cache) FRESH=1 ;;
    --no-accuracy) ACCURACY=0 ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "bench.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) MODELS+=("$1") ;;
  esac
  shift
done
if [ ${#MODELS[@]} -eq 0 ]; then
  for f in "$ROOT"/models/*.onnx; do [ -e "$f" ] && MODELS+=("$f"); done
  MODELS+=("$CORPUS/lenet_5" "$CORPUS/variable_cnn")
fi

if [ ! -x "$ZKC" ]; then
  echo "bench.sh: no zkc binary at $ZKC; build it with: cargo build --release -p zkc (or set ZKC)" >&2
  exit 2
fi
if [ ! -x /usr/bin/time ]; then
  echo "bench.sh: /usr/bin/time is missing (Debian: apt-get install time)" >&2
  exit 2
fi
if ! command -v python3 >/dev/null; then
  echo "bench.sh: python3 is needed to read zkc's JSON output" >&2
  exit 2
fi
mkdir -p "$WORK" "$(dirname "$SUMMARY")"

# jget FILE PATH: the value at PATH (dot-separated keys) in the JSON of FILE,
# floats with 4 significant digits; NA when absent.
jget() {
  python3 - "$1" "$2" <<'PYEOF' 2>/dev/null || echo NA
import json, sys
text = open(sys.argv[1]).read()
try:
    v = json.loads(text)
except ValueError:  # a log line before the JSON object: take the last JSON line
    v = json.loads([l for l in text.splitlines() if l.lstrip().startswith("{")][-1])
for k in sys.argv[2].split("."):
    v = v[k]
if isinstance(v, bool):
    print(str(v).lower())
elif isinstance(v, float):
    print(f"{v:.4g}")
else:
    print(v)
PYEOF
}

# timed STEP CMD...: run CMD under /usr/bin/time -v; stdout -> $WD/out_STEP.json,
# stderr -> $WD/log_STEP.txt; sets T[STEP] (wall s) and M[STEP] (peak RSS MB).
declare -A T M
timed() {
  local s=$1 rc
  shift
  /usr/bin/time -v -o "$WD/time_$s.txt" "$@" >"$WD/out_$s.json" 2>"$WD/log_$s.txt"
  rc=$?
  # Elapsed (wall clock) time (h:mm:ss or m:ss) -> seconds
  T[$s]=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$WD/time_$s.txt" 2>/dev/null)
  M[$s]=$(awk -F': ' '/Maximum resident set size/{printf "%d", $2/1024}' "$WD/time_$s.txt" 2>/dev/null)
  T[$s]=${T[$s]:-NA}
  M[$s]=${M[$s]:-0}
  echo "  [$NAME] $s: rc=$rc ${T[$s]}s ${M[$s]}MB" >&2
  if [ "$rc" -ne 0 ]; then tail -3 "$WD/log_$s.txt" >&2; fi
  return "$rc"
}

failures=0
for spec in "${MODELS[@]}"; do
  # resolve the model, its input and calibration data
  if [ ! -e "$spec" ] && [ -e "$ROOT/models/$spec.onnx" ]; then spec=$ROOT/models/$spec.onnx; fi
  if [ ! -e "$spec" ] && [ -d "$CORPUS/$spec" ]; then spec=$CORPUS/$spec; fi
  DATA=""
  if [ -d "$spec" ]; then
    spec=$(cd "$spec" && pwd)
    NAME=$(basename "$spec")
    ONNX=$spec/network.onnx
    INPUT=$spec/input.json
    CALIB=$INPUT
  elif [ -f "$spec" ] && [ "${spec%.onnx}" != "$spec" ]; then
    NAME=$(basename "$spec" .onnx)
    ONNX=$spec
    SIDE=$(dirname "$spec")/$NAME
    INPUT=$SIDE/input.json
    CALIB=$SIDE/calibration.json
    [ -f "$CALIB" ] || CALIB=$INPUT
    [ -f "$SIDE/data.json" ] && DATA=$SIDE/data.json
  else
    echo "bench.sh: $spec is neither an .onnx file, a directory with network.onnx, nor a known model name" >&2
    failures=$((failures + 1))
    continue
  fi
  if [ ! -f "$ONNX" ] || [ ! -f "$INPUT" ]; then
    echo "bench.sh: $NAME: missing $ONNX or $INPUT" >&2
    failures=$((failures + 1))
    continue
  fi

  WD=$WORK/$NAME
  mkdir -p "$WD"
  rm -rf "$WD/art" "$WD"/out_*.json "$WD"/log_*.txt "$WD"/time_*.txt "$WD/proof.json"
  T=() M=()
  CACHE_ARGS=()
  CACHE=""
  if [ "$FRESH" = 1 ]; then
    CACHE=$(mktemp -d "$WORK/params.XXXXXX")
    CACHE_ARGS=(--cache-dir "$CACHE")
  fi
  status=ok
  params=cached

  if ! timed compile "$ZKC" compile "$ONNX" -o "$WD/art" --calibration "$CALIB" --json; then
    status=FAIL@compile
  fi
  if [ "$status" = ok ]; then
    if ! timed setup "$ZKC" setup "$WD/art" "${CACHE_ARGS[@]}" --json; then
      status=FAIL@setup
    elif [ "$(jget "$WD/out_setup.json" timings.params_generated)" = true ]; then
      if [ "$FRESH" = 1 ]; then
        params=generated
      else
        # cold default cache: that run generated the parameters; time a second,
        # cached setup so setup_s is the verifying-key work only
        echo "  [$NAME] parameters for k were generated ($(jget "$WD/out_setup.json" timings.params_s) s, now cached); timing setup again" >&2
        mv "$WD/time_setup.txt" "$WD/time_setup_warmup.txt"
        if ! timed setup "$ZKC" setup "$WD/art" --json; then status=FAIL@setup; fi
      fi
    fi
  fi
  if [ "$status" = ok ] &&
    ! timed prove "$ZKC" prove "$WD/art" --input "$INPUT" -o "$WD/proof.json" "${CACHE_ARGS[@]}" --json; then
    status=FAIL@prove
  fi
  if [ "$status" = ok ] && ! timed verify "$ZKC" verify "$WD/art" "$WD/proof.json" "${CACHE_ARGS[@]}" --json; then
    status=FAIL@verify
  fi
  if [ "$status" = ok ] && [ "$(jget "$WD/out_verify.json" valid)" != true ]; then
    status=FAIL@verify
  fi
  [ -n "$CACHE" ] && rm -rf "$CACHE"

  K=NA ROWS=NA MACS=NA PB=NA
  if [ -f "$WD/art/report.json" ]; then
    K=$(jget "$WD/art/report.json" k)
    ROWS=$(jget "$WD/art/report.json" rows)
    MACS=$(jget "$WD/art/report.json" macs)
  fi
  if [ -f "$WD/proof.json" ]; then
    # raw proof bytes (hex string in the proof file), not the JSON file size
    PB=$(python3 -c "import json,sys; h=json.load(open(sys.argv[1]))['proof']; print(len(h.removeprefix('0x'))//2)" "$WD/proof.json" 2>/dev/null || echo NA)
  fi
  PEAK=0
  for s in setup prove verify; do
    [ "${M[$s]:-0}" -gt "$PEAK" ] && PEAK=${M[$s]}
  done
  PK=NA PO=NA VO=NA
  [ -f "$WD/out_prove.json" ] && PK=$(jget "$WD/out_prove.json" timings.pk_s) && PO=$(jget "$WD/out_prove.json" timings.prove_s)
  [ -f "$WD/out_verify.json" ] && VO=$(jget "$WD/out_verify.json" timings.verify_s)

  # accuracy: quantized vs float on input.json; on a labelled test set for models/
  ERR=NA ACC=""
  if [ "$ACCURACY" = 1 ] && [ -f "$WD/art/report.json" ]; then
    if "$ZKC" run "$WD/art" --input "$INPUT" --json >"$WD/out_run.json" 2>"$WD/log_run.txt"; then
      ERR=$(jget "$WD/out_run.json" max_abs_error)
    fi
    if [ -z "$DATA" ]; then
      # no labelled test set (corpus models): top-1 agreement between float and
      # quantized on 200 synthetic inputs drawn like the model's input.json
      # (normal with the mean and standard deviation of its values, fixed
      # seed); the labels are placeholders, only `agree` counts
      DATA=$WD/synthetic.json
      python3 - "$INPUT" "$DATA" <<'PY'
import json, random, statistics, sys
x = json.load(open(sys.argv[1]))["input_data"][0]
mu, sd = statistics.fmean(x), statistics.pstdev(x)
rng = random.Random(7)
rows = [[rng.gauss(mu, sd) for _ in x] for _ in range(200)]
json.dump({"inputs": rows, "labels": [0] * len(rows)}, open(sys.argv[2], "w"))
PY
      SYNTH=1
    else
      SYNTH=0
    fi
    if [ -n "$DATA" ] && "$ZKC" eval "$WD/art" --data "$DATA" --json >"$WD/out_eval.json" 2>"$WD/log_eval.txt"; then
      if [ "$SYNTH" = 1 ]; then
        ACC=$(printf "\tagree=%s\tsamples=%s\tagree_on=synthetic" \
          "$(jget "$WD/out_eval.json" agreement)" "$(jget "$WD/out_eval.json" samples)")
      elif [ "$(jget "$WD/out_eval.json" float_accuracy)" != NA ]; then
        ACC=$(printf "\tacc=%s/%s\tagree=%s\tsamples=%s" \
          "$(jget "$WD/out_eval.json" float_accuracy)" "$(jget "$WD/out_eval.json" quantized_accuracy)" \
          "$(jget "$WD/out_eval.json" agreement)" "$(jget "$WD/out_eval.json" samples)")
      else
        ACC=$(printf "\tmse=%s/%s\tsamples=%s" \
          "$(jget "$WD/out_eval.json" float_mse)" "$(jget "$WD/out_eval.json" quantized_mse)" \
          "$(jget "$WD/out_eval.json" samples)")
      fi
    fi
  fi

  [ "$status" = ok ] || failures=$((failures + 1))
  LINE=$(printf "%s\tk=%s\tsetup=%ss\tprove=%ss\tverify=%ss\tproof=%sB\tpeakRSS=%sMB\t%s\trows=%s\tmacs=%s\tcompile=%ss\tpk=%ss\tprove_only=%ss\tverify_only=%ss\tparams=%s\tstepRSS=%s/%s/%sMB\tmaxerr=%s%s" \
    "$NAME" "$K" "${T[setup]:-NA}" "${T[prove]:-NA}" "${T[verify]:-NA}" "$PB" "$PEAK" "$status" \
    "$ROWS" "$MACS" "${T[compile]:-NA}" "$PK" "$PO" "$VO" "$params" \
    "${M[setup]:-NA}" "${M[prove]:-NA}" "${M[verify]:-NA}" "$ERR" "$ACC")
  echo "$LINE" >>"$SUMMARY"
  echo "$LINE"
done
[ "$failures" -eq 0 ]
