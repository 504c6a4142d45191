--- bench/run.lua — `make bench` (and `make bench QUICK=1`): run every
--- workload of BENCH.md on this module and on its peers in one run,
--- alternating implementations (A B C, B C A, …), each measurement in its
--- own process, and print one markdown table of medians and ratios.
---
---   lua5.4 bench/run.lua [--quick] [--reps N] [--only W1,W5,...]
---
--- Run from the repository root after `make`.  Every script prints
--- `RESULT <key> <value> <unit>` lines; this file takes the median per key
--- over the repetitions.  The table goes to stdout and to bench/results.md
--- (a --quick run writes bench/results-quick.md, and bench/results.md only
--- when that file does not already hold a full run; --only writes nothing).
-- luacheck: max line length 180
local QUICK, REPS, ONLY = false, 5, nil
do
  local i = 1
  while arg[i] do
    local a = arg[i]
    if a == "--quick" then QUICK = true
    elseif a == "--reps" then i = i + 1 REPS = math.max(5, tonumber(arg[i]) or 5)
    elseif a == "--only" then
      i = i + 1
      ONLY = {}
      for w in (arg[i] or ""):gmatch("[^,]+") do ONLY[w:upper()] = true end
    elseif a == "--help" or a == "-h" then
      print("usage: lua5.4 bench/run.lua [--quick] [--reps N (>=5)] [--only W1,W1b,...]")
      os.exit(0)
    else
      io.stderr:write("run.lua: unknown argument " .. a .. "\n")
      os.exit(2)
    end
    i = i + 1
  end
end

local function sh(cmd)
  local f = io.popen(cmd .. " 2>&1")
  local out = f:read("a")
  local ok, _, code = f:close()
  return out, ok, code
end

local function exists(p)
  local f = io.open(p, "r")
  if f then f:close() return true end
  return false
end

if not exists("bench/run.lua") or not exists("lua/child_process/init.lua") then
  io.stderr:write("run.lua: run me from the repository root (make bench)\n")
  os.exit(2)
end

-- Lua interpreter running us (lua5.4 by default).
local LUA = arg[-1] or "lua5.4"

