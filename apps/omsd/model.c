/*
 * model.c - omsd's market risk model (src/riskmodel, docs/risk.md): built
 * from the `riskmodel` group, fed by market data, sampled on the loop's
 * clock, saved durably, attached to the risk engine so that max_var,
 * max_var_firm and max_stress_loss hold in the daemon.
 *
 * HOW IT WORKS
 * At start (after recovery, so that the restored positions are in the
 * portfolio) the model is created with one instrument per configured
 * instrument and one book per account the risk engine can hold, then its
 * state is read from <data_dir>/riskmodel.state when that exists (a model
 * saved by a previous run with the same instruments), else from the
 * configured history file (a cold start), else it starts with a zero
 * covariance (no risk until returns arrive). The configured scenarios are
 * set over whatever was loaded (the file wins for the statistics, the
 * configuration for the scenarios). oms_risk_set_model then enters every
 * account's positions and open orders into the books.
 *
 * Prices: the engine's market-data handler sets risk's reference price,
 * which ticks the model (O(1): one double stored). Returns and the
 * covariance update (O(n^2 + books n^2)) run in omsd_model_on_timer, on
 * the core thread between two turns of the loop, never inside an order's
 * handling; the cost of each sample is kept for the log and the admin API.
 * The state is saved every save_interval_s and at stop (a temporary file,
 * fsync, rename: a crash leaves the previous state). With a correlation
 * threshold, each sample also makes the `correlation` groups (corr_groups).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "oms/riskmodel.h"
#include "omsd.h"

/* The instruments' symbols in the configured order: the model's numbering. */
static void symbols_of(const oms_config_t *c, const char **syms) {
  for (size_t i = 0; i < c->ninstruments; i++) syms[i] = c->instruments[i].ins.symbol;
}

static int set_scenarios(omsd_t *d) {
  const oms_cfg_riskmodel_t *rc = &d->cfg->riskmodel;
  for (size_t s = 0; s < rc->nscenarios; s++) {
    int rc2 = oms_riskmodel_set_scenario(d->model, (uint32_t)s, rc->scenarios[s].name,
                                         rc->scenarios[s].shock);
    if (rc2 != 0) {
      LOG_ERROR("component=riskmodel msg=\"scenario refused\" scenario=\"%s\" error=%s",
                rc->scenarios[s].name, oms_err_name(rc2));
      return -1;
    }
  }
  return 0;
}

/* Reads the saved state, or the history file, or nothing. */
static int load_state(omsd_t *d, bool check_only) {
  const oms_cfg_riskmodel_t *rc = &d->cfg->riskmodel;
  struct stat st;
  if (!check_only && stat(d->model_path, &st) == 0) {
    int rc2 = oms_riskmodel_load(d->model, d->model_path);
    if (rc2 == 0) {
      LOG_INFO("component=riskmodel msg=\"state loaded\" path=%s samples=%llu", d->model_path,
               (unsigned long long)oms_riskmodel_samples(d->model));
      return 0;
    }
    /* Other instruments or a damaged file: the history file or a cold start. */
    LOG_WARN("component=riskmodel msg=\"saved state not used\" path=%s error=%s", d->model_path,
             oms_err_name(rc2));
  }
  if (rc->history_file[0] != '\0') {
    int line = 0;
    int rc2 = oms_riskmodel_load_history(d->model, rc->history_file, &line);
    if (rc2 != 0) {
      LOG_ERROR(
          "component=riskmodel msg=\"history file refused\" path=%s line=%d error=%s "
          "detail=\"each line needs %zu positive prices, one per instrument in order\"",
          rc->history_file, line, oms_err_name(rc2), d->cfg->ninstruments);
      return -1;
    }
    LOG_INFO("component=riskmodel msg=\"history loaded\" path=%s samples=%llu", rc->history_file,
             (unsigned long long)oms_riskmodel_samples(d->model));
  }
  return 0;
}

/* Correlation groups from the model: every set of instruments correlated
 * above the threshold (transitively) becomes one `correlation` group,
 * "corr.<its first symbol>", with the configured limit, in place of the
 * correlation groups in force. O(n^2) to find them; only when the partition
 * changed (or a runtime limit change installed another set) a copy of the
 * limits is made and swapped in with oms_risk_set_limits, on this (the
 * core's) thread between two turns of the loop: no lock, and the check
 * sees the old set or the new one whole. */
