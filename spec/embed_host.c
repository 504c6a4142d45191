/*
 * embed_host.c — a small C host for spec/embed_spec.lua: two lua_States in
 * one process, each loading child_process with its own loop.  Each spawns a
 * child; the loops are driven in turns with run("nowait"); then both states
 * are closed (lua_close must close their handles cleanly).  A third state
 * is closed while its child still runs: the child must survive.
 *
 * Usage: embed_host <script that returns a function(tag) → result string>
 * Prints one line per state and "ok" at the end; exit status 0 on success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include "../src/luacompat.h" /* LUA_OK, luaL_newlib… below Lua 5.4 */

static lua_State *open_state(const char *script, const char *tag) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (luaL_dofile(L, script) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", tag, lua_tostring(L, -1));
    exit(1);
  }
  /* The script returned start(tag) → step() → done?, result */
  lua_pushstring(L, tag);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", tag, lua_tostring(L, -1));
    exit(1);
  }
  lua_setglobal(L, "step");
  return L;
}

static int step(lua_State *L, const char *tag) {
  int done;
  lua_getglobal(L, "step");
  if (lua_pcall(L, 0, 2, 0) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", tag, lua_tostring(L, -1));
    exit(1);
  }
  done = lua_toboolean(L, -2);
  if (done) printf("%s %s\n", tag, lua_tostring(L, -1));
  lua_pop(L, 2);
  return done;
}

int main(int argc, char **argv) {
  lua_State *a, *b, *c;
  int da = 0, db = 0, i;
  if (argc < 2) {
    fprintf(stderr, "usage: %s script.lua\n", argv[0]);
    return 2;
  }
  a = open_state(argv[1], "A");
  b = open_state(argv[1], "B");
  /* A host's main loop: one tick per millisecond, for at most 20 s. */
  for (i = 0; i < 20000 && !(da && db); i++) {
    struct timespec ms = {0, 1000000};
    if (!da) da = step(a, "A");
    if (!db) db = step(b, "B");
    nanosleep(&ms, NULL);
  }
  if (!(da && db)) {
    fprintf(stderr, "timed out\n");
    return 1;
  }
  lua_close(a);
  lua_close(b);
  /* A state closed while its child runs: closing must not kill it. */
  c = open_state(argv[1], "C");
  lua_close(c);
  printf("ok\n");
  return 0;
}
