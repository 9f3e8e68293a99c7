/* test_config.c - the configuration loader: the sample file loads into the
 * expected struct, and every bad setting is refused with FILE:LINE: key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "oms/error.h"
#include "oms_test.h"
#include "risk/risk_internal.h" /* the global limits the loader built */

/* A minimal valid file; the bad cases each patch one line of it. */
static const char *base_lines[] = {"fix = { address = \"127.0.0.1\"; port = 9878;", /* 1 */
                                   "  sessions = ( { sender_comp_id = \"C1\"; target_comp_id = "
                                   "\"OMS\";", /* 2 */
                                   "                 password = \"pw\"; account = \"A1\"; "
                                   "heartbeat = 30; } ); };",                           /* 3 */
                                   "accounts = ( { id = \"A1\"; cash = \"1000\"; } );", /* 4 */
                                   "instruments = ( { symbol = \"BTC-USD\"; venue = \"SIM\"; tick "
                                   "= \"0.5\";", /* 5 */
                                   "                  lot = \"0.001\"; min_qty = \"0.001\"; "
                                   "max_qty = \"10\"; } );", /* 6 */
                                   "venues = ( { name = \"SIM\"; ack_latency_us = 10; maker_fee = "
                                   "\"-0.0001\";", /* 7 */
                                   "  liquidity = ( { symbol = \"BTC-USD\"; ref_px = \"65000\"; "
                                   "size = \"1\"; } ); } );", /* 8 */
                                   "risk = { global = { max_order_qty = \"5\"; rate_window_ms = "
                                   "1000; };", /* 9 */
                                   "  hours = ( { venue = \"SIM\"; tz = \"UTC\"; start = "
                                   "\"00:00\"; end = \"24:00\"; } ); };",                   /* 10 */
                                   "store = { data_dir = \"var\"; durability = \"os\"; };", /* 11 */
                                   "logging = { level = \"debug\"; };",                     /* 12 */
                                   NULL};

/* The base text with line `line` (1-based) replaced by repl (NULL: none). */
static char *text_with(int line, const char *repl) {
  static char buf[8192];
  buf[0] = '\0';
  for (int i = 0; base_lines[i] != NULL; i++) {
    strcat(buf, i + 1 == line ? repl : base_lines[i]);
    strcat(buf, "\n");
  }
  return buf;
}

static void expect_error(int line, const char *repl, const char *want) {
  oms_config_t *c = (oms_config_t *)1;
  char err[OMS_CFG_ERR_MAX];
  int rc = oms_config_load_string(text_with(line, repl), "t.conf", &c, err, sizeof err);
  if (rc != OMS_ECONFIG || strstr(err, want) == NULL)
    fail_msg("line %d: rc %d, error \"%s\", wanted \"%s\"", line, rc, err, want);
  assert_null(c);
}

static void test_base_text_loads(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  int rc = oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(c->nsessions, 1);
  assert_string_equal(c->sessions[0].account, "A1");
  assert_true(c->sessions[0].cancel_on_disconnect);
  assert_int_equal(c->sessions[0].sending_time_tolerance_s, 120);
  /* Inbound validation is on, whole, by default. */
  assert_true(c->sessions[0].validate);
  assert_true(c->sessions[0].validate_enums);
  assert_true(c->sessions[0].validate_order);
  assert_false(c->sessions[0].allow_user_tags);
  assert_int_equal(c->instruments[0].ins.price_precision, 1);
  assert_int_equal(c->instruments[0].ins.qty_precision, 3);
  assert_true(c->instruments[0].lp.enabled);
  assert_int_equal(c->instruments[0].lp.levels, 5);
  assert_int_equal(c->instruments[0].lp.refill_ns, 0); /* at once unless configured */
  assert_int_equal(c->venues[0].ack_latency_ns, 10000);
  assert_true(c->venues[0].keep_book);           /* on unless switched off */
  assert_false(c->venues[0].hold_stops);         /* the venue takes stops unless told */
  assert_int_equal(c->stop_wait_ns, 2000000000); /* a graceful stop waits 2 s at most */
  assert_true(oms_dec_eq(c->venues[0].maker_fee_rate, T_D("-0.0001")));
  assert_string_equal(c->store_path, "var/oms.db");
  assert_int_equal(c->durability, OMS_DURABILITY_OS);
  assert_int_equal(c->log_level, OMS_LOG_DEBUG);
  assert_non_null(c->risk_limits);
  assert_null(oms_config_session(c, "nobody"));
  assert_non_null(oms_config_session(c, "C1"));
  oms_risk_limits_t *l = oms_config_take_risk_limits(c);
  assert_non_null(l);
  assert_null(oms_config_take_risk_limits(c));
  oms_risk_limits_destroy(l);
  oms_config_destroy(c);
  oms_config_destroy(NULL);
}

static void test_sending_time_tolerance_is_set_per_session(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  int rc = oms_config_load_string(
      text_with(3, "  password = \"pw\"; account = \"A1\"; sending_time_tolerance = 0; } ); };"),
      "t.conf", &c, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(c->sessions[0].sending_time_tolerance_s, 0); /* not checked */
  oms_config_destroy(c);
  expect_error(3, "  password = \"pw\"; account = \"A1\"; sending_time_tolerance = -1; } ); };",
               "fix.sessions[0].sending_time_tolerance: -1 is not in 0..86400");
}

static void test_sample_file_loads(void **state) {
  (void)state;
  const char *src = getenv("OMS_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/etc/omsd.conf", src != NULL ? src : "..");
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load(path, &c, err, sizeof err) != 0) fail_msg("%s", err);
  assert_string_equal(c->fix_address, "127.0.0.1");
  assert_int_equal(c->fix_port, 9878);
  assert_int_equal(c->nsessions, 2);
  assert_string_equal(c->sessions[0].sender_comp_id, "CLIENT1");
  assert_string_equal(c->sessions[1].account, "ACC2");
  assert_string_equal(c->sessions[1].target_comp_id, "OMS");
  assert_int_equal(c->ninstruments, 3);
  assert_string_equal(c->instruments[2].ins.symbol, "AAPL");
  assert_true(c->instruments[2].lp.enabled);
  /* The samples' providers come back a second after being taken. */
  assert_int_equal(c->instruments[2].lp.refill_ns, 1000000000);
  assert_string_equal(c->venues[0].name, "SIM");
  assert_int_equal(c->durability, OMS_DURABILITY_FSYNC);
  assert_string_equal(c->data_dir, "var");
  /* The sample serves the admin API on loopback with the three demo tokens. */
  assert_true(c->admin.enabled);
  assert_string_equal(c->admin.address, "127.0.0.1");
  assert_int_equal(c->admin.port, 9880);
  assert_int_equal(c->admin.ntokens, 3);
  assert_string_equal(c->admin.tokens[1].name, "trader1");
  assert_int_equal(c->admin.tokens[1].role, OMS_CFG_ROLE_TRADE);
  assert_string_equal(c->admin.tokens[1].accounts[0], "ACC1");
  oms_config_destroy(c);
}

static void test_fix_venue_sample_loads(void **state) {
  (void)state;
  const char *src = getenv("OMS_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/etc/omsd-fix-venue.conf", src != NULL ? src : "..");
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load(path, &c, err, sizeof err) != 0) fail_msg("%s", err);
  assert_int_equal(c->nvenues, 1);
  const oms_cfg_venue_t *v = &c->venues[0];
  assert_true(v->is_fix);
  assert_false(v->keep_book);
  assert_string_equal(v->fix.host, "127.0.0.1");
  assert_int_equal(v->fix.port, 9879);
  assert_string_equal(v->fix.sender_comp_id, "OMS");
  assert_string_equal(v->fix.target_comp_id, "VENUE");
  assert_string_equal(v->fix.password, "venue-secret");
  assert_int_equal(v->fix.days, 0x7f);
  assert_int_equal(v->fix.start_s, v->fix.end_s);
  assert_true(v->fix.mass_status);
  assert_true(v->fix.market_data);
  assert_false(v->fix.md_incremental); /* md_updates: full unless set */
  assert_int_equal(v->fix.exec_insts, OMS_INST_POST_ONLY);
  assert_string_equal(c->instruments[0].ins.venue, "XV");
  oms_config_destroy(c);
}

