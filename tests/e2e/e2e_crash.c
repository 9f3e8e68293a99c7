/*
 * e2e_crash.c - what a FIX client is told survives kill -9 of omsd.
 *
 * A FIX client of our own (liboms' builder and parser over a real socket)
 * sends a stream of orders (fills, IOC cancels, resting orders) to a real
 * omsd, which is killed with SIGKILL at random moments (also during Logon
 * and resend), restarted on the same data directory and logged on to again
 * with the client's sequence numbers and a ResendRequest for what it
 * missed. The client keeps every message it received, by MsgSeqNum, and
 * checks:
 *   - no MsgSeqNum is ever received twice with different content (a resend
 *     is compared field by field with the first copy, header times aside;
 *     a gap fill may only cover numbers that carried admin messages);
 *   - no engine event is reported twice under two numbers (ExecID);
 *   - after each kill, with the journal store (omsd's default), the journal
 *     as the kill left it (read-only): its events' seqs run from 1 without
 *     a gap, and every order the simulated venue's state file holds
 *     (venue-SIM.book: what reached the venue) has an event in the journal;
 *   - at the end, in the store's projection (oms.db, the queries' view of
 *     the journal): every order of the session has been reported with its
 *     latest state (the newest report carries the order's last event
 *     (ExecID), its OrdStatus and its CumQty); every order the client was
 *     told of and every event it was sent (ExecID) is there; the event seqs
 *     have no gap; every order the venue held at any kill is known.
 * Then a graceful stop (SIGTERM) of a cancel-on-disconnect session: the
 * final Cancelled reports are resent after the restart.
 *
 * The last line on stdout sums up: CRASH (or SOAK, with MAX_SECONDS: make
 * soak, scripts/soak.sh) kills=N acknowledged=M lost=0 gaps=0
 * unjournaled=0 duration_s=S. WINDOW_MS bounds the order flow before each
 * kill (400); MAX_SECONDS stops the kills early (a soak).
 *
 * omsd runs in `os` durability, or in OMS_CRASH_DURABILITY ("fsync": the
 * reports then wait for the store's syncs; a kill -9 keeps what was
 * written all the same, so the checks are the same).
 *
 * usage: e2e_crash OMSD CONFIG WORKDIR [KILLS] [SEED] [WINDOW_MS] [MAX_SECONDS]
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "e2e_proc.h"
#include "oms/decimal.h"
#include "oms/error.h"
#include "oms/event.h"
#include "oms/fix.h"
#include "oms/fix_tags.h"
#include "oms/journal.h"
#include "store/journal_rec.h"
#include "venue/sim_state.h"

static int failures;

static char g_work[512];
static e2e_proc_t g_omsd = {.name = "omsd", .pid = -1};

/* ---- omsd -------------------------------------------------------------------------- */

static int start_omsd(void) { return e2e_start(&g_omsd); }

static void kill9(void) { e2e_kill9(&g_omsd); }

static int stop_omsd(void) { return e2e_stop(&g_omsd, SIGTERM); }

/* ---- The client: one FIX session, its sequence numbers kept across runs ------------ */

/* Tables indexed by MsgSeqNum, ExecID (the event's seq) and OrderID, grown
 * as the numbers come (a soak sends hundreds of thousands of orders). */
#define MAX_ID 50000000
#define SOAK_ROUND 100 /* kills on one data directory in a soak */

typedef struct rx_s {
  uint64_t content; /* hash of the fields but header times and flags, 0 if not received */
  char app;
  char gap_filled;
} rx_t;

typedef struct report_s {
  uint64_t exec; /* the newest event reported for the order */
  char status;
  char cum[32];
} report_t;

typedef struct client_s {
  const char *comp, *password;
  int fd;
  int64_t out_seq, in_seq;
  int64_t resend_asked; /* > 0 while our ResendRequest is open */
  int logged_on, logout_seen;
  char rbuf[1 << 20];
  size_t rlen;
  rx_t *rx;
  size_t nrx;
  int64_t *exec_seq; /* MsgSeqNum each ExecID came with */
  size_t nexec;
  report_t *rep; /* by OrderID */
  size_t nrep;
  int64_t last_rx_ms;
  int received;
} client_t;

/* Makes (*tab)[i] exist (zeroed), i < MAX_ID. */
static void grow(void **tab, size_t *n, size_t size, uint64_t i) {
  if (i < *n) return;
  size_t m = *n ? *n : 4096;
  while (m <= i) m *= 2;
  char *t = realloc(*tab, m * size);
  if (t == NULL) {
    fprintf(stderr, "e2e_crash: out of memory\n");
    exit(2);
  }
  memset(t + *n * size, 0, (m - *n) * size);
  *tab = t;
  *n = m;
}
#define GROW(c, tab, n, i) grow((void **)&(c)->tab, &(c)->n, sizeof(*(c)->tab), (i))

