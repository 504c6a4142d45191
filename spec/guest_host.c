/*
 * guest_host.c — a C host process in which child_process is a guest
 * (spec/guest_host_spec.lua, SPEC §6).  It runs a Lua script in one or more
 * lua_States and gives the script what only the host process can do, as a
 * global table `host`:
 *
 *   host.set_sigchld()      install the host's own SIGCHLD handler (counts)
 *   host.sigchld()          "host", "default", "ignore" or "other": who owns
 *                           SIGCHLD now
 *   host.sigchld_count()    how many SIGCHLDs the host's handler saw
 *   host.waitpid_any()      waitpid(-1, 0): reap any child, as some hosts do;
 *                           returns pid, "exit"|"signal", code
 *   host.children()         live children, zombies (from /proc)
 *   host.tag                "main", or "T1"/"T2" in --threads mode
 *
 * Usage: guest_host [options] script.lua
 *   --sigchld-before   install the host's SIGCHLD handler before any state
 *   --cycles N         open, run, close a state N times (default 1)
 *   --threads N        N threads at once, each with its own state
 *   --reap-check       after the last lua_close: wait (10 s) until every
 *                      child has exited, then (5 s) until no zombie is left;
 *                      print "zombies N"
 * After the states are closed it prints "sigchld after close: <owner>".
 * Exit status 0 unless a script raised (its error goes to stderr).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include "../src/luacompat.h" /* LUA_OK, luaL_newlib… below Lua 5.4 */

static volatile sig_atomic_t host_sigchlds;

static void host_on_sigchld(int sig) {
  (void)sig;
  host_sigchlds++;
}

static void set_sigchld(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = host_on_sigchld;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGCHLD, &sa, NULL) != 0) {
    perror("sigaction");
    exit(2);
  }
}

static const char *sigchld_owner(void) {
  struct sigaction sa;
  if (sigaction(SIGCHLD, NULL, &sa) != 0) return "error";
  if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == host_on_sigchld) return "host";
  if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL) return "default";
  if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN) return "ignore";
  return "other";
}

/* Children of this process from /proc: live ones and zombies. */
static void count_children(int *live, int *zombies) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  pid_t me = getpid();
  *live = *zombies = 0;
  if (!d) return;
  while ((e = readdir(d)) != NULL) {
    char path[300], buf[512], *rp, state;
    long ppid;
    FILE *f;
    size_t n;
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    if (!(f = fopen(path, "r"))) continue;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold spaces and parentheses */
    if (!(rp = strrchr(buf, ')')) || sscanf(rp + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid != me) continue;
    if (state == 'Z') (*zombies)++;
    else (*live)++;
  }
  closedir(d);
}

static int l_set_sigchld(lua_State *L) {
  (void)L;
  set_sigchld();
  return 0;
}

static int l_sigchld(lua_State *L) {
  lua_pushstring(L, sigchld_owner());
  return 1;
}

static int l_sigchld_count(lua_State *L) {
  lua_pushinteger(L, host_sigchlds);
  return 1;
}

static int l_waitpid_any(lua_State *L) {
  int st;
  pid_t p;
  do p = waitpid(-1, &st, 0);
  while (p < 0 && errno == EINTR);
  if (p < 0) return luaL_error(L, "waitpid(-1): %s", strerror(errno));
  lua_pushinteger(L, p);
  if (WIFSIGNALED(st)) {
    lua_pushliteral(L, "signal");
    lua_pushinteger(L, WTERMSIG(st));
  } else {
    lua_pushliteral(L, "exit");
    lua_pushinteger(L, WEXITSTATUS(st));
  }
  return 3;
}

static int l_children(lua_State *L) {
  int live, zombies;
  count_children(&live, &zombies);
  lua_pushinteger(L, live);
  lua_pushinteger(L, zombies);
  return 2;
}

static const luaL_Reg host_fns[] = {
  {"set_sigchld", l_set_sigchld},   {"sigchld", l_sigchld},   {"sigchld_count", l_sigchld_count},
  {"waitpid_any", l_waitpid_any},   {"children", l_children}, {NULL, NULL}};

/* Open a state, run the script in it, close it.  0 on success. */
static int run_state(const char *script, const char *tag) {
  lua_State *L = luaL_newstate();
  int rc = 0;
  if (!L) {
    fprintf(stderr, "%s: luaL_newstate failed\n", tag);
    return 1;
  }
  luaL_openlibs(L);
  luaL_newlib(L, host_fns);
  lua_pushstring(L, tag);
  lua_setfield(L, -2, "tag");
  lua_setglobal(L, "host");
  if (luaL_dofile(L, script) != LUA_OK) {
    fprintf(stderr, "%s: %s\n", tag, lua_tostring(L, -1));
    rc = 1;
  }
  fflush(stdout);
  lua_close(L);
  return rc;
}

struct thread_arg {
  const char *script;
  char tag[16];
  int rc;
};

static void *thread_main(void *p) {
  struct thread_arg *a = p;
  a->rc = run_state(a->script, a->tag);
  return NULL;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int main(int argc, char **argv) {
  int cycles = 1, threads = 0, reap_check = 0, rc = 0, i;
  const char *script = NULL;
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--sigchld-before") == 0) set_sigchld();
    else if (strcmp(argv[i], "--cycles") == 0 && i + 1 < argc) cycles = atoi(argv[++i]);
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--reap-check") == 0) reap_check = 1;
    else if (argv[i][0] != '-' && !script) script = argv[i];
    else {
      fprintf(stderr, "usage: %s [--sigchld-before] [--cycles N] [--threads N] [--reap-check] script.lua\n", argv[0]);
      return 2;
    }
  }
  if (!script || cycles < 1 || threads < 0 || threads > 8) {
    fprintf(stderr, "usage: %s [--sigchld-before] [--cycles N] [--threads N] [--reap-check] script.lua\n", argv[0]);
    return 2;
  }
  if (threads > 0) {
    struct thread_arg args[8];
    pthread_t tids[8];
    for (i = 0; i < threads; i++) {
      args[i].script = script;
      snprintf(args[i].tag, sizeof args[i].tag, "T%d", i + 1);
      args[i].rc = 0;
      if (pthread_create(&tids[i], NULL, thread_main, &args[i]) != 0) {
        fprintf(stderr, "pthread_create failed\n");
        return 1;
      }
    }
    for (i = 0; i < threads; i++) {
      pthread_join(tids[i], NULL);
      rc |= args[i].rc;
    }
  } else {
    for (i = 0; i < cycles && rc == 0; i++) rc = run_state(script, "main");
  }
  printf("sigchld after close: %s\n", sigchld_owner());
  if (reap_check) {
    int live, zombies, waited;
    /* The children the closed states left behind exit on their own. */
    for (waited = 0; waited < 10000; waited += 10) {
      count_children(&live, &zombies);
      if (live == 0) break;
      sleep_ms(10);
    }
    if (live) printf("children still running after 10 s: %d\n", live);
    /* Whoever reaps them after lua_close may take a moment. */
    for (waited = 0; waited < 5000; waited += 10) {
      count_children(&live, &zombies);
      if (zombies == 0) break;
      sleep_ms(10);
    }
    printf("zombies %d\n", zombies);
  }
  return rc;
}
