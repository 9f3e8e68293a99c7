/*
 * store_parents.c - parent orders in the SQLite projection: the `parents`
 * table, the `order_parents` table (a child's parent, a parent's algo),
 * and schema 7's back-fill.
 *
 * HOW IT WORKS
 * The engine journals a parent's algorithm state (oms_algo_encode, event
 * format 5) with every event that changes it: the parent's own events and
 * its children's. The projection decodes that state wherever an event
 * carries one and writes the parent's row of `parents` from it (strategy,
 * status, progress, the parameters as readable JSON), in the same
 * transaction as the event, so the row is as fresh as the last event of
 * the parent or of any of its children. Rows are written in seq order, so a
 * later state always replaces an earlier one.
 *
 * A child (and a parent) also has a row of `order_parents`: its
 * parent_order_id and child_seq (and a parent its algo), written with its
 * row of `orders`; ordinary orders have none. Its index on
 * (parent_order_id, order_id) makes the children of one parent a range of
 * the index, never a scan of every order.
 *
 * Schema 7 adds both to an existing database: it decodes every stored order
 * snapshot once (the only place the parent fields were) to fill
 * order_parents, then, for each parent, reads the events of the parent and
 * its children newest first until one carries its state. A one-time cost
 * proportional to the stored orders, as migration 5's rebuild of positions.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oms/algo.h"
#include "oms/error.h"
#include "store/store_int.h"
#include "store/store_sqlite.h"

/* ---- The parameters as JSON ------------------------------------------------- */

typedef struct jw_s {
  char *b;
  size_t cap, n;
  bool first;
} jw_t;

