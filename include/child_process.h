/*
 * child_process.h — the public C API of child_process.core, installed with
 * the rock, for hosts that embed Lua and own a libuv loop.  The shared
 * object exports luaopen_child_process_core and the functions declared
 * here, nothing else: every other function is hidden (src/cp.h), whatever
 * flags the build uses.
 */
#ifndef CHILD_PROCESS_H
#define CHILD_PROCESS_H

#include <lua.h>
#include <uv.h>

#if defined(_WIN32)
#define CP_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define CP_EXPORT __attribute__((visibility("default")))
#else
#define CP_EXPORT
#endif

/*
 * Run the module of state L on the host's loop, so that one uv_run drives
 * both.  Call it before the first spawn, stream or timer of L (before or
 * after require "child_process").  The loop must come from the same libuv
 * as the module: the macro passes the host's uv_version to check that.
 * Returns 0, or -1 with an error message pushed on L.
 */
CP_EXPORT int child_process_use_loop_(lua_State *L, uv_loop_t *loop,
                                      unsigned int (*host_uv_version)(void));
#define child_process_use_loop(L, loop) child_process_use_loop_((L), (loop), uv_version)

#endif
