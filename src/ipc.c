/*
 * ipc.c — the IPC channel: one JSON text per line over a Unix socket (the
 * wire format of Node.js's `json` serialization), with file descriptors
 * passed by SCM_RIGHTS in the same sendmsg as the line they go with.
 * Fork channels and MessagePorts (port.c) are both channels.
 *
 * The socket is watched with a uv_poll handle and read and written with
 * recvmsg/sendmsg directly, since libuv's streams can neither send more
 * than one fd per write nor receive more than 64 per read.
 *
 * Reading: bytes land straight in the framer's buffer (frame.c: no copy,
 * linear-time scanning for '\n'), and each complete line is decoded in
 * place into a Lua value.  A line longer than max_message_size is EMSGSIZE
 * and closes the channel, so the buffer never grows past it.  Received fds
 * (close-on-exec) queue up in arrival order; the kernel hands them over with
 * the first byte of the line they were sent with, so each internal message
 * that announces fds ({cmd = "NODE_HANDLE"}: one; {cmd = "NODE_…", handles
 * = {…}}: one per entry; both add up) takes the next ones.  Fds nobody takes are closed
 * with the channel.
 *
 * Writing: messages are encoded straight into an outgoing buffer.  The
 * first message sent while the channel is idle is written at once (a round
 * trip pays no extra loop pass); messages that follow it in the same loop
 * pass, or while the socket is full, accumulate and go out together, one
 * syscall for many messages: the loop's prepare handle (poll.c) writes
 * them before the loop next blocks.  Sends made outside cp.run() (a host's
 * own loop, the main chunk) are always written at once, since nothing
 * would come back to flush them.  A message with fds starts a new sendmsg,
 * which carries them.  Send callbacks run once their message is written.
 *
 *   ch:start(on_message, on_error, on_end [, on_internal])
 *       on_message(value); on_error(code, message); on_end([code]);
 *       on_internal(value, fds) for {cmd = "NODE_…"} messages (dropped
 *       when absent; their fds are closed)
 *   ch:send(value [, fn [, fds]]) → below_high_water, or nil, message if
 *       value is unencodable (false, "ERR_IPC_CHANNEL_CLOSED" once
 *       closing).  fds (an array of integers) are duplicated: the caller
 *       keeps its own.
 *   ch:close_when_flushed()  disconnect: close once everything is written
 *   ch:set_max_message_size(n), ch:queued(), ch:fileno(), ch:flush_sync()
 *   ch:held() → bytes, fds read but not delivered; ch:preload(bytes, fds)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cp.h"

#define CP_CHAN "child_process.channel"
#define CP_CHAN_READ 65536
#define CP_CHAN_READS 32 /* reads per wakeup at most, as libuv's streams */
#define CP_CHAN_HWM (64 * 1024)
#define CP_CHAN_MAX_DEFAULT ((size_t)64 * 1024 * 1024)
#define CP_CHAN_KEEP (1024 * 1024) /* buffers bigger than this are freed when empty */
#define CP_CHAN_BIG (1024 * 1024)  /* a message this long may start a collection */

typedef struct cp_fdmark { /* fds that go with the byte at stream position pos */
  uint64_t pos;
  int nfds;
  int *fds;
} cp_fdmark;

typedef struct cp_cbmark { /* a send callback, run once the stream reaches end */
  uint64_t end;
  int ref;
} cp_cbmark;

struct cp_chan {
  cp_handle h;     /* h.u.timer: never started, what the handle's life hangs on */
  uv_poll_t *poll; /* watches fd; made when first needed */
  int fd;
  cp_framer in;    /* received bytes, cut into lines */
  cp_buf out;      /* bytes to write: out.data[head..len) */
  size_t head;
  uint64_t wpos;   /* stream position of out.data[head] */
  cp_buf marks;    /* cp_fdmark, in stream order */
  cp_buf cbs;      /* cp_cbmark, in stream order */
  cp_buf rfds;     /* received fds not taken yet: ints from rhead */
  size_t rhead;
  int events;      /* what the poll handle watches now */
  int reading;
  int close_when_flushed;
  int listed;      /* in ctx->deferred: wrote this loop pass */
  int internal_ref;
  int hup_ref;     /* on_hangup(fn): the peer went away while not reading */
  int hup_unread;  /* the peer went away leaving messages: EOF comes when they are read */
  int unrefd;      /* ch:unref(): the loop may end, once the queue is written */
  int need_drain;  /* send() returned false: on_drain(fn) runs once all is written */
  int drain_ref;
  int cbs_due;     /* send callbacks to run from the poll callback */
  cp_buf fcbs;     /* refs (cp_cbmark) of sends that failed with ferr */
  const char *ferr;
  int notsock;     /* a pipe, not a socket (a raw peer): read/write, no fds */
  cp_chan *next_deferred;
};

