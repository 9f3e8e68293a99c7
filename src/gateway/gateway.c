/*
 * gateway.c - FIX 4.4 order entry mapped onto the engine (see gateway.h for
 * the mapping rules).
 *
 * NOTES ON THE DESIGN
 *
 * Objects: sessions (one per configured CompID pair, each owning an
 * oms_fix_session_t), connections (one per TCP connection, bound to a
 * session by its Logon), and a pool of "tracked" orders: those whose
 * ClOrdID chain differs from the engine's record (replaced, or with a cancel
 * or replace pending), found by order id (core/u64map.h), with an index of
 * their ClOrdIDs by (session, ClOrdID) (core/strmap.h). An order that was
 * never replaced is found through oms_engine_get_by_clordid(strategy =
 * session CompID, ClOrdID), one replaced before a restart through
 * oms_engine_get_by_current_clordid, so the hot path (new orders) keeps
 * nothing per order here, and every lookup a client's message causes is a
 * map lookup: no message costs work in proportion to the number of orders.
 *
 * The engine delivers events synchronously inside submit/cancel/modify when
 * it has no store or the gateway hears them written (on_written, as in
 * omsd), and later (from poll) otherwise. So the pending
 * ClOrdID of a cancel or replace is recorded BEFORE the engine call, and
 * taken back if the engine refuses synchronously.
 *
 * Reentrancy: a session's disconnect callback may fire while the gateway is
 * feeding it bytes. The connection is then only marked closing; it is freed
 * when the daemon calls oms_gateway_conn_closed.
 *
 * WRITE-AHEAD (what a client is told survives a crash). The session numbers
 * every outbound message and hands the store its sequence numbers (and, for
 * application messages, the message) before it writes a byte; the store's
 * writes are asynchronous (tickets), so the gateway keeps an outbox per
 * session: bytes written while the session's last store ticket is not yet
 * durable are queued with that ticket and released, in order, by
 * oms_gateway_pump() once oms_store_durable_ticket() reaches it, exactly as
 * the engine's outbox releases venue sends. An outbox and not a synchronous
 * wait, because a wait would stall the daemon's only thread (every other
 * session, the venues) for a commit per message, while the outbox lets one
 * group commit cover the messages of every session. A session ending with
 * queued bytes (a Logout, a Reject) waits for them: rare, and the peer
 * should hear why. After a kill -9 no number the client received can be
 * reused, because no number leaves before it is durable.
 *
 * Engine events may reach the gateway as soon as they are written, before
 * they are durable (omsd takes them from the engine's on_written): the
 * report of each is numbered and stored at once, like any message, and
 * waits in the outbox for its own ticket, which comes after the event's,
 * so the one sync that makes the report durable makes its event durable
 * too (the store's durable tickets are a prefix), and no report leaves
 * about an event a crash could take back. A crash before the report is
 * stored loses the report, not the event: the catch-up below reports it.
 * A report stored but not yet sent when the process dies is in the store
 * with its number (a process crash keeps what was written), and the
 * client gets it by ResendRequest; if the machine dies and the store
 * loses it, its number was never seen by anyone and is used again. The
 * reports of events carry ExecID = the event's seq, so the newest stored one
 * says how far the session's client was told (reported_seq), in the same
 * row as the report itself: no second write to keep in step. At start
 * (oms_gateway_catch_up) every later event of the session's orders is
 * reported (numbered, stored, resent on ResendRequest), and an event at or
 * below reported_seq is never reported again. A sequence reset deletes the
 * stored messages, so reported_seq is first saved as a store cursor
 * ("fix:<session>"), and again at a graceful stop, as a floor.
 */
#include "oms/gateway.h"
#include "oms/order_fix.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/slots.h"
#include "core/strmap.h"
#include "core/u64map.h"
#include "fix/outbox.h"
#include "oms/algo.h"
#include "oms/decimal.h"
#include "oms/error.h"
#include "oms/fix_dict.h"
#include "oms/sor.h"

#define MAX_SESSIONS 64
/* Distinct hub routes (OnBehalfOf 115/116/144) remembered per session for
 * the later reports of orders that came through them; a session has a few
 * hubs behind it, not hundreds. */
#define MAX_ROUTES 16

/* A route kept for later reports: the request's OnBehalfOf fields, written
 * back as DeliverTo. */
typedef struct gw_route_s {
  char comp_id[OMS_ID_MAX + 1];
  char sub_id[OMS_ID_MAX + 1];
  char location_id[OMS_ID_MAX + 1];
} gw_route_t;

typedef struct gw_conn_s gw_conn_t;

typedef struct gw_session_s {
  oms_gateway_t *gw;
  uint16_t idx;
  char client[OMS_ID_MAX + 1];
  char ours[OMS_ID_MAX + 1];
  char password[128];
  char account[OMS_ID_MAX + 1];
  char key[2 * OMS_ID_MAX + 2]; /* the store's session name "CLIENT-OURS" */
  bool cancel_on_disconnect;
  bool cod_pending;      /* its cancel-on-disconnect waits for the end of an event */
  uint64_t sent_ticket;  /* store ticket of the last outbound message saved */
  uint64_t last_ticket;  /* store ticket of the last save (seqnums or message) */
  uint64_t reported_seq; /* the newest engine event reported to the client */
  oms__fix_outbox_t ob;  /* write-ahead: bytes waiting for their ticket (fix/outbox.h) */
  int store_rc;          /* the store's error that is ending the session, or 0 */
  const char *store_op;  /* what failed: "save_seqnums", ... */
  oms_fix_session_t *fs;
  gw_conn_t *conn;
  /* Sequence numbers cached here: the store's writes are asynchronous. */
  bool have_seq;
  int64_t next_sender, next_target;
  /* What this run last told the store: next_in of the last seqnums record
   * (-1: nothing yet) and the number of the last message saved (0: none).
   * A save_sent moves the stored next_out past its number by itself
   * (store.h), so the seqnums that follow it need no record of their own:
   * one append fewer per message sent. */
  int64_t told_in, told_sent;
  /* The stored numbers as oms_gateway_catch_up read them: what the session
   * resumes from, shown by the read-out before its first connection (the
   * read-out never queries the store: a query may wait behind another
   * thread's). */
  bool have_stored;
  int64_t stored_in, stored_out;
  /* Fetch buffer for load_sent. */
  char *fetch_buf;
  size_t fetch_cap, fetch_len;
  int fetch_found;
  /* The route of the request being handled (NULL outside on_app_msg): every
   * synchronous answer goes back the way the request came. */
  const oms_fix_route_t *reply;
  oms_fix_str_t reply_id; /* the ClOrdID(11) of that request */
  uint8_t nroutes;
  gw_route_t routes[MAX_ROUTES];
} gw_session_t;

struct gw_conn_s {
  uint64_t id;
  bool used;
  bool closing;
  bool logged_on; /* logon_done(ok) was said */
  gw_session_t *sess;
  char *buf;
  size_t len;
};

/* An order whose ClOrdID chain the gateway follows. */
typedef struct track_s {
  uint64_t order_id;
  uint16_t sess;
  char pend_kind; /* 'F', 'G' or 0 */
  uint8_t route;  /* 1 + index into the session's routes, 0: none */
  char cur[OMS_ID_MAX + 1];
  char pend[OMS_ID_MAX + 1];
} track_t;

/* The key of a ClOrdID in the index: "<session index>:<ClOrdID>". */
#define IDX_KEY_MAX (5 + 1 + OMS_ID_MAX)

/* A NewOrderList's ClOrdIDs, kept in its group order's metadata (journaled
 * with the order, so they outlive a restart): "fix.list=<c1>,<c2>[,<c3>]". */
#define LIST_META "fix.list="

struct oms_gateway_s {
  oms_gateway_config_t cfg;
  char venue[OMS_VENUE_MAX + 1];
  size_t max_msg_len;
  size_t nsessions;
  gw_session_t *sessions[MAX_SESSIONS];
  uint32_t max_conns;
  gw_conn_t *conns;
  track_t *track; /* a pool of max_tracked entries */
  oms__slots_t track_free;
  oms__u64map_t track_of; /* order id -> entry of track */
  oms__strmap_t idx;      /* (session, ClOrdID) -> order id, for ClOrdIDs the engine
                           * does not know by that name */
  uint64_t exec_seq;
  int64_t boot_s;
  bool unstored_sent; /* a message went out unstored (a store-failure Logout) */
  /* Inside oms_gateway_on_event, which the engine may call from inside a
   * command (on_written): a session that drops there (a failed send) must
   * not run its cancel-on-disconnect, an engine command, then. It is marked
   * and run once the gateway is called from outside the engine again. */
  int in_event;
  bool cod_pending;
};

/* ---- Logging ----------------------------------------------------------------------- */

