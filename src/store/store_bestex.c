/*
 * store_bestex.c - smart parents' best-execution records in the store: the
 * bytes the BestExecution event carries, and its SQLite projection (tables
 * `best_execution` and `best_execution_venues`, schema 8).
 *
 * HOW IT WORKS
 * When a smart parent ends, the engine appends one BestExecution event
 * about it (engine_sor.c): the event's order is the parent's, its bytes are
 * the record of src/sor (arrival NBBO, fills, notional and fees per venue,
 * Rule 605 price improvement, effective spread) followed by the number of
 * fills per venue ("BF", one u32 a venue, in the record's venue order).
 * The projection writes the parent's row of `best_execution` and one row
 * per venue of `best_execution_venues` from it, in the same transaction as
 * the event, and the event's row of `events` carries the parent's order id,
 * so the parent's event history shows it. A parent has at most one record:
 * a later event about it replaces the rows.
 *
 * Schema 8 back-fills both tables (and the events' order_id) from the
 * BestExecution events already stored, which carry the record without the
 * fill counts (0).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "oms/error.h"
#include "oms/store.h"
#include "store/store_int.h"
#include "store/store_sqlite.h"

/* ---- The event's bytes ---------------------------------------------------------- */

int oms_store_bestex_encode(const oms_sor_bestex_t *bx, const uint32_t *fills, uint8_t *buf,
                            size_t cap) {
  int n = oms_sor_bestex_encode(bx, buf, cap);
  if (n < 0) return n;
  uint32_t nv = bx->nvenues > OMS_SOR_MAX_VENUES ? OMS_SOR_MAX_VENUES : bx->nvenues;
  size_t len = (size_t)n + 2 + 4 * nv;
  if (len > cap) return OMS_EFULL;
  uint8_t *p = buf + n;
  *p++ = 'B';
  *p++ = 'F';
  for (uint32_t i = 0; i < nv; i++) {
    uint32_t f = fills != NULL ? fills[i] : 0;
    for (int k = 0; k < 4; k++) *p++ = (uint8_t)(f >> (8 * k));
  }
  return (int)len;
}

int oms_store_bestex_decode(const uint8_t *buf, size_t len, oms_sor_bestex_t *bx,
                            uint32_t fills[OMS_SOR_MAX_VENUES]) {
  memset(fills, 0, OMS_SOR_MAX_VENUES * sizeof(fills[0]));
  if (len < 4) return oms_sor_bestex_decode(buf, len, bx);
  /* the record's own header says how many venues, so how long the counts */
  size_t tail = 2 + 4 * (size_t)buf[3];
  if (buf[3] <= OMS_SOR_MAX_VENUES && len > tail && buf[len - tail] == 'B' &&
      buf[len - tail + 1] == 'F' && oms_sor_bestex_decode(buf, len - tail, bx) == 0) {
    const uint8_t *p = buf + len - tail + 2;
    for (uint32_t i = 0; i < bx->nvenues; i++, p += 4)
      fills[i] = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return 0;
  }
  return oms_sor_bestex_decode(buf, len, bx); /* written before fills were counted */
}

/* ---- Writing a parent's rows ------------------------------------------------------ */

