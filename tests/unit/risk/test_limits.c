/* Tests for src/risk/limits.c: validation of each piece as it is added, the
 * scope rules, resolution (most specific wins, per field), symbol lists and
 * trading-hours windows (overlap, overnight, malformed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/alloc.h"
#include "oms_test.h"
#include "risk/risk_internal.h"

static oms_risk_limits_t *l;
static oms_reject_t err;

static int setup(void **state) {
  (void)state;
  return oms_risk_limits_create(&l);
}

static int teardown(void **state) {
  (void)state;
  oms_risk_limits_destroy(l);
  return 0;
}

static void test_bad_values_are_refused_with_a_reason(void **state) {
  (void)state;
  oms_risk_limit_t v = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("-1")};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_SYMBOL, "BTC-USD", &v, &err), OMS_EINVAL);
  assert_string_equal(err.text, "limits symbol BTC-USD: max_order_qty must be positive");
  v = (oms_risk_limit_t){.set = OMS_RL_RATE_WINDOW, .rate_window_ns = 0};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &v, &err), OMS_EINVAL);
  assert_string_equal(err.text, "limits global: rate_window_ns must be positive");
  v = (oms_risk_limit_t){
      .set = OMS_RL_DAILY_LOSS, .daily_loss = T_D("5"), .daily_loss_action = OMS_TRADING_ACTIVE};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "A", &v, &err), OMS_EINVAL);
  assert_string_equal(err.text,
                      "limits account A: daily_loss_action must be REDUCE_ONLY or HALTED");
  v = (oms_risk_limit_t){.set = OMS_RL_CREDIT_LIMIT, .credit_limit = T_D("5")};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_SYMBOL, "X", &v, &err), OMS_EINVAL);
  assert_string_equal(err.text, "limits symbol X: field bits 0x800 cannot be set at symbol scope");
  v = (oms_risk_limit_t){.set = OMS_RL_MAX_OPEN_ORDERS_STRATEGY, .max_open_orders_strategy = 1};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "A", &v, &err), OMS_EINVAL);
  v = (oms_risk_limit_t){.set = 1u << 30};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &v, &err), OMS_EINVAL);
  assert_string_equal(err.text, "limits global: unknown field bits 0x40000000");
  v = (oms_risk_limit_t){.set = OMS_RL_COLLAR_TICKS, .collar_ticks = 3};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &v, &err), OMS_EINVAL);
  assert_string_equal(err.text, "limits global: tick_size must be positive");
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "bad id", &v, &err), OMS_EINVAL);
  assert_string_equal(err.text, "limits account: bad id 'bad id'");
  assert_int_equal(oms_risk_limits_set(l, (oms_risk_scope_t)7, "x", &v, &err), OMS_EINVAL);
  assert_int_equal(oms_risk_limits_symbol_list(l, "", true, &err), OMS_EINVAL);
  assert_int_equal(oms_risk_limits_zoneinfo_dir(l, NULL), OMS_EINVAL);
}

static void test_most_specific_scope_wins_per_field(void **state) {
  (void)state;
  oms_risk_limit_t g = {.set = OMS_RL_MAX_ORDER_QTY | OMS_RL_MAX_POSITION | OMS_RL_CREDIT_LIMIT,
                        .max_order_qty = T_D("10"),
                        .max_position = T_D("100"),
                        .credit_limit = T_D("1000")};
  oms_risk_limit_t a = {.set = OMS_RL_MAX_ORDER_QTY | OMS_RL_CREDIT_LIMIT,
                        .max_order_qty = T_D("20"),
                        .credit_limit = T_D("2000")};
  oms_risk_limit_t s = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("30")};
  oms_risk_limit_t y = {.set = OMS_RL_MAX_POSITION, .max_position = T_D("5")};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err), 0);
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "A", &a, &err), 0);
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_STRATEGY, "S", &s, &err), 0);
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_SYMBOL, "X", &y, &err), 0);
  oms_risk_eff_limits_t e;
  oms__limits_resolve(l, "A", "S", "X", &e);
  assert_int_equal(e.v.max_order_qty.raw, T_D("30").raw);
  assert_int_equal(e.v.max_position.raw, T_D("5").raw);
  assert_int_equal(e.v.credit_limit.raw, T_D("2000").raw);
  oms__limits_resolve(l, "A", "other", "Y", &e);
  assert_int_equal(e.v.max_order_qty.raw, T_D("20").raw);
  assert_int_equal(e.v.max_position.raw, T_D("100").raw);
  oms__limits_resolve(l, "B", NULL, NULL, &e);
  assert_int_equal(e.v.max_order_qty.raw, T_D("10").raw);
  assert_int_equal(e.v.credit_limit.raw, T_D("1000").raw);
  assert_false(e.v.set & OMS_RL_DAILY_LOSS);
  /* Setting again overlays: fields given replace, others stay. */
  oms_risk_limit_t a2 = {.set = OMS_RL_CREDIT_LIMIT, .credit_limit = T_D("3000")};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "A", &a2, &err), 0);
  oms__limits_resolve(l, "A", NULL, NULL, &e);
  assert_int_equal(e.v.credit_limit.raw, T_D("3000").raw);
  assert_int_equal(e.v.max_order_qty.raw, T_D("20").raw);
  /* Many entries: the table grows. */
  char id[16];
  for (int i = 0; i < 100; i++) {
    snprintf(id, sizeof id, "acct%d", i);
    assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, id, &a, &err), 0);
  }
  oms__limits_resolve(l, "acct57", NULL, NULL, &e);
  assert_int_equal(e.v.max_order_qty.raw, T_D("20").raw);
}

