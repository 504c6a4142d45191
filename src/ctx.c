/*
 * ctx.c — the per-lua_State context: its libuv loop, run(), the one
 * protected-call helper every callback goes through, registry refs, and
 * the SIGCHLD watcher that reaps the children this state started.
 *
 * There is no global mutable state: the context lives in a full userdata
 * anchored in the registry under the address of a static char, and its
 * __gc (run by lua_close) closes every handle without calling Lua.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cp.h"


static const char CTX_KEY = 'c';

cp_ctx *cp_ctx_get(lua_State *L) {
  cp_ctx *ctx;
  lua_rawgetp(L, LUA_REGISTRYINDEX, &CTX_KEY);
  ctx = *(cp_ctx **)lua_touserdata(L, -1);
  lua_pop(L, 1);
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

int cp_callback(cp_ctx *ctx, int fn_ref, int nargs) {
  lua_State *L = ctx->L;
  int base, rc;
  if (fn_ref == LUA_NOREF || fn_ref == LUA_REFNIL) {
    lua_pop(L, nargs);
    return 0;
  }
  base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, cp_traceback);
  lua_rawgeti(L, LUA_REGISTRYINDEX, fn_ref);
  lua_rotate(L, base + 1, 2); /* handler, fn, args... */
  rc = lua_pcall(L, nargs, 0, base + 1);
  if (rc != LUA_OK) {
    /* Keep the first error; run() raises it once the loop has stopped.
     * Callbacks already due in this iteration still run, so no event is
     * lost: the loop stays usable after the error propagates. */
    if (ctx->error_ref == LUA_NOREF)
      ctx->error_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    else
      lua_pop(L, 1);
    uv_stop(&ctx->loop);
  }
  lua_settop(L, base);
  return rc;
}

void cp_ctx_proc_ref_changed(cp_ctx *ctx, int delta) {
  ctx->nref_procs += delta;
  if (ctx->nref_procs > 0)
    uv_ref((uv_handle_t *)&ctx->sigchld);
  else
    uv_unref((uv_handle_t *)&ctx->sigchld);
}

static void cp_sigchld_cb(uv_signal_t *sig, int signum) {
  (void)signum;
  cp_ctx_reap((cp_ctx *)sig->data);
}

/* Reap our own children only: waitpid on each pid we started, never -1, so
 * that io.popen, os.execute and a host's own children keep their status. */
void cp_ctx_reap(cp_ctx *ctx) {
  cp_proc *p, **pp, *done = NULL, **tail = &done;
  int status;
  pid_t r;
  for (pp = &ctx->procs; (p = *pp) != NULL;) {
    do r = waitpid(p->pid, &status, WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == p->pid || (r < 0 && errno == ECHILD)) {
      *pp = p->next; /* unlink, deliver after the walk */
      p->next = NULL;
      p->status = (r == p->pid) ? status : 0;
      *tail = p;
      tail = &p->next;
    } else {
      pp = &p->next;
    }
  }
  /* Exit callbacks may spawn or kill: run them after the list walk. */
  while ((p = done) != NULL) {
    done = p->next;
    p->next = NULL;
    cp_proc_exited(p);
  }
}

static int cp_ctx_gc(lua_State *L) {
  cp_ctx *ctx = *(cp_ctx **)lua_touserdata(L, 1);
  if (ctx == NULL) return 0;
  ctx->closing = 1;
  cp_proc_forget_all(ctx);
  uv_walk(&ctx->loop, cp_handle_walk_close, ctx);
  uv_run(&ctx->loop, UV_RUN_DEFAULT);
  uv_loop_close(&ctx->loop);
  free(ctx);
  *(cp_ctx **)lua_touserdata(L, 1) = NULL;
  return 0;
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
  slot = (cp_ctx **)lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) luaL_error(L, "child_process: out of memory");
  err = uv_loop_init(&ctx->loop);
  if (err) {
    free(ctx);
    cp_uv_error(L, err);
  }
  ctx->error_ref = LUA_NOREF;
  *slot = ctx;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, cp_ctx_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &CTX_KEY);

  uv_signal_init(&ctx->loop, &ctx->sigchld);
  ctx->sigchld.data = ctx;
  uv_signal_start(&ctx->sigchld, cp_sigchld_cb, SIGCHLD);
  uv_unref((uv_handle_t *)&ctx->sigchld);

  cp_poll_init(ctx);

  /* A write to a pipe whose reader died must be an EPIPE error, not the
   * death of the host.  Leave a handler the host installed alone. */
  {
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
      signal(SIGPIPE, SIG_IGN);
  }
}

/* cp.run([mode]): drive the loop.  Errors from callbacks are raised here. */
static int cp_run(lua_State *L) {
  static const char *const modes[] = {"default", "once", "nowait", NULL};
  static const uv_run_mode uvmodes[] = {UV_RUN_DEFAULT, UV_RUN_ONCE, UV_RUN_NOWAIT};
  cp_ctx *ctx = cp_ctx_get(L);
  int mode = luaL_checkoption(L, 1, "default", modes);
  int alive;
  if (ctx->running)
    return luaL_error(L, "child_process: the loop is already running "
                         "(run() and wait() are not re-entrant; use cp.async)");
  ctx->running = 1;
  ctx->run_blocks = uvmodes[mode] != UV_RUN_NOWAIT;
  ctx->L = L;
  alive = uv_run(&ctx->loop, uvmodes[mode]);
  ctx->run_blocks = 0;
  /* The prepare handle that writes batched IPC messages runs before the
   * loop blocks; a "once"/"nowait" pass (or uv_stop) can end after it.
   * The host may block next, so what was sent must go now. */
  cp_ipc_flush_deferred(ctx);
  ctx->running = 0;
  ctx->L = NULL;
  if (ctx->error_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->error_ref);
    cp_unref(L, &ctx->error_ref);
    return lua_error(L);
  }
  lua_pushboolean(L, alive != 0 && uv_loop_alive(&ctx->loop));
  return 1;
}

static int cp_backend_fd(lua_State *L) {
  lua_pushinteger(L, uv_backend_fd(&cp_ctx_get(L)->loop));
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
  uv_loop_t *loop = &cp_ctx_get(L)->loop;
  lua_Integer ms = -1;
  if (uv_loop_alive(loop))
    ms = uv_backend_timeout(loop);
  else
    uv_walk(loop, cp_min_due, &ms);
  lua_pushinteger(L, ms);
  return 1;
}

static int cp_running(lua_State *L) {
  lua_pushboolean(L, cp_ctx_get(L)->running);
  return 1;
}

/* Counts the handles of children, streams, channels and timers: not the
 * context's own SIGCHLD watcher and busy-poll prepare and check, which
 * live as long as it. */
static void cp_count_handle(uv_handle_t *h, void *arg) {
  if (h->type != UV_SIGNAL && h->type != UV_PREPARE && h->type != UV_CHECK && !uv_is_closing(h))
    ++*(int *)arg;
}

/* core.stats() → {handles = open handles, procs = live children}: lets the
 * specs check that nothing is left open after each test. */
static int cp_stats(lua_State *L) {
  cp_ctx *ctx = cp_ctx_get(L);
  cp_proc *p;
  int handles = 0, procs = 0;
  uv_walk(&ctx->loop, cp_count_handle, &handles);
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
      {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
