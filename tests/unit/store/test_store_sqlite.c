/* Tests for src/store/store_sqlite.c (and store.c): appends and every query,
 * group commit, durability tickets, fault sweeps through the seam, a real
 * disk-full, recovery after reopening, FIX session state and sink cursors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "store/store_int.h"
#include "unit/store/store_fixture.h"

#define SQ_FULL 13
#define SQ_IOERR 10
#define SQ_BUSY 5
#define WAIT_NS INT64_C(10000000000)

typedef struct env_s {
  fx_dir_t dir;
  fx_fault_t fault;
  oms_store_fault_t seam;
  oms_store_config_t cfg;
  oms_store_t *st;
  uint64_t seq;
  _Atomic int errors, recovered;
  oms_store_error_t last_err;
} env_t;

static void on_error(void *ctx, const oms_store_error_t *e) {
  env_t *env = ctx;
  if (e->code == 0)
    atomic_fetch_add(&env->recovered, 1);
  else
    atomic_fetch_add(&env->errors, 1);
}

static int setup(void **state) {
  env_t *env = calloc(1, sizeof *env);
  fx_dir_make(&env->dir);
  env->seam.inject = fx_inject;
  env->seam.ctx = &env->fault;
  oms_store_config_init(&env->cfg, env->dir.db);
  env->cfg.fault = &env->seam;
  env->cfg.on_error = on_error;
  env->cfg.ctx = env;
  env->cfg.retry_initial_ns = -1; /* recover explicitly unless a test says otherwise */
  env->cfg.durability = OMS_DURABILITY_OS;
  *state = env;
  return 0;
}

static int teardown(void **state) {
  env_t *env = *state;
  oms_store_close(env->st);
  assert_int_equal(fx_dir_remove(&env->dir), 0);
  free(env);
  return 0;
}

static void open_store(env_t *env, bool sync) {
  env->cfg.synchronous = sync;
  assert_int_equal(oms_store_sqlite_open(&env->cfg, &env->st), 0);
  uint64_t last_order;
  assert_int_equal(oms_store_last_seqs(env->st, &env->seq, &last_order), 0);
}

static void reopen(env_t *env) {
  oms_store_close(env->st);
  env->st = NULL;
  open_store(env, env->cfg.synchronous);
}

/* Appends the lifecycle of order `id` up to `steps` events (submit, accept,
 * partial fill, fill) as one unit; o receives the final snapshot. */
static uint64_t append_order(env_t *env, oms_order_t *o, uint64_t id, const char *strategy,
                             const char *account, int steps, int64_t now, unsigned flags,
                             int *rc_out) {
  oms_event_t ev[4];
  static const oms_ord_event_t seq_ev[4] = {OMS_EV_SUBMIT, OMS_EV_ACCEPT, OMS_EV_FILL, OMS_EV_FILL};
  static const char *qty[4] = {NULL, NULL, "0.5", "1.5"};
  fx_order(o, id, strategy, account, "BTC-USD", now);
  uint64_t base = env->seq;
  for (int i = 0; i < steps; i++)
    fx_apply(o, seq_ev[i], qty[i], qty[i] ? "100" : NULL, now + i, base + 1 + (uint64_t)i, &ev[i]);
  oms_store_unit_t u = {ev, (size_t)steps};
  uint64_t ticket = 0;
  int rc = oms_store_append(env->st, &u, flags, &ticket);
  if (rc_out)
    *rc_out = rc;
  else
    assert_int_equal(rc, 0);
  if (rc == 0 || !env->cfg.synchronous) {
    if (rc == 0) env->seq = base + (uint64_t)steps;
  }
  return ticket;
}

static int count_events_from(env_t *env, uint64_t from) {
  int n = 0;
  assert_int_equal(oms_store_events_from(env->st, from, 0, fx_count_events, &n), 0);
  return n;
}

/* ---- Schema, appends and queries ---------------------------------------------- */

static void test_open_creates_schema_at_latest_version(void **state) {
  env_t *env = *state;
  open_store(env, true);
  assert_int_equal(oms__store_sqlite_schema_version(env->st), OMS__SCHEMA_LATEST);
  uint64_t s, o;
  assert_int_equal(oms_store_last_seqs(env->st, &s, &o), 0);
  assert_int_equal(s, 0);
  assert_int_equal(o, 0);
  assert_int_equal(oms_store_durable_fd(env->st), -1);
}

static void test_open_refuses_bad_config(void **state) {
  env_t *env = *state;
  oms_store_t *st = (oms_store_t *)1;
  assert_int_equal(oms_store_sqlite_open(NULL, &st), OMS_EINVAL);
  assert_null(st);
  env->cfg.queue_capacity = 100;
  assert_int_equal(oms_store_sqlite_open(&env->cfg, &st), OMS_EINVAL);
  env->cfg.queue_capacity = 0;
  oms_store_config_t c = env->cfg;
  c.path = "/nonexistent-dir/x/oms.db";
  assert_int_equal(oms_store_sqlite_open(&c, &st), OMS_ESTORE);
  assert_true(atomic_load(&env->errors) >= 1);
  /* A fault while opening unwinds cleanly. */
  const char *labels[] = {"sqlite3_open_v2", "PRAGMA (open)", "schema migration",
                          "sqlite3_step(query)"};
  for (int i = 0; i < 4; i++) {
    env->fault.match = labels[i];
    fx_fault_arm(&env->fault, 1, SQ_IOERR, 1);
    assert_int_equal(oms_store_sqlite_open(&env->cfg, &st), OMS_ESTORE);
    assert_null(st);
  }
  atomic_store(&env->fault.armed, 0);
  env->fault.match = NULL;
}

