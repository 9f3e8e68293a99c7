/* Tests for src/store/store_parents.c: a parent's progress in `parents` from
 * the state its events and its children's carry, the children by parent
 * (paged), the parameters as JSON, and schema 7's back-fill of a version 6
 * database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "oms/algo.h"
#include "store/store_int.h"
#include "store/store_sqlite.h"
#include "unit/store/parent_fixture.h"
#include "unit/store/store_fixture.h"

static oms_store_t *open_sqlite(const char *path) {
  oms_store_config_t cfg;
  oms_store_config_init(&cfg, path);
  cfg.synchronous = true;
  oms_store_t *st = NULL;
  assert_int_equal(oms_store_sqlite_open(&cfg, &st), 0);
  return st;
}

typedef struct rows_s {
  oms_parent_row_t p[8];
  size_t n;
  uint64_t ids[8];
  size_t nid;
} rows_t;

static int take_parent(void *ctx, const oms_parent_row_t *p) {
  rows_t *r = ctx;
  if (r->n < 8) r->p[r->n++] = *p;
  return 0;
}

static int take_id(void *ctx, const oms_order_t *o) {
  rows_t *r = ctx;
  if (r->nid < 8) r->ids[r->nid++] = o->order_id;
  return 0;
}

static size_t parents(oms_store_t *st, const oms_parent_query_t *q, rows_t *r) {
  memset(r, 0, sizeof *r);
  assert_int_equal(oms_store_query_parents(st, q, take_parent, r), 0);
  return r->n;
}

static void check_progress(const oms_parent_row_t *p, uint64_t pid) {
  assert_int_equal(p->parent_order_id, pid);
  assert_int_equal(p->strategy, OMS_ALGO_TWAP);
  assert_int_equal(p->status, OMS_ALGO_WORKING);
  assert_int_equal(p->side, OMS_SIDE_BUY);
  assert_int_equal(p->state, OMS_STATE_ACCEPTED);
  assert_string_equal(p->account_id, "A1");
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
  assert_non_null(strstr(p->params, "\"strategy\":\"TWAP\""));
  assert_non_null(strstr(p->params, "\"slice_ns\":10000000000"));
  assert_non_null(strstr(p->params, "\"aggression\":\"MID\""));
  assert_non_null(strstr(p->params, "\"catch_up\":true"));
  assert_non_null(strstr(p->params, "\"limit_px\":\"101\""));
}

static void test_a_parent_and_its_children_are_projected(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  oms_store_t *st = open_sqlite(d.db);
  world_t w1, w2;
  make_world(&w1, 10, "A1", "BTC-USD", 1);
  make_world(&w2, 20, "A2", "ETH-USD", 6);
  uint64_t t;
  oms_store_unit_t u1 = {w1.ev, w1.n}, u2 = {w2.ev, w2.n};
  assert_int_equal(oms_store_append(st, &u1, 0, &t), 0);
  assert_int_equal(oms_store_append(st, &u2, 0, &t), 0);

  rows_t r;
  oms_parent_query_t q = {0};
  assert_int_equal(parents(st, &q, &r), 2);
  check_progress(&r.p[0], 10);
  assert_string_equal(r.p[0].client_order_id, "c10");
  assert_int_equal(r.p[0].last_event_seq, 5);
  /* filters: account, symbol, status, id, paging */
  q.account_id = "A2";
  assert_int_equal(parents(st, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 20);
  q.account_id = NULL;
  q.symbol = "BTC-USD";
  assert_int_equal(parents(st, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 10);
  q.symbol = NULL;
  q.statuses = 1u << OMS_ALGO_COMPLETED;
  assert_int_equal(parents(st, &q, &r), 0);
  q.statuses = 1u << OMS_ALGO_WORKING | 1u << OMS_ALGO_WAITING;
  assert_int_equal(parents(st, &q, &r), 2);
  q.statuses = 0;
  q.limit = 1;
  assert_int_equal(parents(st, &q, &r), 1);
  q.after_parent_id = r.p[0].parent_order_id;
  assert_int_equal(parents(st, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 20);
  q = (oms_parent_query_t){.parent_order_id = 20};
  assert_int_equal(parents(st, &q, &r), 1);
  /* newest first, paged downwards */
  q = (oms_parent_query_t){.newest_first = true, .limit = 1};
  assert_int_equal(parents(st, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 20);
  q.after_parent_id = 20;
  assert_int_equal(parents(st, &q, &r), 1);
  assert_int_equal(r.p[0].parent_order_id, 10);

  /* the children of one parent, from the index */
  oms_order_query_t oq = {0};
  oq.parent_order_id = 10;
  memset(&r, 0, sizeof r);
  assert_int_equal(oms_store_query_orders(st, &oq, take_id, &r), 0);
  assert_int_equal(r.nid, 1);
  assert_int_equal(r.ids[0], 11);
  oq.after_order_id = 11;
  memset(&r, 0, sizeof r);
  assert_int_equal(oms_store_query_orders(st, &oq, take_id, &r), 0);
  assert_int_equal(r.nid, 0);
  oms_store_close(st);

  /* the columns people query with sqlite3 */
  sqlite3 *db;
  sqlite3_stmt *s = NULL;
  assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "SELECT parent_order_id, child_seq, algo FROM order_parents "
                                      "WHERE order_id IN (10, 11) ORDER BY order_id",
                                      -1, &s, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(s), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int64(s, 0), 0);
  assert_string_equal((const char *)sqlite3_column_text(s, 2), "TWAP");
  assert_int_equal(sqlite3_step(s), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int64(s, 0), 10);
  assert_int_equal(sqlite3_column_int64(s, 1), 1);
  assert_string_equal((const char *)sqlite3_column_text(s, 2), "");
  sqlite3_finalize(s);
  /* the children's query: the range of the index by parent, then each
   * child's row by its key; no scan of orders */
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "EXPLAIN QUERY PLAN SELECT snapshot FROM order_parents CROSS "
                                      "JOIN orders USING (order_id) WHERE 1 AND parent_order_id = "
                                      "?11 ORDER BY order_id LIMIT ?9",
                                      -1, &s, NULL),
                   SQLITE_OK);
  char plan[512] = "";
  while (sqlite3_step(s) == SQLITE_ROW) {
    strncat(plan, (const char *)sqlite3_column_text(s, 3), sizeof plan - strlen(plan) - 2);
    strcat(plan, ";");
  }
  assert_non_null(strstr(plan, "order_parents_parent"));
  assert_null(strstr(plan, "SCAN orders"));
  assert_null(strstr(plan, "TEMP B-TREE"));
  sqlite3_finalize(s);
  sqlite3_close(db);
  assert_int_equal(fx_dir_remove(&d), 0);
}

