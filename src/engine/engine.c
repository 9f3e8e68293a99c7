/*
 * engine.c - the OMS core: orders in memory, commands in sequence, the
 * write-ahead outbox, and the application of venue reports.
 *
 * NOTES ON THE DESIGN
 *
 * Orders live in a pool of slots sized at creation, found through maps of
 * core/u64map.h: by order id, by (strategy, client order id), by (strategy,
 * current client order id) for orders a confirmed replace renamed, and by
 * venue order id; string keys go in as their core/hash.h hash and a hit is checked
 * against the order's names. Every order in memory is also on a list in
 * order-id order (ids are handed out increasing and recovery loads in id
 * order), so a walk over the orders needs no sort. Finished orders stay in
 * memory in a FIFO and their slots are reused oldest first when the free
 * list runs dry; an order that left memory is still found in the store.
 *
 * A command (an API call, or one venue report) stages each change together
 * with the event announcing it, then commits: the events are appended to the
 * store as one unit, and only if that append is accepted are the risk
 * aggregates and the portfolio updated and the effects (venue messages,
 * event publication) pushed to the outbox with the append's ticket. A
 * refused append leaves everything as it was. A plain order's change is
 * made in its slot, with what it overwrote kept to be put back if the
 * commit fails; the event's snapshot of the order is copied from the slot,
 * and only when someone reads events (a subscriber, a written hook, a store
 * that reads them): an engine with none stages events without it ("lean").
 * A parent's or a child's change is made on a copy (the event's snapshot),
 * written back at the commit.
 *
 * The outbox releases its effects in order once the store reports their
 * ticket durable: nothing reaches a venue and nobody is told anything that
 * a crash could take back. Without a store, effects are released at once.
 * A consumer that stores its own effects behind the events (the FIX
 * gateway) may hear of them earlier, at the commit (on_written): what it
 * stores gets a later ticket, so it can hold it for that ticket and one
 * sync makes both durable, where waiting for the event first costs two.
 * A release can itself run a command (the router refuses a queued order: it
 * becomes REJECTED), which appends behind everything already in the outbox.
 *
 * Facts from venues (fills, cancels) are appended with OMS_STORE_APPEND_MUST
 * so a failed store does not refuse them; if the store's queue is full, the
 * report is held in the engine and applied first at the next poll, and the
 * venues are not polled until the held reports are through, so their order
 * is kept.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/hash.h"
#include "core/idfilter.h"
#include "core/u64map.h"
#include "decimal/decimal_internal.h"
#include "engine/engine_group.h"
#include "engine/engine_parent.h"
#include "engine/engine_risk.h"
#include "engine/engine_sor.h"
#include "oms/engine.h"
#include "oms/error.h"
#include "oms/risk.h"
#include "order/order_internal.h"

#define NIL UINT32_MAX
#define MAX_STAGE 4
#define CHECK_MAX 32
/* The duplicate filter's first layer: 8 MiB, 1.5M ids before a second. */
#define SEEN_FIRST_BITS (UINT64_C(1) << 26)

enum { ACT_PUBLISH = 1, ACT_SEND_NEW, ACT_SEND_CANCEL, ACT_SEND_REPLACE };

typedef struct slot_s {
  oms_order_t o; /* first */
  uint8_t texts; /* which of o's long texts may hold a byte other than zero
                  * (OMS__DIRTY_*): kept across reuse, for the next order's
                  * init to skip what is zero already */
  uint32_t next; /* from here on cleared by slot_alloc: the free list, or
                  * the FIFO of finished orders */
  uint32_t pins; /* outbox sends that refer to this slot */
  bool used;
  bool finished; /* queued in the FIFO of finished orders */
  uint64_t clord_key;
  uint64_t cur_key;   /* of (strategy, cur_client_order_id) once renamed; 0 before */
  uint64_t venue_key; /* of (venue, venue_order_id) once the venue named it; 0 before */
  uint64_t req_hash;  /* of the request that created it, for idempotent replays */
  int64_t request_ns;
  char check[CHECK_MAX];   /* the risk check that denied it */
  bool recon;              /* reconciliation waits for the venue's word on it */
  bool derived;            /* a fill was derived from a status snapshot */
  uint8_t unknown_answers; /* UNKNOWN status answers so far (the N-retry rule) */
} slot_t;

/* A recent fill, by its place in the execution id ring: what a bust or a
 * correction naming it must take back. */
typedef struct fill_rec_s {
  uint64_t order_id;
  oms_dec_t qty, px, fee; /* qty 0 once busted */
} fill_rec_t;

/* A slot's place on the list of orders in memory, by order id. Kept apart
 * from the slots, so that unlinking one touches its neighbours' links (eight
 * bytes each) and not their orders. */
typedef struct link_s {
  uint32_t prev, next;
} link_t;

typedef struct action_s {
  uint64_t ticket;
  uint8_t kind;
  uint32_t slot;
  oms_dec_t qty, price, stop;
} action_t;

/* The byte just past field f of an order. */
#define END_OF(f) (offsetof(oms_order_t, f) + sizeof(((oms_order_t *)0)->f))

/* The parts of an order a transition may write (oms__order_apply_scratch):
 * its numbers and states (venue_order_id's end to cur_client_order_id), its
 * times, its flags and audit count, the audit entry it appends, and by the
 * kind of event one group of names: the venue's id (ACCEPT), the current and
 * pending client ids (the replace events) or the reason (DENY, REJECT). */
#define UNDO_NUM (offsetof(oms_order_t, cur_client_order_id) - END_OF(venue_order_id))
#define UNDO_TIME (offsetof(oms_order_t, metadata) - offsetof(oms_order_t, created_ns))
#define UNDO_FLAGS (offsetof(oms_order_t, audit) - END_OF(metadata))
#define UNDO_STR (offsetof(oms_order_t, created_ns) - offsetof(oms_order_t, reject_code))
_Static_assert(UNDO_STR >= sizeof(((oms_order_t *)0)->venue_order_id) &&
                   UNDO_STR >= offsetof(oms_order_t, reject_code) -
                                   offsetof(oms_order_t, cur_client_order_id),
               "the reason is the longest group of names");

/* What a change made in place (stage_in_place) overwrote, to put back if its
 * command is not committed. */
typedef struct undo_s {
  uint16_t str_at, str_len; /* the group of names saved in str, len 0 none */
  oms_audit_t audit;        /* the entry the change's own overwrote */
  char num[UNDO_NUM];
  char time[UNDO_TIME];
  char flags[UNDO_FLAGS];
  char str[UNDO_STR];
  oms__submit_undo_t sub; /* a new order's SUBMIT (stage_t.fresh): all that was saved */
} undo_t;

/* One staged change of a command. */
typedef struct stage_s {
  uint32_t slot; /* NIL for an event about no order (alarm) */
  int send;      /* ACT_SEND_* to push after the commit, or 0 */
  oms_dec_t qty, price, stop;
  bool fill;           /* book ev.fill into the portfolio */
  bool bust;           /* take ev.fill.old_* back out of the portfolio (before any fill) */
  bool in_place;       /* made in the slot itself (stage_in_place) */
  bool renamed;        /* in_place: the change gave the order a new current client id */
  bool fresh;          /* in_place: a new order's SUBMIT (submit_new), its undo in undo.sub */
  uint32_t audit_from; /* the slot's audit_count when the event took its copy */
  undo_t undo;         /* in_place: kept last, not cleared (only what was saved is read) */
} stage_t;

typedef struct vctx_s {
  oms_engine_t *e;
  uint32_t index;
  char name[OMS_VENUE_MAX + 1];
  oms_venue_t *v;
  bool reconciled;     /* the venue and the OMS agree; new orders may go */
  bool awaiting_batch; /* a query_all is out, its last_of_batch not seen */
  uint32_t pending;    /* orders whose per-order answer reconciliation awaits */
  uint8_t unknown_retries;
  bool refuse_unreconciled;
} vctx_t;

struct oms_engine_s {
  oms_engine_config_t cfg;
  oms_router_t *router;

  slot_t *slots;
  uint32_t nslots, free_head, fin_head, fin_tail;
  link_t *mem;                 /* per slot: the order-id list */
  uint32_t mem_head, mem_tail; /* its oldest and newest */
  oms__u64map_t by_id, by_clord, by_cur, by_venue_id;

  oms_instrument_t *ins;
  /* all a submission reads of an instrument, by its ins_key: at
   * key & ins_tmask or the next free place after (half of them stay free) */
  oms__ins_hot_t *ins_hot;
  uint32_t ins_tmask;
  uint32_t nins;
  oms__u64map_t ins_map;

  vctx_t *vctx;
  uint32_t nvenues;

  /* the outbox: actions[i] and events[i] go together */
  action_t *actions;
  oms_event_t *events;
  uint32_t ocap, ohead, ocount;
  bool releasing;

  /* the command being built; sev points into sev_buf (see commit: the
   * effects released at once read the events where they were staged, so a
   * command their release runs stages into the other half) */
  stage_t stage[MAX_STAGE];
  oms_event_t *sev;
  oms_event_t sev_buf[2][MAX_STAGE];
  int nstage;
  /* Nobody reads an event's order whole: no subscriber, no written hook,
   * and a store that reads no events (or none). A plain order's change is
   * then staged without its order (stage_in_place), and no event is
   * published. */
  bool lean;

  /* recent execution ids */
  oms__u64map_t exec_map;
  uint64_t *exec_ring;
  fill_rec_t *exec_fill; /* per ring cell */
  uint32_t exec_cap, exec_head, exec_count;

  /* reports held back by a full store */
  oms_exec_report_t *held;
  uint32_t *held_venue;
  uint32_t hcap, hhead, hcount;

  uint64_t next_order_id, next_seq;
  int64_t now;       /* the time of the command in progress */
  int64_t day_next;  /* the next trading day's start (0: not known yet) */
  bool recovering;   /* trading states restored from the store are not news */
  bool store_failed; /* as last seen by watch_store() */
  oms_engine_stats_t st;
  /* The order a submit result points at when it lives in no slot: an
   * idempotent replay of an order found only in the store. */
  oms_order_t res_order;

  /* parent orders (engine_parent.c) */
  oms__parents_t *parents;
  uint64_t mk_parent; /* the next submission is a child of it, or */
  uint32_t mk_seq;
  uint16_t mk_algo; /* a parent of this strategy */
  bool halting;     /* a halt's cancels: parents stop as HALTED */
  /* contingent groups (engine_group.c) */
  oms__groups_t *groups;
  bool leg_replace; /* the group resizes one of its members */
  oms__sor_t *sor;  /* smart-routed parents (engine_sor.c) */

  /* Every (strategy, client order id) this engine or its store has seen: a
   * new id that misses it needs no store lookup, which keeps SQLite off the
   * submission path (a false positive costs one). Grows in layers from
   * oms_engine_poll, so its false-positive rate stays bounded. Last: its
   * 300 bytes would move the hot fields above apart. */
  oms__idfilter_t seen;
};

/* What a submit result points at when no order was created. */
static const oms_order_t no_order;

static int64_t now_ns(oms_engine_t *e) { return oms_clock_now(&e->cfg.clock); }

/* Copies as much of src as fits in dst[cap]: a reason text is cut, never lost. */
static void copy_text(char *dst, size_t cap, const char *src) {
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

/* ---- keys ----------------------------------------------------------------- */

/* The key of (strategy, client order id): from two strings, or from the
 * names in an order's or a request's arrays a word at a time (the same key;
 * core/hash.h, oms__name_chain): the two names one run of words, mixed
 * once. */
#define CLORD_SEED (OMS__FNV_BASIS ^ 0x5bd1e995)
static uint64_t clord_key(const char *strategy, const char *clordid) {
  return oms__hash_finish(oms__name_chain_str(oms__name_chain_str(CLORD_SEED, strategy), clordid));
}

/* strategy and clordid are arrays of OMS_ID_MAX + 1; *slen and *clen receive
 * the names' lengths (OMS_ID_MAX + 1 for an array without its NUL). Always
 * inlined: with three callers GCC keeps it apart, a call on the submission
 * path. */
static inline __attribute__((always_inline)) uint64_t clord_key_of(const char *strategy,
                                                                   const char *clordid,
                                                                   size_t *slen, size_t *clen) {
  uint64_t h = oms__name_chain(CLORD_SEED, strategy, OMS_ID_MAX + 1, slen);
  return oms__hash_finish(oms__name_chain(h, clordid, OMS_ID_MAX + 1, clen));
}

/* Keeps the map (strategy, current client order id) -> order current after
 * slot s was renamed (a confirmed replace). Only renamed orders are in it:
 * an order under its first name is found through by_clord, which keeps the
 * submission path free of a second map. */
static void index_cur(oms_engine_t *e, slot_t *s) {
  uint64_t at;
  uint32_t si = (uint32_t)(s - e->slots);
  if (s->cur_key != 0 && oms__u64map_get(&e->by_cur, s->cur_key, &at) && at == si)
    oms__u64map_del(&e->by_cur, s->cur_key);
  s->cur_key = 0;
  if (strcmp(s->o.cur_client_order_id, s->o.client_order_id) == 0) return;
  size_t n;
  s->cur_key = clord_key_of(s->o.strategy_id, s->o.cur_client_order_id, &n, &n);
  oms__u64map_put(&e->by_cur, s->cur_key, si); /* sized for every slot: never full */
}

static uint64_t venue_id_key(const char *venue, const char *venue_order_id) {
  return oms__hash_str(venue_order_id, oms__hash_str(venue, 0x27d4eb2f));
}

/* Keeps the id map venue_order_id -> order current once the venue named it. */
static void index_venue_id(oms_engine_t *e, slot_t *s) {
  if (s->venue_key != 0 || s->o.venue_order_id[0] == '\0') return;
  s->venue_key = venue_id_key(s->o.venue, s->o.venue_order_id);
  oms__u64map_put(&e->by_venue_id, s->venue_key, (uint64_t)(s - e->slots));
}

/* The key of an instrument, (venue, symbol): from two strings, or from the
 * arrays of an instrument or a request (the same key), as clord_key. */
#define INS_SEED (OMS__FNV_BASIS ^ 0x9e3779b9)
static uint64_t ins_key(const char *venue, const char *symbol) {
  return oms__hash_finish(oms__name_chain_str(oms__name_chain_str(INS_SEED, venue), symbol));
}

static uint64_t ins_key_of(const char *venue, const char *symbol) {
  size_t n;
  uint64_t h = oms__name_chain(INS_SEED, venue, OMS_VENUE_MAX + 1, &n);
  return oms__hash_finish(oms__name_chain(h, symbol, OMS_SYMBOL_MAX + 1, &n));
}

/* A hash of everything a request asks for, so a replay can be told from a
 * different request that reuses the client order id; from the keys the
 * submission computes anyway (clord_key of its strategy and client order
 * id, ins_key of its venue and symbol), so those names are read once. The
 * four small fields go in two to a word. The words are chained by an odd
 * multiply each, as the account's (oms__name_chain: a bijection of the
 * running hash, so two requests that differ in one word never collide)
 * and mixed once at the end, where a mix per word cost three times the
 * instructions. */
static uint64_t request_hash(const oms_order_request_t *r, uint64_t ckey, uint64_t ikey) {
  const uint64_t odd = OMS__NAME_K;
  size_t n;
  uint64_t h = oms__name_chain(ckey, r->account_id, OMS_ID_MAX + 1, &n);
  uint64_t v[] = {ikey,
                  (uint64_t)(uint32_t)r->side | (uint64_t)(uint32_t)r->type << 32,
                  (uint64_t)(uint32_t)r->tif | (uint64_t)r->instructions << 32,
                  (uint64_t)r->qty.raw,
                  (uint64_t)r->price.raw,
                  (uint64_t)r->stop_price.raw,
                  (uint64_t)r->expire_ns};
  for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) h = (h ^ v[i]) * odd;
  return oms__hash_finish(h);
}

/* oms__u64map_put of a key that is new but for a rare exception (a new
 * order's id and client order id), by the inline add: a call and a second
 * test of the entry fewer. The maps are sized for every slot: never full. */
static inline void map_set(oms__u64map_t *m, uint64_t key, uint64_t val) {
  if (oms__u64map_add(m, key, val) == 0) oms__u64map_put(m, key, val);
}

/* ---- lifecycle ------------------------------------------------------------ */

static void hook_status_unknown(void *ctx, uint64_t order_id, const char *why);
/* A child's native fields come from its parent (engine_parent.c). */
static void hook_native_of(void *ctx, const oms_order_t *o, oms_venue_order_t *vo) {
  oms_engine_t *e = ctx;
  oms__parents_native_of(e->parents, o, vo);
}

static void hook_send_failed(void *ctx, uint64_t order_id, int kind, int err);
static void on_trading_state(void *ctx, oms_risk_scope_t scope, const char *id,
                             oms_trading_state_t from, oms_trading_state_t to, const char *reason,
                             int64_t now_ns);

