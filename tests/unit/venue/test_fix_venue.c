/* Tests for src/venue/fix_venue.c: the FIX venue connector against a fake
 * venue on 127.0.0.1 that this file plays by hand (a listening socket, framed
 * messages written as text): Logon with credentials, orders in the venue's
 * dialect, every ExecType mapped, OrderCancelReject, a report for an order we
 * do not know, orders refused before they leave, ClOrdIDs of cancels and
 * replaces, reconnect with backoff, the schedule, Logout on stop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../fix/fix_test_util.h"
#include "oms/error.h"
#include "oms/fix_tags.h"
#include "oms/fix_venue.h"
#include "venue/fix_md.h"

#define MAXREP 64

typedef struct fx_s {
  int64_t t;
  int lfd; /* the fake venue's listening socket */
  int port;
  int pfd; /* the fake venue's end of the connection */
  int64_t peer_seq;
  oms_venue_t *v;
  oms_exec_report_t rep[MAXREP];
  int nrep;
  int ups, downs;
  char got[8192]; /* the last message the venue read, '|' for SOH */
  char buf[65536];
  size_t blen;
} fx_t;

static void on_report(void *ctx, const oms_exec_report_t *r) {
  fx_t *f = ctx;
  assert_true(f->nrep < MAXREP);
  f->rep[f->nrep++] = *r;
}

static void on_conn(void *ctx, bool up) {
  fx_t *f = ctx;
  if (up)
    f->ups++;
  else
    f->downs++;
}

static oms_dec_t D(const char *s) {
  oms_dec_t d;
  assert_int_equal(oms_dec_parse_cstr(s, &d), 0);
  return d;
}

static const oms_fix_venue_symbol_t SYMS[] = {{"BTC-USD", "XBTUSD"}};
static const oms_fix_venue_tag_t TAGS[] = {{OMS_FIX_TAG_TradingSessionID, "desk1"}};

static void vlog(void *ctx, oms_fix_log_level_t lvl, const char *text) {
  (void)ctx;
  if (getenv("FIX_VENUE_LOG") || lvl >= OMS_FIX_LOG_ERROR) fprintf(stderr, "log: %s\n", text);
}

static oms_fix_venue_config_t base_config(fx_t *f) {
  static oms_clock_t clock;
  clock = (oms_clock_t){test_clock_now, &f->t};
  oms_fix_venue_config_t c = {
      .name = "XV",
      .host = "127.0.0.1",
      .port = f->port,
      .sender_comp_id = "OMS",
      .target_comp_id = "VENUE",
      .username = "oms",
      .password = "venue-secret",
      .heartbeat_s = 30,
      .symbols = SYMS,
      .nsymbols = 1,
      .account = "ACC9",
      .ex_destination = "XNAS",
      .tags = TAGS,
      .ntags = 1,
      .ord_types = OMS_FIX_VENUE_BIT(OMS_ORD_LIMIT) | OMS_FIX_VENUE_BIT(OMS_ORD_MARKET),
      .tifs = OMS_FIX_VENUE_BIT(OMS_TIF_GTC) | OMS_FIX_VENUE_BIT(OMS_TIF_DAY) |
              OMS_FIX_VENUE_BIT(OMS_TIF_IOC),
      .exec_insts = OMS_INST_POST_ONLY,
      .mass_status = true,
      .max_orders = 64,
      .clock = clock,
      .log = vlog};
  return c;
}

static fx_t *fx_new_with(int reset_on_logon) {
  fx_t *f = calloc(1, sizeof *f);
  f->t = T0;
  f->pfd = -1;
  f->lfd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(f->lfd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(f->lfd, 4), 0);
  socklen_t al = sizeof a;
  getsockname(f->lfd, (struct sockaddr *)&a, &al);
  f->port = ntohs(a.sin_port);
  oms_fix_venue_config_t c = base_config(f);
  c.reset_on_logon = reset_on_logon;
  assert_int_equal(oms_fix_venue_create(&c, &f->v), 0);
  oms_venue_handler_t h = {.on_report = on_report, .on_connection = on_conn, .ctx = f};
  oms_venue_set_handler(f->v, &h);
  return f;
}

static void fx_free(fx_t *f) {
  oms_venue_destroy(f->v);
  if (f->pfd >= 0) close(f->pfd);
  close(f->lfd);
  free(f);
}

static void pump(fx_t *f) {
  for (int i = 0; i < 5; i++) {
    oms_venue_poll(f->v, f->t);
    usleep(1000);
  }
}

/* The next whole message the connector sent, as text in f->got; 0 when none
 * came within a second. */
static int peer_read(fx_t *f) {
  for (int tries = 0; tries < 200; tries++) {
    oms_fix_msg_t m;
    size_t used;
    oms_fix_limits_t lim = {.max_msg_len = 8192};
    if (f->blen && oms_fix_parse(f->buf, f->blen, &lim, &m, &used, NULL) == 0) {
      memcpy(f->got, f->buf, used);
      f->got[used] = '\0';
      for (size_t i = 0; i < used; i++)
        if (f->got[i] == OMS_FIX_SOH) f->got[i] = '|';
      memmove(f->buf, f->buf + used, f->blen - used);
      f->blen -= used;
      return 1;
    }
    if (f->v) oms_venue_poll(f->v, f->t);
    struct pollfd p = {.fd = f->pfd, .events = POLLIN};
    if (poll(&p, 1, 5) == 1) {
      ssize_t n = recv(f->pfd, f->buf + f->blen, sizeof f->buf - f->blen, 0);
      if (n <= 0) return 0;
      f->blen += (size_t)n;
    }
  }
  return 0;
}

static void assert_got(fx_t *f, const char *needle) {
  if (!strstr(f->got, needle)) fail_msg("expected \"%s\" in %s", needle, f->got);
}

/* The fake venue sends body (MsgType first, header added). */
static void peer_send(fx_t *f, const char *body) {
  char t[32], full[4096], out[4096];
  oms_fix_format_time(f->t, t);
  snprintf(full, sizeof full, "%.*s49=VENUE|56=OMS|34=%lld|52=%s|%s",
           (int)(strchr(body, '|') - body + 1), body, (long long)f->peer_seq++, t,
           strchr(body, '|') + 1);
  size_t n = frame(out, sizeof out, full);
  assert_int_equal(send(f->pfd, out, n, 0), (ssize_t)n);
  pump(f);
}