int oms__bestex_write(sqlite3_stmt *const put[3], const oms_event_t *ev, oms__step_fn step,
                      void *ctx) {
  oms_sor_bestex_t bx;
  uint32_t fills[OMS_SOR_MAX_VENUES];
  if (ev->type != OMS_EVT_BEST_EXECUTION || ev->order.order_id == 0 ||
      oms_store_bestex_decode(ev->algo, ev->algo_len, &bx, fills) != 0)
    return SQLITE_OK; /* the event stays in the log; there is no record to show */
  uint64_t id = ev->order.order_id;
  char d[11][OMS_DEC_STRLEN];
  const oms_dec_t v[11] = {bx.arrival_bid, bx.arrival_ask,   bx.qty,      bx.filled,
                           bx.avg_px,      bx.notional,      bx.fees,     bx.improvement_px,
                           bx.improvement, bx.eff_spread_px, OMS_DEC_ZERO};
  for (int i = 0; i < 10; i++) oms_dec_format(v[i], d[i], sizeof d[i]);
  sqlite3_stmt *st = put[0];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  sqlite3_bind_text(st, 2, ev->order.account_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, ev->order.symbol, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, oms_side_str(bx.side), -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, bx.arrival_ns);
  for (int i = 0; i < 10; i++) sqlite3_bind_text(st, 6 + i, d[i], -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 16, bx.nvenues);
  sqlite3_bind_int64(st, 17, ev->event_ns);
  sqlite3_bind_int64(st, 18, (sqlite3_int64)ev->seq);
  int rc = step(ctx, st, "sqlite3_step(UPSERT best_execution)");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE) return rc;
  st = put[1];
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  rc = step(ctx, st, "sqlite3_step(DELETE best_execution_venues)");
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return rc;
  st = put[2];
  for (uint32_t i = 0; i < bx.nvenues && rc == SQLITE_DONE; i++) {
    char q[3][OMS_DEC_STRLEN];
    oms_dec_format(bx.venue[i].qty, q[0], sizeof q[0]);
    oms_dec_format(bx.venue[i].notional, q[1], sizeof q[1]);
    oms_dec_format(bx.venue[i].fees, q[2], sizeof q[2]);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    sqlite3_bind_text(st, 2, bx.venue[i].venue, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, fills[i]);
    sqlite3_bind_int64(st, 4, bx.venue[i].children);
    for (int k = 0; k < 3; k++) sqlite3_bind_text(st, 5 + k, q[k], -1, SQLITE_STATIC);
    rc = step(ctx, st, "sqlite3_step(INSERT best_execution_venues)");
    sqlite3_reset(st);
  }
  sqlite3_clear_bindings(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- Reading one ------------------------------------------------------------------ */

int oms__bestex_read(sqlite3 *db, uint64_t id, oms_bestex_row_t *out) {
  sqlite3_stmt *st = NULL;
  memset(out, 0, sizeof *out);
  int rc = sqlite3_prepare_v2(db, OMS__SQL_BESTEX_GET, -1, &st, NULL);
  if (rc != SQLITE_OK) return OMS_ESTORE;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    oms_sor_bestex_t *bx = &out->bx;
    char t[16];
    bx->parent_id = id;
    oms__col_text(st, 0, out->account_id, sizeof out->account_id);
    oms__col_text(st, 1, out->symbol, sizeof out->symbol);
    oms__col_text(st, 2, t, sizeof t);
    (void)oms_side_parse(t, &bx->side);
    bx->arrival_ns = sqlite3_column_int64(st, 3);
    oms_dec_t *f[10] = {&bx->arrival_bid, &bx->arrival_ask,  &bx->qty,  &bx->filled,
                        &bx->avg_px,      &bx->notional,     &bx->fees, &bx->improvement_px,
                        &bx->improvement, &bx->eff_spread_px};
    for (int i = 0; i < 10; i++) *f[i] = oms__col_dec(st, 4 + i);
    out->event_ns = sqlite3_column_int64(st, 14);
    out->event_seq = (uint64_t)sqlite3_column_int64(st, 15);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE) return OMS_ENOTFOUND;
  if (rc != SQLITE_ROW) return OMS_ESTORE;
  rc = sqlite3_prepare_v2(db, OMS__SQL_BESTEX_VENUES, -1, &st, NULL);
  if (rc != SQLITE_OK) return OMS_ESTORE;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && out->bx.nvenues < OMS_SOR_MAX_VENUES) {
    uint32_t i = out->bx.nvenues++;
    oms__col_text(st, 0, out->bx.venue[i].venue, sizeof out->bx.venue[i].venue);
    out->fills[i] = (uint32_t)sqlite3_column_int64(st, 1);
    out->bx.venue[i].children = (uint32_t)sqlite3_column_int64(st, 2);
    out->bx.venue[i].qty = oms__col_dec(st, 3);
    out->bx.venue[i].notional = oms__col_dec(st, 4);
    out->bx.venue[i].fees = oms__col_dec(st, 5);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : OMS_ESTORE;
}

/* ---- Schema 8's back-fill ------------------------------------------------------------ */

static int plain_step(void *ctx, sqlite3_stmt *st, const char *label) {
  (void)ctx;
  (void)label;
  return sqlite3_step(st);
}

int oms__bestex_backfill(sqlite3 *db) {
  sqlite3_stmt *evs = NULL, *upd = NULL, *put[3] = {NULL, NULL, NULL};
  int rc = sqlite3_prepare_v2(db, "SELECT seq, body FROM events WHERE type = ?1", -1, &evs, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_prepare_v2(db, "UPDATE events SET order_id = ?2 WHERE seq = ?1", -1, &upd, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, OMS__SQL_BESTEX_PUT, -1, &put[0], NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, OMS__SQL_BESTEX_DEL_VENUES, -1, &put[1], NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, OMS__SQL_BESTEX_VENUE_PUT, -1, &put[2], NULL);
  if (rc == SQLITE_OK)
    sqlite3_bind_text(evs, 1, oms_event_type_name(OMS_EVT_BEST_EXECUTION), -1, SQLITE_STATIC);
  oms_event_t ev;
  while (rc == SQLITE_OK) {
    rc = sqlite3_step(evs);
    if (rc != SQLITE_ROW) break;
    if (oms_event_decode(sqlite3_column_blob(evs, 1), (size_t)sqlite3_column_bytes(evs, 1), &ev) !=
        0) {
      rc = SQLITE_CORRUPT;
      break;
    }
    sqlite3_bind_int64(upd, 1, sqlite3_column_int64(evs, 0));
    sqlite3_bind_int64(upd, 2, (sqlite3_int64)ev.order.order_id);
    rc = sqlite3_step(upd);
    sqlite3_reset(upd);
    if (rc == SQLITE_DONE) rc = oms__bestex_write(put, &ev, plain_step, NULL);
  }
  sqlite3_finalize(evs);
  sqlite3_finalize(upd);
  for (int i = 0; i < 3; i++) sqlite3_finalize(put[i]);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}