static void test_hours_windows_are_validated(void **state) {
  (void)state;
  oms_risk_window_t w[2] = {{0x3e, 570, 960}, {0x3e, 959, 1000}};
  assert_int_equal(oms_risk_limits_hours(l, "X", false, "UTC", w, 2, &err), OMS_EINVAL);
  assert_string_equal(err.text, "hours X: windows 0 and 1 overlap");
  w[1].start_min = 960; /* touching is fine */
  assert_int_equal(oms_risk_limits_hours(l, "X", false, "UTC", w, 2, &err), 0);
  /* An overnight window that runs into the next day's session. */
  oms_risk_window_t night[2] = {{0x01, 1200, 600}, {0x02, 540, 960}};
  assert_int_equal(oms_risk_limits_hours(l, "Y", false, "UTC", night, 2, &err), OMS_EINVAL);
  assert_string_equal(err.text, "hours Y: windows 0 and 1 overlap");
  /* Saturday night into Sunday wraps around the week. */
  oms_risk_window_t wrap[2] = {{0x40, 1200, 600}, {0x01, 540, 960}};
  assert_int_equal(oms_risk_limits_hours(l, "Y", false, "UTC", wrap, 2, &err), OMS_EINVAL);
  /* Sunday 17:00 to Monday 16:00 style sessions, Sun-Thu starts (CME). */
  oms_risk_window_t cme = {0x1f, 1020, 960};
  assert_int_equal(oms_risk_limits_hours(l, "ES", false, "America/Chicago", &cme, 1, &err), 0);
  oms_risk_window_t bad[] = {{0, 0, 10}, {0x80, 0, 10}, {1, 1440, 10}, {1, 0, 0}, {1, 0, 1441}};
  for (int i = 0; i < 5; i++)
    assert_int_equal(oms_risk_limits_hours(l, "Z", false, "UTC", &bad[i], 1, &err), OMS_EINVAL);
  assert_int_equal(oms_risk_limits_hours(l, "Z", false, "UTC", w, 0, &err), OMS_EINVAL);
  assert_int_equal(oms_risk_limits_hours(l, "bad key", true, "UTC", w, 1, &err), OMS_EINVAL);
  assert_int_equal(oms_risk_limits_hours(l, "Z", false, "Mars/Olympus", w, 1, &err), OMS_ECONFIG);
  assert_int_equal(oms_risk_limits_hours(l, "Z", false, "../etc/passwd", w, 1, &err), OMS_ECONFIG);
  assert_string_equal(err.text, "bad time zone name '../etc/passwd'");
  /* Replacing a schedule frees the old zone. */
  assert_int_equal(oms_risk_limits_hours(l, "ES", false, "America/New_York", &cme, 1, &err), 0);
}

