/*
 * ctx.c — the per-lua_State context: its libuv loop (its own, or a host's
 * handed over by child_process_use_loop / cp.use_luv), run(), the one
 * protected-call helper every callback goes through and the queue of the
 * errors they raised, registry refs, and the process-wide set-up a guest
 * may do: stdio fds that exist, and SIGPIPE that cannot kill the host.
 *
 * There is no global mutable state: the context lives in a full userdata
 * anchored in the registry under the address of a static char, and its
 * __gc (run by lua_close) closes every handle without calling Lua.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp.h"
/* child_process.h (the public API) comes through cp.h */


static const char CTX_KEY = 'c';

static cp_ctx *cp_ctx_slot(lua_State *L) {
  cp_ctx **slot;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CTX_KEY);
  slot = (cp_ctx **)lua_touserdata(L, -1);
  lua_pop(L, 1);
  return slot ? *slot : NULL;
}

cp_ctx *cp_ctx_get(lua_State *L) {
  cp_ctx *ctx = cp_ctx_slot(L);
  if (ctx == NULL)
    luaL_error(L, "child_process: called after its Lua state was closed "
                  "(from a __gc that ran during lua_close?)");
  return ctx;
}

int cp_ref(lua_State *L, int idx) {
  if (lua_isnoneornil(L, idx)) return LUA_NOREF;
  lua_pushvalue(L, idx);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

void cp_unref(lua_State *L, int *ref) {
  if (*ref != LUA_NOREF && *ref != LUA_REFNIL) luaL_unref(L, LUA_REGISTRYINDEX, *ref);
  *ref = LUA_NOREF;
}

int cp_uv_error(lua_State *L, int err) {
  return luaL_error(L, "%s: %s", uv_err_name(err), uv_strerror(err));
}

/* Message handler: add a traceback to string errors, keep other values.
 * An error the facade already caught and re-raised (util.protect) carries
 * its traceback, from the frame that raised it: keep that one alone. */
static int cp_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg != NULL && lua_type(L, 1) == LUA_TSTRING && strstr(msg, "\nstack traceback:") == NULL)
    luaL_traceback(L, L, msg, 1);
  else
    lua_settop(L, 1);
  return 1;
}

/* Queue the error on top of the stack (popped) for run() to raise. */
static void cp_error_push(cp_ctx *ctx, lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->errors_ref);
  lua_insert(L, -2);
  lua_rawseti(L, -2, ctx->first_error + ctx->nerrors);
  lua_pop(L, 1);
  ctx->nerrors++;
}

/* Push the oldest queued error and drop it from the queue. */
static void cp_error_pop(cp_ctx *ctx, lua_State *L) {
  lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->errors_ref);
  lua_rawgeti(L, -1, ctx->first_error);
  lua_pushnil(L);
  lua_rawseti(L, -3, ctx->first_error);
  lua_remove(L, -2);
  ctx->first_error++;
  if (--ctx->nerrors == 0) ctx->first_error = 1;
}

/* Call the function below the nargs arguments on top of ctx->L.  An error
 * is queued for run() unless `keep` says not to (*keep = 0 afterwards:
 * the caller decides from what it knows). */
static int cp_callback_fn(cp_ctx *ctx, int nargs, const int *keep) {
  lua_State *L = ctx->L;
  int base = lua_gettop(L) - nargs - 1, rc;
  lua_pushcfunction(L, cp_traceback);
  lua_insert(L, base + 1); /* handler, fn, args... */
  ctx->depth++;
  rc = lua_pcall(L, nargs, 0, base + 1);
  ctx->depth--;
  if (rc != LUA_OK && (keep == NULL || *keep)) {
    /* Every error is kept, none lost: run() raises the first once the loop
     * has stopped, the others from the calls that follow.  Callbacks
     * already due in this iteration still run, so no event is lost
     * either, and the loop stays usable after the error propagates. */
    cp_error_push(ctx, L);
    uv_stop(ctx->loop);
  }
  lua_settop(L, base);
  return rc;
}

int cp_callback_top(cp_ctx *ctx) { return cp_callback_fn(ctx, 0, NULL); }

