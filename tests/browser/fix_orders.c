/*
 * fix_orders.c - a line-driven FIX 4.4 client for the browser test.
 *
 * The blotter test (blotter.test.js, Node) needs orders placed over FIX and
 * needs to see what a FIX client is told. This program is that client, built
 * on liboms' own codec (builder and parser over a real socket) so that it is
 * available in every build, sanitizers included. It logs on, then:
 *   - reads commands from stdin, one a line:
 *       NEW <ClOrdID> <symbol> <BUY|SELL> <qty> <price>     a DAY limit order
 *       QUIT                                                Logout and exit
 *   - prints every message it receives, one a line, as
 *       <MsgType> tag=value|tag=value|...
 *     (header and trailer but MsgType left out), "LOGON" once logged on and
 *     "CLOSED" when the connection ends. stdout is flushed after each line.
 * It answers TestRequests and sends a Heartbeat when it has been quiet for
 * the heartbeat interval. It keeps no state to resend: a ResendRequest is
 * answered with a gap fill.
 *
 * usage: fix_orders PORT SENDER_COMP_ID PASSWORD
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "oms/error.h"
#include "oms/fix.h"
#include "oms/fix_tags.h"

#define HEARTBEAT_S 30

static const char *g_comp;
static int g_fd = -1;
static int64_t g_out_seq = 1;
static int64_t g_last_sent_ms;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef void (*body_fn)(oms_fix_builder_t *b, const void *arg);

static int send_seq(const char *type, int64_t seq, int poss_dup, body_fn body, const void *arg) {
  char buf[2048];
  oms_fix_builder_t b;
  int64_t t = now_ns();
  oms_fix_header_t h = {.msg_type = type,
                        .sender_comp_id = g_comp,
                        .target_comp_id = "OMS",
                        .msg_seq_num = seq,
                        .sending_time_ns = t,
                        .poss_dup = poss_dup,
                        .orig_sending_time_ns = poss_dup ? t : 0};
  oms_fix_builder_begin_header(&b, buf, sizeof buf, &h);
  if (body) body(&b, arg);
  size_t len;
  if (oms_fix_builder_finish(&b, &len) != 0) return -1;
  g_last_sent_ms = mono_ms();
  return send(g_fd, buf, len, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int send_msg(const char *type, body_fn body, const void *arg) {
  return send_seq(type, g_out_seq++, 0, body, arg);
}

static void logon_body(oms_fix_builder_t *b, const void *arg) {
  oms_fix_add_int(b, OMS_FIX_TAG_EncryptMethod, 0);
  oms_fix_add_int(b, OMS_FIX_TAG_HeartBtInt, HEARTBEAT_S);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Password, arg);
}

static void test_reply_body(oms_fix_builder_t *b, const void *arg) {
  oms_fix_add_str(b, OMS_FIX_TAG_TestReqID, *(const oms_fix_str_t *)arg);
}

static void gap_fill_body(oms_fix_builder_t *b, const void *arg) {
  oms_fix_add_char(b, OMS_FIX_TAG_GapFillFlag, 'Y');
  oms_fix_add_int(b, OMS_FIX_TAG_NewSeqNo, *(const int64_t *)arg);
}

typedef struct order_s {
  char clordid[64], symbol[32], qty[32], px[32];
  char side;
} order_t;

static void order_body(oms_fix_builder_t *b, const void *arg) {
  const order_t *o = arg;
  oms_fix_add_cstr(b, OMS_FIX_TAG_ClOrdID, o->clordid);
  oms_fix_add_cstr(b, OMS_FIX_TAG_Symbol, o->symbol);
  oms_fix_add_char(b, OMS_FIX_TAG_Side, o->side);
  oms_fix_add_time(b, OMS_FIX_TAG_TransactTime, now_ns());
  oms_fix_add_cstr(b, OMS_FIX_TAG_OrderQty, o->qty);
  oms_fix_add_char(b, OMS_FIX_TAG_OrdType, '2');
  oms_fix_add_cstr(b, OMS_FIX_TAG_Price, o->px);
  oms_fix_add_char(b, OMS_FIX_TAG_TimeInForce, '0');
}

/* One line of stdout per message; the framing fields are left out. */
static void print_msg(const oms_fix_msg_t *m) {
  printf("%.*s ", (int)m->msg_type.len, m->msg_type.ptr);
  int first = 1;
  for (size_t i = 0; i < m->nfields; i++) {
    uint32_t tag = m->fields[i].tag;
    if (tag == OMS_FIX_TAG_BeginString || tag == OMS_FIX_TAG_BodyLength ||
        tag == OMS_FIX_TAG_MsgType || tag == OMS_FIX_TAG_CheckSum)
      continue;
    oms_fix_str_t v = oms_fix_msg_value(m, i);
    printf("%s%u=%.*s", first ? "" : "|", (unsigned)tag, (int)v.len, v.ptr);
    first = 0;
  }
  printf("\n");
  fflush(stdout);
}