static void test_overnight_window_belongs_to_its_start_day(void **state) {
  (void)state;
  oms_risk_window_t cme = {0x1f, 1020, 960}; /* Sun-Thu 17:00 to next day 16:00 */
  assert_int_equal(oms_risk_limits_hours(l, "ES", false, "UTC", &cme, 1, &err), 0);
  const oms__hours_t *h = oms__limits_hours(l, "ES", "CME");
  assert_non_null(h);
  int d, m;
  int64_t sun = INT64_C(1705190400) * 1000000000; /* Sunday 2024-01-14 00:00 UTC */
  int64_t min = INT64_C(60000000000);
  assert_false(oms__hours_open(h, sun + 1019 * min, &d, &m));
  assert_int_equal(d, 0);
  assert_int_equal(m, 1019);
  assert_true(oms__hours_open(h, sun + 1020 * min, &d, &m));
  assert_true(oms__hours_open(h, sun + (1440 + 959) * min, &d, &m)); /* Monday 15:59 */
  assert_false(oms__hours_open(h, sun + (1440 + 960) * min, &d, &m));
  /* Friday 17:00 does not open (Friday not in days); Saturday is closed. */
  assert_false(oms__hours_open(h, sun + (5 * 1440 + 1020) * min, &d, &m));
  assert_false(oms__hours_open(h, sun + (6 * 1440 + 600) * min, &d, &m));
  /* Thursday's session runs into Friday until 16:00. */
  assert_true(oms__hours_open(h, sun + (5 * 1440 + 959) * min, &d, &m));
  /* Times before 1970 work too (negative nanoseconds). */
  assert_true(oms__hours_open(h, -1, &d, &m)); /* in Wednesday's session */
  assert_int_equal(d, 3);                      /* 1969-12-31 was a Wednesday */
  assert_int_equal(m, 1439);
  /* Venue schedules are found when the symbol has none. */
  assert_int_equal(oms_risk_limits_hours(l, "CME", true, "UTC", &cme, 1, &err), 0);
  assert_non_null(oms__limits_hours(l, "NQ", "CME"));
  assert_null(oms__limits_hours(l, "NQ", "ICE"));
}

typedef struct walk_s {
  int n;
  oms_risk_scope_t scope[8];
  char id[8][32];
  uint32_t set[8];
  int stop_at;
} walk_t;

static int walk_cb(void *ctx, oms_risk_scope_t scope, const char *id, const oms_risk_limit_t *v) {
  walk_t *w = ctx;
  w->scope[w->n] = scope;
  snprintf(w->id[w->n], sizeof w->id[0], "%s", id);
  w->set[w->n++] = v->set;
  return w->n == w->stop_at ? 5 : 0;
}

