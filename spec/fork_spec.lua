-- fork(): options, and the runtime a forked Lua child gets (process,
-- parentPort, arg, queueing, lifetime, exit, errors, nesting).
local H = require("helper")
local cp, core = H.cp, H.core
local F = H.fixtures

-- Fork `script` and collect its messages; returns child, messages.
local function fork(script, args, opts)
  local c = cp.fork(F .. script, args, opts)
  local msgs = {}
  c:on("message", function(m) msgs[#msgs + 1] = m end)
  return c, msgs
end

local function first_message(_, msgs, timeout)
  H.run_until(function() return #msgs > 0 end, timeout or 10000, "first message")
  return msgs[1]
end

-- A replacement env, keeping what a sanitizer run (make asan) needs.
local function env(t)
  for _, k in ipairs({ "LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS" }) do t[k] = os.getenv(k) end
  return t
end

local function pid_gone(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return true end
  local st = f:read("*a"):match("^%d+ %b() (%S)")
  f:close()
  return st == "Z" or st == nil -- a zombie waiting for its (new) parent is gone for our purpose
end

describe("fork options", function()
  after_each(function() H.assert_clean() end)

  it("defaults execPath to the running Lua interpreter and passes args", function()
    local c, msgs = fork("fork_info.lua", { "a1", "a 2", "" , 42 })
    local info = first_message(c, msgs)
    assert.are.equal(H.lua, info.argv[1])
    assert.are.equal(F .. "fork_info.lua", info.argv[2])
    assert.are.same({ "a1", "a 2", "", "42" }, { H.compat.unpack(info.argv, 3) })
    assert.are.equal(H.lua, c.spawnfile)
    c:send("exit")
    assert.are.equal(3, (H.wait_close(c)))
  end)

  it("puts execArgv before the bootstrap (lua -e runs first)", function()
    local c, msgs = fork("fork_info.lua", {}, { execArgv = { "-e", "FROM_EXECARGV = 'yes'" } })
    local info = first_message(c, msgs)
    assert.are.equal("yes", info.execargv_global)
    -- arg as with `lua -e … script`: negative indices hold the options
    assert.are.equal("FROM_EXECARGV = 'yes'", info.argm1)
    assert.are.equal("-e", info.argm2)
    assert.are.same({ H.lua, "-e", "FROM_EXECARGV = 'yes'", cp.bootstrap_path(), F .. "fork_info.lua" },
      c.spawnargs)
    c:send("exit")
    H.wait_close(c)
  end)

  it("execPath names the interpreter; a missing one is an ENOENT error then close", function()
    local c, msgs = fork("fork_info.lua", {}, { execPath = H.lua:match("[^/]*$") }) -- found on PATH
    local info = first_message(c, msgs)
    assert.are.equal(c.pid, info.pid)
    c:send("exit")
    H.wait_close(c)

    local bad = cp.fork(F .. "fork_info.lua", {}, { execPath = "/nonexistent/lua5.4" })
    local err
    bad:on("error", function(e) err = e end)
    local code, sig = H.wait_close(bad)
    assert.are.equal("ENOENT", err.code)
    assert.is_nil(code)
    assert.is_nil(sig)
  end)

  it("silent = true gives the parent stdout and stderr pipes; default inherits", function()
    local c = cp.fork(F .. "fork_nothing.lua", {}, { silent = true })
    assert.is_not_nil(c.stdout)
    assert.is_not_nil(c.stderr)
    local out = H.collect(c.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("nothing to do\n", out())

    local d = cp.fork(F .. "fork_info.lua")
    assert.is_nil(d.stdout)
    assert.is_nil(d.stderr)
    d:send("exit")
    H.wait_close(d)
  end)

  it("cwd and env reach the child (env replaces it; the module is still found)", function()
    local c, msgs = fork("fork_info.lua", {}, { cwd = "/tmp", env = env({ FOO = "bar baz" }) })
    local info = first_message(c, msgs)
    assert.are.equal("/tmp", info.cwd)
    assert.are.equal("bar baz", info.env_FOO)
    c:send("exit")
    H.wait_close(c)
  end)

  it("the channel variables are consumed: the script's env does not show them", function()
    local c, msgs = fork("fork_info.lua")
    local info = first_message(c, msgs)
    assert.are.equal(cp.json.null, info.getenv_channel_fd)
    assert.are.equal(cp.json.null, info.env_channel_fd)
    c:send("exit")
    H.wait_close(c)
  end)

  it("accepts an explicit stdio with 'ipc' and rejects one without", function()
    local c, msgs = fork("fork_info.lua", {}, { stdio = { "ignore", "pipe", "ignore", "ipc" } })
    assert.is_nil(c.stdin)
    assert.is_not_nil(c.stdout)
    local info = first_message(c, msgs)
    assert.are.equal(c.pid, info.pid)
    c:send("exit")
    H.wait_close(c)
    local err = H.error_of(cp.fork, F .. "fork_info.lua", {}, { stdio = { "pipe", "pipe", "pipe" } })
    assert.matches("bad argument #3 to 'fork'", err, 1, true)
    assert.matches("ipc", err, 1, true)
  end)

  it("timeout kills the child with killSignal", function()
    local c = cp.fork(F .. "fork_hold.lua", {}, { timeout = 200, killSignal = "SIGKILL" })
    local code, sig = H.wait_close(c)
    assert.is_nil(code)
    assert.are.equal("SIGKILL", sig)
    assert.is_true(c.killed)
  end)

  it("detached makes the child leader of its own process group", function()
    local c, msgs = fork("fork_info.lua", {}, { detached = true })
    local info = first_message(c, msgs)
    assert.are.equal(c.pid, info.pgrp)
    c:send("exit")
    H.wait_close(c)

    local d, dmsgs = fork("fork_info.lua")
    local dinfo = first_message(d, dmsgs)
    assert.are_not.equal(d.pid, dinfo.pgrp)
    d:send("exit")
    H.wait_close(d)
  end)

  it("rejects options of the wrong type, naming them", function()
    local s = F .. "fork_nothing.lua"
    assert.matches("execPath", H.error_of(cp.fork, s, {}, { execPath = 1 }), 1, true)
    assert.matches("execArgv", H.error_of(cp.fork, s, {}, { execArgv = "x" }), 1, true)
    assert.matches("silent", H.error_of(cp.fork, s, {}, { silent = "yes" }), 1, true)
    assert.matches("serialization", H.error_of(cp.fork, s, {}, { serialization = "advanced" }), 1, true)
    assert.matches("bad argument #1 to 'fork'", H.error_of(cp.fork, nil), 1, true)
    assert.matches("bad argument #2 to 'fork'", H.error_of(cp.fork, s, { {} }), 1, true)
  end)

  it("passes maxMessageSize to the channel", function()
    local c = cp.fork(F .. "echo_child.lua", {}, { maxMessageSize = 1000 })
    local msgs, errs = {}, {}
    c:on("message", function(m) msgs[#msgs + 1] = m end)
    c:on("error", function(e) errs[#errs + 1] = e end)
    c:send("short")
    c:send(string.rep("x", 5000))
    H.run_until(function() return #errs > 0 end)
    assert.are.same({ "short" }, msgs)
    assert.are.equal("EMSGSIZE", errs[1].code)
    assert.is_false(c.connected)
    -- the child sees its channel close, and ends (echo_child has no other work)
    assert.are.equal(0, (H.wait_close(c)))
  end)

  it("options.bootstrap overrides the interpreter-name rule", function()
    -- execPath `env` is not a Lua interpreter: bootstrap = true still adds it
    local c, msgs = fork("fork_info.lua", { "via-env" }, { execPath = "env", execArgv = { H.lua }, bootstrap = true })
    assert.are.same({ "env", H.lua, cp.bootstrap_path(), F .. "fork_info.lua", "via-env" }, c.spawnargs)
    local info = first_message(c, msgs)
    assert.are.same({ "via-env" }, info.args)
    c:send("exit")
    assert.are.equal(3, (H.wait_close(c)))
    -- and bootstrap = false leaves it out: a plain Lua script, no `process`
    local d = cp.fork(F .. "fork_nothing.lua", {}, { bootstrap = false, silent = true })
    assert.are.same({ H.lua, F .. "fork_nothing.lua" }, d.spawnargs)
    local out = H.collect(d.stdout)
    assert.are.equal(0, (H.wait_close(d)))
    assert.are.equal("nothing to do\n", out())
    assert.matches("bootstrap", H.error_of(cp.fork, F .. "fork_nothing.lua", {}, { bootstrap = "yes" }), 1, true)
  end)

  it("a script that cannot be loaded exits 1 with the reason on stderr", function()
    local c = cp.fork(F .. "no_such_script.lua", {}, { silent = true })
    local err = H.collect(c.stderr)
    assert.are.equal(1, (H.wait_close(c)))
    assert.matches("no_such_script.lua", err(), 1, true)
  end)

  it("fork(path, options) skips args", function()
    local c, msgs = fork("fork_info.lua", { env = env({ FOO = "skipped" }) })
    local info = first_message(c, msgs)
    assert.are.equal("skipped", info.env_FOO)
    assert.are.equal(0, info.nargs)
    c:send("exit")
    H.wait_close(c)
  end)
end)

describe("the forked Lua child", function()
  after_each(function() H.assert_clean() end)

  it("has process, parentPort and its own arg before the script runs", function()
    local me, parent = core.getpid()
    local c, msgs = fork("fork_info.lua", { "x", "y" }, { env = env({ FOO = "1" }) })
    local info = first_message(c, msgs)
    assert.are.equal("table", info.process_type)
    assert.are.equal(c.pid, info.pid)
    assert.are.equal(me, info.ppid)
    assert.are_not.equal(parent, info.ppid)
    assert.is_true(info.connected)
    assert.is_true(info.same_port)
    assert.are.same({ send = "function", on = "function", once = "function", off = "function",
      disconnect = "function", exit = "function", postMessage = "function" }, info.has)
    assert.are.equal(F .. "fork_info.lua", info.arg0)
    assert.are.equal(H.lua, info.argm1)
    assert.are.equal(cp.json.null, info.argm2)
    assert.are.same({ "x", "y" }, info.args)
    assert.are.equal(2, info.nargs)
    assert.are.equal("1", info.env_FOO)
    -- process:on (colon form) echoes, process.exit(3) ends it
    c:send({ nested = { 1, 2, { deep = true } } })
    H.run_until(function() return #msgs >= 2 end)
    assert.are.same({ nested = { 1, 2, { deep = true } } }, msgs[2])
    c:send("exit")
    assert.are.equal(3, (H.wait_close(c)))
  end)

  it("queues messages that arrive before a handler exists (parentPort, e.data)", function()
    local c, msgs = fork("fork_late.lua")
    H.run_until(function() return msgs[1] == "ready" end)
    for i = 1, 5 do c:send(i) end
    H.run_until(function() return #msgs >= 6 end)
    assert.are.same({ "ready", { late = 1 }, { late = 2 }, { late = 3 }, { late = 4 }, { late = 5 } }, msgs)
    c:send("done")
    assert.are.equal(0, (H.wait_close(c)))
  end)

  it("once handlers (parentPort and process) fire once, then the child ends by itself", function()
    local c, msgs = fork("fork_once.lua")
    H.run_until(function() return msgs[1] == "ready" end)
    c:send("a")
    c:send("b")
    assert.are.equal(0, (H.wait_close(c)))
    table.sort(msgs)
    assert.are.same({ "port:a", "process:a", "ready" }, msgs)
  end)

  it("stays alive while a message handler is registered, exits once it is removed", function()
    local c, msgs = fork("fork_hold.lua")
    local exited = false
    c:on("exit", function() exited = true end)
    H.run_until(function() return msgs[1] == "ready" end)
    -- still alive and answering after the main chunk returned
    c:send("ping")
    H.run_until(function() return #msgs >= 2 end)
    assert.are.same({ pong = "ping" }, msgs[2])
    assert.is_false(exited)
    assert.is_true(c.connected)
    c:send("stop")
    local code, sig = H.wait_close(c)
    assert.are.equal(0, code)
    assert.is_nil(sig)
  end)

  it("with no handler, the open channel does not keep it alive", function()
    local c = cp.fork(F .. "fork_nothing.lua", {}, { silent = true })
    local out = H.collect(c.stdout)
    local disc = false
    c:on("disconnect", function() disc = true end)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("nothing to do\n", out())
    assert.is_true(disc)
  end)

  it("gets 'disconnect' and exits when its parent is SIGKILLed", function()
    local p = cp.spawn(H.lua, { F .. "fork_parent.lua" },
      { env = H.lua_env(), stdio = { "ignore", "pipe", "inherit" } })
    local out = H.collect(p.stdout)
    H.run_until(function() return out():match("grandchild (%d+)") ~= nil end, 10000, "grandchild pid")
    local gpid = tonumber(out():match("grandchild (%d+)"))
    assert.is_false(pid_gone(gpid))
    p:kill("SIGKILL")
    local code, sig = H.wait_close(p)
    assert.is_nil(code)
    assert.are.equal("SIGKILL", sig)
    -- poll the grandchild from a loop timer (no sleeps)
    local t = core.timer()
    t:start(20, 20, function() end)
    local ok, err = pcall(H.run_until, function() return pid_gone(gpid) end, 10000, "grandchild to exit")
    t:close()
    if not ok then os.execute("kill -9 " .. gpid) end
    assert(ok, err)
    -- its 'disconnect' handler ran (it writes to the stdout it shares with us)
    assert.matches("grandchild disconnect", out(), 1, true)
  end)

  it("process.exit flushes pending messages (5000 small and 1 MiB)", function()
    local c, msgs = fork("fork_spam.lua", { 5000, "big" })
    local closed_with
    c:on("close", function() closed_with = #msgs end)
    local code = H.wait_close(c, 30000)
    assert.are.equal(7, code)
    assert.are.equal(5001, closed_with)
    for i = 1, 5000 do
      if msgs[i].i ~= i then error("message " .. i .. " out of order: " .. tostring(msgs[i].i)) end
    end
    assert.are.equal(1024 * 1024, #msgs[5001])
  end)

  it("an uncaught error in the main chunk prints the traceback and exits 1", function()
    local c = cp.fork(F .. "fork_error.lua", { "main" }, { silent = true })
    local err = H.collect(c.stderr)
    local code = H.wait_close(c)
    assert.are.equal(1, code)
    assert.matches("boom in main chunk", err(), 1, true)
    assert.matches("stack traceback", err(), 1, true)
    assert.matches("fork_error.lua:4", err(), 1, true)
  end)

  it("an uncaught error in a callback prints the traceback and exits 1", function()
    local c, msgs = fork("fork_error.lua", { "callback" }, { silent = true })
    local err = H.collect(c.stderr)
    H.run_until(function() return msgs[1] == "ready" end)
    c:send("now")
    local code = H.wait_close(c)
    assert.are.equal(1, code)
    assert.matches("boom in callback: now", err(), 1, true)
    assert.matches("stack traceback", err(), 1, true)
  end)

  it("can spawn and fork its own children (a message through both levels)", function()
    local c, msgs = fork("fork_nested.lua")
    c:send({ hello = "grandchild" })
    H.run_until(function()
      local via, spawn = false, false
      for _, m in ipairs(msgs) do
        if m.via then via = true end
        if m.spawn then spawn = true end
      end
      return via and spawn
    end)
    local via, spawn
    for _, m in ipairs(msgs) do
      if m.via then via = m end
      if m.spawn then spawn = m end
    end
    assert.are.same({ hello = "grandchild" }, via.reply)
    assert.are_not.equal(c.pid, via.grandchild_pid)
    assert.are.equal("spawned from a forked child\n", spawn.spawn)
    assert.are.equal(0, spawn.code)
    c:send("exit")
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal(0, msgs[#msgs].grandchild_close)
  end)
end)
