/*
 * sink.c - guaranteed delivery of events to external systems.
 *
 * A sink is a cursor over the durable event log (never over memory): it reads
 * the batch after its cursor into a preallocated buffer (so the log's read
 * lock is not held while a slow external system answers), delivers the
 * events in order, and stops at the first failure. The failed event is
 * retried after a backoff computed on the caller's clock; the cursor is saved
 * after every poll that moved it. A crash between a delivery and the save
 * delivers those events again (at-least-once); the receiver de-duplicates by
 * seq, which is unique and increasing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "oms/bus.h"
#include "oms/error.h"

struct oms_sink_s {
  oms_sink_config_t cfg;
  char name[OMS_ID_MAX + 1];
  oms_replay_source_t src;
  oms_cursor_store_t cur;
  uint64_t cursor;   /* last seq acknowledged or skipped */
  uint64_t saved;    /* last cursor handed to cur.save */
  int64_t retry_at;  /* 0: not backing off */
  uint32_t failures; /* consecutive failures of the event at cursor + 1 */
  oms_event_t *buf;  /* cfg.batch events */
  size_t n;
};

int64_t oms_backoff_ns(int64_t initial_ns, int64_t max_ns, uint32_t attempt, uint64_t seed,
                       uint64_t seq) {
  if (attempt == 0) attempt = 1;
  int64_t d = initial_ns;
  for (uint32_t i = 1; i < attempt && d < max_ns; i++) d *= 2;
  if (d > max_ns) d = max_ns;
  int64_t half = d / 2;
  uint64_t r = oms__mix64(seed ^ oms__mix64(seq ^ ((uint64_t)attempt << 48)));
  return half + (int64_t)(r % (uint64_t)(d - half + 1));
}

int oms_sink_create(const oms_sink_config_t *cfg, const oms_replay_source_t *src,
                    const oms_cursor_store_t *cur, oms_sink_t **out) {
  *out = NULL;
  if (cfg == NULL || cfg->deliver == NULL || cfg->name == NULL || cfg->name[0] == '\0' ||
      strlen(cfg->name) > OMS_ID_MAX || src == NULL || src->read == NULL || cur == NULL ||
      cur->load == NULL || cur->save == NULL)
    return OMS_EINVAL;
  oms_sink_t *s = oms__calloc(1, sizeof(*s));
  if (s == NULL) return OMS_ENOMEM;
  s->cfg = *cfg;
  if (s->cfg.backoff_initial_ns <= 0) s->cfg.backoff_initial_ns = 100000000;
  if (s->cfg.backoff_max_ns <= 0) s->cfg.backoff_max_ns = 30000000000;
  if (s->cfg.batch == 0) s->cfg.batch = 256;
  snprintf(s->name, sizeof s->name, "%s", cfg->name);
  s->cfg.name = s->name;
  s->src = *src;
  s->cur = *cur;
  s->buf = oms__malloc(s->cfg.batch * sizeof(oms_event_t));
  if (s->buf == NULL) {
    oms__free(s);
    return OMS_ENOMEM;
  }
  int rc = s->cur.load(s->cur.ctx, s->name, &s->cursor);
  if (rc != 0) {
    oms_sink_destroy(s);
    return rc;
  }
  s->saved = s->cursor;
  *out = s;
  return 0;
}

void oms_sink_destroy(oms_sink_t *s) {
  if (s == NULL) return;
  oms__free(s->buf);
  oms__free(s);
}

static int collect(void *ctx, const oms_event_t *ev) {
  oms_sink_t *s = ctx;
  s->buf[s->n++] = *ev;
  return 0;
}

int oms_sink_poll(oms_sink_t *s, int64_t now_ns) {
  int delivered = 0;
  if (s->retry_at != 0 && now_ns < s->retry_at) return 0;
  s->n = 0;
  int rc = s->src.read(s->src.ctx, s->cursor + 1, s->cfg.batch, collect, s);
  if (rc < 0) return rc;
  for (size_t i = 0; i < s->n; i++) {
    const oms_event_t *ev = &s->buf[i];
    if (ev->seq <= s->cursor) continue;
    if (oms_bus_filter_match(&s->cfg.filter, ev)) {
      if (s->cfg.deliver(s->cfg.ctx, ev) != 0) {
        s->failures++;
        s->retry_at = now_ns + oms_backoff_ns(s->cfg.backoff_initial_ns, s->cfg.backoff_max_ns,
                                              s->failures, s->cfg.jitter_seed, ev->seq);
        break;
      }
      delivered++;
    }
    s->cursor = ev->seq;
    s->failures = 0;
    s->retry_at = 0;
  }
  if (s->cursor != s->saved && s->cur.save(s->cur.ctx, s->name, s->cursor) == 0)
    s->saved = s->cursor;
  return delivered;
}

uint64_t oms_sink_cursor(const oms_sink_t *s) { return s->cursor; }
int64_t oms_sink_retry_at(const oms_sink_t *s) { return s->retry_at; }
uint32_t oms_sink_failures(const oms_sink_t *s) { return s->failures; }
