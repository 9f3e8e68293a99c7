/*
 * session.c - the FIX 4.4 session layer, acceptor and initiator roles (see
 * fix_session.h for the state diagram and the callback contracts).
 *
 * NOTES ON THE DESIGN
 *
 * Inbound, in the order FIX 4.4 (Volume 2, "Session Protocol", and the
 * session test cases) asks for; docs/fix.md lists every rule with its
 * reason code:
 *
 *   1. Garbled bytes (the codec's unframed errors, MsgType not the third
 *      field among them) are dropped and use no number, so the peer's
 *      correct resend is accepted; another BeginString ends the session.
 *   2. MsgSeqNum(34) missing or unreadable: Logout and disconnect, since
 *      nothing later can be trusted to be in order (SequenceReset in reset
 *      mode excepted: its own number is ignored, even a 0).
 *   3. Before Logon, anything but a valid Logon ends the connection.
 *   4. A CompID present and wrong: Reject(373=9), Logout, disconnect. A
 *      missing one is a malformed header instead (step 9).
 *   5. The peer's clock, whatever the number: SendingTime outside the
 *      tolerance, or a PossDup's OrigSendingTime after its SendingTime, is
 *      Reject(373=10) and Logout.
 *   6. SequenceReset in reset mode, and Logon(141=Y) while logged on (both
 *      sides back to 1), act before the sequence checks.
 *   7. MsgSeqNum above the expected one: a gap. We send one
 *      ResendRequest(7=expected, 16=0 "everything") and drop the message:
 *      the counterparty resends it, in order, with the ones we missed, so
 *      nothing is queued here. Logout, ResendRequest and TestRequest are
 *      still honoured during a gap so that neither side waits on the other.
 *   8. MsgSeqNum below the expected one: a PossDup(43=Y) duplicate is
 *      ignored, anything else is a fatal "MsgSeqNum too low".
 *   9. At the expected number: header checks (CompID missing, SendingTime
 *      missing, OrigSendingTime on PossDup, MsgType) answer with Reject(3),
 *      then the message is handled. A rejected message still uses its
 *      sequence number.
 *
 * A Reject goes back through the hub the message came from: its
 * OnBehalfOf fields (115/116/144) become the Reject's DeliverTo fields
 * (128/129/145), in the header.
 *
 * Outbound, every message takes the next MsgSeqNum; the new number is saved
 * through the store before the bytes are written, so a crash can never send
 * two messages with one number. Application messages are also saved (before
 * sending) for ResendRequest; admin messages are not, and a resend replaces
 * them with SequenceReset-GapFill, as FIX requires.
 *
 * Delivery is at-least-once: the expected inbound number is saved after the
 * application has seen the message, so a crash in between redelivers it (the
 * engine refuses a repeated ClOrdID) rather than losing an order.
 *
 * The initiator role (the venue connector) is the same session with the
 * Logon turned around: connect() sends our Logon and on_logon() checks the
 * acceptor's answer instead of a request (no credentials to check, the
 * HeartBtInt is ours). After Logon nothing depends on the role: resends,
 * gap fills and PossDup duplicates follow the rules above either way.
 *
 * Three buffers are allocated once, at create: one for the application
 * message being built, one for admin messages and resends (so the session can
 * answer a TestRequest while the application holds a half-built message),
 * and one to load stored messages into. Nothing is allocated per message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "oms/error.h"
#include "oms/fix.h"
#include "oms/fix_dict.h"
#include "oms/fix_session.h"

#define NS_PER_S INT64_C(1000000000)
#define DEFAULT_MAX_HEARTBEAT_S 300
#define DEFAULT_LOGON_TIMEOUT_NS (10 * NS_PER_S)
#define DEFAULT_LOGOUT_TIMEOUT_NS (5 * NS_PER_S)
#define DEFAULT_INITIATOR_HEARTBEAT_S 30
#define SECRET_MAX 127
#define ADMIN_EXTRA 128 /* room for 43 and 122 added to a resent message */

struct oms_fix_session_s {
  char sender[OMS_ID_MAX + 1];
  char target[OMS_ID_MAX + 1];
  char username[SECRET_MAX + 1];
  char password[SECRET_MAX + 1];
  oms_fix_session_config_t cfg;
  oms_fix_session_io_t io;
  oms_fix_session_store_t store;
  oms_clock_t clock;
  oms_fix_limits_t limits;

  oms_fix_session_state_t state;
  int64_t next_sender;
  int64_t next_target;
  int64_t resend_until; /* > 0 while our ResendRequest is being answered */
  int hb_s;
  int64_t hb_ns;

  int64_t connected_ns;
  int64_t last_sent_ns;
  int64_t last_recv_ns;
  int64_t logout_sent_ns;
  int test_req_pending;
  int64_t test_req_sent_ns;
  int64_t test_req_count;

  int app_building;
  int reset_sent;  /* initiator: our Logon carried 141=Y */
  int seq_loaded;  /* next_sender/next_target came from the store */
  int64_t app_seq; /* MsgSeqNum written by app_begin */
  oms_fix_builder_t app_b;
  oms_fix_builder_t admin_b;
  char *app_buf;
  size_t app_cap;
  char *admin_buf;
  size_t admin_cap;
  char *load_buf;
  size_t load_cap;

  const oms_fix_msg_t *handling;     /* the message being handled, for its route */
  oms_fix_session_traffic_t traffic; /* read-out only: no timer looks at it */
  oms_fix_msg_t in_msg;              /* on_bytes' parse target */
  oms_fix_msg_t stored_msg;          /* a stored message being resent */
};

/* ------------------------------------------------------------------------ */
/* Plumbing                                                                   */

__attribute__((format(printf, 3, 4))) static void slog(oms_fix_session_t *s,
                                                       oms_fix_log_level_t lvl, const char *fmt,
                                                       ...) {
  if (!s->io.log) return;
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  s->io.log(s->io.ctx, lvl, text);
}

static void drop(oms_fix_session_t *s, const char *reason) {
  if (s->state == OMS_FIX_SESSION_DISCONNECTED) return;
  slog(s, OMS_FIX_LOG_WARN, "disconnect: %s", reason);
  s->state = OMS_FIX_SESSION_DISCONNECTED;
  s->app_building = 0;
  s->io.disconnect(s->io.ctx, reason);
}

/* A failure that breaks the session's promises (store, socket). */
static int fatal(oms_fix_session_t *s, int rc, const char *what) {
  slog(s, OMS_FIX_LOG_ERROR, "%s failed (%d)", what, rc);
  drop(s, what);
  return rc;
}

static int64_t now(const oms_fix_session_t *s) { return oms_clock_now(&s->clock); }

static int persist(oms_fix_session_t *s) {
  int rc = s->store.save_seqnums(s->store.ctx, s->next_sender, s->next_target);
  return rc ? fatal(s, rc, "store save_seqnums") : 0;
}

static int write_out(oms_fix_session_t *s, const char *data, size_t len) {
  int rc = s->io.send(s->io.ctx, data, len);
  if (rc) return fatal(s, rc, "send");
  s->last_sent_ns = now(s);
  s->traffic.messages_out++;
  s->traffic.last_sent_ns = s->last_sent_ns;
  return 0;
}

