/*
 * params.c - the parameters of a parent order: reading them from FIX
 * tag=value pairs and checking them before a parent is accepted.
 *
 * NOTES ON THE DESIGN
 *
 * OMS_ALGO_PARAM_MAP (algo.h) is the one list of parameters. It expands here
 * into `desc[]`, one row per parameter with its offset in oms_algo_params_t
 * (so a row without its struct field does not compile), its FIX tag, its
 * type and its bounds. The FIX reader, the generic bound checks and
 * docs/algos.md all follow that table; what a table cannot say (which
 * strategy needs or allows which parameter, and the rules between two
 * parameters) is written out below in `allowed[]`, `required()` and
 * check_rules(), in the order the refusals are documented.
 *
 * A refusal names its parameter by name and tag, and gives the numbers
 * that decided it, so a FIX client can read Text(58) and fix its order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "algo/algo_int.h"
#include "oms/algo.h"
#include "oms/error.h"

enum { T_ENUM, T_DEC, T_TIME, T_DUR, T_BOOL, T_U64, T_PROFILE };

typedef struct pdesc_s {
  const char *name;
  uint32_t tag;
  uint8_t type;
  int64_t lo, hi; /* in the struct's units; hi 0 = none (except for fractions) */
  size_t off, size;
} pdesc_t;

