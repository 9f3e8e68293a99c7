/*
 * bus.h - the event bus: in-process publish/subscribe of order events, and
 * external sinks with guaranteed (at-least-once) delivery.
 *
 * PUBLISHING. One producer, the core thread, calls oms_bus_publish() with
 * events in seq order, after they are durable in the store (write-ahead:
 * nobody hears of what is not stored). Publishing never blocks and never
 * allocates: each subscriber has a bounded, preallocated power-of-two ring;
 * the event is copied into the ring of every subscriber whose filter matches.
 *
 * SLOW SUBSCRIBERS. When a subscriber's ring is full the publisher marks it
 * LAGGING and stops copying to it. The subscriber's next oms_bus_poll()
 * delivers what is in its ring, tells it (on_lag with the last seq it got),
 * then replays the missing events from the durable event log through the
 * replay source, in batches, until it has caught up; then it asks to rejoin
 * at the next seq and the publisher resumes live delivery exactly there. The
 * subscriber sees every matching event once, in seq order: no gap, no
 * duplicate. Events with seq 0 (transient notices, not in the log) are
 * delivered live only and are lost to a subscriber that is lagging.
 * A bus without a replay source cannot catch up: a lagging subscriber then
 * loses the events it missed (on_lag tells it) and resumes live.
 *
 * THREADS. oms_bus_publish, oms_bus_subscribe and oms_bus_unsubscribe are
 * called on the core thread. oms_bus_poll and oms_bus_replay_from are called
 * by the subscriber's own consumer thread (any one thread per subscriber).
 * The ring counters are C11 atomics with acquire/release, producer and
 * consumer on separate cache lines.
 *
 * SINKS. An oms_sink_t forwards events to an external system (a message
 * broker, a file, a database) from the durable event log only (the
 * transactional outbox: what the sink sends was committed together with the
 * order change), starting after its durable cursor, retrying a failed
 * delivery with exponential backoff on the caller's clock, jittered
 * deterministically, and storing its cursor after deliveries. After a crash
 * the events since the last stored cursor are delivered again: at-least-once,
 * and the receiver de-duplicates by seq.
 */
#ifndef OMS_BUS_H
#define OMS_BUS_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/event.h"

OMS_BEGIN_DECLS

/* Called for each event of a replay or read; return 0 to continue, non-zero
 * to stop (the read then returns that value). */
typedef int (*oms_bus_event_cb)(void *ctx, const oms_event_t *ev);

/* The durable event log, as the bus and sinks read it (the store implements
 * it: oms_store_replay_source). read() calls cb for each stored event with
 * seq >= from_seq, in seq order, at most max (> 0) of them. Returns 0, cb's
 * non-zero value, or a negative OMS_E* code. May be called from any thread. */
typedef struct oms_replay_source_s {
  int (*read)(void *ctx, uint64_t from_seq, size_t max, oms_bus_event_cb cb, void *cb_ctx);
  void *ctx;
} oms_replay_source_t;

/* Where sinks keep their cursors (the store implements it:
 * oms_store_cursor_store). load() gives 0 for a sink never saved. save() may
 * become durable later (at-least-once either way). 0 or an OMS_E* code. */
typedef struct oms_cursor_store_s {
  int (*load)(void *ctx, const char *sink, uint64_t *seq);
  int (*save)(void *ctx, const char *sink, uint64_t seq);
  void *ctx;
} oms_cursor_store_t;

/* Which events a subscriber or sink wants. Every set field must match.
 * The strategy, account and symbol fields apply to order events only: a
 * TradingStateChanged or Alarm passes them (it concerns everyone) and is
 * selected by type_mask alone. */
typedef struct oms_bus_filter_s {
  uint32_t type_mask;               /* OMS_EVT_BIT(type) | ...; 0 = every type */
  char strategy_id[OMS_ID_MAX + 1]; /* "" = any */
  char account_id[OMS_ID_MAX + 1];
  char symbol[OMS_SYMBOL_MAX + 1];
} oms_bus_filter_t;

OMS_EXTERN bool oms_bus_filter_match(const oms_bus_filter_t *f, const oms_event_t *ev);

typedef struct oms_bus_s oms_bus_t;
typedef struct oms_bus_sub_s oms_bus_sub_t;

#define OMS_BUS_MAX_SUBS 64

typedef struct oms_bus_sub_config_s {
  const char *name; /* for logs; copied */
  oms_bus_filter_t filter;
  uint32_t capacity; /* ring slots, a power of two; 0 = 1024 */
  /* Called by oms_bus_poll for each event; ev is valid during the call. */
  void (*on_event)(void *ctx, const oms_event_t *ev);
  /* Called by oms_bus_poll when the subscriber fell behind, with the last
   * seq it received (0 if none). May be NULL. */
  void (*on_lag)(void *ctx, uint64_t last_seq);
  void *ctx;
  /* 0: live events from now on. N > 0: every event from seq N (replayed
   * from the log, needs a replay source), then live. */
  uint64_t from_seq;
  uint32_t replay_batch; /* events read from the log per poll; 0 = 1024 */
} oms_bus_sub_config_t;

