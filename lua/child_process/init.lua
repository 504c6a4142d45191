--- child_process — Node.js's child_process API for Lua 5.4, on libuv.
---
--- This file is the facade: it gathers the functions of the submodules.
---   child_process.lua  spawn, the ChildProcess userdata, wait, async
---   stream.lua         stdin / stdout / stderr streams
---   exec.lua           exec, execFile
---   sync.lua           spawnSync, execSync, execFileSync
---   fork.lua           fork
---   request.lua        child:request, process.handle (request/response)
---   pool.lua           pool: a pool of forked workers
---   process.lua        the forked child's `process` and parentPort
---   port.lua           MessageChannel / MessagePort
---   transfer.lua       ports and handles sent over a channel
---   utility.lua        utilityProcess.fork (Electron)
---   net.lua            Unix-socket listen/connect (connections to hand on)
---   bootstrap.lua      the entry point a forked Lua child runs
---   scheduler.lua      wait() under cqueues or another scheduler
---   options.lua        argument validation
---   lines.lua          readable:lines() and `line` events
---   pipeline.lua       streams as stdio entries, readable:pipe()
---   helpers.lua        env, kill
---   abort.lua          AbortController, options.signal
---   core (C)           src/: loop, process handle, pipes, IPC, JSON codec
local core = require("child_process.core")

-- The submodules load on first use: a forked child that only talks to its
-- parent never pays for exec, sync or fork (fork-to-first-message time).
local LAZY = {
  spawn = { "child_process.child_process", "spawn" },
  async = { "child_process.child_process", "async" },
  ChildProcess = { "child_process.child_process", "ChildProcess" },
  exec = { "child_process.exec", "exec" },
  execFile = { "child_process.exec", "execFile" },
  spawnSync = { "child_process.sync", "spawnSync" },
  execSync = { "child_process.sync", "execSync" },
  execFileSync = { "child_process.sync", "execFileSync" },
  fork = { "child_process.fork", "fork" },
  bootstrap_path = { "child_process.fork", "bootstrap_path" },
  use_scheduler = { "child_process.scheduler", "use_scheduler" },
  use_cqueues = { "child_process.scheduler", "use_cqueues" },
  pool = { "child_process.pool", "pool" },
  env = { "child_process.helpers", "env" },
  kill = { "child_process.helpers", "kill" },
  AbortController = { "child_process.abort", "AbortController" },
  MessageChannel = { "child_process.port", "MessageChannel" },
  MessagePort = { "child_process.port", "MessagePort" },
  utilityProcess = { "child_process.utility", "utility" },
  net = { "child_process.net", "net" },
}

local M = setmetatable({ json = core.json, _VERSION = "0.1.0" }, {
  __index = function(t, k)
    local where = LAZY[k]
    if not where then return nil end
    -- With the state's spare fd given up meanwhile: at EMFILE the file
    -- can still be opened, and the call then fails with EMFILE as it should.
    local v = core.with_spare_fd(require, where[1])[where[2]]
    rawset(t, k, v)
    return v
  end,
})

local RUN_MODES = { default = true, once = true, nowait = true }

--- run([mode]): "default" runs until no referenced work remains (→ false);
--- "once" / "nowait" return true while work remains.
function M.run(mode)
  if mode ~= nil and not RUN_MODES[mode] then
    error(("bad argument #1 to 'run' (invalid mode '%s')"):format(tostring(mode)), 2)
  end
  return core.run(mode)
end

--- The loop's pollable fd, for hosts that own their main loop.
function M.backend_fd() return core.backend_fd() end

--- Milliseconds until the loop next needs to run, -1 for none.
function M.backend_timeout() return core.backend_timeout() end

--- busy_poll([µs]) → maximum, current window (µs): how long the loop may
--- poll before it sleeps while an IPC channel is open (src/poll.c).
function M.busy_poll(...)
  -- not a tail call: Lua 5.1/5.2 name the function in an argument error
  -- from the call site, which a tail call loses
  local max, window = core.busy_poll(...)
  return max, window
end

--- use_luv(luv): run on luv's loop, so that one uv.run() drives both.
--- Works when luv links the same libuv as this module; otherwise a clear
--- error that names both copies and the bridge (backend_fd) to use.
function M.use_luv(luv)
  if type(luv) ~= "table" then
    error(("bad argument #1 to 'use_luv' (the luv module table expected, got %s)"):format(type(luv)), 2)
  end
  local ok, err = pcall(core.use_luv, luv)
  if not ok then error((tostring(err):gsub("^[^:]*:%d+: ", "")), 2) end
end

-- In a forked child, process.lua sets parentPort (nil elsewhere).
M.parentPort = nil

return M
