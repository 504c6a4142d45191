rockspec_format = "3.0"
package = "child_process"
version = "scm-1"
source = {
  url = "git+https://github.com/child-process-lua/child_process.git",
  branch = "main",
}
description = {
  summary = "Node.js's child_process API for Lua 5.1-5.4 and LuaJIT, on libuv",
  detailed = [[
spawn, exec, execFile, fork, their sync twins, a ChildProcess userdata with
event callbacks, stdio streams, signals, and a JSON IPC channel to forked Lua
(or Node.js) children, compatible with Node's fork().
]],
  homepage = "https://github.com/child-process-lua/child_process",
  license = "MIT",
  labels = { "process", "libuv", "ipc", "json", "node" },
}
supported_platforms = { "linux", "macosx", "freebsd", "openbsd", "netbsd" }
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  LIBUV = { header = "uv.h", library = "uv" },
}
build = {
  type = "builtin",
  modules = {
    ["child_process.core"] = {
      sources = {
        "src/buf.c", "src/compat.c", "src/ctx.c", "src/handle.c", "src/frame.c", "src/ipc.c",
        "src/json.c", "src/lines.c", "src/listen.c", "src/module.c", "src/poll.c", "src/port.c",
        "src/process.c", "src/reap.c", "src/stream.c", "src/sync.c", "src/timer.c",
      },
      -- Symbols: src/cp.h hides every internal function, so this build (no
      -- -fvisibility=hidden) exports luaopen_child_process_core and what
      -- include/child_process.h declares, like the Makefile's.
      defines = { "_GNU_SOURCE" },
      libraries = { "uv", "pthread", "dl" },
      incdirs = { "$(LIBUV_INCDIR)" },
      libdirs = { "$(LIBUV_LIBDIR)" },
    },
    ["child_process"] = "lua/child_process/init.lua",
    ["child_process.bootstrap"] = "lua/child_process/bootstrap.lua",
    ["child_process.child_process"] = "lua/child_process/child_process.lua",
    ["child_process.compat"] = "lua/child_process/compat.lua",
    ["child_process.emitter"] = "lua/child_process/emitter.lua",
    ["child_process.exec"] = "lua/child_process/exec.lua",
    ["child_process.fork"] = "lua/child_process/fork.lua",
    ["child_process.net"] = "lua/child_process/net.lua",
    ["child_process.options"] = "lua/child_process/options.lua",
    ["child_process.pool"] = "lua/child_process/pool.lua",
    ["child_process.port"] = "lua/child_process/port.lua",
    ["child_process.process"] = "lua/child_process/process.lua",
    ["child_process.request"] = "lua/child_process/request.lua",
    ["child_process.scheduler"] = "lua/child_process/scheduler.lua",
    ["child_process.stream"] = "lua/child_process/stream.lua",
    ["child_process.sync"] = "lua/child_process/sync.lua",
    ["child_process.transfer"] = "lua/child_process/transfer.lua",
    ["child_process.utility"] = "lua/child_process/utility.lua",
    ["child_process.util"] = "lua/child_process/util.lua",
    ["child_process.lines"] = "lua/child_process/lines.lua",
    ["child_process.pipeline"] = "lua/child_process/pipeline.lua",
    ["child_process.helpers"] = "lua/child_process/helpers.lua",
    ["child_process.abort"] = "lua/child_process/abort.lua",
    ["child_process.types"] = "lua/child_process/types.lua",
  },
  install = {
    -- the launcher a Node.js parent gives fork() as execPath
    bin = { ["lua-child"] = "bin/lua-child" },
  },
  -- The public C header, into the rock's directory (luarocks show --rock-dir).
  copy_directories = { "include" },
}
-- `luarocks test` (after installing the rock, e.g. with `luarocks make`):
-- the busted suite against the installed rock, not the checkout.
test = {
  type = "command",
  script = "spec/installed.lua",
}