/* Connects and logs on; the venue's answer carries seq. */
static int accept_peer(fx_t *f) {
  int fd = accept(f->lfd, NULL, NULL);
  int one = 1;
  /* Small writes must not wait for the connector's delayed ACK. */
  if (fd >= 0) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void logon(fx_t *f, int64_t seq) {
  oms_venue_poll(f->v, f->t); /* connect(2) */
  f->pfd = accept_peer(f);
  assert_true(f->pfd >= 0);
  f->blen = 0;
  assert_true(peer_read(f));
  assert_got(f, "35=A|");
  f->peer_seq = seq;
  peer_send(f, "35=A|98=0|108=30|");
  assert_true(oms_venue_is_connected(f->v));
}

static fx_t *fx_up(void) {
  fx_t *f = fx_new_with(0);
  logon(f, 1);
  return f;
}

static oms_venue_order_t limit_order(uint64_t id) {
  oms_venue_order_t o = {.order_id = id,
                         .account_id = "a1",
                         .symbol = "BTC-USD",
                         .side = OMS_SIDE_BUY,
                         .type = OMS_ORD_LIMIT,
                         .tif = OMS_TIF_GTC,
                         .qty = D("2"),
                         .price = D("100.5")};
  return o;
}

/* ------------------------------------------------------------------------ */

static void test_logon_carries_credentials_and_the_venue_answer_opens_the_session(void **st) {
  (void)st;
  fx_t *f = fx_new_with(0);
  assert_false(oms_venue_is_connected(f->v));
  oms_venue_poll(f->v, f->t);
  f->pfd = accept_peer(f);
  assert_true(peer_read(f));
  assert_got(f, "35=A|49=OMS|56=VENUE|34=1|");
  assert_got(f, "98=0|108=30|553=oms|554=venue-secret|");
  assert_null(strstr(f->got, "141=Y"));
  f->peer_seq = 1;
  peer_send(f, "35=A|98=0|108=30|");
  assert_true(oms_venue_is_connected(f->v));
  assert_int_equal(f->ups, 1);
  oms_fix_venue_stats_t s;
  oms_fix_venue_stats(f->v, &s);
  assert_int_equal(s.connects, 1);
  assert_int_equal(s.logons, 1);
  assert_true(oms_fix_venue_fd(f->v) >= 0);
  fx_free(f);
}

static void test_reset_on_logon_sends_141_and_starts_at_one(void **st) {
  (void)st;
  fx_t *f = fx_new_with(1);
  oms_venue_poll(f->v, f->t);
  f->pfd = accept_peer(f);
  assert_true(peer_read(f));
  assert_got(f, "34=1|");
  assert_got(f, "141=Y|");
  fx_free(f);
}

static void test_new_order_goes_out_in_the_venue_dialect(void **st) {
  (void)st;
  fx_t *f = fx_up();
  oms_venue_order_t o = limit_order(7);
  o.instructions = OMS_INST_POST_ONLY;
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  assert_true(peer_read(f));
  assert_got(f, "35=D|");
  assert_got(f, "11=O7|1=ACC9|100=XNAS|336=desk1|18=6|55=XBTUSD|54=1|");
  assert_got(f, "38=2|40=2|44=100.5|59=1|");
  fx_free(f);
}

static void test_an_order_the_venue_cannot_take_is_refused_before_it_leaves(void **st) {
  (void)st;
  fx_t *f = fx_up();
  oms_venue_order_t o = limit_order(8);
  o.type = OMS_ORD_STOP;
  o.stop_price = D("99");
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  o = limit_order(9);
  o.tif = OMS_TIF_FOK;
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  o = limit_order(10);
  o.instructions = OMS_INST_REDUCE_ONLY;
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  assert_int_equal(f->nrep, 0); /* never from inside a send */
  pump(f);
  assert_int_equal(f->nrep, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(f->rep[i].type, OMS_EXEC_REJECTED);
    assert_int_equal(f->rep[i].reason, OMS_R_UNSUPPORTED);
    assert_int_equal(f->rep[i].order_id, 8 + i);
  }
  assert_non_null(strstr(f->rep[0].text, "STOP"));
  assert_non_null(strstr(f->rep[1].text, "FOK"));
  assert_non_null(strstr(f->rep[2].text, "reduce-only"));
  /* Nothing reached the venue: the next message is the TestRequest answer. */
  peer_send(f, "35=1|112=x|");
  assert_true(peer_read(f));
  assert_got(f, "35=0|");
  oms_fix_venue_stats_t s;
  oms_fix_venue_stats(f->v, &s);
  assert_int_equal(s.refused, 3);
  fx_free(f);
}

/* Types the venue works itself (its native capabilities) go out as FIX
 * 4.4 has them: an iceberg with MaxFloor(111), a market-if-touched as
 * OrdType J with its trigger in StopPx, a trailing stop as a pegged order
 * with ExecInst a and a signed PegOffsetValue(211); FIX 4.4 has no
 * limit-if-touched, so that one is refused. They pass even though the
 * venue's ord_types do not list STOP. */
static void test_native_types_go_out_in_their_fix_fields(void **st) {
  (void)st;
  fx_t *f = fx_up();
  oms_venue_order_t o = limit_order(21);
  o.native = OMS_VENUE_CAP_ICEBERG;
  o.display_qty = D("0.5");
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  assert_true(peer_read(f));
  assert_got(f, "38=2|40=2|44=100.5|111=0.5|59=1|");
  o = limit_order(22);
  o.type = OMS_ORD_STOP;
  o.price = D("0");
  o.stop_price = D("95");
  o.native = OMS_VENUE_CAP_MIT;
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  assert_true(peer_read(f));
  assert_got(f, "38=2|40=J|99=95|59=1|");
  o = limit_order(23);
  o.side = OMS_SIDE_SELL;
  o.type = OMS_ORD_STOP;
  o.instructions = OMS_INST_POST_ONLY;
  o.stop_price = D("98");
  o.native = OMS_VENUE_CAP_TRAILING_STOP;
  o.trail_offset = D("2");
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  assert_true(peer_read(f));
  assert_got(f, "18=6 a|55=XBTUSD|54=2|");
  assert_got(f, "38=2|40=P|99=98|211=-2|59=1|");
  o = limit_order(24);
  o.type = OMS_ORD_STOP_LIMIT;
  o.stop_price = D("99");
  o.native = OMS_VENUE_CAP_LIT;
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  pump(f);
  assert_int_equal(f->nrep, 1);
  assert_int_equal(f->rep[0].type, OMS_EXEC_REJECTED);
  assert_non_null(strstr(f->rep[0].text, "limit-if-touched"));
  assert_string_equal(oms_venue_cap_name(OMS_VENUE_CAP_LIT), "lit");
  assert_string_equal(oms_venue_cap_name(3), "unknown");
  fx_free(f);
}

static void test_every_exec_type_maps_to_its_report(void **st) {
  (void)st;
  fx_t *f = fx_up();
  oms_venue_order_t o = limit_order(7);
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  assert_true(peer_read(f));
  const char *common = "55=XBTUSD|54=1|38=2|44=100.5|";
  char b[512];
  struct {
    const char *fields;
    int type; /* -1: no report */
  } cases[] = {
      {"37=V1|11=O7|17=E0|150=0|39=0|14=0|151=2|6=0|", OMS_EXEC_ACCEPTED},
      {"37=V1|11=O7|17=E1|150=A|39=A|14=0|151=2|6=0|", -1},
      {"37=V1|11=O7|17=E2|150=F|39=1|32=0.5|31=100|14=0.5|151=1.5|6=100|12=0.01|851=1|",
       OMS_EXEC_FILL},
      {"37=V1|11=O7|17=E3|150=1|39=1|32=0.5|31=100|14=1|151=1|6=100|", OMS_EXEC_FILL},
      {"37=V1|11=O7|17=E4|150=H|19=E2|39=1|14=0.5|151=1.5|6=100|", OMS_EXEC_BUST},
      {"37=V1|11=O7|17=E5|150=G|19=E3|39=1|32=0.4|31=99|14=0.4|151=1.6|6=99|", OMS_EXEC_CORRECT},
      {"37=V1|11=O7|17=E6|150=D|39=1|14=0.4|151=0.6|6=99|58=venue cut|", OMS_EXEC_RESTATED},
      {"37=V1|11=O7.1|41=O7|17=E7|150=6|39=6|14=0.4|151=0.6|6=99|", -1},
      {"37=V1|11=O7.2|41=O7|17=E8|150=E|39=E|14=0.4|151=0.6|6=99|", -1},
      {"37=V1|11=O7|17=E9|150=I|39=1|14=0.4|151=0.6|6=99|", OMS_EXEC_STATUS},
      {"37=V1|11=O7|17=E10|150=Z|39=1|14=0.4|151=0.6|6=99|", OMS_EXEC_VENUE_ERROR},
      {"37=V1|11=O7|17=E11|150=C|39=C|14=0.4|151=0|6=99|", OMS_EXEC_EXPIRED},
  };
  int want = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(b, sizeof b, "35=8|%s%s", cases[i].fields, common);
    peer_send(f, b);
    if (cases[i].type < 0) {
      assert_int_equal(f->nrep, want);
      continue;
    }
    assert_int_equal(f->nrep, ++want);
    const oms_exec_report_t *r = &f->rep[want - 1];
    assert_int_equal(r->type, cases[i].type);
    if (r->type == OMS_EXEC_VENUE_ERROR) {
      /* an alarm for the core, naming what it could not use; no order changes */
      assert_int_equal(r->order_id, 0);
      assert_string_equal(r->cl_ord_id, "O7");
      assert_string_equal(r->text, "ExecutionReport with ExecType(150)=Z: ignored");
      continue;
    }
    assert_int_equal(r->order_id, 7);
    assert_string_equal(r->venue_order_id, "V1");
  }
  assert_string_equal(f->rep[1].exec_id, "E2");
  assert_true(oms_dec_eq(f->rep[1].last_qty, D("0.5")));
  assert_true(oms_dec_eq(f->rep[1].last_px, D("100")));
  assert_true(oms_dec_eq(f->rep[1].fee, D("0.01")));
  assert_int_equal(f->rep[1].liquidity, 'M');
  assert_true(oms_dec_eq(f->rep[1].cum_qty, D("0.5")));
  assert_string_equal(f->rep[3].exec_ref_id, "E2");
  assert_string_equal(f->rep[4].exec_ref_id, "E3");
  assert_true(oms_dec_eq(f->rep[4].last_qty, D("0.4")));
  assert_true(oms_dec_eq(f->rep[5].new_qty, D("2")));
  assert_string_equal(f->rep[5].text, "venue cut");
  assert_int_equal(f->rep[6].status, OMS_VSTATUS_WORKING);
  assert_true(oms_dec_eq(f->rep[6].avg_px, D("99")));
  oms_fix_venue_stats_t s;
  oms_fix_venue_stats(f->v, &s);
  assert_int_equal(s.pending_reports, 3);
  assert_int_equal(s.bad_reports, 1);
  /* Expired freed the record: a cancel has nothing to name. */
  assert_int_equal(oms_venue_send_cancel(f->v, 7), OMS_ENOTFOUND);
  fx_free(f);
}

