/*
 * bus.c - in-process publish/subscribe with lossless catch-up.
 *
 * NOTES ON THE DESIGN
 *
 * Each subscriber owns an SPSC ring of events (Aeron's layout: the producer's
 * head and the consumer's tail on their own cache lines, the producer keeping
 * a cached copy of tail). The publisher is the only writer of head; the
 * consumer the only writer of tail.
 *
 * A subscriber is in one of three states, an atomic word both sides read:
 *
 *    LIVE ---- ring full (publisher) ----> LAGGING
 *    LAGGING -- caught up with the log (consumer) --> REJOIN(at seq R)
 *    REJOIN -- next published seq == R (publisher) --> LIVE
 *    REJOIN -- next published seq > R (publisher) --> LAGGING (log was behind)
 *    any ---- oms_bus_replay_from (consumer) --> LAGGING
 *
 * The consumer keeps `pos`, the next seq it has not yet seen: it delivers a
 * ring event only if its seq >= pos, and a replay advances pos over every
 * event it reads, matching or not. Because the publisher copies every
 * matching event while LIVE and nothing while LAGGING, and goes LIVE again
 * only at exactly seq R == pos, the consumer sees each matching seq once and
 * in order. The publisher changes the state only by compare-and-swap from
 * the state it read, so a concurrent rewind by the consumer always wins.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "oms/bus.h"
#include "oms/error.h"

enum { ST_LIVE = 0, ST_LAGGING = 1, ST_REJOIN = 2 };

struct oms_bus_sub_s {
  /* Producer side. */
  _Alignas(64) _Atomic uint64_t head;
  uint64_t tail_cache;
  /* Consumer side. */
  _Alignas(64) _Atomic uint64_t tail;
  uint64_t pos; /* next seq not yet seen */
  bool lag_reported;
  bool discard; /* a rewind: ring contents are stale until rejoined */
  oms_bus_sub_stats_t stats;
  /* Shared. */
  _Alignas(64) _Atomic int state;
  _Atomic uint64_t rejoin_seq;
  /* Constant after subscribe. */
  _Alignas(64) oms_event_t *ring;
  uint64_t cap, mask;
  oms_bus_sub_config_t cfg;
  char name[OMS_ID_MAX + 1];
  oms_bus_t *bus;
};

struct oms_bus_s {
  oms_replay_source_t src;
  bool has_src;
  oms_bus_sub_t *subs[OMS_BUS_MAX_SUBS];
  int n_subs;
};

bool oms_bus_filter_match(const oms_bus_filter_t *f, const oms_event_t *ev) {
  if (f->type_mask != 0 && (f->type_mask & OMS_EVT_BIT(ev->type)) == 0) return false;
  if (!oms_event_is_order(ev->type)) return true;
  if (f->strategy_id[0] && strcmp(f->strategy_id, ev->order.strategy_id) != 0) return false;
  if (f->account_id[0] && strcmp(f->account_id, ev->order.account_id) != 0) return false;
  if (f->symbol[0] && strcmp(f->symbol, ev->order.symbol) != 0) return false;
  return true;
}

int oms_bus_create(const oms_replay_source_t *src, oms_bus_t **out) {
  *out = NULL;
  oms_bus_t *bus = oms__calloc(1, sizeof(*bus));
  if (bus == NULL) return OMS_ENOMEM;
  if (src != NULL && src->read != NULL) {
    bus->src = *src;
    bus->has_src = true;
  }
  *out = bus;
  return 0;
}

static void sub_free(oms_bus_sub_t *sub) {
  if (sub == NULL) return;
  oms__aligned_free(sub->ring);
  oms__aligned_free(sub);
}

void oms_bus_destroy(oms_bus_t *bus) {
  if (bus == NULL) return;
  for (int i = 0; i < bus->n_subs; i++) sub_free(bus->subs[i]);
  oms__free(bus);
}

