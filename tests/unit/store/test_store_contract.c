/* The store contract, run against every implementation through a small table
 * of constructors: the memory store (src/store/store_memory.c), the SQLite
 * store, with its writer thread and synchronous, and the journal store with
 * its projection in SQLite and in PostgreSQL (a throwaway cluster of this
 * process, pg_fixture.h; skipped, loudly, without PostgreSQL unless CI is
 * set). Plus what is particular to the memory store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "oms/portfolio.h"
#include "store/store_int.h"
#include "unit/store/parent_fixture.h"
#include "unit/store/pg_fixture.h"
#include "unit/store/store_fixture.h"

#define WAIT_NS INT64_C(10000000000)

typedef struct env_s {
  fx_dir_t dir;
  oms_store_config_t cfg;
  oms_store_t *st;
  uint64_t seq;
  _Atomic uint64_t durable_cb; /* the last ticket on_durable reported */
} env_t;

typedef int (*ctor_fn)(env_t *env);

static void on_durable(void *ctx, uint64_t ticket) {
  env_t *env = ctx;
  atomic_store(&env->durable_cb, ticket);
}

static int make_memory(env_t *env) { return oms_store_memory_create(&env->cfg, &env->st); }

static int make_sqlite_async(env_t *env) {
  env->cfg.synchronous = false;
  return oms_store_sqlite_open(&env->cfg, &env->st);
}

static int make_sqlite_sync(env_t *env) {
  env->cfg.synchronous = true;
  return oms_store_sqlite_open(&env->cfg, &env->st);
}

/* The journal store: its journal in <dir>/journal, the projection in the
 * fixture's database. */
static int make_journal(env_t *env) {
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, env->dir.journal, env->dir.db);
  jc.durability = env->cfg.durability;
  jc.segment_bytes = 1 << 20;
  jc.on_durable = env->cfg.on_durable;
  jc.ctx = env->cfg.ctx;
  return oms_store_journal_open(&jc, &env->st);
}

static fx_pg_t pg; /* the process's cluster: every env an instance of its own */

/* The journal store with its projection in PostgreSQL. */
static int make_journal_pg(env_t *env) {
  static int n;
  char instance[32];
  snprintf(instance, sizeof instance, "contract%d_%d", (int)getpid(), ++n);
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, env->dir.journal, env->dir.db);
  jc.durability = env->cfg.durability;
  jc.segment_bytes = 1 << 20;
  jc.on_durable = env->cfg.on_durable;
  jc.ctx = env->cfg.ctx;
  jc.pg_conninfo = pg.conninfo;
  jc.instance = instance;
  return oms_store_journal_open(&jc, &env->st);
}

/* lsn_tickets: the store's tickets are the journal's LSNs (the last record
 * of each append: an append of n events takes n), not 1, 2, 3 per append. */
static const struct {
  const char *name;
  ctor_fn make;
  bool lsn_tickets;
  bool pg; /* runs when the cluster is up */
} ctors[] = {
    {"memory", make_memory, false, false},
    {"sqlite", make_sqlite_async, false, false},
    {"sqlite-sync", make_sqlite_sync, false, false},
    {"journal", make_journal, true, false},
    {"journal-postgres", make_journal_pg, true, true},
};
#define N_CTORS (sizeof ctors / sizeof ctors[0])

static void env_open(env_t *env, size_t k) {
  memset(env, 0, sizeof *env);
  fx_dir_make(&env->dir);
  oms_store_config_init(&env->cfg, env->dir.db);
  env->cfg.durability = OMS_DURABILITY_OS;
  env->cfg.on_durable = on_durable;
  env->cfg.ctx = env;
  assert_int_equal(ctors[k].make(env), 0);
  assert_non_null(env->st);
}

static void env_close(env_t *env) {
  oms_store_close(env->st);
  env->st = NULL;
  assert_int_equal(fx_dir_remove(&env->dir), 0);
}

static void flush(env_t *env) { assert_int_equal(oms_store_flush(env->st, WAIT_NS), 0); }

/* Appends order id's lifecycle (submit, accept, fills) up to `steps` events
 * as one unit. Returns the ticket. */
static uint64_t append_order(env_t *env, oms_order_t *o, uint64_t id, const char *strategy,
                             const char *account, const char *symbol, int steps, int64_t now) {
  oms_event_t ev[4];
  static const oms_ord_event_t seq_ev[4] = {OMS_EV_SUBMIT, OMS_EV_ACCEPT, OMS_EV_FILL, OMS_EV_FILL};
  static const char *qty[4] = {NULL, NULL, "0.5", "1.5"};
  fx_order(o, id, strategy, account, symbol, now);
  for (int i = 0; i < steps; i++)
    fx_apply(o, seq_ev[i], qty[i], qty[i] ? "100" : NULL, now + i, ++env->seq, &ev[i]);
  oms_store_unit_t u = {ev, (size_t)steps};
  uint64_t ticket = 0;
  assert_int_equal(oms_store_append(env->st, &u, 0, &ticket), 0);
  return ticket;
}

static int collect_ids(void *ctx, const oms_order_t *o) {
  uint64_t *ids = ctx;
  ids[++ids[0]] = o->order_id;
  return 0;
}

static uint64_t *query_ids(env_t *env, const oms_order_query_t *q) {
  static uint64_t ids[32];
  ids[0] = 0;
  assert_int_equal(oms_store_query_orders(env->st, q, collect_ids, ids), 0);
  return ids;
}

static int collect_seqs(void *ctx, const oms_event_t *ev) {
  uint64_t *s = ctx;
  s[++s[0]] = ev->seq;
  return 0;
}

static int stop_at_first(void *ctx, const oms_order_t *o) {
  (void)o;
  (*(int *)ctx)++;
  return 42;
}

static int count_fills(void *ctx, const oms_fill_row_t *f) {
  (*(int *)ctx)++;
  assert_string_equal(f->symbol, "BTC-USD");
  assert_int_equal(f->side, OMS_SIDE_BUY);
  assert_true(oms_dec_eq(f->fill.price, T_D("100")));
  assert_true(oms_dec_eq(f->fill.fee, T_D("0.01")));
  assert_int_equal(f->fill.liquidity, 'T');
  assert_true(f->fill.exec_id[0] == 'X');
  return 0;
}

static int collect_positions(void *ctx, const oms_position_t *p) {
  char *out = ctx;
  strcat(out, p->account_id);
  strcat(out, "/");
  strcat(out, p->symbol);
  strcat(out, "=");
  char q[OMS_DEC_STRLEN];
  oms_dec_format(p->qty, q, sizeof q);
  strcat(out, q);
  strcat(out, ";");
  return 0;
}

