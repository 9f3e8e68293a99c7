/*
 * venue.h - the venue connector interface (oms_venue_t, oms_venue_vtbl_t):
 * what the router needs from any trading venue, real or simulated.
 *
 * A connector is a table of functions plus its state. The OMS core calls it
 * to send new orders, cancels, replaces and status queries; the connector
 * answers with execution reports through the handler the core installed.
 *
 * Reports are never delivered from inside a send_* call: a connector queues
 * them and delivers them from poll(), which the core calls from its loop.
 * That keeps the core free of re-entrancy and makes a simulated venue
 * deterministic for a given clock and seed.
 */
#ifndef OMS_VENUE_H
#define OMS_VENUE_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/decimal.h"
#include "oms/order.h"
#include "oms/reason.h"

OMS_BEGIN_DECLS

/* A new order as the venue sees it (already converted to the venue's symbol
 * and rounding by the router). */
/* ---- Capabilities --------------------------------------------------------
 *
 * The order types the OMS works itself from market data when a venue does
 * not (docs/algos.md: emulated types) and that a venue may work natively:
 * XX(NAME, bit, configuration name). The one vocabulary of the venues'
 * `native` and `emulate` lists (docs/config.md). */
#define OMS_VENUE_CAP_MAP(XX)           \
  XX(TRAILING_STOP, 0, "trailing_stop") \
  XX(MIT, 1, "mit")                     \
  XX(LIT, 2, "lit")                     \
  XX(ICEBERG, 3, "iceberg")

enum {
#define XX(name, bit, cfg) OMS_VENUE_CAP_##name = 1u << (bit),
  OMS_VENUE_CAP_MAP(XX)
#undef XX
};

/* The configuration name of capability bit cap (one OMS_VENUE_CAP_*), or
 * "unknown". */
static inline const char *oms_venue_cap_name(uint32_t cap) {
#define XX(name, bit, cfg) \
  if (cap == (1u << (bit))) return cfg;
  OMS_VENUE_CAP_MAP(XX)
#undef XX
  return "unknown";
}

typedef struct oms_venue_order_s {
  uint64_t order_id; /* the OMS order id; echoed in every report */
  char account_id[OMS_ID_MAX + 1];
  char symbol[OMS_SYMBOL_MAX + 1]; /* the venue's symbol */
  oms_side_t side;
  oms_ord_type_t type;
  oms_tif_t tif;
  uint32_t instructions; /* OMS_INST_* */
  oms_dec_t qty;
  oms_dec_t price;
  oms_dec_t stop_price;
  int64_t expire_ns;
  /* A type the venue works itself (oms_venue_t.native): 0, or one
   * OMS_VENUE_CAP_* bit. The trigger of MIT and LIT is stop_price, a
   * trailing stop's current stop is stop_price too. */
  uint32_t native;
  oms_dec_t display_qty;  /* ICEBERG: the most shown (FIX MaxFloor 111) */
  oms_dec_t trail_offset; /* TRAILING_STOP: the distance, in price */
} oms_venue_order_t;

typedef enum oms_exec_type_e {
  OMS_EXEC_ACCEPTED = 1,     /* new order acknowledged; venue_order_id set */
  OMS_EXEC_REJECTED,         /* new order refused; reason set */
  OMS_EXEC_FILL,             /* a trade: last_qty, last_px, fee, liquidity, exec_id */
  OMS_EXEC_CANCELLED,        /* cancelled, on request or unsolicited (IOC rest, FOK) */
  OMS_EXEC_CANCEL_REJECTED,  /* cancel refused; reason set */
  OMS_EXEC_REPLACED,         /* replace applied; new_qty, new_price, new_stop_price */
  OMS_EXEC_REPLACE_REJECTED, /* replace refused; reason set */
  OMS_EXEC_EXPIRED,          /* DAY or GTD ran out */
  OMS_EXEC_TRIGGERED,        /* stop price reached; now a market or limit order */
  OMS_EXEC_STATUS,           /* answer to a status query: status, cum_qty, leaves_qty, avg_px;
                              * a snapshot (FIX ExecType I), never a new fill */
  OMS_EXEC_BUST,             /* a trade broken by the venue (FIX ExecType H): exec_ref_id
                              * names the fill, which is taken back from the order and the
                              * portfolio */
  OMS_EXEC_CORRECT,          /* a trade corrected by the venue (FIX ExecType G): exec_ref_id
                              * names the fill; last_qty and last_px are its new values */
  OMS_EXEC_RESTATED,         /* the venue changed the order on its own (FIX ExecType D):
                              * new_qty, new_price as for REPLACED; text says why */
  OMS_EXEC_VENUE_ERROR       /* something from the venue the connector could not use (an
                              * unknown ExecType, an unreadable report, a session-level
                              * error): text says what; the core raises an Alarm event and
                              * changes no order */
} oms_exec_type_t;

