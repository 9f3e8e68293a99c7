/*
 * limits.c - the limit set: building it, validating each piece as it is
 * added, and resolving the limits that apply to one order.
 *
 * A limit set holds the global defaults, entries per account, per strategy
 * and per symbol (each with only the fields it sets), the symbol whitelist
 * and restricted list, and trading-hours schedules per symbol or venue.
 * Resolution overlays global, account, strategy and symbol in that order, so
 * for every field the most specific scope that sets it wins. A field that no
 * scope sets stays unset and the check that needs it refuses the order
 * (fail closed, OMS_R_RISK_NO_LIMITS).
 *
 * Fields that only mean something for a whole account (daily loss, leverage,
 * margin, credit, the account's open orders and rates) may be set only at
 * global or account scope; the strategy's open orders and rates only at
 * global or strategy scope; the per-order fields anywhere.
 *
 * Groups (sector, asset class, currency, underlying, correlated set) are a
 * table of named groups with their exposure limits and, per symbol, the
 * group of each kind it is in: the risk engine resolves a symbol's groups
 * once per installed set, never per order.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "risk/risk_internal.h"

#define ACCOUNT_ONLY                                                           \
  (OMS_RL_MAX_OPEN_ORDERS_ACCOUNT | OMS_RL_DAILY_LOSS | OMS_RL_MAX_LEVERAGE |  \
   OMS_RL_MAX_MARGIN_USAGE | OMS_RL_CREDIT_LIMIT | OMS_RL_ORDER_RATE_ACCOUNT | \
   OMS_RL_CANCEL_RATE_ACCOUNT | OMS_RL_MAX_VAR | OMS_RL_MAX_STRESS_LOSS)
#define STRATEGY_ONLY \
  (OMS_RL_MAX_OPEN_ORDERS_STRATEGY | OMS_RL_ORDER_RATE_STRATEGY | OMS_RL_CANCEL_RATE_STRATEGY)
#define ALL_FIELDS ((1u << OMS_RL_NFIELDS) - 1)

const oms_risk_limit_field_t oms_risk_limit_fields[OMS_RL_NFIELDS] = {
#define LIMIT_FIELD_(name, field, kind, key) \
  {key, OMS_RL_##name, OMS_RL_KIND_##kind, offsetof(oms_risk_limit_t, field)},
    OMS_RISK_LIMIT_FIELDS(LIMIT_FIELD_)
#undef LIMIT_FIELD_
};

static const char *const scope_names[] = {"global", "account", "strategy", "symbol"};
static const char *const state_names[] = {"ACTIVE", "REDUCE_ONLY", "HALTED"};

const char *oms_risk_scope_str(oms_risk_scope_t s) {
  return (unsigned)s < 4 ? scope_names[s] : "UNKNOWN";
}

const char *oms_trading_state_str(oms_trading_state_t s) {
  return (unsigned)s < 3 ? state_names[s] : "UNKNOWN";
}

int oms_risk_limits_create(oms_risk_limits_t **out) {
  *out = NULL;
  oms_risk_limits_t *l = oms__calloc(1, sizeof(*l));
  if (l == NULL) return OMS_ENOMEM;
  if (oms__ktab_init(&l->entries, 16, sizeof(oms__lentry_t)) != 0 ||
      oms__ktab_init(&l->hours, 8, sizeof(oms__hours_t)) != 0 ||
      oms__ktab_init(&l->groups, 8, sizeof(oms__group_t)) != 0 ||
      oms__ktab_init(&l->members, 16, sizeof(oms__member_t)) != 0) {
    oms_risk_limits_destroy(l);
    return OMS_ENOMEM;
  }
  strcpy(l->zoneinfo_dir, "/usr/share/zoneinfo");
  *out = l;
  return 0;
}

void oms_risk_limits_destroy(oms_risk_limits_t *l) {
  if (l == NULL) return;
  if (l->hours.recs != NULL) {
    for (uint32_t i = 0; i < l->hours.n; i++) {
      oms__hours_t *h = oms__ktab_rec(&l->hours, (int32_t)i);
      oms__tz_free(&h->tz);
    }
  }
  oms__ktab_free(&l->entries);
  oms__ktab_free(&l->hours);
  oms__ktab_free(&l->groups);
  oms__ktab_free(&l->members);
  oms__free(l);
}

int oms_risk_limits_zoneinfo_dir(oms_risk_limits_t *l, const char *dir) {
  if (l == NULL || dir == NULL || strlen(dir) >= sizeof(l->zoneinfo_dir)) return OMS_EINVAL;
  strcpy(l->zoneinfo_dir, dir);
  return 0;
}

/* Finds or creates the record of key in t, growing t if needed. */
static int32_t table_get(oms__ktab_t *t, const char *key) {
  int32_t k = oms__ktab_find(t, key);
  if (k >= 0) return k;
  if (t->n == t->cap && oms__ktab_grow(t) != 0) return -1;
  return oms__ktab_get(t, key);
}

