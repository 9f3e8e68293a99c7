/* Tests for src/risk/risk.c and table.c: the chain (order, stop at the first
 * failure, logging, commits, custom checks), the open-order aggregates
 * (reserve, fill, replace, release, idempotence), trading states and their
 * callback, limit installation (atomic, validated) and capacity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "risk_fixture.h"

/* The random walks' generator (xorshift64): one step of *x. */
static void xorshift(uint64_t *x) {
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
}

/* The built-in checks' names in the default chain's order: the one table
 * (OMS_RISK_BUILTIN_MAP) the tests build their chains from. */
static const char *const builtin_names[] = {
#define XX(id, name) name,
    OMS_RISK_BUILTIN_MAP(XX)
#undef XX
};
#define NBUILTIN (sizeof builtin_names / sizeof builtin_names[0])

static fixture_t F;
static oms_risk_result_t res;

static int setup(void **state) {
  (void)state;
  memset(&res, 0, sizeof res);
  return f_setup(&F);
}

static int teardown(void **state) {
  (void)state;
  f_teardown(&F);
  return 0;
}

/* ---- chain ---- */

typedef struct logbuf_s {
  int n;
  char names[40][32];
  bool passed[40];
  oms_reason_t codes[40];
  uint64_t ids[40];
} logbuf_t;

static void log_cb(void *ctx, const oms_risk_log_t *rec) {
  logbuf_t *b = ctx;
  if (b->n >= 40) return;
  snprintf(b->names[b->n], 32, "%s", rec->check);
  b->passed[b->n] = rec->passed;
  b->codes[b->n] = rec->code;
  b->ids[b->n] = rec->order_id;
  b->n++;
}

static int commits;
static oms_reason_t pass_check(void *ctx, const oms_risk_input_t *in, oms_risk_result_t *r) {
  (void)ctx;
  (void)in;
  (void)r;
  return OMS_R_NONE;
}
static oms_reason_t fail_check(void *ctx, const oms_risk_input_t *in, oms_risk_result_t *r) {
  return oms_reject_set(&r->reject, OMS_R_RISK_MAX_ORDER_QTY, "%s: no (%s)", (const char *)ctx,
                        in->order->symbol);
}
static void count_commit(void *ctx, const oms_risk_input_t *in) {
  (void)ctx;
  (void)in;
  commits++;
}

static void test_default_chain_runs_every_check_in_order_and_logs(void **state) {
  (void)state;
  f_install(&F);
  logbuf_t lb = {0};
  oms_risk_set_log(F.risk, log_cb, &lb);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
  /* 16 since issue 16 added "concentration" and "var_stress" (both pass when
   * nothing limits them). */
  assert_int_equal(lb.n, 16);
  for (int i = 0; i < 16; i++) {
    assert_string_equal(lb.names[i], builtin_names[i]);
    assert_true(lb.passed[i]);
    assert_int_equal(lb.ids[i], o.order_id);
    assert_non_null(oms_risk_builtin(builtin_names[i]));
  }
  assert_null(oms_risk_builtin("nope"));
  assert_null(oms_risk_builtin(NULL));
}

static void test_custom_chain_stops_at_first_failure(void **state) {
  (void)state;
  f_install(&F);
  logbuf_t lb = {0};
  oms_risk_set_log(F.risk, log_cb, &lb);
  commits = 0;
  oms_risk_check_t chain[] = {
      {"first", pass_check, count_commit, NULL},
      *oms_risk_builtin("max_order_size"),
      {"custom_fail", fail_check, count_commit, "custom_fail"},
      {"never", pass_check, count_commit, NULL},
  };
  assert_int_equal(oms_risk_set_chain(F.risk, chain, 4), 0);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_RISK_MAX_ORDER_QTY);
  assert_string_equal(res.check, "custom_fail");
  assert_string_equal(res.reject.text, "custom_fail: no (BTC-USD)");
  assert_int_equal(lb.n, 3);
  assert_string_equal(lb.names[2], "custom_fail");
  assert_false(lb.passed[2]);
  assert_int_equal(lb.codes[2], OMS_R_RISK_MAX_ORDER_QTY);
  assert_int_equal(commits, 0); /* nothing commits on a refusal */
  /* An earlier failure hides the later ones. */
  lb.n = 0;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "101", "100");
  f_check(&F, &o, F_NOW, &res);
  assert_string_equal(res.check, "max_order_size");
  assert_int_equal(lb.n, 2);
  /* All pass: every commit runs once. */
  assert_int_equal(oms_risk_set_chain(F.risk, chain, 2), 0);
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_RISK_MAX_ORDER_QTY);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
  assert_int_equal(commits, 1);
  /* Bad chains are refused and the old one stays. */
  oms_risk_check_t bad = {NULL, pass_check, NULL, NULL};
  assert_int_equal(oms_risk_set_chain(F.risk, &bad, 1), OMS_EINVAL);
  assert_int_equal(oms_risk_set_chain(F.risk, chain, 0), OMS_EINVAL);
  assert_int_equal(oms_risk_set_chain(F.risk, NULL, 1), OMS_EINVAL);
  bad.name = "this name is much too long for a check";
  assert_int_equal(oms_risk_set_chain(F.risk, &bad, 1), OMS_EINVAL);
}

static void test_refusal_before_the_chain_is_logged(void **state) {
  (void)state;
  logbuf_t lb = {0};
  oms_risk_set_log(F.risk, log_cb, &lb);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  f_check(&F, &o, F_NOW, &res);
  assert_int_equal(lb.n, 1);
  assert_string_equal(lb.names[0], "risk");
  assert_int_equal(lb.codes[0], OMS_R_RISK_NO_LIMITS);
}

/* ---- aggregates ---- */

static void aggr(oms_risk_aggr_t *g) { oms_risk_aggregates(F.risk, "ACC1", "s1", "BTC-USD", g); }

static void test_aggregates_follow_the_order_life(void **state) {
  (void)state;
  f_install(&F);
  oms_risk_aggr_t g;
  oms_order_t o, before;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "10", "100");
  assert_int_equal(oms_risk_order_opened(F.risk, &o), 0);
  assert_int_equal(oms_risk_order_opened(F.risk, &o), 0); /* again: no change */
  aggr(&g);
  assert_int_equal(g.account_open_orders, 1);
  assert_int_equal(g.strategy_open_orders, 1);
  assert_int_equal(g.open_buy_qty.raw, T_D("10").raw);
  assert_int_equal(g.open_sell_qty.raw, 0);
  assert_int_equal(g.account_open_notional.raw, T_D("1000").raw);
  assert_int_equal(g.account_open_margin.raw, T_D("100").raw);
  assert_true(g.has_resting_buy);
  assert_int_equal(g.best_buy_px.raw, T_D("100").raw);
  /* Through the state machine: submit, accept, partial fill of 4. */
  oms_ord_change_t ch = {.event = OMS_EV_SUBMIT, .ts_ns = F_NOW};
  before = o;
  assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  ch.event = OMS_EV_ACCEPT;
  assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  ch.event = OMS_EV_FILL;
  ch.fill_qty = T_D("4");
  ch.fill_px = T_D("100");
  assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  assert_int_equal(oms_risk_order_changed(F.risk, &before, &o), 0);
  assert_int_equal(oms_risk_order_changed(F.risk, &before, &o), 0); /* idempotent */
  aggr(&g);
  assert_int_equal(g.open_buy_qty.raw, T_D("6").raw);
  assert_int_equal(g.account_open_notional.raw, T_D("600").raw);
  assert_int_equal(g.account_open_orders, 1);
  /* Replace requested to 20 @ 101: the larger of both is reserved. */
  before = o;
  ch = (oms_ord_change_t){.event = OMS_EV_REPLACE_REQUEST,
                          .ts_ns = F_NOW,
                          .new_qty = T_D("20"),
                          .new_price = T_D("101")};
  assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  oms_risk_order_changed(F.risk, &before, &o);
  aggr(&g);
  assert_int_equal(g.open_buy_qty.raw, T_D("16").raw);
  assert_int_equal(g.account_open_notional.raw, T_D("1616").raw);
  assert_int_equal(g.best_buy_px.raw, T_D("100").raw); /* still resting at 100 */
  ch.event = OMS_EV_REPLACE_CONFIRM;
  assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  oms_risk_order_changed(F.risk, NULL, &o);
  aggr(&g);
  assert_int_equal(g.open_buy_qty.raw, T_D("16").raw);
  assert_int_equal(g.best_buy_px.raw, T_D("101").raw);
  /* Cancelled: everything released. */
  ch.event = OMS_EV_CANCEL_CONFIRM;
  assert_int_equal(oms_order_apply(&o, &ch, NULL), 0);
  oms_risk_order_changed(F.risk, NULL, &o);
  oms_risk_order_changed(F.risk, NULL, &o); /* a second terminal call is harmless */
  aggr(&g);
  assert_int_equal(g.account_open_orders, 0);
  assert_int_equal(g.strategy_open_orders, 0);
  assert_int_equal(g.open_buy_qty.raw, 0);
  assert_int_equal(g.account_open_notional.raw, 0);
  assert_int_equal(g.account_open_margin.raw, 0);
  assert_false(g.has_resting_buy);
}

/* Account+symbol records are found by account number and symbol as by the
 * joined name: each pair keeps its own aggregates, whatever the order in
 * which pairs appear and however alike their names are. */
static void test_each_account_and_symbol_pair_has_its_own_record(void **state) {
  (void)state;
  f_install(&F);
  static const char *const acc[] = {"ACC1", "ACC2", "ACC12", "A"};
  static const char *const sym[] = {"BTC-USD", "ETH-USD", "BTC-US", "XRP-USD"};
  oms_order_t o;
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
        strcpy(o.account_id, acc[(i + round) % 4]);
        strcpy(o.symbol, sym[(j + 3 * round) % 4]);
        o.qty = o.leaves_qty =
            oms_dec_from_raw(((i + round) % 4 * 4 + (j + 3 * round) % 4 + 1) * OMS_DEC_SCALE);
        assert_int_equal(oms_risk_order_opened(F.risk, &o), 0);
      }
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      oms_risk_aggr_t g;
      oms_risk_aggregates(F.risk, acc[i], NULL, sym[j], &g);
      assert_int_equal(g.open_buy_qty.raw, 2 * (i * 4 + j + 1) * OMS_DEC_SCALE);
    }
}

