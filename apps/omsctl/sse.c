/*
 * sse.c - the event stream's parser (sse.h): bytes in, events out, no I/O.
 *
 * The bytes are cut into lines at '\n' (a '\r' before it is dropped), in
 * whatever pieces they come: a partial line waits in s->line. "id:",
 * "event:" and "data:" lines (one optional space after the colon) build
 * the event, several data lines join with '\n'; a blank line hands the
 * event over when it has data and starts the next; ":" lines (omsd's
 * keepalives) and unknown fields are skipped. A NUL byte ends a line's
 * text where it stands, as the fields are C strings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"

#define SSE_MAX ((size_t)64 << 20)

int ctl_buf_add(ctl_sse_buf_t *b, const char *s, size_t n, size_t max) {
  if (b->n + n > max) return -1;
  if (b->n + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) return -1;
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  b->p[b->n] = '\0';
  return 0;
}

static void clear_event(ctl_sse_t *s) {
  s->id[0] = s->event[0] = '\0';
  s->data.n = 0;
  if (s->data.p) s->data.p[0] = '\0';
  s->has_data = false;
}

static int line(ctl_sse_t *s, char *l, size_t n, size_t max) {
  if (n && l[n - 1] == '\r') l[--n] = '\0';
  if (n == 0) {
    if (s->has_data) {
      s->fn(s->id[0] ? s->id : NULL, s->event[0] ? s->event : "message", s->data.p ? s->data.p : "",
            s->ctx);
      if (s->id[0]) snprintf(s->last_id, sizeof s->last_id, "%s", s->id);
    }
    clear_event(s);
    return 0;
  }
  if (l[0] == ':') return 0; /* a comment: the keepalive */
  char *colon = strchr(l, ':');
  const char *val = "";
  if (colon) {
    *colon = '\0';
    val = colon + 1;
    if (*val == ' ') val++;
  }
  if (strcmp(l, "id") == 0) {
    snprintf(s->id, sizeof s->id, "%s", val);
  } else if (strcmp(l, "event") == 0) {
    snprintf(s->event, sizeof s->event, "%s", val);
  } else if (strcmp(l, "data") == 0) {
    if (s->has_data && ctl_buf_add(&s->data, "\n", 1, max) != 0) return -1;
    if (ctl_buf_add(&s->data, val, strlen(val), max) != 0) return -1;
    s->has_data = true;
  }
  return 0;
}

int ctl_sse_feed(ctl_sse_t *s, const char *p, size_t n) {
  size_t max = s->max ? s->max : SSE_MAX;
  while (n > 0) {
    const char *nl = memchr(p, '\n', n);
    size_t take = nl ? (size_t)(nl - p) : n;
    if (ctl_buf_add(&s->line, p, take, max) != 0) return -1;
    if (nl == NULL) return 0;
    char empty[1] = {'\0'};
    int rc = line(s, s->line.p ? s->line.p : empty, s->line.n, max);
    s->line.n = 0;
    if (rc != 0) return -1;
    p += take + 1;
    n -= take + 1;
  }
  return 0;
}

void ctl_sse_reset(ctl_sse_t *s) {
  s->line.n = 0;
  clear_event(s);
}

void ctl_sse_free(ctl_sse_t *s) {
  free(s->line.p);
  free(s->data.p);
  s->line = s->data = (ctl_sse_buf_t){0};
}