static void test_unit_is_stored_with_order_events_fills_and_position(void **state) {
  env_t *env = *state;
  open_store(env, true);
  oms_order_t o;
  uint64_t t = append_order(env, &o, 7, "s1", "A1", 4, T0, 0, NULL);
  assert_int_equal(t, 1);
  assert_int_equal(oms_store_durable_ticket(env->st), 1);
  oms_order_t back;
  assert_int_equal(oms_store_get_order(env->st, 7, &back), 0);
  assert_true(fx_same_order(&back, &o));
  assert_int_equal(back.state, OMS_STATE_FILLED);
  assert_int_equal(oms_store_get_order(env->st, 8, &back), OMS_ENOTFOUND);
  assert_int_equal(count_events_from(env, 1), 4);

  oms_fill_row_t fills[4];
  int nf = 0;
  int fill_cb(void *ctx, const oms_fill_row_t *f);
  assert_int_equal(oms_store_fills_for_order(env->st, 7, fill_cb, &nf), 0);
  (void)fills;
  assert_int_equal(nf, 2);

  int np = 0;
  int pos_cb(void *ctx, const oms_position_t *p);
  assert_int_equal(oms_store_load_positions(env->st, pos_cb, &np), 0);
  assert_int_equal(np, 1);
  oms_store_stats_t stt;
  oms_store_stats(env->st, &stt);
  assert_int_equal(stt.appends, 1);
  assert_int_equal(stt.transactions, 1);
  assert_int_equal(stt.records, 4);
  assert_int_equal(oms_store_wait(env->st, 1, 0), 0);
  assert_int_equal(oms_store_flush(env->st, 0), 0);
}

int fill_cb(void *ctx, const oms_fill_row_t *f) {
  int *n = ctx;
  (*n)++;
  assert_int_equal(f->order_id, 7);
  assert_int_equal(f->side, OMS_SIDE_BUY);
  assert_string_equal(f->symbol, "BTC-USD");
  assert_true(oms_dec_eq(f->fill.price, T_D("100")));
  assert_true(oms_dec_eq(f->fill.fee, T_D("0.01")));
  assert_int_equal(f->fill.liquidity, 'T');
  assert_true(f->fill.exec_id[0] == 'X');
  assert_true(oms_dec_eq(f->fill.qty, *n == 1 ? T_D("0.5") : T_D("1.5")));
  return 0;
}

int pos_cb(void *ctx, const oms_position_t *p) {
  (*(int *)ctx)++;
  assert_string_equal(p->account_id, "A1");
  assert_string_equal(p->symbol, "BTC-USD");
  assert_true(oms_dec_eq(p->qty, T_D("2")));
  assert_true(oms_dec_eq(p->avg_px, T_D("100")));
  assert_true(oms_dec_eq(p->fees, T_D("0.02")));
  assert_true(oms_dec_eq(p->realized_pnl, T_D("0")));
  assert_int_equal(p->last_fill_seq, 4);
  return 0;
}

static int collect_ids(void *ctx, const oms_order_t *o) {
  uint64_t *ids = ctx;
  ids[++ids[0]] = o->order_id;
  return 0;
}

static void query_ids(env_t *env, const oms_order_query_t *q, uint64_t *ids) {
  ids[0] = 0;
  assert_int_equal(oms_store_query_orders(env->st, q, collect_ids, ids), 0);
}

static void test_every_order_query(void **state) {
  env_t *env = *state;
  open_store(env, true);
  oms_order_t o;
  /* 1: s1/A1 active; 2: s1/A2 filled; 3: s2/A1 cancelled; 4: s2/A2 denied. */
  append_order(env, &o, 1, "s1", "A1", 2, T0 + 100, 0, NULL);
  append_order(env, &o, 2, "s1", "A2", 4, T0 + 200, 0, NULL);
  fx_order(&o, 3, "s2", "A1", "ETH-USD", T0 + 300);
  oms_event_t ev[3];
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0 + 300, ++env->seq, &ev[0]);
  fx_apply(&o, OMS_EV_CANCEL_CONFIRM, NULL, NULL, T0 + 301, ++env->seq, &ev[1]);
  oms_store_unit_t u = {ev, 2};
  uint64_t t;
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), 0);
  fx_order(&o, 4, "s2", "A2", "BTC-USD", T0 + 400);
  fx_apply(&o, OMS_EV_DENY, NULL, NULL, T0 + 400, ++env->seq, &ev[0]);
  u.n_events = 1;
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), 0);

  uint64_t ids[8];
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  query_ids(env, &q, ids);
  assert_int_equal(ids[0], 4);
  q.strategy_id = "s1";
  query_ids(env, &q, ids);
  assert_int_equal(ids[0], 2);
  assert_int_equal(ids[1], 1);
  assert_int_equal(ids[2], 2);
  memset(&q, 0, sizeof q);
  q.account_id = "A1";
  query_ids(env, &q, ids);
  assert_int_equal(ids[0], 2);
  assert_int_equal(ids[2], 3);
  memset(&q, 0, sizeof q);
  q.symbol = "ETH-USD";
  query_ids(env, &q, ids);
  assert_int_equal(ids[0], 1);
  assert_int_equal(ids[1], 3);
  memset(&q, 0, sizeof q);
  q.order_id = 2;
  query_ids(env, &q, ids);
  assert_int_equal(ids[0], 1);
  static const struct {
    oms_state_class_t c;
    uint64_t n, first;
  } cls[] = {{OMS_STATE_CLASS_ACTIVE, 1, 1},    {OMS_STATE_CLASS_FILLED, 1, 2},
             {OMS_STATE_CLASS_CANCELLED, 1, 3}, {OMS_STATE_CLASS_REJECTED, 1, 4},
             {OMS_STATE_CLASS_EXPIRED, 0, 0},   {OMS_STATE_CLASS_TERMINAL, 3, 2}};
  for (size_t i = 0; i < sizeof cls / sizeof cls[0]; i++) {
    memset(&q, 0, sizeof q);
    q.state_class = cls[i].c;
    query_ids(env, &q, ids);
    assert_int_equal(ids[0], cls[i].n);
    if (cls[i].n) assert_int_equal(ids[1], cls[i].first);
  }
  memset(&q, 0, sizeof q);
  q.created_from_ns = T0 + 200;
  q.created_to_ns = T0 + 400;
  query_ids(env, &q, ids);
  assert_int_equal(ids[0], 2);
  assert_int_equal(ids[1], 2);
  assert_int_equal(ids[2], 3);
  memset(&q, 0, sizeof q);
  q.limit = 3;
  query_ids(env, &q, ids);
  assert_int_equal(ids[0], 3);
  q.state_class = (oms_state_class_t)99;
  assert_int_equal(oms_store_query_orders(env->st, &q, collect_ids, ids), OMS_EINVAL);

  /* By client order id, with and without the strategy. */
  oms_order_t back;
  assert_int_equal(oms_store_get_order_by_clordid(env->st, "s2", "c3", &back), 0);
  assert_int_equal(back.order_id, 3);
  assert_int_equal(oms_store_get_order_by_clordid(env->st, NULL, "c2", &back), 0);
  assert_int_equal(back.order_id, 2);
  assert_int_equal(oms_store_get_order_by_clordid(env->st, "s1", "c3", &back), OMS_ENOTFOUND);
  assert_int_equal(oms_store_get_order_by_clordid(env->st, "s1", "", &back), OMS_EINVAL);

  /* Recovery: only the active order. */
  ids[0] = 0;
  assert_int_equal(oms_store_load_active(env->st, collect_ids, ids), 0);
  assert_int_equal(ids[0], 1);
  assert_int_equal(ids[1], 1);

  /* A callback stops a query with its value. */
  int stop_cb(void *ctx, const oms_order_t *oo);
  memset(&q, 0, sizeof q);
  assert_int_equal(oms_store_query_orders(env->st, &q, stop_cb, NULL), 42);
}

