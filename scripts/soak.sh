#!/bin/sh
# soak.sh - the long crash test (make soak): omsd killed with SIGKILL under
# FIX order flow up to SOAK_KILLS times (default 1000), each after up to
# SOAK_WINDOW_MS of orders (default 150), stopped after SOAK_SECONDS
# (default 600) whatever the count, with 1 MiB journal segments (a roll
# every few hundred orders: kills land inside rolls too; SOAK_CONF for
# another omsd configuration). The checks are those of e2e/crash
# (tests/e2e/e2e_crash.c): every acknowledged order and every reported event
# recovered, event seqs without a gap, nothing at the venue that the store
# does not know, no MsgSeqNum reused. Prints the summary line
#   SOAK kills=N acknowledged=M lost=0 gaps=0 unjournaled=0 duration_s=S
# and exits non-zero if anything was lost or any check failed.
#
# usage: scripts/soak.sh [BUILD_DIR]   (default build/release)
set -u
build=${1:-build/release}
src=$(cd "$(dirname "$0")/.." && pwd)
kills=${SOAK_KILLS:-1000}
window=${SOAK_WINDOW_MS:-150}
seconds=${SOAK_SECONDS:-600}
seed=${SOAK_SEED:-0}
conf=${SOAK_CONF:-$src/tests/e2e/omsd-e2e-small-segments.conf}
work=$build/e2e-work/soak
out=$build/soak.out
"$build/tests/e2e_crash" "$build/bin/omsd" "$conf" "$work" \
  "$kills" "$seed" "$window" "$seconds" >"$out" 2>"$build/soak.log"
rc=$?
line=$(grep '^SOAK ' "$out" | tail -n 1)
if [ -z "$line" ]; then
  echo "soak.sh: no summary (exit $rc); see $build/soak.log" >&2
  tail -n 20 "$build/soak.log" >&2
  exit 1
fi
echo "$line"
if [ "$rc" -ne 0 ]; then
  grep '^FAIL' "$build/soak.log" | head -n 20 >&2
  echo "soak.sh: failed (exit $rc); see $build/soak.log" >&2
  exit 1
fi
case "$line" in
  *" lost=0 gaps=0 unjournaled=0 "*) exit 0 ;;
  *) echo "soak.sh: something was lost" >&2; exit 1 ;;
esac
