-- W11c (this module): N times, cp.pool of 2 created → both workers ready
-- (start_ms), then a task that makes its worker exit → the replacement
-- ready (crash_ms).  The first round warms the page cache and is not
-- counted.  "Ready": the worker's handler is in place (its "ready"
-- envelope arrived), i.e. it takes tasks.  args: N.  Also the CPU time
-- (all threads, /proc/<pid>/task/*/schedstat) that each took: the
-- parent's, plus the workers' own until they were ready (start_cpu), or
-- the replacement's (crash_cpu).
local B = require("bench.common")
local cp = require("child_process")
local N = B.arg(1, 20)
local WORKER = "bench/w11c_worker_cp.lua"

-- Run the loop until `pred()` holds.  (An idle pool does not hold the
-- loop: a timer does meanwhile, as a program's other work would.)
local core = require("child_process.core")
local function until_(pred)
  local hold = core.timer()
  hold:start(60000, 0, function() error("W11c: nothing happened for 60 s") end)
  while not pred() do cp.run("once") end
  hold:close()
end

local function ready_count(pool, not_pid)
  local k = 0
  for _, w in ipairs(pool._workers) do
    if w.ready and not w.dead and w.pid ~= not_pid then k = k + 1 end
  end
  return k
end

local bclock = require("bclock") -- (on package.cpath once bench.common is loaded)
local start_ms, crash_ms, start_cpu, crash_cpu = 0, 0, 0, 0
for round = 0, N do
  local p0 = bclock.cpu_ns()
  local t0 = B.now()
  local pool = cp.pool(WORKER, { size = 2 })
  until_(function() return ready_count(pool) == 2 end)
  local t1 = B.now()
  local p1 = bclock.cpu_ns()
  local cpu_start = p1 - p0
  local before = {}
  for _, w in ipairs(pool._workers) do
    cpu_start = cpu_start + bclock.cpu_ns(w.pid)
    before[w.pid] = true
  end
  local victim
  local job = pool:run("crash", function() end)
  -- (the task goes to the first worker: that one exits)
  victim = pool._workers[1].pid
  local failed
  job:wait() -- returns once the worker's exit failed it
  failed = job.err and job.err.code
  assert(failed == "ERR_WORKER_EXITED", tostring(failed))
  until_(function() return ready_count(pool, victim) == 2 end)
  local t2 = B.now()
  local cpu_crash = bclock.cpu_ns() - p1
  for _, w in ipairs(pool._workers) do
    if not before[w.pid] then cpu_crash = cpu_crash + bclock.cpu_ns(w.pid) end -- the replacement
  end
  pool:terminate()
  cp.run()
  if round > 0 then
    start_ms = start_ms + (t1 - t0) * 1000
    crash_ms = crash_ms + (t2 - t1) * 1000
    start_cpu, crash_cpu = start_cpu + cpu_start, crash_cpu + cpu_crash
  end
end
B.result("start_ms", start_ms / N, "ms")
B.result("crash_ms", crash_ms / N, "ms")
B.result("start_cpu", start_cpu / N / 1e6, "ms")
B.result("crash_cpu", crash_cpu / N / 1e6, "ms")