/* The names' cache keys on the first 8 bytes of the account and strategy
 * and 16 of the symbol: names that share those bytes (and names that end
 * exactly there) still get records of their own, and the bytes after a
 * name's NUL play no part. Checked and opened twice, in two orders of
 * names, so that each kind of name meets the cache's entries of others. */
static void test_names_sharing_their_leading_bytes_have_their_own_records(void **state) {
  (void)state;
  f_install(&F);
  static const char *const acc[] = {"ACCOUNT-A", "ACCOUNT-B", "ACCOUNT", "ACC7"};
  static const char *const strat[] = {"strategy-one", "strategy-two", "s1"};
  static const char *const sym[] = {"LONGSYMBOL-0123456-A", "LONGSYMBOL-0123456-B",
                                    "LONGSYMBOL-01234", "LONGSYMBOL-0123", "BTC-USD"};
  enum { NA = 4, NS = 3, NY = 5 };
  oms_order_t o;
  for (int round = 0; round < 2; round++)
    for (int n = 0; n < NA * NS * NY; n++) {
      int i = round ? NA - 1 - n % NA : n % NA, k = n / NA % NS, j = n / (NA * NS);
      f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
      /* junk after each NUL, different each time */
      memset(o.account_id, 'a' + round + n % 3, sizeof o.account_id);
      memset(o.strategy_id, 'k' + round + n % 5, sizeof o.strategy_id);
      memset(o.symbol, 'x' + round, sizeof o.symbol);
      memcpy(o.account_id, acc[i], strlen(acc[i]) + 1);
      memcpy(o.strategy_id, strat[k], strlen(strat[k]) + 1);
      memcpy(o.symbol, sym[j], strlen(sym[j]) + 1);
      o.qty = o.leaves_qty = oms_dec_from_raw((i * NY + j + 1) * OMS_DEC_SCALE);
      oms_risk_result_t r;
      if (round == 0) (void)oms_risk_check_new(F.risk, &o, F_NOW, &r); /* resolves the names */
      assert_int_equal(oms_risk_order_opened(F.risk, &o), 0);
    }
  for (int i = 0; i < NA; i++)
    for (int j = 0; j < NY; j++) {
      oms_risk_aggr_t g;
      oms_risk_aggregates(F.risk, acc[i], strat[0], sym[j], &g);
      assert_int_equal(g.open_buy_qty.raw, 2 * NS * (i * NY + j + 1) * OMS_DEC_SCALE);
      assert_int_equal(g.account_open_orders, 2 * NS * NY);
      assert_int_equal(g.strategy_open_orders, 2 * NA * NY);
    }
}

static void test_modify_is_checked_as_the_order_it_would_become(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t a, b;
  f_open(&F, &a, OMS_SIDE_BUY, "100", "100");
  f_open(&F, &b, OMS_SIDE_BUY, "90", "100");
  /* Growing b to 100 keeps the worst case at 200: allowed. */
  oms_order_t next = b;
  next.qty = next.leaves_qty = T_D("100");
  assert_true(oms_risk_check_modify(F.risk, &b, &next, F_NOW, &res));
  next.qty = next.leaves_qty = T_D("100.001");
  assert_false(oms_risk_check_modify(F.risk, &b, &next, F_NOW, &res));
  assert_string_equal(res.check, "max_order_size");
  /* A modify is not a duplicate of its own order. */
  next.qty = next.leaves_qty = T_D("90");
  assert_true(oms_risk_check_modify(F.risk, &b, &next, F_NOW, &res));
  assert_true(oms_risk_check_modify(F.risk, &b, &next, F_NOW, &res));
}

static void test_market_and_stop_orders_are_valued(void **state) {
  (void)state;
  f_install(&F);
  oms_risk_aggr_t g;
  oms_order_t m, s, sl;
  f_order(&F, &m, OMS_SIDE_SELL, OMS_ORD_MARKET, "2", NULL);
  oms_risk_order_opened(F.risk, &m);
  f_order(&F, &s, OMS_SIDE_SELL, OMS_ORD_STOP, "1", NULL);
  s.stop_price = T_D("90");
  oms_risk_order_opened(F.risk, &s);
  f_order(&F, &sl, OMS_SIDE_SELL, OMS_ORD_STOP_LIMIT, "1", "89");
  sl.stop_price = T_D("90");
  oms_risk_order_opened(F.risk, &sl);
  aggr(&g);
  assert_int_equal(g.account_open_notional.raw, T_D("379").raw); /* 200 + 90 + 89 */
  assert_false(g.has_resting_sell);                              /* stops are not in the book */
  /* The reference price moves; the market order keeps its value. */
  oms_risk_set_reference_price(F.risk, "BTC-USD", T_D("50"), F_NOW);
  sl.state = OMS_STATE_TRIGGERED;
  oms_risk_order_changed(F.risk, NULL, &sl);
  oms_risk_order_changed(F.risk, NULL, &m);
  aggr(&g);
  assert_int_equal(g.account_open_notional.raw, T_D("379").raw);
  assert_true(g.has_resting_sell);
  assert_int_equal(g.best_sell_px.raw, T_D("89").raw);
}

static void test_many_orders_open_and_close_in_any_order(void **state) {
  (void)state;
  f_install(&F);
  static oms_order_t o[200];
  const char *px[] = {"99", "99.5", "98", "100", "97.5"};
  for (int i = 0; i < 200; i++) {
    f_order(&F, &o[i], i % 2 ? OMS_SIDE_SELL : OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", px[i % 5]);
    assert_int_equal(oms_risk_order_opened(F.risk, &o[i]), 0);
  }
  oms_risk_aggr_t g;
  aggr(&g);
  assert_int_equal(g.account_open_orders, 200);
  assert_int_equal(g.best_buy_px.raw, T_D("100").raw);
  assert_int_equal(g.best_sell_px.raw, T_D("97.5").raw);
  /* Table full. */
  oms_order_t extra;
  f_order(&F, &extra, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "1");
  for (int i = 200; i < 256; i++) {
    extra.order_id = 10000 + (uint64_t)i;
    assert_int_equal(oms_risk_order_opened(F.risk, &extra), 0);
  }
  extra.order_id = 99999;
  assert_int_equal(oms_risk_order_opened(F.risk, &extra), OMS_EFULL);
  for (int i = 200; i < 256; i++) {
    extra.order_id = 10000 + (uint64_t)i;
    extra.state = OMS_STATE_REJECTED;
    assert_int_equal(oms_risk_order_changed(F.risk, NULL, &extra), 0);
  }
  /* Close in a scrambled order; each removal keeps the others findable. */
  for (int k = 0; k < 200; k++) {
    int i = (k * 37) % 200;
    oms_order_t done = o[i];
    done.state = OMS_STATE_CANCELLED;
    assert_int_equal(oms_risk_order_changed(F.risk, &o[i], &done), 0);
  }
  aggr(&g);
  assert_int_equal(g.account_open_orders, 0);
  assert_int_equal(g.open_buy_qty.raw, 0);
  assert_int_equal(g.open_sell_qty.raw, 0);
  assert_int_equal(g.account_open_notional.raw, 0);
  assert_false(g.has_resting_buy);
  assert_false(g.has_resting_sell);
  /* An unknown terminal order is ignored. */
  extra.order_id = 424242;
  extra.state = OMS_STATE_FILLED;
  assert_int_equal(oms_risk_order_changed(F.risk, NULL, &extra), 0);
}

/* ---- states ---- */

static void test_states_and_callback(void **state) {
  (void)state;
  assert_int_equal(oms_risk_get_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1"), OMS_TRADING_ACTIVE);
  assert_int_equal(oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1", OMS_TRADING_HALTED,
                                      "operator", F_NOW),
                   0);
  assert_int_equal(F.states, 1);
  assert_int_equal(F.last_from, OMS_TRADING_ACTIVE);
  assert_int_equal(F.last_to, OMS_TRADING_HALTED);
  assert_string_equal(F.last_reason, "operator");
  /* Same state again: no callback. */
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1", OMS_TRADING_HALTED, "x", F_NOW);
  assert_int_equal(F.states, 1);
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_GLOBAL, NULL, OMS_TRADING_REDUCE_ONLY, NULL, F_NOW);
  assert_int_equal(F.last_scope, OMS_RISK_SCOPE_GLOBAL);
  assert_string_equal(F.last_id, "");
  assert_int_equal(oms_risk_get_state(F.risk, OMS_RISK_SCOPE_GLOBAL, NULL),
                   OMS_TRADING_REDUCE_ONLY);
  assert_int_equal(
      oms_risk_set_state(F.risk, OMS_RISK_SCOPE_SYMBOL, "X", OMS_TRADING_HALTED, NULL, F_NOW),
      OMS_EINVAL);
  assert_int_equal(
      oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, NULL, OMS_TRADING_HALTED, NULL, F_NOW),
      OMS_EINVAL);
  assert_int_equal(
      oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "A", (oms_trading_state_t)3, NULL, F_NOW),
      OMS_EINVAL);
  assert_int_equal(oms_risk_get_state(F.risk, OMS_RISK_SCOPE_STRATEGY, "none"), OMS_TRADING_ACTIVE);
  assert_int_equal(oms_risk_get_state(F.risk, OMS_RISK_SCOPE_SYMBOL, "x"), OMS_TRADING_ACTIVE);
  assert_string_equal(oms_trading_state_str(OMS_TRADING_REDUCE_ONLY), "REDUCE_ONLY");
  assert_string_equal(oms_trading_state_str((oms_trading_state_t)9), "UNKNOWN");
  assert_string_equal(oms_risk_scope_str(OMS_RISK_SCOPE_SYMBOL), "symbol");
  assert_string_equal(oms_risk_scope_str((oms_risk_scope_t)9), "UNKNOWN");
}