static void gw_log(oms_gateway_t *gw, oms_fix_log_level_t lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void gw_log(oms_gateway_t *gw, oms_fix_log_level_t lvl, const char *fmt, ...) {
  if (gw->cfg.io.log == NULL) return;
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  gw->cfg.io.log(gw->cfg.io.ctx, lvl, text);
}

/* ---- Tracked orders and the ClOrdID index ------------------------------------------ */

static track_t *track_find(oms_gateway_t *gw, uint64_t order_id) {
  uint64_t i;
  return oms__u64map_get(&gw->track_of, order_id, &i) ? &gw->track[i] : NULL;
}

/* Finds or creates the entry of order_id; NULL when max_tracked are in use. */
static track_t *track_get(oms_gateway_t *gw, uint64_t order_id, uint16_t sess, const char *cur) {
  track_t *t = track_find(gw, order_id);
  if (t != NULL) return t;
  uint32_t i = oms__slots_take(&gw->track_free);
  if (i == OMS__SLOT_NONE) return NULL;
  (void)oms__u64map_put(&gw->track_of, order_id, i); /* sized for the pool: never full */
  t = &gw->track[i];
  memset(t, 0, sizeof *t);
  t->order_id = order_id;
  t->sess = sess;
  snprintf(t->cur, sizeof t->cur, "%s", cur);
  return t;
}

static void track_del(oms_gateway_t *gw, track_t *t) {
  if (!oms__u64map_del(&gw->track_of, t->order_id)) return;
  oms__slots_give(&gw->track_free, (uint32_t)(t - gw->track));
  t->order_id = 0;
}

/* An entry kept for nothing but its order's name and no route: free it. */
static void track_del_if_idle(oms_gateway_t *gw, track_t *t, const oms_order_t *o) {
  if (t->pend_kind == 0 && t->route == 0 && strcmp(t->cur, o->client_order_id) == 0)
    track_del(gw, t);
}

static void idx_key(char *key, uint16_t sess, const char *clordid) {
  snprintf(key, IDX_KEY_MAX + 1, "%u:%s", (unsigned)sess, clordid);
}

/* Whether (sess, clordid) is in the index; *order_id (may be NULL) gets its order. */
static bool idx_find(oms_gateway_t *gw, uint16_t sess, const char *clordid, uint64_t *order_id) {
  char key[IDX_KEY_MAX + 1];
  idx_key(key, sess, clordid);
  return oms__strmap_get(&gw->idx, key, order_id);
}

/* Returns 0 or OMS_EFULL. */
static int idx_put(oms_gateway_t *gw, uint16_t sess, const char *clordid, uint64_t order_id) {
  char key[IDX_KEY_MAX + 1];
  idx_key(key, sess, clordid);
  return oms__strmap_put(&gw->idx, key, order_id);
}

static void idx_del(oms_gateway_t *gw, uint16_t sess, const char *clordid) {
  char key[IDX_KEY_MAX + 1];
  idx_key(key, sess, clordid);
  oms__strmap_del(&gw->idx, key);
}

/* ---- Session callbacks --------------------------------------------------------------- */

static int on_app_msg(void *ctx, const oms_fix_msg_t *m);

/* ---- The outbox ---------------------------------------------------------------------- */

/* Bytes queued beyond this end the session (a client that stops reading, a
 * store that stopped committing): everything is stored, so a resend after
 * the reconnect loses nothing. */
#define OUTBOX_MAX (4u << 20)
#define OUTBOX_INITIAL (16u << 10) /* allocated with the session: no allocation per message */
static bool durable(const gw_session_t *s, uint64_t ticket) {
  return s->gw->cfg.store == NULL || ticket <= oms_store_durable_ticket(s->gw->cfg.store);
}

static int ob_push(gw_session_t *s, const char *data, size_t len) {
  return oms__fix_outbox_push(&s->ob, s->last_ticket, data, len);
}

static void ob_clear(gw_session_t *s) { oms__fix_outbox_clear(&s->ob); }

static int ob_send(void *ctx, const char *data, size_t len) {
  gw_session_t *s = ctx;
  return s->gw->cfg.io.send(s->gw->cfg.io.ctx, s->conn->id, data, len);
}

/* Writes the queued messages whose ticket is durable; returns how many. */
static int ob_pump(gw_session_t *s) {
  if (oms__fix_outbox_empty(&s->ob)) return 0;
  if (s->conn == NULL || s->conn->closing) {
    ob_clear(s);
    return 0;
  }
  uint64_t upto =
      s->gw->cfg.store == NULL ? UINT64_MAX : oms_store_durable_ticket(s->gw->cfg.store);
  return oms__fix_outbox_pump(&s->ob, upto, ob_send, s, NULL);
}

/* The number the client expects next: that of the first message not yet
 * written, or the session's next number when everything went out. */
static int64_t ob_first_seq(const gw_session_t *s) {
  return oms__fix_outbox_first_seq(&s->ob, s->next_sender);
}

/* Waits (bounded) until the outbox can be written, and writes it. */
static void ob_flush(gw_session_t *s, int64_t timeout_ns) {
  if (oms__fix_outbox_empty(&s->ob)) return;
  /* A FAILED store commits nothing until it recovers: no wait then, and the
   * bytes stay unsent (their numbers could be used again after a crash). */
  if (s->gw->cfg.store != NULL && !durable(s, s->last_ticket) &&
      !oms_store_failed(s->gw->cfg.store))
    (void)oms_store_wait(s->gw->cfg.store, s->last_ticket, timeout_ns);
  (void)ob_pump(s);
}

/* A session ended for not reading: its queued messages are stored (a resend
 * after its next Logon serves them), so only the last one, the Logout that
 * says why, is written, once durable. */
static void ob_flush_last(gw_session_t *s, int64_t timeout_ns) {
  if (oms__fix_outbox_empty(&s->ob)) return;
  oms__fix_outbox_keep_last(&s->ob);
  ob_flush(s, timeout_ns);
}

static int io_send(void *ctx, const char *data, size_t len) {
  gw_session_t *s = ctx;
  if (s->conn == NULL || s->conn->closing) return OMS_ECLOSED;
  if (oms__fix_outbox_empty(&s->ob) && durable(s, s->last_ticket))
    return s->gw->cfg.io.send(s->gw->cfg.io.ctx, s->conn->id, data, len);
  return ob_push(s, data, len);
}

static void cancel_on_disconnect(gw_session_t *s) {
  if (!s->cancel_on_disconnect) return;
  if (s->gw->in_event > 0) {
    s->cod_pending = s->gw->cod_pending = true;
    return;
  }
  s->cod_pending = false;
  oms_order_filter_t f = {.strategy_id = s->client, .account_id = s->account};
  uint32_t n = 0;
  oms_engine_mass_cancel(s->gw->cfg.engine, &f, &n);
  gw_log(s->gw, OMS_FIX_LOG_INFO, "session=%s event=cancel_on_disconnect cancelled=%u", s->client,
         n);
}

/* Runs the cancels on disconnect that waited for the end of an event. */
static void cod_run(oms_gateway_t *gw) {
  gw->cod_pending = false;
  for (size_t i = 0; i < gw->nsessions; i++)
    if (gw->sessions[i]->cod_pending) cancel_on_disconnect(gw->sessions[i]);
}

/* Separates session and connection; the session is DISCONNECTED already. */
static void unbind(gw_session_t *s) {
  gw_conn_t *c = s->conn;
  if (c == NULL) return;
  s->conn = NULL;
  c->sess = NULL;
  ob_clear(s);
  cancel_on_disconnect(s);
}

static void close_conn(oms_gateway_t *gw, gw_conn_t *c, const char *reason) {
  if (c->closing) return;
  c->closing = true;
  gw->cfg.io.close(gw->cfg.io.ctx, c->id, reason);
}

static void send_bare_logout(oms_gateway_t *gw, gw_conn_t *c, oms_fix_str_t ours,
                             oms_fix_str_t theirs, int64_t seq, const char *text);

static void io_disconnect(void *ctx, const char *reason) {
  gw_session_t *s = ctx;
  gw_conn_t *c = s->conn;
  gw_log(s->gw, OMS_FIX_LOG_INFO, "session=%s event=disconnect reason=\"%s\"", s->client, reason);
  if (c == NULL) return;
  ob_flush(s, INT64_C(1000000000)); /* what is durable goes, the Logout first of all */
  if (s->store_rc != 0 && !c->closing) {
    /* The session gives up because its store failed. The client is told
     * why in the one message that is not stored first (the store is what
     * failed), under the number the client expects next: the first one not
     * written. A start after a stop that was not clean skips one outbound
     * number (oms_gateway_catch_up), so this number is never used again. */
    char text[160];
    snprintf(text, sizeof text, "store failure: %s: %s (%s)", s->store_op,
             oms_err_name(s->store_rc), oms_strerror(s->store_rc));
    gw_log(s->gw, OMS_FIX_LOG_ERROR, "session=%s conn=%llu event=logout reason=\"%s\"", s->client,
           (unsigned long long)c->id, text);
    send_bare_logout(s->gw, c, oms_fix_str(s->ours), oms_fix_str(s->client), ob_first_seq(s), text);
    s->gw->unstored_sent = true;
    s->store_rc = 0;
  }
  unbind(s);
  close_conn(s->gw, c, reason);
}

static void logon_done(oms_gateway_t *gw, gw_conn_t *c, oms_fix_str_t comp_id, bool ok,
                       const char *why) {
  if (ok) c->logged_on = true;
  if (gw->cfg.io.logon_done != NULL) gw->cfg.io.logon_done(gw->cfg.io.ctx, c->id, comp_id, ok, why);
}

static int io_authenticate(void *ctx, oms_fix_str_t user, oms_fix_str_t pass) {
  gw_session_t *s = ctx;
  (void)user;
  if (s->password[0] == '\0') return 0;
  if (pass.ptr == NULL || !oms_fix_str_eq(pass, s->password)) {
    gw_log(s->gw, OMS_FIX_LOG_WARN, "session=%s event=logon_refused reason=\"bad password\"",
           s->client);
    if (s->conn != NULL) logon_done(s->gw, s->conn, oms_fix_str(s->client), false, "bad password");
    return OMS_EINVAL;
  }
  return 0;
}

static void io_log(void *ctx, oms_fix_log_level_t level, const char *text) {
  gw_session_t *s = ctx;
  gw_log(s->gw, level, "session=%s %s", s->client, text);
}

/* Notes a store failure (the session ends on it; io_disconnect says why). */
static int store_rc(gw_session_t *s, const char *op, int rc) {
  if (rc != 0 && rc != OMS_ENOTFOUND) {
    s->store_rc = rc;
    s->store_op = op;
  }
  return rc;
}

static int st_load_seqnums(void *ctx, int64_t *next_sender, int64_t *next_target) {
  gw_session_t *s = ctx;
  if (!s->have_seq) {
    s->next_sender = s->next_target = 1;
    if (s->gw->cfg.store != NULL) {
      int64_t in = 1, out = 1;
      int rc = store_rc(s, "load_seqnums",
                        oms_store_fix_get_seqnums(s->gw->cfg.store, s->key, &in, &out));
      if (rc != 0 && rc != OMS_ENOTFOUND) return rc;
      if (rc == 0) {
        s->next_sender = out;
        s->next_target = in;
      }
    }
    s->have_seq = true;
  }
  *next_sender = s->next_sender;
  *next_target = s->next_target;
  return s->next_sender == 1 && s->next_target == 1 ? OMS_ENOTFOUND : 0;
}

static int st_save_seqnums(void *ctx, int64_t next_sender, int64_t next_target) {
  gw_session_t *s = ctx;
  s->have_seq = true;
  s->next_sender = next_sender;
  s->next_target = next_target;
  if (s->gw->cfg.store == NULL) return 0;
  if (next_target == s->told_in && next_sender == s->told_sent + 1) return 0;
  int rc = store_rc(s, "save_seqnums",
                    oms_store_fix_set_seqnums(s->gw->cfg.store, s->key, next_target, next_sender,
                                              &s->last_ticket));
  s->told_in = rc == 0 ? next_target : -1;
  return rc;
}

static int st_save_sent(void *ctx, int64_t seq, const char *data, size_t len) {
  gw_session_t *s = ctx;
  if (s->gw->cfg.store == NULL || len > OMS_STORE_FIX_MSG_MAX) return 0;
  int rc =
      store_rc(s, "save_sent",
               oms_store_fix_save_sent(s->gw->cfg.store, s->key, seq, data, len, &s->sent_ticket));
  if (rc == 0) s->last_ticket = s->sent_ticket;
  s->told_sent = rc == 0 ? seq : 0;
  return rc;
}

static int fetch_cb(void *ctx, int64_t seqnum, const char *msg, size_t len) {
  gw_session_t *s = ctx;
  (void)seqnum;
  if (len > s->fetch_cap) return OMS_ENOSPC;
  memcpy(s->fetch_buf, msg, len);
  s->fetch_len = len;
  s->fetch_found = 1;
  return 0;
}

static int st_load_sent(void *ctx, int64_t seq, char *buf, size_t cap, size_t *len) {
  gw_session_t *s = ctx;
  if (s->gw->cfg.store == NULL) return OMS_ENOTFOUND;
  /* A resend reuses numbers already durable, but must follow what is queued:
   * empty the outbox first (a commit's wait, resends are rare), so the
   * resent messages go straight out instead of filling it. */
  ob_flush(s, INT64_C(2000000000));
  /* The store's queries see committed rows only: a message saved a moment
   * ago (a report stored while the client was away) must be committed before
   * it can be resent. Resend requests are rare; the wait is a commit. */
  if (s->sent_ticket > oms_store_durable_ticket(s->gw->cfg.store)) {
    int wrc = oms_store_wait(s->gw->cfg.store, s->sent_ticket, INT64_C(2000000000));
    if (wrc != 0) return wrc;
  }
  s->fetch_buf = buf;
  s->fetch_cap = cap;
  s->fetch_found = 0;
  int rc = oms_store_fix_fetch_sent(s->gw->cfg.store, s->key, seq, seq, fetch_cb, s);
  if (rc != 0) return rc;
  if (!s->fetch_found) return OMS_ENOTFOUND;
  *len = s->fetch_len;
  return 0;
}

static void cursor_name(const gw_session_t *s, char *buf, size_t cap) {
  snprintf(buf, cap, "fix:%s", s->key);
}

static int save_cursor(gw_session_t *s) {
  char name[sizeof s->key + 8];
  cursor_name(s, name, sizeof name);
  return oms_store_cursor_set(s->gw->cfg.store, name, s->reported_seq, &s->last_ticket);
}

static int st_reset(void *ctx) {
  gw_session_t *s = ctx;
  s->next_sender = s->next_target = 1;
  s->have_seq = true;
  if (s->gw->cfg.store == NULL) return 0;
  /* The cursor first: it must be durable before the reports saying the
   * same are deleted (the store commits in ticket order). */
  int rc = store_rc(s, "save_cursor", save_cursor(s));
  if (rc != 0) return rc;
  s->told_in = -1; /* the reset's own numbers are written by the next save */
  s->told_sent = 0;
  return store_rc(s, "reset", oms_store_fix_reset(s->gw->cfg.store, s->key, &s->last_ticket));
}

/* ---- Create / destroy ------------------------------------------------------------------ */

int oms_gateway_create(const oms_gateway_config_t *cfg, oms_gateway_t **out) {
  if (out == NULL) return OMS_EINVAL;
  *out = NULL;
  if (cfg == NULL || cfg->engine == NULL || cfg->clock.now_ns == NULL ||
      cfg->default_venue == NULL || cfg->io.send == NULL || cfg->io.close == NULL ||
      strlen(cfg->default_venue) > OMS_VENUE_MAX)
    return OMS_EINVAL;
  oms_gateway_t *gw = oms__calloc(1, sizeof *gw);
  if (gw == NULL) return OMS_ENOMEM;
  gw->cfg = *cfg;
  snprintf(gw->venue, sizeof gw->venue, "%s", cfg->default_venue);
  gw->max_msg_len = cfg->max_msg_len ? cfg->max_msg_len : OMS_FIX_DEFAULT_MAX_MSG_LEN;
  gw->max_conns = cfg->max_conns ? cfg->max_conns : 64;
  uint32_t max_tracked = cfg->max_tracked ? cfg->max_tracked : 65536;
  if (max_tracked > (1u << 30)) max_tracked = 1u << 30;
  gw->conns = oms__calloc(gw->max_conns, sizeof *gw->conns);
  gw->track = oms__calloc(max_tracked, sizeof *gw->track);
  if (gw->conns == NULL || gw->track == NULL ||
      oms__slots_init(&gw->track_free, max_tracked) != 0 ||
      oms__u64map_init(&gw->track_of, max_tracked) != 0 ||
      oms__strmap_init(&gw->idx, max_tracked, IDX_KEY_MAX) != 0) {
    oms_gateway_destroy(gw);
    return OMS_ENOMEM;
  }
  gw->boot_s = oms_clock_now(&cfg->clock) / INT64_C(1000000000);
  *out = gw;
  return 0;
}

void oms_gateway_destroy(oms_gateway_t *gw) {
  if (gw == NULL) return;
  for (size_t i = 0; i < gw->nsessions; i++) {
    oms_fix_session_destroy(gw->sessions[i]->fs);
    oms__fix_outbox_free(&gw->sessions[i]->ob);
    oms__free(gw->sessions[i]);
  }
  if (gw->conns != NULL)
    for (uint32_t i = 0; i < gw->max_conns; i++) oms__free(gw->conns[i].buf);
  oms__free(gw->conns);
  oms__free(gw->track);
  oms__slots_close(&gw->track_free);
  oms__u64map_close(&gw->track_of);
  oms__strmap_close(&gw->idx);
  oms__free(gw);
}

int oms_gateway_add_session(oms_gateway_t *gw, const oms_gateway_session_config_t *sc) {
  if (gw == NULL || sc == NULL || sc->client_comp_id == NULL || sc->our_comp_id == NULL ||
      sc->account == NULL || !oms_id_valid(sc->client_comp_id, OMS_ID_MAX) ||
      !oms_id_valid(sc->our_comp_id, OMS_ID_MAX) || !oms_id_valid(sc->account, OMS_ID_MAX) ||
      (sc->password != NULL && strlen(sc->password) >= 128))
    return OMS_EINVAL;
  for (size_t i = 0; i < gw->nsessions; i++)
    if (strcmp(gw->sessions[i]->client, sc->client_comp_id) == 0) return OMS_EEXIST;
  if (gw->nsessions >= MAX_SESSIONS) return OMS_EFULL;
  gw_session_t *s = oms__calloc(1, sizeof *s);
  if (s == NULL) return OMS_ENOMEM;
  if (oms__fix_outbox_init(&s->ob, OUTBOX_INITIAL, OUTBOX_MAX) != 0) {
    oms__free(s);
    return OMS_ENOMEM;
  }
  s->gw = gw;
  s->idx = (uint16_t)gw->nsessions;
  snprintf(s->client, sizeof s->client, "%s", sc->client_comp_id);
  snprintf(s->ours, sizeof s->ours, "%s", sc->our_comp_id);
  snprintf(s->password, sizeof s->password, "%s", sc->password ? sc->password : "");
  snprintf(s->account, sizeof s->account, "%s", sc->account);
  snprintf(s->key, sizeof s->key, "%s-%s", s->client, s->ours);
  s->cancel_on_disconnect = sc->cancel_on_disconnect;
  oms_fix_session_config_t fc = {.sender_comp_id = s->ours,
                                 .target_comp_id = s->client,
                                 .max_heartbeat_s = sc->max_heartbeat_s,
                                 .max_clock_skew_ns = sc->sending_time_tolerance_ns,
                                 .max_msg_len = gw->max_msg_len,
                                 .dict_flags = sc->fix_dict_flags | OMS_FIX_DICT_ALLOW_ALGO_TAGS};
  oms_fix_session_io_t io = {.send = io_send,
                             .disconnect = io_disconnect,
                             .on_app_msg = on_app_msg,
                             .authenticate = io_authenticate,
                             .log = io_log,
                             .ctx = s};
  oms_fix_session_store_t st = {.load_seqnums = st_load_seqnums,
                                .save_seqnums = st_save_seqnums,
                                .save_sent = st_save_sent,
                                .load_sent = st_load_sent,
                                .reset = st_reset,
                                .ctx = s};
  int rc = oms_fix_session_create(&fc, &io, &st, &gw->cfg.clock, &s->fs);
  if (rc != 0) {
    oms__fix_outbox_free(&s->ob);
    oms__free(s);
    return rc;
  }
  gw->sessions[gw->nsessions++] = s;
  return 0;
}

/* ---- Connections ------------------------------------------------------------------------ */

static gw_conn_t *find_conn(oms_gateway_t *gw, uint64_t id) {
  for (uint32_t i = 0; i < gw->max_conns; i++)
    if (gw->conns[i].used && gw->conns[i].id == id) return &gw->conns[i];
  return NULL;
}

int oms_gateway_conn_open(oms_gateway_t *gw, uint64_t conn) {
  if (find_conn(gw, conn) != NULL) return OMS_EEXIST;
  for (uint32_t i = 0; i < gw->max_conns; i++) {
    gw_conn_t *c = &gw->conns[i];
    if (c->used) continue;
    if (c->buf == NULL) {
      c->buf = oms__malloc(gw->max_msg_len * 2);
      if (c->buf == NULL) return OMS_ENOMEM;
    }
    c->used = true;
    c->closing = false;
    c->logged_on = false;
    c->id = conn;
    c->sess = NULL;
    c->len = 0;
    return 0;
  }
  return OMS_EFULL;
}

static int copy_str(char *dst, size_t cap, oms_fix_str_t v);

/* A Logout the session can not send: for a Logon refused before it is
 * looked at (throttled; MsgSeqNum 1, the CompIDs of the Logon swapped), or
 * for a session whose store failed. Best effort. */
static void send_bare_logout(oms_gateway_t *gw, gw_conn_t *c, oms_fix_str_t ours,
                             oms_fix_str_t theirs, int64_t seq, const char *text) {
  char o[OMS_ID_MAX + 1], t[OMS_ID_MAX + 1], buf[512];
  if (copy_str(o, sizeof o, ours) != 0 || copy_str(t, sizeof t, theirs) != 0 || o[0] == '\0' ||
      t[0] == '\0')
    return;
  oms_fix_header_t h = {.msg_type = OMS_FIX_MSG_Logout,
                        .sender_comp_id = o,
                        .target_comp_id = t,
                        .msg_seq_num = seq,
                        .sending_time_ns = gw->cfg.clock.now_ns(gw->cfg.clock.ctx)};
  oms_fix_builder_t b;
  size_t len = 0;
  (void)oms_fix_builder_begin_header(&b, buf, sizeof buf, &h);
  (void)oms_fix_add_cstr(&b, OMS_FIX_TAG_Text, text);
  if (oms_fix_builder_finish(&b, &len) == 0) (void)gw->cfg.io.send(gw->cfg.io.ctx, c->id, buf, len);
}

/* Binds c to the session named by its first message (a Logon). Returns 0
 * when bound, OMS_EAGAIN when more bytes are needed, OMS_ECLOSED when c is
 * being closed. */
static int bind_conn(oms_gateway_t *gw, gw_conn_t *c) {
  oms_fix_msg_t *m = oms__malloc(sizeof *m);
  if (m == NULL) {
    close_conn(gw, c, "out of memory");
    return OMS_ECLOSED;
  }
  size_t used = 0;
  oms_fix_perror_t perr;
  oms_fix_limits_t lim = {.max_msg_len = gw->max_msg_len};
  int rc = oms_fix_parse(c->buf, c->len, &lim, m, &used, &perr);
  if (rc == OMS_EAGAIN) {
    oms__free(m);
    return OMS_EAGAIN;
  }
  if (rc != 0) {
    gw_log(gw, OMS_FIX_LOG_WARN, "conn=%llu event=refused reason=\"%s before Logon\"",
           (unsigned long long)c->id, oms_fix_perr_desc(perr.kind));
    oms__free(m);
    close_conn(gw, c, "malformed message before Logon");
    return OMS_ECLOSED;
  }
  oms_fix_str_t sender = {0}, target = {0};
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_SenderCompID, &sender);
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_TargetCompID, &target);
  const char *refused =
      gw->cfg.io.logon_check == NULL ? NULL : gw->cfg.io.logon_check(gw->cfg.io.ctx, c->id, sender);
  if (refused != NULL) {
    gw_log(gw, OMS_FIX_LOG_WARN, "conn=%llu event=refused reason=\"%s\"", (unsigned long long)c->id,
           refused);
    send_bare_logout(gw, c, target, sender, 1, refused);
    oms__free(m);
    close_conn(gw, c, refused);
    return OMS_ECLOSED;
  }
  gw_session_t *s = NULL;
  for (size_t i = 0; i < gw->nsessions; i++)
    if (oms_fix_str_eq(sender, gw->sessions[i]->client) &&
        oms_fix_str_eq(target, gw->sessions[i]->ours))
      s = gw->sessions[i];
  const char *why = NULL;
  if (!oms_fix_msg_is(m, OMS_FIX_MSG_Logon))
    why = "first message is not a Logon";
  else if (s == NULL)
    why = "unknown SenderCompID/TargetCompID";
  else if (s->conn != NULL)
    why = "session already connected";
  if (why != NULL || s == NULL) {
    gw_log(gw, OMS_FIX_LOG_WARN, "conn=%llu event=refused reason=\"%s\"", (unsigned long long)c->id,
           why);
    if (oms_fix_msg_is(m, OMS_FIX_MSG_Logon)) logon_done(gw, c, sender, false, why);
    oms__free(m);
    close_conn(gw, c, why);
    return OMS_ECLOSED;
  }
  oms__free(m);
  if (oms_fix_session_state(s->fs) != OMS_FIX_SESSION_DISCONNECTED)
    oms_fix_session_reset_connection(s->fs);
  rc = oms_fix_session_connect(s->fs);
  if (rc != 0) {
    gw_log(gw, OMS_FIX_LOG_ERROR, "session=%s event=connect_failed error=%s", s->client,
           oms_err_name(rc));
    char text[160];
    snprintf(text, sizeof text, "store failure: load_seqnums: %s (%s)", oms_err_name(rc),
             oms_strerror(rc));
    send_bare_logout(gw, c, target, sender, 1, text);
    s->store_rc = 0;
    close_conn(gw, c, "session store failure");
    return OMS_ECLOSED;
  }
  s->conn = c;
  c->sess = s;
  s->store_rc = 0; /* a failure while it was away (storing a report) is not this session's end */
  gw_log(gw, OMS_FIX_LOG_INFO, "session=%s conn=%llu event=bound", s->client,
         (unsigned long long)c->id);
  return 0;
}

