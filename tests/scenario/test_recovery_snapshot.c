/*
 * test_recovery_snapshot.c - recovery from the store's position rows equals
 * recovery by replaying every fill.
 *
 * A history is written into a journal store (synthetic events, no venue):
 * two accounts, two symbols with different multipliers, orders filled in
 * parts, a position that goes through zero, a busted fill and a corrected
 * one, fills on two trading days, and orders left working. Then two engines
 * recover from the same store: one as omsd does (the portfolio put back from
 * the position rows, the execution ids from the last fills), one through a
 * copy of the store's function table without fill_seq_back, which makes the
 * engine replay every fill from seq 1, as before. Compared as text: every
 * position (in walk order: the order they were opened) with its realized and
 * unrealized PnL, fees, exposure, margin and mark; every account's figures
 * (cash, PnL, equity, margin, exposures, leverage, daily PnL); the risk
 * aggregates; the open orders. A second case reopens the store with its
 * projection deleted (rebuilt from the journal, so through the schema's own
 * booking) and compares again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "oms/engine.h"
#include "oms/event.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/store.h"
#include "oms_test.h"
#include "oms_test_risk.h"
#include "world.h"

#define T0 INT64_C(1764000000000000000) /* 2025-11-24 16:00 UTC */
#define DAY INT64_C(86400000000000)

typedef struct hist_s {
  oms_store_t *st;
  uint64_t seq;
  int64_t now;
} hist_t;

static void append(hist_t *h, oms_event_t *ev, size_t n) {
  for (size_t i = 0; i < n; i++) ev[i].seq = ++h->seq;
  oms_store_unit_t u = {ev, n};
  uint64_t t;
  assert_int_equal(oms_store_append(h->st, &u, 0, &t), 0);
}

static void order(oms_order_t *o, uint64_t id, const char *acct, const char *sym, oms_side_t side,
                  const char *qty, const char *px, int64_t now) {
  oms_order_request_t req;
  char clordid[32];
  snprintf(clordid, sizeof clordid, "c%llu", (unsigned long long)id);
  t_request(&req, clordid, side, OMS_ORD_LIMIT, qty, px);
  strcpy(req.account_id, acct);
  strcpy(req.symbol, sym);
  oms_order_init(o, id, &req, now);
  o->state = OMS_STATE_ACCEPTED;
}

/* A fill (or a bust / correction when type says so) of o. */
static void fill_ev(oms_event_t *ev, oms_event_type_t type, oms_order_t *o, const char *qty,
                    const char *px, const char *fee, const char *mult, const char *exec,
                    int64_t now) {
  if (type == OMS_EVT_ORDER_PARTIALLY_FILLED || type == OMS_EVT_ORDER_FILLED) {
    oms_dec_add(o->filled_qty, T_D(qty), &o->filled_qty);
    oms_dec_sub(o->qty, o->filled_qty, &o->leaves_qty);
    o->state = type == OMS_EVT_ORDER_FILLED ? OMS_STATE_FILLED : OMS_STATE_PARTIALLY_FILLED;
  }
  oms_event_init(ev, type, o, now, now);
  ev->fill.qty = T_D(qty);
  ev->fill.price = T_D(px);
  ev->fill.fee = T_D(fee);
  ev->fill.multiplier = T_D(mult);
  snprintf(ev->fill.exec_id, sizeof ev->fill.exec_id, "%s", exec);
}

