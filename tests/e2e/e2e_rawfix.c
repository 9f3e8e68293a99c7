/*
 * e2e_rawfix.c - the end-to-end tests' hand-written FIX client
 * (e2e_rawfix.h).
 */
#include "e2e_rawfix.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void e2e_rawfix_utc(char *buf, size_t cap) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char s[24];
  strftime(s, sizeof s, "%Y%m%d-%H:%M:%S", &tm);
  snprintf(buf, cap, "%.17s.%03d", s, (int)(ts.tv_nsec / 1000000));
}

int e2e_rawfix_send(e2e_rawfix_t *c, const char *type, const char *fields) {
  char now[32], body[2048], msg[2400];
  e2e_rawfix_utc(now, sizeof now);
  int n = snprintf(body, sizeof body, "35=%s|49=%s|56=OMS|34=%d|52=%s|%s", type,
                   c->comp != NULL ? c->comp : "CLIENT1", c->seq++, now, fields);
  int m = snprintf(msg, sizeof msg, "8=FIX.4.4|9=%d|%s", n, body);
  for (int i = 0; i < m; i++)
    if (msg[i] == '|') msg[i] = '\001';
  unsigned sum = 0;
  for (int i = 0; i < m; i++) sum += (unsigned char)msg[i];
  m += snprintf(msg + m, sizeof msg - (size_t)m, "10=%03u\001", sum % 256);
  return write(c->fd, msg, (size_t)m) == m ? 0 : -1;
}

const char *e2e_rawfix_val(const char *msg, int tag, char *out, size_t cap) {
  char key[16];
  int k = snprintf(key, sizeof key, "\001%d=", tag);
  const char *p = strstr(msg, key);
  out[0] = '\0';
  if (p == NULL) return out;
  p += k;
  size_t i = 0;
  while (p[i] != '\001' && p[i] != '\0' && i + 1 < cap) {
    out[i] = p[i];
    i++;
  }
  out[i] = '\0';
  return out;
}

int e2e_rawfix_next(e2e_rawfix_t *c, const char *want, char *msg, size_t cap, int ms) {
  for (int waited = 0; waited < ms;) {
    char *end = NULL;
    for (char *p = c->in; p + 3 < c->in + c->len; p++)
      if (p[0] == '\001' && p[1] == '1' && p[2] == '0' && p[3] == '=') {
        end = memchr(p + 4, '\001', (size_t)(c->in + c->len - (p + 4)));
        break;
      }
    if (end != NULL) {
      size_t n = (size_t)(end + 1 - c->in);
      if (n >= cap) return E2E_RAWFIX_TOO_LONG;
      msg[0] = '\001';
      memcpy(msg + 1, c->in, n);
      msg[n + 1] = '\0';
      memmove(c->in, c->in + n, c->len - n);
      c->len -= n;
      char t[24];
      long sq = atol(e2e_rawfix_val(msg, 34, t, sizeof t));
      if (sq > c->in_seq) c->in_seq = sq;
      if (want == NULL || strcmp(e2e_rawfix_val(msg, 35, t, sizeof t), want) == 0) return 0;
      continue;
    }
    struct pollfd pf = {.fd = c->fd, .events = POLLIN};
    if (poll(&pf, 1, 50) > 0) {
      ssize_t r = read(c->fd, c->in + c->len, sizeof c->in - c->len);
      if (r <= 0) return E2E_RAWFIX_CLOSED;
      c->len += (size_t)r;
    } else {
      waited += 50;
    }
  }
  return E2E_RAWFIX_TIMEOUT;
}
