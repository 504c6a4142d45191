local H = require("helper")
local cp = H.cp
local core = H.core

describe("wait()", function()
  after_each(function() H.assert_clean() end)

  it("returns code, signal for spawn, running the loop", function()
    local child = cp.spawn("sh", { "-c", "exit 7" })
    local code, sig = child:wait()
    assert.are.equal(7, code)
    assert.is_nil(sig)
    assert.are.equal(7, child.exitCode)
  end)

  it("returns nil, signal for a child killed by a signal", function()
    local child = cp.spawn("sleep", { "30" })
    child:kill("SIGKILL")
    local code, sig = child:wait()
    assert.is_nil(code)
    assert.are.equal("SIGKILL", sig)
  end)

  it("returns what the close event gets, after close", function()
    local child = cp.spawn("echo", { "x" })
    local out = H.collect(child.stdout)
    local closed = false
    child:on("close", function() closed = true end)
    assert.are.equal(0, child:wait())
    assert.is_true(closed)
    assert.are.equal("x\n", out())
  end)

  it("returns err, stdout, stderr for exec and execFile", function()
    local err, out, errout = cp.exec("echo o; echo e >&2"):wait()
    assert.is_nil(err)
    assert.are.equal("o\n", out)
    assert.are.equal("e\n", errout)
    err, out = cp.execFile("sh", { "-c", "echo o; exit 2" }):wait()
    assert.are.equal(2, err.code)
    assert.are.equal("o\n", out)
    err = cp.execFile("no_such_command_cp_spec_xyz"):wait()
    assert.are.equal("ENOENT", err.code)
  end)

  it("gets the same values as the exec callback", function()
    local cb_args
    local child = cp.exec("echo same; exit 3", function(...) cb_args = H.compat.pack(...) end)
    local w = H.compat.pack(child:wait())
    assert.are.equal(3, w.n)
    assert.are.equal(cb_args[1], w[1])
    assert.are.equal(cb_args[2], w[2])
    assert.are.equal(cb_args[3], w[3])
  end)

  it("returns nil, nil for a spawn that failed", function()
    local child = cp.spawn("no_such_command_cp_spec_xyz")
    local err
    child:on("error", function(e) err = e end)
    local code, sig = child:wait()
    assert.is_nil(code)
    assert.is_nil(sig)
    assert.are.equal("ENOENT", err.code)
  end)

  it("returns at once on a child that has already closed", function()
    local child = cp.spawn("sh", { "-c", "exit 5" })
    assert.are.equal(5, child:wait())
    -- Nothing is left to run: a second wait must not need the loop.
    assert.are.equal(0, core.stats().procs)
    assert.are.equal(5, child:wait())
    assert.are.equal(5, child:wait(0))
    local ex = cp.execFile("echo", { "e" })
    ex:wait()
    local err, out = ex:wait()
    assert.is_nil(err)
    assert.are.equal("e\n", out)
  end)

  it("returns nil, 'timeout' and leaves the child running", function()
    local child = cp.spawn("sleep", { "30" })
    local a, b = child:wait(50)
    assert.is_nil(a)
    assert.are.equal("timeout", b)
    assert.is_nil(child.exitCode)
    assert.is_nil(child.signalCode)
    assert.is_true(child:kill())
    local code, sig = child:wait()
    assert.is_nil(code)
    assert.are.equal("SIGTERM", sig)
  end)

  it("with a timeout that does not expire returns the result", function()
    local child = cp.spawn("true")
    assert.are.equal(0, child:wait(20000))
  end)

  it("waits for an unref'd child", function()
    local child = cp.spawn("sh", { "-c", "sleep 0.1; exit 4" })
    child:unref()
    assert.are.equal(4, child:wait())
  end)

  it("raises a clear error from inside an event callback", function()
    local a = cp.spawn("true")
    local b = cp.spawn("sleep", { "30" })
    local ok, msg
    a:on("exit", function()
      ok, msg = pcall(b.wait, b)
      b:kill()
    end)
    H.wait_close(a)
    H.wait_close(b)
    assert.is_false(ok)
    assert.matches("wait", tostring(msg))
    assert.matches("not re-entrant", tostring(msg), 1, true)
    assert.matches("cp.async", tostring(msg), 1, true)
  end)

  it("rejects a bad timeout", function()
    local child = cp.spawn("true")
    for _, v in ipairs({ "x", -1, {}, true, 0 / 0 }) do
      local msg = H.error_of(child.wait, child, v)
      assert.matches("bad argument #1 to 'wait'", msg, 1, true)
    end
    child:wait()
  end)

  it("propagates a callback's error and completes on the next wait", function()
    local child = cp.spawn("sh", { "-c", "exit 1" })
    child:on("exit", function() error("exit listener failed") end)
    local ok, msg = pcall(child.wait, child)
    assert.is_false(ok)
    assert.matches("exit listener failed", tostring(msg))
    assert.are.equal(1, child:wait())
  end)
end)

