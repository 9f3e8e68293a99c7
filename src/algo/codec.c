/*
 * codec.c - a parent's state as bytes for the journal, and back.
 *
 * NOTES ON THE DESIGN
 *
 * The layout (version 2), all integers little-endian, is:
 *
 *   "OA" magic, u8 version, u8 reserved, u32 body length,
 *   then walk() below: every field of oms_algo_state_t in declaration order,
 *   decimals and times as 8 bytes, __int128 as low then high 8 bytes,
 *   enums and flags in their own width, the children last.
 *
 * One function, walk(), lists the fields once and serves both directions,
 * so the encoder and the decoder cannot disagree. A new field is added at the
 * end of walk() with a new version; decode keeps reading the old ones.
 * Version 2 added, at the end: the trigger price type, the late fills and
 * `over`, the market's interval sums (mkt_*, mark_*, mkt_known) and
 * `native`. A
 * version 1 record decodes with those at zero (LAST, no late fill, the
 * interval starting at the next market data).
 * Decoding checks the magic, version and length and then the state's
 * invariants (oms_algo_check): a damaged record is refused, never loaded.
 * A contingent group has its own record, "OG", built the same way.
 */
#include <string.h>

#include "oms/algo.h"
#include "oms/error.h"

#define HEADER 8
#define GROUP_VERSION 1 /* groups keep their own record version */

typedef struct cur_s {
  uint8_t *w;       /* encoding: where to write */
  const uint8_t *r; /* decoding: where to read */
  size_t pos;
} cur_t;

static void io(cur_t *c, void *v, size_t n) {
  /* the hosts oms runs on are little-endian (x86-64, aarch64); a big-endian
   * port swaps here */
  if (c->w != NULL) memcpy(c->w + c->pos, v, n);
  if (c->r != NULL) memcpy(v, c->r + c->pos, n);
  c->pos += n;
}

#define IO(c, field) io(c, &(field), sizeof(field))

static void io128(cur_t *c, __int128 *v) {
  uint64_t lo = (uint64_t)*v, hi = (uint64_t)((unsigned __int128)*v >> 64);
  io(c, &lo, 8);
  io(c, &hi, 8);
  *v = (__int128)(((unsigned __int128)hi << 64) | lo);
}

static void walk_params(cur_t *c, oms_algo_params_t *p) {
  IO(c, p->set);
  IO(c, p->strategy);
  IO(c, p->side);
  IO(c, p->aggression);
  IO(c, p->trail_unit);
  IO(c, p->catch_up);
  IO(c, p->profile_len);
  IO(c, p->qty);
  IO(c, p->limit_px);
  IO(c, p->start_ns);
  IO(c, p->end_ns);
  IO(c, p->slice_ns);
  IO(c, p->size_var);
  IO(c, p->time_var);
  IO(c, p->min_slice);
  IO(c, p->max_slice);
  IO(c, p->max_pov);
  IO(c, p->pov_rate);
  IO(c, p->would_px);
  IO(c, p->display_qty);
  IO(c, p->display_var);
  IO(c, p->trail_offset);
  IO(c, p->activation_px);
  IO(c, p->trigger_px);
  IO(c, p->seed);
  for (int i = 0; i < OMS_ALGO_PROFILE_MAX; i++) IO(c, p->profile[i]);
}

static void walk(cur_t *c, oms_algo_state_t *st, int version) {
  IO(c, st->parent_id);
  walk_params(c, &st->p);
  IO(c, st->tick);
  IO(c, st->lot);
  IO(c, st->created_ns);
  IO(c, st->n_slices);
  IO(c, st->filled);
  io128(c, &st->cum_notional);
  IO(c, st->pending_qty);
  IO(c, st->status);
  IO(c, st->activated);
  IO(c, st->triggered);
  IO(c, st->vol_known);
  IO(c, st->next_seq);
  IO(c, st->next_slice_ns);
  IO(c, st->slice_no);
  IO(c, st->open);
  IO(c, st->vol_start);
  IO(c, st->hwm);
  IO(c, st->took_md_ns);
  IO(c, st->rng);
  for (int i = 0; i < OMS_ALGO_MAX_CHILDREN; i++) {
    oms_algo_child_t *ch = &st->child[i];
    IO(c, ch->seq);
    IO(c, ch->cancelling);
    IO(c, ch->qty);
    IO(c, ch->filled);
    IO(c, ch->price);
  }
  if (version < 2) return;
  IO(c, st->p.trigger_type);
  IO(c, st->late_qty);
  IO(c, st->over);
  io128(c, &st->mkt_notional);
  io128(c, &st->mark_notional);
  IO(c, st->mkt_volume);
  IO(c, st->mark_volume);
  IO(c, st->mkt_known);
  IO(c, st->native);
}

static size_t body_size(int version) {
  oms_algo_state_t scratch = {0}; /* only its addresses are used */
  cur_t c = {0};
  walk(&c, &scratch, version);
  return c.pos;
}

