/*
 * fix_venue.c - a venue reached over FIX 4.4, as a FIX initiator behind the
 * venue interface (see include/oms/fix_venue.h for what it does; this note
 * says how).
 *
 * NOTES ON THE DESIGN
 *
 * Connection. One socket at a time, non-blocking, in four states: IDLE
 * (outside the schedule, or stopped), WAIT (backing off until retry_ns),
 * CONNECTING (connect(2) in progress) and OPEN (the session runs). Every
 * failure (refused, reset, the session dropping the connection) closes the
 * socket and waits: 1 s after the first failure, doubling up to the maximum;
 * a session that reached Logon starts the ladder again. All of it is done by
 * poll(now), the only place that reads the socket, so reports reach the core
 * from poll() as the venue interface requires; the session's timers run once
 * a second from there too.
 *
 * Output. The session writes whole messages; what the socket does not take
 * at once waits in a fixed output buffer flushed by poll(). A buffer that
 * fills up means a venue that does not read: the connection is dropped (the
 * session's resend repairs the rest after reconnect).
 *
 * Write-ahead. With an asynchronous store (omsd's), a message whose number
 * or content is not yet durable waits in the FIX outbox the gateway uses
 * too (fix/outbox.h), tagged with the store's last ticket, and poll()
 * releases it once the store reports that ticket durable; after a crash no
 * number the venue saw is used again for other content. Everything behind a
 * waiting message waits too, so the order on the wire is the session's.
 *
 * Validation. Inbound messages are checked against FIX 4.4 as the gateway
 * checks its clients', except enumerations and user tags 5000-9999: a
 * venue's dialect (a FIX 4.2 ExecType 1 or 2, its own tags) is not ours to
 * refuse. The mapping takes what it understands; an ExecType it does not is
 * logged and counted and changes nothing.
 *
 * The session's store. Sequence numbers and the messages we sent come from
 * the store given in the configuration (omsd gives a durable one); without
 * one, a ring of the last resend_window messages in memory serves
 * ResendRequest, and numbers restart at 1 with the process.
 *
 * Orders. A record per live order (pool + core/u64map by order id) keeps what
 * F, G and H must repeat. Every ExecutionReport refreshes it from the venue's
 * fields, so the answers to a mass status query rebuild the records of a
 * restarted omsd. A terminal report frees the record.
 *
 * ClOrdIDs. "<prefix><id>" and "<prefix><id>.<n>": parsed back, never looked
 * up, so they map after any restart; n counts the cancels and replaces of the
 * order (the record's `ver`), `known` is the version the venue knows the
 * order by (the last one it acknowledged), which is the OrigClOrdID of the
 * next request.
 */
#include "oms/fix_venue.h"
#include "venue/fix_md.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/u64map.h"
#include "fix/outbox.h"
#include "oms/error.h"
#include "oms/fix.h"
#include "oms/fix_dict.h"
#include "oms/fix_tags.h"
#include "oms/order_fix.h"

#define NS_PER_S INT64_C(1000000000)
#define DEFAULT_MAX_ORDERS 16384
#define DEFAULT_REPORT_QUEUE 256
#define DEFAULT_RESEND_WINDOW 1024
#define DEFAULT_MAX_MSG 4096
#define OUT_CAP (256 * 1024)
#define PREFIX_MAX 8

enum { C_IDLE, C_WAIT, C_CONNECTING, C_OPEN };

/* ExecType(150) values fix.h does not name: the FIX 4.2 fills some venues
 * still send, and the FIX 4.4 trade bust and correction. */
enum { ET_PARTIAL_FILL_42 = '1', ET_FILL_42 = '2', ET_TRADE_CORRECT = 'G', ET_TRADE_CANCEL = 'H' };
#define MASS_STATUS_ALL_ORDERS 7 /* MassStatusReqType(585) */
#define MD_SUBSCRIBE '1'         /* SubscriptionRequestType(263): snapshot + updates */
#define MD_LEVELS OMS_MD_DEPTH   /* MarketDepth(264): levels a side asked for */
#define MD_UNSUBSCRIBE '2'       /* SubscriptionRequestType(263): disable */
#define MD_FULL_REFRESH 0        /* MDUpdateType(265) */
#define MD_INCREMENTAL 1
enum { MD_BID = '0', MD_OFFER = '1', MD_TRADE = '2' }; /* MDEntryType(269) */
#define LIQ_ADDED 1                                    /* LastLiquidityInd(851) */
#define LIQ_REMOVED 2

typedef struct rec_s {
  uint64_t order_id; /* 0: free */
  char symbol[OMS_SYMBOL_MAX + 1];
  char account[OMS_ID_MAX + 1];
  char venue_order_id[OMS_ID_MAX + 1];
  oms_side_t side;
  oms_ord_type_t type;
  oms_tif_t tif;
  oms_dec_t qty, price, stop;
  uint32_t ver;   /* ClOrdIDs used after the first */
  uint32_t known; /* the version the venue knows the order by */
  uint32_t next_free;
} rec_t;

typedef struct mem_msg_s {
  int64_t seq; /* 0: empty */
  uint32_t len;
} mem_msg_t;

typedef struct fix_venue_s {
  oms_venue_t base; /* first: the core holds an oms_venue_t* */
  oms_fix_venue_config_t cfg;
  char host[64], sender[OMS_ID_MAX + 1], target[OMS_ID_MAX + 1];
  char user[128], pass[128], account[OMS_ID_MAX + 1], exdest[OMS_ID_MAX + 1];
  char prefix[PREFIX_MAX + 1];
  oms_fix_venue_symbol_t syms[OMS_FIX_VENUE_MAX_SYMBOLS];
  char sym_text[OMS_FIX_VENUE_MAX_SYMBOLS][2][OMS_SYMBOL_MAX + 1];
  oms_fix_venue_tag_t tags[OMS_FIX_VENUE_MAX_TAGS];
  char md_syms[OMS_FIX_VENUE_MAX_SYMBOLS][OMS_SYMBOL_MAX + 1]; /* OMS names */
  oms_market_data_t md;
  /* Each md_syms[i]'s book (fix_md.h), and for an untrusted one whether its
   * snapshot was asked for again and when it may be asked for next. */
  oms__md_book_t books[OMS_FIX_VENUE_MAX_SYMBOLS];
  bool md_asked[OMS_FIX_VENUE_MAX_SYMBOLS];
  int64_t md_retry_ns[OMS_FIX_VENUE_MAX_SYMBOLS];
  bool md_live[OMS_FIX_VENUE_MAX_SYMBOLS]; /* LIVE when last delivered (logged on change) */
  char tag_text[OMS_FIX_VENUE_MAX_TAGS][OMS_ID_MAX + 1];

  oms_fix_session_t *s;
  oms_clock_t clock;
  int fd;
  int cstate;
  int stopping;
  int destroying;
  int was_active;
  int64_t retry_ns, backoff_ns, last_timer_ns;
  uint64_t status_req, mass_req;

  char *in;
  size_t in_len, in_cap;
  char *out;
  size_t out_len;
  oms__fix_outbox_t ob; /* messages waiting for their store ticket */

  rec_t *recs;
  uint32_t nrecs, free_head;
  oms__u64map_t by_id;

  oms_exec_report_t *queue; /* refusals, delivered by poll() */
  uint32_t q_cap, q_head, q_len;

  /* The in-memory store (cfg.store NULL). */
  int64_t mem_next_sender, mem_next_target;
  int mem_have;
  mem_msg_t *mem_idx;
  char *mem_data;
  uint32_t mem_slots;

  oms_exec_report_t rep; /* the report being built from an inbound message */
  oms_fix_venue_stats_t stats;
} fix_venue_t;

static const oms_venue_vtbl_t fix_vtbl;
static int active(const fix_venue_t *v);

__attribute__((format(printf, 3, 4))) static void vlog(fix_venue_t *v, oms_fix_log_level_t lvl,
                                                       const char *fmt, ...) {
  if (!v->cfg.log) return;
  char text[320];
  int n = snprintf(text, sizeof text, "venue=%s ", v->base.name);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
  va_end(ap);
  v->cfg.log(v->cfg.log_ctx, lvl, text);
}

static int64_t now(const fix_venue_t *v) { return oms_clock_now(&v->clock); }

/* ------------------------------------------------------------------------ */
/* Schedule                                                                   */

