/* W1 (peer: raw C): spawn /bin/true N times sequentially with posix_spawn
 * or vfork+exec, then waitpid.  With "pipe", stdin/stdout/stderr are pipes
 * and stdout/stderr are read to EOF, as a pipe-mode `close` requires.
 * usage: w1_c N posix_spawn|vfork ignore|pipe */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static int use_vfork, use_pipe;

static void one(void) {
  char *argv[] = { "/bin/true", NULL };
  int p[3][2];
  pid_t pid;
  int i, st;
  if (use_pipe) {
    for (i = 0; i < 3; i++) if (pipe2(p[i], O_CLOEXEC)) abort();
  }
  if (use_vfork) {
    pid = vfork();
    if (pid == 0) {
      if (use_pipe) {
        dup2(p[0][0], 0); dup2(p[1][1], 1); dup2(p[2][1], 2);
      } else {
        int fd = open("/dev/null", O_RDWR);
        dup2(fd, 0); dup2(fd, 1); dup2(fd, 2);
      }
      execve(argv[0], argv, environ);
      _exit(127);
    }
  } else {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (use_pipe) {
      posix_spawn_file_actions_adddup2(&fa, p[0][0], 0);
      posix_spawn_file_actions_adddup2(&fa, p[1][1], 1);
      posix_spawn_file_actions_adddup2(&fa, p[2][1], 2);
    } else {
      for (i = 0; i < 3; i++) posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0);
    }
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ)) abort();
    posix_spawn_file_actions_destroy(&fa);
  }
  if (use_pipe) {
    char buf[4096];
    close(p[0][0]); close(p[1][1]); close(p[2][1]);
    close(p[0][1]);
    while (read(p[1][0], buf, sizeof buf) > 0) {}
    while (read(p[2][0], buf, sizeof buf) > 0) {}
    close(p[1][0]); close(p[2][0]);
  }
  waitpid(pid, &st, 0);
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000, i;
  use_vfork = argc > 2 && strcmp(argv[2], "vfork") == 0;
  use_pipe = argc > 3 && strcmp(argv[3], "pipe") == 0;
  for (i = 0; i < 20 && i < n / 10; i++) one();
  double t0 = now();
  for (i = 0; i < n; i++) one();
  printf("RESULT rate %.9g spawns/s\n", n / (now() - t0));
  return 0;
}
