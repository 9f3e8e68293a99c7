/* test_gateway.c - the FIX gateway driven with in-memory connections: a
 * client writes FIX messages, the gateway maps them onto a real engine with
 * the simulated venue and risk, and the test reads the answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>
#include "oms/engine.h"
#include "oms/error.h"
#include "oms/gateway.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms/store.h"
#include "oms_test.h"
#include "oms_test_risk.h"
#include "unit/fix/fix_test_util.h"

#define MS INT64_C(1000000)
#define OUT_CAP (1 << 20)

typedef struct conn_out_s {
  char buf[OUT_CAP];
  size_t len;
  size_t read; /* messages before this offset were consumed by the test */
  int closed;
  char reason[128];
} conn_out_t;

typedef struct world_s {
  int64_t now;
  oms_portfolio_t *pf;
  oms_risk_t *risk;
  oms_engine_t *e;
  oms_venue_t *sim;
  oms_gateway_t *gw;
  conn_out_t out[4];
  int64_t seq[4]; /* next MsgSeqNum the client sends, per conn */
  const char *comp[4];
  int fail_send;
  int logs;
  /* the admission hooks */
  const char *refuse; /* what logon_check answers */
  char checked[32];   /* the CompID it was asked about */
  int logons_ok, logons_failed;
  char why[64];          /* of the last failed logon */
  int mute;              /* events do not reach the gateway (a crash before their report) */
  oms_event_t last_fill; /* the newest fill event */
  bool written;          /* the gateway hears events written, not durable (as in omsd) */
  int written_events;
  oms_store_t *written_store;
  uint64_t written_ticket; /* the store's last ticket when the hook last ran */
} world_t;

static int io_send(void *ctx, uint64_t conn, const char *d, size_t n) {
  world_t *w = ctx;
  if (w->fail_send) return OMS_EIO;
  conn_out_t *o = &w->out[conn];
  assert_true(o->len + n < OUT_CAP);
  memcpy(o->buf + o->len, d, n);
  o->len += n;
  return 0;
}

static void io_close(void *ctx, uint64_t conn, const char *reason) {
  world_t *w = ctx;
  w->out[conn].closed = 1;
  snprintf(w->out[conn].reason, sizeof w->out[conn].reason, "%s", reason);
}

static void io_log(void *ctx, oms_fix_log_level_t level, const char *text) {
  world_t *w = ctx;
  (void)level;
  (void)text;
  w->logs++;
}

static const char *io_logon_check(void *ctx, uint64_t conn, oms_fix_str_t comp_id) {
  world_t *w = ctx;
  (void)conn;
  snprintf(w->checked, sizeof w->checked, "%.*s", (int)comp_id.len, comp_id.ptr);
  return w->refuse;
}

static void io_logon_done(void *ctx, uint64_t conn, oms_fix_str_t comp_id, bool ok,
                          const char *why) {
  world_t *w = ctx;
  (void)conn;
  (void)comp_id;
  if (ok) {
    w->logons_ok++;
  } else {
    w->logons_failed++;
    snprintf(w->why, sizeof w->why, "%s", why);
  }
}

static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  if (ev->type == OMS_EVT_ORDER_FILLED || ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED)
    w->last_fill = *ev;
  if (!w->mute && !w->written) oms_gateway_on_event(w->gw, ev);
}

/* The engine's written hook, as omsd wires the gateway. */
static bool wire_written;
static const oms_store_vtbl_t *mem_vt; /* held_store's memory store */
static void on_written(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  w->written_events++;
  if (w->written_store != NULL) w->written_ticket = mem_vt->durable_ticket(w->written_store);
  if (!w->mute) oms_gateway_on_event(w->gw, ev);
}

static world_t *make_with(bool cod, oms_store_t *store);
static void make_gateway(world_t *w, bool cod, oms_store_t *store);
static world_t *make(bool cod) { return make_with(cod, NULL); }

static world_t *make_with(bool cod, oms_store_t *store) {
  world_t *w = calloc(1, sizeof *w);
  w->now = T0;
  oms_portfolio_config_t pc = {.max_accounts = 8, .max_symbols = 8, .max_positions = 64};
  assert_int_equal(oms_portfolio_create(&pc, &w->pf), 0);
  oms_risk_config_t rc = {.max_accounts = 8,
                          .max_strategies = 8,
                          .max_symbols = 8,
                          .max_positions = 64,
                          .max_open_orders = 256};
  assert_int_equal(oms_risk_create(&rc, &w->risk), 0);
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = 256,
                             .store = store,
                             .portfolio = w->pf,
                             .risk = w->risk,
                             .on_event = on_event,
                             .event_ctx = w};
  w->written = wire_written;
  if (wire_written) {
    cfg.on_written = on_written;
    cfg.written_ctx = w;
  }
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_sim_symbol_t sym;
  memset(&sym, 0, sizeof sym);
  t_instrument(&sym.ins, "BTC-USD");
  sym.lp.enabled = true;
  sym.lp.ref_px = T_D("65000");
  sym.lp.spread_ticks = 2;
  sym.lp.levels = 3;
  sym.lp.size = T_D("1");
  oms_sim_config_t sc = {.name = "SIM",
                         .clock = oms_clock_manual(&w->now),
                         .max_orders = 1024,
                         .ack_latency_ns = 1 * MS,
                         .fill_latency_ns = 1 * MS,
                         .seed = 42,
                         .symbols = &sym,
                         .nsymbols = 1};
  assert_int_equal(oms_sim_venue_create(&sc, &w->sim), 0);
  assert_int_equal(oms_engine_add_instrument(w->e, &sym.ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(w->e, w->sim, NULL), 0);
  oms_portfolio_set_cash(w->pf, "ACC1", T_D("1000000"), w->now);
  oms_portfolio_set_cash(w->pf, "ACC2", T_D("1000000"), w->now);
  oms_risk_set_reference_price(w->risk, "BTC-USD", T_D("65000"), w->now);
  loose_limits(w->risk, NULL);

  make_gateway(w, cod, store);
  return w;
}

/* The gateway over w's engine (again, after oms_gateway_destroy: a daemon
 * restart as the gateway sees it). */
static void make_gateway(world_t *w, bool cod, oms_store_t *store) {
  oms_gateway_config_t gc = {.engine = w->e,
                             .store = store,
                             .clock = oms_clock_manual(&w->now),
                             .default_venue = "SIM",
                             .max_tracked = 16,
                             .max_conns = 3,
                             .io = {.send = io_send,
                                    .close = io_close,
                                    .log = io_log,
                                    .logon_check = io_logon_check,
                                    .logon_done = io_logon_done,
                                    .ctx = w}};
  assert_int_equal(oms_gateway_create(&gc, &w->gw), 0);
  oms_gateway_session_config_t s1 = {.client_comp_id = "CLIENT1",
                                     .our_comp_id = "OMS",
                                     .password = "pw1",
                                     .account = "ACC1",
                                     .cancel_on_disconnect = cod};
  oms_gateway_session_config_t s2 = {
      .client_comp_id = "CLIENT2", .our_comp_id = "OMS", .account = "ACC2"};
  assert_int_equal(oms_gateway_add_session(w->gw, &s1), 0);
  assert_int_equal(oms_gateway_add_session(w->gw, &s2), 0);
  assert_int_equal(oms_gateway_add_session(w->gw, &s2), OMS_EEXIST);
}

static void destroy(world_t *w) {
  oms_gateway_destroy(w->gw);
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  free(w);
}

static void run_ms(world_t *w, int ms) {
  for (int i = 0; i < ms; i++) {
    w->now += MS;
    oms_engine_poll(w->e);
  }
}

/* Sends one message "35=type|49=comp|56=OMS|34=seq|52=...|" + body on conn. */
static int send_raw(world_t *w, int conn, const char *type, const char *body) {
  char hdr[8192], msg[8192];
  snprintf(hdr, sizeof hdr, "35=%s|49=%s|56=OMS|34=%lld|52=20260101-00:00:00.000|%s", type,
           w->comp[conn], (long long)w->seq[conn]++, body);
  size_t n = frame(msg, sizeof msg, hdr);
  return oms_gateway_conn_data(w->gw, (uint64_t)conn, msg, n);
}

/* The next message from the gateway on conn (skipping heartbeats when
 * skip_admin), parsed into m; 0 or -1 when there is none. */
static int next_msg(world_t *w, int conn, oms_fix_msg_t *m) {
  conn_out_t *o = &w->out[conn];
  while (o->read < o->len) {
    size_t used = 0;
    int rc = oms_fix_parse(o->buf + o->read, o->len - o->read, NULL, m, &used, NULL);
    assert_int_equal(rc, 0);
    o->read += used;
    if (!oms_fix_msg_is(m, "0")) return 0;
  }
  return -1;
}

static char *val(const oms_fix_msg_t *m, uint32_t tag) {
  static char bufs[8][256];
  static int k;
  char *b = bufs[k++ % 8];
  oms_fix_str_t s;
  if (oms_fix_msg_get_str(m, tag, &s) != 0) return strcpy(b, "<none>");
  snprintf(b, 256, "%.*s", (int)s.len, s.ptr);
  return b;
}

/* Asserts the next message is type and returns it. */
static oms_fix_msg_t *expect(world_t *w, int conn, const char *type) {
  static oms_fix_msg_t m;
  if (next_msg(w, conn, &m) != 0) fail_msg("conn %d: no message, wanted %s", conn, type);
  if (!oms_fix_msg_is(&m, type))
    fail_msg("conn %d: got 35=%.*s (58=%s), wanted %s", conn, (int)m.msg_type.len, m.msg_type.ptr,
             val(&m, 58), type);
  return &m;
}

static void expect_none(world_t *w, int conn) {
  oms_fix_msg_t m;
  if (next_msg(w, conn, &m) == 0)
    fail_msg("conn %d: unexpected 35=%.*s", conn, (int)m.msg_type.len, m.msg_type.ptr);
}

/* Reads the reports of group list_id's members waiting on conn, up to the
 * first other message (left unread): each under its ClOrdID
 * G<group>.<n> with ListID(66) = the group's ClOrdID (docs/groups.md).
 * Returns them as "n:ExecType/OrdStatus " in order. */
static const char *member_reports(world_t *w, int conn, const char *list_id) {
  static char out[512];
  static oms_fix_msg_t m;
  out[0] = '\0';
  for (;;) {
    size_t at = w->out[conn].read;
    if (next_msg(w, conn, &m) != 0) break;
    if (!oms_fix_msg_is(&m, "8") || strcmp(val(&m, 66), list_id) != 0) {
      w->out[conn].read = at;
      break;
    }
    const char *dot = strrchr(val(&m, 11), '.');
    assert_non_null(dot);
    assert_int_equal(val(&m, 11)[0], 'G');
    size_t n = strlen(out);
    snprintf(out + n, sizeof out - n, "%s:%s/%s ", dot + 1, val(&m, 150), val(&m, 39));
  }
  return out;
}

/* Every message waiting on conn, read and written as one line each: an
 * ExecutionReport "8 <ClOrdID> <ExecType>/<OrdStatus>" (and " 41=<OrigClOrdID>",
 * " 66=<ListID>" when it has them), a ListStatus
 * "N <ListStatusType>/<ListOrderStatus>" and per NoOrders entry
 * " <ClOrdID>=<OrdStatus>/<CumQty>/<LeavesQty>/<CxlQty>", others
 * "<MsgType>". */
static const char *heard_all(world_t *w, int conn) {
  static char out[8192];
  oms_fix_msg_t m;
  out[0] = '\0';
  while (next_msg(w, conn, &m) == 0) {
    size_t n = strlen(out);
    if (oms_fix_msg_is(&m, "8")) {
      const char *orig = val(&m, 41), *list = val(&m, 66);
      snprintf(out + n, sizeof out - n, "8 %s %s/%s%s%s%s%s\n", val(&m, 11), val(&m, 150),
               val(&m, 39), orig[0] == '<' ? "" : " 41=", orig[0] == '<' ? "" : orig,
               list[0] == '<' ? "" : " 66=", list[0] == '<' ? "" : list);
      continue;
    }
    if (!oms_fix_msg_is(&m, "N")) {
      snprintf(out + n, sizeof out - n, "%.*s\n", (int)m.msg_type.len, m.msg_type.ptr);
      continue;
    }
    assert_string_equal(val(&m, 82), "1");
    assert_string_equal(val(&m, 83), "1");
    assert_string_equal(val(&m, 68), val(&m, 73));
    n += (size_t)snprintf(out + n, sizeof out - n, "N %s/%s", val(&m, 429), val(&m, 431));
    static const uint32_t row[] = {11, 39, 14, 151, 84};
    for (size_t i = 0; i < m.nfields; i++) {
      if (m.fields[i].tag != 11) continue;
      for (size_t r = 0; r < 5; r++)
        for (size_t j = i; j < m.nfields && (j == i || m.fields[j].tag != 11); j++) {
          if (m.fields[j].tag != row[r]) continue;
          oms_fix_str_t v = oms_fix_msg_value(&m, j);
          n += (size_t)snprintf(out + n, sizeof out - n, "%s%.*s",
                                r == 0   ? " "
                                : r == 1 ? "="
                                         : "/",
                                (int)v.len, v.ptr);
        }
    }
    snprintf(out + n, sizeof out - n, "\n");
  }
  return out;
}

