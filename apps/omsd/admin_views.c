/*
 * admin_views.c - the admin API's views of the core: GET /v1/positions,
 * GET /v1/risk, PUT /v1/risk/limits, GET /v1/risk/limits/changes,
 * GET /v1/risk/var and /v1/risk/stress (the market risk model, model.c),
 * GET /v1/sessions and GET /metrics.
 *
 * HOW IT WORKS
 * Positions, risk, sessions and the metric gauges live in components only
 * the core thread may touch, so each view is a command (omsd_admin_call):
 * its run() walks the component on the core thread and copies what the
 * view shows into plain C arrays in the command (bounded: one entry per
 * account, strategy, position, limit scope, session or venue, all sized by
 * the configuration); the HTTP thread then renders the JSON. Nothing here
 * is on the order path.
 *
 * A limit change (PUT /v1/risk/limits, admin role) is checked on the HTTP
 * thread as the configuration would check it (limits_log.c: the field at
 * fault is named, 400 BAD_FIELD, nothing changes), then, holding the
 * limits log's change mutex so that changes follow one another:
 *   1. prepare (core): a copy of the limits in force with the change, and
 *      the scope's fields before and after;
 *   2. store (core): the change's line is appended to the store
 *      (oms_store_limit_append: a LIMITS record of the journal), and the
 *      HTTP thread waits for its ticket to be durable (the core never
 *      waits for a disk);
 *   3. install (core): oms_risk_set_limits swaps the copy in whole.
 * So a change that is in force is stored, and at start wire.c applies the
 * stored changes over the configuration before recovery.
 */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "limits_log.h"
#include "metrics.h"
#include "oms/fix_session.h"
#include "oms/fix_venue.h"
#include "oms/riskmodel.h"
#include "oms/stream.h"

/* A growing array in a command, filled on the core thread. */
#define VEC(T)     \
  struct {         \
    T *v;          \
    size_t n, cap; \
  }

static bool vec_grow(void **v, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return true;
  size_t c = *cap ? *cap * 2 : 16;
  void *p = realloc(*v, c * size);
  if (p == NULL) return false;
  *v = p;
  *cap = c;
  return true;
}
#define VEC_PUSH(vec) \
  (vec_grow((void **)&(vec).v, &(vec).cap, (vec).n, sizeof *(vec).v) ? &(vec).v[(vec).n++] : NULL)

static json_t *dec_json(oms_dec_t d) {
  char buf[OMS_DEC_STRLEN];
  oms_dec_format(d, buf, sizeof buf);
  return json_string(buf);
}

/* Runs c on the core thread; false with rs set when the core did not answer. */
static bool call_core(omsd_admin_t *a, omsd_cmd_t *c, omsd_http_resp_t *rs) {
  if (omsd_admin_call(a, c) == 0) return true;
  omsd_http_fail(rs, OMSD_E_CORE_TIMEOUT, "the core did not answer in time");
  return false;
}

/* ---- GET /v1/positions ----------------------------------------------------------- */

typedef struct pos_row_s {
  char account[OMS_ID_MAX + 1], symbol[OMS_SYMBOL_MAX + 1];
  oms_pf_position_t p;
} pos_row_t;

typedef struct acct_row_s {
  char account[OMS_ID_MAX + 1];
  oms_pf_account_t a;
} acct_row_t;

typedef struct positions_cmd_s {
  omsd_cmd_t c;
  char account[OMS_ID_MAX + 1]; /* "" all */
  VEC(pos_row_t) pos;
  VEC(acct_row_t) accts;
  bool oom;
} positions_cmd_t;

static int pos_cb(void *ctx, const char *account, const char *symbol, const oms_pf_position_t *p) {
  positions_cmd_t *k = ctx;
  pos_row_t *r = VEC_PUSH(k->pos);
  if (r == NULL) return k->oom = true;
  snprintf(r->account, sizeof r->account, "%s", account);
  snprintf(r->symbol, sizeof r->symbol, "%s", symbol);
  r->p = *p;
  return 0;
}

static int acct_cb(void *ctx, const char *account, const oms_pf_account_t *a) {
  positions_cmd_t *k = ctx;
  if (k->account[0] != '\0' && strcmp(k->account, account) != 0) return 0;
  acct_row_t *r = VEC_PUSH(k->accts);
  if (r == NULL) return k->oom = true;
  snprintf(r->account, sizeof r->account, "%s", account);
  r->a = *a;
  return 0;
}

static void positions_run(omsd_t *d, omsd_cmd_t *c) {
  positions_cmd_t *k = (positions_cmd_t *)c;
  oms_portfolio_each_position(d->pf, k->account[0] ? k->account : NULL, pos_cb, k);
  oms_portfolio_each_account(d->pf, omsd_now_ns(), acct_cb, k);
}

