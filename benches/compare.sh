#!/usr/bin/env bash
# Ledgerline against polars on the same extract, measured alternately in one run.
#
#   benches/compare.sh [REPORTS] [ROUNDS]        (defaults: 200000 reports, about 970 MB; 5 rounds)
#
# Generates `ledgerline generate --reports REPORTS --seed 2024` once, installs polars from
# PyPI into a venv once (both under target/compare/), then runs, ROUNDS times in turn:
#   - ledgerline convert FILE --to jsonl -o target/compare/out.jsonl
#     (every column validated, every line classified, journals built, reconciled, written)
#   - benches/polars_two_columns.py FILE (polars reads only columns 167 and 169 and sums the
#     amounts by account)
# and prints each round, the medians and the ratio polars / ledgerline (above 1: Ledgerline
# is faster). RAYON_NUM_THREADS (or LEDGERLINE_FLAGS="--threads N") sets Ledgerline's
# threads; POLARS_MAX_THREADS polars'.
#
# LEDGERLINE=path uses that binary instead of building `cargo build --release`;
# LEDGERLINE_OLD=path also runs a second binary in the same rounds (old against new).
set -euo pipefail

reports=${1:-200000}
rounds=${2:-5}
root=$(cd "$(dirname "$0")/.." && pwd)
work=${COMPARE_DIR:-$root/target/compare}
mkdir -p "$work"

bin=${LEDGERLINE:-}
if [ -z "$bin" ]; then
  cargo build --release --bin ledgerline --manifest-path "$root/Cargo.toml" >&2
  bin=${CARGO_TARGET_DIR:-$root/target}/release/ledgerline
fi
old=${LEDGERLINE_OLD:-}
flags=${LEDGERLINE_FLAGS:-}

data=$work/sae-$reports-seed2024.txt
if [ ! -f "$data" ]; then
  echo "generating $data ..." >&2
  "$bin" generate --reports "$reports" --seed 2024 -o "$data.tmp"
  mv "$data.tmp" "$data"
fi
py=$work/venv/bin/python
if [ ! -x "$py" ] || ! "$py" -c 'import polars' 2>/dev/null; then
  echo "installing polars into $work/venv ..." >&2
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet polars
fi
echo "input: $data ($(du -h "$data" | cut -f1)), polars $("$py" -c 'import polars; print(polars.__version__)'), RAYON_NUM_THREADS=${RAYON_NUM_THREADS:-unset}" >&2

# Seconds a command takes (its output discarded).
seconds() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  t1=$(date +%s%N)
  echo "scale=3; ($t1 - $t0) / 1000000000" | bc
}

ours=() theirs=() olds=()
for round in $(seq 1 "$rounds"); do
  # shellcheck disable=SC2086
  a=$(seconds "$bin" convert "$data" --to jsonl -o "$work/out.jsonl" $flags)
  b=$(seconds "$py" "$root/benches/polars_two_columns.py" "$data")
  line="round $round: ledgerline ${a}s  polars ${b}s"
  ours+=("$a") theirs+=("$b")
  if [ -n "$old" ]; then
    c=$(seconds "$old" convert "$data" --to jsonl -o "$work/out-old.jsonl")
    olds+=("$c")
    line="$line  old ledgerline ${c}s"
  fi
  echo "$line"
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
m_ours=$(median "${ours[@]}")
m_theirs=$(median "${theirs[@]}")
echo "median: ledgerline ${m_ours}s, polars ${m_theirs}s"
echo "ratio polars/ledgerline: $(echo "scale=2; $m_theirs / $m_ours" | bc) (above 1: ledgerline is faster)"
if [ -n "$old" ]; then
  m_old=$(median "${olds[@]}")
  echo "old ledgerline ${m_old}s: new/old time $(echo "scale=2; $m_ours / $m_old" | bc)"
fi
