--- fdpass_driver.lua — the Lua half of fuzz/fuzz_fdpass.c: the receiving
--- side of a channel, wired as the module wires its own (a fork channel's
--- internal messages through transfer.on_internal, or a MessagePort), fed
--- by the C half with whatever bytes and fds the fuzzer makes up.
---
--- Everything that arrives (ports, streams, files) is closed at once or at
--- finish(), so that the C half can check that the fd count comes back.
--- An error event must carry a string `code` and `message`; anything raised
--- out of the loop other than by this driver is a defect (the C half aborts).
local cp = require("child_process")
local core = require("child_process.core")
local transfer = require("child_process.transfer")
local P = require("child_process.port")
local Emitter = require("child_process.emitter")

local M = {}

local rx          -- the current receiver: { kind = "chan" | "port", ... }
local keep = {}   -- what arrived and is held until finish()
local spare = {}  -- our own ends of channels made here (closed at finish)
local failure     -- the first contract violation seen

local function fail(msg)
  failure = failure or msg
end

local function check_error(e)
  if type(e) ~= "table" or type(e.code) ~= "string" or type(e.message) ~= "string" then
    fail("an error event without a string code and message: " .. tostring(e))
  end
end

-- Close whatever a message brought (a port, a stream, a file, or an array
-- of them) now or later, as the input says.
local function dispose(h, later)
  if h == nil or h == false then return end
  if type(h) == "table" and h._h == nil and not P.is_port(h) then
    for i = 1, #h do dispose(h[i], later) end
    return
  end
  if later then
    keep[#keep + 1] = h
    if P.is_port(h) then h:on("message", function() end) end -- it reads: held lines are delivered
    return
  end
  if P.is_port(h) then h:close()
  elseif io.type(h) == "file" then h:close()
  elseif type(h) == "table" and h.destroy then h:destroy()
  else fail("a handle of an unknown kind: " .. type(h)) end
end

local later_flag = false

--- warm(fd): libuv opens a /dev/null per loop with its first stream (its
--- EMFILE reserve): open it before any input is counted.
function M.warm(fd)
  core.pipe_from_fd(fd):close()
  for _ = 1, 2 do cp.run("nowait") end
end

--- open(fd, how): make the receiver around our end of the socketpair.
function M.open(fd, how)
  failure = nil
  later_flag = how % 4 == 1
  if how % 2 == 0 then
    -- a fork channel: what child_process.lua and process.lua do
    local ch = core.channel_from_fd(fd)
    local em = setmetatable({}, { __index = Emitter })
    local state = transfer.new_sender()
    rx = { kind = "chan", ch = ch, em = em, state = state }
    em:on("error", check_error)
    em:on("warning", function() end)
    ch:start(function() end, function(code, msg)
      check_error({ code = code, message = msg })
    end, function()
      transfer.abort(state)
      ch:close()
    end, function(msg, fds)
      transfer.on_internal(state, ch, em, msg, fds, function(_, h) dispose(h, later_flag) end)
    end)
  else
    local p = P.wrap(core.channel_from_fd(fd))
    rx = { kind = "port", port = p }
    p:on("error", check_error)
    p:on("message", function(e)
      if type(e.ports) ~= "table" then fail("e.ports is not a table") end
      dispose(e.ports, later_flag)
    end)
  end
end

--- step(): one turn of the loop, nothing blocking.
function M.step()
  cp.run("nowait")
end

--- send_handle(k): the receiver sends a handle of its own (so that ACKs
--- and NACKs from the fuzzer find one in flight).
function M.send_handle(k)
  if rx.kind ~= "chan" or rx.ch:is_closed() then return end
  local a, b = cp.MessageChannel()
  spare[#spare + 1] = a
  local h = b
  if k % 3 == 1 then
    h = io.open("/dev/null", "r")
    keep[#keep + 1] = h
  end
  transfer.send(rx.state, rx.ch, rx.em, { k = k }, h, nil, function(err)
    if err ~= nil then check_error(err) end
  end)
end

--- toggle(k): stop or restart reading, or hand the receiving port on
--- through another MessageChannel (what it holds must go with it).
function M.toggle(k)
  if rx.kind == "port" then
    local p = rx.port
    if p._neutered or p._closing then return end
    if k % 2 == 0 then
      local a, b = cp.MessageChannel()
      spare[#spare + 1] = a
      b:on("message", function(e)
        local np = e.ports[1]
        if P.is_port(np) and rx then
          rx.port = np
          np:on("error", check_error)
          np:on("message", function(ev) dispose(ev.ports, later_flag) end)
        else
          dispose(e.ports, false)
        end
      end)
      spare[#spare + 1] = b
      -- A port that holds more fds than one message carries cannot move:
      -- a clear error at the call, and it stays usable.
      local ok, err = pcall(a.postMessage, a, "move", { p })
      if not ok and not tostring(err):find("cannot transfer: the ports and the fds they hold", 1, true) then
        error(err, 0)
      end
    else
      p:start()
    end
  else
    local ch = rx.ch
    if ch:is_closed() then return end
    if k % 2 == 0 then ch:read_stop() else ch:read_start() end
  end
end

--- finish(): close everything; true, or false and what went wrong.
function M.finish()
  if rx.kind == "port" then
    if not rx.port._neutered then rx.port:close() end
  elseif not rx.ch:is_closed() then
    transfer.abort(rx.state)
    rx.ch:close()
  end
  for i = 1, #keep do dispose(keep[i], false) end
  for i = 1, #spare do spare[i]:close() end
  keep, spare, rx = {}, {}, nil
  for _ = 1, 4 do cp.run("nowait") end
  collectgarbage()
  collectgarbage()
  for _ = 1, 4 do cp.run("nowait") end
  return failure == nil, failure
end

return M
