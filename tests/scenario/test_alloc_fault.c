/*
 * test_alloc_fault.c - every allocation liboms makes while building an
 * engine, and while recovering one from a store with history, fails once in
 * turn (in the spirit of SQLite's malloc tests).
 *
 * The allocator seam (oms/alloc.h) is replaced by one that counts the
 * allocations, fails the k-th, and counts the blocks alive. A sweep first
 * runs the step with no fault to learn how many allocations it makes (n),
 * then for k = 1..n runs it with allocation k failing and checks:
 *   - the call that hit the failure returns OMS_ENOMEM and leaves its
 *     out-parameter NULL (nothing half-built is handed back);
 *   - once the caller has destroyed what it did build, every block is freed
 *     (the live count is back where it started; ASan checks the same at
 *     exit under make test-asan);
 *   - the same step, run again at once without a fault, succeeds and gives
 *     the same result as the fault-free run.
 *
 * SQLite's allocations are many (about 10,000 to create a database, 3,300
 * to recover): an optimised build fails every one; a sanitizer or coverage
 * build, several times slower, fails every OMS_ALLOC_FAULT_STEP-th (default
 * 7; set 1 for all). liboms's own allocations are always swept in full.
 * Every world is sized small (queues, parents, groups): the sweeps start one
 * about 30,000 times, and the defaults' 25 MiB store queue alone, zeroed
 * page by page under ASan, took a run past CI's 300 s timeout.
 *
 * The worlds built: an engine with risk, portfolio, router (inside the
 * engine), the simulated venue, a bus with a subscriber, a sink and a FIX
 * gateway with a session and a connection, over the memory store and over
 * the SQLite store; and recovery of that engine from a
 * SQLite store and from a memory store holding filled, resting and
 * cancelled orders and a trading state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oms/gateway.h"
#include "oms/oms.h"
#include "oms_test.h"
#include "world.h"

#define MS INT64_C(1000000)
#define T0 INT64_C(1764000000000000000)

/* ---- the failing allocators ------------------------------------------------- */

/* Whose allocations are counted and failed: liboms's (through the seam) or
 * SQLite's (through sqlite3_config, as SQLite's own tests do). */
typedef enum { SRC_OMS, SRC_SQLITE } src_t;

static _Atomic src_t target;
static atomic_long calls;   /* allocations of the target since the last arm() */
static atomic_long fail_at; /* the allocation to fail (1-based); 0 = none */
static atomic_long failed;  /* allocations refused */
static atomic_long live[2]; /* blocks allocated and not yet freed, per source */

static bool refuse(src_t src) {
  if (src != atomic_load(&target)) return false;
  long n = atomic_fetch_add(&calls, 1) + 1;
  if (n != atomic_load(&fail_at)) return false;
  atomic_fetch_add(&failed, 1);
  return true;
}

static void *f_malloc(void *ctx, size_t size) {
  (void)ctx;
  if (refuse(SRC_OMS)) return NULL;
  void *p = malloc(size);
  if (p != NULL) atomic_fetch_add(&live[SRC_OMS], 1);
  return p;
}

static void *f_calloc(void *ctx, size_t n, size_t size) {
  (void)ctx;
  if (refuse(SRC_OMS)) return NULL;
  void *p = calloc(n, size);
  if (p != NULL) atomic_fetch_add(&live[SRC_OMS], 1);
  return p;
}

static void *f_realloc(void *ctx, void *old, size_t size) {
  (void)ctx;
  if (refuse(SRC_OMS)) return NULL;
  void *p = realloc(old, size);
  if (p != NULL && old == NULL) atomic_fetch_add(&live[SRC_OMS], 1);
  return p;
}

static void f_free(void *ctx, void *p) {
  (void)ctx;
  if (p != NULL) atomic_fetch_sub(&live[SRC_OMS], 1);
  free(p);
}

static sqlite3_mem_methods sq_orig;

static void *sq_malloc(int n) {
  if (refuse(SRC_SQLITE)) return NULL;
  void *p = sq_orig.xMalloc(n);
  if (p != NULL) atomic_fetch_add(&live[SRC_SQLITE], 1);
  return p;
}

static void sq_free(void *p) {
  if (p != NULL) atomic_fetch_sub(&live[SRC_SQLITE], 1);
  sq_orig.xFree(p);
}

