--- cqueues_spec.lua — SPEC §6 "Other schedulers": after cp.use_cqueues(cqueues),
--- wait() inside a cqueues-managed coroutine yields to cqueues, so the other
--- coroutines of the cqueue run on while it waits on a child.
--- Needs Debian's lua-cqueues (installed by `make test-deps`): a missing
--- cqueues is an error here, never a skipped test.
local H = require("helper")
local cp = H.cp
local core = H.core
local table = H.compat.table -- table.pack/unpack on 5.1 and LuaJIT too
local cqueues = require("cqueues")

-- Run every coroutine of cq to the end, for at most `secs` (a hang is a
-- failure, not a stuck suite).  Errors raised in a coroutine come out here.
local function loop(cq, secs)
  local ok, err = cq:loop(secs or 15)
  if not ok then error(err, 0) end
  assert(cq:empty(), "the cqueue still had coroutines after " .. (secs or 15) .. " s")
end

-- obj:wait() in one coroutine while another, once the waiter sleeps in its
-- poll (it yields nowhere else), runs the module's loop without yielding
-- until done(): the waiter never sees the loop's fd readable and must be
-- woken.  Returns what the wait returned (table.pack).
local function wait_while_another_runs(cq, obj, done)
  local waiting, result = false, nil
  cq:wrap(function()
    waiting = true
    result = table.pack(obj:wait())
  end)
  cq:wrap(function()
    while not waiting do cqueues.sleep(0) end
    while not done() do core.run("once") end
  end)
  loop(cq, 10)
  return result
end

