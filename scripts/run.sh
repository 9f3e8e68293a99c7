#!/usr/bin/env bash
# make run: the daemon on the sample configuration, in the foreground.
# FIX 4.4 on 127.0.0.1:9878 (see README.md, "Connecting a FIX client");
# the order store lives in var/. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
exec build/release/bin/omsd --config etc/omsd.conf "$@"
