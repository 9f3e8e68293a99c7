#!/usr/bin/env bash
# Installs the Debian packages oms needs to build, test and run, skipping
# those already present. Idempotent; safe to run before every build.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang clang-format clang-tidy cppcheck
  libcmocka-dev gcovr sqlite3 libsqlite3-dev
  libconfig-dev libquickfix-dev g++
  libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev prometheus chromium nodejs
  curl openssl
  nats-server libnats-dev
  postgresql libpq-dev
)
# npm (the browser test's puppeteer-core, the FIX dictionary of the e2e tests):
# Debian's nodejs leaves it to its own package; other builds of nodejs bundle it.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
