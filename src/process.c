/*
 * process.c — spawning children and the process handle.
 *
 * Children are started with posix_spawn: glibc runs it on a vfork-style
 * clone, so its cost does not grow with the parent's heap, unlike the full
 * fork() of libuv 1.44's uv_spawn.  posix_spawn cannot change uid/gid, so
 * that one case falls back to fork + exec with a close-on-exec error pipe.
 * Nor can it set PR_SET_PDEATHSIG (dieWithParent): that case uses the same
 * vfork-style clone as glibc, with a small child function of our own.
 * Either way the child is then watched by reap.c (a pidfd, or the SIGCHLD
 * fallback), which waits only for the pids listed here.
 *
 * core.spawn(t) takes options the Lua facade has already validated:
 *   t.file, t.args (args[1] is argv[0]), t.env (array of "K=V" or nil),
 *   t.cwd, t.uid, t.gid, t.detached, t.group (new process group),
 *   t.pdeathsig (signal number: dieWithParent),
 *   t.stdio[i] for child fd i-1: "pipe" | "ipc" | "ignore" | integer fd.
 * It returns proc, pid, {[i] = pipe or channel handle}, or on failure
 * nil, code ("ENOENT"), errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <lualib.h>

#include "cp.h"

#define CP_PROC "child_process.proc"

/* ---- signals ---------------------------------------------------------- */

static const struct {
  const char *name;
  int num;
} cp_signals[] = {
    {"SIGHUP", SIGHUP},   {"SIGINT", SIGINT},     {"SIGQUIT", SIGQUIT},
    {"SIGILL", SIGILL},   {"SIGTRAP", SIGTRAP},   {"SIGABRT", SIGABRT},
    {"SIGBUS", SIGBUS},   {"SIGFPE", SIGFPE},     {"SIGKILL", SIGKILL},
    {"SIGUSR1", SIGUSR1}, {"SIGSEGV", SIGSEGV},   {"SIGUSR2", SIGUSR2},
    {"SIGPIPE", SIGPIPE}, {"SIGALRM", SIGALRM},   {"SIGTERM", SIGTERM},
    {"SIGCHLD", SIGCHLD}, {"SIGCONT", SIGCONT},   {"SIGSTOP", SIGSTOP},
    {"SIGTSTP", SIGTSTP}, {"SIGTTIN", SIGTTIN},   {"SIGTTOU", SIGTTOU},
    {"SIGURG", SIGURG},   {"SIGXCPU", SIGXCPU},   {"SIGXFSZ", SIGXFSZ},
    {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF}, {"SIGWINCH", SIGWINCH},
    {"SIGIO", SIGIO},     {"SIGSYS", SIGSYS},     {"SIGPWR", SIGPWR},
    {"SIGSTKFLT", SIGSTKFLT},
    /* Aliases Node knows too; after the names above, which signal_name
     * gives for these numbers. */
    {"SIGIOT", SIGIOT},   {"SIGPOLL", SIGPOLL},   {NULL, 0}};

/* ---- the process handle ---------------------------------------------- */

static cp_proc *cp_proc_check(lua_State *L) {
  cp_proc **slot = (cp_proc **)luaL_checkudata(L, 1, CP_PROC);
  return *slot;
}

void cp_proc_link(cp_ctx *ctx, cp_proc *p) {
  p->next = ctx->procs;
  p->pprev = &ctx->procs;
  if (ctx->procs) ctx->procs->pprev = &p->next;
  ctx->procs = p;
}

void cp_proc_unlink(cp_proc *p) {
  if (p->pprev == NULL) return;
  *p->pprev = p->next;
  if (p->next) p->next->pprev = p->pprev;
  p->next = NULL;
  p->pprev = NULL;
}

static void cp_proc_set_ref(cp_proc *p, int on) {
  on = on && !p->exited;
  if (on == p->refd) return;
  p->refd = on;
  cp_reap_ref(p);
}

