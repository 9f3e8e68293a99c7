/*
 * stream.h - the event stream: every stored event published to NATS
 * JetStream for downstream services (drop copy, risk dashboards,
 * surveillance), off the order path (docs/deployment.md).
 *
 * WHAT IT DOES. A publisher thread follows the durable event log through a
 * replay source (the store's: oms_store_replay_source, the journal's
 * projection, gap-free by seq) from its durable cursor, and publishes each
 * event asynchronously to one JetStream stream per environment:
 *
 *     subject  <prefix>.<instance>.<account>.<EventType>
 *              ("_" for an event of no account, e.g. a global trading state)
 *     header   Nats-Msg-Id: <instance>-<seq>   (JetStream drops a repeat)
 *     body     the event's JSON (oms_event_to_json: the admin API's events)
 *
 * with at most `window` publishes awaiting the server's ack. The cursor
 * advances only over the prefix of seqs the server acknowledged, and is
 * saved through the cursor store (a CURSOR record in the journal) at most
 * every save_interval and at stop. After a restart, a reconnection or any
 * failed or late ack, the publisher starts again after the cursor: what the
 * server already holds comes back as a duplicate and is not stored twice, so
 * a consumer of the stream sees every event once, in seq order.
 *
 * NEVER IN THE WAY. The core never calls this module and never waits for
 * it: the publisher reads what the store already holds. When the server is
 * down or slow the publisher backs off (exponential, jittered) and falls
 * behind; the journal keeps everything and the stream catches up.
 *
 * THREADS. create/start/stop/destroy on one thread (omsd's main); stats from
 * any thread. The publisher thread and libnats's own threads (acks) share
 * the window under one mutex.
 */
#ifndef OMS_STREAM_H
#define OMS_STREAM_H

#include <stdint.h>

#include "oms/bus.h"
#include "oms/common.h"

OMS_BEGIN_DECLS

#define OMS_STREAM_NAME_MAX 63

/* XX(NAME, "name"): the publisher's state, for status pages and metrics. */
#define OMS_STREAM_STATE_MAP(XX)                                        \
  XX(STOPPED, "stopped")       /* not started, or stopped */            \
  XX(CONNECTING, "connecting") /* connecting, or creating the stream */ \
  XX(PUBLISHING, "publishing") /* connected: publishing or caught up */ \
  XX(BACKOFF, "backoff")       /* a failure: waiting before reconnecting */

typedef enum oms_stream_state_e {
#define OMS_STREAM_ENUM(name, str) OMS_STREAM_##name,
  OMS_STREAM_STATE_MAP(OMS_STREAM_ENUM)
#undef OMS_STREAM_ENUM
} oms_stream_state_t;

OMS_EXTERN const char *oms_stream_state_name(oms_stream_state_t s);

typedef struct oms_stream_config_s {
  const char *nats_url;        /* "nats://127.0.0.1:4222" */
  const char *stream;          /* the JetStream stream (one per environment); created if missing */
  const char *prefix;          /* the subjects' first token; the stream holds "<prefix>.>" */
  const char *instance;        /* this omsd: in every subject and message id */
  const char *cursor;          /* the cursor's name in the cursor store; NULL: "stream" */
  uint32_t window;             /* publishes awaiting an ack, a power of two; 0 = 1024 */
  int64_t ack_timeout_ns;      /* a publish not acked by then is a failure; 0 = 2 s */
  int64_t backoff_initial_ns;  /* 0 = 100 ms */
  int64_t backoff_max_ns;      /* 0 = 5 s */
  int64_t save_interval_ns;    /* the cursor's saves; 0 = 100 ms */
  int64_t idle_ns;             /* the publisher's nap when caught up; 0 = 1 ms */
  int64_t duplicate_window_ns; /* the stream's de-duplication window if created; 0 = 2 min */
  /* A line for the log (a connection lost, a failure and its reason),
   * on the publisher thread. NULL: not said. */
  void (*on_log)(void *ctx, int error, const char *text);
  void *ctx;
} oms_stream_config_t;

typedef struct oms_stream_stats_s {
  oms_stream_state_t state;
  uint64_t published;  /* publishes sent (repeats after a failure included) */
  uint64_t acked;      /* acks received (duplicates included) */
  uint64_t duplicates; /* acks the server marked duplicate */
  uint64_t failures;   /* failed connections or rounds of publishes: each a rewind */
  uint64_t cursor;     /* the last seq of the acknowledged prefix */
  uint64_t head;       /* the last seq the publisher has read from the log */
  uint64_t inflight;   /* publishes awaiting an ack */
} oms_stream_stats_t;

typedef struct oms_stream_s oms_stream_t;

/* Checks cfg (names are NATS subject tokens: no '.', '*', '>' or space),
 * copies it, loads the cursor from cur. Nothing is connected yet. Returns
 * 0, OMS_EINVAL, OMS_ENOMEM, or the cursor load's error. */
OMS_EXTERN int oms_stream_create(const oms_stream_config_t *cfg, const oms_replay_source_t *src,
                                 const oms_cursor_store_t *cur, oms_stream_t **out);
/* Starts the publisher thread. 0, OMS_EINVAL (already started), OMS_ENOMEM. */
OMS_EXTERN int oms_stream_start(oms_stream_t *s);
/* Waits up to drain_ns for the acks in flight, saves the cursor, ends the
 * thread and the connection. Accepts a stream not started. */
OMS_EXTERN void oms_stream_stop(oms_stream_t *s, int64_t drain_ns);
/* Stops it if needed and frees it. Accepts NULL. libnats may call back
 * from its own threads after a connection is destroyed, so this closes the
 * libnats library and waits for its threads (nats_CloseAndWait): one stream
 * at a time per process, and no other user of libnats in it while this
 * runs (omsd has none; the library reopens itself on its next use). */
OMS_EXTERN void oms_stream_destroy(oms_stream_t *s);
OMS_EXTERN void oms_stream_stats(oms_stream_t *s, oms_stream_stats_t *out);

/* The subject of ev: "<prefix>.<instance>.<account>.<EventType>" into
 * buf[cap] (an account that is not a subject token is written with '_'
 * for each character that is not). Returns the length or OMS_ENOSPC. */
OMS_EXTERN int oms_stream_subject(const char *prefix, const char *instance, const oms_event_t *ev,
                                  char *buf, size_t cap);

OMS_END_DECLS

#endif /* OMS_STREAM_H */