static void test_fills_cancel_and_reject_of_the_fix_4_4_kinds(void **st) {
  (void)st;
  fx_t *f = fx_up();
  peer_send(f, "35=8|37=V2|11=O3|17=X1|150=F|39=2|32=1|31=5|14=1|151=0|6=5|55=A|54=2|851=2|");
  peer_send(f, "35=8|37=V4|11=O4|17=X2|150=4|39=4|14=0|151=0|6=0|55=A|54=2|58=unsolicited|");
  peer_send(f, "35=8|37=NONE|11=O5|17=X3|150=8|39=8|103=1|14=0|151=0|6=0|55=A|54=2|");
  peer_send(f, "35=8|37=V6|11=O6|17=X4|150=3|39=3|14=0|151=0|6=0|55=A|54=2|");
  assert_int_equal(f->nrep, 4);
  assert_int_equal(f->rep[0].type, OMS_EXEC_FILL);
  assert_int_equal(f->rep[0].liquidity, 'T');
  assert_int_equal(f->rep[1].type, OMS_EXEC_CANCELLED);
  assert_string_equal(f->rep[1].text, "unsolicited");
  /* a cancel is not a refusal: its reason stays empty, its Text says why */
  assert_int_equal(f->rep[1].reason, OMS_R_NONE);
  assert_int_equal(f->rep[2].type, OMS_EXEC_REJECTED);
  assert_int_equal(f->rep[2].reason, OMS_R_UNKNOWN_INSTRUMENT);
  assert_int_equal(f->rep[3].type, OMS_EXEC_EXPIRED);
  fx_free(f);
}

static void test_a_report_for_an_order_we_cannot_name_keeps_the_venue_clordid(void **st) {
  (void)st;
  fx_t *f = fx_up();
  peer_send(f, "35=8|37=V9|11=theirs-1|17=Z1|150=F|39=1|32=1|31=5|14=1|151=1|6=5|55=A|54=1|");
  peer_send(f, "35=8|37=V9|11=O12x|17=Z2|150=0|39=0|14=0|151=1|6=0|55=A|54=1|");
  assert_int_equal(f->nrep, 2);
  assert_int_equal(f->rep[0].order_id, 0);
  assert_string_equal(f->rep[0].cl_ord_id, "theirs-1");
  assert_int_equal(f->rep[0].type, OMS_EXEC_FILL);
  assert_int_equal(f->rep[1].order_id, 0);
  oms_fix_venue_stats_t s;
  oms_fix_venue_stats(f->v, &s);
  assert_int_equal(s.unmapped, 2);
  fx_free(f);
}

static void test_cancel_and_replace_get_their_own_clordids(void **st) {
  (void)st;
  fx_t *f = fx_up();
  oms_venue_order_t o = limit_order(7);
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  assert_true(peer_read(f));
  peer_send(f, "35=8|37=V1|11=O7|17=E0|150=0|39=0|14=0|151=2|6=0|55=XBTUSD|54=1|38=2|44=100.5|");
  assert_int_equal(oms_venue_send_replace(f->v, 7, D("3"), D("101"), OMS_DEC_ZERO), 0);
  assert_true(peer_read(f));
  assert_got(f, "35=G|");
  assert_got(f, "41=O7|11=O7.1|37=V1|1=ACC9|100=XNAS|336=desk1|55=XBTUSD|54=1|");
  assert_got(f, "38=3|40=2|44=101|59=1|");
  peer_send(f,
            "35=8|37=V1|11=O7.1|41=O7|17=E1|150=5|39=0|14=0|151=3|6=0|55=XBTUSD|54=1|38=3|"
            "44=101|");
  assert_int_equal(f->rep[f->nrep - 1].type, OMS_EXEC_REPLACED);
  assert_true(oms_dec_eq(f->rep[f->nrep - 1].new_price, D("101")));
  assert_int_equal(oms_venue_send_cancel(f->v, 7), 0);
  assert_true(peer_read(f));
  assert_got(f, "35=F|");
  assert_got(f, "41=O7.1|11=O7.2|37=V1|");
  assert_got(f, "38=3|");
  /* The venue refuses the cancel: CANCEL_REJECTED of order 7; then a
   * refused replace is REPLACE_REJECTED. */
  peer_send(f, "35=9|37=V1|11=O7.2|41=O7.1|39=0|434=1|102=0|58=too late|");
  assert_int_equal(f->rep[f->nrep - 1].type, OMS_EXEC_CANCEL_REJECTED);
  assert_int_equal(f->rep[f->nrep - 1].order_id, 7);
  assert_int_equal(f->rep[f->nrep - 1].reason, OMS_R_TOO_LATE);
  assert_int_equal(oms_venue_send_replace(f->v, 7, D("4"), D("101"), OMS_DEC_ZERO), 0);
  assert_true(peer_read(f));
  assert_got(f, "41=O7.1|11=O7.3|");
  peer_send(f, "35=9|37=V1|11=O7.3|41=O7.1|39=0|434=2|102=1|");
  assert_int_equal(f->rep[f->nrep - 1].type, OMS_EXEC_REPLACE_REJECTED);
  assert_int_equal(f->rep[f->nrep - 1].reason, OMS_R_VENUE_UNKNOWN_ORDER);
  assert_int_equal(oms_venue_query_status(f->v, 7), 0);
  assert_true(peer_read(f));
  assert_got(f, "35=H|");
  assert_got(f, "11=O7.1|37=V1|790=S1|55=XBTUSD|54=1|");
  fx_free(f);
}