static void cp_chan_unlist(cp_chan *c);
static void cp_chan_poll_cb(uv_poll_t *p, int status, int events);

static cp_chan *cp_chan_check(lua_State *L) {
  return (cp_chan *)cp_handle_check(L, 1, CP_CHAN);
}

static size_t cp_chan_pending(const cp_chan *c) {
  return c->out.len - c->head;
}

static size_t cp_chan_nrfds(const cp_chan *c) {
  return c->rfds.len / sizeof(int) - c->rhead;
}

/* The received fds not taken yet (NULL, never NULL + 0, when none). */
static int *cp_chan_rfds(const cp_chan *c) {
  return c->rfds.data ? (int *)c->rfds.data + c->rhead : NULL;
}

static void cp_chan_poll_free(uv_handle_t *p) {
  free(p);
}

/* The poll handle, made the first time the channel waits for its socket:
 * uv_poll_init costs three epoll_ctl calls (libuv checks the fd), which a
 * port that is handed on, or written once and closed, never needs. */
static int cp_chan_make_poll(cp_chan *c) {
  uv_poll_t *p = malloc(sizeof *p);
  int err;
  if (p == NULL) return UV_ENOMEM;
  err = uv_poll_init(c->h.ctx->loop, p, c->fd);
  if (err != 0) {
    free(p);
    return err;
  }
  p->data = c;
  c->poll = p;
  return 0;
}

/* Closed with the channel (the fd is still open: on_free closes it). */
static void cp_chan_on_close(cp_handle *h) {
  cp_chan *c = (cp_chan *)h;
  if (c->poll != NULL) uv_close((uv_handle_t *)c->poll, cp_chan_poll_free);
  c->poll = NULL;
}

/* Watch for what the channel needs: readable while reading, writable
 * while bytes wait for room in the socket. */
static void cp_chan_update_poll(cp_chan *c) {
  int want = 0;
  if (c->h.closing) return;
  if (c->reading) want |= UV_READABLE;
  else if (c->hup_ref != LUA_NOREF && !c->hup_unread) want |= UV_DISCONNECT;
  if (cp_chan_pending(c) > 0 || c->cbs_due || (c->need_drain && c->drain_ref != LUA_NOREF)) want |= UV_WRITABLE;
  if (want != 0 && c->poll == NULL && cp_chan_make_poll(c) != 0) {
    cp_handle_close(&c->h); /* cannot watch the fd: its users see it closed */
    return;
  }
  if (c->poll == NULL) return;
  /* Queued messages keep the loop alive even when unref'd (as pending
   * writes do in Node): a process whose main chunk posts and returns must
   * not exit with them unwritten. */
  if (!c->unrefd || (want & UV_WRITABLE)) uv_ref((uv_handle_t *)c->poll);
  else uv_unref((uv_handle_t *)c->poll);
  if (want == c->events) return;
  c->events = want;
  if (want) uv_poll_start(c->poll, want, cp_chan_poll_cb);
  else uv_poll_stop(c->poll);
}

static void cp_close_fds(int *fds, int n) {
  int i;
  for (i = 0; i < n; i++) close(fds[i]);
}

/* Drop every fd mark (their duplicates are closed). */
static void cp_chan_drop_marks(cp_chan *c) {
  size_t i, n = c->marks.len / sizeof(cp_fdmark);
  cp_fdmark *m = (cp_fdmark *)c->marks.data;
  for (i = 0; i < n; i++) {
    cp_close_fds(m[i].fds, m[i].nfds);
    free(m[i].fds);
  }
  cp_buf_free(&c->marks);
}

/* Run (and release) the send callbacks in cbs whose message is written
 * (all of them when status is an error): taken off the list first, since
 * they may send again. */
static void cp_chan_run_list(cp_chan *c, cp_buf *cbs, const char *status) {
  cp_ctx *ctx = c->h.ctx;
  size_t i, n = cbs->len / sizeof(cp_cbmark), done = 0;
  cp_cbmark *m = (cp_cbmark *)cbs->data;
  cp_buf run = {NULL, 0, 0};
  if (n == 0) return;
  if (status) done = n;
  else
    while (done < n && m[done].end <= c->wpos) done++;
  if (done == 0) return;
  if (cp_buf_append(&run, m, done * sizeof *m) != 0) return; /* tried again later */
  cp_buf_consume(cbs, done * sizeof *m);
  m = (cp_cbmark *)run.data;
  for (i = 0; i < done; i++) {
    if (!ctx->closing && ctx->L != NULL) {
      if (status) lua_pushstring(ctx->L, status);
      else lua_pushnil(ctx->L);
      cp_callback(ctx, m[i].ref, 1);
      cp_unref(ctx->L, &m[i].ref);
    }
  }
  cp_buf_free(&run);
}