static void test_read_out_walk_and_resolve_show_each_scope(void **state) {
  (void)state;
  oms_risk_limit_t g = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("10")};
  oms_risk_limit_t a = {.set = OMS_RL_CREDIT_LIMIT, .credit_limit = T_D("2000")};
  oms_risk_limit_t y = {.set = OMS_RL_MAX_POSITION, .max_position = T_D("5")};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err), 0);
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "A", &a, &err), 0);
  assert_int_equal(oms_risk_limits_symbol_list(l, "LISTED", true, &err), 0); /* no field */
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_SYMBOL, "X", &y, &err), 0);
  oms_risk_limit_t out;
  assert_int_equal(oms_risk_limits_get(l, OMS_RISK_SCOPE_GLOBAL, "ignored", &out), 0);
  assert_int_equal(out.max_order_qty.raw, T_D("10").raw);
  assert_int_equal(oms_risk_limits_get(l, OMS_RISK_SCOPE_ACCOUNT, "A", &out), 0);
  assert_int_equal(out.set, OMS_RL_CREDIT_LIMIT);
  assert_int_equal(oms_risk_limits_get(l, OMS_RISK_SCOPE_ACCOUNT, "B", &out), OMS_ENOTFOUND);
  assert_int_equal(out.set, 0);
  assert_int_equal(oms_risk_limits_get(l, (oms_risk_scope_t)9, "A", &out), OMS_EINVAL);
  assert_int_equal(oms_risk_limits_get(NULL, OMS_RISK_SCOPE_GLOBAL, NULL, &out), OMS_EINVAL);
  walk_t w = {0};
  assert_int_equal(oms_risk_limits_each(l, walk_cb, &w), 0);
  assert_int_equal(w.n, 3); /* the symbol list entry sets no field */
  assert_int_equal(w.scope[0], OMS_RISK_SCOPE_GLOBAL);
  assert_string_equal(w.id[0], "");
  assert_int_equal(w.scope[1], OMS_RISK_SCOPE_ACCOUNT);
  assert_string_equal(w.id[1], "A");
  assert_int_equal(w.scope[2], OMS_RISK_SCOPE_SYMBOL);
  assert_string_equal(w.id[2], "X");
  memset(&w, 0, sizeof w);
  w.stop_at = 2;
  assert_int_equal(oms_risk_limits_each(l, walk_cb, &w), 5);
  oms_risk_eff_limits_t e;
  oms_risk_limits_resolve(l, "A", NULL, "X", &e);
  assert_int_equal(e.v.set, OMS_RL_MAX_ORDER_QTY | OMS_RL_CREDIT_LIMIT | OMS_RL_MAX_POSITION);
  oms_risk_limits_resolve(NULL, "A", NULL, "X", &e);
  assert_int_equal(e.v.set, 0);
}

static void test_a_clone_is_independent_of_its_source(void **state) {
  (void)state;
  oms_risk_limit_t g = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("10")};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err), 0);
  oms_risk_limit_t a = {.set = OMS_RL_CREDIT_LIMIT, .credit_limit = T_D("2000")};
  char id[16];
  for (int i = 0; i < 40; i++) { /* past the table's first capacity */
    snprintf(id, sizeof id, "A%d", i);
    assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, id, &a, &err), 0);
  }
  oms_risk_window_t cme = {0x1f, 1020, 960};
  assert_int_equal(oms_risk_limits_hours(l, "ES", false, "America/Chicago", &cme, 1, &err), 0);
  assert_int_equal(oms_risk_limits_hours(l, "CME", true, "UTC", &cme, 1, &err), 0);
  oms_risk_limits_t *c;
  assert_int_equal(oms_risk_limits_clone(l, &c), 0);
  /* Changing the copy leaves the source alone, and the other way round. */
  oms_risk_limit_t q = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("500")};
  assert_int_equal(oms_risk_limits_set(c, OMS_RISK_SCOPE_ACCOUNT, "A7", &q, &err), 0);
  oms_risk_limit_t out;
  assert_int_equal(oms_risk_limits_get(l, OMS_RISK_SCOPE_ACCOUNT, "A7", &out), 0);
  assert_int_equal(out.set, OMS_RL_CREDIT_LIMIT);
  assert_int_equal(oms_risk_limits_get(c, OMS_RISK_SCOPE_ACCOUNT, "A7", &out), 0);
  assert_int_equal(out.set, OMS_RL_CREDIT_LIMIT | OMS_RL_MAX_ORDER_QTY);
  assert_int_equal(oms_risk_limits_get(c, OMS_RISK_SCOPE_ACCOUNT, "A39", &out), 0);
  assert_int_equal(oms_risk_limits_get(c, OMS_RISK_SCOPE_GLOBAL, NULL, &out), 0);
  assert_int_equal(out.max_order_qty.raw, T_D("10").raw);
  /* The schedules came along with their zones; the source can go first. */
  const oms__hours_t *h = oms__limits_hours(c, "ES", NULL);
  assert_non_null(h);
  assert_true(h->tz.n > 0);
  assert_ptr_not_equal(h->tz.at, oms__limits_hours(l, "ES", NULL)->tz.at);
  assert_non_null(oms__limits_hours(c, "NQ", "CME"));
  oms_risk_limits_destroy(l);
  l = NULL;
  int d, m;
  int64_t sun = INT64_C(1705190400) * 1000000000; /* Sunday 2024-01-14 00:00 UTC */
  assert_true(oms__hours_open(h, sun + INT64_C(24) * 3600 * 1000000000, &d, &m));
  oms_risk_limits_destroy(c);
  assert_int_equal(oms_risk_limits_clone(NULL, &c), OMS_EINVAL);
  assert_null(c);
}