int stop_cb(void *ctx, const oms_order_t *oo) {
  (void)ctx;
  (void)oo;
  return 42;
}

static int collect_seqs(void *ctx, const oms_event_t *ev) {
  uint64_t *s = ctx;
  s[++s[0]] = ev->seq;
  return 0;
}

static void test_audit_trail_replay_and_time_range(void **state) {
  env_t *env = *state;
  open_store(env, true);
  oms_order_t o;
  append_order(env, &o, 1, "s1", "A1", 3, T0, 0, NULL);        /* seq 1..3 */
  append_order(env, &o, 2, "s1", "A1", 2, T0 + 1000, 0, NULL); /* seq 4..5 */
  uint64_t s[16];
  s[0] = 0;
  assert_int_equal(oms_store_events_for_order(env->st, 1, collect_seqs, s), 0);
  assert_int_equal(s[0], 3);
  assert_int_equal(s[1], 1);
  assert_int_equal(s[3], 3);
  s[0] = 0;
  assert_int_equal(oms_store_events_from(env->st, 3, 0, collect_seqs, s), 0);
  assert_int_equal(s[0], 3);
  assert_int_equal(s[1], 3);
  assert_int_equal(s[3], 5);
  s[0] = 0;
  assert_int_equal(oms_store_events_from(env->st, 2, 2, collect_seqs, s), 0);
  assert_int_equal(s[0], 2);
  s[0] = 0;
  assert_int_equal(oms_store_events_between(env->st, T0 + 1000, T0 + 2000, collect_seqs, s), 0);
  assert_int_equal(s[0], 2);
  assert_int_equal(s[1], 4);
  /* The replay source the bus uses reads the same log. */
  oms_replay_source_t src = oms_store_replay_source(env->st);
  s[0] = 0;
  assert_int_equal(src.read(src.ctx, 5, 10, collect_seqs, s), 0);
  assert_int_equal(s[0], 1);
  /* The replayed event is the stored one, field for field. */
  oms_event_t ev;
  int take(void *ctx, const oms_event_t *e);
  assert_int_equal(oms_store_events_from(env->st, 5, 1, take, &ev), 1);
  assert_int_equal(ev.type, OMS_EVT_ORDER_ACCEPTED);
  assert_true(fx_same_order(&ev.order, &o));
  assert_int_equal(oms_event_latency_ns(&ev), 1000);
}

int take(void *ctx, const oms_event_t *e) {
  *(oms_event_t *)ctx = *e;
  return 1;
}

static void test_seq_must_increase_and_unsequenced_events_are_skipped(void **state) {
  env_t *env = *state;
  open_store(env, true);
  oms_order_t o;
  append_order(env, &o, 1, "s1", "A1", 2, T0, 0, NULL);
  oms_event_t ev[2];
  oms_event_init(&ev[0], OMS_EVT_ALARM, NULL, T0, 0);
  ev[0].seq = 2; /* already used */
  oms_store_unit_t u = {ev, 1};
  uint64_t t = 99;
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), OMS_EINVAL);
  assert_int_equal(t, 0);
  ev[0].seq = 0; /* transient: not stored, the unit still gets a ticket */
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), 0);
  assert_int_equal(t, 2);
  assert_int_equal(count_events_from(env, 1), 2);
  u.events = NULL;
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), OMS_EINVAL);
  /* Non-order events are stored with no order row. */
  oms_event_init(&ev[0], OMS_EVT_ALARM, NULL, T0, 0);
  ev[0].seq = 3;
  ev[0].alarm = OMS_ALARM_UNKNOWN_ORDER_REPORT;
  u.events = ev;
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), 0);
  assert_int_equal(count_events_from(env, 3), 1);
  uint64_t ls, lo;
  assert_int_equal(oms_store_last_seqs(env->st, &ls, &lo), 0);
  assert_int_equal(ls, 3);
  assert_int_equal(lo, 1);
}

