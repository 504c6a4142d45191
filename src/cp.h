/*
 * cp.h — the private header shared by the C files of child_process.core.
 *
 * Nothing here is public: the shared object exports luaopen_child_process_core
 * and what child_process.h declares.  Everything declared below is hidden by
 * the pragma, so a build without -fvisibility=hidden (luarocks) exports no
 * more than the Makefile's.  Every C
 * function of the module starts with cp_; the ones a single file uses are
 * static there.
 *
 * Ownership, in one place:
 *   ctx.c      the per-lua_State context: libuv loop (its own or a host's),
 *              run(), the protected callback helper and its error queue,
 *              registry refs, process-wide set-up that must hold for a guest
 *   reap.c     watching children exit: a pidfd per child, or the SIGCHLD
 *              fallback; kill through the pidfd; reaping after lua_close
 *   process.c  spawning (posix_spawn, fork fallback), the process handle
 *   stream.c   pipe handles: reading, writing with a queue, shutdown
 *   ipc.c      the IPC channel: JSON messages over a socketpair, with
 *              fds passed by SCM_RIGHTS alongside them
 *   port.c     MessageChannel pairs and the fd helpers of transfer
 *   listen.c   a Unix-socket server and client (connections to hand on)
 *   frame.c    newline framing of the IPC stream (no libuv, fuzzable)
 *   json.c     the JSON codec (cp.json)
 *   buf.c      the growable byte buffer
 *   handle.c   the life of a libuv handle owned by a Lua userdata
 *   sync.c     spawn_sync: the sync variants, on poll(), outside the loop
 *   timer.c    timers used by timeouts and wait()
 *   poll.c     busy polling before the loop sleeps, while IPC is open
 *   lines.c    the line splitter of readable:lines() and `line` events
 *   compat.c   POSIX fallbacks of the Linux-only calls, core.features()
 *   module.c   luaopen_child_process_core: registration
 */
#ifndef CP_H
#define CP_H

#include <stddef.h>
#include <sys/types.h>

#include <lua.h>
#include <lauxlib.h>
#include <uv.h>

#include "luacompat.h" /* the 5.4 API on Lua 5.1-5.3 and LuaJIT */

/* uv_available_parallelism (poll.c) came with libuv 1.44. */
#if !defined(UV_VERSION_HEX) || UV_VERSION_HEX < 0x012c00
#error "child_process needs libuv >= 1.44 (uv_available_parallelism); this uv.h is older: install libuv 1.44 or newer"
#endif

#include "../include/child_process.h" /* the public API: CP_EXPORT */

/* ---- feature tests (compat.c); CP_PORTABLE forces every fallback ----- */

#if defined(__APPLE__)
#include <crt_externs.h>
#define environ (*_NSGetEnviron()) /* a dylib cannot see environ */
#else
extern char **environ; /* POSIX, though not declared by every libc */
#endif

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#if defined(CP_PORTABLE)
#define CP_HAVE_PIPE2 0
#define CP_HAVE_SOCK_CLOEXEC 0
#define CP_HAVE_PIPE_SIZE 0
#define CP_HAVE_SPAWN_CHDIR 0
#define CP_HAVE_SPAWN_SETSID 0
#else
#if defined(__linux__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || \
    defined(__DragonFly__)
#define CP_HAVE_PIPE2 1
#else
#define CP_HAVE_PIPE2 0
#endif
#ifdef SOCK_CLOEXEC
#define CP_HAVE_SOCK_CLOEXEC 1
#else
#define CP_HAVE_SOCK_CLOEXEC 0
#endif
#ifdef F_SETPIPE_SZ
#define CP_HAVE_PIPE_SIZE 1
#else
#define CP_HAVE_PIPE_SIZE 0
#endif
/* glibc 2.29, macOS 10.15 */
#if (defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))) || defined(__APPLE__)
#define CP_HAVE_SPAWN_CHDIR 1
#else
#define CP_HAVE_SPAWN_CHDIR 0
#endif
#ifdef POSIX_SPAWN_SETSID
#define CP_HAVE_SPAWN_SETSID 1
#else
#define CP_HAVE_SPAWN_SETSID 0
#endif
#endif
/* Spawning with clone(CLONE_VM | CLONE_VFORK [| CLONE_PIDFD]) of our own
 * (process.c) rather than posix_spawn: Linux, unless PORTABLE=1. */
