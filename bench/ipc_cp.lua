-- W5 / W6 / W7 (this module): the parent side, over cp.fork and
-- bench/ipc_child_cp.lua.  args: w5|w6|w7 N
--   w5  round trips of {i,text} to an echoing child  → µs per round trip
--   w6  N messages parent→child (child replies the count), then N
--       child→parent                                 → messages/s each way
--   w7  N sequential forks: fork() → first message "ready"  → ms; child RSS
local B = require("bench.common")
local cp = require("child_process")
local W, N = B.arg(1, "w5"), B.arg(2, 20000)
local CHILD = "bench/ipc_child_cp.lua"
local now = B.now

if W == "w5" then
  local WARM = 200
  local child = cp.fork(CHILD, { "echo" })
  local k, t0, t1, c0, c1 = 0, nil, nil, nil, nil
  child:on("message", function()
    k = k + 1
    if k == WARM then c0 = B.cpu_ns(child.pid) t0 = now() end
    if k < WARM + N then
      child:send({ i = k, text = "hello" })
    else
      t1 = now()
      c1 = B.cpu_ns(child.pid)
      child:disconnect()
    end
  end)
  child:send({ i = 0, text = "hello" })
  cp.run()
  B.result("rtt", (t1 - t0) / N * 1e6, "us")
  B.result("cpu", (c1 - c0) / N / 1e3, "us")
elseif W == "w6" then
  local child = cp.fork(CHILD, { "count" })
  local phase, k, got, t0 = "warm", 0, 0, nil
  local function pump(total)
    while k < total do
      k = k + 1
      if not child:send({ i = k, text = "hello" }) then
        if k < total then
          k = k + 1
          child:send({ i = k, text = "hello" }, function() pump(total) end)
          return
        end
        break
      end
    end
    if k == total then
      k = k + 1
      child:send({ cmd = "end" })
    end
  end
  child:on("message", function(m)
    if m.count then
      if phase == "warm" then
        phase, k, t0 = "p2c", 0, now()
        pump(N)
      else
        assert(m.count == N, "child counted " .. tostring(m.count))
        B.result("p2c", N / (now() - t0), "msg/s")
        phase, got, t0 = "c2p", 0, now()
        child:send({ cmd = "send", n = N })
      end
    else
      got = got + 1
      if got == N then
        B.result("c2p", N / (now() - t0), "msg/s")
        child:disconnect()
      end
    end
  end)
  pump(1000)
  cp.run()
else -- w7
  local j, sum_ms, sum_rss = 0, 0, 0
  local function one()
    j = j + 1
    local t0 = now()
    local child = cp.fork(CHILD, { "ready" })
    child:on("message", function()
      local ms = (now() - t0) * 1000
      local rss = B.status_kib("VmRSS", child.pid)
      if j > 1 then -- the first one warms the page cache
        sum_ms, sum_rss = sum_ms + ms, sum_rss + rss
      end
      child:disconnect()
    end)
    child:on("close", function() if j <= N then one() end end)
  end
  one()
  cp.run()
  B.result("ms", sum_ms / N, "ms")
  B.result("rss", sum_rss / N / 1024, "MiB")
end