static int tstate_cb(void *ctx, const oms_trading_state_row_t *t) {
  oms_trading_state_row_t *out = ctx;
  *out = *t;
  return 0;
}

static void test_recovery_after_reopen_restores_state(void **state) {
  env_t *env = *state;
  open_store(env, false);
  oms_order_t o1, o2, o3;
  append_order(env, &o1, 1, "s1", "A1", 2, T0, 0, NULL);
  append_order(env, &o2, 2, "s1", "A1", 4, T0, 0, NULL);
  append_order(env, &o3, 3, "s2", "A2", 3, T0, 0, NULL);
  oms_event_t ev;
  oms_event_init(&ev, OMS_EVT_TRADING_STATE_CHANGED, NULL, T0 + 5, 0);
  ev.seq = ++env->seq;
  ev.scope_kind = 1;
  strcpy(ev.scope_id, "A1");
  ev.old_state = 0;
  ev.new_state = 2;
  strcpy(ev.text, "kill switch by ops");
  oms_store_unit_t u = {&ev, 1};
  uint64_t t;
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), 0);
  assert_int_equal(oms_store_wait(env->st, t, WAIT_NS), 0);
  reopen(env);
  oms_order_t active[4];
  uint64_t n = 0;
  int act(void *ctx, const oms_order_t *o);
  void *ctx[2] = {active, &n};
  assert_int_equal(oms_store_load_active(env->st, act, ctx), 0);
  assert_int_equal(n, 2);
  assert_true(fx_same_order(&active[0], &o1));
  assert_true(fx_same_order(&active[1], &o3));
  uint64_t ls, lo;
  assert_int_equal(oms_store_last_seqs(env->st, &ls, &lo), 0);
  assert_int_equal(ls, 10);
  assert_int_equal(lo, 3);
  oms_trading_state_row_t ts;
  memset(&ts, 0, sizeof ts);
  assert_int_equal(oms_store_load_trading_states(env->st, tstate_cb, &ts), 0);
  assert_int_equal(ts.scope_kind, 1);
  assert_string_equal(ts.scope_id, "A1");
  assert_int_equal(ts.state, 2);
  assert_string_equal(ts.reason, "kill switch by ops");
  assert_int_equal(ts.event_seq, 10);
  /* The store continues the sequence after a restart and refuses reuse. */
  oms_event_init(&ev, OMS_EVT_ALARM, NULL, T0, 0);
  ev.seq = 10;
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), OMS_EINVAL);
  ev.seq = 11;
  assert_int_equal(oms_store_append(env->st, &u, 0, &t), 0);
}

int act(void *ctx, const oms_order_t *o) {
  void **c = ctx;
  oms_order_t *arr = c[0];
  uint64_t *n = c[1];
  arr[(*n)++] = *o;
  return 0;
}

/* ---- Group commit and tickets --------------------------------------------------- */

static _Atomic uint64_t durable_log[4096];
static _Atomic int durable_n;

static void on_durable(void *ctx, uint64_t ticket) {
  (void)ctx;
  int i = atomic_fetch_add(&durable_n, 1);
  if (i < 4096) atomic_store(&durable_log[i], ticket);
}

static void test_group_commit_batches_appends_during_a_commit(void **state) {
  env_t *env = *state;
  atomic_store(&durable_n, 0);
  env->cfg.on_durable = on_durable;
  open_store(env, false);
  atomic_store(&env->fault.sleep_commit_us, 20000); /* every commit takes 20 ms */
  oms_order_t o;
  uint64_t last = 0;
  for (uint64_t i = 1; i <= 200; i++) {
    uint64_t t = append_order(env, &o, i, "s1", "A1", 2, T0, 0, NULL);
    assert_int_equal(t, last + 1);
    last = t;
    /* Never durable ahead of what was handed out. */
    assert_true(oms_store_durable_ticket(env->st) <= t);
  }
  assert_int_equal(oms_store_flush(env->st, WAIT_NS), 0);
  atomic_store(&env->fault.sleep_commit_us, 0);
  oms_store_stats_t st;
  oms_store_stats(env->st, &st);
  assert_int_equal(st.appends, 200);
  assert_int_equal(st.records, 200 * 2);
  /* 200 appends while 20 ms commits were in flight: a handful of transactions. */
  assert_true(st.transactions < 20);
  assert_true(st.max_batch > 30);
  assert_int_equal(st.queued, 0);
  assert_int_equal(oms_store_durable_ticket(env->st), 200);
  /* Tickets were published in increasing order, ending with the last. */
  int n = atomic_load(&durable_n);
  assert_int_equal((uint64_t)n, st.transactions);
  for (int i = 1; i < n; i++)
    assert_true(atomic_load(&durable_log[i]) > atomic_load(&durable_log[i - 1]));
  assert_int_equal(atomic_load(&durable_log[n - 1]), 200);
  assert_int_equal(count_events_from(env, 1), 400);
  /* The eventfd saw the commits. */
  uint64_t v = 0;
  assert_int_equal(read(oms_store_durable_fd(env->st), &v, sizeof v), (ssize_t)sizeof v);
  assert_true(v >= 1);
}

static void test_queue_full_refuses_with_efull(void **state) {
  env_t *env = *state;
  env->cfg.queue_capacity = 8;
  open_store(env, false);
  atomic_store(&env->fault.block, 1); /* the writer stalls inside its first call */
  oms_order_t o;
  int rc = 0;
  int accepted = 0;
  for (uint64_t i = 1; i <= 10 && rc == 0; i++) {
    append_order(env, &o, i, "s1", "A1", 2, T0, 0, &rc);
    if (rc == 0) accepted++;
  }
  assert_int_equal(rc, OMS_EFULL);
  assert_true(accepted >= 2 && accepted <= 4);
  oms_store_stats_t st;
  oms_store_stats(env->st, &st);
  assert_int_equal(st.refused, 1);
  assert_int_equal(oms_store_wait(env->st, 1, 1000000), OMS_ETIMEDOUT);
  atomic_store(&env->fault.block, 0);
  assert_int_equal(oms_store_flush(env->st, WAIT_NS), 0);
  assert_int_equal(count_events_from(env, 1), accepted * 2);
}

