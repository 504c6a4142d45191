-- The forked children of bench/w10_cp.lua.  arg[1]:
--   pinger N / echo       round trips over the port the parent hands over
--   sender N / counter    one-way throughput over the port (after a warm-up
--                         round, as W6)
--   relay-pinger N / relay-echo   the same round trips through the parent
--   answer                each handle (a port) sent Node style gets one message
local B = require("bench.common")
local mode, N = arg[1], tonumber(arg[2])
local WARM = 200

local function report(key, value, unit)
  process.send({ key = key, value = value, unit = unit })
end

if mode == "answer" then
  -- Node style (msg, handle) or a transfer list (msg, {port})
  process.on("message", function(_, h)
    local port = h[1] or h
    port:postMessage(1)
    port:close()
  end)
elseif mode == "relay-echo" then
  process.on("message", function(m) process.send(m) end)
elseif mode == "relay-pinger" then
  local k, t0 = 0, nil
  process.on("message", function()
    k = k + 1
    if k == WARM then t0 = B.now() end
    if k < WARM + N then process.send({ i = k, text = "hello" })
    else report("rtt", (B.now() - t0) / N * 1e6, "us") end
  end)
  process.send({ i = 0, text = "hello" })
else
  process.parentPort:once("message", function(e)
    local port = e.ports[1]
    if mode == "echo" then
      port:on("message", function(ev) port:postMessage(ev.data) end)
    elseif mode == "counter" then
      local n = 0
      port:on("message", function(ev)
        if ev.data == "end" then
          port:postMessage({ count = n })
          n = 0
        else
          n = n + 1
        end
      end)
    elseif mode == "pinger" then
      local k, t0 = 0, nil
      port:on("message", function()
        k = k + 1
        if k == WARM then t0 = B.now() end
        if k < WARM + N then port:postMessage({ i = k, text = "hello" })
        else report("rtt", (B.now() - t0) / N * 1e6, "us") port:close() end
      end)
      port:postMessage({ i = 0, text = "hello" })
    else -- sender
      -- A warm-up round of WARM_N messages first (as W6 does), so that the
      -- counter's start-up (it is forked at the same time) is not timed.
      local WARM_N = 1000
      local k, total, t0 = 0, WARM_N, nil
      -- Past the high-water mark, wait for `drain`.
      local function pump()
        while k < total do
          k = k + 1
          if not port:postMessage({ i = k, text = "hello" }) then return end
        end
        if k == total then
          k = k + 1
          port:postMessage("end")
        end
      end
      port:on("message", function(ev)
        if not t0 then
          assert(ev.data.count == WARM_N, "counted " .. tostring(ev.data.count))
          k, total, t0 = 0, N, B.now()
          pump()
          return
        end
        assert(ev.data.count == N, "counted " .. tostring(ev.data.count))
        report("p2c", N / (B.now() - t0), "msg/s")
        port:close()
      end)
      port:on("drain", pump)
      pump()
    end
  end)
end
