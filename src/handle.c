/*
 * handle.c — the life of a libuv handle owned by a Lua userdata, shared by
 * pipes, timers and IPC channels.
 *
 * The handle lives in malloc'd memory (Lua's GC must never free memory that
 * libuv still uses); the userdata holds a pointer to it.  While open, the
 * handle holds a registry ref to its own userdata (self_ref), so the
 * userdata and every callback outlive libuv's use of them.  The ref is
 * dropped in the close callback, the one place a handle is freed.  __gc
 * therefore only ever sees a closed handle, except during lua_close, when
 * the context closes every handle without calling Lua.
 */
#include <stdlib.h>
#include <string.h>

#include "cp.h"

cp_handle *cp_handle_new(lua_State *L, cp_ctx *ctx, size_t size, const char *tname) {
  cp_handle **slot = (cp_handle **)lua_newuserdatauv(L, sizeof *slot, 0);
  cp_handle *h = calloc(1, size);
  *slot = NULL;
  if (h == NULL) luaL_error(L, "child_process: out of memory");
  h->ctx = ctx;
  h->hnext = ctx->handles;
  h->hprev = &ctx->handles;
  if (ctx->handles) ctx->handles->hprev = &h->hnext;
  ctx->handles = h;
  h->owner = slot;
  h->close_ref = LUA_NOREF;
  h->cb_ref = LUA_NOREF;
  h->cb2_ref = LUA_NOREF;
  h->cb3_ref = LUA_NOREF;
  h->u.handle.data = h;
  *slot = h;
  luaL_setmetatable(L, tname);
  lua_pushvalue(L, -1);
  h->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return h;
}

cp_handle *cp_handle_check(lua_State *L, int idx, const char *tname) {
  cp_handle **slot = (cp_handle **)luaL_checkudata(L, idx, tname);
  if (*slot == NULL || (*slot)->closing)
    luaL_error(L, "%s: handle is closed", tname);
  return *slot;
}

static void cp_handle_close_cb(uv_handle_t *uh) {
  cp_handle *h = (cp_handle *)uh->data;
  cp_ctx *ctx = h->ctx;
  if (h->on_free) h->on_free(h);
  if (h->owner) *h->owner = NULL;
  *h->hprev = h->hnext;
  if (h->hnext) h->hnext->hprev = h->hprev;
  if (!ctx->closing && ctx->L != NULL) {
    lua_State *L = ctx->L;
    int close_ref = h->close_ref;
    h->close_ref = LUA_NOREF;
    cp_unref(L, &h->cb_ref);
    cp_unref(L, &h->cb2_ref);
    cp_unref(L, &h->cb3_ref);
    cp_unref(L, &h->self_ref);
    free(h);
    if (close_ref != LUA_NOREF) {
      cp_callback(ctx, close_ref, 0);
      cp_unref(L, &close_ref);
    }
    return;
  }
  free(h); /* lua_close: the registry goes away with the state */
  cp_ctx_maybe_free(ctx);
}

void cp_handle_close(cp_handle *h) {
  if (h->closing) return;
  h->closing = 1;
  if (h->on_close) h->on_close(h);
  uv_close(&h->u.handle, cp_handle_close_cb);
}

/* h:close([cb]) — idempotent; cb runs once the handle is closed. */
static int cp_handle_lclose(lua_State *L) {
  cp_handle **slot = (cp_handle **)lua_touserdata(L, 1);
  luaL_checktype(L, 1, LUA_TUSERDATA);
  if (slot == NULL || *slot == NULL || (*slot)->closing) return 0;
  if (!lua_isnoneornil(L, 2)) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    (*slot)->close_ref = cp_ref(L, 2);
  }
  cp_handle_close(*slot);
  return 0;
}

static int cp_handle_lref(lua_State *L) {
  cp_handle **slot = (cp_handle **)lua_touserdata(L, 1);
  if (slot && *slot && !(*slot)->closing) uv_ref(&(*slot)->u.handle);
  return 0;
}

static int cp_handle_lunref(lua_State *L) {
  cp_handle **slot = (cp_handle **)lua_touserdata(L, 1);
  if (slot && *slot && !(*slot)->closing) uv_unref(&(*slot)->u.handle);
  return 0;
}

static int cp_handle_lis_closed(lua_State *L) {
  cp_handle **slot = (cp_handle **)lua_touserdata(L, 1);
  lua_pushboolean(L, slot == NULL || *slot == NULL || (*slot)->closing);
  return 1;
}

/* Reached only once the handle is freed, or during lua_close. */
static int cp_handle_lgc(lua_State *L) {
  cp_handle **slot = (cp_handle **)lua_touserdata(L, 1);
  if (slot && *slot) {
    (*slot)->owner = NULL;
    cp_handle_close(*slot);
    *slot = NULL;
  }
  return 0;
}

void cp_handle_newclass(lua_State *L, const char *tname, const luaL_Reg *methods) {
  static const luaL_Reg common[] = {
      {"close", cp_handle_lclose},
      {"ref", cp_handle_lref},
      {"unref", cp_handle_lunref},
      {"is_closed", cp_handle_lis_closed},
      {NULL, NULL}};
  luaL_newmetatable(L, tname);
  lua_newtable(L);
  luaL_setfuncs(L, common, 0);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, cp_handle_lgc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}
