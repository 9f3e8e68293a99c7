/*
 * store_memory.c - the order store without durability, for tests and
 * backtests: the interface of store.h over in-memory tables.
 *
 * Every append is applied at once and is durable at once (the durable ticket
 * is the last ticket handed out; on_durable is called from the appending
 * thread, under the lock, so tickets are reported in order). Queries see the same rows the SQLite
 * store would write for the same appends, in the same order, positions
 * included (booked from each fill with the same function, oms__position_book). One recursive
 * lock serialises everything (a query callback may call the store again).
 * Nothing ever fails except for allocation (OMS_ENOMEM, nothing applied).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "oms/error.h"
#include "oms/store.h"
#include "store/store_int.h"

typedef struct fix_sess_s {
  char session[OMS_STORE_SESSION_MAX + 1];
  int64_t next_in, next_out;
} fix_sess_t;

typedef struct fix_msg_s {
  char session[OMS_STORE_SESSION_MAX + 1];
  int64_t seqnum;
  size_t len;
  char *msg;
} fix_msg_t;

typedef struct cursor_s {
  char sink[OMS_ID_MAX + 1];
  uint64_t seq;
} cursor_t;

typedef struct limit_s {
  uint64_t seq;
  int64_t ts_ns;
  char who[OMS_ID_MAX + 1];
  size_t len;
  char *line;
} limit_t;

/* A growable array of fixed-size elements. */
typedef struct vec_s {
  void *p;
  size_t n, cap, size;
} vec_t;

typedef struct mem_s {
  oms_store_t base;
  oms_store_config_t cfg;
  pthread_mutex_t mu; /* recursive */
  vec_t orders;       /* oms_order_t by order_id */
  vec_t events;       /* oms_event_t by seq */
  vec_t fills;        /* oms_fill_row_t by seq */
  vec_t positions;    /* oms_position_t by (account, symbol) */
  vec_t tstates;      /* oms_trading_state_row_t by (scope_kind, scope_id) */
  vec_t sessions;     /* fix_sess_t */
  vec_t msgs;         /* fix_msg_t by (session, seqnum) */
  vec_t cursors;      /* cursor_t */
  vec_t limits;       /* limit_t by seq */
  vec_t pnl_bases;    /* oms_pnl_base_row_t by (day_start_ns, account_id) */
  uint64_t last_seq, next_ticket;
  _Atomic uint64_t durable;
  uint64_t n_records, n_max_batch, n_refused;
  oms__commit_hist_t commit_hist; /* each unit's apply */
} mem_t;

/* ---- Arrays ------------------------------------------------------------------ */

static void *at(const vec_t *v, size_t i) { return (char *)v->p + i * v->size; }

static int reserve_n(vec_t *v, size_t extra) {
  if (v->n + extra <= v->cap) return 0;
  size_t cap = v->cap ? v->cap * 2 : 64;
  while (cap < v->n + extra) cap *= 2;
  void *p = oms__realloc(v->p, cap * v->size);
  if (p == NULL) return OMS_ENOMEM;
  v->p = p;
  v->cap = cap;
  return 0;
}

/* Inserts a zeroed element at i (room reserved). */
static void *insert_at(vec_t *v, size_t i) {
  memmove(at(v, i + 1), at(v, i), (v->n - i) * v->size);
  v->n++;
  memset(at(v, i), 0, v->size);
  return at(v, i);
}

typedef int (*cmp_fn)(const void *key, const void *elem);

/* The first index whose element is not below key; *found if equal. */
static size_t lower_bound(const vec_t *v, const void *key, cmp_fn cmp, bool *found) {
  size_t lo = 0, hi = v->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cmp(key, at(v, mid)) > 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = lo < v->n && cmp(key, at(v, lo)) == 0;
  return lo;
}

/* The element equal to key, inserted (zeroed) if missing (the caller
 * reserved room). */
static void *upsert(vec_t *v, const void *key, cmp_fn cmp, bool *fresh) {
  bool found;
  size_t i = lower_bound(v, key, cmp, &found);
  *fresh = !found;
  return found ? at(v, i) : insert_at(v, i);
}

static int cmp_order(const void *key, const void *elem) {
  uint64_t a = *(const uint64_t *)key, b = ((const oms_order_t *)elem)->order_id;
  return (a > b) - (a < b);
}

static int cmp_seq_event(const void *key, const void *elem) {
  uint64_t a = *(const uint64_t *)key, b = ((const oms_event_t *)elem)->seq;
  return (a > b) - (a < b);
}