int oms_engine_create(const oms_engine_config_t *cfg, oms_engine_t **out) {
  *out = NULL;
  if (cfg == NULL || cfg->clock.now_ns == NULL) return OMS_EINVAL;
  oms_engine_t *e = oms__calloc(1, sizeof(*e));
  if (e == NULL) return OMS_ENOMEM;
  e->cfg = *cfg;
  oms_engine_config_t *c = &e->cfg;
  if (c->max_orders == 0) c->max_orders = 16384;
  if (c->max_instruments == 0) c->max_instruments = 1024;
  if (c->max_venues == 0) c->max_venues = 8;
  if (c->outbox_capacity == 0) c->outbox_capacity = 8192;
  if (c->exec_id_window == 0) c->exec_id_window = 65536;
  if (c->max_parents == 0) c->max_parents = 1024;
  if (c->max_groups == 0) c->max_groups = 1024;
  e->next_order_id = c->first_order_id ? c->first_order_id : 1;
  e->next_seq = 1;
  e->sev = e->sev_buf[0];
  e->lean = (c->store == NULL || c->store->vt->events_unread) && c->bus == NULL &&
            c->on_event == NULL && c->on_written == NULL;

  oms_router_hooks_t hooks = {hook_status_unknown, hook_send_failed, e, hook_native_of};
  int rc = oms_router_create(c->max_venues, c->max_orders, &hooks, &e->router);
  if (rc != 0) goto fail;
  rc = OMS_ENOMEM;
  e->nslots = c->max_orders;
  e->slots = oms__calloc(e->nslots, sizeof(slot_t));
  e->mem = oms__calloc(e->nslots, sizeof(link_t));
  e->ins = oms__calloc(c->max_instruments, sizeof(oms_instrument_t));
  uint64_t tcap = 2;
  while (tcap < 2 * (uint64_t)c->max_instruments) tcap *= 2;
  e->ins_tmask = (uint32_t)(tcap - 1);
  e->ins_hot = tcap <= UINT32_MAX ? oms__aligned_alloc(_Alignof(oms__ins_hot_t),
                                                       (size_t)tcap * sizeof(oms__ins_hot_t))
                                  : NULL;
  if (e->ins_hot != NULL) memset(e->ins_hot, 0, (size_t)tcap * sizeof(oms__ins_hot_t));
  e->vctx = oms__calloc(c->max_venues, sizeof(vctx_t));
  e->ocap = c->outbox_capacity;
  e->actions = oms__calloc(e->ocap, sizeof(action_t));
  e->events = oms__calloc(e->ocap, sizeof(oms_event_t));
  int seen_rc = oms__idfilter_init(&e->seen, SEEN_FIRST_BITS);
  e->exec_cap = c->exec_id_window;
  e->exec_ring = oms__calloc(e->exec_cap, sizeof(uint64_t));
  e->exec_fill = oms__calloc(e->exec_cap, sizeof(fill_rec_t));
  e->hcap = c->outbox_capacity;
  e->held = oms__calloc(e->hcap, sizeof(oms_exec_report_t));
  e->held_venue = oms__calloc(e->hcap, sizeof(uint32_t));
  if (e->slots == NULL || e->mem == NULL || e->ins == NULL || e->ins_hot == NULL ||
      e->vctx == NULL || e->actions == NULL || e->events == NULL || e->exec_ring == NULL ||
      e->exec_fill == NULL || e->held == NULL || e->held_venue == NULL || seen_rc != 0)
    goto fail;
  if (oms__u64map_init(&e->by_id, e->nslots) != 0 ||
      oms__u64map_init(&e->by_clord, e->nslots) != 0 ||
      oms__u64map_init(&e->by_cur, e->nslots) != 0 ||
      oms__u64map_init(&e->by_venue_id, e->nslots) != 0 ||
      oms__u64map_init(&e->ins_map, c->max_instruments) != 0 ||
      oms__u64map_init(&e->exec_map, e->exec_cap) != 0 ||
      oms__parents_create(c->max_parents, c->max_instruments, &e->parents) != 0 ||
      oms__groups_create(c->max_groups, &e->groups) != 0 ||
      oms__sor_create(
          c->max_parents, c->max_instruments,
          c->sor_stale_ns == 0 ? INT64_C(5000000000) : (c->sor_stale_ns < 0 ? 0 : c->sor_stale_ns),
          &e->sor) != 0)
    goto fail;
  for (uint32_t i = 0; i < e->nslots; i++) e->slots[i].next = i + 1 < e->nslots ? i + 1 : NIL;
  e->free_head = 0;
  e->fin_head = e->fin_tail = NIL;
  e->mem_head = e->mem_tail = NIL;
  if (c->risk != NULL) {
    oms_risk_set_state_cb(c->risk, on_trading_state, e);
    if (c->portfolio != NULL) {
      oms_portfolio_if_t pif = oms_portfolio_as_if(c->portfolio);
      oms_risk_set_portfolio(c->risk, &pif);
    }
  }
  *out = e;
  return 0;
fail:
  oms_engine_destroy(e);
  return rc;
}

void oms_engine_destroy(oms_engine_t *e) {
  if (e == NULL) return;
  oms_router_destroy(e->router);
  oms__free(e->slots);
  oms__free(e->mem);
  oms__free(e->ins);
  oms__aligned_free(e->ins_hot);
  oms__free(e->vctx);
  oms__free(e->actions);
  oms__free(e->events);
  oms__free(e->exec_ring);
  oms__free(e->exec_fill);
  oms__idfilter_close(&e->seen);
  oms__free(e->held);
  oms__free(e->held_venue);
  oms__u64map_close(&e->by_id);
  oms__u64map_close(&e->by_clord);
  oms__u64map_close(&e->by_cur);
  oms__u64map_close(&e->by_venue_id);
  oms__u64map_close(&e->ins_map);
  oms__u64map_close(&e->exec_map);
  oms__parents_destroy(e->parents);
  oms__groups_destroy(e->groups);
  oms__sor_destroy(e->sor);
  oms__free(e);
}

/* The hot record of the instrument whose ins_key is key, or the free place
 * where it goes (key 0), which one is: the table is at most half full. */
static oms__ins_hot_t *hot_of(const oms_engine_t *e, uint64_t key) {
  for (uint32_t j = (uint32_t)key & e->ins_tmask;; j = (j + 1) & e->ins_tmask) {
    oms__ins_hot_t *h = &e->ins_hot[j];
    if (h->key == key || h->key == 0) return h;
  }
}

int oms_engine_add_instrument(oms_engine_t *e, const oms_instrument_t *ins, oms_reject_t *rej) {
  oms_reject_t tmp;
  if (oms_instrument_check(ins, rej ? rej : &tmp) != 0) return OMS_EINVAL;
  uint64_t key = ins_key(ins->venue, ins->symbol), idx;
  if (!oms__u64map_get(&e->ins_map, key, &idx)) {
    if (e->nins == e->cfg.max_instruments) return OMS_EFULL;
    idx = e->nins++;
    oms__u64map_put(&e->ins_map, key, idx);
  }
  e->ins[idx] = *ins;
  /* Known once here, so that a request naming this instrument need not have
   * its venue checked (oms__request_validate), nor its steps divided by.
   * The only place e->ins changes: the hot record follows it here. */
  oms__ins_hot_t *h = hot_of(e, key);
  oms__ins_hot_set(h, ins);
  h->key = key;
  h->index = (uint32_t)idx;
  if (e->cfg.portfolio != NULL)
    oms_portfolio_set_instrument(e->cfg.portfolio, ins->symbol, ins->multiplier, OMS_DEC_ZERO);
  return 0;
}

/* The index of the instrument whose ins_key is key, or -1. A hash is not
 * proof: the caller compares the names. */
static int64_t instrument_at(const oms_engine_t *e, uint64_t key) {
  uint64_t idx;
  return oms__u64map_get(&e->ins_map, key, &idx) ? (int64_t)idx : -1;
}

const oms_instrument_t *oms_engine_instrument(const oms_engine_t *e, const char *venue,
                                              const char *symbol) {
  int64_t i = instrument_at(e, ins_key(venue, symbol));
  if (i < 0 || strcmp(e->ins[i].symbol, symbol) != 0 || strcmp(e->ins[i].venue, venue) != 0)
    return NULL;
  return &e->ins[i];
}

/* The instrument a request names, or NULL: oms_engine_instrument() on the
 * request's arrays, compared a word at a time with its hot record's, found
 * by ikey without the map: its two lines are all of it read here and in
 * validation (*hot receives it).
 * *known receives what validation then need not check again (OMS__KNOWN_*):
 * the request's steps are tested here with the instrument's oms__step,
 * without a division. */
static const oms_instrument_t *request_instrument(const oms_engine_t *e, uint64_t ikey,
                                                  const oms_order_request_t *req,
                                                  const oms__ins_hot_t **hot, unsigned *known) {
  const oms__ins_hot_t *h = hot_of(e, ikey);
  *known = 0;
  *hot = NULL;
  if (h->key == 0) return NULL;
  _Static_assert(sizeof(h->symbol) == sizeof(req->symbol) && sizeof(h->venue) == sizeof(req->venue),
                 "an instrument's names and a request's are arrays of one size");
  if (!oms__name_eq(h->symbol, req->symbol, sizeof(req->symbol)) ||
      !oms__name_eq(h->venue, req->venue, sizeof(req->venue)))
    return NULL;
  *hot = h;
  *known = OMS__KNOWN_INSTRUMENT | (h->venue_ok ? OMS__KNOWN_VENUE : 0);
  bool price = req->type == OMS_ORD_LIMIT || req->type == OMS_ORD_STOP_LIMIT;
  bool stop = req->type == OMS_ORD_STOP || req->type == OMS_ORD_STOP_LIMIT;
  oms__step_t tick = oms__ins_tick(h);
  if ((!price || oms__dec_multiple(req->price, tick)) &&
      (!stop || oms__dec_multiple(req->stop_price, tick)) &&
      oms__dec_multiple(req->qty, oms__ins_lot(h)))
    *known |= OMS__KNOWN_STEPS;
  return &e->ins[h->index];
}

static void on_report(void *ctx, const oms_exec_report_t *r);
static void on_market_data(void *ctx, const oms_market_data_t *md);
static void on_connection(void *ctx, bool connected);

int oms_engine_add_venue(oms_engine_t *e, oms_venue_t *v, const oms_venue_route_config_t *cfg) {
  if (v == NULL) return OMS_EINVAL;
  if (e->nvenues == e->cfg.max_venues) {
    oms_venue_destroy(v);
    return OMS_EFULL;
  }
  vctx_t *vc = &e->vctx[e->nvenues];
  vc->e = e;
  vc->index = e->nvenues;
  memcpy(vc->name, v->name, sizeof(vc->name));
  vc->v = v;
  vc->reconciled = true;
  vc->unknown_retries = cfg != NULL && cfg->unknown_retries ? cfg->unknown_retries : 3;
  oms_venue_handler_t h = {on_report, on_market_data, on_connection, vc};
  oms_venue_set_handler(v, &h);
  int rc = oms_router_add_venue(e->router, v, cfg);
  if (rc == 0) e->nvenues++;
  return rc;
}

oms_router_t *oms_engine_router(oms_engine_t *e) { return e->router; }

/* ---- slots ---------------------------------------------------------------- */

static slot_t *slot_of_id(oms_engine_t *e, uint64_t order_id) {
  uint64_t idx;
  if (!oms__u64map_get(&e->by_id, order_id, &idx)) return NULL;
  return &e->slots[idx];
}

static uint32_t slot_index(const oms_engine_t *e, const slot_t *s) {
  return (uint32_t)(s - e->slots);
}

static void mem_unlink(oms_engine_t *e, uint32_t i) {
  link_t *l = &e->mem[i];
  if (l->prev != NIL)
    e->mem[l->prev].next = l->next;
  else
    e->mem_head = l->next;
  if (l->next != NIL)
    e->mem[l->next].prev = l->prev;
  else
    e->mem_tail = l->prev;
}

/* Puts slot i, whose order id is set, on the order-id list: at the tail, as
 * ids are handed out increasing; a walk back from the tail keeps the order
 * should a store ever hand back orders out of id order. */
static void mem_link(oms_engine_t *e, uint32_t i) {
  uint64_t id = e->slots[i].o.order_id;
  uint32_t after = e->mem_tail;
  while (after != NIL && e->slots[after].o.order_id > id) after = e->mem[after].prev;
  link_t *l = &e->mem[i];
  l->prev = after;
  l->next = after != NIL ? e->mem[after].next : e->mem_head;
  if (after != NIL)
    e->mem[after].next = i;
  else
    e->mem_head = i;
  if (l->next != NIL)
    e->mem[l->next].prev = i;
  else
    e->mem_tail = i;
}

/* A free slot: from the free list, or the oldest finished order no outbox
 * action still needs. NIL when every slot is taken by a live order. */
static uint32_t slot_alloc(oms_engine_t *e) {
  uint32_t i = e->free_head;
  if (i != NIL) {
    e->free_head = e->slots[i].next;
  } else {
    i = e->fin_head;
    /* A bust can bring a finished order back to life: it leaves the FIFO. */
    while (i != NIL && !oms__state_terminal(e->slots[i].o.state)) {
      e->slots[i].finished = false;
      e->fin_head = e->slots[i].next;
      if (e->fin_head == NIL) e->fin_tail = NIL;
      i = e->fin_head;
    }
    if (i == NIL || e->slots[i].pins > 0) return NIL;
    e->fin_head = e->slots[i].next;
    if (e->fin_head == NIL) e->fin_tail = NIL;
    slot_t *old = &e->slots[i];
    oms__u64map_del(&e->by_id, old->o.order_id);
    uint64_t cur;
    if (oms__u64map_get(&e->by_clord, old->clord_key, &cur) && cur == i)
      oms__u64map_del(&e->by_clord, old->clord_key);
    if (old->cur_key && oms__u64map_get(&e->by_cur, old->cur_key, &cur) && cur == i)
      oms__u64map_del(&e->by_cur, old->cur_key);
    mem_unlink(e, i);
    if (old->venue_key && oms__u64map_get(&e->by_venue_id, old->venue_key, &cur) && cur == i)
      oms__u64map_del(&e->by_venue_id, old->venue_key);
  }
  slot_t *s = &e->slots[i];
  /* The order itself is written whole by the caller (oms_order_init, or a
   * recovered copy): only the slot's own fields are cleared. */
  oms__zero((char *)s + offsetof(slot_t, next), sizeof(*s) - offsetof(slot_t, next));
  s->next = NIL;
  s->used = true;
  e->st.orders_in_memory++;
  return i;
}

/* The slot the next submission will take is, with finished orders reused
 * oldest first, memory untouched for a long time: two dozen cache lines that
 * the next submission would otherwise wait for, one miss after another, as
 * it writes its order. Asked for now (for writing), they arrive while this
 * submission runs. Only a hint: whatever slot_alloc then picks is right.
 * Always inlined: out of line, a function of prefetches alone looks free of
 * effects to GCC 12, which then drops the call. */
static inline __attribute__((always_inline)) void prefetch_next_slot(const oms_engine_t *e) {
  uint32_t i = e->free_head != NIL ? e->free_head : e->fin_head;
  if (i == NIL) return;
  const char *p = (const char *)&e->slots[i];
  /* The lines the next init writes whatever the slot held: not those of the
   * reason and the metadata's tail, written only when dirty (slot_t.texts),
   * which would only crowd the cache. Each range's last byte too, as the
   * slot need not start a line. Unrolled: the loop's own count, test and
   * jump cost three times the prefetches (bench_core, callgrind: ~100
   * instructions -> ~30). */
#define PREFETCH_RANGE(from, to)                                              \
  do {                                                                        \
    _Pragma("GCC unroll 16") for (size_t off = (from); off < (to); off += 64) \
        __builtin_prefetch(p + off, 1, 3);                                    \
    __builtin_prefetch(p + (to)-1, 1, 3);                                     \
  } while (0)
  PREFETCH_RANGE(0, offsetof(oms_order_t, reject_reason));
  PREFETCH_RANGE(END_OF(reject_reason), offsetof(oms_order_t, metadata) + OMS__META_HEAD);
  PREFETCH_RANGE(END_OF(metadata), sizeof(slot_t));
#undef PREFETCH_RANGE
}

static void slot_finished(oms_engine_t *e, uint32_t i) {
  slot_t *s = &e->slots[i];
  if (s->finished) return;
  s->finished = true;
  s->next = NIL;
  if (e->fin_tail != NIL)
    e->slots[e->fin_tail].next = i;
  else
    e->fin_head = i;
  e->fin_tail = i;
}

/* ---- commands: stage, commit ---------------------------------------------- */

static __attribute__((cold, noinline)) void day_begins(oms_engine_t *e);

static void begin(oms_engine_t *e) {
  e->nstage = 0;
  e->now = now_ns(e);
  if (e->now >= e->day_next) day_begins(e);
}

/* Stages the change of slot si to `after` with event type t. Returns the
 * staged event for the caller to complete (fill details, reason...). */
static oms_event_t *stage(oms_engine_t *e, uint32_t si, const oms_order_t *after,
                          oms_event_type_t t) {
  int k = e->nstage++;
  stage_t *st = &e->stage[k];
  memset(st, 0, offsetof(stage_t, undo));
  st->slot = si;
  st->audit_from = after != NULL ? after->audit_count : 0;
  oms_event_t *ev = &e->sev[k];
  int64_t req_ns = si != NIL ? e->slots[si].request_ns : 0;
  oms_event_init(ev, t, after, e->now, req_ns);
  return ev;
}

static int outbox_room(const oms_engine_t *e) { return (int)(e->ocap - e->ocount); }

static void outbox_push(oms_engine_t *e, uint64_t ticket, uint8_t kind, uint32_t slot,
                        const oms_event_t *ev, const stage_t *st) {
  uint32_t i = (e->ohead + e->ocount) % e->ocap;
  e->ocount++;
  action_t *a = &e->actions[i];
  a->ticket = ticket;
  a->kind = kind;
  a->slot = slot;
  if (st != NULL) {
    a->qty = st->qty;
    a->price = st->price;
    a->stop = st->stop;
  }
  if (kind == ACT_PUBLISH && ev != NULL) oms_event_copy(&e->events[i], ev);
  if (slot != NIL && kind != ACT_PUBLISH) e->slots[slot].pins++;
}

static void release(oms_engine_t *e);
static void watch_store(oms_engine_t *e);
static int stage_change(oms_engine_t *e, uint32_t si, const oms_ord_change_t *ch,
                        oms_event_t **out_ev);
static int request_refused(oms_engine_t *e, int rc, oms_reject_t *rej);
static void recon_done_with(oms_engine_t *e, slot_t *s);
static void run_action(oms_engine_t *e, const action_t *a, const oms_event_t *ev);
static void unstage(oms_engine_t *e);
static int apply_in_slot(oms_engine_t *e, uint32_t si, const oms_ord_change_t *ch);

