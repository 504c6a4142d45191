local H = require("helper")
local cp = H.cp

local MAXBUF = "ERR_CHILD_PROCESS_STDIO_MAXBUFFER"

-- Run an exec/execFile to completion; returns err, stdout, stderr.
local function run(start)
  local done, e, o, s = false, nil, nil, nil
  local child = start(function(err, stdout, stderr) done, e, o, s = true, err, stdout, stderr end)
  H.run_until(function() return done end, 15000, "exec callback")
  return e, o, s, child
end

local function hex(s)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

-- What exec_args.lua prints for these arguments.
local function args_text(args)
  local out = { tostring(#args) }
  for i = 1, #args do out[#out + 1] = hex(args[i]) end
  return table.concat(out, "\n") .. "\n"
end

describe("exec", function()
  after_each(function() H.assert_clean() end)

  it("runs the command through /bin/sh -c", function()
    local err, out, errout = run(function(cb)
      return cp.exec("echo $((1 + 2)) | tr 3 X; echo oops >&2", cb)
    end)
    assert.is_nil(err)
    assert.are.equal("X\n", out)
    assert.are.equal("oops\n", errout)
  end)

  it("returns the ChildProcess", function()
    local err, out, _, child = run(function(cb) return cp.exec("echo hi", cb) end)
    assert.is_nil(err)
    assert.are.equal("hi\n", out)
    assert.are.equal("userdata", type(child))
    assert.is_number(child.pid)
    assert.are.equal(0, child.exitCode)
  end)

  it("accepts options before the callback", function()
    local err, out = run(function(cb)
      return cp.exec("echo $FOO; pwd", { env = { FOO = "bar", PATH = os.getenv("PATH") }, cwd = "/" }, cb)
    end)
    assert.is_nil(err)
    assert.are.equal("bar\n/\n", out)
  end)

  it("uses options.shell", function()
    local err, out = run(function(cb)
      return cp.exec("-c-ignored", { shell = H.lua, env = H.lua_env() }, cb)
    end)
    -- lua5.4 -c is not a valid option: the "shell" was really lua.
    assert.is_not_nil(err)
    assert.are.equal(1, err.code)
    assert.are.equal("", out)
    local err2, out2 = run(function(cb)
      return cp.exec("echo $0", { shell = "/bin/bash" }, cb)
    end)
    assert.is_nil(err2)
    assert.are.equal("/bin/bash\n", out2)
  end)

  it("runs without a callback and completes through wait()", function()
    local child = cp.exec("printf abc")
    local err, out, errout = child:wait()
    assert.is_nil(err)
    assert.are.equal("abc", out)
    assert.are.equal("", errout)
  end)

  it("reports exit code 1 with an error table", function()
    local err, out, errout = run(function(cb)
      return cp.exec("echo partial; echo bad >&2; exit 1", cb)
    end)
    assert.is_table(err)
    assert.are.equal(1, err.code)
    assert.is_nil(err.signal)
    assert.is_false(err.killed)
    assert.are.equal("echo partial; echo bad >&2; exit 1", err.cmd)
    assert.are.equal("partial\n", err.stdout)
    assert.are.equal("bad\n", err.stderr)
    assert.are.equal("partial\n", out)
    assert.are.equal("bad\n", errout)
    assert.matches("Command failed: echo partial", err.message, 1, true)
    assert.matches("bad", err.message, 1, true)
    assert.are.equal(err.message, tostring(err))
  end)

  it("reports exit code 255", function()
    local err = run(function(cb) return cp.exec("exit 255", cb) end)
    assert.are.equal(255, err.code)
    assert.is_nil(err.signal)
  end)

  it("reports death by a signal", function()
    local err = run(function(cb) return cp.exec("kill -KILL $$", cb) end)
    assert.is_nil(err.code)
    assert.are.equal("SIGKILL", err.signal)
    assert.is_false(err.killed)
    assert.is_string(tostring(err))
  end)

  it("gives exit code 127 for a missing command (the shell reports it)", function()
    local err, out, errout = run(function(cb) return cp.exec("no_such_command_cp_spec_xyz", cb) end)
    assert.are.equal(127, err.code)
    assert.are.equal("", out)
    assert.matches("not found", errout)
  end)

  it("gives ENOENT when the shell itself is missing", function()
    local err, out, errout = run(function(cb)
      return cp.exec("echo hi", { shell = "/no/such/shell" }, cb)
    end)
    assert.are.equal("ENOENT", err.code)
    assert.are.equal("", out)
    assert.are.equal("", errout)
    assert.are.equal("echo hi", err.cmd)
  end)

  it("kills on timeout with SIGTERM", function()
    local err, out = run(function(cb)
      return cp.exec("echo started; exec sleep 30", { timeout = 100 }, cb)
    end)
    assert.is_table(err)
    assert.is_true(err.killed)
    assert.are.equal("SIGTERM", err.signal)
    assert.is_nil(err.code)
    -- What was read before the kill is kept (reading stops at the kill).
    assert.are.equal(("started\n"):sub(1, #out), out)
  end)

  it("on timeout stops reading, even if a grandchild holds the pipes", function()
    -- The shell dies of the signal; the loop keeps stdout open until
    -- closing our end makes its next write fail.
    local err = run(function(cb)
      return cp.exec("while :; do echo x; sleep 0.01; done | cat", { timeout = 100 }, cb)
    end)
    assert.is_true(err.killed)
    assert.are.equal("SIGTERM", err.signal)
  end)

  it("the timeout also covers output held open after the exit", function()
    local err, out = run(function(cb)
      return cp.exec("echo first; (while :; do echo x; sleep 0.01; done) &", { timeout = 200 }, cb)
    end)
    -- Like Node: the shell itself exited 0, so that is no error.
    assert.is_nil(err)
    assert.are.equal("first\n", out:sub(1, 6))
  end)

  it("on maxBuffer stops reading, even if a grandchild holds the pipes", function()
    local err, out = run(function(cb) return cp.exec("yes | cat", { maxBuffer = 10 }, cb) end)
    assert.are.equal(MAXBUF, err.code)
    assert.are.equal(("y\n"):rep(5), out)
  end)

  it("kills on timeout with killSignal", function()
    local err = run(function(cb)
      return cp.exec("exec sleep 30", { timeout = 50, killSignal = "SIGKILL" }, cb)
    end)
    assert.is_true(err.killed)
    assert.are.equal("SIGKILL", err.signal)
  end)

  it("a timeout that does not expire changes nothing", function()
    local err, out = run(function(cb) return cp.exec("echo quick", { timeout = 20000 }, cb) end)
    assert.is_nil(err)
    assert.are.equal("quick\n", out)
  end)

  it("kills when stdout passes maxBuffer and keeps exactly maxBuffer bytes", function()
    local err, out, errout = run(function(cb)
      return cp.exec("exec yes", { maxBuffer = 1000 }, cb)
    end)
    assert.are.equal(MAXBUF, err.code)
    assert.are.equal(1000, #out)
    assert.are.equal(("y\n"):rep(500), out)
    assert.are.equal(out, err.stdout)
    assert.are.equal("", errout)
    assert.are.equal("SIGTERM", err.signal)
    assert.is_true(err.killed)
    assert.matches("maxBuffer", err.message)
  end)

  it("kills when stderr passes maxBuffer", function()
    local err, out, errout = run(function(cb)
      return cp.exec("echo head; exec yes e >&2", { maxBuffer = 10 }, cb)
    end)
    assert.are.equal(MAXBUF, err.code)
    assert.are.equal(("e\n"):rep(5), errout)
    assert.are.equal("head\n", out)
  end)

  it("output of exactly maxBuffer bytes is not an error", function()
    local err, out = run(function(cb) return cp.exec("printf 12345", { maxBuffer = 5 }, cb) end)
    assert.is_nil(err)
    assert.are.equal("12345", out)
  end)

  it("uses killSignal for maxBuffer too", function()
    local err = run(function(cb)
      return cp.exec("exec yes", { maxBuffer = 100, killSignal = "SIGKILL" }, cb)
    end)
    assert.are.equal(MAXBUF, err.code)
    assert.are.equal("SIGKILL", err.signal)
  end)

  it("defaults maxBuffer to 1 MiB", function()
    local err, out = run(function(cb)
      return cp.execFile("head", { "-c", tostring(1024 * 1024) , "/dev/zero" }, cb)
    end)
    assert.is_nil(err)
    assert.are.equal(1024 * 1024, #out)
    local err2, out2 = run(function(cb) return cp.exec("exec cat /dev/zero", cb) end)
    assert.are.equal(MAXBUF, err2.code)
    assert.are.equal(1024 * 1024, #out2)
  end)

  it("keeps memory bounded by maxBuffer however much the child writes", function()
    collectgarbage()
    collectgarbage()
    local before = collectgarbage("count")
    local peak, bytes = 0, 0
    local done, e, o = false, nil, nil
    local child = cp.exec("exec yes", { maxBuffer = 1000 }, function(err, out)
      done, e, o = true, err, out
    end)
    child.stdout:on("data", function(chunk)
      bytes = bytes + #chunk
      if bytes > 4 * 1024 * 1024 then child:kill("SIGKILL") end
      peak = math.max(peak, collectgarbage("count"))
    end)
    H.run_until(function() return done end, 15000, "exec callback")
    assert.are.equal(MAXBUF, e.code)
    assert.are.equal(1000, #o)
    collectgarbage()
    collectgarbage()
    -- A few KiB of bookkeeping, nowhere near what `yes` wrote.
    assert.is_true(collectgarbage("count") - before < 512, "memory grew")
    assert.is_true(peak - before < 16 * 1024, "peak memory " .. (peak - before) .. " KiB")
    assert.is_not_nil(child.signalCode)
  end)
end)

describe("execFile", function()
  after_each(function() H.assert_clean() end)

  local fixture = H.fixtures .. "exec_args.lua"

  local function echo_args(args)
    local argv = { fixture }
    for i = 1, #args do argv[#argv + 1] = args[i] end
    local err, out, errout = run(function(cb)
      return cp.execFile(H.lua, argv, { env = H.lua_env() }, cb)
    end)
    assert.is_nil(err, err and tostring(err))
    assert.are.equal("", errout)
    return out
  end

  it("passes arguments byte for byte, never through a shell", function()
    local args = {
      "two words", "  lead and trail  ", "'single'", '"double"', "$HOME", "${PATH}",
      "`echo backtick`", "$(echo sub)", "line1\nline2", "", "tab\there", "semi;colon",
      "a|b&c>d<e", "*", "?", "~", "back\\slash", "héllo wörld ☃ 日本", "\r\n", "-n", "--",
      "\255\254 bytes", "",
    }
    assert.are.equal(args_text(args), echo_args(args))
  end)

  it("passes a 100 KiB argument intact", function()
    local t = {}
    for i = 1, 100 * 1024 do t[i] = string.char(32 + (i * 7) % 95) end
    local big = table.concat(t)
    assert.are.equal(args_text({ big, "after" }), echo_args({ big, "after" }))
  end)

  it("converts number arguments to strings", function()
    assert.are.equal(args_text({ "1", "2.5" }), echo_args({ 1, 2.5 }))
  end)

  it("works with only a callback", function()
    local err, out = run(function(cb) return cp.execFile("pwd", cb) end)
    assert.is_nil(err)
    assert.are.equal(H.root .. "\n", out)
  end)

  it("works with args and a callback", function()
    local err, out = run(function(cb) return cp.execFile("echo", { "a b", "$c" }, cb) end)
    assert.is_nil(err)
    assert.are.equal("a b $c\n", out)
  end)

  it("works with options and a callback, without args", function()
    local err, out = run(function(cb) return cp.execFile("pwd", { cwd = "/" }, cb) end)
    assert.is_nil(err)
    assert.are.equal("/\n", out)
  end)

  it("works with args, options and a callback", function()
    local err, out = run(function(cb)
      return cp.execFile("sh", { "-c", "echo $X" }, { env = { X = "y" } }, cb)
    end)
    assert.is_nil(err)
    assert.are.equal("y\n", out)
  end)

  it("returns the ChildProcess and completes through wait()", function()
    local child = cp.execFile("echo", { "x" })
    assert.are.equal("userdata", type(child))
    local err, out, errout = child:wait()
    assert.is_nil(err)
    assert.are.equal("x\n", out)
    assert.are.equal("", errout)
  end)

  it("reports a missing file as ENOENT", function()
    local err, out, errout, child = run(function(cb)
      return cp.execFile("no_such_file_cp_spec_xyz", { "a", "b" }, cb)
    end)
    assert.is_table(err)
    assert.are.equal("ENOENT", err.code)
    assert.are.equal("no_such_file_cp_spec_xyz a b", err.cmd)
    assert.is_false(err.killed)
    assert.is_nil(err.signal)
    assert.are.equal("", out)
    assert.are.equal("", errout)
    assert.are.equal("", err.stdout)
    assert.are.equal("", err.stderr)
    assert.matches("ENOENT", tostring(err))
    assert.is_nil(child.pid)
  end)

  it("reports a file that is not executable as EACCES", function()
    local err = run(function(cb) return cp.execFile(H.fixtures .. "exec_args.lua", cb) end)
    assert.are.equal("EACCES", err.code)
  end)

  it("reports exit codes 1 and 255", function()
    local err = run(function(cb) return cp.execFile("sh", { "-c", "exit 1" }, cb) end)
    assert.are.equal(1, err.code)
    assert.are.equal("sh -c exit 1", err.cmd)
    err = run(function(cb) return cp.execFile("sh", { "-c", "exit 255" }, cb) end)
    assert.are.equal(255, err.code)
  end)

  it("reports death by a signal", function()
    local err = run(function(cb) return cp.execFile("sh", { "-c", "kill -TERM $$" }, cb) end)
    assert.is_nil(err.code)
    assert.are.equal("SIGTERM", err.signal)
    assert.is_false(err.killed)
  end)

  it("reports a kill() from outside as killed", function()
    local done, e
    local child = cp.execFile("sleep", { "30" }, function(err) done, e = true, err end)
    child:kill()
    H.run_until(function() return done end)
    assert.is_true(e.killed)
    assert.are.equal("SIGTERM", e.signal)
  end)

  it("kills on timeout", function()
    local err = run(function(cb) return cp.execFile("sleep", { "30" }, { timeout = 100 }, cb) end)
    assert.is_true(err.killed)
    assert.are.equal("SIGTERM", err.signal)
    assert.is_nil(err.code)
  end)

  it("kills when maxBuffer is exceeded, on stdout and on stderr", function()
    local err, out = run(function(cb) return cp.execFile("yes", {}, { maxBuffer = 7 }, cb) end)
    assert.are.equal(MAXBUF, err.code)
    assert.are.equal("y\ny\ny\ny", out)
    local err2, out2, errout2 = run(function(cb)
      return cp.execFile("sh", { "-c", "exec yes zz >&2" }, { maxBuffer = 4 }, cb)
    end)
    assert.are.equal(MAXBUF, err2.code)
    assert.are.equal("", out2)
    assert.are.equal("zz\nz", errout2)
  end)

  it("uses a shell only when asked", function()
    local err, out = run(function(cb) return cp.execFile("echo", { "$HOME" }, cb) end)
    assert.is_nil(err)
    assert.are.equal("$HOME\n", out)
    local err2, out2 = run(function(cb)
      return cp.execFile("echo", { "$X" }, { shell = true, env = { X = "expanded" } }, cb)
    end)
    assert.is_nil(err2)
    assert.are.equal("expanded\n", out2)
  end)

  it("passes the callback's error out of cp.run and still completes", function()
    local child = cp.execFile("echo", { "x" }, function() error("from callback") end)
    local ok, msg = pcall(H.run_until, function() return false end, 15000)
    assert.is_false(ok)
    assert.matches("from callback", tostring(msg))
    local err, out = child:wait()
    assert.is_nil(err)
    assert.are.equal("x\n", out)
  end)
end)

describe("exec and execFile argument checks", function()
  after_each(function() H.assert_clean() end)

  local bad = H.assert_bad_argument

  it("rejects wrong argument types", function()
    bad("#1 to 'exec'", cp.exec, 42)
    bad("#1 to 'exec'", cp.exec, nil)
    bad("#1 to 'exec'", cp.exec, "")
    bad("#2 to 'exec'", cp.exec, "x", 5)
    bad("#2 to 'exec'", cp.exec, "x", "opts")
    bad("#3 to 'exec'", cp.exec, "x", {}, "notfn")
    bad("#3 to 'exec'", cp.exec, "x", nil, 7)
    bad("#1 to 'execFile'", cp.execFile, 42)
    bad("#1 to 'execFile'", cp.execFile, {})
    bad("#2 to 'execFile'", cp.execFile, "x", "notatable")
    bad("#2 to 'execFile'", cp.execFile, "x", { "a", {} })
    bad("#2 to 'execFile'", cp.execFile, "x", { "a", true })
    bad("#3 to 'execFile'", cp.execFile, "x", {}, 5)
    bad("#4 to 'execFile'", cp.execFile, "x", {}, {}, "notfn")
  end)

  it("rejects wrong option types, naming the option", function()
    for _, case in ipairs({
      { "maxBuffer", -1 }, { "maxBuffer", "big" }, { "maxBuffer", 0 / 0 },
      { "timeout", -5 }, { "timeout", "soon" }, { "timeout", 0 / 0 },
      { "killSignal", "SIGNOPE" }, { "killSignal", true },
      { "cwd", 5 }, { "env", "x" }, { "shell", 5 }, { "uid", "root" }, { "gid", -1 },
      { "detached", "yes" }, { "argv0", {} },
    }) do
      local key, value = case[1], case[2]
      local msg = H.error_of(cp.exec, "true", { [key] = value })
      assert.matches("bad argument #2 to 'exec'", msg, 1, true)
      assert.matches(key, msg, 1, true)
      msg = H.error_of(cp.execFile, "true", {}, { [key] = value })
      assert.matches("bad argument #3 to 'execFile'", msg, 1, true)
      assert.matches(key, msg, 1, true)
    end
  end)

  it("starts no child when an argument is bad", function()
    pcall(cp.exec, "true", { maxBuffer = -1 })
    pcall(cp.execFile, "true", {}, { timeout = "soon" })
    assert.are.equal(0, H.core.stats().procs)
  end)
end)
