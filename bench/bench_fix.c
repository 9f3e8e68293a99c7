/*
 * bench_fix.c - the FIX hot path: parsing a NewOrderSingle, validating it
 * against the FIX 4.4 dictionary, reading it into its struct, building an
 * ExecutionReport, and one whole session round trip (bytes of a D in, an
 * ExecutionReport out through a no-op store), with and without validation.
 */
#include <stdio.h>
#include <string.h>

#include "bench_util.h"
#include "oms/error.h"
#include "oms/fix.h"
#include "oms/fix_dict.h"
#include "oms/fix_session.h"

#define N 200000
#define WARMUP 20000
#define T0 INT64_C(1767225600000000000)

static char nos[512];
static size_t nos_len;

static size_t frame(char *out, size_t cap, const char *body) {
  int n = snprintf(out, cap, "8=FIX.4.4\0019=%zu\001%s", strlen(body), body);
  unsigned sum = 0;
  for (int i = 0; i < n; i++) sum += (unsigned char)out[i];
  n += snprintf(out + n, cap - (size_t)n, "10=%03u\001", sum & 0xFF);
  return (size_t)n;
}

static const char NOS_BODY[] =
    "35=D\00149=CLIENT\00156=OMS\00134=2\00152=20260101-00:00:00.000\00111=ORD1\0011=ACC\001"
    "55=BTC-USD\00154=1\00160=20260101-00:00:00.123\00138=1.5\00140=2\00144=65000.5\00159=1\001"
    "453=1\001448=TRADER\001452=11\001";

static oms_fix_exec_report_t er_for(oms_fix_str_t cl_ord_id) {
  oms_fix_exec_report_t er = {.order_id = oms_fix_str("X1"),
                              .cl_ord_id = cl_ord_id,
                              .exec_id = oms_fix_str("E1"),
                              .exec_type = OMS_FIX_EXEC_TYPE_NEW,
                              .ord_status = OMS_FIX_ORD_STATUS_NEW,
                              .symbol = oms_fix_str("BTC-USD"),
                              .side = OMS_FIX_SIDE_BUY,
                              .order_qty = oms_fix_str("1.5"),
                              .price = oms_fix_str("65000.5"),
                              .leaves_qty = oms_fix_str("1.5"),
                              .cum_qty = oms_fix_str("0"),
                              .avg_px = oms_fix_str("0"),
                              .transact_time_ns = T0,
                              .ord_rej_reason = -1};
  return er;
}

static void bench_parse(void) {
  bench_t b;
  static oms_fix_msg_t m;
  size_t used;
  bench_init(&b, "fix_parse_new_order", N);
  for (int i = 0; i < WARMUP; i++) oms_fix_parse(nos, nos_len, NULL, &m, &used, NULL);
  for (int r = bench_rounds(); r > 0; r--) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      int rc = oms_fix_parse(nos, nos_len, NULL, &m, &used, NULL);
      BENCH_KEEP(rc);
      bench_add(&b, bench_now_ns() - t0);
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
}

/* Parse and validate, as the session does for every inbound message; and
 * the validation alone, on the parsed message. */
static void bench_parse_validate(void) {
  bench_t b;
  static oms_fix_msg_t m;
  size_t used;
  oms_fix_bad_field_t bad;
  const oms_fix_dict_t *d = oms_fix_dict_fix44();
  oms_fix_parse(nos, nos_len, NULL, &m, &used, NULL);
  if (oms_fix_dict_validate(d, &m, 0, &bad) != 0) {
    fprintf(stderr, "bench: the NewOrderSingle is invalid: tag %u reason %d\n", (unsigned)bad.tag,
            bad.reason);
    exit(1);
  }
  bench_init(&b, "fix_parse_validate_new_order", N);
  for (int i = 0; i < WARMUP; i++) {
    oms_fix_parse(nos, nos_len, NULL, &m, &used, NULL);
    oms_fix_dict_validate(d, &m, 0, &bad);
  }
  for (int r = bench_rounds(); r > 0; r--) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      int rc = oms_fix_parse(nos, nos_len, NULL, &m, &used, NULL);
      rc |= oms_fix_dict_validate(d, &m, 0, &bad);
      BENCH_KEEP(rc);
      bench_add(&b, bench_now_ns() - t0);
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);

  bench_init(&b, "fix_validate_new_order", N);
  for (int r = bench_rounds(); r > 0; r--) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      int rc = oms_fix_dict_validate(d, &m, 0, &bad);
      BENCH_KEEP(rc);
      bench_add(&b, bench_now_ns() - t0);
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
}

static void bench_read(void) {
  bench_t b;
  static oms_fix_msg_t m;
  size_t used;
  oms_fix_new_order_t o;
  oms_fix_bad_field_t bad;
  oms_fix_parse(nos, nos_len, NULL, &m, &used, NULL);
  bench_init(&b, "fix_read_new_order", N);
  for (int i = 0; i < WARMUP; i++) oms_fix_read_new_order(&m, &o, &bad);
  for (int r = bench_rounds(); r > 0; r--) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      int rc = oms_fix_read_new_order(&m, &o, &bad);
      BENCH_KEEP(rc);
      bench_add(&b, bench_now_ns() - t0);
    }
    bench_round_end(&b, 0);
  }
  bench_report(&b);
}

