/*
 * e2e_proc.c - the end-to-end tests' child daemons and clocks (e2e_proc.h).
 */
#include "e2e_proc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t e2e_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t e2e_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int e2e_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &n);
  close(fd);
  return ntohs(a.sin_port);
}

int e2e_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

int e2e_start(e2e_proc_t *p) {
  p->pid = fork();
  if (p->pid == 0) {
    if (!freopen(p->log, "a", stderr)) _exit(126);
    char port[16];
    snprintf(port, sizeof port, "%d", p->port);
    if (p->durability != NULL)
      execl(p->bin, p->bin, "--config", p->conf, "--port", port, "--data-dir", p->data,
            "--durability", p->durability, (char *)NULL);
    else
      execl(p->bin, p->bin, "--config", p->conf, "--port", port, "--data-dir", p->data,
            (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 1000; i++) {
    int fd = e2e_connect(p->port);
    if (fd >= 0) {
      close(fd);
      return 0;
    }
    usleep(10000);
  }
  return -1;
}

int e2e_stop(e2e_proc_t *p, int sig) {
  if (p->pid <= 0) return -1;
  kill(p->pid, sig);
  int st = 0;
  for (int i = 0; i < 1000; i++) {
    if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
      p->pid = -1;
      return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    usleep(10000);
  }
  e2e_kill9(p);
  return -2;
}

void e2e_kill9(e2e_proc_t *p) {
  if (p->pid <= 0) return;
  kill(p->pid, SIGKILL);
  waitpid(p->pid, NULL, 0);
  p->pid = -1;
}

int e2e_wait_log(const e2e_proc_t *p, const char *needle, int count, int timeout_ms) {
  int64_t deadline = e2e_mono_ms() + timeout_ms;
  for (;;) {
    int seen = 0;
    FILE *f = fopen(p->log, "r");
    if (f != NULL) {
      char line[4096];
      while (fgets(line, sizeof line, f) != NULL) seen += strstr(line, needle) != NULL;
      fclose(f);
    }
    if (seen >= count) return 0;
    if (e2e_mono_ms() >= deadline) return -1;
    usleep(20000);
  }
}

int e2e_omsd_setup(e2e_proc_t *omsd, const char *bin, const char *conf, const char *work,
                   const char **why) {
  char cmd[1300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", work, work);
  if (system(cmd) != 0) {
    *why = "workdir";
    return -1;
  }
  omsd->bin = bin;
  omsd->conf = conf;
  snprintf(omsd->data, sizeof omsd->data, "%s/data", work);
  snprintf(omsd->log, sizeof omsd->log, "%s/omsd.log", work);
  omsd->port = e2e_free_port();
  return 0;
}

int e2e_pair_setup(e2e_proc_t *omsd, e2e_proc_t *venue, char conf_out[600], const char *omsd_bin,
                   const char *venue_bin, const char *omsd_conf, const char *venue_conf,
                   const char *work, const char **why) {
  snprintf(conf_out, 600, "%s/omsd.conf", work);
  if (e2e_omsd_setup(omsd, omsd_bin, conf_out, work, why) != 0) return -1;
  venue->bin = venue_bin;
  venue->conf = venue_conf;
  snprintf(venue->data, sizeof venue->data, "%s/venue", work);
  snprintf(venue->log, sizeof venue->log, "%s/omsvenue.log", work);
  venue->port = e2e_free_port();
  static char text[1 << 16];
  FILE *in = fopen(omsd_conf, "r");
  size_t tn = in ? fread(text, 1, sizeof text - 1, in) : 0;
  if (in) fclose(in);
  text[tn] = '\0';
  const char *mark = "port = 9879;";
  char *at = strstr(text, mark);
  FILE *out = at != NULL ? fopen(conf_out, "w") : NULL;
  if (out == NULL) {
    *why = "omsd's configuration";
    return -1;
  }
  fprintf(out, "%.*sport = %d;%s", (int)(at - text), text, venue->port, at + strlen(mark));
  fclose(out);
  return 0;
}
