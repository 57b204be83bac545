#!/usr/bin/env bash
# Times `inspect --by account` against `convert --to jsonl` on a generated extract (about
# 1 GB with the default 205000 reports). Usage: crates/inspect/scripts/speed.sh [REPORTS] [DIR]
# Builds the release binary first. Data goes to DIR (default: a temporary directory), never
# into the repository.
set -euo pipefail
cd "$(dirname "$0")/../../.."
reports=${1:-205000}
dir=${2:-$(mktemp -d)}
cargo build --release --bin ledgerline -q
bin=${CARGO_TARGET_DIR:-target}/release/ledgerline
[ -f "$dir/big.txt" ] || "$bin" generate --reports "$reports" -o "$dir/big.txt"
ls -l "$dir/big.txt"
secs() { local s; s=$(date +%s.%N); "$@" >/dev/null; awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'; }
c=$(secs "$bin" convert "$dir/big.txt" --to jsonl -o "$dir/big.jsonl")
i=$(secs "$bin" inspect "$dir/big.txt" --by account)
echo "convert --to jsonl: ${c}s"
echo "inspect --by account: ${i}s"
awk -v i="$i" -v c="$c" 'BEGIN{printf "ratio inspect/convert: %.2f\n", i/c}'
