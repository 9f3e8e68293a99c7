/*
 * engine_risk.c - the core's adapter to the risk engine (see engine_risk.h):
 * the one place that knows how src/risk wants to be called.
 */
#include "engine/engine_risk.h"

#include <string.h>

#include "oms/error.h"
#include "oms/portfolio.h"
#include "oms/risk.h"

static void copy_result(const oms_risk_result_t *res, oms_reject_t *rej, char *check,
                        size_t check_cap) {
  *rej = res->reject;
  size_t n = res->check ? strlen(res->check) : 0;
  if (n >= check_cap) n = check_cap - 1;
  if (n) memcpy(check, res->check, n);
  check[n] = '\0';
}

oms_reason_t oms__risk_check_new(oms_risk_t *risk, const oms_order_t *o, int64_t now_ns,
                                 oms_reject_t *rej, char *check, size_t check_cap) {
  if (risk == NULL) return OMS_R_NONE;
  oms_risk_result_t res;
  if (oms_risk_check_new(risk, o, now_ns, &res)) return OMS_R_NONE;
  copy_result(&res, rej, check, check_cap);
  return rej->code;
}

/* A child's check: checked, never opened (see oms__risk_order_opened). */
static __attribute__((noinline)) int check_child(oms_risk_t *risk, const oms_order_t *o,
                                                 int64_t now_ns, oms_reject_t *rej, char *check,
                                                 size_t check_cap) {
  return oms__risk_check_new(risk, o, now_ns, rej, check, check_cap) == OMS_R_NONE ? 0
                                                                                   : OMS_EREJECTED;
}

/* The result of oms_risk_check_open and where a refusal goes: kept beside
 * it in the frame across the call, rather than in registers saved and
 * restored for a refusal's sake. */
typedef struct open_frame_s {
  oms_risk_result_t res;
  oms_reject_t *rej;
  char *check;
  size_t check_cap;
} open_frame_t;

static __attribute__((noinline, cold)) void refused(const open_frame_t *f) {
  copy_result(&f->res, f->rej, f->check, f->check_cap);
}

int oms__risk_check_open(oms_risk_t *risk, const oms_order_t *o, int64_t now_ns, oms_reject_t *rej,
                         char *check, size_t check_cap) {
  if (risk == NULL) return 0;
  if (o->parent_order_id != 0) return check_child(risk, o, now_ns, rej, check, check_cap);
  open_frame_t f;
  f.rej = rej;
  f.check = check;
  f.check_cap = check_cap;
  int rc = oms_risk_check_open(risk, o, now_ns, &f.res);
  if (__builtin_expect(rc == OMS_EREJECTED, 0)) refused(&f);
  return rc;
}

oms_reason_t oms__risk_check_modify(oms_risk_t *risk, const oms_order_t *cur,
                                    const oms_order_t *would, int64_t now_ns, oms_reject_t *rej,
                                    char *check, size_t check_cap) {
  if (risk == NULL) return OMS_R_NONE;
  oms_risk_result_t res;
  if (oms_risk_check_modify(risk, cur, would, now_ns, &res)) return OMS_R_NONE;
  copy_result(&res, rej, check, check_cap);
  return rej->code;
}

oms_reason_t oms__risk_check_cancel(oms_risk_t *risk, const oms_order_t *o, int64_t now_ns,
                                    oms_reject_t *rej) {
  if (risk == NULL) return OMS_R_NONE;
  oms_risk_result_t res;
  if (oms_risk_check_cancel(risk, o, now_ns, &res)) return OMS_R_NONE;
  *rej = res.reject;
  return rej->code;
}

/* A child's exposure is its parent's, reserved once for the parent's whole
 * size and released as the parent fills: children stay out of the
 * aggregates. */
int oms__risk_order_opened(oms_risk_t *risk, const oms_order_t *o) {
  return risk == NULL || o->parent_order_id != 0 ? 0 : oms_risk_order_opened(risk, o);
}

void oms__risk_order_changed(oms_risk_t *risk, const oms_order_t *before, const oms_order_t *after,
                             int64_t now_ns) {
  (void)now_ns;
  if (risk != NULL && after->parent_order_id == 0) oms_risk_order_changed(risk, before, after);
}

void oms__risk_after_fill(oms_risk_t *risk, const char *account, int64_t now_ns) {
  if (risk != NULL) oms_risk_evaluate_account(risk, account, now_ns);
}

void oms__risk_position_changed(oms_risk_t *risk, const char *account, const char *symbol) {
  if (risk != NULL) (void)oms_risk_position_changed(risk, account, symbol);
}

void oms__risk_prices_recovered(oms_risk_t *risk, oms_portfolio_t *pf, const oms_instrument_t *ins,
                                uint32_t n) {
  if (risk == NULL || pf == NULL) return;
  for (uint32_t i = 0; i < n; i++) {
    oms_pf_instrument_t pi;
    if (oms_portfolio_instrument(pf, ins[i].symbol, &pi) == 0 && oms_dec_is_pos(pi.mark_px))
      (void)oms_risk_restore_reference_price(risk, ins[i].symbol, pi.mark_px, pi.mark_ns);
  }
}

void oms__risk_market_data(oms_risk_t *risk, const oms_market_data_t *md) {
  if (risk == NULL) return;
  oms_dec_t px = md->last_px;
  if (oms_dec_is_pos(md->bid) && oms_dec_is_pos(md->ask)) {
    oms_dec_t sum;
    if (oms_dec_add(md->bid, md->ask, &sum) == 0)
      oms_dec_div(sum, oms_dec_from_raw(2 * OMS_DEC_SCALE), OMS_ROUND_HALF_EVEN, &px);
  }
  if (oms_dec_is_pos(px)) oms_risk_set_reference_price(risk, md->symbol, px, md->ts_ns);
}