int oms_fix_schedule_open(const oms_fix_schedule_t *s, int64_t t_ns) {
  if (s->days == 0 && s->start_s == s->end_s) return 1;
  int64_t t = t_ns / NS_PER_S;
  int64_t day = t / 86400;
  int32_t sod = (int32_t)(t % 86400);
  /* 1970-01-01 was a Thursday (4, with Sunday 0). A window across midnight
   * belongs to the day it started on. */
  int in_window;
  if (s->start_s == s->end_s) {
    in_window = 1;
  } else if (s->start_s < s->end_s) {
    in_window = sod >= s->start_s && sod < s->end_s;
  } else {
    in_window = sod >= s->start_s || sod < s->end_s;
    if (sod < s->end_s) day--;
  }
  if (!in_window) return 0;
  int wd = (int)((day + 4) % 7);
  return s->days == 0 || (s->days >> wd) & 1;
}

/* ------------------------------------------------------------------------ */
/* The in-memory store                                                        */

static int mem_load_seqnums(void *ctx, int64_t *ns, int64_t *nt) {
  fix_venue_t *v = ctx;
  if (!v->mem_have) return OMS_ENOTFOUND;
  *ns = v->mem_next_sender;
  *nt = v->mem_next_target;
  return 0;
}
static int mem_save_seqnums(void *ctx, int64_t ns, int64_t nt) {
  fix_venue_t *v = ctx;
  v->mem_next_sender = ns;
  v->mem_next_target = nt;
  v->mem_have = 1;
  return 0;
}
static int mem_save_sent(void *ctx, int64_t seq, const char *data, size_t len) {
  fix_venue_t *v = ctx;
  if (len > v->cfg.max_msg_len) return OMS_ENOSPC;
  uint32_t i = (uint32_t)(seq % v->mem_slots);
  v->mem_idx[i].seq = seq;
  v->mem_idx[i].len = (uint32_t)len;
  memcpy(v->mem_data + (size_t)i * v->cfg.max_msg_len, data, len);
  return 0;
}
static int mem_load_sent(void *ctx, int64_t seq, char *buf, size_t cap, size_t *len) {
  fix_venue_t *v = ctx;
  uint32_t i = (uint32_t)(seq % v->mem_slots);
  if (v->mem_idx[i].seq != seq) return OMS_ENOTFOUND;
  size_t n = v->mem_idx[i].len < cap ? v->mem_idx[i].len : cap;
  memcpy(buf, v->mem_data + (size_t)i * v->cfg.max_msg_len, n);
  *len = n;
  return 0;
}
static int mem_reset(void *ctx) {
  fix_venue_t *v = ctx;
  memset(v->mem_idx, 0, sizeof(*v->mem_idx) * v->mem_slots);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Records and ClOrdIDs                                                       */

static rec_t *rec_find(fix_venue_t *v, uint64_t id) {
  uint64_t slot;
  return id && oms__u64map_get(&v->by_id, id, &slot) ? &v->recs[slot] : NULL;
}

static rec_t *rec_get(fix_venue_t *v, uint64_t id) {
  rec_t *r = rec_find(v, id);
  if (r || !id || v->free_head == UINT32_MAX) return r;
  uint32_t slot = v->free_head;
  if (oms__u64map_put(&v->by_id, id, slot) != 0) return NULL;
  r = &v->recs[slot];
  v->free_head = r->next_free;
  memset(r, 0, sizeof *r);
  r->order_id = id;
  return r;
}

static void rec_free(fix_venue_t *v, rec_t *r) {
  uint32_t slot = (uint32_t)(r - v->recs);
  oms__u64map_del(&v->by_id, r->order_id);
  r->order_id = 0;
  r->next_free = v->free_head;
  v->free_head = slot;
}

static void cl_ord_id(const fix_venue_t *v, uint64_t id, uint32_t ver, char *out, size_t cap) {
  if (ver == 0)
    snprintf(out, cap, "%s%llu", v->prefix, (unsigned long long)id);
  else
    snprintf(out, cap, "%s%llu.%u", v->prefix, (unsigned long long)id, ver);
}

/* The order id and version of one of our ClOrdIDs; 0 when it is not ours. */
static uint64_t parse_cl_ord_id(const fix_venue_t *v, oms_fix_str_t s, uint32_t *ver) {
  size_t pl = strlen(v->prefix), i = pl;
  *ver = 0;
  if (s.len <= pl || memcmp(s.ptr, v->prefix, pl) != 0) return 0;
  uint64_t id = 0;
  for (; i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9'; i++) {
    if (id > (UINT64_MAX - 9) / 10) return 0;
    id = id * 10 + (uint64_t)(s.ptr[i] - '0');
  }
  if (i == pl) return 0;
  if (i < s.len) {
    if (s.ptr[i] != '.' || i + 1 == s.len) return 0;
    uint64_t n = 0;
    for (i++; i < s.len; i++) {
      if (s.ptr[i] < '0' || s.ptr[i] > '9' || n > UINT32_MAX / 10) return 0;
      n = n * 10 + (uint64_t)(s.ptr[i] - '0');
    }
    *ver = (uint32_t)n;
  }
  return id;
}

static const char *venue_symbol(const fix_venue_t *v, const char *sym) {
  for (size_t i = 0; i < v->cfg.nsymbols; i++)
    if (strcmp(v->syms[i].oms, sym) == 0) return v->syms[i].venue;
  return sym;
}

/* The index in md_syms of the venue's name sym; -1 when it is not one we
 * asked for. */
static int md_index(const fix_venue_t *v, oms_fix_str_t sym) {
  for (size_t i = 0; i < v->cfg.n_md_symbols; i++)
    if (oms_fix_str_eq(sym, venue_symbol(v, v->md_syms[i]))) return (int)i;
  return -1;
}

/* ------------------------------------------------------------------------ */
/* Socket                                                                     */

static void close_socket(fix_venue_t *v) {
  if (v->fd >= 0 && v->cfg.on_socket && !v->destroying)
    v->cfg.on_socket(v->cfg.socket_ctx, v->fd, -1);
  if (v->fd >= 0) close(v->fd);
  v->fd = -1;
  v->in_len = 0;
  v->out_len = 0;
  /* What still waits is stored: the venue asks for it after the Logon. */
  oms__fix_outbox_clear(&v->ob);
}

static void notify(fix_venue_t *v, bool up) {
  if (v->base.handler.on_connection) v->base.handler.on_connection(v->base.handler.ctx, up);
}

/* The connection is over: wait before the next attempt. */
static void lost(fix_venue_t *v, const char *why) {
  int was_open = v->cstate == C_OPEN;
  oms_fix_session_reset_connection(v->s);
  close_socket(v);
  if (v->was_active) {
    v->was_active = 0;
    notify(v, false);
  }
  if (v->stopping) {
    v->cstate = C_IDLE;
    return;
  }
  v->cstate = C_WAIT;
  v->retry_ns = now(v) + v->backoff_ns;
  vlog(v, OMS_FIX_LOG_WARN, "msg=\"connection lost\" why=\"%s\" retry_in_ms=%lld%s", why,
       (long long)(v->backoff_ns / 1000000), was_open ? "" : " (not connected)");
  v->backoff_ns *= 2;
  if (v->backoff_ns > v->cfg.reconnect_max_ns) v->backoff_ns = v->cfg.reconnect_max_ns;
}

static int flush_out(fix_venue_t *v) {
  size_t off = 0;
  while (off < v->out_len) {
    ssize_t n = send(v->fd, v->out + off, v->out_len - off, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      return OMS_EIO;
    }
    off += (size_t)n;
  }
  memmove(v->out, v->out + off, v->out_len - off);
  v->out_len -= off;
  return 0;
}

static int write_now(void *ctx, const char *data, size_t len) {
  fix_venue_t *v = ctx;
  if (v->fd < 0) return OMS_EDOWN;
  if (v->out_len + len > OUT_CAP) return OMS_EFULL;
  memcpy(v->out + v->out_len, data, len);
  v->out_len += len;
  return flush_out(v);
}

static uint64_t durable_upto(const fix_venue_t *v) {
  return v->cfg.durable_ticket ? v->cfg.durable_ticket(v->cfg.ticket_ctx) : UINT64_MAX;
}

static int io_send(void *ctx, const char *data, size_t len) {
  fix_venue_t *v = ctx;
  if (v->fd < 0) return OMS_EDOWN;
  uint64_t t = v->cfg.last_ticket ? v->cfg.last_ticket(v->cfg.ticket_ctx) : 0;
  if (oms__fix_outbox_empty(&v->ob) && t <= durable_upto(v)) return write_now(v, data, len);
  return oms__fix_outbox_push(&v->ob, t, data, len);
}

/* Writes what became durable; a write failure ends the connection. */
static int pump_outbox(fix_venue_t *v) {
  if (oms__fix_outbox_empty(&v->ob)) return 0;
  int err = 0;
  (void)oms__fix_outbox_pump(&v->ob, durable_upto(v), write_now, v, &err);
  return err;
}

/* From inside the session: only close here; lost() runs from poll(). */
static void io_disconnect(void *ctx, const char *reason) {
  fix_venue_t *v = ctx;
  vlog(v, OMS_FIX_LOG_INFO, "msg=\"session ended\" why=\"%s\"", reason);
  if (v->fd >= 0) (void)flush_out(v); /* the Logout, when there is one */
}

static int queue_report(fix_venue_t *v, const oms_exec_report_t *r);

/* What the venue sent that we could not use becomes an alarm in the core
 * (queued: this may run inside a send, and reports leave from poll only). */
static void venue_error(fix_venue_t *v, const char *cl_ord_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void venue_error(fix_venue_t *v, const char *cl_ord_id, const char *fmt, ...) {
  oms_exec_report_t r;
  memset(&r, 0, sizeof r);
  r.type = OMS_EXEC_VENUE_ERROR;
  if (cl_ord_id != NULL) snprintf(r.cl_ord_id, sizeof r.cl_ord_id, "%s", cl_ord_id);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r.text, sizeof r.text, fmt, ap);
  va_end(ap);
  if (queue_report(v, &r) != 0) v->stats.bad_reports++;
}

static void io_log(void *ctx, oms_fix_log_level_t lvl, const char *text) {
  fix_venue_t *v = ctx;
  vlog(v, lvl, "msg=\"%s\"", text);
  /* The session's errors are the venue's protocol errors: garbage, a wrong
   * CompID, a sequence number too low... */
  if (lvl == OMS_FIX_LOG_ERROR) venue_error(v, NULL, "FIX session: %s", text);
}

static void start_connect(fix_venue_t *v) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)v->cfg.port);
  (void)inet_pton(AF_INET, v->host, &a.sin_addr);
  v->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (v->fd < 0) {
    lost(v, "socket");
    return;
  }
  int one = 1;
  (void)setsockopt(v->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (v->cfg.on_socket) v->cfg.on_socket(v->cfg.socket_ctx, -1, v->fd);
  if (connect(v->fd, (struct sockaddr *)&a, sizeof a) == 0 || errno == EINPROGRESS) {
    v->cstate = C_CONNECTING;
    return;
  }
  lost(v, "connect refused");
}

