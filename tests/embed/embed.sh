#!/bin/sh
# An embedder's build against an installed liboms, as CTest runs it:
#   embed.sh BUILD_DIR WORK_DIR CC
# installs BUILD_DIR into WORK_DIR/prefix (cmake --install), then builds
# tests/embed/embed.c with `pkg-config --cflags --libs oms` against the shared
# library and with `--static` against the static one, runs both, and checks
# that neither the flags nor the programs mention libconfig. Every installed
# header must also compile alone.
set -eu
build=$1 work=$2 cc=$3
here=$(cd "$(dirname "$0")" && pwd)
prefix=$work/prefix
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
test -f "$prefix/include/oms/oms.h"
test ! -e "$prefix/include/oms/book.h"
PKG_CONFIG_PATH=$prefix/lib/pkgconfig
export PKG_CONFIG_PATH

flags=$(pkg-config --cflags --libs oms)
static_flags=$(pkg-config --static --cflags --libs oms)
case "$flags $static_flags" in
*config*) echo "embed.sh: pkg-config asks for libconfig: $flags / $static_flags" >&2; exit 1 ;;
esac

# Every installed header compiles on its own (none needs a private one).
for h in "$prefix"/include/oms/*.h; do
  printf '#include <oms/%s>\n' "$(basename "$h")" |
    $cc -std=c11 -Wall -Wextra -Werror -fsyntax-only -I"$prefix/include" -x c -
done

# Shared: the run finds liboms.so through the installed prefix only.
# shellcheck disable=SC2086
$cc -std=c11 -Wall -Wextra -Werror -o "$work/embed-shared" "$here/embed.c" $flags \
  -Wl,-rpath,"$prefix/lib"
"$work/embed-shared"
if ldd "$work/embed-shared" | grep -q libconfig; then
  echo "embed.sh: the embedder links libconfig" >&2
  exit 1
fi
ldd "$work/embed-shared" | grep -q "$prefix/lib/liboms.so"

# Static: liboms.a and its private requirements (sqlite3, pthread, m).
# shellcheck disable=SC2086
$cc -std=c11 -Wall -Wextra -Werror -o "$work/embed-static" "$here/embed.c" \
  $(pkg-config --cflags oms) "$prefix/lib/liboms.a" $(pkg-config --static --libs-only-L oms) \
  $(pkg-config --static --libs-only-l oms | sed 's/-loms//')
"$work/embed-static"
if ldd "$work/embed-static" | grep -q "liboms\|libconfig"; then
  echo "embed.sh: the static embedder still needs a shared liboms or libconfig" >&2
  exit 1
fi
echo "embed.sh: ok"