static void test_evaluate_account_switches_on_breach(void **state) {
  (void)state;
  assert_false(oms_risk_evaluate_account(F.risk, "ACC1", F_NOW)); /* no limits yet */
  f_install(&F);
  oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("100"), T_D("100"),
                           OMS_DEC_ZERO, F_NOW);
  assert_false(oms_risk_evaluate_account(F.risk, "ACC1", F_NOW));
  oms_portfolio_set_mark(F.pf, "BTC-USD", T_D("89"), F_NOW);
  assert_true(oms_risk_evaluate_account(F.risk, "ACC1", F_NOW));
  assert_int_equal(F.states, 1);
  assert_int_equal(F.last_to, OMS_TRADING_REDUCE_ONLY);
  assert_true(oms_risk_evaluate_account(F.risk, "ACC1", F_NOW));
  assert_int_equal(F.states, 1); /* already there */
  assert_false(oms_risk_evaluate_account(F.risk, "NOBODY", F_NOW));
  assert_false(oms_risk_evaluate_account(F.risk, NULL, F_NOW));
}

/* ---- limits installation ---- */

static void test_bad_limits_are_refused_and_old_ones_stay(void **state) {
  (void)state;
  f_install(&F);
  oms_risk_limits_t *l = f_limits();
  oms_reject_t err;
  oms_risk_limit_t v = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("1")};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_SYMBOL, "NOPE-USD", &v, &err), 0);
  assert_int_equal(oms_risk_set_limits(F.risk, l, &err), OMS_ECONFIG);
  assert_string_equal(err.text, "limits: unknown symbol NOPE-USD");
  oms_risk_limits_destroy(l);
  /* Old limits still in force: a plain order passes. */
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);

  l = f_limits();
  oms_risk_window_t w = {0x7f, 0, 1440};
  assert_int_equal(oms_risk_limits_hours(l, "NOPE-USD", false, "UTC", &w, 1, &err), 0);
  assert_int_equal(oms_risk_set_limits(F.risk, l, &err), OMS_ECONFIG);
  assert_string_equal(err.text, "limits: trading hours for unknown symbol NOPE-USD");
  oms_risk_limits_destroy(l);

  l = f_limits();
  v = (oms_risk_limit_t){.set = OMS_RL_ORDER_RATE_STRATEGY, .order_rate_strategy = 65};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_STRATEGY, "s9", &v, &err), 0);
  assert_int_equal(oms_risk_set_limits(F.risk, l, &err), OMS_ECONFIG);
  assert_string_equal(err.text, "limits s9: rate 65 above the throttle ring of 64 (rate_ring)");
  oms_risk_limits_destroy(l);
  assert_int_equal(oms_risk_set_limits(F.risk, NULL, &err), OMS_EINVAL);

  /* A good set replaces the old at once. */
  l = f_limits();
  v = (oms_risk_limit_t){.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("0.5")};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v, &err), 0);
  assert_int_equal(oms_risk_set_limits(F.risk, l, &err), 0);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "3", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_RISK_MAX_ORDER_QTY);
}

static void test_engine_config_and_capacity(void **state) {
  (void)state;
  oms_risk_t *r = (oms_risk_t *)&r;
  oms_risk_config_t bad = {0, 1, 1, 1, 1, 0, 0};
  assert_int_equal(oms_risk_create(&bad, &r), OMS_EINVAL);
  assert_null(r);
  assert_int_equal(oms_risk_create(NULL, &r), OMS_EINVAL);
  oms_risk_destroy(NULL);
  oms_risk_config_t tiny = {1, 1, 1, 1, 1, 0, 0};
  assert_int_equal(oms_risk_create(&tiny, &r), 0);
  assert_int_equal(oms_risk_set_reference_price(r, "A", T_D("1"), 0), 0);
  assert_int_equal(oms_risk_set_reference_price(r, "B", T_D("1"), 0), OMS_EFULL);
  assert_int_equal(oms_risk_set_reference_price(r, "A", T_D("0"), 0), OMS_EINVAL);
  assert_int_equal(oms_risk_set_reference_price(r, NULL, T_D("1"), 0), OMS_EINVAL);
  oms_risk_limits_t *l = f_limits();
  oms_reject_t err;
  assert_int_equal(oms_risk_set_limits(r, l, &err), 0); /* no portfolio: symbols not checked */
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_true(oms_risk_check_cancel(r, &o, F_NOW, &res));
  assert_int_equal(oms_risk_order_opened(r, &o), 0);
  oms_order_t o2 = o;
  o2.order_id = 77;
  assert_int_equal(oms_risk_order_opened(r, &o2), OMS_EFULL);
  strcpy(o2.account_id, "OTHER");
  assert_false(oms_risk_check_new(r, &o2, F_NOW, &res));
  assert_int_equal(res.reject.code, OMS_R_CAPACITY);
  assert_string_equal(res.check, "risk");
  assert_int_equal(oms_risk_order_opened(r, &o2), OMS_EFULL);
  assert_int_equal(
      oms_risk_set_state(r, OMS_RISK_SCOPE_ACCOUNT, "OTHER", OMS_TRADING_HALTED, NULL, 0),
      OMS_EFULL);
  /* No portfolio: leverage cannot see equity and refuses. */
  assert_false(oms_risk_check_new(r, &o, F_NOW, &res));
  oms_risk_destroy(r);
}

static void test_cancel_without_limits_passes(void **state) {
  (void)state;
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_true(oms_risk_check_cancel(F.risk, &o, F_NOW, &res));
  assert_string_equal(res.check, "order_rate");
}

typedef struct states_s {
  int n;
  oms_risk_scope_t scope[8];
  char id[8][32];
  oms_trading_state_t st[8];
} states_t;

static int state_walk(void *ctx, oms_risk_scope_t scope, const char *id, oms_trading_state_t st) {
  states_t *w = ctx;
  w->scope[w->n] = scope;
  snprintf(w->id[w->n], sizeof w->id[0], "%s", id);
  w->st[w->n++] = st;
  return w->n == 2 && scope == OMS_RISK_SCOPE_ACCOUNT && st == OMS_TRADING_ACTIVE ? 3 : 0;
}

static void test_the_state_walk_lists_every_known_scope(void **state) {
  (void)state;
  assert_null(oms_risk_current_limits(NULL));
  assert_null(oms_risk_current_limits(F.risk));
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1", OMS_TRADING_HALTED, "x", F_NOW);
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_STRATEGY, "s1", OMS_TRADING_REDUCE_ONLY, "y", F_NOW);
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC2", OMS_TRADING_ACTIVE, "z", F_NOW);
  states_t w = {0};
  assert_int_equal(oms_risk_each_state(F.risk, state_walk, &w), 0);
  assert_int_equal(w.n, 4);
  assert_int_equal(w.scope[0], OMS_RISK_SCOPE_GLOBAL);
  assert_string_equal(w.id[0], "");
  assert_int_equal(w.st[0], OMS_TRADING_ACTIVE);
  assert_int_equal(w.scope[1], OMS_RISK_SCOPE_ACCOUNT);
  assert_string_equal(w.id[1], "ACC1");
  assert_int_equal(w.st[1], OMS_TRADING_HALTED);
  assert_string_equal(w.id[2], "ACC2");
  assert_int_equal(w.scope[3], OMS_RISK_SCOPE_STRATEGY);
  assert_string_equal(w.id[3], "s1");
  assert_int_equal(w.st[3], OMS_TRADING_REDUCE_ONLY);
  /* The callback stops the walk. */
  oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1", OMS_TRADING_ACTIVE, "x", F_NOW);
  memset(&w, 0, sizeof w);
  assert_int_equal(oms_risk_each_state(F.risk, state_walk, &w), 3);
  assert_int_equal(w.n, 2);
}

/* A portfolio service without account_position (the table's optional
 * entry) is read by account and position, with the same decisions; a new
 * portfolio forgets the hints the records kept for the old one. */
static void test_portfolio_without_the_combined_read(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "100000", "100");
  oms_reason_t with = f_check(&F, &o, F_NOW, &res);
  char text[OMS_REASON_MAX + 1];
  snprintf(text, sizeof text, "%s", res.reject.text);
  assert_int_not_equal(with, OMS_R_NONE);
  oms_portfolio_if_t pif = oms_portfolio_as_if(F.pf);
  pif.account_position = NULL;
  oms_risk_set_portfolio(F.risk, &pif);
  o.order_id = F.next_id++;
  assert_int_equal(f_check(&F, &o, F_NOW, &res), with);
  assert_string_equal(res.reject.text, text);
  /* another portfolio, where ACC1 has no cash: the hint is not reused */
  oms_portfolio_t *other;
  oms_portfolio_config_t pc = {16, 16, 64, 0};
  assert_int_equal(oms_portfolio_create(&pc, &other), 0);
  oms_portfolio_set_instrument(other, "BTC-USD", T_D("1"), T_D("0.1"));
  pif = oms_portfolio_as_if(other);
  oms_risk_set_portfolio(F.risk, &pif);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_RISK_LEVERAGE);
  assert_non_null(strstr(res.reject.text, "equity 0 of account ACC1 is not positive"));
  pif = oms_portfolio_as_if(F.pf);
  oms_risk_set_portfolio(F.risk, &pif);
  oms_portfolio_destroy(other);
}

/* Opening an order reads the instrument's multiplier and margin rate
 * through the account+symbol record's hint, or without the table's optional
 * instrument_hint by name: the same reservation either way. */