#if defined(__linux__) && !defined(CP_PORTABLE)
#define CP_HAVE_CLONE_SPAWN 1
#else
#define CP_HAVE_CLONE_SPAWN 0
#endif

/* After the system headers: hiding their declarations would break linking. */
#pragma GCC visibility push(hidden)

/* ---- buf.c: a growable byte buffer ---------------------------------- */

typedef struct cp_buf {
  char *data;
  size_t len; /* bytes in use */
  size_t cap; /* bytes allocated */
} cp_buf;

/* Make room for `extra` more bytes; 0 on success, UV_ENOMEM on failure. */
int cp_buf_reserve(cp_buf *b, size_t extra);
/* Append n bytes; 0 or UV_ENOMEM. */
int cp_buf_append(cp_buf *b, const void *p, size_t n);
/* Drop the first n bytes (memmove the rest down). */
void cp_buf_consume(cp_buf *b, size_t n);
/* cp_buf_reserve without the geometric growth, for one big piece (a big
 * string being encoded): a big buffer gets just the pages it needs. */
int cp_buf_reserve_exact(cp_buf *b, size_t extra);
/* Give the memory of a big buffer's spare capacity (past len) back. */
void cp_buf_trim(cp_buf *b);
void cp_buf_free(cp_buf *b);

/* ---- frame.c: newline framing of the IPC stream ----------------------- */

typedef struct cp_framer {
  cp_buf buf;   /* received bytes; buf[start..) not yet returned as lines */
  size_t start; /* first byte of the next line */
  size_t pos;   /* buf[start..pos) holds no '\n' */
  size_t max;   /* longest line accepted */
} cp_framer;

/* Room for at least `want` more bytes at the end of the buffer (NULL and
 * *len = 0 when out of memory); then commit the n bytes actually read. */
char *cp_frame_space(cp_framer *f, size_t want, size_t *len);
void cp_frame_commit(cp_framer *f, size_t n);
/* Next complete line (without its '\n'): 1 and line/len, valid until the
 * next call; 0 when none is left (the rest is kept for the next read); -1
 * when a line is longer than f->max (the buffer is dropped). */
int cp_frame_next(cp_framer *f, const char **line, size_t *len);
/* Once the line last returned is used up: a buffer that grew big for it
 * is released at once, keeping only the bytes that follow the line. */
void cp_frame_shrink(cp_framer *f);
/* Bytes of an incomplete line held. */
size_t cp_frame_pending(const cp_framer *f);
void cp_frame_free(cp_framer *f);

/* ---- json.c: the codec ------------------------------------------------ */

/*
 * Encode the value at stack index idx as one JSON text appended to out.
 * Returns 0 on success.  On failure returns -1, pushes an error message
 * (naming the path, e.g. "cannot encode function at .a.b[3]") and leaves
 * out->len as it was on entry.  Never raises except on memory errors, and
 * even then the caller still owns (and frees) out.
 */
int cp_json_encode(lua_State *L, int idx, cp_buf *out);

/*
 * Decode exactly one JSON text s[0..len) (surrounding white space allowed).
 * On success pushes the value and returns 1; on failure pushes an error
 * message naming the byte offset and returns 0.
 */
int cp_json_decode(lua_State *L, const char *s, size_t len);

/* Push the cp.json table (encode, decode, null, array_mt, empty_array). */
void cp_json_push_module(lua_State *L);

/* Push the per-state sentinels shared with the rest of the module. */
void cp_json_push_null(lua_State *L);
void cp_json_push_array_mt(lua_State *L);

/* ---- ctx.c: the per-state context ----------------------------------- */

typedef struct cp_proc cp_proc;
typedef struct cp_chan cp_chan;
typedef struct cp_handle cp_handle;

