-- W5 / W6 / W7 (peer: Lua + luv + lua-cjson): the parent side, spawning
-- `lua5.4 bench/ipc_child_luv.lua` with a uv pipe on fd 3, newline-
-- delimited JSON.  args: w5|w6|w7 N (as ipc_cp.lua)
local B = require("bench.common")
package.path = "bench/?.lua;" .. package.path
local uv = require("luv")
local ipc = require("ipc_luv")
local W, N = B.arg(1, "w5"), B.arg(2, 20000)
local now = B.now
local LUA = arg[-1] or "lua5.4"

local function fork(mode)
  local pipe = uv.new_pipe(false)
  local c = { closed = false }
  local h, pid
  h, pid = uv.spawn(LUA, { args = { "bench/ipc_child_luv.lua", mode }, stdio = { 0, 1, 2, pipe } },
    function() h:close() c.exited = true if c.on_close and c.eof then c.on_close() end end)
  c.pid = pid
  c.ch = ipc.channel(pipe)
  function c.start(on_message)
    c.ch.start(on_message, function()
      c.ch.close()
      c.eof = true
      if c.exited and c.on_close then c.on_close() end
    end)
  end
  function c.disconnect() c.ch.close() c.eof = true end
  return c
end

if W == "w5" then
  local WARM = 200
  local child = fork("echo")
  local send = child.ch.send
  local k, t0, t1, c0, c1 = 0, nil, nil, nil, nil
  child.start(function()
    k = k + 1
    if k == WARM then c0 = B.cpu_ns(child.pid) t0 = now() end
    if k < WARM + N then
      send({ i = k, text = "hello" })
    else
      t1 = now()
      c1 = B.cpu_ns(child.pid)
      child.disconnect()
    end
  end)
  send({ i = 0, text = "hello" })
  uv.run()
  B.result("rtt", (t1 - t0) / N * 1e6, "us")
  B.result("cpu", (c1 - c0) / N / 1e3, "us")
elseif W == "w6" then
  local child = fork("count")
  local send = child.ch.send
  local phase, k, got, t0 = "warm", 0, 0, nil
  local function pump(total)
    while k < total do
      k = k + 1
      if not send({ i = k, text = "hello" }) then
        if k < total then
          k = k + 1
          send({ i = k, text = "hello" }, function() pump(total) end)
          return
        end
        break
      end
    end
    if k == total then
      k = k + 1
      send({ cmd = "end" })
    end
  end
  child.start(function(m)
    if m.count then
      if phase == "warm" then
        phase, k, t0 = "p2c", 0, now()
        pump(N)
      else
        assert(m.count == N, "child counted " .. tostring(m.count))
        B.result("p2c", N / (now() - t0), "msg/s")
        phase, got, t0 = "c2p", 0, now()
        send({ cmd = "send", n = N })
      end
    else
      got = got + 1
      if got == N then
        B.result("c2p", N / (now() - t0), "msg/s")
        child.disconnect()
      end
    end
  end)
  pump(1000)
  uv.run()
else
  local j, sum_ms, sum_rss = 0, 0, 0
  local function one()
    j = j + 1
    local t0 = now()
    local child = fork("ready")
    child.on_close = function() if j <= N then one() end end
    child.start(function()
      local ms = (now() - t0) * 1000
      local rss = B.status_kib("VmRSS", child.pid)
      if j > 1 then sum_ms, sum_rss = sum_ms + ms, sum_rss + rss end
      child.disconnect()
    end)
  end
  one()
  uv.run()
  B.result("ms", sum_ms / N, "ms")
  B.result("rss", sum_rss / N / 1024, "MiB")
end
