-- Busy polling before the loop sleeps (src/poll.c): the adaptive window,
-- its maximum (cp.busy_poll, LUA_CHILD_PROCESS_BUSY_POLL), and that it
-- never holds an event back: a timer still fires on time.
local H = require("helper")
local cp = H.cp
local F = H.fixtures

local function cpus()
  -- (nproc would honour OMP_NUM_THREADS; libuv looks at the affinity only)
  local p = io.popen("env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc")
  local n = tonumber(p:read("*l"))
  p:close()
  return n
end

-- The maximum a fresh lua_State reads from the environment.
local function max_from_env(value)
  local env = H.lua_env()
  env.LUA_CHILD_PROCESS_BUSY_POLL = value
  local r = cp.spawnSync(H.lua, { "-e", "io.write((require('child_process').busy_poll()))" },
    { env = env })
  assert.are.equal(0, r.status, r.stderr)
  return tonumber(r.stdout)
end

-- n round trips with an echoing forked child.
local function ping_pong(child, n)
  local got = 0
  child:on("message", function(m)
    got = got + 1
    assert.are.equal(got, m.i)
    if got < n then child:send({ i = got + 1 }) end
  end)
  child:send({ i = 1 })
  H.run_until(function() return got == n end, 60000, n .. " round trips")
end

describe("busy polling", function()
  local saved
  before_each(function() saved = cp.busy_poll() end)
  after_each(function()
    cp.busy_poll(saved)
    H.assert_clean()
  end)

  it("defaults to 50 µs with more than one CPU, and to off with one", function()
    local want = cpus() > 1 and 50 or 0
    assert.are.equal(want, max_from_env(nil))
    assert.are.equal(want, max_from_env("not a number"))
    assert.are.equal(want, max_from_env("-5"))
  end)

  it("is off in a process allowed on one CPU only", function()
    local code = "io.write((require('child_process').busy_poll()))"
    local r = cp.spawnSync("taskset", { "-c", "0", H.lua, "-e", code }, { env = H.lua_env() })
    assert.are.equal(0, r.status, r.stderr)
    assert.are.equal("0", r.stdout)
  end)

  it("takes its maximum from LUA_CHILD_PROCESS_BUSY_POLL, 0 for off", function()
    if cpus() > 1 then
      assert.are.equal(7, max_from_env("7"))
      assert.are.equal(1000000, max_from_env("5000000")) -- clamped to a second
    else
      assert.are.equal(0, max_from_env("7"))
    end
    assert.are.equal(0, max_from_env("0"))
  end)

  it("rejects a bad maximum", function()
    H.assert_bad_argument("busy_poll", cp.busy_poll, -1)
    H.assert_bad_argument("between 0 and 1000000", cp.busy_poll, 1000001)
    H.assert_bad_argument("number expected", cp.busy_poll, "fast")
    H.assert_bad_argument("number has no integer representation", cp.busy_poll, 1.5)
    assert.are.equal(saved, (cp.busy_poll()))
  end)

  it("grows its window while replies come fast, and drops it after a longer wait", function()
    -- A maximum of a second: every reply, even under valgrind, comes sooner.
    assert.are.same({ 1000000, 0 }, { cp.busy_poll(1000000) })
    local child = cp.fork(F .. "echo_child.lua")
    ping_pong(child, 50)
    local max, window = cp.busy_poll()
    assert.are.equal(1000000, max)
    assert.is_true(window >= 10, "window " .. window .. " µs after 50 fast replies")
    -- Lowering the maximum clamps the window at once.
    assert.are.same({ 1000, math.min(window, 1000) }, { cp.busy_poll(1000) })
    -- A 50 ms wait with nothing on the channel outlasts the 1 ms maximum.
    local fired = false
    local t = H.core.timer()
    t:start(50, 0, function() fired = true end)
    H.run_until(function() return fired end, 10000, "the timer")
    t:close()
    assert.are.same({ 1000, 0 }, { cp.busy_poll() })
    child:disconnect()
    H.wait_close(child)
  end)

  it("never polls with a maximum of 0", function()
    cp.busy_poll(0)
    local child = cp.fork(F .. "echo_child.lua")
    ping_pong(child, 50)
    assert.are.same({ 0, 0 }, { cp.busy_poll() })
    child:disconnect()
    H.wait_close(child)
  end)

  it("does not poll past the next timer", function()
    -- Replies that take 60 ms grow the window past 60 ms (a maximum of a
    -- second allows it): the loop now polls that long before it sleeps.
    cp.busy_poll(1000000)
    local child = cp.fork(F .. "echo_later.lua")
    local got = 0
    child:on("message", function(m)
      got = got + 1
      if got < 16 then child:send(m) end
    end)
    child:send({ delay = 60 })
    H.run_until(function() return got == 16 end, 60000, "16 slow replies")
    local _, window = cp.busy_poll()
    assert.is_true(window >= 60000, "window " .. window .. " µs")
    -- Nothing comes on the channel: the 5 ms timer must end the poll, not
    -- the window.
    local t0, t1 = H.core.now(), nil
    local t = H.core.timer()
    t:start(5, 0, function() t1 = H.core.now() end)
    H.run_until(function() return t1 ~= nil end, 10000, "the timer")
    t:close()
    assert.is_true(t1 - t0 < window / 2000, ("a 5 ms timer fired after %.1f ms"):format(t1 - t0))
    child:disconnect()
    H.wait_close(child)
  end)

  it("is read by a forked child from its environment", function()
    local env = H.lua_env()
    env.LUA_CHILD_PROCESS_BUSY_POLL = "0"
    local child = cp.fork(F .. "fork_info.lua", {}, { env = env })
    local info
    child:on("message", function(m) info = info or m end)
    H.run_until(function() return info ~= nil end, 10000, "the child's info")
    child:disconnect()
    H.wait_close(child)
    assert.are.equal(0, info.busy_poll)
  end)
end)
