rockspec_format = "3.0"
package = "child_process"
version = "scm-1"
source = {
  url = "git+file:///dev/null", -- built from a checkout: luarocks make rockspec/child_process-scm-1.rockspec
}
description = {
  summary = "Node.js's child_process API for Lua 5.4, on libuv",
  detailed = [[
spawn, exec, execFile, fork, their sync twins, a ChildProcess userdata with
event callbacks, stdio streams, signals, and a JSON IPC channel to forked Lua
(or Node.js) children, compatible with Node's fork().
]],
  license = "MIT",
}
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
        "src/buf.c", "src/ctx.c", "src/handle.c", "src/frame.c", "src/ipc.c", "src/json.c",
        "src/listen.c", "src/module.c", "src/poll.c", "src/port.c", "src/process.c", "src/stream.c",
        "src/sync.c", "src/timer.c",
      },
      defines = { "_GNU_SOURCE" },
      libraries = { "uv" },
      incdirs = { "$(LIBUV_INCDIR)" },
      libdirs = { "$(LIBUV_LIBDIR)" },
    },
    ["child_process"] = "lua/child_process/init.lua",
    ["child_process.bootstrap"] = "lua/child_process/bootstrap.lua",
    ["child_process.child_process"] = "lua/child_process/child_process.lua",
    ["child_process.emitter"] = "lua/child_process/emitter.lua",
    ["child_process.exec"] = "lua/child_process/exec.lua",
    ["child_process.fork"] = "lua/child_process/fork.lua",
    ["child_process.net"] = "lua/child_process/net.lua",
    ["child_process.options"] = "lua/child_process/options.lua",
    ["child_process.port"] = "lua/child_process/port.lua",
    ["child_process.process"] = "lua/child_process/process.lua",
    ["child_process.stream"] = "lua/child_process/stream.lua",
    ["child_process.sync"] = "lua/child_process/sync.lua",
    ["child_process.transfer"] = "lua/child_process/transfer.lua",
    ["child_process.utility"] = "lua/child_process/utility.lua",
    ["child_process.util"] = "lua/child_process/util.lua",
    ["child_process.types"] = "lua/child_process/types.lua",
  },
  install = {
    -- the launcher a Node.js parent gives fork() as execPath
    bin = { ["lua-child"] = "bin/lua-child" },
  },
}
