/*
 * omsdemo - a short trading session of liboms against the simulated venue,
 * printing every event as the engine publishes it, then the account's
 * position and the engine's counters. `make demo` runs it; the daemon that
 * serves FIX clients is omsd (`make run`).
 *
 * The session: a market buy filled against the synthetic liquidity
 * provider, a resting limit order modified and then cancelled, an order
 * refused by validation, a stop order triggered and filled, a FOK that
 * can not fill, a TWAP parent order worked by the engine in slices
 * (its children are orders P<parent>.<n>, their fills the parent's), and a
 * bracket whose stop-loss fires and cancels its take-profit (members
 * G<group>.<n>; the group order ends with the entry's fill). Time is a manual clock and the
 * venue's seed is fixed, so every run prints the same thing. No store and no risk engine are
 * attached: events reach the printer as soon as the engine makes them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oms/oms.h"

#define MS INT64_C(1000000)

static int64_t now_ns = INT64_C(1764000000000000000);

static oms_dec_t dec(const char *s) {
  oms_dec_t d = OMS_DEC_ZERO;
  if (oms_dec_parse_cstr(s, &d) != 0) {
    fprintf(stderr, "omsdemo: bad constant %s\n", s);
    exit(1);
  }
  return d;
}

static void print_event(void *ctx, const oms_event_t *ev) {
  (void)ctx;
  const oms_order_t *o = &ev->order;
  char qty[OMS_DEC_STRLEN], filled[OMS_DEC_STRLEN], avg[OMS_DEC_STRLEN], px[OMS_DEC_STRLEN];
  oms_dec_format(o->qty, qty, sizeof qty);
  oms_dec_format(oms_dec_is_zero(o->price) ? o->stop_price : o->price, px, sizeof px);
  oms_dec_format(o->filled_qty, filled, sizeof filled);
  oms_dec_format(o->avg_px, avg, sizeof avg);
  if (ev->type == OMS_EVT_ALARM) {
    printf("  #%-3llu ALARM %s: %s\n", (unsigned long long)ev->seq, oms_alarm_kind_name(ev->alarm),
           ev->text);
    return;
  }
  printf("  #%-3llu %-20s order %llu %-6s %-4s %-10s px=%-8s %-16s qty=%s filled=%s avg_px=%s",
         (unsigned long long)ev->seq, oms_event_type_name(ev->type),
         (unsigned long long)o->order_id, o->client_order_id, oms_side_str(o->side),
         oms_ord_type_str(o->type), px, oms_ord_state_str(o->state), qty, filled, avg);
  if (ev->type == OMS_EVT_ORDER_PARTIALLY_FILLED || ev->type == OMS_EVT_ORDER_FILLED) {
    char fq[OMS_DEC_STRLEN], fp[OMS_DEC_STRLEN], fee[OMS_DEC_STRLEN];
    oms_dec_format(ev->fill.qty, fq, sizeof fq);
    oms_dec_format(ev->fill.price, fp, sizeof fp);
    oms_dec_format(ev->fill.fee, fee, sizeof fee);
    if (ev->fill.liquidity != 0)
      printf(" | fill %s @ %s fee %s (%c)", fq, fp, fee, ev->fill.liquidity);
    else /* a parent's or group's fill: its children's, booked there */
      printf(" | fill %s @ %s", fq, fp);
  }
  if (ev->reason != OMS_R_NONE)
    printf(" | %s: %s", oms_reason_name(ev->reason), ev->text);
  else if (o->algo > OMS_GROUP_ALGO_BASE && ev->text[0] != '\0')
    printf(" | %s", ev->text); /* a group order's end: how the group went */
  printf("\n");
}

static void run_ms(oms_engine_t *e, int ms) {
  for (int i = 0; i < ms; i++) {
    now_ns += MS;
    oms_engine_poll(e);
  }
}

static uint64_t submit(oms_engine_t *e, const char *clordid, oms_side_t side, oms_ord_type_t type,
                       oms_tif_t tif, const char *qty, const char *px, const char *stop) {
  oms_order_request_t req = {.side = side, .type = type, .tif = tif};
  strcpy(req.client_order_id, clordid);
  strcpy(req.strategy_id, "demo");
  strcpy(req.account_id, "ACC1");
  strcpy(req.venue, "SIM");
  strcpy(req.symbol, "BTC-USD");
  req.qty = dec(qty);
  if (px) req.price = dec(px);
  if (stop) req.stop_price = dec(stop);
  oms_submit_result_t res;
  if (oms_engine_submit(e, &req, &res) != 0)
    printf("  -> %s refused: %s (%s)\n", clordid, res.reject.text,
           oms_reason_name(res.reject.code));
  return res.order->order_id;
}

