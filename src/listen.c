/*
 * listen.c — the smallest Unix-socket server and client that handing
 * connections to workers needs (Node's cluster pattern): accept4 on a
 * listening socket watched by a uv_poll handle; connect() for a client.
 * Every fd is close-on-exec.  The Lua side (listen.lua) makes streams of
 * the fds.
 *
 *   core.unix_listen(path [, backlog]) → server | nil, code
 *   server:accept_start(fn)   fn(fd) per connection, fn(nil, code) on error
 *   core.unix_connect(path) → fd | nil, code      (blocking; a Unix socket
 *                                                  connects at once)
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cp.h"

#define CP_SERVER "child_process.server"

typedef struct cp_server {
  cp_handle h; /* h.u.poll on fd */
  int fd;
} cp_server;

static int cp_sockaddr(lua_State *L, struct sockaddr_un *sa) {
  size_t len;
  const char *path = luaL_checklstring(L, 1, &len);
  luaL_argcheck(L, len > 0 && len < sizeof sa->sun_path, 1, "socket path empty or too long");
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  memcpy(sa->sun_path, path, len);
  return 0;
}

static int cp_fail(lua_State *L, int err) {
  lua_pushnil(L);
  lua_pushstring(L, uv_err_name(uv_translate_sys_error(err)));
  return 2;
}

static void cp_server_free(cp_handle *h) {
  cp_server *s = (cp_server *)h;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

static void cp_server_poll_cb(uv_poll_t *p, int status, int events) {
  cp_server *s = (cp_server *)p->data;
  cp_ctx *ctx = s->h.ctx;
  int i;
  (void)events;
  if (ctx->closing || ctx->L == NULL || s->h.closing) return;
  if (status < 0) {
    lua_pushnil(ctx->L);
    lua_pushstring(ctx->L, uv_err_name(status));
    cp_callback(ctx, s->h.cb_ref, 2);
    return;
  }
  for (i = 0; i < 32 && !s->h.closing; i++) { /* a burst of connections per wakeup */
    int fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED) return;
      /* EMFILE and the like: tell, and let the next wakeup try again. */
      lua_pushnil(ctx->L);
      lua_pushstring(ctx->L, uv_err_name(uv_translate_sys_error(errno)));
      cp_callback(ctx, s->h.cb_ref, 2);
      return;
    }
    lua_pushinteger(ctx->L, fd);
    cp_callback(ctx, s->h.cb_ref, 1);
  }
}

static int cp_unix_listen(lua_State *L) {
  struct sockaddr_un sa;
  lua_Integer backlog = luaL_optinteger(L, 2, 511);
  cp_ctx *ctx = cp_ctx_get(L);
  cp_server *s;
  int fd;
  cp_sockaddr(L, &sa);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return cp_fail(L, errno);
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, (int)backlog) != 0) {
    int e = errno;
    close(fd);
    return cp_fail(L, e);
  }
  s = (cp_server *)cp_handle_new(L, ctx, sizeof(cp_server), CP_SERVER);
  s->fd = fd;
  s->h.on_free = cp_server_free;
  uv_poll_init(ctx->loop, &s->h.u.poll, fd);
  s->h.u.poll.data = s;
  return 1;
}

static int cp_server_accept_start(lua_State *L) {
  cp_server *s = (cp_server *)cp_handle_check(L, 1, CP_SERVER);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  cp_unref(L, &s->h.cb_ref);
  s->h.cb_ref = cp_ref(L, 2);
  uv_poll_start(&s->h.u.poll, UV_READABLE, cp_server_poll_cb);
  return 0;
}

static int cp_unix_connect(lua_State *L) {
  struct sockaddr_un sa;
  int fd;
  cp_sockaddr(L, &sa);
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return cp_fail(L, errno);
  while (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    int e = errno;
    if (e == EINTR) continue;
    close(fd);
    return cp_fail(L, e);
  }
  lua_pushinteger(L, fd);
  return 1;
}

void cp_listen_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"accept_start", cp_server_accept_start}, {NULL, NULL}};
  static const luaL_Reg fns[] = {{"unix_listen", cp_unix_listen}, {"unix_connect", cp_unix_connect}, {NULL, NULL}};
  cp_handle_newclass(L, CP_SERVER, methods);
  luaL_setfuncs(L, fns, 0);
}
