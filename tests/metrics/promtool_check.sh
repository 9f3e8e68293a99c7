#!/usr/bin/env bash
# promtool_check.sh PROGRAM - what omsd's metrics render, as Prometheus reads
# it: PROGRAM --print writes a rendering with every kind of series (the
# metrics unit test, tests/unit/metrics/test_metrics.c) and
# `promtool check metrics` (Debian's prometheus package) parses and lints it.
# Any complaint fails the test.
set -u
prog=$1
command -v promtool >/dev/null || { echo "FAIL: promtool not found (apt-get install prometheus)"; exit 1; }
text=$("$prog" --print) || { echo "FAIL: $prog --print exited $?"; exit 1; }
[ -n "$text" ] || { echo "FAIL: nothing rendered"; exit 1; }
complaints=$(printf '%s\n' "$text" | promtool check metrics 2>&1)
rc=$?
if [ $rc -ne 0 ] || [ -n "$complaints" ]; then
  echo "FAIL: promtool check metrics (exit $rc):"
  printf '%s\n' "$complaints"
  exit 1
fi
echo "promtool_check: ok ($(printf '%s\n' "$text" | grep -vc '^#') samples)"