static void corr_groups(omsd_t *d) {
  const oms_cfg_riskmodel_t *rc = &d->cfg->riskmodel;
  if (rc->correlation_threshold <= 0) return;
  const oms_config_t *c = d->cfg;
  uint32_t n = (uint32_t)c->ninstruments, g[OMS_CFG_MAX_INSTRUMENTS];
  uint32_t ngroups = oms_riskmodel_corr_groups(d->model, rc->correlation_threshold, g);
  const oms_risk_limits_t *cur = oms_risk_current_limits(d->risk);
  if (cur == NULL || (cur == d->corr_limits && memcmp(g, d->corr_of, n * sizeof g[0]) == 0)) return;
  int64_t t0 = omsd_now_ns();
  oms_risk_limits_t *l;
  oms_reject_t err = {0};
  if (oms_risk_limits_clone(cur, &l) != 0) {
    LOG_WARN("component=riskmodel msg=\"correlation groups not made\" error=ENOMEM");
    return;
  }
  (void)oms_risk_limits_clear_groups(l, OMS_RISK_GROUP_CORRELATION);
  int rc2 = 0;
  for (uint32_t root = 0; root < n && rc2 == 0; root++) {
    const char *members[OMS_CFG_MAX_INSTRUMENTS];
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++)
      if (g[i] == root) members[k++] = c->instruments[i].ins.symbol;
    if (k < 2) continue;
    char name[OMS_ID_MAX + 1];
    snprintf(name, sizeof name, "corr.%s", c->instruments[root].ins.symbol);
    rc2 = oms_risk_limits_group(l, OMS_RISK_GROUP_CORRELATION, name, members, k,
                                rc->corr_max_exposure, rc->corr_max_pct, &err);
  }
  if (rc2 == 0) rc2 = oms_risk_set_limits(d->risk, l, &err);
  if (rc2 != 0) {
    oms_risk_limits_destroy(l);
    LOG_WARN("component=riskmodel msg=\"correlation groups not installed\" detail=\"%s\"",
             err.text);
    return;
  }
  d->corr_limits = oms_risk_current_limits(d->risk);
  memcpy(d->corr_of, g, n * sizeof g[0]);
  d->corr_groups = ngroups;
  d->corr_install_ns = omsd_now_ns() - t0;
  LOG_INFO(
      "component=riskmodel msg=\"correlation groups installed\" groups=%u threshold=%g ns=%lld",
      ngroups, rc->correlation_threshold, (long long)d->corr_install_ns);
}

int omsd_model_open(omsd_t *d, bool check_only) {
  const oms_config_t *c = d->cfg;
  const oms_cfg_riskmodel_t *rc = &c->riskmodel;
  if (!rc->enabled) return 0;
  oms_riskmodel_config_t mc = {.n = (uint32_t)c->ninstruments,
                               .max_books = d->model_books,
                               .max_scenarios = (uint32_t)rc->nscenarios,
                               .hist_window = rc->var_window,
                               .lambda = rc->lambda,
                               .confidence = rc->confidence,
                               /* the horizon in sampling intervals (square-root-of-time scaling) */
                               .horizon = rc->horizon_days * 86400000.0 / rc->sample_interval_ms};
  int err = oms_riskmodel_create(&mc, &d->model);
  if (err != 0) {
    LOG_ERROR("component=riskmodel msg=\"cannot create the risk model\" error=%s",
              oms_err_name(err));
    return -1;
  }
  snprintf(d->model_path, sizeof d->model_path, "%s/riskmodel.state", c->data_dir);
  if (load_state(d, check_only) != 0 || set_scenarios(d) != 0) return -1;
  const char *syms[OMS_CFG_MAX_INSTRUMENTS];
  symbols_of(c, syms);
  if ((err = oms_risk_set_model(d->risk, d->model, syms, mc.n)) != 0) {
    LOG_ERROR("component=riskmodel msg=\"risk refused the model\" error=%s", oms_err_name(err));
    return -1;
  }
  corr_groups(d);
  if (check_only) {
    d->model_path[0] = '\0'; /* nothing is written by a check */
    return 0;
  }
  int64_t t = omsd_now_ns();
  d->model_next_sample = t + (int64_t)rc->sample_interval_ms * OMSD_MS;
  d->model_next_save = t + (int64_t)rc->save_interval_s * 1000 * OMSD_MS;
  d->model_next_event = t + (int64_t)rc->event_interval_s * 1000 * OMSD_MS;
  LOG_INFO(
      "component=riskmodel msg=\"risk model attached\" instruments=%u books=%u scenarios=%zu "
      "lambda=%g confidence=%g horizon_samples=%g sample_interval_ms=%u",
      mc.n, mc.max_books, rc->nscenarios, rc->lambda, rc->confidence, mc.horizon,
      rc->sample_interval_ms);
  return 0;
}

