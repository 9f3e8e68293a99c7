/*
 * e2e_proc.h - the end-to-end tests' daemons as child processes: omsd or
 * omsvenue started on a free loopback port and data directory, waited for
 * until it listens, stopped (or killed -9) by its own pid and reaped, and
 * the clocks and the CHECK counter those tests share.
 *
 * Each process is one e2e_proc_t the test owns; the pid is -1 whenever no
 * child runs, so a stop is always of the child this test started and never
 * of anything else on the machine.
 */
#ifndef OMS_TEST_E2E_PROC_H
#define OMS_TEST_E2E_PROC_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* A failed check is printed with its place and counted in the including
 * file's `failures`; the test goes on, to report every failure at once. */
#define CHECK(cond, ...)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                   \
      fprintf(stderr, "\n");                                          \
      failures++;                                                     \
    }                                                                 \
  } while (0)

typedef struct e2e_proc_s {
  const char *bin, *conf, *name;
  const char *durability;   /* omsd's --durability, or NULL for its configured one */
  char data[600], log[600]; /* --data-dir; the file its stderr is appended to */
  int port;
  pid_t pid; /* -1 (or 0) when not running */
} e2e_proc_t;

int64_t e2e_now_ns(void);  /* wall clock, for FIX times */
int64_t e2e_mono_ms(void); /* for deadlines */

/* A loopback port free now (the kernel's pick). */
int e2e_free_port(void);
/* A TCP_NODELAY connection to 127.0.0.1:port, or -1. */
int e2e_connect(int port);

/* Starts p (`bin --config conf --port port --data-dir data`) and waits up to
 * 10 s (a sanitizer build starts slowly) until it accepts a connection.
 * 0, or -1 if it never listened. */
int e2e_start(e2e_proc_t *p);
/* Sends sig and reaps: the exit status, 128 + signal, -2 (SIGKILL'ed after
 * 10 s), or -1 when p was not running. */
int e2e_stop(e2e_proc_t *p, int sig);
/* SIGKILL, reaped at once. */
void e2e_kill9(e2e_proc_t *p);
/* One omsd set up in work (emptied first): bin with conf, data in
 * work/data, log work/omsd.log, on a free port, not started. 0, or -1 with
 * *why. */
int e2e_omsd_setup(e2e_proc_t *omsd, const char *bin, const char *conf, const char *work,
                   const char **why);
/* The pair of the FIX venue tests, set up in work (emptied first): venue is
 * omsvenue (venue_bin, venue_conf, data in work/venue, log work/omsvenue.log)
 * and omsd is omsd_bin with work/omsd.conf, a copy of omsd_conf with the
 * venue's port written over its "port = 9879;" (conf_out holds that path;
 * data in work/data, log work/omsd.log), each on a free port, neither
 * started. 0, or -1 with *why. */
int e2e_pair_setup(e2e_proc_t *omsd, e2e_proc_t *venue, char conf_out[600], const char *omsd_bin,
                   const char *venue_bin, const char *omsd_conf, const char *venue_conf,
                   const char *work, const char **why);
/* Waits up to timeout_ms until p's log holds needle at least count times
 * (a state a test must not guess with a sleep: a venue's book live, say).
 * 0, or -1 on timeout. */
int e2e_wait_log(const e2e_proc_t *p, const char *needle, int count, int timeout_ms);

#endif
