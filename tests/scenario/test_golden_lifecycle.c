/* Golden order lifecycles: every .txt file in tests/golden/lifecycle is a script of
 * commands to the engine (trading against the simulated venue on a manual
 * clock) with the events and outcomes each command must produce, written as
 * text a reviewer reads without reading C. The format and the fixed world the
 * scripts run in are in tests/golden/lifecycle/README.md.
 *
 * How it works: each file gets a fresh world. A command line runs; every
 * event the engine publishes meanwhile is rendered as one "> ..." line, and a
 * refused or duplicate request as one "= ..." line after them. Those lines
 * must equal, in order, the "> " and "= " lines that follow the command in
 * the file, up to the next command. The first difference fails the test with
 * the file and line where it is. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "oms/engine.h"
#include "oms/portfolio.h"
#include "oms/risk.h"
#include "oms/sim_venue.h"
#include "oms/store.h"
#include "oms_test.h"
#include "oms_test_risk.h"
#include "world.h"

#define T0 INT64_C(1764000000000000000)
#define MS INT64_C(1000000)
#define MAX_OUT 64
#define LINE_MAX_LEN 512
#define MAX_NAMES 64

typedef struct world_s {
  int64_t now;
  oms_store_t *store;
  oms_portfolio_t *pf;
  oms_risk_t *risk;
  oms_engine_t *e;
  oms_venue_t *sim;
  int nout;
  char out[MAX_OUT][LINE_MAX_LEN];
  int nnames;
  struct {
    char clid[OMS_ID_MAX + 1];
    uint64_t id;
    char last_exec[OMS_ID_MAX + 1]; /* the exec id of its last fill */
  } names[MAX_NAMES];
  int nvenue; /* reports scripted with `venue` */
} world_t;

/* ---- rendering ------------------------------------------------------------- */

static void emit(world_t *w, const char *fmt, ...) {
  if (w->nout == MAX_OUT) fail_msg("more than %d lines from one command", MAX_OUT);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->out[w->nout++], LINE_MAX_LEN, fmt, ap);
  va_end(ap);
}

/* Appends " key=<decimal>" to line. */
static void add_dec(char *line, const char *key, oms_dec_t d) {
  char b[OMS_DEC_STRLEN];
  oms_dec_format(d, b, sizeof b);
  size_t n = strlen(line);
  snprintf(line + n, LINE_MAX_LEN - n, " %s=%s", key, b);
}

static void add_str(char *line, const char *key, const char *v) {
  size_t n = strlen(line);
  snprintf(line + n, LINE_MAX_LEN - n, " %s=%s", key, v);
}

/* One event as one line: the type, the order's first client order id, its
 * state, then what the type is about (README.md lists the fields). */
