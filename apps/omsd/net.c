/*
 * net.c - the FIX listener and the client connections.
 *
 * HOW IT WORKS
 * The gateway never touches a socket: this file hands it the bytes a
 * connection receives (oms_gateway_conn_data) and implements its I/O
 * callbacks (send, close, log). Connections live in a table of
 * capacity.connections slots allocated at start; a connection's id is
 * (sequence << 16) | slot, so the gateway's id finds the slot in one step
 * and an id is never reused.
 *
 * Sending. A send goes straight to the socket while nothing is queued.
 * What the socket does not take goes into the connection's output ring (a
 * power of two of at least capacity.output_kib KiB, allocated the first
 * time it is needed): head and tail count bytes, so queueing is one or two
 * memcpy and a partial send only moves head. While the ring holds bytes the
 * connection also watches EPOLLOUT. A client that lets its ring fill is a
 * slow consumer: the send fails with OMS_EFULL and the gateway closes it.
 *
 * Every failed system call is logged with its name, the connection or
 * address, and errno.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "omsd.h"

#define SLOT_BITS 16
#define RECV_CHUNK 65536

static void conn_object(const omsd_conn_t *c, char *buf, size_t cap) {
  snprintf(buf, cap, "conn=%llu", (unsigned long long)c->id);
}

static void log_conn_sys(oms_log_level_t lvl, const char *call, const omsd_conn_t *c, int err) {
  char obj[48];
  conn_object(c, obj, sizeof obj);
  omsd_log_sys(lvl, call, obj, err);
}

static void close_fd(int fd, const char *object) {
  if (close(fd) != 0) omsd_log_sys(OMS_LOG_WARN, "close", object, errno);
}

static omsd_conn_t *conn_by_id(omsd_t *d, uint64_t id) {
  uint32_t slot = (uint32_t)(id & ((1u << SLOT_BITS) - 1));
  if (slot >= d->nconns) return NULL;
  omsd_conn_t *c = &d->conns[slot];
  return c->w.fd >= 0 && c->id == id ? c : NULL;
}

static uint64_t out_len(const omsd_conn_t *c) { return c->out_tail - c->out_head; }

static void conn_free(omsd_t *d, omsd_conn_t *c, const char *why) {
  if (c->w.fd < 0) return;
  LOG_INFO("msg=\"connection closed\" conn=%llu reason=\"%s\"", (unsigned long long)c->id, why);
  int fd = c->w.fd;
  omsd_watch_del(d, &c->w);
  char obj[48];
  conn_object(c, obj, sizeof obj);
  close_fd(fd, obj);
  free(c->out);
  c->out = NULL;
  c->out_head = c->out_tail = 0;
  oms_gateway_conn_closed(d->gw, c->id);
}

/* Sends what the ring holds; returns -1 when the connection failed. */
static int conn_flush(omsd_t *d, omsd_conn_t *c) {
  uint64_t mask = d->out_cap - 1;
  while (out_len(c) > 0) {
    uint64_t pos = c->out_head & mask, chunk = d->out_cap - pos;
    if (chunk > out_len(c)) chunk = out_len(c);
    ssize_t n = send(c->w.fd, c->out + pos, (size_t)chunk, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      log_conn_sys(OMS_LOG_WARN, "send", c, errno);
      return -1;
    }
    c->out_head += (uint64_t)n;
  }
  return 0;
}

/* Queues data behind what is already waiting. */
static int conn_queue(omsd_t *d, omsd_conn_t *c, const char *data, size_t len) {
  if (out_len(c) + len > d->out_cap) {
    LOG_WARN("msg=\"output buffer full, slow consumer\" conn=%llu queued=%llu capacity=%u",
             (unsigned long long)c->id, (unsigned long long)out_len(c), d->out_cap);
    return OMS_EFULL;
  }
  if (c->out == NULL) {
    c->out = malloc(d->out_cap);
    if (c->out == NULL) {
      log_conn_sys(OMS_LOG_ERROR, "malloc", c, ENOMEM);
      return OMS_ENOMEM;
    }
    c->out_head = c->out_tail = 0;
  }
  uint64_t pos = c->out_tail & (d->out_cap - 1);
  size_t first = d->out_cap - pos < len ? (size_t)(d->out_cap - pos) : len;
  memcpy(c->out + pos, data, first);
  memcpy(c->out, data + first, len - first);
  c->out_tail += len;
  if (!(c->w.events & EPOLLOUT)) omsd_watch_mod(d, &c->w, EPOLLIN | EPOLLOUT);
  return 0;
}

static int gw_send(void *ctx, uint64_t id, const char *data, size_t len) {
  omsd_t *d = ctx;
  omsd_conn_t *c = conn_by_id(d, id);
  if (c == NULL || c->close_requested) return OMS_ECLOSED;
  while (out_len(c) == 0 && len > 0) {
    ssize_t n = send(c->w.fd, data, len, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      log_conn_sys(OMS_LOG_WARN, "send", c, errno);
      return OMS_EIO;
    }
    data += n;
    len -= (size_t)n;
  }
  return len == 0 ? 0 : conn_queue(d, c, data, len);
}

static void gw_close(void *ctx, uint64_t id, const char *reason) {
  omsd_conn_t *c = conn_by_id(ctx, id);
  if (c == NULL) return;
  LOG_DEBUG("msg=\"close requested\" conn=%llu reason=\"%s\"", (unsigned long long)id, reason);
  c->close_requested = true;
}

static void gw_log(void *ctx, oms_fix_log_level_t level, const char *text) {
  (void)ctx;
  omsd_log((oms_log_level_t)level, "component=fix %s", text);
}

oms_gateway_io_t omsd_net_io(omsd_t *d) {
  return (oms_gateway_io_t){.send = gw_send, .close = gw_close, .log = gw_log, .ctx = d};
}

