/*
 * banner.c - what a person reads in omsd's output: the ready banner and one
 * line per order event.
 *
 * THE READY BANNER. omsd_print_ready runs once, after every listener is
 * open, and writes to stderr what someone who just typed `make run` needs
 * next: where FIX clients connect and as whom (each configured session, never
 * its password), where the admin API and the blotter are, which tokens exist
 * and with which role, and a command line to try in a second terminal. A
 * token's value is printed only when it is one of the sample configuration's
 * placeholders (it ends in "-change-me"), with a warning to change it, and
 * only when stderr is a terminal: a log file never holds a token, not even a
 * placeholder (the admin API's tests check that no token reaches the log).
 * Any other token is a real secret and only its name is shown.
 *
 * THE ORDER LOG. omsd_log_event turns an event into one app_log line a
 * person can read, in the key=value form of every other line: the sentence
 * is the msg value and the facts follow as keys, e.g.
 *
 *   level=info msg="order 12 accepted: BUY 100 AAPL @ 190 LIMIT DAY" order=12
 *       event=OrderAccepted acct=ACC1 strat=CLIENT1 venue=SIM clordid=c-1 state=ACCEPTED seq=41
 *   level=info msg="order 13 refused: RISK_MAX_ORDER_NOTIONAL: max_order_size: notional
 *       9500000 exceeds limit 5000000 for AAPL (strategy trader1) (BUY 50000 AAPL @ 190
 *       LIMIT DAY)" order=13 ... reason=RISK_MAX_ORDER_NOTIONAL check=max_order_size seq=44
 *
 * (a refusal names the check in parentheses unless risk's text already opens
 * with it). It runs on the core thread for every event, so the level of each event
 * type comes from one table (kinds) and nothing is formatted unless that
 * level is enabled. Which events are info and which debug: refusals, fills,
 * cancels, replaces, expiries and the venue's acceptance are what a person
 * watching the log wants, one or two lines per order; the intermediate steps
 * (submitted to the venue, pending cancel or replace) are debug. Measured in
 * BENCHMARKS.md (issue 12): a line costs about 1 us, two lines an order are
 * 2% of a core at 10,000 orders/s, and at 2,000 orders/s info against warn
 * stays inside the noise of the round trip; so acceptances and fills stay at
 * info.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "omsd.h"

/* ---- The order log -------------------------------------------------------------------- */

/* What a line says of each event type: its level, and the verb of the sentence.
 * XX(TYPE, level, "verb") */
#define KINDS(XX)                                               \
  XX(ORDER_SUBMITTED, OMS_LOG_DEBUG, "submitted")               \
  XX(ORDER_ACCEPTED, OMS_LOG_INFO, "accepted")                  \
  XX(ORDER_PARTIALLY_FILLED, OMS_LOG_INFO, "partly filled")     \
  XX(ORDER_FILLED, OMS_LOG_INFO, "filled")                      \
  XX(ORDER_CANCELLED, OMS_LOG_INFO, "cancelled")                \
  XX(ORDER_REJECTED, OMS_LOG_INFO, "refused")                   \
  XX(ORDER_PENDING_CANCEL, OMS_LOG_DEBUG, "cancel requested")   \
  XX(ORDER_PENDING_REPLACE, OMS_LOG_DEBUG, "replace requested") \
  XX(ORDER_REPLACED, OMS_LOG_INFO, "replaced")                  \
  XX(ORDER_CANCEL_REJECTED, OMS_LOG_INFO, "cancel refused")     \
  XX(ORDER_REPLACE_REJECTED, OMS_LOG_INFO, "replace refused")   \
  XX(ORDER_EXPIRED, OMS_LOG_INFO, "expired")                    \
  XX(ORDER_TRIGGERED, OMS_LOG_INFO, "triggered")                \
  XX(ORDER_DENIED, OMS_LOG_INFO, "refused")                     \
  XX(TRADING_STATE_CHANGED, OMS_LOG_WARN, "trading state")      \
  XX(ALARM, OMS_LOG_ERROR, "alarm")                             \
  XX(ORDER_FILL_BUSTED, OMS_LOG_WARN, "fill busted")            \
  XX(ORDER_FILL_CORRECTED, OMS_LOG_WARN, "fill corrected")      \
  XX(ORDER_RESTATED, OMS_LOG_INFO, "restated")                  \
  XX(BEST_EXECUTION, OMS_LOG_INFO, "best execution")            \
  XX(RISK_REPORT, OMS_LOG_DEBUG, "risk report")