static void expect_er(world_t *w, int conn, const char *exec_type, const char *ord_status) {
  oms_fix_msg_t *m = expect(w, conn, "8");
  if (strcmp(val(m, 150), exec_type) != 0 || strcmp(val(m, 39), ord_status) != 0)
    fail_msg("ER 150=%s 39=%s (58=%s), wanted 150=%s 39=%s", val(m, 150), val(m, 39), val(m, 58),
             exec_type, ord_status);
}

static void logon(world_t *w, int conn, const char *comp, const char *pw) {
  w->comp[conn] = comp;
  if (w->seq[conn] == 0) w->seq[conn] = 1;
  memset(&w->out[conn], 0, sizeof w->out[conn]);
  assert_int_equal(oms_gateway_conn_open(w->gw, (uint64_t)conn), 0);
  char body[128];
  snprintf(body, sizeof body, "98=0|108=30|%s%s%s", pw ? "554=" : "", pw ? pw : "", pw ? "|" : "");
  send_raw(w, conn, "A", body);
}

static world_t *ready(bool cod) {
  world_t *w = make(cod);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  return w;
}

#define TT "60=20260101-00:00:00.000|"

static void new_limit(world_t *w, int conn, const char *clordid, const char *side, const char *qty,
                      const char *px, const char *extra) {
  char body[512];
  snprintf(body, sizeof body, "11=%s|55=BTC-USD|54=%s|" TT "38=%s|40=2|44=%s|59=1|%s", clordid,
           side, qty, px, extra ? extra : "");
  send_raw(w, conn, "D", body);
}

/* ---- Write-ahead ------------------------------------------------------------------ */

static world_t *restart(world_t *w, bool cod, oms_store_t *st);

/* The memory store with its durability held back at a ticket: its vtable is
 * swapped for one whose durable_ticket and wait answer from the limit. */
static uint64_t held_at = UINT64_MAX;
static oms_store_vtbl_t held_vt;

static uint64_t held_durable(const oms_store_t *s) {
  uint64_t t = mem_vt->durable_ticket(s);
  return t < held_at ? t : held_at;
}

static int held_wait(oms_store_t *s, uint64_t ticket, int64_t timeout_ns) {
  (void)timeout_ns;
  return ticket <= held_durable(s) ? mem_vt->wait(s, ticket, 0) : OMS_ETIMEDOUT;
}

static oms_store_t *held_store(void) {
  oms_store_t *mem;
  assert_int_equal(oms_store_memory_create(NULL, &mem), 0);
  mem_vt = mem->vt;
  held_vt = *mem->vt;
  held_vt.durable_ticket = held_durable;
  held_vt.wait = held_wait;
  mem->vt = &held_vt;
  held_at = UINT64_MAX;
  return mem;
}

static void test_no_byte_leaves_before_its_sequence_number_is_durable(void **state) {
  (void)state;
  oms_store_t *st = held_store();
  world_t *w = make_with(true, st);
  held_at = oms_store_durable_ticket(st); /* nothing more becomes durable */
  logon(w, 1, "CLIENT1", "pw1");
  assert_int_equal(w->out[1].len, 0); /* the Logon waits for its MsgSeqNum */
  assert_int_equal(oms_gateway_pump(w->gw), 0);
  assert_int_equal(w->out[1].len, 0);
  held_at = UINT64_MAX;
  assert_int_equal(oms_gateway_pump(w->gw), 1);
  oms_fix_msg_t *m = expect(w, 1, "A");
  assert_string_equal(val(m, 34), "1");
  /* a TestRequest answered while the store lags: queued behind, in order */
  held_at = oms_store_durable_ticket(st);
  send_raw(w, 1, "1", "112=T1|");
  send_raw(w, 1, "1", "112=T2|");
  assert_int_equal(w->out[1].len, w->out[1].read);
  held_at = UINT64_MAX;
  assert_int_equal(oms_gateway_pump(w->gw), 2);
  conn_out_t *o = &w->out[1];
  oms_fix_msg_t hb;
  size_t used;
  assert_int_equal(oms_fix_parse(o->buf + o->read, o->len - o->read, NULL, &hb, &used, NULL), 0);
  assert_string_equal(val(&hb, 112), "T1");
  assert_string_equal(val(&hb, 34), "2");
  o->read += used;
  assert_int_equal(oms_fix_parse(o->buf + o->read, o->len - o->read, NULL, &hb, &used, NULL), 0);
  assert_string_equal(val(&hb, 112), "T2");
  o->read += used;
  /* a Logout that never becomes durable is never written: the session ends */
  held_at = oms_store_durable_ticket(st);
  send_raw(w, 1, "5", "");
  assert_int_equal(w->out[1].len, w->out[1].read);
  assert_true(w->out[1].closed);
  oms_gateway_conn_closed(w->gw, 1);
  held_at = UINT64_MAX;
  assert_int_equal(oms_gateway_pump(w->gw), 0);
  assert_int_equal(w->out[1].len, w->out[1].read);
  oms_gateway_flush(w->gw, 0);
  destroy(w);
  oms_store_close(st);
}

/* Wired to the engine's written hook (as omsd is), the report of an event
 * is numbered and stored as soon as the event is written, behind it, and
 * held until its own ticket is durable: one durability step releases the
 * event and its report, and never the report alone. */
static void test_a_report_stored_behind_its_written_event_leaves_with_one_sync(void **state) {
  (void)state;
  oms_store_t *st = held_store();
  wire_written = true;
  world_t *w = make_with(false, st);
  wire_written = false;
  w->written_store = st;
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  held_at = oms_store_durable_ticket(st);
  new_limit(w, 1, "w1", "1", "0.1", "60000", NULL);
  assert_int_equal(w->written_events, 1);
  assert_int_equal(w->out[1].len, w->out[1].read); /* held */
  oms_engine_stats_t es;
  oms_engine_stats(w->e, &es);
  assert_int_equal(es.outbox_depth, 2); /* the venue send and the durable event wait */
  /* the report is stored already, after its event: durable up to the
   * event alone releases nothing to the client */
  held_at = w->written_ticket;
  assert_int_equal(oms_gateway_pump(w->gw), 0);
  held_at = w->written_ticket + 1;
  assert_int_equal(oms_gateway_pump(w->gw), 1);
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "A");
  assert_string_equal(val(m, 11), "w1");
  assert_string_equal(val(m, 17), "1"); /* ExecID: the event's seq */
  held_at = UINT64_MAX;
  run_ms(w, 5);
  expect_er(w, 1, "0", "0"); /* the venue's answer, reported once */
  assert_int_equal(oms_gateway_pump(w->gw), 0);
  /* a synchronous refusal is reported from the hook, once */
  new_limit(w, 1, "w2", "1", "0", "60000", NULL);
  expect_er(w, 1, "8", "8");
  expect_none(w, 1);
  destroy(w);
  oms_store_close(st);
}

/* A session that drops while its report is sent from inside an engine
 * command (the written hook) runs its cancel-on-disconnect only once the
 * engine is out of that command: at the end of the gateway call. */
static void test_a_drop_inside_the_written_hook_cancels_after_the_command(void **state) {
  (void)state;
  oms_store_t *st;
  assert_int_equal(oms_store_memory_create(NULL, &st), 0);
  wire_written = true;
  world_t *w = make_with(true, st);
  wire_written = false;
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  new_limit(w, 1, "k1", "1", "0.1", "60000", NULL);
  expect_er(w, 1, "A", "A");
  run_ms(w, 5);
  expect_er(w, 1, "0", "0");
  oms_order_t o;
  assert_int_equal(oms_engine_get_by_clordid(w->e, "CLIENT1", "k1", &o), 0);
  w->fail_send = 1;
  new_limit(w, 1, "k2", "1", "0.1", "60000", NULL);
  assert_true(w->out[1].closed);
  w->fail_send = 0;
  run_ms(w, 5);
  assert_int_equal(oms_engine_get(w->e, o.order_id, &o), 0);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  assert_int_equal(oms_engine_get_by_clordid(w->e, "CLIENT1", "k2", &o), 0);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  destroy(w);
  oms_store_close(st);
}

static void test_the_outbox_grows_keeps_order_and_has_a_bound(void **state) {
  (void)state;
  oms_store_t *st = held_store();
  world_t *w = make_with(false, st);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  held_at = oms_store_durable_ticket(st);
  for (int i = 0; i < 400; i++) send_raw(w, 1, "1", "112=T|");
  assert_int_equal(w->out[1].len, w->out[1].read);
  held_at = UINT64_MAX;
  assert_int_equal(oms_gateway_pump(w->gw), 400);
  for (int i = 0; i < 400; i++) {
    oms_fix_msg_t m;
    size_t used;
    conn_out_t *o = &w->out[1];
    assert_int_equal(oms_fix_parse(o->buf + o->read, o->len - o->read, NULL, &m, &used, NULL), 0);
    o->read += used;
    assert_int_equal(atoi(val(&m, 34)), i + 2);
  }
  /* a session whose bytes can not leave is ended at the bound, not grown
   * without end; what it numbered is stored, a resend serves it */
  held_at = oms_store_durable_ticket(st);
  int sent = 0;
  while (!w->out[1].closed && sent < 100000) {
    send_raw(w, 1, "1", "112=T|");
    sent++;
  }
  assert_true(w->out[1].closed);
  assert_true(sent > 1000);
  oms_gateway_conn_closed(w->gw, 1);
  held_at = UINT64_MAX;
  /* a graceful stop saves how far each client was told */
  oms_gateway_flush(w->gw, 0);
  uint64_t cursor = 99;
  assert_int_equal(oms_store_cursor_get(st, "fix:CLIENT1-OMS", &cursor), 0);
  assert_int_equal(cursor, 0);
  destroy(w);
  oms_store_close(st);
}

static void test_a_sequence_reset_does_not_report_the_history_again(void **state) {
  (void)state;
  oms_store_t *st;
  assert_int_equal(oms_store_memory_create(NULL, &st), 0);
  world_t *w = make_with(false, st);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  new_limit(w, 1, "r1", "1", "0.1", "60000", NULL);
  run_ms(w, 5);
  expect_er(w, 1, "A", "A");
  expect_er(w, 1, "0", "0");
  send_raw(w, 1, "5", "");
  oms_gateway_conn_closed(w->gw, 1);
  /* the client starts over: 141=Y deletes the stored reports */
  w->seq[1] = 1;
  memset(&w->out[1], 0, sizeof w->out[1]);
  assert_int_equal(oms_gateway_conn_open(w->gw, 1), 0);
  send_raw(w, 1, "A", "98=0|108=30|554=pw1|141=Y|");
  oms_fix_msg_t *m = expect(w, 1, "A");
  assert_string_equal(val(m, 141), "Y");
  w = restart(w, false, st);
  uint32_t n = 9;
  assert_int_equal(oms_gateway_catch_up(w->gw, &n), 0);
  assert_int_equal(n, 0);
  destroy(w);
  oms_store_close(st);
}

static void test_a_resend_follows_what_is_queued(void **state) {
  (void)state;
  oms_store_t *st = held_store();
  world_t *w = make_with(false, st);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  held_at = oms_store_durable_ticket(st);
  for (int i = 0; i < 50; i++) send_raw(w, 1, "1", "112=T|");
  held_at = UINT64_MAX;
  /* no pump: the resend itself empties the outbox first, in order */
  send_raw(w, 1, "2", "7=1|16=0|");
  for (int i = 0; i < 50; i++) {
    oms_fix_msg_t m;
    size_t used;
    conn_out_t *o = &w->out[1];
    assert_int_equal(oms_fix_parse(o->buf + o->read, o->len - o->read, NULL, &m, &used, NULL), 0);
    o->read += used;
    assert_true(oms_fix_msg_is(&m, "0"));
    assert_int_equal(atoi(val(&m, 34)), i + 2);
  }
  oms_fix_msg_t *m = expect(w, 1, "4");
  assert_string_equal(val(m, 34), "1");
  assert_string_equal(val(m, 36), "52");
  assert_int_equal(oms_gateway_pump(w->gw), 0);
  destroy(w);
  oms_store_close(st);
}

static void test_events_never_reported_are_caught_up_after_a_restart(void **state) {
  (void)state;
  oms_store_t *st;
  assert_int_equal(oms_store_memory_create(NULL, &st), 0);
  world_t *w = make_with(false, st);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  new_limit(w, 1, "c1", "1", "0.1", "60000", NULL);
  run_ms(w, 5);
  expect_er(w, 1, "A", "A");
  expect_er(w, 1, "0", "0");
  /* the cancel's events are stored, and the daemon dies before their
   * reports are */
  w->mute = 1;
  send_raw(w, 1, "F", "11=c1x|41=c1|55=BTC-USD|54=1|" TT);
  run_ms(w, 5);
  assert_int_equal(w->out[1].len, w->out[1].read);
  w = restart(w, false, st);
  uint32_t n = 9;
  assert_int_equal(oms_gateway_catch_up(w->gw, &n), 0);
  assert_int_equal(n, 1);
  /* once stored, a report is never made again */
  w = restart(w, false, st);
  assert_int_equal(oms_gateway_catch_up(w->gw, &n), 0);
  assert_int_equal(n, 0);
  logon(w, 1, "CLIENT1", "pw1");
  /* each start after a crash skipped one number (4, then 7); 5 and 6 are
   * the caught-up reports */
  oms_fix_msg_t *m = expect(w, 1, "A");
  assert_string_equal(val(m, 34), "8");
  send_raw(w, 1, "2", "7=4|16=0|");
  m = expect(w, 1, "4");
  assert_string_equal(val(m, 34), "4");
  assert_string_equal(val(m, 123), "Y");
  assert_string_equal(val(m, 36), "5");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 34), "5");
  assert_string_equal(val(m, 43), "Y");
  assert_string_equal(val(m, 39), "6");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 34), "6");
  assert_string_equal(val(m, 39), "4");
  assert_string_equal(val(m, 11), "c1");
  m = expect(w, 1, "4");
  assert_string_equal(val(m, 34), "7"); /* 7 skipped, 8 the Logon: both admin */
  assert_string_equal(val(m, 36), "9");
  destroy(w);
  oms_store_close(st);
}

