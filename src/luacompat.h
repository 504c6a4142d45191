/*
 * luacompat.h — the Lua 5.4 C API this module uses, on Lua 5.1, 5.2, 5.3
 * and LuaJIT 2.1.  The sources are written against 5.4; below 5.4 this
 * header maps or implements what is missing.  Included by cp.h only.
 *
 * Numbers: below 5.3 every number is a double.  An integral value within
 * ±2^53 (where doubles are exact), but not -0, counts as an integer
 * (lua_isinteger), so the JSON codec writes it without a fraction; decoded
 * integers outside that window become the nearest double (README, "JSON
 * mapping").
 */
#ifndef CP_LUACOMPAT_H
#define CP_LUACOMPAT_H

#include <stdio.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h> /* LUA_FILEHANDLE, in 5.1 */

#if LUA_VERSION_NUM < 504
/* One user value, which below 5.3 must be a table (5.1: the environment). */
static inline void *cp_compat_newuserdatauv(lua_State *L, size_t size, int nuv) {
  (void)nuv;
  return lua_newuserdata(L, size);
}
#define lua_newuserdatauv cp_compat_newuserdatauv
#if LUA_VERSION_NUM == 501
#define lua_getuservalue lua_getfenv
#define lua_setuservalue lua_setfenv
#endif
static inline int cp_compat_getiuservalue(lua_State *L, int idx, int n) {
  (void)n;
  lua_getuservalue(L, idx);
  return lua_type(L, -1);
}
#define lua_getiuservalue cp_compat_getiuservalue
static inline int cp_compat_setiuservalue(lua_State *L, int idx, int n) {
  (void)n;
  lua_setuservalue(L, idx);
  return 1;
}
#define lua_setiuservalue cp_compat_setiuservalue
#endif

#if LUA_VERSION_NUM < 503
/* Getters that return the type pushed (5.3). */
#define lua_getfield(L, i, k) (lua_getfield((L), (i), (k)), lua_type((L), -1))
#define lua_gettable(L, i) (lua_gettable((L), (i)), lua_type((L), -1))
#define lua_rawget(L, i) (lua_rawget((L), (i)), lua_type((L), -1))
#define lua_rawgeti(L, i, n) (lua_rawgeti((L), (i), (n)), lua_type((L), -1))

/* Doubles only: an integral number within ±2^53 is an integer. */
#define CP_LUA_DOUBLES 1
static inline int cp_compat_isinteger(lua_State *L, int idx) {
  lua_Number x;
  if (lua_type(L, idx) != LUA_TNUMBER) return 0;
  x = lua_tonumber(L, idx);
  if (x == 0) return 1.0 / x > 0; /* -0 stays a float: "-0.0" */
  return x >= -9007199254740992.0 && x <= 9007199254740992.0 && x == (lua_Number)(long long)x;
}
#define lua_isinteger cp_compat_isinteger
/* The JSON decoder pushes literals in this range with lua_pushinteger,
 * others through its correctly rounded float path. */
#define LUA_MAXINTEGER ((lua_Integer)9007199254740992LL)
#define LUA_MININTEGER (-LUA_MAXINTEGER)
#define lua_Unsigned cp_compat_Unsigned /* 5.2's is 32 bits */
typedef unsigned long long cp_compat_Unsigned;

static inline void cp_compat_rotate(lua_State *L, int idx, int n) {
  if (idx < 0 && idx > LUA_REGISTRYINDEX) idx = lua_gettop(L) + idx + 1;
  for (; n > 0; n--) lua_insert(L, idx);
  for (; n < 0; n++) {
    lua_pushvalue(L, idx);
    lua_remove(L, idx);
  }
}
#define lua_rotate cp_compat_rotate

/* As 5.3: a number with a fraction is not an integer argument. */
static inline lua_Integer cp_compat_checkinteger(lua_State *L, int arg) {
  lua_Number n = luaL_checknumber(L, arg);
  lua_Integer i = (lua_Integer)n;
  if ((lua_Number)i != n) luaL_argerror(L, arg, "number has no integer representation");
  return i;
}
#define luaL_checkinteger cp_compat_checkinteger
/* As 5.3: *isnum only for a number (or numeric string) without fraction. */
static inline lua_Integer cp_compat_tointegerx(lua_State *L, int idx, int *isnum) {
  lua_Number n = lua_tonumber(L, idx);
  lua_Integer i = (lua_Integer)n;
  int ok = lua_isnumber(L, idx) && (lua_Number)i == n;
  if (isnum) *isnum = ok;
  return ok ? i : 0;
}
#undef lua_tointegerx
#define lua_tointegerx cp_compat_tointegerx
#define luaL_optinteger(L, arg, def) (lua_isnoneornil((L), (arg)) ? (lua_Integer)(def) : cp_compat_checkinteger((L), (arg)))
#endif

#if LUA_VERSION_NUM == 502
/* 5.2's rawgetp returns nothing. */
#define lua_rawgetp(L, i, p) (lua_rawgetp((L), (i), (p)), lua_type((L), -1))
#endif

