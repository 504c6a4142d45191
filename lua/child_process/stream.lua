--- stream.lua — the streams of a ChildProcess: readable stdout, stderr and
--- extra pipes; writable stdin.  They wrap the C pipe handles of stream.c
--- and follow Node's events: data/end/close/error and drain/finish/close/error.
local core_util = require("child_process.util")
local Emitter = require("child_process.emitter")
local lines = require("child_process.lines")
local pipeline = require("child_process.pipeline")

local argcheck, defer, mkerror = core_util.argcheck, core_util.defer, core_util.error
local protect, call_all = core_util.protect, core_util.call_all

local HIGH_WATER_MARK = 64 * 1024

local M = { highWaterMark = HIGH_WATER_MARK }

--- A stand-in for the pipe of a child that could not be spawned: the
--- streams exist as in Node, read nothing, and close on the next turn.
local function noop() end
function M.dead_handle()
  return {
    read_start = noop, read_stop = noop, ref = noop, unref = noop,
    close = function(_, cb) defer(cb) end,
    write = function() return nil, "EPIPE" end,
    shutdown = function() return false, "EPIPE" end,
    queue_size = function() return 0 end,
  }
end

---------------------------------------------------------------------------
-- Readable
---------------------------------------------------------------------------
local Readable = setmetatable({ __name = "Readable" }, { __index = Emitter })
Readable.__index = Readable

--- Wrap pipe handle `h`; `on_close` runs once the stream has closed.
function M.readable(h, on_close)
  local self = setmetatable({ _h = h, _on_close = on_close, readable = true }, Readable)
  self._onread = function(chunk, err, msg)
    if chunk then
      if not self._discard then self:emit("data", chunk) end
    elseif err == "EOF" then
      self:_finish()
    else
      self:_finish(mkerror(err, msg))
    end
  end
  return self
end

-- Reading starts when a `data` listener is added (unless paused by hand).
-- A listener added after the stream was set to discard (at the child's
-- exit) gets what is still to come, as in Node.
function Readable:_on_listener(event)
  if event == "data" then
    self._discard = false
    if not self._paused then self:resume() end
  elseif event == "line" then
    lines.attach(self)
  end
end

--- lines() → iterator of lines (lines.lua); `line` events likewise.
Readable.lines = lines.iterator
--- pipe(writable [, { ["end"] = bool }]) → writable (pipeline.lua).
Readable.pipe = pipeline.pipe

--- Start (or continue) reading.
function Readable:resume()
  self._paused = false
  if self._ended or self._reading then return self end
  self._reading = true
  self._h:read_start(self._onread)
  return self
end

--- Stop reading from the pipe: the child blocks once the pipe is full.
function Readable:pause()
  self._paused = true
  if self._reading and not self._ended then
    self._reading = false
    self._h:read_stop()
  end
  return self
end

function Readable:isPaused()
  return self._paused == true
end

-- The handle is closed: `close`, then the owner learns it even if a
-- `close` listener raised.
local function closed(self)
  protect(self.emit, function()
    if self._on_close then self._on_close() end
  end, self, "close")
end

-- Close first, then tell: a raising `end` listener cannot stop `close`.
function Readable:_finish(err)
  if self._ended then return end
  self._ended = true
  self.readable = false
  self._h:close(function() closed(self) end)
  if self._linebuf then lines.flush(self) end
  if err then
    if self:listenerCount("error") > 0 then self:emit("error", err) end
  else
    self:emit("end")
  end
end

--- Read and discard whatever nobody consumes, so that `close` comes.
function Readable:_drain()
  if self._ended then return end
  if self:listenerCount("data") == 0 then
    self._discard = true
    self:resume()
  end
end

--- Close the pipe now, without `end`.
function Readable:destroy()
  if self._ended then return self end
  self._ended = true
  self.readable = false
  self._h:close(function() closed(self) end)
  return self
end

function Readable:ref() self._h:ref() end
function Readable:unref() self._h:unref() end

--- Extra pipes (fd 3 and up) are duplex sockets: they can be written too.
function Readable:write(data, cb)
  argcheck(type(data) == "string", 1, "write", "string expected, got " .. type(data))
  if self._ended then return false end
  local q = self._h:write(data, cb)
  return q ~= nil and q <= HIGH_WATER_MARK
end

---------------------------------------------------------------------------
-- Writable (stdin)
---------------------------------------------------------------------------
local Writable = setmetatable({ __name = "Writable" }, { __index = Emitter })
Writable.__index = Writable

function M.writable(h)
  local self = setmetatable({ _h = h, _inflight = 0, writable = true }, Writable)
  self._onwritten = function(code) self:_written(code) end
  return self
end

-- EPIPE (the child stopped reading) is dropped when nobody listens, as is
-- ECANCELED (the pipe was closed with writes queued).
function Writable:_error(err)
  if err.code == "ECANCELED" then return end
  if self:listenerCount("error") > 0 or err.code ~= "EPIPE" then self:emit("error", err) end
end

function Writable:_written(code)
  self._inflight = self._inflight - 1
  local cbs = self._cbs
  local cb = cbs and table.remove(cbs, 1)
  local err = code and mkerror(code, "write " .. code) or nil
  -- A raising callback does not cost the stream its `drain`.
  protect(function()
    if cb and cb ~= false then cb(err) end
    if err then self:_error(err) end
  end, function()
    if self._need_drain and not self._closed and self._h:queue_size() == 0 then
      self._need_drain = false
      self:emit("drain")
    end
  end)
