/*
 * omsvenue.h - the standalone exchange's private parts (not installed).
 *
 *   main.c   the command line, the poll loop, the listener and the
 *            connections, the sessions (one per configured counterparty)
 *   venue.c  the exchange: FIX requests to the simulated venue
 *            (src/venue/sim_venue.c) and its reports back as
 *            ExecutionReports, status and mass status answers, cancel on
 *            disconnect
 *   map.c    the FIX <-> simulated venue vocabulary, pure functions
 *   store.c  what must survive a restart: each session's sequence numbers
 *            and sent messages, and the orders' FIX identities
 *
 * One thread runs all of it. docs/omsvenue.md describes the program.
 */
#ifndef OMSVENUE_H
#define OMSVENUE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "app_log.h"
#include "config/config.h"
#include "core/strmap.h"
#include "oms/fix.h"
#include "oms/fix_session.h"
#include "oms/fix_tags.h"
#include "oms/oms.h"
#include "oms/sim_venue.h"

/* ---- map.c ----------------------------------------------------------------------------- */

/* FIX Side/OrdType/TimeInForce to the venue's; 0 or OMS_EINVAL for a value
 * the exchange does not trade. */
int vmap_side(char fix, oms_side_t *out);
int vmap_ord_type(char fix, oms_ord_type_t *out);
int vmap_tif(char fix, oms_tif_t *out);
char vmap_fix_side(oms_side_t s);
char vmap_fix_ord_type(oms_ord_type_t t);
char vmap_fix_tif(oms_tif_t t);

/* A NewOrderSingle as the venue takes it (order_id and account left to the
 * caller). Returns 0, or OMS_EINVAL with *why saying what is not traded. */
int vmap_new_order(const oms_fix_order_fields_t *f, oms_venue_order_t *out, const char **why);

/* The ExecType(150) and OrdStatus(39) of a venue report. cum and leaves are
 * the order's after the report; status is the venue's for STATUS reports. */
char vmap_exec_type(oms_exec_type_t t);
char vmap_ord_status(oms_exec_type_t t, oms_venue_status_t status, oms_dec_t cum, oms_dec_t leaves);

/* AvgPx from the sum of qty*px (raw units, 10^-16) and the filled quantity. */
oms_dec_t vmap_avg_px(__int128 notional, oms_dec_t cum);

/* ---- store.c --------------------------------------------------------------------------- */

/* One session's durable part: data_dir/<ours>-<theirs>.seq holds the two
 * sequence numbers, .msgs the sent application messages. Every write is
 * made durable (fdatasync) before it returns when fsync is set: that is the
 * write-ahead rule (no byte leaves before its number is on disk). */
typedef struct vstore_s {
  int seq_fd, msg_fd;
  bool fsync;
  uint64_t *off; /* offset of the message sent with seq i, +1; 0: none */
  size_t noff;
  uint64_t end; /* size of .msgs */
} vstore_t;

int vstore_open(vstore_t *st, const char *dir, const char *ours, const char *theirs, bool fsync);
void vstore_close(vstore_t *st);
oms_fix_session_store_t vstore_callbacks(vstore_t *st);

/* The orders' journal, data_dir/orders.log: one text line per fact the
 * simulated venue does not keep (who sent an order and under which
 * ClOrdID, its fills' prices for AvgPx), appended (and made durable) before
 * the report that tells it leaves. */