static void test_open_reads_the_instrument_with_or_without_the_hint(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  assert_int_equal(oms_risk_order_opened(F.risk, &o), 0);
  oms_risk_aggr_t one, two;
  oms_risk_aggregates(F.risk, o.account_id, o.strategy_id, o.symbol, &one);
  assert_int_equal(one.account_open_notional.raw, T_D("200").raw);
  assert_int_equal(one.account_open_margin.raw, T_D("20").raw); /* BTC-USD's rate 0.1 */
  oms_portfolio_if_t pif = oms_portfolio_as_if(F.pf);
  pif.instrument_hint = NULL;
  oms_risk_set_portfolio(F.risk, &pif);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  assert_int_equal(oms_risk_order_opened(F.risk, &o), 0);
  oms_risk_aggregates(F.risk, o.account_id, o.strategy_id, o.symbol, &two);
  assert_int_equal(two.account_open_notional.raw, T_D("400").raw);
  assert_int_equal(two.account_open_margin.raw, T_D("40").raw);
  pif = oms_portfolio_as_if(F.pf);
  oms_risk_set_portfolio(F.risk, &pif);
}

/* oms_risk_check_open is oms_risk_check_new then oms_risk_order_opened:
 * the same decisions and texts, the same reservations (a limit order, a
 * market order valued at the reference price), nothing opened for a
 * refusal, an order already open changed rather than counted twice, and
 * OMS_EFULL when the pool is full. */
static void test_check_open_is_check_then_open(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t a, b;
  oms_risk_aggr_t g0, g1, g2;
  f_order(&F, &a, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  assert_int_equal(oms_risk_check_open(F.risk, &a, F_NOW, &res), 0);
  assert_true(res.passed);
  aggr(&g1);
  assert_int_equal(g1.account_open_orders, 1);
  assert_int_equal(g1.account_open_notional.raw, T_D("200").raw);
  assert_int_equal(g1.account_open_margin.raw, T_D("20").raw);
  assert_int_equal(g1.open_buy_qty.raw, T_D("2").raw);
  assert_true(g1.has_resting_buy);
  assert_int_equal(g1.best_buy_px.raw, T_D("100").raw);
  /* the same again: an order already open is not counted twice */
  assert_int_equal(oms_risk_check_open(F.risk, &a, F_NOW + F_SEC, &res), 0);
  aggr(&g2);
  assert_memory_equal(&g1, &g2, sizeof g1);
  /* the two calls give what the one gave */
  f_order(&F, &b, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "99");
  assert_int_equal(f_check(&F, &b, F_NOW + 2 * F_SEC, &res), OMS_R_NONE);
  assert_int_equal(oms_risk_order_opened(F.risk, &b), 0);
  f_order(&F, &b, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "99");
  assert_int_equal(oms_risk_check_open(F.risk, &b, F_NOW + 3 * F_SEC, &res), 0);
  aggr(&g2);
  assert_int_equal(g2.account_open_orders, 3);
  assert_int_equal(g2.account_open_notional.raw, T_D("596").raw);
  assert_int_equal(g2.account_open_margin.raw, T_D("59.6").raw);
  /* a market order is valued at the reference price 100 */
  f_order(&F, &b, OMS_SIDE_BUY, OMS_ORD_MARKET, "1", NULL);
  assert_int_equal(oms_risk_check_open(F.risk, &b, F_NOW + 4 * F_SEC, &res), 0);
  aggr(&g0);
  assert_int_equal(g0.account_open_notional.raw, T_D("696").raw);
  assert_int_equal(g0.account_open_margin.raw, T_D("69.6").raw);
  assert_int_equal(g0.open_buy_qty.raw, T_D("7").raw);
  /* a refusal opens nothing and says what the check alone says */
  f_order(&F, &b, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1000", "100");
  assert_int_equal(oms_risk_check_open(F.risk, &b, F_NOW + 5 * F_SEC, &res), OMS_EREJECTED);
  assert_false(res.passed);
  assert_int_equal(res.reject.code, OMS_R_RISK_MAX_ORDER_QTY);
  char text[OMS_REASON_MAX + 1];
  snprintf(text, sizeof text, "%s", res.reject.text);
  assert_int_equal(f_check(&F, &b, F_NOW + 5 * F_SEC, &res), OMS_R_RISK_MAX_ORDER_QTY);
  assert_string_equal(res.reject.text, text);
  aggr(&g1);
  assert_memory_equal(&g0, &g1, sizeof g0);
  /* a pool of one: the second order passes but finds no room */
  oms_risk_t *r;
  oms_risk_config_t rc = {16, 16, 16, 64, 1, 64, 0};
  assert_int_equal(oms_risk_create(&rc, &r), 0);
  oms_portfolio_if_t pif = oms_portfolio_as_if(F.pf);
  oms_risk_set_portfolio(r, &pif);
  oms_risk_set_reference_price(r, "BTC-USD", T_D("100"), F_NOW);
  oms_reject_t err;
  assert_int_equal(oms_risk_set_limits(r, f_limits(), &err), 0);
  f_order(&F, &a, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(oms_risk_check_open(r, &a, F_NOW, &res), 0);
  f_order(&F, &b, OMS_SIDE_SELL, OMS_ORD_LIMIT, "1", "101");
  assert_int_equal(oms_risk_check_open(r, &b, F_NOW, &res), OMS_EFULL);
  assert_true(res.passed);
  assert_int_equal(oms_risk_check_open(r, &a, F_NOW + F_SEC, &res), 0); /* open: a change */
  oms_risk_destroy(r);
}

/* Checks one order of F's account ACC1 in BTC-USD by strategy, quantity
 * (each different: the duplicate guard) at F_NOW. */
static oms_reason_t check_qty(const char *strategy, const char *qty) {
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, qty, "100");
  strcpy(o.strategy_id, strategy);
  return f_check(&F, &o, F_NOW, &res);
}

/* Installs f_limits() with v at scope id (v NULL: none), and with BTC-USD
 * restricted if asked. */
static void install(oms_risk_scope_t scope, const char *id, const oms_risk_limit_t *v,
                    bool restrict_btc) {
  oms_risk_limits_t *l = f_limits();
  oms_reject_t err;
  if (v != NULL) assert_int_equal(oms_risk_limits_set(l, scope, id, v, &err), 0);
  if (restrict_btc) assert_int_equal(oms_risk_limits_symbol_list(l, "BTC-USD", false, &err), 0);
  assert_int_equal(oms_risk_set_limits(F.risk, l, &err), 0);
}

/* An order's limits are resolved once per (strategy, account+symbol) and
 * limit set, and the checks those limits alone pass are left out of its
 * run: a new limit set, a new chain or a trading state takes effect on the
 * very next order, and two strategies trading one account+symbol keep
 * their own limits. */
static void test_resolved_limits_follow_every_change(void **state) {
  (void)state;
  f_install(&F);
  assert_int_equal(check_qty("s1", "3"), OMS_R_NONE);
  oms_risk_limit_t v = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("2")};
  install(OMS_RISK_SCOPE_STRATEGY, "s2", &v, false);
  assert_int_equal(check_qty("s1", "4"), OMS_R_NONE);
  assert_int_equal(check_qty("s2", "3"), OMS_R_RISK_MAX_ORDER_QTY);
  assert_int_equal(check_qty("s1", "5"), OMS_R_NONE);
  assert_int_equal(check_qty("s2", "2"), OMS_R_NONE);
  assert_int_equal(check_qty("s2", "2.5"), OMS_R_RISK_MAX_ORDER_QTY);
  /* the symbol lists' check, left out while the symbol was allowed */
  install(OMS_RISK_SCOPE_GLOBAL, NULL, NULL, true);
  assert_int_equal(check_qty("s1", "6"), OMS_R_RISK_SYMBOL_RESTRICTED);
  assert_string_equal(res.check, "symbol_list");
  /* concentration and VaR, left out while no limit was set */
  v = (oms_risk_limit_t){.set = OMS_RL_MAX_CONCENTRATION, .max_concentration = T_D("1")};
  install(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v, false);
  assert_int_equal(check_qty("s1", "7"), OMS_R_RISK_CONCENTRATION);
  v = (oms_risk_limit_t){.set = OMS_RL_MAX_VAR, .max_var = T_D("1")};
  install(OMS_RISK_SCOPE_ACCOUNT, "ACC1", &v, false);
  assert_int_equal(check_qty("s1", "8"), OMS_R_RISK_VAR);
  install(OMS_RISK_SCOPE_GLOBAL, NULL, NULL, false);
  assert_int_equal(check_qty("s1", "9"), OMS_R_NONE);
  /* a new chain: the run lists named positions of the old one */
  oms_risk_check_t chain[] = {*oms_risk_builtin("symbol_list"),
                              {"custom_fail", fail_check, NULL, "custom_fail"}};
  assert_int_equal(oms_risk_set_chain(F.risk, chain, 2), 0);
  assert_int_equal(check_qty("s1", "10"), OMS_R_RISK_MAX_ORDER_QTY);
  assert_string_equal(res.check, "custom_fail");
  assert_int_equal(oms_risk_set_chain(F.risk, chain, 1), 0);
  assert_int_equal(check_qty("s1", "11"), OMS_R_NONE);
  assert_string_equal(res.check, "symbol_list");
  install(OMS_RISK_SCOPE_GLOBAL, NULL, NULL, true);
  assert_int_equal(check_qty("s1", "12"), OMS_R_RISK_SYMBOL_RESTRICTED);
  /* a trading state is read per order */
  install(OMS_RISK_SCOPE_GLOBAL, NULL, NULL, false);
  oms_risk_check_t all[] = {*oms_risk_builtin("kill_switch"), *oms_risk_builtin("max_order_size")};
  assert_int_equal(oms_risk_set_chain(F.risk, all, 2), 0);
  assert_int_equal(
      oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1", OMS_TRADING_HALTED, "test", F_NOW),
      0);
  assert_int_equal(check_qty("s1", "13"), OMS_R_RISK_HALTED);
  assert_int_equal(
      oms_risk_set_state(F.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC1", OMS_TRADING_ACTIVE, "", F_NOW), 0);
  assert_int_equal(check_qty("s1", "14"), OMS_R_NONE);
}

/* nstrat strategies s0.. with max_order_qty i + 1 each, asked rounds times
 * over under the risk config rc: each order is refused above its own
 * strategy's limit and passes below it (with a quantity new each round: not
 * the same order again), whatever the caches of resolved limits hold. */
static void strategies_keep_their_own_limits(oms_risk_config_t rc, uint32_t rate, int nstrat,
                                             int rounds) {
  oms_risk_t *r;
  assert_int_equal(oms_risk_create(&rc, &r), 0);
  oms_portfolio_if_t pif = oms_portfolio_as_if(F.pf);
  oms_risk_set_portfolio(r, &pif);
  oms_risk_set_reference_price(r, "BTC-USD", T_D("100"), F_NOW);
  oms_risk_limits_t *l = f_limits();
  oms_reject_t err;
  oms_risk_limit_t g = f_global_limits();
  g.order_rate_account = rate;
  g.order_rate_strategy = rate;
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err), 0);
  char id[16];
  for (int i = 0; i < nstrat; i++) {
    snprintf(id, sizeof id, "s%d", i);
    oms_risk_limit_t v = {.set = OMS_RL_MAX_ORDER_QTY};
    oms_dec_from_int(i + 1, &v.max_order_qty);
    assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_STRATEGY, id, &v, &err), 0);
  }
  assert_int_equal(oms_risk_set_limits(r, l, &err), 0);
  for (int round = 0; round < rounds; round++) {
    for (int i = 0; i < nstrat; i++) {
      oms_order_t o;
      char q[32]; /* two ints and a dot, whatever the compiler assumes of them */
      snprintf(q, sizeof q, "%d", i + 2);
      f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, q, "100");
      snprintf(o.strategy_id, sizeof o.strategy_id, "s%d", i);
      assert_false(oms_risk_check_new(r, &o, F_NOW, &res));
      assert_int_equal(res.reject.code, OMS_R_RISK_MAX_ORDER_QTY);
      snprintf(q, sizeof q, "%d.%d", i, 9 - round);
      f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, q, "100");
      snprintf(o.strategy_id, sizeof o.strategy_id, "s%d", i);
      assert_true(oms_risk_check_new(r, &o, F_NOW, &res));
    }
  }
  oms_risk_destroy(r);
}

