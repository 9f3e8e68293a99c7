/*
 * fix_session.h - the FIX 4.4 session layer, acceptor and initiator roles.
 *
 * The session does no I/O and reads no system clock: the daemon feeds it the
 * bytes (or parsed messages) it received, calls oms_fix_session_on_timer()
 * periodically, and the session answers through the callback tables below
 * (send bytes, deliver an application message, persist sequence numbers and
 * sent messages, disconnect, log). Time comes from the injected oms_clock_t,
 * so every test replays exactly.
 *
 * One session object lives as long as the counterparty's configuration (one
 * SenderCompID/TargetCompID pair); each TCP connection is one
 * oms_fix_session_connect() ... disconnect cycle. Sequence numbers survive
 * reconnects and daemon restarts through the store callbacks.
 *
 * States:
 *
 *     DISCONNECTED --connect()--> AWAIT_LOGON --valid Logon--> ACTIVE
 *     ACTIVE --logout()--> LOGOUT_SENT --Logout received / timeout--> DISCONNECTED
 *     ACTIVE --Logout received (answered)--> DISCONNECTED
 *     ACTIVE --Logon with 141=Y (answered, both sides back to 1)--> ACTIVE
 *     any --protocol violation, store failure, timeout--> DISCONNECTED
 *
 * The initiator role (cfg.initiator, the venue connector) differs only at
 * Logon: connect() sends our Logon (HeartBtInt, credentials, 141=Y when
 * reset_on_logon) and waits in AWAIT_LOGON for the acceptor's answer; every
 * other rule (resend, gap fill, PossDup, heartbeats, TestRequest, logout)
 * is the same code in both roles.
 *
 * The session is not thread-safe; call it from one thread. Callbacks may call
 * the session's send functions (e.g. answer an order from on_app_msg).
 */
#ifndef OMS_FIX_SESSION_H
#define OMS_FIX_SESSION_H

#include <stdbool.h>

#include "oms/common.h"
#include "oms/fix.h"

OMS_BEGIN_DECLS

/* How far an inbound SendingTime(52) may be from our clock by default. */
#define OMS_FIX_DEFAULT_CLOCK_SKEW_NS (INT64_C(120) * 1000000000)

typedef struct oms_fix_session_s oms_fix_session_t;

typedef enum oms_fix_session_state_e {
  OMS_FIX_SESSION_DISCONNECTED = 0,
  OMS_FIX_SESSION_AWAIT_LOGON = 1,
  OMS_FIX_SESSION_ACTIVE = 2,
  OMS_FIX_SESSION_LOGOUT_SENT = 3
} oms_fix_session_state_t;

typedef enum oms_fix_log_level_e {
  OMS_FIX_LOG_DEBUG = 0,
  OMS_FIX_LOG_INFO = 1,
  OMS_FIX_LOG_WARN = 2,
  OMS_FIX_LOG_ERROR = 3
} oms_fix_log_level_t;

/* What the session asks of the connection and of the application. */
typedef struct oms_fix_session_io_s {
  /* Writes a whole message to the peer. Returns 0 or a negative OMS_E*;
   * a failure disconnects the session. Required.
   * WRITE-AHEAD: send is called only after the store callbacks that number
   * the message (save_seqnums) and keep it (save_sent) returned 0. When the
   * store's writes are asynchronous, send must hold the bytes until those
   * writes are durable (the gateway's outbox does), so that after a crash
   * no MsgSeqNum the peer received is used again for other content. */
  int (*send)(void *ctx, const char *data, size_t len);
  /* The session is over for this connection: close the socket. reason is a
   * static or session-owned string valid during the call. Required. */
  void (*disconnect)(void *ctx, const char *reason);
  /* An application message, in sequence, already checked at session level.
   * m is valid during the call only. The return value is ignored: answer
   * problems with oms_fix_session_send_reject() or send_business_reject().
   * Required. */
  int (*on_app_msg)(void *ctx, const oms_fix_msg_t *m);
  /* Checks Username(553)/Password(554) of a Logon (absent views when not
   * sent). Returns 0 to accept. Required for an acceptor, unused (may be
   * NULL) for an initiator. */
  int (*authenticate)(void *ctx, oms_fix_str_t username, oms_fix_str_t password);
  /* Optional (NULL: silent). text is valid during the call only. */
  void (*log)(void *ctx, oms_fix_log_level_t level, const char *text);
  void *ctx;
  /* Optional (NULL: not told): application messages of the peer that will
   * never reach on_app_msg. msg_type is the one refused (a Reject sent: a
   * malformed message, a bad header, a dictionary failure), or empty when
   * numbers were skipped (SequenceReset, GapFill or Reset: what they
   * skipped is unknown). For a reader of a stream that must not miss a
   * message (incremental market data). why is valid during the call. */
  void (*on_app_lost)(void *ctx, oms_fix_str_t msg_type, const char *why);
} oms_fix_session_io_t;