static void scope_key(char *buf, oms_risk_scope_t scope, const char *id) {
  buf[0] = (char)('0' + scope);
  size_t n = strlen(id);
  memcpy(buf + 1, id, n + 1);
}

/* The entry of (scope, id), made empty when there is none yet. Returns it,
 * or NULL with err set when the table cannot grow. */
static oms__lentry_t *entry_for(oms_risk_limits_t *l, oms_risk_scope_t scope, const char *id,
                                oms_reject_t *err) {
  char key[OMS__KEY_MAX + 1];
  scope_key(key, scope, id);
  int32_t k = table_get(&l->entries, key);
  if (k < 0) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits: out of memory");
    return NULL;
  }
  return oms__ktab_rec(&l->entries, k);
}

#define POS(field, bit, name)                                                           \
  if ((v->set & (bit)) && !oms_dec_is_pos(v->field)) {                                  \
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits %s%s%s: %s must be positive", sn, \
                   id ? " " : "", id ? id : "", name);                                  \
    return OMS_EINVAL;                                                                  \
  }
#define POSI(field, bit, name)                                                          \
  if ((v->set & (bit)) && v->field <= 0) {                                              \
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits %s%s%s: %s must be positive", sn, \
                   id ? " " : "", id ? id : "", name);                                  \
    return OMS_EINVAL;                                                                  \
  }

/* Checks the fields of v that are set. */
static int check_limit(oms_risk_scope_t scope, const char *id, const oms_risk_limit_t *v,
                       oms_reject_t *err) {
  const char *sn = oms_risk_scope_str(scope);
  if (scope == OMS_RISK_SCOPE_GLOBAL) id = NULL;
  if (v->set & ~(uint32_t)ALL_FIELDS) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits %s: unknown field bits 0x%x", sn,
                   v->set & ~(uint32_t)ALL_FIELDS);
    return OMS_EINVAL;
  }
  uint32_t not_here = 0;
  if (scope == OMS_RISK_SCOPE_STRATEGY || scope == OMS_RISK_SCOPE_SYMBOL) not_here |= ACCOUNT_ONLY;
  if (scope == OMS_RISK_SCOPE_ACCOUNT || scope == OMS_RISK_SCOPE_SYMBOL) not_here |= STRATEGY_ONLY;
  if (scope != OMS_RISK_SCOPE_GLOBAL) not_here |= OMS_RL_MAX_VAR_FIRM;
  if (v->set & not_here) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS,
                   "limits %s %s: field bits 0x%x cannot be set at %s scope", sn, id,
                   v->set & not_here, sn);
    return OMS_EINVAL;
  }
  POS(max_order_qty, OMS_RL_MAX_ORDER_QTY, "max_order_qty")
  POS(max_order_notional, OMS_RL_MAX_ORDER_NOTIONAL, "max_order_notional")
  POS(max_position, OMS_RL_MAX_POSITION, "max_position")
  POSI(max_open_orders_account, OMS_RL_MAX_OPEN_ORDERS_ACCOUNT, "max_open_orders_account")
  POSI(max_open_orders_strategy, OMS_RL_MAX_OPEN_ORDERS_STRATEGY, "max_open_orders_strategy")
  POS(daily_loss, OMS_RL_DAILY_LOSS, "daily_loss")
  POS(max_leverage, OMS_RL_MAX_LEVERAGE, "max_leverage")
  POS(max_margin_usage, OMS_RL_MAX_MARGIN_USAGE, "max_margin_usage")
  POS(collar_pct, OMS_RL_COLLAR_PCT, "collar_pct")
  POSI(collar_ticks, OMS_RL_COLLAR_TICKS, "collar_ticks")
  POS(tick_size, OMS_RL_COLLAR_TICKS, "tick_size")
  POSI(max_ref_age_ns, OMS_RL_MAX_REF_AGE, "max_ref_age_ns")
  POS(credit_limit, OMS_RL_CREDIT_LIMIT, "credit_limit")
  POSI(order_rate_account, OMS_RL_ORDER_RATE_ACCOUNT, "order_rate_account")
  POSI(order_rate_strategy, OMS_RL_ORDER_RATE_STRATEGY, "order_rate_strategy")
  POSI(cancel_rate_account, OMS_RL_CANCEL_RATE_ACCOUNT, "cancel_rate_account")
  POSI(cancel_rate_strategy, OMS_RL_CANCEL_RATE_STRATEGY, "cancel_rate_strategy")
  POSI(rate_window_ns, OMS_RL_RATE_WINDOW, "rate_window_ns")
  POSI(duplicate_window_ns, OMS_RL_DUPLICATE_WINDOW, "duplicate_window_ns")
  POS(max_concentration, OMS_RL_MAX_CONCENTRATION, "max_concentration")
  POS(max_concentration_pct, OMS_RL_MAX_CONCENTRATION_PCT, "max_concentration_pct")
  POS(max_var, OMS_RL_MAX_VAR, "max_var")
  POS(max_var_firm, OMS_RL_MAX_VAR_FIRM, "max_var_firm")
  POS(max_stress_loss, OMS_RL_MAX_STRESS_LOSS, "max_stress_loss")
  if ((v->set & OMS_RL_DAILY_LOSS) && v->daily_loss_action != OMS_TRADING_REDUCE_ONLY &&
      v->daily_loss_action != OMS_TRADING_HALTED) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS,
                   "limits %s%s%s: daily_loss_action must be REDUCE_ONLY or HALTED", sn,
                   id ? " " : "", id ? id : "");
    return OMS_EINVAL;
  }
  return 0;
}

