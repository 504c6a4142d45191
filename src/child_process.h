/*
 * child_process.h — the C API of child_process for Lua, for hosts that
 * embed Lua and own a libuv loop.  Everything else is reached from Lua
 * (require "child_process").
 */
#ifndef CHILD_PROCESS_H
#define CHILD_PROCESS_H

#include <lua.h>
#include <uv.h>

#if defined(__GNUC__)
#define CHILD_PROCESS_API __attribute__((visibility("default")))
#else
#define CHILD_PROCESS_API
#endif

/*
 * Run the module of state L on the host's loop, so that one uv_run drives
 * both.  Call it before the first spawn, stream or timer of L (before or
 * after require "child_process").  The loop must come from the same libuv
 * as the module: the macro passes the host's uv_version to check that.
 * Returns 0, or -1 with an error message pushed on L.
 */
CHILD_PROCESS_API int child_process_use_loop_(lua_State *L, uv_loop_t *loop,
                                              unsigned int (*host_uv_version)(void));
#define child_process_use_loop(L, loop) child_process_use_loop_((L), (loop), uv_version)

#endif