static oms_fix_builder_t *admin_begin_to(oms_fix_session_t *s, const char *type,
                                         const oms_fix_route_t *route) {
  oms_fix_header_t h = {.msg_type = type,
                        .sender_comp_id = s->sender,
                        .target_comp_id = s->target,
                        .msg_seq_num = s->next_sender,
                        .sending_time_ns = now(s),
                        .deliver_to = route};
  oms_fix_builder_begin_header(&s->admin_b, s->admin_buf, s->admin_cap, &h);
  return &s->admin_b;
}

static oms_fix_builder_t *admin_begin(oms_fix_session_t *s, const char *type) {
  return admin_begin_to(s, type, NULL);
}

/* Finishes an admin message, uses its sequence number and writes it. */
static int admin_send(oms_fix_session_t *s) {
  size_t len;
  int rc = oms_fix_builder_finish(&s->admin_b, &len);
  if (rc) return fatal(s, rc, "build admin message");
  s->next_sender++;
  rc = persist(s);
  return rc ? rc : write_out(s, s->admin_buf, len);
}

static int send_logout(oms_fix_session_t *s, const char *text) {
  oms_fix_builder_t *b = admin_begin(s, OMS_FIX_MSG_Logout);
  if (text) oms_fix_add_cstr(b, OMS_FIX_TAG_Text, text);
  return admin_send(s);
}

static int logout_and_drop(oms_fix_session_t *s, const char *text) {
  slog(s, OMS_FIX_LOG_WARN, "logout: %s", text);
  (void)send_logout(s, text); /* best effort: the connection ends either way */
  drop(s, text);
  return 0;
}

static int send_reject(oms_fix_session_t *s, int64_t ref_seq, oms_fix_str_t ref_type,
                       uint32_t ref_tag, int reason, const char *text) {
  const char *tag_name = oms_fix_tag_name(ref_tag);
  slog(s, OMS_FIX_LOG_WARN, "reject seq %lld tag %s(%u) reason %d: %s", (long long)ref_seq,
       tag_name ? tag_name : "?", (unsigned)ref_tag, reason, text ? text : "");
  /* Back through the hub the rejected message came from, if any: read
   * here, as only a Reject needs it. */
  oms_fix_route_t route = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
  if (s->handling) route = oms_fix_route_of(s->handling);
  oms_fix_builder_t *b = admin_begin_to(s, OMS_FIX_MSG_Reject, route.comp_id.len ? &route : NULL);
  oms_fix_add_int(b, OMS_FIX_TAG_RefSeqNum, ref_seq > 0 ? ref_seq : 0);
  if (ref_tag) oms_fix_add_int(b, OMS_FIX_TAG_RefTagID, ref_tag);
  if (ref_type.len) oms_fix_add_str(b, OMS_FIX_TAG_RefMsgType, ref_type);
  oms_fix_add_int(b, OMS_FIX_TAG_SessionRejectReason, reason);
  if (text) oms_fix_add_cstr(b, OMS_FIX_TAG_Text, text);
  return admin_send(s);
}

static int send_resend_request(oms_fix_session_t *s, int64_t seen_seq) {
  if (s->resend_until) {
    /* Our 16=0 request already covers everything up to infinity. */
    if (seen_seq > s->resend_until) s->resend_until = seen_seq;
    return 0;
  }
  slog(s, OMS_FIX_LOG_INFO, "gap: expected %lld, received %lld", (long long)s->next_target,
       (long long)seen_seq);
  s->resend_until = seen_seq;
  oms_fix_builder_t *b = admin_begin(s, OMS_FIX_MSG_ResendRequest);
  oms_fix_add_int(b, OMS_FIX_TAG_BeginSeqNo, s->next_target);
  oms_fix_add_int(b, OMS_FIX_TAG_EndSeqNo, 0);
  return admin_send(s);
}

/* The inbound message at the expected number is done with. */
static int advance_target(oms_fix_session_t *s) {
  s->next_target++;
  if (s->resend_until && s->next_target > s->resend_until) s->resend_until = 0;
  return persist(s);
}

/* ------------------------------------------------------------------------ */
/* Lifetime                                                                   */

static int copy_id(char *dst, const char *src) {
  if (!src || !*src || strlen(src) > OMS_ID_MAX || strchr(src, OMS_FIX_SOH)) return OMS_EINVAL;
  strcpy(dst, src);
  return 0;
}

int oms_fix_session_create(const oms_fix_session_config_t *cfg, const oms_fix_session_io_t *io,
                           const oms_fix_session_store_t *store, const oms_clock_t *clock,
                           oms_fix_session_t **out) {
  if (!out) return OMS_EINVAL;
  *out = NULL;
  if (!cfg || !io || !store || !clock || !clock->now_ns || !io->send || !io->disconnect ||
      !io->on_app_msg || (!io->authenticate && !cfg->initiator) || !store->load_seqnums ||
      !store->save_seqnums || !store->save_sent || !store->load_sent || !store->reset) {
    return OMS_EINVAL;
  }
  size_t max_len = cfg->max_msg_len ? cfg->max_msg_len : OMS_FIX_DEFAULT_MAX_MSG_LEN;
  if (max_len < 128 || max_len > OMS_FIX_MAX_MSG_LEN_LIMIT) return OMS_EINVAL;
  if (cfg->initiator && (cfg->heartbeat_s < 0 || cfg->heartbeat_s > 3600)) return OMS_EINVAL;
  if ((cfg->username && strlen(cfg->username) > SECRET_MAX) ||
      (cfg->password && strlen(cfg->password) > SECRET_MAX))
    return OMS_EINVAL;

  oms_fix_session_t *s = oms__calloc(1, sizeof(*s));
  if (!s) return OMS_ENOMEM;
  int rc = copy_id(s->sender, cfg->sender_comp_id);
  if (rc == 0) rc = copy_id(s->target, cfg->target_comp_id);
  if (rc) goto fail_session;
  if (cfg->username) strcpy(s->username, cfg->username);
  if (cfg->password) strcpy(s->password, cfg->password);

  s->app_cap = max_len;
  s->admin_cap = max_len + ADMIN_EXTRA;
  s->load_cap = max_len;
  s->app_buf = oms__malloc(s->app_cap + s->admin_cap + s->load_cap);
  if (!s->app_buf) {
    rc = OMS_ENOMEM;
    goto fail_session;
  }
  s->admin_buf = s->app_buf + s->app_cap;
  s->load_buf = s->admin_buf + s->admin_cap;

  s->cfg = *cfg;
  s->cfg.sender_comp_id = s->sender;
  s->cfg.target_comp_id = s->target;
  s->cfg.username = cfg->username ? s->username : NULL;
  s->cfg.password = cfg->password ? s->password : NULL;
  if (!s->cfg.heartbeat_s) s->cfg.heartbeat_s = DEFAULT_INITIATOR_HEARTBEAT_S;
  if (!s->cfg.max_heartbeat_s) s->cfg.max_heartbeat_s = DEFAULT_MAX_HEARTBEAT_S;
  if (!s->cfg.logon_timeout_ns) s->cfg.logon_timeout_ns = DEFAULT_LOGON_TIMEOUT_NS;
  if (!s->cfg.logout_timeout_ns) s->cfg.logout_timeout_ns = DEFAULT_LOGOUT_TIMEOUT_NS;
  if (!s->cfg.max_clock_skew_ns) s->cfg.max_clock_skew_ns = OMS_FIX_DEFAULT_CLOCK_SKEW_NS;
  s->cfg.max_msg_len = max_len;
  s->limits.max_msg_len = max_len;
  s->limits.any_order = (s->cfg.dict_flags & (OMS_FIX_DICT_OFF | OMS_FIX_DICT_NO_ORDER)) != 0;
  s->io = *io;
  s->store = *store;
  s->clock = *clock;
  s->state = OMS_FIX_SESSION_DISCONNECTED;
  s->next_sender = 1;
  s->next_target = 1;
  *out = s;
  return 0;

fail_session:
  oms__free(s);
  return rc;
}

