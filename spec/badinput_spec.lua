--- badinput_spec.lua — wrong arguments are `bad argument` errors naming the
--- argument (and the option); resource limits are error events, not crashes.
local H = require("helper")
local cp, core = H.cp, H.core

local assert_fds_back_to = H.assert_fds_back_to

local function spawn_opts(o) return function() return cp.spawn("true", {}, o) end end

local closed_file = io.tmpfile()
closed_file:close()

-- {name, function raising, pattern its message must match}
local rows = {
  { "command not a string", function() cp.spawn(42) end, "bad argument #1 to 'spawn'" },
  { "command nil", function() cp.spawn() end, "bad argument #1 to 'spawn'" },
  { "command empty", function() cp.spawn("") end, "bad argument #1 to 'spawn'" },
  { "command with NUL", function() cp.spawn("ec\0ho") end, "bad argument #1 to 'spawn'.*NUL" },
  { "args not a table", function() cp.spawn("ls", "notatable") end, "bad argument #2 to 'spawn'" },
  { "args with a table element", function() cp.spawn("ls", { "a", {} }) end, "bad argument #2 to 'spawn' %(args%[2%]" },
  { "args with a boolean", function() cp.spawn("ls", { true }) end, "bad argument #2 to 'spawn'" },
  { "args with NUL", function() cp.spawn("ls", { "a\0b" }) end, "bad argument #2 to 'spawn'.*NUL" },
  { "options not a table", function() cp.spawn("ls", {}, "x") end, "bad argument #3 to 'spawn'" },
  { "cwd not a string", spawn_opts({ cwd = true }), "bad argument #3 to 'spawn' %(option 'cwd'" },
  { "cwd with NUL", spawn_opts({ cwd = "/tm\0p" }), "bad argument #3 to 'spawn' %(option 'cwd'" },
  { "env not a table", spawn_opts({ env = "A=1" }), "option 'env'" },
  { "env value a table", spawn_opts({ env = { A = {} } }), "bad argument #3 to 'spawn' %(option 'env'" },
  { "env value a boolean", spawn_opts({ env = { A = true } }), "option 'env'" },
  { "env key not a string", spawn_opts({ env = { [1] = "x" } }), "bad argument #3 to 'spawn' %(option 'env'" },
  { "env key with =", spawn_opts({ env = { ["A=B"] = "x" } }), "option 'env'" },
  { "env value with NUL", spawn_opts({ env = { A = "x\0y" } }), "option 'env'" },
  { "env key empty", spawn_opts({ env = { [""] = "x" } }), "option 'env'" },
  { "negative timeout", spawn_opts({ timeout = -1 }), "bad argument #3 to 'spawn' %(option 'timeout'" },
  { "NaN timeout", spawn_opts({ timeout = 0 / 0 }), "option 'timeout'" },
  { "string timeout", spawn_opts({ timeout = "10" }), "option 'timeout'" },
  { "stdio bogus string", spawn_opts({ stdio = "bogus" }), "option 'stdio'" },
  { "stdio bogus entry", spawn_opts({ stdio = { "bogus" } }), "bad argument #3 to 'spawn' %(option 'stdio%[1%]'" },
  { "stdio table entry", spawn_opts({ stdio = { {} } }), "option 'stdio%[1%]'" },
  { "stdio boolean entry", spawn_opts({ stdio = { true } }), "option 'stdio%[1%]'" },
  { "stdio negative fd", spawn_opts({ stdio = { -1 } }), "option 'stdio%[1%]'" },
  { "stdio float fd", spawn_opts({ stdio = { 1.5 } }), "option 'stdio%[1%]'" },
  { "stdio closed file", spawn_opts({ stdio = { closed_file } }), "option 'stdio%[1%]' is a closed file" },
  { "stdio not a table", spawn_opts({ stdio = 5 }), "option 'stdio'" },
  { "stdio string keys", spawn_opts({ stdio = { x = "pipe" } }), "option 'stdio'" },
  { "stdio too long", spawn_opts({ stdio = { [65] = "pipe" } }), "option 'stdio'" },
  { "two ipc entries", spawn_opts({ stdio = { "pipe", "pipe", "pipe", "ipc", "ipc" } }), "only one 'ipc'" },
  { "uid -1", spawn_opts({ uid = -1 }), "bad argument #3 to 'spawn' %(option 'uid'" },
  { "uid 'root'", spawn_opts({ uid = "root" }), "option 'uid'" },
  { "uid float", spawn_opts({ uid = 1.5 }), "option 'uid'" },
  { "gid -1", spawn_opts({ gid = -1 }), "option 'gid'" },
  { "killSignal unknown", spawn_opts({ killSignal = "SIGNOPE" }), "bad argument #3 to 'spawn' %(option 'killSignal'" },
  { "killSignal table", spawn_opts({ killSignal = {} }), "option 'killSignal'" },
  { "detached 'yes'", spawn_opts({ detached = "yes" }), "bad argument #3 to 'spawn' %(option 'detached'" },
  { "shell 5", spawn_opts({ shell = 5 }), "bad argument #3 to 'spawn' %(option 'shell'" },
  { "shell with NUL", spawn_opts({ shell = "/bin/s\0h" }), "option 'shell'" },
  { "argv0 {}", spawn_opts({ argv0 = {} }), "bad argument #3 to 'spawn' %(option 'argv0'" },
  { "argv0 with NUL", spawn_opts({ argv0 = "a\0" }), "option 'argv0'" },
  { "run bogus mode", function() cp.run("bogus") end, "bad argument #1 to 'run'" },
  { "async non-function", function() cp.async(1) end, "bad argument #1 to 'async'" },
}

