--- transfer.lua — handing ports, streams, files and fds to the process at
--- the other end of a channel (a fork channel or a MessagePort):
---
---  * Electron-style transfer lists, postMessage(value, {port, …}): one
---    internal line {cmd = "NODE_LUA_TRANSFER", msg = value, handles =
---    {"port", …}} whose fds travel in the same sendmsg.  The ports are
---    neutered at once.
---  * Node-style send(msg, handle [, options] [, cb]): Node's own protocol
---    (lib/internal/child_process.js): {cmd = "NODE_HANDLE", type =
---    "net.Socket" | "net.Native", msg = msg} with the fd, answered by
---    NODE_HANDLE_ACK (or NODE_HANDLE_NACK when the fd did not arrive: sent
---    again, up to 3 times).  One handle is in flight at a time; whatever is
---    sent meanwhile, with a handle or without, queues behind it.  The
---    sender's handle is closed once acknowledged (a port is neutered at
---    once; a stream unless options.keepOpen; a file or an integer fd is
---    the caller's, and stays open).  A `lua` field says what the handle was
---    so that a Lua receiver rebuilds a port as a port.
---
--- On arrival an fd becomes a MessagePort (it was sent as one), a duplex
--- stream (a socket or a pipe), or, for anything the loop cannot watch (a
--- regular file, a tty…), a Lua file (io library) in blocking mode.  Fds that
--- nobody picks up are closed by the garbage collector or with the channel.
local core = require("child_process.core")
local util = require("child_process.util")
local stream = require("child_process.stream")
local P = require("child_process.port")
local compat = require("child_process.compat")
local math = compat.math

local argerror, mkerror = util.argerror, util.error

local M = {}

M.MAX_FDS = 253 -- the kernel's SCM_MAX_FD
local TRANSFER = "NODE_LUA_TRANSFER"
local MAX_RETRANSMISSIONS = 3

---------------------------------------------------------------------------
-- Arrival
---------------------------------------------------------------------------

--- A duplex stream of this module around a socket or pipe fd: the
--- Readable of stream.lua (data/end/close/error, pause/resume, write,
--- destroy) with close() and fileno().
function M.duplex(h)
  local s = stream.readable(h)
  local fd = h:fileno()
  s.fileno = function() return fd end
  --- close([cb]): write what is queued, then close.
  s.close = function(self, cb)
    if self._ended then
      if cb then util.defer(cb) end
      return self
    end
    h:shutdown(function()
      self:destroy()
      if cb then cb() end
    end)
    return self
  end
  s["end"] = s.close
  -- Collected without ever being read: close the fd.
  s._guard = compat.guard(function()
    if not h:is_closed() then h:close() end
  end)
  return s
end

local function close_fds(fds, from)
  for i = from or 1, fds and #fds or 0 do core.fd_close(fds[i]) end
end

--- Make what `kind` says of a received fd.  `held` ({data = base64,
--- nfds = n}) is what a port had read but not delivered when it was handed
--- on: its bytes and the n fds of `extra` from `at` go ahead of whatever
--- is in the socket.  Returns the object and the next index into `extra`.
function M.wrap_fd(kind, fd, held, extra, at)
  local fkind = core.fd_kind(fd)
  at = at or 1
  if kind == "port" and fkind == "socket" then
    local ch = core.channel_from_fd(fd)
    if type(held) == "table" then
      local n = math.tointeger and math.tointeger(held.nfds) or held.nfds
      local bytes = type(held.data) == "string" and core.b64decode(held.data)
      local avail = extra and #extra - at + 1 or 0
      if bytes and type(n) == "number" and n >= 0 and n == math.floor(n) then
        -- Fewer fds than announced when the kernel dropped some (EMFILE):
        -- the bytes still go first, and the lines take what did arrive.
        if n > avail then n = avail end
        local take = {}
        for i = 1, n do take[i] = extra[at + i - 1] end
        ch:preload(bytes, take)
        at = at + n
      end
    end
    return P.wrap(ch), at
  end
  if fkind == "socket" or fkind == "fifo" then return M.duplex(core.pipe_from_fd(fd)), at end
  return core.fd_to_file(fd), at
end

