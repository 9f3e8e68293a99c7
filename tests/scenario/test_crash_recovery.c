/*
 * test_crash_recovery.c - the proof of zero data loss.
 *
 * A child process trades: it runs the OMS core over the SQLite store and the
 * simulated venue, submitting, modifying and cancelling orders in a seeded
 * random stream while the venue fills them. Everything the child tells the
 * outside world goes down a pipe to the parent as it happens:
 *   'E' records: every event the core published (published only once
 *       durable: these are the acknowledgements anyone could have seen);
 *   'V' records: every order handed to the venue, written just before the
 *       venue sees it.
 * The parent kills the child with SIGKILL at a random moment, then checks the
 * store against what it was told:
 *   - every acknowledged event is in the store, with the same order state;
 *   - the event log has no sequence gap, from 1 to its end;
 *   - each order's stored state is the last of its events, and its events
 *     replay: each event's transition starts where the previous one ended,
 *     and the filled quantity never goes down;
 *   - no order reached the venue that the store does not know.
 * Then it restarts the child, which recovers from the store and trades on;
 * numbering must continue without a gap across every restart.
 *
 * OMS_CRASH_ROUNDS (default 12) and OMS_TEST_SEED vary the run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oms/engine.h"
#include "oms/sim_venue.h"
#include "oms/store.h"
#include "oms_test.h"
#include "world.h"

typedef struct rec_s {
  char kind; /* 'E' or 'V' */
  uint8_t state;
  uint16_t pad;
  uint32_t pad2;
  uint64_t seq;
  uint64_t order_id;
  int64_t filled_raw;
} rec_t;

static int out_fd = -1;

static void emit(const rec_t *r) {
  /* A record is 32 bytes, below PIPE_BUF: the write is atomic. */
  ssize_t n;
  do {
    n = write(out_fd, r, sizeof(*r));
  } while (n < 0 && errno == EINTR);
}

static void on_event(void *ctx, const oms_event_t *ev) {
  (void)ctx;
  rec_t r = {.kind = 'E',
             .seq = ev->seq,
             .order_id = ev->order.order_id,
             .state = (uint8_t)ev->order.state,
             .filled_raw = ev->order.filled_qty.raw};
  emit(&r);
}

/* A connector in front of the simulated venue that reports every new order
 * to the parent before the venue sees it. */
typedef struct spy_s {
  oms_venue_t base;
  oms_venue_t *sim;
} spy_t;

static int spy_new(oms_venue_t *v, const oms_venue_order_t *o) {
  spy_t *s = (spy_t *)v;
  rec_t r = {.kind = 'V', .order_id = o->order_id};
  emit(&r);
  return oms_venue_send_new(s->sim, o);
}
static int spy_cancel(oms_venue_t *v, uint64_t id) {
  return oms_venue_send_cancel(((spy_t *)v)->sim, id);
}
static int spy_replace(oms_venue_t *v, uint64_t id, oms_dec_t q, oms_dec_t p, oms_dec_t s) {
  return oms_venue_send_replace(((spy_t *)v)->sim, id, q, p, s);
}
static int spy_query(oms_venue_t *v, uint64_t id) {
  return oms_venue_query_status(((spy_t *)v)->sim, id);
}
static bool spy_connected(const oms_venue_t *v) {
  return oms_venue_is_connected(((const spy_t *)v)->sim);
}
static int spy_poll(oms_venue_t *v, int64_t now) {
  spy_t *s = (spy_t *)v;
  s->sim->handler = v->handler; /* reports go straight to the core */
  return oms_venue_poll(s->sim, now);
}
static void spy_destroy(oms_venue_t *v) { oms_venue_destroy(((spy_t *)v)->sim); }
static const oms_venue_vtbl_t spy_vt = {.send_new = spy_new,
                                        .send_cancel = spy_cancel,
                                        .send_replace = spy_replace,
                                        .query_status = spy_query,
                                        .is_connected = spy_connected,
                                        .poll = spy_poll,
                                        .destroy = spy_destroy};