int cp_callback(cp_ctx *ctx, int fn_ref, int nargs) {
  lua_State *L = ctx->L;
  if (fn_ref == LUA_NOREF || fn_ref == LUA_REFNIL) {
    lua_pop(L, nargs);
    return 0;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, fn_ref);
  lua_insert(L, -nargs - 1);
  return cp_callback_fn(ctx, nargs, NULL);
}

/* cp_callback_with: the arguments are pushed inside the protected call, by
 * push(L, ud), which returns how many it pushed (and may replace the
 * function, at index 1, by another).  So a memory error while they are
 * made (a decoded message) is caught like any error, and the caller learns
 * whether the function itself was reached (*called). */
typedef struct cp_tramp {
  int fn_ref;
  int (*push)(lua_State *L, void *ud);
  void *ud;
  int called;
} cp_tramp;

static int cp_tramp_call(lua_State *L) {
  cp_tramp *t = (cp_tramp *)lua_touserdata(L, 1);
  int n;
  lua_settop(L, 0);
  lua_rawgeti(L, LUA_REGISTRYINDEX, t->fn_ref);
  n = t->push(L, t->ud);
  if (n < 0 || lua_isnil(L, 1)) return 0; /* nothing to deliver */
  t->called = 1;
  lua_call(L, n, 0);
  return 0;
}

int cp_callback_with(cp_ctx *ctx, int fn_ref, int (*push)(lua_State *L, void *ud), void *ud,
                     int *called) {
  lua_State *L = ctx->L;
  cp_tramp t;
  int rc;
  t.fn_ref = fn_ref;
  t.push = push;
  t.ud = ud;
  t.called = 0;
  lua_pushcfunction(L, cp_tramp_call);
  lua_pushlightuserdata(L, &t);
  /* An error of the function itself is queued; one while its arguments
   * were made is the caller's to report (t.called is read after the call:
   * the pointer lets cp_callback_fn see it then). */
  rc = cp_callback_fn(ctx, 1, &t.called);
  if (called) *called = t.called;
  return rc;
}

/* ---- closing ----------------------------------------------------------- */

/* A context closed while its loop could not run (orphaned) is freed by the
 * last close callback of its handles: their memory is the context's own
 * or points to it. */
void cp_ctx_maybe_free(cp_ctx *ctx) {
  if (ctx->orphaned && ctx->handles == NULL && ctx->nclosing == 0) free(ctx);
}

static void cp_ctx_internal_closed(uv_handle_t *h) {
  cp_ctx *ctx = (cp_ctx *)h->data;
  ctx->nclosing--;
  cp_ctx_maybe_free(ctx);
}

/* Close one of the context's own handles (h->data is the context). */
void cp_ctx_close_internal(cp_ctx *ctx, uv_handle_t *h) {
  ctx->nclosing++;
  uv_close(h, cp_ctx_internal_closed);
}

static void cp_ctx_close_own(cp_ctx *ctx) {
  cp_ctx_close_internal(ctx, (uv_handle_t *)&ctx->poll_prepare);
  cp_ctx_close_internal(ctx, (uv_handle_t *)&ctx->poll_check);
  cp_ctx_close_internal(ctx, (uv_handle_t *)&ctx->sweep);
  cp_ctx_close_internal(ctx, (uv_handle_t *)&ctx->defer);
  cp_reap_close_own(ctx);
}

/* The context's __gc; also run earlier by the sentinel below.  Idempotent. */
static int cp_ctx_gc(lua_State *L) {
  cp_ctx **slot = (cp_ctx **)lua_touserdata(L, 1);
  cp_ctx *ctx = slot ? *slot : NULL;
  cp_handle *h, *next;
  if (ctx == NULL) return 0;
  *slot = NULL;
  ctx->closing = 1;
  cp_reap_close(ctx); /* before the handles: it closes the child watchers */
  cp_proc_forget_all(ctx);
  cp_ctx_close_own(ctx);
  for (h = ctx->handles; h; h = next) {
    next = h->hnext;
    cp_handle_close(h);
  }
  if (ctx->running || ctx->depth > 0 || ctx->shared_loop) {
    /* Never run a loop here: lua_close from inside a callback
     * (os.exit(code, true)) would re-enter uv_run, and a host's loop runs
     * the host's callbacks.  The handles' close callbacks free them when
     * that loop runs again; the last one frees the context. */
    ctx->orphaned = 1;
    return 0;
  }
  uv_run(ctx->loop, UV_RUN_DEFAULT);
  uv_loop_close(ctx->loop);
  free(ctx);
  return 0;
}

