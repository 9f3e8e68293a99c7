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
 * Sending. The gateway's sends are queued in the connection's output ring
 * (a power of two holding capacity.output_kib KiB and LOGOUT_ROOM,
 * allocated at the connection's first send; the socket's kernel send
 * buffer is set to output_kib too) and the connection goes on the turn's
 * dirty list; at the end of the loop turn omsd_net_flush writes each dirty
 * connection with one send. An order's three ExecutionReports, and every
 * message a turn produces for a session, leave in one system call and one
 * wake-up of the client instead of one each (the core thread is switched
 * out at the return of its system calls: fewer of them is a shorter
 * tail), and no message waits past the end of the turn that produced it.
 * Write-ahead is the gateway's business and unchanged: it hands a message
 * over only once it is stored (durable, in fsync mode). Head and tail count
 * bytes, so queueing is one or two memcpy and a partial send only moves
 * head. What the socket does not take stays in the ring and the connection
 * watches EPOLLOUT. A client that lets the backlog pass
 * capacity.output_kib is not reading (the ring is written to the socket
 * first, so the turn's own bytes never count against it): what the session
 * sends after that is
 * dropped (it is in the store, so the client gets it back by ResendRequest
 * when it logs on again), and after the gateway call returns the session is
 * ended with a Logout saying why; the ring keeps room for that Logout. A
 * connection being closed lingers (conn_linger) until its backlog is sent
 * and the client closes, or LINGER_NS passed.
 *
 * Admission (docs/omsd.md): strangers may not starve configured sessions.
 *   - A connection that has not logged on is on a list, oldest first; the
 *     timer closes those older than admission.logon_timeout_ms, and a new
 *     connection arriving with every slot taken evicts the oldest of them.
 *     A logged-on session is never evicted, so a configured client always
 *     finds a slot while capacity.connections exceeds the sessions.
 *   - An address table (core/u64map, fixed size) counts each peer
 *     address's open connections (at most admission.per_address) and its
 *     failed logons; the configured client CompIDs (core/strmap, built at
 *     start) count theirs. A Logon from an address or for a CompID with
 *     admission.failed_logons failures in the current window of
 *     admission.failed_logon_window_s is refused before it is looked at:
 *     the gateway answers it with a Logout and closes the connection. Every
 *     check is one lookup; nothing depends on how many attempts were made.
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
#define LOGOUT_ROOM 4096 /* ring space kept for the Logout that ends a session */
#define LINGER_NS (2000 * OMSD_MS)
#define S_NS INT64_C(1000000000)

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

static uint32_t slot_of(const omsd_t *d, const omsd_conn_t *c) { return (uint32_t)(c - d->conns); }

static void addr_text(uint32_t addr, char *buf, size_t cap) {
  struct in_addr a = {.s_addr = htonl(addr)};
  if (inet_ntop(AF_INET, &a, buf, (socklen_t)cap) == NULL) snprintf(buf, cap, "?");
}

/* ---- The list of connections not logged on ---------------------------------- */

static void unauth_push(omsd_t *d, omsd_conn_t *c) {
  uint32_t i = slot_of(d, c);
  c->prev = d->unauth_tail;
  c->next = OMSD_NONE;
  if (d->unauth_tail != OMSD_NONE)
    d->conns[d->unauth_tail].next = i;
  else
    d->unauth_head = i;
  d->unauth_tail = i;
}

static void unauth_remove(omsd_t *d, omsd_conn_t *c) {
  if (c->logged_on) return;
  if (c->prev != OMSD_NONE)
    d->conns[c->prev].next = c->next;
  else
    d->unauth_head = c->next;
  if (c->next != OMSD_NONE)
    d->conns[c->next].prev = c->prev;
  else
    d->unauth_tail = c->prev;
  c->prev = c->next = OMSD_NONE;
}

/* ---- The address table --------------------------------------------------------- */

/* A failure window that ended is forgotten. */
static void window_roll(uint32_t *fails, int64_t *start, int64_t now, int64_t window_ns) {
  if (*fails > 0 && now - *start >= window_ns) *fails = 0;
  if (*fails == 0) *start = now;
}

static int64_t window_ns(const omsd_t *d) {
  return (int64_t)d->cfg->adm.failed_logon_window_s * S_NS;
}

static void addr_release(omsd_t *d, uint32_t i) {
  (void)oms__u64map_del(&d->addr_of, (uint64_t)d->addrs[i].addr + 1);
  d->free_addrs[d->nfree_addrs++] = i;
}

/* The table is full: forget the entries with no connection (expired ones
 * first; under a flood of addresses the failures of idle ones go too, so
 * that a new client is never refused for want of memory). */
static void addr_sweep(omsd_t *d, int64_t now) {
  for (int pass = 0; pass < 2 && d->nfree_addrs == 0; pass++) {
    for (uint32_t i = 0; i < d->naddrs; i++) {
      omsd_addr_t *a = &d->addrs[i];
      uint64_t v;
      if (a->conns != 0 || !oms__u64map_get(&d->addr_of, (uint64_t)a->addr + 1, &v) || v != i)
        continue; /* busy, or a free entry */
      if (pass == 1 || a->fails == 0 || now - a->window_start >= window_ns(d)) addr_release(d, i);
    }
  }
}

/* The entry of addr, created if new; OMSD_NONE when the table is full of
 * addresses with connections (cannot happen: it holds two per slot). */
static uint32_t addr_get(omsd_t *d, uint32_t addr, int64_t now) {
  uint64_t v;
  if (oms__u64map_get(&d->addr_of, (uint64_t)addr + 1, &v)) return (uint32_t)v;
  if (d->nfree_addrs == 0) addr_sweep(d, now);
  if (d->nfree_addrs == 0) return OMSD_NONE;
  uint32_t i = d->free_addrs[--d->nfree_addrs];
  d->addrs[i] = (omsd_addr_t){.addr = addr, .window_start = now};
  if (oms__u64map_put(&d->addr_of, (uint64_t)addr + 1, i) != 0) {
    d->free_addrs[d->nfree_addrs++] = i;
    return OMSD_NONE;
  }
  return i;
}

/* Drops the entry once it holds nothing worth keeping. */
static void addr_maybe_release(omsd_t *d, uint32_t i, int64_t now) {
  omsd_addr_t *a = &d->addrs[i];
  window_roll(&a->fails, &a->window_start, now, window_ns(d));
  if (a->conns == 0 && a->fails == 0) addr_release(d, i);
}

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
  unauth_remove(d, c);
  if (c->addr_slot != OMSD_NONE) {
    d->addrs[c->addr_slot].conns--;
    addr_maybe_release(d, c->addr_slot, omsd_now_ns());
    c->addr_slot = OMSD_NONE;
  }
  d->free_slots[d->nfree++] = slot_of(d, c);
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
  c->out_head = c->out_tail = 0; /* empty: the next turn's bytes start at 0, no wrap */
  return 0;
}