static void test_mass_status_asks_for_all_and_marks_the_last_answer(void **st) {
  (void)st;
  fx_t *f = fx_up();
  assert_non_null(f->v->vt->query_all);
  assert_int_equal(f->v->vt->query_all(f->v), 0);
  assert_true(peer_read(f));
  assert_got(f, "35=AF|");
  assert_got(f, "584=M1|585=7|");
  peer_send(f,
            "35=8|37=V1|11=O21|17=S1|150=I|39=0|14=0|151=1|6=0|55=XBTUSD|54=2|38=1|44=9|"
            "584=M1|911=2|");
  peer_send(f,
            "35=8|37=V2|11=O22|17=S2|150=I|39=2|14=1|151=0|6=9|55=XBTUSD|54=2|38=1|44=9|"
            "584=M1|911=2|912=Y|");
  assert_int_equal(f->nrep, 2);
  assert_false(f->rep[0].last_of_batch);
  assert_true(f->rep[1].last_of_batch);
  assert_int_equal(f->rep[1].status, OMS_VSTATUS_FILLED);
  /* The answer rebuilt the record of order 21 (an omsd restart): it can be
   * cancelled, with what the venue said about it. */
  assert_int_equal(oms_venue_send_cancel(f->v, 21), 0);
  assert_true(peer_read(f));
  assert_got(f, "41=O21|11=O21.1|37=V1|");
  assert_got(f, "55=XBTUSD|54=2|");
  /* A venue holding nothing answers one report with TotNumReports 0. */
  peer_send(f, "35=8|37=NONE|17=S3|150=I|39=8|14=0|151=0|6=0|55=NA|54=1|584=M2|911=0|");
  assert_int_equal(f->rep[f->nrep - 1].order_id, 0);
  assert_int_equal(f->rep[f->nrep - 1].status, OMS_VSTATUS_UNKNOWN);
  assert_true(f->rep[f->nrep - 1].last_of_batch);
  /* An unknown order answered to H: OrdRejReason 5. */
  peer_send(f, "35=8|37=NONE|11=O30|17=S4|150=I|39=8|103=5|14=0|151=0|6=0|55=A|54=1|");
  assert_int_equal(f->rep[f->nrep - 1].status, OMS_VSTATUS_UNKNOWN);
  assert_int_equal(f->rep[f->nrep - 1].order_id, 30);
  fx_free(f);
}

static void test_requests_while_down_answer_edown(void **st) {
  (void)st;
  fx_t *f = fx_new_with(0);
  oms_venue_order_t o = limit_order(1);
  assert_int_equal(oms_venue_send_new(f->v, &o), OMS_EDOWN);
  assert_int_equal(f->v->vt->query_all(f->v), OMS_EDOWN);
  assert_int_equal(oms_venue_send_cancel(f->v, 1), OMS_ENOTFOUND);
  fx_free(f);
}

static void test_reconnects_with_backoff_that_doubles_and_resets_after_logon(void **st) {
  (void)st;
  fx_t *f = fx_up();
  close(f->pfd);
  f->pfd = -1;
  pump(f);
  assert_false(oms_venue_is_connected(f->v));
  assert_int_equal(f->downs, 1);
  assert_int_equal(oms_fix_venue_fd(f->v), -1);
  /* Not before 1 s. */
  f->t += SEC / 2;
  pump(f);
  struct pollfd p = {.fd = f->lfd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 20), 0);
  f->t += SEC / 2;
  oms_venue_poll(f->v, f->t);
  assert_int_equal(poll(&p, 1, 1000), 1);
  /* Refused this time: the next try waits 2 s. */
  int fd = accept(f->lfd, NULL, NULL);
  pump(f);
  close(fd);
  pump(f);
  f->t += SEC;
  pump(f);
  assert_int_equal(poll(&p, 1, 20), 0);
  f->t += SEC;
  oms_venue_poll(f->v, f->t);
  assert_int_equal(poll(&p, 1, 1000), 1);
  f->pfd = accept_peer(f);
  f->blen = 0;
  assert_true(peer_read(f));
  assert_got(f, "35=A|");
  /* The numbers carried over the reconnects (in-memory store): the Logon
   * to the connection the venue closed took 2. */
  assert_got(f, "34=3|");
  f->peer_seq = 2;
  peer_send(f, "35=A|98=0|108=30|");
  assert_true(oms_venue_is_connected(f->v));
  assert_int_equal(f->ups, 2);
  /* After a Logon the ladder starts again at 1 s. */
  close(f->pfd);
  f->pfd = -1;
  pump(f);
  f->t += SEC;
  oms_venue_poll(f->v, f->t);
  assert_int_equal(poll(&p, 1, 1000), 1);
  fx_free(f);
}

static void test_resend_requests_both_ways(void **st) {
  (void)st;
  fx_t *f = fx_up();
  oms_venue_order_t o = limit_order(7);
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  assert_true(peer_read(f)); /* D at 2 */
  /* The venue asks for everything: our Logon is gap-filled, D resent. */
  peer_send(f, "35=2|7=1|16=0|");
  assert_true(peer_read(f));
  assert_got(f, "35=4|");
  assert_got(f, "34=1|43=Y|");
  assert_got(f, "123=Y|36=2|");
  assert_true(peer_read(f));
  assert_got(f, "35=D|");
  assert_got(f, "34=2|43=Y|");
  assert_got(f, "11=O7|");
  /* A gap from the venue: we ask, the resent report is processed once, a
   * PossDup of one already processed is dropped. */
  f->peer_seq = 5;
  peer_send(f, "35=8|37=V1|11=O7|17=E1|150=0|39=0|14=0|151=2|6=0|55=XBTUSD|54=1|");
  assert_true(peer_read(f));
  assert_got(f, "35=2|");
  assert_got(f, "7=3|16=0|");
  assert_int_equal(f->nrep, 0);
  char t[32];
  oms_fix_format_time(f->t, t);
  char body[512];
  f->peer_seq = 3;
  peer_send(f, "35=4|43=Y|123=Y|36=4|");
  snprintf(body, sizeof body,
           "35=8|43=Y|122=%s|37=V1|11=O7|17=E0|150=0|39=0|14=0|151=2|6=0|55=XBTUSD|54=1|", t);
  peer_send(f, body);
  snprintf(body, sizeof body,
           "35=8|43=Y|122=%s|37=V1|11=O7|17=E1|150=0|39=0|14=0|151=2|6=0|55=XBTUSD|54=1|", t);
  peer_send(f, body);
  assert_int_equal(f->nrep, 2);
  f->peer_seq = 5;
  peer_send(f, body); /* 5 again, PossDup: dropped */
  assert_int_equal(f->nrep, 2);
  fx_free(f);
}

