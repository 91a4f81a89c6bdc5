#!/usr/bin/env bash
# Runs every fuzz target for a bounded time, one after the other, and prints
# the results table of README.md (time, executions from libFuzzer's final
# stats, crashes).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     # default 300 s, all
#
# Logs go to fuzz/logs/<target>.log, crash inputs to fuzz/artifacts/<target>/.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
secs="${1:-300}"
shift || true
targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(onnx_import input_json data_json ir_text proof_file artifact_dir)
export RUSTC_BOOTSTRAP=1
[[ -d corpus ]] || ./seed.sh
mkdir -p logs
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    cargo fuzz run "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"logs/$t.log" 2>&1
done
echo "| target | time | executions | exec/s | crashes |"
echo "|---|---|---|---|---|"
for t in "${targets[@]}"; do
    log="logs/$t.log"
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    time=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' | tail -1)
    crashes=$(grep -c -E 'ERROR: libFuzzer|ERROR: AddressSanitizer' "$log")
    eps=$([[ -n "$runs" && -n "$time" && "$time" -gt 0 ]] && echo $((runs / time)) || echo "?")
    echo "| $t | ${time:-?} s | ${runs:-?} | $eps | $crashes |"
done