#define FIELD_SIZE(f) sizeof(((oms_algo_params_t *)0)->f)
static const pdesc_t desc[OMS_ALGO_P_COUNT] = {
#define XX(f, tag, type, unit, lo, hi, d) \
  {#f, tag, T_##type, lo, hi, offsetof(oms_algo_params_t, f), FIELD_SIZE(f)},
    OMS_ALGO_PARAM_MAP(XX)
#undef XX
};

#define P(x) (1u << OMS_ALGO_P_##x)
#define COMMON (P(strategy) | P(side) | P(qty) | P(limit_px) | P(seed))
#define SCHEDULE                                                                      \
  (P(start_ns) | P(end_ns) | P(slice_ns) | P(size_var) | P(time_var) | P(min_slice) | \
   P(max_slice) | P(max_pov) | P(aggression) | P(would_px) | P(catch_up))

/* Which parameters each strategy takes; any other is NOT_APPLICABLE. */
static uint32_t allowed(uint16_t s) {
  switch (s) {
    case OMS_ALGO_TWAP: return COMMON | SCHEDULE;
    case OMS_ALGO_VWAP: return COMMON | SCHEDULE | P(profile);
    case OMS_ALGO_POV:
      return COMMON | P(start_ns) | P(end_ns) | P(slice_ns) | P(min_slice) | P(max_slice) |
             P(pov_rate) | P(aggression);
    case OMS_ALGO_ICEBERG: return COMMON | P(display_qty) | P(display_var);
    case OMS_ALGO_SNIPER: return COMMON | P(min_slice) | P(start_ns) | P(end_ns);
    case OMS_ALGO_TRAILING_STOP:
      return COMMON | P(trail_offset) | P(trail_unit) | P(activation_px) | P(trigger_type);
    case OMS_ALGO_MIT: return COMMON | P(trigger_px) | P(trigger_type);
    case OMS_ALGO_LIT: return COMMON | P(trigger_px) | P(trigger_type);
    default: return 0;
  }
}

/* Which parameters each strategy needs (side and qty always). */
static uint32_t required(uint16_t s) {
  switch (s) {
    case OMS_ALGO_TWAP: return P(end_ns);
    case OMS_ALGO_VWAP: return P(end_ns) | P(profile);
    case OMS_ALGO_POV: return P(pov_rate);
    case OMS_ALGO_ICEBERG: return P(limit_px) | P(display_qty);
    case OMS_ALGO_SNIPER: return P(limit_px);
    case OMS_ALGO_TRAILING_STOP: return P(trail_offset);
    case OMS_ALGO_MIT: return P(trigger_px);
    case OMS_ALGO_LIT: return P(trigger_px) | P(limit_px);
    default: return 0;
  }
}

/* ---- names ---- */

const char *oms_algo_strategy_name(oms_algo_strategy_t s) {
  switch (s) {
#define XX(name, num, d) \
  case OMS_ALGO_##name: return #name;
    OMS_ALGO_STRATEGY_MAP(XX)
#undef XX
    default: return "UNKNOWN";
  }
}

int oms_algo_strategy_parse(const char *s, oms_algo_strategy_t *out) {
  static const struct {
    const char *name;
    oms_algo_strategy_t v;
  } t[] = {
#define XX(name, num, d) {#name, OMS_ALGO_##name},
      OMS_ALGO_STRATEGY_MAP(XX)
#undef XX
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    if (strcmp(s, t[i].name) == 0) {
      *out = t[i].v;
      return 0;
    }
  }
  return OMS_ENOTFOUND;
}

const char *oms_algo_refusal_name(oms_algo_refusal_t r) {
  switch (r) {
    case OMS_ALGO_R_NONE: return "NONE";
#define XX(name, num, d) \
  case OMS_ALGO_R_##name: return #name;
      OMS_ALGO_REFUSAL_MAP(XX)
#undef XX
    default: return "UNKNOWN";
  }
}

const char *oms_algo_param_name(oms_algo_param_t p) {
  return (unsigned)p < OMS_ALGO_P_COUNT ? desc[p].name : "UNKNOWN";
}

uint32_t oms_algo_param_tag(oms_algo_param_t p) {
  return (unsigned)p < OMS_ALGO_P_COUNT ? desc[p].tag : 0;
}

void oms_algo_params_init(oms_algo_params_t *p, oms_algo_strategy_t s, oms_side_t side,
                          oms_dec_t qty) {
  memset(p, 0, sizeof(*p));
  p->strategy = (uint16_t)s;
  p->side = (uint8_t)side;
  p->qty = qty;
  p->catch_up = 1;
  p->set = P(strategy) | P(side) | P(qty);
}

/* ---- refusals ---- */

__attribute__((format(printf, 4, 5))) static int refuse(oms_algo_reject_t *rej,
                                                        oms_algo_refusal_t code, int param,
                                                        const char *fmt, ...) {
  if (rej == NULL) return OMS_EREJECTED;
  memset(rej, 0, sizeof(*rej));
  rej->code = code;
  int n = 0;
  if (param >= 0) {
    rej->tag = desc[param].tag;
    snprintf(rej->param, sizeof rej->param, "%s", desc[param].name);
    n = snprintf(rej->text, sizeof rej->text, "%s(%u): ", desc[param].name, desc[param].tag);
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(rej->text + n, sizeof rej->text - (size_t)n, fmt, ap);
  va_end(ap);
  return OMS_EREJECTED;
}

static const char *fmt_dec(oms_dec_t d, char *buf) {
  oms_dec_format(d, buf, OMS_DEC_STRLEN);
  return buf;
}

/* ---- FIX values ---- */

static int parse_u64(const char *s, size_t len, uint64_t *out) {
  if (len == 0 || len > 19) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *out = v;
  return 0;
}

static int digits(const char *s, size_t n, int *out) {
  int v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* FIX UTCTimestamp: YYYYMMDD-HH:MM:SS with an optional fraction of 1..9
 * digits. */
static int parse_utc(const char *s, size_t len, int64_t *out) {
  int y, mo, d, h, mi, se;
  if (len < 17 || s[8] != '-' || s[11] != ':' || s[14] != ':') return -1;
  if (digits(s, 4, &y) || digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) || digits(s + 9, 2, &h) ||
      digits(s + 12, 2, &mi) || digits(s + 15, 2, &se))
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return -1;
  int64_t frac = 0;
  if (len > 17) {
    size_t nf = len - 18;
    if (s[17] != '.' || nf < 1 || nf > 9) return -1;
    int f;
    if (digits(s + 18, nf, &f)) return -1;
    frac = f;
    for (size_t i = nf; i < 9; i++) frac *= 10;
  }
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  *out = secs * INT64_C(1000000000) + frac;
  return 0;
}

static int parse_enum(int param, const char *s, size_t len, int64_t *out) {
  static const char *const aggr[] = {"PASSIVE", "MID", "CROSS"};
  static const char *const unit[] = {"PRICE", "BPS", "TICKS"};
  static const char *const trig[] = {
#define XX(name, num, d) #name,
      OMS_ALGO_TRIGGER_MAP(XX)
#undef XX
  };
  uint64_t v;
  if (parse_u64(s, len, &v) == 0) {
    *out = (int64_t)v;
    return 0;
  }
  char buf[32];
  if (len >= sizeof buf) return -1;
  memcpy(buf, s, len);
  buf[len] = 0;
  if (param == OMS_ALGO_P_strategy) {
    oms_algo_strategy_t st;
    if (oms_algo_strategy_parse(buf, &st) != 0) return -1;
    *out = st;
    return 0;
  }
  const char *const *names = param == OMS_ALGO_P_aggression     ? aggr
                             : param == OMS_ALGO_P_trail_unit   ? unit
                             : param == OMS_ALGO_P_trigger_type ? trig
                                                                : NULL;
  for (int i = 0; names != NULL && i < 3; i++) {
    if (strcmp(buf, names[i]) == 0) {
      *out = i + 1;
      return 0;
    }
  }
  return -1;
}

static int parse_profile(const char *s, size_t len, oms_algo_params_t *p) {
  size_t i = 0;
  uint8_t n = 0;
  while (i <= len) {
    size_t j = i;
    while (j < len && s[j] != ',') j++;
    if (n == OMS_ALGO_PROFILE_MAX) return -1;
    if (oms_dec_parse(s + i, j - i, &p->profile[n]) != 0) return -1;
    n++;
    i = j + 1;
  }
  p->profile_len = n;
  return 0;
}

static void store_int(oms_algo_params_t *p, int param, int64_t v) {
  char *dst = (char *)p + desc[param].off;
  switch (desc[param].size) {
    case 1: *(uint8_t *)dst = (uint8_t)v; break;
    case 2: *(uint16_t *)dst = (uint16_t)v; break;
    default: memcpy(dst, &v, sizeof v); break;
  }
}

static int read_one(oms_algo_params_t *p, int param, const char *s, size_t len) {
  char *dst = (char *)p + desc[param].off;
  int64_t v = 0;
  switch (desc[param].type) {
    case T_DEC: return oms_dec_parse(s, len, (oms_dec_t *)dst) == 0 ? 0 : -1;
    case T_TIME:
      if (parse_utc(s, len, &v) != 0) return -1;
      break;
    case T_DUR: {
      uint64_t ms;
      if (parse_u64(s, len, &ms) != 0 || ms > (uint64_t)INT64_MAX / 1000000) return -1;
      v = (int64_t)ms * 1000000;
      break;
    }
    case T_BOOL:
      if (len != 1 || (s[0] != 'Y' && s[0] != 'N')) return -1;
      v = s[0] == 'Y';
      break;
    case T_U64: {
      uint64_t u;
      if (parse_u64(s, len, &u) != 0) return -1;
      memcpy(dst, &u, sizeof u);
      return 0;
    }
    case T_PROFILE: return parse_profile(s, len, p);
    default:
      if (parse_enum(param, s, len, &v) != 0 || v < 0 || v > 65535) return -1;
      break;
  }
  store_int(p, param, v);
  return 0;
}

int oms_algo_params_from_tags(const oms_algo_tag_t *tags, size_t n, oms_algo_params_t *p,
                              oms_algo_reject_t *rej) {
  memset(p, 0, sizeof(*p));
  p->catch_up = 1;
  for (size_t i = 0; i < n; i++) {
    int param = -1;
    for (int k = 0; k < OMS_ALGO_P_COUNT; k++) {
      if (desc[k].tag == tags[i].tag) param = k;
    }
    if (param < 0) {
      if (tags[i].tag >= 20000 && tags[i].tag <= 20999) {
        return refuse(rej, OMS_ALGO_R_UNKNOWN_TAG, -1, "tag %u is not an algorithm parameter",
                      tags[i].tag);
      }
      continue;
    }
    if (p->set & (1u << param)) {
      return refuse(rej, OMS_ALGO_R_DUPLICATE_TAG, param, "given twice");
    }
    if (read_one(p, param, tags[i].value, tags[i].len) != 0) {
      int shown = tags[i].len > 40 ? 40 : (int)tags[i].len;
      if (param == OMS_ALGO_P_strategy) {
        return refuse(rej, OMS_ALGO_R_UNKNOWN_STRATEGY, param, "unknown strategy '%.*s'", shown,
                      tags[i].value);
      }
      return refuse(rej, OMS_ALGO_R_BAD_VALUE, param, "cannot read '%.*s'", shown, tags[i].value);
    }
    p->set |= 1u << param;
  }
  return 0;
}

/* ---- validation ---- */

static bool known_strategy(uint16_t s) {
  switch (s) {
#define XX(name, num, d) case OMS_ALGO_##name:
    OMS_ALGO_STRATEGY_MAP(XX)
#undef XX
    return true;
    default: return false;
  }
}

static int64_t value_of(const oms_algo_params_t *p, int param) {
  const char *src = (const char *)p + desc[param].off;
  switch (desc[param].size) {
    case 1: return *(const uint8_t *)src;
    case 2: return *(const uint16_t *)src;
    default: {
      int64_t v;
      memcpy(&v, src, sizeof v);
      return v;
    }
  }
}

/* The bounds of the table, for every parameter given. */
static int check_bounds(const oms_algo_params_t *p, oms_algo_reject_t *rej) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
  for (int k = 0; k < OMS_ALGO_P_COUNT; k++) {
    if (!(p->set & (1u << k))) continue;
    uint8_t t = desc[k].type;
    if (t == T_PROFILE || t == T_U64 || t == T_TIME) continue;
    int64_t v = value_of(p, k);
    bool frac = desc[k].hi == OMS__ALGO_FRAC_MAX || desc[k].hi == OMS__ALGO_VAR_MAX;
    bool low = v < desc[k].lo, high = desc[k].hi != 0 && v > desc[k].hi;
    if (!low && !high) continue;
    if (k == OMS_ALGO_P_slice_ns) {
      return refuse(rej, OMS_ALGO_R_SLICE_INTERVAL, k, "%lld ms is not positive",
                    (long long)(v / 1000000));
    }
    if (k == OMS_ALGO_P_pov_rate || k == OMS_ALGO_P_max_pov) {
      return refuse(rej, OMS_ALGO_R_PARTICIPATION, k, "%s is not in (0, 1]",
                    fmt_dec(oms_dec_from_raw(v), a));
    }
    if (t == T_DEC) {
      if (frac) {
        return refuse(rej, OMS_ALGO_R_OUT_OF_BOUNDS, k, "%s is not in [%s, %s]",
                      fmt_dec(oms_dec_from_raw(v), a), fmt_dec(oms_dec_from_raw(desc[k].lo), b),
                      fmt_dec(oms_dec_from_raw(desc[k].hi), b));
      }
      return refuse(rej, OMS_ALGO_R_OUT_OF_BOUNDS, k, "%s must be %s",
                    fmt_dec(oms_dec_from_raw(v), a), desc[k].lo > 0 ? "positive" : "zero or more");
    }
    return refuse(rej, OMS_ALGO_R_OUT_OF_BOUNDS, k, "%lld is not in [%lld, %lld]", (long long)v,
                  (long long)desc[k].lo, (long long)desc[k].hi);
  }
  return 0;
}

static bool has(const oms_algo_params_t *p, int param) { return (p->set & (1u << param)) != 0; }

static int check_tick(const oms_algo_params_t *p, int param, oms_dec_t tick,
                      oms_algo_reject_t *rej) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
  oms_dec_t v = oms_dec_from_raw(value_of(p, param));
  if (!has(p, param) || oms_dec_is_multiple(v, tick)) return 0;
  return refuse(rej, OMS_ALGO_R_TICK_SIZE, param, "%s is not a multiple of the tick %s",
                fmt_dec(v, a), fmt_dec(tick, b));
}