static void on_event(void *ctx, const oms_event_t *ev) {
  world_t *w = ctx;
  const oms_order_t *o = &ev->order;
  char line[LINE_MAX_LEN];
  if (!oms_event_is_order(ev->type)) {
    snprintf(line, sizeof line, "> %s", oms_event_type_name(ev->type));
    if (ev->type == OMS_EVT_ALARM) add_str(line, "alarm", oms_alarm_kind_name(ev->alarm));
    if (ev->type == OMS_EVT_ALARM && ev->order.client_order_id[0])
      add_str(line, "clordid", ev->order.client_order_id);
    if (ev->reason != OMS_R_NONE) add_str(line, "reason", oms_reason_name(ev->reason));
    emit(w, "%s", line);
    return;
  }
  snprintf(line, sizeof line, "> %s %s state=%s", oms_event_type_name(ev->type), o->client_order_id,
           oms_ord_state_str(o->state));
  bool amend = ev->type == OMS_EVT_ORDER_FILL_BUSTED || ev->type == OMS_EVT_ORDER_FILL_CORRECTED;
  bool fill = ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED || ev->type == OMS_EVT_ORDER_FILLED ||
              ev->type == OMS_EVT_ORDER_FILL_CORRECTED;
  for (int i = 0; i < w->nnames; i++)
    if (w->names[i].id == o->order_id && fill && !amend)
      oms_strlcpy(w->names[i].last_exec, ev->fill.exec_id, sizeof w->names[i].last_exec);
  if (amend) {
    char was[2 * OMS_DEC_STRLEN + 1], q[OMS_DEC_STRLEN], p[OMS_DEC_STRLEN];
    oms_dec_format(ev->fill.old_qty, q, sizeof q);
    oms_dec_format(ev->fill.old_price, p, sizeof p);
    snprintf(was, sizeof was, "%s@%s", q, p);
    add_str(line, "was", was);
  }
  if (ev->type == OMS_EVT_ORDER_SUBMITTED || ev->type == OMS_EVT_ORDER_REPLACED ||
      ev->type == OMS_EVT_ORDER_DENIED) {
    add_str(line, "side", oms_side_str(o->side));
    add_str(line, "type", oms_ord_type_str(o->type));
    add_dec(line, "qty", o->qty);
    if (!oms_dec_is_zero(o->price)) add_dec(line, "px", o->price);
    if (!oms_dec_is_zero(o->stop_price)) add_dec(line, "stop", o->stop_price);
    if (o->tif != OMS_TIF_GTC) add_str(line, "tif", oms_tif_str(o->tif));
  }
  if (fill) {
    char last[2 * OMS_DEC_STRLEN + 1], q[OMS_DEC_STRLEN], p[OMS_DEC_STRLEN];
    oms_dec_format(ev->fill.qty, q, sizeof q);
    oms_dec_format(ev->fill.price, p, sizeof p);
    snprintf(last, sizeof last, "%s@%s", q, p);
    add_str(line, "last", last);
  }
  if (fill || amend || oms_ord_state_is_terminal(o->state) || ev->type == OMS_EVT_ORDER_REPLACED ||
      ev->type == OMS_EVT_ORDER_RESTATED) {
    add_dec(line, "filled", o->filled_qty);
    add_dec(line, "leaves", o->leaves_qty);
  }
  if (fill || amend) add_dec(line, "avg", o->avg_px);
  if (strcmp(o->cur_client_order_id, o->client_order_id) != 0 && o->cur_client_order_id[0])
    add_str(line, "name", o->cur_client_order_id);
  if (ev->reason != OMS_R_NONE) add_str(line, "reason", oms_reason_name(ev->reason));
  if (ev->check[0]) add_str(line, "check", ev->check);
  emit(w, "%s", line);
}

/* ---- the world ------------------------------------------------------------- */

static void world_open(world_t *w) {
  memset(w, 0, sizeof *w);
  w->now = T0;
  assert_int_equal(oms_store_memory_create(NULL, &w->store), 0);
  scn_parts(&w->pf, &w->risk);
  oms_engine_config_t cfg = {.clock = oms_clock_manual(&w->now),
                             .max_orders = 256,
                             .store = w->store,
                             .portfolio = w->pf,
                             .risk = w->risk,
                             .on_event = on_event,
                             .event_ctx = w};
  assert_int_equal(oms_engine_create(&cfg, &w->e), 0);
  oms_sim_symbol_t sym;
  memset(&sym, 0, sizeof sym);
  t_instrument(&sym.ins, "BTC-USD");
  sym.ins.multiplier = T_D("10");
  oms_sim_config_t sc = {.name = "SIM",
                         .clock = oms_clock_manual(&w->now),
                         .max_orders = 1024,
                         .ack_latency_ns = 1 * MS,
                         .fill_latency_ns = 1 * MS,
                         .taker_fee_rate = T_D("0.001"),
                         .seed = 1,
                         .symbols = &sym,
                         .nsymbols = 1};
  assert_int_equal(oms_sim_venue_create(&sc, &w->sim), 0);
  assert_int_equal(oms_engine_add_instrument(w->e, &sym.ins, NULL), 0);
  assert_int_equal(oms_engine_add_venue(w->e, w->sim, NULL), 0);
  oms_portfolio_set_cash(w->pf, "ACC1", T_D("1000000"), w->now);
  oms_portfolio_set_cash(w->pf, "ACC2", T_D("1000000"), w->now);
  oms_risk_set_reference_price(w->risk, "BTC-USD", T_D("100"), w->now);
  oms_risk_limit_t acc1 = {.set = OMS_RL_MAX_ORDER_QTY, .max_order_qty = T_D("10")};
  loose_limits(w->risk, &acc1);
}

static void world_close(world_t *w) {
  oms_engine_destroy(w->e);
  oms_risk_destroy(w->risk);
  oms_portfolio_destroy(w->pf);
  oms_store_close(w->store);
}

/* ---- commands -------------------------------------------------------------- */

typedef struct where_s {
  const char *path;
  int line;
} where_t;

