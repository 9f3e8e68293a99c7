/*
 * bench_gateway.c - FIX order handling through the gateway, in process: the
 * bytes of a message in, the engine's work, the report bytes out.
 *
 *   gateway_cancel: an OrderCancelRequest(F) naming a live order by its
 *     OrigClOrdID, to the PendingCancel ExecutionReport written back.
 *   gateway_replace: an OrderCancelReplaceRequest(G), to the PendingReplace
 *     ExecutionReport.
 *   gateway_cancel_unknown: an OrderCancelRequest naming an OrigClOrdID that
 *     no order has, to the OrderCancelReject. A client can send these at
 *     will, so this line must stay level with gateway_cancel however many
 *     orders the book holds: it costs map lookups, never a walk over orders.
 *
 * The book holds BOOK (100,000) live orders of the session throughout: each
 * order a timed request finished is replaced by a new one outside the timed
 * region. The venue is a null connector that acknowledges everything at the
 * next poll; there is no store (events reach the gateway synchronously) and
 * no risk engine (measured by bench_risk and bench_oms). The writes go to a
 * connection that only counts bytes.
 */
#include <stdio.h>
#include <string.h>

#include "bench_util.h"
#include "oms/engine.h"
#include "oms/error.h"
#include "oms/gateway.h"

#define BOOK 100000
#define N 20000
#define WARMUP 2000
#define QCAP 4096
#define SENDING_TIME "52=20260101-00:00:00.000\001"

static int64_t now_ns = INT64_C(1767225600000000000); /* 2026-01-01T00:00:00Z */

/* ---- a venue that acknowledges everything at the next poll ---------------- */

typedef struct ack_venue_s {
  oms_venue_t base;
  oms_exec_report_t q[QCAP];
  uint32_t n;
} ack_venue_t;

static ack_venue_t venue;

static int queue(oms_exec_type_t t, uint64_t id) {
  if (venue.n == QCAP) return OMS_EFULL;
  oms_exec_report_t *r = &venue.q[venue.n++];
  memset(r, 0, sizeof(*r));
  r->type = t;
  r->order_id = id;
  return 0;
}
static int av_new(oms_venue_t *v, const oms_venue_order_t *o) {
  (void)v;
  return queue(OMS_EXEC_ACCEPTED, o->order_id);
}
static int av_cancel(oms_venue_t *v, uint64_t id) {
  (void)v;
  return queue(OMS_EXEC_CANCELLED, id);
}
static int av_replace(oms_venue_t *v, uint64_t id, oms_dec_t q, oms_dec_t p, oms_dec_t s) {
  (void)v, (void)q, (void)p, (void)s;
  return queue(OMS_EXEC_REPLACED, id);
}
static int av_query(oms_venue_t *v, uint64_t id) {
  (void)v, (void)id;
  return 0;
}
static bool av_connected(const oms_venue_t *v) {
  (void)v;
  return true;
}
static int av_poll(oms_venue_t *v, int64_t now) {
  (void)now;
  uint32_t k = venue.n;
  venue.n = 0;
  for (uint32_t i = 0; i < k; i++) v->handler.on_report(v->handler.ctx, &venue.q[i]);
  return (int)k;
}
static void av_destroy(oms_venue_t *v) { (void)v; }
static const oms_venue_vtbl_t av_vt = {.send_new = av_new,
                                       .send_cancel = av_cancel,
                                       .send_replace = av_replace,
                                       .query_status = av_query,
                                       .is_connected = av_connected,
                                       .poll = av_poll,
                                       .destroy = av_destroy};

/* ---- the gateway, one session, one connection ------------------------------ */

static oms_engine_t *engine;
static oms_gateway_t *gw;
static uint64_t out_bytes;
static char last_type; /* MsgType of the last message written */
static int64_t seq = 1;

static int io_send(void *ctx, uint64_t conn, const char *data, size_t len) {
  (void)ctx, (void)conn;
  out_bytes += len;
  for (size_t i = 0; i + 4 < len; i++) {
    if (data[i] == '\001' && data[i + 1] == '3' && data[i + 2] == '5' && data[i + 3] == '=') {
      last_type = data[i + 4];
      break;
    }
  }
  return 0;
}
static void io_close(void *ctx, uint64_t conn, const char *reason) {
  (void)ctx, (void)conn;
  fprintf(stderr, "bench_gateway: connection closed: %s\n", reason);
  exit(1);
}
static void on_event(void *ctx, const oms_event_t *ev) {
  (void)ctx;
  oms_gateway_on_event(gw, ev);
}

/* Frames "35=type|49=CLIENT|56=OMS|34=seq|52=...|" + body (SOH-separated). */
static size_t message(char *out, size_t cap, char type, const char *body) {
  char hdr[512];
  int h = snprintf(hdr, sizeof hdr, "35=%c\00149=CLIENT\00156=OMS\00134=%lld\001" SENDING_TIME "%s",
                   type, (long long)seq++, body);
  int n = snprintf(out, cap, "8=FIX.4.4\0019=%d\001%s", h, hdr);
  unsigned sum = 0;
  for (int i = 0; i < n; i++) sum += (unsigned char)out[i];
  n += snprintf(out + n, cap - (size_t)n, "10=%03u\001", sum & 0xFF);
  return (size_t)n;
}

static void feed(const char *msg, size_t len) {
  if (oms_gateway_conn_data(gw, 1, msg, len) != 0) {
    fprintf(stderr, "bench_gateway: conn_data refused\n");
    exit(1);
  }
}

static void send_body(char type, const char *body) {
  char msg[1024];
  feed(msg, message(msg, sizeof msg, type, body));
}

