/*
 * store.c - the parts of the order store that do not depend on an
 * implementation: configuration defaults, the helpers built on the function
 * table, the checks every implementation applies to an appended unit, and
 * the booking of a stored fill into its position (both stores use it, so
 * their positions tables agree with each other and with the portfolio),
 * and the commit-latency histogram both keep.
 */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "oms/error.h"
#include "oms/portfolio.h"
#include "oms/store.h"
#include "store/store_int.h"

void oms_store_config_init(oms_store_config_t *cfg, const char *path) {
  memset(cfg, 0, sizeof(*cfg));
  cfg->path = path;
  cfg->durability = OMS_DURABILITY_FSYNC;
}

int oms_store_flush(oms_store_t *s, int64_t timeout_ns) {
  if (s->vt->flush != NULL) return s->vt->flush(s, timeout_ns);
  oms_store_stats_t st;
  s->vt->stats(s, &st);
  /* appends counts every ticket handed out, so it is the last ticket. */
  return s->vt->wait(s, st.appends, timeout_ns);
}

typedef struct first_s {
  oms_order_t *out;
  int found;
} first_t;

static int take_last(void *ctx, const oms_order_t *o) {
  first_t *f = ctx;
  *f->out = *o;
  f->found = 1;
  return 0;
}

int oms_store_get_order_by_clordid(oms_store_t *s, const char *strategy_id,
                                   const char *client_order_id, oms_order_t *out) {
  if (client_order_id == NULL || client_order_id[0] == '\0') return OMS_EINVAL;
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  q.client_order_id = client_order_id;
  q.strategy_id = strategy_id;
  first_t f = {out, 0};
  int rc = s->vt->query_orders(s, &q, take_last, &f);
  if (rc != 0) return rc;
  return f.found ? 0 : OMS_ENOTFOUND;
}

int oms_store_load_active(oms_store_t *s, oms_order_cb cb, void *ctx) {
  oms_order_query_t q;
  memset(&q, 0, sizeof q);
  q.state_class = OMS_STATE_CLASS_ACTIVE;
  return s->vt->query_orders(s, &q, cb, ctx);
}

int oms__unit_check(const oms_store_unit_t *u, uint64_t last_seq, size_t *n, uint64_t *max_seq) {
  size_t count = 0;
  if (u == NULL || (u->n_events > 0 && u->events == NULL)) return OMS_EINVAL;
  for (size_t i = 0; i < u->n_events; i++) {
    uint64_t seq = u->events[i].seq;
    if (seq == 0) continue;
    if (seq <= last_seq) return OMS_EINVAL;
    last_seq = seq;
    count++;
  }
  *n = count;
  *max_seq = last_seq;
  return 0;
}

void oms__unit_fill(const oms_store_unit_t *u, uint64_t ticket,
                    oms__rec_t *(*slot)(void *ctx, size_t i), void *ctx) {
  size_t k = 0;
  for (size_t e = 0; e < u->n_events; e++) {
    if (u->events[e].seq == 0) continue;
    oms__rec_t *r = slot(ctx, k++);
    r->ticket = ticket;
    r->kind = OMS__REC_EVENT;
    r->u.ev = u->events[e];
  }
}

const char *oms__state_class_sql(oms_state_class_t c) {
  static const char *const sql[] = {
      [OMS_STATE_CLASS_ANY] = "",
      [OMS_STATE_CLASS_ACTIVE] = " AND terminal = 0",
      [OMS_STATE_CLASS_FILLED] = " AND terminal = 1 AND state = 'FILLED'",
      [OMS_STATE_CLASS_CANCELLED] = " AND terminal = 1 AND state = 'CANCELLED'",
      [OMS_STATE_CLASS_REJECTED] = " AND terminal = 1 AND state = 'REJECTED'",
      [OMS_STATE_CLASS_EXPIRED] = " AND terminal = 1 AND state = 'EXPIRED'",
      [OMS_STATE_CLASS_TERMINAL] = " AND terminal = 1",
  };
  return (unsigned)c < sizeof sql / sizeof sql[0] ? sql[c] : NULL;
}

