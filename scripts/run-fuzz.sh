#!/usr/bin/env bash
# Runs every libFuzzer target in DIR: first over its saved regressions
# (fuzz/regressions/<target>/, inputs that once crashed), then for SECONDS of
# coverage-guided fuzzing from its seed corpus (fuzz/corpus/<target>/).
# Fails if any target crashes; the crashing input is left in build/fuzz/crashes.
set -euo pipefail
dir=$1
seconds=${2:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
targets=("$dir"/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "run-fuzz: no fuzz targets"
  exit 0
fi
crashes=$root/build/fuzz/crashes
mkdir -p "$crashes"
for t in "${targets[@]}"; do
  name=$(basename "$t")
  regress=("$root/fuzz/regressions/$name"/*)
  if [ ${#regress[@]} -gt 0 ]; then
    "$t" "${regress[@]}" >/dev/null 2>&1 || { echo "run-fuzz: $name fails a regression input"; "$t" "${regress[@]}"; exit 1; }
  fi
  work=$(mktemp -d)
  seeds=()
  [ -d "$root/fuzz/corpus/$name" ] && seeds=("$root/fuzz/corpus/$name")
  echo "run-fuzz: $name for ${seconds}s"
  if ! "$t" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
       -artifact_prefix="$crashes/" "$work" "${seeds[@]}" >"$work.log" 2>&1; then
    tail -n 40 "$work.log"
    echo "run-fuzz: $name crashed; input saved under $crashes"
    exit 1
  fi
  grep -E 'stat::number_of_executed_units|cov:' "$work.log" | tail -n 2 || true
  rm -rf "$work" "$work.log"
done
echo "run-fuzz: all targets clean"