end

-- As in Node: a write after close() is an `error` event; a write to a
-- stream already destroyed (by destroy(), or at the child's exit) only
-- fails its callback, so that writing to a child that has gone away never
-- raises out of run() when nobody listens.
local function write_after_end(self, cb)
  local destroyed = self._closed and not self._finished
  local err = destroyed and mkerror("ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed")
    or mkerror("ERR_STREAM_WRITE_AFTER_END", "write after end")
  defer(function()
    if cb then cb(err) end
    if not destroyed then self:_error(err) end
  end)
  return false
end

--- write(data [, cb]) → false once more than highWaterMark bytes are queued;
--- a `drain` event follows when the queue has emptied.
function Writable:write(data, cb)
  argcheck(type(data) == "string", 1, "write", "string expected, got " .. type(data))
  argcheck(cb == nil or type(cb) == "function", 2, "write", "function expected, got " .. type(cb))
  if self._ending or self._closed then return write_after_end(self, cb) end
  local q, code = self._h:write(data, self._onwritten)
  if not q then
    local err = mkerror(code, "write " .. code)
    defer(function()
      if cb then cb(err) end
      self:_error(err)
    end)
    return false
  end
  self._inflight = self._inflight + 1
  local cbs = self._cbs
  if not cbs then
    cbs = {}
    self._cbs = cbs
  end
  cbs[#cbs + 1] = cb or false
  if q > HIGH_WATER_MARK then
    self._need_drain = true
    return false
  end
  return true
end

--- Bytes queued and not yet written.
function Writable:queued()
  return self._closed and 0 or self._h:queue_size()
end

function Writable:_close()
  if self._closed then return end
  self._closed = true
  self.writable = false
  self._h:close(function() self:emit("close") end)
end

--- close([data] [, cb]): write data, flush the queue, then close the pipe;
--- the child reads EOF.  `finish` (and cb) once everything was written.
function Writable:close(data, cb)
  if type(data) == "function" and cb == nil then data, cb = nil, data end
  argcheck(data == nil or type(data) == "string", 1, "close", "string expected, got " .. type(data))
  argcheck(cb == nil or type(cb) == "function", 2, "close", "function expected, got " .. type(cb))
  if data ~= nil and self._ending then
    -- close(data) again: as in Node, a write after end.  The error goes to
    -- this callback, to those of the first close still waiting, and as an
    -- `error` event; there is no `finish` then.  What the first close
    -- queued is still written.
    local destroyed = self._closed and not self._finished
    local err = destroyed and mkerror("ERR_STREAM_DESTROYED", "Cannot call write after a stream was destroyed")
      or mkerror("ERR_STREAM_WRITE_AFTER_END", "write after end")
    local waiting = self._end_cbs or {}
    self._end_cbs = nil
    if not destroyed then self._errored = err end
    defer(function()
      local calls = {}
      if cb then calls[1] = function() cb(err) end end
      for i = 1, #waiting do calls[#calls + 1] = function() waiting[i](err) end end
      if not destroyed then calls[#calls + 1] = function() self:_error(err) end end
      call_all(calls)
    end)
    return self
  end
  if data ~= nil then self:write(data) end
  if cb then
    if self._closed and not self._end_cbs then
      -- Already finished or destroyed (by destroy() or at the child's
      -- exit): as in Node, cb still runs, with the error.
      local err = self._finished
        and mkerror("ERR_STREAM_ALREADY_FINISHED", "Cannot call end after a stream was finished")
        or mkerror("ERR_STREAM_DESTROYED", "Cannot call end after a stream was destroyed")
      defer(cb, err)
    else
      self._end_cbs = self._end_cbs or {}
      table.insert(self._end_cbs, cb)
    end
  end
  if self._ending then return self end
  self._ending = true
  if self._closed then return self end
  -- Once flushed (or failed): the close callbacks get nil or the error,
  -- then `finish` on success; a failed flush is not left without answer.
  -- Each callback runs even if another raises.
  -- After a write after end (self._errored, reported already) the
  -- callbacks added since get that error, and nothing more is emitted.
  local function done(code)
    self:_close()
    local errored = self._errored
    local err = errored or (code and mkerror(code, "shutdown " .. code)) or nil
    if not err then self._finished = true end
    local cbs = self._end_cbs or {}
    self._end_cbs = nil
    local calls = {}
    for i = 1, #cbs do calls[i] = function() cbs[i](err) end end
    if not errored then
      calls[#calls + 1] = function()
        if err then self:_error(err) else self:emit("finish") end
      end
    end
    call_all(calls)
  end
  -- shutdown() runs after the queued writes.  On a pipe (not a socket) its
  -- SHUT_WR fails with ENOTSOCK, which is fine: closing is the half-close.
  local ok, code = self._h:shutdown(function(c)
    done(c ~= "ENOTSOCK" and c or nil)
  end)
  if not ok then done(code) end
  return self
end
Writable["end"] = Writable.close

--- Close at once, dropping what is queued.
function Writable:destroy()
  self._ending = true
  self:_close()
  return self
end

function Writable:ref() if not self._closed then self._h:ref() end end
function Writable:unref() if not self._closed then self._h:unref() end end

M.Readable, M.Writable = Readable, Writable
return M
