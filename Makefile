# child_process for Lua — build, test, demo, bench, sanitizer runs.
#
#   make          build build/child_process/core.so (and the spec host)
#   make demo     install what is missing, build, run examples/
#   make test     install what is missing, build, run the busted specs
#                 (PORTABLE=1: with every POSIX fallback of src/compat.c)
#   make deps-matrix   build libuv 1.52.1 and a LuaRocks-style luv (its own
#                 static libuv) from $(DEPS) into build/deps/ (tools/build-matrix)
#   make test-uv152    the whole suite with the module built against libuv 1.52.1
#   make test-luv-static   spec/luv_static_spec.lua beside the LuaRocks-style luv
#   make test-nopidfd  the whole suite with the pidfd-less fallback forced
#
# Set WERROR=1 (CI does) to turn warnings into errors.

# LUA picks the engine: lua5.1, lua5.2, lua5.3, lua5.4 (default) or luajit;
# each builds into its own directory (build/ for 5.4, build/<engine>/ else).
LUA      ?= lua5.4
CC       ?= cc
LUA_DEV  := $(if $(filter luajit,$(LUA)),libluajit-5.1-dev,$(if $(filter lua5.1,$(LUA)),liblua5.1-0-dev,lib$(LUA)-dev))
# lua5.4 always: busted's default interpreter.
PKGS     := lua5.4 liblua5.4-dev $(LUA) $(LUA_DEV) libuv1-dev lua-busted
TEST_PKGS:= lua-luv lua-cjson lua-cqueues nodejs luarocks strace cmake lua-compat53-dev

LUA_INC  := $(shell pkg-config --cflags $(LUA) 2>/dev/null || echo -I/usr/include/$(LUA))
UV_INC   := $(shell pkg-config --cflags libuv 2>/dev/null)
UV_LIB   := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)
# UV_PREFIX=<dir>: build against the libuv installed there (rpath to it)
# instead of Debian's, e.g. UV_PREFIX=build/deps/libuv-1.52.1 BUILD=build/uv152.
ifdef UV_PREFIX
UV_INC   := -I$(abspath $(UV_PREFIX))/include
UV_LIB   := -L$(abspath $(UV_PREFIX))/lib -Wl,-rpath,$(abspath $(UV_PREFIX))/lib -luv
endif
# The upstream archives of the test matrix (../shared/deps/ beside the checkout).
# (A worktree one level deeper finds it at ../../shared/deps.)
DEPS     ?= $(firstword $(wildcard ../shared/deps ../../shared/deps) ../shared/deps)
UV152    := build/deps/libuv-1.52.1
LUV_STATIC := build/deps/luv-static/luv.so
# Whole-suite targets build it first when the archives are there; without
# them spec/luv_static_spec.lua fails, saying what to build (it never passes).
LUV_STATIC_IF := $(if $(wildcard $(DEPS)/luv-1.52.1-0.tar.gz),$(LUV_STATIC))

# -Wmissing-prototypes: a function that is neither static nor declared in
# src/cp.h would escape the visibility pragma there and be exported.
WARN     := -Wall -Wextra -Wmissing-prototypes $(if $(WERROR),-Werror)
OPT      ?= -O2 -g
# PORTABLE=1 takes every POSIX fallback of src/compat.c (and bin/lua-child's),
# so that Linux runs the code other systems run; in its own build directory.
CFLAGS_M := -std=c99 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(if $(PORTABLE),-DCP_PORTABLE) $(WARN) $(OPT) \
            $(LUA_INC) $(UV_INC) $(EXTRA_CFLAGS)
LDFLAGS_M:= -shared $(UV_LIB) -pthread -ldl $(EXTRA_LDFLAGS)

