/*
 * gateway.h - the FIX 4.4 order-entry gateway: FIX sessions bound to
 * accounts, mapped onto the OMS engine.
 *
 * The gateway does no I/O. The daemon hands it connection events and bytes
 * (oms_gateway_conn_open / _conn_data / _conn_closed), every engine event
 * (oms_gateway_on_event, from the engine's on_written or on_event) and a
 * periodic timer; the gateway answers through the io table (write bytes to
 * a connection, close a connection, log). So the whole mapping is tested
 * with in-memory connections, and the daemon only moves bytes.
 *
 * MAPPING
 *   - A connection is bound to a configured session by its first message,
 *     which must be a Logon with the session's CompIDs; anything else (bad
 *     bytes, unknown CompIDs, a session already connected) closes it.
 *   - The strategy of every order is the session's client CompID (so
 *     ClOrdID uniqueness is per session), its account the session's account.
 *     An Account(1) naming another account is refused (OrdRejReason 15 /
 *     "NOT_ENTITLED"); a cancel, replace or status request for an order of
 *     another session or account is answered as for an unknown order.
 *   - NewOrderSingle(D) -> oms_engine_submit; engine events -> ExecutionReport:
 *       SUBMITTED -> A/A, ACCEPTED -> 0/0, PARTIALLY_FILLED, FILLED -> F,
 *       PENDING_CANCEL -> 6, CANCELLED -> 4, PENDING_REPLACE -> E,
 *       REPLACED -> 5, EXPIRED -> C, TRIGGERED -> D (restated), REJECTED/DENIED -> 8
 *       with OrdRejReason and Text "REASON_NAME: text";
 *       CANCEL_REJECTED / REPLACE_REJECTED -> OrderCancelReject(9).
 *     ExecID is "<event seq>" for event reports (unique and stable across
 *     restarts) and "G<boot>-<n>" for answers that are not events.
 *   - A repeated NewOrderSingle with PossResend(97)/PossDupFlag(43) that the
 *     engine recognises as the same request is answered with the order's
 *     status (ExecType I), never a second order; without those flags a
 *     ClOrdID in use is refused with OrdRejReason 6.
 *   - Cancel(F) / Replace(G) name the order by OrigClOrdID(41): the latest
 *     ClOrdID of its chain (a replace gives the order a new ClOrdID). Every
 *     lookup is a map lookup (the gateway's index of pending and replaced
 *     ClOrdIDs, the engine's maps by ClOrdID and by current ClOrdID), so an
 *     OrigClOrdID no order has costs what a known one costs.
 *   - OrderStatusRequest(H) -> ExecType I; OrderMassCancelRequest(q) ->
 *     OrderMassCancelReport(r); any other application message ->
 *     BusinessMessageReject(j) 380=3.
 *   - Cancel-on-disconnect (per session): when the connection goes, every
 *     working order of the session is cancelled.
 *
 * Reports for a session that is not connected (fills of resting orders, the
 * cancels of cancel-on-disconnect) are numbered and, with a store, saved as
 * if sent: at its next Logon the client sees our MsgSeqNum ahead, sends a
 * ResendRequest and gets them with PossDupFlag=Y (a client that logs on with
 * ResetSeqNumFlag=Y gives them up and asks with OrderStatusRequest). Without
 * a store they can not be resent.
 *
 * A replaced order answers to its latest ClOrdID, also after a daemon
 * restart: the engine keeps each order's current ClOrdID (in the store too)
 * and finds an order by it (oms_engine_get_by_current_clordid). Its earlier
 * ClOrdIDs then name no order.
 *
 * Not thread-safe: call it from the engine's thread.
 */
#ifndef OMS_GATEWAY_H
#define OMS_GATEWAY_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/engine.h"
#include "oms/event.h"
#include "oms/fix.h"
#include "oms/fix_session.h"
#include "oms/store.h"

OMS_BEGIN_DECLS

typedef struct oms_gateway_s oms_gateway_t;

/* What the gateway asks of the daemon. conn is the id the daemon gave in
 * oms_gateway_conn_open. */
