/*
 * ipc.c — the IPC channel: one JSON text per line over a Unix socketpair,
 * the wire format of Node.js's `json` serialization.
 *
 * Reading: bytes land straight in the framer's buffer (frame.c: no copy,
 * linear-time scanning for '\n'), and each complete line is decoded in
 * place into a Lua value.  A line longer than max_message_size is EMSGSIZE
 * and closes the channel, so the buffer never grows past it.
 *
 * Writing: messages are encoded straight into an outgoing buffer.  The
 * first message sent while the channel is idle is written at once (a round
 * trip pays no extra loop pass); messages that follow it in the same loop
 * pass, or while a write is in flight, accumulate and go out together, one
 * syscall for many messages: the loop's prepare handle (poll.c) writes
 * them before the loop next blocks.  Sends made outside cp.run() (a host's
 * own loop, the main chunk) are always written at once, since nothing
 * would come back to flush them.  Send callbacks run once the write
 * holding their message completes.
 *
 *   ch:start(on_message, on_error, on_end)
 *       on_message(value); on_error(code, message); on_end([code])
 *   ch:send(value [, fn]) → below_high_water, or nil, message if value is
 *       unencodable (false, "ERR_IPC_CHANNEL_CLOSED" once closing)
 *   ch:close_when_flushed()  disconnect: close once everything is written
 *   ch:set_max_message_size(n), ch:queued()
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cp.h"

#define CP_CHAN "child_process.channel"
#define CP_CHAN_READ 65536
#define CP_CHAN_HWM (64 * 1024)
#define CP_CHAN_MAX_DEFAULT ((size_t)64 * 1024 * 1024)
#define CP_CHAN_KEEP (1024 * 1024) /* buffers bigger than this are freed when empty */

struct cp_chan {
  cp_handle h;
  cp_framer in;       /* received bytes, cut into lines */
  cp_buf wbuf;        /* encoded messages waiting for the next write */
  cp_buf inflight;    /* the bytes of the write in progress */
  cp_buf wcbs, icbs;  /* registry refs (ints) of send callbacks */
  uv_write_t wreq;
  int writing;
  int close_when_flushed;
  int listed;           /* in ctx->deferred: wrote this loop pass */
  cp_chan *next_deferred;
};

static void cp_chan_unlist(cp_chan *c);

static cp_chan *cp_chan_check(lua_State *L) {
  return (cp_chan *)cp_handle_check(L, 1, CP_CHAN);
}

/* Run (and release) every callback ref in cbs with the given status. */
static void cp_chan_run_cbs(cp_ctx *ctx, cp_buf *cbs, const char *status) {
  size_t i, n = cbs->len / sizeof(int);
  int *refs = (int *)cbs->data;
  for (i = 0; i < n; i++) {
    if (!ctx->closing && ctx->L != NULL) {
      if (status) lua_pushstring(ctx->L, status);
      else lua_pushnil(ctx->L);
      cp_callback(ctx, refs[i], 1);
      cp_unref(ctx->L, &refs[i]);
    }
  }
  cp_buf_free(cbs);
}

static void cp_chan_free(cp_handle *h) {
  cp_chan *c = (cp_chan *)h;
  cp_chan_unlist(c);
  cp_poll_channels(h->ctx, -1);
  /* Messages never written: their callbacks learn the channel closed. */
  cp_chan_run_cbs(h->ctx, &c->icbs, "ERR_IPC_CHANNEL_CLOSED");
  cp_chan_run_cbs(h->ctx, &c->wcbs, "ERR_IPC_CHANNEL_CLOSED");
  cp_frame_free(&c->in);
  cp_buf_free(&c->wbuf);
  cp_buf_free(&c->inflight);
}

static void cp_chan_write_cb(uv_write_t *req, int status);
static void cp_chan_list(cp_chan *c);

/* Start writing wbuf: as much as the socket takes now, the rest (or a
 * batch that has callbacks) through uv_write. */
