/*
 * reap.c — seeing our children exit without owning SIGCHLD.
 *
 * On Linux 5.3+ each child gets a pidfd from the spawn itself (process.c's
 * clone with CLONE_PIDFD, or pidfd_open right after it).  It becomes
 * readable when that child exits, so an exit costs a waitid on that child
 * alone (never a sweep over every child), no signal handler is installed
 * at all, and kill() goes through pidfd_send_signal, which can never reach
 * a recycled pid.  The pidfds sit in one epoll set of our own, polled on
 * the loop by one handle: a child costs one epoll_ctl to add and one to
 * remove, where a libuv poll handle per child cost six system calls
 * (uv_poll_init's probe, its FIONBIO, the stop in uv_poll_start, the add,
 * the delete), and one wake-up delivers every child that exited.
 *
 * Without pidfd (an old kernel, a seccomp filter answering ENOSYS,
 * LUA_CHILD_PROCESS_NO_PIDFD=1, or a pidfd_open that failed for one child)
 * the child is swept: waitpid on each such pid when SIGCHLD comes, and on a
 * timer that backs off from 1 ms to 100 ms.  The SIGCHLD watcher is started
 * only where SIGCHLD had its default disposition, so a host's handler is
 * never replaced; the timer is what still sees every exit after another
 * libuv copy or the host took SIGCHLD over.
 *
 * A host may reap one of our children itself (waitpid(-1)).  Its status is
 * then gone, and the exit says so (p->lost: an ECHILD error event), never
 * a made-up success.
 *
 * lua_close leaves children running; a detached thread reaps them as they
 * exit, so no zombie outlives a closed state.
 */
#include <errno.h>
#include <poll.h>
#if defined(__linux__)
#include <sys/epoll.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cp.h"

#if defined(__linux__)
#include <sys/syscall.h>
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define CP_HAVE_PIDFD 1
static int cp_pidfd_open(pid_t pid) { return (int)syscall(__NR_pidfd_open, pid, 0); }
static int cp_pidfd_signal(int fd, int sig) {
  return (int)syscall(__NR_pidfd_send_signal, fd, sig, NULL, 0);
}
#else
static int cp_pidfd_open(pid_t pid) {
  (void)pid;
  errno = ENOSYS;
  return -1;
}
static int cp_pidfd_signal(int fd, int sig) {
  (void)fd;
  (void)sig;
  errno = ENOSYS;
  return -1;
}
#endif

#define CP_SWEEP_MAX_MS 100

/* 1: reaped, *status set; 0: still running; -1: reaped by someone else. */
static int cp_wait_one(pid_t pid, int pidfd, int *status) {
  int r;
#ifdef CP_HAVE_PIDFD
  if (pidfd >= 0) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    do r = waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0) {
      if (si.si_pid == 0) return 0;
      /* Back to a waitpid status, which the rest of the module reads. */
      if (si.si_code == CLD_EXITED) *status = (si.si_status & 0xff) << 8;
      else *status = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
      return 1;
    }
    /* Linux 5.3 has pidfd_open but not P_PIDFD (5.4): wait by pid. */
    if (errno != EINVAL) return -1;
  }
#else
  (void)pidfd;
#endif
  do r = waitpid(pid, status, WNOHANG);
  while (r < 0 && errno == EINTR);
  return r == pid ? 1 : r == 0 ? 0 : -1;
}

static void cp_sweep_arm(cp_ctx *ctx);

/* The pidfd handle holds the loop while a referenced child runs. */
static void cp_pidfd_ref_update(cp_ctx *ctx) {
  if (!ctx->pidfd_poll_on) return;
  if (ctx->nref_pidfd > 0) uv_ref((uv_handle_t *)&ctx->pidfd_poll);
  else uv_unref((uv_handle_t *)&ctx->pidfd_poll);
}

/* Stop watching p (it exited).  An explicit delete rather than relying on
 * the close of the pidfd: a fork elsewhere in the host may hold a copy of
 * it for a while, and the set must never hand back a freed p. */
