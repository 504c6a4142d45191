--- util.lua — the helpers every part of the facade shares: the one way to
--- raise `bad argument` errors, the one way to build error values with a
--- `code`, deferral to the next loop iteration, signal names.
local core = require("child_process.core")
local compat = require("child_process.compat")
local math = compat.math

local M = {}

-- The directory of the module's Lua files ("@lua/child_process/").
local MODULE_DIR = debug.getinfo(1, "S").source:match("^(@.*[/\\])[^/\\]*$")

-- "file:line: " of the first caller outside the module's Lua files, so that
-- a `bad argument` error points at the user's call however deep in the
-- facade it was detected (as luaL_argerror does for C functions).  A C
-- caller (pcall(cp.spawn, ...)) has no position, as with Lua's own errors.
local function where()
  for level = 3, 100 do
    local info = debug.getinfo(level, "Sl")
    if not info then break end
    -- (Lua 5.1 and LuaJIT show a tail call as a frame of its own: skip it.)
    if info.what ~= "tail" and not (MODULE_DIR and info.source:sub(1, #MODULE_DIR) == MODULE_DIR) then
      if info.currentline and info.currentline > 0 then
        return info.short_src .. ":" .. info.currentline .. ": "
      end
      return ""
    end
  end
  return ""
end

--- "file:line: " of the user's call (for errors raised deep in the facade).
M.where = where

--- Raise `bad argument #n to 'fname' (msg)` at the user's call.
function M.argerror(n, fname, msg)
  error(where() .. string.format("bad argument #%d to '%s' (%s)", n, fname, msg), 0)
end

--- argcheck(cond, n, fname, msg): argerror unless cond.
function M.argcheck(cond, n, fname, msg)
  if not cond then
    error(where() .. string.format("bad argument #%d to '%s' (%s)", n, fname, msg), 0)
  end
end

local Error = {}
Error.__index = Error
Error.__name = "child_process.Error"
function Error.__tostring(e)
  return e.message or tostring(e.code)
end
M.Error = Error

--- An error value: a table with `code`, `message` and any extra fields.
function M.error(code, message, fields)
  local e = fields or {}
  e.code = code
  e.message = message or tostring(code)
  return setmetatable(e, Error)
end

--- The error of a child that could not start (or, for the sync calls, ran
--- into a limit), shaped like Node's: "spawn ls ENOENT" with errno (< 0),
--- syscall, path and spawnargs (the arguments after argv[0]).
function M.spawn_error(verb, spec, code, errno)
  return M.error(code, ("%s %s %s"):format(verb, spec.file, code), {
    errno = errno,
    syscall = verb .. " " .. spec.file,
    path = spec.file,
    spawnargs = compat.move(spec.spawnargs, 2, #spec.spawnargs, 1, {}),
  })
end

--- Run fn(...) in a later iteration of the loop (after this callback).
--- One queue and one timer per state (core.defer), not a timer each.
function M.defer(fn, ...)
  local n = select("#", ...)
  if n == 0 then return core.defer(fn) end
  local args = { ... }
  core.defer(function() fn(compat.unpack(args, 1, n)) end)
end

--- Call fn(...); then `after` runs whatever fn raised, and the error (with
--- its traceback) propagates once `after` is done.  Used where one listener
--- raising must not stop the events that follow (exit → close).
function M.protect(fn, after, ...)
  local ok, err = compat.xpcall(fn, debug.traceback, ...)
  if ok then
    after()
    return
  end
  -- Both raised: fn's error propagates now, after's from the next turn of
  -- the loop (neither is lost).
  local ok2, err2 = compat.xpcall(after, debug.traceback)
  if not ok2 then M.defer(error, err2, 0) end
  error(err, 0)
end

--- Call every function of the array `fns`, even when some raise: the
--- first error (with its traceback) propagates once all have run, later
--- ones from the next turns of the loop.  Used where a raising callback
--- must not cost the others their turn (close callbacks, then `finish`).
function M.call_all(fns)
  local first
  for i = 1, #fns do
    local ok, err = xpcall(fns[i], debug.traceback)
    if not ok then
      if first == nil then first = { err } else M.defer(error, err, 0) end
    end
  end
  if first then error(first[1], 0) end
end

--- send(msg [, cb]) on an IPC channel: the part that ChildProcess:send and
--- the forked child's process.send share.  `ch` is nil once the channel is
--- closed: then false, and ERR_IPC_CHANNEL_CLOSED goes to cb, or to the
--- emitter's `error` event, on the next turn of the loop.  An unencodable
--- message raises at the user's call; nothing of it is sent.
function M.channel_send(ch, emitter, msg, cb)
  if msg == nil then M.argerror(1, "send", "message expected, got nil") end
  if cb ~= nil and type(cb) ~= "function" then
    M.argerror(2, "send", "function expected, got " .. type(cb))
  end
  if not ch then
    local err = M.error("ERR_IPC_CHANNEL_CLOSED", "Channel closed")
    M.defer(function()
      if cb then cb(err) else emitter:emit("error", err) end
    end)
    return false
  end
  local wrapped = cb and function(code)
    cb(code and M.error(code, code == "ERR_IPC_CHANNEL_CLOSED" and "Channel closed" or code) or nil)
  end
  -- The channel returns an encoding error rather than raising it: no
  -- pcall on this path, which every message takes.
  local res, err = ch:send(msg, wrapped)
  if res == nil then error(where() .. "send: " .. err, 0) end
  return res
end

--- A signal given by name ("SIGTERM", "TERM") or number → its number.
--- Names are case-insensitive ("sigterm"), as Node upper-cases them.
function M.signum(sig, n, fname, default)
  if sig == nil then sig = default or "SIGTERM" end
  if type(sig) == "number" and math.type(sig) ~= "integer" then
    -- An integral float (9.0) is the integer; 1.5 is no signal.
    local i = math.tointeger(sig)
    M.argcheck(i ~= nil, n, fname, "invalid signal number " .. tostring(sig))
    sig = i
  end
  if math.type(sig) == "integer" then
    M.argcheck(sig >= 0 and sig < 65, n, fname, "invalid signal number " .. sig)
    return sig
  end
  M.argcheck(type(sig) == "string", n, fname, "signal name or number expected, got " .. type(sig))
  local up = sig:upper()
  local num = core.signal_number(up) or core.signal_number("SIG" .. up)
  M.argcheck(num ~= nil, n, fname, "unknown signal '" .. sig .. "'")
  return num
end

function M.signame(num)
  if num == nil then return nil end
  return core.signal_name(num) or ("SIG" .. num)
end

return M