/* Callbacks never run from send() itself (Node runs them later, and
 * outside cp.run() there is no thread to run them on): the poll callback
 * does, on the next turn of the loop. */
static int cp_chan_has_due(const cp_chan *c) {
  const cp_cbmark *m = (const cp_cbmark *)c->cbs.data;
  return c->fcbs.len > 0 || (c->cbs.len > 0 && m[0].end <= c->wpos);
}

static void cp_chan_run_cbs(cp_chan *c) {
  c->cbs_due = 0;
  cp_chan_run_list(c, &c->fcbs, c->ferr);
  cp_chan_run_list(c, &c->cbs, NULL);
}

static void cp_chan_free(cp_handle *h) {
  cp_chan *c = (cp_chan *)h;
  cp_ctx *ctx = h->ctx;
  cp_chan_unlist(c);
  cp_poll_channels(ctx, -1);
  /* Messages never written: their callbacks learn the channel closed. */
  cp_chan_run_list(c, &c->fcbs, c->ferr);
  cp_chan_run_list(c, &c->cbs, NULL); /* written before the close */
  cp_chan_run_list(c, &c->cbs, "ERR_IPC_CHANNEL_CLOSED");
  cp_buf_free(&c->cbs);
  cp_buf_free(&c->fcbs);
  cp_chan_drop_marks(c);
  cp_close_fds(cp_chan_rfds(c), (int)cp_chan_nrfds(c));
  cp_buf_free(&c->rfds);
  if (!ctx->closing && ctx->L != NULL) {
    cp_unref(ctx->L, &c->internal_ref);
    cp_unref(ctx->L, &c->hup_ref);
    cp_unref(ctx->L, &c->drain_ref);
  }
  cp_frame_free(&c->in);
  cp_buf_free(&c->out);
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

/* Write what the socket takes: 0 when all is written or the socket is
 * full (blocking: waits), or -errno.  Each sendmsg stops before the next
 * message that carries fds, and that one carries them. */
static int cp_chan_write_some(cp_chan *c, int blocking) {
  union {
    char buf[CMSG_SPACE(CP_MAX_FDS * sizeof(int))];
    struct cmsghdr align;
  } ctl;
  while (cp_chan_pending(c) > 0) {
    size_t len = cp_chan_pending(c), nmarks = c->marks.len / sizeof(cp_fdmark);
    cp_fdmark *m = nmarks ? (cp_fdmark *)c->marks.data : NULL;
    struct msghdr msg;
    struct iovec iov;
    ssize_t n;
    int attach = 0;
    if (m && m->pos == c->wpos) {
      attach = 1;
      if (nmarks > 1) len = (size_t)(m[1].pos - c->wpos);
    } else if (m) {
      len = (size_t)(m->pos - c->wpos);
    }
    memset(&msg, 0, sizeof msg);
    iov.iov_base = c->out.data + c->head;
    iov.iov_len = len;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (attach) {
      struct cmsghdr *cm;
      memset(&ctl, 0, sizeof ctl);
      msg.msg_control = ctl.buf;
      msg.msg_controllen = CMSG_SPACE((size_t)m->nfds * sizeof(int));
      cm = CMSG_FIRSTHDR(&msg);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN((size_t)m->nfds * sizeof(int));
      memcpy(CMSG_DATA(cm), m->fds, (size_t)m->nfds * sizeof(int));
    }
    n = c->notsock ? write(c->fd, iov.iov_base, len) : sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK && !c->notsock) {
        c->notsock = 1;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd pfd;
        if (!blocking) return 0;
        pfd.fd = c->fd;
        pfd.events = POLLOUT;
        pfd.revents = 0;
        poll(&pfd, 1, -1);
        continue;
      }
      return -errno;
    }
    if (attach) { /* the peer has them now: our duplicates go */
      cp_close_fds(m->fds, m->nfds);
      free(m->fds);
      cp_buf_consume(&c->marks, sizeof *m);
    }
    c->head += (size_t)n;
    c->wpos += (uint64_t)n;
  }
  c->out.len = c->head = 0;
  if (c->out.cap > CP_CHAN_KEEP) cp_buf_free(&c->out);
  return 0;
}