static void positions_free(positions_cmd_t *k) {
  free(k->pos.v);
  free(k->accts.v);
  free(k);
}

static void positions_dispose(omsd_cmd_t *c) { positions_free((positions_cmd_t *)c); }

void omsd_route_positions(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  const char *acct = omsd_http_query(rq, "account");
  if (acct != NULL && (acct[0] == '\0' || strlen(acct) > OMS_ID_MAX)) {
    omsd_http_fail(rs, OMSD_E_BAD_QUERY, "account must be an account id");
    return;
  }
  positions_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  k->c.run = positions_run;
  k->c.dispose = positions_dispose;
  if (acct != NULL) snprintf(k->account, sizeof k->account, "%s", acct);
  if (!call_core(a, &k->c, rs)) return;
  if (k->oom) {
    positions_free(k);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  json_t *pos = json_array(), *accts = json_array();
  for (size_t i = 0; i < k->pos.n; i++) {
    const pos_row_t *r = &k->pos.v[i];
    json_array_append_new(
        pos, json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "account", r->account, "symbol",
                       r->symbol, "qty", dec_json(r->p.qty), "avg_px", dec_json(r->p.avg_px),
                       "mark_px", dec_json(r->p.ins.mark_px), "realized_pnl",
                       dec_json(r->p.realized_pnl), "unrealized_pnl", dec_json(r->p.unrealized_pnl),
                       "fees", dec_json(r->p.fees), "exposure", dec_json(r->p.exposure)));
  }
  for (size_t i = 0; i < k->accts.n; i++) {
    const acct_row_t *r = &k->accts.v[i];
    json_array_append_new(
        accts,
        json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "account", r->account, "cash",
                  dec_json(r->a.cash), "equity", dec_json(r->a.equity), "realized_pnl",
                  dec_json(r->a.realized_pnl), "unrealized_pnl", dec_json(r->a.unrealized_pnl),
                  "fees", dec_json(r->a.fees), "daily_pnl", dec_json(r->a.daily_pnl),
                  "gross_exposure", dec_json(r->a.gross_exposure), "margin_used",
                  dec_json(r->a.margin_used), "leverage", dec_json(r->a.leverage)));
  }
  positions_free(k);
  rs->status = 200;
  rs->json = json_pack("{s:o,s:o}", "positions", pos, "accounts", accts);
}

/* ---- GET /v1/risk ---------------------------------------------------------------- */

typedef struct state_row_s {
  oms_risk_scope_t scope;
  char id[OMS_ID_MAX + 1];
  oms_trading_state_t state;
} state_row_t;

typedef struct limit_row_s {
  oms_risk_scope_t scope;
  char id[OMS_ID_MAX + 1];
  oms_risk_limit_t v;
} limit_row_t;

typedef struct usage_row_s {
  oms_risk_scope_t scope; /* ACCOUNT or STRATEGY */
  char id[OMS_ID_MAX + 1];
  uint32_t open_orders;
  oms_dec_t open_notional, open_margin, daily_pnl, equity;
  bool has_pf;
  oms_risk_limit_t limits; /* resolved for the scope */
} usage_row_t;

typedef struct risk_cmd_s {
  omsd_cmd_t c;
  VEC(state_row_t) states;
  VEC(limit_row_t) limits;
  VEC(usage_row_t) usage;
  bool oom;
} risk_cmd_t;

static int state_cb(void *ctx, oms_risk_scope_t scope, const char *id, oms_trading_state_t st) {
  risk_cmd_t *k = ctx;
  state_row_t *r = VEC_PUSH(k->states);
  if (r == NULL) return k->oom = true;
  r->scope = scope;
  snprintf(r->id, sizeof r->id, "%s", id);
  r->state = st;
  return 0;
}

static int limit_cb(void *ctx, oms_risk_scope_t scope, const char *id, const oms_risk_limit_t *v) {
  risk_cmd_t *k = ctx;
  limit_row_t *r = VEC_PUSH(k->limits);
  if (r == NULL) return k->oom = true;
  r->scope = scope;
  snprintf(r->id, sizeof r->id, "%s", id);
  r->v = *v;
  return 0;
}

static bool have_usage(const risk_cmd_t *k, oms_risk_scope_t scope, const char *id) {
  for (size_t i = 0; i < k->usage.n; i++)
    if (k->usage.v[i].scope == scope && strcmp(k->usage.v[i].id, id) == 0) return true;
  return false;
}

