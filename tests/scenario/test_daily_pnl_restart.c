/*
 * test_daily_pnl_restart.c - the daily PnL after a restart is what it would
 * have been without one (docs/store.md, "daily PnL baseline").
 *
 * A script of trades over five trading days (the day begins at 22:00 UTC,
 * the portfolio's day_reset_ns): a configured account (cash set at start, as
 * omsd does) and two made by their fills, one of them on the second day,
 * fills marking the symbol, a position closed, a day with no trade at all
 * and a day skipped. The script runs once without a restart, recording
 * every account's figures (PnL, fees, daily PnL and its day) before and
 * after each step, then again with a restart (engine, portfolio and, for a
 * journal or SQLite store, the store itself closed and opened again; the
 * portfolio put back by oms_engine_recover) before one step, for each step
 * in turn, and before every step: the records are the same, byte for byte.
 * On the memory, SQLite and journal stores. A restart before step 7 is the
 * restart on a later day than the last fill; before step 9, two days later.
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

#include "fakes.h"
#include "oms/engine.h"
#include "oms/portfolio.h"
#include "oms/store.h"
#include "oms_test.h"
#include "world.h"

#define H INT64_C(3600000000000)
#define T0 SCN_T0 /* 16:00 UTC; the trading day rolls at 22:00 UTC (T0 + 6 H) */

typedef struct step_s {
  int64_t at;
  const char *acct; /* NULL: look only */
  oms_side_t side;
  const char *qty, *px, *fee;
} step_t;

static const step_t script[] = {
    {T0, "ACC1", OMS_SIDE_BUY, "2", "100", "0.2"},
    {T0 + 1 * H, "ACC2", OMS_SIDE_SELL, "1", "101", "0.1"},
    {T0 + 2 * H, "ACC1", OMS_SIDE_SELL, "1", "103", "0.1"},
    /* day 2 (from T0 + 6 H) */
    {T0 + 7 * H, "ACC1", OMS_SIDE_BUY, "1", "99", "0.1"},
    {T0 + 8 * H, "ACC3", OMS_SIDE_BUY, "1", "98", "0"},
    {T0 + 9 * H, "ACC2", OMS_SIDE_BUY, "1", "97", "0.05"},
    /* day 3 (from T0 + 30 H): a look first, then a trade */
    {T0 + 31 * H, NULL, 0, NULL, NULL, NULL},
    {T0 + 32 * H, "ACC1", OMS_SIDE_SELL, "2", "95", "0.2"},
    /* day 5 (day 4 passes without the engine hearing of it) */
    {T0 + 80 * H, "ACC3", OMS_SIDE_SELL, "1", "96", "0"},
    {T0 + 81 * H, NULL, 0, NULL, NULL, NULL},
};
#define NSTEPS (int)(sizeof script / sizeof script[0])

typedef struct world_s {
  SCN_WORLD;
  scn_store_kind_t kind;
  fake_venue_t venue;
  int orders;
  char text[16384];
} world_t;