void oms_fix_session_destroy(oms_fix_session_t *s) {
  if (!s) return;
  oms__free(s->app_buf);
  oms__free(s);
}

/* Reads the sequence numbers from the store once: at every connect, and
 * for a session that has not connected since it was created (a message
 * stored while the client is away must carry the number the session will
 * resume from). OMS_ENOTFOUND from the store means a new session. */
static int load_seqnums(oms_fix_session_t *s) {
  if (s->seq_loaded) return 0;
  int64_t ns = 1, nt = 1;
  int rc = s->store.load_seqnums(s->store.ctx, &ns, &nt);
  if (rc == OMS_ENOTFOUND) {
    ns = nt = 1;
  } else if (rc) {
    slog(s, OMS_FIX_LOG_ERROR, "store load_seqnums failed (%d)", rc);
    return rc;
  } else if (ns < 1 || nt < 1) {
    return OMS_ESTORE;
  }
  s->next_sender = ns;
  s->next_target = nt;
  s->seq_loaded = 1;
  return 0;
}

static int result(const oms_fix_session_t *s, int rc);

/* The initiator's Logon. With reset_on_logon both sides start again at 1:
 * the store forgets what it kept before the Logon takes number 1. */
static int send_initiator_logon(oms_fix_session_t *s) {
  s->reset_sent = 0;
  if (s->cfg.reset_on_logon) {
    int rc = s->store.reset(s->store.ctx);
    if (rc) return fatal(s, rc, "store reset");
    s->next_sender = 1;
    s->next_target = 1;
    s->reset_sent = 1;
  }
  oms_fix_builder_t *b = admin_begin(s, OMS_FIX_MSG_Logon);
  oms_fix_add_int(b, OMS_FIX_TAG_EncryptMethod, 0);
  oms_fix_add_int(b, OMS_FIX_TAG_HeartBtInt, s->cfg.heartbeat_s);
  if (s->reset_sent) oms_fix_add_char(b, OMS_FIX_TAG_ResetSeqNumFlag, 'Y');
  if (s->cfg.username) oms_fix_add_cstr(b, OMS_FIX_TAG_Username, s->cfg.username);
  if (s->cfg.password) oms_fix_add_cstr(b, OMS_FIX_TAG_Password, s->cfg.password);
  slog(s, OMS_FIX_LOG_INFO, "logon %s -> %s sent, MsgSeqNum %lld%s", s->sender, s->target,
       (long long)s->next_sender, s->reset_sent ? ", sequence reset" : "");
  return admin_send(s);
}

int oms_fix_session_connect(oms_fix_session_t *s) {
  if (s->state != OMS_FIX_SESSION_DISCONNECTED) return OMS_ESTATE;
  /* Always from the store: it is the truth across reconnects. */
  s->seq_loaded = 0;
  int rc = load_seqnums(s);
  if (rc) return rc;
  s->state = OMS_FIX_SESSION_AWAIT_LOGON;
  s->resend_until = 0;
  s->hb_s = 0;
  s->hb_ns = 0;
  s->test_req_pending = 0;
  s->app_building = 0;
  s->connected_ns = s->last_recv_ns = s->last_sent_ns = now(s);
  return s->cfg.initiator ? result(s, send_initiator_logon(s)) : 0;
}

void oms_fix_session_reset_connection(oms_fix_session_t *s) {
  s->state = OMS_FIX_SESSION_DISCONNECTED;
  s->app_building = 0;
}

oms_fix_session_state_t oms_fix_session_state(const oms_fix_session_t *s) { return s->state; }
int64_t oms_fix_session_next_sender_seq(const oms_fix_session_t *s) { return s->next_sender; }
int64_t oms_fix_session_next_target_seq(const oms_fix_session_t *s) { return s->next_target; }
int oms_fix_session_heartbeat_s(const oms_fix_session_t *s) { return s->hb_s; }

void oms_fix_session_traffic(const oms_fix_session_t *s, oms_fix_session_traffic_t *out) {
  *out = s->traffic;
}

/* ------------------------------------------------------------------------ */
/* Resend                                                                     */

/* 1 when t is the MsgType lit. Inline, so that with a constant lit the compiler
 * reduces it to a length and a byte compare: dispatch() runs it for every
 * inbound message. */
static inline int type_is(oms_fix_str_t t, const char *lit) {
  size_t n = strlen(lit);
  return t.len == n && memcmp(t.ptr, lit, n) == 0;
}

/* One test per admin row of the MsgType table (the APP rows fold away). */
static int is_admin_type(oms_fix_str_t t) {
#define ADMIN 1
#define APP 0
#define ADMIN_ROW(name, type, cat) || (cat && type_is(t, type))
  return 0 OMS_FIX_MSG_TYPE_MAP(ADMIN_ROW);
#undef ADMIN_ROW
#undef APP
#undef ADMIN
}

/* Tells the application that messages of its will never reach it. */
static void app_lost(oms_fix_session_t *s, oms_fix_str_t type, const char *why) {
  if (s->io.on_app_lost && (type.len == 0 || !is_admin_type(type)))
    s->io.on_app_lost(s->io.ctx, type, why);
}

/* FIX 4.4 MsgTypes: one char (I, O and U unused), AA-AZ, BA-BH, or
 * user-defined types starting with U. */
static int valid_msg_type(oms_fix_str_t t) {
  if (t.len == 1) {
    char c = t.ptr[0];
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && c != 'U');
  }
  if (t.len >= 2 && t.ptr[0] == 'U') return 1;
  if (t.len != 2) return 0;
  return (t.ptr[0] == 'A' && t.ptr[1] >= 'A' && t.ptr[1] <= 'Z') ||
         (t.ptr[0] == 'B' && t.ptr[1] >= 'A' && t.ptr[1] <= 'H');
}

/* SequenceReset-GapFill sent as message seq, telling the peer to expect
 * new_seq next. It reuses an old number, so next_sender does not move. */
