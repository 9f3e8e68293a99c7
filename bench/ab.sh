#!/bin/bash
# ab.sh - two builds of one bench, alternated, compared by medians: on a shared
# host the only comparison that means anything is two binaries run in the same
# minutes, one after the other, many times.
#
#   bench/ab.sh N ONLY BIN_A BIN_B [LINE]
#
# runs OMS_BENCH_ONLY=ONLY BIN_A, then BIN_B, N times, reads the BENCH line
# named LINE (ONLY unless given: bench_core's journal lines are named
# core_*_journal_os, bench_journal's ONLY=os prints several), and prints for p50, p99
# and ops/s the median of each and B/A, then every run's ops/s and p99 sorted.
# The environment passes through (e.g. OMS_BENCH_STORE=journal for bench_core).
# Example: bench/ab.sh 8 core_submit_sustained /tmp/bench_core.base build/bench/bench/bench_core
set -euo pipefail
if [ $# -lt 4 ] || [ $# -gt 5 ]; then
  echo "usage: $0 N ONLY BIN_A BIN_B [LINE]" >&2
  exit 2
fi
n=$1 only=$2 a=$3 b=$4 line=${5:-$2}
for _ in $(seq "$n"); do
  echo "A $(OMS_BENCH_ONLY=$only "$a" 2>&1 | grep "^BENCH $line " || true)"
  echo "B $(OMS_BENCH_ONLY=$only "$b" 2>&1 | grep "^BENCH $line " || true)"
done | python3 -c '
import re, statistics, sys
d = {"A": {}, "B": {}}
for l in sys.stdin:
    for m in re.finditer(r"(\w+)=(\d+)", l):
        d[l[0]].setdefault(m.group(1), []).append(int(m.group(2)))
if not d["A"] or not d["B"]:
    sys.exit("ab.sh: no BENCH line from one of the binaries")
for f in ("p50_ns", "p99_ns", "ops_per_s"):
    a, b = statistics.median(d["A"][f]), statistics.median(d["B"][f])
    print(f"{f} A {a:.0f} B {b:.0f} B/A {b / a:.3f}")
for k in "AB":
    print(k, "ops_per_s", sorted(d[k]["ops_per_s"]), "p99_ns", sorted(d[k]["p99_ns"]))
'