static void on_msg(const oms_fix_msg_t *m) {
  print_msg(m);
  if (oms_fix_msg_is(m, OMS_FIX_MSG_Logon)) {
    printf("LOGON\n");
    fflush(stdout);
  } else if (oms_fix_msg_is(m, OMS_FIX_MSG_TestRequest)) {
    oms_fix_str_t id;
    if (oms_fix_msg_get_str(m, OMS_FIX_TAG_TestReqID, &id) == 0)
      send_msg(OMS_FIX_MSG_Heartbeat, test_reply_body, &id);
  } else if (oms_fix_msg_is(m, OMS_FIX_MSG_ResendRequest)) {
    int64_t begin = 0;
    oms_fix_msg_get_int(m, OMS_FIX_TAG_BeginSeqNo, &begin);
    if (begin > 0 && begin < g_out_seq)
      send_seq(OMS_FIX_MSG_SequenceReset, begin, 1, gap_fill_body, &g_out_seq);
  }
}

static int parse_side(const char *s, char *out) {
  if (strcmp(s, "BUY") == 0)
    *out = '1';
  else if (strcmp(s, "SELL") == 0)
    *out = '2';
  else
    return -1;
  return 0;
}

/* One command line; returns 1 to quit. */
static int command(char *line) {
  order_t o = {0};
  char side[16];
  line[strcspn(line, "\r\n")] = '\0';
  if (strcmp(line, "QUIT") == 0) {
    send_msg(OMS_FIX_MSG_Logout, NULL, NULL);
    return 1;
  }
  if (sscanf(line, "NEW %63s %31s %15s %31s %31s", o.clordid, o.symbol, side, o.qty, o.px) == 5 &&
      parse_side(side, &o.side) == 0) {
    if (send_msg(OMS_FIX_MSG_NewOrderSingle, order_body, &o) != 0) printf("ERROR send failed\n");
  } else {
    printf("ERROR bad command: %s\n", line);
  }
  fflush(stdout);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: fix_orders PORT SENDER_COMP_ID PASSWORD\n");
    return 2;
  }
  g_comp = argv[2];
  g_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (g_fd < 0 || connect(g_fd, (struct sockaddr *)&a, sizeof a) != 0) {
    printf("ERROR connect to 127.0.0.1:%s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  int one = 1;
  setsockopt(g_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (send_msg(OMS_FIX_MSG_Logon, logon_body, argv[3]) != 0) return 1;

  static char rbuf[1 << 20];
  static char lbuf[4096];
  size_t rlen = 0, llen = 0;
  static oms_fix_msg_t m;
  int stdin_open = 1;
  for (;;) {
    struct pollfd p[2] = {{.fd = g_fd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
    int n = poll(p, stdin_open ? 2 : 1, 1000);
    if (n < 0 && errno != EINTR) break;
    if (mono_ms() - g_last_sent_ms >= HEARTBEAT_S * 1000)
      send_msg(OMS_FIX_MSG_Heartbeat, NULL, NULL);
    if (n <= 0) continue;
    if (p[0].revents) {
      ssize_t r = recv(g_fd, rbuf + rlen, sizeof rbuf - rlen, 0);
      if (r <= 0) break;
      rlen += (size_t)r;
      size_t off = 0;
      for (;;) {
        size_t used = 0;
        int rc = oms_fix_parse(rbuf + off, rlen - off, NULL, &m, &used, NULL);
        if (rc == OMS_EAGAIN) break;
        if (rc == 0) on_msg(&m);
        if (used == 0) break;
        off += used;
      }
      memmove(rbuf, rbuf + off, rlen - off);
      rlen -= off;
    }
    if (stdin_open && p[1].revents) {
      ssize_t r = read(0, lbuf + llen, sizeof lbuf - 1 - llen);
      if (r <= 0) {
        stdin_open = 0;
        continue;
      }
      llen += (size_t)r;
      char *nl;
      while ((nl = memchr(lbuf, '\n', llen)) != NULL) {
        *nl = '\0';
        if (command(lbuf)) goto done;
        size_t used = (size_t)(nl - lbuf) + 1;
        memmove(lbuf, lbuf + used, llen - used);
        llen -= used;
      }
      if (llen == sizeof lbuf - 1) llen = 0; /* a line too long: dropped */
    }
  }
done:
  printf("CLOSED\n");
  fflush(stdout);
  close(g_fd);
  return 0;
}