/* Write now.  On an error the peer is gone: what is queued can never be
 * written, and every waiting callback gets the error.  Callbacks that are
 * due run from the poll callback (run_cbs), never from send(). */
static void cp_chan_write(cp_chan *c, int run_cbs) {
  int err = 0;
  if (c->h.closing) return;
  if (cp_chan_pending(c) > 0) err = cp_chan_write_some(c, 0);
  if (err != 0) {
    c->out.len = c->head = 0;
    cp_chan_drop_marks(c);
    c->ferr = uv_err_name(uv_translate_sys_error(-err));
    if (c->cbs.len > 0 && cp_buf_append(&c->fcbs, c->cbs.data, c->cbs.len) == 0) c->cbs.len = 0;
  }
  if (cp_chan_has_due(c)) c->cbs_due = 1;
  if (run_cbs && c->cbs_due) {
    cp_chan_run_cbs(c);
    if (c->h.closing) return;
  }
  if (run_cbs && c->need_drain && cp_chan_pending(c) == 0 && c->drain_ref != LUA_NOREF) {
    c->need_drain = 0;
    cp_callback(c->h.ctx, c->drain_ref, 0);
    if (c->h.closing) return;
  }
  cp_chan_update_poll(c);
  if (c->close_when_flushed && cp_chan_pending(c) == 0) cp_handle_close(&c->h);
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

/* After a send: write now, or leave it to the end of this loop pass. */
static void cp_chan_flush(cp_chan *c) {
  cp_ctx *ctx = c->h.ctx;
  if (c->h.closing || (c->events & UV_WRITABLE)) return; /* socket full: the poll writes */
  /* Already wrote this pass: batch, unless a window's worth is waiting. */
  if (c->listed && cp_chan_pending(c) < CP_CHAN_HWM) return;
  cp_chan_write(c, 0);
  if (ctx->running && !c->listed) cp_chan_list(c);
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
    if (!(c->events & UV_WRITABLE)) cp_chan_write(c, 0);
  }
}

void cp_ipc_push_fd(lua_State *L, cp_ctx *ctx, int fd) {
  cp_chan *c = (cp_chan *)cp_handle_new(L, ctx, sizeof(cp_chan), CP_CHAN);
  c->h.on_free = cp_chan_free;
  c->in.max = CP_CHAN_MAX_DEFAULT;
  c->fd = fd;
  c->internal_ref = LUA_NOREF;
  c->hup_ref = LUA_NOREF;
  c->drain_ref = LUA_NOREF;
  c->h.on_close = cp_chan_on_close;
  uv_timer_init(ctx->loop, &c->h.u.timer);
  c->h.u.handle.data = c;
  cp_poll_channels(ctx, 1);
}

static void cp_chan_error(cp_chan *c, const char *code, const char *msg) {
  lua_State *L = c->h.ctx->L;
  lua_pushstring(L, code);
  lua_pushstring(L, msg);
  cp_callback(c->h.ctx, c->h.cb2_ref, 2);
}

/* How many fds an internal message announces (the value on top). */
static int cp_chan_announced(lua_State *L) {
  int n = 0;
  if (lua_getfield(L, -1, "cmd") == LUA_TSTRING && strcmp(lua_tostring(L, -1), "NODE_HANDLE") == 0) n = 1;
  lua_pop(L, 1);
  /* handles: one fd each (on a NODE_HANDLE, those a port brought along) */
  if (lua_getfield(L, -1, "handles") == LUA_TTABLE) n += (int)lua_rawlen(L, -1);
  lua_pop(L, 1);
  return n < 0 ? 0 : n > CP_MAX_FDS ? CP_MAX_FDS : n;
}

/* An internal message: to on_internal with the fds it announced (as many
 * as arrived; fewer when the kernel dropped some), or dropped with them. */