static int collect_tstates(void *ctx, const oms_trading_state_row_t *t) {
  char *out = ctx;
  char line[512];
  snprintf(line, sizeof line, "%u:%s:%u:%s:%llu;", t->scope_kind, t->scope_id, t->state, t->reason,
           (unsigned long long)t->event_seq);
  strcat(out, line);
  return 0;
}

/* ---- The contract ------------------------------------------------------------------ */

static void contract_unit_and_reads(size_t k) {
  env_t env;
  env_open(&env, k);
  oms_order_t o1, o2, o3, back;
  uint64_t t1 = append_order(&env, &o1, 1, "s1", "A1", "BTC-USD", 4, T0);
  uint64_t t2 = append_order(&env, &o2, 2, "s1", "A2", "ETH-USD", 2, T0 + 100);
  uint64_t t3 = append_order(&env, &o3, 3, "s2", "A1", "BTC-USD", 1, T0 + 200);
  if (ctors[k].lsn_tickets) /* 4 events, 2, 1 */
    assert_true(t1 == 4 && t2 == 6 && t3 == 7);
  else
    assert_true(t1 == 1 && t2 == 2 && t3 == 3);
  flush(&env);
  assert_true(oms_store_durable_ticket(env.st) >= t3);
  assert_int_equal(oms_store_wait(env.st, 3, WAIT_NS), 0);
  if (!env.cfg.synchronous) /* the synchronous SQLite store has no writer to call it */
    assert_int_equal(atomic_load(&env.durable_cb), t3);

  assert_int_equal(oms_store_get_order(env.st, 1, &back), 0);
  assert_true(fx_same_order(&back, &o1));
  assert_int_equal(oms_store_get_order(env.st, 9, &back), OMS_ENOTFOUND);
  assert_int_equal(oms_store_get_order_by_clordid(env.st, "s1", "c2", &back), 0);
  assert_int_equal(back.order_id, 2);
  assert_int_equal(oms_store_get_order_by_clordid(env.st, NULL, "c3", &back), 0);
  assert_int_equal(oms_store_get_order_by_clordid(env.st, "s1", "c3", &back), OMS_ENOTFOUND);

  uint64_t seqs[16] = {0};
  assert_int_equal(oms_store_events_for_order(env.st, 1, collect_seqs, seqs), 0);
  assert_int_equal(seqs[0], 4);
  assert_int_equal(seqs[1], 1);
  assert_int_equal(seqs[4], 4);
  seqs[0] = 0;
  assert_int_equal(oms_store_events_from(env.st, 5, 0, collect_seqs, seqs), 0);
  assert_int_equal(seqs[0], 3);
  assert_int_equal(seqs[1], 5);
  seqs[0] = 0;
  assert_int_equal(oms_store_events_from(env.st, 2, 2, collect_seqs, seqs), 0);
  assert_int_equal(seqs[0], 2);
  assert_int_equal(seqs[2], 3);
  seqs[0] = 0;
  assert_int_equal(oms_store_events_between(env.st, T0 + 100, T0 + 200, collect_seqs, seqs), 0);
  assert_int_equal(seqs[0], 2); /* order 2's two events */

  int nf = 0;
  assert_int_equal(oms_store_fills_for_order(env.st, 1, count_fills, &nf), 0);
  assert_int_equal(nf, 2);
  nf = 0;
  assert_int_equal(oms_store_fills_for_order(env.st, 2, count_fills, &nf), 0);
  assert_int_equal(nf, 0);

  char pos[256] = "";
  assert_int_equal(oms_store_load_positions(env.st, collect_positions, pos), 0);
  assert_string_equal(pos, "A1/BTC-USD=2;"); /* order 1's two fills; A2 never filled */

  uint64_t last_seq, last_order;
  assert_int_equal(oms_store_last_seqs(env.st, &last_seq, &last_order), 0);
  assert_int_equal(last_seq, 7);
  assert_int_equal(last_order, 3);

  oms_store_stats_t st;
  oms_store_stats(env.st, &st);
  assert_int_equal(st.appends, 3);
  assert_int_equal(st.records, 4 + 2 + 1);
  assert_int_equal(st.queued, 0);
  assert_false(oms_store_failed(env.st));
  env_close(&env);
}

/* A fill event (seq from env) of qty at px on a new order of that size. */
static void fill_event(env_t *env, oms_event_t *ev, uint64_t id, oms_side_t side,
                       const char *account, const char *symbol, const char *qty, const char *px,
                       const char *mult, int64_t now) {
  oms_order_t o;
  fx_order(&o, id, "s1", account, symbol, now);
  o.side = side;
  o.qty = o.leaves_qty = T_D(qty);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, now, 0, ev);
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, now, 0, ev);
  fx_apply(&o, OMS_EV_FILL, qty, px, now, ++env->seq, ev);
  ev->fill.multiplier = mult ? T_D(mult) : OMS_DEC_ZERO;
}

static void assert_position(env_t *env, const char *account, const char *symbol, const char *qty,
                            const char *avg, const char *realized, const char *fees,
                            uint64_t last_seq) {
  oms_position_t p;
  assert_int_equal(oms_store_get_position(env->st, account, symbol, &p), 0);
  assert_string_equal(p.account_id, account);
  assert_string_equal(p.symbol, symbol);
  assert_true(oms_dec_eq(p.qty, T_D(qty)));
  assert_true(oms_dec_eq(p.avg_px, T_D(avg)));
  assert_true(oms_dec_eq(p.realized_pnl, T_D(realized)));
  assert_true(oms_dec_eq(p.fees, T_D(fees)));
  assert_int_equal(p.last_fill_seq, last_seq);
}

/* Books every stored fill into portfolio ctx, as the engine does. */
static int book_into(void *ctx, const oms_event_t *e) {
  if (e->type == OMS_EVT_ORDER_PARTIALLY_FILLED || e->type == OMS_EVT_ORDER_FILLED)
    oms_portfolio_apply_fill(ctx, e->order.account_id, e->order.symbol, e->order.side, e->fill.qty,
                             e->fill.price, e->fill.fee, e->event_ns);
  return 0;
}

/* The positions table is booked from the fills as they are stored, with the
 * portfolio's arithmetic: it equals a portfolio fed the same fills. */
