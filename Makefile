# child_process for Lua — build, test, demo, bench, sanitizer runs.
#
#   make          build build/child_process/core.so (and the spec host)
#   make demo     install what is missing, build, run examples/
#   make test     install what is missing, build, run the busted specs
#
# Set WERROR=1 (CI does) to turn warnings into errors.

LUA      ?= lua5.4
CC       ?= cc
PKGS     := lua5.4 liblua5.4-dev libuv1-dev lua-busted
TEST_PKGS:= lua-luv lua-cjson nodejs luarocks

LUA_INC  := $(shell pkg-config --cflags lua5.4 2>/dev/null || echo -I/usr/include/lua5.4)
UV_INC   := $(shell pkg-config --cflags libuv 2>/dev/null)
UV_LIB   := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)

WARN     := -Wall -Wextra $(if $(WERROR),-Werror)
OPT      ?= -O2 -g
CFLAGS_M := -std=c99 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARN) $(OPT) $(LUA_INC) $(UV_INC) $(EXTRA_CFLAGS)
LDFLAGS_M:= -shared $(UV_LIB) $(EXTRA_LDFLAGS)

SRC      := $(wildcard src/*.c)
OBJ      := $(patsubst src/%.c,build/obj/%.o,$(SRC))
CORE     := build/child_process/core.so
HOST     := build/embed_host

RUN_ENV  := LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="build/?.so;;"

.PHONY: all deps test-deps demo test asan valgrind bench fuzz lint soak install clean

all: $(CORE) $(HOST)

build/obj/%.o: src/%.c src/cp.h | build/obj
	$(CC) $(CFLAGS_M) -c $< -o $@

$(CORE): $(OBJ) | build/child_process
	$(CC) $(OBJ) -o $@ $(LDFLAGS_M)

# A small C host that opens two lua_States in one process (spec/embed_spec.lua).
$(HOST): spec/embed_host.c | build
	$(CC) -std=c99 -D_GNU_SOURCE $(WARN) $(OPT) $(LUA_INC) $< -o $@ $(shell pkg-config --libs lua5.4 2>/dev/null || echo -llua5.4) -lm -ldl

build build/obj build/child_process:
	mkdir -p $@

# Install the Debian packages that are missing (sudo when not root).
deps:
	@./tools/install-deps $(PKGS)

test-deps:
	@./tools/install-deps $(PKGS) $(TEST_PKGS)

demo: deps
	@$(MAKE) --no-print-directory all
	@for f in examples/*.lua; do echo "== $$f"; $(RUN_ENV) $(LUA) $$f || exit 1; done

test: test-deps
	@$(MAKE) --no-print-directory all
	$(RUN_ENV) busted --lua=$(LUA) $(BUSTED_ARGS) spec

clean:
	rm -rf build