/* The venue's view of an order's status, in a STATUS report. */
typedef enum oms_venue_status_e {
  OMS_VSTATUS_UNKNOWN = 0, /* the venue never received the order */
  OMS_VSTATUS_WORKING,     /* live: resting or waiting for its stop */
  OMS_VSTATUS_FILLED,
  OMS_VSTATUS_CANCELLED,
  OMS_VSTATUS_REJECTED,
  OMS_VSTATUS_EXPIRED
} oms_venue_status_t;

typedef struct oms_exec_report_s {
  oms_exec_type_t type;
  uint64_t order_id;
  char venue_order_id[OMS_ID_MAX + 1];
  char exec_id[OMS_ID_MAX + 1];     /* unique per venue; duplicates are ignored by the core */
  oms_dec_t last_qty;               /* FILL */
  oms_dec_t last_px;                /* FILL */
  oms_dec_t fee;                    /* FILL: in quote currency, negative for a rebate */
  char liquidity;                   /* FILL: 'M' maker, 'T' taker */
  oms_dec_t cum_qty;                /* FILL, STATUS: the venue's filled quantity */
  oms_dec_t leaves_qty;             /* FILL, STATUS */
  oms_dec_t new_qty;                /* REPLACED */
  oms_dec_t new_price;              /* REPLACED */
  oms_dec_t new_stop_price;         /* REPLACED */
  oms_venue_status_t status;        /* STATUS */
  oms_dec_t avg_px;                 /* STATUS, FILL when the venue says it: its average price */
  char exec_ref_id[OMS_ID_MAX + 1]; /* BUST, CORRECT: the exec_id of the fill concerned */
  /* A report whose order the connector cannot name (order_id 0): the venue's
   * ClOrdID, for the alarm the core raises (never dropped). STATUS reports of
   * a mass status query name orders at the venue the OMS may not know. */
  char cl_ord_id[OMS_ID_MAX + 1];
  bool last_of_batch;  /* STATUS: the last answer to a query_all */
  oms_reason_t reason; /* REJECTED, *_REJECTED, CANCELLED (why) */
  char text[OMS_REASON_MAX + 1];
  int64_t ts_ns; /* venue time of the event */
} oms_exec_report_t;

/* How many price levels per side a market data snapshot can carry, the top
 * of book included (docs/venues.md: depth). A compile-time constant so a
 * snapshot is a plain value: no allocation on the market data path. */
#define OMS_MD_DEPTH 10

/* One price level: its price and the quantity displayed there (summed over
 * the orders resting at that price). */
typedef struct oms_md_level_s {
  oms_dec_t px, qty;
} oms_md_level_t;

/* Top of book, depth and last trade, for mark prices, reference prices and
 * smart routing. A snapshot: each one replaces the previous for its symbol.
 *
 * Level 0 of each side is bid/bid_qty and ask/ask_qty, where it has always
 * been, so readers of the top of book need nothing else. The levels behind
 * it, best first, are bid_depth[0 .. n_bid_depth) (level 1 onwards) and
 * ask_depth[0 .. n_ask_depth): a buy side strictly falling in price, a sell
 * side strictly rising, every quantity positive. A venue that sends its top
 * of book only leaves the counts at 0. oms_md_level() reads level i of
 * either side whatever its place. */
typedef struct oms_market_data_s {
  char symbol[OMS_SYMBOL_MAX + 1];
  oms_dec_t bid, bid_qty, ask, ask_qty; /* zero when that side is empty */
  oms_dec_t last_px, last_qty;          /* zero before the first trade */
  int64_t ts_ns;
  oms_dec_t cum_volume; /* quantity traded in the symbol so far, monotonic; 0 = unknown */
  uint32_t n_bid_depth, n_ask_depth; /* <= OMS_MD_DEPTH - 1 each */
  oms_md_level_t bid_depth[OMS_MD_DEPTH - 1];
  oms_md_level_t ask_depth[OMS_MD_DEPTH - 1];
} oms_market_data_t;

/* The number of levels md carries on side (the top included: 0 when the
 * side is empty). */
static inline uint32_t oms_md_levels(const oms_market_data_t *md, oms_side_t side) {
  bool buy = side == OMS_SIDE_BUY;
  if (!oms_dec_is_pos(buy ? md->bid_qty : md->ask_qty)) return 0;
  uint32_t n = buy ? md->n_bid_depth : md->n_ask_depth;
  return 1 + (n < OMS_MD_DEPTH - 1 ? n : OMS_MD_DEPTH - 1);
}

