/*
 * module.c — luaopen_child_process_core: the one exported symbol.  It
 * creates this lua_State's context (its own libuv loop) and gathers the
 * functions each file registers into the module table.
 */
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

static int cp_object_new(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_newuserdatauv(L, 0, 1);
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setmetatable(L, -2);
  lua_setiuservalue(L, -2, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_setmetatable(L, -2);
  return 1;
}

/* core.fields(obj) — the field table behind an object (for the facade). */
static int cp_object_fields(lua_State *L) {
  luaL_checktype(L, 1, LUA_TUSERDATA);
  lua_getiuservalue(L, 1, 1);
  return 1;
}

__attribute__((visibility("default"))) int luaopen_child_process_core(lua_State *L) {
  cp_ctx_open(L);
  lua_newtable(L);
  cp_loop_open(L);
  cp_process_open(L);
  cp_stream_open(L);
  cp_ipc_open(L);
  cp_timer_open(L);
  cp_sync_open(L);
  cp_poll_open(L);
  cp_port_open(L);
  cp_listen_open(L);

  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, cp_object_index);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, cp_object_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, cp_object_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pushcclosure(L, cp_object_new, 1);
  lua_setfield(L, -2, "object");
  lua_pushcfunction(L, cp_object_fields);
  lua_setfield(L, -2, "fields");

  cp_json_push_module(L);
  lua_setfield(L, -2, "json");
  return 1;
}