/* A venue's trade bust, correction and restatement reach the client as
 * ExecType H, G and D; the first two name, in ExecRefID, the ExecID of the
 * trade report the client had. */
static void test_busts_corrections_and_restatements_reach_the_client(void **state) {
  (void)state;
  oms_store_t *st;
  assert_int_equal(oms_store_memory_create(NULL, &st), 0);
  world_t *w = make_with(false, st);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  new_limit(w, 1, "b1", "1", "0.5", "66000", NULL); /* crosses: fills at the ask */
  run_ms(w, 5);
  expect_er(w, 1, "A", "A");
  expect_er(w, 1, "0", "0");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "F");
  char trade_id[32];
  snprintf(trade_id, sizeof trade_id, "%s", val(m, 17));
  while (next_msg(w, 1, m) == 0) {
  }
  oms_event_t ev = w->last_fill;
  assert_int_equal(oms_store_flush(st, INT64_C(1000000000)), 0);
  ev.seq += 100;
  ev.type = OMS_EVT_ORDER_FILL_CORRECTED;
  ev.fill.old_qty = ev.fill.qty;
  ev.fill.old_price = ev.fill.price;
  ev.fill.price = T_D("65001");
  oms_gateway_on_event(w->gw, &ev);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "G");
  assert_string_equal(val(m, 19), trade_id);
  assert_string_equal(val(m, 31), "65001");
  ev.seq += 1;
  ev.type = OMS_EVT_ORDER_FILL_BUSTED;
  ev.fill.old_price = ev.fill.price;
  ev.fill.qty = ev.fill.price = T_D("0");
  oms_gateway_on_event(w->gw, &ev);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "H");
  assert_string_equal(val(m, 19), trade_id); /* the trade as stored: no later fill booked it */
  assert_string_equal(val(m, 31), "65001");
  ev.seq += 1;
  ev.type = OMS_EVT_ORDER_RESTATED;
  snprintf(ev.text, sizeof ev.text, "venue reduced the order");
  oms_gateway_on_event(w->gw, &ev);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "D");
  assert_string_equal(val(m, 58), "venue reduced the order");
  destroy(w);
  oms_store_close(st);
}

/* A number skipped after a crash protects the one an unstored Logout may
 * have used; after a clean stop nothing is skipped. */
static void test_a_clean_stop_skips_no_number_and_a_crash_skips_one(void **state) {
  (void)state;
  oms_store_t *st;
  assert_int_equal(oms_store_memory_create(NULL, &st), 0);
  world_t *w = make_with(false, st);
  uint32_t n;
  assert_int_equal(oms_gateway_catch_up(w->gw, &n), 0); /* new: nothing to skip */
  logon(w, 1, "CLIENT1", "pw1");
  assert_string_equal(val(expect(w, 1, "A"), 34), "1");
  oms_gateway_flush(w->gw, INT64_C(1000000000));
  w = restart(w, false, st);
  assert_int_equal(oms_gateway_catch_up(w->gw, &n), 0);
  logon(w, 1, "CLIENT1", "pw1");
  assert_string_equal(val(expect(w, 1, "A"), 34), "2"); /* clean: no skip */
  w = restart(w, false, st);                            /* a crash */
  assert_int_equal(oms_gateway_catch_up(w->gw, &n), 0);
  logon(w, 1, "CLIENT1", "pw1");
  assert_string_equal(val(expect(w, 1, "A"), 34), "4"); /* 3 skipped */
  destroy(w);
  oms_store_close(st);
}

/* ---- Tests ---------------------------------------------------------------------- */

static void test_logon_and_limit_order_gets_pending_new_then_new(void **state) {
  (void)state;
  world_t *w = ready(true);
  assert_int_equal(oms_gateway_sessions_connected(w->gw), 1);
  assert_int_equal(oms_gateway_conns(w->gw), 1);
  new_limit(w, 1, "o1", "1", "0.5", "60000", NULL);
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "A");
  assert_string_equal(val(m, 11), "o1");
  assert_string_equal(val(m, 1), "ACC1");
  assert_string_equal(val(m, 151), "0.5");
  assert_string_equal(val(m, 14), "0");
  assert_string_equal(val(m, 59), "1");
  run_ms(w, 3);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "0");
  assert_string_equal(val(m, 39), "0");
  assert_string_equal(val(m, 44), "60000");
  expect_none(w, 1);
  destroy(w);
}

static void test_market_order_fills_with_last_qty_and_px(void **state) {
  (void)state;
  world_t *w = ready(true);
  send_raw(w, 1, "D", "11=m1|55=BTC-USD|54=1|" TT "38=0.5|40=1|59=3|");
  expect_er(w, 1, "A", "A");
  run_ms(w, 5);
  expect_er(w, 1, "0", "0");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "F");
  assert_string_equal(val(m, 39), "2");
  assert_string_equal(val(m, 32), "0.5");
  assert_string_equal(val(m, 14), "0.5");
  assert_string_equal(val(m, 151), "0");
  assert_string_not_equal(val(m, 31), "<none>");
  assert_string_equal(val(m, 6), val(m, 31));
  destroy(w);
}

/* TargetStrategy(847) with the parameters' tags (docs/algos.md) makes a
 * parent: the client hears of the parent (New, then its fills as the
 * children trade), never of the children; bad tags are refused with the
 * parameter named. */