---------------------------------------------------------------------------
-- Build the C peers and the clock module into build/bench/
---------------------------------------------------------------------------
local function build()
  assert(exists("build/child_process/core.so"), "run `make` first: build/child_process/core.so is missing")
  os.execute("mkdir -p build/bench")
  local luainc = sh("pkg-config --cflags lua5.4 2>/dev/null"):gsub("%s+$", "")
  if luainc == "" then luainc = "-I/usr/include/lua5.4" end
  local jobs = {
    { "build/bench/bclock.so", "cc -O2 -shared -fPIC " .. luainc .. " bench/bclock.c -o build/bench/bclock.so", "bench/bclock.c" },
  }
  for _, c in ipairs({ "w1_c", "w2_c", "w4_c", "w5_c" }) do
    jobs[#jobs + 1] = { "build/bench/" .. c, ("cc -O2 -Wall -o build/bench/%s bench/%s.c"):format(c, c), "bench/" .. c .. ".c" }
  end
  jobs[#jobs + 1] = { "build/bench/w5_uv", "cc -O2 -Wall -o build/bench/w5_uv bench/w5_uv.c -luv", "bench/w5_uv.c" }
  -- (w5_c, w5_uv and bclock include bench/cpu_ns.h.)
  for _, j in ipairs(jobs) do
    local out, ok = sh(j[2])
    if not ok then error("building " .. j[1] .. " failed:\n" .. j[2] .. "\n" .. out) end
  end
end

---------------------------------------------------------------------------
-- The workloads
---------------------------------------------------------------------------
local ENV = "env LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' "
local function lua(script, ...) return ENV .. LUA .. " bench/" .. script .. " " .. table.concat({ ... }, " ") end
local function node(script, ...) return "node bench/" .. script .. " " .. table.concat({ ... }, " ") end
local function c(bin, ...) return "build/bench/" .. bin .. " " .. table.concat({ ... }, " ") end

local function n(full, quick) return QUICK and quick or full end

-- MiB of touched parent heap in W1b.  A quick run holds a quarter: on
-- this VM, touching 1 GiB takes ~6 s per process (page faults), which
-- alone would be a minute and a half of the three-minute budget.
local HEAP = n(1024, 256)
local HEAP_TEXT = HEAP >= 1024 and (HEAP // 1024 .. " GiB") or (HEAP .. " MiB")

local OURS = "this module"
local NOHEAP = "this module, no heap, same block"
local NOIDLE = "this module, no idle children, same block"
-- The same module watching exits through SIGCHLD (its fallback, the way it
-- worked before pidfd), in the same run: pidfd must not cost speed.
local SIGCHLD = "this module, SIGCHLD fallback"
local function sigchld(cmd) return (cmd:gsub("^env ", "env LUA_CHILD_PROCESS_NO_PIDFD=1 ", 1)) end
local POLL_OFF = "this module, busy polling off"
local DIE = "this module, dieWithParent"
local CLONE = "C clone (VM, VFORK, PIDFD) + poll"

-- metric: key (from RESULT lines), unit, better = "higher" | "lower",
-- targets = { {peer = name, ratio = r} (ours vs peer, oriented, >= r),
--             {max = v} / {min = v} (our own value), {own = "W1", key, ratio} }
local W = {
  {
    id = "W1", title = "spawn-seq, stdio ignore", count = n(2000, 80) .. " spawns",
    impls = {
      { OURS, lua("w1_cp.lua", n(2000, 80), "ignore", 0) },
      { SIGCHLD, sigchld(lua("w1_cp.lua", n(2000, 80), "ignore", 0)) },
      { "luv", lua("w1_luv.lua", n(2000, 80), "ignore", 0) },
      { "node", node("w1_node.js", n(2000, 80), "ignore") },
      { "C posix_spawn", c("w1_c", n(2000, 80), "posix_spawn", "ignore") },
      { "C vfork", c("w1_c", n(2000, 80), "vfork", "ignore") },
      -- What this module does underneath, without Lua or libuv (w1_c.c).
      { CLONE, c("w1_c", n(2000, 80), "clone", "ignore") },
      { "os.execute", lua("w1_popen.lua", n(2000, 80)) },
    },
    metrics = {
      { key = "rate", unit = "spawns/s", better = "higher",
        targets = { { peer = "C posix_spawn", ratio = 0.95 }, { peer = "luv", ratio = 1.5 },
          { peer = SIGCHLD, ratio = 1.0 } } },
    },
  },
  {
    id = "W1p", title = "spawn-seq, default pipes", count = n(2000, 80) .. " spawns",
    impls = {
      { OURS, lua("w1_cp.lua", n(2000, 80), "pipe", 0) },
      { "luv", lua("w1_luv.lua", n(2000, 80), "pipe", 0) },
      { "node", node("w1_node.js", n(2000, 80), "pipe") },
      { "C posix_spawn", c("w1_c", n(2000, 80), "posix_spawn", "pipe") },
      { CLONE, c("w1_c", n(2000, 80), "clone", "pipe") },
    },
    metrics = {
      { key = "rate", unit = "spawns/s", better = "higher",
        targets = { { peer = "C posix_spawn", ratio = 0.8 }, { peer = "luv", ratio = 1.3 } } },
    },
  },
  {
    id = "W1b", count = n(500, 60) .. " spawns",
    title = "spawn-seq, stdio ignore, parent holding " .. HEAP_TEXT .. " touched heap (fewer spawns than W1: luv forks the whole parent)",
    impls = {
      { OURS, lua("w1_cp.lua", n(500, 60), "ignore", HEAP) },
      -- The same script without the heap, alternated with the row above:
      -- drift on this shared machine between the W1 block and this one
      -- would otherwise pass for a cost of the parent's size.
      { NOHEAP, lua("w1_cp.lua", n(500, 60), "ignore", 0) },
      { "luv", lua("w1_luv.lua", n(500, 60), "ignore", HEAP) },
      -- dieWithParent spawns through a clone of our own (process.c):
      -- it must stay as flat in the parent's size as posix_spawn.
      { DIE, lua("w1_cp.lua", n(500, 60), "ignore", HEAP, 0, "die") },
    },
    metrics = {
      { key = "rate", unit = "spawns/s", better = "higher", info_own = "W1",
        targets = { { peer = NOHEAP, ratio = 0.8 } } },
    },
  },
  {
    id = "W13", title = "spawn-seq, stdio ignore, with 100 idle children alive", count = n(2000, 80) .. " spawns",
    impls = {
      { OURS, lua("w1_cp.lua", n(2000, 80), "ignore", 0, 100) },
      -- The same loop with no idle child, alternated with the row above.
      { NOIDLE, lua("w1_cp.lua", n(2000, 80), "ignore", 0, 0) },
    },
    metrics = {
      { key = "rate", unit = "spawns/s", better = "higher", info_own = "W1",
        targets = { { peer = NOIDLE, ratio = 0.9 } } },
    },
  },
  {
    id = "W2", title = "spawn-par, 16 in flight", count = n(4000, 100) .. " spawns",
    impls = {
      { OURS, lua("w2_cp.lua", n(4000, 100), 16) },
      { SIGCHLD, sigchld(lua("w2_cp.lua", n(4000, 100), 16)) },
      { "luv", lua("w2_luv.lua", n(4000, 100), 16) },
      { "node", node("w2_node.js", n(4000, 100), 16) },
      { "C posix_spawn", c("w2_c", n(4000, 100), 16) },
    },
    metrics = {
      { key = "rate", unit = "spawns/s", better = "higher",
        targets = { { peer = "luv", ratio = 1.3 }, { peer = SIGCHLD, ratio = 1.0 },
          { peer = "C posix_spawn", ratio = 1.0 } } },
    },
  },
  {
    id = "W3", title = "exec-echo: exec(\"echo hello\")", count = n(500, 30) .. " runs",
    impls = {
      { OURS, lua("w3_cp.lua", n(500, 30), "exec") },
      { "node", node("w3_node.js", n(500, 30), "exec") },
      { "io.popen", lua("w3_popen.lua", n(500, 30)) },
      { "luv (sh -c)", lua("w3_luv.lua", n(500, 30), "exec") },
    },
    metrics = {
      { key = "rate", unit = "runs/s", better = "higher",
        targets = { { peer = "node", ratio = 2 }, { peer = "io.popen", ratio = 0.8 } } },
    },
  },
  {
    id = "W3f", title = "exec-echo: execFile(\"echo\", {\"hello\"})", count = n(500, 30) .. " runs",
    impls = {
      { OURS, lua("w3_cp.lua", n(500, 30), "execFile") },
      { "node", node("w3_node.js", n(500, 30), "execFile") },
      { "luv", lua("w3_luv.lua", n(500, 30), "execFile") },
    },
    metrics = { { key = "rate", unit = "runs/s", better = "higher", targets = {} } },
  },
  {
    id = "W4", title = "pipe-throughput through cat", count = n(512, 64) .. " MiB",
    impls = {
      { OURS, lua("w4_cp.lua", n(512, 64)) },
      { "luv", lua("w4_luv.lua", n(512, 64)) },
      { "node", node("w4_node.js", n(512, 64)) },
      { "C poll loop", c("w4_c", n(512, 64)) },
      { "C poll loop, socketpairs", c("w4_c", n(512, 64), "socketpair") },
      { "C poll loop, 256 KiB pipes", c("w4_c", n(512, 64), "pipe256") },
    },
    metrics = {
      -- At least as fast as the fastest of the three C loops.
      { key = "mibs", unit = "MiB/s", better = "higher", targets = { { peer = "C poll loop", ratio = 1 },
        { peer = "C poll loop, socketpairs", ratio = 1 }, { peer = "C poll loop, 256 KiB pipes", ratio = 1 } } },
      { key = "hwm", unit = "MiB peak RSS", better = "lower", targets = { { max = 8 } } },
    },
  },
  {
    id = "W5", title = "ipc-rtt {\"i\":n,\"text\":\"hello\"}", count = n(20000, 2000) .. " round trips",
    impls = {
      { OURS, lua("ipc_cp.lua", "w5", n(20000, 2000)) },
      -- Reference rows, no target: this module with busy polling off (both
      -- processes sleep in epoll_wait, as every peer below does), and the C
      -- ping-pong polling 50 µs before it sleeps, as this module does.
      { POLL_OFF, "env LUA_CHILD_PROCESS_BUSY_POLL=0 " .. lua("ipc_cp.lua", "w5", n(20000, 2000)) },
      { "node json", node("ipc_node.js", "w5", n(20000, 2000), "json") },
      { "node advanced", node("ipc_node.js", "w5", n(20000, 2000), "advanced") },
      { "luv+cjson", lua("ipc_luvparent.lua", "w5", n(20000, 2000)) },
      { "C socketpair", c("w5_c", n(20000, 2000)) },
      { "C on libuv (no Lua, no JSON)", c("w5_uv", n(20000, 2000)) },
      { "C socketpair, polling 50 µs", c("w5_c", n(20000, 2000), 50) },
    },
    metrics = {
      { key = "rtt", unit = "µs/rt", better = "lower",
        targets = { { peer = "node json", ratio = 1 / 0.7, text = "≤ 0.7× node json" },
                    { peer = "C socketpair", ratio = 1 / 1.2, text = "≤ 1.2× C" } } },
      -- What the polling costs: CPU time of parent and child (all threads)
      -- over the timed round trips, from /proc/<pid>/task/*/schedstat.
      { key = "cpu", label = "CPU time of both processes", unit = "µs/rt", better = "lower", targets = {} },
    },
  },
  {
    id = "W6", title = "ipc-throughput", count = n(200000, 10000) .. " msgs each way",
    impls = {
      { OURS, lua("ipc_cp.lua", "w6", n(200000, 10000)) },
      { "node json", node("ipc_node.js", "w6", n(200000, 10000), "json") },
      { "node advanced", node("ipc_node.js", "w6", n(200000, 10000), "advanced") },
      { "luv+cjson", lua("ipc_luvparent.lua", "w6", n(200000, 10000)) },
    },
    metrics = {
      { key = "p2c", label = "parent→child", unit = "msg/s", better = "higher", targets = { { peer = "node json", ratio = 3 } } },
      { key = "c2p", label = "child→parent", unit = "msg/s", better = "higher", targets = { { peer = "node json", ratio = 3 } } },
    },
  },
  {
    id = "W7", title = "fork-startup: fork() → first message", count = n(50, 5) .. " forks",
    impls = {
      { OURS, lua("ipc_cp.lua", "w7", n(50, 5)) },
      { "node json", node("ipc_node.js", "w7", n(50, 5), "json") },
      { "node advanced", node("ipc_node.js", "w7", n(50, 5), "advanced") },
      { "luv+cjson", lua("ipc_luvparent.lua", "w7", n(50, 5)) },
    },
    metrics = {
      { key = "ms", unit = "ms", better = "lower", targets = { { peer = "node json", ratio = 1 / 0.06, text = "≤ 0.06× node json" },
        { peer = "luv+cjson", ratio = 1 / 0.8, text = "≤ 0.8× luv+cjson" } } },
      { key = "rss", label = "child RSS", unit = "MiB", better = "lower", targets = { { max = 3 } } },
    },
  },
  {
    id = "W8", title = "json-codec, bench/data/message.json (1078 B)", count = n(200000, 10000) .. " ops each",
    impls = {
      { OURS, lua("w8_cp.lua", n(200000, 10000)) },
      { "lua-cjson", lua("w8_cjson.lua", n(200000, 10000)) },
      { "node JSON", node("w8_node.js", n(200000, 10000)) },
    },
    metrics = {
      { key = "enc_mbs", label = "encode", unit = "MB/s", better = "higher",
        targets = { { peer = "lua-cjson", ratio = 1.5 }, { peer = "node JSON", ratio = 1.2 } } },
      { key = "dec_mbs", label = "decode", unit = "MB/s", better = "higher",
        targets = { { peer = "lua-cjson", ratio = 1.5 }, { peer = "node JSON", ratio = 1.2 } } },
      { key = "enc_ops", label = "encode", unit = "ops/s", better = "higher", targets = {} },
      { key = "dec_ops", label = "decode", unit = "ops/s", better = "higher", targets = {} },
      { key = "exact", label = "numbers round-trip exactly (1 = yes)", unit = "bool", better = "higher", targets = { { min = 1 } } },
    },
  },
  {
    id = "W12", title = "big-message: one {\"data\": " .. n(32, 16) .. " MiB of \"x\"} parent → child and back", count = "3 round trips",
    impls = {
      { OURS, lua("w12_cp.lua", n(32, 16), 3) },
      { "node json", node("w12_node.js", n(32, 16), 3, "json") },
    },
    metrics = {
      { key = "ms", unit = "ms/rt", better = "lower",
        targets = { { peer = "node json", ratio = 1 / 0.2, text = "≤ 0.2× node json" } } },
      -- VmHWM of each process, read from /proc while the child still runs.
      { key = "hwm", label = "parent peak RSS", unit = "MiB", better = "lower",
        targets = { { peer = "node json", ratio = 1 / 0.25, text = "≤ 0.25× node json" } } },
      { key = "child_hwm", label = "child peak RSS", unit = "MiB", better = "lower",
        targets = { { peer = "node json", ratio = 1 / 0.25, text = "≤ 0.25× node json" } } },
    },
  },
  {
    id = "W10", title = "ports: two forked children, round trips of {\"i\":n,\"text\":\"hello\"} over a direct MessagePort",
    count = n(20000, 2000) .. " round trips",
    impls = {
      { OURS, lua("w10_cp.lua", "direct", n(20000, 2000)) },
      { "relayed through the parent", lua("w10_cp.lua", "relay", n(20000, 2000)) },
    },
    metrics = {
      { key = "rtt", unit = "µs/rt", better = "lower", info_own = "W5",
        targets = { { peer = "relayed through the parent", ratio = 1 / 0.6, text = "≤ 0.6× relayed" } } },
    },
  },
  {
    id = "W10b", title = "ports: one-way throughput between two forked children", count = n(200000, 10000) .. " msgs",
    impls = {
      { OURS, lua("w10_cp.lua", "w10b", n(200000, 10000)) },
    },
    metrics = {
      { key = "p2c", label = "child→child over a port", unit = "msg/s", better = "higher", info_own = "W6", targets = {} },
    },
  },
  {
    id = "W10c", title = "handing fds (a socketpair end each) to a child that answers once on each, 100 outstanding",
    count = n(10000, 1000) .. " handles",
    impls = {
      { OURS, lua("w10_cp.lua", "w10c", n(10000, 1000)) },
      { "this module, send(msg, port) (one handle in flight)", lua("w10_cp.lua", "w10c-send", n(10000, 1000)) },
      { "node send(msg, socket)", node("w10c_node.js", n(10000, 1000)) },
    },
    metrics = {
      { key = "rate", unit = "handles/s", better = "higher", targets = { { peer = "node send(msg, socket)", ratio = 3 } } },
    },
  },
  {
    id = "W9", title = "memory: RSS after 100 vs after N sequential spawns (default pipes)", count = n(10000, 300) .. " spawns",
    impls = {
      { OURS, lua("w9_cp.lua", "seq", n(10000, 300)) },
      { SIGCHLD, sigchld(lua("w9_cp.lua", "seq", n(10000, 300))) },
      { "luv", lua("w9_luv.lua", "seq", n(10000, 300)) },
    },
    metrics = {
      { key = "growth", label = "RSS(N) − RSS(100)", unit = "MiB", better = "lower", targets = { { max = 2 } } },
      { key = "rssN", label = "RSS after N", unit = "MiB", better = "lower", targets = {} },
    },
  },
  {
    id = "W9l", title = "memory: 100 live `cat` children with piped stdio", count = "100 children",
    impls = {
      { OURS, lua("w9_cp.lua", "live", 100) },
      { "luv", lua("w9_luv.lua", "live", 100) },
      { "node", node("w9_node.js", "live", 100) },
    },
    metrics = {
      { key = "live", label = "parent RSS", unit = "MiB", better = "lower", targets = { { max = 16 } } },
    },
  },
}

-- W11's npm peer: `workerpool`, installed by npm into a bench-local
-- directory (build/bench/npm) the first time W11 runs.
local NPM = "build/bench/npm"
local function ensure_workerpool()
  if exists(NPM .. "/node_modules/workerpool/package.json") then return end
  io.stderr:write("(installing npm workerpool into " .. NPM .. ") ")
  local out, ok = sh("mkdir -p " .. NPM .. " && npm install --no-audit --no-fund --prefix " .. NPM .. " workerpool")
  if not ok then io.stderr:write("npm install workerpool failed:\n" .. out .. "\n") end
end

W[#W + 1] = {
  id = "W11", title = "pool: tiny tasks n → n*2 through a pool of 2 workers, one run per task", count = n(100000, 5000) .. " tasks",
  setup = ensure_workerpool,
  impls = {
    { OURS, lua("w11_cp.lua", n(100000, 5000)) },
    { "python multiprocessing imap chunksize=1", "python3 bench/w11_py.py imap " .. n(100000, 5000) },
    { "npm workerpool (process)", "env W11_NPM_DIR=" .. NPM .. " " .. node("w11_workerpool.js", n(100000, 5000), NPM) },
  },
  metrics = {
    { key = "rate", unit = "tasks/s", better = "higher",
      targets = { { peer = "python multiprocessing imap chunksize=1", ratio = 3 }, { peer = "npm workerpool (process)", ratio = 5 } } },
    -- CPU time of the parent and both workers over the timed tasks.
    { key = "cpu", label = "CPU time of parent and workers", unit = "µs/task", better = "lower", targets = {} },
  },
}

local WORKERPOOL = "npm workerpool (process)"
local function workerpool(script, ...) return "env W11_NPM_DIR=" .. NPM .. " " .. node(script, ...) end

W[#W + 1] = {
  id = "W11b", title = "pool: pool:map over a list of numbers n → n*2, pool of 2 workers", count = n(1000000, 100000) .. " items",
  impls = {
    { OURS, lua("w11b_cp.lua", n(1000000, 100000)) },
    { "python multiprocessing Pool.map (default chunks)", "python3 bench/w11_py.py map " .. n(1000000, 100000) },
  },
  metrics = {
    { key = "rate", unit = "items/s", better = "higher",
      targets = { { peer = "python multiprocessing Pool.map (default chunks)", ratio = 0.5 } } },
    { key = "cpu", label = "CPU time of parent and workers", unit = "µs/item", better = "lower", targets = {} },
  },
}

W[#W + 1] = {
  id = "W11c", title = "pool: start (2 workers ready); a task that ends its worker → replacement ready", count = n(20, 5) .. " pools",
  setup = ensure_workerpool,
  impls = {
    { OURS, lua("w11c_cp.lua", n(20, 5)) },
    { "python multiprocessing", "python3 bench/w11_py.py start " .. n(20, 5) },
    { WORKERPOOL, workerpool("w11c_workerpool.js", n(20, 5), NPM) },
  },
  metrics = {
    { key = "start_ms", label = "pool start", unit = "ms", better = "lower",
      targets = { { peer = "python multiprocessing", ratio = 5, text = "≤ 0.2× python" },
                  { peer = WORKERPOOL, ratio = 5, text = "≤ 0.2× workerpool" } } },
    { key = "crash_ms", label = "crash → replacement ready", unit = "ms", better = "lower",
      targets = { { peer = "python multiprocessing", ratio = 5, text = "≤ 0.2× python" },
                  { peer = WORKERPOOL, ratio = 5, text = "≤ 0.2× workerpool" } } },
    -- CPU time: the parent's, plus each worker's own until it was ready.
    { key = "start_cpu", label = "pool start, CPU time of parent and workers", unit = "ms", better = "lower", targets = {} },
    { key = "crash_cpu", label = "crash → replacement, CPU time of parent and replacement", unit = "ms", better = "lower", targets = {} },
  },
}

-- W11d's reference: W5's send / "message" round trip, alternated with it
-- in the same block (drift between blocks would pass for a cost).
local W5_SAME = "W5 send/message round trip, same block"
W[#W + 1] = {
  id = "W11d", title = "request/response round trip {\"i\":n,\"text\":\"hello\"}: child:request + process.handle",
  count = n(20000, 2000) .. " round trips",
  impls = {
    { OURS, lua("w11d_cp.lua", n(20000, 2000)) },
    { W5_SAME, lua("ipc_cp.lua", "w5", n(20000, 2000)) },
  },
  metrics = {
    { key = "rtt", unit = "µs/rt", better = "lower", info_own = "W5",
      targets = { { peer = W5_SAME, ratio = 1 / 1.2, text = "≤ 1.2× W5" } } },
    { key = "cpu", label = "CPU time of both processes", unit = "µs/rt", better = "lower", targets = {} },
  },
}

---------------------------------------------------------------------------
-- Running
---------------------------------------------------------------------------
local function median(t)
  if #t == 0 then return nil end
  local s = table.move(t, 1, #t, 1, {})
  table.sort(s)
  local m = #s // 2
  if #s % 2 == 1 then return s[m + 1] end
  return (s[m] + s[m + 1]) / 2
end

local clock = (function()
  package.cpath = "build/bench/?.so;" .. package.cpath
  local ok, m = pcall(require, "bclock")
  return ok and m.now or os.time
end)

local failures = {}

local function run_one(cmd)
  local out = sh("timeout 600 " .. cmd)
  local res = {}
  for key, val in out:gmatch("RESULT%s+(%S+)%s+(%S+)") do res[key] = tonumber(val) end
  if next(res) == nil then return nil, out end
  return res
end

local function run_workload(w)
  local samples = {} -- samples[impl][key] = {values}
  for _, im in ipairs(w.impls) do samples[im[1]] = {} end
  local k = #w.impls
  for rep = 1, REPS do
    for j = 0, k - 1 do
      local im = w.impls[(rep - 1 + j) % k + 1]
      local res, out = run_one(im[2])
      if not res then
        failures[#failures + 1] = ("%s %s (rep %d): no RESULT; command: %s\n%s"):format(
          w.id, im[1], rep, im[2], (out or ""):sub(-400))
        io.stderr:write(("  ! %s / %s failed (rep %d)\n"):format(w.id, im[1], rep))
      else
        for key, v in pairs(res) do
          local s = samples[im[1]]
          s[key] = s[key] or {}
          table.insert(s[key], v)
        end
      end
    end
  end
  local med = {}
  for name, s in pairs(samples) do
    med[name] = {}
    for key, vals in pairs(s) do
      table.sort(vals)
      med[name][key] = { median = median(vals), min = vals[1], max = vals[#vals], n = #vals }
    end
  end
  return med
end

---------------------------------------------------------------------------
-- The table
---------------------------------------------------------------------------
local function fmt(v)
  if v == nil then return "—" end
  local a = math.abs(v)
  if a == 0 then return "0" end
  if a >= 1000 then return string.format("%.0f", v) end
  if a >= 100 then return string.format("%.1f", v) end
  if a >= 10 then return string.format("%.2f", v) end
  return string.format("%.3f", v)
end

local function ratio_of(metric, ours, peer)
  if not ours or not peer or ours == 0 or peer == 0 then return nil end
  if metric.better == "higher" then return ours / peer end
  return peer / ours
end

local results = {} -- results[wid] = med
local rows = {}
local summary = {} -- {text, met}

local function row(cols) rows[#rows + 1] = "| " .. table.concat(cols, " | ") .. " |" end

local function target_text(t, metric)
  if t.text then return t.text end
  if t.peer then return ("≥ %s× %s"):format(fmt(t.ratio), t.peer) end
  if t.max then return ("≤ %s %s"):format(fmt(t.max), metric.unit) end
  if t.min then return ("≥ %s %s"):format(fmt(t.min), metric.unit) end
  return "?"
end

local function tabulate(w, med)
  for _, m in ipairs(w.metrics) do
    local ours = med[OURS] and med[OURS][m.key]
    local oursv = ours and ours.median
    local label = w.id .. " " .. w.title .. (m.label and (" — " .. m.label) or "") .. " (" .. w.count .. ")"
    for _, im in ipairs(w.impls) do
      local name = im[1]
      local s = med[name] and med[name][m.key]
      if s or name == OURS then
        local rcol = "—"
        local tlist = {}
        if name == OURS then
          for _, t in ipairs(m.targets) do
            if t.max or t.min then
              local ok = oursv and ((t.max and oursv <= t.max) or (t.min and oursv >= t.min)) or false
              tlist[#tlist + 1] = { target_text(t, m), ok }
            end
          end
          if m.info_own then -- for reference: against this module's figure in another block
            local own = results[m.info_own] and results[m.info_own][OURS] and results[m.info_own][OURS][m.key]
            local r = own and oursv and oursv / own.median
            rcol = r and ("own " .. m.info_own .. ": " .. fmt(r)) or "—"
          end
        else
          local r = ratio_of(m, oursv, s.median)
          rcol = r and fmt(r) or "—"
          for _, t in ipairs(m.targets) do
            if t.peer == name then
              tlist[#tlist + 1] = { target_text(t, m), r ~= nil and r >= t.ratio }
            end
          end
          if m.info_own and s then
            local own = results[m.info_own] and results[m.info_own][name] and results[m.info_own][name][m.key]
            if own then rcol = rcol .. "; own " .. m.info_own .. ": " .. fmt(s.median / own.median) end
          end
        end
        local ts, ms = {}, {}
        for _, t in ipairs(tlist) do
          ts[#ts + 1] = t[1]
          ms[#ms + 1] = t[2] and "yes" or "**no**"
          summary[#summary + 1] = { w.id .. (m.label and (" " .. m.label) or "") .. ": " .. t[1], t[2],
            name == OURS and fmt(oursv) or rcol }
        end
        local tcol, met = table.concat(ts, "; "), table.concat(ms, "; ")
        local range = s and (s.n > 1 and (fmt(s.min) .. "–" .. fmt(s.max)) or "") or ""
        row({ label, name == OURS and ("**" .. name .. "**") or name, s and fmt(s.median) or "failed",
          range, m.unit, rcol, tcol, met })
        label = ""
      end
    end
  end
end

---------------------------------------------------------------------------
-- Main
---------------------------------------------------------------------------
build()
local now = clock()
local t_start = now()
local cpu = sh("lscpu | grep 'Model name'"):gsub("^%s*Model name:%s*", ""):gsub("%s+$", "")
local nproc = sh("nproc"):gsub("%s+$", "")
local date = os.date("!%Y-%m-%d %H:%M UTC")
local versions = {
  node = sh("node --version"):gsub("%s+$", ""),
  lua = sh(LUA .. " -v"):gsub("%s+$", ""),
  luv = sh(LUA .. " -e 'print(require(\"luv\").version_string())'"):gsub("%s+$", ""),
}

io.stderr:write(("bench: %s mode, %d repetitions per implementation, alternating\n"):format(
  QUICK and "quick" or "full", REPS))
local timing = {}
for _, w in ipairs(W) do
  if not ONLY or ONLY[w.id:upper()] then
    local t0 = now()
    io.stderr:write(("  %-4s %s (%s) ... "):format(w.id, w.title, w.count))
    io.stderr:flush()
    if w.setup then w.setup() end
    local med = run_workload(w)
    results[w.id] = med
    local dt = now() - t0
    timing[#timing + 1] = ("%s %.0fs"):format(w.id, dt)
    io.stderr:write(("%.1f s\n"):format(dt))
  end
end
for _, w in ipairs(W) do
  if results[w.id] then tabulate(w, results[w.id]) end
end
local total = now() - t_start

local out = {}
local function p(s) out[#out + 1] = s or "" end
p("# Benchmark results")
p()
p("Generated by `make bench" .. (QUICK and " QUICK=1" or "") .. "` (bench/run.lua); do not edit by hand.")
p()
p(("- date: %s"):format(date))
p(("- CPU: %s; nproc: %s"):format(cpu, nproc))
p(("- mode: %s; %d repetitions per implementation, alternated; median (and min–max) of the repetitions"):format(
  QUICK and "quick (counts scaled down)" or "full (BENCH.md counts)", REPS))
p(("- %s, node %s, luv %s; total %.0f s (%s)"):format(versions.lua, versions.node, versions.luv, total,
  table.concat(timing, ", ")))
p()
p("**ratio** = how many times better this module is than that peer on that figure " ..
  "(ours ÷ peer for rates, peer ÷ ours for times and memory): > 1 means this module is better. " ..
  "Targets are the ones of issues 5 and 16; a ratio target sits on the peer's row, an absolute one on this module's row.")
p()
p("| workload | implementation | median | range | unit | ratio (>1: ours better) | target | met? |")
p("|---|---|---|---|---|---|---|---|")
for _, r in ipairs(rows) do p(r) end
p()
local nmet, nall = 0, 0
local missed = {}
for _, s in ipairs(summary) do
  nall = nall + 1
  if s[2] then nmet = nmet + 1 else missed[#missed + 1] = s end
end
p(("Targets met: %d of %d."):format(nmet, nall))
if #missed > 0 then
  p()
  p("Missed:")
  for _, s in ipairs(missed) do p(("- %s — measured %s"):format(s[1], s[3])) end
end
if #failures > 0 then
  p()
  p("Failed runs:")
  for _, f in ipairs(failures) do p("```\n" .. f .. "\n```") end
end
local text = table.concat(out, "\n") .. "\n"
io.stdout:write(text)

if not ONLY then
  local function write(path)
    local f = assert(io.open(path, "w"))
    f:write(text)
    f:close()
    io.stderr:write("bench: wrote " .. path .. "\n")
  end
  if QUICK then
    write("bench/results-quick.md")
    local f = io.open("bench/results.md", "r")
    local old = f and f:read("a") or ""
    if f then f:close() end
    if not old:find("mode: full", 1, true) then write("bench/results.md") end
  else
    write("bench/results.md")
  end
end
