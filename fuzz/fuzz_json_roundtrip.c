/*
 * fuzz_json_roundtrip.c — libFuzzer target: decode, encode, decode, encode.
 *
 * If the input decodes to T1: e1 = encode(T1) must succeed (the only
 * allowed failure is a number that overflowed to inf, e.g. 1e400),
 * T2 = decode(e1) must succeed and equal T1 exactly (number subtypes, float
 * bits, array/object kind), and e2 = encode(T2) must equal e1.
 *
 * e1 and e2 are compared byte for byte; the one allowed difference is the
 * order of object members, which follows Lua's table iteration order and so
 * can differ between two equal tables built by inserting keys in different
 * orders.  Then the lengths must still match and T1 == T2 structurally.
 * Anything else calls abort().
 *
 * Build and run: fuzz/run.sh fuzz_json_roundtrip 60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Exact equality of two decoded values at stack indexes a and b. */
static int deep_equal(lua_State *L, int a, int b) {
  int t = lua_type(L, a), n_a = 0, n_b = 0, eq;
  a = lua_absindex(L, a);
  b = lua_absindex(L, b);
  if (t != lua_type(L, b)) return 0;
  if (t == LUA_TNUMBER) {
    if (lua_isinteger(L, a) != lua_isinteger(L, b)) return 0;
    if (lua_isinteger(L, a)) return lua_tointeger(L, a) == lua_tointeger(L, b);
    {
      lua_Number x = lua_tonumber(L, a), y = lua_tonumber(L, b);
      return memcmp(&x, &y, sizeof x) == 0;
    }
  }
  if (t != LUA_TTABLE) return lua_rawequal(L, a, b);
  /* same kind: both arrays (array_mt) or both objects */
  eq = lua_getmetatable(L, a);
  eq += lua_getmetatable(L, b);
  if (eq == 1) return 0;
  if (eq == 2) {
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    if (!same) return 0;
  }
  if (!lua_checkstack(L, 8)) abort();
  lua_pushnil(L);
  while (lua_next(L, a)) {
    n_a++;
    lua_pushvalue(L, -2);
    lua_rawget(L, b);
    if (!deep_equal(L, -2, -1)) return 0; /* stack is reset by the caller */
    lua_pop(L, 2);
  }
  lua_pushnil(L);
  while (lua_next(L, b)) {
    n_b++;
    lua_pop(L, 1);
  }
  return n_a == n_b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = luaL_newstate();
  cp_buf e1 = {NULL, 0, 0}, e2 = {NULL, 0, 0};
  if (L == NULL) return 0;
  if (!cp_json_decode(L, (const char *)data, size)) goto done; /* T1 at 1 */
  if (cp_json_encode(L, 1, &e1) != 0) {
    /* only an out-of-range number may fail to re-encode */
    if (strstr(lua_tostring(L, -1), "inf at") == NULL) abort();
    if (e1.len != 0) abort(); /* out->len restored */
    goto done;
  }
  if (!cp_json_decode(L, e1.data, e1.len)) abort(); /* T2 at 2 */
  if (cp_json_encode(L, 2, &e2) != 0) abort();
  if (e1.len != e2.len) abort();
  if (!deep_equal(L, 1, 2)) abort();
  if (memcmp(e1.data, e2.data, e1.len) != 0) {
    /* allowed only for member order: T1 == T2 was checked above; the
     * re-encoding of T2 must then be stable (both come from e1's order) */
    cp_buf e3 = {NULL, 0, 0};
    lua_settop(L, 2);
    if (!cp_json_decode(L, e2.data, e2.len)) abort();
    if (!deep_equal(L, 2, 3)) abort();
    if (cp_json_encode(L, 3, &e3) != 0 || e3.len != e2.len) abort();
    cp_buf_free(&e3);
  }
done:
  cp_buf_free(&e1);
  cp_buf_free(&e2);
  lua_close(L);
  return 0;
}