static void test_stop_logs_out_and_does_not_reconnect(void **st) {
  (void)st;
  fx_t *f = fx_up();
  assert_int_equal(oms_fix_venue_stop(f->v), 0);
  assert_true(peer_read(f));
  assert_got(f, "35=5|");
  assert_got(f, "58=shutting down|");
  peer_send(f, "35=5|");
  pump(f);
  assert_false(oms_venue_is_connected(f->v));
  f->t += 60 * SEC;
  pump(f);
  struct pollfd p = {.fd = f->lfd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 20), 0);
  assert_int_equal(oms_fix_venue_stop(f->v), OMS_ESTATE);
  fx_free(f);
}

static void test_destroy_logs_out_when_logged_on(void **st) {
  (void)st;
  fx_t *f = fx_up();
  oms_venue_destroy(f->v);
  f->v = NULL;
  assert_true(peer_read(f));
  assert_got(f, "35=5|");
  fx_free(f);
}

static void test_schedule_opens_on_its_days_and_hours(void **st) {
  (void)st;
  oms_fix_schedule_t always = {0, 0, 0};
  assert_true(oms_fix_schedule_open(&always, T0));
  /* T0 is Thursday 2026-01-01 00:00 UTC. Mon-Fri 08:00-17:00. */
  oms_fix_schedule_t week = {.days = 0x3e, .start_s = 8 * 3600, .end_s = 17 * 3600};
  assert_false(oms_fix_schedule_open(&week, T0));
  assert_true(oms_fix_schedule_open(&week, T0 + 9 * 3600 * SEC));
  assert_false(oms_fix_schedule_open(&week, T0 + 17 * 3600 * SEC));
  assert_false(oms_fix_schedule_open(&week, T0 + (2 * 86400 + 9 * 3600) * SEC)); /* Saturday */
  /* Sunday 22:00 to Monday 21:00, across midnight: it belongs to Sunday. */
  oms_fix_schedule_t night = {.days = 0x01, .start_s = 22 * 3600, .end_s = 21 * 3600};
  int64_t sunday = T0 + 3 * 86400 * SEC;
  assert_true(oms_fix_schedule_open(&night, sunday + 23 * 3600 * SEC));
  assert_true(oms_fix_schedule_open(&night, sunday + 86400 * SEC + 3600 * SEC));
  assert_false(oms_fix_schedule_open(&night, sunday + 21 * 3600 * SEC));
  assert_false(oms_fix_schedule_open(&night, T0 + 23 * 3600 * SEC)); /* Thursday */
}

static void test_outside_the_schedule_it_does_not_connect_and_logs_out_at_the_end(void **st) {
  (void)st;
  fx_t *f = calloc(1, sizeof *f);
  fx_t *g = fx_new_with(0);   /* only for its listening socket */
  f->t = T0 + 7 * 3600 * SEC; /* Thursday 07:00 */
  f->lfd = g->lfd;
  f->port = g->port;
  f->pfd = -1;
  oms_fix_venue_config_t c = base_config(f);
  c.schedule = (oms_fix_schedule_t){.days = 0x3e, .start_s = 8 * 3600, .end_s = 17 * 3600};
  assert_int_equal(oms_fix_venue_create(&c, &f->v), 0);
  oms_venue_handler_t h = {.on_report = on_report, .on_connection = on_conn, .ctx = f};
  oms_venue_set_handler(f->v, &h);
  pump(f);
  struct pollfd p = {.fd = f->lfd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 20), 0);
  f->t += 3600 * SEC;
  logon(f, 1);
  f->t += 9 * 3600 * SEC; /* 17:00 */
  assert_true(peer_read(f));
  assert_got(f, "35=5|");
  assert_got(f, "58=end of session|");
  fx_free(f);
  oms_venue_destroy(g->v);
  free(g);
}

static uint64_t g_last_ticket, g_durable_ticket;
static uint64_t last_ticket(void *ctx) {
  (void)ctx;
  return g_last_ticket;
}
static uint64_t durable_ticket(void *ctx) {
  (void)ctx;
  return g_durable_ticket;
}

/* A message whose number is not yet durable waits, and so does everything
 * behind it; the store's durable ticket releases them in order. */
static void test_nothing_leaves_before_its_store_ticket_is_durable(void **st) {
  (void)st;
  fx_t *f = calloc(1, sizeof *f);
  fx_t *g = fx_new_with(0);
  f->t = T0;
  f->lfd = g->lfd;
  f->port = g->port;
  f->pfd = -1;
  oms_fix_venue_config_t c = base_config(f);
  c.last_ticket = last_ticket;
  c.durable_ticket = durable_ticket;
  g_last_ticket = 1;
  g_durable_ticket = 1;
  assert_int_equal(oms_fix_venue_create(&c, &f->v), 0);
  oms_venue_handler_t h = {.on_report = on_report, .on_connection = on_conn, .ctx = f};
  oms_venue_set_handler(f->v, &h);
  logon(f, 1);
  g_last_ticket = 5; /* the order's number and content: not durable yet */
  oms_venue_order_t o = limit_order(7);
  assert_int_equal(oms_venue_send_new(f->v, &o), 0);
  g_last_ticket = 6;
  assert_int_equal(oms_venue_send_cancel(f->v, 7), 0);
  pump(f);
  struct pollfd p = {.fd = f->pfd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 20), 0);
  g_durable_ticket = 5;
  assert_true(peer_read(f));
  assert_got(f, "35=D|");
  pump(f);
  assert_int_equal(poll(&p, 1, 20), 0);
  g_durable_ticket = 6;
  assert_true(peer_read(f));
  assert_got(f, "35=F|");
  fx_free(f);
  oms_venue_destroy(g->v);
  free(g);
}

static int g_opened, g_closed, g_fd;
static void on_socket(void *ctx, int old_fd, int new_fd) {
  (void)ctx;
  if (new_fd >= 0) {
    g_opened++;
    g_fd = new_fd;
  }
  if (old_fd >= 0) {
    assert_int_equal(old_fd, g_fd);
    g_closed++;
  }
}

/* A loop watching the connector's socket is told of each one. */
static void test_the_socket_is_announced_when_opened_and_before_it_closes(void **st) {
  (void)st;
  fx_t *f = calloc(1, sizeof *f);
  fx_t *g = fx_new_with(0);
  f->t = T0;
  f->lfd = g->lfd;
  f->port = g->port;
  f->pfd = -1;
  oms_fix_venue_config_t c = base_config(f);
  c.on_socket = on_socket;
  g_opened = g_closed = 0;
  assert_int_equal(oms_fix_venue_create(&c, &f->v), 0);
  oms_venue_handler_t h = {.on_report = on_report, .on_connection = on_conn, .ctx = f};
  oms_venue_set_handler(f->v, &h);
  logon(f, 1);
  assert_int_equal(g_opened, 1);
  assert_int_equal(oms_fix_venue_fd(f->v), g_fd);
  close(f->pfd);
  f->pfd = -1;
  pump(f);
  assert_int_equal(g_closed, 1);
  f->t += SEC;
  oms_venue_poll(f->v, f->t);
  assert_int_equal(g_opened, 2);
  fx_free(f); /* destroy does not announce */
  assert_int_equal(g_closed, 1);
  oms_venue_destroy(g->v);
  free(g);
}

