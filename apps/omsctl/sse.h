/*
 * sse.h - omsctl's parser of the event stream (text/event-stream), kept
 * apart from libcurl so that it can be tested and fuzzed on bytes alone
 * (fuzz/fuzz_omsctl_sse.c).
 */
#ifndef CTL_SSE_H
#define CTL_SSE_H

#include <stdbool.h>
#include <stddef.h>

/* One event: its id (NULL when the event had none), its name ("message"
 * when none) and its data lines joined by '\n'. */
typedef void (*ctl_event_fn)(const char *id, const char *event, const char *data, void *ctx);

/* A growing NUL-terminated byte buffer (the stream's lines and data, and
 * http.c's response bodies). */
typedef struct ctl_sse_buf_s {
  char *p;
  size_t n, cap;
} ctl_sse_buf_t;

/* Appends s[n] to b, keeping it NUL-terminated; -1 if b would pass max
 * bytes or memory runs out (b unchanged). */
int ctl_buf_add(ctl_sse_buf_t *b, const char *s, size_t n, size_t max);

typedef struct ctl_sse_s {
  ctl_event_fn fn;
  void *ctx;
  size_t max; /* the longest line or data accepted (0: 64 MiB) */
  ctl_sse_buf_t line, data;
  char id[64], event[64];
  bool has_data;
  char last_id[64]; /* the id of the last event handed over: kept by _reset */
} ctl_sse_t;

/* Feeds the next n bytes of the stream, in whatever pieces they arrive;
 * calls fn for each complete event. Returns 0, or -1 when a line or an
 * event's data grows over the cap (not the API: the caller drops the
 * connection). */
int ctl_sse_feed(ctl_sse_t *s, const char *p, size_t n);
/* A new connection: a partial line or event of the old one is dropped. */
void ctl_sse_reset(ctl_sse_t *s);
/* Frees the buffers (s itself is the caller's). */
void ctl_sse_free(ctl_sse_t *s);

#endif /* CTL_SSE_H */
