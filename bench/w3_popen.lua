-- W3 (peer: plain Lua): io.popen("echo hello"):read("a") N times.  args: N
local B = require("bench.common")
local N = B.arg(1, 500)
local function run()
  local f = io.popen("echo hello")
  local out = f:read("a")
  f:close()
  assert(out == "hello\n")
end
for _ = 1, 10 do run() end
local t0 = B.now()
for _ = 1, N do run() end
B.result("rate", N / (B.now() - t0), "runs/s")