/* Installs the staged copy src of the order in its slot dst. The names from
 * client_order_id to symbol, and the metadata, are set at creation and no
 * transition writes them, so they are not written back: a third of the
 * 1.4 KB, on every commit. Nor is the audit ring, when the slot is as it was
 * when src was copied from it (its audit_count still `from`): then only the
 * entries the staged transitions appended differ, usually one of sixteen. */
static void write_back(oms_order_t *dst, const oms_order_t *src, uint32_t from) {
  assert(dst->order_id == src->order_id &&
         memcmp(dst->client_order_id, src->client_order_id,
                END_OF(symbol) - offsetof(oms_order_t, client_order_id)) == 0 &&
         memcmp(dst->metadata, src->metadata, sizeof(dst->metadata)) == 0);
  memcpy((char *)dst + END_OF(symbol), (const char *)src + END_OF(symbol),
         offsetof(oms_order_t, metadata) - END_OF(symbol));
  uint32_t to = src->audit_count;
  if (dst->audit_count == from && to >= from && to - from < OMS_AUDIT_INLINE) {
    for (uint32_t q = from; q < to; q++)
      dst->audit[q % OMS_AUDIT_INLINE] = src->audit[q % OMS_AUDIT_INLINE];
    memcpy((char *)dst + END_OF(metadata), (const char *)src + END_OF(metadata),
           offsetof(oms_order_t, audit) - END_OF(metadata));
    memcpy((char *)dst + END_OF(audit), (const char *)src + END_OF(audit),
           sizeof(*dst) - END_OF(audit));
  } else {
    memcpy((char *)dst + END_OF(metadata), (const char *)src + END_OF(metadata),
           sizeof(*dst) - END_OF(metadata));
  }
}

/* Whether the effects of a unit appended with ticket may run right now,
 * without passing through the outbox: nothing is queued ahead of them, no
 * release is under way (whose order they would overtake), and the store
 * already holds the unit durable (no store, a store durable at append). */
static bool release_now(const oms_engine_t *e, uint64_t ticket) {
  if (e->ocount != 0 || e->releasing) return false;
  return e->cfg.store == NULL || ticket <= oms_store_durable_ticket(e->cfg.store);
}

/* The parents of the children staged in this command: a child's fill is its
 * parent's, and its end may end the parent; the parent's change and its
 * algorithm's state join the unit (engine_parent.c works them out on a
 * copy, installed by the commit). Returns the number of staged events. */
static int stage_parents(oms_engine_t *e) {
  int n = e->nstage;
  for (int k = 0; k < n; k++) {
    if (e->stage[k].slot == NIL || e->stage[k].in_place || e->sev[k].order.parent_order_id == 0)
      continue;
    oms__parent_fx_t fx;
    const oms_order_t *before = &e->slots[e->stage[k].slot].o;
    /* Parents last: they take a fill of any child whose parent they no
     * longer hold (a late fill), so groups and smart parents ask first. */
    if (!oms__groups_child_event(e->groups, before, &e->sev[k], &fx) &&
        !oms__sor_child_event(e->sor, before, &e->sev[k], &fx) &&
        !oms__parents_child_event(e->parents, before, &e->sev[k], &fx))
      continue;
    slot_t *ps = slot_of_id(e, fx.parent_id);
    if (ps != NULL && ps->o.algo == 0) ps = NULL; /* only a parent order takes its child's fill */
    oms_event_t *pev = NULL;
    for (int j = 0; ps != NULL && j < e->nstage; j++)
      if (e->stage[j].slot == slot_index(e, ps)) pev = &e->sev[j];
    for (int c = 0; ps != NULL && c < fx.nch; c++) {
      if (pev == NULL && e->nstage < MAX_STAGE) {
        if (stage_change(e, slot_index(e, ps), &fx.ch[c], &pev) != 0) pev = NULL;
      } else if (pev != NULL && oms__order_apply_scratch(&pev->order, &fx.ch[c], NULL) == 0) {
        pev->type = oms_event_type_for(fx.ch[c].event, pev->order.state);
        pev->reason = fx.ch[c].reason;
        if (fx.ch[c].reason_text != NULL)
          copy_text(pev->text, sizeof(pev->text), fx.ch[c].reason_text);
      }
      if (pev != NULL && fx.ch[c].event == OMS_EV_FILL) {
        pev->fill.qty = fx.ch[c].fill_qty;
        pev->fill.price = fx.ch[c].fill_px;
        pev->fill.liquidity = e->sev[k].fill.liquidity;
      }
    }
    oms_event_t *carrier = pev != NULL ? pev : &e->sev[k];
    memcpy(carrier->algo, fx.blob, fx.len);
    carrier->algo_len = fx.len;
  }
  return e->nstage;
}

/* A smart parent this unit ends gets its BestExecution event in the same
 * unit, after the parent's own (engine_sor.c, DURABILITY): a crash never
 * stores the one without the other. Returns the number of staged events. */
static int stage_bestex(oms_engine_t *e) {
  uint64_t pid;
  for (int i = 0; (pid = oms__sor_unit_parent(e->sor, i)) != 0 && e->nstage < MAX_STAGE; i++) {
    slot_t *ps = slot_of_id(e, pid);
    if (ps == NULL) continue;
    const oms_order_t *after = &ps->o;
    for (int j = 0; j < e->nstage; j++)
      if (e->stage[j].slot == slot_index(e, ps)) after = &e->sev[j].order;
    if (!oms_ord_state_is_terminal(after->state)) continue;
    oms_event_t *ev = stage(e, slot_index(e, ps), after, OMS_EVT_BEST_EXECUTION);
    e->stage[e->nstage - 1].slot = NIL; /* a record about the order, not a change of it */
    if (!oms__sor_unit_bestex(e->sor, i, ev)) e->nstage--;
  }
  return e->nstage;
}

/* Appends the staged events as one unit and, if the store takes it, applies
 * the staged changes and queues their effects. Returns 0, or the store's
 * error (OMS_ESTORE, OMS_EFULL) or OMS_EFULL for a full outbox, with nothing
 * applied. */
static int commit(oms_engine_t *e, unsigned flags) {
  int n = e->nstage;
  if (n == 0) return 0;
  n = stage_parents(e);
  if (oms__sor_unit(e->sor)) n = stage_bestex(e);
  /* A lean engine's events have nobody to be published to. */
  bool pub = !e->lean;
  int need = 0;
  for (int k = 0; k < n; k++) need += pub + (e->stage[k].send != 0);
  if (outbox_room(e) < need) {
    unstage(e);
    oms__parents_abort(e->parents);
    oms__groups_abort(e->groups);
    oms__sor_abort(e->sor);
    return OMS_EFULL;
  }
  for (int k = 0; k < n; k++) e->sev[k].seq = e->next_seq + (uint64_t)k;
  uint64_t ticket = 0;
  if (e->cfg.store != NULL) {
    oms_store_unit_t u = {.events = e->sev, .n_events = (size_t)n};
    int rc = oms_store_append(e->cfg.store, &u, flags, &ticket);
    if (rc != 0) {
      e->st.store_refusals++;
      unstage(e);
      oms__parents_abort(e->parents);
      oms__groups_abort(e->groups);
      oms__sor_abort(e->sor);
      return rc;
    }
  }
  oms__parents_commit(e->parents);
  oms__groups_commit(e->groups);
  oms__sor_commit(e->sor);
  e->next_seq += (uint64_t)n;
  e->st.events += (uint64_t)n;
  /* Released at once, the effects run from here, with the events where they
   * were staged; otherwise they queue in the outbox, events copied. */
  bool now = release_now(e, ticket);
  action_t direct[2 * MAX_STAGE];
  const oms_event_t *direct_ev[2 * MAX_STAGE];
  int ndirect = 0;
  /* Accounts whose daily loss must be looked at once this commit is done:
   * a breach runs a command of its own, which needs the staging area. */
  const char *evaluate[MAX_STAGE];
  int nevaluate = 0;
  for (int k = 0; k < n; k++) {
    stage_t *st = &e->stage[k];
    oms_event_t *ev = &e->sev[k];
    if (st->slot != NIL) {
      slot_t *s = &e->slots[st->slot];
      /* a confirmed replace renames the order */
      bool renamed = st->renamed;
      if (st->in_place) {
        /* Made in the slot already; the risk module reads the order as it
         * is now (it never reads "before"). */
        oms__risk_order_changed(e->cfg.risk, NULL, &s->o, e->now);
      } else {
        renamed = !oms__name_eq(s->o.cur_client_order_id, ev->order.cur_client_order_id,
                                sizeof(s->o.cur_client_order_id));
        const oms_order_t *after = &ev->order;
        oms_order_t reserve;
        if (oms__group_algo(after->algo) && oms__groups_reserve(e->groups, after, &reserve))
          after = &reserve;
        else if (after->parent_order_id != 0)
          after = oms__groups_risk_view(e, after, &reserve);
        oms__risk_order_changed(e->cfg.risk, &s->o, after, e->now);
        write_back(&s->o, &ev->order, st->audit_from);
      }
      /* DENY and REJECT, the only changes that write a reason, both end
       * the order REJECTED */
      if (s->o.state == OMS_STATE_REJECTED) s->texts |= OMS__DIRTY_REASON;
      index_venue_id(e, s);
      if (renamed) index_cur(e, s);
      if (st->bust && e->cfg.portfolio != NULL)
        oms_portfolio_bust_fill(e->cfg.portfolio, s->o.account_id, s->o.symbol, s->o.side,
                                ev->fill.old_qty, ev->fill.old_price, ev->fill.old_fee, e->now);
      if ((st->bust || st->fill) && e->cfg.portfolio != NULL)
        oms__risk_position_changed(e->cfg.risk, s->o.account_id, s->o.symbol);
      if (st->bust && !st->fill) evaluate[nevaluate++] = s->o.account_id;
      if (st->fill) {
        if (e->cfg.portfolio != NULL)
          oms_portfolio_apply_fill(e->cfg.portfolio, s->o.account_id, s->o.symbol, s->o.side,
                                   ev->fill.qty, ev->fill.price, ev->fill.fee, e->now);
        if (e->cfg.portfolio != NULL)
          oms__risk_position_changed(e->cfg.risk, s->o.account_id, s->o.symbol);
        evaluate[nevaluate++] = s->o.account_id;
      }
      if ((st->fill || st->bust || oms__state_terminal(s->o.state)) && s->o.parent_order_id != 0)
        oms__groups_rereserve(e->groups, e, s->o.parent_order_id);
      if (oms__state_terminal(s->o.state)) {
        slot_finished(e, st->slot);
        recon_done_with(e, s);
      }
      if (st->send && now) {
        direct[ndirect] = (action_t){.ticket = ticket,
                                     .kind = (uint8_t)st->send,
                                     .slot = st->slot,
                                     .qty = st->qty,
                                     .price = st->price,
                                     .stop = st->stop};
        direct_ev[ndirect++] = NULL;
        s->pins++;
      } else if (st->send) {
        outbox_push(e, ticket, (uint8_t)st->send, st->slot, NULL, st);
      }
    }
    if (pub && now) {
      direct[ndirect] = (action_t){.ticket = ticket, .kind = ACT_PUBLISH, .slot = st->slot};
      direct_ev[ndirect++] = ev;
    } else if (pub) {
      outbox_push(e, ticket, ACT_PUBLISH, st->slot, ev, NULL);
    }
  }
  /* The written hook hears of the events here, before any command this
   * commit leads to (a breach, a refused send) can stage later ones. */
  if (e->cfg.on_written != NULL)
    for (int k = 0; k < n; k++) e->cfg.on_written(e->cfg.written_ctx, &e->sev[k]);
  e->nstage = 0;
  if (now) {
    /* A command run from here on (a daily-loss breach below, a venue
     * refusing a send) stages into the other half of sev_buf and, as a
     * release is under way, queues its effects behind these. */
    e->sev = e->sev == e->sev_buf[0] ? e->sev_buf[1] : e->sev_buf[0];
    e->releasing = true;
  }
  for (int k = 0; k < nevaluate; k++) oms__risk_after_fill(e->cfg.risk, evaluate[k], e->now);
  for (int i = 0; i < ndirect; i++) run_action(e, &direct[i], direct_ev[i]);
  if (now) e->releasing = false;
  release(e);
  return 0;
}

/* ---- applying a transition within a command ------------------------------- */

/* Saves in u what a change of kind ev may overwrite in o (UNDO_*). */
static void undo_save(undo_t *u, const oms_order_t *o, oms_ord_event_t ev) {
  const char *b = (const char *)o;
  memcpy(u->num, b + END_OF(venue_order_id), UNDO_NUM);
  memcpy(u->time, b + offsetof(oms_order_t, created_ns), UNDO_TIME);
  memcpy(u->flags, b + END_OF(metadata), UNDO_FLAGS);
  u->audit = o->audit[o->audit_count % OMS_AUDIT_INLINE];
  switch (ev) {
    case OMS_EV_ACCEPT:
      u->str_at = offsetof(oms_order_t, venue_order_id);
      u->str_len = sizeof(o->venue_order_id);
      break;
    case OMS_EV_DENY:
    case OMS_EV_REJECT:
      u->str_at = offsetof(oms_order_t, reject_code);
      u->str_len = UNDO_STR;
      break;
    case OMS_EV_REPLACE_REQUEST:
    case OMS_EV_REPLACE_CONFIRM:
    case OMS_EV_REPLACE_REJECT:
      u->str_at = offsetof(oms_order_t, cur_client_order_id);
      u->str_len = offsetof(oms_order_t, reject_code) - offsetof(oms_order_t, cur_client_order_id);
      break;
    default: u->str_at = u->str_len = 0; break;
  }
  memcpy(u->str, b + u->str_at, u->str_len);
}

/* Puts back into o what undo_save saved (o's audit count first, since the
 * entry's place depends on it). */
static void undo_restore(oms_order_t *o, const undo_t *u) {
  char *b = (char *)o;
  memcpy(b + END_OF(venue_order_id), u->num, UNDO_NUM);
  memcpy(b + offsetof(oms_order_t, created_ns), u->time, UNDO_TIME);
  memcpy(b + END_OF(metadata), u->flags, UNDO_FLAGS);
  o->audit[o->audit_count % OMS_AUDIT_INLINE] = u->audit;
  memcpy(b + u->str_at, u->str, u->str_len);
}

/* Drops the staged changes of a command that is not committed: the ones
 * made in their slots are undone, newest first. */
static void unstage(oms_engine_t *e) {
  for (int k = e->nstage - 1; k >= 0; k--)
    if (e->stage[k].fresh)
      oms__order_unsubmit(&e->slots[e->stage[k].slot].o, &e->stage[k].undo.sub);
    else if (e->stage[k].in_place)
      undo_restore(&e->slots[e->stage[k].slot].o, &e->stage[k].undo);
  e->nstage = 0;
}

/* Applies ch to slot si's order in place, as stage_in_place does.
 * Returns 0 or the error of the transition (the order then as it was). */
static int apply_in_slot(oms_engine_t *e, uint32_t si, const oms_ord_change_t *ch) {
  oms_order_t *o = &e->slots[si].o;
  undo_t u;
  undo_save(&u, o, ch->event);
  int rc = oms__order_apply_scratch(o, ch, NULL);
  if (rc != 0) {
    undo_restore(o, &u);
    return rc;
  }
  o->flags &= ~OMS_ORDF_STATUS_UNKNOWN;
  return 0;
}

/* Stages a change of slot si's plain order (no parent, not one): the
 * change is made in the slot itself, and what it overwrote (only what a
 * transition of its kind may write, UNDO_*) is kept in the stage, to be put
 * back if the command is not committed (unstage); nothing is copied back at
 * the commit. The event's snapshot is the slot copied after the change, and
 * only if someone reads events: in a lean engine the event carries no order
 * and the rest of it is not cleared either (the engine reads of it only what
 * the command sets, a fill's quantity, price and fee, and it is neither
 * stored nor published). Returns the event, or NULL with the transition's
 * error in *rc (nothing staged, the order as it was). */
static oms_event_t *stage_in_place(oms_engine_t *e, uint32_t si, const oms_ord_change_t *ch,
                                   int *rc) {
  int k = e->nstage;
  stage_t *st = &e->stage[k];
  slot_t *s = &e->slots[si];
  undo_save(&st->undo, &s->o, ch->event);
  uint32_t from = s->o.audit_count;
  *rc = oms__order_apply_scratch(&s->o, ch, NULL);
  if (*rc != 0) {
    undo_restore(&s->o, &st->undo);
    return NULL;
  }
  s->o.flags &= ~OMS_ORDF_STATUS_UNKNOWN;
  e->nstage++;
  memset(st, 0, offsetof(stage_t, undo));
  st->slot = si;
  st->in_place = true;
  st->audit_from = from;
  st->renamed =
      ch->event == OMS_EV_REPLACE_CONFIRM &&
      !oms__name_eq(st->undo.str, s->o.cur_client_order_id, sizeof(s->o.cur_client_order_id));
  oms_event_t *ev = &e->sev[k];
  oms_event_type_t t = oms_event_type_for(ch->event, s->o.state);
  if (!e->lean) {
    oms_event_init(ev, t, &s->o, e->now, s->request_ns);
    return ev;
  }
  ev->seq = 0;
  ev->type = t;
  ev->event_ns = e->now;
  ev->request_ns = s->request_ns;
  ev->algo_len = 0;
  return ev;
}

/* Applies ch to a copy of slot si's order and stages it. Returns 0 or the
 * error of oms_order_apply (nothing staged). */
