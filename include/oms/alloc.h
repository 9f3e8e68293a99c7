/*
 * alloc.h - the allocator seam: every allocation liboms makes goes through
 * one table of functions that an embedder may replace (an arena, a counting
 * or a failing allocator in tests).
 *
 * Replace the allocator once, before liboms allocates anything (before the
 * first create), and do not replace it while any liboms object is alive: a
 * block is always freed by the allocator that gave it. The table is read
 * without a lock by every thread that liboms starts; those threads start
 * after the objects that own them are created, so a replacement made before
 * that is visible to them.
 *
 * SQLite's own allocations (inside the durable store) are SQLite's; they are
 * not routed here.
 */
#ifndef OMS_ALLOC_H
#define OMS_ALLOC_H

#include <stddef.h>

#include "oms/common.h"

OMS_BEGIN_DECLS

/* The four functions have the contracts of their C library namesakes (a
 * failed call returns NULL and leaves errno as it likes; free and realloc
 * accept NULL; calloc checks n * size for overflow). ctx is handed back to
 * each call. */
typedef struct oms_allocator_s {
  void *(*malloc)(void *ctx, size_t size);
  void *(*calloc)(void *ctx, size_t n, size_t size);
  void *(*realloc)(void *ctx, void *p, size_t size);
  void (*free)(void *ctx, void *p);
  void *ctx;
} oms_allocator_t;

/* Makes a (copied) the allocator of liboms; NULL restores the C library's.
 * Returns 0, or OMS_EINVAL if one of the four functions is missing (the
 * allocator is then unchanged). Not thread-safe: see above. */
OMS_EXTERN int oms_replace_allocator(const oms_allocator_t *a);

/* The allocator in use (the C library's unless replaced). */
OMS_EXTERN oms_allocator_t oms_current_allocator(void);

OMS_END_DECLS

#endif /* OMS_ALLOC_H */
