-- cp.pool: results, order, stats, and every fault: a worker that exits,
-- is killed from outside, hangs past taskTimeout, cannot start; a full
-- queue; recycling (maxTasksPerWorker), idleTimeout, concurrency;
-- close() finishing the queue, terminate() leaving nothing behind.
local H = require("helper")
local cp = H.cp
local F = H.fixtures
local WORKER = F .. "req_worker.lua"

local function shut(pool)
  pool:close()
  H.run_until(function() return pool.closed end, 20000, "pool closed")
end

local function wait_all(jobs, timeout)
  H.run_until(function()
    for i = 1, #jobs do if not jobs[i].done then return false end end
    return true
  end, timeout or 20000, "jobs")
end

local function pids(pool)
  local t = {}
  for _, w in ipairs(pool._workers) do if w.ready and not w.dead then t[#t + 1] = w.pid end end
  table.sort(t)
  return t
end

local function ready_workers(pool, n)
  H.run_until(function() return #pids(pool) == n end, 20000, n .. " ready workers")
end

-- Pools made by a test: a test that fails half-way must not leave its
-- workers to the tests after it.
local made = {}
local function new_pool(...)
  local pool = cp.pool(...)
  made[#made + 1] = pool
  return pool
end

describe("cp.pool", function()
  after_each(function()
    local left = made
    made = {}
    for _, pool in ipairs(left) do
      if not pool.closed then
        pool:terminate()
        H.run_until(function() return pool.closed end, 20000, "pool terminated")
      end
    end
    H.assert_clean()
  end)

  it("runs tasks and answers each through its callback and wait()", function()
    local pool = new_pool(WORKER, { size = 2 })
    local got = {}
    local jobs = {}
    for i = 1, 300 do
      jobs[i] = pool:run(i, function(err, r) got[i] = { err, r } end)
    end
    wait_all(jobs)
    for i = 1, 300 do
      assert.are.same({ nil, 2 * i }, got[i])
      local err, r = jobs[i]:wait()
      assert.is_nil(err)
      assert.are.equal(2 * i, r)
    end
    assert.are.equal(300, pool.stats.done)
    assert.are.equal(0, pool.stats.failed)
    assert.are.equal(0, pool.stats.queued)
    assert.are.equal(0, pool.stats.busy)
    assert.are.equal(2, pool.stats.workers)
    shut(pool)
  end)

  it("a blocking wait() drives the loop; nil values and replies pass", function()
    local pool = new_pool(WORKER, { size = 1 })
    local err, r = pool:run({ op = "double", n = 5 }):wait(20000)
    assert.is_nil(err)
    assert.are.equal(10, r)
    -- nil in, nil out, alone and inside a batch
    local jobs = {}
    for i = 1, 50 do jobs[i] = pool:run(i % 2 == 0 and { op = "echo" } or { op = "echo", v = i }) end
    wait_all(jobs)
    for i = 1, 50 do
      local e, v = jobs[i]:wait()
      assert.is_nil(e)
      if i % 2 == 0 then assert.is_nil(v) else assert.are.equal(i, v) end
    end
    shut(pool)
  end)

  it("map() returns results in input order; a failing item fails the job with its index", function()
    local pool = new_pool(WORKER, { size = 2 })
    local list = {}
    for i = 1, 1000 do list[i] = i end
    local err, res = pool:map(list):wait(20000)
    assert.is_nil(err)
    assert.are.equal(1000, #res)
    for i = 1, 1000 do assert.are.equal(2 * i, res[i]) end
    local got
    pool:map({ 1, { op = "fail", code = "EX", msg = "no" }, 3 }, function(e, r) got = { e, r } end)
    H.run_until(function() return got ~= nil end, 20000, "map callback")
    assert.are.equal("EX", got[1].code)
    assert.are.equal(2, got[1].index)
    assert.is_nil(got[2])
    -- an empty list
    local e0, r0 = pool:map({}):wait(20000)
    assert.is_nil(e0)
    assert.are.equal("[]", cp.json.encode(r0))
    shut(pool)
  end)

  it("a long map() goes out in batches, between run() tasks queued around it, in order", function()
    local pool = new_pool(WORKER, { size = 2 })
    local list = {}
    for i = 1, 20000 do list[i] = i end
    list[20] = { op = "echo" } -- nil comes back as nil
    local before, after = {}, {}
    for i = 1, 100 do before[i] = pool:run(i) end
    local job = pool:map(list)
    for i = 1, 100 do after[i] = pool:run(-i) end
    assert.are.equal(20200, pool.stats.queued + pool.stats.running)
    -- Changes to the list after map() do not reach the workers.
    for i = 1, 20000 do list[i] = "changed" end
    local err, res = job:wait(60000)
    assert.is_nil(err)
    for i = 1, 20000 do
      if i == 20 then assert.is_nil(res[i]) else assert.are.equal(2 * i, res[i]) end
    end
    wait_all(before)
    wait_all(after)
    for i = 1, 100 do
      assert.are.equal(2 * i, select(2, before[i]:wait()))
      assert.are.equal(-2 * i, select(2, after[i]:wait()))
    end
    assert.are.equal(20200, pool.stats.done)
    assert.are.equal(0, pool.stats.queued)
    -- Several items fail in one batch: the job fails with the first index.
    local l2 = {}
    for i = 1, 5000 do l2[i] = i end
    l2[4321] = { op = "fail", code = "E2", msg = "second" }
    l2[1234] = { op = "fail", code = "E1", msg = "first" }
    local e2, r2 = pool:map(l2):wait(60000)
    assert.is_nil(r2)
    assert.are.equal("E1", e2.code)
    assert.are.equal(1234, e2.index)
    assert.are.equal(2, pool.stats.failed)
    shut(pool)
  end)

  it("a worker killed in the middle of a map() fails the map once; the other tasks are answered", function()
    local pool = new_pool(WORKER, { size = 2 })
    ready_workers(pool, 2)
    local list = {}
    for i = 1, 20000 do list[i] = i end
    list[9000] = { op = "kill9" }
    local calls, got = 0, nil
    local job = pool:map(list, function(e, r)
      calls = calls + 1
      got = { e, r }
    end)
    local later = {}
    for i = 1, 50 do later[i] = pool:run(i) end
    local err, res = job:wait(60000)
    assert.is_nil(res)
    assert.are.equal("ERR_WORKER_EXITED", err.code)
    assert.are.equal("SIGKILL", err.signal)
    assert.is_true(err.index >= 1 and err.index <= 9000, "index " .. tostring(err.index))
    wait_all(later)
    for i = 1, 50 do assert.are.equal(2 * i, select(2, later[i]:wait())) end
    H.run_until(function() return calls > 0 end, 5000, "map callback")
    assert.are.equal(1, calls)
    assert.are.equal(err, got[1])
    -- Every item is counted once: done + failed.
    assert.are.equal(20050, pool.stats.done + pool.stats.failed)
    assert.is_true(pool.stats.failed >= 1)
    ready_workers(pool, 2) -- replaced
    shut(pool)
  end)

  it("terminate() during a long map() fails it and what is queued, once", function()
    local pool = new_pool(WORKER, { size = 2 })
    ready_workers(pool, 2)
    local list = {}
    for i = 1, 200000 do list[i] = { op = "echo", v = i } end
    local calls = 0
    local job = pool:map(list, function() calls = calls + 1 end)
    local tail = pool:run(1)
    H.run_until(function() return pool.stats.done > 0 end, 20000, "some items done")
    pool:terminate()
    assert.is_true(job.done)
    assert.are.equal("ERR_POOL_TERMINATED", (job:wait()).code)
    assert.are.equal("ERR_POOL_TERMINATED", (tail:wait()).code)
    assert.are.equal(200001, pool.stats.done + pool.stats.failed)
    H.run_until(function() return pool.closed end, 20000, "terminated")
    assert.are.equal(1, calls)
  end)

  it("map() keeps maxTasksPerWorker, concurrency and batch; with taskTimeout a stuck item fails alone", function()
    local function list(n, f)
      local t = {}
      for i = 1, n do t[i] = f and f(i) or i end
      return t
    end
    local pool = new_pool(WORKER, { size = 1, maxTasksPerWorker = 3 })
    local err, res = pool:map(list(10, function() return { op = "pid" } end)):wait(20000)
    assert.is_nil(err)
    local per = {}
    for i = 1, 10 do per[res[i]] = (per[res[i]] or 0) + 1 end
    local workers = 0
    for _, k in pairs(per) do
      workers = workers + 1
      assert.is_true(k <= 3, "a worker ran " .. k .. " items")
    end
    assert.is_true(workers >= 4)
    shut(pool)
    pool = new_pool(WORKER, { size = 2, concurrency = 2, batch = 5 })
    err, res = pool:map(list(1000)):wait(20000)
    assert.is_nil(err)
    for i = 1, 1000 do assert.are.equal(2 * i, res[i]) end
    shut(pool)
    pool = new_pool(WORKER, { size = 2, taskTimeout = 500 })
    local l = list(50)
    l[17] = { op = "hang" }
    err, res = pool:map(l):wait(20000)
    assert.is_nil(res)
    assert.are.equal("ETIMEDOUT", err.code)
    assert.are.equal(17, err.index)
    assert.are.equal(49, pool.stats.done)
    assert.are.equal(1, pool.stats.failed)
    local e2, r2 = pool:map(list(100)):wait(20000)
    assert.is_nil(e2)
    assert.are.equal(200, r2[100])
    shut(pool)
  end)

  it("close() during a long map() finishes it first", function()
    local pool = new_pool(WORKER, { size = 2 })
    local l = {}
    for i = 1, 50000 do l[i] = i end
    local job = pool:map(l)
    local closed = false
    pool:close(function() closed = true end)
    local err, res = job:wait(60000)
    assert.is_nil(err)
    assert.are.equal(50000, #res)
    assert.are.equal(100000, res[50000])
    H.run_until(function() return closed end, 20000, "closed")
  end)

  it("a task's error comes back with code and traceback; the tasks around it are fine", function()
    local pool = new_pool(WORKER, { size = 1 })
    local jobs = {}
    for i = 1, 40 do
      jobs[i] = pool:run(i == 20 and { op = "fail", code = "EBAD", msg = "bad" } or i)
    end
    wait_all(jobs)
    for i = 1, 40 do
      local err, r = jobs[i]:wait()
      if i == 20 then
        assert.are.equal("EBAD", err.code)
        assert.matches("req_worker.lua", err.traceback, 1, true)
      else
        assert.is_nil(err)
        assert.are.equal(2 * i, r)
      end
    end
    assert.are.equal(1, pool.stats.failed)
    assert.are.equal(39, pool.stats.done)
    shut(pool)
  end)

  it("defaults to one worker per CPU", function()
    local pool = new_pool(WORKER)
    local n = require("child_process.pool").cpus()
    local f = io.popen("nproc --all")
    assert.are.equal(tonumber(f:read("*l")), n)
    f:close()
    assert.are.equal(n, pool.stats.workers)
    shut(pool)
  end)

  it("a worker that exits mid-task fails only its own tasks (ERR_WORKER_EXITED, exit code) and is replaced", function()
    local pool = new_pool(WORKER, { size = 2, batch = 1 })
    ready_workers(pool, 2)
    local exits = {}
    pool:on("exit", function(code, sig, pid) exits[#exits + 1] = { code, sig, pid } end)
    local before = pids(pool)
    local bad = pool:run({ op = "exit", code = 9 })
    local jobs = {}
    for i = 1, 100 do jobs[i] = pool:run(i) end
    local err = bad:wait(20000)
    assert.are.equal("ERR_WORKER_EXITED", err.code)
    assert.are.equal(9, err.exitCode)
    assert.is_nil(err.signal)
    wait_all(jobs)
    for i = 1, 100 do
      local e, r = jobs[i]:wait()
      assert.is_nil(e)
      assert.are.equal(2 * i, r)
    end
    ready_workers(pool, 2)
    local after = pids(pool)
    assert.are.equal(1, #exits)
    assert.are.equal(9, exits[1][1])
    assert.are.not_same(before, after)
    assert.are.equal(1, pool.stats.failed)
    shut(pool)
  end)

  it("an uncaught error in a worker fails its task with ERR_WORKER_EXITED (code 1); the worker is replaced", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local pool = new_pool(WORKER, { size = 1, silent = true })
    local err = pool:run({ op = "uncaught" }):wait(20000)
    assert.are.equal("ERR_WORKER_EXITED", err.code)
    assert.are.equal(1, err.exitCode)
    local e2, r = pool:run(3):wait(20000)
    assert.is_nil(e2)
    assert.are.equal(6, r)
    shut(pool)
  end)

  it("a worker SIGKILLed from outside fails its tasks with the signal and is replaced", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local pool = new_pool(WORKER, { size = 1 })
    ready_workers(pool, 1)
    local pid = pids(pool)[1]
    local job = pool:run({ op = "exec", cmd = "sleep 30" })
    H.run_until(function() return pool.stats.busy == 1 end, 20000, "busy")
    os.execute("kill -9 " .. pid)
    local err = job:wait(20000)
    assert.are.equal("ERR_WORKER_EXITED", err.code)
    assert.are.equal("SIGKILL", err.signal)
    assert.are.equal(pid, err.pid)
    local e2, r = pool:run(4):wait(20000)
    assert.is_nil(e2)
    assert.are.equal(8, r)
    assert.are_not.equal(pid, pids(pool)[1])
    shut(pool)
  end)

  it("a task that never answers is ended by taskTimeout (ETIMEDOUT); the worker is replaced", function()
    local pool = new_pool(WORKER, { size = 1, taskTimeout = 300 })
    ready_workers(pool, 1)
    local pid = pids(pool)[1]
    local stuck = pool:run({ op = "hang" })
    local after = pool:run(21)
    local err = stuck:wait(20000)
    assert.are.equal("ETIMEDOUT", err.code)
    local e2, r = after:wait(20000)
    assert.is_nil(e2)
    assert.are.equal(42, r)
    assert.are_not.equal(pid, pids(pool)[1])
    -- with taskTimeout, tasks go one per message: only the stuck one fails
    local jobs = {}
    for i = 1, 10 do jobs[i] = pool:run(i == 5 and { op = "hang" } or i) end
    wait_all(jobs)
    for i = 1, 10 do
      local e, v = jobs[i]:wait()
      if i == 5 then
        assert.are.equal("ETIMEDOUT", e.code)
      else
        assert.is_nil(e)
        assert.are.equal(2 * i, v)
      end
    end
    shut(pool)
  end)

  it("with batches and taskTimeout, a stuck task fails the tasks of its batch only", function()
    local pool = new_pool(WORKER, { size = 1, taskTimeout = 200.5, batch = 4 })
    ready_workers(pool, 1)
    local jobs = {}
    for i = 1, 40 do jobs[i] = pool:run(i == 20 and { op = "hang" } or i) end
    wait_all(jobs)
    local failed = {}
    for i = 1, 40 do
      local e, v = jobs[i]:wait()
      if e then
        assert.are.equal("ETIMEDOUT", e.code)
        failed[#failed + 1] = i
      else
        assert.are.equal(2 * i, v)
      end
    end
    -- the stuck one and the (at most 3) others of its batch, neighbours in the queue
    assert.is_true(#failed >= 2 and #failed <= 4, #failed .. " failed")
    assert.is_true(failed[1] <= 20 and failed[#failed] >= 20)
    assert.is_true(failed[#failed] - failed[1] == #failed - 1)
    shut(pool)
  end)

  it("a worker that dies of kill -9 inside a batch fails that batch only", function()
    local pool = new_pool(WORKER, { size = 2 })
    ready_workers(pool, 2)
    local jobs = {}
    for i = 1, 2000 do jobs[i] = pool:run(i == 1000 and { op = "kill9" } or i) end
    wait_all(jobs)
    local failed, ok = 0, 0
    for i = 1, 2000 do
      local e, r = jobs[i]:wait()
      if e then
        failed = failed + 1
        assert.are.equal("ERR_WORKER_EXITED", e.code)
        assert.are.equal("SIGKILL", e.signal)
      else
        ok = ok + 1
        assert.are.equal(2 * i, r)
      end
    end
    assert.is_true(failed >= 1 and failed <= 64, "failed: " .. failed)
    assert.are.equal(2000, ok + failed)
    assert.are.equal(failed, pool.stats.failed)
    shut(pool)
  end)

  it("a full queue fails at once with ERR_POOL_QUEUE_FULL", function()
    local pool = new_pool(WORKER, { size = 1, maxQueue = 3 })
    local jobs = {}
    for i = 1, 3 do jobs[i] = pool:run(i) end -- the worker is not ready: all queued
    local called
    local full = pool:run(4, function(err) called = err end)
    assert.is_true(full.done)
    assert.are.equal("ERR_POOL_QUEUE_FULL", (full:wait()).code)
    assert.is_nil(called) -- the callback comes from the loop
    local mfull = pool:map({ 1 })
    assert.are.equal("ERR_POOL_QUEUE_FULL", (mfull:wait()).code)
    wait_all(jobs)
    H.run_until(function() return called ~= nil end, 5000, "callback")
    assert.are.equal("ERR_POOL_QUEUE_FULL", called.code)
    for i = 1, 3 do assert.are.equal(2 * i, select(2, jobs[i]:wait())) end
    shut(pool)
  end)

  it("maxTasksPerWorker recycles workers", function()
    local pool = new_pool(WORKER, { size = 1, maxTasksPerWorker = 3 })
    local seen = {}
    for _ = 1, 9 do
      local err, pid = pool:run({ op = "pid" }):wait(20000)
      assert.is_nil(err)
      seen[pid] = (seen[pid] or 0) + 1
    end
    local n = 0
    for _, count in pairs(seen) do
      n = n + 1
      assert.are.equal(3, count)
    end
    assert.are.equal(3, n)
    shut(pool)
  end)

  it("idleTimeout retires idle workers; a new task brings them back", function()
    local pool = new_pool(WORKER, { size = 2, idleTimeout = 100 })
    assert.are.equal(2, select(2, pool:run(1):wait(20000)))
    H.run_until(function() return pool.stats.workers == 0 end, 20000, "workers retired")
    local err, r = pool:run(5):wait(20000)
    assert.is_nil(err)
    assert.are.equal(10, r)
    assert.are.equal(2, pool.stats.workers)
    shut(pool)
  end)

  it("concurrency lets a worker hold several tasks at once", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    -- Two rendezvous tasks answer only once both are in the same worker.
    local pool = new_pool(WORKER, { size = 1, concurrency = 2, batch = 1 })
    local err, res = pool:map({ { op = "rendezvous" }, { op = "rendezvous" } }):wait(20000)
    assert.is_nil(err)
    table.sort(res)
    assert.are.same({ "first", "second" }, res)
    shut(pool)
    -- with concurrency 1 the first one holds the worker: taskTimeout ends it
    pool = new_pool(WORKER, { size = 1, taskTimeout = 300, batch = 1 })
    local a, b = pool:run({ op = "rendezvous" }), pool:run({ op = "rendezvous" })
    assert.are.equal("ETIMEDOUT", (a:wait(20000)).code)
    assert.are.equal("ETIMEDOUT", (b:wait(20000)).code)
    shut(pool)
  end)

  it("jobs can be waited for inside cp.async", function()
    local pool = new_pool(WORKER, { size = 2 })
    local out = {}
    for i = 1, 4 do
      cp.async(function()
        local err, r = pool:run(i):wait()
        out[i] = err or r
      end)
    end
    H.run_until(function() return out[1] and out[2] and out[3] and out[4] end, 20000, "coroutines")
    assert.are.same({ 2, 4, 6, 8 }, out)
    shut(pool)
  end)

  it("an idle pool does not keep cp.run() running", function()
    local pool = new_pool(WORKER, { size = 2 })
    local n = 0
    for i = 1, 10 do pool:run(i, function() n = n + 1 end) end
    cp.run()
    assert.are.equal(10, n)
    shut(pool)
  end)

  it("close() finishes the queue, then the workers exit; later runs fail with ERR_POOL_CLOSED", function()
    local fds = H.fd_count()
    local pool = new_pool(WORKER, { size = 2 })
    local jobs = {}
    for i = 1, 500 do jobs[i] = pool:run(i) end
    local closed = false
    pool:close(function() closed = true end)
    local late = pool:run(1)
    assert.are.equal("ERR_POOL_CLOSED", (late:wait()).code)
    H.run_until(function() return closed end, 20000, "close callback")
    for i = 1, 500 do
      local err, r = jobs[i]:wait()
      assert.is_nil(err)
      assert.are.equal(2 * i, r)
    end
    assert.are.equal(0, pool.stats.workers)
    H.assert_clean()
    H.assert_fds_back_to(fds)
    assert.are.equal(0, H.zombies())
  end)

  it("terminate() fails queued and running tasks and leaves no child and no fd", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local fds = H.fd_count()
    local pool = new_pool(WORKER, { size = 2 })
    ready_workers(pool, 2)
    local jobs = {}
    for i = 1, 4 do jobs[i] = pool:run({ op = "exec", cmd = "sleep 30" }) end
    for i = 5, 50 do jobs[i] = pool:run(i) end
    H.run_until(function() return pool.stats.busy == 2 end, 20000, "busy")
    local done = false
    pool:terminate(function() done = true end)
    for i = 1, 50 do
      assert.is_true(jobs[i].done)
      assert.are.equal("ERR_POOL_TERMINATED", (jobs[i]:wait()).code)
    end
    assert.are.equal("ERR_POOL_TERMINATED", (pool:run(1):wait()).code)
    H.run_until(function() return done end, 20000, "terminate callback")
    H.assert_clean()
    H.assert_fds_back_to(fds)
    assert.are.equal(0, H.zombies())
  end)

  it("workers that cannot start fail the queue with ERR_WORKER_INIT instead of looping", function()
    local pool = new_pool(F .. "req_load_error.lua", { size = 2, silent = true })
    local errors = {}
    pool:on("error", function(e) errors[#errors + 1] = e end)
    local err = pool:run(1):wait(20000)
    assert.are.equal("ERR_WORKER_INIT", err.code)
    assert.are.equal(1, err.exitCode)
    assert.is_true(#errors >= 3)
    H.run_until(function() return pool.stats.workers == 0 end, 20000, "no workers")
    -- a new task tries again (and fails the same way)
    assert.are.equal("ERR_WORKER_INIT", (pool:run(2):wait(20000)).code)
    H.run_until(function() return pool.stats.workers == 0 end, 20000, "no workers")
    shut(pool)
  end)

  it("a pool of Node.js workers speaks the same protocol, batches included", function()
    local pool = new_pool(F .. "node_req_worker.js", { size = 2, execPath = "node" })
    local list = {}
    for i = 1, 300 do list[i] = i end
    list[150] = { op = "fail", code = "ENODE", msg = "x" }
    local jobs = {}
    for i = 1, 300 do jobs[i] = pool:run(list[i]) end
    wait_all(jobs, 30000)
    for i = 1, 300 do
      local err, r = jobs[i]:wait()
      if i == 150 then
        assert.are.equal("ENODE", err.code)
      else
        assert.is_nil(err)
        assert.are.equal(2 * i, r)
      end
    end
    shut(pool)
  end)

  it("a task value changed after run() into one that cannot be encoded fails that task alone", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local pool = new_pool(WORKER, { size = 1 })
    local slow = pool:run({ op = "exec", cmd = "sleep 0.2" }) -- holds the worker
    local v = { op = "double", n = 1 }
    local bad = pool:run(v)
    local good = pool:run(5)
    v.f = print -- still queued
    assert.are.equal("ERR_INVALID_ARG_VALUE", (bad:wait(20000)).code)
    assert.is_nil((slow:wait(20000)))
    assert.are.same({ nil, 10 }, { good:wait(20000) })
    shut(pool)
  end)

  it("rejects bad arguments, naming them", function()
    H.assert_bad_argument("#1 to 'pool' (modulePath", cp.pool, 42)
    H.assert_bad_argument("#2 to 'pool' (options must be a table", cp.pool, WORKER, 3)
    H.assert_bad_argument("option 'size'", cp.pool, WORKER, { size = 0 })
    H.assert_bad_argument("option 'size'", cp.pool, WORKER, { size = "2" })
    H.assert_bad_argument("option 'size'", cp.pool, WORKER, { size = 1.5 })
    H.assert_bad_argument("option 'maxQueue'", cp.pool, WORKER, { maxQueue = -1 })
    H.assert_bad_argument("option 'taskTimeout'", cp.pool, WORKER, { taskTimeout = 0 })
    H.assert_bad_argument("option 'idleTimeout'", cp.pool, WORKER, { idleTimeout = "x" })
    H.assert_bad_argument("option 'maxTasksPerWorker'", cp.pool, WORKER, { maxTasksPerWorker = 0 })
    H.assert_bad_argument("option 'concurrency'", cp.pool, WORKER, { concurrency = 0 })
    H.assert_bad_argument("option 'args'", cp.pool, WORKER, { args = "x" })
    H.assert_bad_argument("option 'execArgv'", cp.pool, WORKER, { execArgv = 5 })
    local pool = new_pool(WORKER, { size = 1 })
    H.assert_bad_argument("#1 to 'run' (value cannot be encoded", function() pool:run(function() end) end)
    H.assert_bad_argument("#1 to 'run' (value cannot be encoded", function() pool:run({ a = 0 / 0 }) end)
    H.assert_bad_argument("#1 to 'run' (value cannot be encoded", function() pool:run("\255") end)
    H.assert_bad_argument("#2 to 'run' (callback must be a function", function() pool:run(1, 2) end)
    H.assert_bad_argument("#1 to 'map' (table expected", function() pool:map(1) end)
    H.assert_bad_argument("#1 to 'map' (value cannot be encoded", function() pool:map({ 1, print }) end)
    H.assert_bad_argument("#1 to 'close'", function() pool:close(1) end)
    assert.are.equal(0, pool.stats.queued)
    shut(pool)
  end)
end)