bool oms__event_is_fill(const oms_event_t *ev) {
  /* A parent's fill is the sum of its children's, which book it. */
  return (ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED || ev->type == OMS_EVT_ORDER_FILLED) &&
         ev->order.order_id != 0 && ev->fill.qty.raw != 0 && ev->order.algo == 0;
}

static bool is_amend(const oms_event_t *ev) {
  return (ev->type == OMS_EVT_ORDER_FILL_BUSTED || ev->type == OMS_EVT_ORDER_FILL_CORRECTED) &&
         ev->order.order_id != 0 && ev->fill.old_qty.raw != 0;
}

bool oms__event_books(const oms_event_t *ev) { return oms__event_is_fill(ev) || is_amend(ev); }

bool oms__position_book(oms_position_t *p, const oms_event_t *ev) {
  const oms_order_t *o = &ev->order;
  oms_pf_book_t book = {p->qty, p->avg_px, p->realized_pnl, p->fees};
  if (is_amend(ev) && oms_pf_book_bust(&book, o->side, ev->fill.old_qty, ev->fill.old_price,
                                       ev->fill.old_fee, ev->fill.multiplier, &book, NULL) != 0)
    return false;
  if ((!is_amend(ev) || ev->type == OMS_EVT_ORDER_FILL_CORRECTED) &&
      oms_pf_book_fill(&book, o->side, ev->fill.qty, ev->fill.price, ev->fill.fee,
                       ev->fill.multiplier, &book, NULL) != 0)
    return false;
  oms_strlcpy(p->account_id, o->account_id, sizeof p->account_id);
  oms_strlcpy(p->symbol, o->symbol, sizeof p->symbol);
  p->qty = book.qty;
  p->avg_px = book.avg_px;
  p->realized_pnl = book.realized_pnl;
  p->fees = book.fees;
  p->updated_ns = ev->event_ns;
  p->last_fill_seq = ev->seq;
  if (p->opened_seq == 0) p->opened_seq = ev->seq;
  /* As the portfolio: a fill or a correction marks the symbol, a bust not. */
  if (!is_amend(ev) || ev->type == OMS_EVT_ORDER_FILL_CORRECTED) {
    p->mark_px = ev->fill.price;
    p->mark_ns = ev->event_ns;
    p->mark_seq = ev->seq;
  }
  return true;
}

typedef struct ids_s {
  oms_clordid_cb cb;
  void *ctx;
} ids_t;

static int each_id(void *ctx, const oms_order_t *o) {
  ids_t *x = ctx;
  return x->cb(x->ctx, o->strategy_id, o->client_order_id);
}

int oms_store_each_clordid(oms_store_t *s, oms_clordid_cb cb, void *ctx) {
  if (s->vt->each_clordid != NULL) return s->vt->each_clordid(s, cb, ctx);
  oms_order_query_t all;
  memset(&all, 0, sizeof all);
  ids_t x = {cb, ctx};
  return s->vt->query_orders(s, &all, each_id, &x);
}

int oms_store_fill_seq_back(oms_store_t *s, uint64_t n, uint64_t *seq) {
  *seq = 1;
  if (s->vt->fill_seq_back == NULL) return OMS_EUNSUPPORTED;
  if (n == 0) return OMS_EINVAL;
  return s->vt->fill_seq_back(s, n, seq);
}

int oms_store_limit_append(oms_store_t *s, uint64_t seq, int64_t ts_ns, const char *who,
                           const char *line, size_t len, uint64_t *ticket) {
  if (ticket != NULL) *ticket = 0;
  if (s->vt->limit_append == NULL) return OMS_EUNSUPPORTED;
  if (seq == 0 || who == NULL || strlen(who) > OMS_ID_MAX || line == NULL || len == 0)
    return OMS_EINVAL;
  if (len > OMS_STORE_LIMIT_LINE_MAX) return OMS_ENOSPC;
  return s->vt->limit_append(s, seq, ts_ns, who, line, len, ticket);
}