static void *sq_realloc(void *p, int n) {
  if (refuse(SRC_SQLITE)) return NULL;
  return sq_orig.xRealloc(p, n);
}

static int sq_size(void *p) { return sq_orig.xSize(p); }
static int sq_roundup(int n) { return sq_orig.xRoundup(n); }
static int sq_init(void *ctx) { return sq_orig.xInit(ctx); }
static void sq_shutdown(void *ctx) { sq_orig.xShutdown(ctx); }

/* Before SQLite's first use in the process. */
static void hook_sqlite(void) {
  if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sq_orig) != SQLITE_OK) abort();
  static sqlite3_mem_methods m = {sq_malloc,  sq_free, sq_realloc,  sq_size,
                                  sq_roundup, sq_init, sq_shutdown, NULL};
  if (sqlite3_config(SQLITE_CONFIG_MALLOC, &m) != SQLITE_OK) abort();
}

/* The stride of the SQLite sweeps (see the top). */
static long sqlite_step(void) {
  const char *env = getenv("OMS_ALLOC_FAULT_STEP");
  if (env != NULL && atol(env) > 0) return atol(env);
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  return 1;
#else
  return 7;
#endif
}

static void arm(long at) {
  atomic_store(&calls, 0);
  atomic_store(&failed, 0);
  atomic_store(&fail_at, at);
}

/* ---- the world -------------------------------------------------------------- */

typedef struct world_s {
  char db[128];
  bool sqlite;
  bool sync;  /* the SQLite store commits on the caller's thread (no writer) */
  bool fresh; /* each start creates the database anew */
  int64_t now;
  oms_store_t *store;
  oms_portfolio_t *pf;
  oms_risk_t *risk;
  oms_bus_t *bus;
  oms_bus_sub_t *sub;
  oms_engine_t *e;
  oms_sink_t *sink;
  oms_gateway_t *gw;
  uint32_t loaded; /* orders recovered */
  uint32_t listed; /* active orders the engine lists after the start */
  char closed[96]; /* why the gateway closed the FIX connection; "" if it did not */
} world_t;

static void on_bus_event(void *ctx, const oms_event_t *ev) {
  (void)ctx;
  (void)ev;
}

static int count_order(void *ctx, const oms_order_t *o) {
  (void)o;
  (*(uint32_t *)ctx)++;
  return 0;
}

static int deliver(void *ctx, const oms_event_t *ev) {
  (void)ctx;
  (void)ev;
  return 0;
}

static int gw_send(void *ctx, uint64_t conn, const char *data, size_t len) {
  (void)ctx;
  (void)conn;
  (void)data;
  (void)len;
  return 0;
}

static void gw_close(void *ctx, uint64_t conn, const char *reason) {
  (void)conn;
  snprintf(((world_t *)ctx)->closed, sizeof((world_t *)ctx)->closed, "%s", reason);
}

/* A client's Logon (sequence numbers reset, so that every start is alike),
 * dated by the world's clock (T0 + 1 h, SendingTime is checked),
 * framed: 8=, 9=, body, 10=. */
static size_t logon_msg(char *out, size_t cap) {
  char body[160];
  int n = snprintf(body, sizeof body,
                   "35=A|49=CLIENT|56=OMS|34=1|52=20251124-17:00:00.000|98=0|108=30|141=Y|");
  for (int i = 0; i < n; i++)
    if (body[i] == '|') body[i] = OMS_FIX_SOH;
  int len = snprintf(out, cap, "8=FIX.4.4%c9=%d%c%s", OMS_FIX_SOH, n, OMS_FIX_SOH, body);
  unsigned sum = 0;
  for (int i = 0; i < len; i++) sum += (unsigned char)out[i];
  len += snprintf(out + len, cap - (size_t)len, "10=%03u%c", sum & 0xffu, OMS_FIX_SOH);
  return (size_t)len;
}

static void sim_symbol(oms_sim_symbol_t *sym) {
  scn_lp_symbol(sym);
  sym->lp.size = T_D("0.5");
}

/* Limits loose enough to trade, with a trading-hours zone read from the
 * zoneinfo directory when it has one (so the zone reader is swept too). */