#if LUA_VERSION_NUM == 501 /* Lua 5.1 and LuaJIT */
#ifndef LUA_OK
#define LUA_OK 0
#endif
#define lua_rawlen lua_objlen
static inline int cp_compat_absindex(lua_State *L, int idx) {
  return (idx > 0 || idx <= LUA_REGISTRYINDEX) ? idx : lua_gettop(L) + idx + 1;
}
#define lua_absindex cp_compat_absindex
static inline int cp_compat_rawgetp(lua_State *L, int idx, const void *p) {
  idx = cp_compat_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)(size_t)p);
  lua_rawget(L, idx);
  return lua_type(L, -1);
}
#define lua_rawgetp cp_compat_rawgetp
static inline void cp_compat_rawsetp(lua_State *L, int idx, const void *p) {
  idx = cp_compat_absindex(L, idx);
  lua_pushlightuserdata(L, (void *)(size_t)p);
  lua_insert(L, -2);
  lua_rawset(L, idx);
}
#define lua_rawsetp cp_compat_rawsetp
/* 5.1 keeps no main thread in the registry.  The first lookup stores the
 * state it runs on when that is the main thread (lua_pushthread says so);
 * when the module is first required from a coroutine, a thread of its own,
 * anchored in the registry, stands in for it: callbacks never run on a
 * coroutine that may be collected or suspended. */
#define LUA_RIDX_MAINTHREAD (-0x4350) /* never a luaL_ref: those are > 0 */
static inline int cp_compat_rawgeti(lua_State *L, int idx, int n) {
  static const char key[] = "child_process.mainthread";
  if (idx != LUA_REGISTRYINDEX || n != LUA_RIDX_MAINTHREAD) {
    lua_rawgeti(L, idx, n);
    return lua_type(L, -1);
  }
  lua_getfield(L, LUA_REGISTRYINDEX, key);
  if (lua_isthread(L, -1)) return LUA_TTHREAD;
  lua_pop(L, 1);
  if (!lua_pushthread(L)) {
    lua_pop(L, 1);
    (void)lua_newthread(L);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, key);
  return LUA_TTHREAD;
}
#undef lua_rawgeti
#define lua_rawgeti cp_compat_rawgeti
#ifndef LUAJIT_VERSION /* LuaJIT 2.1 has these three */
static inline void cp_compat_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  int i;
  luaL_checkstack(L, nup, "too many upvalues");
  for (; l->name != NULL; l++) {
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#define luaL_setfuncs cp_compat_setfuncs
#endif
#ifndef luaL_newlib /* LuaJIT 2.1 has luaL_setfuncs but not these */
#define luaL_newlibtable(L, l) lua_createtable((L), 0, (int)(sizeof(l) / sizeof((l)[0]) - 1))
#define luaL_newlib(L, l) (luaL_newlibtable((L), (l)), luaL_setfuncs((L), (l), 0))
#endif
#ifndef LUAJIT_VERSION
static inline void cp_compat_setmetatable(lua_State *L, const char *tname) {
  luaL_getmetatable(L, tname);
  lua_setmetatable(L, -2);
}
#define luaL_setmetatable cp_compat_setmetatable
/* Only L1 == L is used: debug.traceback(msg, level). */
static inline void cp_compat_traceback(lua_State *L, lua_State *L1, const char *msg, int level) {
  (void)L1;
  lua_getfield(L, LUA_GLOBALSINDEX, "debug");
  lua_getfield(L, -1, "traceback");
  lua_remove(L, -2);
  if (msg) lua_pushstring(L, msg);
  else lua_pushnil(L);
  lua_pushinteger(L, level);
  lua_call(L, 2, 1);
}
#define luaL_traceback cp_compat_traceback
#endif
#endif

#if LUA_VERSION_NUM == 501
#include <errno.h>
#include <unistd.h>
#include <string.h>
#ifndef LUAJIT_VERSION /* LuaJIT 2.1 has it */
static inline int cp_compat_fileresult(lua_State *L, int stat, const char *fname) {
  int en = errno;
  if (stat) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  if (fname) lua_pushfstring(L, "%s: %s", fname, strerror(en));
  else lua_pushstring(L, strerror(en));
  lua_pushinteger(L, en);
  return 3;
}
#define luaL_fileresult cp_compat_fileresult
#endif
/* A Lua file around fd (taken: closed on failure).  Neither 5.1 nor LuaJIT
 * lets C make an io file that their io library accepts (5.1 closes through
 * the userdata's environment, LuaJIT checks a private userdata tag), so
 * io.open makes one on /dev/null and its FILE * is swapped for fd's. */
static inline int cp_compat_fdopen(lua_State *L, int fd, const char *mode) {
  FILE *f;
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  lua_getfield(L, -1, "io");
  lua_getfield(L, -1, "open");
  lua_replace(L, -3);
  lua_pop(L, 1);
  lua_pushliteral(L, "/dev/null");
  lua_pushliteral(L, "r");
  lua_call(L, 2, 1);
  if (!lua_isuserdata(L, -1)) {
    close(fd);
    return luaL_error(L, "child_process: io.open(\"/dev/null\") failed");
  }
  f = fdopen(fd, mode);
  if (f == NULL) {
    int e = errno;
    close(fd);
    errno = e;
    return luaL_fileresult(L, 0, NULL);
  }
  fclose(*(FILE **)lua_touserdata(L, -1));
  *(FILE **)lua_touserdata(L, -1) = f;
  return 1;
}
#endif

/* The FILE* of an io library handle, NULL once closed. */
static inline FILE *cp_compat_tofile(lua_State *L, int idx) {
#if LUA_VERSION_NUM >= 502
  luaL_Stream *s = (luaL_Stream *)luaL_checkudata(L, idx, LUA_FILEHANDLE);
  return s->closef == NULL ? NULL : s->f;
#else /* 5.1: FILE **; LuaJIT: a struct whose first member is the FILE * */
  FILE **f = (FILE **)luaL_checkudata(L, idx, LUA_FILEHANDLE);
  return *f;
#endif
}

#endif