static void history(hist_t *h) {
  oms_order_t o;
  oms_event_t ev[2];
  uint64_t id = 0;
  /* Day 1: ACC1 builds and trims BTC, ACC2 trades ETH through zero. */
  struct {
    const char *acct, *sym;
    oms_side_t side;
    const char *qty, *px, *fee;
    int64_t at;
  } steps[] = {
      {"ACC1", "BTC-USD", OMS_SIDE_BUY, "2", "65000", "1.3", T0},
      {"ACC2", "ETH-USD", OMS_SIDE_SELL, "3", "3000.5", "0.9", T0 + 1000},
      {"ACC1", "BTC-USD", OMS_SIDE_BUY, "1", "65500", "0.65", T0 + 2000},
      {"ACC1", "ETH-USD", OMS_SIDE_BUY, "5", "2999", "-0.1", T0 + 3000},
      {"ACC2", "ETH-USD", OMS_SIDE_BUY, "4", "3010", "1.2", T0 + 4000},
      {"ACC1", "BTC-USD", OMS_SIDE_SELL, "1.5", "66000", "1", T0 + 5000},
      /* Day 2 (ACC1 only: ACC2's account is made by its fills, see docs). */
      {"ACC1", "BTC-USD", OMS_SIDE_SELL, "2", "64000", "1.28", T0 + DAY},
      {"ACC1", "ETH-USD", OMS_SIDE_SELL, "1", "3100", "0.31", T0 + DAY + 1000},
  };
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    const char *mult = strcmp(steps[i].sym, "ETH-USD") == 0 ? "0.1" : "1";
    char exec[16];
    snprintf(exec, sizeof exec, "x%zu", i);
    order(&o, ++id, steps[i].acct, steps[i].sym, steps[i].side, steps[i].qty, steps[i].px,
          steps[i].at);
    oms_event_init(&ev[0], OMS_EVT_ORDER_ACCEPTED, &o, steps[i].at, steps[i].at);
    fill_ev(&ev[1], OMS_EVT_ORDER_FILLED, &o, steps[i].qty, steps[i].px, steps[i].fee, mult, exec,
            steps[i].at + 10);
    append(h, ev, 2);
  }
  /* A partial fill, busted; another, corrected to a new price. */
  order(&o, ++id, "ACC1", "BTC-USD", OMS_SIDE_BUY, "1", "64000", T0 + DAY + 2000);
  fill_ev(&ev[0], OMS_EVT_ORDER_PARTIALLY_FILLED, &o, "0.4", "64000", "0.2", "1", "xb",
          T0 + DAY + 2010);
  append(h, ev, 1);
  fill_ev(&ev[0], OMS_EVT_ORDER_FILL_BUSTED, &o, "0", "0", "0", "1", "xb", T0 + DAY + 2020);
  ev[0].fill.old_qty = T_D("0.4");
  ev[0].fill.old_price = T_D("64000");
  ev[0].fill.old_fee = T_D("0.2");
  append(h, ev, 1);
  fill_ev(&ev[0], OMS_EVT_ORDER_PARTIALLY_FILLED, &o, "0.3", "63990", "0.1", "1", "xc",
          T0 + DAY + 2030);
  append(h, ev, 1);
  fill_ev(&ev[0], OMS_EVT_ORDER_FILL_CORRECTED, &o, "0.3", "63980", "0.1", "1", "xc",
          T0 + DAY + 2040);
  ev[0].fill.old_qty = T_D("0.3");
  ev[0].fill.old_price = T_D("63990");
  ev[0].fill.old_fee = T_D("0.1");
  append(h, ev, 1);
  /* Left working. */
  for (int i = 0; i < 3; i++) {
    order(&o, ++id, i ? "ACC2" : "ACC1", "BTC-USD", OMS_SIDE_BUY, "0.5", "60000",
          T0 + DAY + 3000 + i);
    oms_event_init(&ev[0], OMS_EVT_ORDER_ACCEPTED, &o, T0 + DAY + 3000 + i, T0 + DAY + 3000 + i);
    append(h, ev, 1);
  }
}

/* ---- One recovered engine, as text ------------------------------------------------ */

typedef struct world_s {
  int64_t now;
  oms_engine_t *e;
  oms_risk_t *risk;
  oms_portfolio_t *pf;
  char text[8192];
} world_t;

static void put(world_t *w, const char *fmt, ...) {
  size_t n = strlen(w->text);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->text + n, sizeof w->text - n, fmt, ap);
  va_end(ap);
}

static const char *d(oms_dec_t v, char *buf) {
  oms_dec_format(v, buf, OMS_DEC_STRLEN);
  return buf;
}

static int put_position(void *ctx, const char *account, const char *symbol,
                        const oms_pf_position_t *p) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN], c[OMS_DEC_STRLEN], e[OMS_DEC_STRLEN],
      f[OMS_DEC_STRLEN], g[OMS_DEC_STRLEN], h[OMS_DEC_STRLEN], m[OMS_DEC_STRLEN];
  put(ctx, "pos %s %s qty=%s avg=%s rpnl=%s upnl=%s fees=%s expo=%s margin=%s mark=%s@%lld\n",
      account, symbol, d(p->qty, a), d(p->avg_px, b), d(p->realized_pnl, c),
      d(p->unrealized_pnl, e), d(p->fees, f), d(p->exposure, g), d(p->margin, h),
      d(p->ins.mark_px, m), (long long)p->ins.mark_ns);
  return 0;
}