/* connect(2) finished: start the session (it sends our Logon). */
static void connected(fix_venue_t *v) {
  int err = 0;
  socklen_t el = sizeof err;
  if (getsockopt(v->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
    if (err == EINPROGRESS || err == EALREADY) return;
    lost(v, "connect failed");
    return;
  }
  struct sockaddr_in peer;
  socklen_t pl = sizeof peer;
  if (getpeername(v->fd, (struct sockaddr *)&peer, &pl) != 0) {
    if (errno == ENOTCONN) return; /* still in progress */
    lost(v, "connect failed");
    return;
  }
  v->stats.connects++;
  v->cstate = C_OPEN;
  v->last_timer_ns = now(v);
  int rc = oms_fix_session_connect(v->s);
  if (rc != 0 && rc != OMS_ECLOSED) vlog(v, OMS_FIX_LOG_ERROR, "msg=\"logon failed\" rc=%d", rc);
}

static void read_socket(fix_venue_t *v) {
  for (;;) {
    if (v->in_len == v->in_cap) {
      lost(v, "message larger than the input buffer");
      return;
    }
    ssize_t n = recv(v->fd, v->in + v->in_len, v->in_cap - v->in_len, 0);
    if (n == 0) {
      lost(v, "closed by venue");
      return;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) lost(v, "read error");
      return;
    }
    v->in_len += (size_t)n;
    size_t used = 0;
    (void)oms_fix_session_on_bytes(v->s, v->in, v->in_len, &used);
    memmove(v->in, v->in + used, v->in_len - used);
    v->in_len -= used;
    if (oms_fix_session_state(v->s) == OMS_FIX_SESSION_DISCONNECTED) {
      lost(v, "session ended");
      return;
    }
  }
}

/* ------------------------------------------------------------------------ */
/* Reports                                                                    */

static void deliver(fix_venue_t *v, const oms_exec_report_t *r) {
  v->stats.reports++;
  if (r->order_id == 0) v->stats.unmapped++;
  if (v->base.handler.on_report) v->base.handler.on_report(v->base.handler.ctx, r);
}

static void copy_view(char *dst, size_t cap, oms_fix_str_t s) {
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  if (n) memcpy(dst, s.ptr, n);
  dst[n] = '\0';
}

static void get_id(const oms_fix_msg_t *m, uint32_t tag, char *dst, size_t cap) {
  oms_fix_str_t s = {NULL, 0};
  (void)oms_fix_msg_get_str(m, tag, &s);
  copy_view(dst, cap, s);
}

static oms_dec_t get_dec(const oms_fix_msg_t *m, uint32_t tag) {
  oms_fix_str_t s;
  oms_dec_t d = OMS_DEC_ZERO;
  if (oms_fix_msg_get_decimal(m, tag, &s) == 0) (void)oms_dec_parse(s.ptr, s.len, &d);
  return d;
}

static oms_venue_status_t vstatus(char ord_status) {
  switch (ord_status) {
    case OMS_FIX_ORD_STATUS_FILLED: return OMS_VSTATUS_FILLED;
    case OMS_FIX_ORD_STATUS_CANCELED: return OMS_VSTATUS_CANCELLED;
    case OMS_FIX_ORD_STATUS_REJECTED: return OMS_VSTATUS_REJECTED;
    case OMS_FIX_ORD_STATUS_EXPIRED:
    case OMS_FIX_ORD_STATUS_DONE_FOR_DAY: return OMS_VSTATUS_EXPIRED;
    default: return OMS_VSTATUS_WORKING;
  }
}

static int has(const oms_fix_msg_t *m, uint32_t tag) {
  size_t i;
  return oms_fix_msg_find(m, tag, 0, &i) == 0;
}

/* The venue's view of the order, kept for the requests that repeat it. */
static void refresh(rec_t *r, const oms_fix_msg_t *m, uint32_t ver) {
  oms_fix_str_t s;
  char c;
  if (oms_fix_msg_get_str(m, OMS_FIX_TAG_Symbol, &s) == 0)
    copy_view(r->symbol, sizeof r->symbol, s);
  if (oms_fix_msg_get_str(m, OMS_FIX_TAG_OrderID, &s) == 0)
    copy_view(r->venue_order_id, sizeof r->venue_order_id, s);
  if (oms_fix_msg_get_char(m, OMS_FIX_TAG_Side, &c) == 0) (void)oms_side_of_fix(c, &r->side);
  if (has(m, OMS_FIX_TAG_OrderQty)) r->qty = get_dec(m, OMS_FIX_TAG_OrderQty);
  if (has(m, OMS_FIX_TAG_Price)) r->price = get_dec(m, OMS_FIX_TAG_Price);
  if (has(m, OMS_FIX_TAG_StopPx)) r->stop = get_dec(m, OMS_FIX_TAG_StopPx);
  if (oms_fix_msg_get_char(m, OMS_FIX_TAG_OrdType, &c) == 0) (void)oms_ord_type_of_fix(c, &r->type);
  if (ver > r->known) r->known = ver;
  if (ver > r->ver) r->ver = ver;
}

