--- luv_spec.lua — SPEC §6: a luv application drives the module's loop by
--- watching backend_fd() with uv.new_poll and a timer for backend_timeout().
local H = require("helper")
local cp = H.cp

local has_luv, uv = pcall(require, "luv")

describe("under luv", function()
  -- luv's loop may have been idle since another spec file ran it: its
  -- cached time is stale, and a timer started now would fire at once.
  before_each(function() if has_luv then uv.update_time() end end)
  after_each(function() H.assert_clean() end)

  -- Hook our loop into luv's: a poll handle on backend_fd() runs our loop
  -- when it has I/O; a prepare handle (run just before luv blocks) arms a
  -- timer with backend_timeout(), so our timers fire too.  Returns unhook.
  local function hook()
    local poll, timer, prepare = uv.new_poll(cp.backend_fd()), uv.new_timer(), uv.new_prepare()
    local function tick() cp.run("nowait") end
    poll:start("r", tick)
    prepare:start(function()
      local ms = cp.backend_timeout()
      timer:stop()
      if ms >= 0 then timer:start(ms, 0, tick) end
    end)
    local done = false
    return function() -- idempotent: a guard timer may call it too
      if done then return end
      done = true
      for _, h in ipairs({ poll, timer, prepare }) do
        h:stop()
        h:close()
      end
    end
  end

  it("a child's close arrives while only uv.run() runs", function()
    if not has_luv then pending("lua-luv not installed") return end
    local unhook = hook()
    local result
    local c = cp.spawn("sh", { "-c", "sleep 0.1; echo from-child" })
    local out = H.collect(c.stdout)
    c:on("close", function(code)
      result = { code = code, out = out() }
      unhook()
    end)
    local guard = uv.new_timer()
    guard:start(10000, 0, function() unhook(); guard:close() end)
    guard:unref()
    uv.run()
    if not guard:is_closing() then guard:close() end
    uv.run("nowait")
    assert.are.same({ code = 0, out = "from-child\n" }, result)
  end)

  it("timeouts of the module fire under luv (backend_timeout)", function()
    if not has_luv then pending("lua-luv not installed") return end
    local unhook = hook()
    local sig
    local c = cp.spawn("sleep", { "10" }, { timeout = 100 })
    c:on("close", function(_, s)
      sig = s
      unhook()
    end)
    uv.run()
    assert.are.equal("SIGTERM", sig)
  end)

  it("an idle module does not make the host spin", function()
    if not has_luv then pending("lua-luv not installed") return end
    local polls, timer_arms = 0, 0
    local poll, timer, prepare = uv.new_poll(cp.backend_fd()), uv.new_timer(), uv.new_prepare()
    poll:start("r", function() polls = polls + 1; cp.run("nowait") end)
    prepare:start(function()
      local ms = cp.backend_timeout()
      timer:stop()
      if ms >= 0 then
        timer_arms = timer_arms + 1
        timer:start(ms, 0, function() cp.run("nowait") end)
      end
    end)
    local stop = uv.new_timer()
    stop:start(200, 0, function()
      for _, h in ipairs({ poll, timer, prepare, stop }) do h:stop(); h:close() end
    end)
    uv.run()
    -- nothing to do: backend_timeout() was -1, so no timer and no wake-up
    assert.are.equal(0, timer_arms)
    assert.are.equal(0, polls)
  end)

  it("several children and luv's own timers interleave", function()
    if not has_luv then pending("lua-luv not installed") return end
    local unhook = hook()
    local closed, ticks = 0, 0
    local t = uv.new_timer()
    t:start(5, 5, function() ticks = ticks + 1 end)
    for i = 1, 5 do
      local c = cp.spawn("sh", { "-c", "sleep 0.0" .. i .. "; exit " .. i })
      c:on("close", function(code)
        assert(code == i)
        closed = closed + 1
        if closed == 5 then unhook(); t:stop(); t:close() end
      end)
    end
    uv.run()
    assert.are.equal(5, closed)
    assert.is_true(ticks > 0)
  end)
end)