static void contract_positions_follow_the_fills(size_t k) {
  env_t env;
  env_open(&env, k);
  oms_event_t ev[4];
  /* Buy 2 @ 100, then buy 1 @ 103 in the same unit: the second fill reads
   * the position the first wrote in the same transaction. */
  fill_event(&env, &ev[0], 1, OMS_SIDE_BUY, "A1", "ES", "2", "100", "10", T0);
  fill_event(&env, &ev[1], 2, OMS_SIDE_BUY, "A1", "ES", "1", "103", "10", T0 + 1);
  oms_store_unit_t u = {ev, 2};
  uint64_t t;
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  /* Sell 4 @ 110: closes 3 (realizing (110 - 101) * 3 * 10 = 270) and opens
   * 1 short at 110. Another account and a fill stored before format 3
   * (multiplier 0, taken as 1) in another symbol. */
  fill_event(&env, &ev[0], 3, OMS_SIDE_SELL, "A1", "ES", "4", "110", "10", T0 + 2);
  fill_event(&env, &ev[1], 4, OMS_SIDE_SELL, "A2", "ES", "1", "99.5", "10", T0 + 3);
  fill_event(&env, &ev[2], 5, OMS_SIDE_BUY, "A1", "BTC-USD", "0.5", "200", NULL, T0 + 4);
  u.n_events = 3;
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  /* A fill the portfolio refuses (no price) is stored as a fill and moves
   * no position; a transient (seq 0) fill is not stored at all. */
  fill_event(&env, &ev[0], 6, OMS_SIDE_BUY, "A3", "ES", "1", "1", "10", T0 + 5);
  ev[0].fill.price = OMS_DEC_ZERO;
  fill_event(&env, &ev[1], 7, OMS_SIDE_BUY, "A1", "ES", "1", "1", "10", T0 + 6);
  ev[1].seq = 0;
  u.n_events = 2;
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  flush(&env);

  assert_position(&env, "A1", "ES", "-1", "110", "270", "0.03", 3);
  assert_position(&env, "A2", "ES", "-1", "99.5", "0", "0.01", 4);
  assert_position(&env, "A1", "BTC-USD", "0.5", "200", "0", "0.01", 5);
  oms_position_t p;
  assert_int_equal(oms_store_get_position(env.st, "A3", "ES", &p), OMS_ENOTFOUND);
  assert_int_equal(p.qty.raw, 0);
  assert_int_equal(oms_store_get_position(env.st, "", "ES", &p), OMS_EINVAL);
  assert_int_equal(oms_store_get_position(env.st, "A1", NULL, &p), OMS_EINVAL);
  char all[256] = "";
  assert_int_equal(oms_store_load_positions(env.st, collect_positions, all), 0);
  assert_string_equal(all, "A1/BTC-USD=0.5;A1/ES=-1;A2/ES=-1;");

  /* The same fills through a portfolio give the same figures. */
  oms_portfolio_config_t pc = {.max_accounts = 4, .max_symbols = 4, .max_positions = 8};
  oms_portfolio_t *pf = NULL;
  assert_int_equal(oms_portfolio_create(&pc, &pf), 0);
  assert_int_equal(oms_portfolio_set_instrument(pf, "ES", T_D("10"), OMS_DEC_ZERO), 0);
  assert_int_equal(oms_portfolio_set_instrument(pf, "BTC-USD", OMS_DEC_ZERO, OMS_DEC_ZERO), 0);
  assert_int_equal(oms_store_events_from(env.st, 1, 0, book_into, pf), 0);
  const char *keys[3][2] = {{"A1", "ES"}, {"A2", "ES"}, {"A1", "BTC-USD"}};
  for (int i = 0; i < 3; i++) {
    oms_pf_position_t want;
    assert_int_equal(oms_portfolio_position(pf, keys[i][0], keys[i][1], &want), 0);
    assert_int_equal(oms_store_get_position(env.st, keys[i][0], keys[i][1], &p), 0);
    assert_true(oms_dec_eq(p.qty, want.qty));
    assert_true(oms_dec_eq(p.avg_px, want.avg_px));
    assert_true(oms_dec_eq(p.realized_pnl, want.realized_pnl));
    assert_true(oms_dec_eq(p.fees, want.fees));
  }
  oms_portfolio_destroy(pf);
  env_close(&env);
}

static void contract_queries(size_t k) {
  env_t env;
  env_open(&env, k);
  oms_order_t o;
  append_order(&env, &o, 1, "s1", "A1", "BTC-USD", 4, T0);       /* FILLED */
  append_order(&env, &o, 2, "s1", "A2", "ETH-USD", 2, T0 + 100); /* ACCEPTED */
  append_order(&env, &o, 3, "s2", "A1", "BTC-USD", 1, T0 + 200); /* SUBMITTED */
  flush(&env);
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  uint64_t *ids = query_ids(&env, &q);
  assert_int_equal(ids[0], 3);
  assert_true(ids[1] == 1 && ids[2] == 2 && ids[3] == 3);
  q.limit = 2;
  assert_int_equal(query_ids(&env, &q)[0], 2);
  memset(&q, 0, sizeof q);
  q.order_id = 2;
  assert_int_equal(query_ids(&env, &q)[1], 2);
  memset(&q, 0, sizeof q);
  q.strategy_id = "s1";
  q.account_id = "A1";
  assert_int_equal(query_ids(&env, &q)[0], 1);
  memset(&q, 0, sizeof q);
  q.symbol = "BTC-USD";
  q.client_order_id = "c3";
  ids = query_ids(&env, &q);
  assert_true(ids[0] == 1 && ids[1] == 3);
  memset(&q, 0, sizeof q);
  q.created_from_ns = T0 + 100;
  q.created_to_ns = T0 + 200;
  ids = query_ids(&env, &q);
  assert_true(ids[0] == 1 && ids[1] == 2);
  static const struct {
    oms_state_class_t c;
    uint64_t n;
  } classes[] = {{OMS_STATE_CLASS_ACTIVE, 2},    {OMS_STATE_CLASS_FILLED, 1},
                 {OMS_STATE_CLASS_CANCELLED, 0}, {OMS_STATE_CLASS_REJECTED, 0},
                 {OMS_STATE_CLASS_EXPIRED, 0},   {OMS_STATE_CLASS_TERMINAL, 1}};
  for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++) {
    memset(&q, 0, sizeof q);
    q.state_class = classes[i].c;
    assert_int_equal(query_ids(&env, &q)[0], classes[i].n);
  }
  int n = 0;
  assert_int_equal(oms_store_load_active(env.st, fx_count_orders, &n), 0);
  assert_int_equal(n, 2);
  n = 0;
  memset(&q, 0, sizeof q);
  assert_int_equal(oms_store_query_orders(env.st, &q, stop_at_first, &n), 42);
  assert_int_equal(n, 1);
  q.state_class = (oms_state_class_t)99;
  assert_int_equal(oms_store_query_orders(env.st, &q, fx_count_orders, &n), OMS_EINVAL);
  assert_int_equal(oms_store_query_orders(env.st, NULL, fx_count_orders, &n), OMS_EINVAL);
  env_close(&env);
}