static void add_usage(omsd_t *d, risk_cmd_t *k, oms_risk_scope_t scope, const char *id,
                      int64_t now) {
  if (have_usage(k, scope, id)) return;
  usage_row_t *u = VEC_PUSH(k->usage);
  if (u == NULL) {
    k->oom = true;
    return;
  }
  memset(u, 0, sizeof *u);
  u->scope = scope;
  snprintf(u->id, sizeof u->id, "%s", id);
  oms_risk_aggr_t ag;
  oms_risk_eff_limits_t eff;
  const oms_risk_limits_t *lim = oms_risk_current_limits(d->risk);
  if (scope == OMS_RISK_SCOPE_ACCOUNT) {
    oms_risk_aggregates(d->risk, id, NULL, NULL, &ag);
    u->open_orders = ag.account_open_orders;
    u->open_notional = ag.account_open_notional;
    u->open_margin = ag.account_open_margin;
    oms_pf_account_t pa;
    if (oms_portfolio_account(d->pf, id, now, &pa) == 0) {
      u->has_pf = true;
      u->daily_pnl = pa.daily_pnl;
      u->equity = pa.equity;
    }
    oms_risk_limits_resolve(lim, id, NULL, NULL, &eff);
  } else {
    oms_risk_aggregates(d->risk, NULL, id, NULL, &ag);
    u->open_orders = ag.strategy_open_orders;
    oms_risk_limits_resolve(lim, NULL, id, NULL, &eff);
  }
  u->limits = eff.v;
}

static int pf_acct_cb(void *ctx, const char *account, const oms_pf_account_t *a) {
  (void)a;
  void **pair = ctx;
  add_usage(pair[0], pair[1], OMS_RISK_SCOPE_ACCOUNT, account, *(int64_t *)pair[2]);
  return 0;
}

static void risk_run(omsd_t *d, omsd_cmd_t *c) {
  risk_cmd_t *k = (risk_cmd_t *)c;
  int64_t now = omsd_now_ns();
  oms_risk_each_state(d->risk, state_cb, k);
  const oms_risk_limits_t *lim = oms_risk_current_limits(d->risk);
  if (lim != NULL) oms_risk_limits_each(lim, limit_cb, k);
  /* Usage of every account (the portfolio's and the risk engine's) and
   * every strategy the risk engine knows. */
  void *pair[3] = {d, k, &now};
  oms_portfolio_each_account(d->pf, now, pf_acct_cb, pair);
  for (size_t i = 0; i < k->states.n; i++)
    if (k->states.v[i].scope != OMS_RISK_SCOPE_GLOBAL)
      add_usage(d, k, k->states.v[i].scope, k->states.v[i].id, now);
}

static void risk_free(risk_cmd_t *k) {
  free(k->states.v);
  free(k->limits.v);
  free(k->usage.v);
  free(k);
}

static void risk_dispose(omsd_cmd_t *c) { risk_free((risk_cmd_t *)c); }

/* The recorded changes, oldest first. */
static json_t *changes_json(omsd_t *d) {
  json_t *arr = json_array();
  omsd_limits_log_t *lg = d->limits_log;
  if (lg == NULL) return arr;
  pthread_mutex_lock(&lg->mu);
  for (size_t i = 0; i < lg->n; i++)
    json_array_append_new(arr, omsd_limit_change_to_json(&lg->changes[i]));
  pthread_mutex_unlock(&lg->mu);
  return arr;
}

static json_t *scoped_limits(oms_risk_scope_t scope, const char *id, const oms_risk_limit_t *v) {
  json_t *o = omsd_limit_to_json(v);
  json_t *r = json_pack("{s:s,s:s}", "scope", omsd_scope_name(scope), "id", id);
  json_object_update(r, o);
  json_decref(o);
  return r;
}

