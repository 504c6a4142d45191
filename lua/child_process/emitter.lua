--- emitter.lua — event listeners for ChildProcess, streams and the forked
--- child's process / parentPort: many listeners per event, `once`, `off`,
--- and an `error` event with no listener raised (as Node throws).
local util = require("child_process.util")
local move = require("child_process.compat").move

local Emitter = {}

local argcheck = util.argcheck

--- Add `fn` as a listener of `event`.
function Emitter:on(event, fn)
  argcheck(type(event) == "string", 1, "on", "event name expected, got " .. type(event))
  argcheck(type(fn) == "function", 2, "on", "function expected, got " .. type(fn))
  local events = self._events
  if not events then
    events = {}
    self._events = events
  end
  local list = events[event]
  if not list then
    list = {}
    events[event] = list
  end
  list[#list + 1] = fn
  local hook = self._on_listener
  if hook then hook(self, event, fn) end
  return self
end

--- Add `fn` for the next `event` only.
function Emitter:once(event, fn)
  argcheck(type(event) == "string", 1, "once", "event name expected, got " .. type(event))
  argcheck(type(fn) == "function", 2, "once", "function expected, got " .. type(fn))
  local function wrapper(...)
    self:off(event, wrapper)
    return fn(...)
  end
  -- Remember the original so that off(event, fn) finds the wrapper.
  local originals = self._once_of
  if not originals then
    originals = setmetatable({}, { __mode = "k" })
    self._once_of = originals
  end
  originals[wrapper] = fn
  return Emitter.on(self, event, wrapper)
end

--- Remove `fn` (or the once-wrapper around it) from `event`.
function Emitter:off(event, fn)
  argcheck(type(event) == "string", 1, "off", "event name expected, got " .. type(event))
  local list = self._events and self._events[event]
  if not list then return self end
  local originals = self._once_of
  for i = #list, 1, -1 do
    local f = list[i]
    if f == fn or (originals and originals[f] == fn) then
      table.remove(list, i)
      if #list == 0 then self._events[event] = nil end
      local hook = self._off_listener
      if hook then hook(self, event) end
      return self
    end
  end
  return self
end

--- Number of listeners of `event`.
function Emitter:listenerCount(event)
  local list = self._events and self._events[event]
  return list and #list or 0
end

--- Call every listener of `event` with the arguments; true if there was one.
--- An `error` with no listener is raised.
function Emitter:emit(event, ...)
  local list = self._events and self._events[event]
  if not list or #list == 0 then
    if event == "error" then error((...), 0) end
    return false
  end
  if #list == 1 then
    list[1](...)
    return true
  end
  -- Copy first: a listener may add or remove listeners.
  local copy = move(list, 1, #list, 1, {})
  for i = 1, #copy do copy[i](...) end
  return true
end

Emitter.addListener = Emitter.on
Emitter.removeListener = Emitter.off

return Emitter