-- What every hook for cqueues must give: run under cp.use_cqueues and
-- under the hook the README shows over cp.use_scheduler.
local function behaves(install)
  setup(install)
  teardown(function() cp.use_scheduler(nil) end)
  after_each(function() H.assert_clean() end)

  it("lets other coroutines run while one waits on a child", function()
    local cq = cqueues.new()
    local waiting, ticks_while_waiting, result = false, 0, nil
    cq:wrap(function()
      local child = cp.spawn("sleep", { "1" })
      waiting = true
      result = table.pack(child:wait())
      waiting = false
    end)
    cq:wrap(function()
      repeat
        cqueues.sleep(0.01)
        if waiting then ticks_while_waiting = ticks_while_waiting + 1 end
      until result
    end)
    loop(cq)
    assert.are.same({ n = 2, [1] = 0 }, result)
    -- A wait that blocked the thread would let the ticker run 0 times
    -- while it lasts; yielding, ~100 ticks fit in the second.
    assert.is_true(ticks_while_waiting >= 10, "ticks while waiting: " .. ticks_while_waiting)
  end)

  it("waits on several children in several coroutines at once", function()
    local cq = cqueues.new()
    local N, in_flight, max_in_flight, codes = 5, 0, 0, {}
    for i = 1, N do
      cq:wrap(function()
        -- Exit in the reverse order of the waits.
        local child = cp.spawn("sh", { "-c", ("sleep 0.%d; exit %d"):format(N - i + 1, i) })
        in_flight = in_flight + 1
        if in_flight > max_in_flight then max_in_flight = in_flight end
        codes[i] = child:wait()
        in_flight = in_flight - 1
      end)
    end
    loop(cq)
    assert.are.same({ 1, 2, 3, 4, 5 }, codes)
    assert.are.equal(N, max_in_flight) -- a blocking wait would make it 1
  end)

  it("many children that exit together all wake their waiters", function()
    local cq = cqueues.new()
    local got = {}
    for i = 1, 20 do
      cq:wrap(function() got[i] = cp.spawn("sh", { "-c", "exit " .. i }):wait() end)
    end
    loop(cq)
    for i = 1, 20 do assert.are.equal(i, got[i]) end
  end)

  it("wakes a waiter whose child another coroutine's loop run completed", function()
    local cq = cqueues.new()
    local child = cp.spawn("true", { stdio = "ignore" })
    local result = wait_while_another_runs(cq, child, function() return child._closed end)
    assert.are.same({ n = 2, [1] = 0 }, result)
  end)

  it("wait(ms) times out with nil, 'timeout' and the child keeps running", function()
    local cq = cqueues.new()
    local first, second, ticks = nil, nil, 0
    cq:wrap(function()
      local child = cp.spawn("sleep", { "10" })
      first = table.pack(child:wait(200))
      assert.is_nil(child.exitCode)
      child:kill()
      second = table.pack(child:wait(10000))
    end)
    cq:wrap(function()
      repeat
        cqueues.sleep(0.01)
        ticks = ticks + 1
      until second
    end)
    loop(cq)
    assert.are.same({ n = 2, [2] = "timeout" }, first)
    assert.are.same({ n = 2, [2] = "SIGTERM" }, second)
    assert.is_true(ticks >= 5, "ticks: " .. ticks)
  end)


  -- Requests and pool jobs wait through the same waiter as children
  -- (SPEC §9: wait() "yields inside cp.async", and under a scheduler too).
  it("a request's wait() yields while the reply is on its way", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local cq = cqueues.new()
    local waiting, ticks_while_waiting, result = false, 0, nil
    local c = cp.fork(H.fixtures .. "req_worker.lua")
    finally(function()
      if not c._closed then
        c:kill("SIGKILL")
        H.wait_close(c, 10000)
      end
    end)
    cq:wrap(function()
      waiting = true
      result = table.pack(c:request({ op = "exec", cmd = "sleep 0.5; echo slow" }):wait(10000))
      waiting = false
    end)
    cq:wrap(function()
      repeat
        cqueues.sleep(0.01)
        if waiting then ticks_while_waiting = ticks_while_waiting + 1 end
      until result
    end)
    loop(cq)
    assert.are.same({ n = 2, [2] = "slow\n" }, result)
    assert.is_true(ticks_while_waiting >= 10, "ticks while waiting: " .. ticks_while_waiting)
    c:disconnect()
    H.wait_close(c, 10000)
  end)

  it("a pool job's wait() yields; jobs of several coroutines wait at once", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local cq = cqueues.new()
    local pool = cp.pool(H.fixtures .. "req_worker.lua", { size = 2 })
    finally(function()
      if not pool.closed then
        pool:terminate()
        H.run_until(function() return pool.closed end, 20000, "pool terminated")
      end
    end)
    local N, in_flight, max_in_flight, got, ticks = 4, 0, 0, {}, 0
    for i = 1, N do
      cq:wrap(function()
        local job = pool:run({ op = "exec", cmd = "sleep 0.2; echo " .. i })
        in_flight = in_flight + 1
        if in_flight > max_in_flight then max_in_flight = in_flight end
        got[i] = table.pack(job:wait(20000))
        in_flight = in_flight - 1
      end)
    end
    cq:wrap(function()
      repeat
        cqueues.sleep(0.01)
        ticks = ticks + 1
      until #got == N and got[1] and got[2] and got[3] and got[4]
    end)
    loop(cq, 30)
    for i = 1, N do assert.are.same({ n = 2, [2] = i .. "\n" }, got[i]) end
    assert.are.equal(N, max_in_flight) -- a blocking wait would make it 1
    assert.is_true(ticks >= 10, "ticks: " .. ticks)
    local closed = false
    pool:close(function() closed = true end)
    H.run_until(function() return closed end, 20000, "pool closed")
  end)

  it("a request's wait(ms) times out with ETIMEDOUT; the request goes on", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local cq = cqueues.new()
    local c = cp.fork(H.fixtures .. "req_worker.lua")
    finally(function()
      if not c._closed then
        c:kill("SIGKILL")
        H.wait_close(c, 10000)
      end
    end)
    local first, second, ticks = nil, nil, 0
    cq:wrap(function()
      local p = c:request({ op = "exec", cmd = "sleep 0.4; echo later" })
      first = table.pack(p:wait(50))
      second = table.pack(p:wait(10000))
    end)
    cq:wrap(function()
      repeat
        cqueues.sleep(0.01)
        ticks = ticks + 1
      until second
    end)
    loop(cq)
    assert.are.equal("ETIMEDOUT", first[1].code)
    assert.is_nil(first[2])
    assert.are.same({ n = 2, [2] = "later\n" }, second)
    assert.is_true(ticks >= 5, "ticks: " .. ticks)
    c:disconnect()
    H.wait_close(c, 10000)
  end)

  it("wakes a request's waiter whose reply another coroutine's loop run took in", function()
    local cq = cqueues.new()
    local c = cp.fork(H.fixtures .. "req_worker.lua")
    finally(function()
      if not c._closed then
        c:kill("SIGKILL")
        H.wait_close(c, 10000)
      end
    end)
    local p = c:request({ op = "double", n = 21 })
    local result = wait_while_another_runs(cq, p, function() return p.done end)
    assert.are.same({ n = 2, [2] = 42 }, result)
    c:disconnect()
    H.wait_close(c, 10000)
  end)