static int limits(world_t *w) {
  oms_risk_limits_t *l;
  int rc = oms_risk_limits_create(&l);
  if (rc != 0) {
    assert_null(l);
    return rc;
  }
  oms_risk_limit_t g = {
      .set = OMS_RL_MAX_ORDER_QTY | OMS_RL_MAX_ORDER_NOTIONAL | OMS_RL_MAX_POSITION |
             OMS_RL_MAX_OPEN_ORDERS_ACCOUNT | OMS_RL_MAX_OPEN_ORDERS_STRATEGY | OMS_RL_DAILY_LOSS |
             OMS_RL_MAX_LEVERAGE | OMS_RL_MAX_MARGIN_USAGE | OMS_RL_COLLAR_PCT |
             OMS_RL_MAX_REF_AGE | OMS_RL_CREDIT_LIMIT | OMS_RL_ORDER_RATE_ACCOUNT |
             OMS_RL_ORDER_RATE_STRATEGY | OMS_RL_CANCEL_RATE_ACCOUNT | OMS_RL_CANCEL_RATE_STRATEGY |
             OMS_RL_RATE_WINDOW | OMS_RL_DUPLICATE_WINDOW,
      .max_order_qty = T_D("100"),
      .max_order_notional = T_D("10000000"),
      .max_position = T_D("1000"),
      .max_open_orders_account = 100,
      .max_open_orders_strategy = 100,
      .daily_loss = T_D("1000000"),
      .daily_loss_action = OMS_TRADING_REDUCE_ONLY,
      .max_leverage = T_D("100"),
      .max_margin_usage = T_D("100"),
      .collar_pct = T_D("0.5"),
      .max_ref_age_ns = INT64_C(3600000000000),
      .credit_limit = T_D("50000000"),
      .order_rate_account = 16,
      .order_rate_strategy = 16,
      .cancel_rate_account = 16,
      .cancel_rate_strategy = 16,
      .rate_window_ns = 1000 * MS,
      .duplicate_window_ns = 1};
  oms_risk_limit_t acc = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("50")};
  oms_reject_t err;
  oms_risk_window_t all_day = {.days = 0x7f, .start_min = 0, .end_min = 1440};
  const char *zone =
      access("/usr/share/zoneinfo/Europe/London", R_OK) == 0 ? "Europe/London" : "UTC";
  if ((rc = oms_risk_limits_set(l, OMS_RISK_SCOPE_GLOBAL, NULL, &g, &err)) != 0 ||
      (rc = oms_risk_limits_set(l, OMS_RISK_SCOPE_ACCOUNT, "ACC1", &acc, &err)) != 0 ||
      (rc = oms_risk_limits_symbol_list(l, "BTC-USD", true, &err)) != 0 ||
      (rc = oms_risk_limits_hours(l, "SIM", true, zone, &all_day, 1, &err)) != 0 ||
      (rc = oms_risk_set_limits(w->risk, l, &err)) != 0) {
    if (rc != OMS_ENOMEM) print_error("limits: %s\n", err.text);
    oms_risk_limits_destroy(l);
    return rc;
  }
  return 0;
}

static void remove_files(const world_t *w) {
  static const char *const suffix[] = {"", "-wal", "-shm"};
  char p[160];
  for (size_t i = 0; i < 3; i++) {
    snprintf(p, sizeof p, "%s%s", w->db, suffix[i]);
    unlink(p);
  }
}

static void world_stop(world_t *w) {
  oms_gateway_destroy(w->gw);
  oms_sink_destroy(w->sink);
  oms_engine_destroy(w->e);
  oms_bus_destroy(w->bus);
  if (w->sqlite) oms_store_close(w->store);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  w->gw = NULL;
  w->sink = NULL;
  w->e = NULL;
  w->bus = NULL;
  w->sub = NULL;
  w->risk = NULL;
  w->pf = NULL;
  if (w->sqlite) w->store = NULL;
}

/* Builds the world, each part with its caller's error check; returns the
 * first error, with what was built left for world_stop. A memory store is
 * made beforehand (it holds the history) and is not rebuilt here. */
