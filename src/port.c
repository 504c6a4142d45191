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
      {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
