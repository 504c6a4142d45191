--- pipeline.lua — children connected to each other: another child's
--- stream as a stdio entry (`stdio = { a.stdout }`: the fd itself goes to
--- the new child, no byte passes through the parent), and
--- readable:pipe(writable [, { ["end"] = bool }]), a copy through the
--- parent with backpressure.
local util = require("child_process.util")

local argcheck, argerror, defer, mkerror = util.argcheck, util.argerror, util.defer, util.error

local M = {}

local function classes()
  local stream = require("child_process.stream") -- not at load: stream.lua requires this file
  return stream.Readable, stream.Writable
end

--- Is v a stream of a ChildProcess (stdin, stdout, stderr, extra pipe)?
function M.is_stream(v)
  if type(v) ~= "table" then return false end
  local Readable, Writable = classes()
  local mt = getmetatable(v)
  return mt == Readable or mt == Writable
end

--- The fd of a stream to hand to a new child, or nil and why it cannot be.
function M.stream_fd(s)
  local Readable = classes()
  if getmetatable(s) == Readable then
    if s._ended then return nil, "a closed stream" end
    -- Bytes already flowing to the parent would be split between the two.
    if s._reading or s:listenerCount("data") > 0 then
      return nil, "a stream the parent is reading (it has a 'data' listener or was resumed)"
    end
  elseif s._closed or s._ending then
    return nil, "a closed stream"
  end
  local fd = s._h:fileno()
  if not fd then return nil, "a closed stream" end
  return fd
end

--- Before the spawn: the handed pipes become blocking (the child shares
--- their open file; see stream.c's set_blocking).
function M.prepare(handed)
  for i = 1, handed and #handed or 0 do handed[i]._h:set_blocking(true) end
end

--- After the spawn: once the child has the fds, the parent lets go of its
--- ends (a Readable closes without reading; a Writable is flushed and
--- closed); if the spawn failed, they stay the parent's, non-blocking again.
function M.finish(handed, started)
  local Readable = classes()
  for i = 1, handed and #handed or 0 do
    local s = handed[i]
    if started then
      s.handedOver = true
      if getmetatable(s) == Readable then s:destroy() else s:close() end
    else
      s._h:set_blocking(false)
    end
  end
end

---------------------------------------------------------------------------
-- readable:pipe(writable)
---------------------------------------------------------------------------

-- The error of writing into a stream that is closed or closing.
local function closed_error(dest)
  if dest._closed then
    return mkerror("ERR_STREAM_DESTROYED", "Cannot pipe to a stream that was destroyed")
  end
  return mkerror("ERR_STREAM_WRITE_AFTER_END", "Cannot pipe to a stream after end")
end

--- src:pipe(dest [, { ["end"] = true }]) → dest.  Copies src's data into
--- dest, pausing src while dest is over its high-water mark (until
--- `drain`); ends dest when src ends unless `end = false`.  dest is a
--- child's stdin (or another object with write/close and a `drain`
--- event), or a Lua file (written as data comes, flushed, never closed).
--- Piping into a stream already closed reads nothing from src and emits
--- `error` on dest (ERR_STREAM_DESTROYED or ERR_STREAM_WRITE_AFTER_END).
--- If dest closes first (its child exited), src stops being piped and,
--- when nobody else reads it, is destroyed: its writer sees EPIPE, as in a
--- shell pipeline.
function M.pipe(src, dest, opts)
  local tdest = type(dest)
  local is_file = io.type(dest) == "file"
  argcheck(is_file or ((tdest == "table" or tdest == "userdata") and type(dest.write) == "function"), 1, "pipe",
    "writable stream expected, got " .. (io.type(dest) or tdest))
  if opts ~= nil then
    argcheck(type(opts) == "table", 2, "pipe", "options must be a table, got " .. type(opts))
    if opts["end"] ~= nil and type(opts["end"]) ~= "boolean" then
      argerror(2, "pipe", "option 'end' must be a boolean, got " .. type(opts["end"]))
    end
  end
  local end_dest = not (opts and opts["end"] == false)
  local _, Writable = classes()
  if getmetatable(dest) == Writable and (dest._closed or dest._ending) then
    local err = closed_error(dest)
    defer(function() dest:emit("error", err) end)
    return dest
  end

  local on_data, on_end, on_dest_close
  local function unpipe()
    src:off("data", on_data)
    src:off("end", on_end)
    if not is_file and dest.off then dest:off("close", on_dest_close) end
  end
  local function resume() if not src._ended then src:resume() end end
  on_data = function(chunk)
    if is_file then
      dest:write(chunk)
    elseif dest:write(chunk) == false then
      src:pause()
      dest:once("drain", resume)
    end
  end
  on_end = function()
    unpipe()
    if is_file then
      dest:flush()
    elseif end_dest then
      local close = dest.close or dest["end"]
      if close then close(dest) end
    end
  end
  on_dest_close = function()
    unpipe()
    if src:listenerCount("data") == 0 then src:destroy() end
  end
  if src._ended then
    -- Nothing more will come: end dest now, as Node does for an ended source.
    defer(on_end)
    return dest
  end
  src:on("end", on_end)
  if not is_file and dest.once then dest:once("close", on_dest_close) end
  src:on("data", on_data)
  return dest
end

return M
