/*
 * alloc.h - the allocation functions every file under src/ calls instead of
 * the C library's, so that an embedder's allocator (oms/alloc.h) sees every
 * block liboms allocates and a test can fail any one of them.
 */
#ifndef OMS_CORE_ALLOC_H
#define OMS_CORE_ALLOC_H

#include <stddef.h>

void *oms__malloc(size_t size);
void *oms__calloc(size_t n, size_t size);
void *oms__realloc(void *p, size_t size);
void oms__free(void *p);

/* A copy of s (NUL-terminated) owned by the caller (oms__free), or NULL. */
char *oms__strdup(const char *s);

/* size bytes aligned to align (a power of two, at least sizeof(void *)),
 * or NULL; free with oms__aligned_free (not oms__free). Built on the
 * allocator's malloc, so it is counted and can fail like any other block. */
void *oms__aligned_alloc(size_t align, size_t size);
void oms__aligned_free(void *p);

#endif /* OMS_CORE_ALLOC_H */
