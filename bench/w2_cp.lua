-- W2 (this module): keep 16 /bin/true children in flight until N closed.
-- args: N parallel
local B = require("bench.common")
local cp = require("child_process")
local N, P = B.arg(1, 4000), B.arg(2, 16)
local opts = { stdio = "ignore" }

local function batch(n)
  local started, done = 0, 0
  local one
  local function on_close()
    done = done + 1
    if started < n then one() end
  end
  function one()
    started = started + 1
    cp.spawn("/bin/true", {}, opts):on("close", on_close)
  end
  for _ = 1, math.min(P, n) do one() end
  cp.run()
  assert(done == n)
end

batch(math.min(32, N // 10))
local t0 = B.now()
batch(N)
B.result("rate", N / (B.now() - t0), "spawns/s")