void cp_proc_exited(cp_proc *p) {
  cp_ctx *ctx = p->ctx;
  lua_State *L = ctx->L;
  int exit_ref = p->exit_ref, self_ref = p->self_ref;
  cp_proc_set_ref(p, 0);
  p->exited = 1;
  p->exit_ref = LUA_NOREF;
  p->self_ref = LUA_NOREF;
  if (p->lost) {
    /* Someone else reaped it: no code, no signal, and say why. */
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushliteral(L, "ECHILD");
  } else if (WIFSIGNALED(p->status)) {
    lua_pushnil(L);
    lua_pushinteger(L, WTERMSIG(p->status));
    lua_pushnil(L);
  } else {
    lua_pushinteger(L, WIFEXITED(p->status) ? WEXITSTATUS(p->status) : 0);
    lua_pushnil(L);
    lua_pushnil(L);
  }
  cp_callback(ctx, exit_ref, 3);
  cp_unref(L, &exit_ref);
  cp_unref(L, &self_ref); /* p may be collected from here on */
}

void cp_proc_forget_all(cp_ctx *ctx) {
  cp_proc *p;
  while ((p = ctx->procs) != NULL) {
    cp_proc_unlink(p);
    if (p->owner) *p->owner = NULL;
    free(p);
  }
}

static int cp_proc_gc(lua_State *L) {
  cp_proc **slot = (cp_proc **)lua_touserdata(L, 1);
  cp_proc *p = *slot;
  if (p == NULL) return 0;
  if (!p->exited) {
    /* lua_close: the child runs on; the context's __gc (after ours) hands
     * it to the reaper thread and frees it. */
    p->owner = NULL;
    *slot = NULL;
    return 0;
  }
  free(p);
  *slot = NULL;
  return 0;
}

/* proc:kill(signum) → true, or false, code */
static int cp_proc_kill(lua_State *L) {
  cp_proc *p = cp_proc_check(L);
  int sig = (int)luaL_checkinteger(L, 2), err;
  if (p == NULL || p->exited) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, "ESRCH");
    return 2;
  }
  err = cp_reap_kill(p, sig);
  if (err != 0) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, uv_err_name(err));
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int cp_proc_ref(lua_State *L) {
  cp_proc *p = cp_proc_check(L);
  if (p) cp_proc_set_ref(p, 1);
  return 0;
}

static int cp_proc_unref(lua_State *L) {
  cp_proc *p = cp_proc_check(L);
  if (p) cp_proc_set_ref(p, 0);
  return 0;
}

/* ---- spawning --------------------------------------------------------- */

/* execvp's search, but over the child's PATH (as libuv does). */
static int cp_find_exec(cp_spawn_req *r) {
  const char *path = NULL, *seg, *end;
  int eacces = 0;
  size_t flen = strlen(r->file);
  if (strchr(r->file, '/') != NULL) {
    if (flen >= sizeof r->path) return -ENAMETOOLONG;
    memcpy(r->path, r->file, flen + 1);
    return 0;
  }
  if (flen == 0) return -ENOENT;
  if (r->envp != environ) {
    char **e;
    for (e = r->envp; *e; e++)
      if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  } else {
    path = getenv("PATH");
  }
  if (path == NULL) path = "/usr/local/bin:/usr/bin:/bin";
  for (seg = path;; seg = end + 1) {
    struct stat st;
    size_t dlen;
    end = strchr(seg, ':');
    if (end == NULL) end = seg + strlen(seg);
    dlen = (size_t)(end - seg);
    if (dlen == 0) {
      seg = ".";
      dlen = 1;
    }
    if (dlen + 1 + flen < sizeof r->path) {
      /* A relative entry ("." or "bin") is relative to the child's cwd,
       * as for execvp run after the chdir: look there, and keep the path
       * relative, since the exec runs after the chdir too. */
      char in_cwd[sizeof r->path + 4096];
      const char *probe = r->path;
      memcpy(r->path, seg, dlen);
      r->path[dlen] = '/';
      memcpy(r->path + dlen + 1, r->file, flen + 1);
      if (r->cwd && *r->cwd && seg[0] != '/' &&
          snprintf(in_cwd, sizeof in_cwd, "%s/%s", r->cwd, r->path) < (int)sizeof in_cwd)
        probe = in_cwd;
      if (stat(probe, &st) == 0 && S_ISREG(st.st_mode)) {
        if (access(probe, X_OK) == 0) return 0;
        eacces = 1;
      }
    }
    if (*end == '\0') break;
  }
  return eacces ? -EACCES : -ENOENT;
}