static int budget; /* allocations left before the failing allocator fails */
static void *f_malloc(void *ctx, size_t n) {
  (void)ctx;
  return budget-- > 0 ? malloc(n) : NULL;
}
static void *f_calloc(void *ctx, size_t n, size_t size) {
  (void)ctx;
  return budget-- > 0 ? calloc(n, size) : NULL;
}
static void *f_realloc(void *ctx, void *p, size_t n) {
  (void)ctx;
  return budget-- > 0 ? realloc(p, n) : NULL;
}
static void f_free(void *ctx, void *p) {
  (void)ctx;
  free(p);
}

static void test_a_clone_fails_cleanly_at_every_allocation(void **state) {
  (void)state;
  oms_risk_limit_t a = {.set = OMS_RL_CREDIT_LIMIT, .credit_limit = T_D("2000")};
  assert_int_equal(oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "A", &a, &err), 0);
  oms_risk_window_t cme = {0x1f, 1020, 960};
  assert_int_equal(oms_risk_limits_hours(l, "ES", false, "America/Chicago", &cme, 1, &err), 0);
  assert_int_equal(oms_risk_limits_hours(l, "CME", true, "UTC", &cme, 1, &err), 0);
  const oms_allocator_t failing = {f_malloc, f_calloc, f_realloc, f_free, NULL};
  int k;
  for (k = 0; k < 100; k++) {
    oms_risk_limits_t *c = (oms_risk_limits_t *)1;
    budget = k;
    assert_int_equal(oms_replace_allocator(&failing), 0);
    int rc = oms_risk_limits_clone(l, &c);
    assert_int_equal(oms_replace_allocator(NULL), 0);
    if (rc == 0) {
      assert_non_null(oms__limits_hours(c, "ES", NULL));
      oms_risk_limits_destroy(c);
      break;
    }
    assert_int_equal(rc, OMS_ENOMEM);
    assert_null(c);
  }
  assert_true(k > 4 && k < 100); /* it failed at each of its allocations first */
}

/* The close of the trading day (what a DAY parent lives until): the last
 * window of the day the open window started, across a lunch break; an
 * overnight window closes the next day; a zone's offset applies. */
