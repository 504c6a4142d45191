--- copas_spec.lua — SPEC §6 "Other schedulers": the copas hook the README
--- shows, run as it stands there.  Needs copas 4 (pauseforever, wakeup):
--- Debian's lua-copas is 1.2.0, built for Lua 5.1 and 5.2 only, so where
--- copas 4 is not installed (`luarocks install copas`) these are pending,
--- never passed.
local H = require("helper")
local cp = H.cp
local core = H.core

local has_copas, copas = pcall(require, "copas")
local copas4 = has_copas and type(copas.pauseforever) == "function"
local WHY = "copas 4 not installed (Debian's lua-copas 1.2.0 is for Lua 5.1/5.2)"

-- copas.loop() with a deadline: step until every thread is done, with
-- copas.running set as copas.loop() sets it; a hang fails after `secs`.
local function loop(secs)
  local deadline = copas.gettime() + (secs or 15)
  copas.running = true
  local ok, err = pcall(function()
    while not copas.finished() do
      if copas.gettime() >= deadline then
        error("copas threads still running after " .. (secs or 15) .. " s", 0)
      end
      copas.step(0.05)
    end
  end)
  copas.running = false
  if not ok then error(err, 2) end
end

describe("the README's copas hook", function()
  setup(function()
    if copas4 then H.readme_chunk("<!-- copas hook: spec/copas_spec.lua loads this block -->")() end
  end)
  teardown(function() cp.use_scheduler(nil) end)
  after_each(function() H.assert_clean() end)

  it("lets other threads run while one waits on a child", function()
    if not copas4 then pending(WHY) return end
    local waiting, ticks_while_waiting, result = false, 0, nil
    copas.addthread(function()
      local child = cp.spawn("sleep", { "1" })
      waiting = true
      result = table.pack(child:wait())
      waiting = false
    end)
    copas.addthread(function()
      repeat
        copas.pause(0.01)
        if waiting then ticks_while_waiting = ticks_while_waiting + 1 end
      until result
    end)
    loop()
    assert.are.same({ n = 2, [1] = 0 }, result)
    assert.is_true(ticks_while_waiting >= 10, "ticks while waiting: " .. ticks_while_waiting)
  end)

  it("waits on several children in several threads at once", function()
    if not copas4 then pending(WHY) return end
    local N, in_flight, max_in_flight, codes = 5, 0, 0, {}
    for i = 1, N do
      copas.addthread(function()
        local child = cp.spawn("sh", { "-c", ("sleep 0.%d; exit %d"):format(N - i + 1, i) })
        in_flight = in_flight + 1
        if in_flight > max_in_flight then max_in_flight = in_flight end
        codes[i] = child:wait()
        in_flight = in_flight - 1
      end)
    end
    loop()
    assert.are.same({ 1, 2, 3, 4, 5 }, codes)
    assert.are.equal(N, max_in_flight)
  end)

  it("wakes a waiter whose child another thread's loop run completed", function()
    if not copas4 then pending(WHY) return end
    local child = cp.spawn("true", { stdio = "ignore" })
    local waiting, result = false, nil
    copas.addthread(function()
      waiting = true
      result = table.pack(child:wait())
    end)
    copas.addthread(function()
      while not waiting do copas.pause(0) end
      while not child._closed do core.run("once") end
    end)
    loop(10)
    assert.are.same({ n = 2, [1] = 0 }, result)
  end)

  it("wait(ms) times out, and exec callbacks fire", function()
    if not copas4 then pending(WHY) return end
    local first, second, cb_out
    copas.addthread(function()
      local child = cp.spawn("sleep", { "10" })
      cp.exec("echo fired", function(_, out) cb_out = out end)
      first = table.pack(child:wait(200))
      child:kill()
      second = table.pack(child:wait(10000))
    end)
    loop()
    assert.are.same({ n = 2, [2] = "timeout" }, first)
    assert.are.same({ n = 2, [2] = "SIGTERM" }, second)
    assert.are.equal("fired\n", cb_out)
  end)
end)