static void test_target_strategy_makes_a_parent_worked_by_children(void **state) {
  (void)state;
  world_t *w = ready(true);
  send_raw(w, 1, "D",
           "11=tw1|55=BTC-USD|54=1|" TT
           "38=0.3|40=1|59=1|847=1000|"
           "20002=20260101-00:00:30.000|20003=10000|20010=3|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "0");
  assert_string_equal(val(m, 11), "tw1");
  run_ms(w, 35000);
  oms_dec_t sum = OMS_DEC_ZERO;
  int trades = 0;
  do {
    m = expect(w, 1, "8");
    assert_string_equal(val(m, 150), "F");
    assert_string_equal(val(m, 11), "tw1");
    oms_dec_add(sum, T_D(val(m, 32)), &sum);
    trades++;
  } while (strcmp(val(m, 39), "2") != 0 && trades < 10);
  assert_true(oms_dec_eq(sum, T_D("0.3")));
  assert_true(trades >= 3);
  expect_none(w, 1);
  /* an iceberg without its display quantity, an unknown parameter tag */
  send_raw(w, 1, "D", "11=ice|55=BTC-USD|54=1|" TT "38=1|40=2|44=60000|59=1|847=ICEBERG|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_non_null(strstr(val(m, 58), "display_qty"));
  send_raw(w, 1, "D", "11=unk|55=BTC-USD|54=1|" TT "38=1|40=1|59=1|847=1000|20999=5|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_non_null(strstr(val(m, 58), "ALGO_UNKNOWN_TAG"));
  /* a passive TWAP cancelled by its ClOrdID: its resting child goes with it */
  send_raw(w, 1, "D",
           "11=tw2|55=BTC-USD|54=1|" TT
           "38=0.4|40=2|44=64000|59=1|847=TWAP|"
           "20002=20260101-00:10:00.000|20003=60000|20010=1|");
  expect_er(w, 1, "0", "0");
  run_ms(w, 10);
  expect_none(w, 1);
  send_raw(w, 1, "F", "41=tw2|11=tw2-x|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "6");
  assert_string_equal(val(m, 11), "tw2-x");
  run_ms(w, 5);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "4");
  assert_string_equal(val(m, 39), "4");
  assert_string_equal(val(m, 41), "tw2");
  expect_none(w, 1);
  destroy(w);
}

/* A NewOrderSingle with TakeProfitPrice(20102) and StopLossPrice(20103)
 * (docs/algos.md) is a bracket's entry: the client hears of the group order
 * (New; at its end the entry's fills) and of each member under its own
 * ClOrdID with ListID(66) = the group's, the exits work at the venue; a
 * cancel by its ClOrdID ends the group; exits on the wrong side of each
 * other, or an OCO asked of a single order, are refused naming the field. */
static void test_take_profit_and_stop_loss_tags_make_a_bracket(void **state) {
  (void)state;
  world_t *w = ready(true);
  send_raw(w, 1, "D", "11=br1|55=BTC-USD|54=1|" TT "38=0.5|40=1|59=3|20102=70000|20103=60000|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "0");
  assert_string_equal(val(m, 11), "br1");
  run_ms(w, 10);
  /* the entry filled at once; the exits rest: the members' own reports */
  assert_string_equal(member_reports(w, 1, "br1"), "1:A/A 1:0/0 1:F/2 2:A/A 3:A/A 2:0/0 3:0/0 ");
  expect_none(w, 1);
  send_raw(w, 1, "F", "41=br1|11=br1-x|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "6");
  run_ms(w, 10);
  assert_string_equal(member_reports(w, 1, "br1"), "2:6/6 3:6/6 2:4/4 3:4/4 ");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "F"); /* the entry's fill, on the group's end */
  assert_string_equal(val(m, 39), "2");
  assert_string_equal(val(m, 32), "0.5");
  expect_none(w, 1);
  send_raw(w, 1, "D", "11=br2|55=BTC-USD|54=1|" TT "38=0.5|40=1|59=3|20102=60000|20103=70000|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_non_null(strstr(val(m, 58), "take_profit: price 60000 not above"));
  send_raw(w, 1, "D", "11=br3|55=BTC-USD|54=1|" TT "38=0.5|40=1|59=3|20101=1|20102=70000|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_non_null(strstr(val(m, 58), "ContingencyType(20101)=1"));
  send_raw(w, 1, "D", "11=br4|55=BTC-USD|54=1|" TT "38=0.5|40=1|59=3|20104=59000|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_non_null(strstr(val(m, 58), "needs StopLossPrice(20103)"));
  destroy(w);
}

/* ContingencyType(20101) 1 or 2 with OtherLegPrice(20105) and/or
 * OtherLegStopPx(20106) makes the NewOrderSingle an OCO's (OUO's) first leg,
 * the other on the same side and size (docs/groups.md): both rest, a cancel
 * by the ClOrdID ends the group; a leg tag without 1 or 2, or mixed with
 * the bracket's tags, is refused naming the tags. */
static void test_other_leg_tags_make_an_oco(void **state) {
  (void)state;
  world_t *w = ready(true);
  send_raw(w, 1, "D",
           "11=oc1|55=BTC-USD|54=1|" TT "38=0.5|40=2|44=50000|59=1|20101=1|20106=70000|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "0");
  assert_string_equal(val(m, 11), "oc1");
  run_ms(w, 10);
  /* a buy limit below and a buy stop above the market: both rest */
  assert_string_equal(member_reports(w, 1, "oc1"), "1:A/A 2:A/A 1:0/0 2:0/0 ");
  expect_none(w, 1);
  send_raw(w, 1, "F", "41=oc1|11=oc1-x|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "6");
  run_ms(w, 10);
  assert_string_equal(member_reports(w, 1, "oc1"), "1:6/6 2:6/6 1:4/4 2:4/4 ");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "4");
  assert_string_equal(val(m, 39), "4");
  expect_none(w, 1);
  send_raw(w, 1, "D", "11=oc2|55=BTC-USD|54=1|" TT "38=0.5|40=2|44=50000|59=1|20105=51000|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_non_null(strstr(val(m, 58), "OtherLegPrice(20105)"));
  send_raw(w, 1, "D",
           "11=oc3|55=BTC-USD|54=1|" TT "38=0.5|40=2|44=50000|59=1|20101=2|20105=51000|20102=1|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_non_null(strstr(val(m, 58), "ContingencyType(20101)=2"));
  send_raw(w, 1, "D", "11=oc4|55=BTC-USD|54=1|" TT "38=0.5|40=2|44=50000|59=1|20101=7|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_non_null(strstr(val(m, 58), "1 (OCO), 2 (OUO)"));
  destroy(w);
}

/* A NewOrderList (35=E) with ContingencyType(20101) is a contingent group
 * (docs/groups.md): ListID(66) names the group order, the entries are its
 * members in ListSeqNo order and are reported under their own ClOrdIDs
 * with ListID; a cancel of the ListID ends it. What a list can not be is
 * refused with a BusinessMessageReject naming the ListID and the reason. */
static void test_new_order_list_is_a_contingent_group(void **state) {
  (void)state;
  world_t *w = ready(true);
  send_raw(w, 1, "E",
           "66=L1|394=3|20101=1|68=2|73=2|"
           "11=L1a|67=1|55=BTC-USD|54=1|38=0.5|40=2|44=50000|59=1|"
           "11=L1b|67=2|55=BTC-USD|54=1|38=0.5|40=3|99=70000|59=1|");
  run_ms(w, 10);
  /* the members under the list's ClOrdIDs, ListID the list's; a ListStatus
   * (N) when the list is taken (Ack), then as each member changes (Alert):
   * "N <429>/<431> <ClOrdID>=<OrdStatus>/<CumQty>/<LeavesQty>/<CxlQty>" */
  assert_string_equal(heard_all(w, 1),
                      "8 L1 0/0\n"
                      "N 1/3 L1a=A/0/0.5/0 L1b=A/0/0.5/0\n"
                      "8 L1a A/A 66=L1\n"
                      "8 L1b A/A 66=L1\n"
                      "8 L1a 0/0 66=L1\n"
                      "N 6/3 L1a=0/0/0.5/0 L1b=A/0/0.5/0\n"
                      "8 L1b 0/0 66=L1\n"
                      "N 6/3 L1a=0/0/0.5/0 L1b=0/0/0.5/0\n");
  oms_fix_msg_t *m;
  send_raw(w, 1, "E",
           "66=L1|394=3|20101=1|68=2|73=2|"
           "11=L1a|67=1|55=BTC-USD|54=1|38=0.5|40=2|44=50000|59=1|"
           "11=L1b|67=2|55=BTC-USD|54=1|38=0.5|40=3|99=70000|59=1|");
  m = expect(w, 1, "j"); /* the ListID, and the members' names, are taken */
  assert_non_null(strstr(val(m, 58), "DUPLICATE_CLORDID: order 1: ClOrdID L1a"));
  send_raw(w, 1, "F", "41=L1|11=L1-x|55=BTC-USD|54=1|" TT);
  run_ms(w, 10);
  /* the cancel's own reports as for any order (11 the cancel's, 41=L1) */
  assert_string_equal(heard_all(w, 1),
                      "8 L1-x 6/6 41=L1\n"
                      "8 L1a 6/6 66=L1\n"
                      "8 L1b 6/6 66=L1\n"
                      "8 L1a 4/4 66=L1\n"
                      "N 6/4 L1a=4/0/0/0.5 L1b=6/0/0.5/0\n"
                      "8 L1b 4/4 66=L1\n"
                      "N 6/6 L1a=4/0/0/0.5 L1b=4/0/0/0.5\n"
                      "8 L1-x 4/4 41=L1\n"
                      "N 5/6 L1a=4/0/0/0.5 L1b=4/0/0/0.5\n");
  static const struct {
    const char *body, *text;
  } bad[] = {
      {"66=L2|394=1|20101=1|68=2|73=2|11=a|67=1|55=BTC-USD|54=1|38=1|40=2|44=50000|"
       "11=b|67=2|55=BTC-USD|54=1|38=1|40=3|99=70000|",
       "UNSUPPORTED: BidType(394)=1"},
      {"66=L3|394=3|68=2|73=2|11=a|67=1|55=BTC-USD|54=1|38=1|40=2|44=50000|"
       "11=b|67=2|55=BTC-USD|54=1|38=1|40=3|99=70000|",
       "ContingencyType(20101)"},
      {"66=L4|394=3|20101=1|68=3|73=2|11=a|67=1|55=BTC-USD|54=1|38=1|40=2|44=50000|"
       "11=b|67=2|55=BTC-USD|54=1|38=1|40=3|99=70000|",
       "GROUP_MEMBERS: TotNoOrders(68)=3 but 2"},
      {"66=L5|394=3|20101=1|68=2|73=2|11=a|67=2|55=BTC-USD|54=1|38=1|40=2|44=50000|"
       "11=b|67=1|55=BTC-USD|54=1|38=1|40=3|99=70000|",
       "GROUP_MEMBERS: order 1: ListSeqNo(67)=2"},
      {"66=L6|394=3|20101=1|68=2|73=2|11=a|67=1|55=BTC-USD|54=1|38=1|40=2|44=50000|"
       "11=b|67=2|55=BTC-USD|54=7|38=1|40=3|99=70000|",
       "order 2 (ClOrdID b): Side(54)=7"},
      {"66=L7|394=3|20101=9|68=2|73=2|11=a|67=1|55=BTC-USD|54=1|38=1|40=2|44=50000|"
       "11=b|67=2|55=BTC-USD|54=1|38=1|40=3|99=70000|",
       "GROUP_KIND"},
      {"66=L1|394=3|20101=1|68=2|73=2|11=a|67=1|55=BTC-USD|54=1|38=1|40=2|44=50000|"
       "11=b|67=2|55=BTC-USD|54=1|38=1|40=3|99=70000|",
       "DUPLICATE_CLORDID"},
      {"66=L8|394=3|20101=1|68=2|73=2|11=a|67=1|55=BTC-USD|54=1|38=1|40=2|44=50000|"
       "11=b|67=2|55=ETH-USD|54=1|38=1|40=3|99=70000|",
       "Symbol(55)=ETH-USD, not BTC-USD"},
      {"66=L9|394=3|20101=4|68=4|73=4|11=a|67=1|55=BTC-USD|54=1|38=1|40=2|44=50000|"
       "11=b|67=2|55=BTC-USD|54=2|38=1|40=2|44=70000|11=c|67=3|55=BTC-USD|54=2|38=1|40=3|99=4|"
       "11=d|67=4|55=BTC-USD|54=2|38=1|40=3|99=4|",
       "more than 3 orders"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    send_raw(w, 1, "E", bad[i].body);
    m = expect(w, 1, "j");
    assert_string_equal(val(m, 372), "E");
    if (strstr(val(m, 58), bad[i].text) == NULL)
      fail_msg("list %zu: 58=%s, wanted %s", i, val(m, 58), bad[i].text);
    assert_int_equal(val(m, 379)[0], 'L');
  }
  destroy(w);
}

/* A list answers to its ListID and its members to their own ClOrdIDs
 * (docs/groups.md, "FIX"): ListStatusRequest (M) gets the ListStatus;
 * ListCancelRequest (K) cancels every live member and is answered
 * Cancelling, then AllDone; an OrderCancelRequest naming one member
 * cancels that member (which ends an OCO); one naming a member not sent
 * yet (an OTO's contingent) cancels the list; an unknown ListID is a
 * BusinessMessageReject, Unknown ID. */
static void test_list_status_list_cancel_and_a_member_cancelled_by_its_name(void **state) {
  (void)state;
  world_t *w = ready(true);
  send_raw(w, 1, "E",
           "66=L5|394=3|20101=1|68=2|73=2|"
           "11=L5a|67=1|55=BTC-USD|54=1|38=0.5|40=2|44=50000|59=1|"
           "11=L5b|67=2|55=BTC-USD|54=1|38=0.5|40=3|99=70000|59=1|");
  run_ms(w, 10);
  (void)heard_all(w, 1);
  send_raw(w, 1, "M", "66=L5|");
  assert_string_equal(heard_all(w, 1), "N 2/3 L5a=0/0/0.5/0 L5b=0/0/0.5/0\n");
  static const char *const unknown[] = {"M", "66=L404|", "K", "66=L404|" TT, "M", "66=L5a|"};
  oms_fix_msg_t *m;
  for (int i = 0; i < 6; i += 2) {
    send_raw(w, 1, unknown[i], unknown[i + 1]);
    m = expect(w, 1, "j");
    assert_string_equal(val(m, 372), unknown[i]);
    assert_string_equal(val(m, 380), "1");
    assert_int_equal(val(m, 379)[0], 'L');
    assert_non_null(strstr(val(m, 58), "UNKNOWN_ORDER: no list of this session"));
  }
  /* a member's name is taken while its list works */
  new_limit(w, 1, "L5b", "1", "0.1", "50000", NULL);
  m = expect(w, 1, "8");
  assert_non_null(strstr(
      val(m, 58), "DUPLICATE_CLORDID: ClOrdID is in use by a replaced order or a list member"));
  /* a member answers a status request by its name; it can not be replaced */
  send_raw(w, 1, "H", "11=L5b|55=BTC-USD|54=1|");
  assert_string_equal(heard_all(w, 1), "8 L5b I/0\n");
  send_raw(w, 1, "G", "41=L5b|11=L5b-r|55=BTC-USD|54=1|38=0.4|40=3|99=70000|" TT);
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 41), "L5b");
  assert_non_null(strstr(val(m, 58), "UNSUPPORTED"));
  /* one member by its name: it is cancelled, and the OCO with it */
  send_raw(w, 1, "F", "41=L5a|11=L5a-x|55=BTC-USD|54=1|" TT);
  run_ms(w, 10);
  assert_string_equal(heard_all(w, 1),
                      "8 L5a-x 6/6 41=L5a 66=L5\n"
                      "8 L5a-x 4/4 41=L5a 66=L5\n"
                      "N 6/3 L5a=4/0/0/0.5 L5b=0/0/0.5/0\n"
                      "8 L5b 6/6 66=L5\n"
                      "8 L5b 4/4 66=L5\n"
                      "N 6/6 L5a=4/0/0/0.5 L5b=4/0/0/0.5\n"
                      "8 L5 4/4\n"
                      "N 5/6 L5a=4/0/0/0.5 L5b=4/0/0/0.5\n");
  /* the list is done: a cancel of it cancels nothing, a member is unknown */
  send_raw(w, 1, "K", "66=L5|" TT);
  m = expect(w, 1, "N");
  assert_string_equal(val(m, 431), "6");
  assert_string_equal(val(m, 444), "the list is done: nothing to cancel");
  send_raw(w, 1, "F", "41=L5b|11=L5b-x|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 102), "1");
  expect_none(w, 1);

  /* an OTO: the contingent waits in the OMS for the primary's fill */
  send_raw(w, 1, "E",
           "66=L6|394=3|20101=3|68=2|73=2|"
           "11=L6a|67=1|55=BTC-USD|54=1|38=0.5|40=2|44=50000|59=1|"
           "11=L6b|67=2|55=BTC-USD|54=2|38=0.5|40=2|44=70000|59=1|");
  run_ms(w, 10);
  (void)heard_all(w, 1);
  send_raw(w, 1, "K", "66=L6|" TT);
  run_ms(w, 10);
  assert_string_equal(heard_all(w, 1),
                      "8 L6 6/6\n"
                      "8 L6a 6/6 66=L6\n" /* the members' cancels go out at once */
                      "N 2/4 L6a=6/0/0.5/0 L6b=4/0/0/0.5\n"
                      "8 L6a 4/4 66=L6\n"
                      "N 6/6 L6a=4/0/0/0.5 L6b=4/0/0/0.5\n"
                      "8 L6 4/4\n"
                      "N 5/6 L6a=4/0/0/0.5 L6b=4/0/0/0.5\n");
  /* the contingent named: nothing of it is out, the list is cancelled */
  send_raw(w, 1, "E",
           "66=L7|394=3|20101=3|68=2|73=2|"
           "11=L7a|67=1|55=BTC-USD|54=1|38=0.5|40=2|44=50000|59=1|"
           "11=L7b|67=2|55=BTC-USD|54=2|38=0.5|40=2|44=70000|59=1|");
  run_ms(w, 10);
  (void)heard_all(w, 1);
  send_raw(w, 1, "F", "41=L7b|11=L7b-x|55=BTC-USD|54=2|" TT);
  run_ms(w, 10);
  assert_string_equal(heard_all(w, 1),
                      "8 L7b-x 6/6 41=L7b\n"
                      "8 L7a 6/6 66=L7\n"
                      "8 L7a 4/4 66=L7\n"
                      "N 6/6 L7a=4/0/0/0.5 L7b=4/0/0/0.5\n"
                      "8 L7b-x 4/4 41=L7b\n"
                      "N 5/6 L7a=4/0/0/0.5 L7b=4/0/0/0.5\n");
  destroy(w);
}

/* ExDestination(100)=SMART or RoutingPolicy(20110) makes a smart-routed
 * parent (docs/routing.md): the client hears of the parent only; an
 * unknown policy is refused naming the tag. */
static void test_smart_routing_over_fix(void **state) {
  (void)state;
  world_t *w = ready(true);
  oms_sor_venue_cfg_t vc = {.name = "SIM"};
  assert_int_equal(oms_engine_sor_add_venue(w->e, &vc), 0);
  run_ms(w, 5); /* the venue's first quotes */
  send_raw(w, 1, "D", "11=sm1|55=BTC-USD|54=1|" TT "38=0.3|40=1|59=1|100=SMART|20110=take|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "0");
  assert_string_equal(val(m, 11), "sm1");
  run_ms(w, 10);
  oms_dec_t sum = OMS_DEC_ZERO;
  int trades = 0;
  do {
    m = expect(w, 1, "8");
    assert_string_equal(val(m, 150), "F");
    assert_string_equal(val(m, 11), "sm1");
    oms_dec_add(sum, T_D(val(m, 32)), &sum);
    trades++;
  } while (strcmp(val(m, 39), "2") != 0 && trades < 10);
  assert_true(oms_dec_eq(sum, T_D("0.3")));
  expect_none(w, 1);
  oms_order_t o;
  assert_int_equal(oms_engine_get_by_clordid(w->e, "CLIENT1", "sm1", &o), 0);
  assert_int_equal(o.algo, OMS_SOR_ALGO);
  /* ExDestination SMART alone: the best policy, a limit that rests */
  send_raw(w, 1, "D", "11=sm2|55=BTC-USD|54=1|" TT "38=0.1|40=2|44=60000|59=1|100=SMART|");
  expect_er(w, 1, "0", "0");
  run_ms(w, 5);
  expect_none(w, 1);
  send_raw(w, 1, "D", "11=sm3|55=BTC-USD|54=1|" TT "38=0.1|40=1|59=1|20110=fastest|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_non_null(strstr(val(m, 58), "20110"));
  destroy(w);
}

static void test_other_account_is_refused_as_not_entitled(void **state) {
  (void)state;
  world_t *w = ready(true);
  new_limit(w, 1, "x1", "1", "0.5", "60000", "1=ACC2|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_string_equal(val(m, 103), "15");
  assert_non_null(strstr(val(m, 58), "NOT_ENTITLED"));
  new_limit(w, 1, "x2", "1", "0.5", "60000", "1=ACC1|");
  expect_er(w, 1, "A", "A");
  destroy(w);
}

static void test_risk_refusal_carries_reason_code_and_text(void **state) {
  (void)state;
  world_t *w = ready(true);
  new_limit(w, 1, "big", "1", "500", "60000", NULL);
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_string_equal(val(m, 39), "8");
  assert_string_equal(val(m, 11), "big");
  if (strstr(val(m, 58), "MAX") == NULL) fail_msg("58=%s", val(m, 58));
  /* a symbol that is not whitelisted / unknown */
  send_raw(w, 1, "D", "11=u1|55=DOGE|54=1|" TT "38=1|40=2|44=1|59=1|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_string_equal(val(m, 103), "1");
  destroy(w);
}

static void test_unsupported_values_are_rejected(void **state) {
  (void)state;
  world_t *w = ready(true);
  send_raw(w, 1, "D", "11=s1|55=BTC-USD|54=5|" TT "38=1|40=2|44=60000|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 103), "11");
  send_raw(w, 1, "D", "11=s2|55=BTC-USD|54=1|" TT "38=1|40=P|44=60000|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 103), "11");
  send_raw(w, 1, "D", "11=s3|55=BTC-USD|54=1|" TT "38=1|40=2|44=60000|59=2|");
  m = expect(w, 1, "8");
  assert_non_null(strstr(val(m, 58), "TimeInForce"));
  send_raw(w, 1, "D", "11=s4|55=BTC-USD|54=1|" TT "38=1.000000001|40=2|44=60000|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  send_raw(
      w, 1, "D",
      "11=s5-0123456789012345678901234567890123456789012345678901234567890123|55=BTC-USD|54=1|" TT
      "38=1|40=2|44=60000|");
  m = expect(w, 1, "8");
  assert_non_null(strstr(val(m, 58), "BAD_ID"));
  send_raw(w, 1, "D",
           "11=s6|55=BTC-USD-0123456789012345678901234567890|54=1|" TT "38=1|40=2|44=60000|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 103), "1");
  send_raw(w, 1, "D", "11=s7|55=BTC-USD|54=1|" TT "38=1|40=2|44=60000|100=VERYLONGVENUENAME123|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  /* a NewOrderSingle without a required tag is a session Reject */
  send_raw(w, 1, "D", "11=s8|54=1|" TT "38=1|40=2|");
  m = expect(w, 1, "3");
  assert_string_equal(val(m, 371), "55");
  destroy(w);
}

static void test_order_types_and_time_in_force(void **state) {
  (void)state;
  world_t *w = ready(true);
  /* GTD with ExpireTime, post-only, stop, stop-limit, IOC, FOK, DAY */
  send_raw(w, 1, "D",
           "11=gtd|55=BTC-USD|54=1|" TT "38=0.1|40=2|44=60000|59=6|126=20260102-00:00:00.000|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "A");
  new_limit(w, 1, "gtd2", "1", "0.1", "60004", "");
  expect(w, 1, "8");
  send_raw(w, 1, "D", "11=po|55=BTC-USD|54=2|" TT "38=0.1|40=2|44=70000|59=1|18=6|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 18), "6");
  send_raw(w, 1, "D", "11=st|55=BTC-USD|54=2|" TT "38=0.1|40=3|99=50000|59=1|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 40), "3");
  assert_string_equal(val(m, 99), "50000");
  send_raw(w, 1, "D", "11=sl|55=BTC-USD|54=2|" TT "38=0.1|40=4|99=50000|44=49999|59=1|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 40), "4");
  send_raw(w, 1, "D", "11=ioc|55=BTC-USD|54=1|" TT "38=0.1|40=2|44=60001|59=3|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 59), "3");
  send_raw(w, 1, "D", "11=fok|55=BTC-USD|54=1|" TT "38=0.1|40=2|44=60002|59=4|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 59), "4");
  send_raw(w, 1, "D", "11=day|55=BTC-USD|54=1|" TT "38=0.1|40=2|44=60003|59=0|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 59), "0");
  run_ms(w, 5);
  int cancels = 0, news = 0;
  oms_fix_msg_t mm;
  while (next_msg(w, 1, &mm) == 0) {
    if (strcmp(val(&mm, 150), "4") == 0) cancels++;
    if (strcmp(val(&mm, 150), "0") == 0) news++;
  }
  assert_true(cancels >= 2); /* the IOC and the FOK */
  assert_true(news >= 5);
  destroy(w);
}

/* Reads the next ExecutionReport: ExecType want_type, DeliverToCompID
 * want_hub ("<none>" when absent). */
static void expect_routed_er(world_t *w, const char *want_type, const char *want_hub) {
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), want_type);
  assert_string_equal(val(m, 128), want_hub);
}

/* The later reports of an order placed through a hub go back to it; a
 * session remembers 16 hubs, and an id too long to keep is not remembered:
 * those orders are reported without DeliverTo rather than refused. (Each
 * order is cancelled, so that the 16 tracked orders of this world do not
 * run out first.) */
static void test_later_reports_go_back_to_the_hub_the_order_came_from(void **state) {
  (void)state;
  world_t *w = ready(true);
  char body[512], hub[16];
  for (int i = 0; i <= 16; i++) {
    snprintf(hub, sizeof hub, "HUB%d", i);
    snprintf(body, sizeof body,
             "115=%s|116=D%d|11=h%d|55=BTC-USD|54=1|" TT "38=0.01|40=2|44=60000|59=1|", hub, i, i);
    send_raw(w, 1, "D", body);
    run_ms(w, 2);
    /* PendingNew is raised while the request is handled: its route. */
    oms_fix_msg_t *m = expect(w, 1, "8");
    assert_string_equal(val(m, 128), hub);
    char desk[16];
    snprintf(desk, sizeof desk, "D%d", i);
    assert_string_equal(val(m, 129), desk);
    const char *later = i < 16 ? hub : "<none>"; /* the 17th: the table is full */
    expect_routed_er(w, "0", later);
    snprintf(body, sizeof body, "115=%s|116=D%d|41=h%d|11=c%d|55=BTC-USD|54=1|" TT, hub, i, i, i);
    send_raw(w, 1, "F", body);
    run_ms(w, 2);
    expect_routed_er(w, "6", hub);
    expect_routed_er(w, "4", later);
  }
  char longsub[80];
  memset(longsub, 'X', 70);
  longsub[70] = '\0';
  snprintf(body, sizeof body,
           "115=HUB0|116=%s|11=h-long|55=BTC-USD|54=1|" TT "38=0.01|40=2|44=60000|59=1|", longsub);
  send_raw(w, 1, "D", body);
  run_ms(w, 2);
  expect_routed_er(w, "A", "HUB0");
  expect_routed_er(w, "0", "<none>"); /* the route was not kept */
  destroy(w);
}

/* While a hub's request is handled, the reports of other orders that it
 * touches keep their own way back: here a mass cancel through a hub cancels
 * an order the client sent directly. */
static void test_a_hub_request_does_not_reroute_other_orders(void **state) {
  (void)state;
  world_t *w = ready(true);
  new_limit(w, 1, "direct-1", "1", "0.01", "60000", NULL);
  run_ms(w, 2);
  expect_routed_er(w, "A", "<none>");
  expect_routed_er(w, "0", "<none>");
  send_raw(w, 1, "q", "115=HUBX|11=mc-1|530=7|" TT);
  run_ms(w, 2);
  expect_routed_er(w, "6", "<none>");
  oms_fix_msg_t *m = expect(w, 1, "r");
  assert_string_equal(val(m, 128), "HUBX");
  expect_routed_er(w, "4", "<none>");
  destroy(w);
}

static void test_duplicate_clordid_and_poss_resend(void **state) {
  (void)state;
  world_t *w = ready(true);
  new_limit(w, 1, "d1", "1", "0.5", "60000", NULL);
  expect_er(w, 1, "A", "A");
  run_ms(w, 3);
  expect_er(w, 1, "0", "0");
  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  uint64_t submitted = st.submitted;
  /* the same order again, flagged as a possible resend: its status, no new order */
  /* PossResend(97) is a header field: before the body. */
  send_raw(w, 1, "D", "97=Y|11=d1|55=BTC-USD|54=1|" TT "38=0.5|40=2|44=60000|59=1|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "I");
  assert_string_equal(val(m, 39), "0");
  assert_string_equal(val(m, 37), "1");
  oms_engine_stats(w->e, &st);
  assert_int_equal(st.submitted, submitted);
  /* the same again without the flag: a duplicate */
  new_limit(w, 1, "d1", "1", "0.5", "60000", NULL);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "8");
  assert_string_equal(val(m, 103), "6");
  /* another request with the same ClOrdID */
  new_limit(w, 1, "d1", "1", "0.7", "60000", NULL);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 103), "6");
  assert_non_null(strstr(val(m, 58), "DUPLICATE_CLORDID"));
  /* ClOrdID uniqueness is per session: CLIENT2 may use d1 */
  logon(w, 2, "CLIENT2", NULL);
  expect(w, 2, "A");
  new_limit(w, 2, "d1", "1", "0.5", "60000", NULL);
  m = expect(w, 2, "8");
  assert_string_equal(val(m, 150), "A");
  assert_string_equal(val(m, 1), "ACC2");
  destroy(w);
}

static void test_cancel_by_orig_clordid(void **state) {
  (void)state;
  world_t *w = ready(true);
  new_limit(w, 1, "c1", "1", "0.5", "60000", NULL);
  run_ms(w, 3);
  expect_er(w, 1, "A", "A");
  expect_er(w, 1, "0", "0");
  send_raw(w, 1, "F", "41=c1|11=c1-x|55=BTC-USD|54=1|" TT);
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "6");
  assert_string_equal(val(m, 11), "c1-x");
  assert_string_equal(val(m, 41), "c1");
  run_ms(w, 3);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "4");
  assert_string_equal(val(m, 39), "4");
  assert_string_equal(val(m, 11), "c1-x");
  assert_string_equal(val(m, 41), "c1");
  assert_string_equal(val(m, 151), "0");
  /* cancel again: too late */
  send_raw(w, 1, "F", "41=c1|11=c1-y|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 434), "1");
  assert_string_equal(val(m, 102), "0");
  /* unknown order */
  send_raw(w, 1, "F", "41=nope|11=c1-z|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 102), "1");
  assert_string_equal(val(m, 37), "NONE");
  /* another account */
  send_raw(w, 1, "F", "41=c1|11=c1-w|55=BTC-USD|54=1|1=ACC2|" TT);
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 102), "1");
  /* a missing required tag */
  send_raw(w, 1, "F", "41=c1|11=c1-v|54=1|" TT);
  expect(w, 1, "3");
  destroy(w);
}

static void test_orders_of_another_session_are_unknown(void **state) {
  (void)state;
  world_t *w = ready(true);
  logon(w, 2, "CLIENT2", NULL);
  expect(w, 2, "A");
  new_limit(w, 2, "theirs", "1", "0.5", "60000", NULL);
  expect(w, 2, "8");
  send_raw(w, 1, "F", "41=theirs|11=mine|55=BTC-USD|54=1|" TT);
  oms_fix_msg_t *m = expect(w, 1, "9");
  assert_string_equal(val(m, 102), "1");
  send_raw(w, 1, "H", "11=theirs|55=BTC-USD|54=1|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "I");
  assert_string_equal(val(m, 39), "8");
  assert_string_equal(val(m, 103), "5");
  expect_none(w, 2);
  destroy(w);
}

static void test_replace_moves_the_clordid_chain(void **state) {
  (void)state;
  world_t *w = ready(true);
  new_limit(w, 1, "r1", "1", "0.5", "60000", NULL);
  run_ms(w, 3);
  expect_er(w, 1, "A", "A");
  expect_er(w, 1, "0", "0");
  send_raw(w, 1, "G", "41=r1|11=r2|55=BTC-USD|54=1|" TT "38=0.8|40=2|44=60500|59=1|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "E");
  assert_string_equal(val(m, 11), "r2");
  assert_string_equal(val(m, 41), "r1");
  run_ms(w, 3);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "5");
  assert_string_equal(val(m, 11), "r2");
  assert_string_equal(val(m, 41), "r1");
  assert_string_equal(val(m, 38), "0.8");
  assert_string_equal(val(m, 44), "60500");
  /* the old ClOrdID no longer names the order, the new one does */
  send_raw(w, 1, "H", "11=r1|55=BTC-USD|54=1|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 39), "8");
  send_raw(w, 1, "H", "11=r2|55=BTC-USD|54=1|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "I");
  assert_string_equal(val(m, 39), "0");
  /* reusing a ClOrdID of the chain for a new order is a duplicate */
  new_limit(w, 1, "r2", "1", "0.5", "60000", NULL);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 103), "6");
  /* a replace changing the side is refused */
  send_raw(w, 1, "G", "41=r2|11=r3|55=BTC-USD|54=2|" TT "38=0.8|40=2|44=60500|59=1|");
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 434), "2");
  /* a replace reusing its own ClOrdID is refused */
  send_raw(w, 1, "G", "41=r2|11=r2|55=BTC-USD|54=1|" TT "38=0.8|40=2|44=60500|59=1|");
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 102), "6");
  /* a replace that changes nothing is refused by the engine */
  send_raw(w, 1, "G", "41=r2|11=r4|55=BTC-USD|54=1|" TT "38=0.8|40=2|44=60500|59=1|");
  m = expect(w, 1, "9");
  assert_non_null(strstr(val(m, 58), "NOTHING_TO_CHANGE"));
  /* a replace with a bad price */
  send_raw(w, 1, "G", "41=r2|11=r5|55=BTC-USD|54=1|" TT "38=0.8|40=2|44=1.000000001|59=1|");
  expect(w, 1, "9");
  /* and a cancel by the new ClOrdID */
  send_raw(w, 1, "F", "41=r2|11=r6|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "6");
  /* a cancel while one is pending */
  send_raw(w, 1, "F", "41=r2|11=r7|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 102), "3");
  run_ms(w, 3);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "4");
  assert_string_equal(val(m, 11), "r6");
  assert_string_equal(val(m, 41), "r2");
  send_raw(w, 1, "G", "41=nope|11=r9|55=BTC-USD|54=1|" TT "38=0.8|40=2|44=60500|59=1|");
  expect(w, 1, "9");
  send_raw(w, 1, "G", "41=r2|11=r9|54=1|" TT "38=0.8|40=2|44=60500|59=1|");
  expect(w, 1, "3");
  destroy(w);
}

static void test_replaced_order_answers_to_its_new_clordid_after_a_restart(void **state) {
  (void)state;
  world_t *w = ready(false);
  new_limit(w, 1, "q1", "1", "0.5", "60000", NULL);
  run_ms(w, 3);
  expect_er(w, 1, "A", "A");
  expect_er(w, 1, "0", "0");
  send_raw(w, 1, "G", "41=q1|11=q2|55=BTC-USD|54=1|" TT "38=0.8|40=2|44=60500|59=1|");
  expect_er(w, 1, "E", "E");
  run_ms(w, 3);
  expect_er(w, 1, "5", "0");
  /* the daemon restarts: a gateway with no memory of the chain; the engine
   * (recovered from the store in real life) knows the order's current name */
  oms_gateway_destroy(w->gw);
  make_gateway(w, false, NULL);
  w->seq[1] = 1;
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  send_raw(w, 1, "H", "11=q1|55=BTC-USD|54=1|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 39), "8"); /* the old name is gone */
  send_raw(w, 1, "F", "41=q2|11=q3|55=BTC-USD|54=1|" TT);
  expect_er(w, 1, "6", "6");
  run_ms(w, 3);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "4");
  assert_string_equal(val(m, 11), "q3");
  assert_string_equal(val(m, 41), "q2");
  destroy(w);
}

static void test_replace_refused_by_the_venue_gives_cancel_reject(void **state) {
  (void)state;
  world_t *w = ready(true);
  /* a post-only sell that a replace would make cross the book */
  send_raw(w, 1, "D", "11=p1|55=BTC-USD|54=2|" TT "38=0.1|40=2|44=70000|59=1|18=6|");
  run_ms(w, 3);
  expect_er(w, 1, "A", "A");
  expect_er(w, 1, "0", "0");
  send_raw(w, 1, "G", "41=p1|11=p2|55=BTC-USD|54=2|" TT "38=0.1|40=2|44=60000|59=1|18=6|");
  oms_fix_msg_t m;
  int got9 = 0, gotE = 0;
  run_ms(w, 3);
  while (next_msg(w, 1, &m) == 0) {
    if (oms_fix_msg_is(&m, "9")) {
      got9 = 1;
      assert_string_equal(val(&m, 434), "2");
      assert_string_equal(val(&m, 11), "p2");
      assert_string_equal(val(&m, 41), "p1");
    } else if (strcmp(val(&m, 150), "E") == 0) {
      gotE = 1;
    }
  }
  if (gotE) assert_true(got9);
  /* p1 still works, p2 is free again */
  send_raw(w, 1, "H", "11=p1|55=BTC-USD|54=2|");
  oms_fix_msg_t *mm = expect(w, 1, "8");
  assert_string_not_equal(val(mm, 39), "8");
  destroy(w);
}

static void test_status_request(void **state) {
  (void)state;
  world_t *w = ready(true);
  new_limit(w, 1, "s1", "2", "0.25", "70000", NULL);
  run_ms(w, 3);
  expect(w, 1, "8");
  expect(w, 1, "8");
  send_raw(w, 1, "H", "11=s1|55=BTC-USD|54=2|790=q1|");
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "I");
  assert_string_equal(val(m, 39), "0");
  assert_string_equal(val(m, 11), "s1");
  assert_string_equal(val(m, 54), "2");
  send_raw(w, 1, "H", "11=zz|55=BTC-USD|54=2|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 39), "8");
  assert_string_equal(val(m, 103), "5"); /* unknown order, not a refused one */
  assert_string_equal(val(m, 37), "NONE");
  send_raw(w, 1, "H", "11=zz|54=2|");
  expect(w, 1, "3");
  destroy(w);
}

static void test_mass_cancel(void **state) {
  (void)state;
  world_t *w = ready(true);
  new_limit(w, 1, "a", "1", "0.1", "60000", NULL);
  new_limit(w, 1, "b", "1", "0.1", "60000", NULL);
  new_limit(w, 1, "c", "2", "0.1", "70000", NULL);
  run_ms(w, 3);
  while (w->out[1].read < w->out[1].len) expect(w, 1, "8");
  send_raw(w, 1, "q", "11=mc1|530=1|55=BTC-USD|" TT);
  run_ms(w, 3);
  oms_fix_msg_t mm, *m;
  int ers = 0, reports = 0, n = 0;
  while (next_msg(w, 1, &mm) == 0) {
    if (oms_fix_msg_is(&mm, "r")) {
      reports++;
      assert_string_equal(val(&mm, 531), "1");
      n = atoi(val(&mm, 533));
    } else {
      ers++;
    }
  }
  assert_int_equal(reports, 1);
  assert_true(n >= 2);
  assert_int_equal(ers, 2 * n);
  send_raw(w, 1, "q", "11=mc2|530=7|" TT);
  m = expect(w, 1, "r");
  assert_string_equal(val(m, 531), "7");
  assert_string_equal(val(m, 533), "0");
  send_raw(w, 1, "q", "11=mc3|530=3|" TT);
  m = expect(w, 1, "r");
  assert_string_equal(val(m, 531), "0");
  assert_string_equal(val(m, 532), "0");
  send_raw(w, 1, "q", "11=mc4|530=7|1=ACC2|" TT);
  m = expect(w, 1, "r");
  assert_string_equal(val(m, 531), "0");
  send_raw(w, 1, "q", "11=mc5|530=1|55=BTC-USD-0123456789012345678901234567890|" TT);
  m = expect(w, 1, "r");
  assert_string_equal(val(m, 532), "1");
  send_raw(w, 1, "q", "11=mc6|" TT);
  expect(w, 1, "3");
  destroy(w);
}

static void test_unknown_message_type_gets_business_reject(void **state) {
  (void)state;
  world_t *w = ready(true);
  /* A News(B) as FIX 4.4 defines it: a headline and lines of text. */
  send_raw(w, 1, "B", "148=hello|33=1|58=line|");
  oms_fix_msg_t *m = expect(w, 1, "j");
  assert_string_equal(val(m, 380), "3");
  assert_string_equal(val(m, 372), "B");
  destroy(w);
}

static void test_cancel_on_disconnect(void **state) {
  (void)state;
  oms_store_t *mem;
  assert_int_equal(oms_store_memory_create(NULL, &mem), 0);
  world_t *w = make_with(true, mem);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  new_limit(w, 1, "k1", "1", "0.1", "60000", NULL);
  run_ms(w, 3);
  oms_gateway_conn_closed(w->gw, 1);
  assert_int_equal(oms_gateway_sessions_connected(w->gw), 0);
  run_ms(w, 3);
  oms_order_t o;
  assert_int_equal(oms_engine_get_by_clordid(w->e, "CLIENT1", "k1", &o), 0);
  assert_int_equal(o.state, OMS_STATE_CANCELLED);
  /* and the session logs on again with its sequence numbers */
  assert_int_equal(oms_gateway_conn_open(w->gw, 1), 0);
  memset(&w->out[1], 0, sizeof w->out[1]);
  send_raw(w, 1, "A", "98=0|108=30|554=pw1|");
  oms_fix_msg_t *m = expect(w, 1, "A");
  /* the two reports of the cancel were stored while the client was away
   * (34=4 and 5); it asks for them and gets them as possible duplicates */
  assert_string_equal(val(m, 34), "6");
  send_raw(w, 1, "2", "7=4|16=0|");
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 34), "4");
  assert_string_equal(val(m, 43), "Y");
  assert_string_equal(val(m, 39), "6"); /* pending cancel */
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 34), "5");
  assert_string_equal(val(m, 39), "4"); /* cancelled */
  destroy(w);
  oms_store_close(mem);
}

static void test_without_cancel_on_disconnect_orders_stay(void **state) {
  (void)state;
  world_t *w = ready(false);
  new_limit(w, 1, "k1", "1", "0.1", "60000", NULL);
  run_ms(w, 3);
  oms_gateway_conn_closed(w->gw, 1);
  oms_gateway_conn_closed(w->gw, 1); /* unknown now: ignored */
  run_ms(w, 3);
  oms_order_t o;
  assert_int_equal(oms_engine_get_by_clordid(w->e, "CLIENT1", "k1", &o), 0);
  assert_int_equal(o.state, OMS_STATE_ACCEPTED);
  destroy(w);
}

static void test_bad_connections_are_closed(void **state) {
  (void)state;
  world_t *w = make(true);
  /* bad password */
  logon(w, 1, "CLIENT1", "wrong");
  assert_true(w->out[1].closed);
  assert_int_equal(send_raw(w, 1, "0", ""), OMS_ECLOSED);
  oms_gateway_conn_closed(w->gw, 1);
  /* unknown CompID */
  logon(w, 1, "NOBODY", NULL);
  assert_true(w->out[1].closed);
  assert_non_null(strstr(w->out[1].reason, "CompID"));
  oms_gateway_conn_closed(w->gw, 1);
  /* a first message that is not a Logon */
  w->comp[1] = "CLIENT1";
  assert_int_equal(oms_gateway_conn_open(w->gw, 1), 0);
  memset(&w->out[1], 0, sizeof w->out[1]);
  assert_int_equal(send_raw(w, 1, "D", "11=x|"), OMS_ECLOSED);
  assert_non_null(strstr(w->out[1].reason, "not a Logon"));
  oms_gateway_conn_closed(w->gw, 1);
  /* garbage */
  assert_int_equal(oms_gateway_conn_open(w->gw, 1), 0);
  memset(&w->out[1], 0, sizeof w->out[1]);
  assert_int_equal(oms_gateway_conn_data(w->gw, 1, "GET / HTTP/1.1\r\n\r\n", 18), OMS_ECLOSED);
  oms_gateway_conn_closed(w->gw, 1);
  /* a truncated Logon waits for more, then is fine */
  assert_int_equal(oms_gateway_conn_open(w->gw, 1), 0);
  assert_int_equal(oms_gateway_conn_open(w->gw, 1), OMS_EEXIST);
  memset(&w->out[1], 0, sizeof w->out[1]);
  char msg[512];
  size_t n = frame(msg, sizeof msg,
                   "35=A|49=CLIENT1|56=OMS|34=1|52=20260101-00:00:00.000|98=0|108=30|554=pw1|");
  assert_int_equal(oms_gateway_conn_data(w->gw, 1, msg, 10), 0);
  assert_int_equal(oms_gateway_conn_data(w->gw, 1, msg + 10, n - 10), 0);
  expect(w, 1, "A");
  /* a second connection for the same session is refused */
  assert_int_equal(oms_gateway_conn_open(w->gw, 2), 0);
  memset(&w->out[2], 0, sizeof w->out[2]);
  assert_int_equal(oms_gateway_conn_data(w->gw, 2, msg, n), OMS_ECLOSED);
  assert_non_null(strstr(w->out[2].reason, "already connected"));
  oms_gateway_conn_closed(w->gw, 2);
  /* a wrong checksum after Logon is dropped, the session keeps serving */
  w->seq[1] = 2;
  char bad[512];
  size_t bn = frame(bad, sizeof bad, "35=0|49=CLIENT1|56=OMS|34=2|52=20260101-00:00:00.000|");
  bad[bn - 2] = bad[bn - 2] == '0' ? '1' : '0';
  assert_int_equal(oms_gateway_conn_data(w->gw, 1, bad, bn), 0);
  new_limit(w, 1, "after", "1", "0.1", "60000", NULL);
  expect_er(w, 1, "A", "A");
  /* connection table full */
  assert_int_equal(oms_gateway_conn_open(w->gw, 2), 0);
  assert_int_equal(oms_gateway_conn_open(w->gw, 3), 0);
  assert_int_equal(oms_gateway_conn_open(w->gw, 0), OMS_EFULL);
  assert_int_equal(oms_gateway_conn_data(w->gw, 99, "x", 1), OMS_ENOTFOUND);
  /* a connection that never sends a whole Logon */
  char junk[40000];
  memcpy(junk, "8=FIX.4.4\0019=99999\001", 19);
  memset(junk + 19, 'a', sizeof junk - 19);
  assert_int_equal(oms_gateway_conn_data(w->gw, 2, junk, sizeof junk), OMS_ECLOSED);
  destroy(w);
}

static void test_timer_logout_and_send_failure(void **state) {
  (void)state;
  world_t *w = ready(true);
  w->now += 37 * SEC;
  oms_gateway_on_timer(w->gw);
  oms_fix_msg_t m;
  /* a heartbeat went out (next_msg skips heartbeats; the buffer grew) */
  assert_true(w->out[1].len > w->out[1].read);
  assert_int_equal(next_msg(w, 1, &m), 0); /* the TestRequest after silence */
  assert_int_equal(oms_gateway_logout_all(w->gw, "shutting down"), 1);
  expect(w, 1, "5");
  send_raw(w, 1, "5", "");
  assert_true(w->out[1].closed);
  oms_gateway_conn_closed(w->gw, 1);
  /* sending fails: the session drops the connection */
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  w->fail_send = 1;
  new_limit(w, 1, "f1", "1", "0.1", "60000", NULL);
  assert_true(w->out[1].closed);
  w->fail_send = 0;
  run_ms(w, 3); /* events for a disconnected session are dropped */
  assert_true(w->logs > 0);
  destroy(w);
}

static void test_create_arguments(void **state) {
  (void)state;
  oms_gateway_t *gw = (oms_gateway_t *)1;
  oms_gateway_config_t gc = {0};
  assert_int_equal(oms_gateway_create(NULL, &gw), OMS_EINVAL);
  assert_null(gw);
  assert_int_equal(oms_gateway_create(&gc, NULL), OMS_EINVAL);
  assert_int_equal(oms_gateway_create(&gc, &gw), OMS_EINVAL);
  world_t *w = make(true);
  oms_gateway_session_config_t bad = {
      .client_comp_id = "a b", .our_comp_id = "OMS", .account = "X"};
  assert_int_equal(oms_gateway_add_session(w->gw, &bad), OMS_EINVAL);
  assert_int_equal(oms_gateway_add_session(w->gw, NULL), OMS_EINVAL);
  for (int i = 0; i < 70; i++) {
    char id[16];
    snprintf(id, sizeof id, "S%d", i);
    oms_gateway_session_config_t sc = {.client_comp_id = id, .our_comp_id = "OMS", .account = "X"};
    int rc = oms_gateway_add_session(w->gw, &sc);
    if (rc != 0) {
      assert_int_equal(rc, OMS_EFULL);
      break;
    }
  }
  oms_gateway_destroy(NULL);
  destroy(w);
}

static void test_ord_rej_reason_mapping(void **state) {
  (void)state;
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_UNKNOWN_INSTRUMENT), 1);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_RISK_TRADING_HOURS), 2);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_RISK_MAX_POSITION), 3);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_RISK_CONCENTRATION), 3);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_RISK_CORRELATION), 3);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_DUPLICATE_CLORDID), 6);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_NOT_ENTITLED), 15);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_LOT_SIZE), 13);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_POST_ONLY_TIF), 11);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_NO_LIQUIDITY), 0);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_STORE_FAILED), 99);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_UNKNOWN_ORDER), 5);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_TOO_LATE), 4);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_VENUE_DOWN), 2);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_MODIFY_BELOW_FILLED), 13);
  assert_int_equal(oms_gateway_ord_rej_reason(OMS_R_PRECISION), 99);
  assert_int_equal(oms_gateway_ord_rej_reason((oms_reason_t)9999), 99);
}

