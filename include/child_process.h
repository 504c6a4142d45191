/*
 * child_process.h — the public C API of child_process.core, installed with
 * the rock.  The shared object exports luaopen_child_process_core and the
 * functions declared here, nothing else: every other function is hidden
 * (src/cp.h), whatever flags the build uses.
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

/* Make this lua_State's child_process use the host's libuv loop. */
CP_EXPORT int child_process_use_loop(lua_State *L, uv_loop_t *loop);

#endif