static int conn_data(oms_gateway_t *gw, uint64_t conn, const char *data, size_t len) {
  gw_conn_t *c = find_conn(gw, conn);
  if (c == NULL) return OMS_ENOTFOUND;
  while (len > 0) {
    if (c->closing) return OMS_ECLOSED;
    size_t room = gw->max_msg_len * 2 - c->len;
    size_t n = len < room ? len : room;
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    data += n;
    len -= n;
    if (c->sess == NULL) {
      int rc = bind_conn(gw, c);
      if (rc == OMS_EAGAIN) {
        if (c->len >= gw->max_msg_len * 2) {
          close_conn(gw, c, "no Logon");
          return OMS_ECLOSED;
        }
        continue;
      }
      if (rc != 0) return OMS_ECLOSED;
    }
    gw_session_t *s = c->sess;
    size_t consumed = 0;
    (void)oms_fix_session_on_bytes(s->fs, c->buf, c->len, &consumed);
    if (!c->logged_on && c->sess == s && oms_fix_session_state(s->fs) == OMS_FIX_SESSION_ACTIVE)
      logon_done(gw, c, oms_fix_str(s->client), true, NULL);
    if (c->closing) return OMS_ECLOSED;
    if (consumed > 0) {
      memmove(c->buf, c->buf + consumed, c->len - consumed);
      c->len -= consumed;
    } else if (c->len >= gw->max_msg_len * 2) {
      /* The parser never waits for more than the cap; this cannot happen. */
      oms_fix_session_reset_connection(s->fs);
      unbind(s);
      close_conn(gw, c, "input buffer full");
      return OMS_ECLOSED;
    }
  }
  return c->closing ? OMS_ECLOSED : 0;
}

int oms_gateway_conn_logout(oms_gateway_t *gw, uint64_t conn, const char *text) {
  gw_conn_t *c = find_conn(gw, conn);
  if (c == NULL) return OMS_ENOTFOUND;
  gw_session_t *s = c->sess;
  if (s != NULL && !c->closing) {
    gw_log(gw, OMS_FIX_LOG_WARN, "session=%s conn=%llu event=logout reason=\"%s\"", s->client,
           (unsigned long long)conn, text);
    (void)oms_fix_session_logout(s->fs, text);
    ob_flush_last(s, INT64_C(1000000000));
    /* No wait for the client's answer: the session ends now. */
    oms_fix_session_reset_connection(s->fs);
    unbind(s);
  }
  close_conn(gw, c, text);
  return 0;
}

void oms_gateway_conn_closed(oms_gateway_t *gw, uint64_t conn) {
  gw_conn_t *c = find_conn(gw, conn);
  if (c == NULL) return;
  gw_session_t *s = c->sess;
  if (s != NULL) {
    gw_log(gw, OMS_FIX_LOG_INFO, "session=%s event=connection_lost", s->client);
    oms_fix_session_reset_connection(s->fs);
    unbind(s);
  }
  c->used = false;
  c->closing = false;
  c->len = 0;
}

int oms_gateway_conn_data(oms_gateway_t *gw, uint64_t conn, const char *data, size_t len) {
  int rc = conn_data(gw, conn, data, len);
  if (gw->cod_pending && gw->in_event == 0) cod_run(gw);
  return rc;
}

void oms_gateway_on_timer(oms_gateway_t *gw) {
  for (size_t i = 0; i < gw->nsessions; i++) {
    gw_session_t *s = gw->sessions[i];
    if (s->conn != NULL && !s->conn->closing) (void)oms_fix_session_on_timer(s->fs);
  }
}

int oms_gateway_logout_all(oms_gateway_t *gw, const char *text) {
  int n = 0;
  for (size_t i = 0; i < gw->nsessions; i++) {
    gw_session_t *s = gw->sessions[i];
    if (s->conn != NULL && oms_fix_session_state(s->fs) == OMS_FIX_SESSION_ACTIVE) {
      if (oms_fix_session_logout(s->fs, text) == 0) n++;
    }
  }
  return n;
}

int oms_gateway_sessions_connected(const oms_gateway_t *gw) {
  int n = 0;
  for (size_t i = 0; i < gw->nsessions; i++) n += gw->sessions[i]->conn != NULL;
  return n;
}

size_t oms_gateway_session_count(const oms_gateway_t *gw) { return gw == NULL ? 0 : gw->nsessions; }

int oms_gateway_session_info(const oms_gateway_t *gw, size_t i, oms_gateway_session_info_t *out) {
  if (gw == NULL || out == NULL || i >= gw->nsessions) return OMS_EINVAL;
  const gw_session_t *s = gw->sessions[i];
  memset(out, 0, sizeof *out);
  snprintf(out->sender_comp_id, sizeof out->sender_comp_id, "%s", s->client);
  snprintf(out->target_comp_id, sizeof out->target_comp_id, "%s", s->ours);
  snprintf(out->account, sizeof out->account, "%s", s->account);
  oms_fix_session_state_t st = oms_fix_session_state(s->fs);
  out->connected = s->conn != NULL;
  out->logged_on =
      out->connected && (st == OMS_FIX_SESSION_ACTIVE || st == OMS_FIX_SESSION_LOGOUT_SENT);
  /* The numbers cached since the session's first connection (every save
   * passes here); before it, those catch_up read from the store; else a new
   * session's. */
  out->next_in = out->next_out = 1;
  if (s->have_seq) {
    out->next_in = s->next_target;
    out->next_out = s->next_sender;
  } else if (s->have_stored) {
    out->next_in = s->stored_in;
    out->next_out = s->stored_out;
  }
  oms_fix_session_traffic_t t;
  oms_fix_session_traffic(s->fs, &t);
  out->messages_in = t.messages_in;
  out->messages_out = t.messages_out;
  out->last_received_ns = t.last_received_ns;
  out->last_sent_ns = t.last_sent_ns;
  return 0;
}

int oms_gateway_conns(const oms_gateway_t *gw) {
  int n = 0;
  for (uint32_t i = 0; i < gw->max_conns; i++) n += gw->conns[i].used;
  return n;
}

/* ---- Mapping helpers -------------------------------------------------------------------- */

/* The one table from an OMS reason to OrdRejReason(103). Every reason has a
 * case and there is no default, so -Wswitch fails the build when a reason
 * is added without its FIX code. FIX 4.4 has no code for a bad price, stop
 * price, expiry or identifier: those are 99 (Other), with the reason's name
 * in Text(58). */
int oms_gateway_ord_rej_reason(oms_reason_t r) {
  switch (r) {
    case OMS_R_UNKNOWN_INSTRUMENT:
    case OMS_R_RISK_SYMBOL_NOT_ALLOWED:
    case OMS_R_RISK_SYMBOL_RESTRICTED: return OMS_FIX_ORD_REJ_UNKNOWN_SYMBOL;
    case OMS_R_RISK_TRADING_HOURS:
    case OMS_R_RISK_HALTED:
    case OMS_R_LEASE_LOST:
    case OMS_R_VENUE_DOWN: return OMS_FIX_ORD_REJ_EXCHANGE_CLOSED;
    case OMS_R_RISK_MAX_ORDER_QTY:
    case OMS_R_RISK_MAX_ORDER_NOTIONAL:
    case OMS_R_RISK_MAX_POSITION:
    case OMS_R_RISK_MAX_OPEN_ORDERS:
    case OMS_R_RISK_DAILY_LOSS:
    case OMS_R_RISK_LEVERAGE:
    case OMS_R_RISK_MARGIN:
    case OMS_R_RISK_PRICE_COLLAR:
    case OMS_R_RISK_NO_REFERENCE_PRICE:
    case OMS_R_RISK_STALE_REFERENCE_PRICE:
    case OMS_R_RISK_CREDIT_LIMIT:
    case OMS_R_RISK_THROTTLE:
    case OMS_R_RISK_SELF_TRADE:
    case OMS_R_RISK_REDUCE_ONLY:
    case OMS_R_RISK_NO_LIMITS:
    case OMS_R_RISK_CONCENTRATION:
    case OMS_R_RISK_CORRELATION:
    case OMS_R_RISK_VAR:
    case OMS_R_RISK_STRESS: return OMS_FIX_ORD_REJ_EXCEEDS_LIMIT;
    case OMS_R_TOO_LATE: return OMS_FIX_ORD_REJ_TOO_LATE_TO_ENTER;
    case OMS_R_UNKNOWN_ORDER:
    case OMS_R_VENUE_UNKNOWN_ORDER: return OMS_FIX_ORD_REJ_UNKNOWN_ORDER;
    case OMS_R_DUPLICATE_CLORDID:
    case OMS_R_RISK_DUPLICATE_ORDER: return OMS_FIX_ORD_REJ_DUPLICATE_ORDER;
    case OMS_R_NOT_ENTITLED:
    case OMS_R_ACCOUNT_NOT_OWNED: return OMS_FIX_ORD_REJ_UNKNOWN_ACCOUNT;
    case OMS_R_QTY_NOT_POSITIVE:
    case OMS_R_LOT_SIZE:
    case OMS_R_MIN_QTY:
    case OMS_R_MAX_QTY:
    case OMS_R_MODIFY_BELOW_FILLED: return OMS_FIX_ORD_REJ_INCORRECT_QUANTITY;
    case OMS_R_BAD_ENUM:
    case OMS_R_POST_ONLY_NOT_LIMIT:
    case OMS_R_POST_ONLY_TIF:
    case OMS_R_MARKET_TIF:
    case OMS_R_EXPIRY_FORBIDDEN:
    case OMS_R_UNSUPPORTED:
    case OMS_R_ALGO_UNKNOWN_STRATEGY:
    case OMS_R_ALGO_BAD_VALUE:
    case OMS_R_ALGO_OUT_OF_BOUNDS:
    case OMS_R_ALGO_MISSING:
    case OMS_R_ALGO_NOT_APPLICABLE:
    case OMS_R_ALGO_END_BEFORE_START:
    case OMS_R_ALGO_SLICE_INTERVAL:
    case OMS_R_ALGO_DISPLAY_ABOVE_QTY:
    case OMS_R_ALGO_PARTICIPATION:
    case OMS_R_ALGO_LIMIT_REQUIRED:
    case OMS_R_ALGO_MIN_ABOVE_MAX:
    case OMS_R_ALGO_WOULD_BEYOND_LIMIT:
    case OMS_R_ALGO_BAD_PROFILE:
    case OMS_R_ALGO_UNKNOWN_TAG:
    case OMS_R_ALGO_DUPLICATE_TAG:
    case OMS_R_ALGO_TICK_SIZE:
    case OMS_R_ALGO_LOT_SIZE:
    case OMS_R_ALGO_END_PASSED:
    case OMS_R_ALGO_QTY_BELOW_FILLED:
    case OMS_R_ALGO_REPLACE_CHANGES_STRATEGY:
    case OMS_R_ALGO_VENUE_CANNOT: return OMS_FIX_ORD_REJ_UNSUPPORTED_ORDER_CHARACTERISTIC;
    case OMS_R_GROUP_KIND:
    case OMS_R_GROUP_MEMBERS:
    case OMS_R_GROUP_SIDE:
    case OMS_R_GROUP_EXIT_TYPE:
    case OMS_R_GROUP_EXIT_PRICE: return OMS_FIX_ORD_REJ_UNSUPPORTED_ORDER_CHARACTERISTIC;
    case OMS_R_GROUP_QTY: return OMS_FIX_ORD_REJ_INCORRECT_QUANTITY;
    case OMS_R_VENUE_REJECT:
    case OMS_R_VENUE_QUEUE_FULL:
    case OMS_R_CAPACITY:
    case OMS_R_POST_ONLY_WOULD_CROSS:
    case OMS_R_FOK_CANNOT_FILL:
    case OMS_R_NO_LIQUIDITY: return OMS_FIX_ORD_REJ_BROKER_OPTION;
    case OMS_R_NONE:
    case OMS_R_PRICE_REQUIRED:
    case OMS_R_PRICE_FORBIDDEN:
    case OMS_R_PRICE_NOT_POSITIVE:
    case OMS_R_STOP_REQUIRED:
    case OMS_R_STOP_FORBIDDEN:
    case OMS_R_STOP_WRONG_SIDE:
    case OMS_R_EXPIRY_REQUIRED:
    case OMS_R_EXPIRY_PAST:
    case OMS_R_TICK_SIZE:
    case OMS_R_MIN_NOTIONAL:
    case OMS_R_BAD_ID:
    case OMS_R_METADATA_TOO_LONG:
    case OMS_R_NOTIONAL_OVERFLOW:
    case OMS_R_PRECISION:
    case OMS_R_VALUE_OUT_OF_RANGE:
    case OMS_R_ORDER_TERMINAL:
    case OMS_R_ORDER_PENDING:
    case OMS_R_UNKNOWN_VENUE:
    case OMS_R_STORE_FAILED:
    case OMS_R_NOTHING_TO_CHANGE: return OMS_FIX_ORD_REJ_OTHER;
  }
  return OMS_FIX_ORD_REJ_OTHER; /* a number outside the table */
}

static char ord_status(const oms_order_t *o) {
  switch (o->state) {
    case OMS_STATE_PENDING:
    case OMS_STATE_SUBMITTED: return OMS_FIX_ORD_STATUS_PENDING_NEW;
    case OMS_STATE_ACCEPTED: return OMS_FIX_ORD_STATUS_NEW;
    case OMS_STATE_PARTIALLY_FILLED: return OMS_FIX_ORD_STATUS_PARTIALLY_FILLED;
    case OMS_STATE_FILLED: return OMS_FIX_ORD_STATUS_FILLED;
    case OMS_STATE_CANCELLED: return OMS_FIX_ORD_STATUS_CANCELED;
    case OMS_STATE_REJECTED: return OMS_FIX_ORD_STATUS_REJECTED;
    case OMS_STATE_PENDING_CANCEL: return OMS_FIX_ORD_STATUS_PENDING_CANCEL;
    case OMS_STATE_PENDING_REPLACE: return OMS_FIX_ORD_STATUS_PENDING_REPLACE;
    case OMS_STATE_EXPIRED: return OMS_FIX_ORD_STATUS_EXPIRED;
    case OMS_STATE_TRIGGERED:
    default:
      return oms_dec_is_pos(o->filled_qty) ? OMS_FIX_ORD_STATUS_PARTIALLY_FILLED
                                           : OMS_FIX_ORD_STATUS_NEW;
  }
}

static const char exec_inst_post_only[] = {OMS_FIX_EXEC_INST_POST_ONLY, '\0'};

/* Decimal text buffers of one ExecutionReport. */
typedef struct er_bufs_s {
  char order_id[24], exec_id[48];
  char qty[OMS_DEC_STRLEN], px[OMS_DEC_STRLEN], stop[OMS_DEC_STRLEN];
  char leaves[OMS_DEC_STRLEN], cum[OMS_DEC_STRLEN], avg[OMS_DEC_STRLEN];
  char last_qty[OMS_DEC_STRLEN], last_px[OMS_DEC_STRLEN];
  char text[OMS_REASON_MAX + 64];
} er_bufs_t;