/* Per order, up to three times (account, strategy, symbol), each scope
 * setting a few fields: only the set bits are visited. */
void oms__limit_overlay(oms_risk_limit_t *d, const oms_risk_limit_t *s) {
  uint32_t b = s->set;
  for (uint32_t left = b; left != 0; left &= left - 1) {
    switch (__builtin_ctz(left)) {
#define OV(name, field, kind, key) \
  case OMS_RL_INDEX_##name: d->field = s->field; break;
      OMS_RISK_LIMIT_FIELDS(OV)
#undef OV
      default: break; /* a bit of no field */
    }
  }
  /* the fields that come with another's bit */
  if (b & OMS_RL_DAILY_LOSS) d->daily_loss_action = s->daily_loss_action;
  if (b & OMS_RL_COLLAR_TICKS) d->tick_size = s->tick_size;
  d->set |= b;
}

int oms_risk_limits_set(oms_risk_limits_t *l, oms_risk_scope_t scope, const char *id,
                        const oms_risk_limit_t *v, oms_reject_t *err) {
  if (l == NULL || v == NULL || (unsigned)scope > OMS_RISK_SCOPE_SYMBOL) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits: bad arguments");
    return OMS_EINVAL;
  }
  if (scope != OMS_RISK_SCOPE_GLOBAL &&
      (id == NULL ||
       !oms_id_valid(id, scope == OMS_RISK_SCOPE_SYMBOL ? OMS_SYMBOL_MAX : OMS_ID_MAX))) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits %s: bad id '%s'", oms_risk_scope_str(scope),
                   id ? id : "(null)");
    return OMS_EINVAL;
  }
  int rc = check_limit(scope, id, v, err);
  if (rc != 0) return rc;
  if (scope == OMS_RISK_SCOPE_GLOBAL) {
    oms__limit_overlay(&l->global, v);
    return 0;
  }
  oms__lentry_t *e = entry_for(l, scope, id, err);
  if (e == NULL) return OMS_ENOMEM;
  oms__limit_overlay(&e->v, v);
  return 0;
}