typedef struct kind_s {
  oms_log_level_t level;
  const char *verb;
} kind_t;

static const kind_t kinds[OMS_EVT_MAX + 1] = {
#define KIND(t, lvl, verb) [OMS_EVT_##t] = {lvl, verb},
    KINDS(KIND)
#undef KIND
};

/* A text for inside a quoted value: quotes become ' and control bytes '?', so
 * that a line stays one line of key=value pairs whatever a client sent. */
static const char *clean(const char *s, char *buf, size_t cap) {
  size_t i = 0;
  for (; s[i] != '\0' && i + 1 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    buf[i] = c == '"' ? '\'' : c < 0x20 || c == 0x7f ? '?' : (char)c;
  }
  buf[i] = '\0';
  return buf;
}

/* A bare value (an id a client chose): the same, and spaces and '=' too. */
static const char *bare(const char *s, char *buf, size_t cap) {
  clean(s, buf, cap);
  for (char *p = buf; *p; p++)
    if (*p == ' ' || *p == '=') *p = '_';
  return buf[0] != '\0' ? buf : "-";
}

static const char *dec(oms_dec_t v, char *buf, size_t cap) {
  if (oms_dec_format(v, buf, cap) < 0) snprintf(buf, cap, "?");
  return buf;
}

/* "BUY 100 AAPL @ 190.00 LIMIT DAY" (the price part as the type needs). */
static void describe(const oms_order_t *o, char *out, size_t cap) {
  char q[48], p[48], sp[48];
  dec(o->qty, q, sizeof q);
  int n = snprintf(out, cap, "%s %s %s", oms_side_str(o->side), q, o->symbol);
  if (n < 0 || (size_t)n >= cap) return;
  if (o->type == OMS_ORD_LIMIT || o->type == OMS_ORD_STOP_LIMIT)
    n += snprintf(out + n, cap - (size_t)n, " @ %s", dec(o->price, p, sizeof p));
  if ((size_t)n < cap && (o->type == OMS_ORD_STOP || o->type == OMS_ORD_STOP_LIMIT))
    n += snprintf(out + n, cap - (size_t)n, " stop %s", dec(o->stop_price, sp, sizeof sp));
  if ((size_t)n < cap)
    snprintf(out + n, cap - (size_t)n, " %s %s", oms_ord_type_str(o->type), oms_tif_str(o->tif));
}