static int stage_change(oms_engine_t *e, uint32_t si, const oms_ord_change_t *ch,
                        oms_event_t **out_ev) {
  /* A plain order's change is made in its slot. A parent's or a child's is
   * made on the event's own snapshot of the order, the copy the commit
   * installs, since the parents' and groups' hooks compare it with the
   * order as it was (stage_parents). */
  const oms_order_t *cur = &e->slots[si].o;
  oms_event_t *ev;
  int rc;
  if (cur->parent_order_id == 0 && cur->algo == 0) {
    if ((ev = stage_in_place(e, si, ch, &rc)) == NULL) return rc;
  } else {
    ev = stage(e, si, cur, OMS_EVT_NONE);
    rc = oms__order_apply_scratch(&ev->order, ch, NULL);
    if (rc != 0) {
      e->nstage--;
      return rc;
    }
    ev->order.flags &= ~OMS_ORDF_STATUS_UNKNOWN;
    ev->type = oms_event_type_for(ch->event, ev->order.state);
  }
  ev->reason = ch->reason;
  if (ch->reason_text != NULL) copy_text(ev->text, sizeof(ev->text), ch->reason_text);
  if (out_ev != NULL) *out_ev = ev;
  return 0;
}

static void stage_alarm(oms_engine_t *e, uint32_t si, oms_alarm_kind_t kind, int code,
                        const char *text) {
  oms_event_t *ev = stage(e, si, si != NIL ? &e->slots[si].o : NULL, OMS_EVT_ALARM);
  e->stage[e->nstage - 1].slot = NIL; /* an alarm changes no order */
  ev->alarm = kind;
  ev->alarm_code = code;
  copy_text(ev->text, sizeof(ev->text), text);
}

/* ---- the outbox ----------------------------------------------------------- */

static void publish(oms_engine_t *e, const oms_event_t *ev) {
  if (e->cfg.bus != NULL) oms_bus_publish(e->cfg.bus, ev);
  if (e->cfg.on_event != NULL) e->cfg.on_event(e->cfg.event_ctx, ev);
}

static void run_action(oms_engine_t *e, const action_t *a, const oms_event_t *ev) {
  if (a->kind == ACT_PUBLISH) {
    publish(e, ev);
    return;
  }
  slot_t *s = &e->slots[a->slot];
  s->pins--;
  /* Only read when the router refuses, which sets it: not cleared whole. */
  oms_reject_t rej;
  rej.code = OMS_R_NONE;
  rej.text[0] = '\0';
  int64_t t = now_ns(e);
  int rc;
  oms_ord_event_t what;
  switch (a->kind) {
    case ACT_SEND_NEW:
      rc = oms_router_send_new(e->router, &s->o, t, &rej);
      if (rc != OMS_EREJECTED) return;
      what = OMS_EV_REJECT;
      break;
    case ACT_SEND_CANCEL:
      rc = oms_router_send_cancel(e->router, &s->o, t, &rej);
      if (rc == OMS_ROUTE_CANCELLED_LOCALLY) {
        what = OMS_EV_CANCEL_CONFIRM;
        break;
      }
      if (rc != OMS_EREJECTED) return;
      what = OMS_EV_CANCEL_REJECT;
      break;
    default:
      rc = oms_router_send_replace(e->router, &s->o, a->qty, a->price, a->stop, t, &rej);
      if (rc != OMS_EREJECTED) return;
      what = OMS_EV_REPLACE_REJECT;
      break;
  }
  /* The change is built only for a send that came back as an event. */
  oms_ord_change_t ch = {.event = what, .ts_ns = t, .reason = rej.code, .reason_text = rej.text};
  begin(e);
  if (stage_change(e, slot_index(e, s), &ch, NULL) == 0) commit(e, OMS_STORE_APPEND_MUST);
}

static void release(oms_engine_t *e) {
  if (e->releasing) return;
  e->releasing = true;
  uint64_t durable = e->cfg.store ? oms_store_durable_ticket(e->cfg.store) : UINT64_MAX;
  while (e->ocount > 0 && e->actions[e->ohead].ticket <= durable) {
    uint32_t i = e->ohead;
    action_t a = e->actions[i];
    e->ohead = (e->ohead + 1) % e->ocap;
    e->ocount--;
    /* The event stays in its ring cell until the cell is reused, which can
     * not happen before this call returns: pushes go behind the tail. */
    run_action(e, &a, &e->events[i]);
    if (e->cfg.store) durable = oms_store_durable_ticket(e->cfg.store);
  }
  e->releasing = false;
}

/* ---- submit ----------------------------------------------------------------- */

/* A repeat of the request that made o, as far as a stored order tells. */
static bool same_request(const oms_order_t *o, const oms_order_request_t *req) {
  return o->side == req->side && oms_dec_eq(o->qty, req->qty) &&
         strcmp(o->symbol, req->symbol) == 0 && o->type == req->type;
}

static __attribute__((cold, noinline)) int refuse_early(oms_submit_result_t *res, oms_reason_t code,
                                                        const char *text) {
  res->order = &no_order;
  oms_reject_set(&res->reject, code, "%s", text);
  return OMS_EREJECTED;
}

static __attribute__((cold, noinline)) int replay(oms_engine_t *e, const slot_t *s,
                                                  const oms_order_t *o, oms_submit_result_t *res) {
  res->duplicate = true;
  if (s == NULL) {
    e->res_order = *o;
    o = &e->res_order;
  }
  res->order = o;
  if (s != NULL) memcpy(res->check, s->check, sizeof(res->check));
  if (o->state == OMS_STATE_REJECTED) {
    res->reject.code = o->reject_code;
    copy_text(res->reject.text, sizeof(res->reject.text), o->reject_reason);
    return OMS_EREJECTED;
  }
  return 0;
}

/* A request whose (strategy, client order id) hash names slot s: a replay
 * of s's request, a refused reuse of its id, or (1) another id after all,
 * to be created. Out of the submission's hot code, as repeat_in_store. */
static __attribute__((cold, noinline)) int repeat_in_memory(oms_engine_t *e, slot_t *s,
                                                            const oms_order_request_t *req,
                                                            uint64_t rhash,
                                                            oms_submit_result_t *res) {
  if (strcmp(s->o.client_order_id, req->client_order_id) != 0 ||
      strcmp(s->o.strategy_id, req->strategy_id) != 0)
    return 1;
  if (s->req_hash == rhash) return replay(e, s, &s->o, res);
  /* Recovered (no request hash): compared as a stored order is below,
   * so that a client resending after a restart or a takeover gets the
   * order's state, not a refusal. */
  if (s->req_hash == 0 && same_request(&s->o, req)) return replay(e, s, &s->o, res);
  oms_reject_set(&res->reject, OMS_R_DUPLICATE_CLORDID,
                 "client_order_id %s already used by order %llu of strategy %s",
                 req->client_order_id, (unsigned long long)s->o.order_id, req->strategy_id);
  res->order = &no_order;
  return OMS_EREJECTED;
}

/* The same for an id the store may know (the seen filter says maybe): 1
 * when it does not. */
static __attribute__((cold, noinline)) int repeat_in_store(oms_engine_t *e,
                                                           const oms_order_request_t *req,
                                                           oms_submit_result_t *res) {
  oms_order_t old;
  if (oms_store_get_order_by_clordid(e->cfg.store, req->strategy_id, req->client_order_id, &old) !=
      0)
    return 1;
  if (same_request(&old, req)) return replay(e, NULL, &old, res);
  oms_reject_set(&res->reject, OMS_R_DUPLICATE_CLORDID,
                 "client_order_id %s already used by order %llu of strategy %s",
                 req->client_order_id, (unsigned long long)old.order_id, req->strategy_id);
  res->order = &no_order;
  return OMS_EREJECTED;
}

/* The order could not go on: DENY it with the reason and commit that. Out
 * of the submission's hot code, as every refusal. */
static __attribute__((cold, noinline)) int deny(oms_engine_t *e, uint32_t si,
                                                const oms_reject_t *rej, oms_event_type_t type,
                                                const char *check, oms_submit_result_t *res) {
  slot_t *s = &e->slots[si];
  oms_ord_change_t ch = {
      .event = OMS_EV_DENY, .ts_ns = e->now, .reason = rej->code, .reason_text = rej->text};
  oms_event_t *ev = NULL;
  e->nstage = 0;
  res->reject = *rej;
  e->st.rejected++;
  if (stage_change(e, si, &ch, &ev) != 0) {
    /* A PENDING order always takes DENY; should that ever break, the order
     * is still refused, just without an event. */
    slot_finished(e, si);
    res->order = &s->o;
    return OMS_EREJECTED;
  }
  ev->type = type;
  if (check != NULL) {
    copy_text(ev->check, sizeof(ev->check), check);
    copy_text(s->check, sizeof(s->check), check);
    copy_text(res->check, sizeof(res->check), check);
  }
  if (commit(e, OMS_STORE_APPEND_MUST) != 0) {
    /* The store can not even take the refusal: the order stays in memory,
     * REJECTED, and nobody but this caller learns of it. */
    if (e->stage[0].in_place) /* undone with the refused commit: done again */
      apply_in_slot(e, si, &ch);
    else
      s->o = e->sev[0].order;
    s->texts |= OMS__DIRTY_REASON;
    slot_finished(e, si);
  }
  res->order = &s->o;
  return OMS_EREJECTED;
}

/* A parent, past validation and risk, is ACCEPTED at once (never routed)
 * with its algorithm's first state on the event. */
static __attribute__((noinline)) int accept_parent(oms_engine_t *e, uint32_t si,
                                                   oms_submit_result_t *res) {
  slot_t *s = &e->slots[si];
  oms_reject_t rej;
  oms_event_t *ev = NULL;
  oms_ord_change_t ch = {.event = OMS_EV_SUBMIT, .ts_ns = e->now};
  if (stage_change(e, si, &ch, &ev) != 0) { /* a PENDING order always takes SUBMIT */
    oms_reject_set(&rej, OMS_R_CAPACITY, "parent order could not be accepted");
    return deny(e, si, &rej, OMS_EVT_ORDER_REJECTED, NULL, res);
  }
  ch.event = OMS_EV_ACCEPT;
  oms__order_apply_scratch(&ev->order, &ch, NULL);
  ev->type = OMS_EVT_ORDER_ACCEPTED;
  bool group = oms__group_algo(ev->order.algo);
  int len = group ? oms__groups_open(e->groups, &ev->order, ev->algo, sizeof(ev->algo))
            : s->o.algo == OMS_SOR_ALGO
                ? oms__sor_open(e->sor, &ev->order, e->now, ev->algo, sizeof(ev->algo))
                : oms__parents_open(e->parents, &ev->order, e->now, ev->algo, sizeof(ev->algo));
  if (len < 0) {
    oms_reject_set(&rej, OMS_R_CAPACITY, "no room for another parent order");
    return deny(e, si, &rej, OMS_EVT_ORDER_REJECTED, NULL, res);
  }
  ev->algo_len = (uint16_t)len;
  int rc = commit(e, 0);
  if (rc != 0) {
    if (group) {
      oms__groups_drop(e->groups, s->o.order_id);
    } else {
      oms__parents_drop(e->parents, s->o.order_id);
      oms__sor_drop(e->sor, s->o.order_id);
    }
    request_refused(e, rc, &rej);
    return deny(e, si, &rej, OMS_EVT_ORDER_REJECTED, NULL, res);
  }
  res->order = &s->o;
  return 0;
}

/* Undoes a refused commit_new: as commit() does, the parents' and groups'
 * scratch dropped too (a plain order's unit stages none: empty). */
static __attribute__((cold, noinline)) void abort_unit(oms_engine_t *e) {
  unstage(e);
  oms__parents_abort(e->parents);
  oms__groups_abort(e->groups);
  oms__sor_abort(e->sor);
}

/* commit() of the unit submit_new staged, a plain order's SUBMIT made in
 * its slot with one SEND_NEW: the same effects in the same order, without
 * the branches no such unit can take (parents, fills, busts, renames, an
 * order ending, more than one change). */
static int commit_new(oms_engine_t *e, uint32_t si) {
  slot_t *s = &e->slots[si];
  stage_t *st = &e->stage[0];
  oms_event_t *ev = &e->sev[0];
  bool pub = !e->lean;
  if (outbox_room(e) < 1 + pub) {
    abort_unit(e);
    return OMS_EFULL;
  }
  ev->seq = e->next_seq;
  uint64_t ticket = 0;
  if (e->cfg.store != NULL) {
    oms_store_unit_t u = {.events = ev, .n_events = 1};
    int rc = oms_store_append(e->cfg.store, &u, 0, &ticket);
    if (rc != 0) {
      e->st.store_refusals++;
      abort_unit(e);
      return rc;
    }
  }
  oms__parents_commit(e->parents);
  oms__groups_commit(e->groups);
  oms__sor_commit(e->sor);
  e->next_seq++;
  e->st.events++;
  bool now = release_now(e, ticket);
  oms__risk_order_changed(e->cfg.risk, NULL, &s->o, e->now);
  if (now) {
    s->pins++;
  } else {
    outbox_push(e, ticket, ACT_SEND_NEW, si, NULL, st);
    if (pub) outbox_push(e, ticket, ACT_PUBLISH, si, ev, NULL);
  }
  if (e->cfg.on_written != NULL) e->cfg.on_written(e->cfg.written_ctx, ev);
  e->nstage = 0;
  if (now) {
    e->sev = e->sev == e->sev_buf[0] ? e->sev_buf[1] : e->sev_buf[0];
    e->releasing = true;
    action_t a = {.ticket = ticket, .kind = ACT_SEND_NEW, .slot = si};
    run_action(e, &a, NULL);
    if (pub) {
      a.kind = ACT_PUBLISH;
      run_action(e, &a, ev);
    }
    e->releasing = false;
  }
  /* With nothing queued a release would only read the durable ticket. */
  if (e->ocount != 0) release(e);
  return 0;
}

/* The general path of submit_new: a child order (its change is made on a
 * copy, see stage_change), or a unit a smart parent has open. */
static __attribute__((cold, noinline)) int submit_slow(oms_engine_t *e, uint32_t si) {
  oms_ord_change_t ch = {.event = OMS_EV_SUBMIT, .ts_ns = e->now};
  stage_change(e, si, &ch, NULL);
  e->stage[0].send = ACT_SEND_NEW;
  return commit(e, 0);
}

/* Stages and commits slot si's new order SUBMITTED with its SEND_NEW,
 * as stage_change() and commit() would: a plain order's, every ordinary
 * submission's one change, by a short path (oms__order_submit, commit_new). */
static int submit_new(oms_engine_t *e, uint32_t si) {
  slot_t *s = &e->slots[si];
  stage_t *st = &e->stage[0];
  if (s->o.parent_order_id != 0 || s->o.algo != 0 || e->nstage != 0 || oms__sor_unit(e->sor) ||
      oms__order_submit(&s->o, e->now, &st->undo.sub) != 0)
    return submit_slow(e, si);
  e->nstage = 1;
  memset(st, 0, offsetof(stage_t, undo));
  st->slot = si;
  st->send = ACT_SEND_NEW;
  st->in_place = true;
  st->fresh = true;
  oms_event_t *ev = &e->sev[0];
  if (!e->lean) {
    oms_event_init(ev, OMS_EVT_ORDER_SUBMITTED, &s->o, e->now, s->request_ns);
  } else {
    ev->seq = 0;
    ev->type = OMS_EVT_ORDER_SUBMITTED;
    ev->event_ns = e->now;
    ev->request_ns = s->request_ns;
    ev->algo_len = 0;
  }
  ev->reason = OMS_R_NONE;
  return commit_new(e, si);
}

int oms_engine_submit(oms_engine_t *e, const oms_order_request_t *req, oms_submit_result_t *res) {
  begin(e);
  res->duplicate = false;
  res->order = &no_order;
  res->check[0] = '\0';
  res->reject.code = OMS_R_NONE;
  res->reject.text[0] = '\0';
  /* The key's hash finds the names' NULs on the way. */
  size_t slen, clen;
  uint64_t ckey = clord_key_of(req->strategy_id, req->client_order_id, &slen, &clen);
  if (slen > OMS_ID_MAX || clen > OMS_ID_MAX)
    return refuse_early(res, OMS_R_BAD_ID, "strategy_id or client_order_id too long");
  if (e->cfg.admit != NULL && e->cfg.admit(e->cfg.admit_ctx, req, &res->reject) != 0) {
    res->order = &no_order;
    return OMS_EREJECTED;
  }

  /* 1. idempotency */
  uint64_t ikey = ins_key_of(req->venue, req->symbol);
  uint64_t rhash = request_hash(req, ckey, ikey);
  uint64_t idx;
  int rep = 1;
  if (oms__u64map_get(&e->by_clord, ckey, &idx))
    rep = repeat_in_memory(e, &e->slots[idx], req, rhash, res);
  else if (e->cfg.store != NULL && oms__idfilter_maybe(&e->seen, ckey))
    rep = repeat_in_store(e, req, res);
  if (rep <= 0) return rep;

  /* 2-3. the order, PENDING */
  uint32_t si = slot_alloc(e);
  if (si == NIL)
    return refuse_early(res, OMS_R_CAPACITY, "no room for another live order in the engine");
  prefetch_next_slot(e);
  slot_t *s = &e->slots[si];
  s->texts = (uint8_t)oms__order_init_over(&s->o, e->next_order_id++, req, e->now, s->texts);
  s->o.parent_order_id = e->mk_parent;
  s->o.child_seq = e->mk_seq;
  s->o.algo = e->mk_algo;
  s->request_ns = e->now;
  s->clord_key = ckey;
  s->req_hash = rhash;
  map_set(&e->by_id, s->o.order_id, si);
  map_set(&e->by_clord, ckey, si);
  mem_link(e, si);
  oms__idfilter_add(&e->seen, ckey);
  e->st.submitted++;

  oms_reject_t rej;
  unsigned known;
  const oms__ins_hot_t *hot;
  const oms_instrument_t *ins = request_instrument(e, ikey, req, &hot, &known);
  if (oms__request_validate_hot(req, ins, hot, known, e->now, &rej) != OMS_R_NONE)
    return deny(e, si, &rej, OMS_EVT_ORDER_REJECTED, NULL, res);

  /* 4. risk */
  char check[CHECK_MAX] = "";
  oms_order_t own;
  const oms_order_t *ro = s->o.parent_order_id != 0 ? oms__groups_risk_view(e, &s->o, &own) : &s->o;
  int rrc = oms__risk_check_open(e->cfg.risk, ro, e->now, &rej, check, sizeof(check));
  if (rrc == OMS_EREJECTED) return deny(e, si, &rej, OMS_EVT_ORDER_DENIED, check, res);
  if (rrc != 0) {
    oms_reject_set(&rej, OMS_R_CAPACITY, "risk engine has no room for another open order");
    return deny(e, si, &rej, OMS_EVT_ORDER_REJECTED, NULL, res);
  }

  if (s->o.algo != 0) return accept_parent(e, si, res);

  /* 5. can the venue take it? */
  if (oms_router_check_new(e->router, &s->o, &rej) != OMS_R_NONE)
    return deny(e, si, &rej, OMS_EVT_ORDER_REJECTED, NULL, res);

  /* 6. SUBMITTED, written ahead */
  int rc = submit_new(e, si);
  if (rc != 0) {
    if (rc == OMS_EFULL)
      oms_reject_set(&rej, OMS_R_CAPACITY, "order store or outbox queue is full");
    else
      oms_reject_set(&rej, OMS_R_STORE_FAILED, "order store unavailable: %s", oms_strerror(rc));
    watch_store(e);
    return deny(e, si, &rej, OMS_EVT_ORDER_REJECTED, NULL, res);
  }
  res->order = &s->o;
  if (s->o.state == OMS_STATE_REJECTED) {
    /* The router refused it the moment it was released (a full queue). */
    res->reject.code = s->o.reject_code;
    copy_text(res->reject.text, sizeof(res->reject.text), s->o.reject_reason);
    e->st.rejected++;
    return OMS_EREJECTED;
  }
  return 0;
}

