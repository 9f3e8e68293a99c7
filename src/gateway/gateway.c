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
 * it has no store, and later (from poll) when it has one. So the pending
 * ClOrdID of a cancel or replace is recorded BEFORE the engine call, and
 * taken back if the engine refuses synchronously.
 *
 * Reentrancy: a session's disconnect callback may fire while the gateway is
 * feeding it bytes. The connection is then only marked closing; it is freed
 * when the daemon calls oms_gateway_conn_closed.
 */
#include "oms/gateway.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/slots.h"
#include "core/strmap.h"
#include "core/u64map.h"
#include "oms/decimal.h"
#include "oms/error.h"

#define MAX_SESSIONS 64

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
  uint64_t sent_ticket; /* store ticket of the last outbound message saved */
  oms_fix_session_t *fs;
  gw_conn_t *conn;
  /* Sequence numbers cached here: the store's writes are asynchronous. */
  bool have_seq;
  int64_t next_sender, next_target;
  /* Fetch buffer for load_sent. */
  char *fetch_buf;
  size_t fetch_cap, fetch_len;
  int fetch_found;
} gw_session_t;

struct gw_conn_s {
  uint64_t id;
  bool used;
  bool closing;
  gw_session_t *sess;
  char *buf;
  size_t len;
};

/* An order whose ClOrdID chain the gateway follows. */
typedef struct track_s {
  uint64_t order_id;
  uint16_t sess;
  char pend_kind; /* 'F', 'G' or 0 */
  char cur[OMS_ID_MAX + 1];
  char pend[OMS_ID_MAX + 1];
} track_t;

/* The key of a ClOrdID in the index: "<session index>:<ClOrdID>". */
#define IDX_KEY_MAX (5 + 1 + OMS_ID_MAX)

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

static int io_send(void *ctx, const char *data, size_t len) {
  gw_session_t *s = ctx;
  if (s->conn == NULL || s->conn->closing) return OMS_ECLOSED;
  return s->gw->cfg.io.send(s->gw->cfg.io.ctx, s->conn->id, data, len);
}

static void cancel_on_disconnect(gw_session_t *s) {
  if (!s->cancel_on_disconnect) return;
  oms_order_filter_t f = {.strategy_id = s->client, .account_id = s->account};
  uint32_t n = 0;
  oms_engine_mass_cancel(s->gw->cfg.engine, &f, &n);
  gw_log(s->gw, OMS_FIX_LOG_INFO, "session=%s event=cancel_on_disconnect cancelled=%u", s->client,
         n);
}

/* Separates session and connection; the session is DISCONNECTED already. */
static void unbind(gw_session_t *s) {
  gw_conn_t *c = s->conn;
  if (c == NULL) return;
  s->conn = NULL;
  c->sess = NULL;
  cancel_on_disconnect(s);
}

static void close_conn(oms_gateway_t *gw, gw_conn_t *c, const char *reason) {
  if (c->closing) return;
  c->closing = true;
  gw->cfg.io.close(gw->cfg.io.ctx, c->id, reason);
}

static void io_disconnect(void *ctx, const char *reason) {
  gw_session_t *s = ctx;
  gw_conn_t *c = s->conn;
  gw_log(s->gw, OMS_FIX_LOG_INFO, "session=%s event=disconnect reason=\"%s\"", s->client, reason);
  if (c == NULL) return;
  unbind(s);
  close_conn(s->gw, c, reason);
}

static int io_authenticate(void *ctx, oms_fix_str_t user, oms_fix_str_t pass) {
  gw_session_t *s = ctx;
  (void)user;
  if (s->password[0] == '\0') return 0;
  if (pass.ptr == NULL || !oms_fix_str_eq(pass, s->password)) {
    gw_log(s->gw, OMS_FIX_LOG_WARN, "session=%s event=logon_refused reason=\"bad password\"",
           s->client);
    return OMS_EINVAL;
  }
  return 0;
}

static void io_log(void *ctx, oms_fix_log_level_t level, const char *text) {
  gw_session_t *s = ctx;
  gw_log(s->gw, level, "session=%s %s", s->client, text);
}

