/*
 * fuzz_json_decode.c — libFuzzer target: decode arbitrary bytes.
 *
 * Each input is decoded in a fresh lua_State.  The bytes are passed as
 * (pointer, length) exactly as libFuzzer gives them, not NUL-terminated, so
 * ASan catches any read past the end.  Success or a clean error are both
 * fine; crashes, leaks and sanitizer reports are bugs.  A result is also
 * sanity-checked: decode returns 1 with exactly one value pushed, or 0 with
 * one string (the message, which must name a byte offset).
 *
 * Build and run: fuzz/run.sh fuzz_json_decode 60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "../src/cp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = luaL_newstate();
  int ok, top;
  if (L == NULL) return 0;
  top = lua_gettop(L);
  ok = cp_json_decode(L, (const char *)data, size);
  if (lua_gettop(L) != top + 1) abort();
  if (!ok) {
    if (lua_type(L, -1) != LUA_TSTRING) abort();
    if (strstr(lua_tostring(L, -1), " at byte ") == NULL) abort();
  }
  lua_close(L);
  return 0;
}