/* A FIX venue in the base text: line 7 opens it, line 8 closes it. */
static void test_fix_venue_settings_load(void **state) {
  (void)state;
  static char text[8192];
  snprintf(
      text, sizeof text, "%s",
      text_with(7,
                "venues = ( { name = \"SIM\"; type = \"fix\"; host = \"127.0.0.1\"; port = 9879; "
                "sender_comp_id = \"OMS\"; target_comp_id = \"VENUE\"; heartbeat_s = 10; "
                "reset_on_logon = true; account = \"X1\"; ex_destination = \"XNAS\";"));
  char *l8 = strstr(text, "  liquidity");
  const char *rest =
      "  schedule = { days = [ \"Mon\", \"Fri\" ]; start = \"08:00\"; end = "
      "\"17:30\"; }; symbols = ( { oms = \"BTC-USD\"; venue = \"XBT\"; } ); "
      "tags = ( { tag = 336; value = \"desk\"; } ); ord_types = [ \"LIMIT\" ]; "
      "tifs = [ \"GTC\", \"IOC\" ]; mass_status = false; market_data = true; "
      "md_updates = \"incremental\"; reconnect_min_ms = "
      "200; "
      "reconnect_max_ms = 5000; rate_limit = 50; } );\n";
  char *eol = strchr(l8, '\n');
  char tail[4096];
  snprintf(tail, sizeof tail, "%s", eol + 1);
  snprintf(l8, sizeof text - (size_t)(l8 - text), "%s%s", rest, tail);
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load_string(text, "t.conf", &c, err, sizeof err) != 0) fail_msg("%s", err);
  const oms_cfg_fix_venue_t *f = &c->venues[0].fix;
  assert_true(c->venues[0].is_fix);
  assert_int_equal(f->heartbeat_s, 10);
  assert_true(f->reset_on_logon);
  assert_string_equal(f->account, "X1");
  assert_string_equal(f->ex_destination, "XNAS");
  assert_int_equal(f->days, (1 << 1) | (1 << 5));
  assert_int_equal(f->start_s, 8 * 3600);
  assert_int_equal(f->end_s, 17 * 3600 + 1800);
  assert_int_equal(f->nsymbols, 1);
  assert_string_equal(f->symbols[0][1], "XBT");
  assert_int_equal(f->ntags, 1);
  assert_int_equal(f->tags[0], 336);
  assert_int_equal(f->ord_types, 1u << OMS_ORD_LIMIT);
  assert_int_equal(f->tifs, (1u << OMS_TIF_GTC) | (1u << OMS_TIF_IOC));
  assert_false(f->mass_status);
  assert_true(f->market_data);
  assert_true(f->md_incremental);
  assert_int_equal(f->reconnect_min_ns, 200000000);
  assert_int_equal(f->reconnect_max_ns, 5000000000LL);
  assert_int_equal(c->venues[0].route.msgs_per_sec, 50);
  oms_config_destroy(c);
}

/* A FIX venue error: line 7 given, line 8 (the simulator's liquidity) replaced by l8. */
static void expect_fix_venue_error(const char *l7, const char *l8, const char *want) {
  static char text[8192];
  snprintf(text, sizeof text, "%s", text_with(7, l7));
  char *at = strstr(text, "  liquidity");
  char tail[4096];
  snprintf(tail, sizeof tail, "%s", strchr(at, '\n'));
  snprintf(at, sizeof text - (size_t)(at - text), "%s%s", l8, tail);
  oms_config_t *c = (oms_config_t *)1;
  char err[OMS_CFG_ERR_MAX];
  int rc = oms_config_load_string(text, "t.conf", &c, err, sizeof err);
  if (rc != OMS_ECONFIG || strstr(err, want) == NULL)
    fail_msg("rc %d, error \"%s\", wanted \"%s\"", rc, err, want);
  assert_null(c);
}

static void test_fix_venue_errors(void **state) {
  (void)state;
  const char *v = "venues = ( { name = \"SIM\"; type = \"fix\"; host = \"127.0.0.1\";";
  const char *ids = "sender_comp_id = \"OMS\"; target_comp_id = \"V\";";
  char l8[512];
  expect_fix_venue_error("venues = ( { name = \"SIM\"; type = \"fix\"; host = \"localhost\";",
                         "port = 1; } );",
                         "venues[0].host: \"localhost\" is not a dotted IPv4 address");
  expect_fix_venue_error(v, "port = 0; } );", "venues[0].port: 0 is not in 1..65535");
  expect_fix_venue_error(v, "port = 1; liquidity = (); } );",
                         "venues[0].liquidity: unknown setting");
  expect_fix_venue_error(v, "port = 1; } );", "venues[0].sender_comp_id: missing");
  snprintf(l8, sizeof l8, "port = 1; %s tifs = [ \"GTX\" ]; } );", ids);
  expect_fix_venue_error(v, l8, "\"GTX\" is not one of GTC, IOC, FOK, DAY, GTD");
  snprintf(l8, sizeof l8, "port = 1; %s schedule = { start = \"8:00\"; }; } );", ids);
  expect_fix_venue_error(v, l8, "schedule.start: \"8:00\" is not HH:MM");
  snprintf(l8, sizeof l8, "port = 1; %s schedule = { days = [ \"Moon\" ]; }; } );", ids);
  expect_fix_venue_error(v, l8, "is not one of Sun, Mon");
  snprintf(l8, sizeof l8, "port = 1; %s reconnect_min_ms = 500; reconnect_max_ms = 100; } );", ids);
  expect_fix_venue_error(v, l8, "reconnect_max_ms: must be at least reconnect_min_ms (500)");
  snprintf(l8, sizeof l8, "port = 1; %s tags = ( { tag = 0; value = \"x\"; } ); } );", ids);
  expect_fix_venue_error(v, l8, "tags[0].tag: 0 is not in 1..9999");
  snprintf(l8, sizeof l8, "port = 1; %s ord_types = [ ]; } );", ids);
  expect_fix_venue_error(v, l8, "ord_types: must not be empty");
  snprintf(l8, sizeof l8, "port = 1; %s symbols = ( { oms = \"A\"; } ); } );", ids);
  expect_fix_venue_error(v, l8, "symbols[0].venue: missing");
  snprintf(l8, sizeof l8, "port = 1; %s market_data = true; md_updates = \"delta\"; } );", ids);
  expect_fix_venue_error(v, l8,
                         "md_updates: \"delta\" is not a market data update type (full, "
                         "incremental)");
  snprintf(l8, sizeof l8, "port = 1; %s md_updates = \"incremental\"; } );", ids);
  expect_fix_venue_error(v, l8, "md_updates = \"incremental\" needs market_data = true");
}