BUILD    ?= build$(if $(PORTABLE),/portable)$(if $(filter-out lua5.4,$(LUA)),/$(LUA))
SRC      := $(wildcard src/*.c)
OBJ      := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))
CORE     := $(BUILD)/child_process/core.so
# The C hosts of the specs, linked to the engine under test (spec/*_host.c).
HOST     := $(BUILD)/embed_host
OOM_HOST := $(BUILD)/oom_host
LOOP_HOST:= $(BUILD)/loop_host
GUEST    := $(BUILD)/guest_host
LUA_LIB  := $(shell pkg-config --libs $(LUA) 2>/dev/null || echo -l$(LUA))

RUN_ENV  = LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$(BUILD)/?.so;;" $(if $(PORTABLE),CP_PORTABLE=1)

.PHONY: all deps test-deps demo test asan valgrind bench fuzz lint soak install clean \
  deps-matrix test-uv152 test-luv-static test-nopidfd snippets api

all: $(CORE) $(HOST) $(OOM_HOST) $(GUEST) $(LOOP_HOST)

$(BUILD)/obj/%.o: src/%.c src/cp.h src/luacompat.h include/child_process.h | $(BUILD)/obj
	$(CC) $(CFLAGS_M) -c $< -o $@

$(CORE): $(OBJ) | $(BUILD)/child_process
	$(CC) $(OBJ) -o $@ $(LDFLAGS_M)

# A small C host that opens two lua_States in one process (spec/embed_spec.lua).
$(HOST): spec/embed_host.c src/luacompat.h | $(BUILD)
	$(CC) -std=c99 -D_GNU_SOURCE $(WARN) $(OPT) $(LUA_INC) $< -o $@ $(LUA_LIB) -lm -ldl

# A host whose Lua allocator can be limited (spec/oom_spec.lua).
$(OOM_HOST): spec/oom_host.c src/luacompat.h | $(BUILD)
	$(CC) -std=c99 -D_GNU_SOURCE $(WARN) $(OPT) $(LUA_INC) $< -o $@ $(LUA_LIB) -lm -ldl

# A C host in which the module is a guest: its own SIGCHLD handler,
# waitpid(-1), states opened and closed in a loop, states on threads
# (spec/guest_host_spec.lua).
$(GUEST): spec/guest_host.c src/luacompat.h | $(BUILD)
	$(CC) -std=c99 -D_GNU_SOURCE -pthread $(WARN) $(OPT) $(LUA_INC) $< -o $@ $(LUA_LIB) -lm -ldl

# A host that hands its libuv loop to the module (spec/loop_host_spec.lua).
$(LOOP_HOST): spec/loop_host.c include/child_process.h src/luacompat.h | $(BUILD)
	$(CC) -std=c99 -D_GNU_SOURCE $(WARN) $(OPT) $(LUA_INC) $(UV_INC) -Iinclude $< -o $@ $(LUA_LIB) $(UV_LIB) -lm -ldl

$(sort build $(BUILD) $(BUILD)/obj $(BUILD)/child_process):
	mkdir -p $@

# Install the Debian packages that are missing (sudo when not root).
deps:
	@./tools/install-deps $(PKGS)

test-deps:
	@./tools/install-deps $(PKGS) $(TEST_PKGS)

demo: deps
	@$(MAKE) --no-print-directory all
	@for f in examples/*.lua; do echo "== $$f"; $(RUN_ENV) $(LUA) $$f || exit 1; done

# spec/luv_static_spec.lua needs the LuaRocks-style luv: built once (~20-70 s).
test: test-deps $(LUV_STATIC_IF)
	@$(MAKE) --no-print-directory all
	@# bin/lua-child (lua5.4 first, spec/node_interop_spec.lua) loads the default build whatever LUA / PORTABLE say
	@$(if $(filter-out build,$(BUILD)),$(MAKE) --no-print-directory all BUILD=build LUA=lua5.4 PORTABLE=)
	$(RUN_ENV) busted --lua=$(LUA) $(BUSTED_ARGS) spec

# The test matrix (SPEC §6).  tools/build-matrix skips what is up to date.
deps-matrix:
	DEPS=$(DEPS) ./tools/build-matrix all

$(UV152)/lib/libuv.so:
	DEPS=$(DEPS) ./tools/build-matrix libuv

$(LUV_STATIC):
	DEPS=$(DEPS) ./tools/build-matrix luv

# The module in its own build dir, linked (rpath) to libuv 1.52.1; the
# check proves the suite really runs on that libuv, not on Debian's.
test-uv152: test-deps $(UV152)/lib/libuv.so $(LUV_STATIC_IF)
	@$(MAKE) --no-print-directory BUILD=build/uv152 UV_PREFIX=$(UV152) all
	LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/uv152/?.so;;" $(LUA) -e \
	  'require("child_process"); for l in io.lines("/proc/self/maps") do if l:find("libuv-1.52.1/lib/libuv.so", 1, true) then print("module runs on " .. l:match("%S+$$")) os.exit(0) end end print("the module did not load libuv 1.52.1") os.exit(1)'
	LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/uv152/?.so;;" busted --lua=$(LUA) $(BUSTED_ARGS) spec

test-luv-static: test-deps $(LUV_STATIC)
	@$(MAKE) --no-print-directory all
	$(RUN_ENV) busted --lua=$(LUA) $(BUSTED_ARGS) spec/luv_static_spec.lua

test-nopidfd: test-deps $(LUV_STATIC_IF)
	@$(MAKE) --no-print-directory all
	$(RUN_ENV) LUA_CHILD_PROCESS_NO_PIDFD=1 busted --lua=$(LUA) $(BUSTED_ARGS) spec

# doc/API.md from the LuaLS annotations (spec/api_spec.lua checks both).
api:
	$(LUA) tools/gen-api.lua

# Every ```lua block of README.md, run as pasted (60 s each at most).
snippets: test-deps
	@$(MAKE) --no-print-directory all
	CP_SNIPPET_CPATH="$(BUILD)/?.so" $(LUA) tools/readme-snippets.lua README.md 60

# The whole suite with the module built under ASan + UBSan.  lua5.4 is not
# instrumented, so the ASan runtime is preloaded.  Leak checking is left to
# `make valgrind`: under LD_PRELOAD every child (sh, echo…) would report its
# own allocations too.
ASAN_LIB = $(shell $(CC) -print-file-name=libasan.so)
asan: test-deps $(LUV_STATIC_IF)
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory BUILD=build/asan build/asan/child_process/core.so \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined"
	LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/asan/?.so;;" LD_PRELOAD=$(ASAN_LIB) \
	  ASAN_OPTIONS=detect_leaks=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  busted --lua=$(LUA) $(BUSTED_ARGS) spec

# The whole suite under valgrind (memcheck of the parent: the module's own
# allocations).  spec/valgrind.supp suppresses only what libc/Lua own.
# One valgrind'd busted per spec file: valgrind has no pidfd_open, so the
# module runs its SIGCHLD fallback there.  A file per process keeps one
# failure from failing every later file (the whole suite in one process
# passes too; README, Reliability).  The busted totals are summed at the end.
# (json_doubles_spec is for the engines whose numbers are doubles: .busted)
VG_FILES = $(filter-out spec/json_doubles_spec.lua,$(sort $(wildcard spec/*_spec.lua spec/node/*_spec.lua)))
valgrind: test-deps $(LUV_STATIC_IF)
	@$(MAKE) --no-print-directory all
	@ok=0; fail=0; log=$$(mktemp); for f in $(VG_FILES); do \
	  $(RUN_ENV) CP_SLOW=1 valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=definite \
	    --errors-for-leak-kinds=definite --suppressions=spec/valgrind.supp --quiet \
	    $(LUA) /usr/bin/busted $(BUSTED_ARGS) $$f > $$log 2>&1; rc=$$?; \
	  s=$$(grep -E '^[0-9]+ successes? /' $$log | tail -n 1); \
	  if [ $$rc -ne 0 ]; then fail=$$((fail + 1)); echo "== $$f: FAILED ($$s)"; grep -v -e '^--[0-9]*-- ' $$log | tail -n 40; \
	  else ok=$$((ok + 1)); echo "== $$f: $$s"; fi; \
	done; rm -f $$log; echo "valgrind: $$ok spec files clean, $$fail failed"; [ $$fail -eq 0 ]

lint: test-deps
	cppcheck --quiet --force --error-exitcode=1 --enable=warning,performance,portability --std=c99 \
	  --inline-suppr -I src $(LUA_INC) --suppress=missingIncludeSystem src
	luacheck -q lua spec bench examples tools fuzz

# Long-running reliability specs (spec/soak/), run by .ci/run, not by `make test`.
soak: test-deps
	@$(MAKE) --no-print-directory all
	$(RUN_ENV) busted --lua=$(LUA) --ROOT=spec/soak --pattern=_soak $(BUSTED_ARGS)

bench: all
	$(LUA) bench/run.lua $(if $(QUICK),--quick)

fuzz: all
	./fuzz/run.sh all $(or $(FUZZ_SECONDS),60)

install: all
	luarocks --lua-version=5.4 make rockspec/child_process-scm-1.rockspec

clean:
	rm -rf build
