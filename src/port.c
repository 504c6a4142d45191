/*
 * port.c — what transfer needs from C besides the channel itself: a
 * connected pair of channels (cp.MessageChannel), channels and pipes made
 * around fds received from a peer, and closing fds nobody took.
 *
 *   core.channel_pair() → ch1, ch2        (a socketpair, close-on-exec)
 *   core.channel_from_fd(fd) → ch         (takes fd)
 *   core.pipe_from_fd(fd) → pipe          (takes fd; a stream.c pipe)
 *   core.fd_close(fd), core.fd_valid(fd) → boolean
 *   core.fd_set_blocking(fd)
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
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

/* A received fd handed to user code as a raw fd: blocking, as a fresh one. */
static int cp_fd_set_blocking(lua_State *L) {
  int fd = cp_fd_arg(L), fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  return 0;
}

void cp_port_open(lua_State *L) {
  static const luaL_Reg fns[] = {
      {"channel_pair", cp_channel_pair},
      {"channel_from_fd", cp_channel_from_fd},
      {"pipe_from_fd", cp_pipe_from_fd},
      {"fd_close", cp_fd_close},
      {"fd_valid", cp_fd_valid},
      {"fd_set_blocking", cp_fd_set_blocking},
      {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