static void contract_seq_rules_and_trading_states(size_t k) {
  env_t env;
  env_open(&env, k);
  oms_event_t ev[3];
  memset(ev, 0, sizeof ev);
  for (int i = 0; i < 3; i++) {
    ev[i].type = OMS_EVT_TRADING_STATE_CHANGED;
    ev[i].event_ns = T0 + i;
    ev[i].scope_kind = (uint8_t)(i == 2 ? 2 : 1);
    strcpy(ev[i].scope_id, i == 2 ? "s1" : "ALL");
    ev[i].new_state = (uint8_t)(i + 1);
    snprintf(ev[i].text, sizeof ev[i].text, "why %d", i);
  }
  ev[0].seq = 5;
  ev[1].seq = 0; /* transient: not stored */
  ev[2].seq = 6;
  oms_store_unit_t u = {ev, 3};
  uint64_t t;
  assert_int_equal(oms_store_append(env.st, &u, 0, &t), 0);
  assert_int_equal(t, ctors[k].lsn_tickets ? 2 : 1); /* 2 records: LSN 1, 2 */
  /* seq not above the last: refused, nothing queued */
  oms_store_unit_t bad = {ev, 1};
  assert_int_equal(oms_store_append(env.st, &bad, 0, &t), OMS_EINVAL);
  assert_int_equal(t, 0);
  assert_int_equal(oms_store_append(env.st, NULL, 0, &t), OMS_EINVAL);
  /* a unit with nothing to store still gets its ticket */
  oms_store_unit_t empty = {ev + 1, 1};
  assert_int_equal(oms_store_append(env.st, &empty, 0, &t), 0);
  assert_int_equal(t, 2); /* journal: durable with what came before, LSN 2 */
  /* a later change of the same scope replaces the row */
  ev[0].seq = 7;
  ev[0].new_state = 3;
  assert_int_equal(oms_store_append(env.st, &bad, 0, &t), 0);
  flush(&env);
  char rows[256] = "";
  assert_int_equal(oms_store_load_trading_states(env.st, collect_tstates, rows), 0);
  assert_string_equal(rows, "1:ALL:3:why 0:7;2:s1:3:why 2:6;");
  uint64_t seqs[8] = {0};
  assert_int_equal(oms_store_events_from(env.st, 0, 0, collect_seqs, seqs), 0);
  assert_true(seqs[0] == 3 && seqs[1] == 5 && seqs[2] == 6 && seqs[3] == 7);
  oms_store_stats_t st;
  oms_store_stats(env.st, &st);
  assert_true(st.refused >= 2);
  env_close(&env);
}

typedef struct msgs_s {
  int n;
  int64_t seqnums[8];
  char text[128];
} msgs_t;

static int collect_msg(void *ctx, int64_t seqnum, const char *msg, size_t len) {
  msgs_t *m = ctx;
  m->seqnums[m->n++] = seqnum;
  if (len) strncat(m->text, msg, len);
  strcat(m->text, "|");
  return 0;
}

static void contract_fix_state_and_cursors(size_t k) {
  env_t env;
  env_open(&env, k);
  int64_t in, out;
  uint64_t t;
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S1", &in, &out), OMS_ENOTFOUND);
  assert_true(in == 1 && out == 1);
  assert_int_equal(oms_store_fix_set_seqnums(env.st, "S1", 5, 7, &t), 0);
  assert_int_equal(oms_store_fix_save_sent(env.st, "S1", 7, "m7", 2, &t), 0);
  assert_int_equal(oms_store_fix_save_sent(env.st, "S1", 8, "m8", 2, &t), 0);
  assert_int_equal(oms_store_fix_save_sent(env.st, "S1", 7, "m7b", 3, &t), 0); /* replaces */
  assert_int_equal(oms_store_fix_save_sent(env.st, "S2", 3, "x", 1, NULL), 0); /* new session */
  assert_int_equal(oms_store_fix_save_sent(env.st, "S1", 9, NULL, 0, &t), 0);
  flush(&env);
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S1", &in, &out), 0);
  assert_true(in == 5 && out == 10);
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S2", &in, &out), 0);
  assert_true(in == 1 && out == 4);
  msgs_t m;
  memset(&m, 0, sizeof m);
  assert_int_equal(oms_store_fix_fetch_sent(env.st, "S1", 7, 8, collect_msg, &m), 0);
  assert_int_equal(m.n, 2);
  assert_string_equal(m.text, "m7b|m8|");
  memset(&m, 0, sizeof m);
  assert_int_equal(oms_store_fix_fetch_sent(env.st, "S1", 8, 0, collect_msg, &m), 0);
  assert_int_equal(m.n, 2);
  assert_int_equal(m.seqnums[1], 9);
  assert_int_equal(oms_store_fix_reset(env.st, "S1", &t), 0);
  flush(&env);
  memset(&m, 0, sizeof m);
  assert_int_equal(oms_store_fix_fetch_sent(env.st, "S1", 1, 0, collect_msg, &m), 0);
  assert_int_equal(m.n, 0);
  memset(&m, 0, sizeof m);
  assert_int_equal(oms_store_fix_fetch_sent(env.st, "S2", 1, 0, collect_msg, &m), 0);
  assert_int_equal(m.n, 1);
  assert_int_equal(oms_store_fix_get_seqnums(env.st, "S1", &in, &out), 0);
  assert_true(in == 1 && out == 1);
  /* bad arguments */
  char big[OMS_STORE_FIX_MSG_MAX + 1];
  memset(big, 'x', sizeof big);
  assert_int_equal(oms_store_fix_save_sent(env.st, "S1", 1, big, sizeof big, &t), OMS_ENOSPC);
  assert_int_equal(oms_store_fix_save_sent(env.st, "S1", 0, "a", 1, &t), OMS_EINVAL);
  assert_int_equal(oms_store_fix_save_sent(env.st, "", 1, "a", 1, &t), OMS_EINVAL);
  assert_int_equal(oms_store_fix_save_sent(env.st, "S1", 1, NULL, 1, &t), OMS_EINVAL);
  assert_int_equal(oms_store_fix_set_seqnums(env.st, "S1", 0, 1, &t), OMS_EINVAL);
  assert_int_equal(oms_store_fix_reset(env.st, NULL, &t), OMS_EINVAL);
  assert_int_equal(oms_store_fix_get_seqnums(env.st, NULL, &in, &out), OMS_EINVAL);
  assert_int_equal(oms_store_fix_fetch_sent(env.st, "S1", 1, 0, NULL, &m), OMS_EINVAL);

  /* sink cursors, directly and as the bus sees them */
  uint64_t seq = 99;
  assert_int_equal(oms_store_cursor_get(env.st, "nats", &seq), 0);
  assert_int_equal(seq, 0);
  assert_int_equal(oms_store_cursor_set(env.st, "nats", 12, &t), 0);
  oms_cursor_store_t cs = oms_store_cursor_store(env.st);
  assert_int_equal(cs.save(cs.ctx, "pg", 4), 0);
  assert_int_equal(cs.save(cs.ctx, "nats", 13), 0);
  flush(&env);
  assert_int_equal(oms_store_cursor_get(env.st, "nats", &seq), 0);
  assert_int_equal(seq, 13);
  assert_int_equal(cs.load(cs.ctx, "pg", &seq), 0);
  assert_int_equal(seq, 4);
  assert_int_equal(oms_store_cursor_get(env.st, "", &seq), OMS_EINVAL);
  assert_int_equal(oms_store_cursor_set(env.st, NULL, 1, &t), OMS_EINVAL);
  env_close(&env);
}