static int cmp_position(const void *key, const void *elem) {
  const oms_position_t *a = key, *b = elem;
  int c = strcmp(a->account_id, b->account_id);
  if (c == 0) c = strcmp(a->symbol, b->symbol);
  return c;
}

static int cmp_tstate(const void *key, const void *elem) {
  const oms_trading_state_row_t *a = key, *b = elem;
  if (a->scope_kind != b->scope_kind) return a->scope_kind < b->scope_kind ? -1 : 1;
  return strcmp(a->scope_id, b->scope_id);
}

static int cmp_session(const void *key, const void *elem) {
  return strcmp(key, ((const fix_sess_t *)elem)->session);
}

static int cmp_msg(const void *key, const void *elem) {
  const fix_msg_t *a = key, *b = elem;
  int c = strcmp(a->session, b->session);
  if (c == 0) c = (a->seqnum > b->seqnum) - (a->seqnum < b->seqnum);
  return c;
}

static int cmp_cursor(const void *key, const void *elem) {
  return strcmp(key, ((const cursor_t *)elem)->sink);
}

/* ---- Applying records ----------------------------------------------------------- */

/* Room for everything k events can add. */
static int reserve_events(mem_t *m, size_t k) {
  if (reserve_n(&m->events, k) || reserve_n(&m->orders, k) || reserve_n(&m->fills, k) ||
      reserve_n(&m->positions, k) || reserve_n(&m->tstates, k))
    return OMS_ENOMEM;
  return 0;
}

/* Books fill ev into its position, as the SQLite store does in its
 * transaction: a fill the portfolio would refuse leaves no row behind. */
static void book_fill(mem_t *m, const oms_event_t *ev) {
  oms_position_t p;
  memset(&p, 0, sizeof p);
  oms_strlcpy(p.account_id, ev->order.account_id, sizeof p.account_id);
  oms_strlcpy(p.symbol, ev->order.symbol, sizeof p.symbol);
  bool found;
  size_t i = lower_bound(&m->positions, &p, cmp_position, &found);
  if (found) p = *(oms_position_t *)at(&m->positions, i);
  if (!oms__position_book(&p, ev)) return;
  *(oms_position_t *)(found ? at(&m->positions, i) : insert_at(&m->positions, i)) = p;
}

static void apply_event(mem_t *m, const oms_event_t *ev) {
  bool fresh;
  *(oms_event_t *)insert_at(&m->events, m->events.n) = *ev;
  bool is_order = oms_event_is_order(ev->type) && ev->order.order_id != 0;
  if (is_order) {
    oms_order_t *o = upsert(&m->orders, &ev->order.order_id, cmp_order, &fresh);
    *o = ev->order;
    if (oms__event_is_fill(ev)) {
      oms_fill_row_t *f = insert_at(&m->fills, m->fills.n);
      f->seq = ev->seq;
      f->order_id = ev->order.order_id;
      f->side = ev->order.side;
      snprintf(f->symbol, sizeof f->symbol, "%s", ev->order.symbol);
      f->fill.qty = ev->fill.qty;
      f->fill.price = ev->fill.price;
      f->fill.fee = ev->fill.fee;
      f->fill.liquidity = ev->fill.liquidity;
      snprintf(f->fill.exec_id, sizeof f->fill.exec_id, "%s", ev->fill.exec_id);
      f->ts_ns = ev->event_ns;
    }
    if (oms__event_books(ev)) book_fill(m, ev);
  }
  if (ev->type == OMS_EVT_TRADING_STATE_CHANGED) {
    oms_trading_state_row_t key;
    memset(&key, 0, sizeof key);
    key.scope_kind = ev->scope_kind;
    snprintf(key.scope_id, sizeof key.scope_id, "%s", ev->scope_id);
    oms_trading_state_row_t *t = upsert(&m->tstates, &key, cmp_tstate, &fresh);
    *t = key;
    t->state = ev->new_state;
    snprintf(t->reason, sizeof t->reason, "%s", ev->text);
    t->updated_ns = ev->event_ns;
    t->event_seq = ev->seq;
  }
}

/* Hands out the next ticket (durable at once) and counts n records. Returns
 * the ticket; the caller then calls on_durable (notify). */