static int send_raw(client_t *c, const char *type, int64_t seq, int poss_dup,
                    void (*body)(oms_fix_builder_t *, void *), void *arg) {
  char buf[2048];
  oms_fix_builder_t b;
  int64_t t = e2e_now_ns();
  oms_fix_header_t h = {.msg_type = type,
                        .sender_comp_id = c->comp,
                        .target_comp_id = "OMS",
                        .msg_seq_num = seq,
                        .sending_time_ns = t,
                        .poss_dup = poss_dup,
                        .orig_sending_time_ns = poss_dup ? t : 0};
  oms_fix_builder_begin_header(&b, buf, sizeof buf, &h);
  if (body) body(&b, arg);
  size_t len;
  if (oms_fix_builder_finish(&b, &len) != 0) return -1;
  if (c->fd < 0) return -1;
  return send(c->fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int send_msg(client_t *c, const char *type, void (*body)(oms_fix_builder_t *, void *),
                    void *arg) {
  return send_raw(c, type, c->out_seq++, 0, body, arg);
}

static void logon_body(oms_fix_builder_t *b, void *arg) {
  oms_fix_add_int(b, OMS_FIX_TAG_EncryptMethod, 0);
  oms_fix_add_int(b, OMS_FIX_TAG_HeartBtInt, 30);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Password, arg);
}

static void resend_body(oms_fix_builder_t *b, void *arg) {
  oms_fix_add_int(b, OMS_FIX_TAG_BeginSeqNo, *(int64_t *)arg);
  oms_fix_add_int(b, OMS_FIX_TAG_EndSeqNo, 0);
}

static void gap_fill_body(oms_fix_builder_t *b, void *arg) {
  oms_fix_add_char(b, OMS_FIX_TAG_GapFillFlag, 'Y');
  oms_fix_add_int(b, OMS_FIX_TAG_NewSeqNo, *(int64_t *)arg);
}

static void heartbeat_body(oms_fix_builder_t *b, void *arg) {
  oms_fix_add_str(b, OMS_FIX_TAG_TestReqID, *(oms_fix_str_t *)arg);
}

typedef struct order_s {
  char clordid[32];
  char side;
  char tif;
  const char *px;
  char qty[16];
} order_t;

static void order_body(oms_fix_builder_t *b, void *arg) {
  const order_t *o = arg;
  oms_fix_add_cstr(b, OMS_FIX_TAG_ClOrdID, o->clordid);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Symbol, "BTC-USD");
  oms_fix_add_char(b, OMS_FIX_TAG_Side, o->side);
  oms_fix_add_time(b, OMS_FIX_TAG_TransactTime, e2e_now_ns());
  oms_fix_add_cstr(b, OMS_FIX_TAG_OrderQty, o->qty);
  oms_fix_add_char(b, OMS_FIX_TAG_OrdType, '2');
  oms_fix_add_cstr(b, OMS_FIX_TAG_Price, o->px);
  oms_fix_add_char(b, OMS_FIX_TAG_TimeInForce, o->tif);
}

/* The fields that must be equal in every copy of a message, as text (s,
 * for a message) and as a hash (what is kept: a soak receives millions). */
static uint64_t content_of(const oms_fix_msg_t *m, char *s, size_t cap) {
  size_t n = 0;
  s[0] = 0;
  for (size_t i = 0; i < m->nfields && n < cap; i++) {
    uint32_t tag = m->fields[i].tag;
    if (tag == OMS_FIX_TAG_BodyLength || tag == OMS_FIX_TAG_CheckSum ||
        tag == OMS_FIX_TAG_SendingTime || tag == OMS_FIX_TAG_OrigSendingTime ||
        tag == OMS_FIX_TAG_PossDupFlag || tag == OMS_FIX_TAG_PossResend)
      continue;
    oms_fix_str_t v = oms_fix_msg_value(m, i);
    n += (size_t)snprintf(s + n, cap - n, "%u=%.*s|", (unsigned)tag, (int)v.len, v.ptr);
  }
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (const char *p = s; *p; p++) h = (h ^ (uint8_t)*p) * 1099511628211ull;
  return h | 1; /* never 0: 0 is "not received" */
}

static int is_app(oms_fix_str_t t) {
  static const char *admin[] = {"0", "1", "2", "3", "4", "5", "A"};
  for (size_t i = 0; i < sizeof admin / sizeof *admin; i++)
    if (oms_fix_str_eq(t, admin[i])) return 0;
  return 1;
}

