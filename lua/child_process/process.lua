--- process.lua — the runtime of a forked Lua child: the global `process`
--- (Node style: process.send, process.on("message"), disconnect, exit…)
--- and `process.parentPort` (Electron style: on("message", fn(e)) with
--- e.data, postMessage), both over the channel named by NODE_CHANNEL_FD.
---
--- Messages that arrive before any `message` handler exists are queued and
--- delivered once one is registered.  The channel keeps the child alive
--- only while a `message` or `disconnect` handler is registered.
local core = require("child_process.core")
local Emitter = require("child_process.emitter")
local util = require("child_process.util")
local compat = require("child_process.compat")

local defer, mkerror = util.defer, util.error

local M = {}

--- Build `process` around the channel (nil when there is none).
function M.new(script, args)
  local ch = core.channel_open()
  local events = setmetatable({}, { __index = Emitter }) -- process's events
  local port = setmetatable({}, { __index = Emitter })   -- parentPort's events
  local queue = {}         -- messages waiting for a listener
  local qhandle, qports = {}, {} -- and what came with them (by index)
  local hstate             -- Node's handle protocol (transfer.lua), on first use
  local process = {
    pid = select(1, core.getpid()),
    ppid = select(2, core.getpid()),
    env = core.environ(),
    connected = ch ~= nil,
    parentPort = port,
  }
  local argv = { core.exepath() or compat.interpreter, script }
  compat.move(args, 1, #args, 3, argv)
  process.argv = argv

  -- process.handle (request.lua): the function that answers requests,
  -- and the requests that came before it.
  local serve, set_handler
  local held = {}

  local function message_listeners()
    return events:listenerCount("message") + port:listenerCount("message")
  end

  local NO_PORTS = {}
  local function deliver(msg, handle, ports)
    if events:listenerCount("message") > 0 then events:emit("message", msg, handle) end
    if port:listenerCount("message") > 0 then
      port:emit("message", { data = msg, ports = ports and ports ~= NO_PORTS and ports or {} })
    end
  end

  local function enqueue(msg, handle, ports)
    local n = #queue + 1
    queue[n], qhandle[n], qports[n] = msg, handle or false, ports or NO_PORTS
  end

  -- The hot path of every message: with one process.on("message") listener
  -- and nothing queued, call it directly.
  local function on_message(msg)
    if type(msg) == "table" and msg["$cp"] ~= nil then
      if serve then serve(msg) else held[#held + 1] = msg end
      return
    end
    local ev, pev = events._events, port._events
    local list = ev and ev.message
    if list and #list == 1 and #queue == 0 and not (pev and pev.message) then
      list[1](msg)
    elseif message_listeners() > 0 and #queue == 0 then
      deliver(msg)
    else
      enqueue(msg)
    end
  end

  local function flush_queue()
    while #queue > 0 and message_listeners() > 0 do
      local h, p = table.remove(qhandle, 1), table.remove(qports, 1)
      deliver(table.remove(queue, 1), h or nil, p)
    end
  end

  -- A message that carried handles: delivered in order with the others.
  local function on_handles(msg, handle, ports)
    if message_listeners() > 0 and #queue == 0 then deliver(msg, handle, ports)
    else enqueue(msg, handle, ports) end
  end

  -- The channel holds the loop open while someone listens.
  local function update_ref()
    if not ch or not process.connected then return end
    local n = message_listeners() + events:listenerCount("disconnect") + (serve and 1 or 0)
    if n > 0 then ch:ref() else ch:unref() end
  end

  local function on_listener(_, event)
    if event == "message" and #queue > 0 then defer(flush_queue) end
    update_ref()
  end
  events._on_listener, port._on_listener = on_listener, on_listener
  events._off_listener, port._off_listener = update_ref, update_ref

  local closing = false
  local function close_channel()
    if closing then return end
    closing = true
    process.connected = false
    if hstate then require("child_process.transfer").abort(hstate) end
    ch:close_when_flushed(function() events:emit("disconnect") end)
  end

  local function transfer_state()
    hstate = hstate or require("child_process.transfer").new_sender()
    return hstate
  end

  if ch then
    ch:start(on_message, function(code, msg)
      events:emit("error", mkerror(code, msg))
    end, close_channel, function(msg, fds)
      local transfer = require("child_process.transfer")
      transfer.on_internal(transfer_state(), ch, events, msg, fds, function(data, handle)
        local ports = NO_PORTS
        if type(handle) == "table" and handle._h == nil then ports = handle -- a transfer list
        elseif handle ~= nil and require("child_process.port").is_port(handle) then ports = { handle } end
        on_handles(data, handle, ports)
      end)
    end)
    ch:unref()
  end

  -- Accept both process.on(event, fn) and process:on(event, fn).
  local function method(fn)
    return function(a, ...)
      if a == process then return fn(...) end
      return fn(a, ...)
    end
  end

  local function send(msg, handle, options, cb)
    if type(handle) == "function" and options == nil and cb == nil then handle, cb = nil, handle end
    if handle == nil and options == nil and not (hstate and hstate.queue) then
      return util.channel_send(process.connected and ch or nil, events, msg, cb)
    end
    return require("child_process.transfer").send(transfer_state(), process.connected and ch or nil,
      events, msg, handle, options, cb)
  end

  -- process.send(msg [, handle] [, options] [, cb]) and process:send(…),
  -- without the vararg wrapper of method(): it runs for every message.
  process.send = function(a, b, c, d, e)
    if a == process then return send(b, c, d, e) end
    return send(a, b, c, d)
  end
  process.on = method(function(e, fn) events:on(e, fn) return process end)
  process.once = method(function(e, fn) events:once(e, fn) return process end)
  process.off = method(function(e, fn) events:off(e, fn) return process end)
  process.emit = method(function(e, ...) return events:emit(e, ...) end)
  -- Once disconnected: an `error` event ERR_IPC_DISCONNECTED, as in Node.
  process.disconnect = method(function()
    if not ch or closing or not process.connected then
      events:emit("error", mkerror("ERR_IPC_DISCONNECTED", "IPC channel is already disconnected"))
      return
    end
    if hstate and hstate.queue then -- as in Node: once the handle in flight is acknowledged
      process.connected = false
      hstate.on_drained = close_channel
      return
    end
    close_channel()
  end)
  --- exit([code]): flush pending messages, then end the process.
  process.exit = method(function(code)
    if code ~= nil and compat.mathtype(code) ~= "integer" then code = tonumber(code) or 1 end
    M.flush(ch)
    os.exit(code or process.exitCode or 0)
  end)

  -- process.handle(fn) / parentPort:handle(fn): answer requests.
  local function handle(fn)
    util.argcheck(type(fn) == "function", 1, "handle", "function expected, got " .. type(fn))
    if not serve then
      -- Replies go straight to the channel: after a disconnect they are
      -- dropped (nobody waits for them), not an `error` event.
      serve, set_handler = require("child_process.request").serve(function(m)
        if process.connected then return ch:send(m) end
        return false
      end)
    end
    set_handler(fn)
    update_ref()
    if #held > 0 then
      defer(function()
        local list = held
        held = {}
        for i = 1, #list do serve(list[i]) end
      end)
    end
  end
  process.handle = method(handle)
  function port.handle(a, ...)
    if a == port then return handle(...) end
    return handle(a, ...)
  end

  -- port:postMessage(msg [, transfer]) (also accepted: port.postMessage(msg))
  local function post(msg, list)
    if list == nil then return send(msg) end
    local transfer = require("child_process.transfer")
    if not process.connected then
      transfer.check(list, 2, "postMessage")
      return util.channel_send(nil, events, msg)
    end
    return transfer.post(ch, msg, list, 2, "postMessage")
  end
  function port.postMessage(a, b, c)
    if a == port then return post(b, c) end
    return post(a, b)
  end

  return process, ch
end

--- Write whatever is still queued on the channel (before exiting).
function M.flush(ch)
  -- Batches held for the end of the loop pass, on ports too (written as
  -- far as their sockets take them now); then the parent channel, blocking.
  core.ipc_flush_deferred()
  if ch and not ch:is_closed() then ch:flush_sync() end
  io.stdout:flush()
  io.stderr:flush()
end

return M