void omsd_route_risk(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  (void)rq;
  risk_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  k->c.run = risk_run;
  k->c.dispose = risk_dispose;
  if (!call_core(a, &k->c, rs)) return;
  if (k->oom) {
    risk_free(k);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  json_t *states = json_array(), *limits = json_array(), *usage = json_array();
  for (size_t i = 0; i < k->states.n; i++) {
    const state_row_t *r = &k->states.v[i];
    json_array_append_new(states, json_pack("{s:s,s:s,s:s}", "scope", omsd_scope_name(r->scope),
                                            "id", r->id, "state", oms_trading_state_str(r->state)));
  }
  for (size_t i = 0; i < k->limits.n; i++)
    json_array_append_new(
        limits, scoped_limits(k->limits.v[i].scope, k->limits.v[i].id, &k->limits.v[i].v));
  for (size_t i = 0; i < k->usage.n; i++) {
    const usage_row_t *u = &k->usage.v[i];
    json_t *o =
        json_pack("{s:s,s:s,s:i,s:o}", "scope", omsd_scope_name(u->scope), "id", u->id,
                  "open_orders", (int)u->open_orders, "limits", omsd_limit_to_json(&u->limits));
    if (u->scope == OMS_RISK_SCOPE_ACCOUNT) {
      json_object_set_new(o, "open_notional", dec_json(u->open_notional));
      json_object_set_new(o, "open_margin", dec_json(u->open_margin));
      if (u->has_pf) {
        json_object_set_new(o, "daily_pnl", dec_json(u->daily_pnl));
        json_object_set_new(o, "equity", dec_json(u->equity));
      }
    }
    json_array_append_new(usage, o);
  }
  risk_free(k);
  rs->status = 200;
  rs->json = json_pack("{s:o,s:o,s:o,s:o}", "trading_states", states, "limits", limits, "usage",
                       usage, "changes", changes_json(omsd_admin_daemon(a)));
}

void omsd_route_limits_changes(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  (void)rq;
  rs->status = 200;
  rs->json = json_pack("{s:o}", "changes", changes_json(omsd_admin_daemon(a)));
}

/* ---- GET /v1/risk/var and /v1/risk/stress ------------------------------------------ */

typedef struct model_cmd_s {
  omsd_cmd_t c;
  omsd_model_snap_t s;
} model_cmd_t;

static void model_run(omsd_t *d, omsd_cmd_t *c) { omsd_model_snapshot(d, &((model_cmd_t *)c)->s); }

/* A risk number as a decimal string rounded up (never understated), or null. */
static json_t *risk_num(double v) {
  oms_dec_t d;
  return oms_riskmodel_dec_out(v, &d) == 0 ? dec_json(d) : json_null();
}

static model_cmd_t *model_call(omsd_admin_t *a, omsd_http_resp_t *rs) {
  model_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return NULL;
  }
  k->c.run = model_run;
  if (!call_core(a, &k->c, rs)) return NULL;
  if (!k->s.has_model) {
    free(k);
    omsd_http_fail(rs, OMSD_E_CONFLICT, "no risk model: the configuration has no riskmodel group");
    return NULL;
  }
  return k;
}

static json_t *model_json(const omsd_model_snap_t *s) {
  return json_pack("{s:i,s:I,s:I,s:f,s:f,s:f}", "instruments", (int)s->instruments, "samples",
                   (json_int_t)s->samples, "last_sample_ns", (json_int_t)s->sample_ns, "lambda",
                   s->lambda, "confidence", s->confidence, "horizon_days", s->horizon_days);
}

void omsd_route_risk_var(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  (void)rq;
  model_cmd_t *k = model_call(a, rs);
  if (k == NULL) return;
  const omsd_model_snap_t *s = &k->s;
  json_t *accts = json_array();
  for (size_t i = 1; i < s->nrows; i++)
    json_array_append_new(accts,
                          json_pack("{s:s,s:o,s:o}", "account", s->rows[i].account, "var",
                                    risk_num(s->rows[i].var), "hvar", risk_num(s->rows[i].hvar)));
  rs->status = 200;
  rs->json =
      json_pack("{s:o,s:{s:o,s:o},s:o}", "model", model_json(s), "firm", "var",
                risk_num(s->rows[0].var), "hvar", risk_num(s->rows[0].hvar), "accounts", accts);
  free(k);
}

static json_t *stress_row(const omsd_model_snap_t *s, const omsd_model_row_t *r) {
  json_t *pnl = json_object();
  for (uint32_t j = 0; j < s->nscen; j++) {
    /* a P&L, signed: a loss rounds down (more negative), a gain up */
    oms_dec_t d;
    double v = r->pnl[j];
    json_t *x = json_null();
    if (oms_riskmodel_dec_out(-v, &d) == 0) {
      d.raw = -d.raw;
      x = dec_json(d);
    }
    json_object_set_new(pnl, s->scen[j], x);
  }
  json_t *o = json_pack("{s:o,s:o}", "worst_loss", risk_num(r->stress_loss), "pnl", pnl);
  json_object_set_new(o, "worst_scenario",
                      r->worst >= 0 ? json_string(s->scen[r->worst]) : json_null());
  return o;
}