typedef struct cp_ctx {
  uv_loop_t *loop;     /* the loop everything runs on: own_loop or a host's */
  uv_loop_t own_loop;
  int shared_loop;     /* loop is a host's (use_loop / use_luv) */
  lua_State *L;        /* the thread that is running the loop, or NULL */
  lua_State *main;     /* the state's main thread: callbacks on a shared loop */
  int running;         /* inside uv_run: run() is not re-entrant */
  int depth;           /* inside a callback of ours (cp_callback) */
  int closing;         /* lua_close in progress: call no Lua */
  int orphaned;        /* closed while its loop could not run: the last
                          handle's close callback frees the context */
  cp_handle *handles;  /* every open cp_handle (handle.c) */
  int nclosing;        /* the context's own handles being closed */
  int errors_ref;      /* table: callback errors not yet raised by run() */
  int nerrors, first_error; /* pending errors are errors[first..first+n) */
  cp_proc *procs;      /* live children */
  /* reap.c: how exits are seen */
  int use_pidfd;       /* pidfd_open works: each child's pidfd is in pidfd_ep */
  int pidfd_ep;        /* > 0: an epoll set of the children's pidfds, */
  uv_poll_t pidfd_poll; /* polled on the loop through this one handle */
  int pidfd_poll_on, nref_pidfd; /* it is open; children that hold the loop */
  int nswept, nref_swept; /* children without a pidfd (fallback), the refd */
  uv_timer_t sweep;    /* fallback: waitpid over those children, backing off */
  uint64_t sweep_ms;
  uv_signal_t sigchld; /* fallback: started only where SIGCHLD was default */
  /* process.c's clone spawner: what it learnt about this system */
  int clone_vm_ok;     /* a clone child was seen sharing our memory (not
                          valgrind's fork): its exec errors reach us */
  int clone_no_pidfd;  /* the kernel refused CLONE_PIDFD: pidfd_open */
  int sigchld_on;
  void (*sigchld_mine)(int); /* the handler libuv installed for it */
  cp_chan *deferred;   /* channels holding IPC messages sent during this
                          loop pass: poll.c's prepare writes them (ipc.c) */
  int run_blocks;      /* run() in a mode that may block: poll.c may poll */
  int run_once;        /* run("once"): deferred calls that ran end the pass */
  /* poll.c: the adaptive busy-poll window (ns) and the wait it measures;
   * its prepare, active while a channel is open, also writes `deferred` */
  uv_prepare_t poll_prepare;
  uv_check_t poll_check;
  int nchans;          /* open IPC channels */
  uint64_t poll_max_ns, poll_ns;
  uint64_t poll_start, poll_woke; /* hrtime: the wait began / a message came */
  int poll_caught;     /* the wait ended while polling */
  int big_pipes;       /* stdio pipes grown to a bigger buffer (stream.c) */
  /* timer.c: core.defer's queue, t[head..tail] in the registry table
   * defer_q, run by one timer in the loop's next timers phase */
  uv_timer_t defer;
  int defer_q, defer_head, defer_tail;
} cp_ctx;

/* The context of this lua_State (created by luaopen); a Lua error once
 * lua_close has freed it (a late __gc calling the module). */
cp_ctx *cp_ctx_get(lua_State *L);
void cp_ctx_open(lua_State *L);

/*
 * Call the function held in registry ref `fn_ref` with `nargs` arguments
 * that the caller pushed on ctx->L.  Errors are recorded (with traceback)
 * and the loop is stopped; run() raises them.  Returns 0 on success.
 */
int cp_callback(cp_ctx *ctx, int fn_ref, int nargs);
/* The same for the function on top of ctx->L (popped), with no argument. */
int cp_callback_top(cp_ctx *ctx);

/*
 * The same, with the arguments made inside the protected call by
 * push(L, ud) (see ctx.c), for arguments whose making may fail (memory).
 * *called (may be NULL) tells whether the function itself was reached.
 */
int cp_callback_with(cp_ctx *ctx, int fn_ref, int (*push)(lua_State *L, void *ud), void *ud,
                     int *called);

/* Registry refs: one way to hold Lua values from C, released in one place. */
int cp_ref(lua_State *L, int idx);   /* LUA_NOREF for nil */
void cp_unref(lua_State *L, int *ref);

/* Close one of the context's own handles (its data is the context); an
 * orphaned context is freed once nothing of it is left closing. */