/* ExecutionReport(8) -> v->rep. Returns 1 to deliver, 0 for none. */
static int map_exec_report(fix_venue_t *v, const oms_fix_msg_t *m) {
  oms_exec_report_t *r = &v->rep;
  memset(r, 0, sizeof *r);
  char et = 0, os = 0;
  if (oms_fix_msg_get_char(m, OMS_FIX_TAG_ExecType, &et) != 0) {
    v->stats.bad_reports++;
    vlog(v, OMS_FIX_LOG_ERROR, "msg=\"ExecutionReport without ExecType: ignored\"");
    venue_error(v, NULL, "ExecutionReport without ExecType(150): ignored");
    return 0;
  }
  (void)oms_fix_msg_get_char(m, OMS_FIX_TAG_OrdStatus, &os);
  oms_fix_str_t cl = {NULL, 0}, orig = {NULL, 0};
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_ClOrdID, &cl);
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_OrigClOrdID, &orig);
  uint32_t ver = 0, over = 0;
  r->order_id = parse_cl_ord_id(v, cl, &ver);
  if (!r->order_id) r->order_id = parse_cl_ord_id(v, orig, &over);
  copy_view(r->cl_ord_id, sizeof r->cl_ord_id, cl);
  get_id(m, OMS_FIX_TAG_OrderID, r->venue_order_id, sizeof r->venue_order_id);
  get_id(m, OMS_FIX_TAG_ExecID, r->exec_id, sizeof r->exec_id);
  get_id(m, OMS_FIX_TAG_Text, r->text, sizeof r->text);
  r->cum_qty = get_dec(m, OMS_FIX_TAG_CumQty);
  r->leaves_qty = get_dec(m, OMS_FIX_TAG_LeavesQty);
  r->avg_px = get_dec(m, OMS_FIX_TAG_AvgPx);
  int64_t t = 0;
  r->ts_ns = oms_fix_msg_get_time(m, OMS_FIX_TAG_TransactTime, &t) == 0 ? t : now(v);
  int terminal = 0;
  switch (et) {
    case OMS_FIX_EXEC_TYPE_NEW: r->type = OMS_EXEC_ACCEPTED; break;
    case ET_PARTIAL_FILL_42:
    case ET_FILL_42:
    case OMS_FIX_EXEC_TYPE_TRADE: {
      r->type = OMS_EXEC_FILL;
      r->last_qty = get_dec(m, OMS_FIX_TAG_LastQty);
      r->last_px = get_dec(m, OMS_FIX_TAG_LastPx);
      r->fee = get_dec(m, OMS_FIX_TAG_Commission);
      int64_t liq = 0;
      if (oms_fix_msg_get_int(m, OMS_FIX_TAG_LastLiquidityInd, &liq) == 0)
        r->liquidity = liq == LIQ_ADDED ? 'M' : liq == LIQ_REMOVED ? 'T' : 0;
      terminal = os == OMS_FIX_ORD_STATUS_FILLED;
      break;
    }
    case OMS_FIX_EXEC_TYPE_CANCELED:
      /* A cancel is no refusal: whether asked for or the venue's own (an IOC's
       * rest, say), its Text says why; VENUE_REJECT here mislabelled every
       * cancel a group or a client asked for in the event log. */
      r->type = OMS_EXEC_CANCELLED;
      r->reason = OMS_R_NONE;
      terminal = 1;
      break;
    case OMS_FIX_EXEC_TYPE_REPLACED:
      r->type = OMS_EXEC_REPLACED;
      r->new_qty = get_dec(m, OMS_FIX_TAG_OrderQty);
      r->new_price = get_dec(m, OMS_FIX_TAG_Price);
      r->new_stop_price = get_dec(m, OMS_FIX_TAG_StopPx);
      break;
    case OMS_FIX_EXEC_TYPE_REJECTED: {
      r->type = OMS_EXEC_REJECTED;
      int64_t why = -1;
      (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_OrdRejReason, &why);
      r->reason = why == OMS_FIX_ORD_REJ_UNKNOWN_SYMBOL    ? OMS_R_UNKNOWN_INSTRUMENT
                  : why == OMS_FIX_ORD_REJ_DUPLICATE_ORDER ? OMS_R_DUPLICATE_CLORDID
                                                           : OMS_R_VENUE_REJECT;
      terminal = 1;
      break;
    }
    case OMS_FIX_EXEC_TYPE_DONE_FOR_DAY:
    case OMS_FIX_EXEC_TYPE_EXPIRED:
      r->type = OMS_EXEC_EXPIRED;
      terminal = 1;
      break;
    case OMS_FIX_EXEC_TYPE_RESTATED:
      r->type = OMS_EXEC_RESTATED;
      r->new_qty = get_dec(m, OMS_FIX_TAG_OrderQty);
      r->new_price = get_dec(m, OMS_FIX_TAG_Price);
      r->new_stop_price = get_dec(m, OMS_FIX_TAG_StopPx);
      break;
    case OMS_FIX_EXEC_TYPE_ORDER_STATUS: {
      r->type = OMS_EXEC_STATUS;
      int64_t why = -1, tot = -1;
      (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_OrdRejReason, &why);
      r->status = why == OMS_FIX_ORD_REJ_UNKNOWN_ORDER ? OMS_VSTATUS_UNKNOWN : vstatus(os);
      int last = 0;
      (void)oms_fix_msg_get_bool(m, OMS_FIX_TAG_LastRptRequested, &last);
      (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_TotNumReports, &tot);
      r->last_of_batch = last || tot == 0;
      if (tot == 0) r->status = OMS_VSTATUS_UNKNOWN;
      break;
    }
    case ET_TRADE_CANCEL:
      r->type = OMS_EXEC_BUST;
      get_id(m, OMS_FIX_TAG_ExecRefID, r->exec_ref_id, sizeof r->exec_ref_id);
      break;
    case ET_TRADE_CORRECT:
      r->type = OMS_EXEC_CORRECT;
      get_id(m, OMS_FIX_TAG_ExecRefID, r->exec_ref_id, sizeof r->exec_ref_id);
      r->last_qty = get_dec(m, OMS_FIX_TAG_LastQty);
      r->last_px = get_dec(m, OMS_FIX_TAG_LastPx);
      break;
    case OMS_FIX_EXEC_TYPE_PENDING_CANCEL:
    case OMS_FIX_EXEC_TYPE_PENDING_REPLACE:
    case OMS_FIX_EXEC_TYPE_PENDING_NEW: v->stats.pending_reports++; return 0;
    default:
      v->stats.bad_reports++;
      vlog(v, OMS_FIX_LOG_ERROR, "msg=\"unknown ExecType: ignored\" exec_type=%c cl_ord_id=%s", et,
           r->cl_ord_id);
      venue_error(v, r->cl_ord_id, "ExecutionReport with ExecType(150)=%c: ignored", et);
      return 0;
  }
  rec_t *rec = r->order_id ? rec_get(v, r->order_id) : NULL;
  if (rec) {
    refresh(rec, m, et == OMS_FIX_EXEC_TYPE_REPLACED ? ver : 0);
    int done = terminal || (r->type == OMS_EXEC_STATUS && r->status != OMS_VSTATUS_WORKING);
    if (done) rec_free(v, rec);
  }
  return 1;
}

/* OrderCancelReject(9): the request it answers is named by 434. */
static int map_cancel_reject(fix_venue_t *v, const oms_fix_msg_t *m) {
  oms_exec_report_t *r = &v->rep;
  memset(r, 0, sizeof *r);
  char to = 0;
  (void)oms_fix_msg_get_char(m, OMS_FIX_TAG_CxlRejResponseTo, &to);
  r->type = to == OMS_FIX_CXL_REJ_RESPONSE_TO_REPLACE ? OMS_EXEC_REPLACE_REJECTED
                                                      : OMS_EXEC_CANCEL_REJECTED;
  oms_fix_str_t cl = {NULL, 0}, orig = {NULL, 0};
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_ClOrdID, &cl);
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_OrigClOrdID, &orig);
  uint32_t ver;
  r->order_id = parse_cl_ord_id(v, orig, &ver);
  if (!r->order_id) r->order_id = parse_cl_ord_id(v, cl, &ver);
  copy_view(r->cl_ord_id, sizeof r->cl_ord_id, cl);
  get_id(m, OMS_FIX_TAG_OrderID, r->venue_order_id, sizeof r->venue_order_id);
  get_id(m, OMS_FIX_TAG_Text, r->text, sizeof r->text);
  int64_t why = -1;
  (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_CxlRejReason, &why);
  r->reason = why == OMS_FIX_CXL_REJ_UNKNOWN_ORDER ? OMS_R_VENUE_UNKNOWN_ORDER
              : why == OMS_FIX_CXL_REJ_TOO_LATE    ? OMS_R_TOO_LATE
              : why == OMS_FIX_CXL_REJ_PENDING     ? OMS_R_ORDER_PENDING
                                                   : OMS_R_VENUE_REJECT;
  r->ts_ns = now(v);
  return 1;
}

/* Book i as market data to the handler: its levels, or empty when it is not
 * LIVE (a book we cannot trust shows nothing, so nothing routes on it). */
static void md_deliver(fix_venue_t *v, size_t i) {
  oms_market_data_t *md = &v->md;
  memset(md, 0, sizeof *md);
  snprintf(md->symbol, sizeof md->symbol, "%s", v->md_syms[i]);
  oms__md_book_get(&v->books[i], md);
  md->ts_ns = now(v);
  if (v->base.handler.on_market_data) v->base.handler.on_market_data(v->base.handler.ctx, md);
}

/* One MarketDataRequest(V) for symbol i: subscribe (1) or unsubscribe (2),
 * OMS_MD_DEPTH levels a side and trades. Returns 0 or OMS_EDOWN. */