static void cp_child_reset_signals(void) {
  sigset_t none;
  int sig;
  for (sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the child, before exec: the parent-death signal (dieWithParent).
 * Last before exec: a change of uid or gid clears it.  0 or -1. */
static int cp_child_pdeathsig(cp_spawn_req *r, pid_t parent) {
#ifdef __linux__
  if (r->pdeathsig) {
    if (prctl(PR_SET_PDEATHSIG, r->pdeathsig) < 0) return -1;
    /* The parent may have died before prctl: no signal would come then. */
    if (getppid() != parent) kill(getpid(), r->pdeathsig);
  }
#else
  (void)r;
  (void)parent;
#endif
  return 0;
}

/* In the child, before exec: session or group, stdio, cwd.  System calls
 * only (it also runs in the clone child below, which shares the parent's
 * memory): 0, or -1 with errno set. */
static int cp_child_setup(cp_spawn_req *r) {
  int i, null_fd = -1;
  if (r->detached && setsid() < 0) return -1;
  if (r->group && setpgid(0, 0) < 0) return -1;
  for (i = 0; i < r->nstdio; i++) {
    int fd = r->stdio[i].child_fd;
    if (r->stdio[i].kind == CP_STDIO_IGNORE) {
      /* One /dev/null for every "ignore" entry (the exec closes it).  Kept
       * above the range dup'd into, like every other source (cp_spawn_start):
       * a later entry would overwrite it there. */
      if (null_fd < 0) {
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd >= 0 && null_fd < r->nstdio) {
          int moved = fcntl(null_fd, F_DUPFD_CLOEXEC, r->nstdio);
          close(null_fd);
          null_fd = moved;
        }
        if (null_fd < 0) return -1;
      }
      fd = null_fd;
    }
    if (dup2(fd, i) < 0) return -1;
  }
  if (r->cwd && chdir(r->cwd) != 0) return -1;
  return 0;
}

/* The uid/gid path: fork, then report an exec failure through a pipe. */
static int cp_spawn_fork(cp_spawn_req *r, pid_t *pid) {
  int errpipe[2], err = 0;
  pid_t parent = getpid();
  ssize_t n;
  if (cp_pipe_cloexec(errpipe) != 0) return -errno;
  *pid = fork();
  if (*pid < 0) {
    err = -errno;
    close(errpipe[0]);
    close(errpipe[1]);
    return err;
  }
  if (*pid == 0) {
    cp_child_reset_signals();
    if (cp_child_setup(r) != 0) goto fail;
    /* Drop the supplementary groups whenever the identity changes, also
     * for a gid alone: they would keep the parent's privileges. */
    if (setgroups(0, NULL) != 0 && errno != EPERM) goto fail;
    if (r->has_gid && setgid(r->gid) != 0) goto fail;
    if (r->has_uid && setuid(r->uid) != 0) goto fail;
    if (cp_child_pdeathsig(r, parent) != 0) goto fail;
    execve(r->path, r->argv, r->envp);
  fail:
    err = errno;
    n = write(errpipe[1], &err, sizeof err);
    (void)n;
    _exit(127);
  }
  close(errpipe[1]);
  do n = read(errpipe[0], &err, sizeof err);
  while (n < 0 && errno == EINTR);
  close(errpipe[0]);
  if (n == (ssize_t)sizeof err) {
    int status;
    while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {}
    return -err;
  }
  return 0;
}

#ifdef __linux__
/* The usual path (and dieWithParent's).  A full fork() would copy the page
 * tables of a big parent (the cost libuv 1.44 pays); instead the child
 * shares our memory (CLONE_VM) while we are suspended until it has exec'd
 * or failed (CLONE_VFORK), and runs only this small function.  It makes
 * system calls only: no malloc, no locks.  All signals are blocked around
 * the clone, so that none of the parent's handlers can run in the child
 * before it has reset them.
 *
 * Cheaper than glibc's posix_spawn on the same clone: its stack is a part
 * of our own stack frame, which sits unused while we are suspended, so no
 * mmap and no munmap per spawn (the munmap of a stack the child touched on
 * the other CPU costs a TLB-shootdown IPI, a third of the parent's time in
 * a posix_spawn loop on a VM); CLONE_PIDFD hands us the pidfd that reap.c
 * watches, without a pidfd_open; and a failed exec reports its errno in
 * our memory, so once a child has been seen sharing it the parent need not
 * check the file beforehand (cp_spawn_precheck). */
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define CP_CLONE_STACK (16 * 1024)

typedef struct cp_clone_arg {
  cp_spawn_req *r;
  pid_t parent;
  volatile int ran; /* the child ran in our memory (not valgrind's fork) */
  int err;          /* errno of the step that failed, written by the child */
} cp_clone_arg;

static int cp_clone_child(void *arg) {
  cp_clone_arg *a = (cp_clone_arg *)arg;
  a->ran = 1;
  cp_child_reset_signals();
  if (cp_child_setup(a->r) == 0 && cp_child_pdeathsig(a->r, a->parent) == 0)
    execve(a->r->path, a->r->argv, a->r->envp);
  a->err = errno ? errno : ENOEXEC;
  _exit(127);
}

static int cp_spawn_clone(cp_spawn_req *r, pid_t *pid) {
  cp_clone_arg a;
  union {
    char bytes[CP_CLONE_STACK];
    long double align;
  } stack;
  sigset_t all, old;
  int saved = errno, err = 0, pidfd = -1;
  int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  cp_ctx *ctx = r->ctx;
  a.r = r;
  a.parent = r->pdeathsig ? getpid() : 0;
  a.ran = 0;
  a.err = 0;
  r->pidfd = -1;
  if (r->want_pidfd && !(ctx && ctx->clone_no_pidfd)) flags |= CLONE_PIDFD;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  /* The stack grows down on every architecture Linux runs this on. */
  *pid = clone(cp_clone_child, stack.bytes + CP_CLONE_STACK, flags, &a, &pidfd);
  if (*pid < 0 && errno == EINVAL && (flags & CLONE_PIDFD)) {
    /* No CLONE_PIDFD here (valgrind, say): reap.c uses pidfd_open. */
    if (ctx) ctx->clone_no_pidfd = 1;
    flags &= ~CLONE_PIDFD;
    *pid = clone(cp_clone_child, stack.bytes + CP_CLONE_STACK, flags, &a, &pidfd);
  }
  if (*pid < 0) err = -errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err == 0 && (flags & CLONE_PIDFD)) r->pidfd = pidfd;
  if (err == 0 && a.ran && ctx) ctx->clone_vm_ok = 1;
  if (err == 0 && a.err != 0) {
    int status;
    if (r->pidfd >= 0) close(r->pidfd);
    r->pidfd = -1;
    while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {}
    err = -a.err;
  }
  errno = saved;
  return err;
}
#else
static int cp_spawn_clone(cp_spawn_req *r, pid_t *pid) {
  (void)r;
  (void)pid;
  return -ENOSYS; /* dieWithParent needs Linux's PR_SET_PDEATHSIG */
}
#endif

