--- guest_spec.lua — SPEC §6: a good guest in any host process.  Child
--- exits seen through a pidfd (no SIGCHLD handler) or the SIGCHLD fallback,
--- kill through the pidfd, a fresh loop clock, every callback error
--- surfacing, os.exit from a callback, a late __gc, closed stdio fds, and
--- running on luv's loop.  The C-host cases (a host's own SIGCHLD handler,
--- waitpid(-1), states opened and closed, threads) are in host_spec.lua.
local H = require("helper")
local cp, core = H.cp, H.core

-- Run a Lua snippet in a fresh interpreter that can load the module;
-- `env` entries are added to its environment.  → stdout, stderr, code
local function lua_out(code, env, timeout)
  local e = H.lua_env()
  for k, v in pairs(env or {}) do e[k] = v end
  local c = cp.spawn(H.lua, { "-e", code }, { env = e })
  local out, err = H.collect(c.stdout), H.collect(c.stderr)
  local status, sig = H.wait_close(c, timeout or 20000)
  return out(), err(), status, sig
end

-- A process's caught signals (SigCgt), as a number.
local CAUGHT = [[
  local function caught()
    for l in io.lines("/proc/self/status") do
      local m = l:match("^SigCgt:%s*(%x+)")
      if m then return tonumber(m, 16) end
    end
  end
  local function sigchld() return math.floor(caught() / 2 ^ 16) % 2 end -- bit 16 (SIGCHLD - 1)
]]

-- The suite may run with the fallback forced (make test-nopidfd): the
-- pidfd cases ask for pidfd explicitly.
local PIDFD = { LUA_CHILD_PROCESS_NO_PIDFD = "" }

local function has_pidfd()
  local out = lua_out([[io.write(tostring(require("child_process.core").reaper()))]], PIDFD)
  return out == "pidfd"
end

