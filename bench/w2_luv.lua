-- W2 (peer: luv): keep 16 /bin/true children in flight until N exited.
-- args: N parallel
local B = require("bench.common")
local uv = require("luv")
local N, P = B.arg(1, 4000), B.arg(2, 16)

local function batch(n)
  local started, done = 0, 0
  local one
  function one()
    started = started + 1
    local h
    h = uv.spawn("/bin/true", { args = {} }, function()
      h:close()
      done = done + 1
      if started < n then one() end
    end)
  end
  for _ = 1, math.min(P, n) do one() end
  uv.run()
  assert(done == n)
end

batch(math.min(32, N // 10))
local t0 = B.now()
batch(N)
B.result("rate", N / (B.now() - t0), "spawns/s")