/* ---- Faults ---------------------------------------------------------------------- */

/* Fails matching call k of the second unit's batch (and every call after it)
 * for every k, and checks: nothing of the unit is in the database, its ticket
 * is not durable, the store is FAILED and refuses new orders but takes MUST
 * appends, the error names the call with code and errno; after the fault
 * clears, recover() writes the batch exactly once. */
static void sweep(env_t *env, bool sync, int code, int expect_errno) {
  int fired_any = 0;
  for (int k = 1; k < 60; k++) {
    fx_dir_remove(&env->dir);
    fx_dir_make(&env->dir);
    env->cfg.path = env->dir.db;
    atomic_store(&env->errors, 0);
    open_store(env, sync);
    oms_order_t o, o2;
    append_order(env, &o, 1, "s1", "A1", 2, T0, 0, NULL);
    assert_int_equal(oms_store_flush(env->st, WAIT_NS), 0);
    fx_fault_arm(&env->fault, k, code, 1);
    int rc;
    uint64_t t = append_order(env, &o2, 2, "s1", "A1", 4, T0, 0, &rc);
    if (!sync) {
      assert_int_equal(rc, 0);
      rc = oms_store_wait(env->st, t, WAIT_NS);
    }
    if (atomic_load(&env->fault.fired) == 0) {
      /* k is past the last call of the batch: it committed. */
      assert_int_equal(rc, 0);
      atomic_store(&env->fault.armed, 0);
      oms_store_close(env->st);
      env->st = NULL;
      break;
    }
    fired_any++;
    assert_int_equal(rc, OMS_ESTORE);
    assert_true(oms_store_failed(env->st));
    assert_true(oms_store_durable_ticket(env->st) < 2);
    oms_store_error_t e;
    oms_store_last_error(env->st, &e);
    assert_int_equal(e.code & 0xff, code);
    assert_int_equal(e.sys_errno, expect_errno);
    assert_true(e.call[0] != '\0');
    assert_true(atomic_load(&env->errors) >= 1);
    /* New orders are refused; facts from a venue are still queued (async). */
    oms_order_t o3;
    int rc3;
    append_order(env, &o3, 3, "s1", "A1", 1, T0, 0, &rc3);
    assert_int_equal(rc3, OMS_ESTORE);
    atomic_store(&env->fault.armed, 0);
    /* Nothing half-written. */
    assert_int_equal(count_events_from(env, 3), 0);
    oms_order_t back;
    assert_int_equal(oms_store_get_order(env->st, 2, &back), OMS_ENOTFOUND);
    int np = 0;
    assert_int_equal(oms_store_events_for_order(env->st, 1, fx_count_events, &np), 0);
    assert_int_equal(np, 2);
    /* The fault cleared: recover. */
    assert_int_equal(oms_store_recover(env->st), 0);
    assert_false(oms_store_failed(env->st));
    if (sync) {
      /* The failed unit was not stored; the caller appends it again. */
      env->seq = 2;
      t = append_order(env, &o2, 2, "s1", "A1", 4, T0, 0, NULL);
    }
    assert_int_equal(oms_store_wait(env->st, t, WAIT_NS), 0);
    assert_int_equal(count_events_from(env, 3), 4);
    assert_int_equal(oms_store_get_order(env->st, 2, &back), 0);
    assert_true(fx_same_order(&back, &o2));
    oms_store_close(env->st);
    env->st = NULL;
  }
  assert_true(fired_any >= 5);
}

static void test_fault_sweep_async_disk_full(void **state) {
  env_t *env = *state;
  sweep(env, false, SQ_FULL, ENOSPC);
}

static void test_fault_sweep_async_io_error(void **state) {
  env_t *env = *state;
  sweep(env, false, SQ_IOERR, EIO);
}

static void test_fault_sweep_sync_busy(void **state) {
  env_t *env = *state;
  sweep(env, true, SQ_BUSY, EBUSY);
}

static void test_failed_store_takes_must_appends_and_writes_them_on_recovery(void **state) {
  env_t *env = *state;
  open_store(env, false);
  oms_order_t o;
  env->fault.match = "COMMIT";
  fx_fault_arm(&env->fault, 1, SQ_FULL, 1);
  int rc;
  uint64_t t1 = append_order(env, &o, 1, "s1", "A1", 2, T0, 0, NULL);
  assert_int_equal(oms_store_wait(env->st, t1, WAIT_NS), OMS_ESTORE);
  /* A fill from the venue must be kept. */
  uint64_t t2 = append_order(env, &o, 2, "s1", "A1", 3, T0, OMS_STORE_APPEND_MUST, &rc);
  assert_int_equal(rc, 0);
  assert_true(t2 > t1);
  /* A recovery attempt while the fault persists fails and keeps everything. */
  assert_int_equal(oms_store_recover(env->st), OMS_ESTORE);
  assert_true(oms_store_failed(env->st));
  atomic_store(&env->fault.armed, 0);
  env->fault.match = NULL;
  assert_int_equal(oms_store_recover(env->st), 0);
  assert_int_equal(oms_store_recover(env->st), 0); /* healthy: nothing to do */
  assert_int_equal(oms_store_wait(env->st, t2, WAIT_NS), 0);
  assert_int_equal(count_events_from(env, 1), 5);
  assert_true(atomic_load(&env->recovered) >= 1);
}