static int world_start(world_t *w, bool recover) {
  w->now = T0 + 3600 * INT64_C(1000000000);
  w->loaded = 0;
  w->listed = 0;
  oms_clock_t clock = oms_clock_manual(&w->now);
  int rc;
  if (w->sqlite) {
    if (w->fresh) remove_files(w);
    oms_store_config_t sc;
    oms_store_config_init(&sc, w->db);
    sc.durability = OMS_DURABILITY_OS;
    sc.synchronous = w->sync;
    sc.queue_capacity = 64;
    if ((rc = oms_store_sqlite_open(&sc, &w->store)) != 0) {
      assert_null(w->store);
      return rc;
    }
  }
  oms_portfolio_config_t pc = {.max_accounts = 4, .max_symbols = 4, .max_positions = 16};
  if ((rc = oms_portfolio_create(&pc, &w->pf)) != 0) {
    assert_null(w->pf);
    return rc;
  }
  oms_risk_config_t rcfg = {.max_accounts = 4,
                            .max_strategies = 4,
                            .max_symbols = 4,
                            .max_positions = 16,
                            .max_open_orders = 64,
                            .rate_ring = 16,
                            .duplicate_slots = 64};
  if ((rc = oms_risk_create(&rcfg, &w->risk)) != 0) {
    assert_null(w->risk);
    return rc;
  }
  oms_replay_source_t src = oms_store_replay_source(w->store);
  if ((rc = oms_bus_create(&src, &w->bus)) != 0) {
    assert_null(w->bus);
    return rc;
  }
  oms_bus_sub_config_t subc = {.name = "audit", .capacity = 64, .on_event = on_bus_event};
  if ((rc = oms_bus_subscribe(w->bus, &subc, &w->sub)) != 0) {
    assert_null(w->sub);
    return rc;
  }
  oms_engine_config_t ec = {.clock = clock,
                            .max_orders = 64,
                            .max_instruments = 4,
                            .max_venues = 2,
                            .outbox_capacity = 64,
                            .exec_id_window = 64,
                            .max_parents = 8,
                            .max_groups = 8,
                            .store = w->store,
                            .risk = w->risk,
                            .portfolio = w->pf,
                            .bus = w->bus};
  if ((rc = oms_engine_create(&ec, &w->e)) != 0) {
    assert_null(w->e);
    return rc;
  }
  oms_sim_symbol_t sym;
  sim_symbol(&sym);
  oms_sim_config_t vc = {.name = "SIM",
                         .clock = clock,
                         .max_orders = 256,
                         .report_capacity = 256,
                         .seed = 5,
                         .ack_latency_ns = MS,
                         .fill_latency_ns = MS,
                         .symbols = &sym,
                         .nsymbols = 1};
  oms_venue_t *sim;
  if ((rc = oms_sim_venue_create(&vc, &sim)) != 0) {
    assert_null(sim);
    return rc;
  }
  oms_reject_t rej;
  if ((rc = oms_engine_add_instrument(w->e, &sym.ins, &rej)) != 0) {
    oms_venue_destroy(sim);
    return rc;
  }
  if ((rc = oms_engine_add_venue(w->e, sim, NULL)) != 0) return rc; /* the engine owns sim */
  if ((rc = oms_portfolio_set_cash(w->pf, "ACC1", T_D("1000000"), w->now)) != 0) return rc;
  if ((rc = oms_risk_set_reference_price(w->risk, "BTC-USD", T_D("65000"), w->now)) != 0) return rc;
  oms_sim_symbol_t sym2;
  sim_symbol(&sym2);
  strcpy(sym2.ins.symbol, "ETH-USD");
  sym2.lp.ref_px = T_D("3000");
  if ((rc = oms_sim_venue_add_symbol(sim, &sym2)) != 0) return rc;
  if ((rc = oms_engine_add_instrument(w->e, &sym2.ins, &rej)) != 0) return rc;
  if ((rc = limits(w)) != 0) return rc;
  if ((rc = oms_router_map_symbol(oms_engine_router(w->e), "SIM", "ETH-USD", "ETHUSD",
                                  sym2.ins.tick_size, sym2.ins.lot_size)) != 0)
    return rc;
  if (recover && (rc = oms_engine_recover(w->e, &w->loaded)) != 0) return rc;
  if ((rc = oms_engine_orders(w->e, NULL, count_order, &w->listed)) != 0) return rc;
  oms_sink_config_t skc = {.name = "audit", .deliver = deliver, .batch = 16};
  oms_cursor_store_t cur = oms_store_cursor_store(w->store);
  if ((rc = oms_sink_create(&skc, &src, &cur, &w->sink)) != 0) {
    assert_null(w->sink);
    return rc;
  }
  oms_gateway_config_t gc = {.engine = w->e,
                             .store = w->store,
                             .clock = clock,
                             .default_venue = "SIM",
                             .max_tracked = 64,
                             .max_conns = 2,
                             .io = {.send = gw_send, .close = gw_close, .ctx = w}};
  if ((rc = oms_gateway_create(&gc, &w->gw)) != 0) {
    assert_null(w->gw);
    return rc;
  }
  oms_gateway_session_config_t gs = {
      .client_comp_id = "CLIENT", .our_comp_id = "OMS", .account = "ACC1"};
  if ((rc = oms_gateway_add_session(w->gw, &gs)) != 0) return rc;
  if ((rc = oms_gateway_conn_open(w->gw, 1)) != 0) return rc;
  /* A failed allocation while a FIX client logs on closes its connection
   * (the gateway's documented OMS_ECLOSED) and says why: out of memory, or
   * the store's failure when SQLite's allocation failed. */
  char logon[256];
  size_t len = logon_msg(logon, sizeof logon);
  w->closed[0] = '\0';
  if ((rc = oms_gateway_conn_data(w->gw, 1, logon, len)) != 0) {
    if (rc == OMS_ECLOSED && strstr(w->closed, "memory") != NULL) return OMS_ENOMEM;
    if (rc == OMS_ECLOSED && strstr(w->closed, "store") != NULL) return OMS_ESTORE;
    fail_msg("logon: %s (%s)", oms_err_name(rc), w->closed);
  }
  if (oms_gateway_sessions_connected(w->gw) != 1) fail_msg("logon: not connected");
  return 0;
}