static void next_exec_id(oms_gateway_t *gw, char *buf, size_t cap) {
  snprintf(buf, cap, "G%lld-%llu", (long long)gw->boot_s, (unsigned long long)++gw->exec_seq);
}

/* Fills er from order o (may be NULL for an unknown order). */
static void er_from_order(oms_gateway_t *gw, const oms_order_t *o, oms_fix_exec_report_t *er,
                          er_bufs_t *b, char exec_type) {
  memset(er, 0, sizeof *er);
  er->ord_rej_reason = -1;
  er->exec_type = exec_type;
  next_exec_id(gw, b->exec_id, sizeof b->exec_id);
  er->exec_id = oms_fix_str(b->exec_id);
  if (o == NULL) {
    er->order_id = oms_fix_str("NONE");
    er->ord_status = OMS_FIX_ORD_STATUS_REJECTED;
    er->leaves_qty = er->cum_qty = er->avg_px = oms_fix_str("0");
    return;
  }
  snprintf(b->order_id, sizeof b->order_id, "%llu", (unsigned long long)o->order_id);
  er->order_id = oms_fix_str(o->order_id ? b->order_id : "NONE");
  er->ord_status = ord_status(o);
  er->account = oms_fix_str(o->account_id[0] ? o->account_id : NULL);
  er->symbol = oms_fix_str(o->symbol);
  er->side = oms_fix_side(o->side);
  oms_dec_format(o->qty, b->qty, sizeof b->qty);
  er->order_qty = oms_fix_str(b->qty);
  er->ord_type = (char)('0' + (o->type >= 1 && o->type <= 4 ? o->type : 2));
  if (oms_dec_is_pos(o->price)) {
    oms_dec_format(o->price, b->px, sizeof b->px);
    er->price = oms_fix_str(b->px);
  }
  if (oms_dec_is_pos(o->stop_price)) {
    oms_dec_format(o->stop_price, b->stop, sizeof b->stop);
    er->stop_px = oms_fix_str(b->stop);
  }
  er->time_in_force = oms_fix_tif(o->tif);
  if (o->instructions & OMS_INST_POST_ONLY) er->exec_inst = oms_fix_str(exec_inst_post_only);
  bool done = o->state == OMS_STATE_CANCELLED || o->state == OMS_STATE_REJECTED ||
              o->state == OMS_STATE_EXPIRED || o->state == OMS_STATE_FILLED;
  oms_dec_format(done ? OMS_DEC_ZERO : o->leaves_qty, b->leaves, sizeof b->leaves);
  oms_dec_format(o->filled_qty, b->cum, sizeof b->cum);
  oms_dec_format(o->avg_px, b->avg, sizeof b->avg);
  er->leaves_qty = oms_fix_str(b->leaves);
  er->cum_qty = oms_fix_str(b->cum);
  er->avg_px = oms_fix_str(b->avg);
  er->transact_time_ns = o->updated_ns > 0 ? o->updated_ns : oms_clock_now(&gw->cfg.clock);
  if (o->state == OMS_STATE_REJECTED && o->reject_code != OMS_R_NONE) {
    er->ord_rej_reason = oms_gateway_ord_rej_reason(o->reject_code);
    snprintf(b->text, sizeof b->text, "%s: %s", oms_reason_name(o->reject_code), o->reject_reason);
    er->text = oms_fix_str(b->text);
  }
}

/* ---- Reverse routing ---------------------------------------------------------------- */

static int copy_str(char *dst, size_t cap, oms_fix_str_t v);

static bool route_is(const gw_route_t *r, const oms_fix_route_t *v) {
  return oms_fix_str_eq(v->comp_id, r->comp_id) && oms_fix_str_eq(v->sub_id, r->sub_id) &&
         oms_fix_str_eq(v->location_id, r->location_id);
}

/* 1 + the index of the request's route in the session's table (added if
 * new), or 0: no route, an id too long to keep, or the table full (logged:
 * the order's later reports then go straight to the counterparty). */
static uint8_t route_index(gw_session_t *s, const oms_fix_route_t *v) {
  if (v == NULL || v->comp_id.len == 0) return 0;
  for (uint8_t i = 0; i < s->nroutes; i++)
    if (route_is(&s->routes[i], v)) return (uint8_t)(i + 1);
  gw_route_t r;
  if (s->nroutes == MAX_ROUTES || copy_str(r.comp_id, sizeof r.comp_id, v->comp_id) != 0 ||
      (v->sub_id.len && copy_str(r.sub_id, sizeof r.sub_id, v->sub_id) != 0) ||
      (v->location_id.len && copy_str(r.location_id, sizeof r.location_id, v->location_id) != 0)) {
    gw_log(s->gw, OMS_FIX_LOG_WARN, "session=%s event=route_not_kept on_behalf_of=%.*s", s->client,
           (int)v->comp_id.len, v->comp_id.ptr);
    return 0;
  }
  if (!v->sub_id.len) r.sub_id[0] = '\0';
  if (!v->location_id.len) r.location_id[0] = '\0';
  s->routes[s->nroutes++] = r;
  return s->nroutes;
}

/* The order's later reports follow the route of the last request about it
 * that named one. */
static void keep_route(gw_session_t *s, track_t *t) {
  uint8_t i = route_index(s, s->reply);
  if (i != 0) t->route = i;
}

/* The route of tracked order t as views into the session's table. */
static const oms_fix_route_t *route_of_track(gw_session_t *s, const track_t *t,
                                             oms_fix_route_t *out) {
  if (t == NULL || t->route == 0) return NULL;
  const gw_route_t *r = &s->routes[t->route - 1];
  out->comp_id = oms_fix_str(r->comp_id);
  out->sub_id = oms_fix_str(r->sub_id[0] ? r->sub_id : NULL);
  out->location_id = oms_fix_str(r->location_id[0] ? r->location_id : NULL);
  return out;
}

/* Where an engine event's report goes: the route kept with its order, or,
 * for an event the engine raises while the request is being handled (the
 * order's PendingNew, before its route is kept), the request's route when
 * the event is about the ClOrdID that request named. */
static const oms_fix_route_t *event_route(gw_session_t *s, const track_t *t, const char *cur,
                                          const char *pend, oms_fix_route_t *out) {
  const oms_fix_route_t *r = route_of_track(s, t, out);
  if (r != NULL || s->reply == NULL) return r;
  if (oms_fix_str_eq(s->reply_id, cur) || (pend != NULL && oms_fix_str_eq(s->reply_id, pend)))
    return s->reply;
  return NULL;
}

static void send_er(gw_session_t *s, const oms_fix_exec_report_t *er) {
  /* With the client away the session stores the report under its sequence
   * number; the client gets it by ResendRequest when it logs on again. */
  int rc = oms_fix_session_send_exec_report(s->fs, er);
  if (rc != 0)
    gw_log(s->gw, OMS_FIX_LOG_WARN, "session=%s event=send_failed msg=8 error=%s", s->client,
           oms_err_name(rc));
}

/* A rejection that is not an engine event (refused before an order existed). */
static void send_new_reject(gw_session_t *s, const oms_fix_new_order_t *no, const oms_order_t *o,
                            oms_reason_t code, const char *text) {
  oms_fix_exec_report_t er;
  er_bufs_t b;
  er_from_order(s->gw, o, &er, &b, OMS_FIX_EXEC_TYPE_REJECTED);
  er.ord_status = OMS_FIX_ORD_STATUS_REJECTED;
  er.cl_ord_id = no->o.cl_ord_id;
  if (o == NULL || o->symbol[0] == '\0') {
    er.symbol = no->o.symbol;
    er.side = no->o.side;
    er.order_qty = no->o.order_qty;
  }
  er.leaves_qty = oms_fix_str("0");
  er.ord_rej_reason = oms_gateway_ord_rej_reason(code);
  snprintf(b.text, sizeof b.text, "%s: %s", oms_reason_name(code), text);
  er.text = oms_fix_str(b.text);
  er.deliver_to = s->reply;
  send_er(s, &er);
}

static void send_cancel_reject(gw_session_t *s, oms_fix_str_t clordid, oms_fix_str_t orig,
                               const oms_order_t *o, char response_to, int reason,
                               oms_reason_t code, const char *text,
                               const oms_fix_route_t *deliver_to) {
  if (s->conn == NULL || s->conn->closing) return;
  char oid[24], t[OMS_REASON_MAX + 64];
  snprintf(oid, sizeof oid, "%llu", o ? (unsigned long long)o->order_id : 0ULL);
  snprintf(t, sizeof t, "%s: %s", oms_reason_name(code), text);
  oms_fix_cancel_reject_t cr = {.order_id = oms_fix_str(o ? oid : "NONE"),
                                .cl_ord_id = clordid,
                                .orig_cl_ord_id = orig,
                                .ord_status = o ? ord_status(o) : OMS_FIX_ORD_STATUS_REJECTED,
                                .response_to = response_to,
                                .cxl_rej_reason = reason,
                                .account = oms_fix_str(s->account),
                                .transact_time_ns = oms_clock_now(&s->gw->cfg.clock),
                                .text = oms_fix_str(t),
                                .deliver_to = deliver_to};
  if (clordid.ptr == NULL) cr.cl_ord_id = oms_fix_str("NONE");
  if (orig.ptr == NULL) cr.orig_cl_ord_id = oms_fix_str("NONE");
  int rc = oms_fix_session_send_cancel_reject(s->fs, &cr);
  if (rc != 0)
    gw_log(s->gw, OMS_FIX_LOG_WARN, "session=%s event=send_failed msg=9 error=%s", s->client,
           oms_err_name(rc));
}

static int cxl_rej_reason(oms_reason_t r) {
  switch (r) {
    case OMS_R_UNKNOWN_ORDER: return OMS_FIX_CXL_REJ_UNKNOWN_ORDER;
    case OMS_R_ORDER_TERMINAL:
    case OMS_R_TOO_LATE: return OMS_FIX_CXL_REJ_TOO_LATE;
    case OMS_R_ORDER_PENDING: return OMS_FIX_CXL_REJ_PENDING;
    case OMS_R_DUPLICATE_CLORDID: return OMS_FIX_CXL_REJ_DUPLICATE_CLORDID;
    default: return OMS_FIX_CXL_REJ_OTHER;
  }
}

/* Copies a FIX string view into dst[cap]; 0 or OMS_ENOSPC (also for absent). */
static int copy_str(char *dst, size_t cap, oms_fix_str_t v) {
  if (v.ptr == NULL || v.len == 0 || v.len >= cap) {
    dst[0] = '\0';
    return OMS_ENOSPC;
  }
  memcpy(dst, v.ptr, v.len);
  dst[v.len] = '\0';
  return 0;
}

/* ---- Lists: the names a NewOrderList gave its members ------------------------------------ */

/* Whether go is the group order of a NewOrderList. */
static bool is_list(const oms_order_t *go) {
  return go->parent_order_id == 0 && go->algo > OMS_GROUP_ALGO_BASE &&
         strncmp(go->metadata, LIST_META, sizeof LIST_META - 1) == 0;
}

/* Member i's ClOrdID in list go, into out; false when go names none. */
static bool list_name(const oms_order_t *go, uint32_t i, char out[OMS_ID_MAX + 1]) {
  if (!is_list(go)) return false;
  const char *p = go->metadata + sizeof LIST_META - 1;
  for (uint32_t k = 0; k < i && p != NULL; k++)
    if ((p = strchr(p, ',')) != NULL) p++;
  size_t n = p != NULL ? strcspn(p, ",") : 0;
  if (n == 0 || n > OMS_ID_MAX) return false;
  memcpy(out, p, n);
  out[n] = '\0';
  return true;
}

/* The member of list go that the client calls name, or -1. */
static int list_index(const oms_order_t *go, const char *name) {
  char n[OMS_ID_MAX + 1];
  for (uint32_t i = 0; i < OMS_ALGO_GROUP_MAX && list_name(go, i, n); i++)
    if (strcmp(n, name) == 0) return (int)i;
  return -1;
}

/* The members' names point at their list in the session's index, so a
 * cancel naming one finds it (oms_gateway_catch_up does the same after a
 * restart); forgotten when the list ends. */
static void list_remember(gw_session_t *s, const oms_order_t *go) {
  char n[OMS_ID_MAX + 1];
  for (uint32_t i = 0; i < OMS_ALGO_GROUP_MAX && list_name(go, i, n); i++)
    if (idx_put(s->gw, s->idx, n, go->order_id) != 0)
      gw_log(s->gw, OMS_FIX_LOG_WARN, "session=%s event=list_name_not_indexed list=%s clordid=%s",
             s->client, go->client_order_id, n);
}

static void list_forget(gw_session_t *s, const oms_order_t *go) {
  char n[OMS_ID_MAX + 1];
  uint64_t id;
  for (uint32_t i = 0; i < OMS_ALGO_GROUP_MAX && list_name(go, i, n); i++)
    if (idx_find(s->gw, s->idx, n, &id) && id == go->order_id) idx_del(s->gw, s->idx, n);
}

/* o is a list's group order that the client named by member id's
 * ClOrdID: o becomes that member's open order, or stays the group order
 * when the member has none (held in the OMS, not released yet: cancelling
 * it cancels the list). Either answers to id. OMS_ENOTFOUND once the list
 * ended. */
static int list_member(gw_session_t *s, const char *id, oms_order_t *o) {
  int i = list_index(o, id);
  if (oms_ord_state_is_terminal(o->state)) {
    list_forget(s, o);
    return OMS_ENOTFOUND;
  }
  uint64_t leg[OMS_ALGO_GROUP_MAX];
  oms_order_t mo;
  if (oms_engine_group(s->gw->cfg.engine, o->order_id, NULL, leg) == 0 && leg[i] != 0 &&
      oms_engine_get(s->gw->cfg.engine, leg[i], &mo) == 0 && !oms_ord_state_is_terminal(mo.state))
    *o = mo;
  snprintf(o->cur_client_order_id, sizeof o->cur_client_order_id, "%s", id);
  return 0;
}

/* A live order whose current name (its ClOrdID after confirmed replaces) is
 * id: the ClOrdID chain as the engine and the store keep it, for when this
 * gateway's own index does not know it (after a daemon restart). A lookup in
 * the engine's map of current names. Found once, the name goes into the
 * index. */
static int find_by_current_name(gw_session_t *s, const char *id, oms_order_t *o) {
  if (oms_engine_get_by_current_clordid(s->gw->cfg.engine, s->client, id, o) != 0 ||
      oms_ord_state_is_terminal(o->state))
    return OMS_ENOTFOUND;
  track_t *t = track_get(s->gw, o->order_id, s->idx, id);
  if (t != NULL && idx_put(s->gw, s->idx, id, o->order_id) != 0 && t->pend_kind == 0 &&
      t->route == 0)
    track_del(s->gw, t);
  return 0;
}

/* The order of session s with ClOrdID clordid (its latest one), or
 * OMS_ENOTFOUND (also for an order of another account). */
static int find_order(gw_session_t *s, oms_fix_str_t clordid, oms_order_t *o) {
  char id[OMS_ID_MAX + 1];
  if (copy_str(id, sizeof id, clordid) != 0) return OMS_ENOTFOUND;
  oms_engine_t *e = s->gw->cfg.engine;
  uint64_t order_id;
  int rc;
  if (idx_find(s->gw, s->idx, id, &order_id)) {
    rc = oms_engine_get(e, order_id, o);
    if (rc == 0 && strcmp(o->client_order_id, id) != 0 && list_index(o, id) >= 0)
      rc = list_member(s, id, o);
  } else {
    rc = oms_engine_get_by_clordid(e, s->client, id, o);
    if (rc == 0) {
      /* A replaced order answers to its new ClOrdID only. */
      track_t *t = track_find(s->gw, o->order_id);
      if (strcmp(t != NULL ? t->cur : o->cur_client_order_id, id) != 0) rc = OMS_ENOTFOUND;
    }
    if (rc != 0) rc = find_by_current_name(s, id, o);
  }
  if (rc != 0) return OMS_ENOTFOUND;
  if (strcmp(o->strategy_id, s->client) != 0 || strcmp(o->account_id, s->account) != 0)
    return OMS_ENOTFOUND;
  return 0;
}

/* The latest ClOrdID of order o. */
static const char *cur_clordid(oms_gateway_t *gw, const oms_order_t *o) {
  track_t *t = track_find(gw, o->order_id);
  return t != NULL ? t->cur : o->cur_client_order_id;
}

static bool account_ok(gw_session_t *s, oms_fix_str_t account) {
  return account.ptr == NULL || oms_fix_str_eq(account, s->account);
}

