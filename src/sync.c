/*
 * sync.c — core.spawn_sync(spec): spawnSync, execSync and execFileSync.
 *
 * It starts the child like spawn (process.c) but drives the pipes with its
 * own poll() loop and waits with waitpid() on that one pid, never touching
 * the state's libuv loop: other children's callbacks do not run, and the
 * children the loop is running are not disturbed.  Feeding `input` and
 * reading the output in the same poll loop means a child that echoes a
 * large input back cannot deadlock us.
 *
 * Extra spec fields: input (string), timeout (ms), kill_signal, max_buffer.
 * Returns {pid, status, signal, output = {[i] = string}, timed_out,
 * maxbuffer, error = code, errno}.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cp.h"

typedef struct cp_sync_io {
  int fd;     /* our end, -1 once closed */
  int index;  /* stdio position (0-based) */
  cp_buf out; /* what was read (readers) */
} cp_sync_io;

static double cp_sync_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void cp_sync_close(cp_sync_io *io) {
  if (io->fd >= 0) close(io->fd);
  io->fd = -1;
}

/* Send killSignal once and stop reading, as Node does: a grandchild that
 * still holds the pipes cannot keep the call from returning. */
static void cp_sync_kill(pid_t pid, int sig, int *killed, cp_sync_io *io, int nio) {
  int i;
  if (!*killed) {
    kill(pid, sig);
    *killed = 1;
  }
  for (i = 0; i < nio; i++) cp_sync_close(&io[i]);
}

static int cp_spawn_sync(lua_State *L) {
  cp_spawn_req req, *r = &req;
  cp_sync_io io[CP_MAX_STDIO];
  struct pollfd pfd[CP_MAX_STDIO];
  const char *input = NULL;
  size_t input_len = 0, input_off = 0;
  lua_Integer timeout, max_buffer;
  int kill_signal, nio = 0, i, err, status = 0, timed_out = 0, overflow = 0, killed = 0;
  double deadline = 0;
  pid_t pid = 0;
  char chunk[65536];

  lua_settop(L, 1);
  luaL_checktype(L, 1, LUA_TTABLE);
  /* IPC messages the caller sent in this loop pass must not wait for us. */
  cp_ipc_flush_deferred(cp_ctx_get(L));
  lua_getfield(L, 1, "input");
  if (lua_isstring(L, -1)) input = lua_tolstring(L, -1, &input_len); /* anchored by spec */
  lua_getfield(L, 1, "timeout");
  timeout = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 0;
  lua_getfield(L, 1, "kill_signal");
  kill_signal = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : SIGTERM;
  lua_getfield(L, 1, "max_buffer");
  max_buffer = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 1024 * 1024;
  lua_settop(L, 1);

  err = cp_spawn_prepare(L, r);
  if (err == 0) err = cp_spawn_start(r, &pid);
  if (err) {
    lua_createtable(L, 0, 2);
    lua_pushstring(L, uv_err_name(err));
    lua_setfield(L, -2, "error");
    lua_pushinteger(L, err);
    lua_setfield(L, -2, "errno");
    return 1;
  }
  if (timeout > 0) deadline = cp_sync_now_ms() + (double)timeout;

  for (i = 0; i < r->nstdio; i++) {
    int fd = r->stdio[i].parent_fd;
    if (fd < 0) continue;
    r->stdio[i].parent_fd = -1; /* ours now */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    memset(&io[nio], 0, sizeof io[nio]);
    io[nio].fd = fd;
    io[nio].index = i;
    if (i == 0 && input_len == 0) cp_sync_close(&io[nio]); /* EOF at once */
    nio++;
  }

  for (;;) {
    int n = 0, wait_ms = -1, rc;
    for (i = 0; i < nio; i++) {
      if (io[i].fd < 0) continue;
      pfd[n].fd = io[i].fd;
      pfd[n].events = io[i].index == 0 ? POLLOUT : POLLIN;
      pfd[n].revents = 0;
      n++;
    }
    if (n == 0) break;
    if (deadline > 0) {
      double left = deadline - cp_sync_now_ms();
      wait_ms = left > 0 ? (int)left + 1 : 0;
    }
    rc = poll(pfd, (nfds_t)n, wait_ms);
    if (rc < 0 && errno != EINTR) {
      cp_sync_kill(pid, kill_signal, &killed, io, nio); /* cannot happen */
      break;
    }
    /* Check the deadline on every turn: a child that writes all the time
     * keeps poll() from ever timing out. */
    if (deadline > 0 && cp_sync_now_ms() >= deadline) {
      timed_out = 1;
      cp_sync_kill(pid, kill_signal, &killed, io, nio);
      break;
    }
    if (rc <= 0) continue;
    for (i = 0, n = 0; i < nio; i++) {
      cp_sync_io *s = &io[i];
      short rev;
      if (s->fd < 0) continue;
      rev = pfd[n++].revents;
      if (!rev) continue;
      if (s->index == 0) {
        ssize_t w = write(s->fd, input + input_off, input_len - input_off);
        if (w > 0) input_off += (size_t)w;
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || input_off == input_len)
          cp_sync_close(s); /* done, or EPIPE: the child stopped reading */
        continue;
      }
      for (;;) {
        ssize_t got = read(s->fd, chunk, sizeof chunk);
        if (got > 0) {
          /* As Node: the whole chunk read is kept, and past maxBuffer the
           * child is stopped (so up to one read more than maxBuffer). */
          if (cp_buf_append(&s->out, chunk, (size_t)got) != 0 ||
              (lua_Integer)s->out.len > max_buffer)
            overflow = 1;
          if (overflow || (size_t)got < sizeof chunk) break;
          continue;
        }
        if (got < 0 && (errno == EAGAIN || errno == EINTR)) break;
        cp_sync_close(s); /* EOF or error */
        break;
      }
      if (overflow) break;
    }
    if (overflow) {
      cp_sync_kill(pid, kill_signal, &killed, io, nio);
      break;
    }
  }

  /* Output is closed; the child may still run (it closed its stdout, or
   * it was just sent killSignal): wait for it, minding the deadline. */
  for (;;) {
    pid_t w = waitpid(pid, &status, (deadline > 0 && !killed) ? WNOHANG : 0);
    if (w == pid) break;
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) break;
    if (cp_sync_now_ms() >= deadline) {
      timed_out = 1;
      cp_sync_kill(pid, kill_signal, &killed, io, nio);
      continue;
    }
    poll(NULL, 0, 5);
  }

  lua_createtable(L, 0, 8);
  lua_pushinteger(L, pid);
  lua_setfield(L, -2, "pid");
  if (WIFSIGNALED(status)) {
    lua_pushinteger(L, WTERMSIG(status));
    lua_setfield(L, -2, "signal");
  } else {
    lua_pushinteger(L, WEXITSTATUS(status));
    lua_setfield(L, -2, "status");
  }
  lua_pushboolean(L, timed_out);
  lua_setfield(L, -2, "timed_out");
  lua_pushboolean(L, overflow);
  lua_setfield(L, -2, "maxbuffer");
  lua_newtable(L);
  for (i = 0; i < nio; i++) {
    cp_sync_close(&io[i]);
    if (io[i].index == 0) continue;
    lua_pushlstring(L, io[i].out.data ? io[i].out.data : "", io[i].out.len);
    lua_rawseti(L, -2, io[i].index + 1);
    cp_buf_free(&io[i].out);
  }
  lua_setfield(L, -2, "output");
  return 1;
}

void cp_sync_open(lua_State *L) {
  lua_pushcfunction(L, cp_spawn_sync);
  lua_setfield(L, -2, "spawn_sync");
}