/* Every reason of the table maps to an OrdRejReason FIX 4.4 defines, and
 * only the reasons FIX has no code for map to 99 (Other). */
static void test_every_reason_maps_to_a_fix_ord_rej_reason(void **state) {
  (void)state;
  static const oms_reason_t other[] = {OMS_R_NONE,
                                       OMS_R_PRICE_REQUIRED,
                                       OMS_R_PRICE_FORBIDDEN,
                                       OMS_R_PRICE_NOT_POSITIVE,
                                       OMS_R_STOP_REQUIRED,
                                       OMS_R_STOP_FORBIDDEN,
                                       OMS_R_STOP_WRONG_SIDE,
                                       OMS_R_EXPIRY_REQUIRED,
                                       OMS_R_EXPIRY_PAST,
                                       OMS_R_TICK_SIZE,
                                       OMS_R_MIN_NOTIONAL,
                                       OMS_R_BAD_ID,
                                       OMS_R_METADATA_TOO_LONG,
                                       OMS_R_NOTIONAL_OVERFLOW,
                                       OMS_R_PRECISION,
                                       OMS_R_VALUE_OUT_OF_RANGE,
                                       OMS_R_ORDER_TERMINAL,
                                       OMS_R_ORDER_PENDING,
                                       OMS_R_UNKNOWN_VENUE,
                                       OMS_R_STORE_FAILED,
                                       OMS_R_NOTHING_TO_CHANGE};
  static const oms_reason_t all[] = {
#define ALL_REASONS(name, num, msg) OMS_R_##name,
      OMS_REASON_MAP(ALL_REASONS)
#undef ALL_REASONS
  };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
    int fix = oms_gateway_ord_rej_reason(all[i]);
    bool is_other = false;
    for (size_t j = 0; j < sizeof other / sizeof other[0]; j++) is_other |= other[j] == all[i];
    if (is_other) {
      assert_int_equal(fix, 99);
    } else {
      /* 0..15 are FIX 4.4's codes; 7..10 and 14 are never ours */
      assert_true(fix >= 0 && fix <= 15);
      assert_false(fix >= 7 && fix <= 10);
      assert_int_not_equal(fix, 14);
    }
  }
}

