/*
 * oom_host.c — a C host whose Lua allocator can be limited from Lua, for
 * spec/oom_spec.lua: out of memory while the module delivers a message.
 *
 *   alloc_limit(n)   from now on, fail allocations past n more bytes
 *   alloc_limit()    no limit
 *
 * Usage: oom_host script.lua — exit status 0 when the script ran.
 */
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include "../src/luacompat.h" /* LUA_OK, luaL_newlib… below Lua 5.4 */

typedef struct {
  size_t used, limit; /* limit 0: none */
} budget;

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  budget *b = (budget *)ud;
  size_t old = ptr ? osize : 0;
  void *p;
  if (nsize == 0) {
    free(ptr);
    b->used -= old;
    return NULL;
  }
  if (b->limit && nsize > old && b->used + (nsize - old) > b->limit) return NULL;
  p = realloc(ptr, nsize);
  if (p) b->used = b->used - old + nsize;
  return p;
}

static int alloc_limit(lua_State *L) {
  budget *b;
  lua_getallocf(L, (void **)&b);
  b->limit = lua_isnoneornil(L, 1) ? 0 : b->used + (size_t)luaL_checkinteger(L, 1);
  return 0;
}

int main(int argc, char **argv) {
  budget b = {0, 0};
  lua_State *L;
  int rc;
  if (argc < 2) {
    fprintf(stderr, "usage: %s script.lua\n", argv[0]);
    return 2;
  }
  L = lua_newstate(limited_alloc, &b);
  luaL_openlibs(L);
  lua_register(L, "alloc_limit", alloc_limit);
  rc = luaL_dofile(L, argv[1]);
  if (rc != LUA_OK) fprintf(stderr, "%s\n", lua_tostring(L, -1));
  lua_close(L);
  return rc == LUA_OK ? 0 : 1;
}