static int replay_cb(void *ctx, const oms_event_t *ev) {
  (void)ev;
  (*(int *)ctx)++;
  return 0;
}

static void contract_replay_source(size_t k) {
  env_t env;
  env_open(&env, k);
  oms_order_t o;
  append_order(&env, &o, 1, "s1", "A1", "BTC-USD", 3, T0);
  flush(&env);
  oms_replay_source_t src = oms_store_replay_source(env.st);
  int n = 0;
  assert_int_equal(src.read(src.ctx, 2, 0, replay_cb, &n), 0);
  assert_int_equal(n, 2);
  env_close(&env);
}

/* Appends order id at venue, up to steps of its lifecycle. */
static void append_at_venue(env_t *env, uint64_t id, const char *venue, int steps, int64_t now) {
  oms_event_t ev[2];
  static const oms_ord_event_t seq_ev[2] = {OMS_EV_SUBMIT, OMS_EV_ACCEPT};
  oms_order_t o;
  fx_order(&o, id, "s1", "A1", "BTC-USD", now);
  memset(o.venue, 0, sizeof o.venue);
  strcpy(o.venue, venue);
  for (int i = 0; i < steps; i++) fx_apply(&o, seq_ev[i], NULL, NULL, now + i, ++env->seq, &ev[i]);
  oms_store_unit_t u = {ev, (size_t)steps};
  uint64_t ticket = 0;
  assert_int_equal(oms_store_append(env->st, &u, 0, &ticket), 0);
}

/* The admin API's filters: venue, a set of states, and paging after an id. */
static void contract_queries_by_venue_states_and_page(size_t k) {
  env_t env;
  env_open(&env, k);
  append_at_venue(&env, 1, "SIM", 1, T0);  /* SUBMITTED */
  append_at_venue(&env, 2, "LMAX", 2, T0); /* ACCEPTED */
  append_at_venue(&env, 3, "SIM", 2, T0);  /* ACCEPTED */
  append_at_venue(&env, 4, "LMAX", 1, T0); /* SUBMITTED */
  oms_order_t o;
  append_order(&env, &o, 5, "s1", "A1", "BTC-USD", 4, T0); /* FILLED at SIM */
  flush(&env);
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  q.venue = "LMAX";
  uint64_t *ids = query_ids(&env, &q);
  assert_true(ids[0] == 2 && ids[1] == 2 && ids[2] == 4);
  memset(&q, 0, sizeof q);
  q.states = 1u << OMS_STATE_ACCEPTED;
  ids = query_ids(&env, &q);
  assert_true(ids[0] == 2 && ids[1] == 2 && ids[2] == 3);
  q.states |= 1u << OMS_STATE_FILLED;
  q.state_class = OMS_STATE_CLASS_ACTIVE; /* ignored when states is set */
  ids = query_ids(&env, &q);
  assert_true(ids[0] == 3 && ids[1] == 2 && ids[2] == 3 && ids[3] == 5);
  q.states = 1u << 30; /* no such state: nothing */
  assert_int_equal(query_ids(&env, &q)[0], 0);
  /* Pages of two, each after the last id of the one before. */
  memset(&q, 0, sizeof q);
  q.limit = 2;
  ids = query_ids(&env, &q);
  assert_true(ids[0] == 2 && ids[1] == 1 && ids[2] == 2);
  q.after_order_id = 2;
  ids = query_ids(&env, &q);
  assert_true(ids[0] == 2 && ids[1] == 3 && ids[2] == 4);
  q.after_order_id = 4;
  ids = query_ids(&env, &q);
  assert_true(ids[0] == 1 && ids[1] == 5);
  q.after_order_id = 5;
  assert_int_equal(query_ids(&env, &q)[0], 0);
  /* Everything together. */
  memset(&q, 0, sizeof q);
  q.venue = "SIM";
  q.states = (1u << OMS_STATE_SUBMITTED) | (1u << OMS_STATE_ACCEPTED);
  q.after_order_id = 1;
  ids = query_ids(&env, &q);
  assert_true(ids[0] == 1 && ids[1] == 3);
  env_close(&env);
}

/* A smart parent's BestExecution event: its rows, read back; the event is
 * in the parent's history; another order has no record. */