static void make_world(void) {
  memset(&venue, 0, sizeof venue);
  venue.base.vt = &av_vt;
  strcpy(venue.base.name, "SIM");
  oms_engine_config_t ec = {.clock = oms_clock_manual(&now_ns),
                            .max_orders = 1u << 18,
                            .outbox_capacity = 1u << 14,
                            .on_event = on_event};
  if (oms_engine_create(&ec, &engine) != 0) exit(1);
  oms_instrument_t ins = {.symbol = "BTC-USD", .venue = "SIM"};
  oms_dec_parse_cstr("0.5", &ins.tick_size);
  oms_dec_parse_cstr("0.001", &ins.lot_size);
  oms_engine_add_instrument(engine, &ins, NULL);
  oms_engine_add_venue(engine, &venue.base, NULL);
  oms_gateway_config_t gc = {.engine = engine,
                             .clock = oms_clock_manual(&now_ns),
                             .default_venue = "SIM",
                             .max_tracked = 1u << 17,
                             .io = {.send = io_send, .close = io_close}};
  oms_gateway_session_config_t sc = {
      .client_comp_id = "CLIENT", .our_comp_id = "OMS", .account = "ACC"};
  if (oms_gateway_create(&gc, &gw) != 0 || oms_gateway_add_session(gw, &sc) != 0 ||
      oms_gateway_conn_open(gw, 1) != 0)
    exit(1);
  send_body('A', "98=0\001108=30\001");
  if (last_type != 'A') {
    fprintf(stderr, "bench_gateway: logon refused\n");
    exit(1);
  }
}

/* The live orders, oldest first, by the number in their ClOrdID "o<n>". */
static uint64_t live[BOOK];
static uint32_t live_head;
static uint64_t next_order = 1;

/* Adds a new resting order (untimed) in place of live[live_head]. */
static void new_order(void) {
  uint64_t n = next_order++;
  char body[256];
  snprintf(body, sizeof body,
           "11=o%llu\00155=BTC-USD\00154=1\00160=20260101-00:00:00.000\00138=0.01\00140=2\001"
           "44=60000\00159=1\001",
           (unsigned long long)n);
  send_body('D', body);
  oms_engine_poll(engine);
  live[live_head] = n;
  live_head = (live_head + 1) % BOOK;
}

static void expect_answer(char type, const char *what) {
  if (last_type != type) {
    fprintf(stderr, "bench_gateway: %s answered with 35=%c\n", what, last_type);
    exit(1);
  }
}

typedef enum { OP_CANCEL, OP_REPLACE, OP_CANCEL_UNKNOWN } op_t;

static void bench_op(const char *name, op_t op) {
  bench_t b;
  bench_init(&b, name, N);
  static uint64_t k;
  char msg[1024], body[512];
  for (int r = -1; r < bench_rounds(); r++) {
    bench_round_begin(&b);
    uint64_t busy = 0;
    int n = r < 0 ? WARMUP : N;
    for (int i = 0; i < n; i++) {
      k++;
      uint64_t victim = live[live_head]; /* the oldest live order */
      switch (op) {
        case OP_CANCEL:
          snprintf(body, sizeof body,
                   "41=o%llu\00111=x%llu\00155=BTC-USD\00154=1\00160=20260101-00:00:00.000\001",
                   (unsigned long long)victim, (unsigned long long)k);
          break;
        case OP_REPLACE:
          snprintf(body, sizeof body,
                   "41=o%llu\00111=r%llu\00155=BTC-USD\00154=1\00160=20260101-00:00:00.000\001"
                   "38=0.02\00140=2\00144=60000\00159=1\001",
                   (unsigned long long)victim, (unsigned long long)k);
          break;
        default:
          snprintf(body, sizeof body,
                   "41=u%llu\00111=x%llu\00155=BTC-USD\00154=1\00160=20260101-00:00:00.000\001",
                   (unsigned long long)k, (unsigned long long)k);
      }
      size_t len = message(msg, sizeof msg, op == OP_REPLACE ? 'G' : 'F', body);
      uint64_t t0 = bench_now_ns();
      feed(msg, len);
      uint64_t dt = bench_now_ns() - t0;
      busy += dt;
      if (r >= 0) bench_add(&b, dt);
      /* untimed: check the answer, finish the order, rest a new one */
      if (op == OP_CANCEL_UNKNOWN) {
        expect_answer('9', name);
        continue;
      }
      expect_answer('8', name);
      oms_engine_poll(engine);
      if (op == OP_REPLACE) {
        snprintf(body, sizeof body,
                 "41=r%llu\00111=y%llu\00155=BTC-USD\00154=1\00160=20260101-00:00:00.000\001",
                 (unsigned long long)k, (unsigned long long)k);
        send_body('F', body);
        expect_answer('8', "cancel after replace");
        oms_engine_poll(engine);
      }
      new_order();
    }
    if (r >= 0) bench_round_end(&b, busy);
  }
  bench_report(&b);
}

int main(void) {
  make_world();
  for (int i = 0; i < BOOK; i++) new_order();
  oms_engine_stats_t st;
  oms_engine_stats(engine, &st);
  printf("# book: %d live orders of one session, %u orders in memory\n", BOOK,
         (unsigned)st.orders_in_memory);
  bench_op("gateway_cancel", OP_CANCEL);
  bench_op("gateway_replace", OP_REPLACE);
  bench_op("gateway_cancel_unknown", OP_CANCEL_UNKNOWN);
  printf("# %llu bytes written\n", (unsigned long long)out_bytes);
  oms_gateway_destroy(gw);
  oms_engine_destroy(engine);
  return 0;
}
