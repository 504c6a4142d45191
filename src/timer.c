/*
 * timer.c — one-shot and repeating timers, for spawn/exec timeouts and
 * wait(timeout_ms).  core.timer() → handle with start(ms, repeat, fn), stop().
 * And core.defer(fn): fn runs in a later iteration of the loop (util.defer,
 * the `spawn` event of every child), from a queue and one timer of the
 * context's own, rather than a timer handle made and closed for each.
 */
#include "cp.h"

#define CP_TIMER "child_process.timer"

static void cp_timer_cb(uv_timer_t *t) {
  cp_handle *h = (cp_handle *)t->data;
  cp_ctx *ctx = h->ctx;
  int ref = h->cb_ref;
  if (ctx->closing || ctx->L == NULL) return;
  if (uv_timer_get_repeat(t) != 0) {
    cp_callback(ctx, ref, 0);
    return;
  }
  /* One-shot: release the callback; it may start the timer again. */
  h->cb_ref = LUA_NOREF;
  cp_callback(ctx, ref, 0);
  cp_unref(ctx->L, &ref);
}

static int cp_timer_new(lua_State *L) {
  cp_handle *h = cp_handle_new(L, cp_ctx_get(L), sizeof(cp_handle), CP_TIMER);
  uv_timer_init(h->ctx->loop, &h->u.timer);
  return 1;
}

static int cp_timer_start(lua_State *L) {
  cp_handle *h = cp_handle_check(L, 1, CP_TIMER);
  lua_Integer ms = luaL_checkinteger(L, 2);
  lua_Integer rep = luaL_optinteger(L, 3, 0);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  if (ms < 0) ms = 0;
  if (rep < 0) rep = 0;
  cp_unref(L, &h->cb_ref);
  h->cb_ref = cp_ref(L, 4);
  /* Count from now: the loop's cached time is from before whatever ran
   * since the loop last did (blocking work, the host's own wait). */
  uv_update_time(h->ctx->loop);
  uv_timer_start(&h->u.timer, cp_timer_cb, (uint64_t)ms, (uint64_t)rep);
  return 0;
}

static int cp_timer_stop(lua_State *L) {
  cp_handle *h = cp_handle_check(L, 1, CP_TIMER);
  uv_timer_stop(&h->u.timer);
  cp_unref(L, &h->cb_ref);
  return 0;
}

/* ---- core.defer ---------------------------------------------------------- */

/* Run what was queued before this pass; what those functions defer runs in
 * a later one.  An error is queued for run() (cp_callback_top) and the
 * rest still run, as separate timers would. */
static void cp_defer_cb(uv_timer_t *t) {
  cp_ctx *ctx = (cp_ctx *)t->data;
  lua_State *L = ctx->L;
  int last = ctx->defer_tail;
  if (ctx->closing || L == NULL) return;
  /* A run("once") pass whose deferred calls ran (an `error` or `close`
   * event, say) ends without blocking, as it did when each call had a timer
   * of its own that was closing: libuv 1.44 runs due timers before it
   * polls, and would then block until the next event, which may never come
   * for a `while not done do run("once") end` loop.  uv_stop makes that
   * poll not wait; it is reset when the pass ends. */
  if (ctx->run_once && ctx->defer_head <= last) uv_stop(ctx->loop);
  while (ctx->defer_head <= last && !ctx->closing) {
    int i = ctx->defer_head++;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->defer_q);
    lua_rawgeti(L, -1, i);
    lua_pushnil(L);
    lua_rawseti(L, -3, i);
    lua_remove(L, -2);
    cp_callback_top(ctx);
  }
  if (ctx->closing) return;
  if (ctx->defer_head > ctx->defer_tail) {
    ctx->defer_head = 1;
    ctx->defer_tail = 0;
  } else if (!uv_is_active((uv_handle_t *)t)) {
    uv_timer_start(t, cp_defer_cb, 0, 0);
  }
}

void cp_defer_init(cp_ctx *ctx) {
  uv_timer_init(ctx->loop, &ctx->defer);
  ctx->defer.data = ctx;
  /* After a switch of loop: what was queued runs on the new one. */
  if (ctx->defer_q != 0 && ctx->defer_head <= ctx->defer_tail)
    uv_timer_start(&ctx->defer, cp_defer_cb, 0, 0);
}

/* core.defer(fn) */
static int cp_defer(lua_State *L) {
  cp_ctx *ctx = cp_ctx_get(L);
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_settop(L, 1);
  if (ctx->defer_q == 0) {
    lua_newtable(L);
    ctx->defer_q = luaL_ref(L, LUA_REGISTRYINDEX);
    ctx->defer_head = 1;
    ctx->defer_tail = 0;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->defer_q);
  lua_pushvalue(L, 1);
  lua_rawseti(L, -2, ++ctx->defer_tail);
  if (!uv_is_active((uv_handle_t *)&ctx->defer)) uv_timer_start(&ctx->defer, cp_defer_cb, 0, 0);
  return 0;
}

void cp_timer_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"start", cp_timer_start}, {"stop", cp_timer_stop}, {NULL, NULL}};
  cp_handle_newclass(L, CP_TIMER, methods);
  lua_pushcfunction(L, cp_timer_new);
  lua_setfield(L, -2, "timer");
  lua_pushcfunction(L, cp_defer);
  lua_setfield(L, -2, "defer");
}
