/*
 * timer.c — one-shot and repeating timers, for spawn/exec timeouts and
 * wait(timeout_ms).  core.timer() → handle with start(ms, repeat, fn), stop().
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

void cp_timer_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"start", cp_timer_start}, {"stop", cp_timer_stop}, {NULL, NULL}};
  cp_handle_newclass(L, CP_TIMER, methods);
  lua_pushcfunction(L, cp_timer_new);
  lua_setfield(L, -2, "timer");
}
