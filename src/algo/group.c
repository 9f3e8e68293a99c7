/*
 * group.c - contingent orders: OCO, OUO, OTO and brackets, as a small state
 * machine over two or three member orders.
 *
 * NOTES ON THE DESIGN
 *
 * A member (a leg) is HELD (kept by the OMS), LIVE (an order of it is at
 * the venue) or DONE. Events (a fill, a member done) only record what
 * happened; then reconcile() compares every leg with what the kind of group
 * wants it to hold and emits the intents that close the gap:
 *
 *   OCO      a fill on a leg cancels the other (an unasked end too, below);
 *   OUO      a leg's wanted total is its max_qty less what the others
 *            filled: a REPLACE shrinks it, a CANCEL ends it at zero;
 *   OTO      leg 1 wants min(its max_qty, leg 0's filled): a NEW releases
 *            it, a REPLACE grows it;
 *   BRACKET  each exit wants its own filled plus the open position, entry
 *            filled less both exits' fills: NEW, REPLACE (up or down) or
 *            CANCEL at zero; once the entry is done and the position flat,
 *            every leg ends.
 *
 * A leg that ends without having been asked to (the client cancelled it,
 * the venue rejected or expired it) and unfilled in part ends the group:
 * `ended` is set and every other leg is cancelled or dropped. The entry of
 * an OTO or a bracket is the exception: what it filled before it ended
 * stays protected by its followers. A leg being
 * cancelled is left alone until its answer. Because the wanted state is
 * recomputed from the fills each time, the same fills in any order lead to
 * the same legs.
 */
#include <string.h>

#include "algo/algo_int.h"
#include "oms/algo.h"
#include "oms/error.h"

static int emit_new(oms_algo_group_t *g, uint32_t i, oms_dec_t q, oms_algo_out_t *out) {
  oms_algo_member_t *m = &g->m[i];
  oms_algo_intent_t in = {.kind = OMS_INTENT_NEW,
                          .side = m->side,
                          .type = m->type,
                          .tif = m->tif,
                          .child_seq = i + 1,
                          .qty = q,
                          .price = m->price,
                          .stop_price = m->stop_price};
  int rc = oms__algo_emit(out, &in);
  if (rc != 0) return rc;
  m->state = OMS_MEMBER_LIVE;
  m->qty = oms_dec_from_raw(m->filled.raw + q.raw);
  return 0;
}

static int emit_cancel(oms_algo_group_t *g, uint32_t i, oms_algo_out_t *out) {
  oms_algo_member_t *m = &g->m[i];
  if (m->state == OMS_MEMBER_HELD) {
    m->state = OMS_MEMBER_DONE;
    return 0;
  }
  if (m->state != OMS_MEMBER_LIVE || m->cancelling) return 0;
  oms_algo_intent_t in = {.kind = OMS_INTENT_CANCEL, .side = m->side, .child_seq = i + 1};
  int rc = oms__algo_emit(out, &in);
  if (rc == 0) m->cancelling = 1;
  return rc;
}

/* Makes leg i hold `total` (its filled included). */
static int want_total(oms_algo_group_t *g, uint32_t i, int64_t total, oms_algo_out_t *out) {
  oms_algo_member_t *m = &g->m[i];
  if (m->cancelling) return 0;
  if (total > m->max_qty.raw) total = m->max_qty.raw;
  int64_t open = total - m->filled.raw;
  if (m->state == OMS_MEMBER_LIVE) {
    if (open <= 0) return emit_cancel(g, i, out);
    if (total == m->qty.raw) return 0;
    oms_algo_intent_t in = {.kind = OMS_INTENT_REPLACE,
                            .side = m->side,
                            .type = m->type,
                            .tif = m->tif,
                            .child_seq = i + 1,
                            .qty = oms_dec_from_raw(total),
                            .price = m->price,
                            .stop_price = m->stop_price};
    int rc = oms__algo_emit(out, &in);
    if (rc == 0) m->qty = in.qty;
    return rc;
  }
  if (open > 0 && !g->ended) return emit_new(g, i, oms_dec_from_raw(open), out);
  return 0;
}

static int end_all(oms_algo_group_t *g, oms_algo_out_t *out) {
  g->ended = 1;
  for (uint32_t i = 0; i < g->n; i++) {
    int rc = emit_cancel(g, i, out);
    if (rc != 0) return rc;
  }
  return 0;
}

