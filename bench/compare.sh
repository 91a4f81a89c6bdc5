#!/usr/bin/env bash
# zkc against the peer (EZKL) on the same models, on the same machine, in the same run.
# For each model the peer runs first (../shared/bench/run_ezkl.sh), then zkc
# (bench/bench.sh); then a markdown table is printed and written to bench/results.md
# with the date and the machine (nproc, RAM, CPU, load).
#
# usage: bench/compare.sh [--small] [MODEL ...]
#   MODEL: a name under ../shared/corpus/ezkl or a directory with network.onnx + input.json
#   default: lenet_5 variable_cnn
#   --small  also run the small corpus models 1l_mlp 4l_relu_conv_fc 3l_relu_conv_fc (first)
# env: PY (python with ezkl; default $ZKC_BENCH_HOME/ezkl-venv/bin/python),
#      RUN_EZKL (the peer runner; default ../shared/bench/run_ezkl.sh),
#      RESULTS (default bench/results.md), SKIP_MOCK=1 (passed to run_ezkl.sh),
#      ZKC, ZKC_BENCH_HOME, ZKC_CACHE_DIR (passed to bench.sh), BENCH_ARGS (extra bench.sh
#      options, e.g. --fresh-cache).
# Exit status: 0 if zkc and the peer passed on every model, 1 otherwise, 2 on a setup error.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared
CORPUS=$SHARED/corpus/ezkl
RUN_EZKL=${RUN_EZKL:-$SHARED/bench/run_ezkl.sh}
BENCH_HOME=${ZKC_BENCH_HOME:-$HOME/.cache/zkc-bench}
PY=${PY:-$BENCH_HOME/ezkl-venv/bin/python}
export PY
RESULTS=${RESULTS:-$HERE/results.md}
PEER_WORK=$BENCH_HOME/ezkl-work

SMALL=0
MODELS=()
while [ $# -gt 0 ]; do
  case $1 in
    --small) SMALL=1 ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "compare.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) MODELS+=("$1") ;;
  esac
  shift