static int poss_flag(const oms_fix_msg_t *m) {
  int pd = 0, pr = 0;
  (void)oms_fix_msg_get_bool(m, OMS_FIX_TAG_PossDupFlag, &pd);
  (void)oms_fix_msg_get_bool(m, OMS_FIX_TAG_PossResend, &pr);
  return pd || pr;
}

/* ---- Application messages ---------------------------------------------------------------- */

static int parse_dec(oms_fix_str_t v, oms_dec_t *out) {
  if (v.ptr == NULL) {
    *out = OMS_DEC_ZERO;
    return 0;
  }
  return oms_dec_parse(v.ptr, v.len, out);
}

/* Converts a FIX decimal field, naming the real cause of a refusal: too
 * many decimals is a precision error, a value beyond the range is out of
 * range, and a price sent as 0 or less is not positive (the request model
 * reads 0 as "no price", so that check must happen here, where we still
 * know the field was sent). */
static oms_reason_t dec_field(oms_fix_str_t v, const char *name, bool price, oms_dec_t *out,
                              char *text, size_t cap) {
  int rc = parse_dec(v, out);
  if (rc == OMS_EPRECISION) {
    snprintf(text, cap, "%s=%.*s has more than %d decimal places", name, (int)v.len, v.ptr,
             OMS_DEC_PLACES);
    return OMS_R_PRECISION;
  }
  if (rc != 0) {
    snprintf(text, cap, "%s=%.*s is out of range", name, (int)v.len, v.ptr);
    return OMS_R_VALUE_OUT_OF_RANGE;
  }
  if (price && v.ptr != NULL && !oms_dec_is_pos(*out)) {
    snprintf(text, cap, "%s=%.*s must be positive", name, (int)v.len, v.ptr);
    return OMS_R_PRICE_NOT_POSITIVE;
  }
  return OMS_R_NONE;
}

/* Fills req from the order fields; returns OMS_R_NONE or the reason. */
static oms_reason_t build_request(gw_session_t *s, const oms_fix_msg_t *m,
                                  const oms_fix_order_fields_t *f, oms_order_request_t *req,
                                  char *text, size_t cap) {
  memset(req, 0, sizeof *req);
  if (!account_ok(s, f->account)) {
    snprintf(text, cap, "session %s may not trade account %.*s", s->client, (int)f->account.len,
             f->account.ptr);
    return OMS_R_NOT_ENTITLED;
  }
  if (copy_str(req->client_order_id, sizeof req->client_order_id, f->cl_ord_id) != 0) {
    snprintf(text, cap, "ClOrdID longer than %d characters", OMS_ID_MAX);
    return OMS_R_BAD_ID;
  }
  snprintf(req->strategy_id, sizeof req->strategy_id, "%s", s->client);
  snprintf(req->account_id, sizeof req->account_id, "%s", s->account);
  oms_fix_str_t dest = {0};
  if (oms_fix_msg_get_str(m, OMS_FIX_TAG_ExDestination, &dest) == 0) {
    if (copy_str(req->venue, sizeof req->venue, dest) != 0) {
      snprintf(text, cap, "unknown ExDestination");
      return OMS_R_UNKNOWN_VENUE;
    }
  } else {
    snprintf(req->venue, sizeof req->venue, "%s", s->gw->venue);
  }
  if (copy_str(req->symbol, sizeof req->symbol, f->symbol) != 0) {
    snprintf(text, cap, "unknown symbol");
    return OMS_R_UNKNOWN_INSTRUMENT;
  }
  if (!oms_side_of_fix(f->side, &req->side)) {
    snprintf(text, cap, "Side(54)=%c is not supported (1 or 2)", f->side);
    return OMS_R_BAD_ENUM;
  }
  if (!oms_ord_type_of_fix(f->ord_type, &req->type)) {
    snprintf(text, cap, "OrdType(40)=%c is not supported (1, 2, 3 or 4)", f->ord_type);
    return OMS_R_BAD_ENUM;
  }
  if (!oms_tif_of_fix(f->time_in_force, &req->tif)) {
    snprintf(text, cap, "TimeInForce(59)=%c is not supported (0, 1, 3, 4 or 6)", f->time_in_force);
    return OMS_R_BAD_ENUM;
  }
  if (f->post_only) req->instructions |= OMS_INST_POST_ONLY;
  req->expire_ns = f->expire_time_ns;
  oms_reason_t r = dec_field(f->order_qty, "OrderQty(38)", false, &req->qty, text, cap);
  if (r == OMS_R_NONE) r = dec_field(f->price, "Price(44)", true, &req->price, text, cap);
  if (r == OMS_R_NONE) r = dec_field(f->stop_px, "StopPx(99)", true, &req->stop_price, text, cap);
  return r;
}

/* A NewOrderSingle with TargetStrategy(847) is a parent order: its
 * parameters are the order's own fields and the tags of include/oms/algo.h
 * (docs/algos.md). Returns 1 with *p read, 0 for an ordinary order, -1 with
 * *rej set when the tags are refused. */
static int algo_params(const oms_fix_msg_t *m, oms_algo_params_t *p, oms_algo_reject_t *rej) {
  oms_fix_str_t v;
  if (oms_fix_msg_get_str(m, oms_algo_param_tag(OMS_ALGO_P_strategy), &v) != 0) return 0;
  oms_algo_tag_t tags[OMS_FIX_MAX_FIELDS];
  size_t n = 0;
  for (size_t i = 0; i < m->nfields; i++) {
    oms_fix_str_t f = oms_fix_msg_value(m, i);
    tags[n++] = (oms_algo_tag_t){m->fields[i].tag, f.ptr, f.len};
  }
  return oms_algo_params_from_tags(tags, n, p, rej) == 0 ? 1 : -1;
}

/* The value of tag among tags[0..n), as the FIX reader sees a field. */
static bool tag_str(const oms_algo_tag_t *tags, size_t n, uint32_t tag, oms_fix_str_t *out) {
  for (size_t i = 0; i < n; i++)
    if (tags[i].tag == tag) {
      *out = (oms_fix_str_t){tags[i].value, tags[i].len};
      return true;
    }
  return false;
}

/* A NewOrderSingle with a take-profit or stop-loss price (OMS_GROUP_TAG_MAP,
 * docs/algos.md) is a bracket's entry, or with one exit an OTO's primary:
 * the exits are the entry's quantity on the other side, GTC. Returns 1 with
 * the members in l[0..*n), 0 for an ordinary order, -1 with *code and text
 * set for a refusal. */
static int legs_from_tags(const oms_algo_tag_t *tags, size_t ntags, const oms_order_request_t *req,
                          oms_group_leg_t *l, uint32_t *n, oms_algo_group_kind_t *kind,
                          oms_reason_t *code, char *text, size_t cap) {
  oms_fix_str_t ct = {0}, tp = {0}, sl = {0}, sll = {0}, olp = {0}, ols = {0};
  bool has_ct = tag_str(tags, ntags, OMS_GROUP_TAG_ContingencyType, &ct);
  bool has_tp = tag_str(tags, ntags, OMS_GROUP_TAG_TakeProfitPrice, &tp);
  bool has_sl = tag_str(tags, ntags, OMS_GROUP_TAG_StopLossPrice, &sl);
  bool has_sll = tag_str(tags, ntags, OMS_GROUP_TAG_StopLossLimitPrice, &sll);
  bool has_olp = tag_str(tags, ntags, OMS_GROUP_TAG_OtherLegPrice, &olp);
  bool has_ols = tag_str(tags, ntags, OMS_GROUP_TAG_OtherLegStopPx, &ols);
  if (!has_ct && !has_tp && !has_sl && !has_sll && !has_olp && !has_ols) return 0;
  oms_dec_t tpx, slx, sllx, olpx, olsx;
  oms_reason_t r = dec_field(tp, "TakeProfitPrice(20102)", true, &tpx, text, cap);
  if (r == OMS_R_NONE) r = dec_field(sl, "StopLossPrice(20103)", true, &slx, text, cap);
  if (r == OMS_R_NONE) r = dec_field(sll, "StopLossLimitPrice(20104)", true, &sllx, text, cap);
  if (r == OMS_R_NONE) r = dec_field(olp, "OtherLegPrice(20105)", true, &olpx, text, cap);
  if (r == OMS_R_NONE) r = dec_field(ols, "OtherLegStopPx(20106)", true, &olsx, text, cap);
  if (r != OMS_R_NONE) {
    *code = r;
    return -1;
  }
  if (has_ct && !(ct.len == 1 && ct.ptr[0] >= '1' && ct.ptr[0] <= '4')) {
    *code = OMS_R_GROUP_KIND;
    snprintf(text, cap,
             "ContingencyType(20101)=%.*s: a NewOrderSingle carries 1 (OCO), 2 (OUO), 3 (OTO) or "
             "4 (BRACKET)",
             (int)ct.len, ct.ptr);
    return -1;
  }
  bool pair = has_ct && (ct.ptr[0] == '1' || ct.ptr[0] == '2');
  if (pair || has_olp || has_ols) {
    /* OCO or OUO: this order is the first leg, the other is on the same
     * side with the same quantity and time in force, priced by 20105/20106 */
    if (!pair || has_tp || has_sl || has_sll || !(has_olp || has_ols)) {
      *code = OMS_R_GROUP_MEMBERS;
      snprintf(text, cap,
               "ContingencyType(20101)=%.*s: OCO (1) and OUO (2) take OtherLegPrice(20105) and/or "
               "OtherLegStopPx(20106) and no take-profit or stop-loss tag",
               has_ct ? (int)ct.len : 1, has_ct ? ct.ptr : "-");
      return -1;
    }
    *kind = ct.ptr[0] == '1' ? OMS_GROUP_OCO : OMS_GROUP_OUO;
    l[0] = (oms_group_leg_t){req->side, req->type, req->tif, req->qty, req->price, req->stop_price};
    l[1] =
        (oms_group_leg_t){req->side,
                          has_ols ? (has_olp ? OMS_ORD_STOP_LIMIT : OMS_ORD_STOP) : OMS_ORD_LIMIT,
                          req->tif,
                          req->qty,
                          has_olp ? olpx : OMS_DEC_ZERO,
                          has_ols ? olsx : OMS_DEC_ZERO};
    *n = 2;
    return 1;
  }
  if (has_sll && !has_sl) {
    *code = OMS_R_STOP_REQUIRED;
    snprintf(text, cap, "StopLossLimitPrice(20104) needs StopLossPrice(20103)");
    return -1;
  }
  *kind = has_tp && has_sl ? OMS_GROUP_BRACKET : OMS_GROUP_OTO;
  if (has_ct && (oms_algo_group_kind_t)(ct.ptr[0] - '0') != *kind) {
    *code = OMS_R_GROUP_MEMBERS;
    snprintf(text, cap,
             "ContingencyType(20101)=%c needs %s: TakeProfitPrice(20102) and StopLossPrice(20103) "
             "for 4, one of them for 3",
             ct.ptr[0], ct.ptr[0] == '4' ? "both exits" : "one exit");
    return -1;
  }
  oms_side_t other = req->side == OMS_SIDE_BUY ? OMS_SIDE_SELL : OMS_SIDE_BUY;
  l[0] = (oms_group_leg_t){req->side, req->type, req->tif, req->qty, req->price, req->stop_price};
  *n = 1;
  if (has_tp)
    l[(*n)++] = (oms_group_leg_t){other, OMS_ORD_LIMIT, OMS_TIF_GTC, req->qty, tpx, OMS_DEC_ZERO};
  if (has_sl)
    l[(*n)++] = (oms_group_leg_t){other,
                                  has_sll ? OMS_ORD_STOP_LIMIT : OMS_ORD_STOP,
                                  OMS_TIF_GTC,
                                  req->qty,
                                  has_sll ? sllx : OMS_DEC_ZERO,
                                  slx};
  return 1;
}

/* The group tags a NewOrderSingle carries, read as the admin API's are. */
static int group_legs(const oms_fix_msg_t *m, const oms_order_request_t *req, oms_group_leg_t *l,
                      uint32_t *n, oms_algo_group_kind_t *kind, oms_reason_t *code, char *text,
                      size_t cap) {
  static const uint32_t want[] = {
#define XX(name, tag, desc) tag,
      OMS_GROUP_TAG_MAP(XX)
#undef XX
  };
  oms_algo_tag_t tags[sizeof want / sizeof want[0]];
  size_t nt = 0;
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    oms_fix_str_t v;
    if (oms_fix_msg_get_str(m, want[i], &v) == 0)
      tags[nt++] = (oms_algo_tag_t){want[i], v.ptr, v.len};
  }
  return legs_from_tags(tags, nt, req, l, n, kind, code, text, cap);
}

int oms_gateway_group_from_tags(const oms_algo_tag_t *tags, size_t n,
                                const oms_order_request_t *req, oms_group_leg_t *legs,
                                uint32_t *nlegs, oms_algo_group_kind_t *kind, oms_reject_t *rej) {
  if (tags == NULL || req == NULL || legs == NULL || nlegs == NULL || kind == NULL || rej == NULL)
    return OMS_EINVAL;
  memset(rej, 0, sizeof *rej);
  oms_reason_t code = OMS_R_NONE;
  *nlegs = 0;
  int rc = legs_from_tags(tags, n, req, legs, nlegs, kind, &code, rej->text, sizeof rej->text);
  if (rc < 0) rej->code = code;
  return rc;
}

/* Smart routing (docs/routing.md): ExDestination(100) SMART or the policy
 * tag. Returns 1 with *pol set (req->venue cleared: the engine picks the
 * home venue), 0 for a direct order, -1 with text for an unknown policy. */
static int smart_policy(const oms_fix_msg_t *m, oms_order_request_t *req, oms_sor_policy_t *pol,
                        char *text, size_t cap) {
  oms_fix_str_t v;
  bool tag = oms_fix_msg_get_str(m, OMS_SOR_FIX_TAG_POLICY, &v) == 0;
  if (!tag && strcmp(req->venue, OMS_SOR_FIX_DEST) != 0) return 0;
  *pol = OMS_SOR_POLICY_BEST;
  if (tag) {
    char name[16];
    if (copy_str(name, sizeof name, v) != 0 || oms_sor_policy_parse(name, pol) != 0) {
      snprintf(text, cap, "RoutingPolicy(%d)=%.*s is not best, take or post",
               OMS_SOR_FIX_TAG_POLICY, (int)v.len, v.ptr);
      return -1;
    }
  }
  if (strcmp(req->venue, OMS_SOR_FIX_DEST) == 0) req->venue[0] = '\0';
  return 1;
}

static void on_new_order(gw_session_t *s, const oms_fix_msg_t *m) {
  oms_fix_new_order_t no;
  oms_fix_bad_field_t bad;
  if (oms_fix_read_new_order(m, &no, &bad) != 0) {
    (void)oms_fix_session_send_reject(s->fs, m, &bad, "invalid NewOrderSingle");
    return;
  }
  oms_order_request_t req;
  char text[OMS_REASON_MAX + 1];
  oms_reason_t r = build_request(s, m, &no.o, &req, text, sizeof text);
  if (r != OMS_R_NONE) {
    send_new_reject(s, &no, NULL, r, text);
    return;
  }
  if (idx_find(s->gw, s->idx, req.client_order_id, NULL)) {
    send_new_reject(s, &no, NULL, OMS_R_DUPLICATE_CLORDID,
                    "ClOrdID is in use by a replaced order or a list member");
    return;
  }
  oms_algo_params_t ap;
  oms_algo_reject_t arej;
  int algo = algo_params(m, &ap, &arej);
  if (algo < 0) {
    send_new_reject(s, &no, NULL, (oms_reason_t)arej.code, arej.text);
    return;
  }
  oms_group_leg_t legs[OMS_ALGO_GROUP_MAX];
  uint32_t nlegs = 0;
  oms_algo_group_kind_t kind = OMS_GROUP_BRACKET;
  int group = group_legs(m, &req, legs, &nlegs, &kind, &r, text, sizeof text);
  if (group > 0 && algo) {
    r = OMS_R_UNSUPPORTED;
    snprintf(text, sizeof text, "a parent order (TargetStrategy 847) can not be a bracket's entry");
    group = -1;
  }
  if (group < 0) {
    send_new_reject(s, &no, NULL, r, text);
    return;
  }
  oms_sor_policy_t pol = OMS_SOR_POLICY_NONE;
  int smart = algo ? 0 : smart_policy(m, &req, &pol, text, sizeof text);
  if (smart < 0) {
    send_new_reject(s, &no, NULL, OMS_R_BAD_ENUM, text);
    return;
  }
  if (group > 0 && smart > 0) {
    send_new_reject(s, &no, NULL, OMS_R_UNSUPPORTED,
                    "a bracket's entry or an OTO's primary can not be smart-routed");
    return;
  }
  oms_submit_result_t res;
  int rc = group   ? oms_engine_submit_group(s->gw->cfg.engine, &req, kind, legs, nlegs, &res)
           : algo  ? oms_engine_submit_parent(s->gw->cfg.engine, &req, &ap, &res)
           : smart ? oms_engine_submit_smart(s->gw->cfg.engine, &req, pol, &res)
                   : oms_engine_submit(s->gw->cfg.engine, &req, &res);
  if (res.duplicate) {
    if (poss_flag(m)) {
      /* The same request again: the same order, its status now. */
      oms_fix_exec_report_t er;
      er_bufs_t b;
      er_from_order(s->gw, res.order, &er, &b, OMS_FIX_EXEC_TYPE_ORDER_STATUS);
      er.cl_ord_id = no.o.cl_ord_id;
      er.deliver_to = s->reply;
      send_er(s, &er);
    } else {
      send_new_reject(s, &no, NULL, OMS_R_DUPLICATE_CLORDID,
                      "ClOrdID already used in this session");
    }
    return;
  }
  if (rc != 0 && res.order->order_id == 0) {
    send_new_reject(s, &no, NULL, res.reject.code, res.reject.text);
  } else if (s->reply != NULL && res.order->order_id != 0 &&
             !oms_ord_state_is_terminal(res.order->state)) {
    /* Its reports (acknowledged, filled, ...) come later, as events. */
    track_t *t = track_get(s->gw, res.order->order_id, s->idx, req.client_order_id);
    if (t != NULL)
      keep_route(s, t);
    else
      gw_log(s->gw, OMS_FIX_LOG_WARN, "session=%s event=route_not_kept reason=tracking_full",
             s->client);
  }
  /* Otherwise the engine's events answer (SUBMITTED, or REJECTED/DENIED). */
}

