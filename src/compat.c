/*
 * compat.c — the system calls that are not in POSIX, each behind a feature
 * test with a POSIX fallback (feature macros in src/cp.h):
 *   pipe2(O_CLOEXEC)          → pipe + fcntl(FD_CLOEXEC)
 *   socketpair(SOCK_CLOEXEC)  → socketpair + fcntl(FD_CLOEXEC)
 *   fcntl(F_SETPIPE_SZ)       → pipes keep the system's size
 * posix_spawn_file_actions_addchdir_np and POSIX_SPAWN_SETSID are tested in
 * process.c: without them a spawn with cwd / detached takes the fork path.
 *
 * The fallbacks open a window between creating an fd and marking it
 * close-on-exec in which another thread's exec could inherit it: harmless
 * to this module (the state is single-threaded), and the price of running
 * where the atomic calls do not exist.  `make PORTABLE=1` defines
 * CP_PORTABLE, which takes every fallback, so that Linux CI runs them.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cp.h"

#if !CP_HAVE_PIPE2 || !CP_HAVE_SOCK_CLOEXEC
static int cp_set_cloexec2(int fds[2]) {
  if (fcntl(fds[0], F_SETFD, FD_CLOEXEC) != 0 || fcntl(fds[1], F_SETFD, FD_CLOEXEC) != 0) {
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    errno = err;
    return -1;
  }
  return 0;
}
#endif

int cp_pipe_cloexec(int fds[2]) {
#if CP_HAVE_PIPE2
  return pipe2(fds, O_CLOEXEC);
#else
  if (pipe(fds) != 0) return -1;
  return cp_set_cloexec2(fds);
#endif
}

int cp_socketpair_cloexec(int fds[2]) {
#if CP_HAVE_SOCK_CLOEXEC
  return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
#else
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return -1;
  return cp_set_cloexec2(fds);
#endif
}

int cp_pipe_set_size(int fd, int size) {
#if CP_HAVE_PIPE_SIZE
  return fcntl(fd, F_SETPIPE_SZ, size);
#else
  (void)fd;
  (void)size;
  errno = ENOTSUP;
  return -1;
#endif
}

/* core.features() → which feature tests passed in this build (the rest
 * take their POSIX fallback). */
static int cp_features(lua_State *L) {
  lua_createtable(L, 0, 6);
  lua_pushboolean(L, CP_HAVE_PIPE2);
  lua_setfield(L, -2, "pipe2");
  lua_pushboolean(L, CP_HAVE_SOCK_CLOEXEC);
  lua_setfield(L, -2, "sock_cloexec");
  lua_pushboolean(L, CP_HAVE_PIPE_SIZE);
  lua_setfield(L, -2, "pipe_size");
  lua_pushboolean(L, CP_HAVE_SPAWN_CHDIR);
  lua_setfield(L, -2, "spawn_chdir");
  lua_pushboolean(L, CP_HAVE_SPAWN_SETSID);
  lua_setfield(L, -2, "spawn_setsid");
#ifdef CP_PORTABLE
  lua_pushboolean(L, 1);
#else
  lua_pushboolean(L, 0);
#endif
  lua_setfield(L, -2, "portable");
  return 1;
}

void cp_compat_open(lua_State *L) {
  lua_pushcfunction(L, cp_features);
  lua_setfield(L, -2, "features");
}
