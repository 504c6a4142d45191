/* W1 (peer: raw C): spawn /bin/true N times sequentially with posix_spawn
 * or vfork+exec, then waitpid.  With "pipe", stdin/stdout/stderr are pipes
 * and stdout/stderr are read to EOF, as a pipe-mode `close` requires.
 * "clone" is what this module does underneath, with no Lua and no libuv:
 * clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD) on a stack in the caller's
 * frame, every signal reset to its default in the child, /dev/null opened
 * once, then poll() on the pidfd and waitid(P_PIDFD).
 * usage: w1_c N posix_spawn|vfork|clone ignore|pipe */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static int use_vfork, use_clone, use_pipe;

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

struct clone_arg { int (*p)[2]; char **argv; };

static int clone_child(void *arg) {
  struct clone_arg *a = arg;
  sigset_t none;
  int sig, fd;
  for (sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (use_pipe) {
    dup2(a->p[0][0], 0); dup2(a->p[1][1], 1); dup2(a->p[2][1], 2);
  } else {
    fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(fd, 0); dup2(fd, 1); dup2(fd, 2);
  }
  execve(a->argv[0], a->argv, environ);
  _exit(127);
}

static pid_t clone_spawn(int p[3][2], char **argv, int *pidfd) {
  union { char bytes[16384]; long double align; } stack;
  struct clone_arg a = { p, argv };
  sigset_t all, old;
  pid_t pid;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid = clone(clone_child, stack.bytes + sizeof stack.bytes, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD,
              &a, pidfd);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) abort();
  return pid;
}

static void one(void) {
  char *argv[] = { "/bin/true", NULL };
  int p[3][2];
  pid_t pid;
  int i, st, pidfd = -1;
  if (use_pipe) {
    for (i = 0; i < 3; i++) if (pipe2(p[i], O_CLOEXEC)) abort();
  }
  if (use_clone) {
    pid = clone_spawn(p, argv, &pidfd);
  } else if (use_vfork) {
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
  if (use_clone) {
    struct pollfd pf = { pidfd, POLLIN, 0 };
    siginfo_t si;
    while (poll(&pf, 1, -1) < 0) {}
    if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) != 0) abort();
    close(pidfd);
    (void)st;
    return;
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
  use_clone = argc > 2 && strcmp(argv[2], "clone") == 0;
  use_pipe = argc > 3 && strcmp(argv[3], "pipe") == 0;
  for (i = 0; i < 20 && i < n / 10; i++) one();
  double t0 = now();
  for (i = 0; i < n; i++) one();
  printf("RESULT rate %.9g spawns/s\n", n / (now() - t0));
  return 0;
}