/* The daemon's admission hooks hear how every Logon ended, may refuse one
 * before it is looked at (a Logout outside the session, then the close),
 * and may end a session with a Logout saying why. */
static void test_admission_hooks_refuse_logons_and_end_sessions(void **state) {
  (void)state;
  world_t *w = make(false);
  logon(w, 1, "CLIENT1", "wrong");
  expect(w, 1, "5");
  assert_true(w->out[1].closed);
  assert_string_equal(w->checked, "CLIENT1");
  assert_int_equal(w->logons_failed, 1);
  assert_string_equal(w->why, "bad password");
  oms_gateway_conn_closed(w->gw, 1);

  logon(w, 1, "NOBODY", NULL);
  assert_true(w->out[1].closed);
  assert_int_equal(w->logons_failed, 2);
  assert_string_equal(w->why, "unknown SenderCompID/TargetCompID");
  oms_gateway_conn_closed(w->gw, 1);

  w->refuse = "logon throttled: 3 failed logons for CLIENT2 in 60 s";
  logon(w, 2, "CLIENT2", NULL);
  oms_fix_msg_t *m = expect(w, 2, "5");
  assert_string_equal(val(m, 58), w->refuse);
  assert_string_equal(val(m, 49), "OMS");
  assert_string_equal(val(m, 56), "CLIENT2");
  assert_string_equal(val(m, 34), "1");
  assert_true(w->out[2].closed);
  assert_string_equal(w->out[2].reason, w->refuse);
  assert_int_equal(w->logons_failed, 2); /* refused, not failed */
  oms_gateway_conn_closed(w->gw, 2);

  w->refuse = NULL;
  w->seq[3] = 1;
  logon(w, 3, "CLIENT2", NULL);
  expect(w, 3, "A");
  assert_int_equal(w->logons_ok, 1);
  assert_int_equal(oms_gateway_conn_logout(w->gw, 3, "output backlog over 16384 bytes"), 0);
  m = expect(w, 3, "5");
  assert_string_equal(val(m, 58), "output backlog over 16384 bytes");
  assert_true(w->out[3].closed);
  assert_int_equal(oms_gateway_sessions_connected(w->gw), 0);
  assert_int_equal(oms_gateway_conn_logout(w->gw, 9, "x"), OMS_ENOTFOUND);
  oms_gateway_conn_closed(w->gw, 3);
  /* A connection that never logged on is only closed. */
  assert_int_equal(oms_gateway_conn_open(w->gw, 2), 0);
  w->out[2].closed = 0;
  assert_int_equal(oms_gateway_conn_logout(w->gw, 2, "no logon"), 0);
  assert_true(w->out[2].closed);
  destroy(w);
}