/* ---- cancel, modify -------------------------------------------------------- */

static slot_t *live_slot(oms_engine_t *e, uint64_t order_id, oms_reject_t *rej) {
  slot_t *s = slot_of_id(e, order_id);
  if (s == NULL) {
    oms_reject_set(rej, OMS_R_UNKNOWN_ORDER, "unknown order %llu", (unsigned long long)order_id);
    return NULL;
  }
  if (oms__state_terminal(s->o.state)) {
    oms_reject_set(rej, OMS_R_ORDER_TERMINAL, "order %llu is already %s",
                   (unsigned long long)order_id, oms_ord_state_str(s->o.state));
    return NULL;
  }
  if (s->o.state == OMS_STATE_PENDING_CANCEL || s->o.state == OMS_STATE_PENDING_REPLACE) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "order %llu is %s", (unsigned long long)order_id,
                   oms_ord_state_str(s->o.state));
    return NULL;
  }
  return s;
}

static int request_refused(oms_engine_t *e, int rc, oms_reject_t *rej) {
  if (rc == OMS_EFULL)
    oms_reject_set(rej, OMS_R_CAPACITY, "order store or outbox queue is full");
  else
    oms_reject_set(rej, OMS_R_STORE_FAILED, "order store unavailable: %s", oms_strerror(rc));
  (void)e;
  return OMS_EREJECTED;
}

/* A cancel; by_client: asked by a client, so subject to the cancel-rate
 * budget (cancels the OMS issues itself, on a halt or a mass cancel, are
 * never throttled). */
static int cancel_order(oms_engine_t *e, uint64_t order_id, oms_reject_t *rej, bool by_client) {
  begin(e);
  slot_t *s = live_slot(e, order_id, rej);
  if (s == NULL) return OMS_EREJECTED;
  if (oms__group_algo(s->o.algo))
    return oms__groups_cancel(e->groups, e, order_id, e->halting, rej);
  if (s->o.algo == OMS_SOR_ALGO) return oms__sor_cancel(e->sor, e, order_id, rej);
  if (s->o.algo != 0) return oms__parents_cancel(e->parents, e, order_id, e->halting, rej);
  if (by_client && oms__risk_check_cancel(e->cfg.risk, &s->o, e->now, rej) != OMS_R_NONE)
    return OMS_EREJECTED;
  oms_ord_change_t ch = {.event = OMS_EV_CANCEL_REQUEST, .ts_ns = e->now};
  e->slots[slot_index(e, s)].request_ns = e->now;
  if (stage_change(e, slot_index(e, s), &ch, NULL) != 0) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "order %llu can not be cancelled in state %s",
                   (unsigned long long)order_id, oms_ord_state_str(s->o.state));
    return OMS_EREJECTED;
  }
  e->stage[0].send = ACT_SEND_CANCEL;
  int rc = commit(e, 0);
  if (rc != 0) return request_refused(e, rc, rej);
  e->st.cancels++;
  rej->code = OMS_R_NONE;
  rej->text[0] = '\0';
  return 0;
}

int oms_engine_cancel(oms_engine_t *e, uint64_t order_id, oms_reject_t *rej) {
  return cancel_order(e, order_id, rej, true);
}

int oms_engine_modify(oms_engine_t *e, uint64_t order_id, const oms_modify_t *m,
                      oms_reject_t *rej) {
  begin(e);
  slot_t *s = live_slot(e, order_id, rej);
  if (s == NULL) return OMS_EREJECTED;
  const oms_order_t *o = &s->o;
  if (oms__group_algo(o->algo)) {
    oms_reject_set(rej, OMS_R_UNSUPPORTED,
                   "order %llu is a contingent group: cancel it and send a new one",
                   (unsigned long long)order_id);
    return OMS_EREJECTED;
  }
  const oms_order_t *po = o->parent_order_id ? oms__engine_order(e, o->parent_order_id) : NULL;
  if (po != NULL && oms__group_algo(po->algo) && !e->leg_replace) {
    oms_reject_set(rej, OMS_R_UNSUPPORTED,
                   "order %llu is a member of group %llu, which sizes it: cancel the group and "
                   "send a new one",
                   (unsigned long long)order_id, (unsigned long long)o->parent_order_id);
    return OMS_EREJECTED;
  }
  if (o->parent_order_id != 0 && !e->leg_replace) {
    oms_reject_set(rej, OMS_R_UNSUPPORTED,
                   "order %llu is a child of parent %llu: modify the parent instead",
                   (unsigned long long)order_id, (unsigned long long)o->parent_order_id);
    return OMS_EREJECTED;
  }
  if (o->state == OMS_STATE_SUBMITTED) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING,
                   "order %llu is not yet acknowledged by the venue; modify it after",
                   (unsigned long long)order_id);
    return OMS_EREJECTED;
  }
  /* The request the order would be, checked like a new one. */
  oms_order_request_t req;
  memset(&req, 0, sizeof(req));
  memcpy(req.client_order_id, o->client_order_id, sizeof(req.client_order_id));
  memcpy(req.strategy_id, o->strategy_id, sizeof(req.strategy_id));
  memcpy(req.account_id, o->account_id, sizeof(req.account_id));
  memcpy(req.venue, o->venue, sizeof(req.venue));
  memcpy(req.symbol, o->symbol, sizeof(req.symbol));
  req.side = o->side;
  req.type = o->type;
  req.tif = o->tif;
  req.instructions = o->instructions;
  req.qty = oms_dec_is_zero(m->qty) ? o->qty : m->qty;
  req.price = oms_dec_is_zero(m->price) ? o->price : m->price;
  req.stop_price = oms_dec_is_zero(m->stop_price) ? o->stop_price : m->stop_price;
  req.expire_ns = o->tif == OMS_TIF_GTD ? o->expire_ns : 0;
  if (oms_dec_eq(req.qty, o->qty) && oms_dec_eq(req.price, o->price) &&
      oms_dec_eq(req.stop_price, o->stop_price)) {
    oms_reject_set(rej, OMS_R_NOTHING_TO_CHANGE, "modify of order %llu changes nothing",
                   (unsigned long long)order_id);
    return OMS_EREJECTED;
  }
  if (oms_dec_le(req.qty, o->filled_qty)) {
    char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
    oms_dec_format(req.qty, a, sizeof a);
    oms_dec_format(o->filled_qty, b, sizeof b);
    oms_reject_set(rej, OMS_R_MODIFY_BELOW_FILLED,
                   "new quantity %s is not above the filled quantity %s", a, b);
    return OMS_EREJECTED;
  }
  const oms_instrument_t *ins = oms_engine_instrument(e, o->venue, o->symbol);
  /* GTD expiry may have passed since the order was placed: not a reason to
   * refuse a change of price or quantity. */
  if (oms_request_validate(&req, ins, req.tif == OMS_TIF_GTD ? req.expire_ns - 1 : e->now, rej) !=
      OMS_R_NONE)
    return OMS_EREJECTED;
  oms_order_t would = *o;
  would.qty = req.qty;
  would.price = req.price;
  would.stop_price = req.stop_price;
  would.leaves_qty.raw = req.qty.raw - o->filled_qty.raw;
  char check[CHECK_MAX] = "";
  if (oms__risk_check_modify(e->cfg.risk, o, &would, e->now, rej, check, sizeof(check)) !=
      OMS_R_NONE)
    return OMS_EREJECTED;

  if (o->algo == OMS_SOR_ALGO) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING,
                   "a smart-routed order can not be replaced: cancel it and send a new one");
    return OMS_EREJECTED;
  }
  if (o->algo != 0) return oms__parents_modify(e->parents, e, order_id, req.qty, req.price, rej);
  if (m->client_order_id != NULL && !oms_id_valid(m->client_order_id, OMS_ID_MAX)) {
    oms_reject_set(rej, OMS_R_BAD_ID,
                   "new client_order_id must be 1..%d characters of [A-Za-z0-9._:@/-]", OMS_ID_MAX);
    return OMS_EREJECTED;
  }
  oms_ord_change_t ch = {.event = OMS_EV_REPLACE_REQUEST,
                         .ts_ns = e->now,
                         .new_qty = req.qty,
                         .new_price = req.price,
                         .new_stop_price = req.stop_price,
                         .new_client_order_id = m->client_order_id};
  e->slots[slot_index(e, s)].request_ns = e->now;
  if (stage_change(e, slot_index(e, s), &ch, NULL) != 0) {
    oms_reject_set(rej, OMS_R_ORDER_PENDING, "order %llu can not be modified in state %s",
                   (unsigned long long)order_id, oms_ord_state_str(o->state));
    return OMS_EREJECTED;
  }
  stage_t *st = &e->stage[0];
  st->send = ACT_SEND_REPLACE;
  st->qty = req.qty;
  st->price = req.price;
  st->stop = req.stop_price;
  int rc = commit(e, 0);
  if (rc != 0) return request_refused(e, rc, rej);
  e->st.modifies++;
  rej->code = OMS_R_NONE;
  rej->text[0] = '\0';
  return 0;
}

/* ---- queries ---------------------------------------------------------------- */

int oms_engine_get(oms_engine_t *e, uint64_t order_id, oms_order_t *out) {
  slot_t *s = slot_of_id(e, order_id);
  if (s != NULL) {
    *out = s->o;
    return 0;
  }
  if (e->cfg.store != NULL && oms_store_get_order(e->cfg.store, order_id, out) == 0) return 0;
  return OMS_ENOTFOUND;
}

int oms_engine_get_by_clordid(oms_engine_t *e, const char *strategy_id, const char *client_order_id,
                              oms_order_t *out) {
  uint64_t idx;
  if (oms__u64map_get(&e->by_clord, clord_key(strategy_id, client_order_id), &idx)) {
    const oms_order_t *o = &e->slots[idx].o;
    if (strcmp(o->strategy_id, strategy_id) == 0 &&
        strcmp(o->client_order_id, client_order_id) == 0) {
      *out = *o;
      return 0;
    }
  }
  /* The Bloom filter of every id the store holds spares the store a lookup
   * of an id it never saw (a client naming an unknown order). */
  if (e->cfg.store != NULL &&
      oms__idfilter_maybe(&e->seen, clord_key(strategy_id, client_order_id)) &&
      oms_store_get_order_by_clordid(e->cfg.store, strategy_id, client_order_id, out) == 0)
    return 0;
  return OMS_ENOTFOUND;
}

int oms_engine_get_by_current_clordid(oms_engine_t *e, const char *strategy_id,
                                      const char *client_order_id, oms_order_t *out) {
  /* A renamed order is in by_cur, one under its first name in by_clord. */
  uint64_t key = clord_key(strategy_id, client_order_id), idx;
  const oms__u64map_t *maps[] = {&e->by_cur, &e->by_clord};
  for (size_t k = 0; k < 2; k++) {
    if (!oms__u64map_get(maps[k], key, &idx)) continue;
    const oms_order_t *o = &e->slots[idx].o;
    if (strcmp(o->strategy_id, strategy_id) == 0 &&
        strcmp(o->cur_client_order_id, client_order_id) == 0) {
      *out = *o;
      return 0;
    }
  }
  return OMS_ENOTFOUND;
}

int oms_engine_get_by_venue_order_id(oms_engine_t *e, const char *venue, const char *venue_order_id,
                                     oms_order_t *out) {
  uint64_t idx;
  if (oms__u64map_get(&e->by_venue_id, venue_id_key(venue, venue_order_id), &idx)) {
    const oms_order_t *o = &e->slots[idx].o;
    if (strcmp(o->venue, venue) == 0 && strcmp(o->venue_order_id, venue_order_id) == 0) {
      *out = *o;
      return 0;
    }
  }
  return OMS_ENOTFOUND;
}

static bool str_match(const char *want, const char *have) {
  return want == NULL || want[0] == '\0' || strcmp(want, have) == 0;
}

static bool matches(const oms_order_filter_t *f, const oms_order_t *o) {
  uint32_t states = f ? f->states : 0;
  bool state_ok = states ? (states & (1u << o->state)) != 0 : !oms__state_terminal(o->state);
  if (!state_ok || f == NULL) return state_ok;
  return str_match(f->strategy_id, o->strategy_id) && str_match(f->account_id, o->account_id) &&
         str_match(f->symbol, o->symbol) && str_match(f->venue, o->venue);
}

/* A walk of the order-id list: no allocation, no sort, and only the orders
 * in memory (not every slot of the pool) are looked at. */
int oms_engine_orders(oms_engine_t *e, const oms_order_filter_t *f, oms_order_cb cb, void *ctx) {
  for (uint32_t i = e->mem_head; i != NIL; i = e->mem[i].next) {
    if (!matches(f, &e->slots[i].o)) continue;
    int rc = cb(ctx, &e->slots[i].o);
    if (rc != 0) return rc;
  }
  return 0;
}

int oms_engine_mass_cancel(oms_engine_t *e, const oms_order_filter_t *f, uint32_t *n_cancelled) {
  oms_order_filter_t g = f ? *f : (oms_order_filter_t){0};
  g.states = 0;
  uint32_t n = 0;
  /* A cancel never takes a slot, so the list does not change under the walk. */
  for (uint32_t i = e->mem_head; i != NIL; i = e->mem[i].next) {
    slot_t *s = &e->slots[i];
    if (!matches(&g, &s->o)) continue;
    if (s->o.state == OMS_STATE_PENDING_CANCEL || s->o.state == OMS_STATE_PENDING_REPLACE) continue;
    oms_reject_t rej;
    if (cancel_order(e, s->o.order_id, &rej, false) == 0) n++;
  }
  if (n_cancelled != NULL) *n_cancelled = n;
  return 0;
}

/* ---- venue reports ---------------------------------------------------------- */

static uint64_t exec_key(const char *venue, const char *exec_id) {
  return oms__hash_str(exec_id, oms__hash_str(venue, 0x2545f491));
}

/* Forgets the execution id remembered last (its report was held back). */
static void exec_forget_last(oms_engine_t *e) {
  if (e->exec_count == 0) return;
  e->exec_count--;
  oms__u64map_del(&e->exec_map, e->exec_ring[(e->exec_head + e->exec_count) % e->exec_cap]);
}

/* The record of a recent fill on venue, or NULL. */
static fill_rec_t *exec_fill(oms_engine_t *e, const char *venue, const char *exec_id) {
  uint64_t v;
  if (!oms__u64map_get(&e->exec_map, exec_key(venue, exec_id), &v)) return NULL;
  return &e->exec_fill[v];
}

/* Whether exec id was seen recently on venue vi; remembers it if not (its
 * fill record cleared, at *rec when rec is not NULL). */
static bool exec_seen(oms_engine_t *e, const char *venue, const char *exec_id, fill_rec_t **rec) {
  uint64_t key = exec_key(venue, exec_id);
  uint64_t v;
  if (oms__u64map_get(&e->exec_map, key, &v)) return true;
  if (e->exec_count == e->exec_cap) {
    oms__u64map_del(&e->exec_map, e->exec_ring[e->exec_head]);
    e->exec_head = (e->exec_head + 1) % e->exec_cap;
    e->exec_count--;
  }
  uint32_t cell = (e->exec_head + e->exec_count) % e->exec_cap;
  e->exec_ring[cell] = key;
  e->exec_count++;
  oms__u64map_put(&e->exec_map, key, cell);
  memset(&e->exec_fill[cell], 0, sizeof(fill_rec_t));
  if (rec != NULL) *rec = &e->exec_fill[cell];
  return false;
}

/* ---- reconciliation ------------------------------------------------------------ */

static void recon_check(oms_engine_t *e, vctx_t *vc) {
  if (vc->reconciled || vc->awaiting_batch || vc->pending > 0) return;
  vc->reconciled = true;
  oms_router_venue_ready(e->router, vc->name, true);
}

/* The venue has had its say on s: one answer less to wait for. */
static void recon_answered(oms_engine_t *e, vctx_t *vc, slot_t *s) {
  if (!s->recon) return;
  s->recon = false;
  if (vc->pending > 0) vc->pending--;
  recon_check(e, vc);
}

/* A targeted status query for s, tracked by the router so that silence or an
 * UNKNOWN answer is asked again after the venue's acknowledgement timeout. */