static uint64_t to_u64(oms_fix_str_t v) {
  uint64_t x = 0;
  for (size_t i = 0; i < v.len; i++) {
    if (v.ptr[i] < '0' || v.ptr[i] > '9') return 0;
    x = x * 10 + (uint64_t)(v.ptr[i] - '0');
  }
  return x;
}

static void on_report(client_t *c, const oms_fix_msg_t *m, int64_t seq) {
  oms_fix_str_t exec, oid, cum;
  char status;
  if (oms_fix_msg_get_str(m, OMS_FIX_TAG_ExecID, &exec) != 0 ||
      oms_fix_msg_get_str(m, OMS_FIX_TAG_OrderID, &oid) != 0 ||
      oms_fix_msg_get_char(m, OMS_FIX_TAG_OrdStatus, &status) != 0 ||
      oms_fix_msg_get_str(m, OMS_FIX_TAG_CumQty, &cum) != 0)
    return;
  uint64_t e = to_u64(exec), o = to_u64(oid);
  if (e == 0 || e >= MAX_ID || o == 0 || o >= MAX_ID) return; /* not an event */
  GROW(c, exec_seq, nexec, e);
  GROW(c, rep, nrep, o);
  CHECK(c->exec_seq[e] == 0 || c->exec_seq[e] == seq,
        "event %llu reported twice: MsgSeqNum %lld and %lld", (unsigned long long)e,
        (long long)c->exec_seq[e], (long long)seq);
  c->exec_seq[e] = seq;
  report_t *r = &c->rep[o];
  if (e >= r->exec) {
    r->exec = e;
    r->status = status;
    snprintf(r->cum, sizeof r->cum, "%.*s", (int)cum.len, cum.ptr);
  }
}

/* Keeps message seq; a second copy must say the same. */
static void keep(client_t *c, const oms_fix_msg_t *m, int64_t seq) {
  CHECK(seq > 0 && seq < MAX_ID, "MsgSeqNum %lld out of the test's range", (long long)seq);
  if (seq <= 0 || seq >= MAX_ID) return;
  GROW(c, rx, nrx, (uint64_t)seq);
  rx_t *r = &c->rx[seq];
  char text[4096];
  uint64_t content = content_of(m, text, sizeof text);
  if (r->content == 0) {
    CHECK(!r->gap_filled || !is_app(m->msg_type), "MsgSeqNum %lld gap-filled, then sent as %s",
          (long long)seq, text);
    r->content = content;
    r->app = (char)is_app(m->msg_type);
    return;
  }
  CHECK(r->content == content, "MsgSeqNum %lld reused: now %s (different from the first copy)",
        (long long)seq, text);
}

static void gap_filled(client_t *c, int64_t from, int64_t to) {
  for (int64_t k = from; k < to && k < MAX_ID; k++) {
    GROW(c, rx, nrx, (uint64_t)k);
    CHECK(!c->rx[k].app, "MsgSeqNum %lld was an application message, then gap-filled",
          (long long)k);
    c->rx[k].gap_filled = 1;
  }
}

static void handle(client_t *c, const oms_fix_msg_t *m) {
  int64_t seq = 0, new_seq = 0;
  int poss_dup = 0, gap_fill = 0;
  oms_fix_msg_get_int(m, OMS_FIX_TAG_MsgSeqNum, &seq);
  oms_fix_msg_get_bool(m, OMS_FIX_TAG_PossDupFlag, &poss_dup);
  c->received++;
  c->last_rx_ms = e2e_mono_ms();
  if (oms_fix_msg_is(m, OMS_FIX_MSG_SequenceReset)) {
    oms_fix_msg_get_bool(m, OMS_FIX_TAG_GapFillFlag, &gap_fill);
    oms_fix_msg_get_int(m, OMS_FIX_TAG_NewSeqNo, &new_seq);
    CHECK(gap_fill, "SequenceReset in reset mode");
    gap_filled(c, seq, new_seq);
    if (seq <= c->in_seq && new_seq > c->in_seq) c->in_seq = new_seq;
  } else {
    keep(c, m, seq);
    if (oms_fix_msg_is(m, OMS_FIX_MSG_ExecutionReport)) on_report(c, m, seq);
    if (seq == c->in_seq) c->in_seq++;
    CHECK(seq <= c->in_seq || !poss_dup || c->resend_asked, "PossDup %lld ahead", (long long)seq);
  }
  if (seq > c->in_seq && !c->resend_asked && !oms_fix_msg_is(m, OMS_FIX_MSG_Logout)) {
    c->resend_asked = seq;
    send_msg(c, OMS_FIX_MSG_ResendRequest, resend_body, &c->in_seq);
  }
  if (c->resend_asked && c->in_seq > c->resend_asked) c->resend_asked = 0;
  if (oms_fix_msg_is(m, OMS_FIX_MSG_Logon)) c->logged_on = 1;
  if (oms_fix_msg_is(m, OMS_FIX_MSG_TestRequest)) {
    oms_fix_str_t id;
    if (oms_fix_msg_get_str(m, OMS_FIX_TAG_TestReqID, &id) == 0)
      send_msg(c, OMS_FIX_MSG_Heartbeat, heartbeat_body, &id);
  }
  if (oms_fix_msg_is(m, OMS_FIX_MSG_ResendRequest)) {
    /* We keep no orders to resend: gap-fill what omsd lost of ours. */
    int64_t begin = 0;
    oms_fix_msg_get_int(m, OMS_FIX_TAG_BeginSeqNo, &begin);
    if (begin > 0 && begin < c->out_seq)
      send_raw(c, OMS_FIX_MSG_SequenceReset, begin, 1, gap_fill_body, &c->out_seq);
  }
  if (oms_fix_msg_is(m, OMS_FIX_MSG_Logout)) {
    if (!c->logout_seen && c->logged_on) send_msg(c, OMS_FIX_MSG_Logout, NULL, NULL);
    c->logout_seen = 1;
  }
}

