/* The ownership lease (src/lease/lease.c) over a throwaway PostgreSQL
 * (tests/unit/store/pg_fixture.h): one holder at a time, a takeover only
 * after expiry and always with a larger token, a paused owner (it stops
 * renewing, as under SIGSTOP) suspended by its own clock and then LOST when
 * it tries again, a graceful release handing over at once, and the fencing
 * of the PostgreSQL projection: a journal store opened with a superseded
 * token has its batches refused by the database while the new owner's
 * store projects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "oms/lease.h"
#include "store/store_int.h"
#include "unit/store/pg_fixture.h"
#include "unit/store/store_fixture.h"

#define MS INT64_C(1000000)
#define WAIT_NS INT64_C(20000000000)

static fx_pg_t pg;
static int lines[3];

static void on_log(void *ctx, int level, const char *text) {
  (void)ctx;
  (void)text;
  lines[level]++;
}

static oms_lease_t *make(const char *group, const char *node, int64_t ttl_ns) {
  oms_lease_config_t c = {
      .conninfo = pg.conninfo, .group = group, .node = node, .ttl_ns = ttl_ns, .on_log = on_log};
  oms_lease_t *l;
  assert_int_equal(oms_lease_create(&c, &l), 0);
  return l;
}

static void test_one_holder_and_a_release_hands_over(void **state) {
  (void)state;
  oms_lease_t *a = make("g1", "a", 2000 * MS), *b = make("g1", "b", 2000 * MS);
  oms_lease_holder_t h;
  assert_int_equal(oms_lease_state(a, oms_lease_now_ns()), OMS_LEASE_STANDBY);
  assert_int_equal(oms_lease_try_acquire(a, &h), 0);
  assert_int_equal(h.token, 0); /* nobody before */
  uint64_t t1 = oms_lease_token(a);
  assert_true(t1 >= 1);
  assert_int_equal(oms_lease_state(a, oms_lease_now_ns()), OMS_LEASE_HELD);
  assert_int_equal(oms_lease_try_acquire(b, &h), OMS_EBUSY);
  assert_string_equal(h.node, "a");
  assert_int_equal(h.token, t1);
  assert_true(h.remaining_ns > 0);
  assert_int_equal(oms_lease_renew(a), 0);
  assert_int_equal(oms_lease_start(a), 0);
  assert_int_equal(oms_lease_start(a), OMS_ESTATE);
  assert_int_equal(oms_lease_release(a), 0);
  /* Released: the standby gets it at once, with the next token. */
  assert_int_equal(oms_lease_try_acquire(b, &h), 0);
  assert_string_equal(h.node, "a");
  assert_int_equal(oms_lease_token(b), t1 + 1);
  assert_int_equal(oms_lease_release(a), OMS_EFENCED);
  assert_int_equal(oms_lease_state(a, oms_lease_now_ns()), OMS_LEASE_SUSPENDED);
  assert_int_equal(oms_lease_renew(a), OMS_EFENCED);
  assert_int_equal(oms_lease_state(a, oms_lease_now_ns()), OMS_LEASE_LOST);
  assert_string_equal(oms_lease_state_name(OMS_LEASE_LOST), "lost");
  oms_lease_destroy(a);
  oms_lease_destroy(b);
}

/* Times are wide (a ttl of 1 s) so that a loaded machine cannot make a
 * renewal or a statement late enough to change the outcome. */
static void test_a_paused_owner_is_suspended_then_fenced(void **state) {
  (void)state;
  oms_lease_t *a = make("g2", "a", 1000 * MS), *b = make("g2", "b", 1000 * MS);
  oms_lease_holder_t h;
  assert_int_equal(oms_lease_try_acquire(a, &h), 0);
  int64_t t0 = oms_lease_now_ns();
  /* The owner's deadline comes a margin (ttl/3) before the row expires. */
  int64_t dl = oms_lease_deadline_ns(a);
  assert_true(dl <= t0 + 667 * MS);
  /* b cannot take it while it lasts. */
  assert_int_equal(oms_lease_try_acquire(b, &h), OMS_EBUSY);
  usleep(700000); /* a is "paused": no renewal */
  assert_int_equal(oms_lease_state(a, oms_lease_now_ns()), OMS_LEASE_SUSPENDED);
  usleep(400000);
  assert_int_equal(oms_lease_try_acquire(b, &h), 0);
  assert_string_equal(h.node, "a");
  assert_true(h.remaining_ns < 0);
  assert_true(oms_lease_token(b) > oms_lease_token(a));
  /* a resumes: its renewal finds the newer token; it is fenced for good. */
  assert_int_equal(oms_lease_renew(a), OMS_EFENCED);
  assert_int_equal(oms_lease_state(a, oms_lease_now_ns()), OMS_LEASE_LOST);
  assert_true(lines[2] > 0);
  /* The renewer thread keeps b's row alive past two ttls. */
  assert_int_equal(oms_lease_start(b), 0);
  usleep(2200000);
  oms_lease_t *c = make("g2", "c", 1000 * MS);
  assert_int_equal(oms_lease_try_acquire(c, &h), OMS_EBUSY);
  assert_string_equal(h.node, "b");
  assert_int_equal(h.token, oms_lease_token(b));
  oms_lease_destroy(c);
  oms_lease_destroy(b); /* no release: the row expires by itself */
  oms_lease_destroy(a);
}