end

describe("the README's cqueues hook over cp.use_scheduler", function()
  behaves(function() H.readme_chunk("For cqueues it is:", { cp = cp, cqueues = cqueues })() end)
end)

describe("cp.use_cqueues", function()
  behaves(function() cp.use_cqueues(cqueues) end)

  it("runs the README's example", function()
    local lines = {}
    local function print(...)
      local t = table.pack(...)
      for i = 1, t.n do t[i] = tostring(t[i]) end
      lines[#lines + 1] = table.concat(t, " ", 1, t.n)
    end
    H.readme_chunk("(Debian's `lua-cqueues`):", { cp = cp, print = print })()
    local sorted = { table.unpack(lines) }
    table.sort(sorted)
    assert.are.same({ "0 nil", "tick 1", "tick 2", "tick 3", "tick 4", "tick 5" }, sorted)
    -- The first tick (at 0.1 s) came while the wait (1 s) was going on; a
    -- blocking wait would print its result first.
    assert.are_not.equal("0 nil", lines[1])
  end)

  it("runs callbacks when nobody waits, with the README's driver coroutine", function()
    local cq = cqueues.new()
    local got
    cp.exec("echo driven", function(err, out) got = { err = err, out = out } end)
    H.readme_chunk("coroutine drives the loop:", { cp = cp, cq = cq, cqueues = cqueues })()
    loop(cq)
    assert.are.same({ out = "driven\n" }, got)
  end)

  it("a forked child's messages arrive while its parent's coroutine waits", function()
    local cq = cqueues.new()
    local pongs, code = 0, nil
    cq:wrap(function()
      local c = cp.fork(H.fixtures .. "fork_hold.lua")
      c:on("message", function(m)
        if m == "ready" then
          for i = 1, 20 do c:send(i) end
        elseif type(m) == "table" then
          pongs = pongs + 1
          if pongs == 20 then c:send("stop") end -- then it ends by itself
        end
      end)
      code = c:wait(10000)
    end)
    loop(cq)
    assert.are.equal(20, pongs)
    assert.are.equal(0, code)
  end)

  it("wait(0) on a running child returns nil, 'timeout' at once", function()
    local cq = cqueues.new()
    local r
    cq:wrap(function()
      local child = cp.spawn("sleep", { "10" })
      r = table.pack(child:wait(0))
      child:kill("SIGKILL")
      child:wait()
    end)
    loop(cq)
    assert.are.same({ n = 2, [2] = "timeout" }, r)
  end)

  it("exec's wait yields and gets what the callback gets", function()
    local cq = cqueues.new()
    local cb, w
    cq:wrap(function()
      local child = cp.exec("echo out; echo err >&2; exit 3", function(...) cb = table.pack(...) end)
      w = table.pack(child:wait())
    end)
    loop(cq)
    assert.are.equal(3, w.n)
    assert.are.equal(3, w[1].code)
    assert.are.equal("out\n", w[2])
    assert.are.equal("err\n", w[3])
    assert.are.equal(cb[1], w[1])
    assert.are.equal(cb[2], w[2])
  end)

  it("fires the callbacks of children nobody waits on while another waits", function()
    local cq = cqueues.new()
    local reader_code, cb_out
    cq:wrap(function()
      -- Ends only when its stdin is closed, which the exec callback below
      -- does: this wait returns only if that callback fired meanwhile.
      local reader = cp.spawn("sh", { "-c", "read x; exit 4" }, { stdio = { "pipe", "ignore", "ignore" } })
      cp.exec("echo fired", function(err, out)
        assert.is_nil(err)
        cb_out = out
        reader.stdin:close()
      end)
      reader_code = reader:wait(10000)
    end)
    loop(cq)
    assert.are.equal("fired\n", cb_out)
    assert.are.equal(4, reader_code)
  end)

  it("raises an error of a callback from the wait() that ran it", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "this spec waits inside its own pcall") end
    local cq = cqueues.new()
    local ok, err, code
    cq:wrap(function()
      local child = cp.exec("true", function() error("boom from callback") end)
      ok, err = pcall(child.wait, child)
      -- The wait still completed: a second wait returns the result.
      code = child:wait()
    end)
    loop(cq)
    assert.is_false(ok)
    assert.matches("boom from callback", tostring(err), 1, true)
    assert.is_nil(code) -- exec's wait: err = nil on success
  end)

  it("an error of an exit handler comes out of cq:loop() when not caught", function()
    local cq = cqueues.new()
    cq:wrap(function()
      local child = cp.spawn("true")
      child:on("exit", function() error("exit handler raised") end)
      child:wait()
    end)
    local ok, err = cq:loop(15)
    assert.is_false(ok)
    assert.matches("exit handler raised", tostring(err), 1, true)
    -- The child is gone and its close came: nothing left behind.
    H.run_until(function() return core.stats().procs == 0 end, 5000, "child reaped")
  end)

  it("wait() outside a cqueues coroutine still runs the loop itself", function()
    local code = cp.spawn("sh", { "-c", "exit 6" }):wait()
    assert.are.equal(6, code)
  end)

  it("wait() in a coroutine cqueues does not manage still runs the loop", function()
    local cq = cqueues.new()
    local code
    cq:wrap(function()
      -- A plain coroutine inside the managed one: cannot yield to cqueues.
      code = coroutine.wrap(function() return cp.spawn("sh", { "-c", "exit 8" }):wait() end)()
    end)
    loop(cq)
    assert.are.equal(8, code)
  end)

  it("cp.async keeps working alongside", function()
    local cq = cqueues.new()
    local a, b
    cp.async(function() a = cp.spawn("sh", { "-c", "exit 2" }):wait() end)
    cq:wrap(function() b = cp.spawn("sh", { "-c", "exit 3" }):wait() end)
    loop(cq)
    H.run_until(function() return a ~= nil end, 10000, "async wait")
    assert.are.equal(2, a)
    assert.are.equal(3, b)
  end)

  it("rejects a bad argument with a clear error", function()
    H.assert_bad_argument("bad argument #1 to 'use_cqueues' (cqueues module table expected, got nil)",
      cp.use_cqueues, nil)
    H.assert_bad_argument("bad argument #1 to 'use_cqueues'", cp.use_cqueues, {})
    H.assert_bad_argument("bad argument #1 to 'use_cqueues'", cp.use_cqueues, "cqueues")
  end)
end)