/* ---- what a guest sets up in the process ------------------------------- */

static void cp_sigpipe_noop(int sig) { (void)sig; }

static void cp_process_setup(void) {
  struct sigaction sa;
  Dl_info info;
  int fd;
  /* A process started with 0, 1 or 2 closed would get the loop's own fds
   * there (and libuv refuses to close those).  As Node.js does at start-up,
   * open /dev/null on any of them that is closed. */
  for (fd = 0; fd <= 2; fd++)
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      int n = open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) {
        dup2(n, fd);
        close(n);
      }
    }
  /* A write to a pipe whose reader died must be an EPIPE error, not the
   * death of the host.  A caught signal (unlike an ignored one) is reset by
   * exec, so io.popen and os.execute children still get the default.  A
   * handler or SIG_IGN the host chose stays. */
  if (sigaction(SIGPIPE, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL) {
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cp_sigpipe_noop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGPIPE, &sa, NULL);
  }
  /* That handler, and the thread that reaps a closed state's children,
   * live in this shared object: it must stay mapped after lua_close. */
  if (dladdr((void *)cp_sigpipe_noop, &info) && info.dli_fname != NULL)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

/* The context's own handles, on ctx->loop. */
static void cp_ctx_init_handles(cp_ctx *ctx) {
  cp_poll_init(ctx);
  cp_defer_init(ctx);
  cp_reap_init(ctx);
}

void cp_ctx_open(lua_State *L) {
  cp_ctx *ctx, **slot;
  int err;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CTX_KEY);
  if (!lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  lua_pop(L, 1);
  cp_process_setup();
  slot = (cp_ctx **)lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) luaL_error(L, "child_process: out of memory");
  ctx->loop = &ctx->own_loop;
  err = uv_loop_init(ctx->loop);
  if (err) {
    free(ctx);
    cp_uv_error(L, err);
  }
  lua_newtable(L);
  ctx->errors_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  ctx->first_error = 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  ctx->main = lua_tothread(L, -1);
  lua_pop(L, 1);
  *slot = ctx;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, cp_ctx_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &CTX_KEY);
  cp_ctx_init_handles(ctx);
}

/* ---- a host's loop ----------------------------------------------------- */

/* Move the context onto `loop` (another libuv loop of the same libuv):
 * only before any child, stream or timer exists. */
static const char *cp_ctx_switch_loop(cp_ctx *ctx, uv_loop_t *loop) {
  if (ctx->loop == loop) return NULL;
  if (ctx->handles != NULL || ctx->procs != NULL || ctx->running)
    return "child_process: the loop can only be changed before the first "
           "spawn, stream or timer of this Lua state";
  if (ctx->shared_loop)
    return "child_process: this Lua state already runs on a host's loop";
  cp_ctx_close_own(ctx);
  uv_run(ctx->loop, UV_RUN_DEFAULT);
  uv_loop_close(ctx->loop);
  ctx->loop = loop;
  ctx->shared_loop = 1;
  /* Callbacks now also come from the host's uv_run, outside cp.run(). */
  ctx->L = ctx->main;
  cp_ctx_init_handles(ctx);
  return NULL;
}

CP_EXPORT int child_process_use_loop_(lua_State *L, uv_loop_t *loop,
                                              unsigned int (*host_uv_version)(void)) {
  cp_ctx *ctx;
  const char *err;
  if (loop == NULL) {
    lua_pushliteral(L, "child_process_use_loop: loop is NULL");
    return -1;
  }
  /* Two copies of libuv have two function addresses for uv_version (ELF
   * gives one symbol one address across every object that shares it). */
  if (host_uv_version != uv_version) {
    unsigned int v = host_uv_version ? host_uv_version() : 0;
    lua_pushfstring(L, "child_process_use_loop: the host's loop belongs to another copy of libuv "
                       "(the host's is %d.%d.%d, this module's %s): they cannot share a loop; "
                       "drive the module with cp.run(\"nowait\") or by polling cp.backend_fd() "
                       "instead",
                    (int)(v >> 16) & 0xff, (int)(v >> 8) & 0xff, (int)v & 0xff,
                    uv_version_string());
    return -1;
  }
  cp_ctx_open(L);
  ctx = cp_ctx_slot(L);
  err = ctx ? cp_ctx_switch_loop(ctx, loop) : "child_process: the Lua state is closing";
  if (err) {
    lua_pushstring(L, err);
    return -1;
  }
  return 0;
}