/* The text of the last RiskReport per row of the snapshot (the firm, then
 * the configured accounts in order): a report equal to it is not sent again. */
static char last_report[OMS_CFG_MAX_ACCOUNTS + 1][OMS_REASON_MAX + 1];

static void fmt_num(double v, char *buf, size_t cap) {
  oms_dec_t d;
  if (oms_riskmodel_dec_out(v, &d) != 0)
    snprintf(buf, cap, "overflow");
  else
    oms_dec_format(d, buf, cap);
}

/* A model number as a decimal, rounded up; the largest one if it does not
 * fit (the text says "overflow"). */
static oms_dec_t dec_up(double v) {
  oms_dec_t d;
  return oms_riskmodel_dec_out(v, &d) == 0 ? d : oms_dec_from_raw(OMS_DEC_MAX_RAW);
}

/* A report's fields: the numbers of row r and the limits at its scope (the
 * firm's VaR limit is max_var_firm; an account's max_var and
 * max_stress_loss as they resolve for it). */
static void report_info(omsd_t *d, const omsd_model_snap_t *s, const omsd_model_row_t *r,
                        oms_risk_report_info_t *info) {
  memset(info, 0, sizeof(*info));
  info->var = dec_up(r->var);
  info->hvar = dec_up(r->hvar);
  info->loss = dec_up(r->stress_loss);
  if (r->worst >= 0) snprintf(info->worst, sizeof info->worst, "%s", s->scen[r->worst]);
  const oms_risk_limits_t *l = oms_risk_current_limits(d->risk);
  if (l == NULL) return;
  oms_risk_eff_limits_t eff;
  bool firm = r->account[0] == '\0';
  oms_risk_limits_resolve(l, firm ? NULL : r->account, NULL, NULL, &eff);
  if (firm && (eff.v.set & OMS_RL_MAX_VAR_FIRM)) info->var_limit = eff.v.max_var_firm;
  if (!firm && (eff.v.set & OMS_RL_MAX_VAR)) info->var_limit = eff.v.max_var;
  if (!firm && (eff.v.set & OMS_RL_MAX_STRESS_LOSS)) info->loss_limit = eff.v.max_stress_loss;
}

/* RiskReport events (docs/events.md): every event_interval_s, one per book
 * whose numbers changed since its last report (never for a book that has
 * not had any risk yet): at most (accounts + 1) events per interval, each a
 * journal record, so the rate is bounded by the configuration. */
static void reports(omsd_t *d) {
  static omsd_model_snap_t s; /* ~16 KB: off the stack; core thread only */
  omsd_model_snapshot(d, &s);
  for (size_t i = 0; i < s.nrows; i++) {
    const omsd_model_row_t *r = &s.rows[i];
    if (last_report[i][0] == '\0' && r->var == 0 && r->hvar == 0 && r->stress_loss == 0) continue;
    char var[OMS_DEC_STRLEN], hvar[OMS_DEC_STRLEN], loss[OMS_DEC_STRLEN], text[OMS_REASON_MAX + 1];
    fmt_num(r->var, var, sizeof var);
    fmt_num(r->hvar, hvar, sizeof hvar);
    fmt_num(r->stress_loss, loss, sizeof loss);
    snprintf(text, sizeof text, "var=%s hvar=%s stress_loss=%s worst=%s", var, hvar, loss,
             r->worst >= 0 ? s.scen[r->worst] : "none");
    if (strcmp(text, last_report[i]) == 0) continue;
    oms_risk_report_info_t info;
    report_info(d, &s, r, &info);
    int rc = oms_engine_risk_report(d->engine, r->account, text, &info);
    if (rc != 0) {
      LOG_WARN("component=riskmodel msg=\"risk report not sent\" error=%s", oms_err_name(rc));
      return;
    }
    snprintf(last_report[i], sizeof last_report[i], "%s", text);
  }
}