static uint64_t publish(mem_t *m, uint64_t n) {
  uint64_t t = ++m->next_ticket;
  m->n_records += n;
  if (n > m->n_max_batch) m->n_max_batch = n;
  atomic_store_explicit(&m->durable, t, memory_order_release);
  return t;
}

static void notify(mem_t *m, uint64_t ticket) {
  if (m->cfg.on_durable) m->cfg.on_durable(m->cfg.ctx, ticket);
}

static int refuse(mem_t *m, int rc) {
  m->n_refused++;
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static int mem_append(oms_store_t *base, const oms_store_unit_t *u, unsigned flags,
                      uint64_t *ticket) {
  mem_t *m = (mem_t *)base;
  size_t n;
  uint64_t max_seq;
  (void)flags;
  *ticket = 0;
  pthread_mutex_lock(&m->mu);
  int64_t t0 = oms__store_mono_ns();
  int rc = oms__unit_check(u, m->last_seq, &n, &max_seq);
  if (rc != 0) return refuse(m, rc);
  /* Room first: a unit is applied whole or not at all. */
  if (reserve_events(m, n) != 0) return refuse(m, OMS_ENOMEM);
  for (size_t i = 0; i < u->n_events; i++)
    if (u->events[i].seq != 0) apply_event(m, &u->events[i]);
  m->last_seq = max_seq;
  oms__commit_hist_add(&m->commit_hist, oms__store_mono_ns() - t0);
  *ticket = publish(m, n == 0 ? 1 : n);
  notify(m, *ticket); /* under the lock: tickets reported in order */
  pthread_mutex_unlock(&m->mu);
  return 0;
}

static uint64_t mem_durable_ticket(const oms_store_t *base) {
  return atomic_load_explicit(&((const mem_t *)base)->durable, memory_order_acquire);
}

static int mem_wait(oms_store_t *base, uint64_t ticket, int64_t timeout_ns) {
  (void)timeout_ns;
  /* Everything handed out is durable; a ticket never handed out never will
   * be without another append, which this caller is not making. */
  return ticket <= mem_durable_ticket(base) ? 0 : OMS_ETIMEDOUT;
}

static int mem_recover(oms_store_t *base) {
  (void)base;
  return 0;
}

static bool mem_failed(const oms_store_t *base) {
  (void)base;
  return false;
}

static void mem_last_error(const oms_store_t *base, oms_store_error_t *e) {
  (void)base;
  memset(e, 0, sizeof(*e));
}

static void mem_stats(const oms_store_t *base, oms_store_stats_t *st) {
  mem_t *m = (mem_t *)base;
  memset(st, 0, sizeof(*st));
  pthread_mutex_lock(&m->mu);
  st->appends = m->next_ticket;
  st->refused = m->n_refused;
  st->transactions = m->next_ticket;
  st->records = m->n_records;
  st->max_batch = m->n_max_batch;
  oms__commit_hist_read(&m->commit_hist, st);
  pthread_mutex_unlock(&m->mu);
}

static int mem_durable_fd(const oms_store_t *base) {
  (void)base;
  return -1;
}

/* ---- Queries ------------------------------------------------------------------------ */

static bool str_set(const char *s) { return s != NULL && s[0] != '\0'; }

static bool state_matches(oms_state_class_t c, oms_ord_state_t s) {
  bool term = oms_ord_state_is_terminal(s);
  switch (c) {
    case OMS_STATE_CLASS_ACTIVE: return !term;
    case OMS_STATE_CLASS_FILLED: return term && s == OMS_STATE_FILLED;
    case OMS_STATE_CLASS_CANCELLED: return term && s == OMS_STATE_CANCELLED;
    case OMS_STATE_CLASS_REJECTED: return term && s == OMS_STATE_REJECTED;
    case OMS_STATE_CLASS_EXPIRED: return term && s == OMS_STATE_EXPIRED;
    case OMS_STATE_CLASS_TERMINAL: return term;
    default: return true; /* ANY */
  }
}

static bool order_matches(const oms_order_query_t *q, const oms_order_t *o) {
  if (q->order_id && o->order_id != q->order_id) return false;
  if (str_set(q->client_order_id) && strcmp(o->client_order_id, q->client_order_id) != 0)
    return false;
  if (str_set(q->strategy_id) && strcmp(o->strategy_id, q->strategy_id) != 0) return false;
  if (str_set(q->account_id) && strcmp(o->account_id, q->account_id) != 0) return false;
  if (str_set(q->symbol) && strcmp(o->symbol, q->symbol) != 0) return false;
  if (q->created_from_ns && o->created_ns < q->created_from_ns) return false;
  if (q->created_to_ns && o->created_ns >= q->created_to_ns) return false;
  if (str_set(q->venue) && strcmp(o->venue, q->venue) != 0) return false;
  if (q->after_order_id && o->order_id <= q->after_order_id) return false;
  if (q->parent_order_id && o->parent_order_id != q->parent_order_id) return false;
  if (q->states) return (q->states & (1u << o->state)) != 0;
  return state_matches(q->state_class, o->state);
}

static int mem_get_order(oms_store_t *base, uint64_t id, oms_order_t *out) {
  mem_t *m = (mem_t *)base;
  bool found;
  pthread_mutex_lock(&m->mu);
  size_t i = lower_bound(&m->orders, &id, cmp_order, &found);
  if (found) *out = *(oms_order_t *)at(&m->orders, i);
  pthread_mutex_unlock(&m->mu);
  return found ? 0 : OMS_ENOTFOUND;
}

static int mem_query_orders(oms_store_t *base, const oms_order_query_t *q, oms_order_cb cb,
                            void *ctx) {
  mem_t *m = (mem_t *)base;
  if (q == NULL || cb == NULL || (unsigned)q->state_class > OMS_STATE_CLASS_TERMINAL)
    return OMS_EINVAL;
  int rc = 0;
  uint32_t n = 0;
  pthread_mutex_lock(&m->mu);
  for (size_t i = 0; i < m->orders.n && rc == 0 && (q->limit == 0 || n < q->limit); i++) {
    const oms_order_t *o = at(&m->orders, i);
    if (!order_matches(q, o)) continue;
    n++;
    rc = cb(ctx, o);
  }
  pthread_mutex_unlock(&m->mu);
  return rc;
}

typedef bool (*event_pred)(const oms_event_t *ev, const void *arg);

static int scan_events(mem_t *m, size_t from, size_t max, event_pred pred, const void *arg,
                       oms_event_cb cb, void *ctx) {
  int rc = 0;
  size_t n = 0;
  for (size_t i = from; i < m->events.n && rc == 0 && (max == 0 || n < max); i++) {
    const oms_event_t *ev = at(&m->events, i);
    if (pred != NULL && !pred(ev, arg)) continue;
    n++;
    rc = cb(ctx, ev);
  }
  return rc;
}

static bool ev_of_order(const oms_event_t *ev, const void *arg) {
  return oms__event_has_order(ev) && ev->order.order_id == *(const uint64_t *)arg;
}

static bool ev_in_range(const oms_event_t *ev, const void *arg) {
  const int64_t *r = arg;
  return ev->event_ns >= r[0] && ev->event_ns < r[1];
}

static int mem_events_for_order(oms_store_t *base, uint64_t id, oms_event_cb cb, void *ctx) {
  mem_t *m = (mem_t *)base;
  pthread_mutex_lock(&m->mu);
  int rc = scan_events(m, 0, 0, ev_of_order, &id, cb, ctx);
  pthread_mutex_unlock(&m->mu);
  return rc;
}

/* The last BestExecution event about the parent (the projection's row). */
static int take_bestex(void *ctx, const oms_event_t *ev) {
  oms_bestex_row_t *out = ctx;
  if (ev->type != OMS_EVT_BEST_EXECUTION ||
      oms_store_bestex_decode(ev->algo, ev->algo_len, &out->bx, out->fills) != 0)
    return 0;
  snprintf(out->account_id, sizeof out->account_id, "%s", ev->order.account_id);
  snprintf(out->symbol, sizeof out->symbol, "%s", ev->order.symbol);
  out->event_ns = ev->event_ns;
  out->event_seq = ev->seq;
  return 0;
}

static int mem_get_best_execution(oms_store_t *base, uint64_t id, oms_bestex_row_t *out) {
  mem_t *m = (mem_t *)base;
  pthread_mutex_lock(&m->mu);
  int rc = scan_events(m, 0, 0, ev_of_order, &id, take_bestex, out);
  pthread_mutex_unlock(&m->mu);
  return rc == 0 && out->event_seq == 0 ? OMS_ENOTFOUND : rc;
}

static int mem_events_from(oms_store_t *base, uint64_t from, size_t max, oms_event_cb cb,
                           void *ctx) {
  mem_t *m = (mem_t *)base;
  bool found;
  pthread_mutex_lock(&m->mu);
  size_t i = lower_bound(&m->events, &from, cmp_seq_event, &found);
  int rc = scan_events(m, i, max, NULL, NULL, cb, ctx);
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static int mem_events_between(oms_store_t *base, int64_t from_ns, int64_t to_ns, oms_event_cb cb,
                              void *ctx) {
  mem_t *m = (mem_t *)base;
  int64_t r[2] = {from_ns, to_ns};
  pthread_mutex_lock(&m->mu);
  int rc = scan_events(m, 0, 0, ev_in_range, r, cb, ctx);
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static int mem_fills_for_order(oms_store_t *base, uint64_t id, oms_fill_cb cb, void *ctx) {
  mem_t *m = (mem_t *)base;
  int rc = 0;
  pthread_mutex_lock(&m->mu);
  for (size_t i = 0; i < m->fills.n && rc == 0; i++) {
    const oms_fill_row_t *f = at(&m->fills, i);
    if (f->order_id == id) rc = cb(ctx, f);
  }
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static int mem_fill_seq_back(oms_store_t *base, uint64_t n, uint64_t *seq) {
  mem_t *m = (mem_t *)base;
  pthread_mutex_lock(&m->mu);
  *seq = n <= m->fills.n ? ((const oms_fill_row_t *)at(&m->fills, m->fills.n - n))->seq : 1;
  pthread_mutex_unlock(&m->mu);
  return 0;
}

static int mem_load_positions(oms_store_t *base, oms_position_cb cb, void *ctx) {
  mem_t *m = (mem_t *)base;
  int rc = 0;
  pthread_mutex_lock(&m->mu);
  for (size_t i = 0; i < m->positions.n && rc == 0; i++) rc = cb(ctx, at(&m->positions, i));
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static int mem_get_position(oms_store_t *base, const char *account_id, const char *symbol,
                            oms_position_t *out) {
  mem_t *m = (mem_t *)base;
  memset(out, 0, sizeof *out);
  if (account_id == NULL || symbol == NULL || !account_id[0] || !symbol[0]) return OMS_EINVAL;
  oms_position_t key;
  memset(&key, 0, sizeof key);
  oms_strlcpy(key.account_id, account_id, sizeof key.account_id);
  oms_strlcpy(key.symbol, symbol, sizeof key.symbol);
  bool found;
  pthread_mutex_lock(&m->mu);
  size_t i = lower_bound(&m->positions, &key, cmp_position, &found);
  if (found) *out = *(const oms_position_t *)at(&m->positions, i);
  pthread_mutex_unlock(&m->mu);
  return found ? 0 : OMS_ENOTFOUND;
}

static int mem_load_trading_states(oms_store_t *base, oms_trading_state_cb cb, void *ctx) {
  mem_t *m = (mem_t *)base;
  int rc = 0;
  pthread_mutex_lock(&m->mu);
  for (size_t i = 0; i < m->tstates.n && rc == 0; i++) rc = cb(ctx, at(&m->tstates, i));
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static int mem_last_seqs(oms_store_t *base, uint64_t *last_event_seq, uint64_t *last_order_id) {
  mem_t *m = (mem_t *)base;
  pthread_mutex_lock(&m->mu);
  *last_event_seq = m->events.n ? ((oms_event_t *)at(&m->events, m->events.n - 1))->seq : 0;
  *last_order_id = m->orders.n ? ((oms_order_t *)at(&m->orders, m->orders.n - 1))->order_id : 0;
  pthread_mutex_unlock(&m->mu);
  return 0;
}

/* ---- FIX session state and sink cursors ------------------------------------------- */

static bool session_ok(const char *session) {
  return session != NULL && session[0] != '\0' && strlen(session) <= OMS_STORE_SESSION_MAX;
}

/* The session's row, created at 1/1 if missing (room reserved). */
static fix_sess_t *session_row(mem_t *m, const char *session) {
  bool fresh;
  fix_sess_t *r = upsert(&m->sessions, session, cmp_session, &fresh);
  if (fresh) {
    snprintf(r->session, sizeof r->session, "%s", session);
    r->next_in = r->next_out = 1;
  }
  return r;
}

/* Ends a FIX or cursor write: ticket, on_durable, unlock. */
static int done_one(mem_t *m, uint64_t *ticket) {
  uint64_t t = publish(m, 1);
  if (ticket != NULL) *ticket = t;
  notify(m, t);
  pthread_mutex_unlock(&m->mu);
  return 0;
}

static int mem_fix_set_seqnums(oms_store_t *base, const char *session, int64_t next_in,
                               int64_t next_out, uint64_t *ticket) {
  mem_t *m = (mem_t *)base;
  if (ticket != NULL) *ticket = 0;
  if (!session_ok(session) || next_in < 1 || next_out < 1) return OMS_EINVAL;
  pthread_mutex_lock(&m->mu);
  if (reserve_n(&m->sessions, 1) != 0) return refuse(m, OMS_ENOMEM);
  fix_sess_t *r = session_row(m, session);
  r->next_in = next_in;
  r->next_out = next_out;
  return done_one(m, ticket);
}

static int mem_fix_get_seqnums(oms_store_t *base, const char *session, int64_t *next_in,
                               int64_t *next_out) {
  mem_t *m = (mem_t *)base;
  bool found;
  *next_in = *next_out = 1;
  if (!session_ok(session)) return OMS_EINVAL;
  pthread_mutex_lock(&m->mu);
  size_t i = lower_bound(&m->sessions, session, cmp_session, &found);
  if (found) {
    const fix_sess_t *r = at(&m->sessions, i);
    *next_in = r->next_in;
    *next_out = r->next_out;
  }
  pthread_mutex_unlock(&m->mu);
  return found ? 0 : OMS_ENOTFOUND;
}

static int mem_fix_save_sent(oms_store_t *base, const char *session, int64_t seqnum,
                             const char *msg, size_t len, uint64_t *ticket) {
  mem_t *m = (mem_t *)base;
  if (ticket != NULL) *ticket = 0;
  if (!session_ok(session) || seqnum < 1 || (msg == NULL && len > 0)) return OMS_EINVAL;
  if (len > OMS_STORE_FIX_MSG_MAX) return OMS_ENOSPC;
  char *copy = oms__malloc(len ? len : 1);
  if (copy == NULL) return OMS_ENOMEM;
  if (len) memcpy(copy, msg, len);
  pthread_mutex_lock(&m->mu);
  if (reserve_n(&m->sessions, 1) != 0 || reserve_n(&m->msgs, 1) != 0) {
    oms__free(copy);
    return refuse(m, OMS_ENOMEM);
  }
  fix_msg_t key;
  memset(&key, 0, sizeof key);
  snprintf(key.session, sizeof key.session, "%s", session);
  key.seqnum = seqnum;
  bool fresh;
  fix_msg_t *r = upsert(&m->msgs, &key, cmp_msg, &fresh);
  if (!fresh) oms__free(r->msg);
  *r = key;
  r->msg = copy;
  r->len = len;
  fix_sess_t *sr = session_row(m, session);
  if (seqnum + 1 > sr->next_out) sr->next_out = seqnum + 1;
  return done_one(m, ticket);
}

static int mem_fix_fetch_sent(oms_store_t *base, const char *session, int64_t from, int64_t to,
                              oms_fix_msg_cb cb, void *ctx) {
  mem_t *m = (mem_t *)base;
  if (!session_ok(session) || cb == NULL) return OMS_EINVAL;
  fix_msg_t key;
  memset(&key, 0, sizeof key);
  snprintf(key.session, sizeof key.session, "%s", session);
  key.seqnum = from;
  int rc = 0;
  bool found;
  pthread_mutex_lock(&m->mu);
  for (size_t i = lower_bound(&m->msgs, &key, cmp_msg, &found); i < m->msgs.n && rc == 0; i++) {
    const fix_msg_t *r = at(&m->msgs, i);
    if (strcmp(r->session, session) != 0 || (to > 0 && r->seqnum > to)) break;
    rc = cb(ctx, r->seqnum, r->msg, r->len);
  }
  pthread_mutex_unlock(&m->mu);
  return rc;
}

static int mem_fix_reset(oms_store_t *base, const char *session, uint64_t *ticket) {
  mem_t *m = (mem_t *)base;
  if (ticket != NULL) *ticket = 0;
  if (!session_ok(session)) return OMS_EINVAL;
  pthread_mutex_lock(&m->mu);
  if (reserve_n(&m->sessions, 1) != 0) return refuse(m, OMS_ENOMEM);
  size_t k = 0;
  for (size_t i = 0; i < m->msgs.n; i++) {
    fix_msg_t *r = at(&m->msgs, i);
    if (strcmp(r->session, session) == 0)
      oms__free(r->msg);
    else
      *(fix_msg_t *)at(&m->msgs, k++) = *r;
  }
  m->msgs.n = k;
  fix_sess_t *sr = session_row(m, session);
  sr->next_in = sr->next_out = 1;
  return done_one(m, ticket);
}

static int mem_cursor_get(oms_store_t *base, const char *sink, uint64_t *seq) {
  mem_t *m = (mem_t *)base;
  bool found;
  *seq = 0;
  if (sink == NULL || sink[0] == '\0') return OMS_EINVAL;
  pthread_mutex_lock(&m->mu);
  size_t i = lower_bound(&m->cursors, sink, cmp_cursor, &found);
  if (found) *seq = ((const cursor_t *)at(&m->cursors, i))->seq;
  pthread_mutex_unlock(&m->mu);
  return 0;
}

static int mem_cursor_set(oms_store_t *base, const char *sink, uint64_t seq, uint64_t *ticket) {
  mem_t *m = (mem_t *)base;
  if (ticket != NULL) *ticket = 0;
  if (sink == NULL || sink[0] == '\0' || strlen(sink) > OMS_ID_MAX) return OMS_EINVAL;
  pthread_mutex_lock(&m->mu);
  if (reserve_n(&m->cursors, 1) != 0) return refuse(m, OMS_ENOMEM);
  bool fresh;
  cursor_t *c = upsert(&m->cursors, sink, cmp_cursor, &fresh);
  snprintf(c->sink, sizeof c->sink, "%s", sink);
  c->seq = seq;
  return done_one(m, ticket);
}

/* ---- Runtime limit changes: a row per seq, a later one replaces it ---------------- */

static int cmp_limit(const void *key, const void *elem) {
  uint64_t a = *(const uint64_t *)key, b = ((const limit_t *)elem)->seq;
  return (a > b) - (a < b);
}

static int mem_limit_append(oms_store_t *base, uint64_t seq, int64_t ts_ns, const char *who,
                            const char *line, size_t len, uint64_t *ticket) {
  mem_t *m = (mem_t *)base;
  if (ticket != NULL) *ticket = 0;
  pthread_mutex_lock(&m->mu);
  char *copy = oms__malloc(len);
  if (copy == NULL || reserve_n(&m->limits, 1) != 0) {
    oms__free(copy);
    return refuse(m, OMS_ENOMEM);
  }
  memcpy(copy, line, len);
  bool fresh;
  limit_t *r = upsert(&m->limits, &seq, cmp_limit, &fresh);
  oms__free(r->line);
  r->seq = seq;
  r->ts_ns = ts_ns;
  snprintf(r->who, sizeof r->who, "%s", who);
  r->len = len;
  r->line = copy;
  return done_one(m, ticket);
}

static int mem_limit_changes(oms_store_t *base, oms_limit_change_cb cb, void *ctx) {
  mem_t *m = (mem_t *)base;
  int rc = 0;
  pthread_mutex_lock(&m->mu);
  for (size_t i = 0; rc == 0 && i < m->limits.n; i++) {
    const limit_t *l = at(&m->limits, i);
    oms_limit_change_row_t r;
    memset(&r, 0, sizeof r);
    r.seq = l->seq;
    r.ts_ns = l->ts_ns;
    snprintf(r.who, sizeof r.who, "%s", l->who);
    r.line = l->line;
    r.len = l->len;
    rc = cb(ctx, &r);
  }
  pthread_mutex_unlock(&m->mu);
  return rc;
}

/* ---- Daily-PnL bases: a row per (day, account), a later one replaces it ------------ */

static int cmp_pnl_base(const void *key, const void *elem) {
  const oms_pnl_base_row_t *a = key, *b = elem;
  if (a->day_start_ns != b->day_start_ns) return (a->day_start_ns > b->day_start_ns) * 2 - 1;
  return strcmp(a->account_id, b->account_id);
}

static int mem_pnl_base_append(oms_store_t *base, const oms_pnl_base_row_t *row, uint64_t *ticket) {
  mem_t *m = (mem_t *)base;
  pthread_mutex_lock(&m->mu);
  if (reserve_n(&m->pnl_bases, 1) != 0) return refuse(m, OMS_ENOMEM);
  bool fresh;
  *(oms_pnl_base_row_t *)upsert(&m->pnl_bases, row, cmp_pnl_base, &fresh) = *row;
  return done_one(m, ticket);
}

/* The latest day's mark is found from the end: rows are by day. */
static int mem_pnl_bases(oms_store_t *base, int64_t *day_start_ns, oms_pnl_base_cb cb, void *ctx) {
  mem_t *m = (mem_t *)base;
  int rc = OMS_ENOTFOUND;
  pthread_mutex_lock(&m->mu);
  size_t i = m->pnl_bases.n;
  while (i > 0 && ((oms_pnl_base_row_t *)at(&m->pnl_bases, i - 1))->account_id[0] != '\0') i--;
  if (i > 0) {
    const oms_pnl_base_row_t *mark = at(&m->pnl_bases, i - 1);
    *day_start_ns = mark->day_start_ns;
    rc = 0;
    for (size_t k = i; rc == 0 && k < m->pnl_bases.n; k++) {
      const oms_pnl_base_row_t *r = at(&m->pnl_bases, k);
      if (r->day_start_ns != mark->day_start_ns) break;
      rc = cb(ctx, r);
    }
  }
  pthread_mutex_unlock(&m->mu);
  return rc;
}

/* ---- Create and close ------------------------------------------------------------- */

static void mem_close(oms_store_t *base) {
  mem_t *m = (mem_t *)base;
  for (size_t i = 0; i < m->msgs.n; i++) oms__free(((fix_msg_t *)at(&m->msgs, i))->msg);
  for (size_t i = 0; i < m->limits.n; i++) oms__free(((limit_t *)at(&m->limits, i))->line);
  vec_t *all[] = {&m->orders,   &m->events, &m->fills,   &m->positions, &m->tstates,
                  &m->sessions, &m->msgs,   &m->cursors, &m->limits,    &m->pnl_bases};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) oms__free(all[i]->p);
  pthread_mutex_destroy(&m->mu);
  oms__free(m);
}

static const oms_store_vtbl_t mem_vtbl = {
    .append = mem_append,
    .durable_ticket = mem_durable_ticket,
    .wait = mem_wait,
    .recover = mem_recover,
    .failed = mem_failed,
    .last_error = mem_last_error,
    .stats = mem_stats,
    .durable_fd = mem_durable_fd,
    .get_order = mem_get_order,
    .query_orders = mem_query_orders,
    .events_for_order = mem_events_for_order,
    .get_best_execution = mem_get_best_execution,
    .events_from = mem_events_from,
    .events_between = mem_events_between,
    .fills_for_order = mem_fills_for_order,
    .load_positions = mem_load_positions,
    .fill_seq_back = mem_fill_seq_back,
    .get_position = mem_get_position,
    .load_trading_states = mem_load_trading_states,
    .last_seqs = mem_last_seqs,
    .fix_set_seqnums = mem_fix_set_seqnums,
    .fix_get_seqnums = mem_fix_get_seqnums,
    .fix_save_sent = mem_fix_save_sent,
    .fix_fetch_sent = mem_fix_fetch_sent,
    .fix_reset = mem_fix_reset,
    .cursor_get = mem_cursor_get,
    .cursor_set = mem_cursor_set,
    .close = mem_close,
    .limit_append = mem_limit_append,
    .limit_changes = mem_limit_changes,
    .pnl_base_append = mem_pnl_base_append,
    .pnl_bases = mem_pnl_bases,
};

int oms_store_memory_create(const oms_store_config_t *cfg, oms_store_t **out) {
  *out = NULL;
  mem_t *m = oms__calloc(1, sizeof(*m));
  if (m == NULL) return OMS_ENOMEM;
  m->base.vt = &mem_vtbl;
  if (cfg != NULL) m->cfg = *cfg;
  m->cfg.path = NULL; /* not kept: the caller's string */
  pthread_mutexattr_t ra;
  pthread_mutexattr_init(&ra);
  pthread_mutexattr_settype(&ra, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&m->mu, &ra);
  pthread_mutexattr_destroy(&ra);
  m->orders.size = sizeof(oms_order_t);
  m->events.size = sizeof(oms_event_t);
  m->fills.size = sizeof(oms_fill_row_t);
  m->positions.size = sizeof(oms_position_t);
  m->tstates.size = sizeof(oms_trading_state_row_t);
  m->sessions.size = sizeof(fix_sess_t);
  m->msgs.size = sizeof(fix_msg_t);
  m->cursors.size = sizeof(cursor_t);
  m->limits.size = sizeof(limit_t);
  m->pnl_bases.size = sizeof(oms_pnl_base_row_t);
  *out = &m->base;
  return 0;
}