int oms_algo_encode(const oms_algo_state_t *st, uint8_t *buf, size_t cap) {
  size_t body = body_size(OMS_ALGO_ENC_VERSION);
  if (cap < HEADER + body) return OMS_ENOSPC;
  oms_algo_state_t copy = *st; /* walk() takes a mutable state for decoding */
  uint32_t len = (uint32_t)body;
  buf[0] = 'O';
  buf[1] = 'A';
  buf[2] = OMS_ALGO_ENC_VERSION;
  buf[3] = 0;
  memcpy(buf + 4, &len, 4);
  cur_t c = {.w = buf + HEADER};
  walk(&c, &copy, OMS_ALGO_ENC_VERSION);
  return (int)(HEADER + body);
}

int oms_algo_decode(const uint8_t *buf, size_t len, oms_algo_state_t *st) {
  memset(st, 0, sizeof(*st));
  uint32_t blen;
  if (len < HEADER || buf[0] != 'O' || buf[1] != 'A' || buf[2] < 1 ||
      buf[2] > OMS_ALGO_ENC_VERSION) {
    return OMS_ECORRUPT;
  }
  int version = buf[2];
  size_t body = body_size(version);
  memcpy(&blen, buf + 4, 4);
  if (blen != body || len != HEADER + body) return OMS_ECORRUPT;
  cur_t c = {.r = buf + HEADER};
  walk(&c, st, version);
  bool known = strcmp(oms_algo_strategy_name((oms_algo_strategy_t)st->p.strategy), "UNKNOWN") != 0;
  bool sane = known && st->p.profile_len <= OMS_ALGO_PROFILE_MAX &&
              st->status >= OMS_ALGO_WAITING && st->status <= OMS_ALGO_HALTED &&
              st->p.trigger_type <= OMS_TRIGGER_MID && st->over <= 1 && st->late_qty.raw >= 0 &&
              st->native <= 1 && oms_dec_is_pos(st->tick) && oms_dec_is_pos(st->lot) &&
              st->p.slice_ns > 0 && (st->n_slices == 0 || st->p.end_ns > st->p.start_ns) &&
              oms_algo_check(st);
  if (!sane) {
    memset(st, 0, sizeof(*st));
    return OMS_ECORRUPT;
  }
  return 0;
}

/* ---- contingent groups ---- */

static void walk_group(cur_t *c, oms_algo_group_t *g) {
  IO(c, g->group_id);
  IO(c, g->kind);
  IO(c, g->n);
  IO(c, g->ended);
  for (int i = 0; i < OMS_ALGO_GROUP_MAX; i++) {
    oms_algo_member_t *m = &g->m[i];
    IO(c, m->state);
    IO(c, m->side);
    IO(c, m->type);
    IO(c, m->tif);
    IO(c, m->cancelling);
    IO(c, m->max_qty);
    IO(c, m->qty);
    IO(c, m->filled);
    IO(c, m->price);
    IO(c, m->stop_price);
  }
}

static size_t group_body_size(void) {
  oms_algo_group_t scratch = {0}; /* only its addresses are used */
  cur_t c = {0};
  walk_group(&c, &scratch);
  return c.pos;
}

int oms_algo_group_encode(const oms_algo_group_t *g, uint8_t *buf, size_t cap) {
  size_t body = group_body_size();
  if (cap < HEADER + body) return OMS_ENOSPC;
  oms_algo_group_t copy = *g;
  uint32_t len = (uint32_t)body;
  buf[0] = 'O';
  buf[1] = 'G';
  buf[2] = GROUP_VERSION;
  buf[3] = 0;
  memcpy(buf + 4, &len, 4);
  cur_t c = {.w = buf + HEADER};
  walk_group(&c, &copy);
  return (int)(HEADER + body);
}

int oms_algo_group_decode(const uint8_t *buf, size_t len, oms_algo_group_t *g) {
  memset(g, 0, sizeof(*g));
  size_t body = group_body_size();
  uint32_t blen;
  if (len < HEADER || buf[0] != 'O' || buf[1] != 'G' || buf[2] != GROUP_VERSION) {
    return OMS_ECORRUPT;
  }
  memcpy(&blen, buf + 4, 4);
  if (blen != body || len != HEADER + body) return OMS_ECORRUPT;
  cur_t c = {.r = buf + HEADER};
  walk_group(&c, g);
  bool sane = g->kind >= OMS_GROUP_OCO && g->kind <= OMS_GROUP_BRACKET &&
              g->n == (g->kind == OMS_GROUP_BRACKET ? 3 : 2);
  for (int i = 0; sane && i < g->n; i++) {
    const oms_algo_member_t *m = &g->m[i];
    sane = m->state <= OMS_MEMBER_DONE && m->filled.raw >= 0 && m->filled.raw <= m->qty.raw &&
           m->qty.raw <= m->max_qty.raw;
  }
  if (!sane) {
    memset(g, 0, sizeof(*g));
    return OMS_ECORRUPT;
  }
  return 0;
}
