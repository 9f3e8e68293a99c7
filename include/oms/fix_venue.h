/*
 * fix_venue.h - a venue reached over FIX 4.4: the connector behind the venue
 * interface (venue.h) that is a FIX initiator, built on the session layer
 * (fix_session.h, initiator role) and the codec.
 *
 * The connector owns its TCP socket and its timers. Everything happens in
 * poll(now): connect (non-blocking) inside the venue's session schedule,
 * reconnect with exponential backoff after a failure, read and hand bytes to
 * the session, run the session's timers once a second, flush what the socket
 * could not take at once. Time comes from the injected clock; the socket is
 * real. Nothing is allocated per message.
 *
 * Orders to messages. send_new, send_cancel, send_replace, query_status and
 * query_all become NewOrderSingle(D), OrderCancelRequest(F),
 * OrderCancelReplaceRequest(G), OrderStatusRequest(H) and
 * OrderMassStatusRequest(AF), written in the venue's dialect: its symbols,
 * Account(1), ExDestination(100) and extra tags. An order the venue cannot
 * take (an OrdType, TimeInForce or ExecInst it does not list) never leaves:
 * send_new returns 0 and poll() delivers a REJECTED report with reason
 * OMS_R_UNSUPPORTED and a text naming what the venue lacks.
 *
 * ClOrdIDs are derived from the OMS order id, "<prefix><order_id>" for the
 * order and "<prefix><order_id>.<n>" for its n-th cancel or replace
 * (OrigClOrdID the one the venue knows the order by), so a report names its
 * order without any table, also after an omsd restart. A ClOrdID that is not
 * ours gives a report with order_id 0 and the venue's cl_ord_id (the core
 * raises the alarm and keeps it).
 *
 * Messages to reports (ExecType(150) -> oms_exec_type_t):
 *
 *     0 New -> ACCEPTED         1 2 F (partial) fill, trade -> FILL
 *     4 Canceled -> CANCELLED   5 Replaced -> REPLACED
 *     8 Rejected -> REJECTED    C Expired, 3 DoneForDay -> EXPIRED
 *     D Restated -> RESTATED    I OrderStatus -> STATUS (a snapshot)
 *     H TradeCancel -> BUST     G TradeCorrect -> CORRECT (ExecRefID(19))
 *     6 E A pending cancel / replace / new: no report (the request is known
 *       to be pending already; counted)
 *
 * With market_data, every Logon subscribes to the venue's book, OMS_MD_DEPTH
 * levels a side (MarketDepth 264), and trades for md_symbols
 * (MarketDataRequest V, snapshots); each MarketDataSnapshotFullRefresh (W)
 * becomes one oms_market_data_t (levels sorted by price, equal prices
 * summed; last trade), which gives the engine the reference prices risk
 * needs and smart routing its depth. A malformed snapshot (NoMDEntries not
 * the number of entries, a price missing or unreadable, a negative size) is
 * refused whole, logged with the reason and counted (bad_market_data).
 * With md_incremental the subscription asks for incremental refreshes
 * (MDUpdateType 1): the connector keeps each symbol's book from its
 * snapshot and applies every MarketDataIncrementalRefresh (X) to it,
 * delivering the book after each message that changed it; an X that cannot
 * apply (or is malformed, resent, or lost to the session) makes the book
 * untrusted: delivered once empty (nothing is routed on it), then the
 * snapshot is asked for again (src/venue/fix_md.c, docs/venues.md).
 *
 * ExecID(17) is the report's exec_id (the core drops a repeated one per
 * venue). OrderCancelReject(9) is CANCEL_REJECTED or REPLACE_REJECTED by its
 * CxlRejResponseTo(434). An ExecType outside FIX 4.4 is logged at error level
 * and counted, and changes nothing.
 *
 * A per-order record (symbol, side, quantity, prices, the ClOrdID the venue
 * knows) serves cancels, replaces and status queries, which FIX requires to
 * repeat them. Every ExecutionReport refreshes it, so after a restart the
 * answers to query_all rebuild it; until then a cancel, replace or status
 * query of an order without a record returns OMS_ENOTFOUND.
 *
 * Not thread-safe: drive it from the core's loop.
 */
#ifndef OMS_FIX_VENUE_H
#define OMS_FIX_VENUE_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/fix_session.h"
#include "oms/venue.h"

OMS_BEGIN_DECLS

#define OMS_FIX_VENUE_MAX_SYMBOLS 64
#define OMS_FIX_VENUE_MAX_TAGS 8

/* An OMS symbol and the venue's name for it. */
typedef struct oms_fix_venue_symbol_s {
  const char *oms;
  const char *venue;
} oms_fix_venue_symbol_t;

/* A tag the venue wants on every order message, with its value. */
typedef struct oms_fix_venue_tag_s {
  uint32_t tag;
  const char *value;
} oms_fix_venue_tag_t;

/* When the venue's FIX session is open: weekdays (bit 0 Sunday .. bit 6
 * Saturday) and a UTC window in seconds of the day; start > end runs across
 * midnight. days 0 and start == end: always open. */
typedef struct oms_fix_schedule_s {
  uint8_t days;
  int32_t start_s;
  int32_t end_s;
} oms_fix_schedule_t;

/* Capability bits: 1u << oms_ord_type_t, 1u << oms_tif_t. */
#define OMS_FIX_VENUE_BIT(v) (1u << (unsigned)(v))

