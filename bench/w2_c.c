/* W2 (peer: raw C): keep P posix_spawn'ed /bin/true children in flight
 * (waitpid(-1) reaps one, the next is started) until N have exited.
 * usage: w2_c N P */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;
static posix_spawn_file_actions_t fa;

static void one(void) {
  char *argv[] = { "/bin/true", NULL };
  pid_t pid;
  if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) abort();
}

static void batch(int n, int p) {
  int started = 0, done = 0, st;
  while (started < n && started < p) { one(); started++; }
  while (done < n) {
    if (waitpid(-1, &st, 0) > 0) done++;
    if (started < n) { one(); started++; }
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4000, p = argc > 2 ? atoi(argv[2]) : 16, i;
  posix_spawn_file_actions_init(&fa);
  for (i = 0; i < 3; i++) posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0);
  batch(n / 10 < 32 ? n / 10 : 32, p);
  double t0 = now();
  batch(n, p);
  printf("RESULT rate %.9g spawns/s\n", n / (now() - t0));
  return 0;
}