/* Queues data behind what is already waiting, for omsd_net_flush. Past
 * the limit (after writing what the ring held, so that a turn's own burst
 * is not taken for a client not reading) the data is dropped and the
 * session marked for ending (omsd_net_reap), except the Logout that ends
 * it. */
static int conn_queue(omsd_t *d, omsd_conn_t *c, const char *data, size_t len) {
  const uint64_t room = c->let_logout ? d->out_cap : d->out_limit;
  if (out_len(c) + len > room && out_len(c) > 0 && !(c->w.events & EPOLLOUT) &&
      conn_flush(d, c) != 0)
    return OMS_EIO;
  if (out_len(c) + len > room) {
    if (!c->over_limit)
      LOG_WARN(
          "msg=\"output backlog over the limit, client not reading\" conn=%llu queued=%llu "
          "limit=%llu",
          (unsigned long long)c->id, (unsigned long long)out_len(c),
          (unsigned long long)d->out_limit);
    c->over_limit = true;
    return c->let_logout ? OMS_EFULL : 0;
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
  uint32_t slot = slot_of(d, c);
  if (!d->dirty_mark[slot]) {
    d->dirty_mark[slot] = true;
    d->dirty[d->ndirty++] = slot;
  }
  return 0;
}

static int gw_send(void *ctx, uint64_t id, const char *data, size_t len) {
  omsd_t *d = ctx;
  omsd_conn_t *c = conn_by_id(d, id);
  if (c == NULL || c->close_requested) return OMS_ECLOSED;
  if (c->over_limit && !c->let_logout) return 0; /* stored; resent after the next Logon */
  return len == 0 ? 0 : conn_queue(d, c, data, len);
}

void omsd_net_flush(omsd_t *d) {
  /* A connection freed here may make the gateway send on another one:
   * that one is appended to the list and written in this same pass. */
  for (uint32_t i = 0; i < d->ndirty; i++) {
    uint32_t slot = d->dirty[i];
    d->dirty_mark[slot] = false;
    omsd_conn_t *c = &d->conns[slot];
    /* Lingering connections write through conn_linger, and those waiting
     * for EPOLLOUT when the socket takes more. */
    if (c->w.fd < 0 || c->linger_until != 0 || (c->w.events & EPOLLOUT) || out_len(c) == 0)
      continue;
    if (conn_flush(d, c) != 0) {
      conn_free(d, c, "send failed");
      continue;
    }
    if (out_len(c) > 0) omsd_watch_mod(d, &c->w, EPOLLIN | EPOLLOUT);
  }
  d->ndirty = 0;
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

/* The throttle: a Logon from an address or for a configured CompID with
 * too many failures in the window is refused before it is looked at. */
static const char *gw_logon_check(void *ctx, uint64_t id, oms_fix_str_t comp_id) {
  omsd_t *d = ctx;
  omsd_conn_t *c = conn_by_id(d, id);
  if (c == NULL) return NULL;
  static char why[160];
  const int64_t now = omsd_now_ns(), win = window_ns(d);
  const uint32_t max = d->cfg->adm.failed_logons, win_s = d->cfg->adm.failed_logon_window_s;
  char who[OMS_ID_MAX + 1] = "", addr[INET_ADDRSTRLEN];
  if (comp_id.ptr != NULL && comp_id.len <= OMS_ID_MAX)
    snprintf(who, sizeof who, "%.*s", (int)comp_id.len, comp_id.ptr);
  addr_text(c->addr, addr, sizeof addr);
  uint64_t k;
  omsd_addr_t *a = c->addr_slot != OMSD_NONE ? &d->addrs[c->addr_slot] : NULL;
  if (a != NULL) window_roll(&a->fails, &a->window_start, now, win);
  if (a != NULL && a->fails >= max) {
    snprintf(why, sizeof why, "logon throttled: %u failed logons from %s in %u s", a->fails, addr,
             win_s);
  } else if (who[0] != '\0' && oms__strmap_get(&d->comp_of, who, &k)) {
    omsd_fails_t *f = &d->comp_fails[k];
    window_roll(&f->fails, &f->window_start, now, win);
    if (f->fails < max) return NULL;
    snprintf(why, sizeof why, "logon throttled: %u failed logons for %s in %u s", f->fails, who,
             win_s);
  } else {
    return NULL;
  }
  LOG_WARN("msg=\"logon throttled\" conn=%llu address=%s comp_id=\"%s\" reason=\"%s\"",
           (unsigned long long)id, addr, who, why);
  return why;
}

static void gw_logon_done(void *ctx, uint64_t id, oms_fix_str_t comp_id, bool ok, const char *why) {
  omsd_t *d = ctx;
  omsd_conn_t *c = conn_by_id(d, id);
  if (c == NULL) return;
  char who[OMS_ID_MAX + 1] = "", addr[INET_ADDRSTRLEN];
  if (comp_id.ptr != NULL && comp_id.len <= OMS_ID_MAX)
    snprintf(who, sizeof who, "%.*s", (int)comp_id.len, comp_id.ptr);
  uint64_t k;
  omsd_fails_t *f =
      who[0] != '\0' && oms__strmap_get(&d->comp_of, who, &k) ? &d->comp_fails[k] : NULL;
  omsd_addr_t *a = c->addr_slot != OMSD_NONE ? &d->addrs[c->addr_slot] : NULL;
  if (ok) {
    unauth_remove(d, c);
    c->logged_on = true;
    if (f != NULL) f->fails = 0;
    if (a != NULL) a->fails = 0;
    return;
  }
  const int64_t now = omsd_now_ns(), win = window_ns(d);
  if (f != NULL) {
    window_roll(&f->fails, &f->window_start, now, win);
    f->fails++;
  }
  if (a != NULL) {
    window_roll(&a->fails, &a->window_start, now, win);
    a->fails++;
  }
  addr_text(c->addr, addr, sizeof addr);
  LOG_WARN(
      "msg=\"logon failed\" conn=%llu address=%s comp_id=\"%s\" reason=\"%s\" "
      "address_failures=%u comp_id_failures=%u",
      (unsigned long long)id, addr, who, why, a != NULL ? a->fails : 0, f != NULL ? f->fails : 0);
}

oms_gateway_io_t omsd_net_io(omsd_t *d) {
  return (oms_gateway_io_t){.send = gw_send,
                            .close = gw_close,
                            .log = gw_log,
                            .logon_check = gw_logon_check,
                            .logon_done = gw_logon_done,
                            .ctx = d};
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

/* Closing: the backlog goes out, then our side of the stream is shut and
 * what the client still sends is read and dropped until it closes (or the
 * linger time ends). Closing with unread input would make the kernel send
 * a reset, and the client would lose the Logout that says why. */
static void conn_linger(omsd_t *d, omsd_conn_t *c, uint32_t events) {
  if (events & EPOLLERR) {
    conn_free(d, c, "closed (socket error while lingering)");
    return;
  }
  if (out_len(c) > 0) {
    if (conn_flush(d, c) != 0) {
      conn_free(d, c, "send failed");
      return;
    }
    if (out_len(c) > 0) return;
    if (shutdown(c->w.fd, SHUT_WR) != 0) log_conn_sys(OMS_LOG_DEBUG, "shutdown", c, errno);
    omsd_watch_mod(d, &c->w, EPOLLIN);
  }
  char buf[4096];
  for (;;) {
    ssize_t n = recv(c->w.fd, buf, sizeof buf, 0);
    if (n > 0) continue;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    conn_free(d, c, "closed by the gateway");
    return;
  }
}

static void on_conn(omsd_t *d, void *ctx, uint32_t events) {
  omsd_conn_t *c = ctx;
  if (c->linger_until != 0) {
    conn_linger(d, c, events);
    return;
  }
  if (events & EPOLLOUT) {
    if (conn_flush(d, c) != 0) {
      conn_free(d, c, "send failed");
      return;
    }
    if (out_len(c) == 0) omsd_watch_mod(d, &c->w, EPOLLIN);
  }
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) conn_readable(d, c);
}

/* A free slot; with none, the oldest connection not logged on is closed
 * to make room. NULL when every slot holds a logged-on session. */
static omsd_conn_t *free_slot(omsd_t *d) {
  if (d->nfree == 0 && d->unauth_head != OMSD_NONE) {
    omsd_conn_t *old = &d->conns[d->unauth_head];
    LOG_WARN(
        "msg=\"connection evicted\" conn=%llu reason=\"every slot taken: the oldest "
        "connection without a logon makes room\" capacity=%u",
        (unsigned long long)old->id, d->nconns);
    conn_free(d, old, "evicted: oldest without a logon, connection table full");
  }
  return d->nfree == 0 ? NULL : &d->conns[d->free_slots[--d->nfree]];
}

static void on_listen(omsd_t *d, void *ctx, uint32_t events) {
  (void)ctx;
  (void)events;
  char obj[96];
  snprintf(obj, sizeof obj, "address=%s port=%d", d->cfg->fix_address, d->listen_port);
  for (;;) {
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    int fd = accept4(d->listen_w.fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        omsd_log_sys(OMS_LOG_WARN, "accept4", obj, errno);
      return;
    }
    const int64_t now = omsd_now_ns();
    uint32_t addr = ntohl(peer.sin_addr.s_addr);
    char at[INET_ADDRSTRLEN];
    addr_text(addr, at, sizeof at);
    uint32_t ai = addr_get(d, addr, now);
    if (ai == OMSD_NONE || d->addrs[ai].conns >= d->cfg->adm.per_address) {
      LOG_WARN("msg=\"connection refused\" address=%s reason=\"%s\" per_address=%u", at,
               ai == OMSD_NONE ? "address table full" : "too many connections from this address",
               d->cfg->adm.per_address);
      close_fd(fd, obj);
      continue;
    }
    d->addrs[ai].conns++; /* before free_slot, whose eviction may release entries */
    omsd_conn_t *c = free_slot(d);
    if (c == NULL) {
      LOG_WARN("msg=\"too many connections, refused\" address=%s capacity=%u", at, d->nconns);
      d->addrs[ai].conns--;
      addr_maybe_release(d, ai, now);
      close_fd(fd, obj);
      continue;
    }
    uint32_t slot = slot_of(d, c);
    memset(c, 0, sizeof *c);
    c->w.fd = -1;
    c->addr = addr;
    c->addr_slot = ai;
    c->opened_ns = now;
    c->id = (++d->conn_seq << SLOT_BITS) | slot;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
      log_conn_sys(OMS_LOG_WARN, "setsockopt(TCP_NODELAY)", c, errno);
    /* The kernel's buffer counts too: bounded like ours (the kernel caps it
     * at net.core.wmem_max), so a client that does not read is found out. */
    int sndbuf = (int)(d->out_limit < (1u << 30) ? d->out_limit : (1u << 30));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) != 0)
      log_conn_sys(OMS_LOG_WARN, "setsockopt(SO_SNDBUF)", c, errno);
    bool watched = omsd_watch_add(d, &c->w, fd, EPOLLIN, on_conn, c) == 0;
    if (!watched || oms_gateway_conn_open(d->gw, c->id) != 0) {
      if (watched)
        LOG_WARN("msg=\"gateway refused the connection\" conn=%llu", (unsigned long long)c->id);
      omsd_watch_del(d, &c->w);
      close_fd(fd, obj);
      d->addrs[ai].conns--;
      addr_maybe_release(d, ai, now);
      d->free_slots[d->nfree++] = slot;
      continue;
    }
    unauth_push(d, c);
    LOG_INFO("msg=\"connection accepted\" conn=%llu address=%s", (unsigned long long)c->id, at);
  }
}