static oms_market_data_t g_md;
static int g_nmd;
static void on_md(void *ctx, const oms_market_data_t *md) {
  (void)ctx;
  g_md = *md;
  g_nmd++;
}

/* With market data on, every Logon subscribes to each symbol; the venue's
 * snapshots reach the engine under our symbol. */
static void test_market_data_is_subscribed_at_logon_and_snapshots_delivered(void **st) {
  (void)st;
  fx_t *f = calloc(1, sizeof *f);
  fx_t *g = fx_new_with(0);
  f->t = T0;
  f->lfd = g->lfd;
  f->port = g->port;
  f->pfd = -1;
  oms_fix_venue_config_t c = base_config(f);
  static const char *const md_syms[] = {"BTC-USD", "ETH-USD"};
  c.market_data = true;
  c.md_symbols = md_syms;
  c.n_md_symbols = 2;
  assert_int_equal(oms_fix_venue_create(&c, &f->v), 0);
  oms_venue_handler_t h = {
      .on_report = on_report, .on_market_data = on_md, .on_connection = on_conn, .ctx = f};
  oms_venue_set_handler(f->v, &h);
  logon(f, 1);
  assert_true(peer_read(f));
  assert_got(f, "35=V|");
  assert_got(f, "262=MD-BTC-USD|263=1|264=10|265=0|267=3|269=0|269=1|269=2|146=1|55=XBTUSD|");
  assert_true(peer_read(f));
  assert_got(f, "262=MD-ETH-USD|");
  assert_got(f, "55=ETH-USD|");
  g_nmd = 0;
  peer_send(f,
            "35=W|55=XBTUSD|268=4|269=0|270=99.5|271=2|269=0|270=99|271=7|269=1|270=100.5|"
            "271=3|269=2|270=100|271=1|");
  assert_int_equal(g_nmd, 1);
  assert_string_equal(g_md.symbol, "BTC-USD");
  assert_true(oms_dec_eq(g_md.bid, D("99.5")));
  assert_true(oms_dec_eq(g_md.bid_qty, D("2")));
  assert_true(oms_dec_eq(g_md.ask, D("100.5")));
  assert_true(oms_dec_eq(g_md.ask_qty, D("3")));
  assert_true(oms_dec_eq(g_md.last_px, D("100")));
  /* A symbol we did not ask for changes nothing. */
  peer_send(f, "35=W|55=DOGE|268=1|269=0|270=1|271=1|");
  assert_int_equal(g_nmd, 1);
  fx_free(f);
  oms_venue_destroy(g->v);
  free(g);
}

/* A snapshot with several levels a side, in any order: sorted by price,
 * equal prices summed, the best OMS_MD_DEPTH kept; a malformed one is
 * refused whole with its reason, counted, and delivers nothing. */
static void test_market_data_snapshot_levels_and_malformed_ones(void **st) {
  (void)st;
  fx_t *f = calloc(1, sizeof *f);
  fx_t *g = fx_new_with(0);
  f->t = T0;
  f->lfd = g->lfd;
  f->port = g->port;
  f->pfd = -1;
  oms_fix_venue_config_t c = base_config(f);
  static const char *const md_syms[] = {"BTC-USD"};
  c.market_data = true;
  c.md_symbols = md_syms;
  c.n_md_symbols = 1;
  assert_int_equal(oms_fix_venue_create(&c, &f->v), 0);
  oms_venue_handler_t h = {
      .on_report = on_report, .on_market_data = on_md, .on_connection = on_conn, .ctx = f};
  oms_venue_set_handler(f->v, &h);
  logon(f, 1);
  assert_true(peer_read(f));
  g_nmd = 0;
  peer_send(f,
            "35=W|55=XBTUSD|268=8|269=1|270=100.5|271=3|269=0|270=99|271=7|269=0|270=99.5|271=2|"
            "269=1|270=101|271=1|269=0|270=99|271=1|269=2|270=100|271=1|269=1|270=100.6|271=4|"
            "269=B|270=1|271=1|");
  assert_int_equal(g_nmd, 1);
  assert_true(oms_dec_eq(g_md.bid, D("99.5")));
  assert_true(oms_dec_eq(g_md.bid_qty, D("2")));
  assert_int_equal(g_md.n_bid_depth, 1);
  assert_true(oms_dec_eq(g_md.bid_depth[0].px, D("99")));
  assert_true(oms_dec_eq(g_md.bid_depth[0].qty, D("8"))); /* 7 + 1 */
  assert_true(oms_dec_eq(g_md.ask, D("100.5")));
  assert_int_equal(g_md.n_ask_depth, 2);
  assert_true(oms_dec_eq(g_md.ask_depth[0].px, D("100.6")));
  assert_true(oms_dec_eq(g_md.ask_depth[1].px, D("101")));
  assert_true(oms_dec_eq(g_md.last_px, D("100")));
  /* more levels than kept: the best OMS_MD_DEPTH, whatever the order */
  char msg[2048];
  int n = snprintf(msg, sizeof msg, "35=W|55=XBTUSD|268=%d|", OMS_MD_DEPTH + 3);
  for (int i = OMS_MD_DEPTH + 3; i > 0; i--)
    n += snprintf(msg + n, sizeof msg - (size_t)n, "269=1|270=%d|271=1|", 200 + i);
  peer_send(f, msg);
  assert_int_equal(g_nmd, 2);
  assert_int_equal(oms_md_levels(&g_md, OMS_SIDE_SELL), OMS_MD_DEPTH);
  assert_true(oms_dec_eq(g_md.ask, D("201")));
  assert_true(oms_dec_eq(oms_md_level(&g_md, OMS_SIDE_SELL, OMS_MD_DEPTH - 1).px,
                         oms_dec_from_raw(D("200").raw + OMS_MD_DEPTH * D("1").raw)));
  assert_int_equal(oms_md_levels(&g_md, OMS_SIDE_BUY), 0);
  /* a zero size shows no level; an empty book is a snapshot too */
  peer_send(f, "35=W|55=XBTUSD|268=1|269=0|270=99|271=0|");
  assert_int_equal(g_nmd, 3);
  assert_int_equal(oms_md_levels(&g_md, OMS_SIDE_BUY), 0);
  /* malformed for FIX 4.4 itself: the session refuses them (Reject 3,
   * with SessionRejectReason) before the connector reads them */
  static const char *const bad_fix[] = {
      "35=W|55=XBTUSD|268=3|269=0|270=99|271=1|269=1|270=100|271=1|", /* count */
      "35=W|55=XBTUSD|268=1|269=0|270=9x9|271=1|",                    /* price */
      "35=W|55=XBTUSD|268=1|269=1|270=100|271=abc|",                  /* size */
      "35=W|55=XBTUSD|269=0|270=99|271=1|",                           /* no 268 */
  };
  for (size_t i = 0; i < sizeof bad_fix / sizeof bad_fix[0]; i++) {
    peer_send(f, bad_fix[i]);
    assert_true(peer_read(f));
    assert_got(f, "35=3|");
  }
  /* well formed FIX, but no book: the connector refuses them whole */
  static const char *const bad_book[] = {
      "35=W|55=XBTUSD|268=2|269=0|270=99|271=1|269=0|271=1|", /* no price */
      "35=W|55=XBTUSD|268=1|269=1|270=100|271=-1|",           /* negative size */
      "35=W|55=XBTUSD|268=1|269=0|270=-5|271=1|",             /* price <= 0 */
  };
  for (size_t i = 0; i < sizeof bad_book / sizeof bad_book[0]; i++) peer_send(f, bad_book[i]);
  assert_int_equal(g_nmd, 3);
  oms_fix_venue_stats_t stv;
  oms_fix_venue_stats(f->v, &stv);
  assert_int_equal(stv.bad_market_data, sizeof bad_book / sizeof bad_book[0]);
  fx_free(f);
  oms_venue_destroy(g->v);
  free(g);
}

