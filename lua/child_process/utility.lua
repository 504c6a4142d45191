--- utility.lua — cp.utilityProcess.fork(): Electron's utilityProcess API
--- for Electron users, over fork().  The differences from a ChildProcess:
---   * `pid` is nil until `spawn` and again after `exit`;
---   * `exit` carries the code only (128 + the signal number when the
---     child was killed by a signal), and comes after every message the
---     child sent (it is emitted when the child has closed);
---   * kill() sends SIGTERM and returns a boolean (the child is reaped);
---   * stdio defaults to "inherit"; `stdout` / `stderr` are nil unless
---     "pipe";
---   * `serviceName` names the process;
---   * an uncaught error in the child is an `error` event (type,
---     location, report) before `exit`: type "FatalError", location
---     "file:line", report the traceback (emitted only to listeners).
--- The child is a forked Lua child: process.parentPort is its end.
local core = require("child_process.core")
local Emitter = require("child_process.emitter")
local options = require("child_process.options")
local util = require("child_process.util")
local math = require("child_process.compat").math

local argerror = util.argerror

local M = {}

local UtilityProcess = setmetatable({ __name = "UtilityProcess" }, { __index = Emitter })
UtilityProcess.__index = UtilityProcess
M.UtilityProcess = UtilityProcess

local STDIO = { pipe = true, ignore = true, inherit = true }

local function check_stdio(stdio)
  if stdio == nil then return { "inherit", "inherit", "inherit", "ipc" } end
  if type(stdio) == "string" then
    if not STDIO[stdio] then argerror(3, "fork", "option 'stdio' must be 'pipe', 'ignore' or 'inherit'") end
    return { stdio, stdio, stdio, "ipc" }
  end
  if type(stdio) ~= "table" then argerror(3, "fork", "option 'stdio' must be a string or a table") end
  local s = {}
  for i = 1, 3 do
    local v = stdio[i]
    if v == nil then v = "inherit" end
    if not (STDIO[v] or math.type(v) == "integer") then
      argerror(3, "fork", ("option 'stdio[%d]' must be 'pipe', 'ignore', 'inherit' or an fd"):format(i))
    end
    s[i] = v
  end
  s[4] = "ipc"
  return s
end

--- utilityProcess.fork(modulePath [, args] [, options]) → UtilityProcess
function M.fork(modulePath, args, opts)
  args, opts = options.shift(args, opts)
  options.check_command(modulePath, 1, "fork", "modulePath")
  if opts ~= nil and type(opts) ~= "table" then argerror(3, "fork", "options must be a table, got " .. type(opts)) end
  local o = opts or {}
  if o.serviceName ~= nil and type(o.serviceName) ~= "string" then
    argerror(3, "fork", "option 'serviceName' must be a string, got " .. type(o.serviceName))
  end
  local self = core.object(UtilityProcess)
  self.serviceName = o.serviceName or "Node Utility Process"
  local child = require("child_process.fork").fork(modulePath, args, {
    env = o.env, cwd = o.cwd, execArgv = o.execArgv, execPath = o.execPath, stdio = check_stdio(o.stdio),
  })
  self._child = child
  self.stdout, self.stderr = child.stdout, child.stderr
  child:on("spawn", function()
    if child._exited then return end
    self.pid = child.pid
    self:emit("spawn")
  end)
  child:on("message", function(msg, handle) self:emit("message", msg, handle) end)
  -- `error` is only emitted to listeners: a child's crash never raises
  -- out of the parent's loop.
  child:on("error", function(err)
    -- Could not start (Electron has no such event): an error, then exit.
    if self:listenerCount("error") > 0 then self:emit("error", "SpawnError", err.path or modulePath, tostring(err)) end
  end)
  child:on("_fatal", function(msg)
    if self:listenerCount("error") > 0 then
      self:emit("error", msg.type or "FatalError", msg.location or "", msg.report or "")
    end
  end)
  child:on("close", function(code, sig)
    self.pid = nil
    if code == nil and sig then code = 128 + (core.signal_number(sig) or 0) end
    self:emit("exit", code)
  end)
  return self
end

--- postMessage(message [, transfer]): transfer is an array of MessagePorts.
function UtilityProcess:postMessage(message, transfer)
  return self._child:postMessage(message, transfer)
end

--- kill() → true if SIGTERM was sent.
function UtilityProcess:kill()
  return self._child:kill("SIGTERM")
end

M.utility = { fork = M.fork }

return M
