/* nats_fixture.h - a nats-server of the test's own on 127.0.0.1 (a free
 * port, a JetStream directory), started and killed by its PID, and a
 * reader of a whole JetStream stream. Without nats-server the tests skip,
 * loudly, except under CI (CI set), where they fail. */
#ifndef OMS_NATS_FIXTURE_H
#define OMS_NATS_FIXTURE_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct fx_nats_s {
  pid_t pid;
  int port;
  char dir[64];
  char url[64];
} fx_nats_t;

/* Whether nats-server is here; says so on stderr when it is not. */
static inline int fx_nats_present(void) {
  if (system("command -v nats-server >/dev/null 2>&1") == 0) return 1;
  fprintf(stderr, "SKIP: nats-server is not installed (make deps installs it)\n");
  if (getenv("CI") != NULL) {
    fprintf(stderr, "FAIL: CI is set: the stream tests must run\n");
    exit(1);
  }
  return 0;
}

static inline int fx_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t n = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &n))
    abort();
  close(fd);
  return ntohs(a.sin_port);
}

static inline void fx_sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Starts (or restarts, same port and directory) the server; waits until it
 * accepts connections (5 s at most). */
static inline void fx_nats_start(fx_nats_t *n) {
  if (n->port == 0) {
    n->port = fx_free_port();
    snprintf(n->dir, sizeof n->dir, "/tmp/oms_nats_XXXXXX");
    if (mkdtemp(n->dir) == NULL) abort();
    snprintf(n->url, sizeof n->url, "nats://127.0.0.1:%d", n->port);
  }
  char port[16];
  snprintf(port, sizeof port, "%d", n->port);
  n->pid = fork();
  if (n->pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    execlp("nats-server", "nats-server", "-js", "-sd", n->dir, "-a", "127.0.0.1", "-p", port,
           (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)n->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    if (ok) return;
    fx_sleep_ms(10);
  }
  abort();
}

static inline void fx_nats_kill(fx_nats_t *n, int sig) {
  if (n->pid <= 0) return;
  kill(n->pid, sig);
  waitpid(n->pid, NULL, 0);
  n->pid = 0;
}

static inline void fx_nats_remove(fx_nats_t *n) {
  fx_nats_kill(n, SIGKILL);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", n->dir);
  if (system(cmd) != 0) abort();
}

/* Reads every message of the stream in order: ids[i] gets the seq of the
 * i-th message's Nats-Msg-Id ("<instance>-<seq>"), subjects (may be NULL)
 * its subject. Returns the number of messages (at most cap), -1 on error. */
static inline long fx_nats_read_all(const char *url, const char *stream, uint64_t *ids,
                                    char (*subjects)[128], long cap) {
  natsConnection *nc = NULL;
  jsCtx *js = NULL;
  long n = -1;
  if (natsConnection_ConnectTo(&nc, url) != NATS_OK) return -1;
  if (natsConnection_JetStream(&js, nc, NULL) != NATS_OK) goto out;
  jsStreamInfo *si = NULL;
  if (js_GetStreamInfo(&si, js, stream, NULL, NULL) != NATS_OK) goto out;
  uint64_t first = si->State.FirstSeq, last = si->State.LastSeq;
  jsStreamInfo_Destroy(si);
  n = 0;
  for (uint64_t q = first; q <= last && q > 0 && n < cap; q++) {
    natsMsg *m = NULL;
    if (js_GetMsg(&m, js, stream, q, NULL, NULL) != NATS_OK) {
      n = -1;
      break;
    }
    const char *id = NULL;
    natsMsgHeader_Get(m, "Nats-Msg-Id", &id);
    const char *dash = id != NULL ? strrchr(id, '-') : NULL;
    ids[n] = dash != NULL ? strtoull(dash + 1, NULL, 10) : 0;
    if (subjects != NULL) snprintf(subjects[n], 128, "%s", natsMsg_GetSubject(m));
    n++;
    natsMsg_Destroy(m);
  }
out:
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return n;
}

#endif /* OMS_NATS_FIXTURE_H */