static void log_order(oms_log_level_t lvl, const oms_event_t *ev, const char *verb) {
  const oms_order_t *o = &ev->order;
  char what[512] = "", q[48], p[48], f[48], a[48], av[48], txt[OMS_REASON_MAX + 1];
  switch (ev->type) {
    case OMS_EVT_ORDER_PARTIALLY_FILLED:
    case OMS_EVT_ORDER_FILLED:
      snprintf(what, sizeof what, "%s %s %s @ %s, %s of %s done, avg %s", oms_side_str(o->side),
               dec(ev->fill.qty, q, sizeof q), o->symbol, dec(ev->fill.price, p, sizeof p),
               dec(o->filled_qty, f, sizeof f), dec(o->qty, a, sizeof a),
               dec(o->avg_px, av, sizeof av));
      break;
    case OMS_EVT_ORDER_FILL_BUSTED:
    case OMS_EVT_ORDER_FILL_CORRECTED:
      snprintf(what, sizeof what, "exec %s was %s @ %s, now %s @ %s", ev->fill.exec_id,
               dec(ev->fill.old_qty, q, sizeof q), dec(ev->fill.old_price, p, sizeof p),
               dec(ev->fill.qty, f, sizeof f), dec(ev->fill.price, a, sizeof a));
      break;
    case OMS_EVT_ORDER_CANCELLED:
    case OMS_EVT_ORDER_EXPIRED:
      snprintf(what, sizeof what, "%s %s of %s done%s%s", o->symbol,
               dec(o->filled_qty, f, sizeof f), dec(o->qty, a, sizeof a), ev->text[0] ? ", " : "",
               clean(ev->text, txt, sizeof txt));
      break;
    case OMS_EVT_ORDER_REJECTED:
    case OMS_EVT_ORDER_DENIED:
    case OMS_EVT_ORDER_CANCEL_REJECTED:
    case OMS_EVT_ORDER_REPLACE_REJECTED: {
      char d[128];
      describe(o, d, sizeof d);
      /* Risk's texts already open with the check's name ("max_order_size: ..."). */
      size_t cl = strlen(ev->check);
      bool named = cl > 0 && strncmp(ev->text, ev->check, cl) == 0 && ev->text[cl] == ':';
      bool show = cl > 0 && !named;
      snprintf(what, sizeof what, "%s: %s%s%s%s (%s)", oms_reason_name(ev->reason),
               clean(ev->text, txt, sizeof txt), show ? " (check " : "", show ? ev->check : "",
               show ? ")" : "", d);
      break;
    }
    default: describe(o, what, sizeof what); break;
  }
  char clord[2 * OMS_ID_MAX], acct[2 * OMS_ID_MAX], strat[2 * OMS_ID_MAX];
  app_log(lvl,
          "msg=\"order %llu %s: %s\" order=%llu event=%s acct=%s strat=%s venue=%s clordid=%s "
          "state=%s%s%s%s%s seq=%llu",
          (unsigned long long)o->order_id, verb, what, (unsigned long long)o->order_id,
          oms_event_type_name(ev->type), bare(o->account_id, acct, sizeof acct),
          bare(o->strategy_id, strat, sizeof strat), bare(o->venue, q, sizeof q),
          bare(o->client_order_id, clord, sizeof clord), oms_ord_state_str(o->state),
          ev->reason != OMS_R_NONE ? " reason=" : "",
          ev->reason != OMS_R_NONE ? oms_reason_name(ev->reason) : "",
          ev->check[0] ? " check=" : "", ev->check, (unsigned long long)ev->seq);
}

void omsd_log_event(const oms_event_t *ev) {
  if ((unsigned)ev->type > OMS_EVT_MAX || kinds[ev->type].verb == NULL) return;
  const kind_t *k = &kinds[ev->type];
  if (k->level < app_log_level) return; /* the common case at 10k orders/s: nothing formatted */
  char txt[OMS_REASON_MAX + 1];
  if (ev->type == OMS_EVT_ALARM) {
    app_log(k->level, "msg=\"alarm %s: %s\" kind=%s code=%d seq=%llu",
            oms_alarm_kind_name(ev->alarm), clean(ev->text, txt, sizeof txt),
            oms_alarm_kind_name(ev->alarm), ev->alarm_code, (unsigned long long)ev->seq);
  } else if (ev->type == OMS_EVT_RISK_REPORT) {
    app_log(k->level, "msg=\"risk report %s: %s\" seq=%llu",
            ev->scope_id[0] ? ev->scope_id : "firm", clean(ev->text, txt, sizeof txt),
            (unsigned long long)ev->seq);
  } else if (ev->type == OMS_EVT_TRADING_STATE_CHANGED) {
    char idb[2 * OMS_ID_MAX];
    const char *id = ev->scope_id[0] ? bare(ev->scope_id, idb, sizeof idb) : "";
    const char *scope = oms_risk_scope_str((oms_risk_scope_t)ev->scope_kind);
    const char *from = oms_trading_state_str((oms_trading_state_t)ev->old_state);
    const char *to = oms_trading_state_str((oms_trading_state_t)ev->new_state);
    app_log(k->level,
            "msg=\"trading state %s%s%s: %s -> %s%s%s\" scope=%s id=%s state=%s previous=%s "
            "seq=%llu",
            scope, id[0] ? " " : "", id, from, to, ev->text[0] ? ": " : "",
            clean(ev->text, txt, sizeof txt), scope, id[0] ? id : "-", to, from,
            (unsigned long long)ev->seq);
  } else {
    log_order(k->level, ev, k->verb);
  }
}