/* More (strategy, account+symbol) pairs than the cache of resolved limits
 * holds (one pair record: 8 sets of 2). */
static void test_resolved_limits_of_many_pairs(void **state) {
  (void)state;
  strategies_keep_their_own_limits((oms_risk_config_t){16, 16, 16, 1, 256, 64, 0}, 64, 16, 2);
}

/* More distinct resolutions than the engine keeps (8 sets of 2: 16 here):
 * when they are full every pair and resolution starts again. */
static void test_more_resolutions_than_room_start_again(void **state) {
  (void)state;
  strategies_keep_their_own_limits((oms_risk_config_t){16, 32, 16, 1, 256, 256, 0}, 200, 24, 3);
}

/* An order's entry, once given back, may hold the next order: a late
 * change of the first (its terminal state again) finds nothing and leaves
 * the second's reservation as it was. */
static void test_a_given_back_entry_is_not_its_old_order(void **state) {
  (void)state;
  f_install(&F);
  oms_order_t a, b;
  oms_risk_aggr_t g1, g2;
  f_open(&F, &a, OMS_SIDE_BUY, "2", "100");
  oms_order_t done = a;
  done.state = OMS_STATE_CANCELLED;
  assert_int_equal(oms_risk_order_changed(F.risk, &a, &done), 0);
  f_open(&F, &b, OMS_SIDE_BUY, "3", "100");
  aggr(&g1);
  assert_int_equal(g1.account_open_orders, 1);
  assert_int_equal(g1.open_buy_qty.raw, T_D("3").raw);
  assert_int_equal(oms_risk_order_changed(F.risk, &a, &done), 0);
  aggr(&g2);
  assert_memory_equal(&g1, &g2, sizeof g1);
  oms_order_t bd = b;
  bd.state = OMS_STATE_CANCELLED;
  assert_int_equal(oms_risk_order_changed(F.risk, &b, &bd), 0);
  aggr(&g2);
  assert_int_equal(g2.account_open_orders, 0);
  assert_int_equal(g2.open_buy_qty.raw, 0);
}

/* The built-in checks run in one call when the chain holds only them; with
 * a check of the caller's among them they run one by one through the
 * table. Either way each order gets the same decision, check and text. */
static void test_builtins_alone_or_among_custom_checks_decide_alike(void **state) {
  (void)state;
  f_install(&F);
  const char *const names[] = {"kill_switch",     "symbol_list",    "trading_hours", "order_rate",
                               "duplicate_order", "max_order_size", "price_collar",  "max_position",
                               "max_open_orders", "credit_limit",   "daily_loss",    "leverage",
                               "margin",          "self_trade",     "concentration", "var_stress"};
  oms_risk_check_t chain[17];
  for (int i = 0; i < 16; i++) chain[i] = *oms_risk_builtin(names[i]);
  chain[16] = (oms_risk_check_t){"noop", pass_check, NULL, NULL};
  const char *qty[] = {"1000", "1", "150", "1"}, *px[] = {"100", "150", "100", "100"};
  for (int k = 0; k < 4; k++) {
    oms_order_t o;
    f_order(&F, &o, k == 3 ? OMS_SIDE_SELL : OMS_SIDE_BUY, OMS_ORD_LIMIT, qty[k], px[k]);
    if (k == 3) strcpy(o.symbol, "XRP-USD"); /* not on the whitelist */
    assert_int_equal(oms_risk_set_chain(F.risk, chain, 16), 0);
    oms_reason_t one = f_check(&F, &o, F_NOW, &res);
    assert_int_not_equal(one, OMS_R_NONE);
    char check[32], text[OMS_REASON_MAX + 1];
    snprintf(check, sizeof check, "%s", res.check);
    snprintf(text, sizeof text, "%s", res.reject.text);
    assert_int_equal(oms_risk_set_chain(F.risk, chain, 17), 0);
    assert_int_equal(f_check(&F, &o, F_NOW, &res), one);
    assert_string_equal(res.check, check);
    assert_string_equal(res.reject.text, text);
  }
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
  assert_string_equal(res.check, "noop");
  assert_int_equal(oms_risk_set_chain(F.risk, chain, 16), 0);
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100");
  assert_int_equal(f_check(&F, &o, F_NOW, &res), OMS_R_NONE);
  assert_string_equal(res.check, "var_stress");
  assert_string_equal(res.reject.text, "");
}

/* ---- the portfolio read kept per pair ---------------------------------- */

/* What the chain saw of the portfolio. */
typedef struct seen_s {
  oms_pf_account_t account;
  oms_pf_position_t position;
  bool account_known, symbol_known;
} seen_t;

static oms_reason_t see_check(void *ctx, const oms_risk_input_t *in, oms_risk_result_t *r) {
  (void)r;
  seen_t *s = ctx;
  s->account = in->account;
  s->position = in->position;
  s->account_known = in->account_known;
  s->symbol_known = in->symbol_known;
  return OMS_R_NONE;
}

static int pf_reads; /* calls of the counting account_position below */
static int counting_account_position(void *ctx, const char *account, const char *symbol,
                                     int64_t now_ns, uint64_t *hint, oms_pf_account_t *acct,
                                     oms_pf_position_t *pos) {
  pf_reads++;
  return oms_portfolio_account_position(ctx, account, symbol, now_ns, hint, acct, pos);
}

/* Checks an order of account in BTC-USD at now and asserts the chain saw
 * exactly what the portfolio gives at that time; returns the reads made. */