int vjournal_open(FILE **out, const char *dir);
int vjournal_write(FILE *f, bool fsync, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- venue.c: the exchange ------------------------------------------------------------- */

/* Tags of the mass status request that fix_tags.h does not name yet. */
enum {
  VTAG_MASS_STATUS_REQ_ID = 584,
  VTAG_MASS_STATUS_REQ_TYPE = 585,
  VTAG_TOT_NUM_REPORTS = 911,
  VTAG_LAST_RPT_REQUESTED = 912
};
#define VMSG_ORDER_MASS_STATUS_REQUEST "AF"

struct vconn_s;

/* One order the exchange holds: the simulated venue's order_id is its index
 * + 1; the rest is its FIX identity, which the venue does not keep. */
typedef struct vord_s {
  bool used, live;
  bool at_venue; /* at start: the venue holds it, working or finished */
  bool news;     /* at start: a report about it is held for its session */
  /* Finished at the venue while its report was lost in a crash and settled
   * from the venue's record (orders.log "D <id> <status> U"): no report told
   * the session, so a mass status answer names it with the working orders
   * (an OMS that restarted meanwhile knows no other way to ask). */
  bool untold;
  uint16_t sess;
  char pend; /* 'F' or 'G' request in flight, 'X' cancel on disconnect, 0 none */
  char side, ord_type, tif, ord_status;
  char cl[OMS_ID_MAX + 1], pend_cl[OMS_ID_MAX + 1];
  char account[OMS_ID_MAX + 1], symbol[OMS_SYMBOL_MAX + 1], vid[OMS_ID_MAX + 1];
  oms_dec_t qty, price, stop, cum, leaves;
  __int128 notional; /* sum of last_qty * last_px, raw units */
} vord_t;

typedef struct vsess_s {
  struct vx_s *x;
  const oms_cfg_session_t *cfg;
  oms_fix_session_t *fs;
  vstore_t st;
  struct vconn_s *conn;    /* the connection bound to it, or NULL */
  oms_exec_report_t *held; /* reports that arrived while it was not logged on */
  size_t nheld, capheld;
  /* Market data: the MDReqID of its subscription to each symbol (index as
   * vx_t.md); "" when not subscribed. Lost with the connection. */
  char md_req[OMS_SIM_MAX_SYMBOLS][OMS_ID_MAX + 1];
  uint8_t md_depth[OMS_SIM_MAX_SYMBOLS]; /* levels a side asked for (MarketDepth 264) */
  /* MDUpdateType(265) 1 asked for: after the snapshot, the changes as
   * MarketDataIncrementalRefresh (X), computed against md_sent[i], what
   * the session was last told of symbol i (allocated at the first such
   * subscription, OMS_SIM_MAX_SYMBOLS of them; owned by the session). */
  bool md_incr[OMS_SIM_MAX_SYMBOLS];
  oms_market_data_t *md_sent;
} vsess_t;

typedef struct vx_s {
  oms_config_t *cfg;
  oms_clock_t clock;
  oms_venue_t *sim;
  vord_t *ords;
  uint32_t cap, nords;
  oms__strmap_t cl_of; /* "<sess>:<ClOrdID>" -> order_id */
  vsess_t sess[OMS_CFG_MAX_SESSIONS];
  size_t nsess;
  FILE *jr;
  bool fsync;
  int64_t boot_s;
  uint64_t exec_seq;
  int64_t session_end_ns; /* DAY orders expire; 0: never */
  /* The venue's last top of book and trade per symbol; dirty: changed since
   * the subscribers were last sent it. Sent at most every VX_MD_INTERVAL_NS. */
  oms_market_data_t md[OMS_SIM_MAX_SYMBOLS];
  bool md_dirty[OMS_SIM_MAX_SYMBOLS];
  size_t nmd;
  int64_t md_next_ns;
  /* set by main.c */
  int (*sess_send)(void *ctx, struct vconn_s *c, const char *data, size_t len);
  void (*sess_close)(void *ctx, struct vconn_s *c, const char *reason);
  void *net;
} vx_t;

/* Snapshots to subscribers at most this often (checked by vx_poll). */
#define VX_MD_INTERVAL_NS (INT64_C(100) * 1000000)

/* Builds the exchange from cfg: the simulated venue over data_dir's book
 * state, the sessions and their stores, the orders' journal replayed.
 * Returns 0 or -1 (logged); vx_close frees what was built either way. */
int vx_open(vx_t *x, oms_config_t *cfg, int64_t session_end_ns);
void vx_close(vx_t *x);

/* Time-driven work: the venue's reports, DAY expiry, held reports of the
 * sessions logged on again. Returns the reports handled. */
int vx_poll(vx_t *x);

/* The connection of session i ended (either side): cancel on disconnect. */
void vx_disconnected(vx_t *x, size_t i);

/* The session a Logon's SenderCompID/TargetCompID names, or -1. */
int vx_find_session(const vx_t *x, oms_fix_str_t sender, oms_fix_str_t target);

#endif /* OMSVENUE_H */