static void conn_readable(omsd_t *d, omsd_conn_t *c) {
  char buf[RECV_CHUNK];
  for (;;) {
    ssize_t n = recv(c->w.fd, buf, sizeof buf, 0);
    if (n > 0) {
      oms_gateway_conn_data(d->gw, c->id, buf, (size_t)n);
      if (c->close_requested || (size_t)n < sizeof buf) return;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) log_conn_sys(OMS_LOG_INFO, "recv", c, errno);
    conn_free(d, c, n == 0 ? "peer closed" : "receive failed");
    return;
  }
}

static void on_conn(omsd_t *d, void *ctx, uint32_t events) {
  omsd_conn_t *c = ctx;
  if (events & EPOLLOUT) {
    if (conn_flush(d, c) != 0) {
      conn_free(d, c, "send failed");
      return;
    }
    if (out_len(c) == 0) omsd_watch_mod(d, &c->w, EPOLLIN);
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_readable(d, c);
}

static omsd_conn_t *free_slot(omsd_t *d) {
  for (uint32_t i = 0; i < d->nconns; i++)
    if (d->conns[i].w.fd < 0) return &d->conns[i];
  return NULL;
}

static void on_listen(omsd_t *d, void *ctx, uint32_t events) {
  (void)ctx;
  (void)events;
  char obj[96];
  snprintf(obj, sizeof obj, "address=%s port=%d", d->cfg->fix_address, d->listen_port);
  for (;;) {
    int fd = accept4(d->listen_w.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        omsd_log_sys(OMS_LOG_WARN, "accept4", obj, errno);
      return;
    }
    omsd_conn_t *c = free_slot(d);
    if (c == NULL) {
      LOG_WARN("msg=\"too many connections, refused\" capacity=%u", d->nconns);
      close_fd(fd, obj);
      continue;
    }
    uint32_t slot = (uint32_t)(c - d->conns);
    memset(c, 0, sizeof *c);
    c->w.fd = -1;
    c->id = (++d->conn_seq << SLOT_BITS) | slot;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
      log_conn_sys(OMS_LOG_WARN, "setsockopt(TCP_NODELAY)", c, errno);
    if (omsd_watch_add(d, &c->w, fd, EPOLLIN, on_conn, c) != 0) {
      close_fd(fd, obj);
      continue;
    }
    if (oms_gateway_conn_open(d->gw, c->id) != 0) {
      LOG_WARN("msg=\"gateway refused the connection\" conn=%llu", (unsigned long long)c->id);
      omsd_watch_del(d, &c->w);
      close_fd(fd, obj);
      continue;
    }
    LOG_INFO("msg=\"connection accepted\" conn=%llu", (unsigned long long)c->id);
  }
}

int omsd_net_open(omsd_t *d) {
  const oms_config_t *cfg = d->cfg;
  d->nconns = cfg->cap.connections;
  d->conns = calloc(d->nconns, sizeof *d->conns);
  if (d->conns == NULL) {
    omsd_log_sys(OMS_LOG_ERROR, "calloc", "object=connections", ENOMEM);
    return -1;
  }
  for (uint32_t i = 0; i < d->nconns; i++) d->conns[i].w.fd = -1;
  d->out_cap = 1u << 16;
  while (d->out_cap < (uint64_t)cfg->cap.output_kib * 1024) d->out_cap <<= 1;

  char obj[96];
  snprintf(obj, sizeof obj, "address=%s port=%d", cfg->fix_address, cfg->fix_port);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    omsd_log_sys(OMS_LOG_ERROR, "socket", obj, errno);
    return -1;
  }
  int one = 1;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)cfg->fix_port)};
  socklen_t sl = sizeof sa;
  const char *call = NULL;
  /* The address was checked when the configuration was loaded. */
  if (inet_pton(AF_INET, cfg->fix_address, &sa.sin_addr) != 1)
    call = "inet_pton";
  else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
    call = "setsockopt(SO_REUSEADDR)";
  else if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
    call = "bind";
  else if (listen(fd, 64) != 0)
    call = "listen";
  else if (getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
    call = "getsockname";
  if (call != NULL) {
    omsd_log_sys(OMS_LOG_ERROR, call, obj, call[0] == 'i' ? EINVAL : errno);
    close_fd(fd, obj);
    return -1;
  }
  d->listen_port = ntohs(sa.sin_port);
  if (omsd_watch_add(d, &d->listen_w, fd, EPOLLIN, on_listen, NULL) != 0) {
    close_fd(fd, obj);
    return -1;
  }
  LOG_INFO("msg=listening address=%s port=%d sessions=%zu connections=%u output_ring=%u",
           cfg->fix_address, d->listen_port, cfg->nsessions, d->nconns, d->out_cap);
  return 0;
}

void omsd_net_stop_accepting(omsd_t *d) {
  int fd = d->listen_w.fd;
  if (fd < 0) return;
  omsd_watch_del(d, &d->listen_w);
  close_fd(fd, "object=listener");
}

void omsd_net_reap(omsd_t *d) {
  for (uint32_t i = 0; i < d->nconns; i++) {
    omsd_conn_t *c = &d->conns[i];
    if (c->w.fd >= 0 && c->close_requested) {
      (void)conn_flush(d, c);
      conn_free(d, c, "closed by the gateway");
    }
  }
}

void omsd_net_close(omsd_t *d) {
  for (uint32_t i = 0; i < d->nconns; i++) {
    omsd_conn_t *c = &d->conns[i];
    if (c->w.fd >= 0) {
      (void)conn_flush(d, c);
      conn_free(d, c, "shutdown");
    }
  }
  omsd_net_stop_accepting(d);
  free(d->conns);
  d->conns = NULL;
  d->nconns = 0;
}