--- A NODE_LUA_TRANSFER message → data, ports (nil, nil for anything else;
--- its fds are closed).  handles[i] says what fds[i] is: "port", or
--- "held" for the fds that ports brought along (see held()), which follow
--- the ports; msg.held[i] is what port i brought.
function M.receive(msg, fds)
  if msg.cmd ~= TRANSFER or type(msg.handles) ~= "table" then
    close_fds(fds)
    return nil, nil
  end
  local ports, handles, n = {}, msg.handles, fds and #fds or 0
  local held = msg.held
  if type(held) ~= "table" then held = nil end
  local extra, nports = nil, 0
  for i = 1, n do
    if handles[i] == "held" then
      extra = extra or {}
      extra[#extra + 1] = fds[i]
    else
      nports = i
    end
  end
  local at = 1
  for i = 1, nports do
    if handles[i] == "held" then
      ports[i] = false -- a malformed message: held fds among the ports
    else
      ports[i], at = M.wrap_fd(handles[i], fds[i], held and held[i], extra, at)
    end
  end
  close_fds(extra, at) -- held fds that no port took
  return msg.msg, ports
end

-- What the ports of `list` (from 1 to count) hold: msg.held and the kinds
-- and fds to append (nil when none holds anything).
local function collect_held(list, count, kinds, fds)
  local held
  for i = 1, count do
    local bytes, hfds = list[i]:_held()
    if bytes then
      held = held or {}
      held[i] = { data = core.b64encode(bytes), nfds = #hfds }
      for j = 1, #hfds do
        kinds[#kinds + 1] = "held"
        fds[#fds + 1] = hfds[j]
      end
    end
  end
  if held then
    for i = 1, count do held[i] = held[i] or false end
  end
  return held
end

---------------------------------------------------------------------------
-- Transfer lists (Electron)
---------------------------------------------------------------------------

--- Check a transfer list: MessagePorts, usable, each once, not `self_port`.
function M.check(list, n, fname, self_port)
  if type(list) ~= "table" then
    argerror(n, fname, "transfer list must be a table, got " .. type(list))
  end
  local count = #list
  if count > M.MAX_FDS then
    argerror(n, fname, ("transfer list holds %d ports; at most %d fit in one message"):format(count, M.MAX_FDS))
  end
  local seen = {}
  for i = 1, count do
    local p = list[i]
    if not P.is_port(p) then
      argerror(n, fname, ("transfer[%d] must be a MessagePort, got %s"):format(i, type(p)))
    end
    if p == self_port then argerror(n, fname, ("transfer[%d] is the port being posted on"):format(i)) end
    if p._neutered then
      argerror(n, fname, ("transfer[%d] is neutered (it was already transferred)"):format(i))
    end
    if p._closing then argerror(n, fname, ("transfer[%d] is a closed port"):format(i)) end
    if seen[p] then argerror(n, fname, ("transfer[%d] is listed twice"):format(i)) end
    seen[p] = true
  end
  return count
end

local function encode_check(fname, value)
  local ok, err = pcall(core.json.encode, value)
  if not ok then error(util.where() .. fname .. ": " .. tostring(err):gsub("^[^:]*:%d+: ", ""), 0) end
end

--- postMessage(value, transfer) on channel `ch` → below the high-water mark.
function M.post(ch, value, list, n, fname, self_port, cb)
  local count = list ~= nil and M.check(list, n, fname, self_port) or 0
  if count == 0 then
    local res, err = ch:send(value, cb)
    if res == nil then error(util.where() .. fname .. ": " .. err, 0) end
    return res
  end
  encode_check(fname, value)
  local fds, kinds = {}, {}
  for i = 1, count do
    fds[i] = list[i]:_fd()
    kinds[i] = "port"
  end
  local held = collect_held(list, count, kinds, fds)
  if #fds > M.MAX_FDS then
    -- Ports that received fds they have not delivered yet: those fds go
    -- with them, and all must fit in one sendmsg.  Nothing was sent.
    error(util.where() .. fname .. (": cannot transfer: the ports and the fds they hold but have not delivered"
      .. " come to %d; at most %d fit in one message"):format(#fds, M.MAX_FDS), 0)
  end
  local res, err = ch:send({ cmd = TRANSFER, msg = value, handles = kinds, held = held }, cb, fds)
  if res == false and err then
    -- The fds could not be duplicated (EMFILE…): nothing was sent.
    error(util.where() .. fname .. ": cannot transfer: " .. err, 0)
  end
  for i = 1, count do list[i]:_neuter() end
  return res
end

---------------------------------------------------------------------------
-- Node's send(msg, handle)
---------------------------------------------------------------------------

--- What a handle is: kind, fd, the Node type, and what to do once the peer
--- has it.  Raises `bad argument` for anything else.
local function describe(handle, n, fname)
  if P.is_port(handle) then
    if handle._neutered then argerror(n, fname, "handle is a neutered MessagePort (it was already transferred)") end
    if handle._closing then argerror(n, fname, "handle is a closed MessagePort") end
    local _, hfds = handle:_held()
    if hfds and #hfds >= M.MAX_FDS then
      error(util.where() .. fname .. (": cannot send: the port holds %d fds it has not delivered;"
        .. " at most %d go with it"):format(#hfds, M.MAX_FDS - 1), 0)
    end
    return "port", handle:_fd(), "net.Socket"
  end
  if math.type(handle) == "integer" then
    if handle < 0 or not core.fd_valid(handle) then argerror(n, fname, "handle: fd " .. handle .. " is not open") end
    return "fd", handle, "net.Native"
  end
  if io.type(handle) == "file" then return "file", core.file_fd(handle), "net.Native" end
  if io.type(handle) == "closed file" then argerror(n, fname, "handle is a closed file") end
  if type(handle) == "table" and handle._h and (handle.emit ~= nil) then
    if handle._ended or handle._closed or handle._h:is_closed() then argerror(n, fname, "handle is a closed stream") end
    return "stream", handle._h:fileno(), "net.Socket"
  end
  argerror(n, fname, "handle must be a MessagePort, a stream, a file or an fd, got " .. type(handle))
end

--- The state of one channel's end: the handle in flight and the queue.
function M.new_sender()
  return { queue = nil, pending = nil }
end

local send

-- The peer has the handle (ACK), or gave up on it: close what was sent.
local function release(p)
  if p.released then return end
  p.released = true
  local h = p.handle
  if p.kind == "port" then
    h:_release()
  elseif p.kind == "stream" and not (p.options and p.options.keepOpen) then
    h:destroy()
  end
end

local function write_handle(state, ch, emitter, p)
  local m, fds = { cmd = "NODE_HANDLE", type = p.type, msg = p.msg, lua = p.kind }, { p.fd }
  if p.kind == "port" then
    -- What the port read but did not deliver goes with it (a Lua peer
    -- takes it; a Node peer, which reads the socket itself, cannot).
    local bytes, hfds = p.handle:_held()
    if bytes then -- (describe() checked that its fds fit)
      m.held = { data = core.b64encode(bytes), nfds = #hfds }
      m.handles = {}
      for j = 1, #hfds do
        m.handles[j] = "held"
        fds[j + 1] = hfds[j]
      end
    end
  end
  local res, err = ch:send(m, p.wrapped, fds)
  if res == false and err then
    -- Not sent (the fd could not be duplicated): the callback or `error`.
    local e = mkerror(err, "send: " .. err)
    util.defer(function() if p.cb then p.cb(e) else emitter:emit("error", e) end end)
    release(p)
    return false
  end
  state.pending = p
  state.queue = state.queue or {}
  return res
end

-- One send on the channel: queued behind a handle in flight.
send = function(state, ch, emitter, msg, handle, options, cb, n, fname)
  if state.queue then
    if handle ~= nil then
      local kind, fd, ntype = describe(handle, n, fname)
      encode_check(fname, msg)
      if kind == "port" then handle:_hold() end
      if kind == "stream" and not (options and options.keepOpen) then handle:pause() end
      state.queue[#state.queue + 1] = { msg = msg, handle = handle, kind = kind, fd = fd, type = ntype,
        options = options, cb = cb }
    else
      encode_check(fname, msg)
      state.queue[#state.queue + 1] = { msg = msg, cb = cb }
    end
    return true
  end
  if handle == nil then return util.channel_send(ch, emitter, msg, cb) end
  local kind, fd, ntype = describe(handle, n, fname)
  encode_check(fname, msg)
  local p = { msg = msg, handle = handle, kind = kind, fd = fd, type = ntype, options = options, cb = cb,
    retransmissions = 0 }
  if kind == "port" then handle:_hold() end
  if kind == "stream" and not (options and options.keepOpen) then handle:pause() end
  p.wrapped = cb and function(code)
    cb(code and mkerror(code, code == "ERR_IPC_CHANNEL_CLOSED" and "Channel closed" or code) or nil)
  end
  return write_handle(state, ch, emitter, p)
end

--- send(msg [, handle] [, options] [, cb]) on the channel `ch` (nil once
--- closed): Node's argument shuffling, then send or queue.
function M.send(state, ch, emitter, msg, handle, options, cb)
  if type(handle) == "function" then
    handle, options, cb = nil, nil, handle
  elseif type(options) == "function" then
    options, cb = nil, options
  end
  if options ~= nil and type(options) ~= "table" then
    argerror(3, "send", "options must be a table, got " .. type(options))
  end
  if cb ~= nil and type(cb) ~= "function" then argerror(4, "send", "function expected, got " .. type(cb)) end
  if msg == nil then argerror(1, "send", "message expected, got nil") end
  if not ch then
    if handle ~= nil then describe(handle, 2, "send") end
    return util.channel_send(nil, emitter, msg, cb)
  end
  return send(state, ch, emitter, msg, handle, options, cb, 2, "send")
end

--- NODE_HANDLE_ACK / NODE_HANDLE_NACK from the peer: release or resend
--- the handle in flight, then send what queued behind it.
function M.on_ack(state, ch, emitter, nack)
  local p = state.pending
  if p then
    if not nack then
      state.pending = nil
      release(p)
    elseif p.retransmissions >= MAX_RETRANSMISSIONS then
      state.pending = nil
      release(p)
      -- Node's process warning: a `warning` event here, or stderr.
      local w = mkerror("SentHandleNotReceivedWarning", "Handle did not reach the receiving process correctly")
      if emitter:listenerCount("warning") > 0 then emitter:emit("warning", w)
      else io.stderr:write("(child_process) SentHandleNotReceivedWarning: ", w.message, "\n") end
    end
  end
  local queue = state.queue
  state.queue = nil
  if not queue then return end
  if state.pending then -- a NACK: the same handle again, first
    local again = state.pending
    state.pending = nil
    again.retransmissions = again.retransmissions + 1
    write_handle(state, ch, emitter, again)
  end
  for i = 1, #queue do
    local q = queue[i]
    if state.queue then
      state.queue[#state.queue + 1] = q
    elseif q.handle ~= nil then
      q.retransmissions = 0
      q.wrapped = q.cb and function(code)
        q.cb(code and mkerror(code, code == "ERR_IPC_CHANNEL_CLOSED" and "Channel closed" or code) or nil)
      end
      write_handle(state, ch, emitter, q)
    else
      util.channel_send(ch, emitter, q.msg, q.cb)
    end
  end
  if not state.queue and state.on_drained then
    local f = state.on_drained
    state.on_drained = nil
    f()
  end
end

--- The channel closed: release the handle in flight and everything queued
--- (their callbacks get ERR_IPC_CHANNEL_CLOSED).
function M.abort(state)
  local p, queue = state.pending, state.queue
  state.pending, state.queue = nil, nil
  if p then release(p) end
  for i = 1, queue and #queue or 0 do
    local q = queue[i]
    if q.handle ~= nil then release(q) end
    if q.cb then
      local cb = q.cb
      util.defer(cb, mkerror("ERR_IPC_CHANNEL_CLOSED", "Channel closed"))
    end
  end
end

--- An internal message from the peer.  deliver(data, handle) gets a
--- message that carried handles: the one handle of a NODE_HANDLE, or the
--- array of a transfer list.
function M.on_internal(state, ch, emitter, msg, fds, deliver)
  local cmd = msg.cmd
  if cmd == "NODE_HANDLE_ACK" or cmd == "NODE_HANDLE_NACK" then
    close_fds(fds)
    M.on_ack(state, ch, emitter, cmd == "NODE_HANDLE_NACK")
  elseif cmd == "NODE_HANDLE" then
    local fd = fds and fds[1]
    if not fd then
      ch:send({ cmd = "NODE_HANDLE_NACK" })
      return
    end
    ch:send({ cmd = "NODE_HANDLE_ACK" })
    local extra = {}
    for i = 2, #fds do extra[i - 1] = fds[i] end
    local h, at = M.wrap_fd(msg.lua, fd, msg.held, extra, 1)
    close_fds(extra, at)
    deliver(msg.msg, h)
  elseif cmd == TRANSFER then
    local data, ports = M.receive(msg, fds)
    deliver(data, ports)
  else
    close_fds(fds)
  end
end

return M
