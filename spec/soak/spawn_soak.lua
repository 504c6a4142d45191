-- Soak: many spawns.  20000 sequential /bin/true (stdio "ignore", every
-- fourth with pipes) and 2000 with 16 in flight; afterwards the parent's
-- open fds, zombies and RSS are back at the level measured after a warm-up.
-- Run with `make soak` (not part of `make test`).
local H = require("helper")
local cp = H.cp
local core = H.core

local SEQ = tonumber(os.getenv("SOAK_SPAWN_SEQ")) or 20000
local PAR = tonumber(os.getenv("SOAK_SPAWN_PAR")) or 2000
local INFLIGHT = 16
local WARMUP = 200

local rss_kib, report = H.status_kib, H.soak_report

-- Run what is pending, then a full collection.  The basic step after it
-- matters: in Lua 5.4.4 a full collection leaves the next cycle's threshold
-- at twice the largest heap seen before (here: the 10 MiB messages of
-- ipc_soak.lua, which busted runs first), so the Lua heap would fill up
-- with ~20 MiB of garbage between cycles and glibc keeps those pages: RSS
-- would measure Lua's GC pacing, not the module.  A step restarts the pacing
-- from the live heap.
local function settle()
  for _ = 1, 3 do
    cp.run("nowait")
    collectgarbage("collect")
  end
  collectgarbage("step", 0)
end

local function snapshot()
  settle()
  return { fds = H.fd_count(), zombies = H.zombies(), rss = rss_kib(), heap = collectgarbage("count") }
end

-- One loop that fails after `ms`, instead of a timer per child.
local function watchdog(ms)
  local w = { expired = false }
  w.t = core.timer()
  w.t:start(ms, 0, function() w.expired = true end)
  function w.run_until(cond, what)
    while not cond() do
      if w.expired then error("soak watchdog: timed out waiting for " .. what, 2) end
      cp.run("once")
    end
  end
  function w.close()
    w.t:close()
    cp.run("nowait")
  end
  return w
end

local failures = {}
local function failure(what)
  if #failures < 10 then failures[#failures + 1] = what end
end

-- Spawn /bin/true; on_close(code, sig) once it closed.
local function spawn_true(i, on_close)
  local piped = i % 4 == 0
  local c = cp.spawn("/bin/true", {}, { stdio = piped and "pipe" or "ignore" })
  c:on("error", function(e) failure("spawn " .. i .. ": " .. tostring(e.code)) end)
  if piped and i % 8 == 0 then
    -- Half of the piped ones are read, the rest are left to be drained.
    c.stdout:on("data", function(d) failure("unexpected output " .. d) end)
  end
  c:on("close", function(code, sig)
    if code ~= 0 then failure("child " .. i .. " closed with " .. tostring(code) .. " " .. tostring(sig)) end
    on_close()
  end)
  return c
end

local function sequential(n, w)
  for i = 1, n do
    local done = false
    spawn_true(i, function() done = true end)
    w.run_until(function() return done end, "child " .. i)
  end
end

local function parallel(n, inflight, w)
  local started, closed = 0, 0
  local function start_next()
    if started >= n then return end
    started = started + 1
    spawn_true(started, function()
      closed = closed + 1
      start_next()
    end)
  end
  for _ = 1, inflight do start_next() end
  local peak = 0
  w.run_until(function()
    local s = core.stats().procs
    if s > peak then peak = s end
    return closed == n
  end, "the parallel children")
  return peak
end

describe("spawn soak", function()
  it(("runs %d sequential and %d parallel spawns without leaking fds, zombies or memory"):format(SEQ, PAR), function()
    local w = watchdog(480000)
    local ok, err = pcall(function()
      settle()
      sequential(WARMUP, w)
      local base = snapshot()
      report("spawn: baseline after %d warm-up spawns: %d fds, %d zombies, RSS %d KiB, Lua heap %.0f KiB",
        WARMUP, base.fds, base.zombies, base.rss, base.heap)

      local t0 = core.now()
      local step = math.max(1, SEQ // 4)
      local done = 0
      while done < SEQ do
        local k = math.min(step, SEQ - done)
        sequential(k, w)
        done = done + k
        local s = snapshot()
        report("spawn: %6d sequential: %d fds, %d zombies, RSS %d KiB, Lua heap %.0f KiB (%.0f spawns/s)",
          done, s.fds, s.zombies, s.rss, s.heap, done / ((core.now() - t0) / 1000))
      end
      local seq_s = (core.now() - t0) / 1000
      local after_seq = snapshot()

      t0 = core.now()
      local peak = parallel(PAR, INFLIGHT, w)
      local par_s = (core.now() - t0) / 1000
      local after = snapshot()
      report("spawn: %d sequential in %.1f s (%.0f/s, %.2f ms each); "
        .. "%d with %d in flight in %.1f s (%.0f/s, peak %d live)",
        SEQ, seq_s, SEQ / seq_s, seq_s * 1000 / SEQ, PAR, INFLIGHT, par_s, PAR / par_s, peak)
      report("spawn: after: %d fds (baseline %d), %d zombies, RSS %d KiB "
        .. "(baseline %d, %+d KiB; %d KiB after the sequential run)",
        after.fds, base.fds, after.zombies, after.rss, base.rss, after.rss - base.rss, after_seq.rss)

      assert.are.same({}, failures)
      assert.is_true(peak <= INFLIGHT)
      assert.is_true(math.abs(after.fds - base.fds) <= 1, ("fds: %d before, %d after"):format(base.fds, after.fds))
      assert.are.equal(0, after.zombies)
      assert.is_true(after.rss - base.rss <= 2048, ("RSS grew %d KiB"):format(after.rss - base.rss))
    end)
    w.close()
    assert(ok, err)
    H.assert_clean()
  end)
end)