static int md_request(fix_venue_t *v, size_t i, char what) {
  oms_fix_builder_t *b;
  if (oms_fix_session_app_begin(v->s, OMS_FIX_MSG_MarketDataRequest, &b) != 0) return OMS_EDOWN;
  char id[OMS_SYMBOL_MAX + 8];
  snprintf(id, sizeof id, "MD-%s", v->md_syms[i]);
  oms_fix_add_cstr(b, OMS_FIX_TAG_MDReqID, id);
  oms_fix_add_char(b, OMS_FIX_TAG_SubscriptionRequestType, what);
  oms_fix_add_int(b, OMS_FIX_TAG_MarketDepth, MD_LEVELS);
  oms_fix_add_int(b, OMS_FIX_TAG_MDUpdateType,
                  v->cfg.md_incremental ? MD_INCREMENTAL : MD_FULL_REFRESH);
  oms_fix_add_int(b, OMS_FIX_TAG_NoMDEntryTypes, 3);
  oms_fix_add_char(b, OMS_FIX_TAG_MDEntryType, MD_BID);
  oms_fix_add_char(b, OMS_FIX_TAG_MDEntryType, MD_OFFER);
  oms_fix_add_char(b, OMS_FIX_TAG_MDEntryType, MD_TRADE);
  oms_fix_add_int(b, OMS_FIX_TAG_NoRelatedSym, 1);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Symbol, venue_symbol(v, v->md_syms[i]));
  return oms_fix_session_app_send(v->s) == 0 ? 0 : OMS_EDOWN;
}

/* After every Logon: each symbol's book waits for its first snapshot. */
static void subscribe(fix_venue_t *v) {
  for (size_t i = 0; i < v->cfg.n_md_symbols; i++) {
    memset(&v->books[i], 0, sizeof v->books[i]);
    v->md_asked[i] = false;
    v->md_live[i] = false;
    v->md_retry_ns[i] = 0;
  }
  for (size_t i = 0; i < v->cfg.n_md_symbols; i++)
    if (md_request(v, i, MD_SUBSCRIBE) != 0) return;
}

/* The snapshot of every untrusted book, asked for again: the subscription
 * ended and made anew (the venue answers a subscription with a snapshot;
 * a snapshot-only request is not every venue's), at most once a second a
 * book, so a venue whose snapshots keep failing is not flooded. */
static void resnapshot(fix_venue_t *v) {
  if (!active(v)) return;
  int64_t t = now(v);
  for (size_t i = 0; i < v->cfg.n_md_symbols; i++) {
    if (v->books[i].state != OMS__MD_STALE || v->md_asked[i] || t < v->md_retry_ns[i]) continue;
    if (md_request(v, i, MD_UNSUBSCRIBE) != 0 || md_request(v, i, MD_SUBSCRIBE) != 0) return;
    v->md_asked[i] = true;
    v->md_retry_ns[i] = t + NS_PER_S;
    v->stats.md_resnapshots++;
    vlog(v, OMS_FIX_LOG_INFO, "msg=\"market data snapshot asked for again\" symbol=%s",
         v->md_syms[i]);
  }
}

/* Every book the last message touched: delivered, and an untrusted one
 * logged with its reason and its snapshot asked for again. */
static void md_publish(fix_venue_t *v) {
  for (size_t i = 0; i < v->cfg.n_md_symbols; i++) {
    oms__md_book_t *b = &v->books[i];
    if (!b->touched) continue;
    b->touched = false;
    if (b->state == OMS__MD_STALE) {
      v->stats.md_stale++;
      v->md_asked[i] = false;
      vlog(v, OMS_FIX_LOG_WARN, "msg=\"market data book untrusted\" symbol=%s reason=\"%s\"",
           v->md_syms[i], b->why);
    }
    /* An operator (and a test) sees when a book becomes one orders may be
     * routed on: after each subscription's snapshot, and after a recovery. */
    bool live = b->state == OMS__MD_LIVE;
    if (live && !v->md_live[i])
      vlog(v, OMS_FIX_LOG_INFO, "msg=\"market data book live\" symbol=%s", v->md_syms[i]);
    v->md_live[i] = live;
    md_deliver(v, i);
  }
  resnapshot(v);
}

/* Every book followed, untrusted for why (what the venue sent cannot be
 * tied to some symbols, or was lost); with waiting too, the books still
 * waiting for their first snapshot (it may be what was lost). */
static void md_stale_all(fix_venue_t *v, const char *why, bool waiting) {
  for (size_t i = 0; i < v->cfg.n_md_symbols; i++) {
    uint8_t st = v->books[i].state;
    if (st == OMS__MD_LIVE || (waiting && st == OMS__MD_WAIT))
      oms__md_book_stale(&v->books[i], why);
  }
  md_publish(v);
}

/* The session refused or skipped application messages: with incremental
 * updates, if they may have been market data, no book can be trusted. */
static void io_on_app_lost(void *ctx, oms_fix_str_t type, const char *why) {
  fix_venue_t *v = ctx;
  if (!v->cfg.market_data || !v->cfg.md_incremental) return;
  if (type.len != 0 && !oms_fix_str_eq(type, OMS_FIX_MSG_MarketDataIncrementalRefresh) &&
      !oms_fix_str_eq(type, OMS_FIX_MSG_MarketDataSnapshotFullRefresh))
    return;
  vlog(v, OMS_FIX_LOG_WARN, "msg=\"market data lost in the session\" type=%.*s why=\"%s\"",
       (int)type.len, type.len ? type.ptr : "", why);
  md_stale_all(v, "market data lost in the session", true);
}

/* MarketDataSnapshotFullRefresh(W): the whole book of a symbol we follow. A
 * malformed one is refused whole; with incremental updates the book it was
 * to replace is untrusted then, with snapshots alone the venue's previous
 * levels stay (and go stale by age). */
static void on_snapshot(fix_venue_t *v, const oms_fix_msg_t *m) {
  oms_fix_str_t sym;
  int i = oms_fix_msg_get_str(m, OMS_FIX_TAG_Symbol, &sym) == 0 ? md_index(v, sym) : -1;
  if (i < 0) return;
  const char *why = NULL;
  v->md_asked[i] = false;
  if (oms__fix_md_snapshot(&v->books[i], m, &why) == 0) {
    md_publish(v);
    return;
  }
  v->stats.bad_market_data++;
  vlog(v, OMS_FIX_LOG_WARN, "msg=\"market data snapshot refused\" symbol=%s reason=\"%s\"",
       v->md_syms[i], why);
  if (v->cfg.md_incremental) {
    oms__md_book_stale(&v->books[i], why);
    md_publish(v);
  }
}

static oms__md_book_t *find_book(void *ctx, oms_fix_str_t sym) {
  fix_venue_t *v = ctx;
  int i = md_index(v, sym);
  return i < 0 ? NULL : &v->books[i];
}

/* MarketDataIncrementalRefresh(X): applied to the books it names. A resent
 * one (PossDupFlag) came after a gap: what was missed may be gone (a venue
 * may gap-fill market data rather than resend it), and it was written
 * against a book we may no longer have, so its books are untrusted. */
static void on_incremental(fix_venue_t *v, const oms_fix_msg_t *m) {
  int dup = 0;
  (void)oms_fix_msg_get_bool(m, OMS_FIX_TAG_PossDupFlag, &dup);
  const char *why = NULL;
  if (dup) {
    for (size_t k = 0; k < m->nfields; k++) {
      oms__md_book_t *b =
          m->fields[k].tag == OMS_FIX_TAG_Symbol ? find_book(v, oms_fix_msg_value(m, k)) : NULL;
      if (b != NULL && b->state == OMS__MD_LIVE)
        oms__md_book_stale(b, "an incremental refresh resent (PossDupFlag)");
    }
    md_publish(v);
    return;
  }
  int rc = oms__fix_md_apply(m, find_book, v, &why);
  bool any = false, applied = false;
  for (size_t i = 0; i < v->cfg.n_md_symbols; i++) {
    any |= v->books[i].touched;
    applied |= v->books[i].touched && v->books[i].state == OMS__MD_LIVE;
  }
  if (rc != 0) {
    v->stats.bad_market_data++;
    vlog(v, OMS_FIX_LOG_WARN, "msg=\"market data incremental refused\" reason=\"%s\"", why);
    if (!any) md_stale_all(v, why, false); /* it names none of ours: any could be meant */
  } else if (applied) {
    v->stats.md_updates++;
  }
  md_publish(v);
}

