/*
 * omsdemo - drives orders through their life with the order model and state
 * machine alone and prints every state change. It is what `make run` shows
 * until the daemon (omsd) takes its place.
 */
#include <stdio.h>
#include <string.h>

#include "oms/oms.h"

static int64_t now_ns = INT64_C(1764000000000000000);

static void show(const oms_order_t *o, const oms_audit_t *a) {
  char qty[OMS_DEC_STRLEN], filled[OMS_DEC_STRLEN], leaves[OMS_DEC_STRLEN], avg[OMS_DEC_STRLEN];
  oms_dec_format(o->qty, qty, sizeof qty);
  oms_dec_format(o->filled_qty, filled, sizeof filled);
  oms_dec_format(o->leaves_qty, leaves, sizeof leaves);
  oms_dec_format(o->avg_px, avg, sizeof avg);
  printf("  order %llu %-8s %-16s -> %-16s on %-15s qty=%s filled=%s leaves=%s avg_px=%s\n",
         (unsigned long long)o->order_id, o->client_order_id,
         oms_ord_state_str((oms_ord_state_t)a->from), oms_ord_state_str((oms_ord_state_t)a->to),
         oms_ord_event_str((oms_ord_event_t)a->event), qty, filled, leaves, avg);
}

static void step(oms_order_t *o, oms_ord_change_t ch) {
  oms_audit_t a;
  now_ns += 1000000;
  ch.ts_ns = now_ns;
  int rc = oms_order_apply(o, &ch, &a);
  if (rc != 0) {
    printf("  order %llu refused %s: %s\n", (unsigned long long)o->order_id,
           oms_ord_event_str(ch.event), oms_strerror(rc));
    return;
  }
  show(o, &a);
}

static oms_dec_t dec(const char *s) {
  oms_dec_t d = OMS_DEC_ZERO;
  oms_dec_parse_cstr(s, &d);
  return d;
}

int main(void) {
  oms_instrument_t ins = {.symbol = "BTC-USD", .venue = "SIM"};
  ins.tick_size = dec("0.5");
  ins.lot_size = dec("0.001");
  ins.min_notional = dec("10");

  oms_order_request_t req = {.client_order_id = "c-1",
                             .strategy_id = "demo",
                             .account_id = "ACC1",
                             .venue = "SIM",
                             .symbol = "BTC-USD",
                             .side = OMS_SIDE_BUY,
                             .type = OMS_ORD_LIMIT,
                             .tif = OMS_TIF_GTC};
  req.qty = dec("2");
  req.price = dec("65000.5");
  oms_reject_t rej;

  printf("oms %s demo: one order filled in two parts, one cancelled, one refused\n",
         OMS_VERSION_STRING);
  oms_order_t o;
  oms_order_init(&o, 1, &req, now_ns);
  step(&o, (oms_ord_change_t){.event = OMS_EV_SUBMIT});
  step(&o, (oms_ord_change_t){.event = OMS_EV_ACCEPT, .venue_order_id = "SIM-1"});
  step(&o,
       (oms_ord_change_t){.event = OMS_EV_FILL, .fill_qty = dec("0.5"), .fill_px = dec("65000.5")});
  step(&o,
       (oms_ord_change_t){.event = OMS_EV_FILL, .fill_qty = dec("1.5"), .fill_px = dec("64999")});
  step(&o,
       (oms_ord_change_t){.event = OMS_EV_FILL, .fill_qty = dec("0.1"), .fill_px = dec("64999")});

  strcpy(req.client_order_id, "c-2");
  oms_order_t c;
  oms_order_init(&c, 2, &req, now_ns);
  step(&c, (oms_ord_change_t){.event = OMS_EV_SUBMIT});
  step(&c, (oms_ord_change_t){.event = OMS_EV_ACCEPT, .venue_order_id = "SIM-2"});
  step(&c, (oms_ord_change_t){.event = OMS_EV_CANCEL_REQUEST});
  step(&c,
       (oms_ord_change_t){.event = OMS_EV_FILL, .fill_qty = dec("0.25"), .fill_px = dec("65000")});
  step(&c, (oms_ord_change_t){.event = OMS_EV_CANCEL_CONFIRM});

  strcpy(req.client_order_id, "c-3");
  req.price = dec("65000.3");
  if (oms_request_validate(&req, &ins, now_ns, &rej) != OMS_R_NONE) {
    oms_order_t r;
    oms_order_init(&r, 3, &req, now_ns);
    step(&r, (oms_ord_change_t){.event = OMS_EV_DENY, .reason = rej.code, .reason_text = rej.text});
    printf("  order 3 rejected: %s (%s)\n", r.reject_reason, oms_reason_name(r.reject_code));
  }
  return 0;
}
