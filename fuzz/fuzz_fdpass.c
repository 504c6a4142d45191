/*
 * fuzz_fdpass.c — libFuzzer target for the receiving side of fd passing:
 * src/ipc.c's recvmsg/SCM_RIGHTS path and lua/child_process/transfer.lua
 * and port.lua on top of it, driven by fuzz/fdpass_driver.lua.
 *
 * Each input is a program run against one end of a socketpair that the
 * driver wraps as a fork channel or a MessagePort.  Ops (one byte, then
 * their arguments, all from the input):
 *   raw bytes with 0..n fds        (fds without a line, partial lines…)
 *   a templated internal message   NODE_HANDLE / _ACK / _NACK /
 *       NODE_LUA_TRANSFER with random handles and `held`, in any order,
 *       with more or fewer fds than announced (up to SCM_MAX_FD)
 *   a turn of the receiver's loop, possibly under an RLIMIT_NOFILE so low
 *       that the kernel truncates the SCM_RIGHTS (MSG_CTRUNC)
 *   read what the receiver sent back (ACK/NACK, handles) and close it
 *   the receiver sends a handle (so that ACK/NACK meet one in flight)
 *   stop/start reading, or hand the receiving port on (what it holds
 *       goes with it)
 *   half-close our end (EOF at the receiver)
 * Checked after each input: no crash or sanitizer report, nothing raised
 * out of the loop, every error event with a string code and message, and
 * the process's fd count (/proc/self/fd) back where it was.
 *
 * Build and run: fuzz/run.sh fuzz_fdpass 60 (links the whole module and
 * libuv; run from the repository root, it loads lua/ and fuzz/).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "../src/cp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int luaopen_child_process_core(lua_State *L);

static lua_State *L;
static int driver_ref = LUA_NOREF;

typedef struct input {
  const uint8_t *p;
  size_t n;
} input;

static unsigned next(input *in) {
  unsigned v;
  if (in->n == 0) return 0;
  v = *in->p++;
  in->n--;
  return v;
}

static int fd_count(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  int n = 0;
  if (d == NULL) abort();
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the directory's own fd */
}

static void list_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  char path[64], target[256];
  while (d && (e = readdir(d)) != NULL) {
    ssize_t k;
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
    k = readlink(path, target, sizeof target - 1);
    target[k < 0 ? 0 : k] = '\0';
    fprintf(stderr, "  fd %s -> %s\n", e->d_name, target);
  }
  if (d) closedir(d);
}

/* driver[fname](args…); a Lua error from the module is a finding. */
static void call(const char *fname, int nargs, const lua_Integer *args) {
  int i;
  lua_rawgeti(L, LUA_REGISTRYINDEX, driver_ref);
  lua_getfield(L, -1, fname);
  lua_remove(L, -2);
  for (i = 0; i < nargs; i++) lua_pushinteger(L, args[i]);
  if (lua_pcall(L, nargs, 0, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_fdpass: driver.%s raised: %s\n", fname, lua_tostring(L, -1));
    abort();
  }
}

static void init(void) {
  L = luaL_newstate();
  if (L == NULL) abort();
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_child_process_core);
  lua_setfield(L, -2, "child_process.core");
  lua_pop(L, 1);
  if (luaL_dostring(L, "package.path = 'lua/?.lua;lua/?/init.lua;fuzz/?.lua;' .. package.path\n"
                       "return (require('fdpass_driver'))") != LUA_OK) {
    fprintf(stderr, "fuzz_fdpass: %s (run from the repository root)\n", lua_tostring(L, -1));
    abort();
  }
  driver_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  {
    int sv[2];
    lua_Integer fd;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) abort();
    fd = sv[0];
    call("warm", 1, &fd);
    close(sv[1]);
  }
}

/* An fd of some kind to send; -1 when none could be made. */
static int make_fd(unsigned kind, int *also) {
  int fds[2];
  *also = -1;
  switch (kind % 4) {
    case 0: /* a socket: a port or a stream at the other end */
      if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return -1;
      *also = fds[1];
      return fds[0];
    case 1: /* a pipe's read end */
      if (pipe2(fds, O_CLOEXEC) != 0) return -1;
      *also = fds[1];
      return fds[0];
    case 2:
      return open("/dev/null", O_RDWR | O_CLOEXEC);
    default: /* neither a socket, a fifo nor a regular file */
      return open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  }
}

