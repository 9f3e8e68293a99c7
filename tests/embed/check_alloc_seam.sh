#!/bin/sh
# An embedder's allocator (oms_replace_allocator, oms/alloc.h) must see every
# block liboms allocates: no file under src/ but src/core/alloc.c may call the
# C library's allocation functions. Comment lines are skipped.
#   check_alloc_seam.sh SOURCE_DIR
set -eu
cd "$1"
found=$(grep -rnE '(^|[^_a-zA-Z0-9>.])(malloc|calloc|realloc|free|strdup|strndup|posix_memalign|aligned_alloc|asprintf|vasprintf|open_memstream)[[:space:]]*\(' \
  --include='*.c' --include='*.h' src |
  grep -v '^src/core/alloc\.c:' |
  grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)' || true)
if [ -n "$found" ]; then
  echo "check_alloc_seam.sh: allocation outside the seam (use oms__malloc and its siblings, core/alloc.h):" >&2
  echo "$found" >&2
  exit 1
fi
echo "check_alloc_seam.sh: ok"