static void save(omsd_t *d) {
  int rc = oms_riskmodel_save(d->model, d->model_path);
  if (rc != 0)
    LOG_WARN("component=riskmodel msg=\"state not saved\" path=%s error=%s", d->model_path,
             oms_err_name(rc));
}

void omsd_model_on_timer(omsd_t *d, int64_t now) {
  if (d->model == NULL || d->model_path[0] == '\0') return;
  const oms_cfg_riskmodel_t *rc = &d->cfg->riskmodel;
  if (now >= d->model_next_sample) {
    int64_t t0 = omsd_now_ns();
    oms_riskmodel_sample(d->model);
    d->model_sample_ns = omsd_now_ns() - t0;
    corr_groups(d);
    d->model_next_sample = now + (int64_t)rc->sample_interval_ms * OMSD_MS;
  }
  if (rc->event_interval_s > 0 && now >= d->model_next_event) {
    reports(d);
    d->model_next_event = now + (int64_t)rc->event_interval_s * 1000 * OMSD_MS;
  }
  if (now >= d->model_next_save) {
    save(d);
    d->model_next_save = now + (int64_t)rc->save_interval_s * 1000 * OMSD_MS;
  }
}

static void row_of(omsd_t *d, omsd_model_snap_t *s, uint32_t b, const char *account) {
  omsd_model_row_t *r = &s->rows[s->nrows++];
  snprintf(r->account, sizeof r->account, "%s", account);
  r->var = oms_riskmodel_var(d->model, b);
  r->hvar = oms_riskmodel_hvar(d->model, b);
  r->stress_loss = oms_riskmodel_stress_after(d->model, b, 0, 0, &r->worst);
  for (uint32_t k = 0; k < s->nscen; k++) r->pnl[k] = oms_riskmodel_stress_pnl(d->model, b, k);
}

void omsd_model_snapshot(omsd_t *d, omsd_model_snap_t *s) {
  memset(s, 0, sizeof *s);
  if (d->model == NULL) return;
  const oms_cfg_riskmodel_t *rc = &d->cfg->riskmodel;
  s->has_model = true;
  s->instruments = oms_riskmodel_n(d->model);
  s->samples = oms_riskmodel_samples(d->model);
  s->sample_ns = d->model_sample_ns;
  s->lambda = rc->lambda;
  s->confidence = rc->confidence;
  s->horizon_days = rc->horizon_days;
  s->nscen = oms_riskmodel_scenarios(d->model);
  if (s->nscen > OMS_CFG_MAX_SCENARIOS) s->nscen = OMS_CFG_MAX_SCENARIOS;
  for (uint32_t k = 0; k < s->nscen; k++)
    snprintf(s->scen[k], sizeof s->scen[k], "%s", oms_riskmodel_scenario_name(d->model, k));
  row_of(d, s, OMS_RISKMODEL_TOTAL, "");
  for (size_t i = 0; i < d->cfg->naccounts; i++) {
    int32_t b = oms_risk_model_book(d->risk, d->cfg->accounts[i].id);
    /* An account that never traded has no record yet: nothing at risk. */
    if (b > 0)
      row_of(d, s, (uint32_t)b, d->cfg->accounts[i].id);
    else if (s->nrows < sizeof s->rows / sizeof s->rows[0]) {
      omsd_model_row_t *r = &s->rows[s->nrows++];
      snprintf(r->account, sizeof r->account, "%s", d->cfg->accounts[i].id);
      r->worst = -1;
    }
  }
}

void omsd_model_close(omsd_t *d) {
  if (d->model == NULL) return;
  if (d->model_path[0] != '\0') {
    save(d);
    LOG_INFO("component=riskmodel msg=\"state saved\" path=%s samples=%llu", d->model_path,
             (unsigned long long)oms_riskmodel_samples(d->model));
  }
  if (d->risk != NULL) (void)oms_risk_set_model(d->risk, NULL, NULL, 0);
  oms_riskmodel_destroy(d->model);
  d->model = NULL;
}