/* What a recovery restored, to compare with the fault-free run. */
typedef struct outcome_s {
  uint32_t loaded, listed;
  oms_dec_t qty;
  int acc2_state;
  uint64_t next_seq;
} outcome_t;

static outcome_t outcome(world_t *w) {
  outcome_t o = {.loaded = w->loaded, .listed = w->listed};
  oms_pf_position_t pos;
  if (oms_portfolio_position(w->pf, "ACC1", "BTC-USD", &pos) == 0) o.qty = pos.qty;
  o.acc2_state = (int)oms_risk_get_state(w->risk, OMS_RISK_SCOPE_ACCOUNT, "ACC2");
  oms_engine_stats_t st;
  oms_engine_stats(w->e, &st);
  o.next_seq = st.next_event_seq;
  return o;
}

static void same_outcome(world_t *w, const outcome_t *want, long k) {
  outcome_t got = outcome(w);
  if (got.loaded != want->loaded || got.listed != want->listed || !oms_dec_eq(got.qty, want->qty) ||
      got.acc2_state != want->acc2_state || got.next_seq != want->next_seq)
    fail_msg(
        "allocation %ld: the world differs from the fault-free run (orders %u/%u, "
        "next seq %llu/%llu)",
        k, got.loaded, want->loaded, (unsigned long long)got.next_seq,
        (unsigned long long)want->next_seq);
}

static void settle(world_t *w, int ms) {
  for (int i = 0; i < ms; i++) {
    w->now += MS;
    oms_engine_poll(w->e);
    if (w->sqlite) assert_int_equal(oms_store_flush(w->store, INT64_C(5000000000)), 0);
  }
}

static uint64_t submit(world_t *w, const char *id, oms_side_t side, oms_ord_type_t type,
                       const char *qty, const char *px) {
  oms_order_request_t req;
  t_request(&req, id, side, type, qty, px);
  if (type == OMS_ORD_MARKET) req.tif = OMS_TIF_IOC;
  oms_submit_result_t res;
  int rc = oms_engine_submit(w->e, &req, &res);
  if (rc != 0) fail_msg("%s refused: %s", id, res.reject.text);
  return res.order->order_id;
}

/* The history recovery starts from: fills (the portfolio replays them),
 * resting orders (risk aggregates, status queries), a cancelled one, a
 * trading state. */