/* The order named by OrigClOrdID for F/G; answers a reject itself on failure. */
static int target_order(gw_session_t *s, oms_fix_str_t clordid, oms_fix_str_t orig,
                        oms_fix_str_t account, char response_to, oms_order_t *o) {
  if (!account_ok(s, account) || find_order(s, orig, o) != 0) {
    send_cancel_reject(s, clordid, orig, NULL, response_to, OMS_FIX_CXL_REJ_UNKNOWN_ORDER,
                       OMS_R_UNKNOWN_ORDER, "unknown order", s->reply);
    return OMS_ENOTFOUND;
  }
  track_t *t = track_find(s->gw, o->order_id);
  if (t != NULL && t->pend_kind != 0) {
    send_cancel_reject(s, clordid, orig, o, response_to, OMS_FIX_CXL_REJ_PENDING,
                       OMS_R_ORDER_PENDING, "a cancel or replace is already pending", s->reply);
    return OMS_ESTATE;
  }
  char id[OMS_ID_MAX + 1];
  if (copy_str(id, sizeof id, clordid) != 0 || idx_find(s->gw, s->idx, id, NULL) ||
      strcmp(id, o->client_order_id) == 0 || strcmp(id, cur_clordid(s->gw, o)) == 0) {
    send_cancel_reject(s, clordid, orig, o, response_to, OMS_FIX_CXL_REJ_DUPLICATE_CLORDID,
                       OMS_R_DUPLICATE_CLORDID, "ClOrdID missing, too long or already in use",
                       s->reply);
    return OMS_EDUPLICATE;
  }
  return 0;
}

/* Records the pending ClOrdID of a cancel/replace before the engine call. */
static track_t *track_pending(gw_session_t *s, const oms_order_t *o, oms_fix_str_t clordid,
                              char kind) {
  track_t *t = track_get(s->gw, o->order_id, s->idx, o->cur_client_order_id);
  if (t == NULL) return NULL;
  copy_str(t->pend, sizeof t->pend, clordid);
  t->pend_kind = kind;
  if (idx_put(s->gw, s->idx, t->pend, o->order_id) != 0) {
    t->pend_kind = 0;
    track_del_if_idle(s->gw, t, o);
    return NULL;
  }
  keep_route(s, t);
  return t;
}

static void untrack_pending(gw_session_t *s, uint64_t order_id, const oms_order_t *o) {
  track_t *t = track_find(s->gw, order_id);
  if (t == NULL) return;
  if (t->pend_kind != 0) idx_del(s->gw, s->idx, t->pend);
  t->pend_kind = 0;
  t->pend[0] = '\0';
  track_del_if_idle(s->gw, t, o);
}

static void on_cancel(gw_session_t *s, const oms_fix_msg_t *m) {
  oms_fix_cancel_t c;
  oms_fix_bad_field_t bad;
  if (oms_fix_read_cancel(m, &c, &bad) != 0) {
    (void)oms_fix_session_send_reject(s->fs, m, &bad, "invalid OrderCancelRequest");
    return;
  }
  oms_order_t o;
  if (target_order(s, c.cl_ord_id, c.orig_cl_ord_id, c.account, OMS_FIX_CXL_REJ_RESPONSE_TO_CANCEL,
                   &o) != 0)
    return;
  if (track_pending(s, &o, c.cl_ord_id, 'F') == NULL) {
    send_cancel_reject(s, c.cl_ord_id, c.orig_cl_ord_id, &o, OMS_FIX_CXL_REJ_RESPONSE_TO_CANCEL,
                       OMS_FIX_CXL_REJ_OTHER, OMS_R_CAPACITY, "too many orders in flight",
                       s->reply);
    return;
  }
  oms_reject_t rej;
  if (oms_engine_cancel(s->gw->cfg.engine, o.order_id, &rej) != 0) {
    untrack_pending(s, o.order_id, &o);
    send_cancel_reject(s, c.cl_ord_id, c.orig_cl_ord_id, &o, OMS_FIX_CXL_REJ_RESPONSE_TO_CANCEL,
                       cxl_rej_reason(rej.code), rej.code, rej.text, s->reply);
  }
}

static void on_replace(gw_session_t *s, const oms_fix_msg_t *m) {
  oms_fix_replace_t r;
  oms_fix_bad_field_t bad;
  if (oms_fix_read_replace(m, &r, &bad) != 0) {
    (void)oms_fix_session_send_reject(s->fs, m, &bad, "invalid OrderCancelReplaceRequest");
    return;
  }
  oms_order_t o;
  const char to = OMS_FIX_CXL_REJ_RESPONSE_TO_REPLACE;
  if (target_order(s, r.o.cl_ord_id, r.orig_cl_ord_id, r.o.account, to, &o) != 0) return;
  oms_modify_t mod;
  memset(&mod, 0, sizeof mod);
  char sym[OMS_SYMBOL_MAX + 1];
  char side = oms_fix_side(o.side);
  if (copy_str(sym, sizeof sym, r.o.symbol) != 0 || strcmp(sym, o.symbol) != 0 ||
      r.o.side != side || r.o.ord_type != (char)('0' + o.type)) {
    send_cancel_reject(s, r.o.cl_ord_id, r.orig_cl_ord_id, &o, to, OMS_FIX_CXL_REJ_OTHER,
                       OMS_R_UNSUPPORTED, "a replace may not change symbol, side or order type",
                       s->reply);
    return;
  }
  char text[OMS_REASON_MAX + 1];
  oms_reason_t why = dec_field(r.o.order_qty, "OrderQty(38)", false, &mod.qty, text, sizeof text);
  if (why == OMS_R_NONE)
    why = dec_field(r.o.price, "Price(44)", true, &mod.price, text, sizeof text);
  if (why == OMS_R_NONE)
    why = dec_field(r.o.stop_px, "StopPx(99)", true, &mod.stop_price, text, sizeof text);
  if (why != OMS_R_NONE) {
    send_cancel_reject(s, r.o.cl_ord_id, r.orig_cl_ord_id, &o, to, OMS_FIX_CXL_REJ_OTHER, why, text,
                       s->reply);
    return;
  }
  char new_id[OMS_ID_MAX + 1];
  if (copy_str(new_id, sizeof new_id, r.o.cl_ord_id) == 0) mod.client_order_id = new_id;
  if (track_pending(s, &o, r.o.cl_ord_id, 'G') == NULL) {
    send_cancel_reject(s, r.o.cl_ord_id, r.orig_cl_ord_id, &o, to, OMS_FIX_CXL_REJ_OTHER,
                       OMS_R_CAPACITY, "too many orders in flight", s->reply);
    return;
  }
  oms_reject_t rej;
  if (oms_engine_modify(s->gw->cfg.engine, o.order_id, &mod, &rej) != 0) {
    untrack_pending(s, o.order_id, &o);
    send_cancel_reject(s, r.o.cl_ord_id, r.orig_cl_ord_id, &o, to, cxl_rej_reason(rej.code),
                       rej.code, rej.text, s->reply);
  }
}

static void on_status(gw_session_t *s, const oms_fix_msg_t *m) {
  oms_fix_status_req_t q;
  oms_fix_bad_field_t bad;
  if (oms_fix_read_status_request(m, &q, &bad) != 0) {
    (void)oms_fix_session_send_reject(s->fs, m, &bad, "invalid OrderStatusRequest");
    return;
  }
  oms_order_t o;
  oms_fix_exec_report_t er;
  er_bufs_t b;
  if (account_ok(s, q.account) && find_order(s, q.cl_ord_id, &o) == 0) {
    er_from_order(s->gw, &o, &er, &b, OMS_FIX_EXEC_TYPE_ORDER_STATUS);
  } else {
    er_from_order(s->gw, NULL, &er, &b, OMS_FIX_EXEC_TYPE_ORDER_STATUS);
    er.symbol = q.symbol;
    er.side = q.side;
    er.ord_rej_reason = OMS_FIX_ORD_REJ_UNKNOWN_ORDER; /* not a refusal: never heard of it */
    er.text = oms_fix_str("UNKNOWN_ORDER: unknown order");
  }
  er.cl_ord_id = q.cl_ord_id;
  er.deliver_to = s->reply;
  send_er(s, &er);
}

static void on_mass_cancel(gw_session_t *s, const oms_fix_msg_t *m) {
  oms_fix_mass_cancel_t q;
  oms_fix_bad_field_t bad;
  if (oms_fix_read_mass_cancel(m, &q, &bad) != 0) {
    (void)oms_fix_session_send_reject(s->fs, m, &bad, "invalid OrderMassCancelRequest");
    return;
  }
  char id[32], sym[OMS_SYMBOL_MAX + 1] = "";
  snprintf(id, sizeof id, "MC%lld-%llu", (long long)s->gw->boot_s,
           (unsigned long long)++s->gw->exec_seq);
  oms_fix_mass_cancel_report_t r = {.cl_ord_id = q.cl_ord_id,
                                    .order_id = oms_fix_str(id),
                                    .request_type = q.request_type,
                                    .reject_reason = -1,
                                    .total_affected = -1,
                                    .symbol = q.symbol,
                                    .side = q.side,
                                    .transact_time_ns = oms_clock_now(&s->gw->cfg.clock)};
  bool by_symbol = q.request_type == OMS_FIX_MASS_CANCEL_BY_SECURITY;
  if (!account_ok(s, q.account)) {
    r.response = OMS_FIX_MASS_CANCEL_REJECTED;
    r.reject_reason = OMS_FIX_MASS_CANCEL_REJ_OTHER;
    r.text = oms_fix_str("NOT_ENTITLED: not entitled to this account");
  } else if (!by_symbol && q.request_type != OMS_FIX_MASS_CANCEL_ALL) {
    r.response = OMS_FIX_MASS_CANCEL_REJECTED;
    r.reject_reason = OMS_FIX_MASS_CANCEL_REJ_NOT_SUPPORTED;
    r.text = oms_fix_str("UNSUPPORTED: MassCancelRequestType 1 and 7 only");
  } else if (by_symbol && copy_str(sym, sizeof sym, q.symbol) != 0) {
    r.response = OMS_FIX_MASS_CANCEL_REJECTED;
    r.reject_reason = OMS_FIX_MASS_CANCEL_REJ_UNKNOWN_SECURITY;
    r.text = oms_fix_str("UNKNOWN_INSTRUMENT: unknown symbol");
  } else {
    oms_order_filter_t f = {
        .strategy_id = s->client, .account_id = s->account, .symbol = by_symbol ? sym : NULL};
    uint32_t n = 0;
    oms_engine_mass_cancel(s->gw->cfg.engine, &f, &n);
    r.response = q.request_type;
    r.total_affected = n;
  }
  if (s->conn == NULL || s->conn->closing) return;
  r.deliver_to = s->reply;
  (void)oms_fix_session_send_mass_cancel_report(s->fs, &r);
}

/* ---- NewOrderList (35=E): a contingent group sent as a list ---------------------------- */

/* A list refused before it became a group: a BusinessMessageReject naming
 * the ListID (BusinessRejectRefID 379), the reason's name and its text. */
static void list_reject(gw_session_t *s, const oms_fix_msg_t *m, oms_fix_str_t list_id, int brr,
                        oms_reason_t code, const char *text) {
  char t[2 * OMS_REASON_MAX + 64];
  snprintf(t, sizeof t, "%s: %s", oms_reason_name(code), text);
  int64_t seq = 0;
  (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_MsgSeqNum, &seq);
  oms_fix_business_reject_t br = {.ref_seq_num = seq,
                                  .ref_msg_type = m->msg_type,
                                  .ref_id = list_id,
                                  .reason = brr,
                                  .text = oms_fix_str(t),
                                  .deliver_to = s->reply};
  (void)oms_fix_session_send_business_reject(s->fs, &br);
}

/* The NoOrders entries of m: each starts at its ClOrdID(11), the group's
 * first field (the dictionary has checked the structure when the session
 * validates); the fields before the first are the list's. Returns the
 * number of entries (at most cap), or -1 for more. */
static int list_entries(const oms_fix_msg_t *m, oms_fix_order_fields_t *e, int64_t *seq_no,
                        int cap) {
  int n = -1;
  for (size_t i = 0; i < m->nfields; i++) {
    uint32_t tag = m->fields[i].tag;
    oms_fix_str_t v = oms_fix_msg_value(m, i);
    if (tag == OMS_FIX_TAG_ClOrdID) {
      if (++n == cap) return -1;
      memset(&e[n], 0, sizeof e[n]);
      e[n].cl_ord_id = v;
      e[n].time_in_force = OMS_FIX_TIF_DAY;
      seq_no[n] = 0;
      continue;
    }
    if (n < 0) continue;
    switch (tag) {
      case OMS_FIX_TAG_ListSeqNo: (void)oms_fix_str_to_int(v, &seq_no[n]); break;
      case OMS_FIX_TAG_Account: e[n].account = v; break;
      case OMS_FIX_TAG_Symbol: e[n].symbol = v; break;
      case OMS_FIX_TAG_Side: e[n].side = v.len == 1 ? v.ptr[0] : '?'; break;
      case OMS_FIX_TAG_OrderQty: e[n].order_qty = v; break;
      case OMS_FIX_TAG_OrdType: e[n].ord_type = v.len == 1 ? v.ptr[0] : '?'; break;
      case OMS_FIX_TAG_Price: e[n].price = v; break;
      case OMS_FIX_TAG_StopPx: e[n].stop_px = v; break;
      case OMS_FIX_TAG_TimeInForce: e[n].time_in_force = v.len == 1 ? v.ptr[0] : '?'; break;
      default: break;
    }
  }
  return n + 1;
}

/* A NewOrderList is a contingent group (docs/groups.md, "FIX"): ListID(66)
 * is the group order's ClOrdID, ContingencyType(20101) on the list its
 * kind (FIX 4.4 has no such field), the NoOrders entries its members in
 * ListSeqNo(67) order, on one instrument. Answered by the group's and its
 * members' ExecutionReports; refused with a BusinessMessageReject. */