void omsd_route_risk_stress(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  (void)rq;
  model_cmd_t *k = model_call(a, rs);
  if (k == NULL) return;
  const omsd_model_snap_t *s = &k->s;
  json_t *names = json_array(), *accts = json_array();
  for (uint32_t j = 0; j < s->nscen; j++) json_array_append_new(names, json_string(s->scen[j]));
  for (size_t i = 1; i < s->nrows; i++) {
    json_t *o = stress_row(s, &s->rows[i]);
    json_object_set_new(o, "account", json_string(s->rows[i].account));
    json_array_append_new(accts, o);
  }
  rs->status = 200;
  rs->json = json_pack("{s:o,s:o,s:o}", "scenarios", names, "firm", stress_row(s, &s->rows[0]),
                       "accounts", accts);
  free(k);
}

/* ---- PUT /v1/risk/limits ------------------------------------------------------------ */

typedef enum limits_step_e { L_PREPARE, L_STORE, L_INSTALL } limits_step_t;

typedef struct limits_cmd_s {
  omsd_cmd_t c;
  limits_step_t step;
  oms_risk_scope_t scope;
  char id[OMS_ID_MAX + 1];
  oms_risk_limit_t set;
  oms_risk_limits_t *next; /* prepare: the copy with the change; install: handed to risk */
  oms_risk_limit_t old_v, new_v;
  omsd_limit_change_t ch; /* store: the change (a copy: the core may run it late) */
  char *line;             /* ... as its line */
  uint64_t ticket;        /* store: the store's ticket for it */
  int rc;
  oms_reject_t err;
} limits_cmd_t;

static void limits_run(omsd_t *d, omsd_cmd_t *c) {
  limits_cmd_t *k = (limits_cmd_t *)c;
  if (k->step == L_STORE) {
    /* The core thread appends, like every other record of the store. */
    k->rc = d->store == NULL ? OMS_ESTORE
                             : oms_store_limit_append(d->store, k->ch.seq, k->ch.at_ns, k->ch.who,
                                                      k->line, strlen(k->line), &k->ticket);
    return;
  }
  if (k->step == L_INSTALL) {
    k->rc = oms_risk_set_limits(d->risk, k->next, &k->err);
    if (k->rc == 0) k->next = NULL; /* the risk engine owns it */
    return;
  }
  const oms_risk_limits_t *cur = oms_risk_current_limits(d->risk);
  k->rc = cur != NULL ? oms_risk_limits_clone(cur, &k->next) : oms_risk_limits_create(&k->next);
  if (k->rc != 0) return;
  omsd_limit_effective(k->next, k->scope, k->id, k->set.set, &k->old_v);
  k->rc = oms_risk_limits_set(k->next, k->scope, k->id, &k->set, &k->err);
  if (k->rc == 0) omsd_limit_effective(k->next, k->scope, k->id, k->set.set, &k->new_v);
}

/* Nobody waits any more: the prepared copy, if the risk engine did not take it. */
static void limits_dispose(omsd_cmd_t *c) {
  limits_cmd_t *k = (limits_cmd_t *)c;
  oms_risk_limits_destroy(k->next);
  free(k->line);
  free(k);
}

static const char *const put_fields[] = {"scope", "id", "limits", "reason", NULL};