/* The child: trades until killed. Never returns. */
static void child(const char *db, uint64_t seed, int write_fd) {
  out_fd = write_fd;
  oms_store_config_t sc;
  oms_store_config_init(&sc, db);
  sc.durability = OMS_DURABILITY_OS; /* a process crash is what we test */
  oms_store_t *store;
  if (oms_store_sqlite_open(&sc, &store) != 0) _exit(3);
  int64_t now = INT64_C(1764000000000000000) + (int64_t)seed * 1000000000;
  oms_clock_t clock = oms_clock_manual(&now);
  oms_engine_config_t cfg = {
      .clock = clock, .max_orders = 4096, .store = store, .on_event = on_event};
  oms_engine_t *e;
  if (oms_engine_create(&cfg, &e) != 0) _exit(4);
  oms_sim_symbol_t sym;
  scn_lp_symbol(&sym);
  sym.lp.levels = 4;
  sym.lp.size = T_D("0.5");
  sym.lp.step_ns = 5000000;
  oms_sim_config_t vc = {.name = "SIM",
                         .clock = clock,
                         .max_orders = 8192,
                         .seed = seed,
                         .ack_latency_ns = 200000,
                         .fill_latency_ns = 300000,
                         .symbols = &sym,
                         .nsymbols = 1};
  static spy_t spy;
  spy.base.vt = &spy_vt;
  strcpy(spy.base.name, "SIM");
  if (oms_sim_venue_create(&vc, &spy.sim) != 0) _exit(5);
  oms_engine_add_instrument(e, &sym.ins, NULL);
  oms_engine_add_venue(e, &spy.base, NULL);
  if (oms_engine_recover(e, NULL) != 0) _exit(6);

  uint64_t x = seed * 2654435761u + 1;
  for (uint64_t i = 0;; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    now += 100000 + (int64_t)(x % 400000);
    int op = (int)(x % 10);
    oms_engine_stats_t st;
    oms_engine_stats(e, &st);
    uint64_t some = st.next_order_id > 1 ? 1 + (x >> 20) % (st.next_order_id - 1) : 1;
    oms_reject_t rej;
    if (op < 6) {
      oms_order_request_t req;
      char id[32];
      snprintf(id, sizeof id, "s%llu-%llu", (unsigned long long)seed, (unsigned long long)i);
      bool buy = (x >> 8) & 1;
      t_request(&req, id, buy ? OMS_SIDE_BUY : OMS_SIDE_SELL, OMS_ORD_LIMIT, "0.1", NULL);
      req.qty.raw = (int64_t)(1 + (x >> 12) % 8) * OMS_DEC_SCALE / 10;
      int64_t off = (int64_t)((x >> 16) % 12) - 4; /* some cross, most rest */
      req.price.raw = (65000 + (buy ? off : -off)) * OMS_DEC_SCALE;
      if (op == 5) {
        req.type = OMS_ORD_MARKET;
        req.price.raw = 0;
        req.tif = OMS_TIF_IOC;
      }
      oms_submit_result_t res;
      oms_engine_submit(e, &req, &res);
    } else if (op < 8) {
      oms_engine_cancel(e, some, &rej);
    } else if (op < 9) {
      oms_modify_t m = {.price = oms_dec_from_raw((64990 + (int64_t)(x % 20)) * OMS_DEC_SCALE)};
      oms_engine_modify(e, some, &m, &rej);
    }
    oms_engine_poll(e);
    if ((i & 63) == 0) usleep(200); /* let the writer thread batch */
  }
}

/* ---- the parent's checks ---------------------------------------------------- */

#define MAX_ORDERS 200000

#define MAX_EVENTS 4000000

typedef struct check_s {
  uint64_t expect_seq;
  int gaps;
  uint8_t *last_state;  /* per order id: last event state + 1 (0 = none) */
  uint32_t *last_audit; /* per order id: audit_count of its last event */
  int64_t *last_filled;
  uint8_t *seq_state; /* per event seq: the order state + 1 it carried */
  uint64_t events;
  int bad_replay;
  char why[160];
} check_t;

static void bad(check_t *c, const oms_event_t *ev, const char *what) {
  if (c->bad_replay++ == 0)
    snprintf(c->why, sizeof c->why, "event %llu of order %llu: %s", (unsigned long long)ev->seq,
             (unsigned long long)ev->order.order_id, what);
}

/* Replays an order's events: each one either leaves the order where the
 * previous left it (an event that is not a transition) or is exactly one
 * allowed transition from there; the filled quantity never goes down. */
static int check_event(void *ctx, const oms_event_t *ev) {
  check_t *c = ctx;
  if (ev->seq != c->expect_seq) c->gaps++;
  c->expect_seq = ev->seq + 1;
  c->events++;
  const oms_order_t *o = &ev->order;
  if (ev->seq < MAX_EVENTS) c->seq_state[ev->seq] = (uint8_t)(o->state + 1);
  uint64_t id = o->order_id;
  if (id == 0 || id >= MAX_ORDERS || !oms_event_is_order(ev->type)) return 0;
  uint8_t prev = c->last_state[id];
  uint32_t prev_audit = prev ? c->last_audit[id] : 0;
  if (o->audit_count == prev_audit) {
    if (prev == 0 || (int)o->state != prev - 1) bad(c, ev, "state changed without a transition");
  } else if (o->audit_count == prev_audit + 1) {
    const oms_audit_t *a = oms_order_audit_get(o, o->audit_count);
    if (a == NULL || a->to != o->state)
      bad(c, ev, "audit does not end in the state");
    else if (prev != 0 && (int)a->from != prev - 1)
      bad(c, ev, "transition does not start where the last ended");
    else if (prev == 0 && a->from != OMS_STATE_PENDING)
      bad(c, ev, "first event not from PENDING");
    else if (!oms_ord_transition_allowed((oms_ord_state_t)a->from, (oms_ord_event_t)a->event))
      bad(c, ev, "transition not allowed");
  } else {
    bad(c, ev, "a transition is missing from the event log");
  }
  if (o->filled_qty.raw < c->last_filled[id]) bad(c, ev, "filled quantity went down");
  c->last_state[id] = (uint8_t)(o->state + 1);
  c->last_audit[id] = o->audit_count;
  c->last_filled[id] = o->filled_qty.raw;
  return 0;
}