int main(void) {
  oms_clock_t clock = oms_clock_manual(&now_ns);
  oms_sim_symbol_t sym = {0};
  strcpy(sym.ins.symbol, "BTC-USD");
  strcpy(sym.ins.venue, "SIM");
  sym.ins.tick_size = dec("0.5");
  sym.ins.lot_size = dec("0.001");
  sym.ins.min_notional = dec("10");
  sym.ins.price_precision = 1;
  sym.ins.qty_precision = 3;
  sym.lp = (oms_sim_lp_t){.enabled = true,
                          .ref_px = dec("65000"),
                          .spread_ticks = 2,
                          .levels = 5,
                          .size = dec("0.5"),
                          .step_ns = 50 * MS};
  oms_sim_config_t sc = {.name = "SIM",
                         .clock = clock,
                         .ack_latency_ns = 1 * MS,
                         .fill_latency_ns = 1 * MS,
                         .maker_fee_rate = dec("-0.0001"),
                         .taker_fee_rate = dec("0.0005"),
                         .seed = 7,
                         .symbols = &sym,
                         .nsymbols = 1};
  oms_venue_t *sim;
  oms_portfolio_t *pf;
  oms_engine_t *e;
  oms_portfolio_config_t pc = {.max_accounts = 4, .max_symbols = 4, .max_positions = 16};
  if (oms_sim_venue_create(&sc, &sim) != 0 || oms_portfolio_create(&pc, &pf) != 0) return 1;
  oms_engine_config_t cfg = {
      .clock = clock, .max_orders = 1024, .portfolio = pf, .on_event = print_event};
  if (oms_engine_create(&cfg, &e) != 0) return 1;
  oms_engine_add_instrument(e, &sym.ins, NULL);
  oms_engine_add_venue(e, sim, NULL);
  oms_portfolio_set_cash(pf, "ACC1", dec("1000000"), now_ns);

  printf("oms %s: a session against the simulated venue SIM (BTC-USD around 65000)\n\n",
         OMS_VERSION_STRING);
  printf("1. market buy 1.2, filled against the liquidity provider\n");
  submit(e, "mkt-1", OMS_SIDE_BUY, OMS_ORD_MARKET, OMS_TIF_IOC, "1.2", NULL, NULL);
  run_ms(e, 5);

  printf("\n2. limit buy 0.8 @ 64000 rests, is modified to 64100, then cancelled\n");
  uint64_t id = submit(e, "lmt-2", OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_GTC, "0.8", "64000", NULL);
  run_ms(e, 3);
  oms_modify_t m = {.price = dec("64100")};
  oms_reject_t rej;
  if (oms_engine_modify(e, id, &m, &rej) != 0) printf("  -> modify refused: %s\n", rej.text);
  run_ms(e, 3);
  if (oms_engine_cancel(e, id, &rej) != 0) printf("  -> cancel refused: %s\n", rej.text);
  run_ms(e, 3);

  printf("\n3. a price off the tick is refused with its reason\n");
  submit(e, "bad-3", OMS_SIDE_SELL, OMS_ORD_LIMIT, OMS_TIF_GTC, "1", "65000.3", NULL);

  printf("\n4. sell stop 0.5 @ 64999.5 triggers when the market trades down to it\n");
  submit(e, "stop-4", OMS_SIDE_SELL, OMS_ORD_STOP, OMS_TIF_GTC, "0.5", NULL, "64999.5");
  run_ms(e, 2);
  submit(e, "mkt-5", OMS_SIDE_SELL, OMS_ORD_MARKET, OMS_TIF_IOC, "1", NULL, NULL);
  run_ms(e, 5);

  printf("\n5. fill-or-kill buy 50 can not fill in full and is cancelled\n");
  submit(e, "fok-6", OMS_SIDE_BUY, OMS_ORD_LIMIT, OMS_TIF_FOK, "50", "70000", NULL);
  run_ms(e, 3);

  printf("\n6. TWAP buy 1 over 10 s in 2 s slices, crossing the spread: five children\n");
  oms_algo_params_t ap;
  oms_algo_params_init(&ap, OMS_ALGO_TWAP, OMS_SIDE_BUY, dec("1"));
  OMS_ALGO_SET(&ap, end_ns, now_ns + 10000 * MS);
  OMS_ALGO_SET(&ap, slice_ns, 2000 * MS);
  OMS_ALGO_SET(&ap, aggression, (uint8_t)OMS_AGGR_CROSS);
  oms_order_request_t preq = {.tif = OMS_TIF_GTC};
  strcpy(preq.client_order_id, "twap-7");
  strcpy(preq.strategy_id, "demo");
  strcpy(preq.account_id, "ACC1");
  strcpy(preq.venue, "SIM");
  strcpy(preq.symbol, "BTC-USD");
  oms_submit_result_t pres;
  if (oms_engine_submit_parent(e, &preq, &ap, &pres) != 0)
    printf("  -> twap-7 refused: %s (%s)\n", pres.reject.text, oms_reason_name(pres.reject.code));
  run_ms(e, 11000);

  printf(
      "\n7. bracket: buy 0.5 at market, take-profit 200 above, stop-loss 1.5 below;\n"
      "   another account sells the market down through the stop: the stop-loss fires,\n"
      "   the take-profit is cancelled (members are orders G<group>.<n>)\n");
  oms_dec_t ref = oms_sim_venue_lp_ref(sim, "BTC-USD"), tp, sl;
  oms_dec_add(ref, dec("200"), &tp);
  oms_dec_sub(ref, dec("1.5"), &sl);
  oms_group_leg_t legs[3] = {
      {OMS_SIDE_BUY, OMS_ORD_MARKET, OMS_TIF_IOC, dec("0.5"), OMS_DEC_ZERO, OMS_DEC_ZERO},
      {OMS_SIDE_SELL, OMS_ORD_LIMIT, OMS_TIF_GTC, dec("0.5"), tp, OMS_DEC_ZERO},
      {OMS_SIDE_SELL, OMS_ORD_STOP, OMS_TIF_GTC, dec("0.5"), OMS_DEC_ZERO, sl}};
  strcpy(preq.client_order_id, "bracket-8");
  if (oms_engine_submit_group(e, &preq, OMS_GROUP_BRACKET, legs, 3, &pres) != 0)
    printf("  -> bracket-8 refused: %s (%s)\n", pres.reject.text,
           oms_reason_name(pres.reject.code));
  run_ms(e, 5);
  oms_portfolio_set_cash(pf, "ACC2", dec("1000000"), now_ns);
  oms_order_request_t dreq = {.side = OMS_SIDE_SELL, .type = OMS_ORD_MARKET, .tif = OMS_TIF_IOC};
  strcpy(dreq.client_order_id, "push-9");
  strcpy(dreq.strategy_id, "other");
  strcpy(dreq.account_id, "ACC2");
  strcpy(dreq.venue, "SIM");
  strcpy(dreq.symbol, "BTC-USD");
  dreq.qty = dec("2");
  if (oms_engine_submit(e, &dreq, &pres) != 0)
    printf("  -> push-9 refused: %s\n", pres.reject.text);
  run_ms(e, 10);

  oms_pf_position_t pos;
  oms_pf_account_t acc;
  oms_portfolio_position(pf, "ACC1", "BTC-USD", &pos);
  oms_portfolio_account(pf, "ACC1", now_ns, &acc);
  char q[OMS_DEC_STRLEN], a[OMS_DEC_STRLEN], r[OMS_DEC_STRLEN], f[OMS_DEC_STRLEN];
  oms_dec_format(pos.qty, q, sizeof q);
  oms_dec_format(pos.avg_px, a, sizeof a);
  oms_dec_format(acc.realized_pnl, r, sizeof r);
  oms_dec_format(acc.fees, f, sizeof f);
  printf("\nposition ACC1 BTC-USD: %s @ %s, realized PnL %s, fees %s\n", q, a, r, f);
  oms_engine_stats_t st;
  oms_engine_stats(e, &st);
  printf("orders submitted %llu, refused %llu, events %llu\n", (unsigned long long)st.submitted,
         (unsigned long long)st.rejected, (unsigned long long)st.events);
  oms_engine_destroy(e);
  oms_portfolio_destroy(pf);
  return 0;
}
