/* W5 (reference row, no target): the same ping-pong as w5_c.c, but both
 * ends on a libuv loop (uv_pipe over a socketpair, uv_read_start,
 * uv_try_write) with no Lua and no JSON codec: the floor for any design
 * that waits in epoll_wait rather than in a blocking read.
 * usage: w5_uv N */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cpu_ns.h"

static uv_pipe_t chan;
static char rbuf[65536];
static int is_parent, n, k;
static pid_t child;
static double t0, c0;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void alloc_cb(uv_handle_t *h, size_t size, uv_buf_t *b) {
  (void)h;
  (void)size;
  *b = uv_buf_init(rbuf, sizeof rbuf);
}

static void send_msg(void) {
  char m[64];
  int len = snprintf(m, sizeof m, "{\"i\":%d,\"text\":\"hello\"}\n", k);
  uv_buf_t b = uv_buf_init(m, (unsigned)len);
  if (uv_try_write((uv_stream_t *)&chan, &b, 1) != len) abort();
}

static void read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *b) {
  (void)b;
  if (nread < 0) {
    uv_close((uv_handle_t *)s, NULL);
    return;
  }
  if (!is_parent) { /* echo */
    uv_buf_t w = uv_buf_init(rbuf, (unsigned)nread);
    if (uv_try_write(s, &w, 1) != nread) abort();
    return;
  }
  /* The 26-byte message arrives whole: one read per round trip. */
  if (++k == 200) {
    c0 = cpu_ns_of(getpid()) + cpu_ns_of(child);
    t0 = now();
  }
  if (k < 200 + n) {
    send_msg();
  } else {
    double t1 = now(), c1 = cpu_ns_of(getpid()) + cpu_ns_of(child);
    printf("RESULT rtt %.9g us\n", (t1 - t0) / n * 1e6);
    printf("RESULT cpu %.9g us\n", (c1 - c0) / n / 1e3);
    uv_close((uv_handle_t *)s, NULL);
  }
}

int main(int argc, char **argv) {
  int sv[2], st;
  pid_t pid;
  n = argc > 1 ? atoi(argv[1]) : 20000;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) abort();
  pid = fork();
  if (pid < 0) abort();
  is_parent = pid != 0;
  child = pid;
  close(is_parent ? sv[1] : sv[0]);
  uv_pipe_init(uv_default_loop(), &chan, 0);
  uv_pipe_open(&chan, is_parent ? sv[0] : sv[1]);
  uv_read_start((uv_stream_t *)&chan, alloc_cb, read_cb);
  if (is_parent) send_msg();
  uv_run(uv_default_loop(), UV_RUN_DEFAULT);
  if (is_parent) waitpid(pid, &st, 0);
  return 0;
}