static int io_on_app_msg(void *ctx, const oms_fix_msg_t *m) {
  fix_venue_t *v = ctx;
  int out = 0;
  if (oms_fix_msg_is(m, OMS_FIX_MSG_MarketDataSnapshotFullRefresh)) {
    on_snapshot(v, m);
    return 0;
  }
  if (oms_fix_msg_is(m, OMS_FIX_MSG_MarketDataIncrementalRefresh)) {
    on_incremental(v, m);
    return 0;
  }
  if (oms_fix_msg_is(m, OMS_FIX_MSG_ExecutionReport)) {
    out = map_exec_report(v, m);
  } else if (oms_fix_msg_is(m, OMS_FIX_MSG_OrderCancelReject)) {
    out = map_cancel_reject(v, m);
  } else {
    oms_fix_str_t text = {NULL, 0};
    (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_Text, &text);
    vlog(v, OMS_FIX_LOG_WARN, "msg=\"venue message ignored\" type=%.*s text=\"%.*s\"",
         (int)m->msg_type.len, m->msg_type.ptr, (int)text.len, text.ptr ? text.ptr : "");
  }
  if (out) deliver(v, &v->rep);
  return 0;
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                   */

static int queue_report(fix_venue_t *v, const oms_exec_report_t *r) {
  if (v->q_len == v->q_cap) return OMS_EFULL;
  v->queue[(v->q_head + v->q_len) % v->q_cap] = *r;
  v->q_len++;
  return 0;
}

static const char *fix_tif_name(oms_tif_t t) { return oms_tif_str(t); }

/* Why the venue cannot take o, or NULL. A native type (o->native) was
 * declared by the venue's capabilities, not by its ord_types. */
static const char *unsupported(const fix_venue_t *v, const oms_venue_order_t *o, char *buf,
                               size_t cap) {
  if (o->native == OMS_VENUE_CAP_LIT) {
    snprintf(buf, cap, "venue %s: FIX 4.4 has no limit-if-touched order type", v->base.name);
    return buf;
  }
  if (!o->native && v->cfg.ord_types && !(v->cfg.ord_types & OMS_FIX_VENUE_BIT(o->type))) {
    snprintf(buf, cap, "venue %s does not take %s orders", v->base.name, oms_ord_type_str(o->type));
    return buf;
  }
  if (v->cfg.tifs && !(v->cfg.tifs & OMS_FIX_VENUE_BIT(o->tif))) {
    snprintf(buf, cap, "venue %s does not take time in force %s", v->base.name,
             fix_tif_name(o->tif));
    return buf;
  }
  uint32_t extra = o->instructions & ~v->cfg.exec_insts;
  if (extra & OMS_INST_POST_ONLY) {
    snprintf(buf, cap, "venue %s does not take post-only orders", v->base.name);
    return buf;
  }
  if (extra & OMS_INST_REDUCE_ONLY) {
    snprintf(buf, cap, "venue %s does not take reduce-only orders", v->base.name);
    return buf;
  }
  return NULL;
}

static void add_dec(oms_fix_builder_t *b, uint32_t tag, oms_dec_t d) {
  char txt[48];
  if (oms_dec_format(d, txt, sizeof txt) >= 0) oms_fix_add_cstr(b, tag, txt);
}

/* Account, ExDestination and the extra tags of the dialect. */
static void add_dialect(const fix_venue_t *v, oms_fix_builder_t *b, const char *account) {
  const char *acct = v->account[0] ? v->account : account;
  if (acct && acct[0]) oms_fix_add_cstr(b, OMS_FIX_TAG_Account, acct);
  if (v->exdest[0]) oms_fix_add_cstr(b, OMS_FIX_TAG_ExDestination, v->exdest);
  for (size_t i = 0; i < v->cfg.ntags; i++) oms_fix_add_cstr(b, v->tags[i].tag, v->tags[i].value);
}

static void add_prices(oms_fix_builder_t *b, oms_ord_type_t type, oms_dec_t px, oms_dec_t stop) {
  oms_fix_add_char(b, OMS_FIX_TAG_OrdType, oms_fix_ord_type(type));
  if (type == OMS_ORD_LIMIT || type == OMS_ORD_STOP_LIMIT) add_dec(b, OMS_FIX_TAG_Price, px);
  if (type == OMS_ORD_STOP || type == OMS_ORD_STOP_LIMIT) add_dec(b, OMS_FIX_TAG_StopPx, stop);
}

/* FIX 4.4 fields of the order types the venue works itself (its native
 * capabilities, docs/venues.md): an iceberg is a limit with MaxFloor(111);
 * a market-if-touched is OrdType J with its trigger in StopPx(99); a
 * trailing stop is OrdType P (pegged) with ExecInst a (trailing stop peg)
 * and PegOffsetValue(211), the signed distance (below the market for a
 * sell), StopPx its stop as first set and Price its limit if it has one
 * (its ExecInst is written with the others by the caller). */
#define TAG_MAX_FLOOR 111
#define TAG_PEG_OFFSET_VALUE 211
static void add_native(oms_fix_builder_t *b, const oms_venue_order_t *o) {
  switch (o->native) {
    case OMS_VENUE_CAP_ICEBERG:
      add_prices(b, OMS_ORD_LIMIT, o->price, o->stop_price);
      add_dec(b, TAG_MAX_FLOOR, o->display_qty);
      return;
    case OMS_VENUE_CAP_MIT:
      oms_fix_add_char(b, OMS_FIX_TAG_OrdType, 'J');
      add_dec(b, OMS_FIX_TAG_StopPx, o->stop_price);
      return;
    default: { /* OMS_VENUE_CAP_TRAILING_STOP */
      oms_fix_add_char(b, OMS_FIX_TAG_OrdType, 'P');
      if (o->type == OMS_ORD_STOP_LIMIT) add_dec(b, OMS_FIX_TAG_Price, o->price);
      add_dec(b, OMS_FIX_TAG_StopPx, o->stop_price);
      oms_dec_t off = o->trail_offset;
      if (o->side != OMS_SIDE_BUY) off = oms_dec_from_raw(-off.raw);
      add_dec(b, TAG_PEG_OFFSET_VALUE, off);
      return;
    }
  }
}

static int active(const fix_venue_t *v) {
  return v->cstate == C_OPEN && oms_fix_session_state(v->s) == OMS_FIX_SESSION_ACTIVE;
}

static int fv_send_new(oms_venue_t *vv, const oms_venue_order_t *o) {
  fix_venue_t *v = (fix_venue_t *)vv;
  if (!o || !o->order_id) return OMS_EINVAL;
  char why[OMS_REASON_MAX + 1];
  if (unsupported(v, o, why, sizeof why)) {
    oms_exec_report_t r;
    memset(&r, 0, sizeof r);
    r.type = OMS_EXEC_REJECTED;
    r.order_id = o->order_id;
    r.reason = OMS_R_UNSUPPORTED;
    snprintf(r.text, sizeof r.text, "%s", why);
    r.ts_ns = now(v);
    int rc = queue_report(v, &r);
    if (rc == 0) v->stats.refused++;
    return rc;
  }
  if (!active(v)) return OMS_EDOWN;
  rec_t *rec = rec_get(v, o->order_id);
  if (!rec) return OMS_EFULL;
  const char *sym = venue_symbol(v, o->symbol);
  snprintf(rec->symbol, sizeof rec->symbol, "%s", sym);
  snprintf(rec->account, sizeof rec->account, "%s", o->account_id);
  rec->side = o->side;
  rec->type = o->type;
  rec->tif = o->tif;
  rec->qty = o->qty;
  rec->price = o->price;
  rec->stop = o->stop_price;
  oms_fix_builder_t *b;
  int rc = oms_fix_session_app_begin(v->s, OMS_FIX_MSG_NewOrderSingle, &b);
  if (rc) return OMS_EDOWN;
  char id[OMS_ID_MAX + 1];
  cl_ord_id(v, o->order_id, 0, id, sizeof id);
  oms_fix_add_cstr(b, OMS_FIX_TAG_ClOrdID, id);
  add_dialect(v, b, o->account_id);
  /* ExecInst is a space-separated list: post-only and a native peg */
  char inst[4] = "", peg = o->native == OMS_VENUE_CAP_TRAILING_STOP ? 'a' : 0;
  if (o->instructions & OMS_INST_POST_ONLY)
    snprintf(inst, sizeof inst, "%c", OMS_FIX_EXEC_INST_POST_ONLY);
  if (peg)
    snprintf(inst + strlen(inst), sizeof inst - strlen(inst), "%s%c", inst[0] ? " " : "", peg);
  if (inst[0]) oms_fix_add_cstr(b, OMS_FIX_TAG_ExecInst, inst);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Symbol, sym);
  oms_fix_add_char(b, OMS_FIX_TAG_Side, oms_fix_side(o->side));
  oms_fix_add_time(b, OMS_FIX_TAG_TransactTime, now(v));
  add_dec(b, OMS_FIX_TAG_OrderQty, o->qty);
  if (o->native)
    add_native(b, o);
  else
    add_prices(b, o->type, o->price, o->stop_price);
  oms_fix_add_char(b, OMS_FIX_TAG_TimeInForce, oms_fix_tif(o->tif));
  if (o->tif == OMS_TIF_GTD) oms_fix_add_time(b, OMS_FIX_TAG_ExpireTime, o->expire_ns);
  rc = oms_fix_session_app_send(v->s);
  return rc == 0 ? 0 : OMS_EDOWN;
}