/* Reads for up to ms; returns -1 when the connection is gone. */
static int pump(client_t *c, int ms) {
  if (c->fd < 0) return -1;
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  if (poll(&p, 1, ms) <= 0) return 0;
  ssize_t n = recv(c->fd, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, 0);
  if (n <= 0) {
    close(c->fd);
    c->fd = -1;
    c->rlen = 0;
    return -1;
  }
  c->rlen += (size_t)n;
  static oms_fix_msg_t m;
  size_t off = 0;
  for (;;) {
    size_t used = 0;
    int rc = oms_fix_parse(c->rbuf + off, c->rlen - off, NULL, &m, &used, NULL);
    if (rc == OMS_EAGAIN) break;
    CHECK(rc == 0, "omsd sent bytes that do not parse");
    if (rc == 0) handle(c, &m);
    off += used;
  }
  memmove(c->rbuf, c->rbuf + off, c->rlen - off);
  c->rlen -= off;
  return 0;
}

static void disconnect(client_t *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->rlen = 0;
  c->logged_on = c->logout_seen = 0;
  c->resend_asked = 0;
}

static int logon(client_t *c) {
  c->fd = e2e_connect(g_omsd.port);
  if (c->fd < 0) return -1;
  return send_msg(c, OMS_FIX_MSG_Logon, logon_body, (void *)c->password);
}

/* Until quiet for quiet_ms with nothing missing, or the connection ends. */
static void settle(client_t *c, int quiet_ms) {
  int64_t end = e2e_mono_ms() + 10000;
  c->last_rx_ms = e2e_mono_ms();
  while (e2e_mono_ms() < end) {
    if (pump(c, 20) < 0) return;
    if (c->logged_on && !c->resend_asked && e2e_mono_ms() - c->last_rx_ms >= quiet_ms) return;
  }
}

static int g_orders;

static void send_order(client_t *c, unsigned r) {
  order_t o;
  snprintf(o.clordid, sizeof o.clordid, "K%d", ++g_orders);
  snprintf(o.qty, sizeof o.qty, "0.0%u", 1 + r % 9);
  switch (r % 4) {
    case 0: o.side = '1', o.tif = '0', o.px = "65500"; break;  /* fills */
    case 1: o.side = '1', o.tif = '3', o.px = "60000"; break;  /* IOC: cancelled */
    case 2: o.side = '1', o.tif = '0', o.px = "60000"; break;  /* rests */
    default: o.side = '2', o.tif = '3', o.px = "64500"; break; /* IOC sell: fills */
  }
  send_msg(c, OMS_FIX_MSG_NewOrderSingle, order_body, &o);
}

/* ---- The store: the truth ------------------------------------------------------------ */

static char fix_status(const char *state, const char *filled) {
  if (!strcmp(state, "PENDING") || !strcmp(state, "SUBMITTED")) return '0' + 'A' - '0';
  if (!strcmp(state, "ACCEPTED")) return '0';
  if (!strcmp(state, "PARTIALLY_FILLED")) return '1';
  if (!strcmp(state, "FILLED")) return '2';
  if (!strcmp(state, "CANCELLED")) return '4';
  if (!strcmp(state, "REJECTED")) return '8';
  if (!strcmp(state, "PENDING_CANCEL")) return '6';
  if (!strcmp(state, "PENDING_REPLACE")) return 'E';
  if (!strcmp(state, "EXPIRED")) return 'C';
  oms_dec_t f;
  return oms_dec_parse_cstr(filled, &f) == 0 && oms_dec_is_pos(f) ? '1' : '0';
}

