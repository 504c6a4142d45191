-- W11b (this module): pool:map over N numbers (n -> n*2) on a pool of 2
-- workers (bench/w11_worker_cp.lua).  args: N.  Prints RESULT rate
-- (items/s; pool start and building the list excluded) and RESULT cpu
-- (µs of CPU per item, parent + workers).
local B = require("bench.common")
local cp = require("child_process")
local N = B.arg(1, 1000000)

local pool = cp.pool("bench/w11_worker_cp.lua", { size = 2 })
local warm = pool:map({ 1, 2, 3, 4 })
assert(select(2, warm:wait())[4] == 8)
local pids = {}
for _, w in ipairs(pool._workers) do pids[#pids + 1] = w.pid end
local bclock = require("bclock")
local function cpu() return bclock.cpu_ns() + bclock.cpu_ns(pids[1]) + bclock.cpu_ns(pids[2]) end
local xs = {}
for i = 1, N do xs[i] = i end
local c0 = cpu()
local t0 = B.now()
local err, res = pool:map(xs):wait()
local t1 = B.now()
local c1 = cpu()
assert(err == nil, tostring(err))
assert(#res == N, "got " .. #res .. " results")
for i = 1, N do
  if res[i] ~= 2 * i then error("wrong result at " .. i .. ": " .. tostring(res[i])) end
end
pool:close()
cp.run()
B.result("rate", N / (t1 - t0), "items/s")
B.result("cpu", (c1 - c0) / N / 1e3, "us")