static int send_gap_fill(oms_fix_session_t *s, int64_t seq, int64_t new_seq) {
  int64_t t = now(s);
  oms_fix_header_t h = {.msg_type = OMS_FIX_MSG_SequenceReset,
                        .sender_comp_id = s->sender,
                        .target_comp_id = s->target,
                        .msg_seq_num = seq,
                        .sending_time_ns = t,
                        .poss_dup = 1,
                        .orig_sending_time_ns = t};
  oms_fix_builder_t *b = &s->admin_b;
  oms_fix_builder_begin_header(b, s->admin_buf, s->admin_cap, &h);
  oms_fix_add_char(b, OMS_FIX_TAG_GapFillFlag, 'Y');
  oms_fix_add_int(b, OMS_FIX_TAG_NewSeqNo, new_seq);
  size_t len;
  int rc = oms_fix_builder_finish(b, &len);
  if (rc) return fatal(s, rc, "build gap fill");
  return write_out(s, s->admin_buf, len);
}

/* Parses the stored message in load_buf into stored_msg. Returns 1 when it
 * can be resent (an application message with a SendingTime), 0 when it must
 * be gap-filled instead. */
static int stored_usable(oms_fix_session_t *s, int64_t seq, size_t len, int64_t *orig) {
  oms_fix_msg_t *m = &s->stored_msg;
  size_t used;
  if (oms_fix_parse(s->load_buf, len, &s->limits, m, &used, NULL) != 0 ||
      is_admin_type(m->msg_type) || m->msg_type.len > 8 ||
      oms_fix_msg_get_time(m, OMS_FIX_TAG_SendingTime, orig) != 0) {
    slog(s, OMS_FIX_LOG_ERROR, "stored message %lld unusable: gap-filled", (long long)seq);
    return 0;
  }
  return 1;
}

/* Rewrites the application message in stored_msg with PossDupFlag=Y,
 * OrigSendingTime = its first SendingTime and a new SendingTime. */
static int resend_stored(oms_fix_session_t *s, int64_t seq, int64_t orig) {
  const oms_fix_msg_t *m = &s->stored_msg;
  char type[9];
  memcpy(type, m->msg_type.ptr, m->msg_type.len);
  type[m->msg_type.len] = '\0';
  oms_fix_header_t h = {.msg_type = type,
                        .sender_comp_id = s->sender,
                        .target_comp_id = s->target,
                        .msg_seq_num = seq,
                        .sending_time_ns = now(s),
                        .poss_dup = 1,
                        .orig_sending_time_ns = orig};
  oms_fix_builder_t *b = &s->admin_b;
  oms_fix_builder_begin_header(b, s->admin_buf, s->admin_cap, &h);
  for (size_t i = 0; i < m->nfields; i++) {
    switch (m->fields[i].tag) {
      case OMS_FIX_TAG_BeginString:
      case OMS_FIX_TAG_BodyLength:
      case OMS_FIX_TAG_MsgType:
      case OMS_FIX_TAG_SenderCompID:
      case OMS_FIX_TAG_TargetCompID:
      case OMS_FIX_TAG_MsgSeqNum:
      case OMS_FIX_TAG_PossDupFlag:
      case OMS_FIX_TAG_PossResend:
      case OMS_FIX_TAG_SendingTime:
      case OMS_FIX_TAG_OrigSendingTime:
      case OMS_FIX_TAG_CheckSum:
        continue; /* the header is rewritten above, the trailer by finish */
      default: oms_fix_add_str(b, m->fields[i].tag, oms_fix_msg_value(m, i));
    }
  }
  size_t out_len;
  int rc = oms_fix_builder_finish(b, &out_len);
  if (rc) return fatal(s, rc, "build resend");
  return write_out(s, s->admin_buf, out_len);
}

/* Answers ResendRequest(begin..end): stored application messages are sent
 * again, every run of other numbers becomes one SequenceReset-GapFill. */
static int do_resend(oms_fix_session_t *s, int64_t begin, int64_t end) {
  int64_t last = s->next_sender - 1;
  if (end == 0 || end > last) end = last;
  slog(s, OMS_FIX_LOG_INFO, "resend %lld..%lld", (long long)begin, (long long)end);
  int64_t gap_start = 0;
  for (int64_t seq = begin; seq <= end; seq++) {
    size_t len = 0;
    int64_t orig = 0;
    int rc = s->store.load_sent(s->store.ctx, seq, s->load_buf, s->load_cap, &len);
    if (rc != 0 && rc != OMS_ENOTFOUND) return fatal(s, rc, "store load_sent");
    if (rc != 0 || !stored_usable(s, seq, len > s->load_cap ? s->load_cap : len, &orig)) {
      if (!gap_start) gap_start = seq;
      continue;
    }
    if (gap_start) {
      rc = send_gap_fill(s, gap_start, seq);
      if (rc) return rc;
      gap_start = 0;
    }
    rc = resend_stored(s, seq, orig);
    if (rc) return rc;
  }
  return gap_start ? send_gap_fill(s, gap_start, end + 1) : 0;
}

/* ------------------------------------------------------------------------ */
/* Inbound                                                                    */

static int result(const oms_fix_session_t *s, int rc) {
  return rc == 0 && s->state == OMS_FIX_SESSION_DISCONNECTED ? OMS_ECLOSED : rc;
}

/* Accessor failure on a required tag -> SessionRejectReason. */
static int reason_for(int rc) {
  return rc == OMS_ENOTFOUND ? OMS_FIX_SRR_REQUIRED_TAG_MISSING : OMS_FIX_SRR_INCORRECT_DATA_FORMAT;
}

/* The peer's SenderCompID must be our target and its TargetCompID us.
 * Returns COMP_OK, COMP_WRONG (a stranger: the session ends) or
 * COMP_MISSING (a malformed header: a Reject, 373=1), with the tag. */
enum { COMP_OK, COMP_WRONG, COMP_MISSING };

static int check_comp_ids(const oms_fix_session_t *s, const oms_fix_msg_t *m, uint32_t *bad_tag) {
  static const uint32_t tags[2] = {OMS_FIX_TAG_SenderCompID, OMS_FIX_TAG_TargetCompID};
  const char *want[2] = {s->target, s->sender};
  int missing = 0;
  for (int i = 0; i < 2; i++) {
    oms_fix_str_t v;
    if (oms_fix_msg_get_str(m, tags[i], &v) != 0) {
      if (!missing) *bad_tag = tags[i];
      missing = 1;
    } else if (!oms_fix_str_eq(v, want[i])) {
      *bad_tag = tags[i];
      return COMP_WRONG;
    }
  }
  return missing ? COMP_MISSING : COMP_OK;
}

static int sending_time_ok(const oms_fix_session_t *s, const oms_fix_msg_t *m, int *reason) {
  int64_t t;
  int rc = oms_fix_msg_get_time(m, OMS_FIX_TAG_SendingTime, &t);
  if (rc) {
    *reason = reason_for(rc);
    return 0;
  }
  int64_t d = now(s) - t;
  if (s->cfg.max_clock_skew_ns > 0 &&
      (d > s->cfg.max_clock_skew_ns || -d > s->cfg.max_clock_skew_ns)) {
    *reason = OMS_FIX_SRR_SENDING_TIME_ACCURACY;
    return 0;
  }
  return 1;
}

/* A possible duplicate must say when it was first sent (SequenceReset
 * excepted: a GapFill replaces messages rather than repeating them). */
static int orig_sending_time_ok(const oms_fix_msg_t *m, int poss_dup, int *reason) {
  int64_t t;
  if (!poss_dup || oms_fix_msg_is(m, OMS_FIX_MSG_SequenceReset)) return 1;
  int rc = oms_fix_msg_get_time(m, OMS_FIX_TAG_OrigSendingTime, &t);
  if (rc) {
    *reason = reason_for(rc);
    return 0;
  }
  return 1;
}