/* What the runs found, for the summary (the soak's SOAK line). */
static struct {
  int kills;
  long acknowledged;  /* orders the client was told of (an ExecutionReport) */
  long lost;          /* acknowledged orders or reported events the store lacks */
  long gaps;          /* event seqs missing between 1 and the last */
  long unjournaled;   /* orders the venue held that the store (or journal) does not know */
  int journal_checks; /* kills after which the journal was read */
  int torn;           /* ... and found with a damaged tail */
  int unsealed;       /* kills inside a roll's unsealed window (os mode: docs/journal.md) */
} g_sum;

/* Order ids the simulated venue held in its state file after some kill. */
static uint8_t *g_at_venue;
static size_t g_nat_venue;

/* After a kill: every order the venue's state file holds (it rests at the
 * venue, or did since the last start) must be known to the store at the end
 * (checked in verify_store) and, with the journal store, be in the journal
 * right now (check_journal): nothing reaches a venue unless journaled.
 * Returns the ids of this state file in *ids (free), their number. */
static size_t note_venue_book(uint64_t **ids) {
  char path[700];
  snprintf(path, sizeof path, "%s/venue-SIM.book", g_omsd.data);
  oms__sjrec_t *recs = NULL;
  size_t n = 0, k = 0;
  int existed = 0;
  int rc = oms__sj_load(path, &recs, &n, &existed);
  CHECK(rc == 0, "cannot read the venue's state file %s: %s", path, oms_err_name(rc));
  *ids = calloc(n ? n : 1, sizeof(**ids));
  for (size_t i = 0; i < n; i++) {
    if (recs[i].kind != OMS__SJ_WORKING || recs[i].order_id >= MAX_ID) continue;
    grow((void **)&g_at_venue, &g_nat_venue, 1, recs[i].order_id);
    g_at_venue[recs[i].order_id] = 1;
    (*ids)[k++] = recs[i].order_id;
  }
  oms__free(recs);
  return k;
}

/* The journal as a kill left it (read-only: omsd cuts a torn tail at its
 * next start, not us). */
typedef struct jscan_s {
  uint8_t *orders; /* order ids with an event in the journal */
  size_t norders;
  uint64_t events, last_seq, records;
  long gaps;
} jscan_t;

static int scan_record(void *ctx, const oms_journal_entry_t *e) {
  jscan_t *j = ctx;
  j->records++;
  if (e->type != OMS__JREC_EVENT) return 0;
  static oms_event_t ev;
  if (oms_event_decode(e->data, e->len, &ev) != 0) {
    CHECK(0, "journal record %llu (%s:%llu) is an event that does not decode",
          (unsigned long long)e->lsn, e->file, (unsigned long long)e->offset);
    return 0;
  }
  j->events++;
  if (ev.seq != j->last_seq + 1) {
    CHECK(0, "journal: event seq %llu follows %llu (lsn %llu)", (unsigned long long)ev.seq,
          (unsigned long long)j->last_seq, (unsigned long long)e->lsn);
    j->gaps++;
  }
  j->last_seq = ev.seq;
  uint64_t o = ev.order.order_id;
  if (o > 0 && o < MAX_ID) {
    grow((void **)&j->orders, &j->norders, 1, o);
    j->orders[o] = 1;
  }
  return 0;
}

/* Whether the kill left a roll unsealed (os mode: the segment before it
 * not yet synced; docs/journal.md, "The sealer"): the next start adopts it. */
static void note_unsealed(void) {
  char dir[700];
  snprintf(dir, sizeof dir, "%s/journal", g_omsd.data);
  DIR *dh = opendir(dir);
  for (struct dirent *de; dh != NULL && (de = readdir(dh)) != NULL;)
    if (strstr(de->d_name, ".unsealed") != NULL) g_sum.unsealed++;
  if (dh != NULL) closedir(dh);
}

/* With the journal store (a journal directory in the data directory): the
 * journal's events have gap-free seqs from 1, and every order the venue's
 * state file holds has an event in the journal. A damaged tail (a write cut
 * by the kill) is reported by the read-only check and cut by omsd's next
 * start; the records before it are checked. Returns whether it checked. */
