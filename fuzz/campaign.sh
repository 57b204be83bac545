#!/usr/bin/env bash
# Runs one fuzz target for SECONDS at nice 19 (one job), restarting after a crash until the
# time is used up, and prints the executions reached (the sum of libFuzzer's final
# `stat::number_of_executed_units` over the runs).
# Usage: fuzz/campaign.sh TARGET SECONDS [extra libFuzzer flags, e.g. -runs=N to stop after N]
set -uo pipefail
t=$1; secs=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
bin=target/x86_64-unknown-linux-gnu/release/$t
[ -x "$bin" ] || { echo "build first: cargo +nightly fuzz build -a -s none" >&2; exit 2; }
dict=dict/sae.dict
[ "$t" = rules ] && dict=dict/rules.dict
[ "$t" = zip ] && dict=
mkdir -p "corpus/$t" "artifacts/$t"
log=${LOG_DIR:-/tmp}/campaign-$t.log
: > "$log"
end=$(( $(date +%s) + secs ))
total=0; runs=0; crashes=0
while :; do
  left=$(( end - $(date +%s) ))
  [ "$left" -ge 5 ] || break
  runs=$((runs + 1))
  run_log=$(mktemp)
  nice -n 19 "$bin" "corpus/$t" ${dict:+-dict=$dict} -max_len=8192 -print_final_stats=1 \
    -max_total_time="$left" -artifact_prefix="artifacts/$t/" "$@" > "$run_log" 2>&1
  rc=$?
  # The final stats line, or (after a crash, which prints none) the last `#N` status line.
  n=$(grep -a 'stat::number_of_executed_units' "$run_log" | tail -1 | awk '{print $2}')
  [ -n "$n" ] || n=$(grep -aoE '^#[0-9]+' "$run_log" | tail -1 | tr -d '#')
  total=$((total + ${n:-0}))
  cat "$run_log" >> "$log"; rm -f "$run_log"
  # A clean exit ends the campaign: the time is used up, or `-runs=N` (an extra flag) reached.
  [ "$rc" -eq 0 ] && break
  crashes=$((crashes + 1))
done
echo "$t: ${total} executions in ${secs} s (${runs} runs, ${crashes} crashes; log $log)"
ls "artifacts/$t"