/* Reads and checks the body; false with rs set. */
static bool read_change(omsd_t *d, const omsd_http_req_t *rq, omsd_http_resp_t *rs,
                        omsd_limit_change_t *ch) {
  json_t *body = omsd_http_body_object(rq, rs, false);
  if (body == NULL) return false;
  bool ok = false;
  memset(ch, 0, sizeof *ch);
  if (!omsd_http_only_fields(body, put_fields, rs)) goto out;
  json_t *scope = json_object_get(body, "scope"), *id = json_object_get(body, "id"),
         *limits = json_object_get(body, "limits"), *reason = json_object_get(body, "reason");
  if (scope == NULL) {
    omsd_http_fail(rs, OMSD_E_MISSING_FIELD,
                   "scope is required (GLOBAL, ACCOUNT, STRATEGY, SYMBOL)");
    goto out;
  }
  int sc = omsd_limit_scope_parse(json_string_value(scope));
  if (sc < 0) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD, "scope must be GLOBAL, ACCOUNT, STRATEGY or SYMBOL");
    goto out;
  }
  ch->scope = (oms_risk_scope_t)sc;
  if (id != NULL && !json_is_string(id)) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD, "id must be a string");
    goto out;
  }
  const char *ids = id != NULL ? json_string_value(id) : "";
  if (ch->scope == OMS_RISK_SCOPE_GLOBAL) {
    if (ids[0] != '\0') {
      omsd_http_fail(rs, OMSD_E_BAD_FIELD, "id must be absent or empty for GLOBAL");
      goto out;
    }
  } else if (ids[0] == '\0') {
    omsd_http_fail(rs, OMSD_E_MISSING_FIELD, "id is required for %s", omsd_scope_name(ch->scope));
    goto out;
  } else if (!oms_id_valid(ids, ch->scope == OMS_RISK_SCOPE_SYMBOL ? OMS_SYMBOL_MAX : OMS_ID_MAX)) {
    omsd_http_fail(rs, OMSD_E_BAD_FIELD, "id \"%s\" is not a valid id", ids);
    goto out;
  }
  snprintf(ch->id, sizeof ch->id, "%s", ids);
  if (reason != NULL) {
    const char *r = json_string_value(reason);
    if (r == NULL || strlen(r) > OMSD_LIMIT_REASON_MAX) {
      omsd_http_fail(rs, OMSD_E_BAD_FIELD, "reason must be a string of at most %d bytes",
                     OMSD_LIMIT_REASON_MAX);
      goto out;
    }
    snprintf(ch->reason, sizeof ch->reason, "%s", r);
  }
  if (limits == NULL) {
    omsd_http_fail(rs, OMSD_E_MISSING_FIELD,
                   "limits is required, e.g. {\"max_order_qty\":\"500\"}");
    goto out;
  }
  char field[64], why[256];
  const char *code = omsd_limit_from_json(limits, &ch->set, field, sizeof field, why, sizeof why);
  if (code == NULL)
    code = omsd_limit_change_check(d->cfg, ch->scope, ch->id, &ch->set, field, sizeof field, why,
                                   sizeof why);
  if (code != NULL) {
    omsd_http_err_t e = strcmp(code, "UNKNOWN_FIELD") == 0 ? OMSD_E_UNKNOWN_FIELD
                        : strcmp(code, "BAD_DECIMAL") == 0 ? OMSD_E_BAD_DECIMAL
                        : strcmp(code, "INTERNAL") == 0    ? OMSD_E_INTERNAL
                                                           : OMSD_E_BAD_FIELD;
    json_t *err = omsd_http_fail(rs, e, "%s", why);
    if (err != NULL) json_object_set_new(err, "field", json_string(field));
    goto out;
  }
  snprintf(ch->who, sizeof ch->who, "%s", rq->who != NULL && rq->who->name ? rq->who->name : "");
  ok = true;
out:
  json_decref(body);
  return ok;
}

/* How long a change waits to be durable (fsync mode: a sync or two). */
#define LIMIT_DURABLE_NS INT64_C(5000000000)

void omsd_route_limits_put(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  omsd_t *d = omsd_admin_daemon(a);
  omsd_limit_change_t ch;
  if (!read_change(d, rq, rs, &ch)) return;
  omsd_limits_log_t *lg = d->limits_log;
  if (lg == NULL || d->store == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "no store for limit changes");
    return;
  }
  pthread_mutex_lock(&lg->change_mu);
  limits_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    pthread_mutex_unlock(&lg->change_mu);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  k->c.run = limits_run;
  k->c.dispose = limits_dispose;
  k->scope = ch.scope;
  snprintf(k->id, sizeof k->id, "%s", ch.id);
  k->set = ch.set;
  if (!call_core(a, &k->c, rs)) goto unlock;
  if (k->rc != 0) {
    json_t *err = omsd_http_fail(rs, OMSD_E_BAD_FIELD, "%s",
                                 k->err.text[0] ? k->err.text : "the limits cannot be changed");
    if (err != NULL) json_object_set_new(err, "field", json_string("limits"));
    goto done;
  }
  ch.old_v = k->old_v;
  ch.new_v = k->new_v;
  ch.at_ns = omsd_now_ns();
  ch.seq = omsd_limits_log_next_seq(lg);
  /* Write-ahead: stored and durable before it takes effect, so an operator
   * is told only what a restart keeps. */
  k->line = omsd_limit_change_line(&ch);
  if (k->line == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    goto done;
  }
  k->ch = ch;
  k->step = L_STORE;
  k->c.done = 0;
  if (!call_core(a, &k->c, rs)) goto unlock; /* it may still be stored: then in force at restart */
  int rc = k->rc != 0 ? k->rc : oms_store_wait(d->store, k->ticket, LIMIT_DURABLE_NS);
  if (rc != 0) {
    LOG_ERROR("component=admin msg=\"a limit change could not be stored\" seq=%llu error=%s",
              (unsigned long long)ch.seq, oms_err_name(rc));
    omsd_http_fail(rs, OMSD_E_INTERNAL, "the change could not be recorded (%s): nothing changed",
                   oms_err_name(rc));
    goto done;
  }
  k->step = L_INSTALL;
  k->c.done = 0;
  if (!call_core(a, &k->c, rs)) goto unlock; /* it still runs: recorded, in force soon */
  if (k->rc != 0) {
    LOG_ERROR(
        "component=admin msg=\"a recorded limit change was refused at install\" seq=%llu "
        "detail=\"%s\"",
        (unsigned long long)ch.seq, k->err.text);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "recorded but refused at install: %s", k->err.text);
    goto done;
  }
  (void)omsd_limits_log_add(lg, &ch);
  LOG_INFO("component=admin msg=\"risk limits changed\" seq=%llu who=%s scope=%s id=%s",
           (unsigned long long)ch.seq, ch.who, omsd_scope_name(ch.scope), ch.id);
  rs->status = 200;
  rs->json = json_pack("{s:o}", "change", omsd_limit_change_to_json(&ch));
