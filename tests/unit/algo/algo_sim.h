/* algo_sim.h - a small deterministic market for the algo tests: it carries
 * out a parent's intents against a top of book and a fill model, reports
 * fills and ends back to the parent, and records every intent so that two
 * runs can be compared. */
#ifndef OMS_ALGO_SIM_H
#define OMS_ALGO_SIM_H

#include <string.h>

#include "oms/algo.h"
#include "oms/error.h"
#include "oms_test.h"

#define SIM_LOG_MAX 4096

typedef struct sim_child_s {
  uint32_t seq;
  oms_algo_intent_t in;
  oms_dec_t filled;
} sim_child_t;

typedef struct sim_s {
  oms_algo_state_t st;
  oms_algo_md_t md;
  int64_t now;
  uint64_t rng;
  /* fill model: share of a resting (DAY) child's rest filled per step, in
   * percent; IOC and market children take what the far side shows */
  int rest_fill_pct;
  sim_child_t live[64];
  int nlive;
  oms_algo_intent_t log[SIM_LOG_MAX];
  int nlog;
  int64_t wake;
  oms_dec_t max_open; /* the most the parent ever had open */
} sim_t;

static inline uint64_t sim_rand(sim_t *s) {
  s->rng ^= s->rng << 13;
  s->rng ^= s->rng >> 7;
  s->rng ^= s->rng << 17;
  return s->rng;
}

static inline void sim_remove(sim_t *s, int i) { s->live[i] = s->live[--s->nlive]; }

static inline int sim_find(sim_t *s, uint32_t seq) {
  for (int i = 0; i < s->nlive; i++) {
    if (s->live[i].seq == seq) return i;
  }
  return -1;
}

static inline int sim_fill(sim_t *s, int i, oms_dec_t q, oms_dec_t px) {
  if (q.raw <= 0) return 0;
  s->live[i].filled.raw += q.raw;
  int rc = oms_algo_on_child_fill(&s->st, s->live[i].seq, q, px);
  s->md.cum_volume.raw += q.raw; /* our own trades are market volume too */
  return rc;
}

/* Carries out out's intents: IOC/market children trade now against the far
 * side and end; cancels end the child at once. */
static inline int sim_apply(sim_t *s, const oms_algo_out_t *out) {
  for (uint32_t k = 0; k < out->n; k++) {
    const oms_algo_intent_t *in = &out->intent[k];
    if (s->nlog < SIM_LOG_MAX) s->log[s->nlog++] = *in;
    if (in->kind == OMS_INTENT_CANCEL) {
      int i = sim_find(s, in->child_seq);
      if (i < 0) return OMS_ENOTFOUND;
      sim_remove(s, i);
      int rc = oms_algo_on_child_done(&s->st, in->child_seq);
      if (rc != 0) return rc;
      continue;
    }
    if (in->kind != OMS_INTENT_NEW) continue;
    sim_child_t c = {.seq = in->child_seq, .in = *in};
    s->live[s->nlive++] = c;
    if (s->st.open.raw > s->max_open.raw) s->max_open = s->st.open;
    if (in->tif == OMS_TIF_IOC) {
      int i = s->nlive - 1;
      bool buy = in->side == OMS_SIDE_BUY;
      oms_dec_t far = buy ? s->md.ask : s->md.bid, fq = buy ? s->md.ask_qty : s->md.bid_qty;
      bool ok = in->type == OMS_ORD_MARKET ||
                (buy ? oms_dec_le(far, in->price) : oms_dec_ge(far, in->price));
      if (ok && oms_dec_is_pos(far)) {
        int rc = sim_fill(s, i, oms_dec_min(fq, in->qty), far);
        if (rc != 0) return rc;
      }
      sim_remove(s, i);
      int rc = oms_algo_on_child_done(&s->st, in->child_seq);
      if (rc != 0) return rc;
    }
  }
  return 0;
}

/* Resting children fill rest_fill_pct of their rest (in whole lots). */
static inline int sim_rest_fills(sim_t *s) {
  for (int i = 0; i < s->nlive; i++) {
    sim_child_t *c = &s->live[i];
    int64_t rest = c->in.qty.raw - c->filled.raw;
    int64_t q = rest * s->rest_fill_pct / 100;
    q -= q % s->st.lot.raw;
    if (q <= 0 && rest > 0 && s->rest_fill_pct > 0) q = rest < s->st.lot.raw ? rest : s->st.lot.raw;
    int rc = sim_fill(s, i, oms_dec_from_raw(q), c->in.price.raw ? c->in.price : s->md.last_px);
    if (rc != 0) return rc;
    if (c->filled.raw == c->in.qty.raw) {
      uint32_t seq = c->seq;
      sim_remove(s, i--);
      rc = oms_algo_on_child_done(&s->st, seq);
      if (rc != 0) return rc;
    }
  }
  return 0;
}

static inline int sim_step(sim_t *s) {
  oms_algo_out_t out;
  int rc = oms_algo_step(&s->st, s->now, &s->md, &out);
  if (rc != 0) return rc;
  s->wake = out.next_wake_ns;
  return sim_apply(s, &out);
}

static inline void sim_book(sim_t *s, const char *bid, const char *bq, const char *ask,
                            const char *aq) {
  s->md.bid = T_D(bid);
  s->md.bid_qty = T_D(bq);
  s->md.ask = T_D(ask);
  s->md.ask_qty = T_D(aq);
  if (!oms_dec_is_pos(s->md.last_px)) s->md.last_px = s->md.bid;
}

#endif /* OMS_ALGO_SIM_H */