/* What the header checks need, read once per message. */
typedef struct hdr_s {
  int comp;          /* COMP_* */
  uint32_t comp_tag; /* the CompID at fault */
  int time_reason;   /* 0: SendingTime present and accurate; else the 373 */
} hdr_t;

static void read_hdr(const oms_fix_session_t *s, const oms_fix_msg_t *m, hdr_t *h) {
  h->comp_tag = 0;
  h->comp = check_comp_ids(s, m, &h->comp_tag);
  h->time_reason = 0;
  (void)sending_time_ok(s, m, &h->time_reason);
}

/* The checks that end the session whatever the MsgSeqNum, because the
 * peer's clock cannot be trusted (FIX session test cases 2.t and 2.r):
 * SendingTime off our clock by more than the tolerance, or a possible
 * duplicate claiming to have been first sent after it was resent. Returns 1,
 * or 0 with the tag and reason. */
static int clock_ok(const oms_fix_msg_t *m, const hdr_t *h, int poss_dup, uint32_t *tag,
                    int *reason) {
  int64_t sent, orig;
  if (h->time_reason == OMS_FIX_SRR_SENDING_TIME_ACCURACY) {
    *tag = OMS_FIX_TAG_SendingTime;
    *reason = h->time_reason;
    return 0;
  }
  if (poss_dup && oms_fix_msg_get_time(m, OMS_FIX_TAG_SendingTime, &sent) == 0 &&
      oms_fix_msg_get_time(m, OMS_FIX_TAG_OrigSendingTime, &orig) == 0 && orig > sent) {
    *tag = OMS_FIX_TAG_OrigSendingTime;
    *reason = OMS_FIX_SRR_SENDING_TIME_ACCURACY;
    return 0;
  }
  return 1;
}

/* Header checks of a message at the expected number. Returns 1, or 0 with
 * the tag and reason of the Reject to send. */
static int header_ok(const oms_fix_msg_t *m, const hdr_t *h, int poss_dup, uint32_t *tag,
                     int *reason) {
  if (h->comp == COMP_MISSING) {
    *tag = h->comp_tag;
    *reason = OMS_FIX_SRR_REQUIRED_TAG_MISSING;
    return 0;
  }
  if (h->time_reason) {
    *tag = OMS_FIX_TAG_SendingTime;
    *reason = h->time_reason;
    return 0;
  }
  if (!orig_sending_time_ok(m, poss_dup, reason)) {
    *tag = OMS_FIX_TAG_OrigSendingTime;
    return 0;
  }
  if (!valid_msg_type(m->msg_type)) {
    *tag = OMS_FIX_TAG_MsgType;
    *reason = OMS_FIX_SRR_INVALID_MSG_TYPE;
    return 0;
  }
  return 1;
}

static int too_low(oms_fix_session_t *s, int64_t seq) {
  char text[96];
  snprintf(text, sizeof(text), "MsgSeqNum too low, expecting %lld but received %lld",
           (long long)s->next_target, (long long)seq);
  return logout_and_drop(s, text);
}

static int heart_bt_int_ok(const oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t *hb) {
  return oms_fix_msg_get_int(m, OMS_FIX_TAG_HeartBtInt, hb) == 0 && *hb >= 0 &&
         *hb <= s->cfg.max_heartbeat_s;
}

/* Answers a valid Logon at seq (at or above the expected number). */
static int accept_logon(oms_fix_session_t *s, int64_t hb, int reset, int64_t seq) {
  s->state = OMS_FIX_SESSION_ACTIVE;
  s->hb_s = (int)hb;
  s->hb_ns = hb * NS_PER_S;
  slog(s, OMS_FIX_LOG_INFO, "logon %s -> %s, HeartBtInt %d%s", s->target, s->sender, s->hb_s,
       reset ? ", sequence reset" : "");
  oms_fix_builder_t *b = admin_begin(s, OMS_FIX_MSG_Logon);
  oms_fix_add_int(b, OMS_FIX_TAG_EncryptMethod, 0);
  oms_fix_add_int(b, OMS_FIX_TAG_HeartBtInt, hb);
  if (reset) oms_fix_add_char(b, OMS_FIX_TAG_ResetSeqNumFlag, 'Y');
  int rc = admin_send(s);
  if (rc) return rc;
  return seq == s->next_target ? advance_target(s) : send_resend_request(s, seq);
}

/* The acceptor's answer to our Logon. Its HeartBtInt is ours echoed; a
 * 141=Y answer we did not ask for is the acceptor resetting its side: we
 * expect 1 from it. A number above the expected one is a gap, asked for
 * at once, as an acceptor does. */
static int on_logon_answer(oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t seq) {
  uint32_t bad_tag;
  if (check_comp_ids(s, m, &bad_tag) != COMP_OK) return logout_and_drop(s, "CompID problem");
  int reason;
  if (!sending_time_ok(s, m, &reason)) {
    return logout_and_drop(s, "SendingTime(52) missing or inaccurate");
  }
  int reset = 0;
  (void)oms_fix_msg_get_bool(m, OMS_FIX_TAG_ResetSeqNumFlag, &reset);
  if (reset && !s->reset_sent) {
    if (seq != 1) return logout_and_drop(s, "ResetSeqNumFlag(141)=Y requires MsgSeqNum(34)=1");
    slog(s, OMS_FIX_LOG_WARN, "acceptor reset its sequence numbers: expecting 1");
    s->next_target = 1;
  }
  if (seq < s->next_target) return too_low(s, seq);
  s->state = OMS_FIX_SESSION_ACTIVE;
  s->hb_s = s->cfg.heartbeat_s;
  s->hb_ns = (int64_t)s->hb_s * NS_PER_S;
  slog(s, OMS_FIX_LOG_INFO, "logon %s -> %s answered, HeartBtInt %d", s->sender, s->target,
       s->hb_s);
  return seq == s->next_target ? advance_target(s) : send_resend_request(s, seq);
}