/* The common part of F and G: a new ClOrdID, the one the venue knows. */
static int begin_change(fix_venue_t *v, rec_t *r, const char *type, oms_fix_builder_t **b) {
  int rc = oms_fix_session_app_begin(v->s, type, b);
  if (rc) return OMS_EDOWN;
  char id[OMS_ID_MAX + 1];
  cl_ord_id(v, r->order_id, r->known, id, sizeof id);
  oms_fix_add_cstr(*b, OMS_FIX_TAG_OrigClOrdID, id);
  cl_ord_id(v, r->order_id, r->ver + 1, id, sizeof id);
  oms_fix_add_cstr(*b, OMS_FIX_TAG_ClOrdID, id);
  if (r->venue_order_id[0]) oms_fix_add_cstr(*b, OMS_FIX_TAG_OrderID, r->venue_order_id);
  add_dialect(v, *b, r->account);
  oms_fix_add_cstr(*b, OMS_FIX_TAG_Symbol, r->symbol);
  oms_fix_add_char(*b, OMS_FIX_TAG_Side, oms_fix_side(r->side));
  oms_fix_add_time(*b, OMS_FIX_TAG_TransactTime, now(v));
  return 0;
}

static int finish_change(fix_venue_t *v, rec_t *r) {
  if (oms_fix_session_app_send(v->s) != 0) return OMS_EDOWN;
  r->ver++;
  return 0;
}

static int fv_send_cancel(oms_venue_t *vv, uint64_t order_id) {
  fix_venue_t *v = (fix_venue_t *)vv;
  rec_t *r = rec_find(v, order_id);
  if (!r) return OMS_ENOTFOUND;
  if (!active(v)) return OMS_EDOWN;
  oms_fix_builder_t *b;
  int rc = begin_change(v, r, OMS_FIX_MSG_OrderCancelRequest, &b);
  if (rc) return rc;
  add_dec(b, OMS_FIX_TAG_OrderQty, r->qty);
  return finish_change(v, r);
}

static int fv_send_replace(oms_venue_t *vv, uint64_t order_id, oms_dec_t qty, oms_dec_t px,
                           oms_dec_t stop) {
  fix_venue_t *v = (fix_venue_t *)vv;
  rec_t *r = rec_find(v, order_id);
  if (!r) return OMS_ENOTFOUND;
  if (!active(v)) return OMS_EDOWN;
  oms_fix_builder_t *b;
  int rc = begin_change(v, r, OMS_FIX_MSG_OrderCancelReplaceRequest, &b);
  if (rc) return rc;
  add_dec(b, OMS_FIX_TAG_OrderQty, qty);
  add_prices(b, r->type ? r->type : OMS_ORD_LIMIT, px, stop);
  if (r->tif) oms_fix_add_char(b, OMS_FIX_TAG_TimeInForce, oms_fix_tif(r->tif));
  return finish_change(v, r);
}

static int fv_query_status(oms_venue_t *vv, uint64_t order_id) {
  fix_venue_t *v = (fix_venue_t *)vv;
  rec_t *r = rec_find(v, order_id);
  if (!r) return OMS_ENOTFOUND;
  if (!active(v)) return OMS_EDOWN;
  oms_fix_builder_t *b;
  if (oms_fix_session_app_begin(v->s, OMS_FIX_MSG_OrderStatusRequest, &b) != 0) return OMS_EDOWN;
  char id[OMS_ID_MAX + 1];
  cl_ord_id(v, r->order_id, r->known, id, sizeof id);
  oms_fix_add_cstr(b, OMS_FIX_TAG_ClOrdID, id);
  if (r->venue_order_id[0]) oms_fix_add_cstr(b, OMS_FIX_TAG_OrderID, r->venue_order_id);
  snprintf(id, sizeof id, "S%llu", (unsigned long long)++v->status_req);
  oms_fix_add_cstr(b, OMS_FIX_TAG_OrdStatusReqID, id);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Symbol, r->symbol);
  oms_fix_add_char(b, OMS_FIX_TAG_Side, oms_fix_side(r->side));
  return oms_fix_session_app_send(v->s) == 0 ? 0 : OMS_EDOWN;
}

static int fv_query_all(oms_venue_t *vv) {
  fix_venue_t *v = (fix_venue_t *)vv;
  if (!active(v)) return OMS_EDOWN;
  oms_fix_builder_t *b;
  if (oms_fix_session_app_begin(v->s, OMS_FIX_MSG_OrderMassStatusRequest, &b) != 0)
    return OMS_EDOWN;
  char id[32];
  snprintf(id, sizeof id, "M%llu", (unsigned long long)++v->mass_req);
  oms_fix_add_cstr(b, OMS_FIX_TAG_MassStatusReqID, id);
  oms_fix_add_int(b, OMS_FIX_TAG_MassStatusReqType, MASS_STATUS_ALL_ORDERS);
  return oms_fix_session_app_send(v->s) == 0 ? 0 : OMS_EDOWN;
}

static bool fv_is_connected(const oms_venue_t *vv) { return active((const fix_venue_t *)vv); }

static int fv_poll(oms_venue_t *vv, int64_t now_ns) {
  fix_venue_t *v = (fix_venue_t *)vv;
  (void)now_ns; /* the connector's own clock decides */
  uint64_t before = v->stats.reports;
  while (v->q_len) {
    oms_exec_report_t r = v->queue[v->q_head];
    v->q_head = (v->q_head + 1) % v->q_cap;
    v->q_len--;
    deliver(v, &r);
  }
  int64_t t = now(v);
  int open = oms_fix_schedule_open(&v->cfg.schedule, t);
  switch (v->cstate) {
    case C_IDLE:
      if (open && !v->stopping) start_connect(v);
      break;
    case C_WAIT:
      if (!open) {
        v->cstate = C_IDLE;
      } else if (t >= v->retry_ns) {
        start_connect(v);
      }
      break;
    case C_CONNECTING: connected(v); break;
    case C_OPEN: break;
  }
  if (v->cstate == C_OPEN) {
    if (pump_outbox(v) != 0) lost(v, "write error");
  }
  if (v->cstate == C_OPEN) {
    read_socket(v);
    if (v->cstate == C_OPEN && v->out_len && flush_out(v) != 0) lost(v, "write error");
  }
  if (v->cstate == C_OPEN) {
    if (!open && oms_fix_session_state(v->s) == OMS_FIX_SESSION_ACTIVE) {
      vlog(v, OMS_FIX_LOG_INFO, "msg=\"session schedule ended: logout\"");
      (void)oms_fix_session_logout(v->s, "end of session");
    }
    if (t - v->last_timer_ns >= NS_PER_S) {
      v->last_timer_ns = t;
      (void)oms_fix_session_on_timer(v->s);
    }
    if (oms_fix_session_state(v->s) == OMS_FIX_SESSION_DISCONNECTED) {
      lost(v, "session ended");
      if (!open) v->cstate = C_IDLE;
    }
  }
  int act = active(v);
  if (act && !v->was_active) {
    v->was_active = 1;
    v->stats.logons++;
    v->backoff_ns = v->cfg.reconnect_min_ns;
    notify(v, true);
    if (v->cfg.market_data) subscribe(v);
  }
  if (act && v->cfg.market_data) resnapshot(v);
  return (int)(v->stats.reports - before);
}

static void fv_destroy(oms_venue_t *vv) {
  fix_venue_t *v = (fix_venue_t *)vv;
  if (!v) return;
  v->destroying = 1;
  if (v->s && active(v)) {
    (void)oms_fix_session_logout(v->s, "shutting down");
    (void)pump_outbox(v);
    if (v->fd >= 0) (void)flush_out(v);
  }
  close_socket(v);
  oms_fix_session_destroy(v->s);
  oms__u64map_close(&v->by_id);
  oms__free(v->recs);
  oms__free(v->queue);
  oms__free(v->mem_idx);
  oms__free(v->mem_data);
  oms__free(v->in);
  oms__free(v->out);
  oms__fix_outbox_free(&v->ob);
  oms__free(v);
}

static const oms_venue_vtbl_t fix_vtbl = {.send_new = fv_send_new,
                                          .send_cancel = fv_send_cancel,
                                          .send_replace = fv_send_replace,
                                          .query_status = fv_query_status,
                                          .query_all = fv_query_all,
                                          .is_connected = fv_is_connected,
                                          .poll = fv_poll,
                                          .destroy = fv_destroy};

/* A venue that does not answer OrderMassStatusRequest: the core asks per
 * order. */
static const oms_venue_vtbl_t fix_vtbl_no_mass = {.send_new = fv_send_new,
                                                  .send_cancel = fv_send_cancel,
                                                  .send_replace = fv_send_replace,
                                                  .query_status = fv_query_status,
                                                  .is_connected = fv_is_connected,
                                                  .poll = fv_poll,
                                                  .destroy = fv_destroy};