int oms_risk_limits_symbol_list(oms_risk_limits_t *l, const char *symbol, bool allowed,
                                oms_reject_t *err) {
  if (l == NULL || symbol == NULL || !oms_id_valid(symbol, OMS_SYMBOL_MAX)) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "limits: bad symbol '%s'",
                   symbol ? symbol : "(null)");
    return OMS_EINVAL;
  }
  oms__lentry_t *e = entry_for(l, OMS_RISK_SCOPE_SYMBOL, symbol, err);
  if (e == NULL) return OMS_ENOMEM;
  /* The restricted list overrides the whitelist whatever the order of calls. */
  if (!allowed)
    e->list = -1;
  else if (e->list == 0)
    e->list = 1;
  return 0;
}

/* The minutes of the week [a, b) a window covers on day d; b may pass the
 * end of the week (10080) for a Saturday night window. */
static void window_span(const oms_risk_window_t *w, int d, int *a, int *b) {
  *a = d * 1440 + w->start_min;
  *b = d * 1440 + w->end_min + (w->end_min <= w->start_min ? 1440 : 0);
}

static bool spans_overlap(int a1, int b1, int a2, int b2) {
  /* On a circle of 10080 minutes: compare in three shifts. */
  for (int s = -10080; s <= 10080; s += 10080)
    if (a1 < b2 + s && a2 + s < b1) return true;
  return false;
}

int oms_risk_limits_hours(oms_risk_limits_t *l, const char *key, bool by_venue, const char *tz,
                          const oms_risk_window_t *w, size_t n, oms_reject_t *err) {
  if (l == NULL || key == NULL || !oms_id_valid(key, by_venue ? OMS_VENUE_MAX : OMS_SYMBOL_MAX)) {
    oms_reject_set(err, OMS_R_RISK_TRADING_HOURS, "hours: bad %s '%s'",
                   by_venue ? "venue" : "symbol", key ? key : "(null)");
    return OMS_EINVAL;
  }
  if (w == NULL || n == 0 || n > OMS_RISK_MAX_WINDOWS) {
    oms_reject_set(err, OMS_R_RISK_TRADING_HOURS, "hours %s: 1 to %d windows needed", key,
                   OMS_RISK_MAX_WINDOWS);
    return OMS_EINVAL;
  }
  for (size_t i = 0; i < n; i++) {
    if (w[i].days == 0 || (w[i].days & 0x80) || w[i].start_min > 1439 || w[i].end_min == 0 ||
        w[i].end_min > 1440) {
      oms_reject_set(err, OMS_R_RISK_TRADING_HOURS,
                     "hours %s: window %zu malformed (days 0x%x, %u-%u)", key, i, w[i].days,
                     w[i].start_min, w[i].end_min);
      return OMS_EINVAL;
    }
  }
  /* No two windows (or two days of one window) may overlap. */
  for (size_t i = 0; i < n; i++) {
    for (int di = 0; di < 7; di++) {
      if (!(w[i].days & (1u << di))) continue;
      int a1, b1;
      window_span(&w[i], di, &a1, &b1);
      for (size_t j = i; j < n; j++) {
        for (int dj = (j == i ? di + 1 : 0); dj < 7; dj++) {
          if (!(w[j].days & (1u << dj))) continue;
          int a2, b2;
          window_span(&w[j], dj, &a2, &b2);
          if (spans_overlap(a1, b1, a2, b2)) {
            oms_reject_set(err, OMS_R_RISK_TRADING_HOURS, "hours %s: windows %zu and %zu overlap",
                           key, i, j);
            return OMS_EINVAL;
          }
        }
      }
    }
  }
  oms__tz_t zone;
  int rc = oms__tz_load(&zone, tz, l->zoneinfo_dir, err);
  if (rc != 0) return rc;
  char k[OMS__KEY_MAX + 1];
  k[0] = by_venue ? 'V' : 'S';
  strcpy(k + 1, key);
  int32_t i = table_get(&l->hours, k);
  if (i < 0) {
    oms__tz_free(&zone);
    oms_reject_set(err, OMS_R_RISK_TRADING_HOURS, "hours: out of memory");
    return OMS_ENOMEM;
  }
  oms__hours_t *h = oms__ktab_rec(&l->hours, i);
  oms__tz_free(&h->tz);
  h->tz = zone;
  h->n = (uint32_t)n;
  memcpy(h->w, w, n * sizeof(*w));
  return 0;
}