static void contract_best_execution(size_t k) {
  env_t env;
  env_open(&env, k);
  oms_order_t o;
  oms_event_t evs[3];
  fx_order(&o, 7, "s1", "A1", "BTC-USD", T0);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, ++env.seq, &evs[0]);
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0 + 1, ++env.seq, &evs[1]);
  oms_sor_bestex_t bx;
  memset(&bx, 0, sizeof bx);
  bx.parent_id = 7;
  bx.side = OMS_SIDE_BUY;
  bx.arrival_ns = T0;
  bx.arrival_bid = T_D("99.5");
  bx.arrival_ask = T_D("100");
  bx.qty = T_D("3");
  bx.filled = T_D("2");
  bx.notional = T_D("199.5");
  bx.fees = T_D("-0.25");
  bx.nvenues = 2;
  strcpy(bx.venue[0].venue, "A");
  bx.venue[0].qty = T_D("1.5");
  bx.venue[0].notional = T_D("150");
  bx.venue[0].fees = T_D("0.05");
  bx.venue[0].children = 2;
  strcpy(bx.venue[1].venue, "B");
  bx.venue[1].qty = T_D("0.5");
  bx.venue[1].notional = T_D("49.5");
  bx.venue[1].fees = T_D("-0.3");
  bx.venue[1].children = 1;
  assert_int_equal(oms_sor_bestex_finish(&bx), 0);
  const uint32_t fills[2] = {3, 1};
  oms_event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = OMS_EVT_BEST_EXECUTION;
  /* the order's own state rides on the record (a copy, as the engine's) */
  ev.order = o;
  ev.seq = ++env.seq;
  ev.event_ns = T0 + 9;
  int n = oms_store_bestex_encode(&bx, fills, ev.algo, sizeof ev.algo);
  assert_true(n > 0);
  ev.algo_len = (uint16_t)n;
  /* in the same unit as the order's events: the order's row is still
   * written from its last order event */
  evs[2] = ev;
  oms_store_unit_t u = {evs, 3};
  uint64_t ticket;
  assert_int_equal(oms_store_append(env.st, &u, 0, &ticket), 0);
  flush(&env);
  oms_order_t back;
  assert_int_equal(oms_store_get_order(env.st, 7, &back), 0);
  assert_int_equal(back.state, OMS_STATE_ACCEPTED);
  oms_bestex_row_t r;
  assert_int_equal(oms_store_get_best_execution(env.st, 7, &r), 0);
  assert_int_equal(r.bx.parent_id, 7);
  assert_int_equal(r.bx.side, OMS_SIDE_BUY);
  assert_string_equal(r.account_id, "A1");
  assert_string_equal(r.symbol, "BTC-USD");
  assert_int_equal(r.bx.arrival_ns, T0);
  assert_int_equal(r.event_seq, ev.seq);
  assert_int_equal(r.event_ns, T0 + 9);
  assert_true(oms_dec_eq(r.bx.arrival_bid, bx.arrival_bid));
  assert_true(oms_dec_eq(r.bx.filled, bx.filled));
  assert_true(oms_dec_eq(r.bx.avg_px, T_D("99.75")));
  assert_true(oms_dec_eq(r.bx.improvement_px, bx.improvement_px));
  assert_true(oms_dec_eq(r.bx.improvement, bx.improvement));
  assert_true(oms_dec_eq(r.bx.eff_spread_px, bx.eff_spread_px));
  assert_true(oms_dec_eq(r.bx.fees, T_D("-0.25")));
  assert_int_equal(r.bx.nvenues, 2);
  assert_string_equal(r.bx.venue[0].venue, "A");
  assert_int_equal(r.fills[0], 3);
  assert_int_equal(r.bx.venue[0].children, 2);
  assert_true(oms_dec_eq(r.bx.venue[0].notional, T_D("150")));
  assert_string_equal(r.bx.venue[1].venue, "B");
  assert_int_equal(r.fills[1], 1);
  assert_true(oms_dec_eq(r.bx.venue[1].fees, T_D("-0.3")));
  uint64_t seqs[8] = {0};
  assert_int_equal(oms_store_events_for_order(env.st, 7, collect_seqs, seqs), 0);
  assert_int_equal(seqs[0], 3);
  assert_int_equal(seqs[3], ev.seq);
  assert_int_equal(oms_store_get_best_execution(env.st, 8, &r), OMS_ENOTFOUND);
  assert_int_equal(oms_store_get_best_execution(env.st, 0, &r), OMS_EINVAL);
  env_close(&env);
}

/* Parent orders (schema 7 in SQLite, migration 2 in PostgreSQL): the
 * children by parent (paged) on every store; the parents' progress on every
 * store with a projection (the memory store has none: OMS_EUNSUPPORTED). */
typedef struct prow_s {
  oms_parent_row_t p[4];
  size_t n;
} prow_t;

static int take_prow(void *ctx, const oms_parent_row_t *p) {
  prow_t *r = ctx;
  if (r->n < 4) r->p[r->n++] = *p;
  return 0;
}

static size_t parent_rows(env_t *env, const oms_parent_query_t *q, prow_t *r) {
  memset(r, 0, sizeof *r);
  assert_int_equal(oms_store_query_parents(env->st, q, take_prow, r), 0);
  return r->n;
}