static void test_session_close_is_the_end_of_the_trading_day(void **state) {
  (void)state;
  int64_t sun = INT64_C(1705190400) * 1000000000; /* Sunday 2024-01-14 00:00 UTC */
  int64_t min = INT64_C(60000000000), day = 1440 * min, close = 0;
  oms_risk_window_t lunch[2] = {{0x3e, 540, 690}, {0x3e, 750, 900}}; /* 9-11:30, 12:30-15 */
  assert_int_equal(oms_risk_limits_hours(l, "T", false, "UTC", lunch, 2, &err), 0);
  int64_t mon = sun + day;
  assert_int_equal(oms_risk_limits_session_close(l, "X", "T", mon + 600 * min, &close), 1);
  assert_true(close == mon + 900 * min);
  assert_int_equal(oms_risk_limits_session_close(l, "X", "T", mon + 720 * min, &close), 0);
  assert_int_equal(oms_risk_limits_session_close(l, "X", "T", sun + 600 * min, &close), 0);
  assert_int_equal(oms_risk_limits_session_close(l, "X", "NONE", mon, &close), OMS_ENOTFOUND);
  assert_int_equal(oms_risk_limits_session_close(NULL, "X", "T", mon, &close), OMS_ENOTFOUND);
  /* Sun-Thu 17:00 to next day 16:00: on Monday 10:00 the session is Sunday's */
  oms_risk_window_t cme = {0x1f, 1020, 960};
  assert_int_equal(oms_risk_limits_hours(l, "ES", false, "UTC", &cme, 1, &err), 0);
  assert_int_equal(oms_risk_limits_session_close(l, "CME", "ES", mon + 600 * min, &close), 1);
  assert_true(close == mon + 960 * min);
  assert_int_equal(oms_risk_limits_session_close(l, "CME", "ES", mon + 1100 * min, &close), 1);
  assert_true(close == mon + day + 960 * min);
  /* all day in New York (UTC-5 in January): closes at 05:00 UTC */
  oms_risk_window_t all = {0x7f, 0, 1440};
  assert_int_equal(oms_risk_limits_hours(l, "NY", true, "America/New_York", &all, 1, &err), 0);
  assert_int_equal(oms_risk_limits_session_close(l, "NY", "Q", mon + 600 * min, &close), 1);
  assert_true(close == mon + day + 300 * min);
}

/* The field table is the X-macro as data: bit i at row i, a key that
 * names its row, and an offset inside the struct fitting its kind. */
static void test_field_table_matches_the_limit_struct(void **state) {
  (void)state;
  for (size_t i = 0; i < OMS_RL_NFIELDS; i++) {
    const oms_risk_limit_field_t *f = &oms_risk_limit_fields[i];
    assert_int_equal(f->bit, 1u << i);
    assert_non_null(f->key);
    for (size_t j = 0; j < i; j++) assert_string_not_equal(f->key, oms_risk_limit_fields[j].key);
    size_t width = f->kind == OMS_RL_KIND_DEC   ? sizeof(oms_dec_t)
                   : f->kind == OMS_RL_KIND_U32 ? sizeof(uint32_t)
                                                : sizeof(int64_t);
    assert_true(f->offset + width <= sizeof(oms_risk_limit_t));
  }
  assert_int_equal(oms_risk_limit_fields[0].offset, offsetof(oms_risk_limit_t, max_order_qty));
  /* issue 16 appended five fields (concentration, VaR, stress) after it */
  assert_string_equal(oms_risk_limit_fields[OMS_RL_NFIELDS - 6].key, "duplicate_window_ms");
  assert_int_equal(oms_risk_limit_fields[OMS_RL_NFIELDS - 6].kind, OMS_RL_KIND_NS);
  assert_string_equal(oms_risk_limit_fields[OMS_RL_NFIELDS - 1].key, "max_stress_loss");
  assert_int_equal(oms_risk_limit_fields[OMS_RL_NFIELDS - 1].kind, OMS_RL_KIND_DEC);
}