/* sendmsg(bytes) with nfds fresh fds; our copies are closed after. */
static void send_with_fds(int s, const char *buf, size_t len, unsigned nfds, unsigned kinds) {
  union {
    char buf[CMSG_SPACE(CP_MAX_FDS * sizeof(int))];
    struct cmsghdr align;
  } ctl;
  int fds[CP_MAX_FDS], others[CP_MAX_FDS];
  unsigned i, made = 0;
  struct msghdr msg;
  struct iovec iov;
  if (nfds > CP_MAX_FDS) nfds = CP_MAX_FDS;
  for (i = 0; i < nfds; i++) {
    int fd = make_fd(kinds + i, &others[made]);
    if (fd < 0) break;
    fds[made++] = fd;
  }
  memset(&msg, 0, sizeof msg);
  iov.iov_base = (void *)buf;
  iov.iov_len = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (made > 0) {
    struct cmsghdr *cm;
    memset(&ctl, 0, sizeof ctl);
    msg.msg_control = ctl.buf;
    msg.msg_controllen = CMSG_SPACE(made * sizeof(int));
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(made * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, made * sizeof(int));
  }
  (void)sendmsg(s, &msg, MSG_DONTWAIT | MSG_NOSIGNAL); /* EAGAIN: a full socket, dropped */
  for (i = 0; i < made; i++) {
    close(fds[i]);
    if (others[i] >= 0) close(others[i]);
  }
}

/* Read what the receiver wrote (ACK/NACK lines, handles) and close any fds. */
static void drain(int s) {
  union {
    char buf[CMSG_SPACE(CP_MAX_FDS * sizeof(int))];
    struct cmsghdr align;
  } ctl;
  char buf[4096];
  for (;;) {
    struct msghdr msg;
    struct iovec iov;
    struct cmsghdr *cm;
    ssize_t n;
    memset(&msg, 0, sizeof msg);
    iov.iov_base = buf;
    iov.iov_len = sizeof buf;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctl.buf;
    msg.msg_controllen = sizeof ctl.buf;
    n = recvmsg(s, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n <= 0) return;
    for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      size_t k, nf = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int *f = (int *)CMSG_DATA(cm);
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      for (k = 0; k < nf; k++) close(f[k]);
    }
  }
}

static const char *const kinds[] = {"port", "held", "stream", "fd", "file", "x", ""};