static void recon_query(oms_engine_t *e, slot_t *s) {
  s->o.flags |= OMS_ORDF_STATUS_UNKNOWN;
  oms_router_track_unknown(e->router, &s->o, e->now);
}

/* Starts the reconciliation of venue vc (docs/reconciliation.md): every order
 * of the venue not yet finished waits for the venue's word, asked in one mass
 * status query where the connector has one and order by order otherwise;
 * new orders wait (or are refused) until every answer is in. A venue that is
 * down starts again when it connects. */
static void recon_start(oms_engine_t *e, vctx_t *vc) {
  vc->reconciled = false;
  vc->awaiting_batch = false;
  vc->pending = 0;
  oms_router_venue_ready(e->router, vc->name, false);
  if (!oms_venue_is_connected(vc->v)) return;
  e->now = now_ns(e);
  for (uint32_t i = e->mem_head; i != NIL; i = e->mem[i].next) {
    slot_t *s = &e->slots[i];
    if (strcmp(s->o.venue, vc->name) != 0) continue;
    s->recon = !oms__state_terminal(s->o.state) && s->o.algo == 0; /* a parent is ours */
    s->unknown_answers = 0;
    vc->pending += s->recon;
  }
  if (vc->v->vt->query_all != NULL && vc->v->vt->query_all(vc->v) == 0) {
    vc->awaiting_batch = true;
  } else {
    for (uint32_t i = e->mem_head; i != NIL; i = e->mem[i].next)
      if (e->slots[i].recon && strcmp(e->slots[i].o.venue, vc->name) == 0)
        recon_query(e, &e->slots[i]);
  }
  recon_check(e, vc);
}

/* The end of a mass status answer: an order it did not name is asked about
 * by itself (and resolved by the N-retry rule if the venue still does not
 * know it). */
static void recon_batch_done(oms_engine_t *e, vctx_t *vc) {
  if (!vc->awaiting_batch) return;
  vc->awaiting_batch = false;
  for (uint32_t i = e->mem_head; i != NIL; i = e->mem[i].next)
    if (e->slots[i].recon && strcmp(e->slots[i].o.venue, vc->name) == 0)
      recon_query(e, &e->slots[i]);
  recon_check(e, vc);
}

/* An order that finished while reconciliation awaited the venue's word on it
 * (a fill or cancel report came first): the venue has spoken. */
static void recon_done_with(oms_engine_t *e, slot_t *s) {
  if (!s->recon) return;
  for (uint32_t i = 0; i < e->nvenues; i++)
    if (strcmp(e->vctx[i].name, s->o.venue) == 0) recon_answered(e, &e->vctx[i], s);
  s->recon = false;
}

bool oms_engine_venue_reconciled(const oms_engine_t *e, const char *venue) {
  for (uint32_t i = 0; i < e->nvenues; i++)
    if (strcmp(e->vctx[i].name, venue) == 0) return e->vctx[i].reconciled;
  return false;
}

/* ---- venue reports ---------------------------------------------------------- */

/* Takes a fill of qty at px back out of order o (a copy), as FIX prescribes
 * for a trade bust: the average is recomputed exactly from what remains, a
 * FILLED order works again (PARTIALLY_FILLED, or ACCEPTED with nothing left
 * filled), a live order keeps its state with the quantity back in leaves,
 * and a cancelled or expired order stays done. Returns 0 or OMS_EINVAL (more
 * than was filled). */
static int unfill(oms_order_t *o, oms_dec_t qty, oms_dec_t px) {
  oms_dec_t f;
  if (oms_dec_sub(o->filled_qty, qty, &f) != 0 || oms_dec_is_neg(f)) return OMS_EINVAL;
  o->filled_qty = f;
  o->cum_notional -= (__int128)qty.raw * px.raw;
  if (f.raw == 0) {
    o->cum_notional = 0;
    o->avg_px = OMS_DEC_ZERO;
  } else {
    o->avg_px.raw = (int64_t)oms__dec_round_div(o->cum_notional, f.raw, OMS_ROUND_HALF_EVEN);
  }
  oms_ord_state_t *st =
      o->state == OMS_STATE_PENDING_CANCEL || o->state == OMS_STATE_PENDING_REPLACE
          ? &o->restore_state
          : &o->state;
  if (*st == OMS_STATE_FILLED || *st == OMS_STATE_PARTIALLY_FILLED)
    *st = f.raw > 0 ? OMS_STATE_PARTIALLY_FILLED : OMS_STATE_ACCEPTED;
  if (!oms__state_terminal(o->state)) oms_dec_sub(o->qty, f, &o->leaves_qty);
  return 0;
}

/* Adds a fill of qty at px to o (a copy), for a correction's new values. */
static int refill(oms_order_t *o, oms_dec_t qty, oms_dec_t px) {
  oms_dec_t f;
  if (oms_dec_add(o->filled_qty, qty, &f) != 0 || oms_dec_gt(f, o->qty)) return OMS_EOVERFILL;
  o->filled_qty = f;
  o->cum_notional += (__int128)qty.raw * px.raw;
  if (f.raw > 0)
    o->avg_px.raw = (int64_t)oms__dec_round_div(o->cum_notional, f.raw, OMS_ROUND_HALF_EVEN);
  oms_ord_state_t *st =
      o->state == OMS_STATE_PENDING_CANCEL || o->state == OMS_STATE_PENDING_REPLACE
          ? &o->restore_state
          : &o->state;
  bool full = oms_dec_eq(f, o->qty);
  if (!oms__state_terminal(*st) || *st == OMS_STATE_FILLED)
    *st = full ? OMS_STATE_FILLED : f.raw > 0 ? OMS_STATE_PARTIALLY_FILLED : *st;
  if (full && st == &o->restore_state) o->state = OMS_STATE_FILLED;
  if (!oms__state_terminal(o->state))
    oms_dec_sub(o->qty, f, &o->leaves_qty);
  else
    o->leaves_qty = OMS_DEC_ZERO;
  return 0;
}

static oms_ord_event_t event_of_status(oms_venue_status_t st) {
  switch (st) {
    case OMS_VSTATUS_CANCELLED: return OMS_EV_CANCEL_CONFIRM;
    case OMS_VSTATUS_REJECTED: return OMS_EV_REJECT;
    case OMS_VSTATUS_EXPIRED: return OMS_EV_EXPIRE;
    default: return OMS_EV_COUNT;
  }
}

static int commit_fact(oms_engine_t *e) {
  return commit(e, OMS_STORE_APPEND_MUST) == OMS_EFULL ? OMS_EFULL : 0;
}

/* A report about an order the OMS does not have (order_id 0, or an id it
 * never gave out): an alarm naming what the venue said, stored, never
 * dropped. A mass status answer naming such an order is an order at the
 * venue the OMS does not know. */
static int report_unknown(oms_engine_t *e, vctx_t *vc, const oms_exec_report_t *r) {
  bool end = r->type == OMS_EXEC_STATUS && r->last_of_batch;
  if (r->type == OMS_EXEC_STATUS && r->order_id == 0 && r->status == OMS_VSTATUS_UNKNOWN) {
    /* "nothing held for you": the empty answer to a mass status query */
    if (end) recon_batch_done(e, vc);
    return 0;
  }
  e->st.unknown_reports++;
  char text[512];
  bool at_venue = r->type == OMS_EXEC_STATUS;
  snprintf(text, sizeof text,
           "%s %s: order %llu, ClOrdID '%s', venue order id '%s', exec type %d, exec id '%s'",
           at_venue ? "venue holds an order the OMS does not know at"
                    : "report for an order the OMS does not know from",
           vc->name, (unsigned long long)r->order_id, r->cl_ord_id, r->venue_order_id, (int)r->type,
           r->exec_id);
  stage_alarm(e, NIL, at_venue ? OMS_ALARM_UNKNOWN_VENUE_ORDER : OMS_ALARM_UNKNOWN_ORDER_REPORT,
              r->type, text);
  oms_event_t *ev = &e->sev[e->nstage - 1];
  copy_text(ev->order.venue, sizeof ev->order.venue, vc->name);
  copy_text(ev->order.venue_order_id, sizeof ev->order.venue_order_id, r->venue_order_id);
  copy_text(ev->order.client_order_id, sizeof ev->order.client_order_id, r->cl_ord_id);
  ev->fill.qty = r->last_qty;
  ev->fill.price = r->last_px;
  copy_text(ev->fill.exec_id, sizeof ev->fill.exec_id, r->exec_id);
  int rc = commit_fact(e);
  if (rc == 0 && end) recon_batch_done(e, vc);
  return rc;
}

static int alarm_fact(oms_engine_t *e, uint32_t si, oms_alarm_kind_t kind, int code,
                      const char *text) {
  stage_alarm(e, si, kind, code, text);
  return commit_fact(e);
}

/* A trade bust (correct false) or correction of the fill r->exec_ref_id. */
static int amend_fill(oms_engine_t *e, vctx_t *vc, uint32_t si, const oms_exec_report_t *r,
                      bool correct) {
  slot_t *s = &e->slots[si];
  fill_rec_t *rec = exec_fill(e, vc->name, r->exec_ref_id);
  char text[512];
  if (rec == NULL || rec->order_id != s->o.order_id || !oms_dec_is_pos(rec->qty)) {
    snprintf(text, sizeof text,
             "venue %s %s fill '%s' of order %llu, which the OMS does not have (or busted)",
             vc->name, correct ? "corrected" : "busted", r->exec_ref_id,
             (unsigned long long)s->o.order_id);
    return alarm_fact(e, si, OMS_ALARM_UNKNOWN_FILL, r->type, text);
  }
  oms_event_t *ev =
      stage(e, si, &s->o, correct ? OMS_EVT_ORDER_FILL_CORRECTED : OMS_EVT_ORDER_FILL_BUSTED);
  stage_t *st = &e->stage[e->nstage - 1];
  int rc = unfill(&ev->order, rec->qty, rec->px);
  if (rc == 0 && correct) {
    rc = !oms_dec_is_pos(r->last_qty) || !oms_dec_is_pos(r->last_px)
             ? OMS_EINVAL
             : refill(&ev->order, r->last_qty, r->last_px);
  }
  if (rc != 0) {
    e->nstage--;
    if (correct) e->st.overfills++;
    snprintf(text, sizeof text, "venue %s %s fill '%s' of order %llu: not applied (%s)", vc->name,
             correct ? "corrected" : "busted", r->exec_ref_id, (unsigned long long)s->o.order_id,
             oms_strerror(rc));
    return alarm_fact(e, si, correct ? OMS_ALARM_OVERFILL : OMS_ALARM_UNKNOWN_FILL, rc, text);
  }
  ev->order.flags &= ~OMS_ORDF_STATUS_UNKNOWN;
  ev->order.updated_ns = e->now;
  st->bust = true;
  ev->fill.old_qty = rec->qty;
  ev->fill.old_price = rec->px;
  ev->fill.old_fee = rec->fee;
  oms_strlcpy(ev->fill.exec_id, r->exec_ref_id, sizeof ev->fill.exec_id);
  const oms_instrument_t *ins = oms_engine_instrument(e, s->o.venue, s->o.symbol);
  if (ins != NULL) ev->fill.multiplier = ins->multiplier;
  if (correct) {
    st->fill = true;
    ev->fill.qty = r->last_qty;
    ev->fill.price = r->last_px;
    ev->fill.fee = r->fee;
    ev->fill.liquidity = r->liquidity;
  }
  copy_text(ev->text, sizeof ev->text, r->text);
  fill_rec_t old = *rec;
  rc = commit_fact(e);
  if (rc == 0) {
    rec->qty = correct ? r->last_qty : OMS_DEC_ZERO;
    rec->px = correct ? r->last_px : old.px;
    rec->fee = correct ? r->fee : OMS_DEC_ZERO;
  }
  return rc;
}

/* The venue changed the order on its own (ExecType D): its new quantity and
 * price, as a replace would. A quantity below what is filled is an alarm. */
static int restate(oms_engine_t *e, vctx_t *vc, uint32_t si, const oms_exec_report_t *r) {
  slot_t *s = &e->slots[si];
  if (oms_dec_is_pos(r->new_qty) && oms_dec_lt(r->new_qty, s->o.filled_qty)) {
    char text[512];
    snprintf(text, sizeof text, "venue %s restated order %llu below its filled quantity", vc->name,
             (unsigned long long)s->o.order_id);
    return alarm_fact(e, si, OMS_ALARM_OVERFILL, OMS_EOVERFILL, text);
  }
  oms_event_t *ev = stage(e, si, &s->o, OMS_EVT_ORDER_RESTATED);
  oms_order_t *o = &ev->order;
  if (oms_dec_is_pos(r->new_qty)) o->qty = r->new_qty;
  if (oms_dec_is_pos(r->new_price)) o->price = r->new_price;
  if (oms_dec_is_pos(r->new_stop_price)) o->stop_price = r->new_stop_price;
  if (!oms__state_terminal(o->state)) {
    oms_dec_sub(o->qty, o->filled_qty, &o->leaves_qty);
    /* Restated down to what is filled: nothing is left to work. */
    if (o->leaves_qty.raw == 0) o->state = OMS_STATE_FILLED;
  }
  o->flags &= ~OMS_ORDF_STATUS_UNKNOWN;
  o->updated_ns = e->now;
  ev->reason = r->reason;
  copy_text(ev->text, sizeof ev->text, r->text);
  return commit_fact(e);
}

/* A snapshot whose CumQty is ahead of the order: fills were missed (the
 * venue's resend will not bring them). The difference is booked once as a
 * fill: qty = venue cum - our cum, and its price the one that makes our
 * average the venue's: (venue avg * venue cum - our cum notional) / qty,
 * rounded half-even to the decimal scale. Its exec id names the order and the
 * cum it brings us to, so the same snapshot again derives nothing. Fills the
 * venue reports later with a CumQty already reached are not booked again.
 * Returns 1 with the fill in *out, 0 when the snapshot is not ahead, 2 when
 * it is but has no usable average (an alarm was committed), or OMS_EFULL. */
static int derive_fill(oms_engine_t *e, vctx_t *vc, uint32_t si, const oms_exec_report_t *r,
                       oms_exec_report_t *out) {
  slot_t *s = &e->slots[si];
  oms_dec_t dq;
  if (oms_dec_sub(r->cum_qty, s->o.filled_qty, &dq) != 0 || !oms_dec_is_pos(dq)) return 0;
  __int128 venue = (__int128)r->avg_px.raw * r->cum_qty.raw;
  __int128 px = oms__dec_round_div(venue - s->o.cum_notional, dq.raw, OMS_ROUND_HALF_EVEN);
  if (!oms_dec_is_pos(r->avg_px) || px <= 0 || px > INT64_MAX) {
    char text[512];
    snprintf(text, sizeof text,
             "venue %s reports more filled on order %llu than the OMS has booked, at no usable "
             "average price",
             vc->name, (unsigned long long)s->o.order_id);
    int rc = alarm_fact(e, si, OMS_ALARM_OTHER, 0, text);
    return rc != 0 ? rc : 2;
  }
  memset(out, 0, sizeof *out);
  out->type = OMS_EXEC_FILL;
  out->order_id = s->o.order_id;
  out->last_qty = dq;
  out->last_px = oms_dec_from_raw((int64_t)px);
  out->cum_qty = r->cum_qty;
  char cum[OMS_DEC_STRLEN];
  oms_dec_format(r->cum_qty, cum, sizeof cum);
  snprintf(out->exec_id, sizeof out->exec_id, "recon-%llu-%s", (unsigned long long)s->o.order_id,
           cum);
  snprintf(out->text, sizeof out->text, "derived from the venue's status snapshot");
  return 1;
}

static int apply_report(oms_engine_t *e, vctx_t *vc, const oms_exec_report_t *r);

/* A STATUS report: a snapshot, never a new fill by itself. */
static int apply_status(oms_engine_t *e, vctx_t *vc, uint32_t si, const oms_exec_report_t *r,
                        oms_ord_change_t *ch) {
  slot_t *s = &e->slots[si];
  s->o.flags &= ~OMS_ORDF_STATUS_UNKNOWN;
  bool live = s->o.state == OMS_STATE_SUBMITTED || oms_ord_state_is_working(s->o.state);
  /* Any answer is the venue's word for reconciliation: an order it does not
   * know (yet) keeps its risk reservation and its STATUS_UNKNOWN flag while
   * the retries run, so new orders need not wait for them. */
  recon_answered(e, vc, s);
  if (r->last_of_batch) recon_batch_done(e, vc);
  if (r->status == OMS_VSTATUS_UNKNOWN && live) {
    /* Not known (yet): asked again after the acknowledgement timeout, and
     * resolved only after the configured retries (never resent). */
    if (++s->unknown_answers <= vc->unknown_retries) {
      s->o.flags |= OMS_ORDF_STATUS_UNKNOWN;
      oms_router_track_unknown_later(e->router, &s->o, e->now);
      return 1;
    }
  }
  oms_router_acknowledged(e->router, r->order_id);
  /* Kept past the last retry, so that a resolution held back by a full
   * store resolves again when it is applied, and not asked anew. */
  if (r->status != OMS_VSTATUS_UNKNOWN) s->unknown_answers = 0;
  if (r->status == OMS_VSTATUS_UNKNOWN && s->o.state == OMS_STATE_SUBMITTED) {
    /* The venue never got it: safe to call it rejected, never to resend. */
    ch->event = OMS_EV_REJECT;
    ch->reason = OMS_R_VENUE_UNKNOWN_ORDER;
    ch->reason_text = "venue has no record of the order";
    return 0;
  }
  if (r->status == OMS_VSTATUS_UNKNOWN && oms_ord_state_is_working(s->o.state)) {
    /* The venue acknowledged it once and has forgotten it since (its state
     * was lost in a restart): nothing can fill it any more, so it is done,
     * cancelled by the venue, and its reservation goes back. */
    ch->event = OMS_EV_CANCEL_CONFIRM;
    ch->reason = OMS_R_VENUE_UNKNOWN_ORDER;
    ch->reason_text = "venue does not know the order after restart";
    return 0;
  }
  /* Fills missed while apart come first, then the state. */
  oms_exec_report_t d;
  int k = derive_fill(e, vc, si, r, &d);
  if (k < 0) return k;
  if (k == 2) return 1; /* alarmed, nothing booked */
  if (k == 1) {
    int rc = apply_report(e, vc, &d);
    if (rc != 0) return rc;
    s->derived = true;
    begin(e);
  }
  if (r->status == OMS_VSTATUS_WORKING && s->o.state == OMS_STATE_SUBMITTED) {
    ch->event = OMS_EV_ACCEPT;
    ch->venue_order_id = r->venue_order_id[0] ? r->venue_order_id : NULL;
    return 0;
  }
  if (event_of_status(r->status) != OMS_EV_COUNT) {
    ch->event = event_of_status(r->status);
    return 0;
  }
  return 1;
}

