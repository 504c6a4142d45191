-- W11 (this module): N tiny tasks n -> n*2 through cp.pool of 2 workers,
-- one pool:run per task.  args: N.  Prints RESULT rate (tasks/s, pool
-- start excluded) and RESULT cpu (µs of CPU per task, parent + workers).
local B = require("bench.common")
local cp = require("child_process")
local N = B.arg(1, 100000)

local pool = cp.pool("bench/w11_worker_cp.lua", { size = 2 })
-- Warm up: both workers ready.
local warm = pool:map({ 1, 2, 3, 4 })
assert(select(2, warm:wait())[4] == 8)
local pids = {}
for _, w in ipairs(pool._workers) do pids[#pids + 1] = w.pid end
local bclock = require("bclock") -- (on package.cpath once bench.common is loaded)
local function cpu() return bclock.cpu_ns() + bclock.cpu_ns(pids[1]) + bclock.cpu_ns(pids[2]) end
local c0 = cpu()
local t0 = B.now()
local done, bad = 0, 0
for i = 1, N do
  pool:run(i, function(err, r)
    if err or r ~= i * 2 then bad = bad + 1 end
    done = done + 1
  end)
end
while done < N do cp.run("once") end
local t1 = B.now()
local c1 = cpu()
assert(bad == 0, bad .. " wrong results")
pool:close()
cp.run()
B.result("rate", N / (t1 - t0), "tasks/s")
B.result("cpu", (c1 - c0) / N / 1e3, "us")
