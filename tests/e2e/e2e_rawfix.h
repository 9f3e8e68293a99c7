/*
 * e2e_rawfix.h - a FIX 4.4 client written by hand for the end-to-end tests
 * that must see the bytes omsd sends (no QuickFIX, so the sanitizer builds
 * run them): messages composed from "tag=value|" text with header, BodyLength
 * and CheckSum added, read back as SOH-separated text and looked up by tag.
 *
 * One e2e_rawfix_t per connection holds the socket, the next MsgSeqNum to
 * send, the highest one read, and the bytes read but not yet split into
 * messages. The client is CLIENT1 to omsd's OMS.
 */
#ifndef OMS_TEST_E2E_RAWFIX_H
#define OMS_TEST_E2E_RAWFIX_H

#include <stddef.h>

typedef struct e2e_rawfix_s {
  int fd;      /* -1 when not connected */
  int seq;     /* the next MsgSeqNum sent */
  long in_seq; /* the highest MsgSeqNum among the messages read */
  size_t len;  /* bytes in in[] not yet returned as a message */
  char in[1 << 16];
  const char *comp; /* SenderCompID; NULL: CLIENT1 */
} e2e_rawfix_t;

/* What e2e_rawfix_next returns besides 0. */
enum { E2E_RAWFIX_TIMEOUT = -1, E2E_RAWFIX_CLOSED = -2, E2E_RAWFIX_TOO_LONG = -3 };

/* The time now as SendingTime wants it (UTC, milliseconds). */
void e2e_rawfix_utc(char *buf, size_t cap);

/* Sends type with body fields ("|" for SOH) on c; 0, or -1 if the write
 * failed. */
int e2e_rawfix_send(e2e_rawfix_t *c, const char *type, const char *fields);

/* The value of tag in message msg (SOH-separated, a SOH in front), or "". */
const char *e2e_rawfix_val(const char *msg, int tag, char *out, size_t cap);

/* The next message of type want (others skipped; NULL: of any type) into msg, with a SOH in
 * front so that e2e_rawfix_val finds its first tag too; waits up to ms.
 * 0, E2E_RAWFIX_TIMEOUT, E2E_RAWFIX_CLOSED or E2E_RAWFIX_TOO_LONG (for
 * cap). */
int e2e_rawfix_next(e2e_rawfix_t *c, const char *want, char *msg, size_t cap, int ms);

#endif
