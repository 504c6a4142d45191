/*
 * module.c — luaopen_child_process_core: the exported entry point.  It
 * creates this lua_State's context (its own libuv loop) and gathers the
 * functions each file registers into the module table.
 */
#include <fcntl.h>
#include <unistd.h>

#include "cp.h"

/* core.object(class) — a userdata whose fields live in a table (its user
 * value) with `class` as metatable, so users may store their own fields on
 * a ChildProcess and methods are found through the class. */
static int cp_object_index(lua_State *L) {
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_gettable(L, -2);
  return 1;
}

static int cp_object_newindex(lua_State *L) {
  lua_getiuservalue(L, 1, 1);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, 3);
  lua_rawset(L, -3);
  return 0;
}

static int cp_object_tostring(lua_State *L) {
  lua_getiuservalue(L, 1, 1);
  if (lua_getfield(L, -1, "__name") != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushliteral(L, "object");
  }
  lua_pushfstring(L, "%s: %p", lua_tostring(L, -1), lua_topointer(L, 1));
  return 1;
}

/* core.object(class [, nfields]): nfields sizes the field table up front,
 * sparing the rehashes of a table grown one field at a time. */
static int cp_object_new(lua_State *L) {
  lua_Integer n = luaL_optinteger(L, 2, 0);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_newuserdatauv(L, 0, 1);
  lua_createtable(L, 0, n > 0 && n < 256 ? (int)n : 0);
  lua_pushvalue(L, 1);
  lua_setmetatable(L, -2);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_setmetatable(L, -2);
  return 1;
}

/* `local c <close> = ...`: the class's __close method, if it has one. */
static int cp_object_close(lua_State *L) {
  lua_getiuservalue(L, 1, 1);
  if (lua_getfield(L, -1, "__close") != LUA_TFUNCTION) return 0;
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 0);
  return 0;
}

/* core.fields(obj) — the field table behind an object (for the facade). */
static int cp_object_fields(lua_State *L) {
  luaL_checktype(L, 1, LUA_TUSERDATA);
  lua_getiuservalue(L, 1, 1);
  return 1;
}

/* A spare fd per lua_State (/dev/null, close-on-exec, never 0-2), given up
 * for the time of core.with_spare_fd(fn, ...): the facade loads its
 * submodules on first use, and `require` must still open their files when
 * the process has run out of fds (EMFILE), so that the first spawn then
 * fails with an EMFILE error event, not "module not found". */
static int cp_spare_open(void) {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), hi;
  if (fd < 0 || fd > 2) return fd;
  hi = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return hi;
}

static int cp_spare_gc(lua_State *L) {
  int *fd = (int *)lua_touserdata(L, 1);
  if (*fd >= 0) close(*fd);
  *fd = -1;
  return 0;
}

/* core.with_spare_fd(fn, ...) → what fn returns; raises what fn raised. */
static int cp_with_spare_fd(lua_State *L) {
  int *fd = (int *)lua_touserdata(L, lua_upvalueindex(1)), status;
  luaL_checktype(L, 1, LUA_TFUNCTION);
  if (*fd >= 0) close(*fd);
  *fd = -1;
  status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
  *fd = cp_spare_open(); /* may fail at EMFILE: then retried next time */
  if (status != LUA_OK) return lua_error(L);
  return lua_gettop(L);
}

/* One per lua_State, kept in its registry: the module may be loaded again
 * in the same state (busted's insulation clears package.loaded), and each
 * load must not open another fd. */
static const char cp_spare_key = 's';

static void cp_spare_push(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &cp_spare_key) != LUA_TUSERDATA) {
    int *fd;
    lua_pop(L, 1);
    fd = (int *)lua_newuserdatauv(L, sizeof *fd, 0);
    *fd = cp_spare_open();
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, cp_spare_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &cp_spare_key);
  }
  lua_pushcclosure(L, cp_with_spare_fd, 1);
}

CP_EXPORT int luaopen_child_process_core(lua_State *L) {
  cp_ctx_open(L);
  lua_newtable(L);
  cp_loop_open(L);
  cp_process_open(L);
  cp_stream_open(L);
  cp_ipc_open(L);
  cp_timer_open(L);
  cp_sync_open(L);
  cp_poll_open(L);
  cp_reap_open(L);
  cp_lines_open(L);
  cp_compat_open(L);
  cp_port_open(L);
  cp_listen_open(L);

  lua_createtable(L, 0, 5);
  lua_pushcfunction(L, cp_object_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, cp_object_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, cp_object_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcfunction(L, cp_object_close);
  lua_setfield(L, -2, "__close");
  lua_pushcclosure(L, cp_object_new, 1);
  lua_setfield(L, -2, "object");
  lua_pushcfunction(L, cp_object_fields);
  lua_setfield(L, -2, "fields");
  cp_spare_push(L);
  lua_setfield(L, -2, "with_spare_fd");

  cp_json_push_module(L);
  lua_setfield(L, -2, "json");
  return 1;
}