/* ---- The ready banner ------------------------------------------------------------------- */

#define RULE "------------------------------------------------------------------------------"

/* Where this omsd's sibling program `name` is, as a person would type it:
 * relative to the working directory when it is below it (make run:
 * build/release/bin/omsctl), else absolute; just `name` if unknown. */
static void sibling(const char *name, char *out, size_t cap) {
  char exe[PATH_MAX], cwd[PATH_MAX];
  ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
  snprintf(out, cap, "%s", name);
  if (k <= 0) return;
  exe[k] = '\0';
  char *slash = strrchr(exe, '/');
  if (slash == NULL) return;
  *slash = '\0';
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/%s", exe, name);
  if (access(path, X_OK) != 0) return;
  size_t n = getcwd(cwd, sizeof cwd) != NULL ? strlen(cwd) : 0;
  if (n > 0 && strncmp(path, cwd, n) == 0 && path[n] == '/')
    snprintf(out, cap, "%s", path + n + 1);
  else
    snprintf(out, cap, "%s", path);
}

/* The sample configuration's placeholder tokens: the only values ever printed. */
static bool is_sample_token(const char *t) {
  static const char suffix[] = "-change-me";
  size_t n = strlen(t), k = sizeof suffix - 1;
  return n > k && strcmp(t + n - k, suffix) == 0;
}

static const char *role_name(int role) {
  static const char *const names[] = {"none", "read", "trade", "admin"};
  return role >= 0 && role <= OMS_CFG_ROLE_ADMIN ? names[role] : "?";
}

/* The admin API's base URL as a person types it (a wildcard address is
 * reached on loopback). */
static void admin_url(const omsd_t *d, char *out, size_t cap) {
  const oms_cfg_admin_t *a = &d->cfg->admin;
  const char *host = strcmp(a->address, "0.0.0.0") == 0 ? "127.0.0.1" : a->address;
  snprintf(out, cap, "%s://%s:%d", a->tls_cert[0] ? "https" : "http", host, d->admin_port);
}

/* The admin lines. Returns the token for the omsctl example: a sample token,
 * an admin one first (NULL when every token is a real secret). */