static void bench_build(void) {
  bench_t b;
  char out[1024];
  size_t len;
  oms_fix_exec_report_t er = er_for(oms_fix_str("ORD1"));
  oms_fix_header_t h = {"8", "OMS", "CLIENT", 1, T0, 0, 0, 0, NULL};
  oms_fix_builder_t bld;
  bench_init(&b, "fix_build_exec_report", N);
  for (int r = bench_rounds() + 1; r > 0; r--) { /* first round is the warm-up */
    bench_round_begin(&b);
    for (int i = 0; i < N; i++) {
      uint64_t t0 = bench_now_ns();
      h.msg_seq_num = i + 1;
      oms_fix_builder_begin_header(&bld, out, sizeof(out), &h);
      oms_fix_add_exec_report(&bld, &er);
      int rc = oms_fix_builder_finish(&bld, &len);
      BENCH_KEEP(rc);
      bench_add(&b, bench_now_ns() - t0);
    }
    if (r > bench_rounds()) continue;
    bench_round_end(&b, 0);
  }
  bench_report(&b);
}

/* Session round trip: a no-op store and socket, the app answers every D. */
typedef struct rt_s {
  int64_t now;
  oms_fix_session_t *s;
  size_t out_bytes;
} rt_t;

static int64_t rt_now(void *ctx) { return ((rt_t *)ctx)->now; }
static int rt_send(void *ctx, const char *d, size_t len) {
  (void)d;
  ((rt_t *)ctx)->out_bytes += len;
  return 0;
}
static void rt_disc(void *ctx, const char *r) {
  (void)ctx;
  fprintf(stderr, "bench: disconnected: %s\n", r);
  exit(1);
}
static int rt_app(void *ctx, const oms_fix_msg_t *m) {
  rt_t *rt = ctx;
  oms_fix_str_t id;
  oms_fix_msg_get_str(m, 11, &id);
  oms_fix_exec_report_t er = er_for(id);
  return oms_fix_session_send_exec_report(rt->s, &er);
}
static int rt_auth(void *ctx, oms_fix_str_t u, oms_fix_str_t p) {
  (void)ctx, (void)u, (void)p;
  return 0;
}
static int rt_load(void *ctx, int64_t *a, int64_t *b) {
  (void)ctx, (void)a, (void)b;
  return OMS_ENOTFOUND;
}
static int rt_save(void *ctx, int64_t a, int64_t b) {
  (void)ctx, (void)a, (void)b;
  return 0;
}
static int rt_save_sent(void *ctx, int64_t s, const char *d, size_t l) {
  (void)ctx, (void)s, (void)d, (void)l;
  return 0;
}
static int rt_load_sent(void *ctx, int64_t s, char *b, size_t c, size_t *l) {
  (void)ctx, (void)s, (void)b, (void)c, (void)l;
  return OMS_ENOTFOUND;
}
static int rt_reset(void *ctx) {
  (void)ctx;
  return 0;
}

static void bench_session(const char *name, unsigned dict_flags) {
  static rt_t rt;
  rt.now = T0;
  oms_fix_session_config_t cfg = {
      .sender_comp_id = "OMS", .target_comp_id = "CLIENT", .dict_flags = dict_flags};
  oms_fix_session_io_t io = {rt_send, rt_disc, rt_app, rt_auth, NULL, &rt, NULL};
  oms_fix_session_store_t st = {rt_load, rt_save, rt_save_sent, rt_load_sent, rt_reset, &rt};
  oms_clock_t clk = {rt_now, &rt};
  if (oms_fix_session_create(&cfg, &io, &st, &clk, &rt.s) != 0) exit(1);
  oms_fix_session_connect(rt.s);
  char msg[512];
  size_t len = frame(msg, sizeof(msg),
                     "35=A\00149=CLIENT\00156=OMS\00134=1\00152=20260101-00:00:00\00198=0\001"
                     "108=30\001"),
         used;
  oms_fix_session_on_bytes(rt.s, msg, len, &used);
  /* Pre-build the inbound orders: sequence numbers must increase. */
  int total = N * (bench_rounds() + 1);
  static char orders[64][512];
  static size_t olen[64];
  bench_t b;
  bench_init(&b, name, N);
  int64_t seq = 2;
  for (int r = bench_rounds() + 1; r > 0; r--) {
    bench_round_begin(&b);
    for (int i = 0; i < N; i++, seq++) {
      char body[400];
      int k = (int)(seq & 63);
      snprintf(body, sizeof(body),
               "35=D\00149=CLIENT\00156=OMS\00134=%lld\00152=20260101-00:00:00.000\001"
               "11=O%lld\00155=BTC-USD\00154=1\00160=20260101-00:00:00\00138=1\00140=2\001"
               "44=65000.5\001",
               (long long)seq, (long long)seq);
      olen[k] = frame(orders[k], sizeof(orders[k]), body);
      uint64_t t0 = bench_now_ns();
      int rc = oms_fix_session_on_bytes(rt.s, orders[k], olen[k], &used);
      BENCH_KEEP(rc);
      bench_add(&b, bench_now_ns() - t0);
    }
    if (r > bench_rounds()) continue;
    bench_round_end(&b, 0);
  }
  (void)total;
  bench_report(&b);
  oms_fix_session_destroy(rt.s);
}

int main(void) {
  nos_len = frame(nos, sizeof(nos), NOS_BODY);
  bench_parse();
  bench_parse_validate();
  bench_read();
  bench_build();
  bench_session("fix_session_new_order_to_exec_report", 0);
  /* The same without the dictionary: the difference is validation's cost. */
  bench_session("fix_session_new_order_to_exec_report_unvalidated", OMS_FIX_DICT_OFF);
  return 0;
}