#if !CP_HAVE_CLONE_SPAWN
static int cp_spawn_posix(cp_spawn_req *r, pid_t *pid) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t all, none;
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  int i, err = 0;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  for (i = 0; i < r->nstdio && err == 0; i++) {
    /* Every source fd is >= nstdio (see cp_spawn), so no dup2 here can
     * clobber a source that a later one still needs. */
    if (r->stdio[i].kind == CP_STDIO_IGNORE)
      err = posix_spawn_file_actions_addopen(&fa, i, "/dev/null", O_RDWR, 0);
    else
      err = posix_spawn_file_actions_adddup2(&fa, r->stdio[i].child_fd, i);
  }
#if CP_HAVE_SPAWN_CHDIR
  if (err == 0 && r->cwd) err = posix_spawn_file_actions_addchdir_np(&fa, r->cwd);
#endif
  /* Every signal at its default: the host may ignore some (SIGPIPE, say,
   * where the host chose to), and an ignored signal survives exec. */
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
#if CP_HAVE_SPAWN_SETSID
  if (r->detached) flags |= POSIX_SPAWN_SETSID;
#endif
  if (r->group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&attr, 0);
  }
  posix_spawnattr_setflags(&attr, flags);
  if (err == 0) err = posix_spawn(pid, r->path, &fa, &attr, r->argv, r->envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return -err;
}
#endif

/* A NULL-terminated char* array of the strings t[1..n], in scratch memory
 * owned by a userdata left on the stack (freed by the GC if we raise). */