static void cp_unwatch(cp_proc *p) {
  cp_ctx *ctx = p->ctx;
  if (p->watch) {
#ifdef CP_HAVE_PIDFD
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    epoll_ctl(ctx->pidfd_ep, EPOLL_CTL_DEL, p->pidfd, &ev);
#endif
    p->watch = NULL;
    if (p->refd) {
      ctx->nref_pidfd--;
      cp_pidfd_ref_update(ctx);
    }
  } else {
    ctx->nswept--;
    if (p->refd) ctx->nref_swept--;
    cp_sweep_arm(ctx);
  }
  p->refd = 0;
}

/* Deliver the exit of a child already unlinked from ctx->procs. */
static void cp_deliver(cp_proc *p, int r, int status) {
  cp_unwatch(p);
  if (p->pidfd >= 0) close(p->pidfd);
  p->pidfd = -1;
  p->status = r == 1 ? status : 0;
  p->lost = r < 0;
  cp_proc_exited(p);
}

#ifdef CP_HAVE_PIDFD
/* Some pidfds in the set are readable: those children exited.  Each one
 * is waited for just before its exit is delivered, and nothing is touched
 * once the state is closing (an exit callback may call os.exit(c, true)):
 * the children not delivered then stay linked, and the reaper thread of
 * cp_reap_close waits for them. */
static void cp_pidfd_cb(uv_poll_t *w, int status, int events) {
  cp_ctx *ctx = (cp_ctx *)w->data;
  struct epoll_event ev[32];
  int i, n;
  (void)status;
  (void)events;
  if (ctx->closing) return;
  do n = epoll_wait(ctx->pidfd_ep, ev, (int)(sizeof ev / sizeof ev[0]), 0);
  while (n < 0 && errno == EINTR);
  for (i = 0; i < n && !ctx->closing; i++) {
    cp_proc *p = (cp_proc *)ev[i].data.ptr;
    int st = 0, r = cp_wait_one(p->pid, p->pidfd, &st);
    if (r == 0) continue;
    cp_proc_unlink(p);
    cp_deliver(p, r, st);
  }
}
#endif

/* The fallback: try every child that has no pidfd watcher. */
static void cp_sweep(cp_ctx *ctx) {
  cp_proc *p, *next, *done = NULL, **tail = &done;
  int st, r;
  if (ctx->closing) return;
  for (p = ctx->procs; p != NULL; p = next) {
    next = p->next;
    st = 0;
    if (p->watch == NULL && (r = cp_wait_one(p->pid, -1, &st)) != 0) {
      cp_proc_unlink(p); /* deliver after the walk */
      p->status = st;
      p->lost = r;       /* 1 reaped, -1 lost: decoded in cp_deliver */
      *tail = p;
      tail = &p->next;
    }
  }
  /* Exit callbacks may spawn or kill: run them after the walk. */
  while ((p = done) != NULL) {
    done = p->next;
    p->next = NULL;
    cp_deliver(p, p->lost, p->status);
  }
}

static void cp_sweep_cb(uv_timer_t *t) {
  cp_ctx *ctx = (cp_ctx *)t->data;
  cp_sweep(ctx);
  if (ctx->nswept > 0 && !ctx->closing) {
    ctx->sweep_ms = ctx->sweep_ms * 2 > CP_SWEEP_MAX_MS ? CP_SWEEP_MAX_MS : ctx->sweep_ms * 2;
    uv_timer_start(&ctx->sweep, cp_sweep_cb, ctx->sweep_ms, 0);
  }
}

/* The sweep timer runs while swept children live, and keeps the loop
 * alive while one of them is referenced. */
static void cp_sweep_arm(cp_ctx *ctx) {
  if (ctx->nswept == 0) {
    uv_timer_stop(&ctx->sweep);
    return;
  }
  if (ctx->nref_swept > 0) uv_ref((uv_handle_t *)&ctx->sweep);
  else uv_unref((uv_handle_t *)&ctx->sweep);
}

static void cp_sigchld_cb(uv_signal_t *s, int signum) {
  (void)signum;
  cp_sweep((cp_ctx *)s->data);
}

/* Watch SIGCHLD only where nobody else does: a host's handler, or an
 * ignored SIGCHLD (the host asked for automatic reaping), stays as it is. */