typedef struct oms_gateway_io_s {
  /* Writes bytes to the connection. Returns 0 or a negative OMS_E*. Required. */
  int (*send)(void *ctx, uint64_t conn, const char *data, size_t len);
  /* Asks the daemon to close the connection (after the current call into
   * the gateway returns); the daemon then calls oms_gateway_conn_closed.
   * Required. */
  void (*close)(void *ctx, uint64_t conn, const char *reason);
  /* Optional. */
  void (*log)(void *ctx, oms_fix_log_level_t level, const char *text);
  /* Optional admission hooks (the daemon's logon throttle). logon_check is
   * asked before a Logon is looked at, with the SenderCompID it names: NULL
   * lets it through, a text refuses it (a Logout with that text, then the
   * connection is closed). logon_done says how the Logon ended: ok when the
   * session is logged on, otherwise why not (unknown CompIDs, bad password,
   * session already connected). */
  const char *(*logon_check)(void *ctx, uint64_t conn, oms_fix_str_t comp_id);
  void (*logon_done)(void *ctx, uint64_t conn, oms_fix_str_t comp_id, bool ok, const char *why);
  void *ctx;
} oms_gateway_io_t;

typedef struct oms_gateway_config_s {
  oms_engine_t *engine;      /* required, not owned */
  oms_store_t *store;        /* optional, not owned: FIX sequence numbers and sent messages */
  oms_clock_t clock;         /* required */
  const char *default_venue; /* required: where orders go without ExDestination(100) */
  size_t max_msg_len;        /* 0: OMS_FIX_DEFAULT_MAX_MSG_LEN */
  uint32_t max_tracked;      /* replaced/pending ClOrdIDs kept; 0: 65536 */
  uint32_t max_conns;        /* 0: 64 */
  oms_gateway_io_t io;
} oms_gateway_config_t;

typedef struct oms_gateway_session_config_s {
  const char *client_comp_id;        /* the client's SenderCompID(49); the orders' strategy */
  const char *our_comp_id;           /* our CompID, the client's TargetCompID(56) */
  const char *password;              /* NULL or "": no password checked */
  const char *account;               /* required */
  int max_heartbeat_s;               /* 0: 300 */
  int64_t sending_time_tolerance_ns; /* SendingTime(52) off our clock; 0: 120 s; < 0: off */
  bool cancel_on_disconnect;
  unsigned fix_dict_flags; /* OMS_FIX_DICT_* (fix_dict.h): inbound validation; 0: all */
} oms_gateway_session_config_t;

/* Creates a gateway. Returns 0, OMS_EINVAL (a required field missing) or
 * OMS_ENOMEM; *out NULL on failure. */
OMS_EXTERN int oms_gateway_create(const oms_gateway_config_t *cfg, oms_gateway_t **out);

/* Frees gw; accepts NULL. Calls no callback. */
OMS_EXTERN void oms_gateway_destroy(oms_gateway_t *gw);

/* Adds a session (strings copied). Returns 0, OMS_EINVAL, OMS_EEXIST (the
 * client CompID is taken), OMS_EFULL or OMS_ENOMEM. */
OMS_EXTERN int oms_gateway_add_session(oms_gateway_t *gw, const oms_gateway_session_config_t *sc);

/* A new connection with the daemon's id conn. Returns 0, OMS_EEXIST,
 * OMS_EFULL or OMS_ENOMEM (its first use of a slot allocates the slot's
 * buffer); on an error, close it. */
OMS_EXTERN int oms_gateway_conn_open(oms_gateway_t *gw, uint64_t conn);

/* Bytes received on conn. Returns 0, or OMS_ECLOSED when the gateway has
 * asked to close it (io.close was called), OMS_ENOTFOUND for an unknown conn. */
OMS_EXTERN int oms_gateway_conn_data(oms_gateway_t *gw, uint64_t conn, const char *data,
                                     size_t len);

/* Ends conn's session with a Logout carrying text (a slow consumer, a
 * store failure), then asks to close it; a connection without a logged-on
 * session is only closed. Returns 0 or OMS_ENOTFOUND. */
OMS_EXTERN int oms_gateway_conn_logout(oms_gateway_t *gw, uint64_t conn, const char *text);

/* The connection is gone (closed by the peer, or by the daemon after
 * io.close). Applies cancel-on-disconnect. Unknown ids are ignored. */
OMS_EXTERN void oms_gateway_conn_closed(oms_gateway_t *gw, uint64_t conn);

/* An engine event: call from the engine's on_written (as soon as the event
 * is written: its report is stored behind it and held in the outbox until
 * that is durable, so one store sync releases both) or from its on_event
 * (once the event is durable), not from both. It runs no engine command
 * itself: a session that drops meanwhile (a failed send) cancels its orders
 * on disconnect at the end of the next oms_gateway_conn_data or _pump. */
OMS_EXTERN void oms_gateway_on_event(oms_gateway_t *gw, const oms_event_t *ev);

/* Session timers (heartbeats, timeouts); call at least once a second. */
OMS_EXTERN void oms_gateway_on_timer(oms_gateway_t *gw);