static void trade(world_t *w) {
  submit(w, "m1", OMS_SIDE_BUY, OMS_ORD_MARKET, "0.7", NULL);
  settle(w, 5);
  submit(w, "m2", OMS_SIDE_SELL, OMS_ORD_MARKET, "0.3", NULL);
  settle(w, 5);
  submit(w, "l1", OMS_SIDE_BUY, OMS_ORD_LIMIT, "0.2", "64000");
  uint64_t l2 = submit(w, "l2", OMS_SIDE_SELL, OMS_ORD_LIMIT, "0.1", "66000");
  settle(w, 5);
  oms_reject_t rej;
  assert_int_equal(oms_engine_cancel(w->e, l2, &rej), 0);
  settle(w, 5);
  assert_int_equal(oms_engine_set_trading_state(w->e, OMS_RISK_SCOPE_ACCOUNT, "ACC2",
                                                OMS_TRADING_REDUCE_ONLY, "test"),
                   0);
  settle(w, 2);
}

/* ---- the sweep ------------------------------------------------------------------ */

/* Runs world_start with allocation k of src failing, for every k, and
 * checks the contract above. Returns the number of allocations swept.
 * liboms reports its own failed allocation as OMS_ENOMEM; a failed SQLite
 * allocation reaches the caller as OMS_ENOMEM or OMS_ESTORE (store.h), or not
 * at all when SQLite absorbs it (its cache allocations are optional), and
 * then the world must be whole. */
static long sweep(world_t *w, bool recover, src_t src) {
  atomic_store(&target, src);
  /* A first start may grow what outlives it (a memory store's tables): the
   * second one is the one counted. */
  arm(0);
  assert_int_equal(world_start(w, recover), 0);
  world_stop(w);
  arm(0);
  assert_int_equal(world_start(w, recover), 0);
  long n = atomic_load(&calls);
  outcome_t want = outcome(w);
  world_stop(w);
  /* SQLite keeps a few blocks for the process after its first use. */
  long base[2] = {atomic_load(&live[0]), atomic_load(&live[1])};
  assert_true(n > 0);
  long absorbed = 0;
  long step = src == SRC_SQLITE ? sqlite_step() : 1;
  for (long k = 1; k <= n; k += step) {
    arm(k);
    int rc = world_start(w, recover);
    assert_int_equal(atomic_load(&failed), 1);
    if (src == SRC_OMS && rc != OMS_ENOMEM)
      fail_msg("allocation %ld of %ld failed: the caller got %s, not OMS_ENOMEM", k, n,
               oms_err_name(rc));
    if (src == SRC_SQLITE && rc != OMS_ENOMEM && rc != OMS_ESTORE && rc != 0)
      fail_msg("SQLite allocation %ld of %ld failed: the caller got %s", k, n, oms_err_name(rc));
    if (rc == 0) {
      absorbed++;
      same_outcome(w, &want, k);
    }
    world_stop(w);
    for (int i = 0; i < 2; i++)
      if (atomic_load(&live[i]) != base[i])
        fail_msg("allocation %ld of %ld failed: %ld %s blocks leaked", k, n,
                 atomic_load(&live[i]) - base[i], i == SRC_OMS ? "liboms" : "SQLite");
    arm(0);
    rc = world_start(w, recover);
    if (rc != 0) fail_msg("after allocation %ld failed, a retry got %s", k, oms_err_name(rc));
    same_outcome(w, &want, k);
    world_stop(w);
  }
  atomic_store(&target, SRC_OMS);
  if (absorbed > 0) print_message("%ld of %ld failures absorbed by SQLite\n", absorbed, n);
  return n;
}

static void install(void) {
  oms_allocator_t a = {f_malloc, f_calloc, f_realloc, f_free, NULL};
  assert_int_equal(oms_replace_allocator(&a), 0);
  arm(0);
}

static void uninstall(void) {
  arm(0);
  assert_int_equal(oms_replace_allocator(NULL), 0);
}

/* In memory where the machine has /dev/shm: the sweeps open, write and
 * sync a database thousands of times, and what they test is each
 * allocation's failure, not the disk (on a busy disk the syncs alone took
 * minutes of a run). */
static void temp_db(world_t *w) {
  char shm[] = "/dev/shm/oms-allocfault-XXXXXX", tmp[] = "/tmp/oms-allocfault-XXXXXX";
  const char *dir = mkdtemp(shm);
  if (dir == NULL) dir = mkdtemp(tmp);
  assert_non_null(dir);
  snprintf(w->db, sizeof w->db, "%s/oms.db", dir);
}