/* Issue 16: groups are validated as they are added and read back. */
static void test_groups_are_validated_and_read_back(void **state) {
  (void)state;
  oms_risk_limits_t *gl;
  oms_reject_t e;
  assert_int_equal(oms_risk_limits_create(&gl), 0);
  const char *tech[] = {"AAPL", "MSFT"}, *bad[] = {"bad sym"}, *dup[] = {"MSFT"};
  oms_dec_t z = OMS_DEC_ZERO, amt = oms_dec_from_raw(100 * OMS_DEC_SCALE);
  assert_int_equal(oms_risk_limits_group(gl, OMS_RISK_GROUP_SECTOR, "tech", tech, 2, amt, z, &e),
                   0);
  assert_int_equal(oms_risk_limits_group(gl, OMS_RISK_GROUP_NKINDS, "x", tech, 2, z, z, &e),
                   OMS_EINVAL);
  assert_int_equal(oms_risk_limits_group(gl, OMS_RISK_GROUP_SECTOR, "x", bad, 1, z, z, &e),
                   OMS_EINVAL);
  assert_string_equal(e.text, "group sector x: bad symbol 'bad sym'");
  assert_int_equal(
      oms_risk_limits_group(gl, OMS_RISK_GROUP_SECTOR, "x", tech, 1, oms_dec_neg(amt), z, &e),
      OMS_EINVAL);
  assert_string_equal(e.text, "group sector x: limits must not be negative");
  assert_int_equal(oms_risk_limits_group(gl, OMS_RISK_GROUP_SECTOR, "fin", dup, 1, z, z, &e),
                   OMS_EINVAL);
  assert_string_equal(e.text, "group sector fin: MSFT is already in sector group tech");
  /* another kind is another dimension; the same group again adds members */
  assert_int_equal(oms_risk_limits_group(gl, OMS_RISK_GROUP_CURRENCY, "usd", dup, 1, z, z, &e), 0);
  assert_int_equal(oms_risk_limits_group(gl, OMS_RISK_GROUP_SECTOR, "tech", dup, 1, z, amt, &e), 0);
  char name[OMS_ID_MAX + 1];
  oms_dec_t a, p;
  assert_int_equal(oms_risk_limits_group_of(gl, OMS_RISK_GROUP_SECTOR, "MSFT", name, &a, &p), 0);
  assert_string_equal(name, "tech");
  assert_int_equal(a.raw, 0);
  assert_int_equal(p.raw, amt.raw);
  assert_int_equal(oms_risk_limits_group_of(gl, OMS_RISK_GROUP_UNDERLYING, "MSFT", name, &a, &p),
                   OMS_ENOTFOUND);
  assert_int_equal(oms_risk_limits_group_of(gl, OMS_RISK_GROUP_SECTOR, "IBM", NULL, NULL, NULL),
                   OMS_ENOTFOUND);
  oms_risk_limits_t *c;
  assert_int_equal(oms_risk_limits_clone(gl, &c), 0);
  assert_int_equal(oms_risk_limits_group_of(c, OMS_RISK_GROUP_CURRENCY, "MSFT", name, NULL, NULL),
                   0);
  assert_string_equal(name, "usd");
  oms_risk_limits_destroy(c);
  oms_risk_limits_destroy(gl);
  for (int k = 0; k < OMS_RISK_GROUP_NKINDS; k++)
    assert_int_equal(oms_risk_group_kind_parse(oms_risk_group_kind_str((oms_risk_group_kind_t)k)),
                     k);
  assert_int_equal(oms_risk_group_kind_parse("color"), -1);
  assert_string_equal(oms_risk_group_kind_str(OMS_RISK_GROUP_NKINDS), "UNKNOWN");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_field_table_matches_the_limit_struct),
      cmocka_unit_test(test_groups_are_validated_and_read_back),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
      T(test_bad_values_are_refused_with_a_reason),
      T(test_most_specific_scope_wins_per_field),
      T(test_hours_windows_are_validated),
      T(test_overnight_window_belongs_to_its_start_day),
      T(test_session_close_is_the_end_of_the_trading_day),
      T(test_read_out_walk_and_resolve_show_each_scope),
      T(test_a_clone_is_independent_of_its_source),
      T(test_a_clone_fails_cleanly_at_every_allocation),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
