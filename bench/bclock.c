/* bclock.c — a tiny Lua module for the Lua benchmark scripts (ours and the
 * luv / io.popen peers alike): a monotonic clock, so that every Lua peer
 * times itself the same way, and the CPU time of a process (cpu_ns.h).
 * Built by bench/run.lua into build/bench/. */
#define _GNU_SOURCE
#include <time.h>
#include <unistd.h>
#include <lua.h>
#include <lauxlib.h>

#include "cpu_ns.h"

static int now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec * 1e-9);
  return 1;
}

/* cpu_ns([pid]) → ns on a CPU, all threads (default: this process). */
static int cpu_ns(lua_State *L) {
  lua_pushnumber(L, cpu_ns_of((pid_t)luaL_optinteger(L, 1, getpid())));
  return 1;
}

int luaopen_bclock(lua_State *L) {
  lua_newtable(L);
  lua_pushcfunction(L, now);
  lua_setfield(L, -2, "now");
  lua_pushcfunction(L, cpu_ns);
  lua_setfield(L, -2, "cpu_ns");
  return 1;
}
