--- kill_spec.lua — SPEC §3 kill([signal]) and ref()/unref().
local H = require("helper")
local cp, core = H.cp, H.core

local function sleeper()
  local c = cp.spawn("sleep", { "10" }, { stdio = "ignore" })
  assert.is_not_nil(c.pid)
  return c
end

describe("kill", function()
  after_each(function() H.assert_clean() end)

  it("defaults to SIGTERM", function()
    local c = sleeper()
    assert.is_true(c:kill())
    local code, sig = H.wait_close(c)
    assert.is_nil(code)
    assert.are.equal("SIGTERM", sig)
    assert.is_true(c.killed)
  end)

  for _, case in ipairs({
    { "SIGKILL", "SIGKILL" }, { 9, "SIGKILL" }, { "SIGINT", "SIGINT" }, { 2, "SIGINT" },
    { "SIGHUP", "SIGHUP" }, { "SIGUSR2", "SIGUSR2" }, { 15, "SIGTERM" },
  }) do
    it(("kill(%s) delivers %s"):format(tostring(case[1]), case[2]), function()
      local c = sleeper()
      assert.is_true(c:kill(case[1]))
      local _, sig = H.wait_close(c)
      assert.are.equal(case[2], sig)
      assert.are.equal(case[2], c.signalCode)
    end)
  end

  it("a signal the child handles: it decides the exit code", function()
    local c = cp.spawn("sh", { "-c", "trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done" })
    local ready = false
    c.stdout:on("data", function() ready = true end)
    H.run_until(function() return ready end)
    assert.is_true(c:kill("SIGTERM"))
    local code, sig = H.wait_close(c)
    assert.are.equal(42, code)
    assert.is_nil(sig)
    assert.is_true(c.killed)
  end)

  it("signal 0 probes without killing and does not set killed", function()
    local c = sleeper()
    assert.is_true(c:kill(0))
    assert.is_false(c.killed)
    c:kill("SIGKILL")
    H.wait_close(c)
  end)

  it("an unknown signal name is a bad argument error", function()
    local c = sleeper()
    local msg = H.error_of(c.kill, c, "SIGFOO")
    assert.matches("bad argument #1 to 'kill'", msg)
    assert.matches("SIGFOO", msg)
    assert.is_nil(c.exitCode)
    c:kill()
    H.wait_close(c)
  end)

  it("a bad signal type is a bad argument error", function()
    local c = sleeper()
    assert.matches("bad argument #1 to 'kill'", H.error_of(c.kill, c, {}))
    assert.matches("bad argument #1 to 'kill'", H.error_of(c.kill, c, 1.5))
    assert.matches("bad argument #1 to 'kill'", H.error_of(c.kill, c, -1))
    c:kill()
    H.wait_close(c)
  end)

  it("after exit returns false and does nothing", function()
    local c = cp.spawn("true")
    H.wait_close(c)
    assert.is_false(c:kill())
    assert.is_false(c:kill("SIGKILL"))
    assert.is_false(c.killed)
  end)

  it("after a failed spawn returns false", function()
    local c = cp.spawn("cp-no-such-command-xyz")
    c:on("error", function() end)
    assert.is_false(c:kill())
    H.wait_close(c)
    assert.is_false(c:kill())
  end)

  it("kills only our child, even once its pid could be reused", function()
    -- After exit, kill() must not signal the (possibly reused) pid.
    local c = cp.spawn("true")
    H.wait_close(c)
    local pid = c.pid
    assert.is_false(c:kill("SIGKILL"))
    assert.are.equal(pid, c.pid)
  end)

  it("a detached child's group is not signalled by kill: only the child", function()
    local c = cp.spawn("sh", { "-c", "sleep 10 & echo $!; wait" }, { detached = true })
    local out = {}
    c.stdout:on("data", function(d) out[#out + 1] = d end)
    H.run_until(function() return #out > 0 end)
    local grandchild = tonumber(table.concat(out):match("%d+"))
    c:kill("SIGKILL")
    H.run_until(function() return c.signalCode ~= nil end)
    -- The grandchild still runs (kill targets the pid, not the group).
    assert.is_true(H.execute("kill -0 " .. grandchild))
    os.execute("kill " .. grandchild)
    H.wait_close(c)
  end)
end)

describe("ref / unref", function()
  after_each(function() H.assert_clean() end)

  it("an unref'd child lets cp.run() return while it runs", function()
    local c = cp.spawn("sleep", { "5" })
    c:unref()
    local t0 = core.now()
    assert.is_false(cp.run())
    assert.is_true(core.now() - t0 < 2000)
    assert.is_nil(c.exitCode)
    assert.is_true(H.execute("kill -0 " .. c.pid))
    c:ref()
    c:kill()
    local _, sig = H.wait_close(c)
    assert.are.equal("SIGTERM", sig)
  end)

  it("unref with the streams being read still lets run() return", function()
    local c = cp.spawn("sh", { "-c", "echo x; exec sleep 5" })
    local out = H.collect(c.stdout)
    c.stderr:on("data", function() end)
    H.run_until(function() return out() == "x\n" end)
    c:unref()
    local t0 = core.now()
    assert.is_false(cp.run())
    assert.is_true(core.now() - t0 < 2000)
    assert.is_nil(c.exitCode)
    c:kill()
    H.wait_close(c)
  end)

  it("an unref'd child still delivers its events when the loop runs", function()
    local c = cp.spawn("echo", { "hi" })
    c:unref()
    local out = H.collect(c.stdout)
    local closed = false
    c:on("close", function() closed = true end)
    -- wait() holds the child referenced while it waits
    assert.are.equal(0, (c:wait()))
    assert.is_true(closed)
    assert.are.equal("hi\n", out())
  end)

  it("ref() after unref() keeps run() waiting for the child", function()
    local c = cp.spawn("sh", { "-c", "sleep 0.1" })
    c:unref()
    c:ref()
    local closed = false
    c:on("close", function() closed = true end)
    cp.run()
    assert.is_true(closed)
  end)

  it("an unref'd timeout timer does not hold the loop", function()
    local c = cp.spawn("sleep", { "5" }, { timeout = 3000 })
    c:unref()
    local t0 = core.now()
    cp.run()
    assert.is_true(core.now() - t0 < 2000)
    c:kill()
    H.wait_close(c)
  end)
end)