static int reconcile(oms_algo_group_t *g, oms_algo_out_t *out) {
  if (g->ended) return end_all(g, out);
  oms_algo_member_t *m = g->m;
  int rc = 0;
  switch (g->kind) {
    case OMS_GROUP_OCO:
      /* the leg that fills works on; the other goes */
      for (uint32_t i = 0; i < 2 && rc == 0; i++) {
        if (oms_dec_is_pos(m[i].filled)) rc = emit_cancel(g, 1 - i, out);
      }
      return rc;
    case OMS_GROUP_OUO: {
      int64_t all = m[0].filled.raw + m[1].filled.raw;
      for (uint32_t i = 0; i < 2 && rc == 0; i++) {
        int64_t others = all - m[i].filled.raw;
        rc = want_total(g, i, m[i].max_qty.raw - others, out);
      }
      return rc;
    }
    case OMS_GROUP_OTO:
      if (m[0].state == OMS_MEMBER_DONE && !oms_dec_is_pos(m[0].filled)) return end_all(g, out);
      return want_total(g, 1, m[0].filled.raw, out);
    default: { /* BRACKET */
      if (m[0].state == OMS_MEMBER_DONE && !oms_dec_is_pos(m[0].filled)) return end_all(g, out);
      int64_t pos = m[0].filled.raw - m[1].filled.raw - m[2].filled.raw;
      if (pos < 0) pos = 0; /* the exits over-closed in a race: nothing left to protect */
      for (uint32_t i = 1; i < 3 && rc == 0; i++) {
        rc = want_total(g, i, m[i].filled.raw + pos, out);
      }
      if (rc == 0 && pos == 0 && m[0].state == OMS_MEMBER_DONE) {
        for (uint32_t i = 1; i < 3 && rc == 0; i++) rc = emit_cancel(g, i, out);
      }
      return rc;
    }
  }
}

int oms_algo_group_init(oms_algo_group_t *g, uint64_t group_id, oms_algo_group_kind_t kind,
                        const oms_algo_member_t *members, uint32_t n, oms_algo_out_t *out) {
  memset(g, 0, sizeof(*g));
  out->n = 0;
  out->next_wake_ns = INT64_MAX;
  uint32_t want = kind == OMS_GROUP_BRACKET ? 3 : 2;
  if (kind < OMS_GROUP_OCO || kind > OMS_GROUP_BRACKET || n != want || members == NULL) {
    return OMS_EINVAL;
  }
  for (uint32_t i = 0; i < n; i++) {
    const oms_algo_member_t *t = &members[i];
    if (!oms_dec_is_pos(t->max_qty) || (t->side != OMS_SIDE_BUY && t->side != OMS_SIDE_SELL)) {
      return OMS_EINVAL;
    }
  }
  if (kind == OMS_GROUP_OTO && oms_dec_gt(members[1].max_qty, members[0].max_qty)) {
    return OMS_EINVAL;
  }
  if (kind == OMS_GROUP_BRACKET) {
    for (uint32_t i = 1; i < 3; i++) {
      if (members[i].side == members[0].side ||
          oms_dec_gt(members[i].max_qty, members[0].max_qty)) {
        return OMS_EINVAL;
      }
    }
  }
  g->group_id = group_id;
  g->kind = (uint8_t)kind;
  g->n = (uint8_t)n;
  for (uint32_t i = 0; i < n; i++) {
    g->m[i] = members[i];
    g->m[i].state = OMS_MEMBER_HELD;
    g->m[i].cancelling = 0;
    g->m[i].qty = OMS_DEC_ZERO;
    g->m[i].filled = OMS_DEC_ZERO;
  }
  /* The first leg always goes; both legs of an OCO or OUO. */
  uint32_t live = (kind == OMS_GROUP_OCO || kind == OMS_GROUP_OUO) ? 2 : 1;
  for (uint32_t i = 0; i < live; i++) {
    int rc = emit_new(g, i, g->m[i].max_qty, out);
    if (rc != 0) return rc;
  }
  return 0;
}

int oms_algo_group_on_fill(oms_algo_group_t *g, uint32_t i, oms_dec_t qty, oms_algo_out_t *out) {
  out->n = 0;
  out->next_wake_ns = INT64_MAX;
  if (i >= g->n || !oms_dec_is_pos(qty)) return OMS_EINVAL;
  oms_algo_member_t *m = &g->m[i];
  /* a fill may follow the leg's end (the venue traded before it cancelled) */
  if (m->state == OMS_MEMBER_HELD) return OMS_ESTATE;
  if (m->filled.raw + qty.raw > m->qty.raw) return OMS_EOVERFILL;
  m->filled.raw += qty.raw;
  return reconcile(g, out);
}

int oms_algo_group_on_done(oms_algo_group_t *g, uint32_t i, oms_algo_out_t *out) {
  out->n = 0;
  out->next_wake_ns = INT64_MAX;
  if (i >= g->n) return OMS_EINVAL;
  oms_algo_member_t *m = &g->m[i];
  if (m->state != OMS_MEMBER_LIVE) return OMS_ESTATE;
  bool asked = m->cancelling;
  bool short_ = m->filled.raw < m->qty.raw;
  m->state = OMS_MEMBER_DONE;
  m->cancelling = 0;
  m->qty = m->filled; /* its unfilled rest is gone */
  /* An entry (OTO parent, bracket entry) that ends short keeps what it
   * filled protected; any other leg ending unasked ends the group. */
  bool entry = i == 0 && (g->kind == OMS_GROUP_OTO || g->kind == OMS_GROUP_BRACKET);
  if (short_ && !asked && !entry) return end_all(g, out);
  return reconcile(g, out);
}

int oms_algo_group_cancel(oms_algo_group_t *g, oms_algo_out_t *out) {
  out->n = 0;
  out->next_wake_ns = INT64_MAX;
  if (oms_algo_group_is_done(g)) return OMS_ESTATE;
  return end_all(g, out);
}

bool oms_algo_group_is_done(const oms_algo_group_t *g) {
  for (uint32_t i = 0; i < g->n; i++) {
    if (g->m[i].state != OMS_MEMBER_DONE) return false;
  }
  return true;
}
