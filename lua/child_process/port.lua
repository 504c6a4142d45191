--- port.lua — MessagePort (cp.MessageChannel): one end of a connected pair
--- of channels.  JSON lines over a socketpair, as on the fork channel
--- (same codec, limits, ordering and backpressure), so a port handed to a
--- Node.js process as a net.Socket still speaks its wire format.
---
--- A port reads only while it has a `message` listener or was start()ed:
--- messages sent before wait in the socket (queued, as Electron queues
--- them), and travel on with the port if it is transferred.  `close` comes
--- once on each end when either end closes (a port that does not read
--- learns of its peer's close while it has a `close` listener; one that
--- reads, at the end of what it reads).  postMessage returns false
--- past 64 KiB queued; `drain` follows once the queue is written.  A port that nobody references
--- and that does not read is closed by the garbage collector (its peer gets
--- `close`).  A transferred port is neutered: using it raises.
local core = require("child_process.core")
local Emitter = require("child_process.emitter")
local util = require("child_process.util")
local compat = require("child_process.compat")

local M = {}

local Port = setmetatable({ __name = "MessagePort" }, { __index = Emitter })
Port.__index = Port
M.MessagePort = Port

local NEUTERED = "MessagePort is neutered: it was transferred to another process or port"

-- e.ports of a message that carried none: one shared empty array, which
-- cannot be written to (no table per message on the hot path).
local NO_PORTS = setmetatable({}, {
  __newindex = function() error("e.ports of a message without ports is read-only", 2) end,
  __metatable = false,
})

local function check_usable(self, fname)
  if self._neutered then error(util.where() .. fname .. ": " .. NEUTERED, 0) end
end

-- The loop is held while someone listens and the port is not unref()ed,
-- and while a close waits for its queue to be written.
local function update_ref(self)
  local ch = self._ch
  if not ch or ch:is_closed() then return end
  if self._closing or (not self._unrefd and self:listenerCount("message") > 0) then ch:ref() else ch:unref() end
end

local function finish(self)
  if self._closing then return end
  self._closing = true
  local ch = self._ch
  ch:ref()
  ch:close_when_flushed(function()
    self._closed = true
    self:emit("close")
  end)
end

local function begin(self)
  if self._reading or self._closing then return end
  self._reading = true
  if self._started_once then
    self._ch:read_start()
    return
  end
  self._started_once = true
  local transfer = require("child_process.transfer")
  -- The hot path of every message: the listener list straight from the
  -- field table, and one listener called directly.
  local fields = core.fields(self)
  self._ch:start(function(value)
    local events = fields._events
    local list = events and events.message
    if not list then return end
    if #list == 1 then list[1]({ data = value, ports = NO_PORTS })
    else self:emit("message", { data = value, ports = NO_PORTS }) end
  end, function(code, msg)
    if self:listenerCount("error") > 0 then self:emit("error", util.error(code, msg)) end
  end, function()
    finish(self)
  end, function(msg, fds)
    local data, ports = transfer.receive(msg, fds)
    if ports == nil then return end -- not a message (an ACK on a port: none expected)
    self:emit("message", { data = data, ports = ports })
  end)
end

--- Wrap a channel userdata as a MessagePort.
function M.wrap(ch)
  local self = core.object(Port)
  self._ch = ch
  ch:unref()
  -- Closes the channel when the port is collected without ever reading
  -- (once it reads, its callbacks keep it alive).
  self._guard = compat.guard(function()
    if not ch:is_closed() then ch:close() end
  end)
  return self
end

--- cp.MessageChannel() → port1, port2 (connected).
function M.MessageChannel()
  local a, b = core.channel_pair()
  if not a then error(util.where() .. "MessageChannel: " .. tostring(b), 0) end
  return M.wrap(a), M.wrap(b)
end