void cp_ctx_close_internal(cp_ctx *ctx, uv_handle_t *h);
void cp_ctx_maybe_free(cp_ctx *ctx);

/* Raise a uv error code as "ENOENT: no such file or directory". */
int cp_uv_error(lua_State *L, int err);

/* ---- reap.c: child exits -------------------------------------------- */
void cp_reap_init(cp_ctx *ctx);
/* Watch a child just spawned (already in ctx->procs). */
void cp_reap_watch(cp_proc *p);
/* Follow p->refd: the child's watcher keeps the loop alive or not. */
void cp_reap_ref(cp_proc *p);
/* Send sig to a child not yet reaped: 0 or -errno. */
int cp_reap_kill(cp_proc *p, int sig);
/* lua_close: stop watching; a thread reaps what still runs. */
void cp_reap_close(cp_ctx *ctx);
/* Close reap.c's own handles on ctx->loop (lua_close, or a loop switch
 * before cp_reap_init runs again on the new loop).  Idempotent. */
void cp_reap_close_own(cp_ctx *ctx);

/* ---- handle.c: handle ownership ------------------------------------
 * A libuv handle lives in malloc'd memory (Lua's GC must never free memory
 * libuv still uses).  The Lua userdata holds a pointer to it.  While the
 * handle is open it keeps a registry ref to its own userdata (self_ref), so
 * the userdata outlives every callback; the ref is dropped in the close
 * callback.  __gc only runs after that, or during lua_close, where it closes
 * the handle without calling Lua.
 */
struct cp_handle {
  union {
    uv_handle_t handle;
    uv_stream_t stream;
    uv_pipe_t pipe;
    uv_timer_t timer;
    uv_poll_t poll;
  } u;
  cp_ctx *ctx;
  cp_handle *hnext, **hprev; /* in ctx->handles until freed */
  cp_handle **owner;  /* the userdata's slot, NULLed when freed */
  int closing;
  int self_ref;
  int close_ref;      /* callback given to close() */
  int cb_ref, cb2_ref, cb3_ref; /* per-type callbacks, released at close */
  void (*on_close)(cp_handle *); /* type hook: at uv_close time */
  void (*on_free)(cp_handle *);  /* type hook: just before free */
};

/* New userdata (pushed) around a calloc'd handle of `size` bytes. */
cp_handle *cp_handle_new(lua_State *L, cp_ctx *ctx, size_t size, const char *tname);
/* The open handle at idx, or a Lua error if it is closed. */
cp_handle *cp_handle_check(lua_State *L, int idx, const char *tname);
/* Close h once (idempotent); its close() callback runs later. */
void cp_handle_close(cp_handle *h);
/* Register a handle class: methods plus close/ref/unref/is_closed, __gc. */
void cp_handle_newclass(lua_State *L, const char *tname, const luaL_Reg *methods);

/* ---- process.c: children ------------------------------------------- */
struct cp_proc {
  cp_ctx *ctx;
  cp_proc *next, **pprev; /* in ctx->procs while the child runs: an exit
                              unlinks in O(1), whatever the number alive */
  cp_proc **owner;    /* the userdata's slot */
  pid_t pid;
  int pidfd;          /* -1: watched by the SIGCHLD fallback (reap.c) */
  uv_poll_t *watch;   /* &ctx->pidfd_poll while its pidfd is in ctx->pidfd_ep;
                         NULL: watched by the SIGCHLD fallback */
  int status;         /* waitpid status once exited */
  int lost;           /* someone else reaped it: the status is unknown */
  int exited;
  int refd;           /* its watcher keeps the loop alive */
  int exit_ref;       /* the Lua exit callback */
  int self_ref;       /* keeps the userdata alive until exit is delivered */
};

/* A spawn request: what process.c's spawn and sync.c's spawn_sync share. */
enum { CP_STDIO_PIPE, CP_STDIO_IPC, CP_STDIO_IGNORE, CP_STDIO_FD };
#define CP_MAX_STDIO 64

typedef struct cp_stdio {
  int kind;
  int child_fd;  /* the fd the child gets at this position (our copy) */
  int parent_fd; /* our end of a pipe or channel, or -1 */
  int temp;      /* child_fd is ours to close after the spawn */
} cp_stdio;

