/*
 * fuzz_gateway.c - libFuzzer target for the whole inbound FIX path as omsd
 * runs it: a logged-on session of the real gateway, with the engine, risk,
 * portfolio, the simulated venue and a memory store, in one process on an
 * injected clock (the wiring of tests/unit/gateway/test_golden_fix.c).
 *
 * The input is text, one message per line, so that the fuzzer spends its
 * time on content rather than on checksums: a line is a message body with
 * '|' or SOH between fields ("35=D|11=a|55=BTC-USD|..."); the target puts the
 * header (49, 56, 34 = the next number, 52 = the clock) after its first
 * field and frames it with 8, 9 and 10. A line that starts with "8=" is sent
 * unframed ('|' still stands for SOH), for the codec's refusals. Between lines the clock moves
 * by a few milliseconds, the engine runs, and every eighth line the session
 * timers run. The seeds (fuzz/corpus/fuzz_gateway/) are valid order-entry
 * and admin conversations.
 *
 * Whatever arrives: nothing crashes or leaks, every message the gateway
 * writes parses as FIX 4.4, and the sequence numbers of its new (not
 * PossDup) messages go up by one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oms/engine.h"
#include "oms/error.h"
#include "oms/fix.h"
#include "oms/gateway.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms/store.h"

#define MS INT64_C(1000000)
#define CONN 1
#define LINE_MAX_LEN 2048

typedef struct world_s {
  int64_t now;
  oms_store_t *store;
  oms_portfolio_t *pf;
  oms_risk_t *risk;
  oms_engine_t *e;
  oms_venue_t *sim;
  oms_gateway_t *gw;
  int closed;
  int64_t last_seq; /* MsgSeqNum of the last new message we sent */
  char pending[65536];
  size_t npending;
} world_t;

static oms_fix_msg_t out_msg;

/* Checks each whole message the gateway wrote. */
static void check_output(world_t *w) {
  size_t off = 0;
  while (off < w->npending) {
    size_t used = 0;
    oms_fix_limits_t lim = {.max_msg_len = OMS_FIX_MAX_MSG_LEN_LIMIT, .max_fields = 0};
    int rc = oms_fix_parse(w->pending + off, w->npending - off, &lim, &out_msg, &used, NULL);
    if (rc == OMS_EAGAIN) break;
    if (rc != 0) __builtin_trap(); /* we wrote something that is not FIX */
    int64_t seq = 0;
    int poss_dup = 0;
    if (oms_fix_msg_get_int(&out_msg, OMS_FIX_TAG_MsgSeqNum, &seq) != 0) __builtin_trap();
    (void)oms_fix_msg_get_bool(&out_msg, OMS_FIX_TAG_PossDupFlag, &poss_dup);
    int reset = 0;
    (void)oms_fix_msg_get_bool(&out_msg, OMS_FIX_TAG_ResetSeqNumFlag, &reset);
    if (reset) w->last_seq = 0; /* a sequence reset starts again at 1 */
    if (!poss_dup) {
      if (w->last_seq && seq != w->last_seq + 1) __builtin_trap();
      w->last_seq = seq;
    }
    off += used;
  }
  memmove(w->pending, w->pending + off, w->npending - off);
  w->npending -= off;
}

static int io_send(void *ctx, uint64_t conn, const char *d, size_t n) {
  world_t *w = ctx;
  (void)conn;
  if (n > sizeof w->pending - w->npending) check_output(w);
  if (n > sizeof w->pending - w->npending) __builtin_trap();
  memcpy(w->pending + w->npending, d, n);
  w->npending += n;
  check_output(w);
  return 0;
}

static void io_close(void *ctx, uint64_t conn, const char *reason) {
  (void)conn, (void)reason;
  ((world_t *)ctx)->closed = 1;
}

static void on_event(void *ctx, const oms_event_t *ev) {
  oms_gateway_on_event(((world_t *)ctx)->gw, ev);
}

static oms_dec_t dec(const char *s) {
  oms_dec_t d;
  if (oms_dec_parse_cstr(s, &d) != 0) __builtin_trap();
  return d;
}

static void destroy(world_t *w) {
  oms_gateway_destroy(w->gw);
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  oms_store_close(w->store);
  free(w);
}

