/*
 * poll.c — busy polling before the loop sleeps, while an IPC channel is
 * open: the loop's answer to wakeup latency.
 *
 * A process asleep in epoll_wait takes a long time to wake on a VM (an
 * interrupt to a halted vCPU, through the hypervisor): on the 2-vCPU bench
 * machine it is most of an IPC round trip, more than a libuv loop and the
 * JSON work together.  So, like KVM's halt polling (halt_poll_ns), before
 * the loop blocks it first polls its own backend fd, without sleeping, for
 * a short window.  Any event of the loop ends the poll (the epoll fd is
 * readable as soon as one of its fds is ready), so nothing waits behind it.
 *
 * The window adapts, as KVM's does.  It starts at 0.  When a wait ends
 * with an IPC message that came within the maximum, it grows (10 µs, then
 * doubling up to the maximum); a wait that outlasts the maximum sets it
 * back to 0.  A worker that is idle, or whose peer answers slower than the
 * maximum, never polls; a request/reply pair that answers fast stops
 * paying for the wakeups.
 *
 * Only in run("default") or run("once"), never beyond the next timer, and
 * only with more than one CPU to run on (polling on the only CPU would
 * delay the peer it waits for).  The maximum is read once per state from
 * LUA_CHILD_PROCESS_BUSY_POLL (µs; 0 turns polling off; default 50) and
 * set with cp.busy_poll(µs).
 */
#include <poll.h>
#include <stdlib.h>

#include "cp.h"

#define CP_POLL_DEFAULT_US 50
#define CP_POLL_LIMIT_US 1000000 /* a second: anything longer is a mistake */
#define CP_POLL_START_NS 10000

/* Before the loop blocks: write what IPC held back, then poll. */
static void cp_poll_prepare_cb(uv_prepare_t *p) {
  cp_ctx *ctx = (cp_ctx *)p->data;
  struct pollfd pfd;
  uint64_t start, deadline;
  int timeout;
  /* Held-back IPC writes go first: the peer can only answer once it has
   * them.  This is the one place they are written before the loop blocks. */
  cp_ipc_flush_deferred(ctx);
  ctx->poll_start = 0;
  if (ctx->poll_max_ns == 0 || !ctx->run_blocks) return;
  timeout = uv_backend_timeout(ctx->loop); /* 0: the loop will not block */
  if (timeout == 0) return;
  start = uv_hrtime();
  ctx->poll_start = start;
  ctx->poll_woke = 0;
  ctx->poll_caught = 0;
  if (ctx->poll_ns == 0) return;
  deadline = start + ctx->poll_ns;
  if (timeout > 0 && start + (uint64_t)timeout * 1000000u < deadline)
    deadline = start + (uint64_t)timeout * 1000000u;
  pfd.fd = uv_backend_fd(ctx->loop);
  pfd.events = POLLIN;
  do {
    if (poll(&pfd, 1, 0) > 0) {
      ctx->poll_caught = 1;
      return;
    }
  } while (uv_hrtime() < deadline);
}

/* After the loop's poll phase and its I/O callbacks: adapt the window. */
static void cp_poll_check_cb(uv_check_t *c) {
  cp_ctx *ctx = (cp_ctx *)c->data;
  uint64_t waited;
  if (ctx->poll_start == 0 || ctx->poll_caught) return; /* no wait, or caught */
  waited = (ctx->poll_woke ? ctx->poll_woke : uv_hrtime()) - ctx->poll_start;
  ctx->poll_start = 0;
  if (waited > ctx->poll_max_ns)
    ctx->poll_ns = 0;
  else if (ctx->poll_woke)
    ctx->poll_ns = ctx->poll_ns == 0 ? CP_POLL_START_NS : ctx->poll_ns * 2;
  if (ctx->poll_ns > ctx->poll_max_ns) ctx->poll_ns = ctx->poll_max_ns;
}

void cp_poll_init(cp_ctx *ctx) {
  const char *s = getenv("LUA_CHILD_PROCESS_BUSY_POLL");
  long us = CP_POLL_DEFAULT_US;
  if (s != NULL && *s != '\0') {
    char *end;
    us = strtol(s, &end, 10);
    if (*end != '\0' || us < 0) us = CP_POLL_DEFAULT_US;
    if (us > CP_POLL_LIMIT_US) us = CP_POLL_LIMIT_US;
  }
  if (uv_available_parallelism() < 2) us = 0;
  ctx->poll_max_ns = (uint64_t)us * 1000u;
  uv_prepare_init(ctx->loop, &ctx->poll_prepare);
  uv_check_init(ctx->loop, &ctx->poll_check);
  ctx->poll_prepare.data = ctx;
  ctx->poll_check.data = ctx;
  uv_unref((uv_handle_t *)&ctx->poll_prepare);
  uv_unref((uv_handle_t *)&ctx->poll_check);
}

/* A channel opened (+1) or was freed (-1): the prepare (IPC writes, then
 * polling) and the check run only while one is open. */
void cp_poll_channels(cp_ctx *ctx, int delta) {
  ctx->nchans += delta;
  if (ctx->nchans > 0 && !uv_is_active((uv_handle_t *)&ctx->poll_prepare)) {
    uv_prepare_start(&ctx->poll_prepare, cp_poll_prepare_cb);
    uv_check_start(&ctx->poll_check, cp_poll_check_cb);
  } else if (ctx->nchans == 0) {
    uv_prepare_stop(&ctx->poll_prepare);
    uv_check_stop(&ctx->poll_check);
    ctx->poll_ns = 0;
    ctx->poll_start = 0;
  }
}

/* A message arrived: the first one after a wait says what woke the loop. */
void cp_poll_message(cp_ctx *ctx) {
  if (ctx->poll_start != 0 && ctx->poll_woke == 0) ctx->poll_woke = uv_hrtime();
}

/* cp.busy_poll([µs]) → the maximum in effect (µs), the window now (µs).
 * With an argument, sets the maximum first (0: never poll). */
static int cp_busy_poll(lua_State *L) {
  cp_ctx *ctx = cp_ctx_get(L);
  if (!lua_isnoneornil(L, 1)) {
    lua_Integer us = luaL_checkinteger(L, 1);
    luaL_argcheck(L, us >= 0 && us <= CP_POLL_LIMIT_US, 1,
                  "microseconds must be between 0 and 1000000");
    ctx->poll_max_ns = (uint64_t)us * 1000u;
    if (ctx->poll_ns > ctx->poll_max_ns) ctx->poll_ns = ctx->poll_max_ns;
  }
  lua_pushinteger(L, (lua_Integer)(ctx->poll_max_ns / 1000u));
  lua_pushinteger(L, (lua_Integer)(ctx->poll_ns / 1000u));
  return 2;
}

void cp_poll_open(lua_State *L) {
  lua_pushcfunction(L, cp_busy_poll);
  lua_setfield(L, -2, "busy_poll");
}