static int check_journal(const uint64_t *ids, size_t n) {
  char dir[700];
  snprintf(dir, sizeof dir, "%s/journal", g_omsd.data);
  struct stat st;
  if (stat(dir, &st) != 0) return 0;
  jscan_t j;
  memset(&j, 0, sizeof j);
  oms_journal_error_t err;
  memset(&err, 0, sizeof err);
  int rc = oms_journal_verify_dir(dir, scan_record, &j, &err);
  CHECK(rc == 0, "after kill %d: the journal is damaged: %s at %s:%llu: %s", g_sum.kills,
        oms_err_name(rc), err.file, (unsigned long long)err.offset, err.text);
  /* A kill -9 keeps the page cache: a roll it interrupted is always
   * adopted, never set aside (that is for a machine crash). */
  CHECK(strstr(err.text, "sets aside") == NULL, "after kill %d: %s", g_sum.kills, err.text);
  if (err.text[0]) {
    g_sum.torn++;
    fprintf(stderr, "e2e_crash: journal after kill %d: %s at %s:%llu: %s (cut at the next start)\n",
            g_sum.kills, oms_err_name(rc), err.file, (unsigned long long)err.offset, err.text);
  }
  g_sum.gaps += j.gaps;
  for (size_t i = 0; i < n; i++) {
    int ok = ids[i] < j.norders && j.orders[ids[i]];
    CHECK(ok, "after kill %d: order %llu is at the venue, not in the journal", g_sum.kills,
          (unsigned long long)ids[i]);
    g_sum.unjournaled += !ok;
  }
  free(j.orders);
  return 1;
}

/* Every order of comp in the store was reported with its latest state; every
 * order and event the client was told of is in the store; the events have
 * no seq gap; every order the venue held is in the store. */
static int verify_store(client_t *c, int *n_orders) {
  char path[700];
  snprintf(path, sizeof path, "%s/oms.db", g_omsd.data);
  sqlite3 *db;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    CHECK(0, "cannot open %s", path);
    return -1;
  }
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db,
                     "SELECT order_id, client_order_id, state, filled_qty, last_event_seq "
                     "FROM orders WHERE strategy_id = ?1 ORDER BY order_id",
                     -1, &st, NULL);
  sqlite3_bind_text(st, 1, c->comp, -1, SQLITE_STATIC);
  int bad = 0;
  *n_orders = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
    const char *clordid = (const char *)sqlite3_column_text(st, 1);
    const char *state = (const char *)sqlite3_column_text(st, 2);
    const char *filled = (const char *)sqlite3_column_text(st, 3);
    uint64_t last = (uint64_t)sqlite3_column_int64(st, 4);
    (*n_orders)++;
    if (id >= MAX_ID) continue;
    static const report_t none;
    const report_t *r = id < c->nrep ? &c->rep[id] : &none;
    oms_dec_t a = {0}, b = {0};
    oms_dec_parse_cstr(filled, &a);
    oms_dec_parse_cstr(r->cum[0] ? r->cum : "0", &b);
    int ok = r->exec == last && r->status == fix_status(state, filled) && oms_dec_eq(a, b);
    CHECK(ok,
          "order %llu (%s) is %s, filled %s, last event %llu in the store; the client was told "
          "39=%c 14=%s by event %llu",
          (unsigned long long)id, clordid, state, filled, (unsigned long long)last,
          r->status ? r->status : '-', r->cum, (unsigned long long)r->exec);
    bad += !ok;
  }
  sqlite3_finalize(st);

  /* Every order of the store (any session), and every event. */
  uint8_t *known = NULL, *events = NULL;
  size_t nknown = 0, nevents = 0;
  sqlite3_prepare_v2(db, "SELECT order_id FROM orders", -1, &st, NULL);
  while (sqlite3_step(st) == SQLITE_ROW) {
    uint64_t id = (uint64_t)sqlite3_column_int64(st, 0);
    if (id >= MAX_ID) continue;
    grow((void **)&known, &nknown, 1, id);
    known[id] = 1;
  }
  sqlite3_finalize(st);
  uint64_t expect = 1;
  sqlite3_prepare_v2(db, "SELECT seq FROM events ORDER BY seq", -1, &st, NULL);
  while (sqlite3_step(st) == SQLITE_ROW) {
    uint64_t seq = (uint64_t)sqlite3_column_int64(st, 0);
    CHECK(seq == expect, "event seqs %llu..%llu missing from the store", (unsigned long long)expect,
          (unsigned long long)seq - 1);
    if (seq > expect) g_sum.gaps += (long)(seq - expect);
    expect = seq + 1;
    if (seq >= MAX_ID) continue;
    grow((void **)&events, &nevents, 1, seq);
    events[seq] = 1;
  }
  sqlite3_finalize(st);
  sqlite3_close(db);

  long acked = 0;
  for (size_t o = 1; o < c->nrep; o++) {
    if (c->rep[o].exec == 0) continue;
    acked++;
    int ok = o < nknown && known[o];
    CHECK(ok, "order %zu was acknowledged (event %llu), the store does not have it", o,
          (unsigned long long)c->rep[o].exec);
    g_sum.lost += !ok;
    bad += !ok;
  }
  for (size_t e = 1; e < c->nexec; e++) {
    if (c->exec_seq[e] == 0) continue;
    int ok = e < nevents && events[e];
    CHECK(ok, "event %zu was published (MsgSeqNum %lld), the store does not have it", e,
          (long long)c->exec_seq[e]);
    g_sum.lost += !ok;
    bad += !ok;
  }
  for (size_t o = 1; o < g_nat_venue; o++) {
    if (!g_at_venue[o]) continue;
    int ok = o < nknown && known[o];
    CHECK(ok, "order %zu reached the venue, the store does not have it", o);
    g_sum.unjournaled += !ok;
    bad += !ok;
  }
  g_sum.acknowledged += acked;
  long held = 0;
  for (size_t o = 1; o < g_nat_venue; o++) held += g_at_venue[o];
  fprintf(stderr, "e2e_crash: %s: %ld orders acknowledged, %ld held by the venue at a kill\n",
          c->comp, acked, held);
  free(known);
  free(events);
  return bad;
}

