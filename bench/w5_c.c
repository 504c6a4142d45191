/* W5 (peer: raw C): socketpair ping-pong with a fork()ed child that echoes
 * each line; the parent sends {"i":n,"text":"hello"}\n and waits for the
 * echo, N times.  Both ends block in read(); with SPIN_US > 0 they first
 * retry a non-blocking read for up to SPIN_US µs (a reference row: the
 * floor for a design that polls before it sleeps, as this module does).
 * usage: w5_c N [SPIN_US] */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpu_ns.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double spin_ns;

static ssize_t rd(int fd, char *b, size_t n) {
  double deadline = now() + spin_ns * 1e-9;
  while (spin_ns > 0) {
    ssize_t r = recv(fd, b, n, MSG_DONTWAIT);
    if (r >= 0 || errno != EAGAIN) return r;
    if (now() > deadline) break;
  }
  return read(fd, b, n);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000, sv[2], i, st;
  char buf[256];
  spin_ns = argc > 2 ? atof(argv[2]) * 1e3 : 0;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) abort();
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    ssize_t r;
    while ((r = rd(sv[1], buf, sizeof buf)) > 0)
      if (write(sv[1], buf, r) != r) _exit(1);
    _exit(0);
  }
  close(sv[1]);
  double t0 = 0, c0 = 0;
  for (i = 0; i < n + 200; i++) {
    if (i == 200) {
      c0 = cpu_ns_of(getpid()) + cpu_ns_of(pid);
      t0 = now();
    }
    int len = snprintf(buf, sizeof buf, "{\"i\":%d,\"text\":\"hello\"}\n", i);
    if (write(sv[0], buf, len) != len) abort();
    int got = 0;
    while (got < len) {
      ssize_t r = rd(sv[0], buf + got, sizeof buf - got);
      if (r <= 0) abort();
      got += r;
    }
  }
  double dt = now() - t0, dc = cpu_ns_of(getpid()) + cpu_ns_of(pid) - c0;
  close(sv[0]);
  waitpid(pid, &st, 0);
  printf("RESULT rtt %.9g us\n", dt / n * 1e6);
  printf("RESULT cpu %.9g us\n", dc / n / 1e3);
  return 0;
}