typedef struct cp_spawn_req {
  const char *file;
  char path[4096];
  char **argv;
  char **envp;
  const char *cwd;
  int detached;
  int group;          /* setpgid(0, 0): leader of a new process group */
  int pdeathsig;      /* PR_SET_PDEATHSIG signal, 0 for none (dieWithParent) */
  int has_uid, has_gid;
  uid_t uid;
  gid_t gid;
  int nstdio;
  cp_stdio stdio[CP_MAX_STDIO];
  cp_ctx *ctx;
  int want_pidfd;     /* ask the clone for a pidfd (CLONE_PIDFD) */
  int pidfd;          /* out: the child's pidfd from the clone, or -1 */
} cp_spawn_req;

/* Parse the spec table at index 1 into *r (the caller's memory; pushes
 * scratch userdata for argv and env) and create the pipes: 0 or -errno.  Then start it: 0 or -errno; the child's ends are
 * closed either way, ours too on failure. */
int cp_spawn_prepare(lua_State *L, cp_spawn_req *r);
int cp_spawn_start(cp_spawn_req *r, pid_t *pid);
void cp_spawn_cleanup(cp_spawn_req *r, int parent_too);
/* Push nil, code, errno for a failed spawn; returns 3. */
int cp_spawn_fail(lua_State *L, int err);

/* ctx->procs, the children not yet reaped: O(1) either way. */
void cp_proc_link(cp_ctx *ctx, cp_proc *p);
void cp_proc_unlink(cp_proc *p);
/* Called by reap.c once p has been waited for (unlinked already). */
void cp_proc_exited(cp_proc *p);
/* lua_close: detach every live child without killing it. */
void cp_proc_forget_all(cp_ctx *ctx);

/* ---- module registration (each file exports one opener) ------------- */
void cp_loop_open(lua_State *L);
void cp_process_open(lua_State *L); /* each adds its functions to the table at -1 */
void cp_stream_open(lua_State *L);
void cp_ipc_open(lua_State *L);
void cp_timer_open(lua_State *L);
void cp_defer_init(cp_ctx *ctx); /* its timer on ctx->loop (one of ctx's own) */
void cp_sync_open(lua_State *L);
void cp_poll_open(lua_State *L);
void cp_reap_open(lua_State *L);
void cp_lines_open(lua_State *L);

/* Busy polling (poll.c): set up with the context; told when a channel
 * opens (+1) or is freed (-1), and when a message arrives. */
void cp_poll_init(cp_ctx *ctx);
void cp_poll_channels(cp_ctx *ctx, int delta);
void cp_poll_message(cp_ctx *ctx);

/* Make a pipe userdata around an fd the module owns (stream.c). */
void cp_stream_push_fd(lua_State *L, cp_ctx *ctx, int fd);
/* Write now what IPC channels hold back until the end of the loop pass
 * (ipc.c): before anything that blocks without running the loop. */
void cp_ipc_flush_deferred(cp_ctx *ctx);

/* Make an IPC channel userdata around a socket fd (ipc.c). */
void cp_ipc_push_fd(lua_State *L, cp_ctx *ctx, int fd);
/* The most fds one message carries (the kernel's SCM_MAX_FD). */
#define CP_MAX_FDS 253
void cp_port_open(lua_State *L);
void cp_listen_open(lua_State *L);

/* ---- compat.c: POSIX fallbacks of the Linux-only calls -------------- */

/* Both ends close-on-exec; 0, or -1 with errno (nothing left open). */
int cp_pipe_cloexec(int fds[2]);
int cp_socketpair_cloexec(int fds[2]); /* AF_UNIX, SOCK_STREAM */
/* F_SETPIPE_SZ where it exists; -1 with errno (ENOTSUP) elsewhere. */
int cp_pipe_set_size(int fd, int size);
void cp_compat_open(lua_State *L); /* core.features() */

/* module.c: the entry point, exported in spite of the pragma. */
CP_EXPORT int luaopen_child_process_core(lua_State *L);

#pragma GCC visibility pop

#endif