/* ---- The runs ------------------------------------------------------------------------ */

/* kills kill -9s, each after up to window_ms of orders, or fewer if the
 * clock passes stop_at; soak: read the journal after every 10th only. */
static void crash_run(client_t *c, int kills, int window_ms, int64_t stop_at, int soak) {
  for (int k = 0; k < kills && e2e_mono_ms() < stop_at; k++) {
    CHECK(start_omsd() == 0, "omsd start %d", k);
    int64_t kill_at = e2e_mono_ms() + rand() % window_ms;
    if (logon(c) == 0) {
      unsigned i = (unsigned)rand();
      while (e2e_mono_ms() < kill_at) {
        if (pump(c, 1) < 0) break;
        if (c->logged_on && !c->resend_asked) send_order(c, i++);
      }
    }
    kill9();
    g_sum.kills++;
    note_unsealed();
    uint64_t *ids = NULL;
    size_t n = note_venue_book(&ids);
    if (!soak || k % 10 == 0 || k + 1 == kills) g_sum.journal_checks += check_journal(ids, n);
    free(ids);
    pump(c, 5);
    disconnect(c);
    if (failures > 0 && soak) break; /* a soak stops at the first failure */
  }
}

/* A new session of comp: sequence numbers from 1, nothing received. */
static void client_reset(client_t *c, const char *comp, const char *password) {
  free(c->rx);
  free(c->exec_seq);
  free(c->rep);
  memset(c, 0, sizeof(*c));
  c->comp = comp;
  c->password = password;
  c->fd = -1;
  c->out_seq = c->in_seq = 1;
}

/* An empty data directory for the next round. */
static int new_data_dir(void) {
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_omsd.data, g_omsd.data);
  free(g_at_venue);
  g_at_venue = NULL;
  g_nat_venue = 0;
  return system(cmd) == 0 ? 0 : -1;
}

static void final_check(client_t *c) {
  CHECK(start_omsd() == 0, "omsd start after the kills");
  CHECK(logon(c) == 0, "logon after the kills");
  /* Orders journaled but killed before they reached the venue are resolved
   * by reconciliation (docs/reconciliation.md): the venue answers UNKNOWN to
   * 3 status queries 1 s apart (ack_timeout_ms), then they are Rejected or
   * Cancelled. A run killed sooner leaves them for the next; this last run
   * waits them out, so that their final reports are among what is checked. */
  int64_t end = e2e_mono_ms() + 4500;
  while (e2e_mono_ms() < end && pump(c, 20) >= 0) {
  }
  settle(c, 800);
  CHECK(c->logged_on && !c->resend_asked, "caught up after the kills (in %lld)",
        (long long)c->in_seq);
  send_msg(c, OMS_FIX_MSG_Logout, NULL, NULL);
  c->logout_seen = 1;
  settle(c, 200);
  disconnect(c);
  CHECK(stop_omsd() == 0, "graceful stop");
  int n = 0, bad = verify_store(c, &n);
  fprintf(stderr, "e2e_crash: %s: %d orders in the store, %d not reported as stored, %d messages\n",
          c->comp, n, bad, c->received);
  CHECK(n > 0, "no order reached the store");
}

/* Cancel-on-disconnect at a graceful stop: the Cancelled reports are stored
 * for resend. */