static void boot(world_t *w) {
  oms_portfolio_config_t pc = {.max_accounts = 8,
                               .max_symbols = 4,
                               .max_positions = 16,
                               .day_reset_ns = 22 * H % OMS_DAY_NS};
  assert_int_equal(oms_portfolio_create(&pc, &w->pf), 0);
  oms_engine_config_t cfg = {
      .clock = oms_clock_manual(&w->now), .max_orders = 64, .store = w->store, .portfolio = w->pf};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  fake_venue_init(&w->venue, "SIM");
  oms_instrument_t ins;
  t_instrument(&ins, "BTC-USD");
  assert_int_equal(oms_engine_add_instrument(w->e, &ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(w->e, &w->venue.base, NULL), 0);
  assert_int_equal(oms_portfolio_set_cash(w->pf, "ACC1", T_D("10000"), w->now), 0);
}

static void restart(world_t *w) {
  oms_engine_destroy(w->e);
  oms_portfolio_destroy(w->pf);
  if (w->kind != SCN_STORE_MEMORY) {
    oms_store_close(w->store);
    scn_open_store(&w->base, w->kind, 0);
  }
  boot(w);
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  for (int i = 0; i < 4; i++) oms_engine_poll(w->e); /* the venue reconciled: nothing open */
}

static void trade(world_t *w, const step_t *s) {
  oms_order_request_t req;
  char clordid[16];
  snprintf(clordid, sizeof clordid, "c%d", ++w->orders);
  t_request(&req, clordid, s->side, OMS_ORD_LIMIT, s->qty, s->px);
  strcpy(req.account_id, s->acct);
  oms_submit_result_t res;
  assert_int_equal(oms_engine_submit(w->e, &req, &res), 0);
  assert_int_equal(res.reject.code, OMS_R_NONE);
  uint64_t id = res.order->order_id;
  oms_engine_poll(w->e);
  fake_report(&w->venue, OMS_EXEC_ACCEPTED, id);
  oms_exec_report_t *r = fake_fill(&w->venue, id, s->qty, s->px, clordid);
  r->fee = T_D(s->fee);
  r->cum_qty = T_D(s->qty);
  oms_engine_poll(w->e);
  oms_order_t o;
  assert_int_equal(oms_engine_get(w->e, id, &o), 0);
  assert_int_equal(o.state, OMS_STATE_FILLED);
}

static void record(world_t *w, int step, const char *when) {
  static const char *const accts[] = {"ACC1", "ACC2", "ACC3"};
  for (int i = 0; i < 3; i++) {
    oms_pf_account_t a;
    size_t n = strlen(w->text);
    if (oms_portfolio_account(w->pf, accts[i], w->now, &a) != 0) {
      snprintf(w->text + n, sizeof w->text - n, "%d %s %s none\n", step, when, accts[i]);
      continue;
    }
    char r[OMS_DEC_STRLEN], u[OMS_DEC_STRLEN], f[OMS_DEC_STRLEN], c[OMS_DEC_STRLEN],
        d[OMS_DEC_STRLEN];
    oms_dec_format(a.realized_pnl, r, sizeof r);
    oms_dec_format(a.unrealized_pnl, u, sizeof u);
    oms_dec_format(a.fees, f, sizeof f);
    oms_dec_format(a.cash, c, sizeof c);
    oms_dec_format(a.daily_pnl, d, sizeof d);
    snprintf(w->text + n, sizeof w->text - n,
             "%d %s %s rpnl=%s upnl=%s fees=%s cash=%s daily=%s day=%lld\n", step, when, accts[i],
             r, u, f, c, d, (long long)a.day_start_ns);
  }
}

/* Runs the script, restarting before step k when restart_before[k]. */
static void run(world_t *w, scn_store_kind_t kind, const bool *restart_before) {
  memset(w, 0, sizeof *w);
  w->kind = kind;
  scn_make_dir(&w->base, "dailypnl", "run");
  scn_open_store(&w->base, kind, 0);
  w->now = T0 - H;
  boot(w);
  assert_int_equal(oms_engine_recover(w->e, NULL), 0); /* as omsd starts: an empty store */
  for (int k = 0; k < NSTEPS; k++) {
    w->now = script[k].at;
    if (restart_before[k]) restart(w);
    record(w, k + 1, "pre");
    if (script[k].acct != NULL) trade(w, &script[k]);
    record(w, k + 1, "post");
  }
  oms_engine_destroy(w->e);
  oms_portfolio_destroy(w->pf);
  w->e = NULL;
  w->pf = NULL;
  oms_store_close(w->store);
  w->store = NULL;
  scn_remove_dir(&w->base);
}

/* The daily PnL of acct in the line of (step, when) of text. */
static void daily_is(const char *text, int step, const char *when, const char *acct,
                     const char *want) {
  char key[64], got[64];
  snprintf(key, sizeof key, "\n%d %s %s ", step, when, acct);
  const char *line = strstr(text, key);
  assert_non_null(line);
  const char *at = strstr(line, " daily=");
  assert_non_null(at);
  at += 7;
  size_t n = strcspn(at, " ");
  snprintf(got, sizeof got, "%.*s", (int)n, at);
  assert_string_equal(got, want);
}

static void same_with_restarts(scn_store_kind_t kind) {
  world_t *plain = calloc(1, sizeof *plain), *w = calloc(1, sizeof *w);
  bool none[NSTEPS] = {false}, every[NSTEPS];
  run(plain, kind, none);
  /* A few figures by hand (the first line has no newline before it). */
  daily_is(plain->text, 3, "post", "ACC1", "5.7");  /* 3 realized + 3 unrealized - 0.3 fees */
  daily_is(plain->text, 4, "pre", "ACC1", "0");     /* the day began at 5.7 */
  daily_is(plain->text, 4, "post", "ACC1", "-4.1"); /* 2 @ 99.5 marked 99: 1.6 - 5.7 */
  daily_is(plain->text, 5, "post", "ACC3", "0");    /* made today: 1 @ 98 marked 98 */
  daily_is(plain->text, 7, "pre", "ACC1", "0");     /* a new day, nothing traded yet */
  daily_is(plain->text, 7, "pre", "ACC2", "0");
  daily_is(plain->text, 7, "pre", "ACC3", "0");
  for (int k = 0; k <= NSTEPS; k++) {
    bool at[NSTEPS];
    for (int i = 0; i < NSTEPS; i++) {
      at[i] = k == NSTEPS || i == k;
      every[i] = true;
    }
    run(w, kind, k == NSTEPS ? every : at);
    if (strcmp(plain->text, w->text) != 0)
      print_message("restart before step %d:\n%s\nwithout:\n%s", k + 1, w->text, plain->text);
    assert_string_equal(plain->text, w->text);
  }
  free(plain);
  free(w);
}

static void test_daily_pnl_after_a_restart_equals_an_uninterrupted_run_memory(void **state) {
  (void)state;
  same_with_restarts(SCN_STORE_MEMORY);
}

static void test_daily_pnl_after_a_restart_equals_an_uninterrupted_run_sqlite(void **state) {
  (void)state;
  same_with_restarts(SCN_STORE_SQLITE);
}

static void test_daily_pnl_after_a_restart_equals_an_uninterrupted_run_journal(void **state) {
  (void)state;
  same_with_restarts(SCN_STORE_JOURNAL);
}

/* A store that refuses the first base of a day: the engine tries again at its
 * next command, and a restart then still finds the day whole. A store that
 * keeps no bases (a function table without them) changes nothing else. */
static int refusals;
static int (*real_append)(oms_store_t *, const oms_pnl_base_row_t *, uint64_t *);

static int refuse_once(oms_store_t *s, const oms_pnl_base_row_t *row, uint64_t *ticket) {
  if (refusals-- > 0) return OMS_ESTORE;
  return real_append(s, row, ticket);
}

static void test_a_refused_base_is_written_at_the_next_command(void **state) {
  (void)state;
  world_t *w = calloc(1, sizeof *w), *plain = calloc(1, sizeof *plain);
  bool none[NSTEPS] = {false};
  run(plain, SCN_STORE_MEMORY, none);
  memset(w, 0, sizeof *w);
  w->kind = SCN_STORE_MEMORY;
  scn_open_store(&w->base, SCN_STORE_MEMORY, 0);
  oms_store_vtbl_t vt = *w->store->vt;
  const oms_store_vtbl_t *real = w->store->vt;
  real_append = real->pnl_base_append;
  vt.pnl_base_append = refuse_once;
  w->store->vt = &vt;
  w->now = T0 - H;
  boot(w);
  assert_int_equal(oms_engine_recover(w->e, NULL), 0);
  for (int k = 0; k < NSTEPS; k++) {
    w->now = script[k].at;
    if (k == 3) refusals = 1; /* the first command of day 2 */
    if (k == 4) restart(w);
    record(w, k + 1, "pre");
    if (script[k].acct != NULL) trade(w, &script[k]);
    record(w, k + 1, "post");
  }
  assert_string_equal(plain->text, w->text);
  /* Without the functions: recovery works, bases as before this change. */
  vt.pnl_base_append = NULL;
  vt.pnl_bases = NULL;
  restart(w);
  oms_pf_account_t a;
  assert_int_equal(oms_portfolio_account(w->pf, "ACC1", w->now, &a), 0);
  w->store->vt = real;
  oms_engine_destroy(w->e);
  oms_portfolio_destroy(w->pf);
  oms_store_close(w->store);
  free(w);
  free(plain);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_daily_pnl_after_a_restart_equals_an_uninterrupted_run_memory),
      cmocka_unit_test(test_daily_pnl_after_a_restart_equals_an_uninterrupted_run_sqlite),
      cmocka_unit_test(test_daily_pnl_after_a_restart_equals_an_uninterrupted_run_journal),
      cmocka_unit_test(test_a_refused_base_is_written_at_the_next_command),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
