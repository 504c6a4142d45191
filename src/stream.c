/*
 * stream.c — pipe handles: the parent's end of a child's stdin, stdout,
 * stderr and extra pipes.  Reading goes through one 64 KiB buffer per pipe
 * (one string per chunk handed to Lua, no other copy); a stopped reader
 * stops reading the fd, so the child feels the backpressure.  Writes hold
 * a registry ref to the Lua string until libuv has written it, instead of
 * copying it.
 *
 * A pipe that has carried 1 MiB is streaming: it gets a 256 KiB kernel
 * buffer instead of the default 64 KiB.  With 64 KiB, the parent and the
 * child take turns, a context switch per chunk each way; with 256 KiB both
 * keep running (W4 through `cat`: 10x fewer context switches, a third more
 * MiB/s).  Only 8 pipes per state at a time, so that a parent with many
 * children never eats the user's pipe-user-pages-soft budget, past which
 * the kernel gives every new pipe of that user a mere 8 KiB.
 *
 *   pipe:read_start(fn)   fn(chunk) | fn(nil, "EOF") | fn(nil, code, message)
 *   pipe:read_stop()
 *   pipe:write(data [, fn]) → bytes still queued; fn(nil | code) once written
 *   pipe:shutdown([fn])   half-close after queued writes; fn(nil | code)
 *   pipe:queue_size(), pipe:fileno()
 *   pipe:set_blocking(bool)  for an fd handed to another child as its stdio
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "cp.h"

#define CP_PIPE "child_process.pipe"
/* A page more than a pipe's default capacity (64 KiB): libuv reads again
 * after a read that fills the buffer, which on a full pipe would be one
 * EAGAIN read per chunk; a read from a full pipe now comes back short.
 * (A grown pipe takes a few reads per wakeup, as long as data is there.) */
#define CP_READ_SIZE (65536 + 4096)

#define CP_PIPE_GROW_AFTER (1024 * 1024) /* bytes carried before it grows */
#define CP_PIPE_BIG (256 * 1024)          /* the capacity it grows to */
#define CP_PIPE_BIG_MAX 8                 /* grown pipes open per state */

typedef struct cp_pipe {
  cp_handle h;
  char *rbuf;
  size_t carried; /* bytes read or written since it last tried to grow */
  int grown;      /* 1: grown (counted in ctx->big_pipes); -1: cannot grow */
} cp_pipe;

/* n more bytes went through p: grow it once it is streaming. */
static void cp_pipe_carried(cp_pipe *p, size_t n) {
  cp_ctx *ctx = p->h.ctx;
  uv_os_fd_t fd;
  if (p->grown != 0) return;
  p->carried += n;
  if (p->carried < CP_PIPE_GROW_AFTER) return;
  p->carried = 0;
  if (ctx->big_pipes >= CP_PIPE_BIG_MAX) return; /* try again after another MiB */
  /* Fails on a socket (extra stdio entries), or with EPERM once the user
   * is over the kernel's pipe budget: either way the pipe stays as it is. */
  if (uv_fileno(&p->h.u.handle, &fd) != 0 || cp_pipe_set_size(fd, CP_PIPE_BIG) < 0) {
    p->grown = -1;
    return;
  }
  p->grown = 1;
  ctx->big_pipes++;
}

typedef struct cp_write_req {
  union {
    uv_write_t write;
    uv_shutdown_t shutdown;
  } req;
  cp_ctx *ctx;
  int data_ref;
  int cb_ref;
} cp_write_req;

static void cp_pipe_free(cp_handle *h) {
  cp_pipe *p = (cp_pipe *)h;
  free(p->rbuf);
  p->rbuf = NULL;
  if (p->grown == 1) h->ctx->big_pipes--;
  p->grown = -1;
}

void cp_stream_push_fd(lua_State *L, cp_ctx *ctx, int fd) {
  cp_handle *h = cp_handle_new(L, ctx, sizeof(cp_pipe), CP_PIPE);
  h->on_free = cp_pipe_free;
  uv_pipe_init(ctx->loop, &h->u.pipe, 0);
  uv_pipe_open(&h->u.pipe, fd);
}

static void cp_pipe_alloc_cb(uv_handle_t *uh, size_t suggested, uv_buf_t *buf) {
  cp_pipe *p = (cp_pipe *)uh->data;
  (void)suggested;
  if (p->rbuf == NULL) p->rbuf = malloc(CP_READ_SIZE);
  buf->base = p->rbuf;
  buf->len = p->rbuf ? CP_READ_SIZE : 0;
}

static void cp_pipe_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  cp_handle *h = (cp_handle *)s->data;
  cp_ctx *ctx = h->ctx;
  lua_State *L = ctx->L;
  (void)buf;
  if (nread == 0 || ctx->closing || L == NULL) return;
  if (nread > 0) {
    cp_pipe_carried((cp_pipe *)h, (size_t)nread);
    lua_pushlstring(L, buf->base, (size_t)nread);
    cp_callback(ctx, h->cb_ref, 1);
    return;
  }
  uv_read_stop(s);
  lua_pushnil(L);
  lua_pushstring(L, uv_err_name((int)nread));
  lua_pushstring(L, uv_strerror((int)nread));
  cp_callback(ctx, h->cb_ref, 3);
}