static void remove_db(world_t *w) {
  remove_files(w);
  char *slash = strrchr(w->db, '/');
  *slash = '\0';
  rmdir(w->db);
}

static void test_every_allocation_of_an_engine_over_the_memory_store_fails_cleanly(void **state) {
  (void)state;
  install();
  world_t w = {0};
  long base = atomic_load(&live[SRC_OMS]);
  assert_int_equal(oms_store_memory_create(NULL, &w.store), 0);
  long n = sweep(&w, false, SRC_OMS);
  oms_store_close(w.store);
  assert_int_equal(atomic_load(&live[SRC_OMS]), base);
  arm(1);
  oms_store_t *s = (oms_store_t *)&w;
  assert_int_equal(oms_store_memory_create(NULL, &s), OMS_ENOMEM);
  assert_null(s);
  uninstall();
  print_message("memory store world: %ld allocations swept\n", n);
}

static void test_every_allocation_of_an_engine_over_the_sqlite_store_fails_cleanly(void **state) {
  (void)state;
  install();
  world_t w = {.sqlite = true};
  temp_db(&w);
  long n = sweep(&w, false, SRC_OMS);
  remove_db(&w);
  uninstall();
  print_message("SQLite store world: %ld allocations swept\n", n);
}

static void test_every_allocation_of_a_recovery_from_sqlite_fails_cleanly(void **state) {
  (void)state;
  install();
  world_t w = {.sqlite = true};
  temp_db(&w);
  assert_int_equal(world_start(&w, false), 0);
  trade(&w);
  world_stop(&w);
  long n = sweep(&w, true, SRC_OMS);
  arm(0);
  assert_int_equal(world_start(&w, true), 0);
  assert_true(w.loaded >= 1); /* the resting buy */
  oms_pf_position_t pos;
  assert_int_equal(oms_portfolio_position(w.pf, "ACC1", "BTC-USD", &pos), 0);
  assert_true(oms_dec_eq(pos.qty, T_D("0.4")));
  assert_int_equal(oms_risk_get_state(w.risk, OMS_RISK_SCOPE_ACCOUNT, "ACC2"),
                   OMS_TRADING_REDUCE_ONLY);
  world_stop(&w);
  remove_db(&w);
  uninstall();
  print_message("recovery from SQLite: %ld allocations swept\n", n);
}

static void test_every_allocation_of_a_recovery_from_memory_fails_cleanly(void **state) {
  (void)state;
  install();
  world_t w = {0};
  assert_int_equal(oms_store_memory_create(NULL, &w.store), 0);
  assert_int_equal(world_start(&w, false), 0);
  trade(&w);
  world_stop(&w);
  long n = sweep(&w, true, SRC_OMS);
  oms_store_close(w.store);
  uninstall();
  print_message("recovery from memory: %ld allocations swept\n", n);
}

static void test_every_sqlite_allocation_of_a_new_database_fails_cleanly(void **state) {
  (void)state;
  install();
  world_t w = {.sqlite = true, .sync = true, .fresh = true};
  temp_db(&w);
  long n = sweep(&w, false, SRC_SQLITE);
  remove_db(&w);
  uninstall();
  print_message("new SQLite database: %ld SQLite allocations swept\n", n);
}

static void test_every_sqlite_allocation_of_a_recovery_fails_cleanly(void **state) {
  (void)state;
  install();
  world_t w = {.sqlite = true, .sync = true};
  temp_db(&w);
  assert_int_equal(world_start(&w, false), 0);
  trade(&w);
  world_stop(&w);
  long n = sweep(&w, true, SRC_SQLITE);
  remove_db(&w);
  uninstall();
  print_message("recovery from SQLite: %ld SQLite allocations swept\n", n);
}

int main(void) {
  hook_sqlite();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_allocation_of_an_engine_over_the_memory_store_fails_cleanly),
      cmocka_unit_test(test_every_allocation_of_an_engine_over_the_sqlite_store_fails_cleanly),
      cmocka_unit_test(test_every_allocation_of_a_recovery_from_sqlite_fails_cleanly),
      cmocka_unit_test(test_every_allocation_of_a_recovery_from_memory_fails_cleanly),
      cmocka_unit_test(test_every_sqlite_allocation_of_a_new_database_fails_cleanly),
      cmocka_unit_test(test_every_sqlite_allocation_of_a_recovery_fails_cleanly),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