/* ---- groups -------------------------------------------------------------- */

static const char *const kind_names[] = {
#define KIND_NAME_(name, str) str,
    OMS_RISK_GROUP_KINDS(KIND_NAME_)
#undef KIND_NAME_
};

const char *oms_risk_group_kind_str(oms_risk_group_kind_t k) {
  return (unsigned)k < OMS_RISK_GROUP_NKINDS ? kind_names[k] : "UNKNOWN";
}

int oms_risk_group_kind_parse(const char *name) {
  for (int k = 0; name != NULL && k < OMS_RISK_GROUP_NKINDS; k++)
    if (strcmp(kind_names[k], name) == 0) return k;
  return -1;
}

static void group_key(char *buf, oms_risk_group_kind_t kind, const char *name) {
  buf[0] = (char)('0' + kind);
  strcpy(buf + 1, name);
}

int oms_risk_limits_group(oms_risk_limits_t *l, oms_risk_group_kind_t kind, const char *name,
                          const char *const *symbols, size_t n, oms_dec_t max_exposure,
                          oms_dec_t max_pct, oms_reject_t *err) {
  if (l == NULL || (unsigned)kind >= OMS_RISK_GROUP_NKINDS || name == NULL ||
      !oms_id_valid(name, OMS_ID_MAX) || (n > 0 && symbols == NULL)) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "group: bad kind or name '%s'",
                   name ? name : "(null)");
    return OMS_EINVAL;
  }
  const char *kn = kind_names[kind];
  if (oms_dec_is_neg(max_exposure) || oms_dec_is_neg(max_pct)) {
    oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "group %s %s: limits must not be negative", kn, name);
    return OMS_EINVAL;
  }
  char key[OMS__KEY_MAX + 1];
  group_key(key, kind, name);
  int32_t g = oms__ktab_find(&l->groups, key);
  /* Every member first, so a refusal leaves the set as it was. */
  for (size_t i = 0; i < n; i++) {
    if (symbols[i] == NULL || !oms_id_valid(symbols[i], OMS_SYMBOL_MAX)) {
      oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "group %s %s: bad symbol '%s'", kn, name,
                     symbols[i] ? symbols[i] : "(null)");
      return OMS_EINVAL;
    }
    int32_t m = oms__ktab_find(&l->members, symbols[i]);
    if (m < 0) continue;
    const oms__member_t *mm = oms__ktab_rec(&l->members, m);
    if (mm->grp[kind] != 0 && mm->grp[kind] - 1 != g) {
      const oms__group_t *other = oms__ktab_rec(&l->groups, mm->grp[kind] - 1);
      oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "group %s %s: %s is already in %s group %s", kn,
                     name, symbols[i], kn, other->h.key + 1);
      return OMS_EINVAL;
    }
  }
  if (g < 0 && (g = table_get(&l->groups, key)) < 0) goto nomem;
  oms__group_t *gr = oms__ktab_rec(&l->groups, g);
  gr->kind = kind;
  gr->max_exposure = max_exposure;
  gr->max_pct = max_pct;
  for (size_t i = 0; i < n; i++) {
    int32_t m = table_get(&l->members, symbols[i]);
    if (m < 0) goto nomem;
    ((oms__member_t *)oms__ktab_rec(&l->members, m))->grp[kind] = g + 1;
  }
  return 0;