#define FAIL_AT(at, ...)                                 \
  do {                                                   \
    char msg_[4 * LINE_MAX_LEN];                         \
    snprintf(msg_, sizeof msg_, __VA_ARGS__);            \
    fail_msg("%s:%d: %s", (at)->path, (at)->line, msg_); \
  } while (0)

static uint64_t order_of(world_t *w, const where_t *at, const char *clid) {
  for (int i = 0; i < w->nnames; i++)
    if (strcmp(w->names[i].clid, clid) == 0) return w->names[i].id;
  FAIL_AT(at, "no order was submitted as %s", clid);
  return 0;
}

static oms_dec_t dec_at(const where_t *at, const char *s) {
  oms_dec_t d;
  if (oms_dec_parse_cstr(s, &d) != 0) FAIL_AT(at, "not a decimal: %s", s);
  return d;
}

/* "key=value" -> value if the word has that key, else NULL. */
static const char *val(const char *word, const char *key) {
  size_t n = strlen(key);
  return strncmp(word, key, n) == 0 && word[n] == '=' ? word + n + 1 : NULL;
}

static void refused(world_t *w, const oms_reject_t *rej) {
  emit(w, "= refused %s", oms_reason_name(rej->code));
}

/* submit <clid> <account> <BUY|SELL> <type> <qty> [px=] [stop=] [tif=] */
static void cmd_submit(world_t *w, const where_t *at, char **arg, int n) {
  if (n < 6) FAIL_AT(at, "submit <clid> <account> <side> <type> <qty> [px=] [stop=] [tif=]");
  oms_order_request_t req;
  t_request(&req, arg[1], OMS_SIDE_BUY, OMS_ORD_LIMIT, "1", NULL);
  oms_strlcpy(req.account_id, arg[2], sizeof req.account_id);
  if (oms_side_parse(arg[3], &req.side) != 0) FAIL_AT(at, "no such side: %s", arg[3]);
  if (oms_ord_type_parse(arg[4], &req.type) != 0) FAIL_AT(at, "no such type: %s", arg[4]);
  req.qty = dec_at(at, arg[5]);
  for (int i = 6; i < n; i++) {
    const char *v;
    if ((v = val(arg[i], "px")) != NULL)
      req.price = dec_at(at, v);
    else if ((v = val(arg[i], "stop")) != NULL)
      req.stop_price = dec_at(at, v);
    else if ((v = val(arg[i], "tif")) != NULL) {
      if (oms_tif_parse(v, &req.tif) != 0) FAIL_AT(at, "no such tif: %s", v);
    } else
      FAIL_AT(at, "unknown argument %s", arg[i]);
  }
  oms_submit_result_t res;
  int rc = oms_engine_submit(w->e, &req, &res);
  if (res.order->order_id != 0 && !res.duplicate) {
    if (w->nnames == MAX_NAMES) FAIL_AT(at, "too many orders");
    oms_strlcpy(w->names[w->nnames].clid, arg[1], sizeof w->names[0].clid);
    w->names[w->nnames++].id = res.order->order_id;
  }
  if (res.duplicate) emit(w, "= duplicate of order %s", res.order->client_order_id);
  if (rc != 0) refused(w, &res.reject);
}

static void cmd_cancel(world_t *w, const where_t *at, char **arg, int n) {
  if (n != 2) FAIL_AT(at, "cancel <clid>");
  oms_reject_t rej;
  if (oms_engine_cancel(w->e, order_of(w, at, arg[1]), &rej) != 0) refused(w, &rej);
}

/* modify <clid> [qty=] [px=] [stop=] [name=] */
static void cmd_modify(world_t *w, const where_t *at, char **arg, int n) {
  if (n < 3) FAIL_AT(at, "modify <clid> [qty=] [px=] [stop=] [name=]");
  oms_modify_t m;
  memset(&m, 0, sizeof m);
  for (int i = 2; i < n; i++) {
    const char *v;
    if ((v = val(arg[i], "qty")) != NULL)
      m.qty = dec_at(at, v);
    else if ((v = val(arg[i], "px")) != NULL)
      m.price = dec_at(at, v);
    else if ((v = val(arg[i], "stop")) != NULL)
      m.stop_price = dec_at(at, v);
    else if ((v = val(arg[i], "name")) != NULL)
      m.client_order_id = v;
    else
      FAIL_AT(at, "unknown argument %s", arg[i]);
  }
  oms_reject_t rej;
  if (oms_engine_modify(w->e, order_of(w, at, arg[1]), &m, &rej) != 0) refused(w, &rej);
}

