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

local argcheck, defer, mkerror, protect = util.argcheck, util.defer, util.error, util.protect

local M = {}

local ChildProcess = setmetatable({ __name = "ChildProcess" }, { __index = Emitter })
ChildProcess.__index = ChildProcess
M.ChildProcess = ChildProcess

---------------------------------------------------------------------------
-- Completion: close, and what wait() returns
---------------------------------------------------------------------------

-- Coroutines started by cp.async: inside them wait() yields.
local async_threads = setmetatable({}, { __mode = "k" })

local function resume(co, ...)
  local ok, err = coroutine.resume(co, ...)
  if not ok then error(debug.traceback(co, err), 0) end
end

--- Record the result wait() returns and wake the coroutines waiting for it.
function ChildProcess:_complete(...)
  if self._done then return end
  self._done = true
  self._result = table.pack(...)
  local waiters = self._waiters
  self._waiters = nil
  if waiters then
    -- Wake every waiter even if one raises: the first error propagates
    -- now, later ones from the next turn of the loop.
    local first
    for i = 1, #waiters do
      local w = waiters[i]
      if not w.woken then
        w.woken = true
        if w.timer then w.timer:close() end
        local ok, err = pcall(resume, w.co, ...)
        if not ok then
          if first == nil then first = { err } else defer(error, err, 0) end
        end
      end
    end
    if first then error(first[1], 0) end
  end
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

local function on_exit(self, code, signum)
  self._exited = true
  self.exitCode = code
  self.signalCode = util.signame(signum)
  if self._timer then
    self._timer:close()
    self._timer = nil
  end
  if not self._spawned then
    self._spawned = true
    self:emit("spawn")
  end
  -- As in Node: stdin is closed at exit, and output nobody reads is
  -- drained and discarded so that `close` always comes.
  local stdio = self.stdio
  for i = 1, self._nstdio do
    local s = stdio[i]
    if s then
      if i == 1 then s:destroy() elseif s._drain then s:_drain() end
    end
  end
  protect(self.emit, function() self:_settle() end, self, "exit", self.exitCode, self.signalCode)
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

--- Close the channel once what was sent is written; both sides get `disconnect`.
function ChildProcess:disconnect()
  if not self._channel or self._chan_closing then return end
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

--- kill([signal]) → true if the signal was sent.  After exit: false.
function ChildProcess:kill(sig)
  local num = util.signum(sig, 1, "kill", "SIGTERM")
  local proc = self._proc
  if not proc or self._exited then return false end
  local ok, code = proc:kill(num)
  if ok then
    if num ~= 0 then self.killed = true end
    return true
  end
  if code ~= "ESRCH" then
    local err = mkerror(code, "kill " .. code, { syscall = "kill" })
    defer(function() self:emit("error", err) end)
  end
  return false
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

--- wait([timeout_ms]) → what the completion callback gets: `code, signal`
--- for spawn and fork, `err, stdout, stderr` for exec and execFile.  In a
--- cp.async coroutine it yields; elsewhere it runs the loop.  On timeout:
--- nil, "timeout" (the child keeps running).
function ChildProcess:wait(timeout)
  if timeout ~= nil then
    argcheck(type(timeout) == "number" and timeout >= 0 and timeout == timeout, 1, "wait",
      "timeout must be a non-negative number, got " .. tostring(timeout))
  end
  if self._done then return table.unpack(self._result, 1, self._result.n) end
  local co = coroutine.running()
  if async_threads[co] then
    local w = { co = co }
    self._waiters = self._waiters or {}
    table.insert(self._waiters, w)
    if timeout then
      w.timer = core.timer()
      w.timer:start(math.floor(timeout), 0, function()
        w.timer:close()
        if not w.woken then
          w.woken = true
          resume(co, nil, "timeout")
        end
      end)
    end
    return coroutine.yield()
  end
  if core.running() then
    error("wait() called from inside an event callback: the loop is not re-entrant; "
      .. "use cp.async(fn) and call wait() inside it", 2)
  end
  local timer, timed_out
  if timeout then
    timer = core.timer()
    timer:start(math.floor(timeout), 0, function() timed_out = true end)
  end
  -- An unref'd child would not keep run("once") waiting: hold it meanwhile.
  local unrefd = self._unrefd
  if unrefd then each_handle(self, "ref") end
  local ok, err = pcall(function()
    while not self._done and not timed_out do
      if not core.run("once") and not self._done and not timed_out then
        -- Nothing left that could end the wait: fail rather than spin.
        error("wait(): the loop has no work left but the child has not closed "
          .. "(is one of its streams paused?)", 0)
      end
    end
  end)
  if unrefd and not self._done then each_handle(self, "unref") end
  if timer then timer:close() end
  if not ok then error(err, 0) end
  if not self._done then return nil, "timeout" end
  return table.unpack(self._result, 1, self._result.n)
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
  local self = core.object(ChildProcess)
  self.spawnfile = spec.spawnfile
  self.spawnargs = spec.spawnargs
  self.killed = false
  self.connected = false
  self._pending = 1 -- the exit
  self._nstdio = #spec.stdio
  self.stdio = {}
  spec.on_exit = function(code, signum) on_exit(self, code, signum) end
  local proc, pid, handles = core.spawn(spec)
  if not proc then
    local err = util.spawn_error("spawn", spec, pid, -handles)
    self._exited = true
    self._spawn_error = err
    defer(function()
      protect(self.emit, function()
        self._pending = 0
        self._closed = true
        protect(self.emit, function()
          if self._on_close then self._on_close(nil, nil) else self:_complete(nil, nil) end
        end, self, "close", nil, nil)
      end, self, "error", err)
    end)
    return self
  end
  self._proc = proc
  self.pid = pid
  local stdio = self.stdio
  for i = 1, self._nstdio do
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
  self.stdin, self.stdout, self.stderr = stdio[1], stdio[2], stdio[3]
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
    if not self._spawned then
      self._spawned = true
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