static void test_writer_retries_with_backoff_until_the_fault_clears(void **state) {
  env_t *env = *state;
  env->cfg.retry_initial_ns = 1000000; /* 1 ms, doubling */
  env->cfg.retry_max_ns = 4000000;
  open_store(env, false);
  env->fault.match = "INSERT events";
  fx_fault_arm(&env->fault, 1, SQ_IOERR, 1);
  oms_order_t o;
  uint64_t t = append_order(env, &o, 1, "s1", "A1", 2, T0, 0, NULL);
  assert_int_equal(oms_store_wait(env->st, t, WAIT_NS), OMS_ESTORE);
  while (atomic_load(&env->fault.fired) < 4) usleep(1000);
  atomic_store(&env->fault.armed, 0);
  env->fault.match = NULL;
  while (oms_store_failed(env->st)) usleep(1000);
  assert_int_equal(oms_store_wait(env->st, t, WAIT_NS), 0);
  oms_store_stats_t st;
  oms_store_stats(env->st, &st);
  assert_true(st.failures >= 4);
  assert_int_equal(count_events_from(env, 1), 2);
}

static void test_real_disk_full_refuses_then_recovers(void **state) {
  env_t *env = *state;
  open_store(env, true);
  oms_order_t o;
  append_order(env, &o, 1, "s1", "A1", 1, T0, 0, NULL);
  /* The database may not grow any more: a real SQLITE_FULL. */
  assert_int_equal(oms__store_sqlite_exec(env->st, "PRAGMA max_page_count = 1"), 0);
  int rc = 0;
  uint64_t i = 2;
  for (; i < 200 && rc == 0; i++) append_order(env, &o, i, "s1", "A1", 1, T0, 0, &rc);
  assert_int_equal(rc, OMS_ESTORE);
  oms_store_error_t e;
  oms_store_last_error(env->st, &e);
  assert_int_equal(e.code & 0xff, SQ_FULL);
  assert_true(oms_store_failed(env->st));
  uint64_t failed_id = i - 1;
  oms_order_t back;
  assert_int_equal(oms_store_get_order(env->st, failed_id, &back), OMS_ENOTFOUND);
  assert_int_equal(count_events_from(env, failed_id), 0);
  assert_int_equal(oms__store_sqlite_exec(env->st, "PRAGMA max_page_count = 1000000"), 0);
  assert_int_equal(oms_store_recover(env->st), 0);
  append_order(env, &o, failed_id, "s1", "A1", 1, T0, 0, NULL);
  assert_int_equal(oms_store_get_order(env->st, failed_id, &back), 0);
}

static void test_query_faults_report_estore(void **state) {
  env_t *env = *state;
  open_store(env, true);
  oms_order_t o;
  append_order(env, &o, 1, "s1", "A1", 2, T0, 0, NULL);
  const char *labels[] = {"sqlite3_prepare_v2(query)", "sqlite3_step(query)"};
  for (int i = 0; i < 2; i++) {
    env->fault.match = labels[i];
    fx_fault_arm(&env->fault, 1, SQ_IOERR, 1);
    oms_order_t back;
    uint64_t a, b;
    int64_t x, y;
    int n = 0;
    oms_order_query_t q;
    memset(&q, 0, sizeof q);
    assert_int_equal(oms_store_get_order(env->st, 1, &back), OMS_ESTORE);
    assert_int_equal(oms_store_query_orders(env->st, &q, fx_count_orders, &n), OMS_ESTORE);
    assert_int_equal(oms_store_events_from(env->st, 1, 0, fx_count_events, &n), OMS_ESTORE);
    assert_int_equal(oms_store_events_for_order(env->st, 1, fx_count_events, &n), OMS_ESTORE);
    assert_int_equal(oms_store_events_between(env->st, 0, 1, fx_count_events, &n), OMS_ESTORE);
    assert_int_equal(oms_store_fills_for_order(env->st, 1, NULL, NULL), OMS_ESTORE);
    assert_int_equal(oms_store_load_positions(env->st, NULL, NULL), OMS_ESTORE);
    oms_position_t pos;
    assert_int_equal(oms_store_get_position(env->st, "A1", "BTC-USD", &pos), OMS_ESTORE);
    assert_int_equal(oms_store_load_trading_states(env->st, NULL, NULL), OMS_ESTORE);
    assert_int_equal(oms_store_last_seqs(env->st, &a, &b), OMS_ESTORE);
    assert_int_equal(oms_store_fix_get_seqnums(env->st, "S", &x, &y), OMS_ESTORE);
    assert_int_equal(oms_store_fix_fetch_sent(env->st, "S", 1, 0, (oms_fix_msg_cb)1, NULL),
                     OMS_ESTORE);
    assert_int_equal(oms_store_cursor_get(env->st, "k", &a), OMS_ESTORE);
    assert_int_equal(oms_store_get_order_by_clordid(env->st, NULL, "c1", &back), OMS_ESTORE);
    assert_int_equal(n, 0);
  }
  atomic_store(&env->fault.armed, 0);
  env->fault.match = NULL;
}

/* ---- FIX session state and sink cursors ---------------------------------------------- */

static int fix_collect(void *ctx, int64_t seqnum, const char *msg, size_t len) {
  char *out = ctx;
  size_t n = strlen(out);
  snprintf(out + n, 256 - n, "%lld:%.*s;", (long long)seqnum, (int)len, msg);
  return 0;
}