/* Applies one report as one command. Returns 0, or OMS_EFULL when the store
 * or the outbox could not take it (the caller holds the report). */
static int apply_report(oms_engine_t *e, vctx_t *vc, const oms_exec_report_t *r) {
  begin(e);
  if (r->type == OMS_EXEC_VENUE_ERROR) {
    /* Raised, stored and published; nothing else changes. */
    char text[OMS_REASON_MAX + OMS_VENUE_MAX + 16];
    snprintf(text, sizeof text, "venue %s: %s", vc->name, r->text);
    stage_alarm(e, NIL, OMS_ALARM_VENUE_MESSAGE, 0, text);
    oms_event_t *ev = &e->sev[e->nstage - 1];
    copy_text(ev->order.venue, sizeof ev->order.venue, vc->name);
    copy_text(ev->order.client_order_id, sizeof ev->order.client_order_id, r->cl_ord_id);
    return commit(e, OMS_STORE_APPEND_MUST) == OMS_EFULL ? OMS_EFULL : 0;
  }
  slot_t *s = r->order_id != 0 ? slot_of_id(e, r->order_id) : NULL;
  if (s == NULL) return report_unknown(e, vc, r);
  uint32_t si = slot_index(e, s);
  fill_rec_t *rec = NULL;
  bool has_id = r->exec_id[0] != '\0' && r->type != OMS_EXEC_STATUS;
  if (has_id && exec_seen(e, vc->name, r->exec_id, &rec)) {
    e->st.duplicate_reports++;
    return 0;
  }
  if (r->type == OMS_EXEC_FILL && s->derived && oms_dec_is_pos(r->cum_qty) &&
      !oms_dec_gt(r->cum_qty, s->o.filled_qty)) {
    /* Already booked by a fill derived from a snapshot that raced it. */
    e->st.duplicate_reports++;
    return 0;
  }
  e->st.reports++;
  if (r->type == OMS_EXEC_BUST || r->type == OMS_EXEC_CORRECT) {
    oms_router_acknowledged(e->router, r->order_id);
    return amend_fill(e, vc, si, r, r->type == OMS_EXEC_CORRECT);
  }
  if (r->type == OMS_EXEC_RESTATED) {
    oms_router_acknowledged(e->router, r->order_id);
    return restate(e, vc, si, r);
  }

  oms_ord_change_t ch = {
      .ts_ns = e->now, .reason = r->reason, .reason_text = r->text[0] ? r->text : NULL};
  if (r->type == OMS_EXEC_STATUS) {
    int rc = apply_status(e, vc, si, r, &ch);
    if (rc != 0) return rc == 1 ? 0 : rc;
  } else {
    oms_router_acknowledged(e->router, r->order_id);
  }
  switch (r->type) {
    case OMS_EXEC_ACCEPTED:
      ch.event = OMS_EV_ACCEPT;
      ch.venue_order_id = r->venue_order_id[0] ? r->venue_order_id : NULL;
      break;
    case OMS_EXEC_REJECTED: ch.event = OMS_EV_REJECT; break;
    case OMS_EXEC_FILL:
      ch.event = OMS_EV_FILL;
      ch.fill_qty = r->last_qty;
      ch.fill_px = r->last_px;
      break;
    case OMS_EXEC_CANCELLED: ch.event = OMS_EV_CANCEL_CONFIRM; break;
    case OMS_EXEC_CANCEL_REJECTED: ch.event = OMS_EV_CANCEL_REJECT; break;
    case OMS_EXEC_REPLACED: ch.event = OMS_EV_REPLACE_CONFIRM; break;
    case OMS_EXEC_REPLACE_REJECTED: ch.event = OMS_EV_REPLACE_REJECT; break;
    case OMS_EXEC_EXPIRED: ch.event = OMS_EV_EXPIRE; break;
    case OMS_EXEC_TRIGGERED: ch.event = OMS_EV_TRIGGER; break;
    case OMS_EXEC_STATUS: break;
    default: {
      char text[512];
      snprintf(text, sizeof text, "venue %s sent exec type %d on order %llu: not understood",
               vc->name, (int)r->type, (unsigned long long)r->order_id);
      return alarm_fact(e, si, OMS_ALARM_OTHER, r->type, text);
    }
  }
  oms_event_t *ev = NULL;
  int rc = stage_change(e, si, &ch, &ev);
  if (rc == 0) {
    if (ch.event == OMS_EV_FILL) {
      e->stage[0].fill = true;
      ev->fill.qty = r->last_qty;
      ev->fill.price = r->last_px;
      ev->fill.fee = r->fee;
      ev->fill.liquidity = r->liquidity;
      oms_strlcpy(ev->fill.exec_id, r->exec_id, sizeof(ev->fill.exec_id));
      /* The store books its positions from the fill alone. */
      const oms_instrument_t *ins = oms_engine_instrument(e, s->o.venue, s->o.symbol);
      if (ins != NULL) ev->fill.multiplier = ins->multiplier;
      if (rec != NULL) *rec = (fill_rec_t){s->o.order_id, r->last_qty, r->last_px, r->fee};
    }
  } else if (ch.event == OMS_EV_FILL) {
    /* Never applied silently: an overfill, or a fill on an order that can not
     * take one, is an alarm for a person to look at. */
    e->st.overfills++;
    char q[OMS_DEC_STRLEN], f[OMS_DEC_STRLEN], t[OMS_DEC_STRLEN];
    oms_dec_format(r->last_qty, q, sizeof q);
    oms_dec_format(s->o.filled_qty, f, sizeof f);
    oms_dec_format(s->o.qty, t, sizeof t);
    char text[512];
    snprintf(text, sizeof text,
             "fill of %s (exec %s) on order %llu in state %s with %s of %s filled not applied", q,
             r->exec_id, (unsigned long long)r->order_id, oms_ord_state_str(s->o.state), f, t);
    stage_alarm(e, si, OMS_ALARM_OVERFILL, rc, text);
  } else if ((ch.event == OMS_EV_CANCEL_REJECT || ch.event == OMS_EV_REPLACE_REJECT) &&
             oms__state_terminal(s->o.state)) {
    /* The order finished (filled, say) before the venue saw the request: the
     * request's refusal is still news for whoever asked, so it is published
     * with the order as it is. */
    oms_event_t *nev = stage(e, si, &s->o,
                             ch.event == OMS_EV_CANCEL_REJECT ? OMS_EVT_ORDER_CANCEL_REJECTED
                                                              : OMS_EVT_ORDER_REPLACE_REJECTED);
    nev->reason = r->reason;
    copy_text(nev->text, sizeof(nev->text), r->text);
  } else if (ch.event == OMS_EV_ACCEPT && s->o.venue_order_id[0] == '\0' && ch.venue_order_id) {
    /* A late acknowledgement after the order moved on: keep the venue id. */
    oms_strlcpy(s->o.venue_order_id, ch.venue_order_id, sizeof(s->o.venue_order_id));
    index_venue_id(e, s);
    return 0;
  } else {
    return 0; /* a stale or repeated report: the order already moved past it */
  }
  rc = commit(e, OMS_STORE_APPEND_MUST);
  if (rc == OMS_EFULL && has_id) exec_forget_last(e); /* held: seen again at the retry */
  return rc == OMS_EFULL ? OMS_EFULL : 0;
}

static void hold(oms_engine_t *e, uint32_t vi, const oms_exec_report_t *r) {
  if (e->hcount == e->hcap) return; /* cannot happen: venues are not polled while holding */
  uint32_t i = (e->hhead + e->hcount) % e->hcap;
  e->held[i] = *r;
  e->held_venue[i] = vi;
  e->hcount++;
}

static void on_report(void *ctx, const oms_exec_report_t *r) {
  vctx_t *vc = ctx;
  oms_engine_t *e = vc->e;
  if (e->hcount > 0 || apply_report(e, vc, r) == OMS_EFULL) hold(e, vc->index, r);
}

static void on_market_data(void *ctx, const oms_market_data_t *md) {
  vctx_t *vc = ctx;
  oms_engine_t *e = vc->e;
  oms_dec_t px = oms_dec_is_pos(md->last_px) ? md->last_px : OMS_DEC_ZERO;
  if (oms_dec_is_pos(md->bid) && oms_dec_is_pos(md->ask)) {
    oms_dec_t sum;
    if (oms_dec_add(md->bid, md->ask, &sum) == 0)
      oms_dec_div(sum, oms_dec_from_raw(2 * OMS_DEC_SCALE), OMS_ROUND_HALF_EVEN, &px);
  }
  if (oms_dec_is_pos(px) && e->cfg.portfolio != NULL)
    oms_portfolio_set_mark(e->cfg.portfolio, md->symbol, px, md->ts_ns);
  oms__risk_market_data(e->cfg.risk, md);
  oms__parents_market_data(e->parents, vc->name, md);
  oms__groups_market_data(e->groups, vc->name, md);
  oms__sor_market_data(e->sor, vc->name, md);
}

static void on_connection(void *ctx, bool connected) {
  vctx_t *vc = ctx;
  /* Whatever happened while apart is found out before anything new goes:
   * the orders to ask about are marked first, and the router, told next that
   * the venue is up, asks about each once. */
  if (connected)
    recon_start(vc->e, vc);
  else
    vc->reconciled = false;
  oms_router_venue_state(vc->e->router, vc->name, connected, now_ns(vc->e));
  oms__sor_connection(vc->e->sor, vc->name, connected);
}

static void hook_status_unknown(void *ctx, uint64_t order_id, const char *why) {
  oms_engine_t *e = ctx;
  slot_t *s = slot_of_id(e, order_id);
  if (s == NULL) return;
  s->o.flags |= OMS_ORDF_STATUS_UNKNOWN;
  begin(e);
  char text[512];
  snprintf(text, sizeof text, "order %llu status unknown at venue %s: %s",
           (unsigned long long)order_id, s->o.venue, why);
  stage_alarm(e, slot_index(e, s), OMS_ALARM_OTHER, 0, text);
  commit(e, OMS_STORE_APPEND_MUST);
}

static void hook_send_failed(void *ctx, uint64_t order_id, int kind, int err) {
  oms_engine_t *e = ctx;
  slot_t *s = slot_of_id(e, order_id);
  if (s == NULL) return;
  oms_ord_change_t ch = {.ts_ns = now_ns(e),
                         .reason = err == OMS_EDOWN ? OMS_R_VENUE_DOWN : OMS_R_VENUE_REJECT};
  char text[512];
  snprintf(text, sizeof text, "venue %s refused the queued message: %s", s->o.venue,
           oms_strerror(err));
  ch.reason_text = text;
  ch.event = kind == OMS_ROUTE_NEW      ? OMS_EV_REJECT
             : kind == OMS_ROUTE_CANCEL ? OMS_EV_CANCEL_REJECT
                                        : OMS_EV_REPLACE_REJECT;
  begin(e);
  if (stage_change(e, slot_index(e, s), &ch, NULL) == 0) commit(e, OMS_STORE_APPEND_MUST);
}

/* ---- trading states (the kill switch) --------------------------------------- */

static void on_trading_state(void *ctx, oms_risk_scope_t scope, const char *id,
                             oms_trading_state_t from, oms_trading_state_t to, const char *reason,
                             int64_t now_ns) {
  oms_engine_t *e = ctx;
  (void)now_ns;
  if (e->recovering) return;
  begin(e);
  oms_event_t *ev = stage(e, NIL, NULL, OMS_EVT_TRADING_STATE_CHANGED);
  ev->scope_kind = (uint8_t)scope;
  ev->old_state = (uint8_t)from;
  ev->new_state = (uint8_t)to;
  ev->reason = to == OMS_TRADING_HALTED        ? OMS_R_RISK_HALTED
               : to == OMS_TRADING_REDUCE_ONLY ? OMS_R_RISK_REDUCE_ONLY
                                               : OMS_R_NONE;
  copy_text(ev->scope_id, sizeof(ev->scope_id), id ? id : "");
  copy_text(ev->text, sizeof(ev->text), reason ? reason : "");
  /* A halt is a fact the OMS must not lose: queued even if the store failed. */
  commit(e, OMS_STORE_APPEND_MUST);
  if (to != OMS_TRADING_HALTED) return;
  oms_order_filter_t f = {0};
  if (scope == OMS_RISK_SCOPE_ACCOUNT) f.account_id = id;
  if (scope == OMS_RISK_SCOPE_STRATEGY) f.strategy_id = id;
  if (scope == OMS_RISK_SCOPE_SYMBOL) f.symbol = id;
  e->halting = true;
  oms_engine_mass_cancel(e, &f, NULL);
  e->halting = false;
}

int oms_engine_risk_report(oms_engine_t *e, const char *account, const char *text,
                           const oms_risk_report_info_t *info) {
  if (e == NULL || text == NULL) return OMS_EINVAL;
  begin(e);
  oms_event_t *ev = stage(e, NIL, NULL, OMS_EVT_RISK_REPORT);
  copy_text(ev->scope_id, sizeof(ev->scope_id), account ? account : "");
  copy_text(ev->text, sizeof(ev->text), text);
  if (info != NULL) {
    ev->risk = *info;
    ev->risk.worst[sizeof(ev->risk.worst) - 1] = '\0';
  }
  return commit(e, 0);
}

int oms_engine_set_trading_state(oms_engine_t *e, int scope, const char *id, int state,
                                 const char *reason) {
  if (e->cfg.risk == NULL) return OMS_EINVAL;
  return oms_risk_set_state(e->cfg.risk, (oms_risk_scope_t)scope, id, (oms_trading_state_t)state,
                            reason, now_ns(e));
}

/* ---- the loop ----------------------------------------------------------------- */

/* Tells the world when the store fails and when it works again: a transient
 * alarm (seq 0; the store can not keep it) with the failed call and errno. */
static void watch_store(oms_engine_t *e) {
  if (e->cfg.store == NULL || e->cfg.store->vt->failed == NULL) return;
  bool failed = oms_store_failed(e->cfg.store);
  if (failed == e->store_failed) return;
  e->store_failed = failed;
  oms_event_t ev;
  oms_event_init(&ev, OMS_EVT_ALARM, NULL, now_ns(e), 0);
  ev.alarm = failed ? OMS_ALARM_STORE_FAILURE : OMS_ALARM_STORE_RECOVERED;
  if (failed) {
    oms_store_error_t err;
    oms_store_last_error(e->cfg.store, &err);
    ev.alarm_code = err.code;
    ev.reason = OMS_R_STORE_FAILED;
    char text[512];
    snprintf(text, sizeof text, "order store failed in %s: %s (sqlite %d, errno %d)", err.call,
             err.message, err.code, err.sys_errno);
    copy_text(ev.text, sizeof ev.text, text);
  } else {
    copy_text(ev.text, sizeof ev.text, "order store works again");
  }
  publish(e, &ev);
}

int oms_engine_poll(oms_engine_t *e) {
  int work = 0;
  watch_store(e);
  (void)oms__idfilter_prepare(&e->seen); /* a failure: the next poll tries again */
  uint32_t before = e->ocount;
  release(e);
  work += (int)(before > e->ocount ? before - e->ocount : 0);
  while (e->hcount > 0) {
    uint32_t i = e->hhead;
    if (apply_report(e, &e->vctx[e->held_venue[i]], &e->held[i]) == OMS_EFULL) return work;
    e->hhead = (e->hhead + 1) % e->hcap;
    e->hcount--;
    work++;
  }
  work += oms_router_poll(e->router, now_ns(e));
  work += oms__parents_poll(e->parents, e);
  work += oms__groups_poll(e->groups, e);
  work += oms__sor_poll(e->sor, e);
  release(e);
  return work;
}

/* ---- recovery ------------------------------------------------------------------ */

static int load_one(void *ctx, const oms_order_t *o) {
  oms_engine_t *e = ctx;
  uint32_t si = slot_alloc(e);
  if (si == NIL) return OMS_EFULL;
  slot_t *s = &e->slots[si];
  s->o = *o;
  s->texts = OMS__DIRTY_REASON | OMS__DIRTY_META;
  s->req_hash = 0; /* unknown: a repeat is compared with the order (same_request) */
  size_t n;
  s->clord_key = clord_key_of(o->strategy_id, o->client_order_id, &n, &n);
  oms__u64map_put(&e->by_id, o->order_id, si);
  oms__u64map_put(&e->by_clord, s->clord_key, si);
  index_venue_id(e, s);
  index_cur(e, s);
  mem_link(e, si);
  if (!oms__sor_loaded(e->sor, o) && !oms__groups_loaded(e->groups, o))
    oms__parents_loaded(e->parents, o);
  if (o->order_id >= e->next_order_id) e->next_order_id = o->order_id + 1;
  oms_order_t none;
  memset(&none, 0, sizeof(none));
  none.state = OMS_STATE_PENDING;
  oms_order_t own;
  oms__risk_order_changed(e->cfg.risk, &none,
                          o->parent_order_id != 0 ? oms__groups_risk_view(e, &s->o, &own) : &s->o,
                          e->now);
  /* Whatever happened at the venue while we were down, we do not know it. */
  if (oms_ord_state_is_working(o->state) && o->algo == 0) s->o.flags |= OMS_ORDF_STATUS_UNKNOWN;
  return 0;
}

