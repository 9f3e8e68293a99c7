/*
 * error.h - the one vocabulary of operation failures in liboms.
 *
 * Every function that can fail returns 0 on success or one of the negative
 * codes below. The table is append-only: the codes are stored and logged, so
 * an existing code never changes its number or meaning (add new codes last).
 *
 * A business outcome (an order refused by validation or risk, a full queue at
 * a venue) is not an operation failure: it is reported as an oms_reason_t with
 * a text, see reason.h.
 */
#ifndef OMS_ERROR_H
#define OMS_ERROR_H

#include "oms/common.h"

OMS_BEGIN_DECLS

/* XX(name, number, message) */
#define OMS_ERRNO_MAP(XX)                                      \
  XX(EINVAL, -1, "invalid argument")                           \
  XX(ENOMEM, -2, "out of memory")                              \
  XX(ESYNTAX, -3, "malformed number or text")                  \
  XX(EOVERFLOW, -4, "value out of range")                      \
  XX(EPRECISION, -5, "too many decimal places")                \
  XX(ENOSPC, -6, "buffer too small")                           \
  XX(ENOTFOUND, -7, "not found")                               \
  XX(EEXIST, -8, "already exists")                             \
  XX(ESTATE, -9, "transition not allowed in this state")       \
  XX(EOVERFILL, -10, "fill exceeds the order's open quantity") \
  XX(EFULL, -11, "queue or pool full")                         \
  XX(EREJECTED, -12, "refused; see the reason")                \
  XX(EIO, -13, "input/output error")                           \
  XX(ESTORE, -14, "order store failure")                       \
  XX(EDOWN, -15, "peer or venue not connected")                \
  XX(EAGAIN, -16, "try again later")                           \
  XX(EDUPLICATE, -17, "duplicate")                             \
  XX(ECONFIG, -18, "invalid configuration")                    \
  XX(ECLOSED, -19, "closed")                                   \
  XX(EPROTO, -20, "protocol error")                            \
  XX(ETIMEDOUT, -21, "timed out")                              \
  XX(EBUSY, -22, "resource busy or locked")                    \
  XX(EUNSUPPORTED, -23, "not supported")                       \
  XX(EDIVZERO, -24, "division by zero")                        \
  XX(ECORRUPT, -25, "damaged data")                            \
  XX(EFENCED, -26, "fenced: another owner holds a newer lease token")

typedef enum oms_err_e {
  OMS_OK = 0,
#define OMS_ERR_ENUM(name, num, msg) OMS_##name = (num),
  OMS_ERRNO_MAP(OMS_ERR_ENUM)
#undef OMS_ERR_ENUM
} oms_err_t;

/* A static English message for err, "unknown error" for a code not in the
 * table. Never NULL. */
OMS_EXTERN const char *oms_strerror(int err);

/* The symbolic name ("OMS_EINVAL"), "OMS_OK" for 0, "OMS_UNKNOWN" otherwise. */
OMS_EXTERN const char *oms_err_name(int err);

OMS_END_DECLS

#endif /* OMS_ERROR_H */