/* The connection table, the address table and the CompID table. */
static int tables_open(omsd_t *d) {
  const oms_config_t *cfg = d->cfg;
  d->nconns = cfg->cap.connections;
  d->naddrs = 2 * d->nconns + 256; /* the addresses of the open connections, and as many more */
  d->unauth_head = d->unauth_tail = OMSD_NONE;
  d->conns = calloc(d->nconns, sizeof *d->conns);
  d->free_slots = calloc(d->nconns, sizeof *d->free_slots);
  d->dirty = calloc(d->nconns, sizeof *d->dirty);
  d->dirty_mark = calloc(d->nconns, sizeof *d->dirty_mark);
  d->addrs = calloc(d->naddrs, sizeof *d->addrs);
  d->free_addrs = calloc(d->naddrs, sizeof *d->free_addrs);
  d->comp_fails = calloc(cfg->nsessions + 1, sizeof *d->comp_fails);
  if (d->conns == NULL || d->free_slots == NULL || d->dirty == NULL || d->dirty_mark == NULL ||
      d->addrs == NULL || d->free_addrs == NULL || d->comp_fails == NULL ||
      oms__u64map_init(&d->addr_of, d->naddrs) != 0 ||
      oms__strmap_init(&d->comp_of, (uint32_t)cfg->nsessions + 1, OMS_ID_MAX) != 0) {
    omsd_log_sys(OMS_LOG_ERROR, "calloc", "object=connections", ENOMEM);
    return -1;
  }
  for (uint32_t i = 0; i < d->nconns; i++) {
    d->conns[i].w.fd = -1;
    d->free_slots[d->nfree++] = d->nconns - 1 - i; /* slot 0 first */
  }
  for (uint32_t i = 0; i < d->naddrs; i++) d->free_addrs[d->nfree_addrs++] = d->naddrs - 1 - i;
  for (size_t i = 0; i < cfg->nsessions; i++)
    (void)oms__strmap_put(&d->comp_of, cfg->sessions[i].sender_comp_id, i);
  return 0;
}

