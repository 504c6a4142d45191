/*
 * loop_host.c — a C host that owns a libuv loop and hands it to the module
 * with child_process_use_loop (include/child_process.h), for spec/loop_host_spec.lua:
 * one uv_run drives the host's own timer and the module's children.
 *
 * Usage: loop_host path/to/core.so script.lua
 * The script runs in a state on the host's loop and must not call cp.run();
 * it sets the global `result` from its callbacks.  The host prints:
 *   other copy: <error of a loop from "another libuv">
 *   host timer: 1
 *   result: <result>
 *   late: <error of use_loop after a spawn>
 *   loop close: 0            (every handle closed once the state is)
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include "../src/luacompat.h" /* LUA_OK, luaL_newlib… below Lua 5.4 */
#include <uv.h>

#include "child_process.h"

typedef int (*use_loop_fn)(lua_State *, uv_loop_t *, unsigned int (*)(void));

static int host_timer_fired;

static void on_host_timer(uv_timer_t *t) {
  host_timer_fired++;
  uv_close((uv_handle_t *)t, NULL);
}

/* Stands for the uv_version of a second libuv copy in the process. */
static unsigned int other_uv_version(void) { return 0; }

int main(int argc, char **argv) {
  uv_loop_t loop;
  uv_timer_t timer;
  lua_State *L, *L2;
  use_loop_fn use_loop;
  void *so;
  if (argc < 3) {
    fprintf(stderr, "usage: %s core.so script.lua\n", argv[0]);
    return 2;
  }
  /* The module's own copy of the object that require() will load. */
  so = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
  use_loop = so ? (use_loop_fn)(void (*)(void))dlsym(so, "child_process_use_loop_") : NULL;
  if (use_loop == NULL) {
    fprintf(stderr, "cannot load child_process_use_loop_: %s\n", dlerror());
    return 2;
  }
  uv_loop_init(&loop);
  uv_timer_init(&loop, &timer);
  uv_timer_start(&timer, on_host_timer, 10, 0);

  L2 = luaL_newstate();
  luaL_openlibs(L2);
  if (use_loop(L2, &loop, other_uv_version) != 0) printf("other copy: %s\n", lua_tostring(L2, -1));
  lua_close(L2);

  L = luaL_newstate();
  luaL_openlibs(L);
  if (use_loop(L, &loop, uv_version) != 0) {
    fprintf(stderr, "use_loop: %s\n", lua_tostring(L, -1));
    return 1;
  }
  if (luaL_dofile(L, argv[2]) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  uv_run(&loop, UV_RUN_DEFAULT); /* the host's loop runs everything */
  printf("host timer: %d\n", host_timer_fired);
  lua_getglobal(L, "result");
  printf("result: %s\n", lua_tostring(L, -1));
  lua_pop(L, 1);
  if (use_loop(L, &loop, uv_version) == 0) { /* same loop again: fine */
    lua_getglobal(L, "spawn_one");
    lua_call(L, 0, 0);
    if (use_loop(L, uv_default_loop(), uv_version) != 0) printf("late: %s\n", lua_tostring(L, -1));
    lua_settop(L, 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  lua_close(L);
  uv_run(&loop, UV_RUN_DEFAULT); /* the module's close callbacks */
  printf("loop close: %d\n", uv_loop_close(&loop));
  return 0;
}