static void test_fix_seqnums_and_sent_messages_persist(void **state) {
  env_t *env = *state;
  open_store(env, false);
  int64_t in, out;
  assert_int_equal(oms_store_fix_get_seqnums(env->st, "GW1", &in, &out), OMS_ENOTFOUND);
  assert_int_equal(in, 1);
  assert_int_equal(out, 1);
  uint64_t t;
  assert_int_equal(oms_store_fix_set_seqnums(env->st, "GW1", 5, 9, &t), 0);
  for (int64_t s = 9; s <= 12; s++) {
    char msg[32];
    int n = snprintf(msg, sizeof msg, "8=FIX.4.4|34=%lld|", (long long)s);
    assert_int_equal(oms_store_fix_save_sent(env->st, "GW1", s, msg, (size_t)n, &t), 0);
  }
  assert_int_equal(oms_store_fix_save_sent(env->st, "GW2", 3, "x", 1, NULL), 0);
  assert_int_equal(oms_store_flush(env->st, WAIT_NS), 0);
  reopen(env);
  assert_int_equal(oms_store_fix_get_seqnums(env->st, "GW1", &in, &out), 0);
  assert_int_equal(in, 5);
  assert_int_equal(out, 13);
  char buf[256] = "";
  assert_int_equal(oms_store_fix_fetch_sent(env->st, "GW1", 10, 11, fix_collect, buf), 0);
  assert_string_equal(buf, "10:8=FIX.4.4|34=10|;11:8=FIX.4.4|34=11|;");
  buf[0] = '\0';
  assert_int_equal(oms_store_fix_fetch_sent(env->st, "GW1", 12, 0, fix_collect, buf), 0);
  assert_string_equal(buf, "12:8=FIX.4.4|34=12|;");
  assert_int_equal(oms_store_fix_reset(env->st, "GW1", &t), 0);
  assert_int_equal(oms_store_wait(env->st, t, WAIT_NS), 0);
  assert_int_equal(oms_store_fix_get_seqnums(env->st, "GW1", &in, &out), 0);
  assert_int_equal(out, 1);
  buf[0] = '\0';
  assert_int_equal(oms_store_fix_fetch_sent(env->st, "GW1", 1, 0, fix_collect, buf), 0);
  assert_string_equal(buf, "");
  buf[0] = '\0';
  assert_int_equal(oms_store_fix_fetch_sent(env->st, "GW2", 1, 0, fix_collect, buf), 0);
  assert_string_equal(buf, "3:x;");
  /* Argument checks. */
  static char big[OMS_STORE_FIX_MSG_MAX + 1];
  assert_int_equal(oms_store_fix_save_sent(env->st, "GW1", 1, big, sizeof big, &t), OMS_ENOSPC);
  assert_int_equal(oms_store_fix_save_sent(env->st, "", 1, "x", 1, &t), OMS_EINVAL);
  assert_int_equal(oms_store_fix_save_sent(env->st, "GW1", 0, "x", 1, &t), OMS_EINVAL);
  assert_int_equal(oms_store_fix_set_seqnums(env->st, "GW1", 0, 1, &t), OMS_EINVAL);
  assert_int_equal(oms_store_fix_reset(env->st, NULL, &t), OMS_EINVAL);
  assert_int_equal(oms_store_fix_get_seqnums(env->st, NULL, &in, &out), OMS_EINVAL);
  assert_int_equal(oms_store_fix_fetch_sent(env->st, "GW1", 1, 0, NULL, NULL), OMS_EINVAL);
}

static void test_sink_cursor_persists_across_restart(void **state) {
  env_t *env = *state;
  open_store(env, true);
  oms_cursor_store_t cs = oms_store_cursor_store(env->st);
  uint64_t seq = 99;
  assert_int_equal(cs.load(cs.ctx, "kafka", &seq), 0);
  assert_int_equal(seq, 0);
  assert_int_equal(cs.save(cs.ctx, "kafka", 41), 0);
  assert_int_equal(cs.save(cs.ctx, "kafka", 42), 0);
  reopen(env);
  cs = oms_store_cursor_store(env->st);
  assert_int_equal(cs.load(cs.ctx, "kafka", &seq), 0);
  assert_int_equal(seq, 42);
  assert_int_equal(oms_store_cursor_set(env->st, "", 1, NULL), OMS_EINVAL);
  assert_int_equal(oms_store_cursor_get(env->st, NULL, &seq), OMS_EINVAL);
}

typedef struct lim_list_s {
  uint64_t seq[4];
  char line[4][64], who[4][OMS_ID_MAX + 1];
  int n;
} lim_list_t;

static int lim_row(void *ctx, const oms_limit_change_row_t *r) {
  lim_list_t *l = ctx;
  if (l->n == 4) return 1;
  l->seq[l->n] = r->seq;
  snprintf(l->line[l->n], sizeof l->line[0], "%.*s", (int)r->len, r->line);
  snprintf(l->who[l->n], sizeof l->who[0], "%s", r->who);
  l->n++;
  return 0;
}

/* The SQLite engine keeps the limit changes in its own limit_changes table;
 * the memory store in memory. */
static void test_limit_changes_persist_in_sqlite_and_in_memory(void **state) {
  env_t *env = *state;
  open_store(env, false);
  uint64_t t = 0;
  assert_int_equal(oms_store_limit_append(env->st, 1, 10, "ops", "{\"x\":1}", 7, &t), 0);
  assert_int_equal(oms_store_limit_append(env->st, 2, 20, "admin", "{\"x\":2}", 7, &t), 0);
  assert_int_equal(oms_store_wait(env->st, t, WAIT_NS), 0);
  reopen(env);
  lim_list_t l = {0};
  assert_int_equal(oms_store_limit_changes(env->st, lim_row, &l), 0);
  assert_int_equal(l.n, 2);
  assert_true(l.seq[0] == 1 && l.seq[1] == 2);
  assert_string_equal(l.line[1], "{\"x\":2}");
  assert_string_equal(l.who[0], "ops");
  /* A read that fails is OMS_ESTORE; a callback's non-zero value stops it. */
  env->fault.match = "sqlite3_step(query)";
  fx_fault_arm(&env->fault, 1, SQ_IOERR, 1);
  assert_int_equal(oms_store_limit_changes(env->st, lim_row, &l), OMS_ESTORE);
  atomic_store(&env->fault.armed, 0);
  env->fault.match = NULL;
  l.n = 4;
  assert_int_equal(oms_store_limit_changes(env->st, lim_row, &l), 1);

  /* The memory store keeps them too since it is the journal store's view
   * while PostgreSQL is down (it answered OMS_EUNSUPPORTED before): by
   * seq, a second write of a seq replacing the first. */
  oms_store_t *m;
  assert_int_equal(oms_store_memory_create(NULL, &m), 0);
  assert_int_equal(oms_store_limit_append(m, 2, 2, "ops", "{}", 2, &t), 0);
  assert_true(t > 0);
  assert_int_equal(oms_store_limit_append(m, 1, 1, "ops", "{\"a\":1}", 7, &t), 0);
  assert_int_equal(oms_store_limit_append(m, 2, 3, "admin", "{\"x\":2}", 7, &t), 0);
  memset(&l, 0, sizeof l);
  assert_int_equal(oms_store_limit_changes(m, lim_row, &l), 0);
  assert_int_equal(l.n, 2);
  assert_true(l.seq[0] == 1 && l.seq[1] == 2);
  assert_string_equal(l.line[1], "{\"x\":2}");
  assert_string_equal(l.who[1], "admin");
  l.n = 4;
  assert_int_equal(oms_store_limit_changes(m, lim_row, &l), 1);
  oms_store_close(m);
}