static void test_bad_configurations_are_refused(void **state) {
  (void)state;
  oms_lease_t *l = (oms_lease_t *)&pg;
  oms_lease_config_t c = {.conninfo = pg.conninfo, .group = "g", .node = ""};
  assert_int_equal(oms_lease_create(&c, &l), OMS_EINVAL);
  assert_null(l);
  c.node = "n";
  c.ttl_ns = 100 * MS;
  c.margin_ns = 100 * MS;
  assert_int_equal(oms_lease_create(&c, &l), OMS_EINVAL);
  c.margin_ns = 0;
  c.conninfo = "host=127.0.0.1 port=1 connect_timeout=1";
  assert_int_equal(oms_lease_create(&c, &l), OMS_ESTORE);
  assert_null(l);
  oms_lease_destroy(NULL);
  assert_string_equal(oms_lease_state_name((oms_lease_state_t)99), "?");
}

/* ---- Fencing of the PostgreSQL projection ---- */

typedef struct env_s {
  fx_dir_t dir;
  oms_store_t *st;
  _Atomic int errors;
  char last[256];
} env_t;

static void on_error(void *ctx, const oms_store_error_t *e) {
  env_t *env = ctx;
  if (e->code == 0) return;
  atomic_fetch_add(&env->errors, 1);
  snprintf(env->last, sizeof env->last, "%s", e->message);
}

static int open_store(env_t *env, const char *instance, uint64_t token) {
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, env->dir.journal, env->dir.db);
  jc.durability = OMS_DURABILITY_OS;
  jc.segment_bytes = 1 << 20;
  jc.pg_conninfo = pg.conninfo;
  jc.instance = instance;
  jc.lease_token = token;
  jc.on_error = on_error;
  jc.ctx = env;
  return oms_store_journal_open(&jc, &env->st);
}

static void append_order(env_t *env, uint64_t id, uint64_t *seq) {
  oms_order_t o;
  oms_event_t ev[2];
  fx_order(&o, id, "S1", "ACC1", "AAPL", T0);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, ++*seq, &ev[0]);
  fx_apply(&o, OMS_EV_ACCEPT, NULL, NULL, T0 + 1, ++*seq, &ev[1]);
  oms_store_unit_t u = {ev, 2};
  uint64_t ticket;
  assert_int_equal(oms_store_append(env->st, &u, 0, &ticket), 0);
}

static uint64_t count_orders(oms_store_t *st) {
  uint64_t n = 0;
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  assert_int_equal(oms_store_query_orders(st, &q, fx_count_orders, &n), 0);
  return n;
}

static void test_a_superseded_token_cannot_write_the_projection(void **state) {
  (void)state;
  char inst[32];
  snprintf(inst, sizeof inst, "fence_%d", (int)getpid());
  oms_lease_t *a = make(inst, "a", 1000 * MS), *b = make(inst, "b", 1000 * MS);
  oms_lease_holder_t h;
  assert_int_equal(oms_lease_try_acquire(a, &h), 0);
  env_t ea, eb;
  memset(&ea, 0, sizeof ea);
  memset(&eb, 0, sizeof eb);
  fx_dir_make(&ea.dir);
  fx_dir_make(&eb.dir);
  assert_int_equal(open_store(&ea, inst, oms_lease_token(a)), 0);
  uint64_t seq = 0;
  for (uint64_t id = 1; id <= 10; id++) append_order(&ea, id, &seq);
  assert_int_equal(oms_store_flush(ea.st, WAIT_NS), 0);
  assert_int_equal(count_orders(ea.st), 10);
  /* a pauses; b takes over after the expiry. */
  usleep(1100000);
  assert_int_equal(oms_lease_try_acquire(b, &h), 0);
  /* a resumes and writes: the database refuses every batch. */
  for (uint64_t id = 11; id <= 15; id++) append_order(&ea, id, &seq);
  assert_int_equal(oms_store_flush(ea.st, INT64_C(500000000)), OMS_ESTORE);
  assert_true(atomic_load(&ea.errors) > 0);
  assert_non_null(strstr(ea.last, "fenced"));
  assert_int_equal(count_orders(ea.st), 10);
  oms_store_close(ea.st);
  /* The new owner (its own journal here: the rows are keyed by instance and
   * order id) projects with its token. */
  assert_int_equal(open_store(&eb, inst, oms_lease_token(b)), OMS_ESTORE);
  /* A journal shorter than the projection's cursor is another journal:
   * refused, as documented; the owner continues the same journal instead. */
  eb.st = NULL;
  assert_int_equal(open_store(&ea, inst, oms_lease_token(b)), 0);
  assert_int_equal(oms_store_flush(ea.st, WAIT_NS), 0);
  assert_int_equal(count_orders(ea.st), 15);
  oms_store_close(ea.st);
  assert_int_equal(fx_dir_remove(&ea.dir), 0);
  assert_int_equal(fx_dir_remove(&eb.dir), 0);
  oms_lease_destroy(a);
  oms_lease_destroy(b);
}

int main(void) {
  int up = fx_pg_init(&pg);
  if (up == 1) return 0; /* skipped, said on stderr */
  if (up < 0) {
    fprintf(stderr, "FAIL: the PostgreSQL test cluster did not start (%s/pg.log)\n", pg.dir);
    return 1;
  }
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_holder_and_a_release_hands_over),
      cmocka_unit_test(test_a_paused_owner_is_suspended_then_fenced),
      cmocka_unit_test(test_bad_configurations_are_refused),
      cmocka_unit_test(test_a_superseded_token_cannot_write_the_projection),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  fx_pg_destroy(&pg);
  return rc;
}