int oms_bus_subscribe(oms_bus_t *bus, const oms_bus_sub_config_t *cfg, oms_bus_sub_t **out) {
  *out = NULL;
  uint32_t cap = cfg->capacity ? cfg->capacity : 1024;
  if (cfg->on_event == NULL || (cap & (cap - 1)) != 0 || (cfg->from_seq > 0 && !bus->has_src))
    return OMS_EINVAL;
  if (bus->n_subs == OMS_BUS_MAX_SUBS) return OMS_EFULL;
  oms_bus_sub_t *sub = oms__aligned_alloc(64, sizeof(*sub));
  if (sub == NULL) return OMS_ENOMEM;
  memset(sub, 0, sizeof(*sub));
  sub->ring = oms__aligned_alloc(64, cap * sizeof(oms_event_t));
  if (sub->ring == NULL) {
    sub_free(sub);
    return OMS_ENOMEM;
  }
  sub->cap = cap;
  sub->mask = cap - 1;
  sub->cfg = *cfg;
  if (sub->cfg.replay_batch == 0) sub->cfg.replay_batch = 1024;
  snprintf(sub->name, sizeof sub->name, "%s", cfg->name ? cfg->name : "");
  sub->cfg.name = sub->name;
  sub->bus = bus;
  if (cfg->from_seq > 0) {
    sub->pos = cfg->from_seq;
    sub->lag_reported = true; /* a requested replay, not a lag */
    sub->discard = true;
    atomic_init(&sub->state, ST_LAGGING);
  } else {
    atomic_init(&sub->state, ST_LIVE);
  }
  bus->subs[bus->n_subs++] = sub;
  *out = sub;
  return 0;
}

void oms_bus_unsubscribe(oms_bus_t *bus, oms_bus_sub_t *sub) {
  if (sub == NULL) return;
  for (int i = 0; i < bus->n_subs; i++) {
    if (bus->subs[i] == sub) {
      bus->subs[i] = bus->subs[--bus->n_subs];
      break;
    }
  }
  sub_free(sub);
}

/* Publisher: whether ev goes to sub now, settling a pending rejoin. */
static bool admit(oms_bus_sub_t *sub, const oms_event_t *ev) {
  int st = atomic_load_explicit(&sub->state, memory_order_acquire);
  if (st == ST_LIVE) return true;
  if (st == ST_LAGGING || ev->seq == 0) return false;
  uint64_t r = atomic_load_explicit(&sub->rejoin_seq, memory_order_relaxed);
  if (ev->seq < r) return false; /* the consumer already has it from the log */
  int want = ev->seq == r ? ST_LIVE : ST_LAGGING;
  int expect = ST_REJOIN;
  atomic_compare_exchange_strong_explicit(&sub->state, &expect, want, memory_order_acq_rel,
                                          memory_order_acquire);
  return want == ST_LIVE && expect == ST_REJOIN;
}

int oms_bus_publish(oms_bus_t *bus, const oms_event_t *ev) {
  int copied = 0;
  for (int i = 0; i < bus->n_subs; i++) {
    oms_bus_sub_t *sub = bus->subs[i];
    if (!admit(sub, ev)) continue;
    if (!oms_bus_filter_match(&sub->cfg.filter, ev)) continue;
    uint64_t h = atomic_load_explicit(&sub->head, memory_order_relaxed);
    if (h - sub->tail_cache >= sub->cap) {
      sub->tail_cache = atomic_load_explicit(&sub->tail, memory_order_acquire);
      if (h - sub->tail_cache >= sub->cap) {
        int expect = ST_LIVE;
        atomic_compare_exchange_strong_explicit(&sub->state, &expect, ST_LAGGING,
                                                memory_order_acq_rel, memory_order_acquire);
        continue;
      }
    }
    oms_event_copy(&sub->ring[h & sub->mask], ev);
    atomic_store_explicit(&sub->head, h + 1, memory_order_release);
    copied++;
  }
  return copied;
}