/* ------------------------------------------------------------------------ */
/* Lifetime                                                                   */

static int copy_str(char *dst, size_t cap, const char *src, int required) {
  if (!src || !*src) {
    dst[0] = '\0';
    return required ? OMS_EINVAL : 0;
  }
  if (strlen(src) >= cap || strchr(src, OMS_FIX_SOH)) return OMS_EINVAL;
  strcpy(dst, src);
  return 0;
}

static int copy_config(fix_venue_t *v, const oms_fix_venue_config_t *c) {
  struct in_addr a;
  int rc = copy_str(v->base.name, sizeof v->base.name, c->name, 1);
  if (!rc) rc = copy_str(v->host, sizeof v->host, c->host, 1);
  if (!rc && inet_pton(AF_INET, v->host, &a) != 1) rc = OMS_EINVAL;
  if (!rc && (c->port < 1 || c->port > 65535)) rc = OMS_EINVAL;
  if (!rc) rc = copy_str(v->sender, sizeof v->sender, c->sender_comp_id, 1);
  if (!rc) rc = copy_str(v->target, sizeof v->target, c->target_comp_id, 1);
  if (!rc) rc = copy_str(v->user, sizeof v->user, c->username, 0);
  if (!rc) rc = copy_str(v->pass, sizeof v->pass, c->password, 0);
  if (!rc) rc = copy_str(v->account, sizeof v->account, c->account, 0);
  if (!rc) rc = copy_str(v->exdest, sizeof v->exdest, c->ex_destination, 0);
  if (!rc)
    rc = copy_str(v->prefix, sizeof v->prefix, c->cl_ord_id_prefix ? c->cl_ord_id_prefix : "O", 1);
  if (rc) return rc;
  for (const char *p = v->prefix; *p; p++)
    if ((*p >= '0' && *p <= '9') || *p == '.') return OMS_EINVAL;
  if (c->nsymbols > OMS_FIX_VENUE_MAX_SYMBOLS || c->ntags > OMS_FIX_VENUE_MAX_TAGS)
    return OMS_EINVAL;
  for (size_t i = 0; i < c->nsymbols; i++) {
    if (copy_str(v->sym_text[i][0], OMS_SYMBOL_MAX + 1, c->symbols[i].oms, 1) ||
        copy_str(v->sym_text[i][1], OMS_SYMBOL_MAX + 1, c->symbols[i].venue, 1))
      return OMS_EINVAL;
    v->syms[i].oms = v->sym_text[i][0];
    v->syms[i].venue = v->sym_text[i][1];
  }
  for (size_t i = 0; i < c->ntags; i++) {
    if (c->tags[i].tag == 0 || copy_str(v->tag_text[i], OMS_ID_MAX + 1, c->tags[i].value, 1))
      return OMS_EINVAL;
    v->tags[i].tag = c->tags[i].tag;
    v->tags[i].value = v->tag_text[i];
  }
  if (c->n_md_symbols > OMS_FIX_VENUE_MAX_SYMBOLS) return OMS_EINVAL;
  for (size_t i = 0; i < c->n_md_symbols; i++)
    if (copy_str(v->md_syms[i], OMS_SYMBOL_MAX + 1, c->md_symbols[i], 1)) return OMS_EINVAL;
  const oms_fix_schedule_t *s = &c->schedule;
  if (s->start_s < 0 || s->start_s >= 86400 || s->end_s < 0 || s->end_s >= 86400 || s->days > 127)
    return OMS_EINVAL;
  v->cfg = *c;
  v->cfg.symbols = v->syms;
  v->cfg.tags = v->tags;
  v->cfg.md_symbols = NULL; /* copied into md_syms */
  if (!v->cfg.max_orders) v->cfg.max_orders = DEFAULT_MAX_ORDERS;
  if (!v->cfg.report_queue) v->cfg.report_queue = DEFAULT_REPORT_QUEUE;
  if (!v->cfg.resend_window) v->cfg.resend_window = DEFAULT_RESEND_WINDOW;
  if (!v->cfg.max_msg_len) v->cfg.max_msg_len = DEFAULT_MAX_MSG;
  if (v->cfg.reconnect_min_ns <= 0) v->cfg.reconnect_min_ns = NS_PER_S;
  if (v->cfg.reconnect_max_ns <= 0) v->cfg.reconnect_max_ns = 30 * NS_PER_S;
  if (v->cfg.reconnect_max_ns < v->cfg.reconnect_min_ns)
    v->cfg.reconnect_max_ns = v->cfg.reconnect_min_ns;
  if (v->cfg.max_msg_len < 512 || v->cfg.max_msg_len > (1u << 20)) return OMS_EINVAL;
  v->clock = c->clock.now_ns ? c->clock : oms_clock_realtime();
  return 0;
}

int oms_fix_venue_create(const oms_fix_venue_config_t *cfg, oms_venue_t **out) {
  if (!out) return OMS_EINVAL;
  *out = NULL;
  if (!cfg) return OMS_EINVAL;
  fix_venue_t *v = oms__calloc(1, sizeof *v);
  if (!v) return OMS_ENOMEM;
  v->fd = -1;
  v->base.vt = &fix_vtbl;
  int rc = copy_config(v, cfg);
  if (rc) goto fail;
  rc = OMS_ENOMEM;
  uint32_t n = v->cfg.max_orders;
  v->recs = oms__calloc(n, sizeof *v->recs);
  v->queue = oms__calloc(v->cfg.report_queue, sizeof *v->queue);
  v->in_cap = 2 * v->cfg.max_msg_len;
  v->in = oms__malloc(v->in_cap);
  v->out = oms__malloc(OUT_CAP);
  if (!v->recs || !v->queue || !v->in || !v->out) goto fail;
  if (oms__fix_outbox_init(&v->ob, 16 * 1024, OUT_CAP) != 0) goto fail;
  if (oms__u64map_init(&v->by_id, n) != 0) goto fail;
  for (uint32_t i = 0; i < n; i++) v->recs[i].next_free = i + 1 < n ? i + 1 : UINT32_MAX;
  v->free_head = 0;
  v->q_cap = v->cfg.report_queue;
  oms_fix_session_store_t st;
  if (cfg->store) {
    st = *cfg->store;
  } else {
    v->mem_slots = v->cfg.resend_window;
    v->mem_idx = oms__calloc(v->mem_slots, sizeof *v->mem_idx);
    v->mem_data = oms__malloc((size_t)v->mem_slots * v->cfg.max_msg_len);
    if (!v->mem_idx || !v->mem_data) goto fail;
    st = (oms_fix_session_store_t){mem_load_seqnums, mem_save_seqnums, mem_save_sent,
                                   mem_load_sent,    mem_reset,        v};
  }
  oms_fix_session_config_t sc = {.sender_comp_id = v->sender,
                                 .target_comp_id = v->target,
                                 .max_msg_len = v->cfg.max_msg_len,
                                 .dict_flags = OMS_FIX_DICT_NO_ENUMS | OMS_FIX_DICT_ALLOW_USER_TAGS,
                                 .initiator = true,
                                 .heartbeat_s = v->cfg.heartbeat_s,
                                 .reset_on_logon = v->cfg.reset_on_logon,
                                 .username = v->user[0] ? v->user : NULL,
                                 .password = v->pass[0] ? v->pass : NULL};
  oms_fix_session_io_t io = {.send = io_send,
                             .disconnect = io_disconnect,
                             .on_app_msg = io_on_app_msg,
                             .log = io_log,
                             .ctx = v,
                             .on_app_lost = io_on_app_lost};
  rc = oms_fix_session_create(&sc, &io, &st, &v->clock, &v->s);
  if (rc) goto fail;
  v->cstate = C_IDLE;
  v->backoff_ns = v->cfg.reconnect_min_ns;
  if (!v->cfg.mass_status) v->base.vt = &fix_vtbl_no_mass;
  *out = &v->base;
  return 0;

fail:
  fv_destroy(&v->base);
  return rc;
}

int oms_fix_venue_stop(oms_venue_t *vv) {
  fix_venue_t *v = (fix_venue_t *)vv;
  v->stopping = 1;
  if (!active(v)) {
    if (v->cstate != C_OPEN) v->cstate = C_IDLE;
    return OMS_ESTATE;
  }
  return oms_fix_session_logout(v->s, "shutting down");
}

int oms_fix_venue_fd(const oms_venue_t *vv) { return ((const fix_venue_t *)vv)->fd; }

void oms_fix_venue_stats(const oms_venue_t *vv, oms_fix_venue_stats_t *out) {
  *out = ((const fix_venue_t *)vv)->stats;
}

const oms_fix_session_t *oms_fix_venue_session(const oms_venue_t *vv) {
  return ((const fix_venue_t *)vv)->s;
}
