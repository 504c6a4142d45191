/* bclock.c — a tiny Lua module for the Lua benchmark scripts (ours and the
 * luv / io.popen peers alike): a monotonic clock, so that every Lua peer
 * times itself the same way.  Built by bench/run.lua into build/bench/. */
#include <time.h>
#include <lua.h>
#include <lauxlib.h>

static int now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
  return 1;
}

int luaopen_bclock(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, now);
  lua_setfield(L, -2, "now");
  return 1;
}
