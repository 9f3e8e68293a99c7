/* oms_test.h - helpers shared by the test files: decimals from text and a
 * ready-made valid request and instrument to vary one field at a time. */
#ifndef OMS_TEST_H
#define OMS_TEST_H

#include <string.h>

#include "oms/decimal.h"
#include "oms/error.h"
#include "oms/order.h"

static inline oms_dec_t T_D(const char *s) {
  oms_dec_t d = {0};
  if (oms_dec_parse_cstr(s, &d) != 0) {
    /* A typo in a test's constant must fail loudly. */
    __builtin_trap();
  }
  return d;
}

static inline void t_instrument(oms_instrument_t *ins, const char *symbol) {
  memset(ins, 0, sizeof(*ins));
  strcpy(ins->symbol, symbol);
  strcpy(ins->venue, "SIM");
  ins->tick_size = T_D("0.5");
  ins->lot_size = T_D("0.001");
  ins->min_qty = T_D("0.001");
  ins->max_qty = T_D("1000");
  ins->min_notional = T_D("10");
  ins->price_precision = 1;
  ins->qty_precision = 3;
}

static inline void t_request(oms_order_request_t *req, const char *clordid, oms_side_t side,
                             oms_ord_type_t type, const char *qty, const char *px) {
  memset(req, 0, sizeof(*req));
  strcpy(req->client_order_id, clordid);
  strcpy(req->strategy_id, "s1");
  strcpy(req->account_id, "ACC1");
  strcpy(req->venue, "SIM");
  strcpy(req->symbol, "BTC-USD");
  req->side = side;
  req->type = type;
  req->tif = OMS_TIF_GTC;
  req->qty = T_D(qty);
  if (px != NULL) req->price = T_D(px);
}

#endif /* OMS_TEST_H */