static void test_many_replaces_fill_the_tracking_table(void **state) {
  (void)state;
  world_t *w = ready(true);
  /* max_tracked 16: keep replacing distinct orders until the table refuses */
  int refused = 0;
  for (int i = 0; i < 40 && !refused; i++) {
    char id[16], body[256];
    snprintf(id, sizeof id, "t%d", i);
    new_limit(w, 1, id, "1", "0.1", "60000", NULL);
    run_ms(w, 2);
    snprintf(body, sizeof body, "41=t%d|11=t%d-r|55=BTC-USD|54=1|" TT "38=0.2|40=2|44=60000|59=1|",
             i, i);
    send_raw(w, 1, "G", body);
    oms_fix_msg_t m;
    while (next_msg(w, 1, &m) == 0)
      if (oms_fix_msg_is(&m, "9") && strstr(val(&m, 58), "CAPACITY") != NULL) refused = 1;
    run_ms(w, 2);
  }
  assert_true(refused);
  /* a cancel gets the same answer when the table is full */
  send_raw(w, 1, "F", "41=t0-r|11=t0-c|55=BTC-USD|54=1|" TT);
  oms_fix_msg_t *m = expect(w, 1, "9");
  assert_non_null(strstr(val(m, 58), "CAPACITY"));
  /* mass cancel empties it again */
  send_raw(w, 1, "q", "11=mc|530=7|" TT);
  run_ms(w, 5);
  while (next_msg(w, 1, &(oms_fix_msg_t){0}) == 0) {
  }
  send_raw(w, 1, "H", "11=t0-r|55=BTC-USD|54=1|");
  expect(w, 1, "8");
  destroy(w);
}

/* A new SQLite store in a fresh file named from path (a mkstemp template). */
static oms_store_t *open_temp_store(char *path) {
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  unlink(path);
  oms_store_config_t sc;
  oms_store_config_init(&sc, path);
  sc.synchronous = true;
  oms_store_t *st = NULL;
  assert_int_equal(oms_store_sqlite_open(&sc, &st), 0);
  return st;
}

static void remove_store(oms_store_t *st, const char *path) {
  oms_store_close(st);
  unlink(path);
  char aux[64];
  snprintf(aux, sizeof aux, "%s-wal", path);
  unlink(aux);
  snprintf(aux, sizeof aux, "%s-shm", path);
  unlink(aux);
}

/* The daemon restarts over store st: everything of w goes, a new world
 * (engine, venue, gateway) comes; the client keeps its sequence numbers. */
static world_t *restart(world_t *w, bool cod, oms_store_t *st) {
  assert_int_equal(oms_store_flush(st, INT64_C(5000000000)), 0);
  int64_t next_client = w->seq[1];
  oms_gateway_destroy(w->gw);
  w->gw = NULL;
  oms_engine_destroy(w->e);
  w->e = NULL;
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  free(w);
  w = make_with(cod, st);
  w->seq[1] = next_client;
  return w;
}

/* A store that refuses the session's sequence numbers (its queue full, its
 * disk full): the real store with that one call replaced. */
static int refuse_seqnums(oms_store_t *s, const char *session, int64_t next_in, int64_t next_out,
                          uint64_t *ticket) {
  (void)s;
  (void)session;
  (void)next_in;
  (void)next_out;
  (void)ticket;
  return OMS_EFULL;
}

/* The session ends with a Logout that names the store failure, under the
 * next sequence number, instead of a bare close. */
static void test_store_failure_ends_the_session_with_a_logout_saying_why(void **state) {
  (void)state;
  char path[] = "/tmp/test-gateway-store-XXXXXX";
  oms_store_t *st = open_temp_store(path);
  world_t *w = make_with(true, st);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  const oms_store_vtbl_t *real = st->vt;
  oms_store_vtbl_t failing = *real;
  failing.fix_set_seqnums = refuse_seqnums;
  st->vt = &failing;
  send_raw(w, 1, "1", "112=PING|");
  oms_fix_msg_t *m = expect(w, 1, "5");
  assert_string_equal(val(m, 58), "store failure: save_seqnums: OMS_EFULL (queue or pool full)");
  assert_string_equal(val(m, 56), "CLIENT1");
  assert_true(w->out[1].closed);
  assert_int_equal(oms_gateway_sessions_connected(w->gw), 0);
  oms_gateway_conn_closed(w->gw, 1);
  st->vt = real;
  destroy(w);
  remove_store(st, path);
}

static void test_sequence_numbers_and_resend_through_the_store(void **state) {
  (void)state;
  char path[] = "/tmp/test-gateway-store-XXXXXX";
  oms_store_t *st = open_temp_store(path);
  world_t *w = make_with(true, st);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  new_limit(w, 1, "p1", "1", "0.1", "60000", NULL);
  run_ms(w, 5);
  expect_er(w, 1, "A", "A");
  expect_er(w, 1, "0", "0");
  /* the client asks for everything again: the ERs come back with PossDupFlag */
  send_raw(w, 1, "2", "7=1|16=0|");
  run_ms(w, 1);
  int dups = 0;
  oms_fix_msg_t m;
  while (next_msg(w, 1, &m) == 0)
    if (strcmp(val(&m, 43), "Y") == 0 && oms_fix_msg_is(&m, "8")) dups++;
  assert_int_equal(dups, 2);
  send_raw(w, 1, "5", "");
  oms_gateway_conn_closed(w->gw, 1);
  run_ms(w, 5);
  /* a new gateway on the same store resumes the sequence numbers */
  w = restart(w, true, st);
  logon(w, 1, "CLIENT1", "pw1");
  oms_fix_msg_t *a = expect(w, 1, "A");
  assert_true(atoi(val(a, 34)) > 3);
  destroy(w);
  remove_store(st, path);
}

/* The operator's read-out: every configured session, connected or not, with
 * its numbers, its traffic and when it last spoke. */
