/* store_fixture.h - helpers for the store, bus and event tests: a scratch
 * directory under /tmp, realistic orders and the events of their lifecycle,
 * and a fault hook for the store's seam. */
#ifndef OMS_STORE_FIXTURE_H
#define OMS_STORE_FIXTURE_H

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oms/event.h"
#include "oms/store.h"
#include "oms_test.h"

#define T0 INT64_C(1700000000000000000)

typedef struct fx_dir_s {
  char dir[64];
  char db[128];
  char journal[128]; /* the journal store's segments */
} fx_dir_t;

static inline void fx_dir_make(fx_dir_t *d) {
  snprintf(d->dir, sizeof d->dir, "/tmp/oms-store-XXXXXX");
  if (mkdtemp(d->dir) == NULL) __builtin_trap();
  snprintf(d->db, sizeof d->db, "%s/oms.db", d->dir);
  snprintf(d->journal, sizeof d->journal, "%s/journal", d->dir);
}

/* Removes the journal's directory and what is in it. */
static inline void fx_journal_remove(const char *dir) {
  DIR *dh = opendir(dir);
  if (dh == NULL) return;
  struct dirent *de;
  char p[512];
  while ((de = readdir(dh)) != NULL) {
    if (de->d_name[0] == '.') continue;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    unlink(p);
  }
  closedir(dh);
  rmdir(dir);
}

/* Removes the database, its WAL and shm, the journal, and the directory;
 * returns 0 if the directory is gone (the test asserts it: cleanup is
 * proven). */
static inline int fx_dir_remove(fx_dir_t *d) {
  char p[160];
  fx_journal_remove(d->journal);
  const char *suffix[] = {"", "-wal", "-shm", "-journal", ".clean", ".boot"};
  for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
    snprintf(p, sizeof p, "%s%s", d->db, suffix[i]);
    unlink(p);
  }
  return rmdir(d->dir);
}

/* An order in PENDING, id `id`, client order id "c<id>". */
static inline void fx_order(oms_order_t *o, uint64_t id, const char *strategy, const char *account,
                            const char *symbol, int64_t now) {
  oms_order_request_t req;
  char clid[32];
  snprintf(clid, sizeof clid, "c%llu", (unsigned long long)id);
  t_request(&req, clid, OMS_SIDE_BUY, OMS_ORD_LIMIT, "2", "100.5");
  memset(req.strategy_id, 0, sizeof req.strategy_id);
  memset(req.account_id, 0, sizeof req.account_id);
  memset(req.symbol, 0, sizeof req.symbol);
  strcpy(req.strategy_id, strategy);
  strcpy(req.account_id, account);
  strcpy(req.symbol, symbol);
  memset(o, 0, sizeof *o);
  oms_order_init(o, id, &req, now);
}

/* Applies e to o and makes the event announcing it with sequence seq. */
static inline void fx_apply(oms_order_t *o, oms_ord_event_t e, const char *fill_qty,
                            const char *fill_px, int64_t now, uint64_t seq, oms_event_t *ev) {
  oms_ord_change_t ch;
  memset(&ch, 0, sizeof ch);
  ch.event = e;
  ch.ts_ns = now;
  if (fill_qty) ch.fill_qty = T_D(fill_qty);
  if (fill_px) ch.fill_px = T_D(fill_px);
  if (e == OMS_EV_ACCEPT) ch.venue_order_id = "V1";
  if (e == OMS_EV_DENY || e == OMS_EV_REJECT) {
    ch.reason = OMS_R_RISK_MAX_ORDER_QTY;
    ch.reason_text = "qty above limit";
  }
  if (oms_order_apply(o, &ch, NULL) != 0) __builtin_trap();
  oms_event_init(ev, oms_event_type_for(e, o->state), o, now, now - 1000);
  ev->seq = seq;
  if (e == OMS_EV_FILL) {
    ev->fill.qty = ch.fill_qty;
    ev->fill.price = ch.fill_px;
    ev->fill.fee = T_D("0.01");
    ev->fill.liquidity = 'T';
    snprintf(ev->fill.exec_id, sizeof ev->fill.exec_id, "X%llu", (unsigned long long)seq);
  }
  if (e == OMS_EV_DENY) {
    strcpy(ev->check, "max_order_qty");
    ev->reason = OMS_R_RISK_MAX_ORDER_QTY;
    strcpy(ev->text, "qty above limit");
  }
}

/* Whether two orders are the same record: equal canonical encodings (every
 * field; not the padding or the bytes after a string's NUL). */
static inline int fx_same_order(const oms_order_t *a, const oms_order_t *b) {
  static uint8_t x[OMS_ORDER_BIN_MAX], y[OMS_ORDER_BIN_MAX];
  int n = oms_order_encode(a, x, sizeof x);
  int m = oms_order_encode(b, y, sizeof y);
  return n > 0 && n == m && memcmp(x, y, (size_t)n) == 0;
}

/* The fault hook. */
typedef struct fx_fault_s {
  _Atomic int armed;
  _Atomic int count;   /* matching calls while armed */
  _Atomic int fail_at; /* 1-based matching call to fail; 0 = none */
  _Atomic int sticky;  /* keep failing from fail_at on */
  _Atomic int fail_rc;
  _Atomic int fired;
  _Atomic int sleep_commit_us;
  _Atomic int block;         /* writer calls wait while set */
  const char *_Atomic match; /* only labels containing it; NULL = all (the writer reads it) */
} fx_fault_t;

static inline int fx_inject(void *ctx, const char *call) {
  fx_fault_t *f = ctx;
  while (atomic_load(&f->block)) usleep(200);
  if (atomic_load(&f->sleep_commit_us) && strcmp(call, "COMMIT") == 0)
    usleep((useconds_t)atomic_load(&f->sleep_commit_us));
  if (!atomic_load(&f->armed)) return 0;
  const char *match = atomic_load(&f->match);
  if (match && strstr(call, match) == NULL) return 0;
  int n = atomic_fetch_add(&f->count, 1) + 1;
  int at = atomic_load(&f->fail_at);
  if (at && (n == at || (atomic_load(&f->sticky) && n >= at))) {
    atomic_fetch_add(&f->fired, 1);
    return atomic_load(&f->fail_rc);
  }
  return 0;
}

static inline void fx_fault_arm(fx_fault_t *f, int at, int rc, int sticky) {
  atomic_store(&f->count, 0);
  atomic_store(&f->fired, 0);
  atomic_store(&f->fail_at, at);
  atomic_store(&f->fail_rc, rc);
  atomic_store(&f->sticky, sticky);
  atomic_store(&f->armed, 1);
}

static inline int fx_count_events(void *ctx, const oms_event_t *ev) {
  (void)ev;
  (*(int *)ctx)++;
  return 0;
}

static inline int fx_count_orders(void *ctx, const oms_order_t *o) {
  (void)o;
  (*(int *)ctx)++;
  return 0;
}

static inline int fx_count_msgs(void *ctx, int64_t seqnum, const char *msg, size_t len) {
  (void)seqnum, (void)msg, (void)len;
  (*(int *)ctx)++;
  return 0;
}

#endif /* OMS_STORE_FIXTURE_H */
