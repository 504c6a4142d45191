/*
 * lines.c — core.lines(): the line splitter behind readable:lines() and
 * the `line` event.  Bytes go into a cp_framer (frame.c), whose scan for
 * '\n' resumes where the previous one stopped and whose buffer grows
 * geometrically, so a line arriving in any number of chunks (one byte at
 * a time included) costs time linear in its length.  A '\r' right before
 * the '\n' is dropped: lines end with "\n" or "\r\n".
 *
 *   lb:push(chunk)   add bytes
 *   lb:next()        → the next complete line, or nil
 *   lb:rest()        → the bytes left after the last newline (nil if none),
 *                      and forgets them: the last line, at end of stream
 */
#include <stdint.h>
#include <string.h>

#include "cp.h"

#define CP_LINES "child_process.lines"

static cp_framer *cp_lines_check(lua_State *L) {
  return (cp_framer *)luaL_checkudata(L, 1, CP_LINES);
}

static int cp_lines_new(lua_State *L) {
  cp_framer *f = (cp_framer *)lua_newuserdatauv(L, sizeof *f, 0);
  memset(f, 0, sizeof *f);
  f->max = SIZE_MAX;
  luaL_setmetatable(L, CP_LINES);
  return 1;
}

static int cp_lines_push(lua_State *L) {
  cp_framer *f = cp_lines_check(L);
  size_t n, room;
  const char *s = luaL_checklstring(L, 2, &n);
  char *dst;
  if (n == 0) return 0;
  dst = cp_frame_space(f, n, &room);
  if (dst == NULL) return luaL_error(L, "child_process: out of memory");
  memcpy(dst, s, n);
  cp_frame_commit(f, n);
  return 0;
}

static void cp_lines_pushline(lua_State *L, const char *line, size_t len) {
  if (len > 0 && line[len - 1] == '\r') len--;
  lua_pushlstring(L, line, len);
}

static int cp_lines_next(lua_State *L) {
  cp_framer *f = cp_lines_check(L);
  const char *line;
  size_t len;
  if (cp_frame_next(f, &line, &len) != 1) return 0; /* max is SIZE_MAX: never -1 */
  cp_lines_pushline(L, line, len);
  return 1;
}

static int cp_lines_rest(lua_State *L) {
  cp_framer *f = cp_lines_check(L);
  size_t n = cp_frame_pending(f);
  if (n == 0) return 0;
  /* What is pending holds no newline, so no '\r' is dropped here: "a\r"
   * at the very end stays "a\r" (only "\n" and "\r\n" end lines). */
  lua_pushlstring(L, f->buf.data + f->start, n);
  cp_frame_free(f);
  return 1;
}

static int cp_lines_gc(lua_State *L) {
  cp_frame_free(cp_lines_check(L));
  return 0;
}

void cp_lines_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"push", cp_lines_push}, {"next", cp_lines_next}, {"rest", cp_lines_rest}, {NULL, NULL}};
  luaL_newmetatable(L, CP_LINES);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, cp_lines_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  lua_pushcfunction(L, cp_lines_new);
  lua_setfield(L, -2, "lines");
}