/* Persistence, so a session resumes across reconnects and restarts. Every
 * function returns 0 or a negative OMS_E*; any failure disconnects the
 * session (it cannot promise resend or resume otherwise). All required. */
typedef struct oms_fix_session_store_s {
  /* The next sequence numbers to send and to expect; OMS_ENOTFOUND for a new
   * session (both start at 1). */
  int (*load_seqnums)(void *ctx, int64_t *next_sender, int64_t *next_target);
  int (*save_seqnums)(void *ctx, int64_t next_sender, int64_t next_target);
  /* Keeps an application message sent with seq, for ResendRequest. Called
   * before the message is sent. */
  int (*save_sent)(void *ctx, int64_t seq, const char *data, size_t len);
  /* Copies the message stored for seq into buf. OMS_ENOTFOUND when none
   * (admin messages are not stored: they are gap-filled). */
  int (*load_sent)(void *ctx, int64_t seq, char *buf, size_t cap, size_t *len);
  /* Forgets every stored message (sequence reset by Logon 141=Y). */
  int (*reset)(void *ctx);
  void *ctx;
} oms_fix_session_store_t;

typedef struct oms_fix_session_config_s {
  const char *sender_comp_id; /* ours, written in 49; copied */
  const char *target_comp_id; /* the counterparty's, expected in 49; copied */
  int max_heartbeat_s;        /* largest HeartBtInt(108) accepted; 0: 300 */
  int64_t logon_timeout_ns;   /* wait for Logon after connect; 0: 10 s */
  int64_t logout_timeout_ns;  /* wait for the Logout answer; 0: 5 s */
  int64_t max_clock_skew_ns;  /* SendingTime(52) tolerance; 0: 120 s; < 0: not checked */
  size_t max_msg_len;         /* inbound cap and outbound buffer; 0: 8 KiB */
  unsigned dict_flags;        /* OMS_FIX_DICT_* (fix_dict.h): what inbound messages are
                                 validated against FIX 4.4; 0: everything */
  /* Initiator role: we send the first Logon. */
  bool initiator;
  int heartbeat_s;      /* initiator: HeartBtInt(108) we ask for; 0: 30 */
  bool reset_on_logon;  /* initiator: every Logon carries 141=Y, both sides back to 1 */
  const char *username; /* initiator: Username(553); NULL: not sent; copied */
  const char *password; /* initiator: Password(554); NULL: not sent; copied */
} oms_fix_session_config_t;

/* Creates a session (DISCONNECTED). cfg's strings are copied; io, store and
 * clock are copied by value and their ctx pointers must outlive the session.
 * Returns 0 and *out, OMS_EINVAL for a missing callback or CompID, OMS_ENOMEM.
 * The caller owns *out and frees it with oms_fix_session_destroy(). */
OMS_EXTERN int oms_fix_session_create(const oms_fix_session_config_t *cfg,
                                      const oms_fix_session_io_t *io,
                                      const oms_fix_session_store_t *store,
                                      const oms_clock_t *clock, oms_fix_session_t **out);

/* Frees s; accepts NULL. Does not call any callback. */
OMS_EXTERN void oms_fix_session_destroy(oms_fix_session_t *s);

/* A new connection: loads the sequence numbers from the store and waits for
 * Logon (an initiator sends its own Logon first, and resets the store first
 * when reset_on_logon). Returns 0, OMS_ESTATE when not DISCONNECTED, or the
 * store's or send's error. */
OMS_EXTERN int oms_fix_session_connect(oms_fix_session_t *s);

/* The connection was lost (by the peer or the daemon): back to DISCONNECTED
 * without sending anything. Accepts any state. */
OMS_EXTERN void oms_fix_session_reset_connection(oms_fix_session_t *s);

/* Handles one parsed inbound message. Returns 0 (the message was handled,
 * which includes rejecting or ignoring it), OMS_ECLOSED when the session is
 * DISCONNECTED (before or after the call: it disconnected), or a store or
 * send error (the session has disconnected). */
OMS_EXTERN int oms_fix_session_on_msg(oms_fix_session_t *s, const oms_fix_msg_t *m);

/* Handles bytes oms_fix_parse() refused: framed content errors are answered
 * with Reject(3), garbled bytes are logged and dropped (before Logon they end
 * the connection). Same returns as on_msg. */