int oms_store_query_parents(oms_store_t *s, const oms_parent_query_t *q, oms_parent_cb cb,
                            void *ctx) {
  if (s->vt->query_parents == NULL) return OMS_EUNSUPPORTED;
  if (q == NULL || cb == NULL) return OMS_EINVAL;
  return s->vt->query_parents(s, q, cb, ctx);
}

int oms_store_get_best_execution(oms_store_t *s, uint64_t parent_order_id, oms_bestex_row_t *out) {
  if (out != NULL) memset(out, 0, sizeof(*out));
  if (s->vt->get_best_execution == NULL) return OMS_EUNSUPPORTED;
  if (out == NULL || parent_order_id == 0) return OMS_EINVAL;
  return s->vt->get_best_execution(s, parent_order_id, out);
}

int oms_store_pnl_base_append(oms_store_t *s, const oms_pnl_base_row_t *row, uint64_t *ticket) {
  if (ticket != NULL) *ticket = 0;
  if (s->vt->pnl_base_append == NULL) return OMS_EUNSUPPORTED;
  if (row == NULL || memchr(row->account_id, '\0', sizeof row->account_id) == NULL)
    return OMS_EINVAL;
  return s->vt->pnl_base_append(s, row, ticket);
}

int oms_store_pnl_bases(oms_store_t *s, int64_t *day_start_ns, oms_pnl_base_cb cb, void *ctx) {
  *day_start_ns = 0;
  if (s->vt->pnl_bases == NULL) return OMS_EUNSUPPORTED;
  if (cb == NULL) return OMS_EINVAL;
  return s->vt->pnl_bases(s, day_start_ns, cb, ctx);
}

int oms_store_limit_changes(oms_store_t *s, oms_limit_change_cb cb, void *ctx) {
  if (s->vt->limit_changes == NULL) return OMS_EUNSUPPORTED;
  return s->vt->limit_changes(s, cb, ctx);
}

static int src_read(void *ctx, uint64_t from_seq, size_t max, oms_bus_event_cb cb, void *cb_ctx) {
  oms_store_t *s = ctx;
  return s->vt->events_from(s, from_seq, max, cb, cb_ctx);
}

oms_replay_source_t oms_store_replay_source(oms_store_t *s) {
  return (oms_replay_source_t){src_read, s};
}

static int cur_load(void *ctx, const char *sink, uint64_t *seq) {
  oms_store_t *s = ctx;
  return s->vt->cursor_get(s, sink, seq);
}

static int cur_save(void *ctx, const char *sink, uint64_t seq) {
  oms_store_t *s = ctx;
  uint64_t ticket;
  return s->vt->cursor_set(s, sink, seq, &ticket);
}

oms_cursor_store_t oms_store_cursor_store(oms_store_t *s) {
  return (oms_cursor_store_t){cur_load, cur_save, s};
}

/* ---- Commit latency ------------------------------------------------------------------ */

/* Roughly 1-2.5-5 per decade: fine where commits live (tens of us to a few
 * ms), coarse where only a sick disk goes. */
const int64_t oms_store_commit_bounds_ns[OMS_STORE_COMMIT_BUCKETS] = {
    25000,    50000,    100000,   250000,    500000,    1000000,   2500000,    5000000,
    10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000, 2500000000};

int64_t oms__store_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void oms__commit_hist_add(oms__commit_hist_t *h, int64_t ns) {
  if (ns < 0) ns = 0;
  size_t i = 0;
  while (i < OMS_STORE_COMMIT_BUCKETS && ns > oms_store_commit_bounds_ns[i]) i++;
  atomic_fetch_add_explicit(&h->n[i], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->sum_ns, (uint64_t)ns, memory_order_relaxed);
}

void oms__commit_hist_read(const oms__commit_hist_t *h, oms_store_stats_t *st) {
  st->commit_count = 0;
  for (size_t i = 0; i <= OMS_STORE_COMMIT_BUCKETS; i++) {
    st->commit_hist[i] = atomic_load_explicit(&h->n[i], memory_order_relaxed);
    st->commit_count += st->commit_hist[i];
  }
  st->commit_sum_ns = atomic_load_explicit(&h->sum_ns, memory_order_relaxed);
}