nomem:
  oms_reject_set(err, OMS_R_RISK_NO_LIMITS, "group: out of memory");
  return OMS_ENOMEM;
}

uint32_t oms_risk_limits_clear_groups(oms_risk_limits_t *l, oms_risk_group_kind_t kind) {
  uint32_t n = 0;
  if (l == NULL || (unsigned)kind >= OMS_RISK_GROUP_NKINDS) return 0;
  for (uint32_t i = 0; i < l->members.n; i++) {
    oms__member_t *m = oms__ktab_rec(&l->members, (int32_t)i);
    if (m->grp[kind] != 0) n++;
    m->grp[kind] = 0;
  }
  return n;
}

int oms_risk_limits_group_of(const oms_risk_limits_t *l, oms_risk_group_kind_t kind,
                             const char *symbol, char name[OMS_ID_MAX + 1], oms_dec_t *max_exposure,
                             oms_dec_t *max_pct) {
  int32_t g = oms__limits_group(l, kind, symbol);
  if (g < 0) return OMS_ENOTFOUND;
  const oms__group_t *gr = oms__ktab_rec(&l->groups, g);
  if (name != NULL) snprintf(name, OMS_ID_MAX + 1, "%s", gr->h.key + 1);
  if (max_exposure != NULL) *max_exposure = gr->max_exposure;
  if (max_pct != NULL) *max_pct = gr->max_pct;
  return 0;
}

int32_t oms__limits_group(const oms_risk_limits_t *l, oms_risk_group_kind_t kind,
                          const char *symbol) {
  if (l == NULL || (unsigned)kind >= OMS_RISK_GROUP_NKINDS || symbol == NULL ||
      strlen(symbol) > OMS__KEY_MAX)
    return -1;
  int32_t m = oms__ktab_find(&l->members, symbol);
  if (m < 0) return -1;
  return ((const oms__member_t *)oms__ktab_rec(&l->members, m))->grp[kind] - 1;
}

/* ---- copies and read-outs ------------------------------------------------ */

int oms_risk_limits_clone(const oms_risk_limits_t *l, oms_risk_limits_t **out) {
  *out = NULL;
  if (l == NULL) return OMS_EINVAL;
  oms_risk_limits_t *c = oms__calloc(1, sizeof(*c));
  if (c == NULL) return OMS_ENOMEM;
  c->global = l->global;
  memcpy(c->zoneinfo_dir, l->zoneinfo_dir, sizeof(c->zoneinfo_dir));
  if (oms__ktab_clone(&c->entries, &l->entries) != 0) goto fail;
  if (oms__ktab_clone(&c->hours, &l->hours) != 0) goto fail;
  /* The zones' transitions are the only memory the records point to: none
   * is shared from here on, so a failure frees only the copies made. */
  for (uint32_t i = 0; i < c->hours.n; i++) {
    oms__hours_t *h = oms__ktab_rec(&c->hours, (int32_t)i);
    h->tz.at = NULL;
    h->tz.off = NULL;
    h->tz.n = 0;
  }
  for (uint32_t i = 0; i < c->hours.n; i++) {
    oms__hours_t *h = oms__ktab_rec(&c->hours, (int32_t)i);
    const oms__hours_t *src = oms__ktab_rec(&l->hours, (int32_t)i);
    uint32_t n = src->tz.n;
    if (n == 0) continue;
    h->tz.at = oms__malloc(n * sizeof(*h->tz.at));
    h->tz.off = oms__malloc(n * sizeof(*h->tz.off));
    if (h->tz.at == NULL || h->tz.off == NULL) {
      oms__tz_free(&h->tz);
      goto fail;
    }
    memcpy(h->tz.at, src->tz.at, n * sizeof(*h->tz.at));
    memcpy(h->tz.off, src->tz.off, n * sizeof(*h->tz.off));
    h->tz.n = n;
  }
  /* After the zones: until then the copied hours records share the
   * source's transitions, which a failure here must not free. */
  if (oms__ktab_clone(&c->groups, &l->groups) != 0) goto fail;
  if (oms__ktab_clone(&c->members, &l->members) != 0) goto fail;
  *out = c;
  return 0;
fail:
  oms_risk_limits_destroy(c);
  return OMS_ENOMEM;
}