static int seen_equals_fresh(const char *account, int64_t now) {
  static seen_t seen;
  oms_risk_check_t chain[] = {{"see", see_check, NULL, &seen}};
  assert_int_equal(oms_risk_set_chain(F.risk, chain, 1), 0);
  oms_order_t o;
  f_order(&F, &o, OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", "100");
  snprintf(o.account_id, sizeof o.account_id, "%s", account);
  int before = pf_reads;
  memset(&seen, 0xa5, sizeof seen);
  assert_int_equal(f_check(&F, &o, now, &res), OMS_R_NONE);
  oms_pf_account_t a;
  oms_pf_position_t p;
  uint64_t hint = 0;
  int known = oms_portfolio_account_position(F.pf, account, "BTC-USD", now, &hint, &a, &p);
  assert_memory_equal(&seen.account, &a, sizeof a);
  assert_memory_equal(&seen.position, &p, sizeof p);
  assert_int_equal(seen.account_known, (known & OMS_PF_ACCOUNT_KNOWN) != 0);
  assert_int_equal(seen.symbol_known, (known & OMS_PF_SYMBOL_KNOWN) != 0);
  return pf_reads - before;
}

/* The account and position an order sees are kept per account+symbol
 * record and read again only when the portfolio's change counter moved
 * or the account's trading day ended: every kind of change reaches the
 * very next order (each step changes what the order must see, and the
 * order sees the portfolio's fresh figures), and orders with no change
 * between them ask the portfolio once. */
static void test_every_portfolio_change_reaches_the_next_order(void **state) {
  (void)state;
  f_install(&F);
  oms_portfolio_if_t pif = oms_portfolio_as_if(F.pf);
  pif.account_position = counting_account_position;
  oms_risk_set_portfolio(F.risk, &pif);
  oms_portfolio_set_cash(F.pf, "ACC2", T_D("5000"), F_NOW);
  int64_t t = F_NOW;
  pf_reads = 0;
  assert_int_equal(seen_equals_fresh("ACC1", t), 1);
  assert_int_equal(seen_equals_fresh("ACC1", t + F_SEC), 0); /* kept */
  oms_pf_account_t before;
  assert_int_equal(oms_portfolio_account(F.pf, "ACC1", t, &before), 0);
#define STEP(change)                                   \
  do {                                                 \
    change;                                            \
    assert_int_equal(seen_equals_fresh("ACC1", t), 1); \
    assert_int_equal(seen_equals_fresh("ACC1", t), 0); \
  } while (0)
  STEP(oms_portfolio_restore_mark(F.pf, "BTC-USD", T_D("90"), t)); /* no holder yet */
  STEP(assert_int_equal(oms_portfolio_apply_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("2"),
                                                 T_D("100"), T_D("1"), t),
                        0));
  oms_pf_position_t pos;
  assert_int_equal(oms_portfolio_position(F.pf, "ACC1", "BTC-USD", &pos), 0);
  assert_int_equal(pos.qty.raw, T_D("2").raw);
  STEP(oms_portfolio_restore_mark(F.pf, "BTC-USD", T_D("110"), t));
  STEP(oms_portfolio_set_mark(F.pf, "BTC-USD", T_D("120"), t));
  STEP(oms_portfolio_set_cash(F.pf, "ACC1", T_D("90000"), t));
  STEP(oms_portfolio_set_instrument(F.pf, "BTC-USD", T_D("1"), T_D("0.3")));
  STEP(oms_portfolio_bust_fill(F.pf, "ACC1", "BTC-USD", OMS_SIDE_BUY, T_D("1"), T_D("100"),
                               T_D("0.5"), t));
  /* another account's fill in the symbol: ACC1's figures may stay, but
   * the counter moved, so they are read again */
  STEP(oms_portfolio_apply_fill(F.pf, "ACC2", "BTC-USD", OMS_SIDE_SELL, T_D("1"), T_D("100"),
                                T_D("0"), t));
  STEP(oms_portfolio_set_mark(F.pf, "BTC-USD", T_D("80"), t)); /* ACC1 loses 40 today */
  oms_pf_account_t now;
  assert_int_equal(oms_portfolio_account(F.pf, "ACC1", t, &now), 0);
  assert_int_not_equal(now.daily_pnl.raw, 0);
  assert_int_not_equal(now.cash.raw, before.cash.raw);
  /* the trading day ends: the next order sees the new day's base */
  int64_t day_end = now.day_start_ns + OMS_DAY_NS;
  assert_int_equal(seen_equals_fresh("ACC1", day_end - 1), 0);
  t = day_end;
  assert_int_equal(seen_equals_fresh("ACC1", t), 1);
  assert_int_equal(oms_portfolio_account(F.pf, "ACC1", t, &now), 0);
  assert_int_equal(now.daily_pnl.raw, 0);
  assert_int_equal(seen_equals_fresh("ACC1", t), 0);
  STEP(oms_portfolio_set_day_base(F.pf, "ACC1", t, T_D("-1000")));
  STEP(oms_portfolio_reset_days(F.pf, t, false));
  STEP(oms_portfolio_reset_days(F.pf, t, true));
  oms_portfolio_set_instrument(F.pf, "ETH-USD", T_D("1"), T_D("0.2"));
  oms_pf_book_t book = {T_D("3"), T_D("50"), T_D("7"), T_D("1")};
  STEP(assert_int_equal(oms_portfolio_restore_position(F.pf, "ACC1", "ETH-USD", &book, t), 0));
  /* an account the portfolio does not know is kept too, until it is made */
  assert_int_equal(seen_equals_fresh("ACC9", t), 1);
  assert_int_equal(seen_equals_fresh("ACC9", t + 3 * OMS_DAY_NS), 0);
  STEP(oms_portfolio_set_cash(F.pf, "ACC9", T_D("10"), t));
#undef STEP
  /* another portfolio table forgets what was kept */
  oms_risk_set_portfolio(F.risk, &pif);
  assert_int_equal(seen_equals_fresh("ACC1", t), 1);
  /* without the counter every order reads */
  pif.changes = NULL;
  oms_risk_set_portfolio(F.risk, &pif);
  assert_int_equal(seen_equals_fresh("ACC1", t), 1);
  assert_int_equal(seen_equals_fresh("ACC1", t), 1);
  pif = oms_portfolio_as_if(F.pf);
  oms_risk_set_portfolio(F.risk, &pif);
}

/* Two risk engines' answers to one order are the same: result, code, check
 * and text. */
static void same_answer(int rc1, const oms_risk_result_t *a, int rc2, const oms_risk_result_t *b) {
  assert_int_equal(rc1, rc2);
  assert_int_equal(a->passed, b->passed);
  assert_int_equal(a->reject.code, b->reject.code);
  assert_string_equal(a->check, b->check);
  assert_string_equal(a->reject.text, b->reject.text);
}

/* o, opened by both engines, joins the open orders; with 8 open the oldest
 * is cancelled in both first. */
static void keep_open(oms_risk_t *both[2], oms_order_t open[8], int *nopen, const oms_order_t *o) {
  if (*nopen == 8) {
    oms_order_t done = open[0];
    done.state = OMS_STATE_CANCELLED;
    for (int k = 0; k < 2; k++)
      assert_int_equal(oms_risk_order_changed(both[k], &open[0], &done), 0);
    memmove(open, open + 1, 7 * sizeof open[0]);
    (*nopen)--;
  }
  open[(*nopen)++] = *o;
}

/* Two risk engines on one portfolio, one keeping its reads (the
 * portfolio's change counter) and one reading for every order, take the
 * same decisions with the same texts and reservations through a long mix
 * of orders, cancels, fills, busts, marks, cash, day bases and trading
 * days, over more account+symbol pairs than the record caches have slots. */
static void test_kept_reads_decide_as_fresh_reads(void **state) {
  (void)state;
  f_install(&F);
  oms_risk_t *fresh;
  oms_risk_config_t rc = {16, 16, 16, 64, 256, 64, 0};
  assert_int_equal(oms_risk_create(&rc, &fresh), 0);
  oms_portfolio_if_t pif = oms_portfolio_as_if(F.pf);
  pif.changes = NULL;
  oms_risk_set_portfolio(fresh, &pif);
  oms_reject_t err;
  assert_int_equal(oms_risk_set_limits(fresh, f_limits(), &err), 0);
  oms_risk_set_reference_price(fresh, "BTC-USD", T_D("100"), F_NOW); /* as f_setup's */
  static const char *accts[] = {"ACC1", "ACC2", "ACC3", "ACC4", "ACC5"};
  static const char *syms[] = {"BTC-USD", "ETH-USD", "XRP-USD"};
  static const char *strats[] = {"s1", "s2", "s3"};
  oms_risk_t *both[2] = {F.risk, fresh};
  /* each engine's chain: what the order sees of the portfolio, then every
   * built-in check */
  static seen_t seen[2];
  const char *const *names = builtin_names;
  size_t nb = NBUILTIN;
  for (int k = 0; k < 2; k++) {
    oms_risk_check_t chain[1 + NBUILTIN];
    chain[0] = (oms_risk_check_t){"see", see_check, NULL, &seen[k]};
    for (size_t i = 0; i < nb; i++) chain[1 + i] = *oms_risk_builtin(names[i]);
    assert_int_equal(oms_risk_set_chain(both[k], chain, 1 + nb), 0);
  }
  for (int i = 0; i < 5; i++) oms_portfolio_set_cash(F.pf, accts[i], T_D("20000"), F_NOW);
  oms_order_t open[8];
  int nopen = 0, passed = 0, refused = 0;
  uint64_t x = 88172645463325252u;
  int64_t t = F_NOW;
  for (int step = 0; step < 4000; step++) {
    xorshift(&x);
    unsigned op = (unsigned)(x % 100), a = (unsigned)(x >> 8) % 5, sy = (unsigned)(x >> 16) % 3;
    oms_side_t side = (x >> 24) & 1 ? OMS_SIDE_SELL : OMS_SIDE_BUY;
    oms_dec_t qty = oms_dec_from_raw((int64_t)(1 + (x >> 28) % 6) * OMS_DEC_SCALE);
    oms_dec_t px = oms_dec_from_raw((int64_t)(90 + (x >> 36) % 21) * OMS_DEC_SCALE);
    t += 7 * F_MS;
    if (op < 55) {
      oms_order_t o;
      char q[24], p[24];
      oms_dec_format(qty, q, sizeof q);
      oms_dec_format(px, p, sizeof p);
      f_order(&F, &o, side, OMS_ORD_LIMIT, q, p);
      snprintf(o.account_id, sizeof o.account_id, "%s", accts[a]);
      snprintf(o.symbol, sizeof o.symbol, "%s", syms[sy]);
      snprintf(o.strategy_id, sizeof o.strategy_id, "%s", strats[(x >> 44) % 3]);
      oms_risk_result_t r2;
      memset(seen, 0, sizeof seen);
      int rc1 = oms_risk_check_open(F.risk, &o, t, &res);
      int rc2 = oms_risk_check_open(fresh, &o, t, &r2);
      assert_memory_equal(&seen[0], &seen[1], sizeof seen[0]);
      same_answer(rc1, &res, rc2, &r2);
      if (rc1 == 0) {
        passed++;
        keep_open(both, open, &nopen, &o);
      } else {
        refused++;
      }
    } else if (op < 70) {
      (void)oms_portfolio_apply_fill(F.pf, accts[a], syms[sy], side, qty, px, T_D("0.1"), t);
    } else if (op < 73) {
      (void)oms_portfolio_bust_fill(F.pf, accts[a], syms[sy], side, qty, px, T_D("0.1"), t);
    } else if (op < 83) {
      (void)oms_portfolio_set_mark(F.pf, syms[sy], px, t);
      for (int k = 0; k < 2; k++) oms_risk_set_reference_price(both[k], syms[sy], px, t);
    } else if (op < 86) {
      (void)oms_portfolio_restore_mark(F.pf, syms[sy], px, t);
    } else if (op < 90) {
      (void)oms_portfolio_set_cash(F.pf, accts[a], oms_dec_from_raw(px.raw * 200), t);
    } else if (op < 92) {
      (void)oms_portfolio_set_day_base(F.pf, accts[a], t, oms_dec_neg(px));
    } else if (op < 93) {
      oms_portfolio_reset_days(F.pf, t, (x >> 50) & 1);
    } else if (op < 95) {
      (void)oms_portfolio_set_instrument(F.pf, syms[sy], T_D("1"),
                                         oms_dec_from_raw((int64_t)(x >> 52) % 5 * 10000000));
    } else if (op < 97) {
      t += 3 * 3600 * F_SEC; /* now and then past a trading day's end */
    } else {
      t += F_SEC;
    }
  }
  /* the mix decided both ways, and left the same reservations */
  assert_true(passed > 100);
  assert_true(refused > 100);
  for (int i = 0; i < 5; i++)
    for (int k = 0; k < 3; k++) {
      oms_risk_aggr_t g1, g2;
      oms_risk_aggregates(F.risk, accts[i], "s1", syms[k], &g1);
      oms_risk_aggregates(fresh, accts[i], "s1", syms[k], &g2);
      assert_memory_equal(&g1, &g2, sizeof g1);
    }
  oms_risk_destroy(fresh);
}