static void cp_chan_internal(cp_chan *c) {
  lua_State *L = c->h.ctx->L;
  int want = cp_chan_announced(L), i;
  size_t have = cp_chan_nrfds(c);
  int *fds = cp_chan_rfds(c);
  if ((size_t)want > have) want = (int)have;
  c->rhead += (size_t)want;
  if (cp_chan_nrfds(c) == 0) {
    c->rfds.len = 0;
    c->rhead = 0;
  }
  if (c->internal_ref == LUA_NOREF) {
    cp_close_fds(fds, want);
    lua_pop(L, 1);
    return;
  }
  if (want > 0) {
    lua_createtable(L, want, 0);
    for (i = 0; i < want; i++) {
      lua_pushinteger(L, fds[i]);
      lua_rawseti(L, -2, i + 1);
    }
  } else {
    lua_pushnil(L);
  }
  cp_callback(c->h.ctx, c->internal_ref, 2);
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
  int ok;
  if (l->len >= CP_CHAN_BIG) cp_buf_trim(&l->c->in.buf); /* what it holds past the data */
  ok = cp_json_decode(L, l->s, l->len);
  /* The text is decoded: a buffer that grew for it goes now, before the
   * handler runs (an echo would otherwise hold it, the value and the
   * encoded reply at once). */
  cp_frame_shrink(&l->c->in);
  if (ok) {
    if (!cp_chan_is_internal(L)) return 1;
    cp_chan_internal(l->c); /* NODE_ messages, with the fds they announce */
    return -1;
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
  c->reading = 0;
  cp_chan_update_poll(c);
  if (err && err != UV_EOF) lua_pushstring(L, uv_err_name(err));
  else lua_pushnil(L);
  cp_callback(c->h.ctx, c->h.cb3_ref, 1);
}

/* Keep the fds of one recvmsg, in order. */
static void cp_chan_take_fds(cp_chan *c, struct msghdr *msg) {
  struct cmsghdr *cm;
  for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
    size_t n;
    if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
    n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (cp_buf_append(&c->rfds, CMSG_DATA(cm), n * sizeof(int)) != 0) {
      int fds[CP_MAX_FDS];
      memcpy(fds, CMSG_DATA(cm), (n > CP_MAX_FDS ? CP_MAX_FDS : n) * sizeof(int));
      cp_close_fds(fds, (int)(n > CP_MAX_FDS ? CP_MAX_FDS : n)); /* out of memory: not leaked */
    }
  }
}

/* Deliver the complete lines held; 0, or -1 once the channel stopped. */
static int cp_chan_lines(cp_chan *c) {
  const char *line;
  size_t len;
  int r;
  for (;;) {
    if (c->h.closing || !c->reading) return -1;
    r = cp_frame_next(&c->in, &line, &len);
    if (r != 1) break;
    cp_chan_deliver(c, line, len);
  }
  if (r == 0) return 0;
  cp_chan_error(c, "EMSGSIZE", "IPC message longer than maxMessageSize");
  if (!c->h.closing && c->reading) cp_chan_end(c, UV_EMSGSIZE);
  return -1;
}

static int cp_chan_gc_step(lua_State *L) {
  lua_gc(L, LUA_GCCOLLECT, 0);
  return 0;
}

/*
 * A big message is arriving: once the bytes held reach a quarter of the Lua
 * heap (and 1 MiB), collect, so that the garbage of earlier messages (the
 * last big one, typically: an echo's previous value) is gone before this
 * one is held and built, rather than adding to the peak.  The collection
 * costs at most a few times what decoding the message costs anyway.
 * Protected: a finalizer may raise (Lua 5.2 and 5.3 propagate that).
 */
static void cp_chan_gc(cp_chan *c, size_t held0, size_t held1) {
  lua_State *L = c->h.ctx->L;
  size_t x = (size_t)lua_gc(L, LUA_GCCOUNT, 0) * 256; /* KiB / 4, in bytes */
  if (x < CP_CHAN_BIG) x = CP_CHAN_BIG;
  if (held0 >= x || held1 < x || !lua_checkstack(L, 2)) return;
#ifdef LUA_GCISRUNNING
  if (!lua_gc(L, LUA_GCISRUNNING, 0)) return; /* collectgarbage("stop"): left alone */
#endif
  lua_pushcfunction(L, cp_chan_gc_step);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) lua_pop(L, 1);
}

/* Lines already in the framer when reading (re)starts: lines read before
 * a listener left, or brought by a transferred port (ch:preload).  The
 * socket may never wake the poll for them, so the channel's own timer
 * delivers them on the next turn of the loop (never from start() itself). */
static void cp_chan_held_cb(uv_timer_t *t) {
  cp_chan *c = (cp_chan *)t->data;
  if (c->h.ctx->closing || c->h.ctx->L == NULL || c->h.closing || !c->reading) return;
  cp_chan_lines(c);
}

static void cp_chan_kick(cp_chan *c) {
  if (c->reading && !c->h.closing && cp_frame_pending(&c->in) > 0)
    uv_timer_start(&c->h.u.timer, cp_chan_held_cb, 0, 0);
}