OMS_EXTERN int oms_fix_session_on_parse_error(oms_fix_session_t *s, const oms_fix_perror_t *err);

/* Parses and handles the complete messages at the start of data[0..len).
 * *consumed tells how many bytes were used; keep the rest and call again
 * with more bytes appended. Same returns as on_msg. */
OMS_EXTERN int oms_fix_session_on_bytes(oms_fix_session_t *s, const char *data, size_t len,
                                        size_t *consumed);

/* Heartbeats, TestRequest on silence, and the logon/logout/test-request
 * timeouts. Call at least once a second. Returns like on_msg. */
OMS_EXTERN int oms_fix_session_on_timer(oms_fix_session_t *s);

/* Starts the logout handshake (ACTIVE -> LOGOUT_SENT). text may be NULL. */
OMS_EXTERN int oms_fix_session_logout(oms_fix_session_t *s, const char *text);

/* Sending application messages: begin() writes the standard header into the
 * session's buffer and hands back a builder for the body; send() finishes the
 * message, stores it, persists the sequence number and writes it. Nothing is
 * sent and no sequence number is used if the builder failed. begin() returns
 * OMS_ESTATE unless ACTIVE or LOGOUT_SENT. */
OMS_EXTERN int oms_fix_session_app_begin(oms_fix_session_t *s, const char *msg_type,
                                         oms_fix_builder_t **b);
OMS_EXTERN int oms_fix_session_app_send(oms_fix_session_t *s);
/* app_begin for an answer to a request that came through a hub: the header
 * carries deliver_to (NULL: same as app_begin). The route's views need only
 * last until this call returns. */
OMS_EXTERN int oms_fix_session_app_begin_to(oms_fix_session_t *s, const char *msg_type,
                                            const oms_fix_route_t *deliver_to,
                                            oms_fix_builder_t **b);

/* begin + body writer + send for the order-entry replies; each struct's
 * deliver_to routes the reply (see oms_fix_route_t). */
OMS_EXTERN int oms_fix_session_send_exec_report(oms_fix_session_t *s,
                                                const oms_fix_exec_report_t *er);
OMS_EXTERN int oms_fix_session_send_cancel_reject(oms_fix_session_t *s,
                                                  const oms_fix_cancel_reject_t *cr);
OMS_EXTERN int oms_fix_session_send_mass_cancel_report(oms_fix_session_t *s,
                                                       const oms_fix_mass_cancel_report_t *mr);
OMS_EXTERN int oms_fix_session_send_business_reject(oms_fix_session_t *s,
                                                    const oms_fix_business_reject_t *br);
OMS_EXTERN int oms_fix_session_send_list_status(oms_fix_session_t *s,
                                                const oms_fix_list_status_t *ls);

/* Sends a session-level Reject(3) for inbound message m (typically after an
 * oms_fix_read_* failure): RefSeqNum(45) and RefMsgType(372) from m,
 * RefTagID(371) = bad->tag when non-zero, SessionRejectReason(373) =
 * bad->reason; text may be NULL. */
OMS_EXTERN int oms_fix_session_send_reject(oms_fix_session_t *s, const oms_fix_msg_t *m,
                                           const oms_fix_bad_field_t *bad, const char *text);

OMS_EXTERN oms_fix_session_state_t oms_fix_session_state(const oms_fix_session_t *s);
/* The next MsgSeqNum we will send / we expect to receive. */
OMS_EXTERN int64_t oms_fix_session_next_sender_seq(const oms_fix_session_t *s);
OMS_EXTERN int64_t oms_fix_session_next_target_seq(const oms_fix_session_t *s);
/* The HeartBtInt agreed at Logon, in seconds (0 before Logon). */
OMS_EXTERN int oms_fix_session_heartbeat_s(const oms_fix_session_t *s);

/* The session's traffic since it was created, over every connection: what
 * operators watch (GET /v1/sessions, metrics). Kept as plain counters
 * updated where a message is handled or written, so reading them costs
 * nothing on the message path. */
typedef struct oms_fix_session_traffic_s {
  uint64_t messages_in;     /* framed messages received (bad ones too) */
  uint64_t messages_out;    /* messages handed to io.send (resends included) */
  int64_t last_received_ns; /* when the last one arrived; 0: never */
  int64_t last_sent_ns;     /* when the last one was handed to io.send; 0: never */
} oms_fix_session_traffic_t;
/* Copies s's traffic into *out. */
OMS_EXTERN void oms_fix_session_traffic(const oms_fix_session_t *s, oms_fix_session_traffic_t *out);

OMS_END_DECLS

#endif /* OMS_FIX_SESSION_H */