int omsd_net_open(omsd_t *d) {
  const oms_config_t *cfg = d->cfg;
  if (tables_open(d) != 0) return -1;
  d->out_limit = (uint64_t)cfg->cap.output_kib * 1024;
  d->out_cap = 1u << 12;
  while (d->out_cap < d->out_limit + LOGOUT_ROOM) d->out_cap <<= 1;

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
  LOG_INFO(
      "msg=listening address=%s port=%d sessions=%zu connections=%u output_limit=%llu "
      "per_address=%u logon_timeout_ms=%u failed_logons=%u failed_logon_window_s=%u",
      cfg->fix_address, d->listen_port, cfg->nsessions, d->nconns, (unsigned long long)d->out_limit,
      cfg->adm.per_address, cfg->adm.logon_timeout_ms, cfg->adm.failed_logons,
      cfg->adm.failed_logon_window_s);
  return 0;
}

void omsd_net_stop_accepting(omsd_t *d) {
  int fd = d->listen_w.fd;
  if (fd < 0) return;
  omsd_watch_del(d, &d->listen_w);
  close_fd(fd, "object=listener");
}

/* Ends c's session: a Logout saying why, then the close. */
static void end_over_limit(omsd_t *d, omsd_conn_t *c) {
  char why[96];
  snprintf(why, sizeof why, "output backlog over %llu bytes: client not reading",
           (unsigned long long)d->out_limit);
  LOG_WARN("msg=\"session ended\" conn=%llu cause=\"%s\" queued=%llu", (unsigned long long)c->id,
           why, (unsigned long long)out_len(c));
  c->let_logout = true;
  (void)oms_gateway_conn_logout(d->gw, c->id, why);
  c->let_logout = false;
  c->close_requested = true;
}