static void on_new_order_list(gw_session_t *s, const oms_fix_msg_t *m) {
  oms_fix_str_t list_id = {NULL, 0};
  char text[OMS_REASON_MAX + 160];
  if (oms_fix_msg_get_str(m, OMS_FIX_TAG_ListID, &list_id) != 0 || list_id.len == 0) {
    list_reject(s, m, list_id, OMS_FIX_BRR_CONDITIONALLY_REQUIRED_MISSING, OMS_R_BAD_ID,
                "ListID(66) is required");
    return;
  }
  int64_t bid_type = 0, tot = -1, kind = 0;
  (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_BidType, &bid_type);
  if (bid_type != 3) {
    snprintf(text, sizeof text, "BidType(394)=%lld: only 3 (no bidding process) is supported",
             (long long)bid_type);
    list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, OMS_R_UNSUPPORTED, text);
    return;
  }
  if (oms_fix_msg_get_int(m, OMS_GROUP_TAG_ContingencyType, &kind) != 0) {
    list_reject(s, m, list_id, OMS_FIX_BRR_CONDITIONALLY_REQUIRED_MISSING, OMS_R_UNSUPPORTED,
                "a list is a contingent group: ContingencyType(20101) 1 OCO, 2 OUO, 3 OTO or "
                "4 BRACKET is required (lists of independent orders are not supported)");
    return;
  }
  oms_fix_order_fields_t e[OMS_ALGO_GROUP_MAX];
  int64_t seq_no[OMS_ALGO_GROUP_MAX];
  int n = list_entries(m, e, seq_no, OMS_ALGO_GROUP_MAX);
  (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_TotNoOrders, &tot);
  if (n < 0 || tot != n) {
    if (n < 0)
      snprintf(text, sizeof text, "more than %d orders in the list", OMS_ALGO_GROUP_MAX);
    else
      snprintf(text, sizeof text,
               "TotNoOrders(68)=%lld but %d orders here: a list in fragments is not supported",
               (long long)tot, n);
    list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, OMS_R_GROUP_MEMBERS, text);
    return;
  }
  oms_order_request_t req[OMS_ALGO_GROUP_MAX];
  oms_group_leg_t legs[OMS_ALGO_GROUP_MAX];
  for (int i = 0; i < n; i++) {
    if (seq_no[i] != i + 1) {
      snprintf(text, sizeof text, "order %d: ListSeqNo(67)=%lld, not %d (members in order)", i + 1,
               (long long)seq_no[i], i + 1);
      list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, OMS_R_GROUP_MEMBERS, text);
      return;
    }
    char t[OMS_REASON_MAX + 1];
    oms_reason_t r = build_request(s, m, &e[i], &req[i], t, sizeof t);
    if (r == OMS_R_NONE && i > 0 && strcmp(req[i].symbol, req[0].symbol) != 0) {
      r = OMS_R_GROUP_MEMBERS;
      snprintf(t, sizeof t, "Symbol(55)=%s, not %s: a group is on one instrument", req[i].symbol,
               req[0].symbol);
    }
    if (r != OMS_R_NONE) {
      snprintf(text, sizeof text, "order %d (ClOrdID %.*s): %s", i + 1, (int)e[i].cl_ord_id.len,
               e[i].cl_ord_id.ptr, t);
      list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, r, text);
      return;
    }
    legs[i] = (oms_group_leg_t){.side = req[i].side,
                                .type = req[i].type,
                                .tif = req[i].tif,
                                .qty = req[i].qty,
                                .price = req[i].price,
                                .stop_price = req[i].stop_price};
  }
  oms_order_request_t g = req[0];
  if (n == 0 || copy_str(g.client_order_id, sizeof g.client_order_id, list_id) != 0) {
    list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, n == 0 ? OMS_R_GROUP_MEMBERS : OMS_R_BAD_ID,
                n == 0 ? "no orders in the list" : "ListID longer than the longest ClOrdID");
    return;
  }
  if (idx_find(s->gw, s->idx, g.client_order_id, NULL)) {
    list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, OMS_R_DUPLICATE_CLORDID,
                "ListID is in use by a replaced order or a list member");
    return;
  }
  /* Each member answers to its ClOrdID (a cancel, the reports, ListStatus):
   * a name no other order or member of the session has. */
  size_t len = (size_t)snprintf(g.metadata, sizeof g.metadata, "%s", LIST_META);
  for (int i = 0; i < n; i++) {
    char c[OMS_ID_MAX + 1];
    memcpy(c, req[i].client_order_id, sizeof c);
    oms_order_t other;
    bool taken = strcmp(c, g.client_order_id) == 0 || idx_find(s->gw, s->idx, c, NULL) ||
                 oms_engine_get_by_clordid(s->gw->cfg.engine, s->client, c, &other) == 0;
    for (int k = 0; k < i; k++) taken = taken || strcmp(c, req[k].client_order_id) == 0;
    if (taken) {
      snprintf(text, sizeof text, "order %d: ClOrdID %s is already used in this session", i + 1, c);
      list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, OMS_R_DUPLICATE_CLORDID, text);
      return;
    }
    len += (size_t)snprintf(g.metadata + len, sizeof g.metadata - len, "%s%s", i ? "," : "", c);
  }
  oms_submit_result_t res;
  int rc = oms_engine_submit_group(s->gw->cfg.engine, &g, (oms_algo_group_kind_t)kind, legs,
                                   (uint32_t)n, &res);
  if (res.duplicate || res.order->order_id == 0) {
    if (res.duplicate)
      list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, OMS_R_DUPLICATE_CLORDID,
                  "ListID already used in this session");
    else
      list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, res.reject.code, res.reject.text);
    return;
  }
  (void)rc;
  if (!oms_ord_state_is_terminal(res.order->state)) list_remember(s, res.order);
}

/* ---- ListStatus (N), ListStatusRequest (M), ListCancelRequest (K) ------------------------- */

/* Whether an event of a list's member (group: of the group order itself)
 * changes what its ListStatus says: a member taken, filled, resized or
 * ended; the list taken or ended. Pending states are left to the reports. */
static bool list_news(oms_event_type_t type, bool group) {
  switch (type) {
    case OMS_EVT_ORDER_ACCEPTED:
    case OMS_EVT_ORDER_FILLED:
    case OMS_EVT_ORDER_CANCELLED:
    case OMS_EVT_ORDER_REJECTED:
    case OMS_EVT_ORDER_DENIED:
    case OMS_EVT_ORDER_EXPIRED: return true;
    case OMS_EVT_ORDER_PARTIALLY_FILLED:
    case OMS_EVT_ORDER_REPLACED: return !group;
    default: return false;
  }
}

static int list_order_status(const oms_order_t *go) {
  switch (go->state) {
    case OMS_STATE_PENDING:
    case OMS_STATE_SUBMITTED: return OMS_FIX_LIST_ORDER_STATUS_RECEIVED;
    case OMS_STATE_PENDING_CANCEL: return OMS_FIX_LIST_ORDER_STATUS_CANCELLING;
    case OMS_STATE_REJECTED: return OMS_FIX_LIST_ORDER_STATUS_REJECT;
    default:
      return oms_ord_state_is_terminal(go->state) ? OMS_FIX_LIST_ORDER_STATUS_ALL_DONE
                                                  : OMS_FIX_LIST_ORDER_STATUS_EXECUTING;
  }
}

/* Text buffers of one NoOrders entry. */
typedef struct list_row_s {
  char name[OMS_ID_MAX + 1];
  char cum[OMS_DEC_STRLEN], leaves[OMS_DEC_STRLEN], cxl[OMS_DEC_STRLEN], avg[OMS_DEC_STRLEN];
} list_row_t;

/* Member i of group go as one NoOrders entry: its orders are the engine's
 * G<group>.<4k + i + 1> (docs/groups.md), their fills summed and the last
 * one's state its status; m is the member while the group works (NULL
 * once it ended): a member with no open order that is not done (held in
 * the OMS, or about to be sent again) is PendingNew. */
static void list_row(oms_gateway_t *gw, const oms_order_t *go, const oms_algo_member_t *m,
                     uint32_t i, list_row_t *b, oms_fix_list_order_t *r) {
  if (!list_name(go, i, b->name))
    snprintf(b->name, sizeof b->name, "G%llu.%u", (unsigned long long)go->order_id, i + 1);
  oms_order_t o;
  bool any = false, open = false;
  char st = 0;
  int64_t cum = 0, leaves = 0, cxl = 0;
  __int128 notional = 0;
  char id[OMS_ID_MAX + 1];
  for (uint32_t k = 0; k <= UINT8_MAX; k++) {
    snprintf(id, sizeof id, "G%llu.%u", (unsigned long long)go->order_id, 4 * k + i + 1);
    if (oms_engine_get_by_clordid(gw->cfg.engine, go->strategy_id, id, &o) != 0) break;
    cum += o.filled_qty.raw;
    notional += o.cum_notional;
    any = true; /* the last order found speaks for the member */
    open = !oms_ord_state_is_terminal(o.state);
    st = ord_status(&o);
    leaves = open ? o.leaves_qty.raw : 0;
    cxl = !open && o.state != OMS_STATE_FILLED && o.state != OMS_STATE_REJECTED
              ? o.qty.raw - o.filled_qty.raw
              : 0;
  }
  if (m != NULL && m->state != OMS_MEMBER_DONE && !open) {
    st = OMS_FIX_ORD_STATUS_PENDING_NEW;
    leaves = m->max_qty.raw - cum;
    cxl = 0;
  } else if (!any) {
    st = OMS_FIX_ORD_STATUS_CANCELED; /* ended before it was ever sent */
    cxl = m != NULL ? m->max_qty.raw - cum : 0;
  }
  int64_t avg = 0;
  if (cum > 0) { /* notional at 10^-16 over qty at 10^-8, half-even */
    __int128 q = notional / cum, rem = notional % cum;
    if (2 * rem > cum || (2 * rem == cum && (q & 1))) q++;
    avg = (int64_t)q;
  }
  oms_dec_format(oms_dec_from_raw(cum), b->cum, sizeof b->cum);
  oms_dec_format(oms_dec_from_raw(leaves > 0 ? leaves : 0), b->leaves, sizeof b->leaves);
  oms_dec_format(oms_dec_from_raw(cxl > 0 ? cxl : 0), b->cxl, sizeof b->cxl);
  oms_dec_format(oms_dec_from_raw(avg), b->avg, sizeof b->avg);
  *r = (oms_fix_list_order_t){.cl_ord_id = oms_fix_str(b->name),
                              .cum_qty = oms_fix_str(b->cum),
                              .ord_status = st,
                              .leaves_qty = oms_fix_str(b->leaves),
                              .cxl_qty = oms_fix_str(b->cxl),
                              .avg_px = oms_fix_str(b->avg)};
}

/* ListStatus of group go (its ClOrdID the ListID) and each member. */
static void send_list_status(gw_session_t *s, const oms_order_t *go, int type, const char *text,
                             int64_t ts, const oms_fix_route_t *to) {
  oms_algo_group_t g;
  bool working = oms_engine_group(s->gw->cfg.engine, go->order_id, &g, NULL) == 0;
  uint32_t n = working ? g.n : go->algo == OMS_GROUP_ALGO_BASE + OMS_GROUP_BRACKET ? 3 : 2;
  list_row_t b[OMS_ALGO_GROUP_MAX];
  oms_fix_list_order_t rows[OMS_ALGO_GROUP_MAX];
  for (uint32_t i = 0; i < n && i < OMS_ALGO_GROUP_MAX; i++)
    list_row(s->gw, go, working ? &g.m[i] : NULL, i, &b[i], &rows[i]);
  oms_fix_list_status_t ls = {.list_id = oms_fix_str(go->client_order_id),
                              .list_status_type = type,
                              .list_order_status = list_order_status(go),
                              .text = text != NULL ? oms_fix_str(text) : (oms_fix_str_t){NULL, 0},
                              .transact_time_ns = ts,
                              .orders = rows,
                              .n = n,
                              .deliver_to = to};
  int rc = oms_fix_session_send_list_status(s->fs, &ls);
  if (rc != 0)
    gw_log(s->gw, OMS_FIX_LOG_WARN, "session=%s event=send_failed msg=N error=%s", s->client,
           oms_err_name(rc));
}

/* A ListStatusRequest is answered by the list's ListStatus (type Response);
 * a ListCancelRequest cancels every member still open (a held one is
 * dropped) and is answered the same way, the list Cancelling, then by the
 * members' reports and the list's AllDone. A ListID that is no group order
 * of this session's account is a BusinessMessageReject, Unknown ID. Any
 * group answers to its ClOrdID here, a bracket sent as a NewOrderSingle
 * too (its members under the engine's names). */
static void on_list_request(gw_session_t *s, const oms_fix_msg_t *m, bool cancel) {
  oms_fix_str_t list_id = {NULL, 0};
  char id[OMS_ID_MAX + 1];
  oms_order_t go;
  oms_engine_t *e = s->gw->cfg.engine;
  if (oms_fix_msg_get_str(m, OMS_FIX_TAG_ListID, &list_id) != 0 ||
      copy_str(id, sizeof id, list_id) != 0 ||
      oms_engine_get_by_clordid(e, s->client, id, &go) != 0 || go.parent_order_id != 0 ||
      go.algo <= OMS_GROUP_ALGO_BASE || strcmp(go.account_id, s->account) != 0) {
    list_reject(s, m, list_id, OMS_FIX_BRR_UNKNOWN_ID, OMS_R_UNKNOWN_ORDER,
                "no list of this session has this ListID(66)");
    return;
  }
  const char *text = NULL;
  if (cancel && oms_ord_state_is_terminal(go.state)) {
    text = "the list is done: nothing to cancel";
  } else if (cancel) {
    oms_reject_t rej;
    if (oms_engine_cancel_group(e, go.order_id, &rej) != 0) {
      list_reject(s, m, list_id, OMS_FIX_BRR_OTHER, rej.code, rej.text);
      return;
    }
    (void)oms_engine_get(e, go.order_id, &go);
  }
  send_list_status(s, &go, OMS_FIX_LIST_STATUS_TYPE_RESPONSE, text, 0, s->reply);
}

static int on_app_msg(void *ctx, const oms_fix_msg_t *m) {
  gw_session_t *s = ctx;
  oms_fix_route_t route = oms_fix_route_of(m);
  s->reply = route.comp_id.len ? &route : NULL;
  s->reply_id = (oms_fix_str_t){NULL, 0};
  if (s->reply != NULL) (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_ClOrdID, &s->reply_id);
  if (oms_fix_msg_is(m, OMS_FIX_MSG_NewOrderSingle))
    on_new_order(s, m);
  else if (oms_fix_msg_is(m, OMS_FIX_MSG_OrderCancelRequest))
    on_cancel(s, m);
  else if (oms_fix_msg_is(m, OMS_FIX_MSG_OrderCancelReplaceRequest))
    on_replace(s, m);
  else if (oms_fix_msg_is(m, OMS_FIX_MSG_OrderStatusRequest))
    on_status(s, m);
  else if (oms_fix_msg_is(m, OMS_FIX_MSG_OrderMassCancelRequest))
    on_mass_cancel(s, m);
  else if (oms_fix_msg_is(m, OMS_FIX_MSG_NewOrderList))
    on_new_order_list(s, m);
  else if (oms_fix_msg_is(m, OMS_FIX_MSG_ListStatusRequest))
    on_list_request(s, m, false);
  else if (oms_fix_msg_is(m, OMS_FIX_MSG_ListCancelRequest))
    on_list_request(s, m, true);
  else {
    int64_t seq = 0;
    (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_MsgSeqNum, &seq);
    oms_fix_business_reject_t br = {.ref_seq_num = seq,
                                    .ref_msg_type = m->msg_type,
                                    .reason = OMS_FIX_BRR_UNSUPPORTED_MSG_TYPE,
                                    .text = oms_fix_str("unsupported message type"),
                                    .deliver_to = s->reply};
    (void)oms_fix_session_send_business_reject(s->fs, &br);
  }
  s->reply = NULL;
  return 0;
}

/* ---- Engine events ------------------------------------------------------------------------ */

static gw_session_t *session_of(oms_gateway_t *gw, const oms_order_t *o) {
  for (size_t i = 0; i < gw->nsessions; i++)
    if (strcmp(gw->sessions[i]->client, o->strategy_id) == 0) return gw->sessions[i];
  return NULL;
}

/* The ExecID we gave the client for the fill a bust or correction names:
 * the sequence of the newest stored event that booked that venue exec id
 * (a correction of a correction names the last). Busts are rare, so the
 * order's own events are read from the store; 0 when it has none. */
typedef struct fill_ref_s {
  const char *exec_id;
  uint64_t seq;
  uint64_t before;
} fill_ref_t;

static int fill_ref_cb(void *ctx, const oms_event_t *e) {
  fill_ref_t *r = ctx;
  if ((e->type == OMS_EVT_ORDER_PARTIALLY_FILLED || e->type == OMS_EVT_ORDER_FILLED ||
       e->type == OMS_EVT_ORDER_FILL_CORRECTED) &&
      e->seq < r->before && strcmp(e->fill.exec_id, r->exec_id) == 0)
    r->seq = e->seq;
  return 0;
}

static uint64_t fill_ref(oms_gateway_t *gw, const oms_event_t *ev) {
  fill_ref_t r = {.exec_id = ev->fill.exec_id, .seq = 0, .before = ev->seq};
  oms_store_t *st = gw->cfg.store;
  if (st == NULL || oms_store_flush(st, INT64_C(1000000000)) != 0 ||
      oms_store_events_for_order(st, ev->order.order_id, fill_ref_cb, &r) != 0)
    return 0;
  return r.seq;
}

/* Whether o is a member of a contingent group: the engine names member
 * orders G<group order id>.<child_seq> (docs/groups.md), a name no client
 * order carries with a parent. */