static char **cp_strv(lua_State *L, int t) {
  lua_Integer n = (lua_Integer)lua_rawlen(L, t), i;
  char **v = (char **)lua_newuserdatauv(L, sizeof(char *) * (size_t)(n + 1), 0);
  for (i = 1; i <= n; i++) {
    lua_rawgeti(L, t, i);
    v[i - 1] = (char *)lua_tostring(L, -1); /* anchored by t */
    lua_pop(L, 1);
  }
  v[n] = NULL;
  return v;
}

int cp_spawn_fail(lua_State *L, int err) {
  lua_pushnil(L);
  lua_pushstring(L, uv_err_name(err));
  lua_pushinteger(L, -err);
  return 3;
}

void cp_spawn_cleanup(cp_spawn_req *r, int parent_too) {
  int i;
  for (i = 0; i < r->nstdio; i++) {
    cp_stdio *s = &r->stdio[i];
    if (s->temp && s->child_fd >= 0) close(s->child_fd);
    s->child_fd = -1;
    s->temp = 0;
    if (parent_too && s->parent_fd >= 0) {
      close(s->parent_fd);
      s->parent_fd = -1;
    }
  }
}

/* Create our end and the child's end for entry i. */
static int cp_stdio_prepare(cp_stdio *s, int i) {
  int fds[2];
  s->parent_fd = -1;
  s->child_fd = -1;
  s->temp = 0;
  switch (s->kind) {
    case CP_STDIO_PIPE:
      if (i <= 2) {
        if (cp_pipe_cloexec(fds) != 0) return -errno;
        /* stdin: the child reads; stdout/stderr: the child writes. */
        s->parent_fd = i == 0 ? fds[1] : fds[0];
        s->child_fd = i == 0 ? fds[0] : fds[1];
        s->temp = 1;
        return 0;
      }
      /* Extra pipes are duplex sockets, as in Node. */
      /* FALLTHROUGH */
    case CP_STDIO_IPC:
      if (cp_socketpair_cloexec(fds) != 0) return -errno;
      s->parent_fd = fds[0];
      s->child_fd = fds[1];
      s->temp = 1;
      return 0;
    default:
      return 0;
  }
}

/* Read the spec table at index 1 into the request *r (the caller's: on
 * its C stack, not one more 4 KiB userdata for the GC per spawn), and
 * create the pipes.  Returns 0 or a negative errno (pipes already closed).
 * Lua errors are raised only before any fd is created. */