static void cp_chan_read(cp_chan *c) {
  union {
    char buf[CMSG_SPACE(CP_MAX_FDS * sizeof(int))];
    struct cmsghdr align;
  } ctl;
  int i;
  for (i = 0; i < CP_CHAN_READS; i++) {
    struct msghdr msg;
    struct iovec iov;
    size_t space, held0 = cp_frame_pending(&c->in), held1;
    ssize_t n;
    if (c->h.closing || !c->reading) return;
    iov.iov_base = cp_frame_space(&c->in, CP_CHAN_READ, &space);
    if (iov.iov_base == NULL) { /* the framer could not grow */
      cp_chan_error(c, "ENOMEM", "out of memory: an IPC message could not be held");
      if (!c->h.closing && c->reading) cp_chan_end(c, UV_ENOMEM);
      return;
    }
    iov.iov_len = space;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof ctl.buf;
    n = c->notsock ? read(c->fd, iov.iov_base, space) : recvmsg(c->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (c->notsock) msg.msg_controllen = 0;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOTSOCK && !c->notsock) {
        c->notsock = 1;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      cp_chan_end(c, uv_translate_sys_error(errno));
      return;
    }
    if (msg.msg_controllen > 0) cp_chan_take_fds(c, &msg);
    if (n == 0) {
      if (cp_frame_pending(&c->in) > 0)
        cp_chan_error(c, "ERR_IPC_BAD_MESSAGE", "channel closed in the middle of a message");
      if (!c->h.closing && c->reading) cp_chan_end(c, UV_EOF);
      return;
    }
    cp_frame_commit(&c->in, (size_t)n);
    held1 = cp_frame_pending(&c->in);
    if (held1 >= CP_CHAN_BIG) cp_chan_gc(c, held0, held1);
    cp_poll_message(c->h.ctx);
    if (cp_chan_lines(c) != 0) return;
    if ((size_t)n < space) return; /* drained (or stopped at a message with fds) */
  }
}

static void cp_chan_poll_cb(uv_poll_t *p, int status, int events) {
  cp_chan *c = (cp_chan *)p->data;
  if (c->h.ctx->closing || c->h.ctx->L == NULL || c->h.closing) return;
  if (status < 0) {
    /* libuv stopped the handle (POLLERR: the peer closed with our data
     * unread).  Read what is left; the read reports the end. */
    c->events = 0;
    if (c->reading) cp_chan_read(c);
    else if (c->hup_ref != LUA_NOREF) events = UV_DISCONNECT;
    if (!c->h.closing && !(events & UV_DISCONNECT)) {
      cp_chan_write(c, 1);
      cp_chan_update_poll(c);
      return;
    }
  }
  if ((events & UV_DISCONNECT) && !c->reading && c->hup_ref != LUA_NOREF && !c->h.closing) {
    int ref = c->hup_ref, unread = 0;
    /* Messages the peer wrote before it went are still to be read: the
     * end is reported by the read that reaches it. */
    if (cp_frame_pending(&c->in) > 0 || (ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0)) {
      c->hup_unread = 1;
      cp_chan_update_poll(c);
      return;
    }
    c->hup_ref = LUA_NOREF; /* once */
    cp_chan_update_poll(c);
    cp_callback(c->h.ctx, ref, 0);
    cp_unref(c->h.ctx->L, &ref);
    return;
  }
  if (status < 0) return;
  if (events & UV_WRITABLE) cp_chan_write(c, 1);
  if ((events & UV_READABLE) && !c->h.closing) cp_chan_read(c);
}

static int cp_chan_start(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  luaL_checktype(L, 4, LUA_TFUNCTION);
  if (!lua_isnoneornil(L, 5)) luaL_checktype(L, 5, LUA_TFUNCTION);
  cp_unref(L, &c->h.cb_ref);
  cp_unref(L, &c->h.cb2_ref);
  cp_unref(L, &c->h.cb3_ref);
  cp_unref(L, &c->internal_ref);
  c->h.cb_ref = cp_ref(L, 2);
  c->h.cb2_ref = cp_ref(L, 3);
  c->h.cb3_ref = cp_ref(L, 4);
  c->internal_ref = cp_ref(L, 5);
  c->reading = 1;
  cp_chan_update_poll(c);
  cp_chan_kick(c);
  return 0;
}