static void cp_chan_write(cp_chan *c) {
  cp_buf t;
  uv_buf_t b;
  int err;
  if (c->writing || c->wbuf.len == 0 || c->h.closing) return;
  /* Going through uv_write costs an extra loop pass and, in libuv 1.44, an
   * epoll_ctl to re-arm the fd after every completed write — a third of a
   * round trip's syscalls.  Whatever the socket does not take (or an
   * error, which uv_write then reports) goes the usual way. */
  if (c->wcbs.len == 0) {
    int n;
    b = uv_buf_init(c->wbuf.data, (unsigned)c->wbuf.len);
    n = uv_try_write(&c->h.u.stream, &b, 1);
    if (n > 0) cp_buf_consume(&c->wbuf, (size_t)n);
    if (c->wbuf.len == 0) {
      if (c->close_when_flushed) cp_handle_close(&c->h);
      return;
    }
  }
  t = c->inflight; /* swap: the old inflight buffer is reused */
  c->inflight = c->wbuf;
  c->wbuf = t;
  c->wbuf.len = 0;
  c->icbs = c->wcbs;
  memset(&c->wcbs, 0, sizeof c->wcbs);
  b = uv_buf_init(c->inflight.data, (unsigned)c->inflight.len);
  err = uv_write(&c->wreq, &c->h.u.stream, &b, 1, cp_chan_write_cb);
  if (err == 0) {
    c->writing = 1;
    return;
  }
  c->inflight.len = 0;
  if (c->close_when_flushed) cp_handle_close(&c->h);
  cp_chan_run_cbs(c->h.ctx, &c->icbs, uv_err_name(err));
}

/* After a send: write now, or leave it to the end of this loop pass. */
static void cp_chan_flush(cp_chan *c) {
  cp_ctx *ctx = c->h.ctx;
  if (c->writing || c->h.closing) return;
  /* Already wrote this pass: batch, unless a window's worth is waiting. */
  if (c->listed && c->wbuf.len < CP_CHAN_HWM) return;
  cp_chan_write(c);
  if (ctx->running && !c->listed) cp_chan_list(c);
}

static void cp_chan_list(cp_chan *c) {
  cp_ctx *ctx = c->h.ctx;
  c->listed = 1;
  c->next_deferred = ctx->deferred;
  ctx->deferred = c;
}

static void cp_chan_unlist(cp_chan *c) {
  cp_chan **pp;
  if (!c->listed) return;
  for (pp = &c->h.ctx->deferred; *pp; pp = &(*pp)->next_deferred)
    if (*pp == c) {
      *pp = c->next_deferred;
      break;
    }
  c->listed = 0;
  c->next_deferred = NULL;
}

/* Write every batch held back: from poll.c's prepare callback (before the
 * loop blocks; it is active while any channel, so any listed one, is
 * open), at the end of run(), and before blocking calls. */
void cp_ipc_flush_deferred(cp_ctx *ctx) {
  cp_chan *c;
  while ((c = ctx->deferred) != NULL) {
    ctx->deferred = c->next_deferred;
    c->listed = 0;
    c->next_deferred = NULL;
    cp_chan_write(c);
  }
}

static void cp_chan_write_cb(uv_write_t *req, int status) {
  cp_chan *c = (cp_chan *)req->data;
  cp_buf done = c->icbs, failed = {NULL, 0, 0};
  const char *code = status == 0 ? NULL
                     : status == UV_ECANCELED ? "ERR_IPC_CHANNEL_CLOSED"
                                              : uv_err_name(status);
  c->writing = 0;
  c->inflight.len = 0;
  if (c->inflight.cap > CP_CHAN_KEEP) cp_buf_free(&c->inflight);
  memset(&c->icbs, 0, sizeof c->icbs);
  if (status == 0) {
    cp_chan_write(c); /* start the next batch before running Lua */
  } else if (status != UV_ECANCELED) {
    /* The peer is gone (EPIPE…): what is still queued can never be
     * written.  Drop it, so that a disconnect does not wait for it. */
    failed = c->wcbs;
    memset(&c->wcbs, 0, sizeof c->wcbs);
    c->wbuf.len = 0;
  }
  if (c->close_when_flushed && !c->writing && c->wbuf.len == 0) cp_handle_close(&c->h);
  cp_chan_run_cbs(c->h.ctx, &done, code);
  cp_chan_run_cbs(c->h.ctx, &failed, code);
}

void cp_ipc_push_fd(lua_State *L, cp_ctx *ctx, int fd) {
  cp_chan *c = (cp_chan *)cp_handle_new(L, ctx, sizeof(cp_chan), CP_CHAN);
  c->h.on_free = cp_chan_free;
  c->in.max = CP_CHAN_MAX_DEFAULT;
  c->wreq.data = c;
  uv_pipe_init(ctx->loop, &c->h.u.pipe, 0);
  uv_pipe_open(&c->h.u.pipe, fd);
  cp_poll_channels(ctx, 1);
}