int cp_spawn_prepare(lua_State *L, cp_spawn_req *r) {
  int i, err = 0, base;
  luaL_checktype(L, 1, LUA_TTABLE);
  memset(r, 0, sizeof *r);
  r->ctx = cp_ctx_get(L);
  r->pidfd = -1;
  base = lua_gettop(L);
  /* The strings stay anchored by the spec table at index 1. */
  lua_getfield(L, 1, "file");
  r->file = luaL_checkstring(L, -1);
  lua_getfield(L, 1, "args");
  luaL_checktype(L, -1, LUA_TTABLE);
  r->argv = cp_strv(L, lua_gettop(L));
  lua_getfield(L, 1, "env");
  if (lua_istable(L, -1)) r->envp = cp_strv(L, lua_gettop(L));
  else r->envp = environ;
  lua_getfield(L, 1, "cwd");
  r->cwd = lua_tostring(L, -1);
  lua_getfield(L, 1, "detached");
  r->detached = lua_toboolean(L, -1);
  lua_getfield(L, 1, "group");
  r->group = lua_toboolean(L, -1);
  lua_getfield(L, 1, "pdeathsig");
  r->pdeathsig = (int)lua_tointeger(L, -1);
  lua_getfield(L, 1, "uid");
  if (lua_isinteger(L, -1)) r->has_uid = 1, r->uid = (uid_t)lua_tointeger(L, -1);
  lua_getfield(L, 1, "gid");
  if (lua_isinteger(L, -1)) r->has_gid = 1, r->gid = (gid_t)lua_tointeger(L, -1);
  lua_getfield(L, 1, "stdio");
  r->nstdio = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : 0;
  if (r->nstdio > CP_MAX_STDIO) return luaL_error(L, "spawn: too many stdio entries");
  /* The fds given first, before any pipe is made: a closed fd must be
   * EBADF, not the number a pipe made for an earlier entry just took. */
  for (i = 0; i < r->nstdio; i++) {
    cp_stdio *s = &r->stdio[i];
    s->parent_fd = s->child_fd = -1;
    lua_rawgeti(L, -1, i + 1);
    if (lua_isinteger(L, -1)) {
      s->kind = CP_STDIO_FD;
      if (fcntl((int)lua_tointeger(L, -1), F_GETFD) < 0 && err == 0) err = -errno;
    } else {
      const char *k = lua_tostring(L, -1);
      s->kind = k && strcmp(k, "pipe") == 0 ? CP_STDIO_PIPE
              : k && strcmp(k, "ipc") == 0  ? CP_STDIO_IPC
                                            : CP_STDIO_IGNORE;
    }
    lua_pop(L, 1);
  }
  for (i = 0; i < r->nstdio && err == 0; i++) {
    cp_stdio *s = &r->stdio[i];
    err = cp_stdio_prepare(s, i);
    if (s->kind == CP_STDIO_FD) {
      lua_rawgeti(L, -1, i + 1);
      s->child_fd = (int)lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
    if (err) r->nstdio = i + 1;
  }
  /* argv and env go with it: nothing allocates from here to the spawn. */
  lua_settop(L, base);
  if (err) cp_spawn_cleanup(r, 1);
  return err;
}

/* Text without "#!" (a shell script without a shebang) is what the kernel
 * refuses with ENOEXEC and execvp then runs with /bin/sh.  posix_spawn
 * reports ENOEXEC itself on current glibc, but where it cannot (valgrind,
 * musl: exit status 127) the file must be recognised here.  ELF files,
 * "#!" scripts and anything binary (a NUL in its first bytes: a
 * binfmt_misc format) are left to the kernel. */
static int cp_is_script(const char *path) {
  unsigned char buf[256];
  ssize_t n;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return 0;
  do n = read(fd, buf, sizeof buf);
  while (n < 0 && errno == EINTR);
  close(fd);
  if (n < 0) return 0;
  if (n >= 2 && buf[0] == '#' && buf[1] == '!') return 0;
  if (n >= 4 && memcmp(buf, "\177ELF", 4) == 0) return 0;
  return memchr(buf, 0, (size_t)n) == NULL;
}

/* What the exec would fail with, checked in the parent.  posix_spawn in
 * current glibc reports exec failures itself, but not every libc does (musl
 * and older glibc report them as exit status 127, and so does ASan's
 * posix_spawn interceptor); checking here first makes ENOENT, EACCES,
 * ENOTDIR and E2BIG error events everywhere.  The exec still reports
 * whatever changes between the check and the spawn. */
static int cp_spawn_precheck(cp_spawn_req *r) {
  struct stat st;
  char full[8192];
  const char *path = r->path;
  size_t total = 0;
  long arg_max = sysconf(_SC_ARG_MAX);
  char **v;
  if (r->cwd) {
    if (stat(r->cwd, &st) != 0) return -errno;
    if (!S_ISDIR(st.st_mode)) return -ENOTDIR;
    if (access(r->cwd, X_OK) != 0) return -errno;
    /* A relative program path is relative to the child's cwd. */
    if (r->path[0] != '/' && snprintf(full, sizeof full, "%s/%s", r->cwd, r->path) < (int)sizeof full)
      path = full;
  }
  if (stat(path, &st) != 0) return -errno;
  if (S_ISDIR(st.st_mode) || access(path, X_OK) != 0) return -EACCES;
  /* Linux refuses one string longer than 32 pages, or all of them (with
   * their pointers) past ARG_MAX. */
  for (v = r->argv; *v; v++) {
    size_t n = strlen(*v) + 1;
    if (n > 32 * 4096) return -E2BIG;
    total += n + sizeof(char *);
  }
  for (v = r->envp; *v; v++) {
    size_t n = strlen(*v) + 1;
    if (n > 32 * 4096) return -E2BIG;
    total += n + sizeof(char *);
  }
  if (arg_max > 0 && total > (size_t)arg_max) return -E2BIG;
  if (S_ISREG(st.st_mode) && cp_is_script(path)) return -ENOEXEC;
  return 0;
}

/* The clone spawner does everything but change ids (posix_spawn cannot
 * change them either, nor set PR_SET_PDEATHSIG, nor, without the feature,
 * chdir or setsid). */
static int cp_spawn_exec(cp_spawn_req *r, pid_t *pid) {
  if (r->has_uid || r->has_gid) return cp_spawn_fork(r, pid);
#if CP_HAVE_CLONE_SPAWN
  return cp_spawn_clone(r, pid);
#else
  if ((r->cwd && !CP_HAVE_SPAWN_CHDIR) || (r->detached && !CP_HAVE_SPAWN_SETSID))
    return cp_spawn_fork(r, pid);
  return r->pdeathsig ? cp_spawn_clone(r, pid) : cp_spawn_posix(r, pid);
#endif
}

/* An executable the kernel cannot run (ENOEXEC: a script without "#!"):
 * run it with /bin/sh, as execvp does and so Node does, with argv
 * {"/bin/sh", path, args...}. */
static int cp_spawn_script(cp_spawn_req *r, pid_t *pid) {
  char script[sizeof r->path], **argv, **old = r->argv;
  size_t n = 0;
  int err;
  while (old[n]) n++;
  argv = (char **)malloc(sizeof(char *) * (n + 2));
  if (argv == NULL) return -ENOMEM;
  memcpy(script, r->path, sizeof script);
  argv[0] = (char *)"/bin/sh";
  argv[1] = script;
  memcpy(argv + 2, old + 1, sizeof(char *) * n); /* args and the NULL */
  strcpy(r->path, "/bin/sh");
  r->argv = argv;
  err = cp_spawn_exec(r, pid);
  r->argv = old;
  free(argv);
  return err;
}

/* Start the child of a prepared request; closes the child's ends. */
int cp_spawn_start(cp_spawn_req *r, pid_t *pid) {
  int i, err;
  /* Move every source the child dups from above the range it dups into. */
  for (i = 0; i < r->nstdio; i++) {
    cp_stdio *s = &r->stdio[i];
    if (s->kind != CP_STDIO_IGNORE && s->child_fd < r->nstdio) {
      int fd = fcntl(s->child_fd, F_DUPFD_CLOEXEC, r->nstdio);
      if (fd < 0) {
        err = -errno;
        cp_spawn_cleanup(r, 1);
        return err;
      }
      if (s->temp) close(s->child_fd);
      s->child_fd = fd;
      s->temp = 1;
    }
  }
  err = cp_find_exec(r);
  /* Once a clone child has been seen sharing our memory, the exec reports
   * its own errors (and ENOEXEC) there: no need to look first. */
  if (err == 0 && !(CP_HAVE_CLONE_SPAWN && !r->has_uid && !r->has_gid && r->ctx &&
                    r->ctx->clone_vm_ok))
    err = cp_spawn_precheck(r);
  if (err == 0) err = cp_spawn_exec(r, pid);
  if (err == -ENOEXEC) err = cp_spawn_script(r, pid);
  cp_spawn_cleanup(r, err != 0);
  return err;
}

static int cp_spawn(lua_State *L) {
  cp_ctx *ctx = cp_ctx_get(L);
  cp_spawn_req req, *r = &req;
  cp_proc *p, **slot;
  pid_t pid = 0;
  int i, err;

  lua_settop(L, 1);
  err = cp_spawn_prepare(L, r);
  r->want_pidfd = ctx->use_pidfd; /* reap.c watches it */
  if (err == 0) err = cp_spawn_start(r, &pid);
  if (err) return cp_spawn_fail(L, err);

  slot = (cp_proc **)lua_newuserdatauv(L, sizeof *slot, 0);
  p = calloc(1, sizeof *p);
  if (p == NULL) {
    /* The child runs but we cannot track it: kill and reap it now. */
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (r->pidfd >= 0) close(r->pidfd);
    cp_spawn_cleanup(r, 1);
    return luaL_error(L, "child_process: out of memory");
  }
  *slot = p;
  luaL_setmetatable(L, CP_PROC);
  p->ctx = ctx;
  p->owner = slot;
  p->pid = pid;
  p->pidfd = r->pidfd; /* from the clone, or -1: reap.c opens one */
  lua_getfield(L, 1, "on_exit");
  p->exit_ref = cp_ref(L, -1);
  lua_pop(L, 1);
  lua_pushvalue(L, -1);
  p->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  cp_proc_link(ctx, p);
  cp_reap_watch(p);
  cp_proc_set_ref(p, 1);

  lua_pushinteger(L, pid);
  lua_createtable(L, r->nstdio, 0);
  for (i = 0; i < r->nstdio; i++) {
    cp_stdio *s = &r->stdio[i];
    if (s->parent_fd < 0) continue;
    if (s->kind == CP_STDIO_IPC) cp_ipc_push_fd(L, ctx, s->parent_fd);
    else cp_stream_push_fd(L, ctx, s->parent_fd);
    s->parent_fd = -1;
    lua_rawseti(L, -2, i + 1);
  }
  return 3;
}

/* core.kill(pid, signum) → true, or false, code, errno: kill(2) on any
 * pid, a negative one being a process group (cp.kill, and
 * child:kill(sig, {group = true})).  Apart from the process handle's kill:
 * this one signals processes the module may not have started. */
static int cp_kill_pid(lua_State *L) {
  lua_Integer pid = luaL_checkinteger(L, 1);
  int sig = (int)luaL_checkinteger(L, 2);
  if (pid != (pid_t)pid) return luaL_argerror(L, 1, "pid out of range");
  if (kill((pid_t)pid, sig) != 0) {
    int e = errno;
    lua_pushboolean(L, 0);
    lua_pushstring(L, uv_err_name(-e));
    lua_pushinteger(L, -e);
    return 3;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int cp_signal_number(lua_State *L) {
  int i;
  const char *name = luaL_checkstring(L, 1);
  for (i = 0; cp_signals[i].name; i++)
    if (strcmp(cp_signals[i].name, name) == 0) {
      lua_pushinteger(L, cp_signals[i].num);
      return 1;
    }
  return 0;
}

static int cp_signal_name(lua_State *L) {
  int i, num = (int)luaL_checkinteger(L, 1);
  for (i = 0; cp_signals[i].name; i++)
    if (cp_signals[i].num == num) {
      lua_pushstring(L, cp_signals[i].name);
      return 1;
    }
  return 0;
}

static int cp_exepath(lua_State *L) {
  char buf[4096];
  size_t n = sizeof buf;
  if (uv_exepath(buf, &n) != 0) return 0;
  lua_pushlstring(L, buf, n);
  return 1;
}

static int cp_cwd(lua_State *L) {
  char buf[4096];
  size_t n = sizeof buf;
  if (uv_cwd(buf, &n) != 0) return 0;
  lua_pushlstring(L, buf, n);
  return 1;
}

static int cp_getpid(lua_State *L) {
  lua_pushinteger(L, uv_os_getpid());
  lua_pushinteger(L, uv_os_getppid());
  return 2;
}

/* core.environ() → the current environment as a table. */
static int cp_environ(lua_State *L) {
  char **e;
  lua_newtable(L);
  for (e = environ; *e; e++) {
    const char *eq = strchr(*e, '=');
    if (eq == NULL || eq == *e) continue;
    lua_pushlstring(L, *e, (size_t)(eq - *e));
    lua_pushstring(L, eq + 1);
    lua_rawset(L, -3);
  }
  return 1;
}

/* core.file_fd(fh) → the fd behind a Lua file handle from io.open. */
static int cp_file_fd(lua_State *L) {
  FILE *f = cp_compat_tofile(L, 1);
  if (f == NULL) return luaL_argerror(L, 1, "closed file");
  fflush(f);
  lua_pushinteger(L, fileno(f));
  return 1;
}

static int cp_strerror(lua_State *L) {
  lua_Integer e = luaL_checkinteger(L, 1);
  lua_pushstring(L, uv_strerror((int)(e > 0 ? -e : e)));
  return 1;
}

void cp_process_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"kill", cp_proc_kill}, {"ref", cp_proc_ref}, {"unref", cp_proc_unref}, {NULL, NULL}};
  static const luaL_Reg fns[] = {
      {"spawn", cp_spawn},
      {"signal_number", cp_signal_number},
      {"signal_name", cp_signal_name},
      {"exepath", cp_exepath},
      {"getpid", cp_getpid},
      {"cwd", cp_cwd},
      {"strerror", cp_strerror},
      {"environ", cp_environ},
      {"file_fd", cp_file_fd},
      {"kill", cp_kill_pid},
      {NULL, NULL}};
  luaL_newmetatable(L, CP_PROC);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, cp_proc_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  luaL_setfuncs(L, fns, 0);
}