describe("child exits", function()
  after_each(function() H.assert_clean() end)

  it("are watched through a pidfd: no SIGCHLD handler is installed", function()
    assert.is_true(has_pidfd(), "this kernel has pidfd_open (Linux 5.3+)")
    local out, err, status = lua_out(CAUGHT .. [[
      local cp = require("child_process")
      local before = sigchld()
      local codes = {}
      for i = 1, 5 do
        cp.spawn("sh", { "-c", "exit " .. i }):on("exit", function(c) codes[#codes + 1] = c end)
      end
      cp.run()
      table.sort(codes)
      io.write(before, " ", sigchld(), " ", table.concat(codes, ","))
    ]], PIDFD)
    assert.are.equal("", err)
    assert.are.equal(0, status)
    assert.are.equal("0 0 1,2,3,4,5", out)
  end)

  it("fall back to SIGCHLD without pidfd (LUA_CHILD_PROCESS_NO_PIDFD=1)", function()
    local out, err, status = lua_out(CAUGHT .. [[
      local cp = require("child_process")
      local core = require("child_process.core")
      local codes = {}
      for i = 1, 5 do
        cp.spawn("sh", { "-c", "exit " .. i }):on("exit", function(c) codes[#codes + 1] = c end)
      end
      local k = cp.spawn("sleep", { "10" })
      k:on("exit", function(_, s) codes[#codes + 1] = s end)
      k:kill("SIGKILL")
      cp.run()
      table.sort(codes, function(a, b) return tostring(a) < tostring(b) end)
      io.write(core.reaper(), " ", sigchld() ~= 0 and "caught" or "-", " ",
        table.concat(codes, ","))
    ]], { LUA_CHILD_PROCESS_NO_PIDFD = "1" })
    assert.are.equal("", err)
    assert.are.equal(0, status)
    assert.are.equal("sigchld caught 1,2,3,4,5,SIGKILL", out)
  end)

  it("kill() goes through pidfd_send_signal, never kill(2)", function()
    assert.is_true(H.execute("command -v strace >/dev/null"), "strace is installed by make test-deps")
    local e = H.lua_env()
    e.LUA_CHILD_PROCESS_NO_PIDFD = nil
    local c = cp.spawn("strace", { "-f", "-qq", "-e", "trace=kill,pidfd_send_signal,rt_sigaction",
      H.lua, "-e", [[
        local cp = require("child_process")
        local s = cp.spawn("sleep", { "10" })
        s:kill("SIGTERM")
        cp.run()
      ]] }, { env = e })
    local err = H.collect(c.stderr)
    assert.are.equal(0, H.wait_close(c, 30000))
    local trace = err()
    assert.matches("pidfd_send_signal%(%d+, SIGTERM", trace)
    assert.is_nil(trace:match("[^_]kill%(%d+, SIGTERM"), trace)
    assert.is_nil(trace:match("rt_sigaction%(SIGCHLD, {sa_handler=0x"), trace)
  end)

  -- Without pidfd, kill() goes through kill(2) by pid.  One sweep may reap
  -- two children and deliver their exits one after the other: a listener
  -- of the first that kills the second must not signal its pid, which is
  -- free for reuse from the moment it was reaped.
  it("without pidfd, kill() never signals a child already reaped whose exit is still to come", function()
    assert.is_true(H.execute("command -v strace >/dev/null"), "strace is installed by make test-deps")
    local e = H.lua_env()
    e.LUA_CHILD_PROCESS_NO_PIDFD = "1"
    local c = cp.spawn("strace", { "-f", "-qq", "-e", "trace=kill", H.lua, "-e", [[
        local cp = require("child_process")
        local a, b = cp.spawn("true"), cp.spawn("true")
        local got = {}
        a:on("exit", function() got[#got + 1] = "a kills b: " .. tostring(b:kill()) end)
        b:on("exit", function() got[#got + 1] = "b kills a: " .. tostring(a:kill()) end)
        -- Both are zombies, not reaped, before the loop runs: one sweep
        -- reaps the two.
        local function gone(pid)
          local f = io.open("/proc/" .. pid .. "/stat")
          if not f then return true end
          local st = f:read("*a")
          f:close()
          return st:match("^%d+ %b() (%a)") == "Z"
        end
        local until_t = os.time() + 10
        while not (gone(a.pid) and gone(b.pid)) and os.time() < until_t do os.execute("sleep 0.01") end
        cp.run()
        io.write(a.pid, " ", b.pid, "; ", table.concat(got, ", "))
      ]] }, { env = e })
    local out, err = H.collect(c.stdout), H.collect(c.stderr)
    assert.are.equal(0, H.wait_close(c, 30000))
    local pa, pb, got = out():match("^(%d+) (%d+); (.*)$")
    assert.is_not_nil(pa, out())
    -- Whichever exit came first, its listener's kill found the other gone.
    assert.is_true(got == "a kills b: false, b kills a: false" or got == "b kills a: false, a kills b: false", got)
    local trace = err()
    assert.is_nil(trace:match("kill%(" .. pa .. ","), trace)
    assert.is_nil(trace:match("kill%(" .. pb .. ","), trace)
  end)
end)

describe("the loop's clock", function()
  after_each(function() H.assert_clean() end)

  it("a timeout counts from when it is started, not from the last loop pass", function()
    cp.run() -- the loop's cached time is now
    -- Blocked longer than the timeout: a timer counted from the stale time
    -- would be due at once.  The child needs far less than the timeout.
    os.execute("sleep 3")
    local got
    cp.exec("sleep 0.1; echo ok", { timeout = 2500 }, function(err, out) got = { err, out } end)
    H.run_until(function() return got end)
    assert.is_nil(got[1])
    assert.are.equal("ok\n", got[2])
  end)

  it("wait(ms) counts from the call", function()
    cp.run()
    os.execute("sleep 3")
    local c = cp.spawn("sleep", { "0.1" })
    assert.are.equal(0, c:wait(2500))
  end)

  it("backend_timeout() counts from when it is asked", function()
    local t = core.timer()
    t:start(3000, 0, function() end)
    os.execute("sleep 2")
    local ms = cp.backend_timeout()
    assert.is_true(ms <= 1000, "backend_timeout " .. ms .. " after 2000 ms of a 3000 ms timer")
    t:close()
    cp.run("nowait")
  end)
end)

describe("no error is lost", function()
  after_each(function() H.assert_clean() end)

  it("two exit handlers that raise in one pass: both errors come out, one per run()", function()
    local a, b = cp.spawn("true"), cp.spawn("true")
    a:on("exit", function() error("first handler") end)
    b:on("exit", function() error("second handler") end)
    -- Let both exit before the loop looks.
    os.execute("sleep 0.3")
    local errs = {}
    for _ = 1, 10 do
      local ok, e = pcall(cp.run)
      if ok then break end
      errs[#errs + 1] = tostring(e):match("(%a+ handler)")
    end
    table.sort(errs)
    assert.are.same({ "first handler", "second handler" }, errs)
  end)

  it("two cp.async waiters that raise: both errors come out", function()
    local c = cp.spawn("true")
    cp.async(function() c:wait() error("waiter one") end)
    cp.async(function() c:wait() error("waiter two") end)
    local errs = {}
    for _ = 1, 10 do
      local ok, e = pcall(cp.run)
      if ok then break end
      errs[#errs + 1] = tostring(e):match("(waiter %a+)")
    end
    table.sort(errs)
    assert.are.same({ "waiter one", "waiter two" }, errs)
  end)
end)

describe("a guest that the host closes", function()
  it("os.exit(code, true) from an exit handler exits at once", function()
    local _, err, status = lua_out([[
      local cp = require("child_process")
      cp.spawn("true"):on("exit", function() os.exit(3, true) end)
      cp.run()
      os.exit(9)
    ]], nil, 20000)
    assert.are.equal("", err)
    assert.are.equal(3, status)
  end)

  it("os.exit(code, true) from a close handler, with a child still running, exits at once", function()
    local _, err, status = lua_out([[
      local cp = require("child_process")
      cp.spawn("sleep", { "30" }):unref()
      cp.spawn("true"):on("close", function() os.exit(4, true) end)
      cp.run()
      os.exit(9)
    ]], nil, 20000)
    assert.are.equal("", err)
    assert.are.equal(4, status)
  end)

  it("a __gc that calls the module after lua_close closed it gets a Lua error", function()
    if H.puc51 then return pending("needs os.exit(code, true) (Lua 5.2+, LuaJIT): PUC 5.1 never closes its state") end
    local out, err, status = lua_out([[
      -- Made before the module, so finalized after it at lua_close.
      local late = require("child_process.compat").guard(function()
        local ok, e = pcall(function() return require("child_process").execSync("true") end)
        io.write(tostring(ok), " ", tostring(e):match("called after its Lua state was closed") or tostring(e))
      end)
      local cp = require("child_process")
      cp.execSync("true")
      os.exit(0, true)
    ]])
    assert.are.equal("", err)
    assert.are.equal(0, status)
    assert.are.equal("false called after its Lua state was closed", out)
  end)

  it("a process started with fds 0, 1 and 2 closed works and exits cleanly", function()
    local tmp = os.tmpname()
    local script = ([[
      local cp = require("child_process")
      local c = cp.spawn("sh", { "-c", "echo hi" })
      local got = ""
      c.stdout:on("data", function(d) got = got .. d end)
      local code = c:wait()
      local f = io.open(%q, "w")
      f:write(got, code)
      f:close()
    ]]):format(tmp)
    local c = cp.spawn("sh", { "-c", 'exec "$0" -e "$1" <&- >&- 2>&-', H.lua, script },
      { env = H.lua_env() })
    assert.are.equal(0, H.wait_close(c))
    local f = io.open(tmp)
    local got = f:read("*a")
    f:close()
    os.remove(tmp)
    assert.are.equal("hi\n0", got)
  end)
end)

describe("cp.use_luv", function()
  after_each(function() H.assert_clean() end)

  it("with luv on the same libuv: one uv.run() drives both", function()
    local out, err, status = lua_out([[
      local uv = require("luv")
      local cp = require("child_process")
      cp.use_luv(uv)
      local got = {}
      local t = uv.new_timer()
      t:start(10, 0, function() got[#got + 1] = "luv timer"; t:close() end)
      local c = cp.spawn("sh", { "-c", "echo out; exit 5" })
      c.stdout:on("data", function(d) got[#got + 1] = d:gsub("\n", "") end)
      c:on("close", function(code) got[#got + 1] = "close " .. code end)
      cp.exec("sleep 5", { timeout = 100 }, function(e) got[#got + 1] = "timeout " .. tostring(e.signal) end)
      uv.run()
      table.sort(got)
      io.write(table.concat(got, ","))
    ]])
    assert.are.equal("", err)
    assert.are.equal(0, status)
    assert.are.equal("close 5,luv timer,out,timeout SIGTERM", out)
  end)

  it("required before luv: lua_close closes the module's handles before luv's finalizer", function()
    local out, err, status = lua_out([[
      local cp = require("child_process")
      local uv = require("luv")
      cp.use_luv(uv)
      cp.spawn("echo", { "hi" }).stdout:on("data", io.write)
      cp.spawn("sleep", { "5" }):unref() -- still running at lua_close
      uv.run()
      os.exit(0, true)
    ]])
    assert.are.equal("", err)
    assert.are.equal(0, status)
    assert.are.equal("hi\n", out)
  end)

  it("cp.run() still runs the shared loop, and wait() works", function()
    local out, err, status = lua_out([[
      local uv = require("luv")
      local cp = require("child_process")
      cp.use_luv(uv)
      local fired = false
      local t = uv.new_timer()
      t:start(10, 0, function() fired = true; t:close() end)
      local code = cp.spawn("sh", { "-c", "sleep 0.1; exit 6" }):wait()
      cp.run()
      io.write(code, " ", tostring(fired))
    ]])
    assert.are.equal("", err)
    assert.are.equal(0, status)
    assert.are.equal("6 true", out)
  end)

  it("after a spawn it refuses to move, with a clear error", function()
    local out = lua_out([[
      local cp = require("child_process")
      local c = cp.spawn("true")
      local ok, e = pcall(cp.use_luv, require("luv"))
      io.write(tostring(ok), " ", tostring(e))
      c:wait()
    ]])
    assert.matches("^false .*before the first spawn", out)
  end)

  it("bad argument", function()
    H.assert_bad_argument("luv module table expected", cp.use_luv, 42)
    H.assert_bad_argument("luv module table expected", cp.use_luv, {})
  end)
end)
