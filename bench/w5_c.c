/* W5 (peer: raw C): socketpair ping-pong with a fork()ed child that echoes
 * each line; the parent sends {"i":n,"text":"hello"}\n and waits for the
 * echo, N times.  usage: w5_c N */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000, sv[2], i, st;
  char buf[256];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) abort();
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    ssize_t r;
    while ((r = read(sv[1], buf, sizeof buf)) > 0)
      if (write(sv[1], buf, r) != r) _exit(1);
    _exit(0);
  }
  close(sv[1]);
  double t0 = 0;
  for (i = 0; i < n + 200; i++) {
    if (i == 200) t0 = now();
    int len = snprintf(buf, sizeof buf, "{\"i\":%d,\"text\":\"hello\"}\n", i);
    if (write(sv[0], buf, len) != len) abort();
    int got = 0;
    while (got < len) {
      ssize_t r = read(sv[0], buf + got, sizeof buf - got);
      if (r <= 0) abort();
      got += r;
    }
  }
  double dt = now() - t0;
  close(sv[0]);
  waitpid(pid, &st, 0);
  printf("RESULT rtt %.9g us\n", dt / n * 1e6);
  return 0;
}