static const char *print_admin(const omsd_t *d, const char *url) {
  const oms_cfg_admin_t *a = &d->cfg->admin;
  const char *conf = d->config_path != NULL ? d->config_path : "the configuration";
  fprintf(stderr, " Admin API  %s/v1/  (docs/admin-api.md; Prometheus: %s/metrics)\n", url, url);
  fprintf(stderr, " Blotter    %s/\n", url);
  const oms_cfg_admin_token_t *example = NULL;
  /* Even a placeholder goes only to a person's terminal, never into a log
   * file or a collector. */
  bool tty = isatty(STDERR_FILENO) == 1, samples = false;
  for (size_t i = 0; i < a->ntokens; i++) {
    const oms_cfg_admin_token_t *t = &a->tokens[i];
    char role[OMS_CFG_MAX_ACCOUNTS * (OMS_ID_MAX + 1) + 16];
    size_t n = (size_t)snprintf(role, sizeof role, "%s", role_name(t->role));
    for (size_t k = 0; k < t->naccounts && n + 1 < sizeof role; k++)
      n += (size_t)snprintf(role + n, sizeof role - n, "%s%s", k == 0 ? " (" : ",", t->accounts[k]);
    if (t->naccounts > 0 && n + 1 < sizeof role) snprintf(role + n, sizeof role - n, ")");
    bool sample = is_sample_token(t->token);
    samples |= sample;
    if (sample && tty &&
        (example == NULL || (t->role == OMS_CFG_ROLE_ADMIN && example->role != OMS_CFG_ROLE_ADMIN)))
      example = t;
    fprintf(stderr, " %-10s %-8s %-20s %s\n", i == 0 ? "Tokens" : "", t->name, role,
            !sample ? "(a secret: not shown)"
            : tty   ? t->token
                    : "(the sample's placeholder: see the configuration)");
  }
  if (a->ntokens == 0)
    fprintf(stderr, " Tokens     none: every call but /healthz and /readyz is refused (%s)\n",
            conf);
  if (samples)
    fprintf(stderr,
            "            WARNING: these are the sample's tokens: change them in %s\n"
            "            before anyone but you can reach %s\n",
            conf, url);
  return example != NULL ? example->token : NULL;
}

static void print_fix(const omsd_t *d) {
  const oms_config_t *c = d->cfg;
  fprintf(stderr, " FIX 4.4    %s:%d\n", c->fix_address, d->listen_port);
  for (size_t i = 0; i < c->nsessions; i++) {
    const oms_cfg_session_t *s = &c->sessions[i];
    fprintf(stderr, "            SenderCompID=%-10s TargetCompID=%-6s account=%-8s %s%s\n",
            s->sender_comp_id, s->target_comp_id, s->account,
            s->password[0] ? "Password(554) in " : "no password",
            s->password[0] ? (d->config_path != NULL ? d->config_path : "the configuration") : "");
  }
  if (c->nsessions == 0) fprintf(stderr, "            no session configured: nobody may log on\n");
}

void omsd_print_ready(omsd_t *d) {
  const oms_config_t *c = d->cfg;
  const char *conf = d->config_path != NULL ? d->config_path : "-";
  char url[160] = "";
  if (c->admin.enabled) admin_url(d, url, sizeof url);
  LOG_INFO("msg=\"omsd ready\" fix=%s:%d admin=%s config=%s data_dir=%s", c->fix_address,
           d->listen_port, url[0] ? url : "off", conf, c->data_dir);
  fprintf(stderr, RULE "\n omsd is ready (pid %ld, configuration %s, data in %s/)\n\n",
          (long)getpid(), conf, c->data_dir);
  print_fix(d);
  if (!c->admin.enabled) {
    fprintf(stderr, " Admin API  off: no admin group in %s (docs/config.md)\n", conf);
  } else {
    const char *token = print_admin(d, url);
    char ctl[PATH_MAX + 64], opt[192] = "";
    sibling("omsctl", ctl, sizeof ctl);
    if (strcmp(url, "http://127.0.0.1:9880") != 0) snprintf(opt, sizeof opt, " --url %s", url);
    fprintf(stderr,
            "\n Try, in a second terminal (docs/omsctl.md):\n"
            "   %s%s --token %s health\n"
            "   %s%s --token %s orders\n",
            ctl, opt, token != NULL ? token : "TOKEN", ctl, opt, token != NULL ? token : "TOKEN");
  }
  if (app_log_level <= OMS_LOG_INFO)
    fprintf(stderr, "\n Orders, fills and refusals are logged below. Stop: Ctrl-C.\n" RULE "\n");
  else
    fprintf(stderr,
            "\n Orders are not logged at level %s (logging.level, --log-level info).\n" RULE "\n",
            oms_log_level_name(app_log_level));
  fflush(stderr);
}
