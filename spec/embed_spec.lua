--- embed_spec.lua — SPEC §6: a loop per lua_State, driving the loop from a
--- host (run("nowait"), backend_fd, backend_timeout), closing a state
--- without killing its children, nothing global set by loading.
local H = require("helper")
local cp, core = H.cp, H.core

local HOST = H.root .. "/build/embed_host"

local function file_exists(p)
  local f = io.open(p)
  if f then f:close() return true end
  return false
end

-- Run a Lua snippet in a fresh interpreter that can load the module.
local function lua_out(code)
  local c = cp.spawn(H.lua, { "-e", code }, { env = H.lua_env() })
  local out, err = H.collect(c.stdout), H.collect(c.stderr)
  local status = H.wait_close(c)
  return out(), err(), status
end

describe("embedding", function()
  after_each(function() H.assert_clean() end)

  it("run('nowait') ticks: true while work remains, then false", function()
    local c = cp.spawn("sh", { "-c", "sleep 0.1; echo x" })
    local out = H.collect(c.stdout)
    local closed = false
    c:on("close", function() closed = true end)
    assert.is_true(cp.run("nowait"))
    H.run_until(function() return closed end)
    assert.is_false(cp.run("nowait"))
    assert.are.equal("x\n", out())
  end)

  it("run('once') returns true while work remains", function()
    local c = cp.spawn("sleep", { "0.05" })
    local closed = false
    c:on("close", function() closed = true end)
    local results = {}
    while not closed do results[#results + 1] = cp.run("once") end
    assert.is_false(results[#results])
    for i = 1, #results - 1 do assert.is_true(results[i]) end
  end)

  it("backend_fd() is an fd of this process", function()
    local fd = cp.backend_fd()
    assert.are.equal("integer", H.compat.mathtype(fd))
    assert.is_true(fd >= 0)
    local f = io.open("/proc/self/fdinfo/" .. fd)
    assert.is_not_nil(f, "fd " .. fd .. " is not open")
    local info = f:read("*a")
    f:close()
    assert.matches("tfd:", info) -- an epoll fd watching something
    assert.are.equal(fd, cp.backend_fd())
  end)

  it("backend_timeout() is an integer: -1 when idle, the next timer otherwise", function()
    cp.run("nowait")
    assert.are.equal(-1, cp.backend_timeout())
    local t = core.timer()
    t:start(5000, 0, function() end)
    local ms = cp.backend_timeout()
    assert.are.equal("integer", H.compat.mathtype(ms))
    assert.is_true(ms > 4000 and ms <= 5000, "timeout " .. ms)
    t:close()
    cp.run("nowait")
  end)

  it("backend_timeout() counts unreferenced timers, so a host need not spin", function()
    local c = cp.spawn("sleep", { "10" }, { timeout = 3000 })
    c:unref()
    cp.run("nowait")
    local ms = cp.backend_timeout()
    assert.is_true(ms > 2000 and ms <= 3000, "timeout " .. ms)
    c:kill()
    H.wait_close(c)
  end)

  it("backend_timeout() is 0 when a callback is due right away", function()
    local c = cp.spawn("true")
    -- spawn is emitted on the next iteration: a 0 ms timer is pending
    assert.are.equal(0, cp.backend_timeout())
    H.wait_close(c)
  end)

  it("a host drives two lua_States in one process; closing one leaves its child running", function()
    if not file_exists(HOST) then pending("build/embed_host not built (make)") return end
    local mark = os.tmpname()
    os.remove(mark)
    local env = H.lua_env()
    env.CP_ROOT = H.root
    env.CP_EMBED_MARK = mark
    local c = cp.spawn(HOST, { H.fixtures .. "embed_state.lua" }, { env = env })
    local out, err = H.collect(c.stdout), H.collect(c.stderr)
    local code, sig = H.wait_close(c, 30000)
    assert.are.equal("", err())
    assert.is_nil(sig)
    assert.are.equal(0, code)
    -- A and B finish in either order (whichever echo exits first)
    local a, b, rest = out():match("^([^\n]*)\n([^\n]*)\n(.*)$")
    if a and a:sub(1, 1) == "B" then a, b = b, a end
    assert.are.same({ "A child of A code=0", "B child of B code=0", "ok\n" }, { a, b, rest }, out())
    -- State C was closed while its child slept: the child lives on and
    -- writes the mark.  Poll for it with a timer (no sleeping).
    local t = core.timer()
    t:start(20, 20, function() end)
    H.run_until(function() return file_exists(mark) end, 10000, "the orphaned child's mark")
    t:close()
    local f = io.open(mark)
    local s = f:read("*a")
    f:close()
    os.remove(mark)
    assert.are.equal("survived\n", s)
  end)

  it("loading the module sets no global", function()
    local out, err, status = lua_out([[
      local before = {}
      for k in pairs(_G) do before[k] = true end
      require("child_process")
      for k in pairs(_G) do if not before[k] then io.write(tostring(k), " ") end end
    ]])
    assert.are.equal("", err)
    assert.are.equal(0, status)
    assert.are.equal("", out)
  end)

  it("loading the module ignores SIGPIPE (and nothing else)", function()
    local out = lua_out([[
      local function ign()
        local f = io.open("/proc/self/status")
        local s = f:read("*a"):match("SigIgn:%s*(%x+)")
        f:close()
        return tonumber(s, 16)
      end
      local before = ign()
      require("child_process")
      io.write(before, " ", ign())
    ]])
    local before, after = out:match("^(%d+) (%d+)$")
    before, after = tonumber(before), tonumber(after)
    assert.are.equal(2 ^ 12, after - before) -- bit 13 (SIGPIPE) set
  end)

  it("children do not inherit the ignored SIGPIPE", function()
    local c = cp.spawn("sh", { "-c", "grep SigIgn /proc/self/status" })
    local out = H.collect(c.stdout)
    H.wait_close(c)
    local mask = tonumber(out():match("SigIgn:%s*(%x+)"), 16)
    assert.is_false(H.bit(mask, 12))
  end)

  it("a second require in the same state shares the loop", function()
    local out, err, status = lua_out([[
      local a = require("child_process")
      package.loaded["child_process"] = nil
      package.loaded["child_process.core"] = nil
      for k in pairs(package.loaded) do
        if k:match("^child_process") then package.loaded[k] = nil end
      end
      local b = require("child_process")
      assert(a ~= b)
      assert(a.backend_fd() == b.backend_fd())
      local c = a.spawn("echo", { "shared" })
      c.stdout:on("data", io.write)
      b.run()
    ]])
    assert.are.equal("", err)
    assert.are.equal(0, status)
    assert.are.equal("shared\n", out)
  end)

  it("a script that exits with children running does not hang or crash", function()
    local out, err, status = lua_out([[
      local cp = require("child_process")
      cp.spawn("sleep", { "5" }, { stdio = "ignore" })
      cp.spawn("echo", { "x" })
      io.write("bye")
    ]])
    assert.are.equal("", err)
    assert.are.equal(0, status)
    assert.are.equal("bye", out)
  end)
end)
