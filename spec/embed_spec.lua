--- embed_spec.lua — SPEC §6: a loop per lua_State, driving the loop from a
--- host (run("nowait"), backend_fd, backend_timeout), closing a state
--- without killing its children, nothing global set by loading.
local H = require("helper")
local cp, core = H.cp, H.core

local HOST = H.host("embed_host")

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
    -- libuv >= 1.45 answers 0 while fd changes made by callbacks wait for
    -- the next pass to reach epoll ("run me again now"): a host does that.
    -- The SIGCHLD fallback's sweep backs off from 1 ms: under valgrind a
    -- pass can outlast each of its first steps, which are then due at once.
    local ms
    for _ = 1, 50 do
      cp.run("nowait")
      ms = cp.backend_timeout()
      if ms ~= 0 then break end
    end
    c:kill() -- before asserting: a failure must not leave the child to the next tests
    H.wait_close(c)
    if core.reaper() == "pidfd" then
      assert.is_true(ms > 2000 and ms <= 3000, "timeout " .. ms)
    else
      -- The SIGCHLD fallback also sweeps for exits, backing off to 100 ms.
      assert.is_true(ms > 0 and ms <= 100, "timeout " .. ms)
    end
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
    -- Each state's line comes when its own child is done: A and B race.
    local lines = {}
    for l in out():gmatch("[^\n]+") do lines[#lines + 1] = l end
    table.sort(lines, function(x, y) return x ~= "ok" and (y == "ok" or x < y) end)
    assert.are.same({ "A child of A code=0", "B child of B code=0", "ok" }, lines, out())
    assert.are.equal("ok\n", out():sub(-3))
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

  it("loading the module catches SIGPIPE (and ignores nothing)", function()
    local out = lua_out([[
      local function mask(name)
        local f = io.open("/proc/self/status")
        local s = f:read("*a"):match(name .. ":%s*(%x+)")
        f:close()
        return tonumber(s, 16)
      end
      local ign, cgt = mask("SigIgn"), mask("SigCgt")
      require("child_process")
      io.write(ign, " ", mask("SigIgn"), " ", cgt, " ", mask("SigCgt"))
    ]])
    local ign0, ign1, cgt0, cgt1 = out:match("^(%d+) (%d+) (%d+) (%d+)$")
    assert.are.equal(tonumber(ign0), tonumber(ign1))          -- nothing ignored
    assert.are.equal(2 ^ 12, tonumber(cgt1) - tonumber(cgt0)) -- SIGPIPE caught
  end)

  it("io.popen and os.execute children get the default SIGPIPE after the require", function()
    local out = lua_out([[
      require("child_process")
      local p = io.popen("grep SigIgn /proc/self/status")
      local popen = p:read("*a")
      p:close()
      io.write(popen)
      -- The classic: a producer that only stops when its reader goes away.
      local t0 = os.time()
      os.execute("timeout 20 sh -c 'while :; do echo y; done' | head -1 >/dev/null")
      io.write("took ", os.time() - t0, "\n")
    ]])
    local mask = tonumber(out:match("SigIgn:%s*(%x+)"), 16)
    assert.is_false(H.bit(mask, 12))
    assert.is_true(tonumber(out:match("took (%d+)")) < 10, out)
  end)

  it("children get the default SIGPIPE", function()
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
