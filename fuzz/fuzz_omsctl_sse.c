/*
 * fuzz_omsctl_sse.c - libFuzzer target for omsctl's event-stream parser
 * (apps/omsctl/sse.c), what reads omsd's GET /v1/events/stream.
 *
 * The input is the stream's bytes as they would come off the wire. They
 * are fed three times: whole, one byte at a time, and in pieces of 1..64
 * bytes picked by a generator seeded from the input; the three must hand
 * over the same events (id, name, data) and end with the same last id, as
 * where TCP cuts the stream is nobody's choice. A small cap (4 KiB) makes
 * the over-long line refusal reachable; then all three refuse, at the same
 * line, after the same events. Seeds (fuzz/corpus/fuzz_omsctl_sse/) are
 * streams as omsd sends them: events with ids, transient events without,
 * keepalives, CRLF lines, multi-line data.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

#define CAP 4096

typedef struct trace_s {
  char *p;
  size_t n, cap;
  size_t events;
} trace_t;

static void put(trace_t *t, const char *s, size_t n) {
  if (t->n + n > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 1024;
    while (cap < t->n + n) cap *= 2;
    char *p = realloc(t->p, cap);
    if (p == NULL) __builtin_trap();
    t->p = p;
    t->cap = cap;
  }
  memcpy(t->p + t->n, s, n);
  t->n += n;
}

static void on_event(const char *id, const char *event, const char *data, void *ctx) {
  trace_t *t = ctx;
  if (event == NULL || data == NULL) __builtin_trap();
  put(t, id ? "I" : "N", 1);
  if (id) put(t, id, strlen(id) + 1);
  put(t, event, strlen(event) + 1);
  put(t, data, strlen(data) + 1);
  t->events++;
}

/* Feeds data in pieces of at most step bytes (0: random sizes); returns
 * the offset of the refused piece's end, or SIZE_MAX when all went in. */
static size_t run(const uint8_t *data, size_t size, size_t step, trace_t *t, char *last_id) {
  ctl_sse_t s = {.fn = on_event, .ctx = t, .max = CAP};
  uint32_t rnd = (uint32_t)size * 2654435761u + 1;
  size_t off = 0, refused = SIZE_MAX;
  while (off < size) {
    size_t n = step;
    if (n == 0) {
      rnd = rnd * 1103515245u + 12345u;
      n = 1 + (rnd >> 16) % 64;
    }
    if (n > size - off) n = size - off;
    if (ctl_sse_feed(&s, (const char *)data + off, n) != 0) {
      refused = off + n;
      break;
    }
    off += n;
  }
  memcpy(last_id, s.last_id, sizeof s.last_id);
  /* a new connection keeps the last id and drops the partial event */
  ctl_sse_reset(&s);
  if (strcmp(last_id, s.last_id) != 0 || s.has_data || s.line.n != 0) __builtin_trap();
  ctl_sse_free(&s);
  return refused;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  trace_t whole = {0}, bytes = {0}, pieces = {0};
  char id1[64], id2[64], id3[64];
  size_t r1 = run(data, size, size ? size : 1, &whole, id1);
  size_t r2 = run(data, size, 1, &bytes, id2);
  size_t r3 = run(data, size, 0, &pieces, id3);
  /* the same events in the same order, however the bytes were cut; a
   * refusal comes at the same line (byte by byte: at the first byte over
   * the cap; in pieces: in the piece that holds it), after the same events */
  if ((r1 == SIZE_MAX) != (r2 == SIZE_MAX) || (r2 == SIZE_MAX) != (r3 == SIZE_MAX))
    __builtin_trap();
  if (r2 != SIZE_MAX && (r1 < r2 || r3 < r2)) __builtin_trap();
  if (whole.n != bytes.n || whole.n != pieces.n || whole.events != bytes.events) __builtin_trap();
  if (whole.n && (memcmp(whole.p, bytes.p, whole.n) || memcmp(whole.p, pieces.p, whole.n)))
    __builtin_trap();
  if (r2 == SIZE_MAX && (strcmp(id1, id2) != 0 || strcmp(id1, id3) != 0)) __builtin_trap();
  free(whole.p);
  free(bytes.p);
  free(pieces.p);
  return 0;
}
