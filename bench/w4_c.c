/* W4 (peer: raw C): stream MiB mebibytes through `cat` (posix_spawn, two
 * pipes, both ends non-blocking) with a poll() loop: 64 KiB writes, 64 KiB
 * reads.  Kinds of channel: "pipe" (default 64 KiB pipes), "pipe256" (both
 * pipes grown to 256 KiB with F_SETPIPE_SZ, 256 KiB writes and reads),
 * "socketpair" (AF_UNIX stream sockets, as libuv makes for stdio).
 * usage: w4_c MiB [pipe|pipe256|socketpair] */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static long hwm_kib(void) {
  char line[256];
  long v = 0;
  FILE *f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmHWM:", 6) == 0) v = atol(line + 6);
  if (f) fclose(f);
  return v;
}

int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 512;
  long long total = mib * 1024LL * 1024, sent = 0, got = 0;
  const char *kind = argc > 2 ? argv[2] : "pipe";
  static char wbuf[262144], rbuf[262144];
  size_t chunk = strcmp(kind, "pipe256") == 0 ? sizeof wbuf : 65536;
  int in[2], out[2], st;
  char *cargv[] = { "cat", NULL };
  pid_t pid;
  posix_spawn_file_actions_t fa;
  memset(wbuf, 'x', sizeof wbuf);
  double t0 = now();
  if (strcmp(kind, "socketpair") == 0) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, out)) abort();
  } else {
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) abort();
    if (chunk > 65536 && (fcntl(in[1], F_SETPIPE_SZ, (int)chunk) < 0 ||
                          fcntl(out[0], F_SETPIPE_SZ, (int)chunk) < 0)) abort();
  }
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  if (posix_spawnp(&pid, "cat", &fa, NULL, cargv, environ)) abort();
  close(in[0]);
  close(out[1]);
  fcntl(in[1], F_SETFL, O_NONBLOCK);
  fcntl(out[0], F_SETFL, O_NONBLOCK);
  int wfd = in[1];
  while (got < total) {
    struct pollfd p[2] = { { out[0], POLLIN, 0 }, { wfd, POLLOUT, 0 } };
    int n = poll(p, wfd >= 0 ? 2 : 1, -1);
    if (n < 0 && errno == EINTR) continue;
    if (wfd >= 0 && (p[1].revents & (POLLOUT | POLLERR))) {
      size_t want = total - sent < (long long)chunk ? (size_t)(total - sent) : chunk;
      ssize_t w = write(wfd, wbuf, want);
      if (w > 0) sent += w;
      if (sent == total) {
        if (strcmp(kind, "socketpair") == 0) shutdown(wfd, SHUT_WR);
        close(wfd);
        wfd = -1;
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP)) {
      ssize_t r = read(out[0], rbuf, chunk);
      if (r > 0) got += r; else if (r == 0) break;
    }
  }
  close(out[0]);
  waitpid(pid, &st, 0);
  double dt = now() - t0;
  if (got != total) { fprintf(stderr, "got %lld of %lld\n", got, total); return 1; }
  printf("RESULT mibs %.9g MiB/s\n", mib / dt);
  printf("RESULT hwm %.9g MiB\n", hwm_kib() / 1024.0);
  return 0;
}