/* advance <n>ms: the clock moves in 1 ms steps, the engine polled at each. */
static void cmd_advance(world_t *w, const where_t *at, char **arg, int n) {
  int ms = 0;
  char unit[8] = "";
  if (n != 2 || sscanf(arg[1], "%d%7s", &ms, unit) != 2 || strcmp(unit, "ms") != 0 || ms <= 0)
    FAIL_AT(at, "advance <n>ms");
  for (int i = 0; i < ms; i++) {
    w->now += MS;
    oms_engine_poll(w->e);
  }
}

/* venue <BUST|CORRECT|STATUS|UNKNOWN_FILL> <clid> [qty=] [px=] [status=] [cum=] [avg=]
 * [last]: a report from the venue, delivered to the engine as the venue's
 * connector would (a real venue's busts, corrections and status answers,
 * which the simulated one does not make up). BUST and CORRECT name the
 * order's last fill; UNKNOWN_FILL is a fill for a ClOrdID the OMS never
 * gave out. */
static void cmd_venue(world_t *w, const where_t *at, char **arg, int n) {
  if (n < 3) FAIL_AT(at, "venue <BUST|CORRECT|STATUS|UNKNOWN_FILL> <clid> [key=value...]");
  oms_exec_report_t r;
  memset(&r, 0, sizeof r);
  snprintf(r.exec_id, sizeof r.exec_id, "G%d", ++w->nvenue);
  if (strcmp(arg[1], "UNKNOWN_FILL") == 0) {
    r.type = OMS_EXEC_FILL;
    oms_strlcpy(r.cl_ord_id, arg[2], sizeof r.cl_ord_id);
  } else {
    r.order_id = order_of(w, at, arg[2]);
    if (strcmp(arg[1], "BUST") == 0 || strcmp(arg[1], "CORRECT") == 0) {
      r.type = arg[1][0] == 'B' ? OMS_EXEC_BUST : OMS_EXEC_CORRECT;
      for (int i = 0; i < w->nnames; i++)
        if (w->names[i].id == r.order_id)
          oms_strlcpy(r.exec_ref_id, w->names[i].last_exec, sizeof r.exec_ref_id);
    } else if (strcmp(arg[1], "STATUS") == 0) {
      r.type = OMS_EXEC_STATUS;
      r.exec_id[0] = '\0';
    } else {
      FAIL_AT(at, "no such venue report: %s", arg[1]);
    }
  }
  for (int i = 3; i < n; i++) {
    const char *v;
    if ((v = val(arg[i], "qty")) != NULL)
      r.last_qty = dec_at(at, v);
    else if ((v = val(arg[i], "px")) != NULL)
      r.last_px = dec_at(at, v);
    else if ((v = val(arg[i], "cum")) != NULL)
      r.cum_qty = dec_at(at, v);
    else if ((v = val(arg[i], "avg")) != NULL)
      r.avg_px = dec_at(at, v);
    else if ((v = val(arg[i], "status")) != NULL) {
      static const char *const st[] = {"UNKNOWN",   "WORKING",  "FILLED",
                                       "CANCELLED", "REJECTED", "EXPIRED"};
      int k = 0;
      while (k < 6 && strcmp(st[k], v) != 0) k++;
      if (k == 6) FAIL_AT(at, "no such venue status: %s", v);
      r.status = (oms_venue_status_t)k;
    } else if (strcmp(arg[i], "last") == 0)
      r.last_of_batch = true;
    else
      FAIL_AT(at, "unknown argument %s", arg[i]);
  }
  r.ts_ns = w->now;
  w->sim->handler.on_report(w->sim->handler.ctx, &r);
}

typedef struct pos_ctx_s {
  world_t *w;
  const where_t *at;
} pos_ctx_t;

/* One stored position as a line; it must equal the engine's portfolio. */
static int print_position(void *ctx, const oms_position_t *p) {
  pos_ctx_t *c = ctx;
  oms_pf_position_t want;
  assert_int_equal(oms_portfolio_position(c->w->pf, p->account_id, p->symbol, &want), 0);
  if (!oms_dec_eq(p->qty, want.qty) || !oms_dec_eq(p->avg_px, want.avg_px) ||
      !oms_dec_eq(p->realized_pnl, want.realized_pnl) || !oms_dec_eq(p->fees, want.fees))
    FAIL_AT(c->at, "stored position %s/%s differs from the portfolio's", p->account_id, p->symbol);
  char line[LINE_MAX_LEN];
  snprintf(line, sizeof line, "= position %s %s", p->account_id, p->symbol);
  add_dec(line, "qty", p->qty);
  add_dec(line, "avg", p->avg_px);
  add_dec(line, "realized", p->realized_pnl);
  add_dec(line, "fees", p->fees);
  emit(c->w, "%s", line);
  return 0;
}