/* A store at version 6 that already holds a parent (the engine journaled
 * them before the projection had columns for it) is back-filled. */
static void test_schema_7_backfills_a_version_6_database(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  assert_int_equal(oms__store_sqlite_migrate_path(d.db, 6), 0);
  world_t w;
  make_world(&w, 10, "A1", "BTC-USD", 1);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
  sqlite3_stmt *ins = NULL, *ord = NULL;
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "INSERT INTO events(seq, type, order_id, event_ns, body) "
                                      "VALUES(?1, ?2, ?3, ?4, ?5)",
                                      -1, &ins, NULL),
                   SQLITE_OK);
  /* version 6's orders row: the columns it had, the snapshot */
  assert_int_equal(sqlite3_prepare_v2(
                       db,
                       "INSERT OR REPLACE INTO orders(order_id, client_order_id, strategy_id, "
                       "account_id, venue, symbol, venue_order_id, side, type, tif, qty, price, "
                       "stop_price, state, terminal, filled_qty, leaves_qty, avg_px, reject_code, "
                       "reject_reason, created_ns, updated_ns, last_event_seq, snapshot) "
                       "VALUES(?1, 'c', 's1', 'A1', 'V', 'BTC-USD', '', 'BUY', 'LIMIT', 'DAY', "
                       "'2', '1', '0', ?2, 0, '0', '0', '0', 0, '', 0, 0, ?3, ?4)",
                       -1, &ord, NULL),
                   SQLITE_OK);
  for (size_t i = 0; i < w.n; i++) {
    uint8_t body[OMS_EVENT_BIN_MAX], snap[OMS_ORDER_BIN_MAX];
    int n = oms_event_encode(&w.ev[i], body, sizeof body);
    int m = oms_order_encode(&w.ev[i].order, snap, sizeof snap);
    assert_true(n > 0 && m > 0);
    sqlite3_bind_int64(ins, 1, (sqlite3_int64)w.ev[i].seq);
    sqlite3_bind_text(ins, 2, oms_event_type_name(w.ev[i].type), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ins, 3, (sqlite3_int64)w.ev[i].order.order_id);
    sqlite3_bind_int64(ins, 4, w.ev[i].event_ns);
    sqlite3_bind_blob(ins, 5, body, n, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
    sqlite3_reset(ins);
    sqlite3_bind_int64(ord, 1, (sqlite3_int64)w.ev[i].order.order_id);
    sqlite3_bind_text(ord, 2, oms_ord_state_str(w.ev[i].order.state), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(ord, 3, (sqlite3_int64)w.ev[i].seq);
    sqlite3_bind_blob(ord, 4, snap, m, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(ord), SQLITE_DONE);
    sqlite3_reset(ord);
  }
  /* an ordinary order, untouched by the back-fill */
  oms_order_t plain;
  oms_event_t pev;
  fx_order(&plain, 30, "s1", "A1", "BTC-USD", T0);
  fx_apply(&plain, OMS_EV_SUBMIT, NULL, NULL, T0, 9, &pev);
  uint8_t snap[OMS_ORDER_BIN_MAX];
  int m = oms_order_encode(&plain, snap, sizeof snap);
  sqlite3_bind_int64(ord, 1, 30);
  sqlite3_bind_text(ord, 2, "PENDING", -1, SQLITE_STATIC);
  sqlite3_bind_int64(ord, 3, 9);
  sqlite3_bind_blob(ord, 4, snap, m, SQLITE_TRANSIENT);
  assert_int_equal(sqlite3_step(ord), SQLITE_DONE);
  sqlite3_finalize(ins);
  sqlite3_finalize(ord);
  sqlite3_close(db);

  oms_store_t *st = open_sqlite(d.db);
  assert_int_equal(oms__store_sqlite_schema_version(st), OMS__SCHEMA_LATEST); /* 7, then 8 */
  rows_t r;
  oms_parent_query_t q = {0};
  assert_int_equal(parents(st, &q, &r), 1);
  check_progress(&r.p[0], 10);
  assert_int_equal(r.p[0].last_event_seq, 5);
  oms_order_query_t oq = {.parent_order_id = 10};
  memset(&r, 0, sizeof r);
  assert_int_equal(oms_store_query_orders(st, &oq, take_id, &r), 0);
  assert_int_equal(r.nid, 1);
  assert_int_equal(r.ids[0], 11);
  oms_store_close(st);

  /* A snapshot that does not decode stops the migration at version 6. */
  fx_dir_t d2;
  fx_dir_make(&d2);
  assert_int_equal(oms__store_sqlite_migrate_path(d2.db, 6), 0);
  assert_int_equal(sqlite3_open(d2.db, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db,
                   "INSERT INTO orders VALUES(1, 'c', 's', 'a', 'v', 'x', '', 'BUY', "
                   "'LIMIT', 'DAY', '1', '1', '0', 'PENDING', 0, '0', '1', '0', 0, '', "
                   "0, 0, 1, x'09')",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  oms_store_config_t cfg;
  oms_store_config_init(&cfg, d2.db);
  cfg.synchronous = true;
  oms_store_t *bad = NULL;
  assert_int_equal(oms_store_sqlite_open(&cfg, &bad), OMS_ESTORE);
  assert_null(bad);
  assert_int_equal(fx_dir_remove(&d2), 0);
  assert_int_equal(fx_dir_remove(&d), 0);
}

static void test_the_journal_store_serves_parents_and_the_memory_store_does_not(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, d.journal, d.db);
  jc.durability = OMS_DURABILITY_OS;
  oms_store_t *js = NULL;
  assert_int_equal(oms_store_journal_open(&jc, &js), 0);
  world_t w;
  make_world(&w, 10, "A1", "BTC-USD", 1);
  oms_store_unit_t u = {w.ev, w.n};
  uint64_t t;
  assert_int_equal(oms_store_append(js, &u, 0, &t), 0);
  assert_int_equal(oms_store_flush(js, 5 * SEC), 0);
  rows_t r;
  oms_parent_query_t q = {0};
  assert_int_equal(parents(js, &q, &r), 1);
  check_progress(&r.p[0], 10);
  oms_store_close(js);

  oms_store_t *mem = NULL;
  assert_int_equal(oms_store_memory_create(NULL, &mem), 0);
  assert_int_equal(oms_store_append(mem, &u, 0, &t), 0);
  assert_int_equal(oms_store_query_parents(mem, &q, take_parent, &r), OMS_EUNSUPPORTED);
  oms_order_query_t oq = {.parent_order_id = 10};
  memset(&r, 0, sizeof r);
  assert_int_equal(oms_store_query_orders(mem, &oq, take_id, &r), 0);
  assert_int_equal(r.nid, 1);
  assert_int_equal(r.ids[0], 11);
  oms_store_close(mem);
  assert_int_equal(fx_dir_remove(&d), 0);
}

/* An omsd data directory (a journal and its projection) written before
 * schema 7: the projection is upgraded at open and shows the parents. The
 * old projection is made by taking schema 7's tables out of a new one. */
static void test_a_journal_store_projection_at_version_6_upgrades(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  oms_store_journal_config_t jc;
  oms_store_journal_config_init(&jc, d.journal, d.db);
  jc.durability = OMS_DURABILITY_OS;
  oms_store_t *js = NULL;
  assert_int_equal(oms_store_journal_open(&jc, &js), 0);
  world_t w;
  make_world(&w, 10, "A1", "BTC-USD", 1);
  oms_store_unit_t u = {w.ev, w.n};
  uint64_t t;
  assert_int_equal(oms_store_append(js, &u, 0, &t), 0);
  oms_store_close(js);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "DROP TABLE parents; DROP TABLE order_parents; "
                                "DELETE FROM schema_version WHERE version = 7",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  js = NULL;
  assert_int_equal(oms_store_journal_open(&jc, &js), 0);
  rows_t r;
  oms_parent_query_t q = {0};
  assert_int_equal(parents(js, &q, &r), 1);
  check_progress(&r.p[0], 10);
  oms_order_query_t oq = {.parent_order_id = 10};
  memset(&r, 0, sizeof r);
  assert_int_equal(oms_store_query_orders(js, &oq, take_id, &r), 0);
  assert_int_equal(r.nid, 1);
  oms_store_close(js);
  assert_int_equal(fx_dir_remove(&d), 0);
}

static void test_parameters_read_as_json(void **state) {
  (void)state;
  oms_algo_params_t p;
  oms_algo_params_init(&p, OMS_ALGO_VWAP, OMS_SIDE_SELL, T_D("10"));
  OMS_ALGO_SET(&p, start_ns, T0);
  OMS_ALGO_SET(&p, seed, 42);
  OMS_ALGO_SET(&p, trail_unit, OMS_TRAIL_BPS);
  OMS_ALGO_SET(&p, catch_up, 0);
  p.profile_len = 2;
  p.profile[0] = T_D("1");
  p.profile[1] = T_D("2.5");
  p.set |= 1u << OMS_ALGO_P_profile;
  char buf[OMS_PARENT_PARAMS_MAX];
  int n = oms__parent_params_json(&p, buf, sizeof buf);
  assert_true(n > 0);
  assert_string_equal(buf,
                      "{\"strategy\":\"VWAP\",\"side\":\"SELL\",\"qty\":\"10\",\"start_ns\":"
                      "1700000000000000000,\"catch_up\":false,\"trail_unit\":\"BPS\",\"seed\":42,"
                      "\"profile\":[\"1\",\"2.5\"]}");
  /* an enum out of its names is a number; too small a buffer is refused */
  OMS_ALGO_SET(&p, aggression, 9);
  assert_true(oms__parent_params_json(&p, buf, sizeof buf) > 0);
  assert_non_null(strstr(buf, "\"aggression\":9"));
  assert_int_equal(oms__parent_params_json(&p, buf, 16), OMS_ENOSPC);
  assert_string_equal(buf, "{}");
  assert_int_equal(oms__parent_params_json(&p, buf, 0), OMS_ENOSPC);
}

/* An event whose state does not decode leaves the parents table alone. */
static void test_a_damaged_state_is_skipped(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  oms_store_t *st = open_sqlite(d.db);
  world_t w;
  make_world(&w, 10, "A1", "BTC-USD", 1);
  w.ev[1].algo[0] ^= 0xff;
  oms_store_unit_t u = {w.ev, 2};
  uint64_t t;
  assert_int_equal(oms_store_append(st, &u, 0, &t), 0);
  rows_t r;
  oms_parent_query_t q = {0};
  assert_int_equal(parents(st, &q, &r), 0);
  oms_store_close(st);
  assert_int_equal(fx_dir_remove(&d), 0);
}

static int count_events(void *ctx, const oms_event_t *ev) {
  (void)ev;
  (*(int *)ctx)++;
  return 0;
}

/* Schema 8 on a version 7 database: the best-execution tables back-filled
 * from a stored BestExecution event (one without fill counts, as written
 * before them), and the event's row keyed by its parent. */
static void test_schema_8_backfills_best_execution(void **state) {
  (void)state;
  fx_dir_t d;
  fx_dir_make(&d);
  oms_store_t *st = open_sqlite(d.db);
  oms_order_t o;
  oms_event_t ev[2];
  fx_order(&o, 5, "s1", "A1", "BTC-USD", T0);
  fx_apply(&o, OMS_EV_SUBMIT, NULL, NULL, T0, 1, &ev[0]);
  memset(&ev[1], 0, sizeof ev[1]);
  ev[1].type = OMS_EVT_BEST_EXECUTION;
  ev[1].order = o;
  ev[1].seq = 2;
  ev[1].event_ns = T0 + 5;
  oms_sor_bestex_t bx;
  memset(&bx, 0, sizeof bx);
  bx.parent_id = 5;
  bx.side = OMS_SIDE_SELL;
  bx.qty = T_D("2");
  bx.filled = T_D("1");
  bx.nvenues = 1;
  strcpy(bx.venue[0].venue, "V");
  bx.venue[0].qty = T_D("1");
  bx.venue[0].children = 1;
  int n = oms_sor_bestex_encode(&bx, ev[1].algo, sizeof ev[1].algo);
  assert_true(n > 0);
  ev[1].algo_len = (uint16_t)n;
  oms_store_unit_t u = {ev, 2};
  uint64_t ticket;
  assert_int_equal(oms_store_append(st, &u, 0, &ticket), 0);
  oms_store_close(st);
  /* back to version 7: no tables, no order id on the event (nor version 9's table) */
  sqlite3 *db;
  assert_int_equal(sqlite3_open(d.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "DROP TABLE best_execution; DROP TABLE best_execution_venues;"
                                "DROP TABLE pnl_bases;"
                                "DELETE FROM schema_version WHERE version >= 8;"
                                "UPDATE events SET order_id = NULL WHERE seq = 2;",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  st = open_sqlite(d.db);
  assert_int_equal(oms__store_sqlite_schema_version(st), OMS__SCHEMA_LATEST);
  oms_bestex_row_t r;
  assert_int_equal(oms_store_get_best_execution(st, 5, &r), 0);
  assert_int_equal(r.bx.side, OMS_SIDE_SELL);
  assert_true(oms_dec_eq(r.bx.filled, T_D("1")));
  assert_int_equal(r.bx.nvenues, 1);
  assert_string_equal(r.bx.venue[0].venue, "V");
  assert_int_equal(r.fills[0], 0);
  assert_int_equal(r.bx.venue[0].children, 1);
  assert_int_equal(r.event_seq, 2);
  int count = 0;
  assert_int_equal(oms_store_events_for_order(st, 5, count_events, &count), 0);
  assert_int_equal(count, 2);
  oms_store_close(st);
  assert_int_equal(fx_dir_remove(&d), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_a_parent_and_its_children_are_projected),
      cmocka_unit_test(test_schema_7_backfills_a_version_6_database),
      cmocka_unit_test(test_the_journal_store_serves_parents_and_the_memory_store_does_not),
      cmocka_unit_test(test_a_journal_store_projection_at_version_6_upgrades),
      cmocka_unit_test(test_parameters_read_as_json),
      cmocka_unit_test(test_a_damaged_state_is_skipped),
      cmocka_unit_test(test_schema_8_backfills_best_execution),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
