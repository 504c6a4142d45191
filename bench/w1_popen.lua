-- W1 (peer: plain Lua): os.execute("/bin/true") N times (through /bin/sh,
-- which is all os.execute can do).  args: N
local B = require("bench.common")
local N = B.arg(1, 2000)
for _ = 1, math.min(20, N // 10) do os.execute("/bin/true") end
local t0 = B.now()
for _ = 1, N do os.execute("/bin/true") end
B.result("rate", N / (B.now() - t0), "spawns/s")
