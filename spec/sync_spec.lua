local H = require("helper")
local cp = H.cp

describe("spawnSync", function()
  after_each(function() H.assert_clean() end)

  it("returns pid, output, stdout, stderr, status, signal", function()
    local r = cp.spawnSync("sh", { "-c", "echo out; echo err >&2; exit 3" })
    assert.is_true(H.compat.mathtype(r.pid) == "integer" and r.pid > 0)
    assert.are.equal("out\n", r.stdout)
    assert.are.equal("err\n", r.stderr)
    assert.is_nil(r.output[1])
    assert.are.equal("out\n", r.output[2])
    assert.are.equal("err\n", r.output[3])
    assert.are.equal(3, r.status)
    assert.is_nil(r.signal)
    assert.is_nil(r.error)
  end)

  it("uses no shell", function()
    local r = cp.spawnSync("echo", { "$HOME", "a  b", "" })
    assert.are.equal(0, r.status)
    assert.are.equal("$HOME a  b \n", r.stdout)
  end)

  it("uses a shell when asked", function()
    local r = cp.spawnSync("echo $X", { shell = true, env = { X = "via sh" } })
    assert.are.equal("via sh\n", r.stdout)
  end)

  it("reports exit code 255 and death by a signal", function()
    assert.are.equal(255, cp.spawnSync("sh", { "-c", "exit 255" }).status)
    local r = cp.spawnSync("sh", { "-c", "kill -KILL $$" })
    assert.is_nil(r.status)
    assert.are.equal("SIGKILL", r.signal)
    assert.is_nil(r.error)
  end)

  it("does not raise for a missing command: ENOENT in error", function()
    local r = cp.spawnSync("no_such_command_cp_spec_xyz", { "a" })
    assert.is_table(r.error)
    assert.are.equal("ENOENT", r.error.code)
    assert.are.equal("spawnSync no_such_command_cp_spec_xyz", r.error.syscall)
    assert.are.equal("no_such_command_cp_spec_xyz", r.error.path)
    assert.are.same({ "a" }, r.error.spawnargs)
    assert.matches("ENOENT", tostring(r.error))
    assert.is_nil(r.status)
    assert.is_nil(r.signal)
    assert.is_nil(r.stdout)
  end)

  it("does not raise for a bad cwd", function()
    local r = cp.spawnSync("true", { cwd = "/no/such/dir" })
    assert.are.equal("ENOENT", r.error.code)
  end)

  it("feeds input to stdin", function()
    local r = cp.spawnSync("tr", { "a-z", "A-Z" }, { input = "hello\n" })
    assert.are.equal("HELLO\n", r.stdout)
  end)

  it("echoes a 10 MiB input back without deadlock, byte for byte", function()
    local t = {}
    for i = 0, 255 do t[#t + 1] = string.char(i) end
    local block = table.concat(t)
    local input = block:rep(math.floor(10 * 1024 * 1024 / #block))
    local r = cp.spawnSync("cat", { input = input, maxBuffer = 20 * 1024 * 1024 })
    assert.is_nil(r.error)
    assert.are.equal(0, r.status)
    assert.are.equal(#input, #r.stdout)
    assert.is_true(input == r.stdout, "output differs from input")
  end)

  it("copes with a child that does not read its input", function()
    local r = cp.spawnSync("true", { input = ("x"):rep(4 * 1024 * 1024) })
    assert.are.equal(0, r.status)
    assert.is_nil(r.error)
  end)

  it("gives an empty stdin when there is no input", function()
    local r = cp.spawnSync("cat")
    assert.are.equal(0, r.status)
    assert.are.equal("", r.stdout)
  end)

  it("kills on timeout with SIGTERM and reports ETIMEDOUT", function()
    local r = cp.spawnSync("sleep", { "30" }, { timeout = 100 })
    assert.are.equal("ETIMEDOUT", r.error.code)
    assert.are.equal("SIGTERM", r.signal)
    assert.is_nil(r.status)
  end)

  it("kills on timeout with killSignal", function()
    local r = cp.spawnSync("sh", { "-c", "trap '' TERM; echo ready; exec sleep 30" },
      { timeout = 100, killSignal = "SIGKILL" })
    assert.are.equal("ETIMEDOUT", r.error.code)
    assert.are.equal("SIGKILL", r.signal)
    assert.are.equal("ready\n", r.stdout)
    r = cp.spawnSync("sleep", { "30" }, { timeout = 50, killSignal = 9 })
    assert.are.equal("SIGKILL", r.signal)
  end)

  it("times out a child that closed its output but keeps running", function()
    local r = cp.spawnSync("sh", { "-c", "exec >&- 2>&-; exec sleep 30" }, { timeout = 100 })
    assert.are.equal("ETIMEDOUT", r.error.code)
    assert.are.equal("SIGTERM", r.signal)
  end)

  it("on timeout stops reading, even if a grandchild holds the pipes", function()
    local r = cp.spawnSync("sh", { "-c", "while :; do echo x; sleep 0.01; done | cat" }, { timeout = 100 })
    assert.are.equal("ETIMEDOUT", r.error.code)
    assert.are.equal("SIGTERM", r.signal)
  end)

  it("enforces the timeout on a child that writes all the time", function()
    local r = cp.spawnSync("yes", { timeout = 100, maxBuffer = 256 * 1024 * 1024 })
    assert.are.equal("ETIMEDOUT", r.error.code)
    assert.are.equal("SIGTERM", r.signal)
    collectgarbage()
  end)

  -- As Node: past maxBuffer the chunk that was read is kept whole (one
  -- read, at most 64 KiB), so the output is maxBuffer bytes or a little more.
  local function y_lines(out, max, unit)
    assert.is_true(#out > max and #out <= max + 65536, "got " .. #out .. " bytes")
    assert.are.equal(unit:rep(math.floor(#out / #unit)) .. unit:sub(1, #out % #unit), out)
  end

  it("on maxBuffer stops reading, even if a grandchild holds the pipes", function()
    local r = cp.spawnSync("sh", { "-c", "yes | cat" }, { maxBuffer = 10 })
    assert.are.equal("ENOBUFS", r.error.code)
    y_lines(r.stdout, 10, "y\n")
  end)

  it("kills when maxBuffer is exceeded and keeps the chunk it read", function()
    local r = cp.spawnSync("yes", { maxBuffer = 1000 })
    assert.are.equal("ENOBUFS", r.error.code)
    y_lines(r.stdout, 1000, "y\n")
    assert.are.equal("SIGTERM", r.signal)
    r = cp.spawnSync("sh", { "-c", "exec yes e >&2" }, { maxBuffer = 3 })
    assert.are.equal("ENOBUFS", r.error.code)
    y_lines(r.stderr, 3, "e\n")
    assert.are.equal("", r.stdout)
  end)

  it("keeps output of exactly maxBuffer bytes without an error", function()
    local r = cp.spawnSync("printf", { "12345" }, { maxBuffer = 5 })
    assert.is_nil(r.error)
    assert.are.equal("12345", r.stdout)
  end)

  it("maxBuffer filled to the byte is not an error", function()
    local r = cp.spawnSync("printf", { "1234" }, { maxBuffer = 4 })
    assert.is_nil(r.error)
    assert.are.equal("1234", r.stdout)
    assert.are.equal(0, r.status)
  end)

  it("applies stdio options", function()
    local r = cp.spawnSync("echo", { "hi" }, { stdio = "ignore" })
    assert.are.equal(0, r.status)
    assert.is_nil(r.stdout)
    assert.is_nil(r.stderr)
    r = cp.spawnSync("true", { stdio = "inherit" })
    assert.are.equal(0, r.status)
    assert.is_nil(r.stdout)
    assert.is_nil(r.stderr)
    r = cp.spawnSync("sh", { "-c", "echo out; echo err >&2" }, { stdio = { "pipe", "pipe", "ignore" } })
    assert.are.equal("out\n", r.stdout)
    assert.is_nil(r.stderr)
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    r = cp.spawnSync("echo", { "to file" }, { stdio = { "ignore", f, "pipe" } })
    f:close()
    assert.is_nil(r.stdout)
    local g = assert(io.open(path))
    assert.are.equal("to file\n", g:read("*a"))
    g:close()
    os.remove(path)
  end)

  it("applies cwd and env", function()
    local r = cp.spawnSync("sh", { "-c", "pwd; echo $V" }, { cwd = "/", env = { V = "w" } })
    assert.are.equal("/\nw\n", r.stdout)
  end)

  it("does not run other children's callbacks", function()
    local exited, closed = false, false
    local child = cp.spawn("true")
    child:on("exit", function() exited = true end)
    child:on("close", function() closed = true end)
    -- `true` exits while the sync call runs (it cannot outlive `sleep`).
    local r = cp.spawnSync("sh", { "-c", "sleep 0.2; echo done" })
    assert.are.equal("done\n", r.stdout)
    assert.is_false(exited)
    assert.is_false(closed)
    H.run_until(function() return closed end)
    assert.is_true(exited)
    assert.are.equal(0, child.exitCode)
  end)

  it("does not disturb children the loop runs", function()
    local a = cp.spawn("sh", { "-c", "echo a1; sleep 0.2; echo a2" })
    local out = H.collect(a.stdout)
    local codes = {}
    for i = 1, 3 do
      codes[i] = cp.spawnSync("sh", { "-c", "exit " .. i }).status
    end
    assert.are.same({ 1, 2, 3 }, codes)
    local code, sig = H.wait_close(a)
    assert.are.equal(0, code)
    assert.is_nil(sig)
    assert.are.equal("a1\na2\n", out())
  end)

  it("works from inside an event callback", function()
    local got
    local child = cp.spawn("true")
    child:on("exit", function() got = cp.spawnSync("echo", { "inner" }).stdout end)
    H.wait_close(child)
    assert.are.equal("inner\n", got)
  end)

  it("leaks no fds and leaves no zombies", function()
    cp.spawnSync("true")
    local fds = H.fd_count()
    for _ = 1, 20 do
      cp.spawnSync("sh", { "-c", "echo x; echo y >&2" }, { input = "z" })
      cp.spawnSync("no_such_command_cp_spec_xyz")
      cp.spawnSync("yes", { maxBuffer = 10 })
    end
    assert.are.equal(fds, H.fd_count())
    assert.are.equal(0, H.zombies())
  end)
end)

describe("execSync", function()
  after_each(function() H.assert_clean() end)

  it("returns stdout, through /bin/sh -c", function()
    assert.are.equal("3\n", cp.execSync("echo $((1 + 2))"))
    assert.are.equal("", cp.execSync("true"))
  end)

  it("accepts input and options", function()
    assert.are.equal("abc", cp.execSync("cat", { input = "abc" }))
    assert.are.equal("/\n", cp.execSync("pwd", { cwd = "/" }))
    assert.are.equal("/bin/bash\n", cp.execSync("echo $0", { shell = "/bin/bash" }))
  end)

  it("raises an error table on a non-zero exit", function()
    local ok, err = pcall(cp.execSync, "echo partial; echo bad >&2; exit 4")
    assert.is_false(ok)
    assert.is_table(err)
    assert.are.equal(4, err.status)
    assert.is_nil(err.signal)
    assert.are.equal("partial\n", err.stdout)
    assert.are.equal("bad\n", err.stderr)
    assert.matches("Command failed", err.message, 1, true)
    assert.matches("bad", tostring(err), 1, true)
  end)

  it("also writes the child's stderr to ours, as Node does, unless stdio is given", function()
    local script = [[
      local cp = require("child_process")
      io.write(cp.execSync("echo out; echo err1 >&2"))
      local ok, err = pcall(cp.execFileSync, "sh", { "-c", "echo err2 >&2; exit 3" })
      io.write(tostring(ok), " ", err.stderr)
      io.write(cp.execSync("echo quiet >&2", { stdio = "pipe" }))
      io.write(cp.execFileSync("sh", { "-c", "echo quiet2 >&2" }, { stdio = { "pipe", "pipe", "pipe" } }))
    ]]
    local r = cp.spawnSync(H.lua, { "-e", script }, { env = H.lua_env() })
    assert.are.equal(0, r.status, r.stderr)
    assert.are.equal("out\nfalse err2\n", r.stdout)
    assert.are.equal("err1\nerr2\n", r.stderr)
  end)

  it("raises with status 127 for a missing command", function()
    local ok, err = pcall(cp.execSync, "no_such_command_cp_spec_xyz")
    assert.is_false(ok)
    assert.are.equal(127, err.status)
  end)

  it("raises when the child was killed", function()
    local ok, err = pcall(cp.execSync, "exec sleep 30", { timeout = 100 })
    assert.is_false(ok)
    assert.is_nil(err.status)
    assert.are.equal("SIGTERM", err.signal)
    assert.are.equal("ETIMEDOUT", err.code)
    ok, err = pcall(cp.execSync, "kill -KILL $$")
    assert.is_false(ok)
    assert.are.equal("SIGKILL", err.signal)
  end)

  it("raises on maxBuffer", function()
    local ok, err = pcall(cp.execSync, "exec yes", { maxBuffer = 10 })
    assert.is_false(ok)
    assert.are.equal("ENOBUFS", err.code)
    assert.are.equal(-105, err.errno)
    assert.is_true(#err.stdout > 10)
    assert.are.equal(err.stdout, err.output[2])
  end)
end)

describe("execFileSync", function()
  after_each(function() H.assert_clean() end)

  it("returns stdout, without a shell", function()
    assert.are.equal("$HOME 'q'\n", cp.execFileSync("echo", { "$HOME", "'q'" }))
    assert.are.equal("/\n", cp.execFileSync("pwd", { cwd = "/" }))
  end)

  it("passes arguments byte for byte", function()
    local args = { H.fixtures .. "exec_args.lua", "a b", "", "$X\n`y`", "☃" }
    local out = cp.execFileSync(H.lua, args, { env = H.lua_env() })
    assert.are.equal("4\n612062\n\n24580a607960\ne29883\n", out)
  end)

  it("raises an error table on exit codes 1 and 255", function()
    for _, code in ipairs({ 1, 255 }) do
      local ok, err = pcall(cp.execFileSync, "sh", { "-c", "echo o; echo e >&2; exit " .. code })
      assert.is_false(ok)
      assert.are.equal(code, err.status)
      assert.are.equal("o\n", err.stdout)
      assert.are.equal("e\n", err.stderr)
      assert.is_string(err.message)
    end
  end)

  it("raises ENOENT when the file is missing", function()
    local ok, err = pcall(cp.execFileSync, "no_such_command_cp_spec_xyz", { "x" })
    assert.is_false(ok)
    assert.is_table(err)
    assert.are.equal("ENOENT", err.code)
    assert.is_nil(err.status)
    assert.matches("ENOENT", tostring(err))
  end)

  it("raises when killed", function()
    local ok, err = pcall(cp.execFileSync, "sleep", { "30" }, { timeout = 50, killSignal = "SIGKILL" })
    assert.is_false(ok)
    assert.are.equal("SIGKILL", err.signal)
  end)
end)

describe("sync argument checks", function()
  after_each(function() H.assert_clean() end)

  local bad = H.assert_bad_argument

  it("rejects wrong argument types", function()
    bad("#1 to 'spawnSync'", cp.spawnSync, 42)
    bad("#2 to 'spawnSync'", cp.spawnSync, "x", "notatable")
    bad("#3 to 'spawnSync'", cp.spawnSync, "x", {}, 5)
    bad("#1 to 'execSync'", cp.execSync, 42)
    bad("#2 to 'execSync'", cp.execSync, "x", 5)
    bad("#1 to 'execFileSync'", cp.execFileSync, nil)
    bad("#2 to 'execFileSync'", cp.execFileSync, "x", "notatable")
    bad("#3 to 'execFileSync'", cp.execFileSync, "x", {}, "opts")
  end)

  it("rejects wrong option types, naming the option", function()
    for _, case in ipairs({
      { "input", 5 }, { "input", {} }, { "maxBuffer", -1 }, { "maxBuffer", "big" },
      { "timeout", -5 }, { "timeout", "soon" }, { "killSignal", "SIGNOPE" },
      { "cwd", false }, { "stdio", 5 }, { "env", 1 },
    }) do
      local key, value = case[1], case[2]
      bad("option '" .. key .. "'", cp.spawnSync, "true", {}, { [key] = value })
      bad("option '" .. key .. "'", cp.execSync, "true", { [key] = value })
      bad("option '" .. key .. "'", cp.execFileSync, "true", {}, { [key] = value })
    end
  end)
end)