typedef struct oms_fix_venue_config_s {
  const char *name;                            /* the venue's name in the OMS (routes); copied */
  const char *host;                            /* dotted IPv4 address */
  int port;                                    /* 1..65535 */
  const char *sender_comp_id, *target_comp_id; /* ours, the venue's */
  const char *username, *password;             /* Logon 553/554; NULL: not sent */
  int heartbeat_s;                             /* 0: 30 */
  bool reset_on_logon;                         /* 141=Y on every Logon */
  oms_fix_schedule_t schedule;
  int64_t reconnect_min_ns; /* first retry delay; 0: 1 s (doubles, up to max) */
  int64_t reconnect_max_ns; /* 0: 30 s */
  /* The dialect. */
  const oms_fix_venue_symbol_t *symbols; /* OMS -> venue; a symbol not listed is sent as is */
  size_t nsymbols;
  const char *account;             /* Account(1) on every order; NULL/"": the order's account */
  const char *ex_destination;      /* ExDestination(100); NULL/"": not sent */
  const oms_fix_venue_tag_t *tags; /* extra tags on D, F, G */
  size_t ntags;
  uint32_t ord_types;  /* OMS_FIX_VENUE_BIT(OMS_ORD_*) the venue takes; 0: all */
  uint32_t tifs;       /* OMS_FIX_VENUE_BIT(OMS_TIF_*) the venue takes; 0: all */
  uint32_t exec_insts; /* OMS_INST_* the venue takes (POST_ONLY as ExecInst 6) */
  bool mass_status;    /* the venue answers OrderMassStatusRequest (query_all) */
  /* Market data: after every Logon, one MarketDataRequest(V) per symbol
   * (top of book and trades, snapshots); the venue's snapshots (W) reach
   * the handler's on_market_data with our symbol. */
  bool market_data;
  bool md_incremental;           /* subscribe with MDUpdateType(265) 1: snapshot, then X updates */
  const char *const *md_symbols; /* OMS symbols, mapped through symbols[] */
  size_t n_md_symbols;           /* at most OMS_FIX_VENUE_MAX_SYMBOLS */
  const char *cl_ord_id_prefix;  /* NULL: "O" */
  /* Capacities and the session's store. */
  uint32_t max_orders;    /* order records; 0: 16384 */
  uint32_t report_queue;  /* refusals waiting for poll(); 0: 256 */
  uint32_t resend_window; /* sent messages kept for ResendRequest when store is NULL; 0: 1024 */
  size_t max_msg_len;     /* 0: 4096 */
  const oms_fix_session_store_t *store; /* NULL: kept in memory (numbers restart at 1) */
  /* Write-ahead with a store whose writes are asynchronous: the ticket of
   * the last save the store callbacks made, and the highest ticket durable.
   * Bytes wait in the connector until their ticket is durable. NULL: a save
   * is durable when its callback returns. */
  uint64_t (*last_ticket)(void *ctx);
  uint64_t (*durable_ticket)(void *ctx);
  void *ticket_ctx;
  oms_clock_t clock; /* now_ns NULL: the real-time clock */
  /* Optional: told when the connector opens a socket (old_fd -1) and before
   * it closes one (new_fd -1), so a loop can watch it and call poll() when
   * it is readable. Not called from destroy. */
  void (*on_socket)(void *ctx, int old_fd, int new_fd);
  void *socket_ctx;
  void (*log)(void *ctx, oms_fix_log_level_t level, const char *text); /* may be NULL */
  void *log_ctx;
} oms_fix_venue_config_t;

typedef struct oms_fix_venue_stats_s {
  uint64_t connects;        /* TCP connections established */
  uint64_t logons;          /* sessions that reached ACTIVE */
  uint64_t reports;         /* reports delivered */
  uint64_t refused;         /* orders refused before they left */
  uint64_t pending_reports; /* ExecType 6, E, A: no report */
  uint64_t bad_reports;     /* unknown ExecType, unreadable report: logged, nothing changed */
  uint64_t unmapped;        /* reports with a ClOrdID that is not ours (order_id 0) */
  uint64_t bad_market_data; /* malformed snapshots refused whole (logged with the reason) */
  uint64_t md_updates;      /* incremental refreshes (X) applied to at least one book */
  uint64_t md_stale;        /* books made untrusted: an X that could not apply, lost, resent */
  uint64_t md_resnapshots;  /* snapshots asked for again for an untrusted book */
} oms_fix_venue_stats_t;

/* Creates the connector (not yet connected: poll() connects). Returns 0 and
 * *out, OMS_EINVAL for a bad configuration, OMS_ENOMEM. The caller owns *out
 * (oms_venue_destroy: a Logout is sent first when logged on). */
OMS_EXTERN int oms_fix_venue_create(const oms_fix_venue_config_t *cfg, oms_venue_t **out);

/* Starts the logout handshake (omsd stopping); poll() completes it and no
 * reconnect follows. Returns 0 or OMS_ESTATE when not logged on. */
OMS_EXTERN int oms_fix_venue_stop(oms_venue_t *v);

/* The connector's socket, -1 while there is none (for a loop's poller). */
OMS_EXTERN int oms_fix_venue_fd(const oms_venue_t *v);

OMS_EXTERN void oms_fix_venue_stats(const oms_venue_t *v, oms_fix_venue_stats_t *out);

/* The session (state, sequence numbers), for tests and status pages. */
OMS_EXTERN const oms_fix_session_t *oms_fix_venue_session(const oms_venue_t *v);

/* 1 when t_ns is inside schedule s. */
OMS_EXTERN int oms_fix_schedule_open(const oms_fix_schedule_t *s, int64_t t_ns);

OMS_END_DECLS

#endif /* OMS_FIX_VENUE_H */