static void cmd_positions(world_t *w, const where_t *at, char **arg, int n) {
  (void)arg;
  if (n != 1) FAIL_AT(at, "positions");
  pos_ctx_t c = {w, at};
  assert_int_equal(oms_store_load_positions(w->store, print_position, &c), 0);
}

static const struct {
  const char *name;
  void (*run)(world_t *w, const where_t *at, char **arg, int n);
} commands[] = {
    {"submit", cmd_submit},   {"cancel", cmd_cancel},       {"modify", cmd_modify},
    {"advance", cmd_advance}, {"positions", cmd_positions}, {"venue", cmd_venue},
};

/* ---- the script ------------------------------------------------------------ */

static void chomp(char *s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) s[--n] = '\0';
}

/* Fails unless every line the last command produced was expected. */
static void all_seen(const world_t *w, int seen, const where_t *at) {
  if (seen < w->nout)
    FAIL_AT(at, "the command before this line also produced:\n    %s", w->out[seen]);
}

static void run_file(const char *path) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  world_t *w = calloc(1, sizeof *w);
  assert_non_null(w);
  world_open(w);
  char line[LINE_MAX_LEN];
  where_t at = {path, 0};
  int seen = 0, ncommands = 0;
  /* OMS_GOLDEN_PRINT=1: print what each command produces instead of checking
   * it, to draft a new file (whose every line must then be read and meant). */
  bool print = getenv("OMS_GOLDEN_PRINT") != NULL;
  if (print) printf("==> %s\n", path);
  while (fgets(line, sizeof line, f) != NULL) {
    at.line++;
    chomp(line);
    if (line[0] == '\0' || line[0] == '#') {
      if (print) printf("%s\n", line);
      continue;
    }
    if (print && (line[0] == '>' || line[0] == '=')) continue;
    if (line[0] == '>' || line[0] == '=') {
      if (seen == w->nout) FAIL_AT(&at, "expected\n    %s\nbut the command produced no more", line);
      if (strcmp(line, w->out[seen]) != 0)
        FAIL_AT(&at, "expected\n    %s\nbut got\n    %s", line, w->out[seen]);
      seen++;
      continue;
    }
    all_seen(w, seen, &at);
    w->nout = seen = 0;
    char *arg[16];
    int n = 0;
    for (char *tok = strtok(line, " "); tok != NULL && n < 16; tok = strtok(NULL, " "))
      arg[n++] = tok;
    size_t k = 0;
    while (k < sizeof commands / sizeof commands[0] && strcmp(commands[k].name, arg[0]) != 0) k++;
    if (k == sizeof commands / sizeof commands[0]) FAIL_AT(&at, "unknown command %s", arg[0]);
    if (print) {
      for (int i = 0; i < n; i++) printf("%s%s", i ? " " : "", arg[i]);
      printf("\n");
    }
    commands[k].run(w, &at, arg, n);
    if (print) {
      for (int i = 0; i < w->nout; i++) printf("%s\n", w->out[i]);
      seen = w->nout;
    }
    ncommands++;
  }
  at.line++;
  all_seen(w, seen, &at);
  if (ncommands == 0) FAIL_AT(&at, "no commands");
  fclose(f);
  world_close(w);
  free(w);
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_every_golden_lifecycle_runs_as_written(void **state) {
  (void)state;
  const char *src = getenv("OMS_SOURCE_DIR");
  char dir[512];
  snprintf(dir, sizeof dir, "%s/tests/golden/lifecycle", src ? src : ".");
  DIR *d = opendir(dir);
  if (d == NULL) fail_msg("cannot open %s (OMS_SOURCE_DIR unset?)", dir);
  char *names[128];
  int n = 0;
  for (struct dirent *de = readdir(d); de != NULL && n < 128; de = readdir(d)) {
    size_t len = strlen(de->d_name);
    if (len > 4 && strcmp(de->d_name + len - 4, ".txt") == 0) names[n++] = strdup(de->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], by_name);
  assert_true(n >= 9);
  for (int i = 0; i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    run_file(path);
    free(names[i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_golden_lifecycle_runs_as_written),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