static int on_logon(oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t seq) {
  if (!oms_fix_msg_is(m, OMS_FIX_MSG_Logon)) {
    /* An acceptor refusing our Logon answers with a Logout. */
    if (s->cfg.initiator && oms_fix_msg_is(m, OMS_FIX_MSG_Logout)) {
      oms_fix_str_t text = {NULL, 0};
      (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_Text, &text);
      slog(s, OMS_FIX_LOG_ERROR, "logon refused: %.*s", (int)text.len, text.ptr ? text.ptr : "");
      drop(s, "logon refused");
      return 0;
    }
    drop(s, "first message is not Logon");
    return 0;
  }
  if (s->cfg.initiator) return on_logon_answer(s, m, seq);
  uint32_t bad_tag;
  if (check_comp_ids(s, m, &bad_tag) != COMP_OK) return logout_and_drop(s, "CompID problem");
  int64_t hb;
  if (!heart_bt_int_ok(s, m, &hb))
    return logout_and_drop(s, "HeartBtInt(108) missing or out of range");
  int64_t enc = 0;
  int rc = oms_fix_msg_get_int(m, OMS_FIX_TAG_EncryptMethod, &enc);
  if (rc != OMS_ENOTFOUND && (rc != 0 || enc != 0)) {
    return logout_and_drop(s, "EncryptMethod(98) must be 0");
  }
  int reason;
  if (!sending_time_ok(s, m, &reason)) {
    return logout_and_drop(s, "SendingTime(52) missing or inaccurate");
  }
  oms_fix_str_t user = {NULL, 0}, pass = {NULL, 0};
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_Username, &user);
  (void)oms_fix_msg_get_str(m, OMS_FIX_TAG_Password, &pass);
  if (s->io.authenticate(s->io.ctx, user, pass) != 0) {
    /* No detail: the peer is not yet trusted. */
    return logout_and_drop(s, "authentication failed");
  }
  int reset = 0;
  rc = oms_fix_msg_get_bool(m, OMS_FIX_TAG_ResetSeqNumFlag, &reset);
  if (rc != 0 && rc != OMS_ENOTFOUND) return logout_and_drop(s, "ResetSeqNumFlag(141) invalid");
  if (reset) {
    if (seq != 1) return logout_and_drop(s, "ResetSeqNumFlag(141)=Y requires MsgSeqNum(34)=1");
    rc = s->store.reset(s->store.ctx);
    if (rc) return fatal(s, rc, "store reset");
    s->next_sender = 1;
    s->next_target = 1;
  }
  if (seq < s->next_target) return too_low(s, seq);
  return accept_logon(s, hb, reset, seq);
}

/* Logon(141=Y) while logged on: the peer starts both sides again at 1
 * (the daily reset of a 24-hour session). The connection, its
 * authentication and the CompIDs checked above carry over. */
static int on_reset_logon(oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t seq) {
  if (seq != 1) return logout_and_drop(s, "ResetSeqNumFlag(141)=Y requires MsgSeqNum(34)=1");
  int64_t hb;
  if (!heart_bt_int_ok(s, m, &hb))
    return logout_and_drop(s, "HeartBtInt(108) missing or out of range");
  int rc = s->store.reset(s->store.ctx);
  if (rc) return fatal(s, rc, "store reset");
  slog(s, OMS_FIX_LOG_WARN, "sequence reset by Logon(141=Y): sent up to %lld, received up to %lld",
       (long long)(s->next_sender - 1), (long long)(s->next_target - 1));
  s->next_sender = 1;
  s->next_target = 1;
  s->resend_until = 0;
  return accept_logon(s, hb, 1, seq);
}

static int answer_test_request(oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t seq) {
  oms_fix_str_t id;
  if (oms_fix_msg_get_str(m, OMS_FIX_TAG_TestReqID, &id) != 0) {
    return send_reject(s, seq, m->msg_type, OMS_FIX_TAG_TestReqID, OMS_FIX_SRR_REQUIRED_TAG_MISSING,
                       "TestReqID(112) missing");
  }
  oms_fix_builder_t *b = admin_begin(s, OMS_FIX_MSG_Heartbeat);
  oms_fix_add_str(b, OMS_FIX_TAG_TestReqID, id);
  return admin_send(s);
}

static int on_resend_request(oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t seq) {
  int64_t begin, end;
  int rc = oms_fix_msg_get_int(m, OMS_FIX_TAG_BeginSeqNo, &begin);
  if (rc)
    return send_reject(s, seq, m->msg_type, OMS_FIX_TAG_BeginSeqNo, reason_for(rc),
                       "BeginSeqNo(7)");
  rc = oms_fix_msg_get_int(m, OMS_FIX_TAG_EndSeqNo, &end);
  if (rc)
    return send_reject(s, seq, m->msg_type, OMS_FIX_TAG_EndSeqNo, reason_for(rc), "EndSeqNo(16)");
  if (begin < 1) {
    return send_reject(s, seq, m->msg_type, OMS_FIX_TAG_BeginSeqNo, OMS_FIX_SRR_VALUE_INCORRECT,
                       "BeginSeqNo(7) < 1");
  }
  if (end < 0 || (end != 0 && end < begin)) {
    return send_reject(s, seq, m->msg_type, OMS_FIX_TAG_EndSeqNo, OMS_FIX_SRR_VALUE_INCORRECT,
                       "EndSeqNo(16) before BeginSeqNo(7)");
  }
  return do_resend(s, begin, end);
}

/* SequenceReset without GapFillFlag: sets the expected number whatever the
 * message's own MsgSeqNum. */
static int on_sequence_reset(oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t seq) {
  int64_t ns;
  int rc = oms_fix_msg_get_int(m, OMS_FIX_TAG_NewSeqNo, &ns);
  if (rc)
    return send_reject(s, seq, m->msg_type, OMS_FIX_TAG_NewSeqNo, reason_for(rc), "NewSeqNo(36)");
  if (ns < s->next_target) {
    return send_reject(s, seq, m->msg_type, OMS_FIX_TAG_NewSeqNo, OMS_FIX_SRR_VALUE_INCORRECT,
                       "NewSeqNo(36) below the expected MsgSeqNum");
  }
  slog(s, OMS_FIX_LOG_WARN, "sequence reset: expected %lld -> %lld", (long long)s->next_target,
       (long long)ns);
  if (ns > s->next_target) app_lost(s, (oms_fix_str_t){"", 0}, "sequence reset");
  s->next_target = ns;
  s->resend_until = 0;
  return persist(s);
}

static int on_gap_fill(oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t seq) {
  int64_t ns;
  int rc = oms_fix_msg_get_int(m, OMS_FIX_TAG_NewSeqNo, &ns);
  if (rc || ns <= s->next_target) {
    rc = send_reject(s, seq, m->msg_type, OMS_FIX_TAG_NewSeqNo,
                     rc ? reason_for(rc) : OMS_FIX_SRR_VALUE_INCORRECT, "NewSeqNo(36)");
    return rc ? rc : advance_target(s);
  }
  if (ns - 1 > s->next_target) app_lost(s, (oms_fix_str_t){"", 0}, "gap fill");
  s->next_target = ns - 1;
  return advance_target(s);
}

/* A message above the expected number. */
static int on_gap(oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t seq) {
  if (oms_fix_msg_is(m, OMS_FIX_MSG_Logout)) {
    (void)send_logout(s, NULL);
    drop(s, "logout by peer");
    return 0;
  }
  int rc = send_resend_request(s, seq);
  if (rc) return rc;
  /* Honoured now, counted when resent: both sides could wait otherwise. */
  if (oms_fix_msg_is(m, OMS_FIX_MSG_ResendRequest)) return on_resend_request(s, m, seq);
  if (oms_fix_msg_is(m, OMS_FIX_MSG_TestRequest)) return answer_test_request(s, m, seq);
  return 0;
}

