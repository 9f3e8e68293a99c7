#!/usr/bin/env bash
# run_blotter.sh OMSD FIX_ORDERS CONFIG WORKDIR NPMDIR - the blotter's browser
# test (blotter.test.js) with what it needs: Debian's chromium (the test is
# skipped, exit 77, only when it is missing: scripts/install-deps.sh installs
# it) and puppeteer-core from npm, installed once into NPMDIR in the build
# tree at the pinned version below (never into the source tree).
set -u
omsd=$1 fix=$2 conf=$3 work=$4 npmdir=$5
PUPPETEER_CORE=24.43.1 # the last line that runs on Debian's node 20 (25.x needs node 22)
chromium=${CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$chromium" ]; then
  echo "SKIP: $chromium not found: the blotter's browser test needs Debian's chromium (scripts/install-deps.sh)"
  exit 77
fi
command -v node >/dev/null || { echo "FAIL: node not found (Debian's nodejs)"; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)

pkg=$npmdir/node_modules/puppeteer-core/package.json
if ! grep -q "\"version\": \"$PUPPETEER_CORE\"" "$pkg" 2>/dev/null; then
  mkdir -p "$npmdir"
  echo "installing puppeteer-core@$PUPPETEER_CORE into $npmdir"
  if ! (cd "$npmdir" && timeout 120 npm install --no-save --no-package-lock --no-audit --no-fund \
          --loglevel=error "puppeteer-core@$PUPPETEER_CORE" >npm.log 2>&1); then
    echo "FAIL: npm could not install puppeteer-core@$PUPPETEER_CORE:"
    cat "$npmdir/npm.log"
    exit 1
  fi
fi

export CHROMIUM=$chromium
NODE_PATH=$npmdir/node_modules exec timeout 80 node "$here/blotter.test.js" "$omsd" "$fix" "$conf" "$work"
