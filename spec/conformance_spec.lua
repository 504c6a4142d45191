-- Node conformance and correctness, round 2 (issue 11): one `describe` per
-- defect, numbered as in the issue.  Each of these failed before its fix.
local H = require("helper")
local cp = H.cp
local core = H.core

-- Run the loop until cond(), collecting the errors that raise out of it
-- (listeners that raise on purpose); any other error fails the test.
local function run_collecting(cond, errs, what)
  for _ = 1, 50 do
    local ok, e = pcall(H.run_until, cond, 10000, what)
    if ok then return end
    if not tostring(e):find("boom", 1, true) then error(e, 0) end
    errs[#errs + 1] = e
  end
  error("too many errors")
end

local tmpdir = H.tmpdir

local function write_file(path, text, mode)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  if mode then assert(os.execute("chmod " .. mode .. " '" .. path .. "'")) end
end

describe("conformance #1: a failed spawn", function()
  after_each(function() H.assert_clean() end)

  for _, case in ipairs({
    { "a missing command", "no-such-command-cp-conf", nil, "ENOENT" },
    { "a bad cwd", "true", { cwd = "/no/such/dir/cp-conf" }, "ENOENT" },
  }) do
    it("has stdin, stdout, stderr and stdio, which end without data (" .. case[1] .. ")", function()
      local child = cp.spawn(case[2], {}, case[3])
      -- The usual pattern: listeners right after spawn().
      local data, ended, closed = {}, {}, {}
      for _, name in ipairs({ "stdout", "stderr" }) do
        child[name]:on("data", function(d) data[#data + 1] = d end)
        child[name]:on("end", function() ended[name] = true end)
        child[name]:on("close", function() closed[name] = true end)
      end
      local err
      child:on("error", function(e) err = e end)
      assert.are.equal(child.stdin, child.stdio[1])
      assert.are.equal(child.stdout, child.stdio[2])
      assert.are.equal(child.stderr, child.stdio[3])
      local werr
      assert.is_false(child.stdin:write("x", function(e) werr = e end))
      local code, sig = H.wait_close(child)
      assert.is_nil(code)
      assert.is_nil(sig)
      assert.are.equal(case[4], err.code)
      assert.are.same({}, data)
      assert.is_true(ended.stdout and ended.stderr)
      assert.is_true(closed.stdout and closed.stderr)
      assert.is_not_nil(werr)
    end)
  end

  it("has no streams where stdio is not a pipe", function()
    local child = cp.spawn("no-such-command-cp-conf", {}, { stdio = { "ignore", "pipe", "inherit" } })
    child:on("error", function() end)
    assert.is_nil(child.stdin)
    assert.is_not_nil(child.stdout)
    assert.is_nil(child.stderr)
    H.wait_close(child)
  end)
end)

describe("conformance #2: cwd = ''", function()
  after_each(function() H.assert_clean() end)

  it("means the parent's directory, as in Node", function()
    local child = cp.spawn("pwd", {}, { cwd = "" })
    local out = H.collect(child.stdout)
    local err
    child:on("error", function(e) err = e end)
    assert.are.equal(0, H.wait_close(child))
    assert.is_nil(err)
    assert.are.equal(H.root .. "\n", out())
  end)

  it("also for execSync and spawnSync", function()
    assert.are.equal(H.root .. "\n", cp.execSync("pwd", { cwd = "" }))
    assert.are.equal(H.root .. "\n", cp.spawnSync("pwd", { cwd = "" }).stdout)
  end)
end)

describe("conformance #3: fork's execArgv", function()
  it("defaults to the options the parent interpreter was started with", function()
    local r = cp.spawnSync(H.lua, { "-lstring", H.fixtures .. "fork_execargv.lua" },
      { env = H.lua_env(), timeout = 20000 })
    assert.are.equal(0, r.status, r.stderr)
    assert.are.equal("-lstring\n", r.stdout)
  end)

  it("leaves out -e chunks when the parent runs no script (LuaJIT keeps them in arg)", function()
    local code = ([[
      local cp = require("child_process")
      local child = cp.fork(%q)
      child:on("message", function(info)
        if type(info) == "table" then
          io.write(info.argm1 == cp.json.null and "none" or tostring(info.argm1), "\n")
          child:send("exit")
        end
      end)
      cp.run()
    ]]):format(H.fixtures .. "fork_info.lua")
    local r = cp.spawnSync(H.lua, { "-e", code }, { env = H.lua_env(), timeout = 20000 })
    assert.are.equal(0, r.status, r.stderr)
    assert.are.equal(H.lua .. "\n", r.stdout) -- the child's arg[-1]: the interpreter, no options
  end)

  it("is replaced by an explicit execArgv", function()
    local r = cp.spawnSync(H.lua, { "-lstring", H.fixtures .. "fork_execargv.lua", "explicit" },
      { env = H.lua_env(), timeout = 20000 })
    assert.are.equal(0, r.status, r.stderr)
    -- arg[-1] of the child is then the interpreter itself.
    assert.are.equal(H.lua .. "\n", r.stdout)
  end)
end)

describe("conformance #4: exec and a failed kill", function()
  after_each(function() H.assert_clean() end)

  -- A stand-in for the process handle whose kill fails: the real one
  -- (root here) can always kill.  ref/unref go to the real handle.
  local function failing_proc(real, how)
    return setmetatable({
      kill = function(_, sig)
        if sig == 0 then return real:kill(0) end
        if how == "raise" then error({ code = "EINVAL", message = "kill EINVAL" }) end
        return false, "EPERM"
      end,
    }, { __index = function(_, k) return function(_, ...) return real[k](real, ...) end end })
  end

  for _, how in ipairs({ "error event", "raise" }) do
    it("hands the kill's error to the callback (" .. how .. ")", function()
      local got, n = nil, 0
      local child = cp.exec("sleep 3", { timeout = 50 }, function(err)
        n = n + 1
        got = err
      end)
      local real = child._proc
      child._proc = failing_proc(real, how)
      H.run_until(function() return n > 0 end, 10000, "the exec callback")
      assert.is_not_nil(got)
      assert.are.equal(how == "raise" and "EINVAL" or "EPERM", got.code)
      -- Now really stop it; the callback does not run twice.
      real:kill(9)
      H.wait_close(child)
      assert.are.equal(1, n)
      assert.are.equal(got, (child:wait()))
    end)
  end
end)

describe("conformance #5: the maxBuffer error", function()
  after_each(function() H.assert_clean() end)

  for _, stream in ipairs({ "stdout", "stderr" }) do
    it("names the stream (" .. stream .. ")", function()
      local redirect = stream == "stderr" and " >&2" or ""
      local done, e
      cp.exec("head -c 100000 /dev/zero" .. redirect, { maxBuffer = 10 }, function(err)
        done, e = true, err
      end)
      H.run_until(function() return done end)
      assert.are.equal("ERR_CHILD_PROCESS_STDIO_MAXBUFFER", e.code)
      assert.are.equal(stream .. " maxBuffer length exceeded", e.message)
    end)
  end
end)

describe("conformance #6: execSync / execFileSync errors", function()
  it("carry errno ENOBUFS and the output with maxBuffer", function()
    local ok, e = pcall(cp.execSync, "echo hello; echo oops >&2", { maxBuffer = 1, stdio = "pipe" })
    assert.is_false(ok)
    assert.are.equal("ENOBUFS", e.code)
    assert.are.equal(-105, e.errno)
    assert.is_table(e.output)
    -- As Node: the chunk that was read is kept, past maxBuffer.
    assert.are.equal("hello\n", e.stdout)
    assert.are.equal(e.stdout, e.output[2])
  end)

  it("carry errno ETIMEDOUT with a timeout", function()
    local ok, e = pcall(cp.execFileSync, "sleep", { "5" }, { timeout = 100 })
    assert.is_false(ok)
    assert.are.equal("ETIMEDOUT", e.code)
    assert.are.equal(-110, e.errno)
    assert.are.equal("SIGTERM", e.signal)
    assert.is_table(e.output)
    assert.are.equal("spawnSync sleep", e.syscall)
    assert.are.equal("sleep", e.path)
    assert.are.same({ "5" }, e.spawnargs)
  end)

  it("carry the output on a non-zero exit", function()
    local ok, e = pcall(cp.execSync, "echo out; exit 3", { stdio = "pipe" })
    assert.is_false(ok)
    assert.are.equal(3, e.status)
    assert.are.equal("out\n", e.output[2])
  end)

  it("spawnSync keeps the chunk it read past maxBuffer (Node's spawnsync-maxbuf)", function()
    local r = cp.spawnSync("echo", { "this is stdout" }, { maxBuffer = 1 })
    assert.are.equal("ENOBUFS", r.error.code)
    assert.are.equal("this is stdout\n", r.stdout)
  end)
end)

describe("conformance #7: fork with a function", function()
  it("as args is a bad argument", function()
    H.assert_bad_argument("#2 to 'fork' (args must be a table, got function)", cp.fork,
      H.fixtures .. "fork_nothing.lua", function() end)
  end)

  it("as options is a bad argument", function()
    H.assert_bad_argument("#3 to 'fork' (options must be a table, got function)", cp.fork,
      H.fixtures .. "fork_nothing.lua", {}, function() end)
  end)
end)

describe("conformance #8: option validation", function()
  after_each(function() H.assert_clean() end)

  it("rejects a fractional timeout", function()
    H.assert_bad_argument("option 'timeout'", cp.spawn, "true", {}, { timeout = 3.1 })
    H.assert_bad_argument("option 'timeout'", cp.exec, "true", { timeout = 3.1 })
    H.assert_bad_argument("option 'timeout'", cp.spawnSync, "true", {}, { timeout = 3.1 })
  end)

  it("accepts an integral float timeout", function()
    local child = cp.spawn("true", {}, { timeout = 3000.0 })
    assert.are.equal(0, H.wait_close(child))
  end)

  it("rejects killSignal = 0", function()
    H.assert_bad_argument("option 'killSignal'", cp.spawn, "true", {}, { killSignal = 0 })
    H.assert_bad_argument("option 'killSignal'", cp.execSync, "true", { killSignal = 0 })
  end)

  it("accepts lowercase signal names, as Node does", function()
    local child = cp.spawn("sleep", { "5" }, { killSignal = "sigkill", timeout = 10 })
    local _, sig = H.wait_close(child)
    assert.are.equal("SIGKILL", sig)
    child = cp.spawn("sleep", { "5" })
    assert.is_true(child:kill("sigterm"))
    _, sig = H.wait_close(child)
    assert.are.equal("SIGTERM", sig)
  end)

  it("accepts SIGIOT, SIGPOLL, SIGPWR and SIGSTKFLT", function()
    for _, name in ipairs({ "SIGIOT", "SIGPOLL", "SIGPWR", "SIGSTKFLT" }) do
      local child = cp.spawn("sleep", { "5" }, { killSignal = name })
      assert.is_true(child:kill(name), name)
      local code, sig = H.wait_close(child)
      assert.is_nil(code, name)
      assert.is_string(sig, name)
    end
  end)

  it("names a fractional signal in kill()'s error", function()
    local child = cp.spawn("sleep", { "5" })
    local msg = H.error_of(child.kill, child, 1.5)
    assert.matches("bad argument #1 to 'kill'", msg, 1, true)
    assert.matches("1.5", msg, 1, true)
    child:kill()
    H.wait_close(child)
  end)

  it("takes math.huge and huge timeouts as no limit", function()
    for _, t in ipairs({ math.huge, 1e300 }) do
      local child = cp.spawn("true", {}, { timeout = t })
      assert.are.equal(0, H.wait_close(child))
      local done, e
      cp.exec("echo hi", { timeout = t }, function(err) done, e = true, err end)
      H.run_until(function() return done end)
      assert.is_nil(e)
      assert.is_nil(cp.spawnSync("true", {}, { timeout = t }).error)
    end
  end)

  it("takes maxMessageSize = math.huge as no limit, and refuses 1.5", function()
    H.assert_bad_argument("option 'maxMessageSize'", cp.fork, H.fixtures .. "echo_child.lua", {},
      { maxMessageSize = 1.5 })
    local child = cp.fork(H.fixtures .. "echo_child.lua", {}, { maxMessageSize = math.huge, env = H.lua_env() })
    local got
    child:on("message", function(m) got = m; child:disconnect() end)
    child:send({ x = ("y"):rep(100000) })
    H.wait_close(child)
    assert.are.equal(100000, got and #got.x)
  end)

  it("takes wait(math.huge) as no limit", function()
    local child = cp.spawn("true")
    assert.are.equal(0, child:wait(math.huge))
    child = cp.spawn("true")
    assert.are.equal(0, child:wait(1e300))
  end)

  it("takes spawnSync's maxBuffer = 1e300 as no limit", function()
    local r = cp.spawnSync("head", { "-c", "2000000", "/dev/zero" }, { maxBuffer = 1e300 })
    assert.is_nil(r.error)
    assert.are.equal(0, r.status)
    assert.are.equal(2000000, #r.stdout)
  end)

  it("validates everything before the child is started", function()
    local dir = tmpdir()
    local marker = dir .. "/started"
    local bad = {
      { cp.spawn, "touch", { marker }, { timeout = -1 } },
      { cp.spawn, "touch", { marker }, { timeout = 1.5 } },
      { cp.spawn, "touch", { marker }, { killSignal = "SIGNOPE" } },
      { cp.execFile, "touch", { marker }, { maxBuffer = "x" } },
      { cp.execFile, "touch", { marker }, { timeout = 0.5 } },
    }
    for i, b in ipairs(bad) do
      local ok = pcall(b[1], b[2], b[3], b[4])
      assert.is_false(ok, "case " .. i)
    end
    assert.is_nil(io.open(marker), "a child ran although its options were rejected")
    os.execute("rm -rf '" .. dir .. "'")
  end)
end)

describe("conformance #9: a second disconnect()", function()
  after_each(function() H.assert_clean() end)

  it("is an error event ERR_IPC_DISCONNECTED in the parent", function()
    local child = cp.fork(H.fixtures .. "fork_hold.lua", {}, { env = H.lua_env() })
    local errs = {}
    child:on("error", function(e) errs[#errs + 1] = e end)
    child:disconnect()
    assert.are.same({}, errs)
    child:disconnect()
    assert.are.equal(1, #errs)
    assert.are.equal("ERR_IPC_DISCONNECTED", errs[1].code)
    child:kill()
    H.wait_close(child)
  end)

  it("raises at the call without a listener, as Node throws", function()
    local child = cp.fork(H.fixtures .. "fork_hold.lua", {}, { env = H.lua_env() })
    child:disconnect()
    local ok, e = pcall(child.disconnect, child)
    assert.is_false(ok)
    assert.are.equal("ERR_IPC_DISCONNECTED", e.code)
    child:kill()
    H.wait_close(child)
  end)

  it("is an error event ERR_IPC_DISCONNECTED in the forked child", function()
    local child = cp.fork(H.fixtures .. "fork_disconnect_twice.lua", {}, { env = H.lua_env(), silent = true })
    local out = H.collect(child.stdout)
    local errout = H.collect(child.stderr)
    assert.are.equal(0, H.wait_close(child), errout())
    assert.are.equal("error ERR_IPC_DISCONNECTED\nafter\n", out())
  end)
end)

describe("conformance #10: a second stdin:close(data)", function()
  after_each(function() H.assert_clean() end)

  it("is ERR_STREAM_WRITE_AFTER_END for both callbacks and as an error event", function()
    local child = cp.spawn("cat")
    local out = H.collect(child.stdout)
    local e1, e2, ev = false, false, nil
    local finished = false
    child.stdin:on("error", function(e) ev = e end)
    child.stdin:on("finish", function() finished = true end)
    child.stdin:close("a", function(e) e1 = e end)
    child.stdin:close("b", function(e) e2 = e end)
    H.wait_close(child)
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", e2 and e2.code)
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", e1 and e1.code)
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", ev and ev.code)
    assert.is_false(finished)
    assert.are.equal("a", out()) -- what the first close wrote is not lost
  end)

  it("a close(cb) after the write after end still gets an answer", function()
    local child = cp.spawn("cat")
    H.collect(child.stdout)
    child.stdin:on("error", function() end)
    child.stdin:close("a")
    child.stdin:close("b")
    local e3 = false
    child.stdin:close(function(e) e3 = e end)
    H.wait_close(child)
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", e3 and e3.code)
  end)

  it("after a finished close: the callback and the error event get the error", function()
    local child = cp.spawn("cat")
    H.collect(child.stdout)
    local finished, e2, ev = false, nil, nil
    child.stdin:on("error", function(e) ev = e end)
    child.stdin:close("a", function() finished = true end)
    H.run_until(function() return finished end)
    -- cat has read EOF: let it close too (under valgrind it often did in the
    -- same turn as finish), so that the answers below cannot ride on it.
    H.wait_close(child)
    child.stdin:close("b", function(e) e2 = e end)
    -- They come on a later turn of the loop, as in Node.
    H.run_until(function() return e2 ~= nil and ev ~= nil end, nil, "the callback and the error event")
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", e2 and e2.code)
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", ev and ev.code)
  end)
end)

describe("conformance #11: exec details", function()
  after_each(function() H.assert_clean() end)
  local dir
  before_each(function() dir = tmpdir() end)
  after_each(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("runs an executable without a shebang through /bin/sh (spawn, spawnSync)", function()
    write_file(dir .. "/noshebang", "echo from-sh \"$1\"\n", "755")
    local child = cp.spawn(dir .. "/noshebang", { "arg 1" })
    local out = H.collect(child.stdout)
    local err
    child:on("error", function(e) err = e end)
    assert.are.equal(0, H.wait_close(child))
    assert.is_nil(err)
    assert.are.equal("from-sh arg 1\n", out())
    assert.are.equal("from-sh x\n", cp.execFileSync(dir .. "/noshebang", { "x" }))
  end)

  it("searches a relative PATH entry in the child's cwd", function()
    assert(os.execute("mkdir '" .. dir .. "/bin'"))
    write_file(dir .. "/bin/only-here", "#!/bin/sh\necho found in $(pwd)\n", "755")
    local child = cp.spawn("only-here", {}, { cwd = dir, env = { PATH = "bin" } })
    local out = H.collect(child.stdout)
    local err
    child:on("error", function(e) err = e end)
    assert.are.equal(0, H.wait_close(child))
    assert.is_nil(err)
    assert.are.equal("found in " .. dir .. "\n", out())
    local r = cp.spawnSync("only-here", {}, { cwd = dir, env = { PATH = "." .. ":bin" } })
    assert.is_nil(r.error)
    assert.are.equal("found in " .. dir .. "\n", r.stdout)
  end)

  it("does not find a file that is only in the parent's directory", function()
    -- spec/fixtures/exec_args.lua exists relative to the parent's cwd only.
    local r = cp.spawnSync("exec_args.lua", {}, { cwd = dir, env = { PATH = "spec/fixtures" } })
    assert.are.equal("ENOENT", r.error and r.error.code)
  end)
end)

describe("conformance #12: a data listener added in an exit handler", function()
  after_each(function() H.assert_clean() end)

  it("gets the output", function()
    local child = cp.spawn("echo", { "hello" })
    local got = {}
    child:on("exit", function()
      child.stdout:on("data", function(d) got[#got + 1] = d end)
    end)
    H.wait_close(child)
    assert.are.equal("hello\n", table.concat(got))
  end)
end)

describe("conformance #14: a listener that raises", function()
  after_each(function() H.assert_clean() end)

  it("in stdout's close does not lose the child's close", function()
    local child = cp.spawn("echo", { "x" })
    child.stdout:on("close", function() error("boom") end)
    H.collect(child.stdout)
    local closed = false
    child:on("close", function() closed = true end)
    local errs = {}
    run_collecting(function() return closed end, errs, "close")
    assert.are.equal(1, #errs)
  end)

  it("in a write callback does not lose drain", function()
    local child = cp.spawn("cat")
    H.collect(child.stdout)
    local drained = false
    child.stdin:on("drain", function() drained = true end)
    local big = ("x"):rep(200 * 1024)
    assert.is_false(child.stdin:write(big, function() error("boom") end))
    local errs = {}
    run_collecting(function() return drained end, errs, "drain")
    assert.are.equal(1, #errs)
    child.stdin:close()
    H.wait_close(child)
  end)

  it("in a close callback does not lose finish or the other callbacks", function()
    local child = cp.spawn("cat")
    H.collect(child.stdout)
    local finished, second = false, false
    child.stdin:on("finish", function() finished = true end)
    child.stdin:close("data", function() error("boom") end)
    child.stdin:close(function() second = true end)
    local errs = {}
    run_collecting(function() return finished and second end, errs, "finish")
    assert.are.equal(1, #errs)
    H.wait_close(child)
  end)

  it("in a readable's destroy close does not lose the child's close", function()
    local child = cp.spawn("sleep", { "0.1" })
    child.stdout:on("close", function() error("boom") end)
    child.stdout:destroy()
    local closed = false
    child:on("close", function() closed = true end)
    local errs = {}
    run_collecting(function() return closed end, errs, "close")
    assert.are.equal(1, #errs)
  end)
end)

describe("conformance #15: gid without uid", function()
  after_each(function() H.assert_clean() end)

  it("drops the supplementary groups", function()
    local uid = cp.execSync("id -u")
    if uid ~= "0\n" then
      pending("needs root to change gid")
      return
    end
    -- A parent with supplementary groups (setpriv), which spawns `id -G`
    -- with gid alone, through spawn and through spawnSync.
    local code = [[
      local cp = require("child_process")
      local c = cp.spawn("id", { "-G" }, { gid = 65534 })
      c.stdout:on("data", function(d) io.write("spawn ", d) end)
      cp.run()
      io.write("spawnSync ", cp.spawnSync("id", { "-G" }, { gid = 65534 }).stdout)
    ]]
    local r = cp.spawnSync("setpriv", { "--groups=4,27", H.lua, "-e", code }, { env = H.lua_env() })
    assert.are.equal(0, r.status, r.stderr)
    assert.are.equal("spawn 65534\nspawnSync 65534\n", r.stdout)
    -- The parent itself kept its groups.
    r = cp.spawnSync("setpriv", { "--groups=4,27", "id", "-G" })
    assert.are.equal("0 4 27\n", r.stdout)
  end)
end)

describe("conformance #16: a closed fd in stdio", function()
  after_each(function() H.assert_clean() end)

  it("is an EBADF error event, not one of our own pipe ends", function()
    local f = assert(io.open("/dev/null"))
    local fd = core.file_fd(f)
    f:close()
    local before = H.fd_count()
    local child = cp.spawn("true", {}, { stdio = { "pipe", "pipe", "pipe", fd } })
    local err
    child:on("error", function(e) err = e end)
    H.wait_close(child)
    assert.are.equal("EBADF", err and err.code)
    H.assert_fds_back_to(before)
    local r = cp.spawnSync("true", {}, { stdio = { "pipe", "pipe", "pipe", fd } })
    assert.are.equal("EBADF", r.error and r.error.code)
  end)
end)

describe("conformance #17: json array_mt with holes", function()
  it("encodes the holes as null", function()
    local t = setmetatable({ [1] = "a", [3] = "c" }, cp.json.array_mt)
    assert.are.equal('["a",null,"c"]', cp.json.encode(t))
    t = setmetatable({ [2] = true }, cp.json.array_mt)
    assert.are.equal("[null,true]", cp.json.encode(t))
  end)

  it("refuses an array too sparse to encode", function()
    local t = setmetatable({ [1e9] = 1 }, cp.json.array_mt)
    local ok, e = pcall(cp.json.encode, t)
    assert.is_false(ok)
    assert.matches("sparse", tostring(e))
  end)
end)

describe("conformance #18: cancelling a cp.async task", function()
  after_each(function() H.assert_clean() end)

  it("with coroutine.close while it waits leaves run() clean", function()
    if not coroutine.close then return pending("needs Lua 5.4: coroutine.close") end
    local child = cp.spawn("true")
    local co = cp.async(function() child:wait() end)
    assert.is_true(coroutine.close(co))
    H.wait_close(child)
    assert.are.equal(false, cp.run())
  end)

  it("also while it waits with a timeout", function()
    if not coroutine.close then return pending("needs Lua 5.4: coroutine.close") end
    local child = cp.spawn("sleep", { "0.2" })
    local co = cp.async(function() child:wait(50) end)
    assert.is_true(coroutine.close(co))
    H.wait_close(child)
    assert.are.equal(false, cp.run())
  end)
end)

describe("conformance #19: EMFILE on first use", function()
  it("is an EMFILE error for spawn, exec, fork, spawnSync and execSync", function()
    local r = cp.spawnSync("sh", {
      "-c", "ulimit -n 40 && exec \"$0\" \"$1\"", H.lua, H.fixtures .. "emfile_lazy.lua",
    }, { env = H.lua_env(), timeout = 30000 })
    assert.are.equal(0, r.status, r.stderr)
    assert.are.equal(table.concat({
      "spawn EMFILE", "exec EMFILE", "fork EMFILE", "spawnSync EMFILE", "execSync EMFILE",
      "recovered again\n", "",
    }, "\n"), r.stdout)
  end)
end)

describe("conformance #19: the spare fd", function()
  it("is one per state, however often the core is loaded (busted reloads it per file)", function()
    local before = H.fd_count()
    local loaded = {} -- held, as the objects of earlier spec files hold theirs
    for i = 1, 5 do
      package.loaded["child_process.core"] = nil
      loaded[i] = require("child_process.core")
    end
    package.loaded["child_process.core"] = core
    assert.are.equal(before, H.fd_count())
    assert.are.equal(5, #loaded)
  end)
end)

describe("conformance #20: the specs' fd count", function()
  it("opens no pipe (io.popen raced with its own pipe)", function()
    local popen = io.popen
    io.popen = function() error("fd_count must not use io.popen") end -- luacheck: ignore
    local ok, n = pcall(H.fd_count)
    io.popen = popen -- luacheck: ignore
    assert.is_true(ok, tostring(n))
    assert.is_true(n >= 3)
  end)

  it("is exact: a new fd counts one", function()
    local before = H.fd_count()
    local f = assert(io.open("/dev/null"))
    assert.are.equal(before + 1, H.fd_count())
    f:close()
    assert.are.equal(before, H.fd_count())
  end)
end)

describe("conformance: found while porting Node's tests", function()
  it("an 'ipc' stdio entry in a sync call is a bad argument (Node's ERR_IPC_SYNC_FORK)", function()
    local stdio = { "pipe", "pipe", "pipe", "ipc" }
    H.assert_bad_argument("'ipc'", cp.spawnSync, "true", {}, { stdio = stdio })
    H.assert_bad_argument("'ipc'", cp.execSync, "true", { stdio = stdio })
    H.assert_bad_argument("'ipc'", cp.execFileSync, "true", {}, { stdio = stdio })
  end)
end)
