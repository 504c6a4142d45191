-- W11d (this module): request/response round trips on one forked worker,
-- child:request({i=n,text="hello"}, cb) answered by process.handle, one
-- after another (as W5 over send / "message").  args: N.  Prints RESULT
-- rtt (µs per round trip) and RESULT cpu (µs of CPU of both processes per
-- round trip).
local B = require("bench.common")
local cp = require("child_process")
local N = B.arg(1, 20000)
local WARM = 200

local child = cp.fork("bench/w11d_child_cp.lua")
local k, t0, t1, c0, c1 = 0, nil, nil, nil, nil
local function on_reply(err, r)
  if err or r.i ~= k then error("bad reply " .. tostring(err)) end
  k = k + 1
  if k == WARM then c0 = B.cpu_ns(child.pid) t0 = B.now() end
  if k < WARM + N then
    child:request({ i = k, text = "hello" }, on_reply)
  else
    t1 = B.now()
    c1 = B.cpu_ns(child.pid)
    child:disconnect()
  end
end
child:request({ i = 0, text = "hello" }, on_reply)
cp.run()
B.result("rtt", (t1 - t0) / N * 1e6, "us")
B.result("cpu", (c1 - c0) / N / 1e3, "us")