static void null_log(void *ctx, const oms_risk_log_t *rec) {
  (void)ctx;
  (void)rec;
}

/* One walk of test_the_dry_pass_decides_as_the_chain: engine [0] runs its
 * built-ins through the dry pass, engine [1] has a log, so each check runs
 * for real, in the chain's order (reversed: the last built-in first). */
static void dry_walk(bool reversed) {
  fixture_t G;
  assert_int_equal(f_setup(&G), 0);
  oms_risk_t *logged;
  oms_risk_config_t rc = {16, 16, 16, 64, 256, 64, 0};
  assert_int_equal(oms_risk_create(&rc, &logged), 0);
  oms_portfolio_if_t pif = oms_portfolio_as_if(G.pf);
  oms_risk_set_portfolio(logged, &pif);
  oms_risk_set_log(logged, null_log, NULL);
  static const char *accts[] = {"ACC1", "ACC2", "ACC3", "ACC4"};
  static const char *syms[] = {"BTC-USD", "ETH-USD", "XRP-USD"};
  static const char *strats[] = {"s1", "s2", "s3"};
  oms_risk_t *both[2] = {G.risk, logged};
  /* tight limits per account and symbol, so that every check refuses now
   * and then */
  oms_reject_t err;
  oms_risk_limit_t v = {.set = OMS_RL_MAX_POSITION | OMS_RL_CREDIT_LIMIT | OMS_RL_DAILY_LOSS,
                        .max_position = T_D("12"),
                        .credit_limit = T_D("2500"),
                        .daily_loss = T_D("40"),
                        .daily_loss_action = OMS_TRADING_REDUCE_ONLY};
  assert_int_equal(oms_risk_limits_set(G.lim, OMS_RISK_SCOPE_ACCOUNT, "ACC2", &v, &err), 0);
  v = (oms_risk_limit_t){.set = OMS_RL_MAX_LEVERAGE | OMS_RL_MAX_MARGIN_USAGE,
                         .max_leverage = T_D("0.5"),
                         .max_margin_usage = T_D("0.02")};
  assert_int_equal(oms_risk_limits_set(G.lim, OMS_RISK_SCOPE_ACCOUNT, "ACC3", &v, &err), 0);
  v = (oms_risk_limit_t){.set = OMS_RL_MAX_ORDER_QTY | OMS_RL_MAX_OPEN_ORDERS_STRATEGY,
                         .max_order_qty = T_D("4"),
                         .max_open_orders_strategy = 3};
  assert_int_equal(oms_risk_limits_set(G.lim, OMS_RISK_SCOPE_STRATEGY, "s2", &v, &err), 0);
  v = (oms_risk_limit_t){.set = OMS_RL_COLLAR_PCT | OMS_RL_MAX_CONCENTRATION,
                         .collar_pct = T_D("0.02"),
                         .max_concentration = T_D("900")};
  assert_int_equal(oms_risk_limits_set(G.lim, OMS_RISK_SCOPE_SYMBOL, "ETH-USD", &v, &err), 0);
  assert_int_equal(oms_risk_limits_symbol_list(G.lim, "XRP-USD", false, &err), 0);
  oms_risk_limits_t *copy = NULL;
  assert_int_equal(oms_risk_limits_clone(G.lim, &copy), 0);
  assert_int_equal(oms_risk_set_limits(logged, copy, &err), 0);
  f_install(&G);
  const char *const *names = builtin_names;
  size_t nb = NBUILTIN;
  if (reversed) {
    oms_risk_check_t chain[NBUILTIN];
    for (size_t i = 0; i < nb; i++) chain[i] = *oms_risk_builtin(names[nb - 1 - i]);
    for (int k = 0; k < 2; k++) assert_int_equal(oms_risk_set_chain(both[k], chain, nb), 0);
  }
  for (int i = 0; i < 4; i++) oms_portfolio_set_cash(G.pf, accts[i], T_D("3000"), F_NOW);
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < 3; i++) oms_risk_set_reference_price(both[k], syms[i], T_D("100"), F_NOW);
  oms_order_t open[8];
  int nopen = 0, passed = 0, refused = 0;
  static bool seen[1024];
  memset(seen, 0, sizeof seen);
  uint64_t x = reversed ? 2463534242u : 88172645463325252u;
  int64_t t = F_NOW;
  for (int step = 0; step < 6000; step++) {
    xorshift(&x);
    unsigned op = (unsigned)(x % 100), a = (unsigned)(x >> 8) % 4, sy = (unsigned)(x >> 16) % 3;
    oms_side_t side = (x >> 24) & 1 ? OMS_SIDE_SELL : OMS_SIDE_BUY;
    oms_dec_t qty = oms_dec_from_raw((int64_t)(1 + (x >> 28) % 6) * OMS_DEC_SCALE);
    oms_dec_t px = oms_dec_from_raw((int64_t)(94 + (x >> 36) % 13) * OMS_DEC_SCALE);
    t += 3 * F_MS;
    if (op < 60) {
      static const oms_ord_type_t types[] = {OMS_ORD_LIMIT,  OMS_ORD_LIMIT, OMS_ORD_LIMIT,
                                             OMS_ORD_MARKET, OMS_ORD_STOP,  OMS_ORD_STOP_LIMIT};
      oms_ord_type_t type = types[(x >> 40) % 6];
      oms_order_t o;
      char q[24], p[24];
      oms_dec_format(qty, q, sizeof q);
      oms_dec_format(px, p, sizeof p);
      f_order(&G, &o, side, type, q, type == OMS_ORD_MARKET ? NULL : p);
      if (type == OMS_ORD_STOP) o.price = OMS_DEC_ZERO;
      if (type == OMS_ORD_STOP || type == OMS_ORD_STOP_LIMIT) o.stop_price = px;
      if ((x >> 46) % 8 == 0) o.instructions |= OMS_INST_REDUCE_ONLY;
      if ((x >> 49) % 16 == 0) o.venue[0] = 'X'; /* no trading hours there */
      snprintf(o.account_id, sizeof o.account_id, "%s", accts[a]);
      snprintf(o.symbol, sizeof o.symbol, "%s", syms[sy]);
      snprintf(o.strategy_id, sizeof o.strategy_id, "%s", strats[(x >> 44) % 3]);
      oms_risk_result_t r2;
      int rc1 = oms_risk_check_open(G.risk, &o, t, &res);
      int rc2 = oms_risk_check_open(logged, &o, t, &r2);
      same_answer(rc1, &res, rc2, &r2);
      for (int i = 0; i < 4; i++)
        assert_int_equal(oms_risk_get_state(G.risk, OMS_RISK_SCOPE_ACCOUNT, accts[i]),
                         oms_risk_get_state(logged, OMS_RISK_SCOPE_ACCOUNT, accts[i]));
      seen[res.reject.code] = true;
      if (rc1 == 0) {
        passed++;
        keep_open(both, open, &nopen, &o);
      } else {
        refused++;
      }
    } else if (op < 75) {
      (void)oms_portfolio_apply_fill(G.pf, accts[a], syms[sy], side, qty, px, T_D("0.1"), t);
    } else if (op < 85) {
      (void)oms_portfolio_set_mark(G.pf, syms[sy], px, t);
      for (int k = 0; k < 2; k++) oms_risk_set_reference_price(both[k], syms[sy], px, t);
    } else if (op < 88) {
      unsigned pick = (unsigned)(x >> 50) % 6; /* ACTIVE half the time */
      oms_trading_state_t st = pick < 3 ? OMS_TRADING_ACTIVE : (oms_trading_state_t)(pick - 3);
      oms_risk_scope_t sc = (x >> 52) & 1 ? OMS_RISK_SCOPE_ACCOUNT : OMS_RISK_SCOPE_STRATEGY;
      const char *id = sc == OMS_RISK_SCOPE_ACCOUNT ? accts[a] : strats[(x >> 44) % 3];
      for (int k = 0; k < 2; k++) (void)oms_risk_set_state(both[k], sc, id, st, "test", t);
    } else if (op < 92) {
      (void)oms_portfolio_set_cash(G.pf, accts[a], oms_dec_from_raw(px.raw * 30), t);
    } else if (op < 95) {
      (void)oms_portfolio_set_day_base(G.pf, accts[a], t, oms_dec_neg(px));
    } else if (op < 96) {
      t += 6 * F_SEC; /* the reference prices grow stale */
    } else {
      t += F_SEC;
    }
  }
  for (int i = 1; i < 1024; i++) assert_true(passed > 200);
  assert_true(refused > 200);
  /* the walk reached most of the refusals */
  int kinds = 0;
  for (int i = 1; i < 1024; i++) kinds += seen[i];
  assert_true(kinds >= 12);
  oms_risk_destroy(logged);
  f_teardown(&G);
}

