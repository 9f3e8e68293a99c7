/*
 * embed.c - a program that embeds an installed liboms, built by the test
 * tests/embed/embed.sh with nothing but `pkg-config --cflags --libs oms`: an
 * engine with the simulated venue accepts one limit order. It includes only
 * the umbrella header, so a public header that needs a private one (or
 * libconfig) fails this build.
 */
#include <stdio.h>
#include <string.h>

#include <oms/oms.h>

static int64_t now_ns = INT64_C(1764000000000000000);
static int accepted;

static void on_event(void *ctx, const oms_event_t *ev) {
  (void)ctx;
  if (ev->type == OMS_EVT_ORDER_ACCEPTED) accepted++;
}

static int fail(const char *what, int rc) {
  fprintf(stderr, "embed: %s: %s\n", what, oms_strerror(rc));
  return 1;
}

int main(void) {
  oms_clock_t clock = oms_clock_manual(&now_ns);
  oms_sim_symbol_t sym = {0};
  strcpy(sym.ins.symbol, "ABC");
  strcpy(sym.ins.venue, "SIM");
  int rc = oms_dec_parse_cstr("0.01", &sym.ins.tick_size);
  if (rc == 0) rc = oms_dec_parse_cstr("1", &sym.ins.lot_size);
  if (rc != 0) return fail("decimal", rc);
  oms_sim_config_t sc = {.name = "SIM", .clock = clock, .symbols = &sym, .nsymbols = 1};
  oms_venue_t *sim;
  if ((rc = oms_sim_venue_create(&sc, &sim)) != 0) return fail("sim venue", rc);
  oms_engine_config_t cfg = {.clock = clock, .max_orders = 64, .on_event = on_event};
  oms_engine_t *e;
  if ((rc = oms_engine_create(&cfg, &e)) != 0) return fail("engine", rc);
  if ((rc = oms_engine_add_instrument(e, &sym.ins, NULL)) != 0) return fail("instrument", rc);
  if ((rc = oms_engine_add_venue(e, sim, NULL)) != 0) return fail("venue", rc);

  oms_order_request_t req = {.side = OMS_SIDE_BUY, .type = OMS_ORD_LIMIT, .tif = OMS_TIF_GTC};
  strcpy(req.client_order_id, "embed-1");
  strcpy(req.strategy_id, "embed");
  strcpy(req.account_id, "ACC1");
  strcpy(req.venue, "SIM");
  strcpy(req.symbol, "ABC");
  oms_dec_parse_cstr("10", &req.qty);
  oms_dec_parse_cstr("100.25", &req.price);
  oms_submit_result_t res;
  if ((rc = oms_engine_submit(e, &req, &res)) != 0) return fail(res.reject.text, rc);
  for (int i = 0; i < 10 && accepted == 0; i++) {
    now_ns += 1000000;
    oms_engine_poll(e);
  }
  oms_engine_destroy(e);
  if (accepted != 1) {
    fprintf(stderr, "embed: the order was not accepted\n");
    return 1;
  }
  printf("embed: liboms %s accepted order embed-1\n", OMS_VERSION_STRING);
  return 0;
}
