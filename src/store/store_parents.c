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
 *
 * The row's values (oms__parent_fields) and its reading back
 * (oms__parent_from_cols, every column as text) are shared with the
 * PostgreSQL projection (store_pg.c), which keeps the same tables.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* ---- A parent's row, for either backend ----------------------------------------- */

bool oms__parent_fields(const oms_event_t *ev, oms__parent_fields_t *f) {
  oms_algo_state_t st;
  /* A state that does not decode was refused by the engine's recovery too
   * (docs/parents.md); the projection skips it rather than stop. */
  if (ev->algo_len == 0 || oms_algo_decode(ev->algo, ev->algo_len, &st) != 0 || st.parent_id == 0)
    return false;
  (void)oms__parent_params_json(&st.p, f->params, sizeof f->params);
  oms_dec_t leaves = OMS_DEC_ZERO;
  (void)oms_dec_sub(st.p.qty, st.filled, &leaves);
  oms_dec_format(st.p.qty, f->dec[0], sizeof f->dec[0]);
  oms_dec_format(st.filled, f->dec[1], sizeof f->dec[1]);
  oms_dec_format(st.open, f->dec[2], sizeof f->dec[2]);
  oms_dec_format(leaves, f->dec[3], sizeof f->dec[3]);
  oms_dec_format(oms_algo_avg_px(&st), f->dec[4], sizeof f->dec[4]);
  oms_dec_format(st.p.limit_px, f->dec[5], sizeof f->dec[5]);
  oms_algo_status_t status = (oms_algo_status_t)st.status;
  bool schedule = st.p.strategy == OMS_ALGO_TWAP || st.p.strategy == OMS_ALGO_VWAP ||
                  st.p.strategy == OMS_ALGO_POV;
  f->parent_id = st.parent_id;
  f->strategy = oms_algo_strategy_name((oms_algo_strategy_t)st.p.strategy);
  f->status = oms_algo_status_name(status);
  f->terminal = oms_algo_status_is_terminal(status) ? 1 : 0;
  f->account_id = ev->order.account_id;
  f->symbol = ev->order.symbol;
  f->side = oms_side_str((oms_side_t)st.p.side);
  f->slices_done = st.slice_no;
  f->slices = st.n_slices;
  f->children = st.next_seq > 0 ? st.next_seq - 1 : 0;
  f->start_ns = st.p.start_ns ? st.p.start_ns : st.created_ns;
  f->end_ns = st.p.end_ns;
  f->next_slice_ns = schedule && !f->terminal ? st.next_slice_ns : 0;
  f->created_ns = st.created_ns;
  f->updated_ns = ev->event_ns;
  f->seq = ev->seq;
  return true;
}

/* Columns 0..21 are OMS__PARENT_COLS without `terminal`, 22 and 23 the
 * order's client_order_id and state; every column read as text. */
void oms__parent_from_cols(oms__col_fn col, void *ctx, oms_parent_row_t *p) {
  char t[32];
#define TXT(i, dst) oms_strlcpy(dst, col(ctx, i) ? col(ctx, i) : "", sizeof dst)
#define I64(i) (col(ctx, i) ? strtoll(col(ctx, i), NULL, 10) : 0)
#define DEC(i, dst) (void)oms_dec_parse_cstr(col(ctx, i) ? col(ctx, i) : "0", &dst)
  memset(p, 0, sizeof *p);
  p->parent_order_id = (uint64_t)I64(0);
  TXT(1, t);
  oms_algo_strategy_t s = OMS_ALGO_NONE;
  (void)oms_algo_strategy_parse(t, &s);
  p->strategy = (uint16_t)s;
  TXT(2, t);
  for (int i = OMS_ALGO_WAITING; i <= OMS_ALGO_HALTED; i++)
    if (strcmp(t, oms_algo_status_name((oms_algo_status_t)i)) == 0) p->status = (uint8_t)i;
  TXT(3, p->account_id);
  TXT(4, p->symbol);
  TXT(5, t);
  (void)oms_side_parse(t, &p->side);
  DEC(6, p->qty);
  DEC(7, p->filled_qty);
  DEC(8, p->open_qty);
  DEC(9, p->leaves_qty);
  DEC(10, p->avg_px);
  DEC(11, p->limit_px);
  p->slices_done = (uint32_t)I64(12);
  p->slices = (uint32_t)I64(13);
  p->children = (uint32_t)I64(14);
  p->start_ns = I64(15);
  p->end_ns = I64(16);
  p->next_slice_ns = I64(17);
  TXT(18, p->params);
  p->created_ns = I64(19);
  p->updated_ns = I64(20);
  p->last_event_seq = (uint64_t)I64(21);
  TXT(22, p->client_order_id);
  TXT(23, t);
  (void)oms_ord_state_parse(t, &p->state);
#undef TXT
#undef I64
#undef DEC
}

/* ---- Writing a parent's row (SQLite) --------------------------------------------- */

int oms__parent_write(sqlite3_stmt *put_st, const oms_event_t *ev, oms__step_fn step, void *ctx) {
  oms__parent_fields_t f;
  if (!oms__parent_fields(ev, &f)) return SQLITE_OK;
  sqlite3_bind_int64(put_st, 1, (sqlite3_int64)f.parent_id);
  sqlite3_bind_text(put_st, 2, f.strategy, -1, SQLITE_STATIC);
  sqlite3_bind_text(put_st, 3, f.status, -1, SQLITE_STATIC);
  sqlite3_bind_int(put_st, 4, f.terminal);
  sqlite3_bind_text(put_st, 5, f.account_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(put_st, 6, f.symbol, -1, SQLITE_STATIC);
  sqlite3_bind_text(put_st, 7, f.side, -1, SQLITE_STATIC);
  for (int i = 0; i < 6; i++) sqlite3_bind_text(put_st, 8 + i, f.dec[i], -1, SQLITE_STATIC);
  sqlite3_bind_int64(put_st, 14, f.slices_done);
  sqlite3_bind_int64(put_st, 15, f.slices);
  sqlite3_bind_int64(put_st, 16, f.children);
  sqlite3_bind_int64(put_st, 17, f.start_ns);
  sqlite3_bind_int64(put_st, 18, f.end_ns);
  sqlite3_bind_int64(put_st, 19, f.next_slice_ns);
  sqlite3_bind_text(put_st, 20, f.params, -1, SQLITE_STATIC);
  sqlite3_bind_int64(put_st, 21, f.created_ns);
  sqlite3_bind_int64(put_st, 22, f.updated_ns);
  sqlite3_bind_int64(put_st, 23, (sqlite3_int64)f.seq);
  int rc = step(ctx, put_st, "sqlite3_step(UPSERT parents)");
  sqlite3_reset(put_st);
  sqlite3_clear_bindings(put_st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- Reading one (SQLite) ---------------------------------------------------------- */

static const char *sq_col(void *ctx, int i) {
  return (const char *)sqlite3_column_text((sqlite3_stmt *)ctx, i);
}

void oms__parent_from_row(sqlite3_stmt *st, oms_parent_row_t *p) {
  oms__parent_from_cols(sq_col, st, p);
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