void omsd_net_reap(omsd_t *d) {
  for (uint32_t i = 0; i < d->nconns; i++) {
    omsd_conn_t *c = &d->conns[i];
    if (c->w.fd < 0) continue;
    if (c->over_limit && !c->close_requested) end_over_limit(d, c);
    if (!c->close_requested || c->linger_until != 0) continue;
    c->linger_until = omsd_now_ns() + LINGER_NS;
    if (out_len(c) > 0) {
      omsd_watch_mod(d, &c->w, EPOLLOUT);
    } else {
      if (shutdown(c->w.fd, SHUT_WR) != 0) log_conn_sys(OMS_LOG_DEBUG, "shutdown", c, errno);
      conn_linger(d, c, 0);
    }
  }
}

void omsd_net_on_timer(omsd_t *d) {
  const int64_t now = omsd_now_ns();
  const int64_t timeout = (int64_t)d->cfg->adm.logon_timeout_ms * OMSD_MS;
  while (d->unauth_head != OMSD_NONE) {
    omsd_conn_t *c = &d->conns[d->unauth_head];
    if (now - c->opened_ns < timeout) break;
    char addr[INET_ADDRSTRLEN];
    addr_text(c->addr, addr, sizeof addr);
    LOG_WARN("msg=\"logon timeout\" conn=%llu address=%s timeout_ms=%u", (unsigned long long)c->id,
             addr, d->cfg->adm.logon_timeout_ms);
    conn_free(d, c, "no logon within admission.logon_timeout_ms");
  }
  for (uint32_t i = 0; i < d->nconns; i++) {
    omsd_conn_t *c = &d->conns[i];
    if (c->w.fd >= 0 && c->linger_until != 0 && now >= c->linger_until)
      conn_free(d, c,
                out_len(c) > 0 ? "backlog not taken within the linger time"
                               : "closed by the gateway (the client did not close)");
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
  free(d->free_slots);
  free(d->dirty);
  free(d->dirty_mark);
  d->dirty = NULL;
  d->dirty_mark = NULL;
  d->ndirty = 0;
  free(d->addrs);
  free(d->free_addrs);
  free(d->comp_fails);
  oms__u64map_close(&d->addr_of);
  oms__strmap_close(&d->comp_of);
  d->conns = NULL;
  d->free_slots = d->free_addrs = NULL;
  d->addrs = NULL;
  d->comp_fails = NULL;
  d->nconns = d->nfree = d->naddrs = d->nfree_addrs = 0;
}