describe("cp.async", function()
  after_each(function() H.assert_clean() end)

  it("runs fn at once, up to the first wait", function()
    local steps = {}
    cp.async(function(x, y)
      steps[#steps + 1] = x + y
      local code = cp.spawn("sh", { "-c", "exit 2" }):wait()
      steps[#steps + 1] = code
    end, 1, 2)
    assert.are.same({ 3 }, steps)
    cp.run()
    assert.are.same({ 3, 2 }, steps)
  end)

  it("returns the coroutine", function()
    local co = cp.async(function() end)
    assert.are.equal("thread", type(co))
    assert.are.equal("dead", coroutine.status(co))
  end)

  it("yields in wait, so that children run concurrently", function()
    local t0 = core.now()
    local results
    cp.async(function()
      local a = cp.spawn("sleep", { "0.3" })
      local b = cp.spawn("sleep", { "0.3" })
      results = { a:wait(), b:wait() }
    end)
    H.run_until(function() return results ~= nil end)
    local elapsed = core.now() - t0
    assert.are.same({ 0, 0 }, results)
    assert.is_true(elapsed < 550, "took " .. elapsed .. " ms")
  end)

  it("runs several async functions side by side", function()
    local got = {}
    for i = 1, 3 do
      cp.async(function()
        local err, out = cp.execFile("echo", { tostring(i) }):wait()
        assert(err == nil)
        got[i] = out
      end)
    end
    cp.run()
    assert.are.same({ "1\n", "2\n", "3\n" }, got)
  end)

  it("lets several coroutines wait on one child", function()
    local child = cp.spawn("sh", { "-c", "sleep 0.05; exit 6" })
    local a, b
    cp.async(function() a = child:wait() end)
    cp.async(function() b = child:wait() end)
    cp.run()
    assert.are.equal(6, a)
    assert.are.equal(6, b)
  end)

  it("returns exec results from wait", function()
    local r
    cp.async(function()
      r = H.compat.pack(cp.exec("echo hi; echo err >&2; exit 9"):wait())
    end)
    cp.run()
    assert.are.equal(9, r[1].code)
    assert.are.equal("hi\n", r[2])
    assert.are.equal("err\n", r[3])
  end)

  it("wait(ms) yields nil, 'timeout' and the child keeps running", function()
    local r1, r2, final
    local child = cp.spawn("sleep", { "30" })
    cp.async(function()
      r1, r2 = child:wait(50)
      assert(child.exitCode == nil and child.signalCode == nil)
      child:kill()
      final = H.compat.pack(child:wait())
    end)
    cp.run()
    assert.is_nil(r1)
    assert.are.equal("timeout", r2)
    assert.is_nil(final[1])
    assert.are.equal("SIGTERM", final[2])
  end)

  it("wait(ms) that does not expire returns the result", function()
    local code
    cp.async(function() code = cp.spawn("true"):wait(20000) end)
    cp.run()
    assert.are.equal(0, code)
  end)

  it("wait on a closed child returns at once, without yielding", function()
    local child = cp.spawn("true")
    child:wait()
    local code
    cp.async(function() code = child:wait() end)
    assert.are.equal(0, code)
  end)

  it("can be started from inside an event callback", function()
    local code
    local a = cp.spawn("true")
    a:on("exit", function()
      cp.async(function() code = cp.spawn("sh", { "-c", "exit 3" }):wait() end)
    end)
    cp.run()
    assert.are.equal(3, code)
  end)

  it("propagates an error after a wait out of cp.run, with traceback", function()
    cp.async(function()
      cp.spawn("true"):wait()
      error("boom in async")
    end)
    local ok, msg = pcall(cp.run)
    assert.is_false(ok)
    assert.matches("boom in async", tostring(msg), 1, true)
    assert.matches("stack traceback", tostring(msg), 1, true)
    -- The loop is still usable.
    cp.run()
    assert.are.equal(0, cp.spawn("true"):wait())
    local out
    cp.async(function() local _; _, out = cp.exec("echo again"):wait() end)
    cp.run()
    assert.are.equal("again\n", out)
  end)

  it("propagates an error after a wait(ms) timeout out of cp.run", function()
    local child = cp.spawn("sleep", { "30" })
    cp.async(function()
      child:wait(20)
      error("after timeout")
    end)
    local ok, msg = pcall(cp.run, "once")
    while ok do ok, msg = pcall(cp.run, "once") end
    assert.matches("after timeout", tostring(msg), 1, true)
    child:kill()
    child:wait()
  end)

  it("raises an error before the first wait at the call site", function()
    local ok, msg = pcall(cp.async, function() error("early") end)
    assert.is_false(ok)
    assert.matches("early", tostring(msg), 1, true)
  end)

  it("keeps error tables as they are", function()
    cp.async(function()
      cp.spawn("true"):wait()
      error({ code = "MINE" })
    end)
    local ok, err = pcall(cp.run)
    assert.is_false(ok)
    assert.are.equal("MINE", err.code)
    cp.run()
  end)

  it("rejects a non-function", function()
    local msg = H.error_of(cp.async, 42)
    assert.matches("bad argument #1 to 'async'", msg, 1, true)
  end)
end)

describe("wait() edge cases", function()
  after_each(function() H.assert_clean() end)

  it("wakes every coroutine waiting on a child even if one raises", function()
    local child = cp.spawn("true")
    local woke = 0
    cp.async(function() child:wait(); woke = woke + 1; error("first waiter") end)
    cp.async(function() child:wait(); woke = woke + 1; error("second waiter") end)
    cp.async(function() child:wait(); woke = woke + 1 end)
    local msgs = {}
    for _ = 1, 10 do
      local ok, msg = pcall(cp.run)
      if ok then break end
      msgs[#msgs + 1] = tostring(msg)
    end
    assert.are.equal(3, woke)
    assert.are.equal(2, #msgs)
    assert.matches("first waiter", msgs[1], 1, true)
    assert.matches("second waiter", msgs[2], 1, true)
  end)

  it("raises instead of spinning when nothing can complete the child", function()
    local child = cp.spawn("echo", { "x" })
    child.stdout:on("data", function() end)
    child.stdout:pause()
    local ok, msg = pcall(child.wait, child)
    assert.is_false(ok)
    assert.matches("no work left", tostring(msg), 1, true)
    child.stdout:resume()
    assert.are.equal(0, child:wait())
  end)
end)