static int cp_ctx_sentinel_gc(lua_State *L) {
  lua_settop(L, 0);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CTX_KEY);
  return cp_ctx_gc(L);
}

/* The shared object that defines the function at address fn, or "?". */
static const char *cp_object_of(void *fn) {
  Dl_info info;
  return dladdr(fn, &info) && info.dli_fname ? info.dli_fname : "?";
}

/* core.use_luv(luv): run on luv's loop when luv links this module's libuv. */
static int cp_use_luv(lua_State *L) {
  cp_ctx *ctx = cp_ctx_get(L);
  lua_CFunction luv_version;
  void *luv_uv_version = NULL, *dl;
  const char *luv_so, *err;
  uv_loop_t *loop;
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_getfield(L, 1, "version");
  luv_version = lua_tocfunction(L, -1);
  luaL_argcheck(L, luv_version != NULL, 1, "the luv module table expected (require('luv'))");
  lua_pop(L, 1);
  /* Which libuv does luv use?  Ask the dynamic linker from luv's side. */
  luv_so = cp_object_of((void *)luv_version);
  dl = dlopen(luv_so, RTLD_LAZY | RTLD_NOLOAD);
  if (dl != NULL) {
    luv_uv_version = dlsym(dl, "uv_version");
    dlclose(dl);
  }
  if (luv_uv_version != (void *)uv_version) {
    const char *theirs = luv_uv_version ? cp_object_of(luv_uv_version) : luv_so;
    lua_getfield(L, 1, "version_string");
    if (lua_isfunction(L, -1)) lua_call(L, 0, 1);
    return luaL_error(L, "child_process: luv uses its own copy of libuv (%s, in %s) and this "
                         "module uses libuv %s (%s): they cannot share a loop. Drive the module "
                         "from luv's loop instead: poll cp.backend_fd() with cp.backend_timeout(), "
                         "or call cp.run(\"nowait\") each tick (README: Using it inside other hosts)",
                      lua_isstring(L, -1) ? lua_tostring(L, -1) : "?", theirs,
                      uv_version_string(), cp_object_of((void *)uv_version));
  }
  /* luv keeps its context (the loop is its first field) in the registry. */
  lua_getfield(L, LUA_REGISTRYINDEX, "luv_context");
  loop = lua_touserdata(L, -1) ? *(uv_loop_t **)lua_touserdata(L, -1) : NULL;
  lua_pop(L, 1);
  if (loop == NULL) return luaL_error(L, "child_process: luv has no loop in this Lua state");
  err = cp_ctx_switch_loop(ctx, loop);
  if (err) return luaL_error(L, "%s", err);
  /* At lua_close luv's loop finalizer closes every handle of the loop with
   * luv's own close callback, ours included, unless they are closing
   * already.  Finalizers run newest first: a sentinel made now, after luv
   * made its loop, closes our context before luv's runs, whichever of the
   * two modules was required first. */
  lua_newuserdatauv(L, 0, 0);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, cp_ctx_sentinel_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

/* uv_run inside a protected call: a memory error raised while a callback's
 * arguments are pushed must not leave the context marked as running. */
static int cp_run_protected(lua_State *L) {
  cp_ctx *ctx = (cp_ctx *)lua_touserdata(L, 1);
  uv_run_mode mode = (uv_run_mode)lua_tointeger(L, 2);
  lua_pushboolean(L, uv_run(ctx->loop, mode));
  return 1;
}

/* cp.run([mode]): drive the loop.  Errors from callbacks are raised here,
 * one per call: the first at once, the others of the same pass from the
 * calls that follow (before they run the loop). */
static int cp_run(lua_State *L) {
  static const char *const modes[] = {"default", "once", "nowait", NULL};
  static const uv_run_mode uvmodes[] = {UV_RUN_DEFAULT, UV_RUN_ONCE, UV_RUN_NOWAIT};
  cp_ctx *ctx = cp_ctx_get(L);
  int mode = luaL_checkoption(L, 1, "default", modes);
  int alive, rc;
  if (ctx->running || ctx->depth > 0)
    return luaL_error(L, "child_process: the loop is already running "
                         "(run() and wait() are not re-entrant; use cp.async)");
  if (ctx->nerrors > 0) {
    cp_error_pop(ctx, L);
    return lua_error(L);
  }
  ctx->running = 1;
  ctx->run_blocks = uvmodes[mode] != UV_RUN_NOWAIT;
  ctx->run_once = uvmodes[mode] == UV_RUN_ONCE;
  ctx->L = L;
  lua_pushcfunction(L, cp_run_protected);
  lua_pushlightuserdata(L, ctx);
  lua_pushinteger(L, uvmodes[mode]);
  rc = lua_pcall(L, 2, 1, 0);
  alive = rc == LUA_OK && lua_toboolean(L, -1);
  ctx->run_blocks = 0;
  ctx->run_once = 0;
  /* The prepare handle that writes batched IPC messages runs before the
   * loop blocks; a "once"/"nowait" pass (or uv_stop) can end after it.
   * The host may block next, so what was sent must go now. */
  cp_ipc_flush_deferred(ctx);
  ctx->running = 0;
  ctx->depth = 0;
  ctx->L = ctx->shared_loop ? ctx->main : NULL;
  if (rc != LUA_OK) return lua_error(L);
  if (ctx->nerrors > 0) {
    cp_error_pop(ctx, L);
    return lua_error(L);
  }
  lua_pushboolean(L, alive && uv_loop_alive(ctx->loop));
  return 1;
}

static int cp_backend_fd(lua_State *L) {
  lua_pushinteger(L, uv_backend_fd(cp_ctx_get(L)->loop));
  return 1;
}

static void cp_min_due(uv_handle_t *h, void *arg) {
  lua_Integer *min = (lua_Integer *)arg;
  if (h->type == UV_TIMER && uv_is_active(h) && !uv_is_closing(h)) {
    uint64_t due = uv_timer_get_due_in((uv_timer_t *)h);
    if (due > INT_MAX) due = INT_MAX;
    if (*min < 0 || (lua_Integer)due < *min) *min = (lua_Integer)due;
  }
}

/* uv_backend_timeout() answers 0 when no referenced work remains, which
 * would make a host that polls backend_fd() spin while idle.  Then the
 * answer is the next (unreferenced) timer, or -1: wait for the fd alone. */
static int cp_backend_timeout(lua_State *L) {
  uv_loop_t *loop = cp_ctx_get(L)->loop;
  lua_Integer ms = -1;
  /* Count from now, not from the loop time cached when the loop last ran
   * (before the host's own wait, or blocking work). */
  uv_update_time(loop);
  if (uv_loop_alive(loop))
    ms = uv_backend_timeout(loop);
  else
    uv_walk(loop, cp_min_due, &ms);
  lua_pushinteger(L, ms);
  return 1;
}

/* Inside run(), or inside a callback of ours (a host's uv_run may be the
 * one running a shared loop). */
static int cp_running(lua_State *L) {
  cp_ctx *ctx = cp_ctx_get(L);
  lua_pushboolean(L, ctx->running || ctx->depth > 0);
  return 1;
}


/* core.stats() → {handles = open handles, procs = live children}: lets the
 * specs check that nothing is left open after each test. */
static int cp_stats(lua_State *L) {
  cp_ctx *ctx = cp_ctx_get(L);
  cp_proc *p;
  cp_handle *h;
  int handles = 0, procs = 0;
  /* Streams, channels and timers (not the context's own handles, which
   * live as long as it, nor the watchers of children counted below). */
  for (h = ctx->handles; h; h = h->hnext)
    if (!h->closing) handles++;
  for (p = ctx->procs; p; p = p->next) procs++;
  lua_createtable(L, 0, 2);
  lua_pushinteger(L, handles);
  lua_setfield(L, -2, "handles");
  lua_pushinteger(L, procs);
  lua_setfield(L, -2, "procs");
  return 1;
}

static int cp_now(lua_State *L) {
  lua_pushnumber(L, (lua_Number)uv_hrtime() / 1e6);
  return 1;
}

void cp_loop_open(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"run", cp_run},
      {"backend_fd", cp_backend_fd},
      {"backend_timeout", cp_backend_timeout},
      {"running", cp_running},
      {"now", cp_now},
      {"stats", cp_stats},
      {"use_luv", cp_use_luv},
      {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