/* A templated internal (or not) message line into buf. */
static size_t template_line(input *in, char *buf, size_t cap) {
  unsigned t = next(in) % 10, i, nh;
  size_t len = 0;
#define PUT(...) len += (size_t)snprintf(buf + len, len < cap ? cap - len : 0, __VA_ARGS__)
  switch (t) {
    case 0:
    case 1:
      PUT("{\"cmd\":\"NODE_HANDLE\",\"type\":\"%s\",\"msg\":{\"n\":%u},\"lua\":\"%s\"",
          next(in) % 2 ? "net.Socket" : "net.Native", next(in), kinds[next(in) % 7]);
      if (next(in) % 3 == 0) PUT(",\"held\":{\"data\":\"%s\",\"nfds\":%d}", next(in) % 2 ? "eyJhIjoxfQp7" : "!!",
                                 (int)(next(in) % 5) - 1);
      if (next(in) % 3 == 0) PUT(",\"handles\":[\"held\",\"held\"]");
      PUT("}");
      break;
    case 2: PUT("{\"cmd\":\"NODE_HANDLE_ACK\"}"); break;
    case 3: PUT("{\"cmd\":\"NODE_HANDLE_NACK\"}"); break;
    case 4:
    case 5:
      nh = next(in) % 8;
      PUT("{\"cmd\":\"NODE_LUA_TRANSFER\",\"msg\":[%u],\"handles\":[", next(in));
      for (i = 0; i < nh; i++) PUT("%s\"%s\"", i ? "," : "", kinds[next(in) % 7]);
      PUT("]");
      if (next(in) % 2) {
        /* eyJhIjoxfQp7 is base64 for {"a":1}\n{ : a line and half of one */
        PUT(",\"held\":[{\"data\":\"eyJhIjoxfQp7\",\"nfds\":%u},false,{\"data\":5}]", next(in) % 3);
      }
      PUT("}");
      break;
    case 6: PUT("{\"cmd\":\"NODE_LUA_TRANSFER\",\"handles\":{\"a\":1},\"held\":\"x\"}"); break;
    case 7: PUT("{\"cmd\":\"NODE_%c\",\"handles\":[1,2,3]}", 'A' + next(in) % 26); break;
    case 8: PUT("{\"cmd\":\"NODE_LUA_ERROR\",\"type\":\"x\"}"); break;
    default: PUT("{\"plain\":%u}", next(in)); break;
  }
#undef PUT
  if (len >= cap) len = cap - 1;
  if (next(in) % 8 != 0) buf[len++] = '\n'; /* sometimes no end of line */
  return len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in;
  int sv[2], before, after, ops = 0;
  unsigned how;
  char buf[1024];
  lua_Integer arg;
  if (L == NULL) {
    init();
    /* Warm up: what libuv and the module open once per loop (the
     * /dev/null spare for EMFILE, the loop's own fds) is not a leak. */
    LLVMFuzzerTestOneInput((const uint8_t *)"\x00\x01\x00\x05\x00\x02\x03\x01\x02", 9);
  }
  in.p = data;
  in.n = size;
  before = fd_count();
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return 0;
  fcntl(sv[0], F_SETFL, O_NONBLOCK);
  how = next(&in);
  arg = sv[1];
  {
    lua_Integer args[2];
    args[0] = arg;
    args[1] = how;
    call("open", 2, args);
  }
  while (in.n > 0 && ops++ < 64) {
    unsigned op = next(&in) % 9, k;
    size_t len;
    switch (op) {
      case 0: /* raw bytes, maybe with fds */
        len = next(&in) % 64;
        if (len > in.n) len = in.n;
        memcpy(buf, in.p, len);
        in.p += len;
        in.n -= len;
        k = next(&in);
        send_with_fds(sv[0], buf, len, k > 250 ? CP_MAX_FDS : k % 4, next(&in));
        break;
      case 1:
      case 2: /* a templated line, with as many fds as the input says */
        len = template_line(&in, buf, sizeof buf);
        k = next(&in);
        send_with_fds(sv[0], buf, len, k > 250 ? CP_MAX_FDS : k % 5, next(&in));
        break;
      case 3:
        call("step", 0, NULL);
        break;
      case 4: { /* a turn under a low fd limit: SCM_RIGHTS truncated */
        struct rlimit old, low;
        if (getrlimit(RLIMIT_NOFILE, &old) != 0) break;
        low = old;
        low.rlim_cur = (rlim_t)(fd_count() + next(&in) % 3);
        if (setrlimit(RLIMIT_NOFILE, &low) == 0) {
          call("step", 0, NULL);
          setrlimit(RLIMIT_NOFILE, &old);
        }
        break;
      }
      case 5:
        drain(sv[0]);
        break;
      case 6:
        arg = next(&in);
        call("send_handle", 1, &arg);
        break;
      case 7:
        arg = next(&in);
        call("toggle", 1, &arg);
        break;
      default:
        if (next(&in) % 4 == 0) shutdown(sv[0], SHUT_WR);
        else call("step", 0, NULL);
        break;
    }
  }
  call("step", 0, NULL);
  drain(sv[0]);
  close(sv[0]);
  lua_rawgeti(L, LUA_REGISTRYINDEX, driver_ref);
  lua_getfield(L, -1, "finish");
  lua_remove(L, -2);
  if (lua_pcall(L, 0, 2, 0) != LUA_OK) {
    fprintf(stderr, "fuzz_fdpass: driver.finish raised: %s\n", lua_tostring(L, -1));
    abort();
  }
  if (!lua_toboolean(L, -2)) {
    fprintf(stderr, "fuzz_fdpass: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_pop(L, 2);
  after = fd_count();
  if (after != before) {
    fprintf(stderr, "fuzz_fdpass: %d fds before this input, %d after\n", before, after);
    list_fds();
    abort();
  }
  return 0;
}
