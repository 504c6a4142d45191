-- W12 (this module): one {"data": <MiB of "x">} message parent → child and
-- back, REPS times, over cp.fork and bench/w12_child_cp.lua.
-- args: MiB [REPS]
--   → ms per round trip (median), and the peak RSS (VmHWM) of the parent
--     and of the child, read from /proc while the child still runs.
local B = require("bench.common")
local cp = require("child_process")
local MIB, REPS = B.arg(1, 32), B.arg(2, 3)
local now = B.now

local msg = { data = string.rep("x", MIB * 1024 * 1024) }
local child = cp.fork("bench/w12_child_cp.lua")
local times, k, t0, child_hwm = {}, 0, nil, nil
child:on("message", function(m)
  if m == "ready" then
    t0 = now()
    child:send(msg)
    return
  end
  assert(#m.data == #msg.data, "the echo came back short")
  k = k + 1
  times[k] = (now() - t0) * 1000
  m = nil -- luacheck: ignore (drop the reference before the next round)
  if k < REPS then
    t0 = now()
    child:send(msg)
  else
    child_hwm = B.status_kib("VmHWM", child.pid)
    child:disconnect()
  end
end)
cp.run()
table.sort(times)
B.result("ms", times[(#times + 1) // 2], "ms")
B.result("hwm", B.hwm() / 1024, "MiB")
B.result("child_hwm", child_hwm / 1024, "MiB")