static void test_session_info_reads_state_numbers_and_traffic(void **state) {
  (void)state;
  world_t *w = make(false);
  assert_int_equal(oms_gateway_session_count(w->gw), 2);
  assert_int_equal(oms_gateway_session_count(NULL), 0);
  oms_gateway_session_info_t si;
  assert_int_equal(oms_gateway_session_info(w->gw, 1, &si), 0);
  assert_string_equal(si.sender_comp_id, "CLIENT2");
  assert_string_equal(si.target_comp_id, "OMS");
  assert_string_equal(si.account, "ACC2");
  assert_false(si.connected);
  assert_false(si.logged_on);
  assert_int_equal(si.next_in, 1);
  assert_int_equal(si.next_out, 1);
  assert_int_equal(si.messages_in, 0);
  assert_int_equal(si.messages_out, 0);
  assert_int_equal(si.last_received_ns, 0);
  assert_int_equal(si.last_sent_ns, 0);
  assert_int_equal(oms_gateway_session_info(w->gw, 2, &si), OMS_EINVAL);
  assert_int_equal(oms_gateway_session_info(NULL, 0, &si), OMS_EINVAL);
  assert_int_equal(oms_gateway_session_info(w->gw, 0, NULL), OMS_EINVAL);

  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  int64_t logon_at = w->now;
  run_ms(w, 2);
  new_limit(w, 1, "i1", "1", "0.1", "60000", NULL);
  run_ms(w, 5);
  expect_er(w, 1, "A", "A");
  expect_er(w, 1, "0", "0");
  assert_int_equal(oms_gateway_session_info(w->gw, 0, &si), 0);
  assert_string_equal(si.sender_comp_id, "CLIENT1");
  assert_string_equal(si.account, "ACC1");
  assert_true(si.connected);
  assert_true(si.logged_on);
  assert_int_equal(si.messages_in, 2);  /* Logon, NewOrderSingle */
  assert_int_equal(si.messages_out, 3); /* Logon, two ExecutionReports */
  assert_int_equal(si.next_in, 3);
  assert_int_equal(si.next_out, 4);
  assert_true(si.last_received_ns > logon_at);
  assert_true(si.last_sent_ns > si.last_received_ns);

  /* Gone: the counters stay, the state says disconnected. */
  send_raw(w, 1, "5", "");
  oms_gateway_conn_closed(w->gw, 1);
  assert_int_equal(oms_gateway_session_info(w->gw, 0, &si), 0);
  assert_false(si.connected);
  assert_false(si.logged_on);
  assert_int_equal(si.messages_in, 3);
  assert_int_equal(si.messages_out, 4); /* the Logout answered */
  assert_int_equal(si.next_in, 4);
  assert_int_equal(si.next_out, 5);
  destroy(w);
}

/* Before its first connection since the start, a session's numbers are the
 * store's as the catch-up read them: what it will resume from. */
static void test_session_info_before_a_connection_reads_the_stored_numbers(void **state) {
  (void)state;
  char path[] = "/tmp/test-gateway-info-XXXXXX";
  oms_store_t *st = open_temp_store(path);
  world_t *w = make_with(false, st);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  new_limit(w, 1, "s1", "1", "0.1", "60000", NULL);
  run_ms(w, 5);
  oms_gateway_session_info_t before;
  assert_int_equal(oms_gateway_session_info(w->gw, 0, &before), 0);
  send_raw(w, 1, "5", "");
  oms_gateway_conn_closed(w->gw, 1);
  oms_gateway_flush(w->gw, INT64_C(1000000000));
  w = restart(w, false, st);
  oms_gateway_session_info_t si;
  assert_int_equal(oms_gateway_session_info(w->gw, 0, &si), 0);
  assert_int_equal(si.next_out, 1); /* not read yet: the read-out queries no store */
  assert_int_equal(oms_gateway_catch_up(w->gw, NULL), 0);
  assert_int_equal(oms_gateway_session_info(w->gw, 0, &si), 0);
  assert_false(si.connected);
  assert_int_equal(si.next_in, before.next_in + 1); /* the Logout */
  assert_int_equal(si.next_out, before.next_out + 1);
  assert_int_equal(si.messages_in, 0); /* traffic is this run's */
  assert_int_equal(oms_gateway_session_info(w->gw, 1, &si), 0);
  assert_int_equal(si.next_in, 1); /* never connected: nothing stored */
  assert_int_equal(si.next_out, 1);
  destroy(w);
  remove_store(st, path);
}

/* A daemon restart for real: a new engine recovered from the store and a new
 * gateway. The replaced order answers to its new ClOrdID (found in the
 * engine's map of current names, not by a walk over the orders); its old
 * ClOrdID and a ClOrdID never used are unknown orders. */
static void test_replaced_order_is_found_by_its_new_clordid_after_recovery(void **state) {
  (void)state;
  char path[] = "/tmp/test-gateway-recover-XXXXXX";
  oms_store_t *st = open_temp_store(path);
  world_t *w = make_with(false, st);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  new_limit(w, 1, "r1", "1", "0.5", "60000", NULL);
  new_limit(w, 1, "k1", "1", "0.3", "59000", NULL);
  run_ms(w, 5);
  send_raw(w, 1, "G", "41=r1|11=r2|55=BTC-USD|54=1|" TT "38=0.8|40=2|44=60500|59=1|");
  run_ms(w, 5);
  oms_order_t o;
  assert_int_equal(oms_engine_get_by_current_clordid(w->e, "CLIENT1", "r2", &o), 0);
  uint64_t replaced = o.order_id;
  w = restart(w, false, st);
  uint32_t n = 0;
  assert_int_equal(oms_engine_recover(w->e, &n), 0);
  assert_int_equal(n, 2);
  logon(w, 1, "CLIENT1", "pw1");
  expect(w, 1, "A");
  while (next_msg(w, 1, &(oms_fix_msg_t){0}) == 0) {
  }
  send_raw(w, 1, "F", "41=r2|11=r3|55=BTC-USD|54=1|" TT);
  oms_fix_msg_t *m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "6");
  assert_string_equal(val(m, 41), "r2");
  assert_string_equal(val(m, 11), "r3");
  char idbuf[32];
  snprintf(idbuf, sizeof idbuf, "%llu", (unsigned long long)replaced);
  assert_string_equal(val(m, 37), idbuf);
  send_raw(w, 1, "F", "41=r1|11=r4|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 102), "1");
  assert_string_equal(val(m, 37), "NONE");
  send_raw(w, 1, "F", "41=never|11=r5|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "9");
  assert_string_equal(val(m, 102), "1");
  /* the order never replaced answers to its ClOrdID */
  send_raw(w, 1, "F", "41=k1|11=k2|55=BTC-USD|54=1|" TT);
  m = expect(w, 1, "8");
  assert_string_equal(val(m, 150), "6");
  assert_string_equal(val(m, 41), "k1");
  destroy(w);
  remove_store(st, path);
}

static void test_a_flood_in_one_read_is_answered_in_order(void **state) {
  (void)state;
  world_t *w = ready(true);
  static char flood[1 << 20];
  size_t len = 0;
  for (int i = 0; i < 500; i++) {
    char hdr[512];
    snprintf(hdr, sizeof hdr,
             "35=D|49=CLIENT1|56=OMS|34=%lld|52=20260101-00:00:00.000|11=fl%d|55=BTC-USD|54=1|" TT
             "38=0.01|40=2|44=%d|59=3|",
             (long long)w->seq[1]++, i, 60000 - i);
    len += frame(flood + len, sizeof flood - len, hdr);
  }
  /* and some garbage in the middle of the stream: dropped, the session goes on */
  memcpy(flood + len, "garbage\001\001", 9);
  len += 9;
  char hb[256];
  snprintf(hb, sizeof hb, "35=1|49=CLIENT1|56=OMS|34=%lld|52=20260101-00:00:00.000|112=ping|",
           (long long)w->seq[1]++);
  len += frame(flood + len, sizeof flood - len, hb);
  assert_int_equal(oms_gateway_conn_data(w->gw, 1, flood, len), 0);
  run_ms(w, 5);
  int pending_new = 0, heartbeat = 0;
  conn_out_t *o = &w->out[1];
  oms_fix_msg_t m;
  while (o->read < o->len) {
    size_t used = 0;
    assert_int_equal(oms_fix_parse(o->buf + o->read, o->len - o->read, NULL, &m, &used, NULL), 0);
    o->read += used;
    /* PendingNew, or a refusal once the risk limit of 100 open orders is reached */
    if (oms_fix_msg_is(&m, "8") && strncmp(val(&m, 11), "fl", 2) == 0 &&
        (strcmp(val(&m, 150), "A") == 0 || strcmp(val(&m, 150), "8") == 0))
      pending_new++;
    if (oms_fix_msg_is(&m, "0") && strcmp(val(&m, 112), "ping") == 0) heartbeat++;
  }
  assert_int_equal(pending_new, 500);
  assert_int_equal(heartbeat, 1);
  assert_false(w->out[1].closed);
  destroy(w);
}

static void test_stop_trigger_is_reported_as_restated(void **state) {
  (void)state;
  world_t *w = ready(true);
  /* a buy stop just above the ask triggers when a market buy lifts the offer */
  send_raw(w, 1, "D", "11=stp|55=BTC-USD|54=1|" TT "38=0.1|40=3|99=65001|59=1|");
  run_ms(w, 3);
  send_raw(w, 1, "D", "11=lift|55=BTC-USD|54=1|" TT "38=3|40=1|59=3|");
  run_ms(w, 20);
  oms_fix_msg_t m;
  int restated = 0;
  while (next_msg(w, 1, &m) == 0)
    if (strcmp(val(&m, 11), "stp") == 0 && strcmp(val(&m, 150), "D") == 0) restated++;
  assert_true(restated <= 1); /* 0 when the book did not reach the stop */
  destroy(w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_logon_and_limit_order_gets_pending_new_then_new),
      cmocka_unit_test(test_no_byte_leaves_before_its_sequence_number_is_durable),
      cmocka_unit_test(test_events_never_reported_are_caught_up_after_a_restart),
      cmocka_unit_test(test_a_clean_stop_skips_no_number_and_a_crash_skips_one),
      cmocka_unit_test(test_busts_corrections_and_restatements_reach_the_client),
      cmocka_unit_test(test_a_resend_follows_what_is_queued),
      cmocka_unit_test(test_the_outbox_grows_keeps_order_and_has_a_bound),
      cmocka_unit_test(test_a_sequence_reset_does_not_report_the_history_again),
      cmocka_unit_test(test_market_order_fills_with_last_qty_and_px),
      cmocka_unit_test(test_target_strategy_makes_a_parent_worked_by_children),
      cmocka_unit_test(test_take_profit_and_stop_loss_tags_make_a_bracket),
      cmocka_unit_test(test_other_leg_tags_make_an_oco),
      cmocka_unit_test(test_new_order_list_is_a_contingent_group),
      cmocka_unit_test(test_list_status_list_cancel_and_a_member_cancelled_by_its_name),
      cmocka_unit_test(test_smart_routing_over_fix),
      cmocka_unit_test(test_other_account_is_refused_as_not_entitled),
      cmocka_unit_test(test_risk_refusal_carries_reason_code_and_text),
      cmocka_unit_test(test_unsupported_values_are_rejected),
      cmocka_unit_test(test_order_types_and_time_in_force),
      cmocka_unit_test(test_duplicate_clordid_and_poss_resend),
      cmocka_unit_test(test_later_reports_go_back_to_the_hub_the_order_came_from),
      cmocka_unit_test(test_a_hub_request_does_not_reroute_other_orders),
      cmocka_unit_test(test_cancel_by_orig_clordid),
      cmocka_unit_test(test_orders_of_another_session_are_unknown),
      cmocka_unit_test(test_replace_moves_the_clordid_chain),
      cmocka_unit_test(test_replaced_order_answers_to_its_new_clordid_after_a_restart),
      cmocka_unit_test(test_replace_refused_by_the_venue_gives_cancel_reject),
      cmocka_unit_test(test_status_request),
      cmocka_unit_test(test_mass_cancel),
      cmocka_unit_test(test_unknown_message_type_gets_business_reject),
      cmocka_unit_test(test_cancel_on_disconnect),
      cmocka_unit_test(test_without_cancel_on_disconnect_orders_stay),
      cmocka_unit_test(test_bad_connections_are_closed),
      cmocka_unit_test(test_timer_logout_and_send_failure),
      cmocka_unit_test(test_create_arguments),
      cmocka_unit_test(test_ord_rej_reason_mapping),
      cmocka_unit_test(test_every_reason_maps_to_a_fix_ord_rej_reason),
      cmocka_unit_test(test_admission_hooks_refuse_logons_and_end_sessions),
      cmocka_unit_test(test_store_failure_ends_the_session_with_a_logout_saying_why),
      cmocka_unit_test(test_many_replaces_fill_the_tracking_table),
      cmocka_unit_test(test_sequence_numbers_and_resend_through_the_store),
      cmocka_unit_test(test_replaced_order_is_found_by_its_new_clordid_after_recovery),
      cmocka_unit_test(test_a_flood_in_one_read_is_answered_in_order),
      cmocka_unit_test(test_stop_trigger_is_reported_as_restated),
      cmocka_unit_test(test_session_info_reads_state_numbers_and_traffic),
      cmocka_unit_test(test_session_info_before_a_connection_reads_the_stored_numbers),
      cmocka_unit_test(test_a_report_stored_behind_its_written_event_leaves_with_one_sync),
      cmocka_unit_test(test_a_drop_inside_the_written_hook_cancels_after_the_command),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
