--- child_process.lua — the ChildProcess userdata and spawn(): events in
--- Node's order (spawn, error, message, exit, disconnect, close), stdio
--- streams, kill, ref/unref, the parent's end of the IPC channel, and
--- wait() / async().
---
--- A running child is kept alive by the C handles that hold its callbacks
--- (process exit, pipe reads, the channel), not by any table here: once it
--- has closed and nobody references it, the GC collects it.
local core = require("child_process.core")
local util = require("child_process.util")
local Emitter = require("child_process.emitter")
local options = require("child_process.options")
local stream = require("child_process.stream")
local scheduler = require("child_process.scheduler")
local abort = require("child_process.abort")
local pipeline = require("child_process.pipeline")
local compat = require("child_process.compat")

local argcheck, defer, mkerror, protect = util.argcheck, util.defer, util.error, util.protect

local M = {}

local ChildProcess = setmetatable({ __name = "ChildProcess" }, { __index = Emitter })
ChildProcess.__index = ChildProcess
M.ChildProcess = ChildProcess

---------------------------------------------------------------------------
-- Completion: close, and what wait() returns
---------------------------------------------------------------------------

-- Coroutines started by cp.async: inside them wait() yields (scheduler.lua).
local async_threads = scheduler.async_threads
M.async_threads = async_threads

local function resume(co, ...)
  local ok, err = coroutine.resume(co, ...)
  if not ok then error(debug.traceback(co, err), 0) end
end

--- Record the result wait() returns and wake the coroutines waiting for it.
function ChildProcess:_complete(...)
  if self._done then return end
  self._done = true
  self._result = compat.pack(...)
  local waiters = self._waiters
  self._waiters = nil
  if waiters then scheduler.wake(waiters, ...) end
end

-- One of the things `close` waits for is over (exit, a readable pipe, the
-- channel).  The last one emits `close`.
function ChildProcess:_settle()
  self._pending = self._pending - 1
  if self._pending > 0 then return end
  local code, sig = self.exitCode, self.signalCode
  self._closed = true
  if self._on_close then
    -- exec/execFile: the callback and wait() get err, stdout, stderr.
    protect(self.emit, function() self._on_close(code, sig) end, self, "close", code, sig)
  else
    protect(self.emit, function() self:_complete(code, sig) end, self, "close", code, sig)
  end
end