static void cp_sigchld_start(cp_ctx *ctx) {
  struct sigaction sa;
  if (ctx->sigchld_on) return;
  if (sigaction(SIGCHLD, NULL, &sa) != 0 || (sa.sa_flags & SA_SIGINFO) || sa.sa_handler != SIG_DFL)
    return;
  if (uv_signal_init(ctx->loop, &ctx->sigchld) != 0) return;
  ctx->sigchld.data = ctx;
  ctx->sigchld_on = 1;
  if (uv_signal_start(&ctx->sigchld, cp_sigchld_cb, SIGCHLD) != 0) return;
  uv_unref((uv_handle_t *)&ctx->sigchld);
  if (sigaction(SIGCHLD, NULL, &sa) == 0) ctx->sigchld_mine = sa.sa_handler;
}

void cp_reap_watch(cp_proc *p) {
  cp_ctx *ctx = p->ctx;
  /* process.c's clone may have made the pidfd already (CLONE_PIDFD). */
  if (p->pidfd < 0 && ctx->use_pidfd) p->pidfd = cp_pidfd_open(p->pid);
#ifdef CP_HAVE_PIDFD
  if (p->pidfd >= 0 && ctx->pidfd_poll_on) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = p;
    if (epoll_ctl(ctx->pidfd_ep, EPOLL_CTL_ADD, p->pidfd, &ev) == 0) {
      p->watch = &ctx->pidfd_poll;
      return;
    }
  }
#endif
  /* Keep any pidfd for kill(); the sweep sees the exit. */
  ctx->nswept++;
  cp_sigchld_start(ctx);
  ctx->sweep_ms = 1;
  uv_timer_start(&ctx->sweep, cp_sweep_cb, ctx->sweep_ms, 0);
  cp_sweep_arm(ctx);
}

void cp_reap_ref(cp_proc *p) {
  cp_ctx *ctx = p->ctx;
  if (p->watch) {
    ctx->nref_pidfd += p->refd ? 1 : -1;
    cp_pidfd_ref_update(ctx);
    return;
  }
  ctx->nref_swept += p->refd ? 1 : -1;
  cp_sweep_arm(ctx);
}

int cp_reap_kill(cp_proc *p, int sig) {
  int r;
  /* Unlinked but not yet exited: a sweep reaped it and delivers its exit
   * after an earlier child's, whose listener is calling us.  Its pid is
   * free for reuse: never signal it. */
  if (p->pprev == NULL) return UV_ESRCH;
  r = p->pidfd >= 0 ? cp_pidfd_signal(p->pidfd, sig) : kill(p->pid, sig);
  return r == 0 ? 0 : -errno;
}

void cp_reap_init(cp_ctx *ctx) {
  const char *off = getenv("LUA_CHILD_PROCESS_NO_PIDFD");
  ctx->use_pidfd = 0;
  if (off == NULL || *off == '\0' || *off == '0') {
    int fd = cp_pidfd_open(getpid());
    if (fd >= 0) {
      close(fd);
      ctx->use_pidfd = 1;
    }
  }
  uv_timer_init(ctx->loop, &ctx->sweep);
  ctx->sweep.data = ctx;
  uv_unref((uv_handle_t *)&ctx->sweep);
#ifdef CP_HAVE_PIDFD
  /* The set outlives a switch of loop (cp_ctx_switch_loop); its handle
   * is made again on the new loop.  Without it every child is swept. */
  if (ctx->use_pidfd && ctx->pidfd_ep <= 0) ctx->pidfd_ep = epoll_create1(EPOLL_CLOEXEC);
  if (ctx->use_pidfd && ctx->pidfd_ep > 0 && !ctx->pidfd_poll_on &&
      uv_poll_init(ctx->loop, &ctx->pidfd_poll, ctx->pidfd_ep) == 0) {
    ctx->pidfd_poll.data = ctx;
    ctx->pidfd_poll_on = 1;
    uv_poll_start(&ctx->pidfd_poll, UV_READABLE, cp_pidfd_cb);
    cp_pidfd_ref_update(ctx);
  }
#endif
}