static int check_lot(const oms_algo_params_t *p, int param, oms_dec_t lot, oms_algo_reject_t *rej) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
  oms_dec_t v = oms_dec_from_raw(value_of(p, param));
  if (!has(p, param) || oms_dec_is_multiple(v, lot)) return 0;
  return refuse(rej, OMS_ALGO_R_LOT_SIZE, param, "%s is not a multiple of the lot %s",
                fmt_dec(v, a), fmt_dec(lot, b));
}

static int check_rules(const oms_algo_params_t *p, oms_dec_t tick, oms_dec_t lot, int64_t now_ns,
                       oms_algo_reject_t *rej) {
  char a[OMS_DEC_STRLEN], b[OMS_DEC_STRLEN];
  int rc;
  int64_t start = has(p, OMS_ALGO_P_start_ns) ? p->start_ns : now_ns;
  if (has(p, OMS_ALGO_P_end_ns)) {
    if (p->end_ns <= start) {
      return refuse(rej, OMS_ALGO_R_END_BEFORE_START, OMS_ALGO_P_end_ns,
                    "end %lld ns is not after start %lld ns", (long long)p->end_ns,
                    (long long)start);
    }
    if (p->end_ns <= now_ns) {
      return refuse(rej, OMS_ALGO_R_END_PASSED, OMS_ALGO_P_end_ns,
                    "end %lld ns is not after now %lld ns", (long long)p->end_ns,
                    (long long)now_ns);
    }
  }
  if (has(p, OMS_ALGO_P_display_qty) && oms_dec_gt(p->display_qty, p->qty)) {
    return refuse(rej, OMS_ALGO_R_DISPLAY_ABOVE_QTY, OMS_ALGO_P_display_qty, "%s above qty %s",
                  fmt_dec(p->display_qty, a), fmt_dec(p->qty, b));
  }
  if (has(p, OMS_ALGO_P_max_slice) && oms_dec_is_pos(p->max_slice) &&
      oms_dec_gt(p->min_slice, p->max_slice)) {
    return refuse(rej, OMS_ALGO_R_MIN_ABOVE_MAX, OMS_ALGO_P_min_slice, "%s above max_slice %s",
                  fmt_dec(p->min_slice, a), fmt_dec(p->max_slice, b));
  }
  if (has(p, OMS_ALGO_P_would_px) && has(p, OMS_ALGO_P_limit_px)) {
    bool beyond = p->side == OMS_SIDE_BUY ? oms_dec_gt(p->would_px, p->limit_px)
                                          : oms_dec_lt(p->would_px, p->limit_px);
    if (beyond) {
      return refuse(rej, OMS_ALGO_R_WOULD_BEYOND_LIMIT, OMS_ALGO_P_would_px,
                    "%s is beyond the limit %s for a %s", fmt_dec(p->would_px, a),
                    fmt_dec(p->limit_px, b), p->side == OMS_SIDE_BUY ? "buy" : "sell");
    }
  }
  if (has(p, OMS_ALGO_P_profile)) {
    int64_t sum = 0;
    bool bad = p->profile_len == 0 || p->profile_len > OMS_ALGO_PROFILE_MAX;
    for (int i = 0; !bad && i < p->profile_len; i++) {
      if (oms_dec_is_neg(p->profile[i]) || p->profile[i].raw > OMS_DEC_SCALE * 1000000) bad = true;
      sum += p->profile[i].raw;
    }
    if (bad || sum <= 0) {
      return refuse(rej, OMS_ALGO_R_BAD_PROFILE, OMS_ALGO_P_profile,
                    "%u buckets; need 1..%d weights from 0 to 1000000, not all zero",
                    (unsigned)p->profile_len, OMS_ALGO_PROFILE_MAX);
    }
  }
  if (has(p, OMS_ALGO_P_trail_offset) && p->trail_unit == OMS_TRAIL_BPS &&
      p->trail_offset.raw >= OMS_DEC_SCALE * 10000) {
    return refuse(rej, OMS_ALGO_R_OUT_OF_BOUNDS, OMS_ALGO_P_trail_offset,
                  "%s bps is not below 10000", fmt_dec(p->trail_offset, a));
  }
  if (oms_dec_is_pos(tick)) {
    static const int prices[] = {OMS_ALGO_P_limit_px, OMS_ALGO_P_would_px, OMS_ALGO_P_trigger_px,
                                 OMS_ALGO_P_activation_px};
    for (size_t i = 0; i < sizeof prices / sizeof prices[0]; i++) {
      rc = check_tick(p, prices[i], tick, rej);
      if (rc != 0) return rc;
    }
    if (p->trail_unit == OMS_TRAIL_PRICE || p->trail_unit == 0) {
      rc = check_tick(p, OMS_ALGO_P_trail_offset, tick, rej);
      if (rc != 0) return rc;
    }
  }
  if (oms_dec_is_pos(lot)) {
    static const int qtys[] = {OMS_ALGO_P_qty, OMS_ALGO_P_display_qty, OMS_ALGO_P_min_slice,
                               OMS_ALGO_P_max_slice};
    for (size_t i = 0; i < sizeof qtys / sizeof qtys[0]; i++) {
      rc = check_lot(p, qtys[i], lot, rej);
      if (rc != 0) return rc;
    }
  }
  return 0;
}

