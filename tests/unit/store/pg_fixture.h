/* pg_fixture.h - a throwaway PostgreSQL 15 cluster of the test's own: initdb
 * into a temporary directory, the server on 127.0.0.1 (a free port) with its
 * unix socket in that directory, stopped with `pg_ctl -m fast` (or by the
 * PID in postmaster.pid) and removed. initdb and pg_ctl refuse to run as
 * root: as root they run as the postgres user (runuser). One cluster per
 * test process; each test uses instances of its own names. Without the
 * binaries the tests skip, loudly, except under CI (CI set), where they
 * fail. fsync is off: a test cluster does not outlive its machine. */
#ifndef OMS_PG_FIXTURE_H
#define OMS_PG_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FX_PG_BIN "/usr/lib/postgresql/15/bin"

typedef struct fx_pg_s {
  char dir[64];
  char conninfo[160];
  int port;
  int up;
} fx_pg_t;

static inline int fx_pg_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = -1;
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

/* Runs a PostgreSQL program (as postgres when we are root). */
static inline int fx_pg_run(const fx_pg_t *pg, const char *args) {
  char cmd[768];
  snprintf(cmd, sizeof cmd, "%s" FX_PG_BIN "/%s >>%s/pg.log 2>&1",
           geteuid() == 0 ? "runuser -u postgres -- " : "", args, pg->dir);
  return system(cmd);
}

/* Starts (again) the server of an initialised cluster: 0 or -1. */
static inline int fx_pg_start(fx_pg_t *pg) {
  char args[512];
  snprintf(args, sizeof args,
           "pg_ctl -D %s/data -w -t 30 -o \"-k %s -h 127.0.0.1 -p %d -c fsync=off\" start", pg->dir,
           pg->dir, pg->port);
  pg->up = fx_pg_run(pg, args) == 0;
  return pg->up ? 0 : -1;
}

/* Stops the server (fast: open sessions are cut), by its PID if pg_ctl
 * fails. */
static inline void fx_pg_stop(fx_pg_t *pg) {
  char args[256], p[128];
  snprintf(args, sizeof args, "pg_ctl -D %s/data -m fast -w -t 30 stop", pg->dir);
  if (fx_pg_run(pg, args) != 0) {
    snprintf(p, sizeof p, "%s/data/postmaster.pid", pg->dir);
    FILE *f = fopen(p, "r");
    long pid = 0;
    if (f != NULL) {
      if (fscanf(f, "%ld", &pid) != 1) pid = 0;
      fclose(f);
    }
    if (pid > 0) kill((pid_t)pid, SIGQUIT);
  }
  pg->up = 0;
}

/* A new cluster, started: 0; 1 when PostgreSQL is not installed (said on
 * stderr; under CI that exits the test with a failure); -1 on failure. */
static inline int fx_pg_init(fx_pg_t *pg) {
  memset(pg, 0, sizeof *pg);
  if (access(FX_PG_BIN "/initdb", X_OK) != 0 || access(FX_PG_BIN "/pg_ctl", X_OK) != 0) {
    fprintf(stderr, "SKIP: PostgreSQL 15 is not installed (" FX_PG_BIN "; make deps)\n");
    if (getenv("CI") != NULL) {
      fprintf(stderr, "FAIL: CI is set: the PostgreSQL tests must run\n");
      exit(1);
    }
    return 1;
  }
  snprintf(pg->dir, sizeof pg->dir, "/tmp/oms-pg-XXXXXX");
  if (mkdtemp(pg->dir) == NULL) return -1;
  char cmd[256], args[256];
  if (geteuid() == 0) {
    snprintf(cmd, sizeof cmd, "chown postgres %s", pg->dir);
    if (system(cmd) != 0) return -1;
  }
  pg->port = fx_pg_port();
  snprintf(pg->conninfo, sizeof pg->conninfo,
           "host=127.0.0.1 port=%d user=postgres dbname=postgres connect_timeout=2", pg->port);
  snprintf(args, sizeof args, "initdb -D %s/data -A trust -E UTF8 -U postgres", pg->dir);
  if (fx_pg_run(pg, args) != 0) return -1;
  return fx_pg_start(pg);
}

/* Stops the server and removes the cluster. */
static inline void fx_pg_destroy(fx_pg_t *pg) {
  if (pg->dir[0] == '\0') return;
  if (pg->up) fx_pg_stop(pg);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", pg->dir);
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", pg->dir);
  pg->dir[0] = '\0';
}

#endif /* OMS_PG_FIXTURE_H */