static void deliver(oms_bus_sub_t *sub, const oms_event_t *ev, bool replayed) {
  if (ev->seq != 0) {
    sub->pos = ev->seq + 1;
    sub->stats.last_seq = ev->seq;
  }
  sub->stats.delivered++;
  if (replayed) sub->stats.replayed++;
  sub->cfg.on_event(sub->cfg.ctx, ev);
}

/* Consumer: delivers ring events (seq >= pos) up to max; discards them
 * instead while a rewind is pending. */
static size_t drain(oms_bus_sub_t *sub, size_t max) {
  uint64_t t = atomic_load_explicit(&sub->tail, memory_order_relaxed);
  uint64_t h = atomic_load_explicit(&sub->head, memory_order_acquire);
  size_t n = 0;
  while (t != h && (max == 0 || n < max)) {
    const oms_event_t *ev = &sub->ring[t & sub->mask];
    if (!sub->discard && (ev->seq == 0 || ev->seq >= sub->pos)) {
      deliver(sub, ev, false);
      n++;
    }
    t++;
    atomic_store_explicit(&sub->tail, t, memory_order_release);
  }
  return n;
}

typedef struct replay_ctx_s {
  oms_bus_sub_t *sub;
  size_t read;
  size_t delivered;
} replay_ctx_t;

static int replay_one(void *ctx, const oms_event_t *ev) {
  replay_ctx_t *rc = ctx;
  oms_bus_sub_t *sub = rc->sub;
  rc->read++;
  if (ev->seq < sub->pos) return 0; /* a source that returned too much */
  if (oms_bus_filter_match(&sub->cfg.filter, ev)) {
    deliver(sub, ev, true);
    rc->delivered++;
  } else {
    sub->pos = ev->seq + 1;
  }
  return 0;
}

int oms_bus_poll(oms_bus_sub_t *sub, size_t max) {
  size_t n = 0;
  int st = atomic_load_explicit(&sub->state, memory_order_acquire);
  if (st != ST_LAGGING) return (int)drain(sub, max);

  /* Lagging: what is in the ring came before the lag, in order. */
  n += drain(sub, 0);
  if (!sub->lag_reported) {
    sub->lag_reported = true;
    sub->stats.lags++;
    if (sub->cfg.on_lag) sub->cfg.on_lag(sub->cfg.ctx, sub->pos ? sub->pos - 1 : 0);
  }
  oms_bus_t *bus = sub->bus;
  if (!bus->has_src) {
    /* Nothing to catch up from: resume live with the loss reported. */
    sub->lag_reported = false;
    atomic_store_explicit(&sub->state, ST_LIVE, memory_order_release);
    return (int)n;
  }
  if (sub->pos == 0) sub->pos = 1;
  replay_ctx_t rc = {sub, 0, 0};
  int r = bus->src.read(bus->src.ctx, sub->pos, sub->cfg.replay_batch, replay_one, &rc);
  n += rc.delivered;
  if (r < 0) return r;
  if (rc.read < sub->cfg.replay_batch) {
    /* Caught up with the log: rejoin the live stream at pos. Drop ring
     * events left from before a rewind first. */
    drain(sub, 0);
    sub->discard = false;
    sub->lag_reported = false;
    atomic_store_explicit(&sub->rejoin_seq, sub->pos, memory_order_relaxed);
    atomic_store_explicit(&sub->state, ST_REJOIN, memory_order_release);
  }
  return (int)n;
}

int oms_bus_replay_from(oms_bus_sub_t *sub, uint64_t seq) {
  if (seq == 0 || !sub->bus->has_src) return OMS_EINVAL;
  atomic_store_explicit(&sub->state, ST_LAGGING, memory_order_seq_cst);
  sub->discard = true;
  sub->lag_reported = true;
  drain(sub, 0);
  sub->pos = seq;
  return 0;
}

bool oms_bus_sub_lagging(const oms_bus_sub_t *sub) {
  return atomic_load_explicit(&((oms_bus_sub_t *)sub)->state, memory_order_acquire) != ST_LIVE;
}

void oms_bus_sub_stats(const oms_bus_sub_t *sub, oms_bus_sub_stats_t *st) { *st = sub->stats; }
