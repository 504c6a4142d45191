-- W1 / W1b / W13 (this module): spawn /bin/true N times one after
-- another, waiting for `close` each time.  args: N stdio(ignore|pipe)
-- heapMiB idle [die]: `idle` children kept alive meanwhile (W13); "die":
-- with dieWithParent, which spawns through process.c's clone path.
local B = require("bench.common")
local cp = require("child_process")
local N, mode, heap, idle, die = B.arg(1, 2000), B.arg(2, "ignore"), B.arg(3, 0), B.arg(4, 0), B.arg(5, "")
if heap > 0 then B.grow_heap(heap) end
local sleepers = {}
for i = 1, idle do
  sleepers[i] = cp.spawn("sleep", { "1000" }, { stdio = "ignore" })
  sleepers[i]:unref() -- cp.run() in batch() returns while they live
end
local opts = mode == "ignore" and { stdio = "ignore" } or {}
if die == "die" then opts.dieWithParent = true end

local function batch(n)
  local done = 0
  local function one()
    local c = cp.spawn("/bin/true", {}, opts)
    c:on("close", function()
      done = done + 1
      if done < n then one() end
    end)
  end
  one()
  cp.run()
  assert(done == n)
end

batch(math.min(20, N // 10)) -- warm-up
local t0 = B.now()
batch(N)
local dt = B.now() - t0
B.result("rate", N / dt, "spawns/s")
for i = 1, idle do sleepers[i]:kill("SIGKILL") end
cp.run()
B.result("hwm", B.hwm() / 1024, "MiB")