/* Reads what the connector sent until a message containing needle; 0 if
 * none came. */
static int peer_read_until(fx_t *f, const char *needle) {
  while (peer_read(f))
    if (strstr(f->got, needle)) return 1;
  return 0;
}

/* With md_incremental: subscribed with MDUpdateType 1; each book from its
 * snapshot, every X applied and the changed books delivered; an X that
 * cannot apply, a resent one and one the session refuses make books
 * untrusted: delivered empty, counted, the snapshot asked for again
 * (unsubscribe, subscribe), at most once a second a book. */
static void test_incremental_market_data(void **st) {
  (void)st;
  fx_t *f = calloc(1, sizeof *f);
  fx_t *g = fx_new_with(0);
  f->t = T0;
  f->lfd = g->lfd;
  f->port = g->port;
  f->pfd = -1;
  oms_fix_venue_config_t c = base_config(f);
  static const char *const md_syms[] = {"BTC-USD", "ETH-USD"};
  c.market_data = true;
  c.md_incremental = true;
  c.md_symbols = md_syms;
  c.n_md_symbols = 2;
  assert_int_equal(oms_fix_venue_create(&c, &f->v), 0);
  oms_venue_handler_t h = {
      .on_report = on_report, .on_market_data = on_md, .on_connection = on_conn, .ctx = f};
  oms_venue_set_handler(f->v, &h);
  logon(f, 1);
  assert_true(peer_read(f));
  assert_got(f, "262=MD-BTC-USD|263=1|264=10|265=1|");
  assert_true(peer_read(f));
  assert_got(f, "262=MD-ETH-USD|263=1|264=10|265=1|");
  g_nmd = 0;
  /* before its snapshot a book takes no update */
  peer_send(f, "35=X|268=1|279=0|269=0|55=XBTUSD|270=99|271=1|");
  assert_int_equal(g_nmd, 0);
  peer_send(f, "35=W|55=XBTUSD|268=2|269=0|270=99|271=1|269=1|270=101|271=2|");
  assert_int_equal(g_nmd, 1);
  peer_send(f, "35=W|55=ETH-USD|268=1|269=0|270=10|271=1|");
  assert_int_equal(g_nmd, 2);
  /* one X, both symbols: each book delivered once */
  peer_send(f,
            "35=X|268=3|279=0|269=0|55=XBTUSD|270=99.5|271=3|279=1|269=1|270=101|271=5|"
            "279=1|269=0|55=ETH-USD|270=10|271=4|");
  assert_int_equal(g_nmd, 4);
  assert_string_equal(g_md.symbol, "ETH-USD");
  assert_true(oms_dec_eq(g_md.bid_qty, D("4")));
  peer_send(f, "35=X|268=1|279=0|269=2|55=XBTUSD|270=100|271=1|");
  assert_int_equal(g_nmd, 5);
  assert_string_equal(g_md.symbol, "BTC-USD");
  assert_true(oms_dec_eq(g_md.bid, D("99.5")));
  assert_true(oms_dec_eq(g_md.bid_qty, D("3")));
  assert_int_equal(g_md.n_bid_depth, 1);
  assert_true(oms_dec_eq(g_md.ask_qty, D("5")));
  assert_true(oms_dec_eq(g_md.last_px, D("100")));
  /* a delete of a level the book has not: untrusted, empty, asked again */
  peer_send(f, "35=X|268=1|279=2|269=0|55=XBTUSD|270=98|");
  assert_int_equal(g_nmd, 6);
  assert_string_equal(g_md.symbol, "BTC-USD");
  assert_int_equal(oms_md_levels(&g_md, OMS_SIDE_BUY) + oms_md_levels(&g_md, OMS_SIDE_SELL), 0);
  assert_true(oms_dec_is_zero(g_md.last_px));
  assert_true(peer_read(f));
  assert_got(f, "262=MD-BTC-USD|263=2|");
  assert_true(peer_read(f));
  assert_got(f, "262=MD-BTC-USD|263=1|264=10|265=1|");
  peer_send(f, "35=X|268=1|279=0|269=0|55=XBTUSD|270=99|271=1|"); /* skipped */
  assert_int_equal(g_nmd, 6);
  peer_send(f, "35=W|55=XBTUSD|268=1|269=0|270=98|271=1|");
  assert_int_equal(g_nmd, 7);
  assert_true(oms_dec_eq(g_md.bid, D("98")));
  oms_fix_venue_stats_t stv;
  oms_fix_venue_stats(f->v, &stv);
  assert_int_equal(stv.md_updates, 2);
  assert_int_equal(stv.md_stale, 1);
  assert_int_equal(stv.md_resnapshots, 1);
  /* a resent X: untrusted; asked again only a second after the last time */
  char msg[512], ts[32];
  oms_fix_format_time(f->t - 1000000, ts);
  snprintf(msg, sizeof msg, "35=X|43=Y|122=%s|268=1|279=1|269=0|55=XBTUSD|270=98|271=2|", ts);
  peer_send(f, msg);
  assert_int_equal(g_nmd, 8);
  assert_int_equal(oms_md_levels(&g_md, OMS_SIDE_BUY), 0);
  oms_fix_venue_stats(f->v, &stv);
  assert_int_equal(stv.md_stale, 2);
  assert_int_equal(stv.md_resnapshots, 1);
  f->t += 2 * INT64_C(1000000000);
  assert_true(peer_read_until(f, "262=MD-BTC-USD|263=2|"));
  assert_true(peer_read(f));
  assert_got(f, "262=MD-BTC-USD|263=1|");
  peer_send(f, "35=W|55=XBTUSD|268=1|269=0|270=98|271=1|");
  assert_int_equal(g_nmd, 9);
  /* refused by the session (NoMDEntries wrong): every book untrusted */
  peer_send(f, "35=X|268=3|279=0|269=0|55=XBTUSD|270=97|271=1|");
  assert_int_equal(g_nmd, 11);
  oms_fix_venue_stats(f->v, &stv);
  assert_int_equal(stv.md_stale, 4);
  assert_true(peer_read_until(f, "262=MD-ETH-USD|263=1|")); /* told before the Reject leaves */
  assert_true(peer_read_until(f, "35=3|"));
  /* well formed FIX, but not for us (no symbol): every book untrusted */
  f->t += 2 * INT64_C(1000000000);
  assert_true(peer_read_until(f, "262=MD-BTC-USD|263=1|"));
  peer_send(f, "35=W|55=XBTUSD|268=1|269=0|270=98|271=1|");
  peer_send(f, "35=W|55=ETH-USD|268=1|269=0|270=10|271=1|");
  assert_int_equal(g_nmd, 13);
  peer_send(f, "35=X|268=1|279=0|269=0|270=97|271=1|");
  assert_int_equal(g_nmd, 15);
  oms_fix_venue_stats(f->v, &stv);
  assert_int_equal(stv.md_stale, 6);
  assert_int_equal(stv.bad_market_data, 1);
  /* a refused snapshot leaves its book untrusted */
  f->t += 2 * INT64_C(1000000000);
  assert_true(peer_read_until(f, "262=MD-BTC-USD|263=1|"));
  peer_send(f, "35=W|55=XBTUSD|268=1|269=0|270=-1|271=1|");
  oms_fix_venue_stats(f->v, &stv);
  assert_int_equal(stv.bad_market_data, 2);
  assert_int_equal(stv.md_stale, 7);
  fx_free(f);
  oms_venue_destroy(g->v);
  free(g);
}