static void graceful_cod(client_t *c) {
  CHECK(start_omsd() == 0, "omsd start (cancel on disconnect)");
  CHECK(logon(c) == 0, "logon (cancel on disconnect)");
  settle(c, 100);
  for (int i = 0; i < 3; i++) {
    order_t o = {.side = '1', .tif = '0', .px = "60000"};
    snprintf(o.clordid, sizeof o.clordid, "COD%d", i);
    snprintf(o.qty, sizeof o.qty, "0.0%d", i + 1); /* not a duplicate order for risk */
    send_msg(c, OMS_FIX_MSG_NewOrderSingle, order_body, &o);
  }
  settle(c, 300);
  kill(g_omsd.pid, SIGTERM); /* omsd sends Logout; the client answers it */
  int64_t end = e2e_mono_ms() + 3000;
  while (e2e_mono_ms() < end && pump(c, 20) >= 0) {
  }
  disconnect(c);
  int st = 0;
  waitpid(g_omsd.pid, &st, 0);
  g_omsd.pid = -1;
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "graceful stop status %d", st);
  /* Restart: the Cancelled reports come by resend. */
  CHECK(start_omsd() == 0, "omsd restart (cancel on disconnect)");
  CHECK(logon(c) == 0, "logon after the stop");
  settle(c, 300);
  disconnect(c);
  CHECK(stop_omsd() == 0, "graceful stop");
  int n = 0, bad = verify_store(c, &n);
  CHECK(n == 3 && bad == 0, "cancel on disconnect: %d orders, %d not reported", n, bad);
  int cancelled = 0;
  for (size_t i = 0; i < c->nrep; i++) cancelled += c->rep[i].status == '4';
  CHECK(cancelled == 3, "%d Cancelled reports received", cancelled);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr,
            "usage: e2e_crash OMSD CONFIG WORKDIR [KILLS] [SEED] [WINDOW_MS] [MAX_SECONDS]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  g_omsd.bin = argv[1];
  g_omsd.conf = argv[2];
  g_omsd.durability = getenv("OMS_CRASH_DURABILITY");
  if (g_omsd.durability == NULL) g_omsd.durability = "os";
  snprintf(g_work, sizeof g_work, "%s", argv[3]);
  int kills = argc > 4 ? atoi(argv[4]) : 12;
  unsigned seed =
      argc > 5 && atoi(argv[5]) > 0 ? (unsigned)strtoul(argv[5], NULL, 10) : (unsigned)time(NULL);
  int window_ms = argc > 6 && atoi(argv[6]) > 0 ? atoi(argv[6]) : 400;
  int max_s = argc > 7 ? atoi(argv[7]) : 0;
  int64_t t0 = e2e_mono_ms();
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", g_work, g_work);
  if (system(cmd) != 0) return 2;
  snprintf(g_omsd.data, sizeof g_omsd.data, "%s/data", g_work);
  snprintf(g_omsd.log, sizeof g_omsd.log, "%s/omsd.log", g_work);
  g_omsd.port = e2e_free_port();
  fprintf(stderr, "e2e_crash: %d kills, seed %u, orders for up to %d ms each, log %s\n", kills,
          seed, window_ms, g_omsd.log);

  /* A soak runs in rounds of SOAK_ROUND kills, each on a new data directory
   * and checked in full at its end: a start reads the whole history (every
   * journal record's CRC, the projection's quick_check, every fill for the
   * positions), so one directory grown through a thousand kills would make
   * each start slower than the kill cycle. */
  srand(seed);
  int64_t stop_at = max_s > 0 ? t0 + (int64_t)max_s * 1000 : INT64_MAX;
  int round = max_s > 0 ? SOAK_ROUND : kills, rounds = 0;
  static client_t c2, c1;
  while (g_sum.kills < kills && e2e_mono_ms() < stop_at && failures == 0) {
    if (rounds > 0 && new_data_dir() != 0) return 2;
    client_reset(&c2, "CLIENT2", "client2-secret");
    int n = kills - g_sum.kills < round ? kills - g_sum.kills : round;
    crash_run(&c2, n, window_ms, stop_at, max_s > 0);
    final_check(&c2);
    rounds++;
    if (max_s > 0)
      fprintf(stderr, "e2e_crash: round %d: %d kills, %lld s\n", rounds, g_sum.kills,
              (long long)(e2e_mono_ms() - t0) / 1000);
  }

  client_reset(&c1, "CLIENT1", "client1-secret");
  graceful_cod(&c1);

  if (g_omsd.pid > 0) kill9();
  /* The soak's summary (make soak, scripts/soak.sh) on stdout. */
  printf("%s kills=%d acknowledged=%ld lost=%ld gaps=%ld unjournaled=%ld duration_s=%lld\n",
         max_s > 0 ? "SOAK" : "CRASH", g_sum.kills, g_sum.acknowledged, g_sum.lost, g_sum.gaps,
         g_sum.unjournaled, (long long)((e2e_mono_ms() - t0) / 1000));
  fflush(stdout);
  fprintf(stderr,
          "e2e_crash: the journal read after %d kills (%d with a torn tail); %d of %d kills"
          " inside a roll's unsealed window\n",
          g_sum.journal_checks, g_sum.torn, g_sum.unsealed, g_sum.kills);
  fprintf(stderr, failures ? "e2e_crash: %d failures\n" : "e2e_crash: ok\n", failures);
  return failures ? 1 : 0;
}