done:
  oms_risk_limits_destroy(k->next);
  free(k->line);
  free(k);
unlock:
  pthread_mutex_unlock(&lg->change_mu);
}

/* ---- GET /v1/sessions ------------------------------------------------------------------ */

typedef struct venue_row_s {
  char name[OMS_VENUE_MAX + 1];
  bool is_fix, connected, reconciled, has_session;
  uint32_t inflight, queue_depth;
  oms_gateway_session_info_t s; /* FIX venues: the venue's session */
} venue_row_t;

typedef struct sessions_cmd_s {
  omsd_cmd_t c;
  VEC(oms_gateway_session_info_t) clients;
  VEC(venue_row_t) venues;
  bool has_stream; /* the event stream to NATS is configured */
  oms_stream_stats_t stream;
  uint64_t last_seq; /* the last stored event's seq: the stream's lag */
  bool oom;
} sessions_cmd_t;

static void sessions_run(omsd_t *d, omsd_cmd_t *c) {
  sessions_cmd_t *k = (sessions_cmd_t *)c;
  if (d->stream != NULL) {
    k->has_stream = true;
    oms_stream_stats(d->stream, &k->stream);
    oms_engine_stats_t es;
    oms_engine_stats(d->engine, &es);
    k->last_seq = es.next_event_seq > 0 ? es.next_event_seq - 1 : 0;
  }
  size_t n = d->gw != NULL ? oms_gateway_session_count(d->gw) : 0;
  for (size_t i = 0; i < n; i++) {
    oms_gateway_session_info_t *s = VEC_PUSH(k->clients);
    if (s == NULL) {
      k->oom = true;
      return;
    }
    if (oms_gateway_session_info(d->gw, i, s) != 0) k->clients.n--;
  }
  oms_router_t *rt = oms_engine_router(d->engine);
  for (size_t i = 0; i < d->cfg->nvenues; i++) {
    const oms_cfg_venue_t *cv = &d->cfg->venues[i];
    venue_row_t *r = VEC_PUSH(k->venues);
    if (r == NULL) {
      k->oom = true;
      return;
    }
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", cv->name);
    r->is_fix = cv->is_fix;
    oms_route_stats_t st;
    if (oms_router_stats(rt, cv->name, &st) == 0) {
      r->connected = st.connected;
      r->inflight = st.inflight;
      r->queue_depth = st.queue_depth;
    }
    r->reconciled = oms_engine_venue_reconciled(d->engine, cv->name);
    oms_venue_t *v = cv->is_fix ? oms_router_venue(rt, cv->name) : NULL;
    const oms_fix_session_t *fs = v != NULL ? oms_fix_venue_session(v) : NULL;
    if (fs != NULL) {
      r->has_session = true;
      snprintf(r->s.sender_comp_id, sizeof r->s.sender_comp_id, "%s", cv->fix.sender_comp_id);
      snprintf(r->s.target_comp_id, sizeof r->s.target_comp_id, "%s", cv->fix.target_comp_id);
      snprintf(r->s.account, sizeof r->s.account, "%s", cv->fix.account);
      r->s.connected = oms_fix_session_state(fs) != OMS_FIX_SESSION_DISCONNECTED;
      r->s.logged_on = oms_fix_session_state(fs) == OMS_FIX_SESSION_ACTIVE;
      r->s.next_in = oms_fix_session_next_target_seq(fs);
      r->s.next_out = oms_fix_session_next_sender_seq(fs);
      oms_fix_session_traffic_t tr;
      oms_fix_session_traffic(fs, &tr);
      r->s.messages_in = tr.messages_in;
      r->s.messages_out = tr.messages_out;
      r->s.last_received_ns = tr.last_received_ns;
      r->s.last_sent_ns = tr.last_sent_ns;
    }
  }
}

