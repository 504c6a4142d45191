-- Soak: cp.pool.  1,000,000 tasks through 2 workers while a random worker
-- is SIGKILLed every 10,000 answers: every task answered exactly once
-- (its result, or ERR_WORKER_EXITED for the few the killed worker held),
-- workers replaced, fds and RSS flat.  Run with `make soak`.
local H = require("helper")
local cp = H.cp

local N = tonumber(os.getenv("SOAK_POOL_N")) or 1000000
local KILL_EVERY = 10000
local WINDOW = 20000 -- tasks submitted ahead of the answers

describe("pool soak", function()
  it("runs " .. N .. " tasks, killing a worker every " .. KILL_EVERY .. ": nothing lost or answered twice", function()
    -- libuv opens its EMFILE reserve fd with the loop's first stream:
    -- have that happen before the baseline.
    H.wait_close(cp.spawn("true"), 10000)
    local fds = H.fd_count()
    local pool = cp.pool(H.fixtures .. "req_worker.lua", { size = 2 })
    local submitted, answered, ok, failed, wrong, twice, other = 0, 0, 0, 0, 0, 0, nil
    local kills, rss_sample = 0, nil
    local t0 = H.core.now()

    local function kill_one()
      local live = {}
      for _, w in ipairs(pool._workers) do
        if w.ready and not w.dead then live[#live + 1] = w end
      end
      if #live > 0 then
        live[math.random(#live)].child:kill("SIGKILL")
        kills = kills + 1
      end
    end

    local top_up
    local function submit(i)
      local called = false
      pool:run(i, function(err, r)
        if called then twice = twice + 1 return end
        called = true
        answered = answered + 1
        if err then
          failed = failed + 1
          if err.code ~= "ERR_WORKER_EXITED" or err.signal ~= "SIGKILL" then other = other or err end
        elseif r ~= 2 * i then
          wrong = wrong + 1
        else
          ok = ok + 1
        end
        if answered % KILL_EVERY == 0 then kill_one() end
        if answered == math.min(100000, N // 2) then
          collectgarbage("collect")
          rss_sample = H.status_kib()
        end
        top_up()
      end)
    end
    top_up = function()
      while submitted < N and submitted - answered < WINDOW do
        submitted = submitted + 1
        submit(submitted)
      end
    end
    top_up()
    H.run_until(function() return answered == N end, 600000, "all answers")
    local secs = (H.core.now() - t0) / 1000
    collectgarbage("collect")
    local rss_end = H.status_kib()
    local stats = pool.stats
    local done_, failed_ = stats.done, stats.failed
    pool:close()
    H.run_until(function() return pool.closed end, 20000, "pool closed")
    H.soak_report("pool: %d tasks in %.1f s (%.0f tasks/s), %d SIGKILLs, %d tasks failed with the killed workers, "
      .. "RSS %d KiB after %d answers, %d KiB at the end", N, secs, N / secs, kills, failed,
      rss_sample, math.min(100000, N // 2), rss_end)
    assert.is_nil(other)
    assert.are.equal(0, twice)
    assert.are.equal(0, wrong)
    assert.are.equal(N, ok + failed)
    assert.are.equal(ok, done_)
    assert.are.equal(failed, failed_)
    assert.is_true(kills >= N // KILL_EVERY - 1)
    -- A killed worker held at most one batch (64 tasks).
    assert.is_true(failed <= kills * 64, failed .. " failed for " .. kills .. " kills")
    assert.is_true(rss_end - rss_sample < 4096, "RSS grew " .. (rss_end - rss_sample) .. " KiB")
    H.assert_clean()
    H.assert_fds_back_to(fds)
    assert.are.equal(0, H.zombies())
  end)
end)
