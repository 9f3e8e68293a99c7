#!/usr/bin/env bash
# check-layers.sh - fails when a lower module includes a higher one.
#
#   scripts/check-layers.sh [ROOT]      check the tree at ROOT (default: this repository)
#   scripts/check-layers.sh --self-test plant bad includes in a copy of the tree and
#                                       prove that each one fails the check
#
# The layer list is the block between "<!-- layers" and "<!-- /layers -->" in
# ROOT/docs/architecture.md, the page that explains it; this script keeps no copy.
# Every #include of src/*/*.[ch], include/oms/*.h and apps/*/*.[ch] is resolved to a
# module: "oms/<name>.h" to the module the block gives that header (by default
# <name>), "<module>/..." to that folder of src/, a bare "file.h" to the includer's
# own module; <system> headers are skipped. An include may go to the includer's own
# module or to a module of a lower line. Anything else is printed as file:line, as are
# folders and public headers that the block does not place; the exit status is then 1.
# Needs bash, coreutils, grep and awk only.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

check() {
  local root=$1
  local doc="$root/docs/architecture.md"
  [ -f "$doc" ] || { echo "check-layers: $doc not found" >&2; return 2; }
  cd "$root"
  shopt -s nullglob
  local files=(src/*/*.[ch] include/oms/*.h apps/*/*.[ch])
  local dirs="" d
  for d in src/*/; do
    d=${d%/}
    dirs+="${d#src/} "
  done
  awk -v dirs="$dirs" -v doc="docs/architecture.md" '
    function fail(where, msg) { print where ": " msg; bad++ }
    function header_module(h) {
      if (h in hdr) return hdr[h]
      sub(/\.h$/, "", h)
      return h
    }
    # The module of a file of the tree, or "" if the block does not place it.
    function file_module(f,   p, m) {
      split(f, p, "/")
      if (p[1] == "apps") return "apps"
      m = (p[1] == "src") ? p[2] : header_module(p[3])
      return (m in rank) ? m : ""
    }
    BEGIN { ndirs = split(dirs, d, " "); for (i = 1; i <= ndirs; i++) isdir[d[i]] = 1 }

    # ---- the layer block of docs/architecture.md (the first file) ----
    FILENAME == doc {
      if ($0 ~ /^<!-- layers/) { inblock = 1; next }
      if ($0 ~ /^<!-- \/layers/) { inblock = 0; seen = 1; next }
      if (!inblock || $0 ~ /^```/) next
      line = $0
      sub(/#.*/, "", line)
      if (line ~ /^[^ \t]/) { split(line, w, " "); section = w[1]; next }
      n = split(line, w, " ")
      if (n == 0) next
      if (section == "layers") {
        layer++
        for (i = 1; i <= n; i++) {
          if (w[i] in rank) fail(doc ":" FNR, "module " w[i] " is placed twice")
          rank[w[i]] = layer
          if (w[i] != "apps" && !(w[i] in isdir))
            fail(doc ":" FNR, "module " w[i] " has no folder src/" w[i])
        }
      } else if (section == "headers") {
        if (n != 2 || !(w[2] in rank)) fail(doc ":" FNR, "expected: <header>.h <module of the list>")
        else hdr[w[1]] = w[2]
      } else {
        fail(doc ":" FNR, "a line outside the layers and headers sections")
      }
      next
    }

    # ---- the tree ----
    FNR == 1 {
      if (!seen) { fail(doc, "no <!-- layers --> block"); exit }
      if (!checked_dirs) {
        checked_dirs = 1
        for (i = 1; i <= ndirs; i++)
          if (!(d[i] in rank)) fail("src/" d[i] "/", "module " d[i] " is not in the layer list of " doc)
      }
      files++
      me = file_module(FILENAME)
      if (me == "" && FILENAME ~ /^include\//)
        fail(FILENAME, "header of no module: add it to the headers of " doc)
    }
    me != "" && /^[ \t]*#[ \t]*include[ \t]*[<"]/ {
      path = $0
      sub(/^[ \t]*#[ \t]*include[ \t]*/, "", path)
      angle = substr(path, 1, 1) == "<"
      path = substr(path, 2)
      sub(/[>"].*/, "", path)
      np = split(path, p, "/")
      if (p[1] == "oms" && np == 2) {
        to = header_module(p[2])
        if (!(to in rank)) { fail(FILENAME ":" FNR, "include/oms/" p[2] " is in no module of " doc); next }
      } else if (np >= 2 && !angle && (p[1] in isdir)) {
        to = p[1]
        if (!(to in rank)) next # reported once, as its folder
      } else {
        next # a file of the same folder, or a system or third-party header
      }
      if (to == me) next
      includes++
      if (rank[to] == rank[me])
        fail(FILENAME ":" FNR, me " includes " path " of " to ", a module of its own layer")
      else if (rank[to] < rank[me])
        fail(FILENAME ":" FNR, me " includes " path " of " to ", a higher layer")
    }
    END {
      if (bad) { print "check-layers: " bad " problem(s); the layers are listed in " doc; exit 1 }
      printf "check-layers: %d files, %d includes of other modules, none upward or sideways\n", files, includes
    }
  ' docs/architecture.md "${files[@]}"
}

self_test() {
  local tmp
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064 # the directory is known now, and tmp is local
  trap "rm -rf '$tmp'" EXIT
  mkdir -p "$tmp/docs"
  cp -R "$here/src" "$here/include" "$here/apps" "$tmp/"
  cp "$here/docs/architecture.md" "$tmp/docs/"
  local failures=0

  # expect_fail FILE TEXT WANT: FILE gets the line TEXT after its last #include;
  # the check must fail and print WANT (with @LINE@ the planted line's number).
  expect_fail() {
    local file=$1 text=$2 want=$3
    local n
    n=$(grep -n '^#include' "$tmp/$file" | tail -n 1 | cut -d: -f1)
    n=$((n + 1))
    awk -v n="$n" -v t="$text" 'NR == n { print t } { print }' "$here/$file" >"$tmp/$file"
    want=${want//@LINE@/$n}
    local out
    if out=$( (check "$tmp") 2>&1); then
      echo "self-test: FAILED, $file with '$text' passed the check"
      failures=$((failures + 1))
    elif ! grep -qF -- "$want" <<<"$out"; then
      echo "self-test: FAILED, $file with '$text' did not report '$want':"
      echo "$out"
      failures=$((failures + 1))
    else
      echo "self-test: ok, $want"
    fi
    cp "$here/$file" "$tmp/$file"
  }

  if ! (check "$tmp") >/dev/null; then
    echo "self-test: FAILED, the unchanged copy does not pass"
    exit 1
  fi
  expect_fail src/order/order.c '#include "oms/engine.h"' \
    "src/order/order.c:@LINE@: order includes oms/engine.h of engine, a higher layer"
  expect_fail src/core/clock.c '#include "engine/engine_risk.h"' \
    "src/core/clock.c:@LINE@: core includes engine/engine_risk.h of engine, a higher layer"
  expect_fail include/oms/venue.h '#include "oms/route.h"' \
    "include/oms/venue.h:@LINE@: venue includes oms/route.h of route, a higher layer"
  expect_fail include/oms/order.h '#include "oms/event.h"' \
    "include/oms/order.h:@LINE@: order includes oms/event.h of event, a higher layer"
  expect_fail src/bus/bus.c '#include "oms/route.h"' \
    "src/bus/bus.c:@LINE@: bus includes oms/route.h of route, a module of its own layer"
  expect_fail src/decimal/decimal.c '#include <oms/oms.h>' \
    "src/decimal/decimal.c:@LINE@: decimal includes oms/oms.h of apps, a higher layer"
  expect_fail src/fix/codec.c '#include "oms/nosuch.h"' \
    "src/fix/codec.c:@LINE@: include/oms/nosuch.h is in no module"

  # The rule is not "no include at all": a module including a lower one passes.
  awk 'NR == 2 { print "#include \"oms/decimal.h\"" } { print }' \
    "$here/src/engine/engine.c" >"$tmp/src/engine/engine.c"
  if ! (check "$tmp") >/dev/null; then
    echo "self-test: FAILED, a downward include (engine -> decimal) was refused"
    failures=$((failures + 1))
  else
    echo "self-test: ok, a downward include passes"
  fi
  cp "$here/src/engine/engine.c" "$tmp/src/engine/engine.c"

  mkdir "$tmp/src/newpart"
  echo '#include "oms/order.h"' >"$tmp/src/newpart/newpart.c"
  if out=$( (check "$tmp") 2>&1) || ! grep -qF "src/newpart/: module newpart is not in the layer list" <<<"$out"; then
    echo "self-test: FAILED, a folder missing from the list was not reported"
    failures=$((failures + 1))
  else
    echo "self-test: ok, a folder missing from the list is reported"
  fi

  if [ "$failures" -ne 0 ]; then
    echo "self-test: $failures case(s) failed"
    exit 1
  fi
  echo "self-test: all cases behave"
}

case "${1:-}" in
  --self-test) self_test ;;
  -h | --help) sed -n '2,16p' "$0" ;;
  *) check "${1:-$here}" ;;
esac