void cp_reap_close_own(cp_ctx *ctx) {
  if (!ctx->pidfd_poll_on) return;
  ctx->pidfd_poll_on = 0;
  cp_ctx_close_internal(ctx, (uv_handle_t *)&ctx->pidfd_poll);
}

/* ---- after lua_close ---------------------------------------------------- */

typedef struct cp_orphan {
  pid_t pid;
  int pidfd;
} cp_orphan;

typedef struct cp_orphans {
  int n;
  cp_orphan kids[];
} cp_orphans;

/* The reaper thread: wait for each child of a closed state, then end. */
static void *cp_reaper_main(void *arg) {
  cp_orphans *o = (cp_orphans *)arg;
  struct pollfd *fds = (struct pollfd *)calloc((size_t)o->n, sizeof *fds);
  while (o->n > 0) {
    int i, nfds = 0, swept = 0, st;
    for (i = 0; i < o->n; i++) {
      if (o->kids[i].pidfd >= 0 && fds != NULL) {
        fds[nfds].fd = o->kids[i].pidfd;
        fds[nfds].events = POLLIN;
        nfds++;
      } else {
        swept = 1;
      }
    }
    if (poll(fds, (nfds_t)nfds, swept ? CP_SWEEP_MAX_MS : -1) < 0 && errno != EINTR) break;
    for (i = o->n - 1; i >= 0; i--) {
      if (cp_wait_one(o->kids[i].pid, o->kids[i].pidfd, &st) == 0) continue;
      if (o->kids[i].pidfd >= 0) close(o->kids[i].pidfd);
      o->kids[i] = o->kids[--o->n];
    }
  }
  free(fds);
  free(o);
  return NULL;
}

void cp_reap_close(cp_ctx *ctx) {
  cp_proc *p;
  cp_orphans *o;
  int n = 0;
  for (p = ctx->procs; p; p = p->next) n++;
  o = n ? (cp_orphans *)malloc(sizeof *o + (size_t)n * sizeof(cp_orphan)) : NULL;
  if (o) o->n = 0;
  for (p = ctx->procs; p; p = p->next) {
    p->watch = NULL; /* the set is closed below; the pidfd goes on */
    if (o) {
      o->kids[o->n].pid = p->pid;
      o->kids[o->n].pidfd = p->pidfd;
      o->n++;
    } else if (p->pidfd >= 0) {
      close(p->pidfd);
    }
    p->pidfd = -1;
  }
  if (o) {
    pthread_t t;
    pthread_attr_t attr;
    sigset_t all, old;
    /* The thread takes no signal meant for the host's threads. */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, cp_reaper_main, o) != 0) {
      int i;
      for (i = 0; i < o->n; i++)
        if (o->kids[i].pidfd >= 0) close(o->kids[i].pidfd);
      free(o);
    }
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
  }
  cp_reap_close_own(ctx);
  if (ctx->pidfd_ep > 0) close(ctx->pidfd_ep);
  ctx->pidfd_ep = -1;
  ctx->nref_pidfd = 0;
  if (ctx->sigchld_on) {
    /* Closing libuv's watcher resets SIGCHLD to its default, also when a
     * second libuv copy or the host installed a handler since: put theirs
     * back. */
    struct sigaction cur;
    int theirs = sigaction(SIGCHLD, NULL, &cur) == 0 &&
                 ((cur.sa_flags & SA_SIGINFO) || cur.sa_handler != ctx->sigchld_mine);
    cp_ctx_close_internal(ctx, (uv_handle_t *)&ctx->sigchld);
    ctx->sigchld_on = 0;
    if (theirs) sigaction(SIGCHLD, &cur, NULL);
  }
}

/* core.reaper() → "pidfd" or "sigchld": how this state sees exits. */
static int cp_reaper(lua_State *L) {
  lua_pushstring(L, cp_ctx_get(L)->use_pidfd ? "pidfd" : "sigchld");
  return 1;
}

void cp_reap_open(lua_State *L) {
  lua_pushcfunction(L, cp_reaper);
  lua_setfield(L, -2, "reaper");
}