/* The stream group (line 12 replaced: logging keeps its default). */
static void test_stream_group(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  assert_int_equal(oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err), 0);
  assert_false(c->stream.enabled); /* off by default */
  oms_config_destroy(c);
  const char *on = "stream = { nats_url = \"nats://127.0.0.1:4222\"; instance = \"ny1\"; };";
  if (oms_config_load_string(text_with(12, on), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_true(c->stream.enabled);
  assert_string_equal(c->stream.nats_url, "nats://127.0.0.1:4222");
  assert_string_equal(c->stream.stream, "OMS");
  assert_string_equal(c->stream.prefix, "oms");
  assert_string_equal(c->stream.instance, "ny1");
  assert_int_equal(c->stream.window, 1024);
  assert_int_equal(c->stream.ack_timeout_ms, 2000);
  oms_config_destroy(c);
  expect_error(12, "stream = { instance = \"a\"; };", "stream.nats_url: missing");
  expect_error(12, "stream = { nats_url = \"n\"; instance = \"a.b\"; };",
               "stream.instance: \"a.b\" is not a NATS subject token");
  expect_error(12, "stream = { nats_url = \"n\"; stream = \"\"; };",
               "stream.stream: must not be empty");
  expect_error(12, "stream = { nats_url = \"n\"; window = 1000; };",
               "stream.window: 1000 is not a power of two");
  expect_error(12, "stream = { nats_url = \"n\"; acks = 1; };", "acks");
}

/* The cluster group (line 12 replaced by the PostgreSQL store and it). */
static void test_cluster_group(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  assert_int_equal(oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err), 0);
  assert_false(c->cluster.enabled); /* off by default */
  oms_config_destroy(c);
#define PG_STORE                                                                        \
  "store = { data_dir = \"var\"; projection = \"postgres\"; pg_conninfo = \"host=h\"; " \
  "instance = \"ny1\"; };"
  const char *on = PG_STORE " cluster = { node = \"a\"; number = 7; accounts = [ \"A1\" ]; };";
  if (oms_config_load_string(text_with(11, on), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_true(c->cluster.enabled);
  assert_string_equal(c->cluster.node, "a");
  assert_int_equal(c->cluster.number, 7);
  assert_int_equal(c->cluster.naccounts, 1);
  assert_string_equal(c->cluster.accounts[0], "A1");
  assert_int_equal(c->cluster.lease_ms, 3000);
  assert_int_equal(c->cluster.margin_ms, 1000);
  assert_int_equal(c->cluster.fenced_linger_ms, 2000);
  oms_config_destroy(c);
  expect_error(12, "cluster = { node = \"a\"; number = 1; accounts = [ \"A1\" ]; };",
               "needs store.projection = \"postgres\"");
  expect_error(11, PG_STORE " cluster = { number = 1; accounts = [ \"A1\" ]; };",
               "cluster.node: missing");
  expect_error(11, PG_STORE " cluster = { node = \"a\"; number = 0; accounts = [ \"A1\" ]; };",
               "cluster.number: 0 is not in 1..8191");
  expect_error(11, PG_STORE " cluster = { node = \"a\"; number = 1; accounts = [ \"A9\" ]; };",
               "not an account of accounts");
  expect_error(11, PG_STORE " cluster = { node = \"a\"; number = 1; accounts = [ ]; };",
               "needs 1 to 64 accounts");
  expect_error(11,
               PG_STORE " cluster = { node = \"a\"; number = 1; accounts = [ \"A1\", \"A1\" ]; };",
               "listed twice");
  expect_error(11,
               PG_STORE
               " cluster = { node = \"a\"; number = 1; accounts = [ \"A1\" ]; "
               "lease_ms = 1000; margin_ms = 1000; };",
               "cluster.margin_ms: must be below lease_ms");
  expect_error(11, PG_STORE " cluster = { node = \"a\"; number = 1; accounts = [\"A1\"]; x = 1; };",
               "cluster.x: unknown setting");
  expect_error(11,
               PG_STORE
               " stream = { nats_url = \"n\"; instance = \"ny2\"; }; cluster = { node = "
               "\"a\"; number = 1; accounts = [ \"A1\" ]; };",
               "must be store.instance");
#undef PG_STORE
}

static void test_missing_file_is_refused(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  assert_int_equal(oms_config_load("/nonexistent/omsd.conf", &c, err, sizeof err), OMS_ECONFIG);
  assert_non_null(strstr(err, "/nonexistent/omsd.conf:0: (file): cannot open"));
  assert_int_equal(oms_config_load(NULL, &c, err, sizeof err), OMS_EINVAL);
  assert_int_equal(oms_config_load_string(NULL, "x", &c, err, sizeof err), OMS_EINVAL);
}

static void test_syntax_error_names_line(void **state) {
  (void)state;
  expect_error(4, "accounts = ( { id = \"A1\"; cash = ; } );", "t.conf:4: (syntax):");
}

static void test_fix_errors(void **state) {
  (void)state;
  expect_error(1, "fix = { address = \"127.0.0.1\"; port = 99999;",
               "t.conf:1: fix.port: 99999 is not in 0..65535");
  expect_error(1, "fix = { adress = \"x\";", "t.conf:1: fix.adress: unknown setting");
  expect_error(1, "fix = { port = \"9878\";", "t.conf:1: fix.port: must be an integer");
  expect_error(2, "  sessions = ( { target_comp_id = \"OMS\";",
               "t.conf:2: fix.sessions[0].sender_comp_id: missing");
  expect_error(3, "  password = \"pw\"; account = \"NOPE\"; } ); };",
               "t.conf:3: fix.sessions[0].account: account \"NOPE\" is not in accounts");
  expect_error(3, "  password = \"pw\"; account = \"A1\"; heartbeat = 0; } ); };",
               "fix.sessions[0].heartbeat: 0 is not in 1..300");
  expect_error(3, "  password = \"pw\"; account = \"A1\"; cancel_on_disconnect = 1; } ); };",
               "cancel_on_disconnect: must be true or false");
  expect_error(3,
               "  password = \"pw\"; account = \"A1\"; "
               "},{sender_comp_id=\"C1\";target_comp_id=\"O\";account=\"A1\";} ); };",
               "sender_comp_id: \"C1\" is already used by sessions[0]");
  expect_error(2, "  sessions = ( { sender_comp_id = \"C 1\"; target_comp_id = \"OMS\";",
               "t.conf:2: fix.sessions[0].sender_comp_id: \"C 1\" is not a valid identifier");
  expect_error(2, "  sessions = ( { sender_comp_id = \"\"; target_comp_id = \"OMS\";",
               "sender_comp_id: must not be empty");
  expect_error(2, "  sessions = ( { sender_comp_id = 5; target_comp_id = \"OMS\";",
               "sender_comp_id: must be a string");
  expect_error(1, "fix = 5; strategies = { ", "t.conf:1: fix: must be a group");
  expect_error(1, "fix2 = { ", "t.conf:1: fix2: unknown setting");
}

static void test_decimal_errors(void **state) {
  (void)state;
  expect_error(4, "accounts = ( { id = \"A1\"; cash = 1000.5; } );",
               "t.conf:4: accounts[0].cash: decimals must be strings");
  expect_error(4, "accounts = ( { id = \"A1\"; cash = \"1e3\"; } );",
               "t.conf:4: accounts[0].cash: \"1e3\" is not a decimal");
  expect_error(4, "accounts = ( { id = \"A1\"; cash = \"0.000000001\"; } );",
               "more than 8 decimal places");
  expect_error(4, "accounts = ( { id = \"A1\"; cash = \"999999999999\"; } );", "is out of range");
  expect_error(4, "accounts = ( { id = \"A1\"; cash = \"-1\"; } );",
               "cash: must be zero or positive");
  expect_error(4, "accounts = ( { id = \"A1\"; cash = true; } );",
               "cash: must be a decimal string");
  expect_error(4, "accounts = ( { id = \"A1\"; } );", "t.conf:4: accounts[0].cash: missing");
  expect_error(4, "accounts = ( { id = \"A1\"; cash = \"1\"; }, { id = \"A1\"; cash = \"1\"; } );",
               "account \"A1\" defined twice");
  expect_error(4, "accounts = ( 5 );", "each entry must be a group");
}

/* risk.trading_day_start: the daily PnL's day (the portfolio's day_reset_ns),
 * UTC midnight unless set. */
static void test_trading_day_start(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  assert_int_equal(oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err), 0);
  assert_int_equal(c->trading_day_start_ns, 0);
  oms_config_destroy(c);
  const char *set[][2] = {{"22:00", "79200"}, {"21:59:30", "79170"}, {"00:00:01", "1"}};
  for (int i = 0; i < 3; i++) {
    char line[256];
    snprintf(line, sizeof line,
             "risk = { trading_day_start = \"%s\"; global = { max_order_qty = \"5\"; "
             "rate_window_ms = 1000; };",
             set[i][0]);
    if (oms_config_load_string(text_with(9, line), "t.conf", &c, err, sizeof err) != 0)
      fail_msg("%s", err);
    assert_int_equal(c->trading_day_start_ns, atoll(set[i][1]) * INT64_C(1000000000));
    oms_config_destroy(c);
  }
  const char *bad[] = {"24:00", "7:00", "22:00:60", "22:00:5", "22-00", "22:00:00Z"};
  for (int i = 0; i < 6; i++) {
    char line[256];
    snprintf(line, sizeof line,
             "risk = { trading_day_start = \"%s\"; global = { max_order_qty = \"5\"; "
             "rate_window_ms = 1000; };",
             bad[i]);
    expect_error(9, line, "risk.trading_day_start: ");
  }
}

/* The reconciliation settings of a venue reach its route. */
static void test_venue_reconciliation_settings(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  const char *line7 =
      "venues = ( { name = \"SIM\"; ack_timeout_ms = 250; unknown_retries = 5;"
      " refuse_until_reconciled = true;";
  int rc = oms_config_load_string(text_with(7, line7), "t.conf", &c, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(c->venues[0].route.ack_timeout_ns, 250000000);
  assert_int_equal(c->venues[0].route.unknown_retries, 5);
  assert_true(c->venues[0].route.refuse_until_reconciled);
  oms_config_destroy(c);
  assert_int_equal(oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err), 0);
  assert_int_equal(c->venues[0].route.unknown_retries, 0); /* the router's default, 3 */
  assert_false(c->venues[0].route.refuse_until_reconciled);
  oms_config_destroy(c);
  expect_error(7, "venues = ( { name = \"SIM\"; unknown_retries = 101;",
               "t.conf:7: venues[0].unknown_retries: 101 is not in 0..100");
}

/* A venue's capabilities: the types it works itself and those the OMS may
 * emulate for it, in one vocabulary; emulate defaults to all, [] is none. */
static void test_venue_capabilities(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  const char *line7 =
      "venues = ( { name = \"SIM\"; native = [ \"iceberg\", \"mit\" ];"
      " emulate = [ \"trailing_stop\" ];";
  int rc = oms_config_load_string(text_with(7, line7), "t.conf", &c, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(c->venues[0].native, OMS_VENUE_CAP_ICEBERG | OMS_VENUE_CAP_MIT);
  assert_int_equal(c->venues[0].no_emulate, OMS_VENUE_CAP_LIT);
  oms_config_destroy(c);
  rc = oms_config_load_string(text_with(7, "venues = ( { name = \"SIM\"; hold_stops = true;"),
                              "t.conf", &c, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_true(c->venues[0].hold_stops);
  oms_config_destroy(c);
  rc = oms_config_load_string(text_with(7, "venues = ( { name = \"SIM\"; emulate = [ ];"), "t.conf",
                              &c, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(c->venues[0].native, 0);
  assert_int_equal(c->venues[0].no_emulate, OMS_VENUE_CAP_TRAILING_STOP | OMS_VENUE_CAP_MIT |
                                                OMS_VENUE_CAP_LIT | OMS_VENUE_CAP_ICEBERG);
  oms_config_destroy(c);
  assert_int_equal(oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err), 0);
  assert_int_equal(c->venues[0].native, 0);
  assert_int_equal(c->venues[0].no_emulate, 0);
  oms_config_destroy(c);
  expect_error(7, "venues = ( { name = \"SIM\"; native = [ \"twap\" ];",
               "\"twap\" is not one of trailing_stop, mit, lit, iceberg");
  const char *v = "venues = ( { name = \"SIM\"; type = \"fix\"; host = \"127.0.0.1\";";
  expect_fix_venue_error(v,
                         "port = 1; sender_comp_id = \"OMS\"; target_comp_id = \"V\";"
                         " native = [ \"lit\" ]; } );",
                         "\"lit\": FIX 4.4 has no limit-if-touched order type");
}

/* Smart routing (docs/routing.md): an instrument listed on more venues,
 * each with its own liquidity provider; venues with smart, latency, stale. */
static void test_smart_routing_venues(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  const char *l6 = "lot = \"0.001\"; also_on = [ \"B\" ]; } );";
  const char *l8 =
      "  smart = true; liquidity = ( { symbol = \"BTC-USD\"; ref_px = \"65000\"; size = "
      "\"1\"; } ); }, { name = \"B\"; smart = true; taker_fee = \"0.0002\"; latency_us = 40; "
      "stale_ms = 500; liquidity = ( { symbol = \"BTC-USD\"; ref_px = \"65001\"; size = \"2\"; "
      "} ); } );";
  char text[8192];
  snprintf(text, sizeof text, "%s", text_with(6, l6));
  /* line 8 of that text */
  char *p = text;
  for (int i = 0; i < 7; i++) p = strchr(p, '\n') + 1;
  char rest[8192];
  snprintf(rest, sizeof rest, "%s", strchr(p, '\n'));
  snprintf(p, sizeof text - (size_t)(p - text), "%s%s", l8, rest);
  int rc = oms_config_load_string(text, "t.conf", &c, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_int_equal(c->instruments[0].nalso, 1);
  assert_string_equal(c->instruments[0].also_on[0], "B");
  assert_true(c->instruments[0].also_lp[0].enabled);
  assert_true(oms_dec_eq(c->instruments[0].also_lp[0].ref_px, T_D("65001")));
  assert_true(c->venues[0].smart && c->venues[1].smart);
  assert_int_equal(c->venues[0].latency_ns, 10000); /* its ack latency */
  assert_int_equal(c->venues[0].stale_ns, -1);      /* a simulator's quotes never go stale */
  assert_int_equal(c->venues[1].latency_ns, 40000);
  assert_int_equal(c->venues[1].stale_ns, 500000000);
  oms_config_destroy(c);
  expect_error(6, "lot = \"0.001\"; also_on = [ \"NOPE\" ]; } );",
               "also_on: venue \"NOPE\" is not in venues");
  expect_error(6, "lot = \"0.001\"; also_on = [ \"SIM\" ]; } );", "the instrument's own venue");
  expect_error(6, "lot = \"0.001\"; also_on = [ \"B\", \"B\" ]; } );", "listed twice");
  expect_error(6, "lot = \"0.001\"; also_on = \"B\"; } );", "must be a list of venue names");
  expect_error(6, "lot = \"0.001\"; also_on = [ \"a b\" ]; } );", "is not a venue name");
  expect_error(6, "lot = \"0.001\"; also_on = [ \"B\", \"C\", \"D\", \"E\" ]; } );",
               "more than 3 venues");
}

static void test_instrument_and_venue_errors(void **state) {
  (void)state;
  expect_error(5, "instruments = ( { symbol = \"BTC-USD\"; venue = \"SIM\"; tick = \"0\";",
               "t.conf:5: instruments[0].tick: must be positive");
  expect_error(5, "instruments = ( { symbol = \"BTC-USD\"; venue = \"NOPE\"; tick = \"0.5\";",
               "t.conf:5: instruments[0].venue: venue \"NOPE\" is not in venues");
  expect_error(6, "lot = \"0.001\"; min_qty = \"5\"; max_qty = \"1\"; } );",
               "t.conf:5: instruments[0]:");
  expect_error(6, "lot = \"0.001\"; qty_precision = 9; } );", "qty_precision: 9 is not in 0..8");
  expect_error(7, "venues = ( { name = \"SIM\"; type = \"ouch\";",
               "t.conf:7: venues[0].type: \"ouch\" is not a venue type");
  expect_error(
      8, "  liquidity = ( { symbol = \"ETH\"; ref_px = \"65000\"; size = \"1\"; } ); } );",
      "t.conf:8: venues[0].liquidity[0].symbol: \"ETH\" is not an instrument of venue SIM");
  expect_error(
      8, "  liquidity = ( { symbol = \"BTC-USD\"; ref_px = \"65000.1\"; size = \"1\"; } ); } );",
      "ref_px: must be a multiple of the tick");
  expect_error(
      8, "  liquidity = ( { symbol = \"BTC-USD\"; ref_px = \"65000\"; size = \"0.0001\"; } ); } );",
      "size: must be a multiple of the lot");
  expect_error(8,
               "  liquidity = ( { symbol = \"BTC-USD\"; ref_px = \"65000\"; size = \"1\"; levels = "
               "99; } ); } );",
               "levels: 99 is not in 1..32");
  expect_error(8,
               "  liquidity = ( { symbol = \"BTC-USD\"; ref_px = \"65000\"; size = \"1\"; "
               "refill_ms = -1; } ); } );",
               "refill_ms: -1 is not in 0..86400000");
  expect_error(8,
               "  liquidity = ( { symbol = \"BTC-USD\"; ref_px = \"65000\"; size = \"1\"; }, { "
               "symbol = \"BTC-USD\"; ref_px = \"1\"; size = \"1\"; } ); } );",
               "a second liquidity provider");
  expect_error(8, "  }, { name = \"SIM\"; } );", "venue \"SIM\" defined twice");
}

static void test_risk_errors(void **state) {
  (void)state;
  expect_error(9, "risk = { global = { max_order_qty = \"-5\"; };",
               "t.conf:9: risk.global.max_order_qty: must be positive");
  expect_error(9, "risk = { global = { max_order_qty = \"5\"; id = \"x\"; };",
               "risk.global.id: unknown setting");
  expect_error(9,
               "risk = { global = { max_order_qty = \"5\"; daily_loss = \"10\"; daily_loss_action "
               "= \"panic\"; };",
               "daily_loss_action: \"panic\" is not halt or reduce_only");
  expect_error(9, "risk = { global = { collar_ticks = 3; };",
               "risk.global.collar_tick_size: missing");
  expect_error(9, "risk = { global = { order_rate_account = 0; };",
               "order_rate_account: 0 is not in 1..");
  expect_error(9, "risk = { global = { }; accounts = ( { id = \"ZZ\"; max_order_qty = \"1\"; } );",
               "t.conf:9: risk.accounts[0].id: account \"ZZ\" is not in accounts");
  expect_error(9, "risk = { global = { }; symbols = ( { id = \"ZZ\"; max_order_qty = \"1\"; } );",
               "risk.symbols[0].id: \"ZZ\" is not in instruments");
  expect_error(9, "risk = { global = { }; whitelist = [ \"ZZ\" ];",
               "risk.whitelist[0]: \"ZZ\" is not in instruments");
  expect_error(9, "risk = { global = { }; restricted = ( 5 );", "must be a symbol string");
  expect_error(10, "  hours = ( { tz = \"UTC\"; } ); };",
               "t.conf:10: risk.hours[0]: give exactly one of venue or symbol");
  expect_error(10, "  hours = ( { venue = \"SIM\"; start = \"25:00\"; } ); };",
               "risk.hours[0].start: \"25:00\" is not HH:MM");
  expect_error(10, "  hours = ( { venue = \"SIM\"; end = \"00:00\"; } ); };",
               "risk.hours[0].end: \"00:00\" is not HH:MM");
  expect_error(10, "  hours = ( { venue = \"SIM\"; days = [ \"Funday\" ]; } ); };",
               "not a day name");
  expect_error(10, "  hours = ( { venue = \"X\"; } ); };", "venue \"X\" is not in venues");
  expect_error(10, "  hours = ( { symbol = \"X\"; } ); };", "\"X\" is not in instruments");
  expect_error(10, "  hours = ( { venue = \"SIM\"; tz = \"Mars/Olympus\"; } ); };",
               "t.conf:10: risk.hours[0]:");
  expect_error(9, "risk = { ", "t.conf:9: risk.global: missing");
}

static void test_good_risk_variants_load(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  const char *risk =
      "risk = { global = { max_order_qty = \"5\"; daily_loss = \"10\"; daily_loss_action = "
      "\"reduce_only\";"
      " collar_ticks = 3; collar_tick_size = \"0.5\"; max_ref_age_ms = 100; "
      "max_open_orders_account = 4; };"
      " accounts = ( { id = \"A1\"; max_order_qty = \"1\"; } ); strategies = ( { id = \"C1\"; "
      "max_position = \"2\"; } );"
      " symbols = ( { id = \"BTC-USD\"; max_order_notional = \"100000\"; } );"
      " whitelist = [ \"BTC-USD\" ]; restricted = [ ];";
  const char *hours =
      "  hours = ( { symbol = \"BTC-USD\"; days = [ \"Mon\", \"Fri\" ]; start = \"09:30\"; end = "
      "\"16:00\"; } ); };";
  char text[8192];
  snprintf(text, sizeof text, "%s", text_with(9, risk));
  /* replace line 10 in the already patched text */
  char *p = strstr(text, "  hours = (");
  assert_non_null(p);
  char *eol = strchr(p, '\n');
  char tail[4096];
  snprintf(tail, sizeof tail, "%s", eol);
  snprintf(p, sizeof text - (size_t)(p - text), "%s%s", hours, tail);
  strcat(text, "strategies = ( { id = \"C1\"; account = \"A1\"; }, { id = \"free\"; } );\n");
  if (oms_config_load_string(text, "t.conf", &c, err, sizeof err) != 0) fail_msg("%s", err);
  assert_int_equal(c->nstrategies, 2);
  assert_string_equal(c->strategies[0].account, "A1");
  oms_config_destroy(c);
  expect_error(12, "logging = { level = \"loud\"; };",
               "t.conf:12: logging.level: \"loud\" is not debug");
  expect_error(11, "store = { data_dir = \"var\"; durability = \"maybe\"; };",
               "store.durability: \"maybe\" is not fsync or os");
  expect_error(11, "store = { data_dir = \"var\"; file = \"a/b\"; };",
               "store.file: a file name inside data_dir");
  expect_error(11, "store = { };", "t.conf:11: store.data_dir: missing");
  expect_error(12, "strategies = ( { id = \"S\"; account = \"NOPE\"; } );",
               "strategies[0].account: account \"NOPE\"");
}

/* store.engine: the journal by default, sqlite on request; the journal's keys. */
static void test_store_engine_and_journal_keys(void **state) {
  (void)state;
  oms_config_t *c = NULL;
  char err[512];
  assert_int_equal(oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err), 0);
  assert_int_equal(c->store_engine, OMS_CFG_STORE_JOURNAL);
  assert_int_equal(c->journal_segment_mb, 64);
  assert_int_equal(c->journal_retain_hours, 0);
  oms_config_destroy(c);
  const char *sq =
      "store = { data_dir = \"var\"; engine = \"sqlite\"; journal_segment_mb = 8; "
      "journal_retain_hours = 24; };";
  assert_int_equal(oms_config_load_string(text_with(11, sq), "t.conf", &c, err, sizeof err), 0);
  assert_int_equal(c->store_engine, OMS_CFG_STORE_SQLITE);
  assert_int_equal(c->journal_segment_mb, 8);
  assert_int_equal(c->journal_retain_hours, 24);
  oms_config_destroy(c);
  expect_error(11, "store = { data_dir = \"var\"; engine = \"wal\"; };",
               "store.engine: \"wal\" is not journal or sqlite");
  expect_error(11, "store = { data_dir = \"var\"; journal_segment_mb = 0; };",
               "store.journal_segment_mb");
}

/* store.projection: SQLite by default, PostgreSQL with a conninfo and the
 * instance its rows carry. */
static void test_store_projection_postgres(void **state) {
  (void)state;
  oms_config_t *c = NULL;
  char err[512];
  assert_int_equal(oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err), 0);
  assert_string_equal(c->pg_conninfo, "");
  assert_string_equal(c->store_instance, "omsd");
  oms_config_destroy(c);
  const char *pg =
      "store = { data_dir = \"var\"; projection = \"postgres\"; "
      "pg_conninfo = \"host=127.0.0.1 dbname=oms\"; instance = \"ny1\"; };";
  assert_int_equal(oms_config_load_string(text_with(11, pg), "t.conf", &c, err, sizeof err), 0);
  assert_string_equal(c->pg_conninfo, "host=127.0.0.1 dbname=oms");
  assert_string_equal(c->store_instance, "ny1");
  oms_config_destroy(c);
  const char *sq = "store = { data_dir = \"var\"; pg_conninfo = \"host=x\"; };";
  assert_int_equal(oms_config_load_string(text_with(11, sq), "t.conf", &c, err, sizeof err), 0);
  assert_string_equal(c->pg_conninfo, ""); /* projection sqlite: the conninfo is unused */
  oms_config_destroy(c);
  expect_error(11, "store = { data_dir = \"var\"; projection = \"postgres\"; };",
               "needs pg_conninfo");
  expect_error(11,
               "store = { data_dir = \"var\"; engine = \"sqlite\"; projection = \"postgres\"; "
               "pg_conninfo = \"x\"; };",
               "needs engine = \"journal\"");
  expect_error(11, "store = { data_dir = \"var\"; projection = \"mysql\"; };",
               "\"mysql\" is not sqlite or postgres");
  expect_error(11, "store = { data_dir = \"var\"; instance = \"\"; };",
               "store.instance: must not be empty");
}

static void test_directory_is_refused_plainly(void **state) {
  (void)state;
  const char *src = getenv("OMS_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/etc", src != NULL ? src : "..");
  oms_config_t *c = (oms_config_t *)1;
  char err[OMS_CFG_ERR_MAX];
  assert_int_equal(oms_config_load(path, &c, err, sizeof err), OMS_ECONFIG);
  assert_null(c);
  assert_non_null(strstr(err, ":0: (file): is a directory, not a configuration file"));
}

static void test_device_and_huge_files_are_refused_plainly(void **state) {
  (void)state;
  oms_config_t *c = (oms_config_t *)1;
  char err[OMS_CFG_ERR_MAX];
  assert_int_equal(oms_config_load("/dev/null", &c, err, sizeof err), OMS_ECONFIG);
  assert_null(c);
  assert_string_equal(err, "/dev/null:0: (file): is not a regular file");
  char path[] = "/tmp/oms_config_huge_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, 2 << 20), 0);
  close(fd);
  assert_int_equal(oms_config_load(path, &c, err, sizeof err), OMS_ECONFIG);
  unlink(path);
  assert_non_null(strstr(err, ":0: (file): larger than 1 MiB, not a configuration file"));
  assert_int_equal(oms_config_load(NULL, &c, err, sizeof err), OMS_EINVAL);
  assert_int_equal(oms_config_load_string(NULL, "t", &c, err, sizeof err), OMS_EINVAL);
}

static void test_wrapped_integer_literal_is_reported_as_written(void **state) {
  (void)state;
  /* libconfig reads these as -1, 0 and 1215752191 */
  expect_error(1, "fix = { address = \"127.0.0.1\"; port = 4294967295;",
               "t.conf:1: fix.port: 4294967295 is not in 0..65535");
  expect_error(1, "fix = { address = \"127.0.0.1\"; port = 4294967296;",
               "t.conf:1: fix.port: 4294967296 is not in 0..65535");
  expect_error(1, "fix = { address = \"127.0.0.1\"; port = 99999999999;",
               "t.conf:1: fix.port: 99999999999 is not in 0..65535");
  expect_error(1, "fix = { address = \"127.0.0.1\"; port = -1;",
               "t.conf:1: fix.port: -1 is not in 0..65535");
  expect_error(4, "accounts = ( { id = \"A1\"; cash = 4294967296; } );",
               "t.conf:4: accounts[0].cash: 4294967296 is out of range");
}

static void test_listen_address_must_be_numeric(void **state) {
  (void)state;
  expect_error(1, "fix = { address = \"localhost\"; port = 9878;",
               "t.conf:1: fix.address: \"localhost\" is not a dotted IPv4 address");
  expect_error(1, "fix = { address = \"::1\"; port = 9878;", "fix.address: \"::1\" is not");
}

static void test_capacity_defaults_and_overrides(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
#define CHECK_DEFAULT(key, def, lo, hi, what) \
  if ((def) != 0) assert_int_equal(c->cap.key, def);
  OMS_CFG_CAPACITIES(CHECK_DEFAULT)
#undef CHECK_DEFAULT
  /* no rate in the limits: the smallest ring */
  assert_int_equal(c->cap.rate_ring, 256);
  oms_config_destroy(c);

  char text[8192];
  snprintf(text, sizeof text, "%scapacity = { orders = 1000; connections = 3; };\n",
           text_with(9, "risk = { global = { order_rate_account = 3000; };"));
  if (oms_config_load_string(text, "t.conf", &c, err, sizeof err) != 0) fail_msg("%s", err);
  assert_int_equal(c->cap.orders, 1000);
  assert_int_equal(c->cap.connections, 3);
  assert_int_equal(c->cap.rate_ring, 4096); /* the power of two above the largest rate */
  assert_int_equal(c->max_rate, 3000);
  oms_config_destroy(c);
}

static void test_capacity_errors(void **state) {
  (void)state;
  expect_error(12, "capacity = { orders = 1; };", "t.conf:12: capacity.orders: 1 is not in 64..");
  expect_error(12, "capacity = { order = 100; };", "t.conf:12: capacity.order: unknown setting");
  expect_error(12, "capacity = { store_queue = 1000; };",
               "t.conf:12: capacity.store_queue: 1000 is not a power of two");
  expect_error(12, "capacity = { connections = 0; };", "capacity.connections: 0 is not in 1..");
  expect_error(12, "capacity = 5;", "t.conf:12: capacity: must be a group");
}

static void test_rate_above_the_throttle_ring_is_refused_at_its_line(void **state) {
  (void)state;
  char text[8192];
  snprintf(text, sizeof text, "%scapacity = { rate_ring = 1024; };\n",
           text_with(9, "risk = { global = { cancel_rate_strategy = 5000; };"));
  oms_config_t *c = (oms_config_t *)1;
  char err[OMS_CFG_ERR_MAX];
  assert_int_equal(oms_config_load_string(text, "t.conf", &c, err, sizeof err), OMS_ECONFIG);
  assert_null(c);
  assert_non_null(strstr(err,
                         "t.conf:9: risk.global.cancel_rate_strategy: 5000 is more than the "
                         "throttle ring holds (capacity.rate_ring = 1024)"));
  expect_error(9, "risk = { global = { order_rate_strategy = 70000; };",
               "t.conf:9: risk.global.order_rate_strategy: 70000 is more than the throttle ring");
}

/* The text of docs/config.md (static buffer). */
static const char *config_doc(void) {
  static char doc[65536];
  const char *src = getenv("OMS_SOURCE_DIR");
  char path[1024];
  snprintf(path, sizeof path, "%s/docs/config.md", src != NULL ? src : "..");
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  fclose(f);
  doc[n] = '\0';
  return doc;
}

static void test_every_risk_limit_key_loads_and_is_documented(void **state) {
  (void)state;
  const char *doc = config_doc();
  char want[64];
#define DOC_KEY(name, field, kind, key)     \
  snprintf(want, sizeof want, "`%s`", key); \
  if (strstr(doc, want) == NULL) fail_msg("docs/config.md does not document %s", want);
  OMS_RISK_LIMIT_FIELDS(DOC_KEY)
#undef DOC_KEY
  /* Every key of the table in one global group, each read into its field. */
  char risk[2048] = "risk = { global = {";
#define SET_KEY(name, field, kind, key)                                       \
  snprintf(risk + strlen(risk), sizeof risk - strlen(risk), " %s = %s;", key, \
           OMS_RL_##name == OMS_RL_COLLAR_TICKS ? "3; collar_tick_size = \"0.5\"" : "7");
  OMS_RISK_LIMIT_FIELDS(SET_KEY)
#undef SET_KEY
  strcat(risk, " };");
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load_string(text_with(9, risk), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  oms_risk_limits_t *l = oms_config_take_risk_limits(c);
  const oms_risk_limit_t g = l->global;
  assert_int_equal(g.set, (1u << OMS_RL_NFIELDS) - 1);
  assert_true(oms_dec_eq(g.max_order_qty, T_D("7")));
  assert_int_equal(g.cancel_rate_strategy, 7);
  assert_int_equal(g.max_ref_age_ns, 7 * 1000000);
  assert_int_equal(g.collar_ticks, 3);
  oms_risk_limits_destroy(l);
  oms_config_destroy(c);
}

static void test_every_capacity_is_documented(void **state) {
  (void)state;
  const char *doc = config_doc();
  char want[64];
#define DOC_CAP(key, def, lo, hi, what)      \
  snprintf(want, sizeof want, "`%s`", #key); \
  if (strstr(doc, want) == NULL) fail_msg("docs/config.md does not document capacity %s", want);
  OMS_CFG_CAPACITIES(DOC_CAP)
#undef DOC_CAP
}

static void test_admission_defaults_overrides_and_ranges(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
#define CHECK_DEFAULT(key, def, lo, hi, what) assert_int_equal(c->adm.key, def);
  OMS_CFG_ADMISSION(CHECK_DEFAULT)
#undef CHECK_DEFAULT
  oms_config_destroy(c);
  char text[8192];
  snprintf(text, sizeof text,
           "%sadmission = { logon_timeout_ms = 2500; per_address = 2; failed_logons = 7; "
           "failed_logon_window_s = 30; };\n",
           text_with(0, NULL));
  if (oms_config_load_string(text, "t.conf", &c, err, sizeof err) != 0) fail_msg("%s", err);
  assert_int_equal(c->adm.logon_timeout_ms, 2500);
  assert_int_equal(c->adm.per_address, 2);
  assert_int_equal(c->adm.failed_logons, 7);
  assert_int_equal(c->adm.failed_logon_window_s, 30);
  oms_config_destroy(c);
  expect_error(12, "admission = { logon_timeout_ms = 50; };", "admission.logon_timeout_ms");
  expect_error(12, "admission = { per_address = 0; };", "admission.per_address");
  expect_error(12, "admission = { per_addres = 3; };", "per_addres");
}

static void test_riskmodel_group_loads(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_false(c->riskmodel.enabled);
  oms_config_destroy(c);
  char text[8192];
  snprintf(text, sizeof text,
           "%sriskmodel = { sample_interval_ms = 60000; correlation_threshold = 0.8;\n"
           "  correlation_max_exposure_pct = \"0.25\";\n"
           "  scenarios = ( { name = \"crypto -40%%\"; shocks = ( { group = \"crypto\"; pct = "
           "-0.4; } ); },\n"
           "                { name = \"btc up\"; shocks = ( { symbol = \"BTC-USD\"; pct = 0.3; },\n"
           "                                               { group = \"crypto\"; pct = -0.1; } ); "
           "} ); };\n",
           text_with(10,
                     "  hours = ( { venue = \"SIM\"; tz = \"UTC\"; start = \"00:00\"; end = "
                     "\"24:00\"; } );\n  groups = ( { kind = \"asset_class\"; name = \"crypto\"; "
                     "symbols = [ \"BTC-USD\" ]; } ); };"));
  if (oms_config_load_string(text, "t.conf", &c, err, sizeof err) != 0) fail_msg("%s", err);
  const oms_cfg_riskmodel_t *m = &c->riskmodel;
  assert_true(m->enabled);
  assert_true(m->lambda == 0.94 && m->confidence == 0.99 && m->horizon_days == 1);
  assert_int_equal(m->sample_interval_ms, 60000);
  assert_int_equal(m->save_interval_s, 60);
  assert_int_equal(m->var_window, 250);
  assert_int_equal(m->event_interval_s, 60);
  assert_true(m->correlation_threshold == 0.8);
  assert_true(oms_dec_eq(m->corr_max_pct, T_D("0.25")));
  assert_true(oms_dec_is_zero(m->corr_max_exposure));
  assert_int_equal(m->nscenarios, 2);
  assert_string_equal(m->scenarios[0].name, "crypto -40%");
  assert_true(m->scenarios[0].shock[0] == -0.4);
  /* a symbol's shock wins over its group's, in any order */
  assert_true(m->scenarios[1].shock[0] == 0.3);
  oms_config_destroy(c);
  expect_error(12, "riskmodel = { lambda = 1.5; };", "riskmodel.lambda: 1.5 is not in 0.5..0.9999");
  expect_error(12, "riskmodel = { lambda = \"x\"; };", "riskmodel.lambda: must be a number");
  expect_error(12, "riskmodel = { confidence = 0.5; };", "riskmodel.confidence");
  expect_error(12, "riskmodel = { sample_interval_ms = 1; };", "riskmodel.sample_interval_ms");
  expect_error(12, "riskmodel = { lamda = 0.9; };", "riskmodel.lamda: unknown setting");
  expect_error(12, "riskmodel = { event_interval_s = -1; };", "riskmodel.event_interval_s");
  expect_error(12, "riskmodel = { correlation_threshold = 0.8; };",
               "riskmodel.correlation_threshold: needs correlation_max_exposure");
  expect_error(12, "riskmodel = { correlation_threshold = 0.8; correlation_max_exposure = 5.5; };",
               "decimals must be strings");
  expect_error(12,
               "riskmodel = { scenarios = ( { name = \"s\"; shocks = ( { group = \"nope\"; pct "
               "= -0.2; } ); } ); };",
               "\"nope\" is not a group of risk.groups");
  expect_error(12,
               "riskmodel = { scenarios = ( { name = \"s\"; shocks = ( { symbol = \"X\"; pct = "
               "-0.2; } ); } ); };",
               "\"X\" is not in instruments");
  expect_error(12,
               "riskmodel = { scenarios = ( { name = \"s\"; shocks = ( { pct = -0.2; } ); } ); };",
               "needs one of group or symbol");
  expect_error(12,
               "riskmodel = { scenarios = ( { name = \"s\"; shocks = ( { symbol = \"BTC-USD\"; } "
               "); } ); };",
               "pct: missing");
  expect_error(12,
               "riskmodel = { scenarios = ( { name = \"s\"; shocks = ( { symbol = \"BTC-USD\"; "
               "pct = -2; } ); } ); };",
               "-2 is not in -1..10");
  expect_error(12,
               "riskmodel = { scenarios = ( { name = \"s\"; shocks = (); }, { name = \"s\"; "
               "shocks = (); } ); };",
               "\"s\" is the name of another scenario");
}

static void test_every_admission_key_is_documented(void **state) {
  (void)state;
  const char *doc = config_doc();
  char want[64];
#define DOC_ADM(key, def, lo, hi, what)      \
  snprintf(want, sizeof want, "`%s`", #key); \
  if (strstr(doc, want) == NULL) fail_msg("docs/config.md does not document admission %s", want);
  OMS_CFG_ADMISSION(DOC_ADM)
#undef DOC_ADM
}

/* Issue 16: concentration groups load into the limit set and are refused
 * at their line when malformed. */
static void test_risk_groups_load_and_are_checked(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  const char *ok =
      "  hours = ( { venue = \"SIM\"; } ); groups = ( { kind = \"asset_class\"; name = "
      "\"crypto\"; symbols = [ \"BTC-USD\" ]; max_exposure = \"50000\"; max_exposure_pct = "
      "\"0.5\"; } ); };";
  if (oms_config_load_string(text_with(10, ok), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  char name[OMS_ID_MAX + 1];
  oms_dec_t amt, pct;
  assert_int_equal(oms_risk_limits_group_of(c->risk_limits, OMS_RISK_GROUP_ASSET_CLASS, "BTC-USD",
                                            name, &amt, &pct),
                   0);
  assert_string_equal(name, "crypto");
  assert_int_equal(amt.raw, INT64_C(50000) * OMS_DEC_SCALE);
  assert_int_equal(pct.raw, OMS_DEC_SCALE / 2);
  oms_config_destroy(c);
  expect_error(10,
               "  hours = ( { venue = \"SIM\"; } ); groups = ( { kind = \"color\"; "
               "name = \"x\"; symbols = [ ]; } ); };",
               "\"color\" is not sector, asset_class");
  expect_error(10,
               "  hours = ( { venue = \"SIM\"; } ); groups = ( { kind = \"sector\"; "
               "name = \"x\"; symbols = [ \"NOPE\" ]; } ); };",
               "\"NOPE\" is not in instruments");
  expect_error(10,
               "  hours = ( { venue = \"SIM\"; } ); groups = ( { kind = \"sector\"; "
               "name = \"x\"; symbols = [ \"BTC-USD\" ]; }, { kind = \"sector\"; name = "
               "\"y\"; symbols = [ \"BTC-USD\" ]; } ); };",
               "BTC-USD is already in sector group x");
}

static void test_log_level_names(void **state) {
  (void)state;
  assert_string_equal(oms_log_level_name(OMS_LOG_WARN), "warn");
  assert_string_equal(oms_log_level_name(OMS_LOG_ERROR), "error");
  assert_string_equal(oms_log_level_name((oms_log_level_t)42), "info");
}

static void test_session_validation_switches(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  const char *line3 =
      "  password = \"pw\"; account = \"A1\"; validate = false; "
      "validate_enums = false; validate_order = false; allow_user_tags = true; } ); };";
  int rc = oms_config_load_string(text_with(3, line3), "t.conf", &c, err, sizeof err);
  if (rc != 0) fail_msg("%s", err);
  assert_false(c->sessions[0].validate);
  assert_false(c->sessions[0].validate_enums);
  assert_false(c->sessions[0].validate_order);
  assert_true(c->sessions[0].allow_user_tags);
  oms_config_destroy(c);
  expect_error(3, "  password = \"pw\"; account = \"A1\"; allow_user_tags = 5000; } ); };",
               "allow_user_tags: must be true or false");
}

/* Line 12 with an admin group after the logging group. */
static char *admin_line(const char *admin) {
  static char line[1024];
  snprintf(line, sizeof line, "logging = { level = \"debug\"; }; admin = { %s };", admin);
  return line;
}

static char *with_admin(const char *admin) { return text_with(12, admin_line(admin)); }

#define T_TOKENS                                                                    \
  "tokens = ( { name = \"ops\"; token = \"t-ops\"; role = \"admin\"; },"            \
  " { name = \"tr\"; token = \"t-tr\"; role = \"trade\"; accounts = [ \"A1\" ]; }," \
  " { name = \"v\"; token = \"t-v\"; role = \"read\"; } );"

static void test_admin_group_loads_with_defaults(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  /* Absent: no API. */
  if (oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_false(c->admin.enabled);
  oms_config_destroy(c);
  if (oms_config_load_string(with_admin(T_TOKENS), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  const oms_cfg_admin_t *a = &c->admin;
  assert_true(a->enabled);
  assert_string_equal(a->address, "127.0.0.1");
  assert_int_equal(a->port, 9880);
  assert_int_equal(a->max_connections, 32);
  assert_int_equal(a->max_connections_per_ip, 16);
  assert_int_equal(a->idle_timeout_s, 30);
  assert_string_equal(a->tls_cert, "");
  assert_int_equal(a->ntokens, 3);
  assert_int_equal(a->tokens[0].role, OMS_CFG_ROLE_ADMIN);
  assert_string_equal(a->tokens[0].token, "t-ops");
  assert_int_equal(a->tokens[1].naccounts, 1);
  assert_int_equal(a->tokens[2].role, OMS_CFG_ROLE_READ);
  assert_int_equal(a->tokens[2].naccounts, 0);
  oms_config_destroy(c);
  if (oms_config_load_string(with_admin("address = \"0.0.0.0\"; port = 0; max_connections = 4; "
                                        "max_connections_per_ip = 4; idle_timeout_s = 2; "
                                        "tls_cert = \"c.pem\"; tls_key = \"k.pem\"; " T_TOKENS),
                             "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_int_equal(c->admin.port, 0);
  assert_int_equal(c->admin.max_connections_per_ip, 4);
  assert_int_equal(c->admin.idle_timeout_s, 2);
  assert_string_equal(c->admin.tls_key, "k.pem");
  oms_config_destroy(c);
}

static void test_admin_errors(void **state) {
  (void)state;
  static const struct {
    const char *admin, *want;
  } bad[] = {
      {"prot = 1; " T_TOKENS, "t.conf:12: admin.prot: unknown setting"},
      {"port = 65536; " T_TOKENS, "t.conf:12: admin.port: 65536 is not in 0..65535"},
      {"port = -1; " T_TOKENS, "t.conf:12: admin.port: -1 is not in 0..65535"},
      {"address = \"localhost\"; " T_TOKENS,
       "t.conf:12: admin.address: \"localhost\" is not a dotted IPv4 address"},
      {"max_connections = 0; " T_TOKENS, "t.conf:12: admin.max_connections: 0 is not in 1..1024"},
      {"max_connections = 4; max_connections_per_ip = 5; " T_TOKENS,
       "t.conf:12: admin.max_connections_per_ip: 5 is not in 1..4"},
      {"idle_timeout_s = 0; " T_TOKENS, "t.conf:12: admin.idle_timeout_s: 0 is not in 1..3600"},
      {"tls_cert = \"c.pem\"; " T_TOKENS,
       "t.conf:12: admin.tls_key: missing: TLS needs both tls_cert and tls_key"},
      {"tls_key = \"k.pem\"; " T_TOKENS,
       "t.conf:12: admin.tls_cert: missing: TLS needs both tls_cert and tls_key"},
      {"port = 1;", "t.conf:12: admin.tokens: missing"},
      {"tokens = ();", "t.conf:12: admin.tokens: at least one token is needed"},
      {"tokens = ( 5 );", "t.conf:12: admin.tokens[0]: each entry must be a group"},
      {"tokens = ( { name = \"a\"; token = \"t\"; role = \"root\"; } );",
       "t.conf:12: admin.tokens[0].role: \"root\" is not read, trade or admin"},
      {"tokens = ( { name = \"a\"; token = \"t\"; } );",
       "t.conf:12: admin.tokens[0].role: missing"},
      {"tokens = ( { name = \"a\"; token = \"\"; role = \"read\"; } );",
       "t.conf:12: admin.tokens[0].token: must not be empty"},
      {"tokens = ( { name = \"a b\"; token = \"t\"; role = \"read\"; } );",
       "t.conf:12: admin.tokens[0].name: \"a b\" is not a valid identifier"},
      {"tokens = ( { name = \"a\"; token = \"t\"; role = \"read\"; pw = 1; } );",
       "t.conf:12: admin.tokens[0].pw: unknown setting"},
      {"tokens = ( { name = \"a\"; token = \"t\"; role = \"trade\"; } );",
       "t.conf:12: admin.tokens[0].accounts: a trade token needs the accounts it may trade"},
      {"tokens = ( { name = \"a\"; token = \"t\"; role = \"trade\"; accounts = []; } );",
       "t.conf:12: admin.tokens[0].accounts: a trade token needs the accounts it may trade"},
      {"tokens = ( { name = \"a\"; token = \"t\"; role = \"trade\"; accounts = [ \"NOPE\" ]; } "
       ");",
       "account \"NOPE\" is not in accounts"},
      {"tokens = ( { name = \"a\"; token = \"t\"; role = \"trade\"; accounts = [ 5 ]; } );",
       "must be an account id in double quotes"},
      {"tokens = ( { name = \"a\"; token = \"t\"; role = \"read\"; accounts = [ \"A1\" ]; } );",
       "t.conf:12: admin.tokens[0].accounts: only trade tokens are confined to accounts"},
      {"tokens = ( { name = \"a\"; token = \"t\"; role = \"read\"; },"
       " { name = \"a\"; token = \"u\"; role = \"read\"; } );",
       "t.conf:12: admin.tokens[1].name: \"a\" is already used by tokens[0]"},
      {"tokens = ( { name = \"a\"; token = \"t\"; role = \"read\"; },"
       " { name = \"b\"; token = \"t\"; role = \"admin\"; } );",
       "t.conf:12: admin.tokens[1].token: the same token as tokens[0]"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_error(12, admin_line(bad[i].admin), bad[i].want);
  expect_error(12, "admin = 5;", "t.conf:12: admin: must be a group");
}

/* omsd.core_thread: off unless asked, each policy by name, a priority
 * required by the real-time ones and refused by "other". */
static void test_omsd_core_thread(void **state) {
  (void)state;
  oms_config_t *c;
  char err[OMS_CFG_ERR_MAX];
  if (oms_config_load_string(text_with(0, NULL), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_int_equal(c->core_thread.policy, OMS_CFG_SCHED_OTHER);
  assert_int_equal(c->core_thread.priority, 0);
  assert_int_equal(c->core_thread.cpu, -1);
  assert_int_equal(c->core_thread.spin_us, 0);
  oms_config_destroy(c);
  if (oms_config_load_string(text_with(12,
                                       "omsd = { core_thread = { policy = \"fifo\"; "
                                       "priority = 10; cpu = 1; spin_us = 150; }; };"),
                             "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_int_equal(c->core_thread.policy, OMS_CFG_SCHED_FIFO);
  assert_int_equal(c->core_thread.priority, 10);
  assert_int_equal(c->core_thread.cpu, 1);
  assert_int_equal(c->core_thread.spin_us, 150);
  assert_string_equal(oms_cfg_sched_policy_name(c->core_thread.policy), "fifo");
  oms_config_destroy(c);
  if (oms_config_load_string(
          text_with(12, "omsd = { core_thread = { policy = \"rr\"; priority = 99; }; };"), "t.conf",
          &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_int_equal(c->core_thread.policy, OMS_CFG_SCHED_RR);
  assert_int_equal(c->core_thread.cpu, -1);
  oms_config_destroy(c);
  if (oms_config_load_string(text_with(12, "omsd = { core_thread = { cpu = 0; }; };"), "t.conf", &c,
                             err, sizeof err) != 0)
    fail_msg("%s", err);
  assert_int_equal(c->core_thread.policy, OMS_CFG_SCHED_OTHER);
  assert_int_equal(c->core_thread.cpu, 0);
  oms_config_destroy(c);
  if (oms_config_load_string(text_with(12, "omsd = { };"), "t.conf", &c, err, sizeof err) != 0)
    fail_msg("%s", err);
  oms_config_destroy(c);
  assert_string_equal(oms_cfg_sched_policy_name((oms_cfg_sched_policy_t)7), "?");
  expect_error(12, "omsd = { core_thread = { policy = \"idle\"; }; };",
               "t.conf:12: omsd.core_thread.policy: \"idle\" is not other, fifo or rr");
  expect_error(12, "omsd = { core_thread = { policy = \"fifo\"; }; };",
               "t.conf:12: omsd.core_thread.priority: missing: policy \"fifo\" needs a priority");
  expect_error(12, "omsd = { core_thread = { policy = \"fifo\"; priority = 0; }; };",
               "omsd.core_thread.priority: 0 is not in 1..99");
  expect_error(12, "omsd = { core_thread = { policy = \"rr\"; priority = 100; }; };",
               "omsd.core_thread.priority: 100 is not in 1..99");
  expect_error(12, "omsd = { core_thread = { priority = 5; }; };",
               "omsd.core_thread.priority: 5 is not in 0..0");
  expect_error(12, "omsd = { core_thread = { cpu = -2; }; };",
               "omsd.core_thread.cpu: -2 is not in -1..1023");
  expect_error(12, "omsd = { core_thread = { spin_us = -1; }; };",
               "omsd.core_thread.spin_us: -1 is not in 0..1000000");
  expect_error(12, "omsd = { core_thread = { nice = 1; }; };",
               "omsd.core_thread.nice: unknown setting");
  expect_error(12, "omsd = { threads = 1; };", "omsd.threads: unknown setting");
  expect_error(12, "omsd = { core_thread = 1; };", "omsd.core_thread: must be a group");
  expect_error(12, "omsd = 1;", "t.conf:12: omsd: must be a group");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base_text_loads),
      cmocka_unit_test(test_session_validation_switches),
      cmocka_unit_test(test_sample_file_loads),
      cmocka_unit_test(test_stream_group),
      cmocka_unit_test(test_cluster_group),
      cmocka_unit_test(test_missing_file_is_refused),
      cmocka_unit_test(test_fix_venue_sample_loads),
      cmocka_unit_test(test_fix_venue_settings_load),
      cmocka_unit_test(test_fix_venue_errors),
      cmocka_unit_test(test_syntax_error_names_line),
      cmocka_unit_test(test_fix_errors),
      cmocka_unit_test(test_sending_time_tolerance_is_set_per_session),
      cmocka_unit_test(test_decimal_errors),
      cmocka_unit_test(test_trading_day_start),
      cmocka_unit_test(test_venue_reconciliation_settings),
      cmocka_unit_test(test_venue_capabilities),
      cmocka_unit_test(test_instrument_and_venue_errors),
      cmocka_unit_test(test_smart_routing_venues),
      cmocka_unit_test(test_risk_errors),
      cmocka_unit_test(test_good_risk_variants_load),
      cmocka_unit_test(test_risk_groups_load_and_are_checked),
      cmocka_unit_test(test_log_level_names),
      cmocka_unit_test(test_store_engine_and_journal_keys),
      cmocka_unit_test(test_store_projection_postgres),
      cmocka_unit_test(test_directory_is_refused_plainly),
      cmocka_unit_test(test_device_and_huge_files_are_refused_plainly),
      cmocka_unit_test(test_wrapped_integer_literal_is_reported_as_written),
      cmocka_unit_test(test_listen_address_must_be_numeric),
      cmocka_unit_test(test_capacity_defaults_and_overrides),
      cmocka_unit_test(test_capacity_errors),
      cmocka_unit_test(test_rate_above_the_throttle_ring_is_refused_at_its_line),
      cmocka_unit_test(test_every_risk_limit_key_loads_and_is_documented),
      cmocka_unit_test(test_every_capacity_is_documented),
      cmocka_unit_test(test_admission_defaults_overrides_and_ranges),
      cmocka_unit_test(test_every_admission_key_is_documented),
      cmocka_unit_test(test_riskmodel_group_loads),
      cmocka_unit_test(test_admin_group_loads_with_defaults),
      cmocka_unit_test(test_admin_errors),
      cmocka_unit_test(test_omsd_core_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