static bool group_member(const oms_order_t *o) {
  if (o->client_order_id[0] != 'G') return false;
  char name[OMS_ID_MAX + 1];
  snprintf(name, sizeof name, "G%llu.%u", (unsigned long long)o->parent_order_id,
           (unsigned)o->child_seq);
  return strcmp(name, o->client_order_id) == 0;
}

static void report_event(oms_gateway_t *gw, const oms_event_t *ev);

void oms_gateway_on_event(oms_gateway_t *gw, const oms_event_t *ev) {
  gw->in_event++;
  report_event(gw, ev);
  gw->in_event--;
}

static void report_event(oms_gateway_t *gw, const oms_event_t *ev) {
  if (ev->seq == 0 || !oms_event_is_order(ev->type) || ev->type == OMS_EVT_NONE) return;
  const oms_order_t *o = &ev->order;
  /* The client hears of its parent, not of the children the OMS works it
   * with; a contingent group's members are orders the client asked for by
   * name (an exit, a leg) and are reported under their own ClOrdIDs. */
  if (o->parent_order_id != 0 && !group_member(o)) return;
  gw_session_t *s = session_of(gw, o);
  if (s != NULL && oms_ord_state_is_terminal(o->state) && is_list(o)) list_forget(s, o);
  if (s == NULL || ev->seq <= s->reported_seq) return; /* told already (catch-up) */
  s->reported_seq = ev->seq;
  track_t *t = track_find(gw, o->order_id);
  const char *cur = t != NULL ? t->cur : o->cur_client_order_id;
  const char *pend = t != NULL && t->pend_kind != 0 ? t->pend : NULL;
  oms_fix_route_t route;
  char exec_type;
  switch (ev->type) {
    case OMS_EVT_ORDER_SUBMITTED: exec_type = OMS_FIX_EXEC_TYPE_PENDING_NEW; break;
    case OMS_EVT_ORDER_ACCEPTED: exec_type = OMS_FIX_EXEC_TYPE_NEW; break;
    case OMS_EVT_ORDER_PARTIALLY_FILLED:
    case OMS_EVT_ORDER_FILLED: exec_type = OMS_FIX_EXEC_TYPE_TRADE; break;
    case OMS_EVT_ORDER_CANCELLED: exec_type = OMS_FIX_EXEC_TYPE_CANCELED; break;
    case OMS_EVT_ORDER_REJECTED:
    case OMS_EVT_ORDER_DENIED: exec_type = OMS_FIX_EXEC_TYPE_REJECTED; break;
    case OMS_EVT_ORDER_PENDING_CANCEL: exec_type = OMS_FIX_EXEC_TYPE_PENDING_CANCEL; break;
    case OMS_EVT_ORDER_PENDING_REPLACE: exec_type = OMS_FIX_EXEC_TYPE_PENDING_REPLACE; break;
    case OMS_EVT_ORDER_REPLACED: exec_type = OMS_FIX_EXEC_TYPE_REPLACED; break;
    case OMS_EVT_ORDER_EXPIRED: exec_type = OMS_FIX_EXEC_TYPE_EXPIRED; break;
    case OMS_EVT_ORDER_TRIGGERED:
      exec_type = OMS_FIX_EXEC_TYPE_RESTATED;
      break; /* 4.4 has no Triggered */
    case OMS_EVT_ORDER_RESTATED: exec_type = OMS_FIX_EXEC_TYPE_RESTATED; break;
    case OMS_EVT_ORDER_FILL_BUSTED: exec_type = OMS_FIX_EXEC_TYPE_TRADE_CANCEL; break;
    case OMS_EVT_ORDER_FILL_CORRECTED: exec_type = OMS_FIX_EXEC_TYPE_TRADE_CORRECT; break;
    case OMS_EVT_ORDER_CANCEL_REJECTED:
    case OMS_EVT_ORDER_REPLACE_REJECTED: {
      char to = ev->type == OMS_EVT_ORDER_CANCEL_REJECTED ? OMS_FIX_CXL_REJ_RESPONSE_TO_CANCEL
                                                          : OMS_FIX_CXL_REJ_RESPONSE_TO_REPLACE;
      send_cancel_reject(s, oms_fix_str(pend ? pend : cur), oms_fix_str(cur), o, to,
                         cxl_rej_reason(ev->reason), ev->reason, ev->text,
                         event_route(s, t, cur, pend, &route));
      untrack_pending(s, o->order_id, o);
      return;
    }
    default: return;
  }
  oms_fix_exec_report_t er;
  er_bufs_t b;
  er_from_order(gw, o, &er, &b, exec_type);
  snprintf(b.exec_id, sizeof b.exec_id, "%llu", (unsigned long long)ev->seq);
  er.exec_id = oms_fix_str(b.exec_id);
  er.transact_time_ns = ev->event_ns;
  er.cl_ord_id = oms_fix_str(cur);
  er.deliver_to = event_route(s, t, cur, pend, &route);
  oms_order_t go;
  char named[OMS_ID_MAX + 1];
  bool in_group =
      o->parent_order_id != 0 && oms_engine_get(gw->cfg.engine, o->parent_order_id, &go) == 0;
  if (in_group) {
    er.list_id = oms_fix_str(go.client_order_id); /* the group, as the client named it */
    if (list_name(&go, (o->child_seq - 1) % 4, named)) er.cl_ord_id = oms_fix_str(named);
  }
  bool takes_pending =
      pend != NULL && ((t->pend_kind == 'F' && (ev->type == OMS_EVT_ORDER_PENDING_CANCEL ||
                                                ev->type == OMS_EVT_ORDER_CANCELLED)) ||
                       (t->pend_kind == 'G' && (ev->type == OMS_EVT_ORDER_PENDING_REPLACE ||
                                                ev->type == OMS_EVT_ORDER_REPLACED)));
  if (takes_pending) {
    er.cl_ord_id = oms_fix_str(pend);
    er.orig_cl_ord_id = oms_fix_str(cur);
  }
  if (exec_type == OMS_FIX_EXEC_TYPE_TRADE || exec_type == OMS_FIX_EXEC_TYPE_TRADE_CORRECT) {
    oms_dec_format(ev->fill.qty, b.last_qty, sizeof b.last_qty);
    oms_dec_format(ev->fill.price, b.last_px, sizeof b.last_px);
    er.last_qty = oms_fix_str(b.last_qty);
    er.last_px = oms_fix_str(b.last_px);
  } else if (exec_type == OMS_FIX_EXEC_TYPE_TRADE_CANCEL) {
    /* The trade taken back, as it was. */
    oms_dec_format(ev->fill.old_qty, b.last_qty, sizeof b.last_qty);
    oms_dec_format(ev->fill.old_price, b.last_px, sizeof b.last_px);
    er.last_qty = oms_fix_str(b.last_qty);
    er.last_px = oms_fix_str(b.last_px);
  } else if (exec_type == OMS_FIX_EXEC_TYPE_REJECTED) {
    oms_reason_t code = ev->reason != OMS_R_NONE ? ev->reason : o->reject_code;
    const char *text = ev->text[0] ? ev->text : o->reject_reason;
    er.ord_status = OMS_FIX_ORD_STATUS_REJECTED;
    er.ord_rej_reason = oms_gateway_ord_rej_reason(code);
    snprintf(b.text, sizeof b.text, "%s: %s", oms_reason_name(code), text);
    er.text = oms_fix_str(b.text);
  } else if (exec_type == OMS_FIX_EXEC_TYPE_CANCELED && ev->reason == OMS_R_VENUE_UNKNOWN_ORDER) {
    /* Cancelled by the engine for the venue: the client is told why. */
    snprintf(b.text, sizeof b.text, "%s: %s", oms_reason_name(ev->reason), ev->text);
    er.text = oms_fix_str(b.text);
  }
  char ref[24];
  if (exec_type == OMS_FIX_EXEC_TYPE_TRADE_CANCEL || exec_type == OMS_FIX_EXEC_TYPE_TRADE_CORRECT) {
    uint64_t seq = fill_ref(gw, ev);
    if (seq != 0) {
      snprintf(ref, sizeof ref, "%llu", (unsigned long long)seq);
      er.exec_ref_id = oms_fix_str(ref);
    }
  }
  if (ev->type == OMS_EVT_ORDER_RESTATED && ev->text[0] != '\0') er.text = oms_fix_str(ev->text);
  send_er(s, &er);
  /* A list's client hears the list change with its orders. */
  if (in_group && is_list(&go) && list_news(ev->type, false))
    send_list_status(s, &go, OMS_FIX_LIST_STATUS_TYPE_ALERT, NULL, ev->event_ns, NULL);
  else if (is_list(o) && list_news(ev->type, true))
    send_list_status(s, o,
                     oms_ord_state_is_terminal(o->state) ? OMS_FIX_LIST_STATUS_TYPE_ALL_DONE
                                                         : OMS_FIX_LIST_STATUS_TYPE_ACK,
                     NULL, ev->event_ns, NULL);
  /* Follow the ClOrdID chain. */
  if (t == NULL) return;
  if (ev->type == OMS_EVT_ORDER_REPLACED && takes_pending) {
    if (strcmp(t->cur, o->client_order_id) != 0) idx_del(gw, s->idx, t->cur);
    memcpy(t->cur, t->pend, sizeof t->cur);
    t->pend_kind = 0;
    t->pend[0] = '\0';
  }
  if (oms_ord_state_is_terminal(o->state)) {
    if (t->pend_kind != 0) idx_del(gw, s->idx, t->pend);
    if (strcmp(t->cur, o->client_order_id) != 0) idx_del(gw, s->idx, t->cur);
    track_del(gw, t);
  }
}

/* ---- Write-ahead: the outbox and the catch-up after a restart ------------------------------ */

int oms_gateway_pump(oms_gateway_t *gw) {
  if (gw->cod_pending && gw->in_event == 0) cod_run(gw);
  int n = 0;
  for (size_t i = 0; i < gw->nsessions; i++)
    if (!oms__fix_outbox_empty(&gw->sessions[i]->ob)) n += ob_pump(gw->sessions[i]);
  return n;
}

/* The cursor that says the last run stopped with every number it wrote
 * stored (1), or is running or died (0). */
#define CLEAN_CURSOR "fix:clean-stop"

void oms_gateway_flush(oms_gateway_t *gw, int64_t timeout_ns) {
  for (size_t i = 0; i < gw->nsessions; i++) {
    gw_session_t *s = gw->sessions[i];
    ob_flush(s, timeout_ns);
    if (gw->cfg.store != NULL) (void)save_cursor(s);
  }
  uint64_t t;
  if (gw->cfg.store != NULL && !gw->unstored_sent &&
      oms_store_cursor_set(gw->cfg.store, CLEAN_CURSOR, 1, &t) == 0)
    (void)oms_store_wait(gw->cfg.store, t, timeout_ns);
}

/* After a stop that was not clean (a crash, or a run that sent a Logout it
 * could not store), every session that has numbers skips one outbound
 * number: the one an unstored Logout may have used is never used again with
 * other content. A client that expected it asks for it and gets a gap fill.
 * Then the mark says "running" until the next clean stop. */
static int skip_after_unclean_stop(oms_gateway_t *gw) {
  oms_store_t *st = gw->cfg.store;
  uint64_t clean = 0;
  int rc = oms_store_cursor_get(st, CLEAN_CURSOR, &clean);
  if (rc != 0 && rc != OMS_ENOTFOUND) return rc;
  for (size_t i = 0; i < gw->nsessions && clean != 1; i++) {
    gw_session_t *s = gw->sessions[i];
    int64_t in = 1, out = 1;
    uint64_t t;
    rc = oms_store_fix_get_seqnums(st, s->key, &in, &out);
    if (rc == OMS_ENOTFOUND) continue;
    if (rc == 0) rc = oms_store_fix_set_seqnums(st, s->key, in, out + 1, &t);
    if (rc != 0) return rc;
    s->have_seq = false;
    gw_log(gw, OMS_FIX_LOG_WARN, "session=%s event=skip_seqnum after=unclean_stop next_sender=%lld",
           s->client, (long long)(out + 1));
  }
  uint64_t t;
  rc = oms_store_cursor_set(st, CLEAN_CURSOR, 0, &t);
  return rc != 0 ? rc : oms_store_flush(st, INT64_C(5000000000));
}

/* The newest event a session's stored messages reported: the ExecID of its
 * last ExecutionReport that names an event (all digits). */
typedef struct scan_s {
  oms_fix_msg_t *m;
  uint64_t max;
} scan_t;

static int scan_cb(void *ctx, int64_t seqnum, const char *msg, size_t len) {
  scan_t *sc = ctx;
  (void)seqnum;
  size_t used;
  oms_fix_str_t id;
  if (oms_fix_parse(msg, len, NULL, sc->m, &used, NULL) != 0 ||
      !oms_fix_msg_is(sc->m, OMS_FIX_MSG_ExecutionReport) ||
      oms_fix_msg_get_str(sc->m, OMS_FIX_TAG_ExecID, &id) != 0 || id.len == 0 || id.len > 19)
    return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < id.len; i++) {
    if (id.ptr[i] < '0' || id.ptr[i] > '9') return 0;
    v = v * 10 + (uint64_t)(id.ptr[i] - '0');
  }
  if (v > sc->max) sc->max = v;
  return 0;
}

#define SCAN_WINDOW 256

static int reported_from_store(gw_session_t *s, oms_fix_msg_t *m) {
  oms_store_t *st = s->gw->cfg.store;
  char name[sizeof s->key + 8];
  cursor_name(s, name, sizeof name);
  uint64_t floor = 0;
  int rc = oms_store_cursor_get(st, name, &floor);
  if (rc != 0) return rc;
  int64_t in = 1, out = 1;
  rc = oms_store_fix_get_seqnums(st, s->key, &in, &out);
  if (rc != 0 && rc != OMS_ENOTFOUND) return rc;
  s->have_stored = true;
  s->stored_in = in;
  s->stored_out = out;
  /* Reports are stored in event order: the newest window holding one says. */
  scan_t sc = {.m = m, .max = 0};
  for (int64_t hi = out - 1; hi >= 1 && sc.max == 0; hi -= SCAN_WINDOW) {
    int64_t lo = hi - SCAN_WINDOW + 1;
    rc = oms_store_fix_fetch_sent(st, s->key, lo < 1 ? 1 : lo, hi, scan_cb, &sc);
    if (rc != 0) return rc;
  }
  s->reported_seq = sc.max > floor ? sc.max : floor;
  return 0;
}

static int catch_up_cb(void *ctx, const oms_event_t *ev) {
  oms_gateway_on_event(ctx, ev);
  return 0;
}

/* A live list recovered by the engine: its members' names back in the
 * index (one walk of the orders at start, never on a client's message). */
static int relist_cb(void *ctx, const oms_order_t *o) {
  oms_gateway_t *gw = ctx;
  gw_session_t *s = is_list(o) ? session_of(gw, o) : NULL;
  if (s != NULL) list_remember(s, o);
  return 0;
}

int oms_gateway_catch_up(oms_gateway_t *gw, uint32_t *n_reported) {
  if (n_reported != NULL) *n_reported = 0;
  oms_store_t *st = gw->cfg.store;
  if (st == NULL || gw->nsessions == 0) return 0;
  int rc = skip_after_unclean_stop(gw);
  if (rc != 0) return rc;
  /* Queries see committed rows only: what the engine appended at recovery. */
  rc = oms_store_flush(st, INT64_C(5000000000));
  if (rc != 0) return rc;
  oms_fix_msg_t *m = oms__malloc(sizeof *m);
  if (m == NULL) return OMS_ENOMEM;
  uint64_t from = UINT64_MAX;
  for (size_t i = 0; i < gw->nsessions && rc == 0; i++) {
    rc = reported_from_store(gw->sessions[i], m);
    if (rc == 0 && gw->sessions[i]->reported_seq < from) from = gw->sessions[i]->reported_seq;
  }
  oms__free(m);
  if (rc != 0) return rc;
  uint64_t before[MAX_SESSIONS];
  for (size_t i = 0; i < gw->nsessions; i++) before[i] = gw->sessions[i]->reported_seq;
  (void)oms_engine_orders(gw->cfg.engine, NULL, relist_cb, gw);
  rc = oms_store_events_from(st, from + 1, 0, catch_up_cb, gw);
  for (size_t i = 0; i < gw->nsessions; i++) {
    gw_session_t *s = gw->sessions[i];
    if (s->reported_seq == before[i]) continue;
    gw_log(gw, OMS_FIX_LOG_WARN, "session=%s event=catch_up reported_from=%llu reported_to=%llu",
           s->client, (unsigned long long)before[i], (unsigned long long)s->reported_seq);
    if (n_reported != NULL) (*n_reported)++;
  }
  return rc;
}