/* WRITE-AHEAD. No byte of a session leaves before its sequence number (and,
 * for an application message, the message) is durable in the store: bytes
 * written meanwhile wait in the session's outbox. Call oms_gateway_pump()
 * whenever the store's durable ticket may have moved (every loop turn, and
 * when oms_store_durable_fd() fires); it writes what became durable and
 * returns how many messages it wrote. */
OMS_EXTERN int oms_gateway_pump(oms_gateway_t *gw);

/* Graceful stop: waits (at most timeout_ns per session) for the queued
 * messages to become durable and writes them, saves how far each session's
 * client was told, and marks the stop clean unless a message went out
 * unstored in this run (the Logout that tells a client its store failed). */
OMS_EXTERN void oms_gateway_flush(oms_gateway_t *gw, int64_t timeout_ns);

/* After a restart, once the engine recovered and the sessions are added:
 * after a stop that was not marked clean (oms_gateway_flush), every session
 * with stored numbers first skips one outbound number, so a Logout that went
 * out unstored never shares its number with other content; then every event of a session's orders
 * that its client was never told (a crash between the event and its report) is reported now,
 * numbered and stored like any report (so resent on ResendRequest); an event already reported is
 * never reported again. *n_reported (may be NULL) counts the sessions that had something to catch
 * up. Returns 0 or the store's error. */
OMS_EXTERN int oms_gateway_catch_up(oms_gateway_t *gw, uint32_t *n_reported);

/* Starts Logout on every logged-on session. Returns how many. */
OMS_EXTERN int oms_gateway_logout_all(oms_gateway_t *gw, const char *text);

/* Sessions with a connection, and open connections. */
OMS_EXTERN int oms_gateway_sessions_connected(const oms_gateway_t *gw);
OMS_EXTERN int oms_gateway_conns(const oms_gateway_t *gw);

/* One configured session as an operator sees it (GET /v1/sessions). */
typedef struct oms_gateway_session_info_s {
  char sender_comp_id[OMS_ID_MAX + 1]; /* the client's CompID (its SenderCompID(49)) */
  char target_comp_id[OMS_ID_MAX + 1]; /* ours (the client's TargetCompID(56)) */
  char account[OMS_ID_MAX + 1];
  bool connected, logged_on;          /* a connection is bound to it; the Logon was accepted */
  int64_t next_in, next_out;          /* next expected inbound / next outbound MsgSeqNum */
  int64_t last_received_ns;           /* last message from the client (0: none) */
  int64_t last_sent_ns;               /* last message to the client (0: none) */
  uint64_t messages_in, messages_out; /* since the daemon started, over every connection */
} oms_gateway_session_info_t;

/* How many sessions were added (connected or not). */
OMS_EXTERN size_t oms_gateway_session_count(const oms_gateway_t *gw);

/* Copies the state of session i (0 <= i < oms_gateway_session_count, in the
 * order they were added) into *out. Returns 0, or OMS_EINVAL (NULL argument,
 * i out of range; *out untouched). Reads what the gateway keeps as messages
 * pass: no scan, no allocation, no store query. Before a session's first
 * connection its numbers are those oms_gateway_catch_up read from the store
 * (1 and 1 without it). A message queued by the write-ahead outbox counts as
 * sent when queued (it is written once its store ticket is durable). */
OMS_EXTERN int oms_gateway_session_info(const oms_gateway_t *gw, size_t i,
                                        oms_gateway_session_info_t *out);

/* The FIX OrdRejReason(103) for an OMS reason. */
OMS_EXTERN int oms_gateway_ord_rej_reason(oms_reason_t r);

/* Reads a contingent group's tags (OMS_GROUP_TAG_MAP in engine.h: tag=value
 * pairs as a NewOrderSingle carries them) for the order req: returns 1 with
 * the members in legs[0..*nlegs) (at most OMS_ALGO_GROUP_MAX) and *kind, 0
 * when no group tag is there (an ordinary order), -1 with *rej naming the
 * tags for a refusal, OMS_EINVAL for a NULL argument. The gateway and the
 * admin API read a group the same way through it (docs/groups.md). */
OMS_EXTERN int oms_gateway_group_from_tags(const oms_algo_tag_t *tags, size_t n,
                                           const oms_order_request_t *req, oms_group_leg_t *legs,
                                           uint32_t *nlegs, oms_algo_group_kind_t *kind,
                                           oms_reject_t *rej);

OMS_END_DECLS

#endif /* OMS_GATEWAY_H */