static int put_account(void *ctx, const char *account, const oms_pf_account_t *x) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN], c[OMS_DEC_STRLEN], e[OMS_DEC_STRLEN],
      f[OMS_DEC_STRLEN], g[OMS_DEC_STRLEN], h[OMS_DEC_STRLEN], i[OMS_DEC_STRLEN], j[OMS_DEC_STRLEN],
      k[OMS_DEC_STRLEN];
  put(ctx,
      "acct %s cash=%s rpnl=%s upnl=%s fees=%s equity=%s margin=%s gross=%s net=%s lev=%s "
      "daily=%s day=%lld\n",
      account, d(x->cash, a), d(x->realized_pnl, b), d(x->unrealized_pnl, c), d(x->fees, e),
      d(x->equity, f), d(x->margin_used, g), d(x->gross_exposure, h), d(x->net_exposure, i),
      d(x->leverage, j), d(x->daily_pnl, k), (long long)x->day_start_ns);
  return 0;
}

static int put_order(void *ctx, const oms_order_t *o) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
  put(ctx, "order %llu %s %s leaves=%s filled=%s state=%d\n", (unsigned long long)o->order_id,
      o->account_id, o->symbol, d(o->leaves_qty, a), d(o->filled_qty, b), (int)o->state);
  return 0;
}

/* cash_acc2: whether ACC2 is configured (given its cash at start, as omsd
 * does for the accounts of its configuration) or only made by its fills. */
static void recover(world_t *w, oms_store_t *st, bool cash_acc2) {
  memset(w, 0, sizeof *w);
  w->now = T0 + DAY + 3600 * INT64_C(1000000000);
  scn_parts(&w->pf, &w->risk);
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = 256,
                             .store = st,
                             .portfolio = w->pf,
                             .risk = w->risk};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  assert_int_equal(oms_engine_add_instrument(w->e, &ins, NULL), 0);
  t_instrument(&ins, "ETH-USD");
  ins.multiplier = T_D("0.1");
  assert_int_equal(oms_engine_add_instrument(w->e, &ins, NULL), 0);
  assert_int_equal(oms_portfolio_set_cash(w->pf, "ACC1", T_D("1000000"), w->now), 0);
  if (cash_acc2) assert_int_equal(oms_portfolio_set_cash(w->pf, "ACC2", T_D("5000"), w->now), 0);
  loose_limits(w->risk, NULL);
  uint32_t n = 0;
  assert_int_equal(oms_engine_recover(w->e, &n), 0);
  assert_int_equal(n, 4); /* three accepted, one partly filled */
  assert_int_equal(oms_portfolio_each_position(w->pf, NULL, put_position, w), 0);
  assert_int_equal(oms_portfolio_each_account(w->pf, w->now, put_account, w), 0);
  const char *accts[] = {"ACC1", "ACC2"};
  for (int i = 0; i < 2; i++) {
    oms_risk_aggr_t a;
    char x[OMS_DEC_STRLEN], y[OMS_DEC_STRLEN], z[OMS_DEC_STRLEN];
    oms_risk_aggregates(w->risk, accts[i], "s1", "BTC-USD", &a);
    put(w, "aggr %s open=%u/%u notional=%s margin=%s buy=%s\n", accts[i], a.account_open_orders,
        a.strategy_open_orders, d(a.account_open_notional, x), d(a.account_open_margin, y),
        d(a.open_buy_qty, z));
  }
  oms_engine_stats_t es;
  oms_engine_stats(w->e, &es);
  put(w, "next order %llu seq %llu\n", (unsigned long long)es.next_order_id,
      (unsigned long long)es.next_event_seq);
  assert_int_equal(oms_store_load_active(st, put_order, w), 0);
}

static void halt(world_t *w) {
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
}

/* Recovers twice from st, from its rows and from every fill; the same, the
 * daily PnL of an account that is not configured (no cash at start)
 * included: both take the day's base from the store's journaled bases, or
 * at recovery when the day began while no engine ran (docs/store.md,
 * "daily PnL baseline"). */
static void same_both_ways(oms_store_t *st, bool cash_acc2) {
  world_t *rows = calloc(1, sizeof *rows), *replay = calloc(1, sizeof *replay);
  recover(rows, st, cash_acc2);
  oms_store_vtbl_t no_rows = *st->vt;
  no_rows.fill_seq_back = NULL; /* the engine then replays every fill from seq 1 */
  const oms_store_vtbl_t *real = st->vt;
  st->vt = &no_rows;
  recover(replay, st, cash_acc2);
  st->vt = real;
  print_message("%s", rows->text);
  if (strcmp(rows->text, replay->text) != 0) print_message("replayed:\n%s", replay->text);
  assert_string_equal(rows->text, replay->text);
  /* The rows were used: positions are there, in the order opened. */
  assert_non_null(strstr(rows->text, "pos ACC1 BTC-USD"));
  assert_true(strstr(rows->text, "pos ACC1 BTC-USD") < strstr(rows->text, "pos ACC2 ETH-USD"));
  assert_true(strstr(rows->text, "pos ACC2 ETH-USD") < strstr(rows->text, "pos ACC1 ETH-USD"));
  halt(rows);
  halt(replay);
  free(rows);
  free(replay);
}