int oms_algo_params_validate(const oms_algo_params_t *p, oms_dec_t tick, oms_dec_t lot,
                             int64_t now_ns, oms_algo_reject_t *rej) {
  if (!has(p, OMS_ALGO_P_strategy) || !known_strategy(p->strategy)) {
    return refuse(rej, OMS_ALGO_R_UNKNOWN_STRATEGY, OMS_ALGO_P_strategy, "unknown strategy %u",
                  (unsigned)p->strategy);
  }
  const char *sname = oms_algo_strategy_name((oms_algo_strategy_t)p->strategy);
  uint32_t need = P(side) | P(qty) | required(p->strategy);
  for (int k = 0; k < OMS_ALGO_P_COUNT; k++) {
    if ((need & (1u << k)) && !has(p, k)) {
      if (k == OMS_ALGO_P_limit_px) {
        return refuse(rej, OMS_ALGO_R_LIMIT_REQUIRED, k, "%s needs a limit price", sname);
      }
      return refuse(rej, OMS_ALGO_R_MISSING, k, "%s needs it", sname);
    }
  }
  uint32_t extra = p->set & ~allowed(p->strategy);
  if (extra != 0) {
    int k = __builtin_ctz(extra);
    return refuse(rej, OMS_ALGO_R_NOT_APPLICABLE, k, "not a parameter of %s", sname);
  }
  int rc = check_bounds(p, rej);
  if (rc != 0) return rc;
  return check_rules(p, tick, lot, now_ns, rej);
}

int oms_algo_profile_from_volumes(oms_algo_params_t *p, const oms_dec_t *vol, size_t n) {
  if (n == 0 || n > OMS_ALGO_PROFILE_MAX) return OMS_EINVAL;
  __int128 total = 0;
  for (size_t i = 0; i < n; i++) {
    if (oms_dec_is_neg(vol[i])) return OMS_EINVAL;
    total += vol[i].raw;
  }
  if (total <= 0) return OMS_EINVAL;
  for (size_t i = 0; i < n; i++) {
    /* percent at 10^-8: vol * 100 / total, within [0, 100] */
    p->profile[i].raw = (int64_t)((__int128)vol[i].raw * 100 * OMS_DEC_SCALE / total);
  }
  p->profile_len = (uint8_t)n;
  p->set |= P(profile);
  return 0;
}