static void cp_chan_alloc_cb(uv_handle_t *uh, size_t suggested, uv_buf_t *buf) {
  cp_chan *c = (cp_chan *)uh->data;
  (void)suggested;
  buf->base = cp_frame_space(&c->in, CP_CHAN_READ, &buf->len);
}

static void cp_chan_error(cp_chan *c, const char *code, const char *msg) {
  lua_State *L = c->h.ctx->L;
  lua_pushstring(L, code);
  lua_pushstring(L, msg);
  cp_callback(c->h.ctx, c->h.cb2_ref, 2);
}

/* Is the value on top an internal Node message ({cmd = "NODE_..."})? */
static int cp_chan_is_internal(lua_State *L) {
  int internal = 0;
  if (lua_type(L, -1) == LUA_TTABLE) {
    if (lua_getfield(L, -1, "cmd") == LUA_TSTRING)
      internal = strncmp(lua_tostring(L, -1), "NODE_", 5) == 0;
    lua_pop(L, 1);
  }
  return internal;
}

typedef struct cp_line {
  cp_chan *c;
  const char *s;
  size_t len;
} cp_line;

/* Inside cp_callback_with: decode the line; an internal message is not
 * delivered, a bad one goes to the error callback instead. */
static int cp_chan_push_line(lua_State *L, void *ud) {
  cp_line *l = (cp_line *)ud;
  if (cp_json_decode(L, l->s, l->len)) {
    if (cp_chan_is_internal(L)) return -1;
    return 1;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, l->c->h.cb2_ref);
  lua_replace(L, 1);
  lua_pushstring(L, "ERR_IPC_BAD_MESSAGE");
  lua_insert(L, -2);
  return 2;
}

static void cp_chan_deliver(cp_chan *c, const char *line, size_t len) {
  cp_line l;
  size_t i;
  int called;
  for (i = 0; i < len; i++) /* blank lines carry nothing */
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') break;
  if (i == len) return;
  l.c = c;
  l.s = line;
  l.len = len;
  /* Decoding inside the protected call: a message too big for the memory
   * left is an error event, and the loop goes on. */
  if (cp_callback_with(c->h.ctx, c->h.cb_ref, cp_chan_push_line, &l, &called) != LUA_OK && !called)
    cp_chan_error(c, "ENOMEM", "out of memory: an IPC message could not be held");
}

static void cp_chan_end(cp_chan *c, int err) {
  lua_State *L = c->h.ctx->L;
  uv_read_stop(&c->h.u.stream);
  if (err && err != UV_EOF) lua_pushstring(L, uv_err_name(err));
  else lua_pushnil(L);
  cp_callback(c->h.ctx, c->h.cb3_ref, 1);
}

static void cp_chan_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  cp_chan *c = (cp_chan *)s->data;
  const char *line;
  size_t len;
  int r;
  (void)buf;
  if (nread == 0 || c->h.ctx->closing || c->h.ctx->L == NULL) return;
  if (nread < 0) {
    /* The framer could not grow (cp_frame_space had no memory). */
    if (nread == UV_ENOBUFS)
      cp_chan_error(c, "ENOMEM", "out of memory: an IPC message could not be held");
    if (nread == UV_EOF && cp_frame_pending(&c->in) > 0)
      cp_chan_error(c, "ERR_IPC_BAD_MESSAGE", "channel closed in the middle of a message");
    if (!c->h.closing) cp_chan_end(c, (int)nread);
    return;
  }
  cp_frame_commit(&c->in, (size_t)nread);
  cp_poll_message(c->h.ctx);
  /* Decode each line in place; a handler may close the channel. */
  for (;;) {
    if (c->h.closing) return;
    r = cp_frame_next(&c->in, &line, &len);
    if (r != 1) break;
    cp_chan_deliver(c, line, len);
  }
  if (r == 0) return;
  cp_chan_error(c, "EMSGSIZE", "IPC message longer than maxMessageSize");
  if (!c->h.closing) cp_chan_end(c, UV_EMSGSIZE);
}

static int cp_chan_start(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  int err;
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  cp_unref(L, &c->h.cb_ref);
  cp_unref(L, &c->h.cb2_ref);
  cp_unref(L, &c->h.cb3_ref);
  c->h.cb_ref = cp_ref(L, 2);
  c->h.cb2_ref = cp_ref(L, 3);
  c->h.cb3_ref = cp_ref(L, 4);
  err = uv_read_start(&c->h.u.stream, cp_chan_alloc_cb, cp_chan_read_cb);
  if (err && err != UV_EALREADY) return cp_uv_error(L, err);
  return 0;
}