static world_t *make(void) {
  world_t *w = calloc(1, sizeof *w);
  if (!w) __builtin_trap();
  w->now = INT64_C(1767225600000000000); /* 2026-01-01 00:00:00 UTC */
  if (oms_store_memory_create(NULL, &w->store) != 0) __builtin_trap();
  oms_portfolio_config_t pc = {.max_accounts = 4, .max_symbols = 4, .max_positions = 16};
  if (oms_portfolio_create(&pc, &w->pf) != 0) __builtin_trap();
  oms_risk_config_t rc = {.max_accounts = 4,
                          .max_strategies = 4,
                          .max_symbols = 4,
                          .max_positions = 16,
                          .max_open_orders = 64};
  if (oms_risk_create(&rc, &w->risk) != 0) __builtin_trap();
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = 128,
                             .store = w->store,
                             .portfolio = w->pf,
                             .risk = w->risk,
                             .on_event = on_event,
                             .event_ctx = w};
  if (oms_engine_create(&cfg, &w->e) != 0) __builtin_trap();
  oms_sim_symbol_t sym;
  memset(&sym, 0, sizeof sym);
  strcpy(sym.ins.symbol, "BTC-USD");
  strcpy(sym.ins.venue, "SIM");
  sym.ins.tick_size = dec("0.5");
  sym.ins.lot_size = dec("0.001");
  sym.ins.min_qty = dec("0.001");
  sym.ins.max_qty = dec("1000");
  sym.ins.min_notional = dec("10");
  sym.ins.price_precision = 1;
  sym.ins.qty_precision = 3;
  sym.lp.enabled = true;
  sym.lp.ref_px = dec("65000");
  sym.lp.spread_ticks = 2;
  sym.lp.levels = 3;
  sym.lp.size = dec("1");
  oms_sim_config_t sc = {.name = "SIM",
                         .clock = oms_clock_manual(&w->now),
                         .max_orders = 256,
                         .ack_latency_ns = 1 * MS,
                         .fill_latency_ns = 1 * MS,
                         .seed = 42,
                         .symbols = &sym,
                         .nsymbols = 1};
  if (oms_sim_venue_create(&sc, &w->sim) != 0) __builtin_trap();
  if (oms_engine_add_instrument(w->e, &sym.ins, NULL) != 0) __builtin_trap();
  if (oms_engine_add_venue(w->e, w->sim, NULL) != 0) __builtin_trap();
  oms_portfolio_set_cash(w->pf, "ACC1", dec("1000000"), w->now);
  oms_risk_set_reference_price(w->risk, "BTC-USD", dec("65000"), w->now);
  oms_gateway_config_t gc = {
      .engine = w->e,
      .store = w->store,
      .clock = oms_clock_manual(&w->now),
      .default_venue = "SIM",
      .max_tracked = 256, /* the default 65536 is most of the cost of a run */
      .max_conns = 2,
      .io = {.send = io_send, .close = io_close, .ctx = w}};
  if (oms_gateway_create(&gc, &w->gw) != 0) __builtin_trap();
  oms_gateway_session_config_t s1 = {
      .client_comp_id = "CLIENT1", .our_comp_id = "OMS", .password = "pw1", .account = "ACC1"};
  if (oms_gateway_add_session(w->gw, &s1) != 0) __builtin_trap();
  return w;
}

/* Frames body (fields separated by '|' or SOH) with the header after its
 * first field. Returns the length written to out. */
static size_t frame(world_t *w, int64_t seq, const char *body, size_t len, char *out, size_t cap) {
  char tmp[LINE_MAX_LEN + 128], ts[OMS_FIX_TIME_LEN + 1];
  size_t first = 0;
  while (first < len && body[first] != '|' && body[first] != OMS_FIX_SOH) first++;
  oms_fix_format_time(w->now, ts);
  int n = snprintf(tmp, sizeof tmp, "%.*s|49=CLIENT1|56=OMS|34=%lld|52=%s|%.*s", (int)first, body,
                   (long long)seq, ts, first < len ? (int)(len - first - 1) : 0,
                   first < len ? body + first + 1 : "");
  if (n < 0 || (size_t)n >= sizeof tmp) return 0;
  for (int i = 0; i < n; i++)
    if (tmp[i] == '|') tmp[i] = OMS_FIX_SOH;
  if (n > 0 && tmp[n - 1] != OMS_FIX_SOH) tmp[n++] = OMS_FIX_SOH;
  int m = snprintf(out, cap, "8=FIX.4.4\0019=%d\001%.*s", n, n, tmp);
  if (m < 0 || (size_t)m + 8 > cap) return 0;
  unsigned sum = 0;
  for (int i = 0; i < m; i++) sum += (unsigned char)out[i];
  m += snprintf(out + m, cap - (size_t)m, "10=%03u\001", sum & 0xFF);
  return (size_t)m;
}

static void deliver(world_t *w, const char *data, size_t len) {
  (void)oms_gateway_conn_data(w->gw, CONN, data, len);
  oms_engine_poll(w->e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  world_t *w = make();
  if (oms_gateway_conn_open(w->gw, CONN) != 0) __builtin_trap();
  static char msg[LINE_MAX_LEN + 256];
  size_t n = frame(w, 1, "35=A|98=0|108=30|554=pw1|", 25, msg, sizeof msg);
  deliver(w, msg, n);
  int64_t seq = 2;
  size_t off = 0, lines = 0;
  while (off < size && !w->closed) {
    const char *line = (const char *)data + off;
    const char *nl = memchr(line, '\n', size - off);
    size_t len = nl ? (size_t)(nl - line) : size - off;
    off += len + (nl != NULL);
    if (len > LINE_MAX_LEN) len = LINE_MAX_LEN;
    if (len >= 2 && line[0] == '8' && line[1] == '=') {
      for (size_t i = 0; i < len; i++) msg[i] = line[i] == '|' ? OMS_FIX_SOH : line[i];
      deliver(w, msg, len);
    } else if (len > 0) {
      n = frame(w, seq++, line, len, msg, sizeof msg);
      if (n) deliver(w, msg, n);
    }
    /* A few milliseconds: the venue acknowledges and fills. */
    for (size_t ms = 0; ms < (len & 3) + 1; ms++) {
      w->now += MS;
      oms_engine_poll(w->e);
    }
    if (++lines % 8 == 0) {
      w->now += 1000 * MS;
      oms_gateway_on_timer(w->gw);
      oms_engine_poll(w->e);
    }
  }
  if (!w->closed) oms_gateway_conn_closed(w->gw, CONN);
  oms_engine_poll(w->e);
  check_output(w);
  destroy(w);
  return 0;
}
