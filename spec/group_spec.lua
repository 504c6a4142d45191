--- group_spec.lua — SPEC §10 process groups and trees: options.group,
--- child:kill(sig, { group = true }), cp.kill(pid, sig) (negative pid: a
--- group; a pid that is gone: an ESRCH error value), dieWithParent.
local H = require("helper")
local cp, core = H.cp, H.core

-- /proc/<pid>/stat → state, pgrp (nil if there is no such process).
local function stat(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  if not s then return nil end -- it exited between open and read (ESRCH)
  local state, pgrp = s:match("%) (%S) %d+ (%d+)")
  return state, tonumber(pgrp)
end

-- Live (not zombie) processes whose process group is `pgid`.
local function group_members(pgid)
  local n = 0
  local p = io.popen("ls /proc")
  for name in p:lines() do
    if name:match("^%d+$") then
      local state, pgrp = stat(name)
      if pgrp == pgid and state ~= "Z" then n = n + 1 end
    end
  end
  p:close()
  return n
end

-- run_until, with a timer waking the loop: nothing the loop watches
-- changes when a process of the group exits.
local function poll_until(cond, ms, what)
  local t = core.timer()
  t:start(10, 10, function() end)
  local ok, err = pcall(H.run_until, cond, ms, what)
  t:close()
  cp.run("nowait")
  if not ok then error(err, 2) end
end

-- A shell command printing its own process group (builtins only).
local PGRP = "read -r _ _ _ _ pgrp _ < /proc/$$/stat; echo $pgrp"

local function alive(pid)
  local state = stat(pid)
  return state ~= nil and state ~= "Z"
end

describe("process groups", function()
  after_each(function() H.assert_clean() end)

  it("group = true: the child leads a new group; kill(sig, {group = true}) ends all of it", function()
    local c = cp.spawn("sh", { "-c", "sleep 100 & sleep 100 & wait" }, { group = true, stdio = "ignore" })
    poll_until(function() return group_members(c.pid) == 3 end, 10000, "sh and two sleeps")
    local _, pgrp = stat(c.pid)
    assert.are.equal(c.pid, pgrp)
    assert.is_true(c:kill("SIGTERM", { group = true }))
    local code, sig = H.wait_close(c)
    assert.is_nil(code)
    assert.are.equal("SIGTERM", sig)
    assert.is_true(c.killed)
    poll_until(function() return group_members(c.pid) == 0 end, 10000, "the group to be gone")
  end)

  it("killing only the leader leaves the group; cp.kill(-pid) ends it", function()
    local c = cp.spawn("sh", { "-c", "sleep 100 & sleep 100 & wait" }, { group = true, stdio = "ignore" })
    poll_until(function() return group_members(c.pid) == 3 end, 10000, "sh and two sleeps")
    c:kill("SIGKILL")
    H.run_until(function() return c.exitCode ~= nil or c.signalCode ~= nil end)
    assert.are.equal(2, group_members(c.pid))
    -- After the leader's exit, child:kill({group}) still reaches the group.
    assert.is_true(c:kill(0, { group = true }))
    assert.is_true((cp.kill(-c.pid, "SIGTERM")))
    poll_until(function() return group_members(c.pid) == 0 end, 10000, "the group to be gone")
    H.wait_close(c)
  end)

  it("a child in our own group: kill with {group = true} is false (no group of its pid)", function()
    local c = cp.spawn("sleep", { "100" })
    assert.is_false(c:kill("SIGTERM", { group = true }))
    assert.is_nil(c.exitCode)
    c:kill()
    H.wait_close(c)
  end)

  it("spawnSync and exec take group too", function()
    local r = cp.spawnSync("sh", { "-c", PGRP }, { group = true })
    assert.are.equal(r.pid, tonumber(r.stdout:match("%d+")))
    local c = cp.exec(PGRP, { group = true })
    local err, out = c:wait()
    assert.is_nil(err)
    assert.are.equal(c.pid, tonumber(out:match("%d+")))
  end)

  it("bad input: group with detached, wrong types", function()
    for _, f in ipairs({ cp.spawn, cp.exec, cp.execFile, cp.spawnSync }) do
      H.assert_bad_argument("option 'group' cannot be combined with 'detached'", f, "true",
        { group = true, detached = true })
    end
    H.assert_bad_argument("option 'group' cannot be combined with 'detached'", cp.fork,
      H.fixtures .. "fork_nothing.lua", {}, { group = true, detached = true })
    H.assert_bad_argument("option 'group' must be a boolean, got string", cp.spawn, "true", {}, { group = "yes" })
    H.assert_bad_argument("option 'dieWithParent' must be a boolean, got number", cp.spawn, "true", {},
      { dieWithParent = 1 })
    local c = cp.spawn("sleep", { "10" })
    H.assert_bad_argument("#2 to 'kill' (options must be a table, got boolean)", c.kill, c, "SIGTERM", true)
    H.assert_bad_argument("#2 to 'kill' (option 'group' must be a boolean, got number)", c.kill, c, "SIGTERM",
      { group = 1 })
    c:kill()
    H.wait_close(c)
  end)
end)

describe("cp.kill", function()
  after_each(function() H.assert_clean() end)

  it("signals a pid, as process.kill", function()
    local c = cp.spawn("sleep", { "100" })
    assert.is_true(cp.kill(c.pid, 0))
    assert.is_true(cp.kill(c.pid)) -- SIGTERM by default
    assert.are.same({ nil, "SIGTERM" }, { H.wait_close(c) })
    assert.is_true(cp.kill(select(1, core.getpid()), 0))
  end)

  it("a pid that is gone: false and an ESRCH error value", function()
    local c = cp.spawn("true")
    H.wait_close(c)
    local ok, err = cp.kill(c.pid, "SIGTERM")
    assert.is_false(ok)
    assert.are.equal("ESRCH", err.code)
    assert.are.equal("kill", err.syscall)
    assert.are.equal(c.pid, err.pid)
    assert.is_true(err.errno < 0)
    assert.matches("ESRCH", tostring(err))
  end)

  it("bad arguments", function()
    H.assert_bad_argument("#1 to 'kill' (pid must be an integer, got string)", cp.kill, "12")
    H.assert_bad_argument("#1 to 'kill' (pid must be an integer, got 1.5)", cp.kill, 1.5)
    H.assert_bad_argument("#2 to 'kill' (unknown signal 'SIGNOPE')", cp.kill, 1, "SIGNOPE")
  end)
end)

describe("dieWithParent", function()
  after_each(function() H.assert_clean() end)

  -- Start the intermediate parent; → it, and the pid of its child.
  local function intermediate(mode, uid)
    local p = cp.spawn(H.lua, { H.fixtures .. "die_parent.lua", mode, uid }, { env = H.lua_env() })
    local line
    p.stdout:on("line", function(l) line = line or l end)
    H.run_until(function() return line ~= nil end, 10000, "the grandchild's pid")
    return p, tonumber(line)
  end

  it("the grandchild dies when its parent is SIGKILLed", function()
    local p, pid = intermediate("die")
    assert.is_true(alive(pid))
    p:kill("SIGKILL")
    assert.are.same({ nil, "SIGKILL" }, { H.wait_close(p) })
    poll_until(function() return not alive(pid) end, 10000, "the grandchild to die")
  end)

  it("also with uid (the fork path: the signal is set after the uid changes)", function()
    if H.cp.spawnSync("id", { "-u" }).stdout ~= "0\n" then
      pending("needs root to change uid")
      return
    end
    local p, pid = intermediate("die", "uid")
    assert.is_true(alive(pid))
    p:kill("SIGKILL")
    H.wait_close(p)
    poll_until(function() return not alive(pid) end, 10000, "the grandchild to die")
  end)

  it("without it, the grandchild outlives its parent", function()
    local p, pid = intermediate("keep")
    p:kill("SIGKILL")
    H.wait_close(p)
    assert.is_true(alive(pid))
    assert.is_true(cp.kill(pid, "SIGKILL"))
    poll_until(function() return not alive(pid) end, 10000, "the grandchild to die")
  end)

  it("starts children as usual: stdio, cwd, env, group, exit code, ENOENT", function()
    local c = cp.spawn("sh", { "-c", "pwd; echo $X; " .. PGRP .. "; cat; exit 7" },
      { dieWithParent = true, cwd = "/tmp", env = { X = "y", PATH = os.getenv("PATH") }, group = true })
    local out = H.collect(c.stdout)
    c.stdin:close("from stdin\n")
    assert.are.equal(7, (H.wait_close(c)))
    assert.are.equal("/tmp\ny\n" .. c.pid .. "\nfrom stdin\n", (out():gsub("\n%s+", "\n")))
    local bad = cp.spawn("no-such-command-xyz", {}, { dieWithParent = true })
    local err
    bad:on("error", function(e) err = e end)
    H.wait_close(bad)
    assert.are.equal("ENOENT", err.code)
    local r = cp.spawnSync("echo", { "sync" }, { dieWithParent = true })
    assert.are.equal("sync\n", r.stdout)
  end)

  it("the child runs with default signal dispositions (SIGPIPE not ignored)", function()
    local c = cp.spawn("yes", {}, { dieWithParent = true })
    c.stdout:destroy()
    assert.are.same({ nil, "SIGPIPE" }, { H.wait_close(c) })
  end)
end)