-- Rows that need a live child: the child is killed afterwards.
local child_rows = {
  { "kill SIGFOO", function(c) c:kill("SIGFOO") end, "bad argument #1 to 'kill'" },
  { "kill table", function(c) c:kill({}) end, "bad argument #1 to 'kill'" },
  { "on non-string event", function(c) c:on(1, function() end) end, "bad argument #1 to 'on'" },
  { "on non-function", function(c) c:on("x", 1) end, "bad argument #2 to 'on'" },
  { "once non-function", function(c) c:once("x", "f") end, "bad argument #2 to 'once'" },
  { "off non-string", function(c) c:off(nil, function() end) end, "bad argument #1 to 'off'" },
  { "stdin:write(123)", function(c) c.stdin:write(123) end, "bad argument #1 to 'write'" },
  { "stdin:write(nil)", function(c) c.stdin:write() end, "bad argument #1 to 'write'" },
  { "stdin:write bad callback", function(c) c.stdin:write("x", 5) end, "bad argument #2 to 'write'" },
  { "stdin:close(table)", function(c) c.stdin:close({}) end, "bad argument #1 to 'close'" },
  { "stdout:on non-function", function(c) c.stdout:on("data", 1) end, "bad argument #2 to 'on'" },
  { "wait(-1)", function(c) c:wait(-1) end, "bad argument #1 to 'wait'" },
  { "wait('x')", function(c) c:wait("x") end, "bad argument #1 to 'wait'" },
  { "wait(NaN)", function(c) c:wait(0 / 0) end, "bad argument #1 to 'wait'" },
}

describe("bad input", function()
  after_each(function() H.assert_clean() end)

  for _, row in ipairs(rows) do
    it(row[1] .. " → " .. row[3], function()
      local before = core.stats()
      local msg = H.error_of(row[2])
      assert.matches(row[3], msg)
      -- nothing was started or opened
      local after = core.stats()
      assert.are.equal(before.procs, after.procs)
      assert.are.equal(before.handles, after.handles)
    end)
  end

  it("errors point at the caller's line, not inside the module", function()
    local ok, msg = pcall(function() cp.spawn("true", {}, { cwd = true }) end)
    assert.is_false(ok)
    assert.matches("^spec/badinput_spec.lua:%d+: bad argument", msg)
  end)

  for _, row in ipairs(child_rows) do
    it(row[1] .. " → " .. row[3], function()
      local c = cp.spawn("sleep", { "10" })
      local msg = H.error_of(row[2], c)
      assert.matches(row[3], msg)
      assert.is_nil(c.exitCode)
      c:kill("SIGKILL")
      assert.are.same({ nil, "SIGKILL" }, { c:wait() })
    end)
  end

  it("valid odd values are accepted: timeout 0, killSignal 'TERM', numbers as args", function()
    local c = cp.spawn("echo", { 1, 2.5 }, { timeout = 0, killSignal = "KILL", env = { A = 1 } })
    local out = H.collect(c.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("1 2.5\n", out())
  end)

  it("unknown options are ignored", function()
    local c = cp.spawn("true", {}, { nonsense = true, windowsHide = true })
    assert.are.equal(0, (H.wait_close(c)))
  end)

  describe("limits", function()
    it("100000 long arguments: E2BIG as an error event, not a crash", function()
      local args = {}
      for i = 1, 100000 do args[i] = ("%030d"):format(i) end
      local c = cp.spawn("true", args)
      local err
      c:on("error", function(e) err = e end)
      local code, sig = H.wait_close(c)
      assert.is_nil(code); assert.is_nil(sig)
      assert.are.equal("E2BIG", err.code)
      assert.are.equal("spawn true", err.syscall)
      assert.are.equal(100000, #err.spawnargs)
      assert.is_nil(c.pid)
    end)

    it("an environment of 10000 entries works", function()
      local env = { PATH = os.getenv("PATH") }
      for i = 1, 10000 do env["CP_VAR_" .. i] = "value " .. i end
      local c = cp.spawn("sh", { "-c", "env | grep -c '^CP_VAR_'; echo $CP_VAR_9999" }, { env = env })
      local out = H.collect(c.stdout)
      assert.are.equal(0, (H.wait_close(c)))
      assert.are.equal("10000\nvalue 9999\n", out())
    end)

    it("an fd number that is not open: EBADF error event", function()
      local c = cp.spawn("true", {}, { stdio = { "ignore", 987, "ignore" } })
      local err
      c:on("error", function(e) err = e end)
      local code = H.wait_close(c)
      assert.is_nil(code)
      assert.are.equal("EBADF", err.code)
      assert.is_nil(c.pid)
    end)

    it("an fd number that is not open, beside pipes: no fd leaks", function()
      local before = H.fd_count()
      local c = cp.spawn("true", {}, { stdio = { "pipe", "pipe", "pipe", "pipe", 987 } })
      c:on("error", function() end)
      H.wait_close(c)
      assert_fds_back_to(before)
    end)

    it("an argument longer than the kernel's limit per string: E2BIG", function()
      local c = cp.spawn("true", { ("x"):rep(200 * 1024) })
      local err
      c:on("error", function(e) err = e end)
      H.wait_close(c)
      assert.are.equal("E2BIG", err.code)
    end)

    it("a very long command name: an error event, not a crash", function()
      local c = cp.spawn(("a"):rep(5000))
      local err
      c:on("error", function(e) err = e end)
      H.wait_close(c)
      assert.is_truthy(err.code == "ENOENT" or err.code == "ENAMETOOLONG")
    end)

    it("a very long absolute path: ENAMETOOLONG error event", function()
      local c = cp.spawn("/" .. ("a/"):rep(3000) .. "x")
      local err
      c:on("error", function(e) err = e end)
      H.wait_close(c)
      assert.are.equal("ENAMETOOLONG", err.code)
    end)
  end)
end)
