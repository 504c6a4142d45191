--- gc_spec.lua — SPEC §3: every child reaped, no leaked fds or registry
--- refs, every fd close-on-exec, unreferenced children keep their events,
--- closed children are collected, io.popen / os.execute unaffected.
local H = require("helper")
local cp, core = H.cp, H.core

local assert_fds_back_to = H.assert_fds_back_to

-- Registry slots holding a live value (freed luaL_ref slots hold integers).
local function registry_refs()
  local n = 0
  for k, v in pairs(debug.getregistry()) do
    if H.compat.mathtype(k) == "integer" and H.compat.mathtype(v) ~= "integer" then n = n + 1 end
  end
  return n
end

local function full_gc()
  collectgarbage("collect")
  collectgarbage("collect")
end

-- Spawn n children with pipes (each read), wait for all their closes.
local function spawn_many(n, cmd, args)
  local closed = 0
  for i = 1, n do
    local c = cp.spawn(cmd or "echo", args or { "child " .. i })
    c.stdout:on("data", function() end)
    c:on("close", function() closed = closed + 1 end)
  end
  H.run_until(function() return closed == n end, 30000, n .. " closes")
end

-- The fds another process has open, from its own point of view.
local function child_fds(stdio)
  local c = cp.spawn("ls", { "-l", "/proc/self/fd" }, { stdio = stdio })
  local out = H.collect(c.stdout)
  assert.are.equal(0, (H.wait_close(c)))
  local fds = {}
  for n, target in out():gmatch("(%d+) %-> ([^\n]*)") do
    -- leave out the directory ls itself opened to list it
    if not target:match("^/proc/%d+/fd$") then fds[#fds + 1] = tonumber(n) end
  end
  return fds
end

-- Is fd (of this process) close-on-exec?
local function cloexec(fd)
  local f = io.open("/proc/self/fdinfo/" .. fd)
  if not f then return nil end
  local flags = f:read("*a"):match("flags:%s*(%d+)")
  f:close()
  return H.bit(tonumber(flags, 8), 19) -- O_CLOEXEC, 02000000
end

describe("resources", function()
  before_each(function()
    cp.run("nowait")
    full_gc()
  end)
  after_each(function() H.assert_clean() end)

  it("every child is reaped: no zombies after 50 spawns", function()
    spawn_many(50)
    assert.are.equal(0, H.zombies())
  end)

  it("children reaped while nobody references them", function()
    for _ = 1, 20 do cp.spawn("true", nil, { stdio = "ignore" }) end
    full_gc()
    cp.run()
    assert.are.equal(0, H.zombies())
    assert.are.equal(0, core.stats().procs)
  end)

  it("no fd leak after 50 spawns with pipes", function()
    spawn_many(2) -- warm up anything allocated once
    local before = H.fd_count()
    spawn_many(50)
    assert_fds_back_to(before)
  end)

  it("no fd leak after 50 failed spawns", function()
    local before = H.fd_count()
    local closed = 0
    for _ = 1, 50 do
      local c = cp.spawn("cp-no-such-command-xyz")
      c:on("error", function() end)
      c:on("close", function() closed = closed + 1 end)
    end
    H.run_until(function() return closed == 50 end)
    assert_fds_back_to(before)
  end)

  it("no fd leak with extra pipes, killed children and stdin left open", function()
    spawn_many(1)
    local before = H.fd_count()
    local closed = 0
    for _ = 1, 20 do
      local c = cp.spawn("sleep", { "10" }, { stdio = { "pipe", "pipe", "pipe", "pipe", "pipe" } })
      c:on("close", function() closed = closed + 1 end)
      c:on("spawn", function() c:kill() end)
    end
    H.run_until(function() return closed == 20 end)
    assert_fds_back_to(before)
  end)

  it("no registry ref leak after 50 spawns", function()
    spawn_many(2)
    full_gc()
    local before = registry_refs()
    spawn_many(50)
    cp.run("nowait")
    full_gc()
    local after = registry_refs()
    assert.is_true(math.abs(after - before) <= 2, ("registry refs %d → %d"):format(before, after))
  end)

  it("no registry ref leak after failed spawns and wait(timeout)", function()
    spawn_many(1)
    full_gc()
    local before = registry_refs()
    for _ = 1, 20 do
      local c = cp.spawn("cp-no-such-command-xyz")
      c:on("error", function() end)
      H.wait_close(c)
      local s = cp.spawn("sleep", { "5" })
      assert.are.equal("timeout", select(2, s:wait(1)))
      s:kill()
      s:wait()
    end
    cp.run("nowait")
    full_gc()
    assert.is_true(math.abs(registry_refs() - before) <= 2)
  end)

  it("a child nobody references still delivers its events until close", function()
    local got = {}
    do
      local c = cp.spawn("sh", { "-c", "sleep 0.1; echo done" })
      c.stdout:on("data", function(d) got.data = (got.data or "") .. d end)
      c:on("exit", function(code) got.exit = code end)
      c:on("close", function(code) got.close = code end)
    end
    H.run_until(function()
      full_gc()
      return got.close ~= nil
    end)
    assert.are.same({ data = "done\n", exit = 0, close = 0 }, got)
  end)

  it("a closed, unreferenced ChildProcess is collected", function()
    local weak = setmetatable({}, { __mode = "v" })
    local closed = false
    do
      local c = cp.spawn("echo", { "x" })
      c.stdout:on("data", function() end)
      c:on("close", function() closed = true end)
      weak.child, weak.stdout, weak.stdin = c, c.stdout, c.stdin
    end
    H.run_until(function() return closed end)
    for _ = 1, 3 do cp.run("nowait") end
    full_gc()
    assert.is_nil(weak.child)
    assert.is_nil(weak.stdout)
    assert.is_nil(weak.stdin)
  end)

  it("a failed, unreferenced ChildProcess is collected too", function()
    local weak = setmetatable({}, { __mode = "v" })
    local closed = false
    do
      local c = cp.spawn("cp-no-such-command-xyz")
      c:on("error", function() end)
      c:on("close", function() closed = true end)
      weak.child = c
    end
    H.run_until(function() return closed end)
    for _ = 1, 3 do cp.run("nowait") end
    full_gc()
    assert.is_nil(weak.child)
  end)

  it("a child that is still running is not collected", function()
    local weak = setmetatable({}, { __mode = "v" })
    weak.child = cp.spawn("sleep", { "5" })
    full_gc()
    assert.is_not_nil(weak.child)
    weak.child:kill()
    local closed
    weak.child:on("close", function() closed = true end)
    H.run_until(function() return closed end)
  end)

  it("every fd the module opens is close-on-exec", function()
    local c = cp.spawn("sleep", { "10" }, { stdio = { "pipe", "pipe", "pipe", "pipe" } })
    local ours = { core.backend_fd() }
    for i = 1, 4 do ours[#ours + 1] = c.stdio[i]._h:fileno() end
    for _, fd in ipairs(ours) do
      assert.is_true(cloexec(fd), "fd " .. fd .. " is not close-on-exec")
    end
    -- A child started meanwhile sees none of them.
    local seen = {}
    for _, fd in ipairs(child_fds({ "ignore", "pipe", "ignore" })) do seen[fd] = true end
    for _, fd in ipairs(ours) do assert.is_nil(seen[fd], "child inherited fd " .. fd) end
    c:kill()
    H.wait_close(c)
  end)

  it("a child gets only fds 0-2 (and the fds the host itself leaks)", function()
    local c = cp.spawn("sleep", { "10" }, { stdio = { "pipe", "pipe", "pipe", "pipe" } })
    local fds = child_fds({ "ignore", "pipe", "ignore" })
    local extra = 0
    for _, fd in ipairs(fds) do
      if fd > 2 and cloexec(fd) ~= false then extra = extra + 1 end
    end
    assert.are.equal(0, extra, "child fds: " .. table.concat(fds, " "))
    c:kill()
    H.wait_close(c)
  end)

  it("os.execute and io.popen keep their exit status beside running children", function()
    local c = cp.spawn("sleep", { "0.3" })
    local ok, how, code = H.execute("exit 3")
    assert.are.same({ nil, "exit", 3 }, { ok, how, code })
    local p = io.popen("echo popen; exit 5")
    assert.are.equal("popen", p:read("*l"))
    assert.are.same(H.pclose_result({ nil, "exit", 5 }), { p:close() })
    assert.are.equal(0, (H.wait_close(c)))
    -- and again once our SIGCHLD watcher has run
    assert.are.same({ nil, "exit", 4 }, { H.execute("exit 4") })
  end)
end)