static void test_close_writes_what_is_queued(void **state) {
  env_t *env = *state;
  open_store(env, false);
  oms_order_t o;
  for (uint64_t i = 1; i <= 50; i++) append_order(env, &o, i, "s1", "A1", 2, T0, 0, NULL);
  reopen(env); /* no flush: close drains the queue */
  assert_int_equal(count_events_from(env, 1), 100);
  oms_store_close(NULL);
}

static long file_size(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* Under a steady flow the WAL is checkpointed between batches (the
 * checkpointer thread copies, the writer finishes when idle, or at 4 x
 * checkpoint_pages under load) and restarts from its start: it stays bounded
 * instead of growing with every commit. When idle, the writer checkpoints
 * after checkpoint_idle_ns. */
static void test_wal_stays_bounded_under_steady_load(void **state) {
  env_t *env = *state;
  env->cfg.checkpoint_pages = 16;
  env->cfg.checkpoint_idle_ns = 5000000; /* 5 ms */
  env->cfg.writer_spin_ns = 20000;
  open_store(env, false);
  oms_order_t o;
  for (uint64_t i = 1; i <= 400; i++) { /* one commit per order */
    uint64_t t = append_order(env, &o, i, "s1", "A1", 2, T0, 0, NULL);
    assert_int_equal(oms_store_wait(env->st, t, WAIT_NS), 0);
  }
  assert_int_equal(oms_store_flush(env->st, WAIT_NS), 0);
  oms_store_stats_t st;
  oms_store_stats(env->st, &st);
  assert_true(st.checkpoints >= 2);
  char wal[160];
  snprintf(wal, sizeof wal, "%s-wal", env->dir.db);
  /* 400 orders write thousands of frames (4 KiB each) without checkpoints */
  long size = file_size(wal);
  if (!(size > 0 && size < 2L * 1024 * 1024))
    print_message("WAL %ld bytes, %llu checkpoints, %llu transactions\n", size,
                  (unsigned long long)st.checkpoints, (unsigned long long)st.transactions);
  assert_true(size > 0 && size < 2L * 1024 * 1024);
  /* idle: the writer checkpoints by itself. One more order first, so that
   * the WAL is not empty whatever the last batch's checkpoint did. */
  uint64_t before = st.checkpoints;
  uint64_t t = append_order(env, &o, 401, "s1", "A1", 2, T0, 0, NULL);
  assert_int_equal(oms_store_wait(env->st, t, WAIT_NS), 0);
  oms_store_stats(env->st, &st);
  for (int i = 0; i < 200 && st.checkpoints == before; i++) {
    usleep(2000);
    oms_store_stats(env->st, &st);
  }
  assert_true(st.checkpoints > before);
  assert_int_equal(count_events_from(env, 1), 802);
  /* a writer that never spins still commits and checkpoints */
  oms_store_close(env->st);
  env->st = NULL;
  env->cfg.writer_spin_ns = -1;
  open_store(env, false);
  for (uint64_t i = 402; i <= 500; i++) append_order(env, &o, i, "s1", "A1", 2, T0, 0, NULL);
  assert_int_equal(oms_store_flush(env->st, WAIT_NS), 0);
  assert_int_equal(count_events_from(env, 1), 1000);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_wal_stays_bounded_under_steady_load, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_creates_schema_at_latest_version, setup, teardown),
      cmocka_unit_test_setup_teardown(test_open_refuses_bad_config, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unit_is_stored_with_order_events_fills_and_position,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_every_order_query, setup, teardown),
      cmocka_unit_test_setup_teardown(test_audit_trail_replay_and_time_range, setup, teardown),
      cmocka_unit_test_setup_teardown(test_seq_must_increase_and_unsequenced_events_are_skipped,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_recovery_after_reopen_restores_state, setup, teardown),
      cmocka_unit_test_setup_teardown(test_group_commit_batches_appends_during_a_commit, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_queue_full_refuses_with_efull, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_sweep_async_disk_full, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_sweep_async_io_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fault_sweep_sync_busy, setup, teardown),
      cmocka_unit_test_setup_teardown(
          test_failed_store_takes_must_appends_and_writes_them_on_recovery, setup, teardown),
      cmocka_unit_test_setup_teardown(test_writer_retries_with_backoff_until_the_fault_clears,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_real_disk_full_refuses_then_recovers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_query_faults_report_estore, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fix_seqnums_and_sent_messages_persist, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sink_cursor_persists_across_restart, setup, teardown),
      cmocka_unit_test_setup_teardown(test_close_writes_what_is_queued, setup, teardown),
      cmocka_unit_test_setup_teardown(test_limit_changes_persist_in_sqlite_and_in_memory, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