/* Level i (0 = the top) of side, or a zero level past the last. */
static inline oms_md_level_t oms_md_level(const oms_market_data_t *md, oms_side_t side,
                                          uint32_t i) {
  bool buy = side == OMS_SIDE_BUY;
  oms_md_level_t z = {OMS_DEC_ZERO, OMS_DEC_ZERO};
  if (i >= oms_md_levels(md, side)) return z;
  if (i == 0) {
    oms_md_level_t top = {buy ? md->bid : md->ask, buy ? md->bid_qty : md->ask_qty};
    return top;
  }
  return buy ? md->bid_depth[i - 1] : md->ask_depth[i - 1];
}

/* What the core hands a connector: called from the connector's poll(). */
typedef struct oms_venue_handler_s {
  void (*on_report)(void *ctx, const oms_exec_report_t *r);
  void (*on_market_data)(void *ctx, const oms_market_data_t *md); /* may be NULL */
  void (*on_connection)(void *ctx, bool connected);               /* may be NULL */
  void *ctx;
} oms_venue_handler_t;

typedef struct oms_venue_s oms_venue_t;

/* The function table of a connector. Every send returns 0 when the message
 * was accepted for sending (the outcome comes later as a report), OMS_EDOWN
 * when the venue is not connected, OMS_EFULL when the connector can not take
 * more now, OMS_EINVAL for a malformed request. */
typedef struct oms_venue_vtbl_s {
  int (*send_new)(oms_venue_t *v, const oms_venue_order_t *o);
  int (*send_cancel)(oms_venue_t *v, uint64_t order_id);
  int (*send_replace)(oms_venue_t *v, uint64_t order_id, oms_dec_t new_qty, oms_dec_t new_price,
                      oms_dec_t new_stop_price);
  /* Asks for the venue's status of an order; answered by a STATUS report. */
  int (*query_status)(oms_venue_t *v, uint64_t order_id);
  /* Asks for every order the venue holds for us (FIX OrderMassStatusRequest);
   * answered by STATUS reports, the last with last_of_batch set (a venue
   * holding none answers one STATUS report with order_id 0, status UNKNOWN
   * and last_of_batch). NULL when the venue cannot: the core asks per order. */
  int (*query_all)(oms_venue_t *v);
  bool (*is_connected)(const oms_venue_t *v);
  /* Does time-driven work up to now_ns and delivers queued reports. Returns
   * the number of reports delivered. */
  int (*poll)(oms_venue_t *v, int64_t now_ns);
  void (*destroy)(oms_venue_t *v);
  /* Optional (NULL: the router converts and calls send_new). send_new of o
   * as the router would convert it for a venue that maps no symbol, with no
   * native type: order_id, account_id, symbol, side, type, tif,
   * instructions, qty, price, stop_price and expire_ns are o's, the native
   * fields zero. The same outcome as send_new of that conversion; the
   * connector reads the order where it is instead of a copy. */
  int (*send_order)(oms_venue_t *v, const oms_order_t *o);
} oms_venue_vtbl_t;

/* Every connector starts with this header, so the core can hold any of them. */
struct oms_venue_s {
  const oms_venue_vtbl_t *vt;
  char name[OMS_VENUE_MAX + 1];
  oms_venue_handler_t handler;
  /* Capabilities (OMS_VENUE_CAP_* bits), set by whoever creates the
   * connector (omsd from the venue's `native` and `emulate` lists): the
   * types it works natively (the OMS sends them as such), and those the OMS
   * may not emulate for it (no market data to watch, say). Zero: all
   * emulated. */
  uint32_t native;
  uint32_t no_emulate;
};

static inline void oms_venue_set_handler(oms_venue_t *v, const oms_venue_handler_t *h) {
  v->handler = *h;
}
static inline int oms_venue_send_new(oms_venue_t *v, const oms_venue_order_t *o) {
  return v->vt->send_new(v, o);
}
static inline int oms_venue_send_cancel(oms_venue_t *v, uint64_t id) {
  return v->vt->send_cancel(v, id);
}
static inline int oms_venue_send_replace(oms_venue_t *v, uint64_t id, oms_dec_t q, oms_dec_t p,
                                         oms_dec_t s) {
  return v->vt->send_replace(v, id, q, p, s);
}
static inline int oms_venue_query_status(oms_venue_t *v, uint64_t id) {
  return v->vt->query_status(v, id);
}
static inline bool oms_venue_is_connected(const oms_venue_t *v) { return v->vt->is_connected(v); }
static inline int oms_venue_poll(oms_venue_t *v, int64_t now_ns) { return v->vt->poll(v, now_ns); }
/* Accepts NULL. */
static inline void oms_venue_destroy(oms_venue_t *v) {
  if (v != NULL) v->vt->destroy(v);
}

OMS_END_DECLS

#endif /* OMS_VENUE_H */
