--- spawn_spec.lua — SPEC §2 options of spawn: cwd, env, argv0, stdio forms,
--- detached, uid/gid, shell, timeout / killSignal.
local H = require("helper")
local cp, core = H.cp, H.core

-- Spawn, collect stdout and stderr, wait for close.
local function run(cmd, args, opts)
  local c = cp.spawn(cmd, args, opts)
  local out = c.stdout and H.collect(c.stdout) or function() return nil end
  local err = c.stderr and H.collect(c.stderr) or function() return nil end
  local code, sig = H.wait_close(c)
  return out(), err(), code, sig, c
end

local function tmpname()
  local p = os.tmpname()
  return p
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

describe("spawn options", function()
  after_each(function() H.assert_clean() end)

  it("cwd sets the child's working directory", function()
    local out, _, code = run("pwd", nil, { cwd = "/tmp" })
    assert.are.equal(0, code)
    assert.are.equal("/tmp\n", out)
  end)

  it("cwd defaults to the parent's", function()
    local out = run("pwd")
    assert.are.equal(core.cwd() .. "\n", out)
  end)

  it("env replaces the environment", function()
    local out, _, code = run("/usr/bin/env", nil, { env = { ONLY_ME = "1", OTHER = "two words" } })
    assert.are.equal(0, code)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    table.sort(lines)
    assert.are.same({ "ONLY_ME=1", "OTHER=two words" }, lines)
  end)

  it("env numbers are converted to strings", function()
    local out = run("/usr/bin/env", nil, { env = { N = 42 } })
    assert.are.equal("N=42\n", out)
  end)

  it("an empty env table gives an empty environment", function()
    local out, _, code = run("/usr/bin/env", nil, { env = {} })
    assert.are.equal(0, code)
    assert.are.equal("", out)
  end)

  it("inherits the parent's environment by default", function()
    local out = run("sh", { "-c", 'printf %s "$PATH"' })
    assert.are.equal(os.getenv("PATH"), out)
    local home = run("sh", { "-c", 'printf %s "$HOME"' })
    assert.are.equal(os.getenv("HOME") or "", home)
  end)

  it("looks the command up in the PATH of the given env", function()
    local dir = tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. dir .. " && printf '#!/bin/sh\\necho found-me\\n' > " .. dir
      .. "/cp_test_tool && chmod +x " .. dir .. "/cp_test_tool"))
    local out, _, code = run("cp_test_tool", nil, { env = { PATH = dir .. ":/usr/bin:/bin" } })
    os.execute("rm -rf " .. dir)
    assert.are.equal(0, code)
    assert.are.equal("found-me\n", out)
  end)

  it("argv0 sets argv[0] and keeps the file to run", function()
    local out, _, code, _, c = run("sh", { "-c", "echo $0" }, { argv0 = "custom-name" })
    assert.are.equal(0, code)
    assert.are.equal("custom-name\n", out)
    assert.are.equal("sh", c.spawnfile)
    assert.are.same({ "sh", "-c", "echo $0" }, c.spawnargs)
  end)

  it("argv[0] defaults to the command", function()
    local out = run("sh", { "-c", "echo $0" })
    assert.are.equal("sh\n", out)
  end)

  it("args are passed byte for byte, numbers converted", function()
    local args = { "a b", "", "$HOME", "'q'", "\"", "é\n", 7, 1.5 }
    local out = run("/usr/bin/printf", { "[%s]", H.compat.unpack(args) })
    assert.are.equal("[a b][][$HOME]['q'][\"][é\n][7][1.5]", out)
  end)

  it("stdio 'pipe' gives three streams", function()
    local c = cp.spawn("sh", { "-c", "cat; echo err >&2" }, { stdio = "pipe" })
    assert.is_not_nil(c.stdin)
    local out, err = H.collect(c.stdout), H.collect(c.stderr)
    c.stdin:close("in")
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("in", out())
    assert.are.equal("err\n", err())
    assert.are.equal(c.stdin, c.stdio[1])
    assert.are.equal(c.stdout, c.stdio[2])
    assert.are.equal(c.stderr, c.stdio[3])
  end)

  it("stdio 'ignore' gives /dev/null and no streams", function()
    local c = cp.spawn("sh", { "-c", "cat; echo out; echo err >&2; readlink /proc/self/fd/1 > /dev/null" },
      { stdio = "ignore" })
    assert.is_nil(c.stdin)
    assert.is_nil(c.stdout)
    assert.is_nil(c.stderr)
    assert.are.equal(0, (H.wait_close(c)))
  end)

  it("stdio 'ignore' connects the child to /dev/null", function()
    local f = tmpname()
    local c = cp.spawn("sh", { "-c", "readlink /proc/self/fd/0 /proc/self/fd/2 > " .. f }, { stdio = "ignore" })
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("/dev/null\n/dev/null\n", slurp(f))
    os.remove(f)
  end)

  it("stdio 'inherit' gives the child the parent's fds", function()
    -- A Lua child whose stdout is our pipe spawns a grandchild with
    -- stdio 'inherit': the grandchild's output reaches us through it.
    local script = [[
      local cp = require("child_process")
      local c = cp.spawn("echo", { "from-grandchild" }, { stdio = "inherit" })
      assert(c.stdout == nil and c.stdin == nil)
      c:on("close", function(code) io.write("closed ", code, "\n") end)
      cp.run()
    ]]
    local out, err, code = run(H.lua, { "-e", script }, { env = H.lua_env() })
    assert.are.equal("", err)
    assert.are.equal(0, code)
    assert.are.equal("from-grandchild\nclosed 0\n", out)
  end)

  it("a Lua file handle in stdio receives the child's output", function()
    local path = tmpname()
    local f = assert(io.open(path, "w"))
    f:write("before\n") -- buffered: must be flushed before the child writes
    local c = cp.spawn("sh", { "-c", "echo out; echo err >&2" }, { stdio = { "ignore", f, f } })
    assert.is_nil(c.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    f:close()
    local s = slurp(path)
    os.remove(path)
    assert.are.equal("before\nout\nerr\n", s)
  end)

  it("io.tmpfile() works as stdin", function()
    local f = io.tmpfile()
    f:write("from tmpfile")
    f:seek("set", 0)
    local out, _, code = run("cat", nil, { stdio = { f, "pipe", "pipe" } })
    f:close()
    assert.are.equal(0, code)
    assert.are.equal("from tmpfile", out)
  end)

  it("an integer fd in stdio is given to the child", function()
    local path = tmpname()
    local f = assert(io.open(path, "w"))
    local fd = core.file_fd(f)
    assert.is_true(H.compat.mathtype(fd) == "integer" and fd > 2)
    local c = cp.spawn("echo", { "via-fd" }, { stdio = { "ignore", fd, "ignore" } })
    assert.are.equal(0, (H.wait_close(c)))
    f:close()
    assert.are.equal("via-fd\n", slurp(path))
    os.remove(path)
  end)

  it("integer fds 1 and 2 may be swapped (no clobbering)", function()
    local po, pe = tmpname(), tmpname()
    local fo, fe = assert(io.open(po, "w")), assert(io.open(pe, "w"))
    local c = cp.spawn("sh", { "-c", "echo to1; echo to2 >&2" },
      { stdio = { "ignore", core.file_fd(fe), core.file_fd(fo) } })
    assert.are.equal(0, (H.wait_close(c)))
    fo:close(); fe:close()
    assert.are.equal("to2\n", slurp(po))
    assert.are.equal("to1\n", slurp(pe))
    os.remove(po); os.remove(pe)
  end)

  it("extra pipes beyond fd 2 are readable streams", function()
    local c = cp.spawn("sh", { "-c", "echo hi >&3; echo four >&4" },
      { stdio = { "ignore", "pipe", "ignore", "pipe", "pipe" } })
    assert.is_nil(c.stdio[1])
    assert.is_nil(c.stdio[3])
    local three, four = H.collect(c.stdio[4]), H.collect(c.stdio[5])
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("hi\n", three())
    assert.are.equal("four\n", four())
  end)

  it("close waits for an extra pipe to end", function()
    -- The shell exits at once; a background writer keeps fd 3 open a bit.
    local c = cp.spawn("sh", { "-c", "(sleep 0.2; echo late >&3) &" },
      { stdio = { "ignore", "ignore", "ignore", "pipe" } })
    local three = H.collect(c.stdio[4])
    local exited
    c:on("exit", function() exited = three() end)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("", exited)
    assert.are.equal("late\n", three())
  end)

  it("64 stdio entries, all pipes", function()
    local stdio = {}
    for i = 1, 64 do stdio[i] = "pipe" end
    -- The shell reports which of its fds 0..99 are open: exactly 0..63, none
    -- leaked above. (Counting `ls /proc/self/fd` instead depends on the
    -- shell's own private fds, which differ between bash builds.)
    local c = cp.spawn("bash", { "-c",
      "echo last >&63; for i in $(seq 0 99); do [ -e /proc/$$/fd/$i ] && printf '%s ' $i; done; true" },
      { stdio = stdio })
    local last, out = H.collect(c.stdio[64]), H.collect(c.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("last\n", last())
    local want = {}
    for i = 0, 63 do want[#want + 1] = tostring(i) end
    assert.are.equal(table.concat(want, " ") .. " ", out())
  end)

  it("an extra pipe can be written to", function()
    local c = cp.spawn("sh", { "-c", "head -c 5 <&3" }, { stdio = { "ignore", "pipe", "ignore", "pipe" } })
    local out = H.collect(c.stdout)
    c.stdio[4]:write("hello")
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("hello", out())
  end)

  it("nil entries in stdio take the default for that fd", function()
    local c = cp.spawn("sh", { "-c", "cat; readlink /proc/self/fd/3 >&2" },
      { stdio = { nil, "pipe", "pipe", nil, "ignore" } })
    assert.is_not_nil(c.stdin) -- fd 0: pipe
    assert.is_nil(c.stdio[4])   -- fd 3: ignore
    local out, err = H.collect(c.stdout), H.collect(c.stderr)
    c.stdin:close("x")
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("x", out())
    assert.are.equal("/dev/null\n", err())
  end)

  local function sid_of_child(opts)
    local out = run("sh", { "-c", "read a b c d e f rest < /proc/$$/stat; echo $$ $f" }, opts)
    local pid, sid = out:match("^(%d+) (%d+)")
    return tonumber(pid), tonumber(sid)
  end

  it("detached makes the child a session leader", function()
    local pid, sid = sid_of_child({ detached = true })
    assert.is_not_nil(pid)
    assert.are.equal(pid, sid)
  end)

  it("without detached the child stays in the parent's session", function()
    local f = assert(io.open("/proc/self/stat"))
    local my_sid = tonumber(f:read("*a"):match("%) %S+ %d+ %d+ (%d+)"))
    f:close()
    local pid, sid = sid_of_child({})
    assert.are_not.equal(pid, sid)
    assert.are.equal(my_sid, sid)
  end)

  describe("uid/gid (needs root)", function()
    local is_root
    do
      local p = io.popen("id -u")
      is_root = p:read("*l") == "0"
      p:close()
    end

    it("uid and gid set the child's identity", function()
      if not is_root then pending("not root") return end
      local out, err, code = run("id", nil, { uid = 65534, gid = 65534 })
      assert.are.equal("", err)
      assert.are.equal(0, code)
      assert.matches("^uid=65534%D.* gid=65534%D", out)
      assert.not_matches("groups=0%(", out) -- supplementary groups dropped
    end)

    it("uid alone changes only the user", function()
      if not is_root then pending("not root") return end
      local out = run("sh", { "-c", "id -u; id -g" }, { uid = 65534 })
      assert.are.equal("65534\n0\n", out)
    end)

    it("the uid path reports a missing file as an error event", function()
      if not is_root then pending("not root") return end
      local c = cp.spawn("/nonexistent/cp-test", nil, { uid = 65534 })
      local err
      c:on("error", function(e) err = e end)
      local code, sig = H.wait_close(c)
      assert.are.equal("ENOENT", err.code)
      assert.is_nil(code); assert.is_nil(sig)
    end)

    it("the uid path reports a missing cwd as ENOENT", function()
      if not is_root then pending("not root") return end
      local c = cp.spawn("pwd", nil, { uid = 65534, cwd = "/nonexistent-dir-cp" })
      local err
      c:on("error", function(e) err = e end)
      H.wait_close(c)
      assert.are.equal("ENOENT", err.code)
      assert.is_nil(c.pid)
    end)
  end)

  it("shell = true runs the command through /bin/sh -c", function()
    local out, _, code, _, c = run("echo $((1 + 2)) | tr 3 x", nil, { shell = true })
    assert.are.equal(0, code)
    assert.are.equal("x\n", out)
    assert.are.equal("/bin/sh", c.spawnfile)
    assert.are.same({ "/bin/sh", "-c", "echo $((1 + 2)) | tr 3 x" }, c.spawnargs)
  end)

  it("shell = true joins args to the command line", function()
    local out = run("echo", { "a", "b" }, { shell = true })
    assert.are.equal("a b\n", out)
  end)

  it("shell = '/bin/bash' uses that shell", function()
    local out, _, code = run("echo ${BASH_VERSINFO[0]}", nil, { shell = "/bin/bash" })
    assert.are.equal(0, code)
    assert.matches("^%d+\n$", out)
  end)

  it("timeout kills the child with SIGTERM by default", function()
    local c = cp.spawn("sleep", { "10" }, { timeout = 100 })
    local t0 = core.now()
    local code, sig = H.wait_close(c, 5000)
    assert.is_nil(code)
    assert.are.equal("SIGTERM", sig)
    assert.is_true(c.killed)
    assert.are.equal("SIGTERM", c.signalCode)
    assert.is_true(core.now() - t0 < 5000)
  end)

  it("killSignal chooses the timeout's signal (name)", function()
    local c = cp.spawn("sleep", { "10" }, { timeout = 50, killSignal = "SIGKILL" })
    local code, sig = H.wait_close(c, 5000)
    assert.is_nil(code)
    assert.are.equal("SIGKILL", sig)
    assert.is_true(c.killed)
  end)

  it("killSignal chooses the timeout's signal (number)", function()
    local c = cp.spawn("sleep", { "10" }, { timeout = 50, killSignal = 2 })
    local _, sig = H.wait_close(c, 5000)
    assert.are.equal("SIGINT", sig)
  end)

  it("a child that ends before its timeout is not killed", function()
    local c = cp.spawn("true", nil, { timeout = 5000 })
    local code, sig = H.wait_close(c)
    assert.are.equal(0, code)
    assert.is_nil(sig)
    assert.is_false(c.killed)
  end)

  it("spawn(cmd, options) skips args", function()
    local out = run("pwd", { cwd = "/" })
    assert.are.equal("/\n", out)
  end)
end)
