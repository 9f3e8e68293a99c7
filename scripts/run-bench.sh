#!/usr/bin/env bash
# Runs every benchmark in DIR. Each prints one BENCH line per operation.
set -euo pipefail
dir=$1
shopt -s nullglob
for b in "$dir"/bench_*; do
  echo "# $(basename "$b")"
  "$b"
done