int oms_risk_limits_get(const oms_risk_limits_t *l, oms_risk_scope_t scope, const char *id,
                        oms_risk_limit_t *out) {
  memset(out, 0, sizeof(*out));
  if (l == NULL || (unsigned)scope > OMS_RISK_SCOPE_SYMBOL) return OMS_EINVAL;
  if (scope == OMS_RISK_SCOPE_GLOBAL) {
    *out = l->global;
    return 0;
  }
  const oms__lentry_t *e = oms__limits_find(l, scope, id);
  if (e == NULL) return OMS_ENOTFOUND;
  *out = e->v;
  return 0;
}

int oms_risk_limits_each(const oms_risk_limits_t *l, oms_risk_limits_fn fn, void *ctx) {
  int rc = fn(ctx, OMS_RISK_SCOPE_GLOBAL, "", &l->global);
  for (uint32_t i = 0; rc == 0 && i < l->entries.n; i++) {
    const oms__lentry_t *e = oms__ktab_rec(&l->entries, (int32_t)i);
    if (e->v.set != 0) rc = fn(ctx, (oms_risk_scope_t)(e->h.key[0] - '0'), e->h.key + 1, &e->v);
  }
  return rc;
}

void oms_risk_limits_resolve(const oms_risk_limits_t *l, const char *account, const char *strategy,
                             const char *symbol, oms_risk_eff_limits_t *out) {
  memset(out, 0, sizeof(*out));
  if (l != NULL) oms__limits_resolve(l, account, strategy, symbol, out);
}

/* ---- lookups ------------------------------------------------------------- */

const oms__lentry_t *oms__limits_find(const oms_risk_limits_t *l, oms_risk_scope_t scope,
                                      const char *id) {
  if (id == NULL || strlen(id) >= OMS__KEY_MAX) return NULL;
  char key[OMS__KEY_MAX + 1];
  scope_key(key, scope, id);
  int32_t k = oms__ktab_find(&l->entries, key);
  return k < 0 ? NULL : oms__ktab_rec(&l->entries, k);
}

const oms__hours_t *oms__limits_hours(const oms_risk_limits_t *l, const char *symbol,
                                      const char *venue) {
  char key[OMS__KEY_MAX + 1];
  for (int pass = 0; pass < 2; pass++) {
    const char *id = pass == 0 ? symbol : venue;
    if (id == NULL || strlen(id) >= OMS__KEY_MAX) continue;
    key[0] = pass == 0 ? 'S' : 'V';
    strcpy(key + 1, id);
    int32_t k = oms__ktab_find(&l->hours, key);
    if (k >= 0) return oms__ktab_rec(&l->hours, k);
  }
  return NULL;
}