/* A message at the expected number that passed the header checks. */
static int dispatch(oms_fix_session_t *s, const oms_fix_msg_t *m, int64_t seq) {
  int rc = 0;
  if (type_is(m->msg_type, OMS_FIX_MSG_Heartbeat)) {
    /* nothing to do: receiving it was the point */
  } else if (type_is(m->msg_type, OMS_FIX_MSG_TestRequest)) {
    rc = answer_test_request(s, m, seq);
  } else if (type_is(m->msg_type, OMS_FIX_MSG_ResendRequest)) {
    rc = on_resend_request(s, m, seq);
  } else if (type_is(m->msg_type, OMS_FIX_MSG_Reject)) {
    slog(s, OMS_FIX_LOG_WARN, "peer rejected our message");
  } else if (type_is(m->msg_type, OMS_FIX_MSG_SequenceReset)) {
    return on_gap_fill(s, m, seq);
  } else if (type_is(m->msg_type, OMS_FIX_MSG_Logout)) {
    rc = advance_target(s);
    if (rc) return rc;
    if (s->state == OMS_FIX_SESSION_ACTIVE) (void)send_logout(s, NULL);
    drop(s, s->state == OMS_FIX_SESSION_ACTIVE ? "logout by peer" : "logout complete");
    return 0;
  } else if (type_is(m->msg_type, OMS_FIX_MSG_Logon)) {
    return logout_and_drop(s, "Logon received while logged on");
  } else {
    (void)s->io.on_app_msg(s->io.ctx, m);
  }
  return rc ? rc : advance_target(s);
}

static int handle(oms_fix_session_t *s, const oms_fix_msg_t *m) {
  s->last_recv_ns = now(s);
  s->traffic.messages_in++;
  s->traffic.last_received_ns = s->last_recv_ns;
  int64_t seq = 0;
  int seq_rc = oms_fix_msg_get_int(m, OMS_FIX_TAG_MsgSeqNum, &seq);
  int poss_dup = 0, gap_fill = 0;
  (void)oms_fix_msg_get_bool(m, OMS_FIX_TAG_PossDupFlag, &poss_dup);
  (void)oms_fix_msg_get_bool(m, OMS_FIX_TAG_GapFillFlag, &gap_fill);
  /* In reset mode the message's own number is ignored, even a 0. */
  int reset_mode = oms_fix_msg_is(m, OMS_FIX_MSG_SequenceReset) && !gap_fill &&
                   s->state != OMS_FIX_SESSION_AWAIT_LOGON;
  if ((seq_rc != 0 || seq < 1) && !reset_mode) {
    return logout_and_drop(s, "MsgSeqNum(34) missing or invalid");
  }
  if (s->state == OMS_FIX_SESSION_AWAIT_LOGON) return on_logon(s, m, seq);

  hdr_t h;
  read_hdr(s, m, &h);
  if (h.comp == COMP_WRONG) {
    (void)send_reject(s, seq, m->msg_type, h.comp_tag, OMS_FIX_SRR_COMPID_PROBLEM,
                      "CompID problem");
    return logout_and_drop(s, "CompID problem");
  }
  uint32_t tag;
  int reason;
  if (!clock_ok(m, &h, poss_dup, &tag, &reason)) {
    /* Rejected, the number used when it was the expected one, then Logout. */
    int rc = send_reject(s, seq, m->msg_type, tag, reason, "invalid header");
    if (rc == 0 && seq == s->next_target) rc = advance_target(s);
    if (rc) return rc;
    return logout_and_drop(s, tag == OMS_FIX_TAG_SendingTime
                                  ? "SendingTime accuracy problem"
                                  : "OrigSendingTime(122) after SendingTime(52)");
  }
  if (reset_mode) return on_sequence_reset(s, m, seq);
  int reset = 0;
  if (oms_fix_msg_is(m, OMS_FIX_MSG_Logon) &&
      oms_fix_msg_get_bool(m, OMS_FIX_TAG_ResetSeqNumFlag, &reset) == 0 && reset) {
    return on_reset_logon(s, m, seq);
  }
  if (seq > s->next_target) return on_gap(s, m, seq);
  if (seq < s->next_target) {
    if (!poss_dup) return too_low(s, seq);
    /* Rejected (373=1) without OrigSendingTime, but a number already used
     * is not used again. */
    if (!orig_sending_time_ok(m, poss_dup, &reason)) {
      return send_reject(s, seq, m->msg_type, OMS_FIX_TAG_OrigSendingTime, reason,
                         "invalid header");
    }
    slog(s, OMS_FIX_LOG_DEBUG, "duplicate %lld ignored", (long long)seq);
    return 0;
  }
  if (!header_ok(m, &h, poss_dup, &tag, &reason)) {
    app_lost(s, m->msg_type, "invalid header");
    int rc = send_reject(s, seq, m->msg_type, tag, reason, "invalid header");
    return rc ? rc : advance_target(s);
  }
  oms_fix_bad_field_t bad;
  if (oms_fix_dict_validate(oms_fix_dict_fix44(), m, s->cfg.dict_flags, &bad) != 0) {
    app_lost(s, m->msg_type, oms_fix_srr_text(bad.reason));
    int rc = send_reject(s, seq, m->msg_type, bad.tag, bad.reason, oms_fix_srr_text(bad.reason));
    return rc ? rc : advance_target(s);
  }
  return dispatch(s, m, seq);
}

int oms_fix_session_on_msg(oms_fix_session_t *s, const oms_fix_msg_t *m) {
  if (s->state == OMS_FIX_SESSION_DISCONNECTED) return OMS_ECLOSED;
  s->handling = m;
  int rc = handle(s, m);
  s->handling = NULL;
  return result(s, rc);
}

int oms_fix_session_on_parse_error(oms_fix_session_t *s, const oms_fix_perror_t *err) {
  if (s->state == OMS_FIX_SESSION_DISCONNECTED) return OMS_ECLOSED;
  if (s->state == OMS_FIX_SESSION_AWAIT_LOGON) {
    drop(s, "malformed message before Logon");
    return OMS_ECLOSED;
  }
  if (err->kind == OMS_FIX_PERR_BEGIN_STRING) {
    /* Another FIX version mid-session: nothing after it can be read. */
    return result(s, logout_and_drop(s, "BeginString(8) is not FIX.4.4"));
  }
  if (!err->framed) {
    slog(s, OMS_FIX_LOG_WARN, "dropped bytes: %s", oms_fix_perr_desc(err->kind));
    return 0;
  }
  s->last_recv_ns = now(s);
  s->traffic.messages_in++;
  s->traffic.last_received_ns = s->last_recv_ns;
  int64_t seq = err->ref_seq_num;
  int rc = 0;
  if (seq <= 0) {
    rc = logout_and_drop(s, "MsgSeqNum(34) missing or invalid");
  } else if (seq > s->next_target) {
    rc = send_resend_request(s, seq);
  } else if (seq < s->next_target) {
    slog(s, OMS_FIX_LOG_WARN, "malformed old message %lld ignored", (long long)seq);
  } else {
    app_lost(s, err->ref_msg_type, oms_fix_perr_desc(err->kind));
    rc = send_reject(s, seq, err->ref_msg_type, err->tag, oms_fix_perr_reject_reason(err->kind),
                     oms_fix_perr_desc(err->kind));
    if (rc == 0) rc = advance_target(s);
  }
  return result(s, rc);
}