/* Duplicate the fds of the array at idx for a mark at pos: 0, or an errno. */
static int cp_chan_mark(lua_State *L, cp_chan *c, int idx, uint64_t pos) {
  int n = (int)lua_rawlen(L, idx), i, err = 0;
  cp_fdmark m;
  if (n == 0) return 0;
  if (n > CP_MAX_FDS) return luaL_argerror(L, idx, "more than 253 fds");
  m.pos = pos;
  m.nfds = 0;
  m.fds = malloc((size_t)n * sizeof(int));
  if (m.fds == NULL) return ENOMEM;
  for (i = 0; i < n; i++) {
    lua_Integer fd;
    int isnum;
    lua_rawgeti(L, idx, i + 1);
    fd = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    if (!isnum || fd < 0 || fd > INT32_MAX) {
      err = EBADF;
      break;
    }
    m.fds[i] = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
    if (m.fds[i] < 0) {
      err = errno;
      break;
    }
    m.nfds++;
  }
  if (err == 0 && cp_buf_append(&c->marks, &m, sizeof m) != 0) err = ENOMEM;
  if (err != 0) {
    cp_close_fds(m.fds, m.nfds);
    free(m.fds);
  }
  return err;
}

static int cp_chan_send(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  int has_cb = !lua_isnoneornil(L, 3), has_fds = !lua_isnoneornil(L, 4), err;
  size_t before;
  luaL_checkany(L, 2);
  if (has_cb) luaL_checktype(L, 3, LUA_TFUNCTION);
  if (has_fds) luaL_checktype(L, 4, LUA_TTABLE);
  if (c->close_when_flushed) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, "ERR_IPC_CHANNEL_CLOSED");
    return 2;
  }
  /* Written bytes are dropped once they are most of the buffer. */
  if (c->head > 0 && c->head >= cp_chan_pending(c)) {
    cp_buf_consume(&c->out, c->head);
    c->head = 0;
  }
  before = c->out.len;
  /* An unencodable value is returned, not raised: the facade raises it at
   * the user's call without the cost of a pcall on every send. */
  if (cp_json_encode(L, 2, &c->out) != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (cp_buf_append(&c->out, "\n", 1) != 0) {
    c->out.len = before;
    return luaL_error(L, "child_process: out of memory");
  }
  if (has_fds && (err = cp_chan_mark(L, c, 4, c->wpos + (before - c->head))) != 0) {
    c->out.len = before;
    lua_pushboolean(L, 0);
    lua_pushstring(L, uv_err_name(uv_translate_sys_error(err)));
    return 2;
  }
  if (has_cb) {
    cp_cbmark m;
    m.end = c->wpos + cp_chan_pending(c);
    m.ref = cp_ref(L, 3);
    if (cp_buf_append(&c->cbs, &m, sizeof m) != 0) {
      cp_unref(L, &m.ref);
      return luaL_error(L, "child_process: out of memory");
    }
  }
  cp_chan_flush(c);
  if (cp_chan_pending(c) > CP_CHAN_HWM) {
    c->need_drain = 1;
    lua_pushboolean(L, 0);
  } else {
    lua_pushboolean(L, 1);
  }
  if (c->unrefd && cp_chan_pending(c) > 0 && c->poll) uv_ref((uv_handle_t *)c->poll); /* until written */
  return 1;
}

static int cp_chan_close_when_flushed(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  if (!lua_isnoneornil(L, 2) && c->h.close_ref == LUA_NOREF) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    c->h.close_ref = cp_ref(L, 2);
  }
  c->close_when_flushed = 1;
  if (cp_chan_pending(c) == 0) cp_handle_close(&c->h);
  else if (!(c->events & UV_WRITABLE)) cp_chan_write(c, 0); /* a batch held back for the end of the pass */
  return 0;
}

/* ch:flush_sync(): write everything still queued, blocking.  For
 * process.exit(), which must not lose messages yet cannot run the loop
 * (it may be called from inside a callback), and before a port's fd is
 * handed on, so that its own queue reaches the peer before anything the
 * new owner writes. */
static int cp_chan_flush_sync(lua_State *L) {
  cp_chan *c = (cp_chan *)cp_handle_check(L, 1, CP_CHAN);
  int err = cp_chan_write_some(c, 1);
  if (err != 0) {
    lua_pushboolean(L, 0);
    lua_pushstring(L, uv_err_name(uv_translate_sys_error(-err)));
    return 2;
  }
  cp_chan_update_poll(c);
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
  lua_pushinteger(L, (lua_Integer)cp_chan_pending(c));
  return 1;
}

static int cp_chan_fileno(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  lua_pushinteger(L, c->fd);
  return 1;
}

/* ch:read_stop() / ch:read_start(): pause and resume reading (a started
 * channel only); unread messages wait in the socket. */
static int cp_chan_read_stop(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  c->reading = 0;
  cp_chan_update_poll(c);
  return 0;
}