static int st_load_seqnums(void *ctx, int64_t *next_sender, int64_t *next_target) {
  gw_session_t *s = ctx;
  if (!s->have_seq) {
    s->next_sender = s->next_target = 1;
    if (s->gw->cfg.store != NULL) {
      int64_t in = 1, out = 1;
      int rc = oms_store_fix_get_seqnums(s->gw->cfg.store, s->key, &in, &out);
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
  uint64_t t;
  return oms_store_fix_set_seqnums(s->gw->cfg.store, s->key, next_target, next_sender, &t);
}

static int st_save_sent(void *ctx, int64_t seq, const char *data, size_t len) {
  gw_session_t *s = ctx;
  if (s->gw->cfg.store == NULL || len > OMS_STORE_FIX_MSG_MAX) return 0;
  return oms_store_fix_save_sent(s->gw->cfg.store, s->key, seq, data, len, &s->sent_ticket);
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

static int st_reset(void *ctx) {
  gw_session_t *s = ctx;
  s->next_sender = s->next_target = 1;
  s->have_seq = true;
  if (s->gw->cfg.store == NULL) return 0;
  uint64_t t;
  return oms_store_fix_reset(s->gw->cfg.store, s->key, &t);
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
                                 .max_msg_len = gw->max_msg_len};
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
    c->id = conn;
    c->sess = NULL;
    c->len = 0;
    return 0;
  }
  return OMS_EFULL;
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
  oms__free(m);
  if (why != NULL || s == NULL) {
    gw_log(gw, OMS_FIX_LOG_WARN, "conn=%llu event=refused reason=\"%s\"", (unsigned long long)c->id,
           why);
    close_conn(gw, c, why);
    return OMS_ECLOSED;
  }
  if (oms_fix_session_state(s->fs) != OMS_FIX_SESSION_DISCONNECTED)
    oms_fix_session_reset_connection(s->fs);
  rc = oms_fix_session_connect(s->fs);
  if (rc != 0) {
    gw_log(gw, OMS_FIX_LOG_ERROR, "session=%s event=connect_failed error=%s", s->client,
           oms_err_name(rc));
    close_conn(gw, c, "session store failure");
    return OMS_ECLOSED;
  }
  s->conn = c;
  c->sess = s;
  gw_log(gw, OMS_FIX_LOG_INFO, "session=%s conn=%llu event=bound", s->client,
         (unsigned long long)c->id);
  return 0;
}

int oms_gateway_conn_data(oms_gateway_t *gw, uint64_t conn, const char *data, size_t len) {
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

int oms_gateway_conns(const oms_gateway_t *gw) {
  int n = 0;
  for (uint32_t i = 0; i < gw->max_conns; i++) n += gw->conns[i].used;
  return n;
}

/* ---- Mapping helpers -------------------------------------------------------------------- */

int oms_gateway_ord_rej_reason(oms_reason_t r) {
  switch (r) {
    case OMS_R_UNKNOWN_INSTRUMENT:
    case OMS_R_RISK_SYMBOL_NOT_ALLOWED:
    case OMS_R_RISK_SYMBOL_RESTRICTED: return OMS_FIX_ORD_REJ_UNKNOWN_SYMBOL;
    case OMS_R_RISK_TRADING_HOURS:
    case OMS_R_RISK_HALTED: return OMS_FIX_ORD_REJ_EXCHANGE_CLOSED;
    case OMS_R_DUPLICATE_CLORDID:
    case OMS_R_RISK_DUPLICATE_ORDER: return OMS_FIX_ORD_REJ_DUPLICATE_ORDER;
    case OMS_R_NOT_ENTITLED: return OMS_FIX_ORD_REJ_UNKNOWN_ACCOUNT;
    case OMS_R_QTY_NOT_POSITIVE:
    case OMS_R_LOT_SIZE:
    case OMS_R_MIN_QTY:
    case OMS_R_MAX_QTY: return OMS_FIX_ORD_REJ_INCORRECT_QUANTITY;
    case OMS_R_BAD_ENUM:
    case OMS_R_POST_ONLY_NOT_LIMIT:
    case OMS_R_POST_ONLY_TIF:
    case OMS_R_MARKET_TIF:
    case OMS_R_UNSUPPORTED: return OMS_FIX_ORD_REJ_UNSUPPORTED_ORDER_CHARACTERISTIC;
    case OMS_R_VENUE_REJECT:
    case OMS_R_POST_ONLY_WOULD_CROSS:
    case OMS_R_FOK_CANNOT_FILL:
    case OMS_R_NO_LIQUIDITY: return OMS_FIX_ORD_REJ_BROKER_OPTION;
    default: break;
  }
  if (r >= 100 && r < 200) return OMS_FIX_ORD_REJ_EXCEEDS_LIMIT;
  return OMS_FIX_ORD_REJ_OTHER;
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

static char tif_char(oms_tif_t t) {
  switch (t) {
    case OMS_TIF_GTC: return OMS_FIX_TIF_GTC;
    case OMS_TIF_IOC: return OMS_FIX_TIF_IOC;
    case OMS_TIF_FOK: return OMS_FIX_TIF_FOK;
    case OMS_TIF_GTD: return OMS_FIX_TIF_GTD;
    case OMS_TIF_DAY:
    default: return OMS_FIX_TIF_DAY;
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
  er->side = o->side == OMS_SIDE_SELL ? OMS_FIX_SIDE_SELL : OMS_FIX_SIDE_BUY;
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
  er->time_in_force = tif_char(o->tif);
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
  send_er(s, &er);
}

static void send_cancel_reject(gw_session_t *s, oms_fix_str_t clordid, oms_fix_str_t orig,
                               const oms_order_t *o, char response_to, int reason,
                               oms_reason_t code, const char *text) {
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
                                .text = oms_fix_str(t)};
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
  if (t != NULL && idx_put(s->gw, s->idx, id, o->order_id) != 0 && t->pend_kind == 0)
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
  switch (f->side) {
    case OMS_FIX_SIDE_BUY: req->side = OMS_SIDE_BUY; break;
    case OMS_FIX_SIDE_SELL: req->side = OMS_SIDE_SELL; break;
    default:
      snprintf(text, cap, "Side(54)=%c is not supported (1 or 2)", f->side);
      return OMS_R_BAD_ENUM;
  }
  if (f->ord_type < '1' || f->ord_type > '4') {
    snprintf(text, cap, "OrdType(40)=%c is not supported (1, 2, 3 or 4)", f->ord_type);
    return OMS_R_BAD_ENUM;
  }
  req->type = (oms_ord_type_t)(f->ord_type - '0');
  switch (f->time_in_force) {
    case OMS_FIX_TIF_DAY: req->tif = OMS_TIF_DAY; break;
    case OMS_FIX_TIF_GTC: req->tif = OMS_TIF_GTC; break;
    case OMS_FIX_TIF_IOC: req->tif = OMS_TIF_IOC; break;
    case OMS_FIX_TIF_FOK: req->tif = OMS_TIF_FOK; break;
    case OMS_FIX_TIF_GTD: req->tif = OMS_TIF_GTD; break;
    default:
      snprintf(text, cap, "TimeInForce(59)=%c is not supported (0, 1, 3, 4 or 6)",
               f->time_in_force);
      return OMS_R_BAD_ENUM;
  }
  if (f->post_only) req->instructions |= OMS_INST_POST_ONLY;
  req->expire_ns = f->expire_time_ns;
  if (parse_dec(f->order_qty, &req->qty) != 0 || parse_dec(f->price, &req->price) != 0 ||
      parse_dec(f->stop_px, &req->stop_price) != 0) {
    snprintf(text, cap, "a quantity or price out of range or with more than 8 decimals");
    return OMS_R_NOTIONAL_OVERFLOW;
  }
  return OMS_R_NONE;
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
    send_new_reject(s, &no, NULL, OMS_R_DUPLICATE_CLORDID, "ClOrdID is in use by a replaced order");
    return;
  }
  oms_submit_result_t res;
  int rc = oms_engine_submit(s->gw->cfg.engine, &req, &res);
  if (res.duplicate) {
    if (poss_flag(m)) {
      /* The same request again: the same order, its status now. */
      oms_fix_exec_report_t er;
      er_bufs_t b;
      er_from_order(s->gw, &res.order, &er, &b, OMS_FIX_EXEC_TYPE_ORDER_STATUS);
      er.cl_ord_id = no.o.cl_ord_id;
      send_er(s, &er);
    } else {
      send_new_reject(s, &no, NULL, OMS_R_DUPLICATE_CLORDID,
                      "ClOrdID already used in this session");
    }
    return;
  }
  if (rc != 0 && res.order.order_id == 0)
    send_new_reject(s, &no, NULL, res.reject.code, res.reject.text);
  /* Otherwise the engine's events answer (SUBMITTED, or REJECTED/DENIED). */
}

/* The order named by OrigClOrdID for F/G; answers a reject itself on failure. */
static int target_order(gw_session_t *s, oms_fix_str_t clordid, oms_fix_str_t orig,
                        oms_fix_str_t account, char response_to, oms_order_t *o) {
  if (!account_ok(s, account) || find_order(s, orig, o) != 0) {
    send_cancel_reject(s, clordid, orig, NULL, response_to, OMS_FIX_CXL_REJ_UNKNOWN_ORDER,
                       OMS_R_UNKNOWN_ORDER, "unknown order");
    return OMS_ENOTFOUND;
  }
  track_t *t = track_find(s->gw, o->order_id);
  if (t != NULL && t->pend_kind != 0) {
    send_cancel_reject(s, clordid, orig, o, response_to, OMS_FIX_CXL_REJ_PENDING,
                       OMS_R_ORDER_PENDING, "a cancel or replace is already pending");
    return OMS_ESTATE;
  }
  char id[OMS_ID_MAX + 1];
  if (copy_str(id, sizeof id, clordid) != 0 || idx_find(s->gw, s->idx, id, NULL) ||
      strcmp(id, o->client_order_id) == 0 || strcmp(id, cur_clordid(s->gw, o)) == 0) {
    send_cancel_reject(s, clordid, orig, o, response_to, OMS_FIX_CXL_REJ_DUPLICATE_CLORDID,
                       OMS_R_DUPLICATE_CLORDID, "ClOrdID missing, too long or already in use");
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
    if (strcmp(t->cur, o->client_order_id) == 0) track_del(s->gw, t);
    return NULL;
  }
  return t;
}

static void untrack_pending(gw_session_t *s, uint64_t order_id, const oms_order_t *o) {
  track_t *t = track_find(s->gw, order_id);
  if (t == NULL) return;
  if (t->pend_kind != 0) idx_del(s->gw, s->idx, t->pend);
  t->pend_kind = 0;
  t->pend[0] = '\0';
  if (strcmp(t->cur, o->client_order_id) == 0) track_del(s->gw, t);
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
                       OMS_FIX_CXL_REJ_OTHER, OMS_R_CAPACITY, "too many orders in flight");
    return;
  }
  oms_reject_t rej;
  if (oms_engine_cancel(s->gw->cfg.engine, o.order_id, &rej) != 0) {
    untrack_pending(s, o.order_id, &o);
    send_cancel_reject(s, c.cl_ord_id, c.orig_cl_ord_id, &o, OMS_FIX_CXL_REJ_RESPONSE_TO_CANCEL,
                       cxl_rej_reason(rej.code), rej.code, rej.text);
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
  char side = o.side == OMS_SIDE_SELL ? OMS_FIX_SIDE_SELL : OMS_FIX_SIDE_BUY;
  if (copy_str(sym, sizeof sym, r.o.symbol) != 0 || strcmp(sym, o.symbol) != 0 ||
      r.o.side != side || r.o.ord_type != (char)('0' + o.type)) {
    send_cancel_reject(s, r.o.cl_ord_id, r.orig_cl_ord_id, &o, to, OMS_FIX_CXL_REJ_OTHER,
                       OMS_R_UNSUPPORTED, "a replace may not change symbol, side or order type");
    return;
  }
  if (parse_dec(r.o.order_qty, &mod.qty) != 0 || parse_dec(r.o.price, &mod.price) != 0 ||
      parse_dec(r.o.stop_px, &mod.stop_price) != 0) {
    send_cancel_reject(s, r.o.cl_ord_id, r.orig_cl_ord_id, &o, to, OMS_FIX_CXL_REJ_OTHER,
                       OMS_R_NOTIONAL_OVERFLOW, "a quantity or price out of range");
    return;
  }
  char new_id[OMS_ID_MAX + 1];
  if (copy_str(new_id, sizeof new_id, r.o.cl_ord_id) == 0) mod.client_order_id = new_id;
  if (track_pending(s, &o, r.o.cl_ord_id, 'G') == NULL) {
    send_cancel_reject(s, r.o.cl_ord_id, r.orig_cl_ord_id, &o, to, OMS_FIX_CXL_REJ_OTHER,
                       OMS_R_CAPACITY, "too many orders in flight");
    return;
  }
  oms_reject_t rej;
  if (oms_engine_modify(s->gw->cfg.engine, o.order_id, &mod, &rej) != 0) {
    untrack_pending(s, o.order_id, &o);
    send_cancel_reject(s, r.o.cl_ord_id, r.orig_cl_ord_id, &o, to, cxl_rej_reason(rej.code),
                       rej.code, rej.text);
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
    er.text = oms_fix_str("UNKNOWN_ORDER: unknown order");
  }
  er.cl_ord_id = q.cl_ord_id;
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
  (void)oms_fix_session_send_mass_cancel_report(s->fs, &r);
}

static int on_app_msg(void *ctx, const oms_fix_msg_t *m) {
  gw_session_t *s = ctx;
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
  else {
    int64_t seq = 0;
    (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_MsgSeqNum, &seq);
    oms_fix_business_reject_t br = {.ref_seq_num = seq,
                                    .ref_msg_type = m->msg_type,
                                    .reason = OMS_FIX_BRR_UNSUPPORTED_MSG_TYPE,
                                    .text = oms_fix_str("unsupported message type")};
    (void)oms_fix_session_send_business_reject(s->fs, &br);
  }
  return 0;
}

/* ---- Engine events ------------------------------------------------------------------------ */

static gw_session_t *session_of(oms_gateway_t *gw, const oms_order_t *o) {
  for (size_t i = 0; i < gw->nsessions; i++)
    if (strcmp(gw->sessions[i]->client, o->strategy_id) == 0) return gw->sessions[i];
  return NULL;
}

void oms_gateway_on_event(oms_gateway_t *gw, const oms_event_t *ev) {
  if (ev->seq == 0 || !oms_event_is_order(ev->type) || ev->type == OMS_EVT_NONE) return;
  const oms_order_t *o = &ev->order;
  gw_session_t *s = session_of(gw, o);
  if (s == NULL) return;
  track_t *t = track_find(gw, o->order_id);
  const char *cur = t != NULL ? t->cur : o->cur_client_order_id;
  const char *pend = t != NULL && t->pend_kind != 0 ? t->pend : NULL;
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
    case OMS_EVT_ORDER_CANCEL_REJECTED:
    case OMS_EVT_ORDER_REPLACE_REJECTED: {
      char to = ev->type == OMS_EVT_ORDER_CANCEL_REJECTED ? OMS_FIX_CXL_REJ_RESPONSE_TO_CANCEL
                                                          : OMS_FIX_CXL_REJ_RESPONSE_TO_REPLACE;
      send_cancel_reject(s, oms_fix_str(pend ? pend : cur), oms_fix_str(cur), o, to,
                         cxl_rej_reason(ev->reason), ev->reason, ev->text);
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
  bool takes_pending =
      pend != NULL && ((t->pend_kind == 'F' && (ev->type == OMS_EVT_ORDER_PENDING_CANCEL ||
                                                ev->type == OMS_EVT_ORDER_CANCELLED)) ||
                       (t->pend_kind == 'G' && (ev->type == OMS_EVT_ORDER_PENDING_REPLACE ||
                                                ev->type == OMS_EVT_ORDER_REPLACED)));
  if (takes_pending) {
    er.cl_ord_id = oms_fix_str(pend);
    er.orig_cl_ord_id = oms_fix_str(cur);
  }
  if (exec_type == OMS_FIX_EXEC_TYPE_TRADE) {
    oms_dec_format(ev->fill.qty, b.last_qty, sizeof b.last_qty);
    oms_dec_format(ev->fill.price, b.last_px, sizeof b.last_px);
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
  send_er(s, &er);
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