static void contract_parents(size_t k) {
  env_t env;
  env_open(&env, k);
  world_t w1, w2;
  make_world(&w1, 10, "A1", "BTC-USD", 1);
  make_world(&w2, 20, "A2", "ETH-USD", 6);
  oms_store_unit_t u1 = {w1.ev, w1.n}, u2 = {w2.ev, w2.n};
  uint64_t t;
  assert_int_equal(oms_store_append(env.st, &u1, 0, &t), 0);
  assert_int_equal(oms_store_append(env.st, &u2, 0, &t), 0);
  flush(&env);
  oms_order_query_t oq = {.parent_order_id = 10};
  uint64_t *ids = query_ids(&env, &oq);
  assert_true(ids[0] == 1 && ids[1] == 11);
  oq.after_order_id = 11;
  assert_int_equal(query_ids(&env, &oq)[0], 0);
  oq = (oms_order_query_t){.parent_order_id = 20, .account_id = "A2"};
  ids = query_ids(&env, &oq);
  assert_true(ids[0] == 1 && ids[1] == 21);
  oq.account_id = "A1";
  assert_int_equal(query_ids(&env, &oq)[0], 0);
  oq = (oms_order_query_t){.parent_order_id = 99};
  assert_int_equal(query_ids(&env, &oq)[0], 0);

  prow_t r;
  oms_parent_query_t q = {0};
  if (oms_store_query_parents(env.st, &q, take_prow, &r) == OMS_EUNSUPPORTED) {
    assert_string_equal(ctors[k].name, "memory");
    env_close(&env);
    return;
  }
  assert_int_equal(parent_rows(&env, &q, &r), 2);
  const oms_parent_row_t *p = &r.p[0];
  assert_int_equal(p->parent_order_id, 10);
  assert_int_equal(p->strategy, OMS_ALGO_TWAP);
  assert_int_equal(p->status, OMS_ALGO_WORKING);
  assert_int_equal(p->side, OMS_SIDE_BUY);
  assert_int_equal(p->state, OMS_STATE_ACCEPTED);
  assert_string_equal(p->client_order_id, "c10");
  assert_string_equal(p->account_id, "A1");
  assert_string_equal(p->symbol, "BTC-USD");
  assert_true(oms_dec_eq(p->qty, T_D("2")));
  assert_true(oms_dec_eq(p->filled_qty, T_D("0.3")));
  assert_true(oms_dec_eq(p->leaves_qty, T_D("1.7")));
  assert_true(oms_dec_eq(p->avg_px, T_D("100")));
  assert_true(oms_dec_eq(p->limit_px, T_D("101")));
  assert_int_equal(p->children, 1);
  assert_int_equal(p->slices, 6);
  assert_int_equal(p->slices_done, 1);
  assert_int_equal(p->start_ns, T0);
  assert_int_equal(p->end_ns, T0 + 60 * SEC);
  assert_true(p->next_slice_ns > T0);
  assert_int_equal(p->last_event_seq, 5);
  assert_int_equal(p->updated_ns, T0 + 2 * SEC);
  assert_non_null(strstr(p->params, "\"strategy\":\"TWAP\""));
  assert_non_null(strstr(p->params, "\"limit_px\":\"101\""));
  /* filters: account, symbol, status, id; pages both ways */
  q.account_id = "A2";
  assert_int_equal(parent_rows(&env, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 20);
  q = (oms_parent_query_t){.symbol = "BTC-USD"};
  assert_int_equal(parent_rows(&env, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 10);
  q = (oms_parent_query_t){.statuses = 1u << OMS_ALGO_COMPLETED};
  assert_int_equal(parent_rows(&env, &q, &r), 0);
  q.statuses = 1u << OMS_ALGO_WORKING | 1u << OMS_ALGO_WAITING;
  assert_int_equal(parent_rows(&env, &q, &r), 2);
  q = (oms_parent_query_t){.parent_order_id = 20};
  assert_int_equal(parent_rows(&env, &q, &r), 1);
  q = (oms_parent_query_t){.limit = 1};
  assert_int_equal(parent_rows(&env, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 10);
  q.after_parent_id = 10;
  assert_int_equal(parent_rows(&env, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 20);
  q = (oms_parent_query_t){.newest_first = true, .limit = 1};
  assert_int_equal(parent_rows(&env, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 20);
  q.after_parent_id = 20;
  assert_int_equal(parent_rows(&env, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 10);
  env_close(&env);
}

/* ---- Daily-PnL bases ------------------------------------------------------------------- */

typedef struct bases_s {
  int n;
  char text[256];
} bases_t;

static int take_base(void *ctx, const oms_pnl_base_row_t *row) {
  bases_t *b = ctx;
  char d[OMS_DEC_STRLEN];
  oms_dec_format(row->base, d, sizeof d);
  size_t n = strlen(b->text);
  snprintf(b->text + n, sizeof b->text - n, "%lld %s %s|", (long long)row->day_start_ns,
           row->account_id, d);
  b->n++;
  return 0;
}

static void append_base(env_t *env, int64_t day, const char *acct, const char *base) {
  oms_pnl_base_row_t r;
  memset(&r, 0, sizeof r);
  r.day_start_ns = day;
  snprintf(r.account_id, sizeof r.account_id, "%s", acct);
  r.base = T_D(base);
  uint64_t t = 99;
  assert_int_equal(oms_store_pnl_base_append(env->st, &r, &t), 0);
  assert_true(t > 0);
}

static const char *bases(env_t *env, int want_rc, int64_t want_day) {
  static bases_t b;
  memset(&b, 0, sizeof b);
  int64_t day = -1;
  flush(env);
  assert_int_equal(oms_store_pnl_bases(env->st, &day, take_base, &b), want_rc);
  assert_int_equal(day, want_day);
  return b.text;
}

/* The latest day with its mark gives its accounts' rows; a day without its
 * mark (a crash while the engine wrote them) is not read; a row stored again
 * replaces the first; the rows outlive a reopen (the journal store: its
 * projection rebuilt, or a new PostgreSQL instance filled from the journal). */
static void contract_pnl_bases(size_t k) {
  env_t env;
  env_open(&env, k);
  assert_string_equal(bases(&env, OMS_ENOTFOUND, 0), "");
  append_base(&env, 100, "A2", "-2");
  append_base(&env, 100, "A1", "1.5");
  assert_string_equal(bases(&env, OMS_ENOTFOUND, 0), ""); /* no mark yet */
  append_base(&env, 100, "", "0");
  append_base(&env, 200, "A1", "3"); /* the next day, unmarked */
  assert_string_equal(bases(&env, 0, 100), "100 A1 1.5|100 A2 -2|");
  append_base(&env, 200, "", "0");
  append_base(&env, 200, "A1", "4"); /* replaces */
  assert_string_equal(bases(&env, 0, 200), "200 A1 4|");
  if (k != 0) { /* the stores that keep their rows on disk */
    oms_store_close(env.st);
    env.st = NULL;
    if (ctors[k].lsn_tickets && !ctors[k].pg) assert_int_equal(unlink(env.dir.db), 0);
    assert_int_equal(ctors[k].make(&env), 0);
    assert_string_equal(bases(&env, 0, 200), "200 A1 4|");
  }
  /* bad arguments */
  oms_pnl_base_row_t r;
  memset(&r, 'x', sizeof r); /* an account id without its end */
  assert_int_equal(oms_store_pnl_base_append(env.st, &r, NULL), OMS_EINVAL);
  assert_int_equal(oms_store_pnl_base_append(env.st, NULL, NULL), OMS_EINVAL);
  int64_t day;
  assert_int_equal(oms_store_pnl_bases(env.st, &day, NULL, NULL), OMS_EINVAL);
  env_close(&env);
}

#define FOR_EACH_CTOR(fn)                             \
  static void test_##fn(void **state) {               \
    (void)state;                                      \
    for (size_t k = 0; k < N_CTORS; k++) {            \
      if (ctors[k].pg && !pg.up) continue;            \
      print_message("[ store %s ]\n", ctors[k].name); \
      contract_##fn(k);                               \
    }                                                 \
  }

FOR_EACH_CTOR(unit_and_reads)
FOR_EACH_CTOR(queries)
FOR_EACH_CTOR(queries_by_venue_states_and_page)
FOR_EACH_CTOR(seq_rules_and_trading_states)
FOR_EACH_CTOR(fix_state_and_cursors)
FOR_EACH_CTOR(replay_source)
FOR_EACH_CTOR(positions_follow_the_fills)
FOR_EACH_CTOR(best_execution)
FOR_EACH_CTOR(parents)
FOR_EACH_CTOR(pnl_bases)

/* ---- The memory store only ------------------------------------------------------------ */

static void test_memory_store_is_durable_at_once_and_never_fails(void **state) {
  (void)state;
  oms_store_t *st;
  assert_int_equal(oms_store_memory_create(NULL, &st), 0);
  assert_int_equal(oms_store_durable_fd(st), -1);
  assert_int_equal(oms_store_durable_ticket(st), 0);
  assert_int_equal(oms_store_wait(st, 1, 0), OMS_ETIMEDOUT); /* never handed out */
  assert_int_equal(oms_store_recover(st), 0);
  assert_false(oms_store_failed(st));
  oms_store_error_t e;
  memset(&e, 0xff, sizeof e);
  oms_store_last_error(st, &e);
  assert_int_equal(e.code, 0);
  assert_int_equal(e.call[0], '\0');
  /* many appends: the tables grow; ids out of order are kept sorted */
  oms_event_t ev;
  oms_order_t o;
  uint64_t seq = 0;
  for (uint64_t i = 0; i < 300; i++) {
    uint64_t id = i % 2 ? 1000 - i : i + 1;
    fx_order(&o, id, "s1", "A1", "BTC-USD", T0);
    fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, ++seq, &ev);
    oms_store_unit_t u = {&ev, 1};
    uint64_t t;
    assert_int_equal(oms_store_append(st, &u, OMS_STORE_APPEND_MUST, &t), 0);
    assert_int_equal(t, seq);
    assert_int_equal(oms_store_durable_ticket(st), t);
  }
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  uint64_t prev = 0;
  int n = 0;
  uint64_t ids[301];
  ids[0] = 0;
  int collect(void *ctx, const oms_order_t *ord);
  assert_int_equal(oms_store_query_orders(st, &q, collect, ids), 0);
  assert_int_equal(ids[0], 300);
  for (uint64_t i = 1; i <= ids[0]; i++) {
    assert_true(ids[i] > prev);
    prev = ids[i];
    n++;
  }
  assert_int_equal(n, 300);
  assert_int_equal(oms_store_flush(st, -1), 0);
  oms_store_close(st);
  oms_store_close(NULL);
}

int collect(void *ctx, const oms_order_t *ord) {
  uint64_t *ids = ctx;
  ids[++ids[0]] = ord->order_id;
  return 0;
}

/* Every store times its commits into the one bucket table: each unit
 * committed is counted once, in a bucket, with its time in the sum. */
static void test_commits_are_timed_into_the_histogram(void **state) {
  (void)state;
  for (size_t k = 0; k < N_CTORS; k++) {
    env_t env;
    env_open(&env, k);
    oms_store_stats_t st;
    oms_store_stats(env.st, &st);
    assert_int_equal(st.commit_count, 0);
    assert_int_equal(st.commit_sum_ns, 0);
    oms_order_t o;
    for (uint64_t id = 1; id <= 5; id++) append_order(&env, &o, id, "S1", "A1", "BTC-USD", 2, T0);
    flush(&env);
    oms_store_stats(env.st, &st);
    uint64_t sum = 0;
    for (size_t i = 0; i <= OMS_STORE_COMMIT_BUCKETS; i++) sum += st.commit_hist[i];
    assert_int_equal(sum, st.commit_count);
    assert_true(st.commit_count >= 1 && st.commit_count <= 5); /* batches: fewer with a writer */
    if (k > 0) assert_int_equal(st.commit_count, st.transactions);
    assert_true(st.commit_sum_ns > 0 || k == 0);
    env_close(&env);
  }
}

/* The bounds are inclusive upper bounds; above the last is the last bucket. */
static void test_commit_histogram_buckets_follow_the_bounds(void **state) {
  (void)state;
  for (size_t i = 1; i < OMS_STORE_COMMIT_BUCKETS; i++)
    assert_true(oms_store_commit_bounds_ns[i] > oms_store_commit_bounds_ns[i - 1]);
  oms__commit_hist_t h;
  memset(&h, 0, sizeof h);
  oms__commit_hist_add(&h, -5); /* a clock step back counts as 0 */
  oms__commit_hist_add(&h, oms_store_commit_bounds_ns[0]);
  oms__commit_hist_add(&h, oms_store_commit_bounds_ns[0] + 1);
  oms__commit_hist_add(&h, oms_store_commit_bounds_ns[OMS_STORE_COMMIT_BUCKETS - 1]);
  oms__commit_hist_add(&h, oms_store_commit_bounds_ns[OMS_STORE_COMMIT_BUCKETS - 1] + 1);
  oms_store_stats_t st;
  memset(&st, 0xff, sizeof st);
  oms__commit_hist_read(&h, &st);
  assert_int_equal(st.commit_hist[0], 2);
  assert_int_equal(st.commit_hist[1], 1);
  assert_int_equal(st.commit_hist[OMS_STORE_COMMIT_BUCKETS - 1], 1);
  assert_int_equal(st.commit_hist[OMS_STORE_COMMIT_BUCKETS], 1);
  assert_int_equal(st.commit_count, 5);
  assert_int_equal(st.commit_sum_ns,
                   (uint64_t)(2 * oms_store_commit_bounds_ns[0] + 1 +
                              2 * oms_store_commit_bounds_ns[OMS_STORE_COMMIT_BUCKETS - 1] + 1));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_unit_and_reads),
      cmocka_unit_test(test_queries),
      cmocka_unit_test(test_queries_by_venue_states_and_page),
      cmocka_unit_test(test_seq_rules_and_trading_states),
      cmocka_unit_test(test_fix_state_and_cursors),
      cmocka_unit_test(test_replay_source),
      cmocka_unit_test(test_positions_follow_the_fills),
      cmocka_unit_test(test_best_execution),
      cmocka_unit_test(test_parents),
      cmocka_unit_test(test_pnl_bases),
      cmocka_unit_test(test_memory_store_is_durable_at_once_and_never_fails),
      cmocka_unit_test(test_commits_are_timed_into_the_histogram),
      cmocka_unit_test(test_commit_histogram_buckets_follow_the_bounds),
  };
  int up = fx_pg_init(&pg);
  if (up < 0)
    fprintf(stderr, "FAIL: the PostgreSQL test cluster did not start (%s/pg.log)\n", pg.dir);
  int rc = up < 0 ? 1 : cmocka_run_group_tests(tests, NULL, NULL);
  fx_pg_destroy(&pg);
  return rc;
}