describe("cp.use_scheduler", function()
  teardown(function() cp.use_scheduler(nil) end)
  after_each(function() H.assert_clean() end)

  it("rejects a bad hook with a clear error naming the field", function()
    H.assert_bad_argument("bad argument #1 to 'use_scheduler' (table or nil expected, got number)",
      cp.use_scheduler, 5)
    H.assert_bad_argument("'running' must be a function", cp.use_scheduler,
      { wait = function() end, wake = function() end })
    H.assert_bad_argument("'wait' must be a function", cp.use_scheduler,
      { running = function() end, wake = function() end })
    H.assert_bad_argument("'wake' must be a function", cp.use_scheduler,
      { running = function() end, wait = function() end })
  end)

  it("a hook made of plain coroutines drives wait() (the generic contract)", function()
    -- A toy scheduler: wait(p) yields p to the test, which resumes the
    -- coroutine once p:pollfd() is readable or p:timeout() is up (here:
    -- by running the module's loop once, which blocks on that fd until
    -- then), or after wake(p).
    local managed, woken = {}, {}
    cp.use_scheduler({
      running = function() return managed[coroutine.running()] == true end,
      wait = function(p)
        assert.is_number(p:pollfd())
        assert.are.equal("r", p:events())
        local t = p:timeout()
        assert.is_true(t == nil or t >= 0)
        coroutine.yield(p)
      end,
      wake = function(p) woken[p] = true end,
    })
    local result
    local co = coroutine.create(function() result = cp.spawn("sh", { "-c", "exit 9" }):wait() end)
    managed[co] = true
    local ok, p = coroutine.resume(co)
    assert.is_true(ok, p)
    local polls = 0
    while coroutine.status(co) == "suspended" do
      polls = polls + 1
      if not woken[p] then cp.run("once") end
      ok, p = coroutine.resume(co)
      assert.is_true(ok, p)
    end
    assert.are.equal(9, result)
    assert.is_true(polls >= 1)
  end)
end)