static int load_state(void *ctx, const oms_trading_state_row_t *t) {
  oms_engine_t *e = ctx;
  oms_risk_set_state(e->cfg.risk, (oms_risk_scope_t)t->scope_kind, t->scope_id,
                     (oms_trading_state_t)t->state, t->reason, t->updated_ns);
  return 0;
}

/* Every client order id the store knows, finished orders included: the
 * duplicate filter answers "maybe" for each, and a "maybe" asks the store. */
static int remember_id(void *ctx, const char *strategy_id, const char *client_order_id) {
  oms_engine_t *e = ctx;
  oms__idfilter_add(&e->seen, clord_key(strategy_id, client_order_id));
  (void)oms__idfilter_prepare(&e->seen); /* a failure: the next poll tries again */
  return 0;
}

/* The recent execution ids come back from the log: a fill the venue sends
 * again after the restart is a duplicate, and a bust finds what to take
 * back. */
static int replay_exec(void *ctx, const oms_event_t *ev) {
  oms_engine_t *e = ctx;
  const oms_order_t *o = &ev->order;
  if (o->algo != 0) return 0; /* a parent's fills are its children's */
  bool amend = ev->type == OMS_EVT_ORDER_FILL_BUSTED || ev->type == OMS_EVT_ORDER_FILL_CORRECTED;
  bool fill = ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED || ev->type == OMS_EVT_ORDER_FILLED;
  if ((fill || amend) && ev->fill.exec_id[0] != '\0') {
    fill_rec_t *rec = NULL;
    if (!exec_seen(e, o->venue, ev->fill.exec_id, &rec) || amend)
      rec = exec_fill(e, o->venue, ev->fill.exec_id);
    if (rec != NULL) *rec = (fill_rec_t){o->order_id, ev->fill.qty, ev->fill.price, ev->fill.fee};
  }
  return 0;
}

/* Books one stored fill into the portfolio again, and takes back a busted
 * or corrected one (the recovery of a store without position rows). */
static int replay_fill(void *ctx, const oms_event_t *ev) {
  oms_engine_t *e = ctx;
  const oms_order_t *o = &ev->order;
  bool amend = ev->type == OMS_EVT_ORDER_FILL_BUSTED || ev->type == OMS_EVT_ORDER_FILL_CORRECTED;
  replay_exec(ctx, ev);
  if (e->cfg.portfolio == NULL || o->algo != 0) return 0;
  if (amend && oms_dec_is_pos(ev->fill.old_qty))
    oms_portfolio_bust_fill(e->cfg.portfolio, o->account_id, o->symbol, o->side, ev->fill.old_qty,
                            ev->fill.old_price, ev->fill.old_fee, ev->event_ns);
  if ((ev->type != OMS_EVT_ORDER_PARTIALLY_FILLED && ev->type != OMS_EVT_ORDER_FILLED &&
       ev->type != OMS_EVT_ORDER_FILL_CORRECTED) ||
      !oms_dec_is_pos(ev->fill.qty))
    return 0;
  oms_portfolio_apply_fill(e->cfg.portfolio, o->account_id, o->symbol, o->side, ev->fill.qty,
                           ev->fill.price, ev->fill.fee, ev->event_ns);
  return 0;
}

/* The store's position rows, gathered to be restored in opening order. */
typedef struct rows_s {
  oms_position_t *p;
  size_t n, cap;
  bool old; /* a row from before opened_seq was kept */
} rows_t;

static int keep_row(void *ctx, const oms_position_t *p) {
  rows_t *r = ctx;
  if (r->n == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 64;
    oms_position_t *np = oms__realloc(r->p, cap * sizeof *np);
    if (np == NULL) return OMS_ENOMEM;
    r->p = np;
    r->cap = cap;
  }
  r->p[r->n++] = *p;
  if (p->opened_seq == 0) r->old = true;
  return 0;
}

static int by_opening(const void *a, const void *b) {
  uint64_t x = ((const oms_position_t *)a)->opened_seq, y = ((const oms_position_t *)b)->opened_seq;
  return x < y ? -1 : x > y;
}

static int by_symbol_latest(const void *a, const void *b) {
  const oms_position_t *x = a, *y = b;
  int c = strcmp(x->symbol, y->symbol);
  if (c != 0) return c;
  return x->mark_seq > y->mark_seq ? -1 : x->mark_seq < y->mark_seq;
}

/* Puts the portfolio back from the store's positions (the fills booked
 * with the portfolio's arithmetic, as of the projection's cursor), in the
 * order they were opened, each symbol marked at its last fill. The
 * rows that a portfolio would refuse (a symbol without an instrument) are
 * skipped, as a replay of their fills would skip them. Returns 0,
 * OMS_EUNSUPPORTED (rows without their opening fill: replay instead; the
 * portfolio is untouched), OMS_ENOMEM or OMS_ESTORE. */
static int restore_portfolio(oms_engine_t *e) {
  rows_t r = {NULL, 0, 0, false};
  int rc = oms_store_load_positions(e->cfg.store, keep_row, &r);
  if (rc == 0 && r.old) rc = OMS_EUNSUPPORTED;
  if (rc != 0) {
    oms__free(r.p);
    return rc == OMS_ENOMEM || rc == OMS_EUNSUPPORTED ? rc : OMS_ESTORE;
  }
  /* Each symbol's mark first, so that a position is valued at it from the
   * start: the price of its latest marking fill, any account (the first row
   * of its symbol once sorted by symbol, latest first). */
  if (r.n > 1) qsort(r.p, r.n, sizeof *r.p, by_symbol_latest); /* r.p is NULL when empty */
  for (size_t i = 0; i < r.n; i++) {
    const oms_position_t *p = &r.p[i];
    if (p->mark_seq > 0 && (i == 0 || strcmp(r.p[i - 1].symbol, p->symbol) != 0))
      (void)oms_portfolio_restore_mark(e->cfg.portfolio, p->symbol, p->mark_px, p->mark_ns);
  }
  if (r.n > 1) qsort(r.p, r.n, sizeof *r.p, by_opening);
  for (size_t i = 0; i < r.n; i++) {
    const oms_position_t *p = &r.p[i];
    oms_pf_book_t book = {p->qty, p->avg_px, p->realized_pnl, p->fees};
    (void)oms_portfolio_restore_position(e->cfg.portfolio, p->account_id, p->symbol, &book,
                                         p->updated_ns);
    oms__risk_position_changed(e->cfg.risk, p->account_id, p->symbol);
  }
  oms__free(r.p);
  return 0;
}

/* ---- trading days: the daily-PnL bases ---------------------------------------------- *
 * An account's daily PnL counts from its base, its PnL when the trading day
 * began; the portfolio rolls an account's day lazily, at the first change or
 * read at or after the boundary (a change first rolls, so the base is the
 * PnL at the boundary). A restarted portfolio gets its PnL back from the
 * store but not the bases, so the engine journals them (docs/store.md,
 * "daily PnL baseline"): at the first command of a new day it rolls every
 * account (as its first touch would) and appends each base, then the day's
 * mark. Both come before anything else of that day, so a store that holds
 * a fill of the day holds the mark, and a store that holds the mark holds
 * every base. */

static int put_base(void *ctx, const char *account, int64_t day_start_ns, oms_dec_t base) {
  oms_engine_t *e = ctx;
  (void)day_start_ns; /* the engine's day (a market-data time may have rolled one early) */
  oms_pnl_base_row_t row;
  memset(&row, 0, sizeof row);
  row.day_start_ns = oms_portfolio_day_start(e->cfg.portfolio, e->now);
  copy_text(row.account_id, sizeof row.account_id, account);
  row.base = base;
  return oms_store_pnl_base_append(e->cfg.store, &row, NULL);
}

/* Rolls every account to the day of e->now and journals the bases and the
 * day's mark. Returns 0 (a store that keeps no bases included) or the
 * store's error (the caller tries again at its next command). */
static int no_base(void *ctx, const char *account, int64_t day_start_ns, oms_dec_t base) {
  (void)ctx, (void)account, (void)day_start_ns, (void)base;
  return 0;
}

static int journal_day(oms_engine_t *e) {
  if (e->cfg.store == NULL)
    return oms_portfolio_each_day_base(e->cfg.portfolio, e->now, no_base, e);
  int rc = oms_portfolio_each_day_base(e->cfg.portfolio, e->now, put_base, e);
  oms_pnl_base_row_t mark;
  memset(&mark, 0, sizeof mark);
  mark.day_start_ns = oms_portfolio_day_start(e->cfg.portfolio, e->now);
  if (rc == 0) rc = oms_store_pnl_base_append(e->cfg.store, &mark, NULL);
  return rc == OMS_EUNSUPPORTED ? 0 : rc;
}

/* The first command at or after e->day_next (0 at the first command of an
 * engine that did not recover: it learns its day). */
static __attribute__((cold, noinline)) void day_begins(oms_engine_t *e) {
  if (e->cfg.portfolio == NULL) {
    e->day_next = INT64_MAX;
    return;
  }
  int64_t next = oms_portfolio_day_start(e->cfg.portfolio, e->now) + OMS_DAY_NS;
  if (e->day_next == 0 || journal_day(e) == 0) e->day_next = next;
}

static int first_event_ns(void *ctx, const oms_event_t *ev) {
  *(int64_t *)ctx = ev->event_ns;
  return 0;
}

static int put_back_base(void *ctx, const oms_pnl_base_row_t *row) {
  oms_engine_t *e = ctx;
  (void)oms_portfolio_set_day_base(e->cfg.portfolio, row->account_id, e->now, row->base);
  return 0;
}

/* Puts the daily-PnL bases back after the portfolio (docs/store.md, "daily
 * PnL baseline"): today's journaled bases when today's mark is stored (an
 * account without one was made after the day began: base 0); base 0 for
 * all when no day was ever marked and the store's history began today (the
 * day never rolled); otherwise the day began while the engine was down, at
 * the PnL it left (the store's), and the day is journaled now. Returns 0,
 * or OMS_ESTORE. */
static int restore_days(oms_engine_t *e) {
  oms_portfolio_t *p = e->cfg.portfolio;
  int64_t today = oms_portfolio_day_start(p, e->now), day = 0;
  e->day_next = today + OMS_DAY_NS;
  oms_portfolio_reset_days(p, e->now, false);
  int rc = oms_store_pnl_bases(e->cfg.store, &day, put_back_base, e);
  if (rc == OMS_EUNSUPPORTED || (rc == 0 && day >= today)) return 0;
  if (rc != 0 && rc != OMS_ENOTFOUND) return OMS_ESTORE;
  if (rc == OMS_ENOTFOUND && e->cfg.store->vt->events_from != NULL) {
    int64_t first = INT64_MAX;
    if (oms_store_events_from(e->cfg.store, 1, 1, first_event_ns, &first) != 0) return OMS_ESTORE;
    if (first >= today) return 0;
  }
  oms_portfolio_reset_days(p, e->now, true);
  if (journal_day(e) != 0) e->day_next = today; /* the first command tries again */
  return 0;
}

/* Recovery reads what is open or recent, not the whole history (docs/store.md,
 * "Recovery of the engine"): the portfolio from the store's position rows,
 * the execution-id window from the log's last exec_cap fills on, the open
 * orders; only the duplicate filter reads every client order id (two
 * columns of an index), because it must answer for all of them. A store
 * without position rows or fill positions replays every fill instead. */
int oms_engine_recover(oms_engine_t *e, uint32_t *n_loaded) {
  if (e->cfg.store == NULL || e->st.orders_in_memory > 0) return OMS_EINVAL;
  begin(e);
  uint64_t last_seq = 0, last_id = 0;
  int rc = e->cfg.store->vt->last_seqs(e->cfg.store, &last_seq, &last_id);
  if (rc != 0) return OMS_ESTORE;
  e->next_seq = last_seq + 1;
  if (last_id >= e->next_order_id) e->next_order_id = last_id + 1;
  if (e->cfg.risk != NULL && e->cfg.store->vt->load_trading_states != NULL) {
    /* A halt survives a restart: put the stored states back, quietly. */
    e->recovering = true;
    rc = e->cfg.store->vt->load_trading_states(e->cfg.store, load_state, e);
    e->recovering = false;
    if (rc != 0) return OMS_ESTORE;
  }
  /* Positions and PnL are a pure function of the fills, which the store
   * has booked into its position rows with the portfolio's arithmetic
   * (instruments and cash must be set before, as at the first start). */
  uint64_t from = 1;
  rc = oms_store_fill_seq_back(e->cfg.store, e->exec_cap, &from);
  if (rc == 0 && e->cfg.portfolio != NULL) rc = restore_portfolio(e);
  bool has_log = e->cfg.store->vt->events_from != NULL;
  if (rc == 0 && has_log)
    rc = oms_store_events_from(e->cfg.store, from, 0, replay_exec, e);
  else if (rc == OMS_EUNSUPPORTED)
    rc = has_log ? oms_store_events_from(e->cfg.store, 1, 0, replay_fill, e) : 0;
  if (rc == 0 && e->cfg.portfolio != NULL) rc = restore_days(e);
  if (rc != 0) return rc == OMS_ENOMEM ? OMS_ENOMEM : OMS_ESTORE;
  oms__risk_prices_recovered(e->cfg.risk, e->cfg.portfolio, e->ins, e->nins);
  rc = oms_store_each_clordid(e->cfg.store, remember_id, e);
  if (rc != 0) return OMS_ESTORE;
  rc = oms_store_load_active(e->cfg.store, load_one, e);
  if (n_loaded != NULL) *n_loaded = e->st.orders_in_memory;
  /* Nothing new goes to a venue before it and the store agree. */
  if (rc == 0) rc = oms__parents_recovered(e->parents, e);
  if (rc == 0) rc = oms__groups_recovered(e->groups, e);
  if (rc == 0) rc = oms__sor_recovered(e->sor, e);
  if (rc == 0)
    for (uint32_t i = 0; i < e->nvenues; i++) recon_start(e, &e->vctx[i]);
  if (rc == OMS_EFULL) return OMS_EFULL;
  return rc == 0 ? 0 : OMS_ESTORE;
}

void oms_engine_stats(const oms_engine_t *e, oms_engine_stats_t *out) {
  *out = e->st;
  out->next_order_id = e->next_order_id;
  out->next_event_seq = e->next_seq;
  out->outbox_depth = e->ocount;
  out->held_reports = e->hcount;
}

/* ---- for engine_parent.c ---------------------------------------------------------- */

int64_t oms__engine_now(oms_engine_t *e) { return now_ns(e); }

oms__parents_t *oms__engine_parents(oms_engine_t *e) { return e->parents; }

oms__groups_t *oms__engine_groups(oms_engine_t *e) { return e->groups; }

int oms__engine_replace_child(oms_engine_t *e, uint64_t order_id, oms_dec_t qty) {
  oms_reject_t rej;
  oms_modify_t m = {.qty = qty};
  e->leg_replace = true;
  int rc = oms_engine_modify(e, order_id, &m, &rej);
  e->leg_replace = false;
  return rc;
}

oms__sor_t *oms__engine_sor(const oms_engine_t *e) { return e->sor; }

int oms__engine_emit_bestex(oms_engine_t *e, uint64_t order_id, const char *text,
                            const uint8_t *blob, size_t len) {
  slot_t *s = slot_of_id(e, order_id);
  begin(e);
  oms_event_t *ev = stage(e, s != NULL ? slot_index(e, s) : NIL, s != NULL ? &s->o : NULL,
                          OMS_EVT_BEST_EXECUTION);
  e->stage[e->nstage - 1].slot = NIL; /* a record about the order, not a change of it */
  copy_text(ev->text, sizeof(ev->text), text);
  if (len > sizeof(ev->algo)) len = 0;
  memcpy(ev->algo, blob, len);
  ev->algo_len = (uint16_t)len;
  return commit(e, OMS_STORE_APPEND_MUST);
}

const oms_order_t *oms__engine_order(oms_engine_t *e, uint64_t order_id) {
  slot_t *s = slot_of_id(e, order_id);
  return s != NULL ? &s->o : NULL;
}

void oms__engine_make(oms_engine_t *e, uint64_t child_of, uint32_t seq, uint16_t algo) {
  e->mk_parent = child_of;
  e->mk_seq = seq;
  e->mk_algo = algo;
}

int oms__engine_parent_apply(oms_engine_t *e, uint64_t order_id, const oms_ord_change_t *ch, int n,
                             const uint8_t *blob, size_t len) {
  slot_t *s = slot_of_id(e, order_id);
  if (s == NULL) return OMS_ENOTFOUND;
  begin(e);
  oms_event_t *ev = NULL;
  int rc = stage_change(e, slot_index(e, s), &ch[0], &ev);
  for (int k = 1; rc == 0 && k < n; k++) {
    rc = oms__order_apply_scratch(&ev->order, &ch[k], NULL);
    if (rc == 0) {
      ev->type = oms_event_type_for(ch[k].event, ev->order.state);
      ev->reason = ch[k].reason;
      if (ch[k].reason_text != NULL) copy_text(ev->text, sizeof(ev->text), ch[k].reason_text);
    }
  }
  if (rc != 0) {
    e->nstage = 0;
    return rc;
  }
  memcpy(ev->algo, blob, len);
  ev->algo_len = (uint16_t)len;
  return commit(e, OMS_STORE_APPEND_MUST);
}

int oms__engine_cancel_child(oms_engine_t *e, uint64_t order_id) {
  oms_reject_t rej;
  return cancel_order(e, order_id, &rej, false);
}

oms_store_t *oms__engine_store(oms_engine_t *e) { return e->cfg.store; }
oms_risk_t *oms__engine_risk(oms_engine_t *e) { return e->cfg.risk; }