/* The built-ins of an order are asked once "dry" (oms__builtins_pass),
 * and run for real only when one would refuse: every decision, refusal
 * text and trading state must be what the checks give run one by one in
 * the chain's order, whatever that order. */
static void test_the_dry_pass_decides_as_the_chain(void **state) {
  (void)state;
  dry_walk(false);
  dry_walk(true);
}

static void noop_commit(void *ctx, const oms_risk_input_t *in) {
  (void)ctx;
  (void)in;
}

/* The aggregates of every pair of the walk below are the same in both. */
static void same_aggregates(oms_risk_t *both[2], const char *const *accts, int na,
                            const char *const *strats, int ns, const char *const *syms, int nsy) {
  for (int a = 0; a < na; a++)
    for (int s = 0; s < ns; s++)
      for (int y = 0; y < nsy; y++) {
        oms_risk_aggr_t g1, g2;
        oms_risk_aggregates(both[0], accts[a], strats[s], syms[y], &g1);
        oms_risk_aggregates(both[1], accts[a], strats[s], syms[y], &g2);
        assert_memory_equal(&g1, &g2, sizeof g1);
      }
}

/* oms_risk_check_open reserves a passed order from the figures its checks
 * made, where oms_risk_check_new then oms_risk_order_opened reserve it
 * from the order alone (and run the commits through the chain's table,
 * the chain holding a check and commit of its own): the same decisions,
 * texts and reservations, and the same after fills and cancels, through
 * orders of every type, whole and cut quantities, leaves that are not the
 * open quantity, and instruments of margin rates 0, 1 and between, of
 * multipliers 1 and others. */
static void test_an_open_reserves_as_a_check_then_an_open(void **state) {
  (void)state;
  fixture_t G;
  assert_int_equal(f_setup(&G), 0);
  oms_risk_t *slow;
  oms_risk_config_t rc = {16, 16, 16, 64, 256, 64, 0};
  assert_int_equal(oms_risk_create(&rc, &slow), 0);
  oms_portfolio_if_t pif = oms_portfolio_as_if(G.pf);
  oms_risk_set_portfolio(slow, &pif);
  oms_risk_limits_t *copy = NULL;
  oms_reject_t err;
  assert_int_equal(oms_risk_limits_clone(G.lim, &copy), 0);
  assert_int_equal(oms_risk_set_limits(slow, copy, &err), 0);
  f_install(&G);
  const char *const *names = builtin_names;
  size_t nb = NBUILTIN;
  oms_risk_check_t chain[1 + NBUILTIN];
  chain[0] = (oms_risk_check_t){"noop", pass_check, noop_commit, NULL};
  for (size_t i = 0; i < nb; i++) chain[1 + i] = *oms_risk_builtin(names[i]);
  assert_int_equal(oms_risk_set_chain(slow, chain, 1 + nb), 0);
  static const char *const accts[] = {"ACC1", "ACC2"};
  static const char *const syms[] = {"BTC-USD", "ETH-USD", "XRP-USD"};
  static const char *const strats[] = {"s1", "s2", "s3"};
  static const char *const rates[] = {"0", "1", "0.1", "0.25", "0.3333"};
  static const char *const mults[] = {"1", "2", "0.5", "1"};
  const char *rate[] = {"0.1", "0.2", "0.5"}; /* as f_setup set them */
  oms_risk_t *both[2] = {G.risk, slow};
  for (int i = 0; i < 2; i++) oms_portfolio_set_cash(G.pf, accts[i], T_D("500000"), F_NOW);
  for (int k = 0; k < 2; k++)
    for (int i = 0; i < 3; i++) oms_risk_set_reference_price(both[k], syms[i], T_D("100"), F_NOW);
  oms_order_t open[8];
  int nopen = 0, passed = 0, refused = 0;
  uint64_t x = 1181783497276652981u;
  int64_t t = F_NOW;
  for (int step = 0; step < 3000; step++) {
    xorshift(&x);
    unsigned op = (unsigned)(x % 100), a = (unsigned)(x >> 8) % 2, sy = (unsigned)(x >> 16) % 3;
    oms_side_t side = (x >> 24) & 1 ? OMS_SIDE_SELL : OMS_SIDE_BUY;
    /* whole, or cut to a quarter */
    int64_t qraw = (int64_t)(1 + (x >> 28) % 6) * OMS_DEC_SCALE / ((x >> 31) % 3 == 0 ? 4 : 1);
    oms_dec_t px = oms_dec_from_raw((int64_t)(98 + (x >> 36) % 5) * OMS_DEC_SCALE);
    t += 120 * F_MS;
    if (op < 60) {
      static const oms_ord_type_t types[] = {OMS_ORD_LIMIT, OMS_ORD_LIMIT, OMS_ORD_MARKET,
                                             OMS_ORD_STOP, OMS_ORD_STOP_LIMIT};
      oms_ord_type_t type = types[(x >> 40) % 5];
      oms_order_t o;
      char q[24], p[24];
      oms_dec_format(oms_dec_from_raw(qraw), q, sizeof q);
      oms_dec_format(px, p, sizeof p);
      f_order(&G, &o, side, type, q, type == OMS_ORD_MARKET ? NULL : p);
      if (type == OMS_ORD_STOP) o.price = OMS_DEC_ZERO;
      if (type == OMS_ORD_STOP || type == OMS_ORD_STOP_LIMIT) o.stop_price = px;
      if ((x >> 44) % 8 == 0) /* leaves that are not the open quantity */
        o.leaves_qty = oms_dec_from_raw(o.leaves_qty.raw / 2);
      snprintf(o.account_id, sizeof o.account_id, "%s", accts[a]);
      snprintf(o.symbol, sizeof o.symbol, "%s", syms[sy]);
      snprintf(o.strategy_id, sizeof o.strategy_id, "%s", strats[(x >> 48) % 3]);
      oms_risk_result_t r2;
      oms_risk_aggr_t g0, g1;
      oms_risk_aggregates(G.risk, o.account_id, o.strategy_id, o.symbol, &g0);
      int rc1 = oms_risk_check_open(G.risk, &o, t, &res);
      int rc2 =
          oms_risk_check_new(slow, &o, t, &r2) ? oms_risk_order_opened(slow, &o) : OMS_EREJECTED;
      same_answer(rc1, &res, rc2, &r2);
      if (rc1 == 0) {
        /* its margin is its notional at the instrument's rate, as
         * oms_dec_mul makes it */
        oms_risk_aggregates(G.risk, o.account_id, o.strategy_id, o.symbol, &g1);
        oms_dec_t n = oms_dec_from_raw(g1.account_open_notional.raw - g0.account_open_notional.raw);
        oms_dec_t m;
        assert_int_equal(oms_dec_mul(n, T_D(rate[sy]), OMS_ROUND_HALF_EVEN, &m), 0);
        assert_int_equal(g1.account_open_margin.raw - g0.account_open_margin.raw, m.raw);
        passed++;
        keep_open(both, open, &nopen, &o);
      } else {
        refused++;
      }
    } else if (op < 75 && nopen > 0) { /* a fill of one of the open orders */
      oms_order_t *o = &open[(x >> 40) % (unsigned)nopen], after = *o;
      oms_dec_t fill = oms_dec_min(after.leaves_qty, oms_dec_from_raw(OMS_DEC_SCALE / 4));
      after.filled_qty = oms_dec_from_raw(after.filled_qty.raw + fill.raw);
      after.leaves_qty = oms_dec_from_raw(after.leaves_qty.raw - fill.raw);
      after.state = after.leaves_qty.raw == 0 ? OMS_STATE_FILLED : OMS_STATE_PARTIALLY_FILLED;
      for (int k = 0; k < 2; k++) assert_int_equal(oms_risk_order_changed(both[k], o, &after), 0);
      if (after.state == OMS_STATE_FILLED) {
        *o = open[--nopen];
      } else {
        *o = after;
      }
    } else if (op < 85) {
      rate[sy] = rates[(x >> 44) % 5];
      assert_int_equal(
          oms_portfolio_set_instrument(G.pf, syms[sy], T_D(mults[(x >> 40) % 4]), T_D(rate[sy])),
          0);
    } else if (op < 95) {
      for (int k = 0; k < 2; k++) oms_risk_set_reference_price(both[k], syms[sy], px, t);
    } else {
      t += F_SEC;
    }
    same_aggregates(both, accts, 2, strats, 3, syms, 3);
  }
  assert_true(passed > 300);
  assert_true(refused > 100);
  oms_risk_destroy(slow);
  f_teardown(&G);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(test_default_chain_runs_every_check_in_order_and_logs),
      T(test_portfolio_without_the_combined_read),
      T(test_open_reads_the_instrument_with_or_without_the_hint),
      T(test_custom_chain_stops_at_first_failure),
      T(test_refusal_before_the_chain_is_logged),
      T(test_aggregates_follow_the_order_life),
      T(test_modify_is_checked_as_the_order_it_would_become),
      T(test_market_and_stop_orders_are_valued),
      T(test_many_orders_open_and_close_in_any_order),
      T(test_states_and_callback),
      T(test_the_state_walk_lists_every_known_scope),
      T(test_each_account_and_symbol_pair_has_its_own_record),
      T(test_names_sharing_their_leading_bytes_have_their_own_records),
      T(test_evaluate_account_switches_on_breach),
      T(test_bad_limits_are_refused_and_old_ones_stay),
      T(test_engine_config_and_capacity),
      T(test_cancel_without_limits_passes),
      T(test_check_open_is_check_then_open),
      T(test_builtins_alone_or_among_custom_checks_decide_alike),
      T(test_a_given_back_entry_is_not_its_old_order),
      T(test_resolved_limits_follow_every_change),
      T(test_resolved_limits_of_many_pairs),
      T(test_more_resolutions_than_room_start_again),
      T(test_every_portfolio_change_reaches_the_next_order),
      T(test_kept_reads_decide_as_fresh_reads),
      T(test_the_dry_pass_decides_as_the_chain),
      T(test_an_open_reserves_as_a_check_then_an_open),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