local function on_exit(self, code, signum, lost)
  local f = core.fields(self) -- one lookup, not one __index per field
  f._exited = true
  f.exitCode = code
  f.signalCode = util.signame(signum)
  if f._timer then
    f._timer:close()
    f._timer = nil
  end
  -- As in Node: stdin is closed at exit; after `exit` (whose listeners may
  -- still start reading), output nobody reads is drained and discarded so
  -- that `close` always comes.
  local function emit_exit()
    local stdio = f.stdio
    if stdio[1] then stdio[1]:destroy() end
    protect(self.emit, function()
      for i = 2, f._nstdio do
        local s = stdio[i]
        if s and s._drain then s:_drain() end
      end
      self:_settle()
    end, self, "exit", f.exitCode, f.signalCode)
  end
  -- Someone else (the host's waitpid(-1)) reaped the child: its status is
  -- gone.  Say so rather than report a made-up exit.  An `error` that
  -- raises (no listener, as Node throws) must not cost exit and close.
  local function emit_lost()
    if not lost then return emit_exit() end
    protect(self.emit, emit_exit, self, "error", mkerror(lost, "the exit status of process "
      .. tostring(f.pid) .. " was taken by another waitpid() in this process",
      { syscall = "waitpid", pid = f.pid }))
  end
  -- The exit may be seen before the deferred `spawn` (the SIGCHLD
  -- fallback's sweep can come first): spawn is emitted now, and a spawn
  -- listener that raises must not cost exit and close either.
  if f._spawned then return emit_lost() end
  f._spawned = true
  protect(self.emit, emit_lost, self, "spawn")
end

---------------------------------------------------------------------------
-- IPC, the parent's end
---------------------------------------------------------------------------

local function close_channel(self)
  if self._chan_closing then return end
  self._chan_closing = true
  self.connected = false
  -- A handle in flight, and what queued behind it, can never be sent now.
  if self._hstate then require("child_process.transfer").abort(self._hstate) end
  local function closed()
    protect(self.emit, function() self:_settle() end, self, "disconnect")
  end
  self._channel:close_when_flushed(closed)
end

-- Internal messages: handles and ports (transfer.lua loads on first use).
local function on_internal(self, ch)
  return function(msg, fds)
    -- A forked Lua child's uncaught error (bootstrap.lua), for utilityProcess.
    if msg.cmd == "NODE_LUA_ERROR" and not fds then return self:emit("_fatal", msg) end
    local transfer = require("child_process.transfer")
    self._hstate = self._hstate or transfer.new_sender()
    transfer.on_internal(self._hstate, ch, self, msg, fds, function(data, handle)
      self:emit("message", data, handle)
    end)
  end
end

local function open_channel(self, ch, max)
  self._channel = ch
  self.connected = true
  self._pending = self._pending + 1
  if max then ch:set_max_message_size(max) end
  -- The hot path of every message: read the listener list from the field
  -- table directly rather than through the userdata's __index.
  local fields = core.fields(self)
  ch:start(function(msg)
    -- request/response envelopes (request.lua) are not `message`s.
    if type(msg) == "table" and msg["$cp"] ~= nil then
      local h = fields._on_envelope
      if h then h(msg) end
      return
    end
    local events = fields._events
    local list = events and events.message
    if list and #list == 1 then
      list[1](msg)
    else
      self:emit("message", msg)
    end
  end, function(code, msg)
    self:emit("error", mkerror(code, msg))
  end, function()
    close_channel(self)
  end, on_internal(self, ch))
end

--- send(msg [, handle] [, options] [, cb]) → false when the channel is
--- closed or past its high-water mark.  cb(err) once the message is
--- written.  handle: a MessagePort, a stream, an io.open file or an fd,
--- sent with Node's NODE_HANDLE protocol (transfer.lua).
function ChildProcess:send(msg, handle, opts, cb)
  local fields = core.fields(self) -- one lookup, not one __index per field
  local hs = fields._hstate
  if type(handle) == "function" and opts == nil and cb == nil then handle, cb = nil, handle end
  if handle == nil and opts == nil and not (hs and hs.queue) then
    return util.channel_send(fields.connected and fields._channel or nil, self, msg, cb)
  end
  local transfer = require("child_process.transfer")
  if not hs then
    hs = transfer.new_sender()
    self._hstate = hs
  end
  return transfer.send(hs, fields.connected and fields._channel or nil, self, msg, handle, opts, cb)
end

--- postMessage(value [, transfer]): Electron's; transfer is an array of
--- MessagePorts, neutered here once sent.
function ChildProcess:postMessage(value, list)
  if list == nil then return self:send(value) end
  local transfer = require("child_process.transfer")
  local fields = core.fields(self)
  if not fields.connected then
    transfer.check(list, 2, "postMessage")
    return util.channel_send(nil, self, value)
  end
  return transfer.post(fields._channel, value, list, 2, "postMessage")
end

--- request(value [, options] [, cb]) → a pending request (request.lua,
--- loaded on first use).
local request
function ChildProcess:request(value, opts, cb)
  request = request or require("child_process.request").request
  return request(self, value, opts, cb)
end

--- Close the channel once what was sent is written; both sides get
--- `disconnect`.  Once disconnected: an `error` event ERR_IPC_DISCONNECTED,
--- emitted at once (raised here when nobody listens), as in Node.
function ChildProcess:disconnect()
  if not self._channel or self._chan_closing or not self.connected then
    self:emit("error", mkerror("ERR_IPC_DISCONNECTED", "IPC channel is already disconnected"))
    return
  end
  -- As in Node: not before the handle in flight is acknowledged.
  local hs = self._hstate
  if hs and hs.queue then
    self.connected = false
    hs.on_drained = function() close_channel(self) end
    return
  end
  close_channel(self)
end

---------------------------------------------------------------------------
-- Signals, ref/unref
---------------------------------------------------------------------------

-- What kill() returns for a signal sent (ok) or not (code): a failure
-- other than "no such process" is also an `error` event, as in Node.
local function kill_result(self, num, ok, code)
  if ok then
    if num ~= 0 and not self._exited then self.killed = true end
    return true
  end
  if code ~= "ESRCH" then
    local err = mkerror(code, "kill " .. code, { syscall = "kill" })
    defer(function() self:emit("error", err) end)
  end
  return false
end

-- kill(sig, { group = true }): the child's whole process group, also
-- after the leader has exited (its background jobs may still run).
local function kill_group(self, num)
  if not self.pid then return false end
  return kill_result(self, num, core.kill(-self.pid, num))
end

--- kill([signal] [, { group = true }]) → true if the signal was sent.
--- After exit: false.  `group`: signal the child's process group (a child
--- started with `group` or `detached` leads one).
function ChildProcess:kill(sig, opts)
  local num = util.signum(sig, 1, "kill", "SIGTERM")
  if opts ~= nil then
    argcheck(type(opts) == "table", 2, "kill", "options must be a table, got " .. type(opts))
    argcheck(opts.group == nil or type(opts.group) == "boolean", 2, "kill",
      "option 'group' must be a boolean, got " .. type(opts.group))
    if opts.group then return kill_group(self, num) end
  end
  local proc = self._proc
  if not proc or self._exited then return false end
  return kill_result(self, num, proc:kill(num))
end

local function each_handle(self, method)
  if self._proc then self._proc[method](self._proc) end
  local stdio = self.stdio
  for i = 1, self._nstdio or 0 do
    local s = stdio[i]
    if s then s[method](s) end
  end
  local ch = self._channel
  if ch and not self._chan_closing then ch[method](ch) end
  if self._timer then self._timer[method](self._timer) end
end

--- Let cp.run() return while this child runs on.
function ChildProcess:unref()
  self._unrefd = true
  each_handle(self, "unref")
end

function ChildProcess:ref()
  self._unrefd = false
  each_handle(self, "ref")
end

---------------------------------------------------------------------------
-- wait() and async()
---------------------------------------------------------------------------

-- What scheduler.wait needs to know of a child.
local WAIT = {
  done = function(self) return self._done end,
  result = function(self) return compat.unpack(self._result, 1, self._result.n) end,
  timed_out = function() return nil, "timeout" end,
  stuck = "wait(): the loop has no work left but the child has not closed (is one of its streams paused?)",
  -- An unref'd child would not keep the loop waiting: hold it meanwhile.
  hold = function(self)
    if not self._unrefd then return false end
    each_handle(self, "ref")
    return true
  end,
  release = function(self) each_handle(self, "unref") end,
}

--- wait([timeout_ms]) → what the completion callback gets: `code, signal`
--- for spawn and fork, `err, stdout, stderr` for exec and execFile.  In a
--- cp.async coroutine, or one run by the scheduler given to
--- cp.use_scheduler / cp.use_cqueues, it yields; elsewhere it runs the
--- loop.  On timeout:
--- nil, "timeout" (the child keeps running).
function ChildProcess:wait(timeout)
  return scheduler.wait(self, scheduler.timeout_arg(timeout), WAIT)
end

--- Is `co` a coroutine started by cp.async (where waiting yields)?
function M.in_async(co)
  return async_threads[co] == true
end

--- `local c <close> = cp.spawn(...)`: leaving the scope kills the child
--- with its killSignal if it still runs (Node's Symbol.dispose).
function ChildProcess:__close()
  if self._proc and not self._exited then self:kill(self._killSignal) end
end

--- async(fn, ...): run fn as a coroutine now; inside it wait() yields, so
--- that several children run at once.
function M.async(fn, ...)
  argcheck(type(fn) == "function", 1, "async", "function expected, got " .. type(fn))
  local co = coroutine.create(fn)
  async_threads[co] = true
  resume(co, ...)
  return co
end

---------------------------------------------------------------------------
-- spawn
---------------------------------------------------------------------------

--- Start the child described by a normalised spec (options.spawn).
function M.start(spec)
  -- About the fields a child gets over its life, sized at once; set here
  -- through the field table itself rather than one __newindex call each.
  local self = core.object(ChildProcess, 24)
  local f = core.fields(self)
  f.spawnfile = spec.spawnfile
  f.spawnargs = spec.spawnargs
  f.killed = false
  f.connected = false
  f._pending = 1 -- the exit
  f._nstdio = #spec.stdio
  f.stdio = {}
  f._killSignal = spec.killSignal
  spec.on_exit = function(code, signum, lost) on_exit(self, code, signum, lost) end
  -- An already-aborted signal: its error, as a failed spawn, and no process.
  local aborted = spec.signal and spec.signal.aborted
  local proc, pid, handles
  if not aborted then
    pipeline.prepare(spec.handed)
    proc, pid, handles = core.spawn(spec)
    pipeline.finish(spec.handed, proc ~= nil)
  end
  if not proc then
    local err = aborted and abort.error(spec.signal) or util.spawn_error("spawn", spec, pid, -handles)
    self._exited = true
    self._spawn_error = err
    -- As in Node the streams exist all the same, so that listeners added
    -- right after spawn() work; stdin is destroyed, the readables end
    -- without data after the `error` event, then `close` comes.
    local stdio, dead = self.stdio, {}
    for i = 1, self._nstdio do
      if spec.stdio[i] == "pipe" then
        if i == 1 then
          stdio[1] = stream.writable(stream.dead_handle())
          stdio[1]:destroy()
        else
          stdio[i] = stream.readable(stream.dead_handle())
          dead[#dead + 1] = stdio[i]
        end
      end
    end
    self.stdin, self.stdout, self.stderr = stdio[1], stdio[2], stdio[3]
    defer(function()
      protect(self.emit, function()
        local ends = {}
        for i = 1, #dead do ends[i] = function() dead[i]:_finish() end end
        util.call_all(ends)
        -- After the streams' `close` (their handles close on the next turn).
        defer(function()
          self._pending = 0
          self._closed = true
          protect(self.emit, function()
            if self._on_close then self._on_close(nil, nil) else self:_complete(nil, nil) end
          end, self, "close", nil, nil)
        end)
      end, self, "error", err)
    end)
    return self
  end
  f._proc = proc
  f.pid = pid
  local stdio = f.stdio
  for i = 1, f._nstdio do
    local h = handles[i]
    if h then
      if i == spec.ipc then
        open_channel(self, h, spec.maxMessageSize)
      elseif i == 1 then
        stdio[1] = stream.writable(h)
      else
        self._pending = self._pending + 1
        stdio[i] = stream.readable(h, function() self:_settle() end)
      end
    end
  end
  f.stdin, f.stdout, f.stderr = stdio[1], stdio[2], stdio[3]
  if spec.signal then abort.watch(self, spec.signal, spec.killSignal) end
  if spec.timeout and spec.timeout > 0 then
    local t = core.timer()
    self._timer = t
    t:start(spec.timeout, 0, function()
      self._timer = nil
      t:close()
      self:kill(spec.killSignal)
    end)
  end
  defer(function()
    if not f._spawned then
      f._spawned = true
      self:emit("spawn")
    end
  end)
  return self
end

--- spawn(command [, args] [, options]) → ChildProcess
function M.spawn(command, args, opts)
  local a, o = options.shift(args, opts)
  return M.start(options.spawn("spawn", command, a, o, 3))
end

return M