static int cp_chan_read_start(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  if (c->h.cb_ref == LUA_NOREF) return luaL_error(L, "channel not started");
  c->reading = 1;
  cp_chan_update_poll(c);
  cp_chan_kick(c);
  return 0;
}

/* ch:on_drain(fn): fn() once the queue is written after a send that
 * returned false (a MessagePort's `drain`). */
static int cp_chan_on_drain(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  cp_unref(L, &c->drain_ref);
  c->drain_ref = cp_ref(L, 2);
  return 0;
}

/* ch:held() → bytes, fds: what the channel has read but not delivered
 * (lines not yet delivered, a message half read, and the fds that came
 * with them, still the channel's), so that a port handed on takes it
 * along; nil when nothing is held. */
static int cp_chan_held(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  size_t i, nfds = cp_chan_nrfds(c), n = cp_frame_pending(&c->in);
  const int *fds = cp_chan_rfds(c);
  if (n == 0 && nfds == 0) return 0;
  lua_pushlstring(L, n ? c->in.buf.data + c->in.start : "", n);
  lua_createtable(L, (int)nfds, 0);
  for (i = 0; i < nfds; i++) {
    lua_pushinteger(L, fds[i]);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 2;
}

/* ch:preload(bytes, fds): what a port held when it was handed on, ahead of
 * everything in the socket (the channel takes the fds). */
static int cp_chan_preload(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  size_t len, space, i, n;
  const char *s = luaL_checklstring(L, 2, &len);
  char *dst;
  luaL_checktype(L, 3, LUA_TTABLE);
  n = lua_rawlen(L, 3);
  for (i = 1; i <= n; i++) {
    int fd;
    lua_rawgeti(L, 3, (lua_Integer)i);
    fd = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (cp_buf_append(&c->rfds, &fd, sizeof fd) != 0) {
      close(fd);
      return luaL_error(L, "child_process: out of memory");
    }
  }
  if (len == 0) return 0;
  dst = cp_frame_space(&c->in, len, &space);
  if (dst == NULL) return luaL_error(L, "child_process: out of memory");
  memcpy(dst, s, len);
  cp_frame_commit(&c->in, len);
  cp_chan_kick(c);
  return 0;
}

static int cp_chan_set_ref(lua_State *L, int unrefd) {
  cp_handle **slot = (cp_handle **)luaL_checkudata(L, 1, CP_CHAN);
  cp_chan *c = (cp_chan *)*slot;
  if (c == NULL || c->h.closing) return 0;
  c->unrefd = unrefd;
  cp_chan_update_poll(c);
  return 0;
}

static int cp_chan_ref(lua_State *L) { return cp_chan_set_ref(L, 0); }
static int cp_chan_unref(lua_State *L) { return cp_chan_set_ref(L, 1); }

/* ch:on_hangup(fn): while the channel does not read, fn() once the peer
 * has gone (a MessagePort notices its peer's close before it starts). */
static int cp_chan_on_hangup(lua_State *L) {
  cp_chan *c = cp_chan_check(L);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  cp_unref(L, &c->hup_ref);
  c->hup_ref = cp_ref(L, 2);
  cp_chan_update_poll(c);
  return 0;
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

/* core.ipc_flush_deferred(): write what every channel held back for the
 * end of this loop pass, as far as each socket takes it now (for
 * process.exit(), which ends the pass early: ports included). */
static int cp_ipc_lflush_deferred(lua_State *L) {
  cp_ipc_flush_deferred(cp_ctx_get(L));
  return 0;
}

void cp_ipc_open(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"start", cp_chan_start},
      {"send", cp_chan_send},
      {"close_when_flushed", cp_chan_close_when_flushed},
      {"set_max_message_size", cp_chan_set_max},
      {"queued", cp_chan_queued},
      {"held", cp_chan_held},
      {"preload", cp_chan_preload},
      {"flush_sync", cp_chan_flush_sync},
      {"fileno", cp_chan_fileno},
      {"read_stop", cp_chan_read_stop},
      {"read_start", cp_chan_read_start},
      {"on_hangup", cp_chan_on_hangup},
      {"on_drain", cp_chan_on_drain},
      {"ref", cp_chan_ref},
      {"unref", cp_chan_unref},
      {NULL, NULL}};
  cp_handle_newclass(L, CP_CHAN, methods);
  lua_pushcfunction(L, cp_channel_open);
  lua_setfield(L, -2, "channel_open");
  lua_pushcfunction(L, cp_ipc_lflush_deferred);
  lua_setfield(L, -2, "ipc_flush_deferred");
}