static int cp_pipe_read_start(lua_State *L) {
  cp_handle *h = cp_handle_check(L, 1, CP_PIPE);
  int err;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  cp_unref(L, &h->cb_ref);
  h->cb_ref = cp_ref(L, 2);
  err = uv_read_start(&h->u.stream, cp_pipe_alloc_cb, cp_pipe_read_cb);
  if (err && err != UV_EALREADY) {
    lua_pushnil(L);
    lua_pushstring(L, uv_err_name(err));
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static int cp_pipe_read_stop(lua_State *L) {
  cp_handle *h = cp_handle_check(L, 1, CP_PIPE);
  uv_read_stop(&h->u.stream);
  return 0;
}

static void cp_req_done(cp_write_req *w, int status) {
  cp_ctx *ctx = w->ctx;
  int cb_ref = w->cb_ref;
  if (!ctx->closing && ctx->L != NULL) {
    cp_unref(ctx->L, &w->data_ref);
    if (cb_ref != LUA_NOREF) {
      if (status) lua_pushstring(ctx->L, uv_err_name(status));
      else lua_pushnil(ctx->L);
      cp_callback(ctx, cb_ref, 1);
      cp_unref(ctx->L, &cb_ref);
    }
  }
  free(w);
}

static void cp_pipe_write_cb(uv_write_t *req, int status) {
  cp_req_done((cp_write_req *)req, status);
}

static void cp_pipe_shutdown_cb(uv_shutdown_t *req, int status) {
  cp_req_done((cp_write_req *)req, status);
}

static cp_write_req *cp_req_new(lua_State *L, cp_handle *h, int cb_idx) {
  cp_write_req *w = calloc(1, sizeof *w);
  if (w == NULL) luaL_error(L, "child_process: out of memory");
  w->ctx = h->ctx;
  w->data_ref = LUA_NOREF;
  w->cb_ref = LUA_NOREF;
  if (!lua_isnoneornil(L, cb_idx)) {
    luaL_checktype(L, cb_idx, LUA_TFUNCTION);
    w->cb_ref = cp_ref(L, cb_idx);
  }
  return w;
}

static int cp_req_failed(lua_State *L, cp_write_req *w, int err) {
  cp_unref(L, &w->data_ref);
  cp_unref(L, &w->cb_ref);
  free(w);
  lua_pushnil(L);
  lua_pushstring(L, uv_err_name(err));
  return 2;
}

static int cp_pipe_write(lua_State *L) {
  cp_handle *h = cp_handle_check(L, 1, CP_PIPE);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  cp_write_req *w = cp_req_new(L, h, 3);
  uv_buf_t buf;
  int err;
  /* Not uv_buf_init: its length is an unsigned int, which would truncate
   * a string of 4 GiB or more; uv_buf_t.len itself is a size_t. */
  buf.base = (char *)data;
  buf.len = len;
  w->data_ref = cp_ref(L, 2); /* strings do not move: keep it alive instead of copying */
  err = uv_write(&w->req.write, &h->u.stream, &buf, 1, cp_pipe_write_cb);
  if (err) return cp_req_failed(L, w, err);
  cp_pipe_carried((cp_pipe *)h, len);
  lua_pushinteger(L, (lua_Integer)h->u.stream.write_queue_size);
  return 1;
}

static int cp_pipe_shutdown(lua_State *L) {
  cp_handle *h = cp_handle_check(L, 1, CP_PIPE);
  cp_write_req *w = cp_req_new(L, h, 2);
  int err = uv_shutdown(&w->req.shutdown, &h->u.stream, cp_pipe_shutdown_cb);
  if (err) return cp_req_failed(L, w, err);
  lua_pushboolean(L, 1);
  return 1;
}

static int cp_pipe_queue_size(lua_State *L) {
  cp_handle *h = cp_handle_check(L, 1, CP_PIPE);
  lua_pushinteger(L, (lua_Integer)h->u.stream.write_queue_size);
  return 1;
}

static int cp_pipe_fileno(lua_State *L) {
  cp_handle *h = cp_handle_check(L, 1, CP_PIPE);
  uv_os_fd_t fd;
  if (uv_fileno(&h->u.handle, &fd) != 0) return 0;
  lua_pushinteger(L, fd);
  return 1;
}

/* A pipe handed to another child as its stdin/stdout must be blocking, as
 * libuv makes a child's fds 0-2: O_NONBLOCK belongs to the open file, which
 * the child shares, and `sort` would read EAGAIN.  The parent stops using
 * the handle once it is handed over (or sets it back if the spawn fails). */
static int cp_pipe_set_blocking(lua_State *L) {
  cp_handle *h = cp_handle_check(L, 1, CP_PIPE);
  int err = uv_stream_set_blocking(&h->u.stream, lua_toboolean(L, 2));
  if (err) {
    lua_pushnil(L);
    lua_pushstring(L, uv_err_name(err));
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

void cp_stream_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"read_start", cp_pipe_read_start},
      {"read_stop", cp_pipe_read_stop},
      {"write", cp_pipe_write},
      {"shutdown", cp_pipe_shutdown},
      {"queue_size", cp_pipe_queue_size},
      {"fileno", cp_pipe_fileno},
      {"set_blocking", cp_pipe_set_blocking},
      {NULL, NULL}};
  cp_handle_newclass(L, CP_PIPE, methods);
}
