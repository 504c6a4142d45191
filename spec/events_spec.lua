--- events_spec.lua — SPEC §3: the order of ChildProcess events, failed
--- spawns as `error` then `close(nil, nil)`, the fields of a ChildProcess,
--- errors raised in callbacks, emitter methods.
local H = require("helper")
local cp = H.cp

local assert_fds_back_to = H.assert_fds_back_to

-- Spawn and record every event (with its arguments) until close.
local function record(cmd, args, opts)
  local c = cp.spawn(cmd, args, opts)
  local seq, log = {}, {}
  for _, ev in ipairs({ "spawn", "error", "exit", "close", "disconnect", "message" }) do
    c:on(ev, function(...)
      seq[#seq + 1] = ev
      log[#log + 1] = H.compat.pack(ev, ...)
    end)
  end
  return c, seq, log
end

local function wait_closed(_, seq)
  H.run_until(function()
    for _, e in ipairs(seq) do if e == "close" then return true end end
    return false
  end, 10000, "close")
  -- Let anything that would (wrongly) follow close happen.
  for _ = 1, 5 do cp.run("nowait") end
end

local tmpdir = H.tmpdir

describe("ChildProcess events", function()
  after_each(function() H.assert_clean() end)

  it("a successful child emits spawn, exit, close in that order, close once", function()
    local c, seq, log = record("sh", { "-c", "echo out; exit 3" })
    c.stdout:on("data", function() end)
    wait_closed(c, seq)
    assert.are.same({ "spawn", "exit", "close" }, seq)
    assert.are.same({ "exit", 3, nil, n = 3 }, log[2])
    assert.are.same({ "close", 3, nil, n = 3 }, log[3])
  end)

  it("spawn is emitted asynchronously, after the call returns", function()
    local c = cp.spawn("true")
    local spawned = false
    c:on("spawn", function() spawned = true end)
    assert.is_false(spawned)
    H.wait_close(c)
    assert.is_true(spawned)
  end)

  it("a killed child gets exit and close with the signal and a nil code", function()
    local c, seq, log = record("sleep", { "10" })
    c:on("spawn", function() c:kill("SIGKILL") end)
    wait_closed(c, seq)
    assert.are.same({ "spawn", "exit", "close" }, seq)
    assert.are.same({ "exit", nil, "SIGKILL", n = 3 }, log[2])
    assert.are.same({ "close", nil, "SIGKILL", n = 3 }, log[3])
  end)

  it("close waits for stdout to end after exit", function()
    -- sh exits at once; its background child holds stdout open a while.
    local c, seq = record("sh", { "-c", "(sleep 0.2; echo late) &" })
    local out = H.collect(c.stdout)
    local at_exit
    c:on("exit", function() at_exit = out() end)
    wait_closed(c, seq)
    assert.are.equal("", at_exit)
    assert.are.equal("late\n", out())
    assert.are.same({ "spawn", "exit", "close" }, seq)
  end)

  it("stream events come before close: data, end, stream close, then child close", function()
    local c = cp.spawn("echo", { "x" })
    local seq = {}
    c.stdout:on("data", function() seq[#seq + 1] = "data" end)
    c.stdout:on("end", function() seq[#seq + 1] = "end" end)
    c.stdout:on("close", function() seq[#seq + 1] = "stdout-close" end)
    c:on("close", function() seq[#seq + 1] = "close" end)
    H.run_until(function() return seq[#seq] == "close" end)
    assert.are.same({ "data", "end", "stdout-close", "close" }, seq)
  end)

  describe("a failed spawn", function()
    it("one run('once') delivers error and close, without waiting for another event", function()
      -- Another handle stays active (a timer far away): the pass that runs
      -- the deferred events must return, not block until that timer.
      local fired = false
      local t = H.core.timer()
      t:start(60000, 0, function() fired = true end)
      local c, seq = record("cp-no-such-command-xyz")
      cp.run("once")
      t:close()
      cp.run("nowait")
      assert.is_false(fired)
      assert.are.same({ "error", "close" }, seq)
      assert.is_true(c._closed)
    end)

    it("missing file: error then close(nil, nil), no spawn or exit", function()
      local c, seq, log = record("cp-no-such-command-xyz", { "a", "b" })
      assert.is_nil(c.pid)
      wait_closed(c, seq)
      assert.are.same({ "error", "close" }, seq)
      local err = log[1][2]
      assert.are.equal("ENOENT", err.code)
      assert.are.equal("number", H.compat.mathtype(err.errno) and "number")
      assert.are.equal(-2, err.errno) -- libuv convention: negative errno, as in Node
      assert.are.equal("spawn cp-no-such-command-xyz", err.syscall)
      assert.are.equal("cp-no-such-command-xyz", err.path)
      assert.are.same({ "a", "b" }, err.spawnargs)
      assert.matches("ENOENT", tostring(err))
      assert.are.same({ "close", nil, nil, n = 3 }, log[2])
      assert.is_nil(c.pid)
      assert.is_nil(c.exitCode)
      assert.is_nil(c.signalCode)
    end)

    it("missing absolute path: ENOENT", function()
      local c, seq, log = record("/nonexistent/dir/prog")
      wait_closed(c, seq)
      assert.are.equal("ENOENT", log[1][2].code)
      assert.are.equal("spawn /nonexistent/dir/prog", log[1][2].syscall)
    end)

    it("a file that is not executable: EACCES", function()
      local d = tmpdir()
      local f = assert(io.open(d .. "/noexec.sh", "w"))
      f:write("#!/bin/sh\necho hi\n")
      f:close()
      os.execute("chmod 644 " .. d .. "/noexec.sh")
      local c, seq, log = record(d .. "/noexec.sh")
      wait_closed(c, seq)
      os.execute("rm -rf " .. d)
      assert.are.same({ "error", "close" }, seq)
      assert.are.equal("EACCES", log[1][2].code)
      assert.are.equal(-13, log[1][2].errno)
      assert.are.equal(d .. "/noexec.sh", log[1][2].path)
    end)

    it("a non-executable file found in PATH: EACCES", function()
      local d = tmpdir()
      local f = assert(io.open(d .. "/cp_noexec_tool", "w"))
      f:write("#!/bin/sh\n")
      f:close()
      local c, seq, log = record("cp_noexec_tool", nil, { env = { PATH = d } })
      wait_closed(c, seq)
      os.execute("rm -rf " .. d)
      assert.are.equal("EACCES", log[1][2].code)
    end)

    it("a directory is not executable: EACCES", function()
      local c, seq, log = record("/tmp")
      wait_closed(c, seq)
      assert.are.equal("EACCES", log[1][2].code)
    end)

    it("a missing cwd: ENOENT", function()
      local c, seq, log = record("pwd", nil, { cwd = "/nonexistent-cwd-for-cp" })
      wait_closed(c, seq)
      assert.are.same({ "error", "close" }, seq)
      assert.are.equal("ENOENT", log[1][2].code)
      assert.are.equal("spawn pwd", log[1][2].syscall)
    end)

    it("never raises at the call site, even with no listener", function()
      local ok, c = pcall(cp.spawn, "cp-no-such-command-xyz")
      assert.is_true(ok)
      assert.is_not_nil(c)
      -- ...but the unhandled error event is raised out of run().
      local closed = false
      c:on("close", function() closed = true end)
      local ok2, err = pcall(cp.run)
      assert.is_false(ok2)
      assert.are.equal("ENOENT", err.code)
      H.run_until(function() return closed end)
    end)

    it("leaves no pipe open (the streams exist, as in Node, without a pipe)", function()
      local before = H.fd_count()
      local c, seq = record("cp-no-such-command-xyz")
      assert.is_not_nil(c.stdout)
      wait_closed(c, seq)
      assert_fds_back_to(before)
    end)

    it("wait() returns nil, nil", function()
      local c = cp.spawn("cp-no-such-command-xyz")
      c:on("error", function() end)
      local code, sig = c:wait()
      assert.is_nil(code)
      assert.is_nil(sig)
    end)
  end)

  describe("fields", function()
    it("pid is an integer, kept after exit", function()
      local c = cp.spawn("sh", { "-c", "echo $$" })
      local out = H.collect(c.stdout)
      assert.are.equal("integer", H.compat.mathtype(c.pid))
      H.wait_close(c)
      assert.are.equal(c.pid, tonumber(out()))
    end)

    it("exitCode, signalCode, killed", function()
      local c = cp.spawn("sh", { "-c", "exit 7" })
      assert.is_nil(c.exitCode)
      assert.is_false(c.killed)
      H.wait_close(c)
      assert.are.equal(7, c.exitCode)
      assert.is_nil(c.signalCode)
      local k = cp.spawn("sleep", { "10" })
      k:kill()
      H.wait_close(k)
      assert.is_nil(k.exitCode)
      assert.are.equal("SIGTERM", k.signalCode)
      assert.is_true(k.killed)
    end)

    it("a child that kills itself is not 'killed' by us", function()
      local c = cp.spawn("sh", { "-c", "kill -USR1 $$" })
      local _, sig = H.wait_close(c)
      assert.are.equal("SIGUSR1", sig)
      assert.is_false(c.killed)
    end)

    it("spawnfile and spawnargs", function()
      local c = cp.spawn("echo", { "a", 1 })
      assert.are.equal("echo", c.spawnfile)
      assert.are.same({ "echo", "a", "1" }, c.spawnargs)
      H.wait_close(c)
    end)

    it("stdio is 1-based and matches stdin/stdout/stderr", function()
      local c = cp.spawn("true")
      assert.are.equal(c.stdin, c.stdio[1])
      assert.are.equal(c.stdout, c.stdio[2])
      assert.are.equal(c.stderr, c.stdio[3])
      assert.is_function(c.stdin.write)
      assert.is_function(c.stdout.pause)
      H.wait_close(c)
    end)

    it("connected is false without IPC", function()
      local c = cp.spawn("true")
      assert.is_false(c.connected)
      H.wait_close(c)
    end)

    it("users may store their own fields", function()
      local c = cp.spawn("true")
      c.foo = 1
      c.bar = { 2 }
      assert.are.equal(1, c.foo)
      assert.are.same({ 2 }, c.bar)
      local seen
      c:on("close", function() seen = c.foo end)
      H.wait_close(c)
      assert.are.equal(1, seen)
    end)

    it("is a userdata whose tostring says ChildProcess", function()
      local c = cp.spawn("true")
      assert.are.equal("userdata", type(c))
      assert.matches("ChildProcess", tostring(c))
      H.wait_close(c)
    end)
  end)

  describe("emitter", function()
    it("several listeners run in order; once runs once; off removes", function()
      local c = cp.spawn("true")
      local calls = {}
      local function a() calls[#calls + 1] = "a" end
      local function b() calls[#calls + 1] = "b" end
      local function o() calls[#calls + 1] = "once" end
      c:on("exit", a)
      c:on("exit", b)
      c:once("exit", o)
      c:off("exit", b)
      H.wait_close(c)
      assert.are.same({ "a", "once" }, calls)
      assert.are.equal(1, c:listenerCount("exit"))
    end)

    it("off with the original of a once listener removes it", function()
      local c = cp.spawn("true")
      local n = 0
      local function f() n = n + 1 end
      c:once("exit", f)
      c:off("exit", f)
      H.wait_close(c)
      assert.are.equal(0, n)
    end)

    it("on returns the object for chaining", function()
      local c = cp.spawn("true")
      assert.are.equal(c, c:on("exit", function() end))
      H.wait_close(c)
    end)

    it("emit calls listeners with arguments and reports whether any ran", function()
      local c = cp.spawn("true")
      local got
      c:on("custom", function(x, y) got = { x, y } end)
      assert.is_true(c:emit("custom", 1, 2))
      assert.is_false(c:emit("nobody"))
      assert.are.same({ 1, 2 }, got)
      H.wait_close(c)
    end)
  end)

  describe("errors in callbacks", function()
    it("propagate out of cp.run() with a traceback; the loop stays usable", function()
      local c = cp.spawn("true")
      local closed = false
      c:on("exit", function() error("boom in exit") end)
      c:on("close", function() closed = true end)
      local ok, err = pcall(cp.run)
      assert.is_false(ok)
      assert.matches("boom in exit", err)
      assert.matches("stack traceback", err)
      -- close still comes, and a new child works
      H.run_until(function() return closed end)
      local c2 = cp.spawn("echo", { "again" })
      local out = H.collect(c2.stdout)
      assert.are.equal(0, (H.wait_close(c2)))
      assert.are.equal("again\n", out())
    end)

    it("carry exactly one traceback", function()
      local c = cp.spawn("true")
      c:on("exit", function() error("boom once") end)
      local ok, err = pcall(cp.run)
      assert.is_false(ok)
      local _, n = err:gsub("stack traceback:", "")
      assert.are.equal(1, n)
      cp.run()
    end)

    it("from a data listener", function()
      local c = cp.spawn("echo", { "x" })
      local closed = false
      c.stdout:on("data", function() error("boom in data") end)
      c:on("close", function() closed = true end)
      local ok, err = pcall(cp.run)
      assert.is_false(ok)
      assert.matches("boom in data", err)
      assert.matches("stack traceback", err)
      while not closed do
        local ok3 = pcall(cp.run)
        if ok3 then break end
      end
      H.run_until(function() return closed end)
    end)

    it("from a close listener", function()
      local c = cp.spawn("true")
      c:on("close", function() error("boom in close") end)
      local ok, err = pcall(cp.run)
      assert.is_false(ok)
      assert.matches("boom in close", err)
      assert.matches("stack traceback", err)
      assert.is_false(cp.run())
    end)

    it("from a spawn listener: exit and close still come", function()
      local c = cp.spawn("true")
      local seq = {}
      c:on("spawn", function() error("boom in spawn") end)
      c:on("exit", function() seq[#seq + 1] = "exit" end)
      c:on("close", function() seq[#seq + 1] = "close" end)
      local ok, err = pcall(cp.run)
      assert.is_false(ok)
      assert.matches("boom in spawn", err)
      H.run_until(function() return #seq == 2 end)
      assert.are.same({ "exit", "close" }, seq)
    end)

    -- The exit can be seen before the deferred spawn event (the SIGCHLD
    -- fallback sweeps on a timer started at the spawn, from the loop's
    -- clock as the loop last saw it): `spawn` is then emitted on the way to
    -- `exit`, and a spawn listener that raises there lost exit and close
    -- (found as a hang in one valgrind'd process running the whole suite).
    -- Runs `listeners` (a Lua chunk that gets the child `c` and the array
    -- `seq`) in a fresh interpreter with the fallback forced, so that the
    -- exit is seen first; → "reaper; the errors run() raised; the events".
    local function exit_seen_first(listeners)
      local e = H.lua_env()
      e.LUA_CHILD_PROCESS_NO_PIDFD = "1"
      local c = cp.spawn(H.lua, { "-e", [[
        local cp = require("child_process")
        local core = require("child_process.core")
        os.execute("sleep 0.05") -- blocking work: the loop's clock is now behind
        local c = cp.spawn("true")
        local seq, errs = {}, {}
        ]] .. listeners .. [[
        c:on("close", function(code) seq[#seq + 1] = "close " .. tostring(code) end)
        -- `true` is gone (a zombie, not reaped) before the loop runs.
        local function gone()
          local f = io.open("/proc/" .. c.pid .. "/stat")
          if not f then return true end
          local st = f:read("*a")
          f:close()
          return st:match("^%d+ %b() (%a)") == "Z"
        end
        local until_t = os.time() + 10
        while not gone() and os.time() < until_t do os.execute("sleep 0.01") end
        local expired = false
        local t = core.timer()
        t:start(5000, 0, function() expired = true end)
        repeat
          local ok, err = pcall(cp.run, "once")
          if not ok then errs[#errs + 1] = tostring(err):match("boom in %a+") or tostring(err) end
        until (seq[#seq] or ""):match("^close") or expired
        for _ = 1, 5 do -- an error queued for later turns comes out here
          local ok, err = pcall(cp.run, "nowait")
          if not ok then errs[#errs + 1] = tostring(err):match("boom in %a+") or tostring(err) end
        end
        t:close()
        io.write(core.reaper(), "; ", table.concat(errs, ", "), "; ", table.concat(seq, ", "))
      ]] }, { env = e })
      local out, err = H.collect(c.stdout), H.collect(c.stderr)
      assert.are.equal(0, H.wait_close(c, 30000))
      assert.are.equal("", err())
      return out()
    end

    it("from a spawn listener when the exit is seen first: exit and close still come", function()
      assert.are.equal("sigchld; boom in spawn; spawn, exit 0, close 0", exit_seen_first([[
        c:on("spawn", function() seq[#seq + 1] = "spawn"; error("boom in spawn") end)
        c:on("exit", function(code) seq[#seq + 1] = "exit " .. tostring(code) end)
      ]]))
    end)

    it("from spawn and exit listeners when the exit is seen first: both errors come out", function()
      assert.are.equal("sigchld; boom in spawn, boom in exit; spawn, exit 0, close 0", exit_seen_first([[
        c:on("spawn", function() seq[#seq + 1] = "spawn"; error("boom in spawn") end)
        c:on("exit", function(code) seq[#seq + 1] = "exit " .. tostring(code); error("boom in exit") end)
      ]]))
    end)

    it("non-string error values propagate as they are", function()
      local c = cp.spawn("true")
      local e = { code = "MINE" }
      c:on("exit", function() error(e) end)
      local ok, err = pcall(cp.run)
      assert.is_false(ok)
      assert.are.equal(e, err)
      cp.run()
    end)

    it("run() raises the error from wait() too", function()
      local c = cp.spawn("true")
      c:on("exit", function() error("boom for wait") end)
      local ok, err = pcall(c.wait, c)
      assert.is_false(ok)
      assert.matches("boom for wait", err)
      assert.are.equal(0, (c:wait()))
    end)

    it("an error event with no listener raises out of cp.run()", function()
      local c = cp.spawn("cp-no-such-command-xyz")
      local closed
      c:on("close", function() closed = true end)
      local ok, err = pcall(cp.run)
      assert.is_false(ok)
      assert.are.equal("table", type(err))
      assert.are.equal("ENOENT", err.code)
      H.run_until(function() return closed end)
    end)
  end)

  it("run() returns false when nothing remains, run('nowait') true while work remains", function()
    assert.is_false(cp.run())
    local c = cp.spawn("sleep", { "0.2" })
    assert.is_true(cp.run("nowait"))
    H.wait_close(c)
    assert.is_false(cp.run("nowait"))
  end)

  it("wait() from inside a callback raises a clear error", function()
    local c = cp.spawn("true")
    local msg
    c:on("exit", function()
      local ok, e = pcall(c.wait, c)
      msg = not ok and e
    end)
    H.wait_close(c)
    assert.matches("re%-entrant", msg)
  end)

  it("wait(timeout) returns nil, 'timeout' and the child runs on", function()
    local c = cp.spawn("sleep", { "10" })
    local a, b = c:wait(50)
    assert.is_nil(a)
    assert.are.equal("timeout", b)
    assert.is_nil(c.exitCode)
    c:kill()
    assert.are.same({ nil, "SIGTERM" }, { c:wait() })
  end)
end)