static void test_recovery_from_rows_equals_replay_of_every_fill(void **state) {
  (void)state;
  char dir[128], jdir[160], db[160], cmd[400];
  snprintf(dir, sizeof dir, "/tmp/oms-snapshot-%d", (int)getpid());
  snprintf(jdir, sizeof jdir, "%s/journal", dir);
  snprintf(db, sizeof db, "%s/oms.db", dir);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  assert_int_equal(system(cmd), 0);
  oms_store_journal_config_t cfg;
  oms_store_journal_config_init(&cfg, jdir, db);
  cfg.durability = OMS_DURABILITY_OS;
  hist_t h = {0};
  assert_int_equal(oms_store_journal_open(&cfg, &h.st), 0);
  history(&h);
  assert_int_equal(oms_store_flush(h.st, -1), 0);
  same_both_ways(h.st, true);
  same_both_ways(h.st, false);
  oms_store_close(h.st);
  /* The projection rebuilt from the journal books the same rows. */
  assert_int_equal(unlink(db), 0);
  assert_int_equal(oms_store_journal_open(&cfg, &h.st), 0);
  same_both_ways(h.st, true);
  oms_store_close(h.st);
  /* The memory store keeps the same rows too. */
  oms_store_t *mem;
  assert_int_equal(oms_store_memory_create(NULL, &mem), 0);
  hist_t m = {mem, 0, 0};
  history(&m);
  same_both_ways(mem, true);
  oms_store_close(mem);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* Risk's reference prices come back with the portfolio, either way: each
 * symbol's last fill (BTC's corrected one, 63980), at its own time, so the
 * price collar's max_ref_age (1 h in loose_limits) judges it as any price:
 * an order within the hour passes, one later is refused as stale (no
 * longer for want of a price). */
static void test_reference_prices_come_back_with_their_time(void **state) {
  (void)state;
  oms_store_t *mem;
  assert_int_equal(oms_store_memory_create(NULL, &mem), 0);
  hist_t m = {mem, 0, 0};
  history(&m);
  const int64_t last_btc = T0 + DAY + 2040, hour = 3600 * INT64_C(1000000000);
  for (int way = 0; way < 2; way++) {
    world_t *w = calloc(1, sizeof *w);
    oms_store_vtbl_t no_rows = *mem->vt;
    no_rows.fill_seq_back = NULL;
    const oms_store_vtbl_t *real = mem->vt;
    if (way == 1) mem->vt = &no_rows;
    recover(w, mem, true);
    mem->vt = real;
    oms_order_t o;
    order(&o, 100, "ACC1", "BTC-USD", OMS_SIDE_BUY, "0.01", "64000", w->now);
    o.state = OMS_STATE_PENDING;
    oms_risk_result_t res;
    bool ok = oms_risk_check_new(w->risk, &o, last_btc + hour - 1, &res);
    if (!ok) print_message("refused: %s\n", res.reject.text);
    assert_true(ok);
    o.order_id = 101;
    assert_false(oms_risk_check_new(w->risk, &o, last_btc + hour + 1, &res));
    assert_int_equal(res.reject.code, OMS_R_RISK_STALE_REFERENCE_PRICE);
    assert_string_equal(res.reject.text,
                        "price_collar: reference price 63980 for BTC-USD is 3600000 ms old "
                        "(max 3600000 ms)");
    /* a newer price (market data before recovery ended) is kept */
    assert_int_equal(oms_risk_restore_reference_price(w->risk, "BTC-USD", T_D("1"), last_btc), 0);
    assert_int_equal(oms_risk_set_reference_price(w->risk, "ETH-USD", T_D("3200"), w->now), 0);
    assert_int_equal(oms_risk_restore_reference_price(w->risk, "ETH-USD", T_D("1"), T0), 0);
    o.order_id = 102;
    o.qty = T_D("0.02"); /* not a duplicate of order 100 */
    assert_true(oms_risk_check_new(w->risk, &o, last_btc + hour - 1, &res));
    halt(w);
    free(w);
  }
  oms_store_close(mem);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_recovery_from_rows_equals_replay_of_every_fill),
      cmocka_unit_test(test_reference_prices_come_back_with_their_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