done
[ ${#MODELS[@]} -eq 0 ] && MODELS=(lenet_5 variable_cnn)
[ "$SMALL" = 1 ] && MODELS=(1l_mlp 4l_relu_conv_fc 3l_relu_conv_fc "${MODELS[@]}")

if [ ! -x "$RUN_EZKL" ]; then
  echo "compare.sh: the peer's runner $RUN_EZKL is missing" >&2
  exit 2
fi
if [ ! -x "$PY" ] || ! "$PY" -c "import ezkl" 2>/dev/null; then
  echo "compare.sh: EZKL is not installed (no python with ezkl at $PY)." >&2
  echo "  install it once with: $SHARED/bench/setup_ezkl.sh   (or set PY to a python that has ezkl)" >&2
  exit 2
fi
EZKL_VERSION=$("$PY" -c "import importlib.metadata as m; print(m.version('ezkl'))" 2>/dev/null || echo "?")
ZKC_BIN=${ZKC:-$ROOT/target/release/zkc}
ZKC_VERSION=$("$ZKC_BIN" --version 2>/dev/null || echo "zkc ? (binary missing: cargo build --release -p zkc)")
read -r -a BENCH_OPTS <<<"${BENCH_ARGS:-}"

# field LINE KEY: the value of KEY=... in a tab-separated result line, unit suffix
# (s, B, MB) removed; NA when absent.
field() {
  printf '%s\n' "$1" | tr '\t' '\n' | awk -v k="$2" '
    index($0, k "=") == 1 { v = substr($0, length(k) + 2); sub(/(MB|B|s)$/, "", v); print v; f = 1; exit }
    END { if (!f) print "NA" }'
}
# status LINE: the bare ok / FAIL@step field; FAIL when the line is empty.
status() {
  local s
  s=$(printf '%s\n' "$1" | tr '\t' '\n' | grep -E '^(ok|FAIL)' | head -1)
  echo "${s:-FAIL}"
}
# cell VALUE STATUS: the value, or FAIL when the tool failed and the value is missing.
cell() {
  if [ "$1" = NA ] && [ "$2" != ok ]; then echo FAIL; else echo "$1"; fi
}
# ratio A B: A / B with two decimals, or "-" when either is not a positive number.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'
}
# steprss DIR: the peer's peak RSS (MB) of its setup/prove/verify processes.
steprss() {
  local out="" s v
  for s in setup prove verify; do
    v=$(awk -F': ' '/Maximum resident set size/{printf "%d", $2/1024}' "$1/time_$s.txt" 2>/dev/null)
    out="$out${out:+/}${v:-NA}"
  done
  echo "$out"
}

START=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
declare -A PEER ZK PSTEP
failed=0
for m in "${MODELS[@]}"; do
  if [ -d "$m" ]; then dir=$(cd "$m" && pwd); else dir=$CORPUS/$m; fi
  name=$(basename "$dir")
  if [ ! -f "$dir/network.onnx" ]; then
    echo "compare.sh: no $dir/network.onnx; skipping $m" >&2
    failed=1
    continue
  fi
  echo "== $name: peer (EZKL $EZKL_VERSION)" >&2
  rm -f "$PEER_WORK/$name"/time_*.txt
  PEER[$name]=$("$RUN_EZKL" "$dir" "$PEER_WORK/$name" | tail -1)
  PSTEP[$name]=$(steprss "$PEER_WORK/$name")
  echo "${PEER[$name]:-FAIL (no output)}" >&2
  echo "== $name: zkc" >&2
  ZK[$name]=$("$HERE/bench.sh" "${BENCH_OPTS[@]}" "$dir" | tail -1)
  echo "${ZK[$name]:-FAIL (no output)}" >&2
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

TABLE="| model | zkc k | peer logrows | zkc prove s | peer prove s | ratio | zkc peak MB | peer peak MB | ratio | zkc verify s | peer verify s | proof bytes (zkc/peer) | zkc setup s | peer setup s | zkc proof-only s | ratio (proof-only) | zkc max err | peer max err |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
DETAIL="| model | zkc status | peer status | zkc rows | peer rows | zkc pk s | zkc compile s | zkc RSS setup/prove/verify MB | peer RSS setup/prove/verify MB | zkc accuracy |
|---|---|---|---|---|---|---|---|---|---|"
for m in "${MODELS[@]}"; do
  if [ -d "$m" ]; then name=$(basename "$(cd "$m" && pwd)"); else name=$m; fi
  [ -n "${PEER[$name]+x}" ] || continue
  p=${PEER[$name]}
  z=${ZK[$name]}
  ps=$(status "$p")
  zs=$(status "$z")
  [ "$ps" = ok ] && [ "$zs" = ok ] || failed=1
  zp=$(cell "$(field "$z" prove)" "$zs")
  pp=$(cell "$(field "$p" prove)" "$ps")
  zm=$(cell "$(field "$z" peakRSS)" "$zs")
  pm=$(cell "$(field "$p" peakRSS)" "$ps")
  zo=$(cell "$(field "$z" prove_only)" "$zs")
  # a failed run's peak covers only the steps before the failure: not comparable
  [ "$zs" = ok ] || zm=FAIL
  [ "$ps" = ok ] || pm=FAIL
  TABLE+=$(printf '\n| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s | %s | %s | %s | %s | %s |' \
    "$name" "$(field "$z" k)" "$(field "$p" logrows)" "$zp" "$pp" "$(ratio "$zp" "$pp")" \
    "$zm" "$pm" "$(ratio "$zm" "$pm")" \
    "$(cell "$(field "$z" verify)" "$zs")" "$(cell "$(field "$p" verify)" "$ps")" \
    "$(cell "$(field "$z" proof)" "$zs")" "$(cell "$(field "$p" proof)" "$ps")" \
    "$(cell "$(field "$z" setup)" "$zs")" "$(cell "$(field "$p" setup)" "$ps")" \
    "$zo" "$(ratio "$zo" "$pp")" "$(field "$z" maxerr)" "$(field "$p" maxerr)")
  DETAIL+=$(printf '\n| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' \
    "$name" "$zs" "$ps" "$(field "$z" rows)" "$(field "$p" rows)" "$(field "$z" pk)" \
    "$(field "$z" compile)" "$(field "$z" stepRSS)" "${PSTEP[$name]}" \
    "$(if [ "$(field "$z" acc)" != NA ]; then echo "top-1 float/quant $(field "$z" acc), agreement $(field "$z" agree)"; else echo "max abs err $(field "$z" maxerr) on input.json; top-1 agreement $(field "$z" agree) on $(field "$z" samples) synthetic inputs"; fi)")
done

MEM=$(awk '/MemTotal/{printf "%.1f GB", $2/1048576}' /proc/meminfo 2>/dev/null)
CPU=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null)
REPORT="# zkc vs EZKL

Run $START on $(nproc) cores, ${MEM:-? GB} RAM (${CPU:-unknown CPU}); load average ${LOAD0} at the start, ${LOAD1} at the end.
$ZKC_VERSION; EZKL $EZKL_VERSION (KZG, locally generated SRS). Peer first, then zkc, model by model.

Ratios are zkc / peer (below 1: zkc is faster or smaller). \`zkc prove s\` is the wall time of
the whole \`zkc prove\` process, which regenerates the proving key (the headline ratio);
\`zkc proof-only s\` is proof creation alone, as reported by \`zkc prove --json\`. Peer prove s is
the wall time of its prove process (proving key read from disk). Setup: zkc = \`zkc setup\`
(verifying key; IPA parameters cached), peer = \`ezkl.setup\` (vk and pk; SRS cached).
zkc peak = max over its setup/prove/verify processes; peer peak = max over all its steps
(incl. calibration and mock). Max err: zkc vs its float reference on input.json; peer vs
onnxruntime. See bench/README.md.

$TABLE

$DETAIL

Raw lines:

\`\`\`
$(for m in "${MODELS[@]}"; do
  if [ -d "$m" ]; then n=$(basename "$(cd "$m" && pwd)"); else n=$m; fi
  [ -n "${PEER[$n]+x}" ] || continue
  echo "peer ${PEER[$n]:-FAIL (no output)}"
  echo "zkc  ${ZK[$n]:-FAIL (no output)}"
done)
\`\`\`"
echo "$REPORT" >"$RESULTS"
echo
echo "$REPORT"
echo
echo "(written to $RESULTS)" >&2
[ "$failed" -eq 0 ]
