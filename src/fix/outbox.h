/*
 * outbox.h - write-ahead for a FIX session whose store writes are
 * asynchronous: outbound messages wait here, each with the store ticket of
 * the last save made before it, until the store says that ticket is durable.
 * Shared by the gateway (acceptor sessions) and the venue connector
 * (initiator), so both keep the session contract (fix_session.h: no byte
 * leaves before its number is durable) with one piece of code.
 *
 * Records {ticket, length, bytes} are appended at len and released in order
 * from head; the buffer grows by doubling up to a cap (a peer that stops
 * reading, or a store that stops committing, ends the session rather than
 * the process). Allocated once at the initial size: nothing per message in
 * the steady state.
 */
#ifndef OMS_FIX_OUTBOX_H
#define OMS_FIX_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct oms__fix_outbox_s {
  char *buf;
  size_t head, len, cap, max;
} oms__fix_outbox_t;

/* Writes one whole message; 0 or a negative OMS_E*. */
typedef int (*oms__fix_outbox_send_fn)(void *ctx, const char *data, size_t len);

/* Allocates initial bytes; the outbox grows to at most max. 0 or OMS_ENOMEM. */
int oms__fix_outbox_init(oms__fix_outbox_t *ob, size_t initial, size_t max);
/* Frees the buffer; accepts a zeroed ob. */
void oms__fix_outbox_free(oms__fix_outbox_t *ob);

static inline bool oms__fix_outbox_empty(const oms__fix_outbox_t *ob) {
  return ob->head == ob->len;
}

/* Queues data to be written once ticket is durable. 0, OMS_EFULL beyond
 * max, OMS_ENOMEM. */
int oms__fix_outbox_push(oms__fix_outbox_t *ob, uint64_t ticket, const char *data, size_t len);

/* Writes, in order, the queued messages whose ticket is <= durable, and
 * returns how many. A send failure empties the outbox (the connection is
 * over) and is returned in *err (0 otherwise; err may be NULL). */
int oms__fix_outbox_pump(oms__fix_outbox_t *ob, uint64_t durable, oms__fix_outbox_send_fn send,
                         void *ctx, int *err);

/* Forgets everything queued. */
void oms__fix_outbox_clear(oms__fix_outbox_t *ob);

/* Keeps only the last queued message (the Logout that says why a session
 * ended: the others are stored and served by a resend). */
void oms__fix_outbox_keep_last(oms__fix_outbox_t *ob);

/* The MsgSeqNum of the first message not yet written, or next_sender when
 * nothing waits. */
int64_t oms__fix_outbox_first_seq(const oms__fix_outbox_t *ob, int64_t next_sender);

#endif /* OMS_FIX_OUTBOX_H */