int oms_fix_session_on_bytes(oms_fix_session_t *s, const char *data, size_t len, size_t *consumed) {
  *consumed = 0;
  while (s->state != OMS_FIX_SESSION_DISCONNECTED && *consumed < len) {
    size_t n = 0;
    oms_fix_perror_t perr;
    int rc = oms_fix_parse(data + *consumed, len - *consumed, &s->limits, &s->in_msg, &n, &perr);
    if (rc == OMS_EAGAIN) return 0;
    *consumed += n;
    rc = rc == 0 ? oms_fix_session_on_msg(s, &s->in_msg) : oms_fix_session_on_parse_error(s, &perr);
    if (rc) return rc;
  }
  return result(s, 0);
}

/* ------------------------------------------------------------------------ */
/* Timers and outbound                                                        */

static int heartbeat_tick(oms_fix_session_t *s, int64_t t) {
  if (s->hb_ns == 0) return 0;
  if (s->test_req_pending && s->last_recv_ns >= s->test_req_sent_ns) s->test_req_pending = 0;
  if (s->test_req_pending) {
    if (t - s->test_req_sent_ns >= s->hb_ns) return logout_and_drop(s, "no answer to TestRequest");
  } else if (t - s->last_recv_ns >= s->hb_ns + s->hb_ns / 5) {
    /* Silence for a heartbeat interval plus a transmission allowance. */
    char id[32];
    snprintf(id, sizeof(id), "TEST%lld", (long long)++s->test_req_count);
    oms_fix_builder_t *b = admin_begin(s, OMS_FIX_MSG_TestRequest);
    oms_fix_add_cstr(b, OMS_FIX_TAG_TestReqID, id);
    int rc = admin_send(s);
    if (rc) return rc;
    s->test_req_pending = 1;
    s->test_req_sent_ns = t;
  }
  if (t - s->last_sent_ns >= s->hb_ns) {
    admin_begin(s, OMS_FIX_MSG_Heartbeat);
    return admin_send(s);
  }
  return 0;
}

int oms_fix_session_on_timer(oms_fix_session_t *s) {
  int64_t t = now(s);
  int rc = 0;
  switch (s->state) {
    case OMS_FIX_SESSION_DISCONNECTED: return OMS_ECLOSED;
    case OMS_FIX_SESSION_AWAIT_LOGON:
      if (t - s->connected_ns >= s->cfg.logon_timeout_ns) drop(s, "logon timeout");
      break;
    case OMS_FIX_SESSION_LOGOUT_SENT:
      if (t - s->logout_sent_ns >= s->cfg.logout_timeout_ns) drop(s, "logout timeout");
      break;
    case OMS_FIX_SESSION_ACTIVE: rc = heartbeat_tick(s, t); break;
  }
  return result(s, rc);
}

int oms_fix_session_logout(oms_fix_session_t *s, const char *text) {
  if (s->state != OMS_FIX_SESSION_ACTIVE) return OMS_ESTATE;
  int rc = send_logout(s, text);
  if (rc) return rc;
  s->state = OMS_FIX_SESSION_LOGOUT_SENT;
  s->logout_sent_ns = now(s);
  return 0;
}

static int can_send(const oms_fix_session_t *s) {
  return s->state == OMS_FIX_SESSION_ACTIVE || s->state == OMS_FIX_SESSION_LOGOUT_SENT;
}

int oms_fix_session_app_begin(oms_fix_session_t *s, const char *msg_type, oms_fix_builder_t **b) {
  return oms_fix_session_app_begin_to(s, msg_type, NULL, b);
}

int oms_fix_session_app_begin_to(oms_fix_session_t *s, const char *msg_type,
                                 const oms_fix_route_t *deliver_to, oms_fix_builder_t **b) {
  *b = NULL;
  /* While the client is away an application message is numbered and stored
   * as if sent: at its next Logon the client sees the gap and asks for it
   * with a ResendRequest, so a fill reported meanwhile is never lost. */
  if (!can_send(s)) {
    if (s->state != OMS_FIX_SESSION_DISCONNECTED) return OMS_ESTATE;
    int rc = load_seqnums(s);
    if (rc) return rc;
  }
  if (!msg_type || is_admin_type(oms_fix_str(msg_type))) return OMS_EINVAL;
  oms_fix_header_t h = {.msg_type = msg_type,
                        .sender_comp_id = s->sender,
                        .target_comp_id = s->target,
                        .msg_seq_num = s->next_sender,
                        .sending_time_ns = now(s),
                        .deliver_to = deliver_to};
  int rc = oms_fix_builder_begin_header(&s->app_b, s->app_buf, s->app_cap, &h);
  if (rc) return rc;
  s->app_building = 1;
  s->app_seq = s->next_sender;
  *b = &s->app_b;
  return 0;
}

int oms_fix_session_app_send(oms_fix_session_t *s) {
  int online = can_send(s);
  if (!s->app_building || (!online && s->state != OMS_FIX_SESSION_DISCONNECTED)) return OMS_ESTATE;
  s->app_building = 0;
  size_t len;
  int rc = oms_fix_builder_finish(&s->app_b, &len);
  if (rc) return rc;
  /* An admin message sent between begin and send took the number written
   * in the header: refuse rather than send a duplicate MsgSeqNum. */
  if (s->app_seq != s->next_sender) return OMS_ESTATE;
  int64_t seq = s->app_seq;
  rc = s->store.save_sent(s->store.ctx, seq, s->app_buf, len);
  if (rc) return fatal(s, rc, "store save_sent");
  s->next_sender++;
  rc = persist(s);
  if (rc) return rc;
  return online ? write_out(s, s->app_buf, len) : 0;
}

#define SEND_WITH(name, type, T, writer)                                 \
  int name(oms_fix_session_t *s, const T *arg) {                         \
    oms_fix_builder_t *b;                                                \
    int rc = oms_fix_session_app_begin_to(s, type, arg->deliver_to, &b); \
    if (rc) return rc;                                                   \
    (void)writer(b, arg);                                                \
    return oms_fix_session_app_send(s);                                  \
  }

SEND_WITH(oms_fix_session_send_exec_report, OMS_FIX_MSG_ExecutionReport, oms_fix_exec_report_t,
          oms_fix_add_exec_report)
SEND_WITH(oms_fix_session_send_cancel_reject, OMS_FIX_MSG_OrderCancelReject,
          oms_fix_cancel_reject_t, oms_fix_add_cancel_reject)
SEND_WITH(oms_fix_session_send_mass_cancel_report, OMS_FIX_MSG_OrderMassCancelReport,
          oms_fix_mass_cancel_report_t, oms_fix_add_mass_cancel_report)
SEND_WITH(oms_fix_session_send_business_reject, OMS_FIX_MSG_BusinessMessageReject,
          oms_fix_business_reject_t, oms_fix_add_business_reject)
SEND_WITH(oms_fix_session_send_list_status, OMS_FIX_MSG_ListStatus, oms_fix_list_status_t,
          oms_fix_add_list_status)

int oms_fix_session_send_reject(oms_fix_session_t *s, const oms_fix_msg_t *m,
                                const oms_fix_bad_field_t *bad, const char *text) {
  if (!can_send(s)) return OMS_ESTATE;
  int64_t seq = 0;
  (void)oms_fix_msg_get_int(m, OMS_FIX_TAG_MsgSeqNum, &seq);
  return send_reject(s, seq, m->msg_type, bad->tag, bad->reason, text);
}
