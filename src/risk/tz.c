/*
 * tz.c - time zones for trading hours, without touching the process's TZ.
 *
 * localtime_r() depends on the TZ environment variable, which is process-wide
 * and not safe to change while other threads run, so zones are read here
 * instead, once, when limits are configured:
 *   - "UTC", "GMT", "Z", or a fixed offset "+05:30", "-4", "UTC+01:00";
 *   - an IANA name, read from <zoneinfo_dir>/<name> as a TZif file (RFC 8536;
 *     the 64-bit version 2+ block is used when present).
 * The check path only binary-searches the transition times.
 *
 * Limitation: after the last transition in the file the last offset stays in
 * force; the POSIX rule in the file's footer is not evaluated. Debian's
 * "fat" tzdata lists transitions up to 2037, so this matters only for "slim"
 * files or dates beyond 2037.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "risk/risk_internal.h"

#define TZIF_MAX (1u << 20)

static int parse_fixed(const char *s, int32_t *off) {
  if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0)
    s += 3;
  else if (strcmp(s, "Z") == 0)
    s += 1;
  if (*s == '\0') {
    *off = 0;
    return 0;
  }
  int sign = *s == '+' ? 1 : *s == '-' ? -1 : 0;
  if (sign == 0) return -1;
  s++;
  int h = 0, m = 0, digits = 0;
  while (*s >= '0' && *s <= '9' && digits < 2) h = h * 10 + (*s++ - '0'), digits++;
  if (digits == 0) return -1;
  if (*s == ':') s++;
  if (*s != '\0') {
    if (!(s[0] >= '0' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9' && s[2] == '\0')) return -1;
    m = (s[0] - '0') * 10 + (s[1] - '0');
  }
  if (h > 14) return -1;
  *off = sign * (h * 3600 + m * 60);
  return 0;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p) {
  return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses a TZif image into tz. Returns 0 or -1 (malformed) or OMS_ENOMEM. */
static int parse_tzif(oms__tz_t *tz, const unsigned char *b, size_t len) {
  if (len < 44 || memcmp(b, "TZif", 4) != 0) return -1;
  int v2 = b[4] >= '2';
  size_t tsz = 4, pos = 0;
  uint32_t c[6];
  for (int pass = 0; pass < 2; pass++) {
    if (pos + 44 > len || memcmp(b + pos, "TZif", 4) != 0) return -1;
    for (int i = 0; i < 6; i++) c[i] = be32(b + pos + 20 + 4 * i);
    /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
    if (c[3] > 100000 || c[4] == 0 || c[4] > 256 || c[5] > 100000 || c[2] > 100000) return -1;
    size_t body = c[3] * tsz + c[3] + c[4] * 6 + c[5] + c[2] * (tsz + 4) + c[1] + c[0];
    if (pos + 44 + body > len) return -1;
    if (pass == 0 && v2) {
      pos += 44 + body;
      tsz = 8;
      continue;
    }
    pos += 44;
    break;
  }
  uint32_t n = c[3], ntypes = c[4];
  const unsigned char *times = b + pos, *idx = times + n * tsz, *types = idx + n;
  tz->at = oms__malloc((n ? n : 1) * sizeof(int64_t));
  tz->off = oms__malloc((n ? n : 1) * sizeof(int32_t));
  if (tz->at == NULL || tz->off == NULL) return OMS_ENOMEM;
  tz->off0 = (int32_t)be32(types);
  for (uint32_t i = 0; i < n; i++) {
    tz->at[i] = tsz == 8 ? be64(times + 8 * i) : (int64_t)(int32_t)be32(times + 4 * i);
    if (idx[i] >= ntypes || (i > 0 && tz->at[i] <= tz->at[i - 1])) return -1;
    tz->off[i] = (int32_t)be32(types + 6 * idx[i]);
  }
  tz->n = n;
  return 0;
}

int oms__tz_load(oms__tz_t *tz, const char *name, const char *zoneinfo_dir, oms_reject_t *err) {
  memset(tz, 0, sizeof(*tz));
  if (name == NULL || name[0] == '\0' || strlen(name) >= sizeof(tz->name)) {
    oms_reject_set(err, OMS_R_RISK_TRADING_HOURS, "time zone name missing or too long");
    return OMS_ECONFIG;
  }
  strcpy(tz->name, name);
  if (parse_fixed(name, &tz->off0) == 0) return 0;
  /* An IANA name: letters, digits, '_', '-', '+', and '/' between parts. */
  for (const char *p = name; *p != '\0'; p++) {
    char ch = *p;
    int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
             ch == '_' || ch == '-' || ch == '+' || (ch == '/' && p != name && p[1] != '/');
    if (!ok) {
      oms_reject_set(err, OMS_R_RISK_TRADING_HOURS, "bad time zone name '%s'", name);
      return OMS_ECONFIG;
    }
  }
  char path[512];
  int pl = snprintf(path, sizeof(path), "%s/%s", zoneinfo_dir, name);
  if (pl < 0 || (size_t)pl >= sizeof(path)) {
    oms_reject_set(err, OMS_R_RISK_TRADING_HOURS, "time zone path too long for '%s'", name);
    return OMS_ECONFIG;
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    oms_reject_set(err, OMS_R_RISK_TRADING_HOURS, "unknown time zone '%s' (no %s)", name, path);
    return OMS_ECONFIG;
  }
  unsigned char *buf = oms__malloc(TZIF_MAX);
  if (buf == NULL) {
    fclose(f);
    return OMS_ENOMEM;
  }
  size_t len = fread(buf, 1, TZIF_MAX, f);
  fclose(f);
  int rc = parse_tzif(tz, buf, len);
  oms__free(buf);
  if (rc != 0) {
    oms__tz_free(tz);
    if (rc == OMS_ENOMEM) return rc;
    oms_reject_set(err, OMS_R_RISK_TRADING_HOURS, "time zone file %s is not valid TZif", path);
    return OMS_ECONFIG;
  }
  return 0;
}

void oms__tz_free(oms__tz_t *tz) {
  oms__free(tz->at);
  oms__free(tz->off);
  tz->at = NULL;
  tz->off = NULL;
  tz->n = 0;
}

int32_t oms__tz_offset(const oms__tz_t *tz, int64_t t) {
  if (tz->n == 0 || t < tz->at[0]) return tz->off0;
  uint32_t lo = 0, hi = tz->n; /* at[lo] <= t < at[hi] */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (tz->at[mid] <= t)
      lo = mid;
    else
      hi = mid;
  }
  return tz->off[lo];
}
