--- host_spec.lua — SPEC §6 from Lua: what the module must not take from
--- the process it lives in.  SIGPIPE stays default for io.popen/os.execute
--- children; a process started with fd 0-2 closed works and exits cleanly;
--- os.exit(code, true) from a callback exits at once; a late __gc gets a Lua
--- error; no callback error is lost; the loop's clock is fresh after
--- blocking work.
local H = require("helper")
local cp, core = H.cp, H.core

-- Run Lua code (or a script with args) in a fresh interpreter that can load
-- the module.  A hung interpreter is killed after 20 s: then code is nil and
-- sig "SIGTERM".  Returns stdout, stderr, code, sig.
local function lua_run(args, extra_env)
  local env = H.lua_env()
  for k, v in pairs(extra_env or {}) do env[k] = v end
  local c = cp.spawn(H.lua, args, { env = env, timeout = 20000 })
  local out, err = H.collect(c.stdout), H.collect(c.stderr)
  local code, sig = H.wait_close(c, 30000)
  return out(), err(), code, sig
end

local function read_file(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

describe("a good guest", function()
  after_each(function() H.assert_clean() end)

  describe("SIGPIPE", function()
    it("io.popen and os.execute children get the default SIGPIPE after the require", function()
      local tmp = os.tmpname()
      local out, err, code = lua_run({ "-e", ([[
        local function popen_ign()
          local p = io.popen("grep SigIgn /proc/self/status")
          local s = p:read("*a")
          p:close()
          return s:match("SigIgn:%%s*(%%x+)")
        end
        local function execute_ign()
          os.execute("grep SigIgn /proc/self/status > %s")
          local f = io.open(%q)
          local s = f:read("*a")
          f:close()
          return s:match("SigIgn:%%s*(%%x+)")
        end
        -- a writer whose reader is gone: killed by SIGPIPE (status 141),
        -- or, with SIGPIPE ignored, a write error (GNU yes exits 1)
        local function yes_status()
          local p = io.popen([=[{ (yes; echo "$?" >&3) | head -c1 >/dev/null; } 3>&1]=])
          local s = p:read("*a")
          p:close()
          return (s:gsub("%%s", ""))
        end
        print("before", popen_ign(), execute_ign(), yes_status())
        local cp = require("child_process")
        print("after require", popen_ign(), execute_ign(), yes_status())
        cp.spawn("true"):wait(5000)
        print("after a child", popen_ign(), execute_ign(), yes_status())
      ]]):format(tmp, tmp) })
      os.remove(tmp)
      assert.are.equal(0, code, err)
      local rows = {}
      for when, a, b, yes in out:gmatch("([%a ]+)\t(%x+)\t(%x+)\t(%d+)\n") do rows[when] = { a, b, yes } end
      assert.is_not_nil(rows.before, out)
      assert.is_false(H.bit(tonumber(rows.before[1], 16), 12), "SIGPIPE ignored before the require: " .. out)
      assert.are.equal("141", rows.before[3])
      for _, when in ipairs({ "after require", "after a child" }) do
        local r = rows[when]
        assert.is_not_nil(r, out)
        assert.is_false(H.bit(tonumber(r[1], 16), 12), "io.popen child ignores SIGPIPE " .. when)
        assert.is_false(H.bit(tonumber(r[2], 16), 12), "os.execute child ignores SIGPIPE " .. when)
        assert.are.equal("141", r[3], "a writer under io.popen was not killed by SIGPIPE " .. when)
      end
      assert.are.equal("", err) -- no "yes: standard output: Broken pipe"
    end)
  end)

  describe("a process started with standard fds closed", function()
    for _, redir in ipairs({ "<&-", "<&- >&- 2>&-" }) do
      it("(" .. redir .. ") spawns, execs and exits 0", function()
        local result = os.tmpname()
        local env = H.lua_env()
        env.CP_RESULT = result
        local c = cp.spawn("sh", { "-c", 'exec "$0" "$1" ' .. redir, H.lua, H.fixtures .. "fds_closed.lua" },
          { env = env, timeout = 20000 })
        local err = H.collect(c.stderr)
        local code, sig = H.wait_close(c, 30000)
        local got = read_file(result)
        os.remove(result)
        if not redir:find("2>&-", 1, true) then assert.are.equal("", err()) end
        assert.are.equal("backend_fd above 2: true\nspawn: 4 nil \"hi\\\n\"\nexec: nil \"ok\\\n\"\n"
          .. "execSync: \"sync\\\n\"\n", got)
        assert.is_nil(sig) -- not SIGABRT from an assertion at exit
        assert.are.equal(0, code)
      end)
    end
  end)

  describe("os.exit(code, true) from a callback", function()
    -- With stdio "ignore", close is emitted from inside the exit callback too.
    for _, case in ipairs({ { "exit", "pipe" }, { "exit", "ignore" }, { "close", "pipe" }, { "close", "ignore" } }) do
      local event, stdio = case[1], case[2]
      it("exits at once with that code, from an '" .. event .. "' handler (stdio " .. stdio .. ")", function()
        local out, err, code, sig = lua_run({ "-e", ([[
          local cp = require("child_process")
          local c = cp.spawn("sh", { "-c", "exit 0" }, { stdio = %q })
          c:on(%q, function() io.write("handler ran\n") io.flush() os.exit(3, true) end)
          cp.spawn("sleep", { "0.1" }) -- other work still pending in the loop
          cp.run()
          io.write("cp.run returned\n")
        ]]):format(stdio, event) })
        assert.are.equal("handler ran\n", out)
        assert.are.equal("", err)
        assert.is_nil(sig) -- SIGTERM here means it hung until the 20 s timeout
        assert.are.equal(3, code)
      end)
    end
  end)

  it("a __gc that runs after the module's context is gone gets a Lua error, not a crash", function()
    local out, err, code, sig = lua_run({ "-e", [[
      -- This object is marked for finalization before the module exists,
      -- so lua_close finalizes it after the module's own context.
      local cp
      package.loaded["late gc guard"] = require("child_process.compat").guard(function()
        local ok, e = pcall(cp.execSync, "echo late")
        io.write("execSync: ", tostring(ok), " ", type(e), "\n")
        ok, e = pcall(cp.spawn, "true")
        io.write("spawn: ", tostring(ok), " ", type(e), "\n")
        io.flush()
      end)
      cp = require("child_process")
      local c = cp.spawn("true")
      c:wait(5000)
      io.write("main done\n")
    ]] })
    assert.is_nil(sig) -- SIGSEGV is the bug
    assert.are.equal(0, code)
    assert.are.equal("", err)
    assert.are.equal("main done\nexecSync: false string\nspawn: false string\n", out)
  end)

  describe("no error is lost", function()
    -- Both children have exited before the loop looks (a blocking sync call
    -- in between), so both callbacks run in the same loop pass.
    local function two_raising(setup)
      local a, b = cp.spawn("true"), cp.spawn("true")
      setup(a, b)
      cp.spawnSync("sleep", { "0.3" })
      local msgs = {}
      for _ = 1, 5 do
        local ok, msg = pcall(cp.run)
        if ok then break end
        msgs[#msgs + 1] = tostring(msg)
      end
      return msgs, a, b
    end

    local function assert_one_each(msgs)
      assert.are.equal(2, #msgs, "errors out of cp.run(): " .. table.concat(msgs, " | "))
      local a_first = msgs[1]:find("from a", 1, true) ~= nil
      assert.matches(a_first and "from a" or "from b", msgs[1], 1, true)
      assert.matches(a_first and "from b" or "from a", msgs[2], 1, true)
    end

    it("two 'exit' handlers that raise in the same pass: one error per cp.run()", function()
      local msgs, a, b = two_raising(function(a, b)
        a:on("exit", function() error("from a") end)
        b:on("exit", function() error("from b") end)
      end)
      assert_one_each(msgs)
      assert.is_true(a._closed and b._closed)
    end)

    it("two 'close' handlers that raise in the same pass: one error per cp.run()", function()
      local msgs = two_raising(function(a, b)
        a:on("close", function() error("from a") end)
        b:on("close", function() error("from b") end)
      end)
      assert_one_each(msgs)
    end)

    it("two cp.async waiters that raise in the same pass: one error per cp.run()", function()
      local msgs = two_raising(function(a, b)
        cp.async(function() a:wait() error("from a") end)
        cp.async(function() b:wait() error("from b") end)
      end)
      assert_one_each(msgs)
    end)
  end)

  describe("the loop's clock is fresh", function()
    it("a timeout started after blocking work counts from its start", function()
      cp.run("nowait") -- the loop caches its time now...
      os.execute("sleep 2") -- ...and does not see these 2 s go by
      -- 1.3 s of slack, even under valgrind; a stale clock fires at once
      local err, stdout = cp.exec("sleep 0.2; echo ok", { timeout = 1500 }):wait(10000)
      assert.is_nil(err and (tostring(err.signal) .. " killed=" .. tostring(err.killed)))
      assert.are.equal("ok\n", stdout)
    end)

    it("wait(ms) after blocking work counts from the call", function()
      cp.run("nowait")
      os.execute("sleep 2")
      local c = cp.spawn("sleep", { "0.2" })
      local got = { c:wait(1500) }
      H.wait_close(c) -- a wait that timed out leaves the child running
      assert.are.same({ 0, nil }, got)
    end)

    it("backend_timeout() after blocking work counts from now", function()
      local t = core.timer()
      t:start(5000, 0, function() end)
      cp.run("nowait")
      os.execute("sleep 2") -- a host's own wait, outside the module's loop
      local ms = cp.backend_timeout()
      t:close()
      cp.run("nowait")
      -- about 3000 left; a clock cached before the sleep says 5000
      assert.is_true(ms >= 0 and ms <= 4000, "backend_timeout() = " .. ms .. " after 2 s of a 5 s timer")
    end)
  end)
end)
