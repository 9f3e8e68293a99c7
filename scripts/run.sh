#!/usr/bin/env bash
# make run: the main program on the embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/release/bin/omsdemo "$@"