static int check_order(void *ctx, const oms_order_t *o) {
  check_t *c = ctx;
  if (o->order_id < MAX_ORDERS && c->last_state[o->order_id] != o->state + 1) {
    if (c->bad_replay++ == 0)
      snprintf(c->why, sizeof c->why, "order %llu is %s in the store, not its last event's state",
               (unsigned long long)o->order_id, oms_ord_state_str(o->state));
  }
  return 0;
}

typedef struct told_s {
  rec_t *r;
  size_t n, cap;
} told_t;

static void read_all(int fd, told_t *t) {
  for (;;) {
    if (t->n == t->cap) {
      t->cap = t->cap ? t->cap * 2 : 4096;
      t->r = realloc(t->r, t->cap * sizeof(rec_t));
      assert_non_null(t->r);
    }
    ssize_t n = read(fd, &t->r[t->n], sizeof(rec_t));
    if (n == (ssize_t)sizeof(rec_t)) {
      t->n++;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return; /* EOF (the child died) or EAGAIN */
  }
}

static void test_kill_9_at_random_moments_loses_nothing(void **state) {
  (void)state;
  const char *seed_env = getenv("OMS_TEST_SEED");
  const char *rounds_env = getenv("OMS_CRASH_ROUNDS");
  uint64_t seed = seed_env ? strtoull(seed_env, NULL, 10) : 20261124;
  int rounds = rounds_env ? atoi(rounds_env) : 12;
  char dir[] = "/tmp/oms-crash-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char db[128];
  snprintf(db, sizeof db, "%s/oms.db", dir);
  srand((unsigned)seed);
  told_t told = {0};
  uint64_t total_killed_after = 0;

  for (int round = 0; round < rounds; round++) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      close(p[0]);
      child(db, seed + (uint64_t)round, p[1]);
    }
    close(p[1]);
    /* Wait for its first word (a slow start, under a sanitizer or a loaded
     * machine, must not eat the trading time), let it trade 30..230 ms, then
     * kill it without warning. */
    struct pollfd started = {.fd = p[0], .events = POLLIN};
    poll(&started, 1, 10000);
    struct timespec ts = {0, (long)(30 + rand() % 200) * 1000000L};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status))
      fail_msg("round %d: child exited with %d", round, WEXITSTATUS(status));
    size_t before = told.n;
    read_all(p[0], &told);
    close(p[0]);
    total_killed_after += told.n - before;

    /* What the store holds now. */
    oms_store_config_t sc;
    oms_store_config_init(&sc, db);
    sc.synchronous = true;
    oms_store_t *s;
    assert_int_equal(oms_store_sqlite_open(&sc, &s), 0);
    check_t c = {.expect_seq = 1};
    c.last_state = calloc(MAX_ORDERS, 1);
    c.last_audit = calloc(MAX_ORDERS, sizeof(uint32_t));
    c.last_filled = calloc(MAX_ORDERS, sizeof(int64_t));
    c.seq_state = calloc(MAX_EVENTS, 1);
    assert_int_equal(oms_store_events_from(s, 1, 0, check_event, &c), 0);
    assert_int_equal(c.gaps, 0);
    oms_order_query_t q = {0};
    assert_int_equal(oms_store_query_orders(s, &q, check_order, &c), 0);
    if (c.bad_replay) fail_msg("round %d: %d problems; first: %s", round, c.bad_replay, c.why);
    /* every acknowledged event is there, as it was told */
    for (size_t i = 0; i < told.n; i++) {
      const rec_t *r = &told.r[i];
      if (r->kind == 'E') {
        if (r->seq >= c.expect_seq)
          fail_msg("round %d: event %llu was published but is not in the store", round,
                   (unsigned long long)r->seq);
        if (r->seq < MAX_EVENTS && r->order_id != 0 && c.seq_state[r->seq] != r->state + 1)
          fail_msg("round %d: event %llu was published with another state", round,
                   (unsigned long long)r->seq);
      } else {
        oms_order_t o;
        if (oms_store_get_order(s, r->order_id, &o) != 0)
          fail_msg("round %d: order %llu reached the venue but is not in the store", round,
                   (unsigned long long)r->order_id);
      }
    }
    free(c.last_state);
    free(c.last_audit);
    free(c.last_filled);
    free(c.seq_state);
    oms_store_close(s);
  }
  print_message("crash test: %d kills, %zu acknowledgements checked\n", rounds, told.n);
  assert_true(told.n > 100);
  free(told.r);
  char cmd[160];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kill_9_at_random_moments_loses_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