/* The reader alone (src/venue/fix_md.h), on what the session would have
 * refused already: each malformed group refused with a reason naming the
 * tag, nothing half read. body: "tag=value|..." after 35=W. */
static int md_read(const char *body, oms_market_data_t *md, const char **why) {
  static char buf[2048], fields[1024];
  oms_fix_builder_t b;
  oms_fix_builder_begin(&b, buf, sizeof buf, "W");
  snprintf(fields, sizeof fields, "%s", body);
  for (char *f = strtok(fields, "|"); f != NULL; f = strtok(NULL, "|")) {
    char *eq = strchr(f, '=');
    assert_non_null(eq);
    *eq = '\0';
    oms_fix_add_cstr(&b, (uint32_t)atoi(f), eq + 1);
  }
  size_t len, used;
  assert_int_equal(oms_fix_builder_finish(&b, &len), 0);
  static oms_fix_msg_t m;
  oms_fix_limits_t lim = {.max_msg_len = sizeof buf, .max_fields = 0};
  assert_int_equal(oms_fix_parse(buf, len, &lim, &m, &used, NULL), 0);
  memset(md, 0, sizeof *md);
  *why = NULL;
  return oms__fix_md_read(&m, md, why);
}

static void test_md_reader_refuses_malformed_groups(void **st) {
  (void)st;
  oms_market_data_t md;
  const char *why;
  assert_int_equal(md_read("268=2|269=0|270=99|271=1|269=5|270=1|", &md, &why), 0);
  assert_true(oms_dec_eq(md.bid, D("99")));
  static const struct {
    const char *body, *why;
  } bad[] = {
      {"268=3|269=0|270=99|271=1|", "NoMDEntries(268) is not the number of entries"},
      {"269=0|270=99|271=1|", "no readable NoMDEntries(268)"},
      {"268=x|269=0|270=99|271=1|", "no readable NoMDEntries(268)"},
      {"268=1|270=99|269=0|271=1|", "MDEntryPx(270) or MDEntrySize(271) before any"},
      {"268=1|269=0|270=9x|271=1|", "unreadable MDEntryPx(270)"},
      {"268=1|269=0|270=99|271=1y|", "unreadable MDEntrySize(271)"},
      {"268=1|269=2|271=1|", "an entry has no MDEntryPx(270)"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(md_read(bad[i].body, &md, &why), OMS_EPROTO);
    assert_non_null(why);
    if (strncmp(why, bad[i].why, strlen(bad[i].why)) != 0)
      fail_msg("%s: got \"%s\", want \"%s\"", bad[i].body, why, bad[i].why);
  }
}

static void test_a_venue_without_mass_status_has_no_query_all(void **st) {
  (void)st;
  fx_t f = {.port = 9879};
  oms_fix_venue_config_t c = base_config(&f);
  c.mass_status = false;
  c.symbols = NULL;
  c.nsymbols = 0;
  oms_venue_t *v;
  assert_int_equal(oms_fix_venue_create(&c, &v), 0);
  assert_null(v->vt->query_all);
  assert_non_null(v->vt->query_status);
  assert_int_equal(oms_fix_venue_fd(v), -1);
  oms_venue_destroy(v);
}

static void test_bad_configurations_are_refused(void **st) {
  (void)st;
  fx_t f = {.port = 9879};
  oms_venue_t *v = (oms_venue_t *)1;
  oms_fix_venue_config_t c = base_config(&f);
  c.host = "localhost";
  assert_int_equal(oms_fix_venue_create(&c, &v), OMS_EINVAL);
  assert_null(v);
  c = base_config(&f);
  c.port = 0;
  assert_int_equal(oms_fix_venue_create(&c, &v), OMS_EINVAL);
  c = base_config(&f);
  c.target_comp_id = NULL;
  assert_int_equal(oms_fix_venue_create(&c, &v), OMS_EINVAL);
  c = base_config(&f);
  c.cl_ord_id_prefix = "O1";
  assert_int_equal(oms_fix_venue_create(&c, &v), OMS_EINVAL);
  c = base_config(&f);
  c.schedule.end_s = 86400;
  assert_int_equal(oms_fix_venue_create(&c, &v), OMS_EINVAL);
  assert_int_equal(oms_fix_venue_create(NULL, &v), OMS_EINVAL);
  assert_int_equal(oms_fix_venue_create(&c, NULL), OMS_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_logon_carries_credentials_and_the_venue_answer_opens_the_session),
      cmocka_unit_test(test_reset_on_logon_sends_141_and_starts_at_one),
      cmocka_unit_test(test_new_order_goes_out_in_the_venue_dialect),
      cmocka_unit_test(test_an_order_the_venue_cannot_take_is_refused_before_it_leaves),
      cmocka_unit_test(test_native_types_go_out_in_their_fix_fields),
      cmocka_unit_test(test_every_exec_type_maps_to_its_report),
      cmocka_unit_test(test_fills_cancel_and_reject_of_the_fix_4_4_kinds),
      cmocka_unit_test(test_a_report_for_an_order_we_cannot_name_keeps_the_venue_clordid),
      cmocka_unit_test(test_cancel_and_replace_get_their_own_clordids),
      cmocka_unit_test(test_mass_status_asks_for_all_and_marks_the_last_answer),
      cmocka_unit_test(test_requests_while_down_answer_edown),
      cmocka_unit_test(test_reconnects_with_backoff_that_doubles_and_resets_after_logon),
      cmocka_unit_test(test_resend_requests_both_ways),
      cmocka_unit_test(test_stop_logs_out_and_does_not_reconnect),
      cmocka_unit_test(test_destroy_logs_out_when_logged_on),
      cmocka_unit_test(test_schedule_opens_on_its_days_and_hours),
      cmocka_unit_test(test_outside_the_schedule_it_does_not_connect_and_logs_out_at_the_end),
      cmocka_unit_test(test_nothing_leaves_before_its_store_ticket_is_durable),
      cmocka_unit_test(test_a_venue_without_mass_status_has_no_query_all),
      cmocka_unit_test(test_market_data_is_subscribed_at_logon_and_snapshots_delivered),
      cmocka_unit_test(test_market_data_snapshot_levels_and_malformed_ones),
      cmocka_unit_test(test_incremental_market_data),
      cmocka_unit_test(test_md_reader_refuses_malformed_groups),
      cmocka_unit_test(test_the_socket_is_announced_when_opened_and_before_it_closes),
      cmocka_unit_test(test_bad_configurations_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