-- Callbacks from the channel hold the port weakly, so that they do not
-- keep it from being collected.
local function weakly(self, fn)
  local weak = setmetatable({ port = self }, { __mode = "v" })
  return function()
    local p = weak.port
    if p and not p._neutered then fn(p) end
  end
end

function Port:_on_listener(event)
  if event == "message" then
    begin(self)
    update_ref(self)
  elseif event == "close" and not self._hup then
    -- The peer's close, noticed before the port reads.  Watched only for
    -- `close` listeners: a port that is handed on, or written once and
    -- closed, never watches its socket.
    self._hup = true
    if not self._closing then self._ch:on_hangup(weakly(self, finish)) end
  elseif event == "drain" and not self._drain then
    self._drain = true
    if not self._closing then self._ch:on_drain(weakly(self, function(p) p:emit("drain") end)) end
  end
end

function Port:_off_listener(event)
  if event == "message" and self:listenerCount("message") == 0 then
    if self._reading and not self._explicit and not self._closing then
      self._reading = false
      self._ch:read_stop()
    end
    update_ref(self)
  end
end

function Port:on(event, fn)
  check_usable(self, "on")
  return Emitter.on(self, event, fn)
end

function Port:once(event, fn)
  check_usable(self, "once")
  return Emitter.once(self, event, fn)
end

--- Start delivering messages (also done by adding a `message` listener).
function Port:start()
  check_usable(self, "start")
  self._explicit = true
  begin(self)
  update_ref(self)
end

--- postMessage(value [, transfer]) → false past the high-water mark (a
--- `drain` event follows once the queue is written) or once closed (the
--- message is then dropped, as in Electron).
function Port:postMessage(value, transfer_list)
  local fields = core.fields(self) -- one lookup, not one __index per field
  if transfer_list == nil and value ~= nil and not fields._closing and not fields._neutered then
    local res, err = fields._ch:send(value)
    if res == nil then error(util.where() .. "postMessage: " .. err, 0) end
    return res
  end
  check_usable(self, "postMessage")
  if value == nil then util.argerror(1, "postMessage", "message expected, got nil") end
  local transfer = require("child_process.transfer")
  if self._closing then
    if transfer_list ~= nil then transfer.check(transfer_list, 2, "postMessage", self) end
    return false
  end
  return transfer.post(self._ch, value, transfer_list, 2, "postMessage", self)
end

--- Close this end once what it queued is written; both ends get `close`.
function Port:close()
  if self._neutered or self._closing then return end
  finish(self)
end

function Port:ref()
  self._unrefd = false
  update_ref(self)
end

function Port:unref()
  self._unrefd = true
  update_ref(self)
end

--- The fd, for transfer (transfer.lua); nil once closed.
function Port:_fd()
  if self._neutered or self._closing then return nil end
  return self._ch:fileno()
end

--- What the port has read but not delivered (a message half read, lines
--- not yet delivered, the fds that came with them): bytes, fds, or nil.
--- It travels with the port when the port is handed on.
function Port:_held()
  local ch = self._ch
  if ch:is_closed() then return nil end
  return ch:held()
end

--- Given away: write what is queued (it must reach the peer before
--- anything the new owner writes), then close our copy without `close`.
function Port:_neuter()
  self._neutered = true
  self._closing = true
  local ch = self._ch
  if not ch:is_closed() then
    ch:flush_sync()
    ch:close()
  end
end

--- Handed on with Node's protocol: neutered now, but the fd stays open
--- until the peer acknowledges it (it may have to be sent again).
function Port:_hold()
  self._neutered = true
  self._closing = true
  local ch = self._ch
  if not ch:is_closed() then
    ch:flush_sync()
    if self._reading then ch:read_stop() end
    ch:unref()
  end
end

function Port:_release()
  local ch = self._ch
  if not ch:is_closed() then ch:close() end
end

function M.is_port(v)
  if type(v) ~= "userdata" then return false end
  local ok, f = pcall(core.fields, v)
  return ok and type(f) == "table" and getmetatable(f) == Port
end

return M
