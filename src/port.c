/*
 * port.c — what transfer needs from C besides the channel itself: a
 * connected pair of channels (cp.MessageChannel), channels and pipes made
 * around fds received from a peer, and closing fds nobody took.
 *
 *   core.channel_pair() → ch1, ch2        (a socketpair, close-on-exec)
 *   core.channel_from_fd(fd) → ch         (takes fd)
 *   core.pipe_from_fd(fd) → pipe          (takes fd; a stream.c pipe)
 *   core.fd_close(fd), core.fd_valid(fd) → boolean
 *   core.fd_to_file(fd) → a Lua file (takes fd)
 *   core.fd_set_blocking(fd), core.fd_kind(fd) → "socket"|"fifo"|"file"|"other"
 *   core.b64encode(s), core.b64decode(s) → string | nil
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cp.h"

static int cp_channel_pair(lua_State *L) {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    lua_pushnil(L);
    lua_pushstring(L, uv_err_name(uv_translate_sys_error(errno)));
    return 2;
  }
  cp_ipc_push_fd(L, cp_ctx_get(L), fds[0]);
  cp_ipc_push_fd(L, cp_ctx_get(L), fds[1]);
  return 2;
}

static int cp_fd_arg(lua_State *L) {
  lua_Integer fd = luaL_checkinteger(L, 1);
  luaL_argcheck(L, fd >= 0 && fd <= 0x7fffffff, 1, "invalid fd");
  return (int)fd;
}

static int cp_channel_from_fd(lua_State *L) {
  cp_ipc_push_fd(L, cp_ctx_get(L), cp_fd_arg(L));
  return 1;
}

static int cp_pipe_from_fd(lua_State *L) {
  cp_stream_push_fd(L, cp_ctx_get(L), cp_fd_arg(L));
  return 1;
}

static int cp_fd_close(lua_State *L) {
  close(cp_fd_arg(L));
  return 0;
}

static int cp_fd_valid(lua_State *L) {
  lua_pushboolean(L, fcntl(cp_fd_arg(L), F_GETFD) >= 0);
  return 1;
}

/* core.fd_kind(fd) → "socket" | "fifo" | "file" | "other" (nil when not
 * open): only sockets and fifos can be watched by the loop as streams. */
static int cp_fd_kind(lua_State *L) {
  struct stat st;
  if (fstat(cp_fd_arg(L), &st) != 0) return 0;
  lua_pushstring(L, S_ISSOCK(st.st_mode) ? "socket" : S_ISFIFO(st.st_mode) ? "fifo" : S_ISREG(st.st_mode) ? "file" : "other");
  return 1;
}

/* A received fd handed to user code as a raw fd: blocking, as a fresh one. */
static int cp_fd_set_blocking(lua_State *L) {
  int fd = cp_fd_arg(L), fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return 0;
}

#if LUA_VERSION_NUM >= 502
static int cp_file_close(lua_State *L) {
  luaL_Stream *p = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  int res = fclose(p->f);
  return luaL_fileresult(L, res == 0, NULL);
}
#endif

/* core.fd_to_file(fd) → a Lua file (io library) around fd, opened in the
 * mode of its access flags, in blocking mode: how a received fd that the
 * loop cannot watch (a regular file, a tty…) reaches user code. */
static int cp_fd_to_file(lua_State *L) {
  int fd = cp_fd_arg(L), fl = fcntl(fd, F_GETFL);
  const char *mode;
#if LUA_VERSION_NUM >= 502
  luaL_Stream *p;
#endif
  if (fl < 0) return luaL_fileresult(L, 0, NULL);
  fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  switch (fl & O_ACCMODE) {
    case O_WRONLY: mode = (fl & O_APPEND) ? "a" : "w"; break;
    case O_RDWR: mode = (fl & O_APPEND) ? "a+" : "r+"; break;
    default: mode = "r";
  }
#if LUA_VERSION_NUM < 502
  return cp_compat_fdopen(L, fd, mode);
#else
  p = (luaL_Stream *)lua_newuserdatauv(L, sizeof(luaL_Stream), 0);
  p->closef = NULL; /* a closed file until fdopen succeeds */
  luaL_setmetatable(L, LUA_FILEHANDLE);
  p->f = fdopen(fd, mode);
  if (p->f == NULL) {
    int e = errno;
    close(fd);
    errno = e;
    return luaL_fileresult(L, 0, NULL);
  }
  p->closef = cp_file_close;
  return 1;
#endif
}

/* core.b64encode(s) / core.b64decode(s) → string (nil when malformed):
 * the bytes a port held when it was handed on travel inside a JSON
 * message, which carries UTF-8 text only, and they may stop in the middle
 * of a character. */
static const char cp_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int cp_b64encode(lua_State *L) {
  size_t len, i;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  size_t olen = (len + 2) / 3 * 4;
  char *o0 = (char *)lua_newuserdatauv(L, olen + 1, 0), *o = o0; /* a scratch buffer the GC frees */
  for (i = 0; i + 2 < len; i += 3) {
    unsigned long v = ((unsigned long)s[i] << 16) | ((unsigned long)s[i + 1] << 8) | s[i + 2];
    *o++ = cp_b64[(v >> 18) & 63];
    *o++ = cp_b64[(v >> 12) & 63];
    *o++ = cp_b64[(v >> 6) & 63];
    *o++ = cp_b64[v & 63];
  }
  if (i < len) {
    unsigned long v = (unsigned long)s[i] << 16;
    if (i + 1 < len) v |= (unsigned long)s[i + 1] << 8;
    *o++ = cp_b64[(v >> 18) & 63];
    *o++ = cp_b64[(v >> 12) & 63];
    *o++ = i + 1 < len ? cp_b64[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
  lua_pushlstring(L, o0, olen);
  return 1;
}

static int cp_b64val(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

static int cp_b64decode(lua_State *L) {
  size_t len, i, n = 0, pad = 0;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  char *o;
  if (len % 4 != 0) return 0;
  if (len > 0 && s[len - 1] == '=') pad++;
  if (len > 1 && s[len - 2] == '=') pad++;
  o = (char *)lua_newuserdatauv(L, len / 4 * 3 + 1, 0); /* a scratch buffer the GC frees */
  for (i = 0; i < len; i += 4) {
    int k, v[4];
    unsigned long w;
    for (k = 0; k < 4; k++) {
      v[k] = cp_b64val(s[i + k]);
      if (v[k] < 0) {
        if (i + 4 != len || k < 4 - (int)pad) return 0;
        v[k] = 0;
      }
    }
    w = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) | ((unsigned long)v[2] << 6) | (unsigned long)v[3];
    o[n++] = (char)((w >> 16) & 255);
    o[n++] = (char)((w >> 8) & 255);
    o[n++] = (char)(w & 255);
  }
  lua_pushlstring(L, o, n - pad);
  return 1;
}

void cp_port_open(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"channel_pair", cp_channel_pair},
      {"channel_from_fd", cp_channel_from_fd},
      {"pipe_from_fd", cp_pipe_from_fd},
      {"fd_close", cp_fd_close},
      {"fd_valid", cp_fd_valid},
      {"fd_set_blocking", cp_fd_set_blocking},
      {"fd_kind", cp_fd_kind},
      {"fd_to_file", cp_fd_to_file},
      {"b64encode", cp_b64encode},
      {"b64decode", cp_b64decode},
      {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