void oms__limits_resolve(const oms_risk_limits_t *l, const char *account, const char *strategy,
                         const char *symbol, oms_risk_eff_limits_t *out) {
  out->v = l->global;
  out->symbol_allowed = out->symbol_restricted = false;
  const oms__lentry_t *e;
  if ((e = oms__limits_find(l, OMS_RISK_SCOPE_ACCOUNT, account)) != NULL)
    oms__limit_overlay(&out->v, &e->v);
  if ((e = oms__limits_find(l, OMS_RISK_SCOPE_STRATEGY, strategy)) != NULL)
    oms__limit_overlay(&out->v, &e->v);
  if ((e = oms__limits_find(l, OMS_RISK_SCOPE_SYMBOL, symbol)) != NULL) {
    oms__limit_overlay(&out->v, &e->v);
    out->symbol_allowed = e->list == 1;
    out->symbol_restricted = e->list == -1;
  }
}

bool oms__hours_open(const oms__hours_t *h, int64_t now_ns, int *wday, int *minute) {
  int64_t s = now_ns / 1000000000;
  if (now_ns % 1000000000 < 0) s--;
  s += oms__tz_offset(&h->tz, s);
  int64_t days = s / 86400, sod = s % 86400;
  if (sod < 0) {
    sod += 86400;
    days--;
  }
  int wd = (int)(((days % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
  int m = (int)(sod / 60), prev = (wd + 6) % 7;
  *wday = wd;
  *minute = m;
  for (uint32_t i = 0; i < h->n; i++) {
    const oms_risk_window_t *w = &h->w[i];
    if (w->start_min < w->end_min) {
      if ((w->days & (1u << wd)) && m >= w->start_min && m < w->end_min) return true;
    } else {
      if ((w->days & (1u << wd)) && m >= w->start_min) return true;
      if ((w->days & (1u << prev)) && m < w->end_min) return true;
    }
  }
  return false;
}

/* Local seconds (since the epoch, in the zone) to UTC seconds: the offset
 * in force at the result, found from the offset at the local time read as
 * UTC (one correction is exact except inside a DST gap or overlap). */
static int64_t local_to_utc(const oms__tz_t *tz, int64_t local) {
  int64_t guess = local - oms__tz_offset(tz, local);
  return local - oms__tz_offset(tz, guess);
}

int oms__hours_close(const oms__hours_t *h, int64_t at_ns, int64_t *close_ns) {
  int64_t s = at_ns / 1000000000;
  if (at_ns % 1000000000 < 0) s--;
  int64_t local = s + oms__tz_offset(&h->tz, s);
  int64_t days = local / 86400, sod = local % 86400;
  if (sod < 0) {
    sod += 86400;
    days--;
  }
  int wd = (int)(((days % 7) + 7 + 4) % 7), prev = (wd + 6) % 7;
  int m = (int)(sod / 60);
  /* the trading day of the window open at `at`: an overnight window opened
   * the day before counts for that day */
  int64_t sday = INT64_MIN;
  for (uint32_t i = 0; i < h->n; i++) {
    const oms_risk_window_t *w = &h->w[i];
    bool overnight = w->start_min >= w->end_min;
    if ((w->days & (1u << wd)) && m >= w->start_min && (overnight || m < w->end_min)) sday = days;
    if (overnight && (w->days & (1u << prev)) && m < w->end_min && sday == INT64_MIN)
      sday = days - 1;
  }
  if (sday == INT64_MIN) return 0;
  int swd = (int)(((sday % 7) + 7 + 4) % 7);
  int64_t last = INT64_MIN;
  for (uint32_t i = 0; i < h->n; i++) {
    const oms_risk_window_t *w = &h->w[i];
    if (!(w->days & (1u << swd))) continue;
    int64_t end = sday * 86400 + (int64_t)w->end_min * 60;
    if (w->start_min >= w->end_min) end += 86400;
    if (end > last) last = end;
  }
  *close_ns = local_to_utc(&h->tz, last) * 1000000000;
  return 1;
}

int oms_risk_limits_session_close(const oms_risk_limits_t *l, const char *venue, const char *symbol,
                                  int64_t at_ns, int64_t *close_ns) {
  const oms__hours_t *h = l != NULL ? oms__limits_hours(l, symbol, venue) : NULL;
  if (h == NULL) return OMS_ENOTFOUND;
  return oms__hours_close(h, at_ns, close_ns);
}
