/*
 * error.c - names and messages of the error and reason tables, generated from
 * the X-macros in error.h and reason.h so that the tables can not drift.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "oms/error.h"
#include "oms/reason.h"

const char *oms_strerror(int err) {
  switch (err) {
    case 0: return "success";
#define XX(name, num, msg) \
  case num: return msg;
      OMS_ERRNO_MAP(XX)
#undef XX
    default: return "unknown error";
  }
}

const char *oms_err_name(int err) {
  switch (err) {
    case 0: return "OMS_OK";
#define XX(name, num, msg) \
  case num: return "OMS_" #name;
      OMS_ERRNO_MAP(XX)
#undef XX
    default: return "OMS_UNKNOWN";
  }
}

const char *oms_reason_name(oms_reason_t code) {
  switch (code) {
#define XX(name, num, msg) \
  case OMS_R_##name: return #name;
    OMS_REASON_MAP(XX)
#undef XX
    default: return "UNKNOWN";
  }
}

const char *oms_reason_desc(oms_reason_t code) {
  switch (code) {
#define XX(name, num, msg) \
  case OMS_R_##name: return msg;
    OMS_REASON_MAP(XX)
#undef XX
    default: return "unknown reason";
  }
}

int oms_reason_from_name(const char *name, oms_reason_t *out) {
  if (name == NULL) return OMS_ENOTFOUND;
#define XX(n, num, msg)        \
  if (strcmp(name, #n) == 0) { \
    *out = OMS_R_##n;          \
    return 0;                  \
  }
  OMS_REASON_MAP(XX)
#undef XX
  return OMS_ENOTFOUND;
}

oms_reason_t oms_reject_set(oms_reject_t *r, oms_reason_t code, const char *fmt, ...) {
  r->code = code;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(r->text, sizeof(r->text), fmt, ap);
  va_end(ap);
  if (n < 0) r->text[0] = '\0';
  return code;
}
