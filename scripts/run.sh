#!/usr/bin/env bash
# make run: builds quietly, then runs the daemon on the sample configuration
# in the foreground. FIX 4.4 on 127.0.0.1:9878, the admin API and the blotter
# on http://127.0.0.1:9880/ (see README.md, "Quick start"); the order store
# lives in var/. Stop it with Ctrl-C.
#
# The build's output goes to build/release/build.log: a person sees one line
# when it works, and the whole log with the reason when it does not. `make
# build` stays verbose. Arguments are passed to omsd (e.g. --log-level debug).
# OMS_RUN_NO_BUILD=1 skips the build (the binary must exist).
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
BUILD=build/release
LOG=$BUILD/build.log

if [ -z "${OMS_RUN_NO_BUILD:-}" ]; then
  mkdir -p "$BUILD"
  start=$(date +%s)
  printf 'run: building omsd in %s (output in %s) ... ' "$BUILD" "$LOG" >&2
  {
    echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) scripts/run.sh"
    if [ ! -f "$BUILD/CMakeCache.txt" ]; then
      # shellcheck disable=SC2086 # CMAKE_FLAGS is a list of flags
      cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release ${CMAKE_FLAGS:-}
    fi
    cmake --build "$BUILD" -j "$JOBS"
  } >"$LOG" 2>&1 || {
    echo "FAILED" >&2
    cat "$LOG" >&2
    echo >&2
    echo "run: the build failed (the whole log is above and in $LOG)." >&2
    echo "run: fix the error it names (the first 'error:' line), then run 'make run' again." >&2
    exit 1
  }
  echo "done in $(($(date +%s) - start)) s" >&2
fi
exec "$BUILD/bin/omsd" --config etc/omsd.conf "$@"