static int cp_chan_send(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  int has_cb = !lua_isnoneornil(L, 3);
  luaL_checkany(L, 2);
  if (has_cb) luaL_checktype(L, 3, LUA_TFUNCTION);
  if (c->close_when_flushed) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, "ERR_IPC_CHANNEL_CLOSED");
    return 2;
  }
  /* An unencodable value is returned, not raised: the facade raises it at
   * the user's call without the cost of a pcall on every send. */
  if (cp_json_encode(L, 2, &c->wbuf) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (cp_buf_append(&c->wbuf, "\n", 1) != 0) return luaL_error(L, "child_process: out of memory");
  if (has_cb) {
    int ref = cp_ref(L, 3);
    if (cp_buf_append(&c->wcbs, &ref, sizeof ref) != 0) {
      cp_unref(L, &ref);
      return luaL_error(L, "child_process: out of memory");
    }
  }
  cp_chan_flush(c);
  lua_pushboolean(L, c->wbuf.len + c->inflight.len <= CP_CHAN_HWM);
  return 1;
}

static int cp_chan_close_when_flushed(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  if (!lua_isnoneornil(L, 2) && c->h.close_ref == LUA_NOREF) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    c->h.close_ref = cp_ref(L, 2);
  }
  c->close_when_flushed = 1;
  if (!c->writing && c->wbuf.len == 0) cp_handle_close(&c->h);
  else cp_chan_write(c); /* a batch held back for the end of the pass */
  return 0;
}

static int cp_write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    } else if (w < 0 && errno == EAGAIN) {
      struct pollfd pfd = {fd, POLLOUT, 0};
      poll(&pfd, 1, -1);
    } else if (!(w < 0 && errno == EINTR)) {
      return -1;
    }
  }
  return 0;
}

/* ch:flush_sync(): write everything still queued, blocking.  For
 * process.exit(), which must not lose messages yet cannot run the loop
 * (it may be called from inside a callback).  The part of the write in
 * flight that libuv has not written yet is its write_queue_size tail. */
static int cp_chan_flush_sync(lua_State *L) {
  cp_chan *c = (cp_chan *)cp_handle_check(L, 1, CP_CHAN);
  uv_os_fd_t fd;
  if (uv_fileno(&c->h.u.handle, &fd) != 0) return 0;
  if (c->writing) {
    size_t left = c->h.u.stream.write_queue_size;
    if (left <= c->inflight.len && cp_write_all(fd, c->inflight.data + c->inflight.len - left, left) != 0)
      return 0;
    c->h.u.stream.write_queue_size = 0;
  }
  if (cp_write_all(fd, c->wbuf.data, c->wbuf.len) == 0) c->wbuf.len = 0;
  lua_pushboolean(L, 1);
  return 1;
}

static int cp_chan_set_max(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  lua_Integer n = luaL_checkinteger(L, 2);
  c->in.max = n > 0 ? (size_t)n : CP_CHAN_MAX_DEFAULT;
  return 0;
}

static int cp_chan_queued(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  lua_pushinteger(L, (lua_Integer)(c->wbuf.len + c->inflight.len));
  return 1;
}

/* core.channel_open(): the forked child's end, from NODE_CHANNEL_FD.  The
 * variables are removed so that our own children do not inherit them. */
static int cp_channel_open(lua_State *L) {
  const char *s = getenv("NODE_CHANNEL_FD");
  char *end;
  long fd;
  int valid;
  if (s == NULL) return 0;
  errno = 0;
  fd = strtol(s, &end, 10);
  valid = *s != '\0' && *end == '\0' && errno == 0 && fd >= 0 && fd <= 65535;
  unsetenv("NODE_CHANNEL_FD"); /* s is not used past this point */
  unsetenv("NODE_CHANNEL_SERIALIZATION_MODE");
  if (!valid || fcntl((int)fd, F_GETFD) < 0) return 0;
  fcntl((int)fd, F_SETFD, FD_CLOEXEC);
  cp_ipc_push_fd(L, cp_ctx_get(L), (int)fd);
  return 1;
}

void cp_ipc_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"start", cp_chan_start},
      {"send", cp_chan_send},
      {"close_when_flushed", cp_chan_close_when_flushed},
      {"set_max_message_size", cp_chan_set_max},
      {"queued", cp_chan_queued},
      {"flush_sync", cp_chan_flush_sync},
      {NULL, NULL}};
  cp_handle_newclass(L, CP_CHAN, methods);
  lua_pushcfunction(L, cp_channel_open);
  lua_setfield(L, -2, "channel_open");
}