typedef struct oms_bus_sub_stats_s {
  uint64_t delivered; /* on_event calls */
  uint64_t replayed;  /* of which came from the log */
  uint64_t lags;      /* times the subscriber fell behind */
  uint64_t last_seq;  /* last seq delivered */
} oms_bus_sub_stats_t;

/* Creates a bus. src (copied; may be NULL) is where lagging subscribers
 * catch up. Returns 0, OMS_ENOMEM. */
OMS_EXTERN int oms_bus_create(const oms_replay_source_t *src, oms_bus_t **out);
/* Frees the bus and every subscriber still attached. Accepts NULL. */
OMS_EXTERN void oms_bus_destroy(oms_bus_t *bus);

/* Attaches a subscriber (core thread). Returns 0, OMS_EINVAL (no on_event,
 * capacity not a power of two, from_seq without a replay source), OMS_EFULL
 * (OMS_BUS_MAX_SUBS reached), OMS_ENOMEM. The bus owns *out. */
OMS_EXTERN int oms_bus_subscribe(oms_bus_t *bus, const oms_bus_sub_config_t *cfg,
                                 oms_bus_sub_t **out);
/* Detaches and frees sub (core thread; its consumer must have stopped
 * polling). Accepts NULL. */
OMS_EXTERN void oms_bus_unsubscribe(oms_bus_t *bus, oms_bus_sub_t *sub);

/* Offers ev to every subscriber (core thread). Never blocks. Returns the
 * number of rings it was copied into. */
OMS_EXTERN int oms_bus_publish(oms_bus_t *bus, const oms_event_t *ev);

/* Consumer thread: delivers up to max events (0 = all available) from the
 * ring or, when lagging, from the log. Returns the number delivered, or a
 * negative OMS_E* code from the replay source (nothing lost: the next poll
 * retries). */
OMS_EXTERN int oms_bus_poll(oms_bus_sub_t *sub, size_t max);

/* Consumer thread: rewinds sub so that the next polls deliver every matching
 * event from seq (replayed from the log), then live again. Returns 0 or
 * OMS_EINVAL (no replay source, seq 0). */
OMS_EXTERN int oms_bus_replay_from(oms_bus_sub_t *sub, uint64_t seq);

/* Whether sub is catching up (not receiving live events). */
OMS_EXTERN bool oms_bus_sub_lagging(const oms_bus_sub_t *sub);
/* Consumer thread. */
OMS_EXTERN void oms_bus_sub_stats(const oms_bus_sub_t *sub, oms_bus_sub_stats_t *st);

/* ---- External sinks --------------------------------------------------------------- */

typedef struct oms_sink_s oms_sink_t;

typedef struct oms_sink_config_s {
  const char *name; /* the cursor's key; 1..63 chars; copied */
  oms_bus_filter_t filter;
  /* Sends one event; 0 when the external system acknowledged it, < 0 on
   * failure (the same event is retried after the backoff). */
  int (*deliver)(void *ctx, const oms_event_t *ev);
  void *ctx;
  int64_t backoff_initial_ns; /* 0 = 100 ms */
  int64_t backoff_max_ns;     /* 0 = 30 s */
  uint64_t jitter_seed;       /* the deterministic jitter's seed */
  uint32_t batch;             /* events read from the log per poll; 0 = 256 */
} oms_sink_config_t;

/* Creates a sink reading src and keeping its cursor in cur (both copied);
 * loads the cursor. Returns 0, OMS_EINVAL, OMS_ENOMEM, or the cursor load's
 * error. */
OMS_EXTERN int oms_sink_create(const oms_sink_config_t *cfg, const oms_replay_source_t *src,
                               const oms_cursor_store_t *cur, oms_sink_t **out);
/* Accepts NULL. Does not save the cursor (call oms_sink_poll first). */
OMS_EXTERN void oms_sink_destroy(oms_sink_t *sink);

/* Does the sink's work at time now_ns (the injected clock): unless waiting
 * out a backoff, reads the next batch after the cursor, delivers it in order
 * until a failure, then saves the cursor. Returns the number of events
 * delivered (0 also while backing off), or a negative OMS_E* code from the
 * source. */
OMS_EXTERN int oms_sink_poll(oms_sink_t *sink, int64_t now_ns);

/* The last seq the sink has acknowledged (or skipped by filter). */
OMS_EXTERN uint64_t oms_sink_cursor(const oms_sink_t *sink);
/* When the next attempt may run (0 if not backing off). */
OMS_EXTERN int64_t oms_sink_retry_at(const oms_sink_t *sink);
/* Consecutive failed deliveries of the current event. */
OMS_EXTERN uint32_t oms_sink_failures(const oms_sink_t *sink);

/* The delay before retry number attempt (1, 2, ...) of event seq:
 * d = min(max, initial * 2^(attempt-1)); the result is in [d/2, d],
 * determined by (seed, seq, attempt). */
OMS_EXTERN int64_t oms_backoff_ns(int64_t initial_ns, int64_t max_ns, uint32_t attempt,
                                  uint64_t seed, uint64_t seq);

OMS_END_DECLS

#endif /* OMS_BUS_H */