static void jw_raw(jw_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jw_raw(jw_t *w, const char *fmt, ...) {
  if (w->n >= w->cap) return;
  va_list ap;
  va_start(ap, fmt);
  int k = vsnprintf(w->b + w->n, w->cap - w->n, fmt, ap);
  va_end(ap);
  w->n = k < 0 ? w->cap : w->n + (size_t)k;
}

static void jw_key(jw_t *w, const char *name) {
  jw_raw(w, "%s\"%s\":", w->first ? "" : ",", name);
  w->first = false;
}

static void put_dec(jw_t *w, const char *name, oms_dec_t d) {
  char t[OMS_DEC_STRLEN];
  oms_dec_format(d, t, sizeof t);
  jw_key(w, name);
  jw_raw(w, "\"%s\"", t);
}

static void put_int(jw_t *w, const char *name, int64_t v) {
  jw_key(w, name);
  jw_raw(w, "%" PRId64, v);
}

/* Enums by name where the API spells them so (admin_parents.c reads the same). */
static void put_enum(jw_t *w, const char *name, const oms_algo_params_t *p, int param) {
  static const char *const aggr[] = {"", "PASSIVE", "MID", "CROSS"};
  static const char *const unit[] = {"", "PRICE", "BPS", "TICKS"};
  const char *s = NULL;
  int64_t v = 0;
  switch (param) {
    case OMS_ALGO_P_strategy: s = oms_algo_strategy_name((oms_algo_strategy_t)p->strategy); break;
    case OMS_ALGO_P_side: s = oms_side_str((oms_side_t)p->side); break;
    case OMS_ALGO_P_aggression: v = p->aggression, s = v >= 1 && v <= 3 ? aggr[v] : NULL; break;
    default: v = p->trail_unit, s = v >= 1 && v <= 3 ? unit[v] : NULL; break;
  }
  jw_key(w, name);
  if (s != NULL)
    jw_raw(w, "\"%s\"", s);
  else
    jw_raw(w, "%" PRId64, v);
}

static void put_profile(jw_t *w, const char *name, const oms_algo_params_t *p) {
  jw_key(w, name);
  jw_raw(w, "[");
  for (unsigned i = 0; i < p->profile_len && i < OMS_ALGO_PROFILE_MAX; i++) {
    char t[OMS_DEC_STRLEN];
    oms_dec_format(p->profile[i], t, sizeof t);
    jw_raw(w, "%s\"%s\"", i ? "," : "", t);
  }
  jw_raw(w, "]");
}

/* One writer per type of the parameter table (algo.h): TIME and DUR in ns
 * (their names end in _ns), BOOL as true/false. */
#define PUT_DEC(w, p, f, param) put_dec(w, #f, (p)->f)
#define PUT_TIME(w, p, f, param) put_int(w, #f, (int64_t)(p)->f)
#define PUT_DUR(w, p, f, param) put_int(w, #f, (int64_t)(p)->f)
#define PUT_U64(w, p, f, param) put_int(w, #f, (int64_t)(p)->f)
#define PUT_ENUM(w, p, f, param) put_enum(w, #f, p, param)
#define PUT_BOOL(w, p, f, param) (jw_key(w, #f), jw_raw(w, "%s", (p)->f ? "true" : "false"))
#define PUT_PROFILE(w, p, f, param) put_profile(w, #f, p)

int oms__parent_params_json(const oms_algo_params_t *p, char *buf, size_t cap) {
  jw_t w = {buf, cap, 0, true};
  if (cap == 0) return OMS_ENOSPC;
  jw_raw(&w, "{");
#define XX(f, tag, type, unit, lo, hi, d) \
  if (p->set & (1u << OMS_ALGO_P_##f)) PUT_##type(&w, p, f, OMS_ALGO_P_##f);
  OMS_ALGO_PARAM_MAP(XX)
#undef XX
  jw_raw(&w, "}");
  if (w.n >= cap) {
    snprintf(buf, cap, "{}");
    return OMS_ENOSPC;
  }
  return (int)w.n;
}

/* ---- Writing a parent's row ---------------------------------------------------- */

int oms__parent_write(sqlite3_stmt *put_st, const oms_event_t *ev, oms__step_fn step, void *ctx) {
  oms_algo_state_t st;
  /* A state that does not decode was refused by the engine's recovery too
   * (docs/parents.md); the projection skips it rather than stop. */
  if (ev->algo_len == 0 || oms_algo_decode(ev->algo, ev->algo_len, &st) != 0 || st.parent_id == 0)
    return SQLITE_OK;
  char params[OMS_PARENT_PARAMS_MAX];
  (void)oms__parent_params_json(&st.p, params, sizeof params);
  char d[6][OMS_DEC_STRLEN];
  oms_dec_t leaves = OMS_DEC_ZERO;
  (void)oms_dec_sub(st.p.qty, st.filled, &leaves);
  oms_dec_format(st.p.qty, d[0], sizeof d[0]);
  oms_dec_format(st.filled, d[1], sizeof d[1]);
  oms_dec_format(st.open, d[2], sizeof d[2]);
  oms_dec_format(leaves, d[3], sizeof d[3]);
  oms_dec_format(oms_algo_avg_px(&st), d[4], sizeof d[4]);
  oms_dec_format(st.p.limit_px, d[5], sizeof d[5]);
  oms_algo_status_t status = (oms_algo_status_t)st.status;
  bool schedule = st.p.strategy == OMS_ALGO_TWAP || st.p.strategy == OMS_ALGO_VWAP ||
                  st.p.strategy == OMS_ALGO_POV;
  sqlite3_bind_int64(put_st, 1, (sqlite3_int64)st.parent_id);
  sqlite3_bind_text(put_st, 2, oms_algo_strategy_name((oms_algo_strategy_t)st.p.strategy), -1,
                    SQLITE_STATIC);
  sqlite3_bind_text(put_st, 3, oms_algo_status_name(status), -1, SQLITE_STATIC);
  sqlite3_bind_int(put_st, 4, oms_algo_status_is_terminal(status) ? 1 : 0);
  sqlite3_bind_text(put_st, 5, ev->order.account_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(put_st, 6, ev->order.symbol, -1, SQLITE_STATIC);
  sqlite3_bind_text(put_st, 7, oms_side_str((oms_side_t)st.p.side), -1, SQLITE_STATIC);
  for (int i = 0; i < 6; i++) sqlite3_bind_text(put_st, 8 + i, d[i], -1, SQLITE_STATIC);
  sqlite3_bind_int64(put_st, 14, st.slice_no);
  sqlite3_bind_int64(put_st, 15, st.n_slices);
  sqlite3_bind_int64(put_st, 16, st.next_seq > 0 ? st.next_seq - 1 : 0);
  sqlite3_bind_int64(put_st, 17, st.p.start_ns ? st.p.start_ns : st.created_ns);
  sqlite3_bind_int64(put_st, 18, st.p.end_ns);
  sqlite3_bind_int64(put_st, 19,
                     schedule && !oms_algo_status_is_terminal(status) ? st.next_slice_ns : 0);
  sqlite3_bind_text(put_st, 20, params, -1, SQLITE_STATIC);
  sqlite3_bind_int64(put_st, 21, st.created_ns);
  sqlite3_bind_int64(put_st, 22, ev->event_ns);
  sqlite3_bind_int64(put_st, 23, (sqlite3_int64)ev->seq);
  int rc = step(ctx, put_st, "sqlite3_step(UPSERT parents)");
  sqlite3_reset(put_st);
  sqlite3_clear_bindings(put_st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- Reading one ------------------------------------------------------------------ */

void oms__parent_from_row(sqlite3_stmt *st, oms_parent_row_t *p) {
  char t[32];
  memset(p, 0, sizeof *p);
  p->parent_order_id = (uint64_t)sqlite3_column_int64(st, 0);
  oms__col_text(st, 1, t, sizeof t);
  oms_algo_strategy_t s = OMS_ALGO_NONE;
  (void)oms_algo_strategy_parse(t, &s);
  p->strategy = (uint16_t)s;
  oms__col_text(st, 2, t, sizeof t);
  for (int i = OMS_ALGO_WAITING; i <= OMS_ALGO_HALTED; i++)
    if (strcmp(t, oms_algo_status_name((oms_algo_status_t)i)) == 0) p->status = (uint8_t)i;
  oms__col_text(st, 3, p->account_id, sizeof p->account_id);
  oms__col_text(st, 4, p->symbol, sizeof p->symbol);
  oms__col_text(st, 5, t, sizeof t);
  (void)oms_side_parse(t, &p->side);
  p->qty = oms__col_dec(st, 6);
  p->filled_qty = oms__col_dec(st, 7);
  p->open_qty = oms__col_dec(st, 8);
  p->leaves_qty = oms__col_dec(st, 9);
  p->avg_px = oms__col_dec(st, 10);
  p->limit_px = oms__col_dec(st, 11);
  p->slices_done = (uint32_t)sqlite3_column_int64(st, 12);
  p->slices = (uint32_t)sqlite3_column_int64(st, 13);
  p->children = (uint32_t)sqlite3_column_int64(st, 14);
  p->start_ns = sqlite3_column_int64(st, 15);
  p->end_ns = sqlite3_column_int64(st, 16);
  p->next_slice_ns = sqlite3_column_int64(st, 17);
  oms__col_text(st, 18, p->params, sizeof p->params);
  p->created_ns = sqlite3_column_int64(st, 19);
  p->updated_ns = sqlite3_column_int64(st, 20);
  p->last_event_seq = (uint64_t)sqlite3_column_int64(st, 21);
  oms__col_text(st, 22, p->client_order_id, sizeof p->client_order_id);
  oms__col_text(st, 23, t, sizeof t);
  (void)oms_ord_state_parse(t, &p->state);
}

/* ---- Schema 7's back-fill -------------------------------------------------------------- */

static int plain_step(void *ctx, sqlite3_stmt *st, const char *label) {
  (void)ctx;
  (void)label;
  return sqlite3_step(st);
}

/* The rows of order_parents from every order's snapshot. */
static int backfill_columns(sqlite3 *db) {
  sqlite3_stmt *all = NULL, *upd = NULL;
  int rc = sqlite3_prepare_v2(db, "SELECT snapshot FROM orders", -1, &all, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, OMS__SQL_ORDER_PARENT_PUT, -1, &upd, NULL);
  while (rc == SQLITE_OK) {
    rc = sqlite3_step(all);
    if (rc != SQLITE_ROW) break;
    oms_order_t o;
    rc = SQLITE_OK;
    if (oms_order_decode(sqlite3_column_blob(all, 0), (size_t)sqlite3_column_bytes(all, 0), &o) !=
        0) {
      rc = SQLITE_CORRUPT;
      break;
    }
    if (o.parent_order_id == 0 && o.algo == 0) continue;
    sqlite3_bind_int64(upd, 1, (sqlite3_int64)o.order_id);
    sqlite3_bind_int64(upd, 2, (sqlite3_int64)o.parent_order_id);
    sqlite3_bind_int64(upd, 3, o.child_seq);
    sqlite3_bind_text(upd, 4, o.algo ? oms_algo_strategy_name((oms_algo_strategy_t)o.algo) : "", -1,
                      SQLITE_STATIC);
    rc = sqlite3_step(upd);
    sqlite3_reset(upd);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  sqlite3_finalize(all);
  sqlite3_finalize(upd);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Each parent's row from the newest event that carries its state. */
static int backfill_parents(sqlite3 *db) {
  sqlite3_stmt *par = NULL, *evs = NULL, *put = NULL;
  int rc = sqlite3_prepare_v2(
      db, "SELECT order_id FROM order_parents WHERE algo != '' AND parent_order_id = 0", -1, &par,
      NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db,
                            "SELECT body FROM events WHERE order_id = ?1 OR order_id IN "
                            "(SELECT order_id FROM order_parents WHERE parent_order_id = ?1) "
                            "ORDER BY seq DESC",
                            -1, &evs, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, OMS__SQL_PARENT_PUT, -1, &put, NULL);
  oms_event_t ev;
  while (rc == SQLITE_OK) {
    rc = sqlite3_step(par);
    if (rc != SQLITE_ROW) break;
    uint64_t id = (uint64_t)sqlite3_column_int64(par, 0);
    sqlite3_bind_int64(evs, 1, (sqlite3_int64)id);
    rc = SQLITE_OK;
    while (rc == SQLITE_OK) {
      rc = sqlite3_step(evs);
      if (rc != SQLITE_ROW) break;
      rc = SQLITE_OK;
      if (oms_event_decode(sqlite3_column_blob(evs, 0), (size_t)sqlite3_column_bytes(evs, 0),
                           &ev) != 0) {
        rc = SQLITE_CORRUPT;
        break;
      }
      oms_algo_state_t st;
      if (ev.algo_len == 0 || oms_algo_decode(ev.algo, ev.algo_len, &st) != 0 || st.parent_id != id)
        continue;
      rc = oms__parent_write(put, &ev, plain_step, NULL);
      if (rc == SQLITE_OK) rc = SQLITE_DONE; /* the newest is enough */
    }
    sqlite3_reset(evs);
    if (rc == SQLITE_DONE) rc = SQLITE_OK;
  }
  sqlite3_finalize(par);
  sqlite3_finalize(evs);
  sqlite3_finalize(put);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int oms__parents_backfill(sqlite3 *db) {
  int rc = backfill_columns(db);
  return rc == SQLITE_OK ? backfill_parents(db) : rc;
}