static json_t *session_json(const oms_gateway_session_info_t *s) {
  json_t *o = json_pack("{s:s,s:s,s:s,s:b,s:b,s:I,s:I,s:I,s:I}", "sender_comp_id",
                        s->sender_comp_id, "target_comp_id", s->target_comp_id, "account",
                        s->account, "connected", s->connected, "logged_on", s->logged_on, "next_in",
                        (json_int_t)s->next_in, "next_out", (json_int_t)s->next_out, "messages_in",
                        (json_int_t)s->messages_in, "messages_out", (json_int_t)s->messages_out);
  /* A heartbeat or any message from the peer shows it is alive. */
  if (s->last_received_ns > 0)
    json_object_set_new(o, "last_heartbeat_ns", json_integer(s->last_received_ns));
  if (s->last_sent_ns > 0) json_object_set_new(o, "last_sent_ns", json_integer(s->last_sent_ns));
  return o;
}

static void sessions_free(sessions_cmd_t *k) {
  free(k->clients.v);
  free(k->venues.v);
  free(k);
}

static void sessions_dispose(omsd_cmd_t *c) { sessions_free((sessions_cmd_t *)c); }

void omsd_route_sessions(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  (void)rq;
  sessions_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  k->c.run = sessions_run;
  k->c.dispose = sessions_dispose;
  if (!call_core(a, &k->c, rs)) return;
  json_t *clients = json_array(), *venues = json_array();
  for (size_t i = 0; i < k->clients.n; i++)
    json_array_append_new(clients, session_json(&k->clients.v[i]));
  for (size_t i = 0; i < k->venues.n; i++) {
    const venue_row_t *r = &k->venues.v[i];
    json_t *o =
        json_pack("{s:s,s:s,s:b,s:b,s:i,s:i}", "name", r->name, "type", r->is_fix ? "fix" : "sim",
                  "connected", r->connected, "reconciled", r->reconciled, "inflight",
                  (int)r->inflight, "queue_depth", (int)r->queue_depth);
    if (r->has_session) json_object_set_new(o, "session", session_json(&r->s));
    json_array_append_new(venues, o);
  }
  /* The event stream to NATS (docs/deployment.md), when configured. */
  json_t *stream = NULL;
  if (k->has_stream) {
    const oms_stream_stats_t *t = &k->stream;
    uint64_t lag = k->last_seq > t->cursor ? k->last_seq - t->cursor : 0;
    stream = json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "state",
                       oms_stream_state_name(t->state), "published", (json_int_t)t->published,
                       "acked", (json_int_t)t->acked, "duplicates", (json_int_t)t->duplicates,
                       "failures", (json_int_t)t->failures, "cursor", (json_int_t)t->cursor,
                       "inflight", (json_int_t)t->inflight, "lag", (json_int_t)lag);
  }
  bool oom = k->oom;
  sessions_free(k);
  if (oom) {
    json_decref(clients);
    json_decref(venues);
    json_decref(stream);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  rs->status = 200;
  rs->json = json_pack("{s:o,s:o}", "fix_sessions", clients, "venues", venues);
  if (rs->json != NULL && stream != NULL) json_object_set_new(rs->json, "stream", stream);
}

/* ---- GET /metrics ------------------------------------------------------------------------ */

typedef struct metrics_cmd_s {
  omsd_cmd_t c;
  omsd_metrics_t *m;
  omsd_admin_t *a;
} metrics_cmd_t;

static void metrics_run(omsd_t *d, omsd_cmd_t *c) {
  metrics_cmd_t *k = (metrics_cmd_t *)c;
  omsd_metrics_set_admin_queue(k->m, omsd_admin_queue_depth(k->a));
  omsd_metrics_snapshot(k->m, d);
}

void omsd_route_metrics(omsd_admin_t *a, const omsd_http_req_t *rq, omsd_http_resp_t *rs) {
  (void)rq;
  omsd_metrics_t *m = omsd_admin_metrics(a);
  if (m == NULL) {
    omsd_http_fail(rs, OMSD_E_NOT_READY, "no metrics");
    return;
  }
  metrics_cmd_t *k = calloc(1, sizeof *k);
  if (k == NULL) {
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  k->c.run = metrics_run;
  k->m = m;
  k->a = a;
  if (!call_core(a, &k->c, rs)) return;
  free(k);
  char *text = NULL;
  long n = omsd_metrics_render(m, &text);
  if (n < 0) {
    free(text);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "the metrics could not be rendered");
    return;
  }
  struct MHD_Response *r = MHD_create_response_from_buffer((size_t)n, text, MHD_RESPMEM_MUST_FREE);
  if (r == NULL) {
    free(text);
    omsd_http_fail(rs, OMSD_E_INTERNAL, "out of memory");
    return;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
  rs->status = 200;
  rs->raw = r;
}
