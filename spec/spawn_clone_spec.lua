--- spawn_clone_spec.lua — the spawn path of process.c on Linux: a clone of
--- the module's own (CLONE_VM | CLONE_VFORK | CLONE_PIDFD).  Once a child
--- has been seen sharing the parent's memory the file is no longer checked
--- before the spawn: every exec failure must then come back from the child
--- itself, with its code, in every way of spawning (plain, dieWithParent,
--- detached, group, cwd), and a script without "#!" still runs through
--- /bin/sh.  Also: "ignore" entries share one /dev/null in the child.
local H = require("helper")
local cp = H.cp

local tmpdir = H.tmpdir

local function write(path, text, mode)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  assert(os.execute("chmod " .. mode .. " " .. path))
end

-- The error event of a spawn that must fail, and that close follows.
local function spawn_error(file, args, opts)
  local c = cp.spawn(file, args or {}, opts)
  local err
  c:on("error", function(e) err = e end)
  local code = H.wait_close(c)
  assert.is_nil(code)
  assert.is_not_nil(err, "no error event for " .. file)
  return err
end

local MODES = {
  { "plain", {} },
  { "dieWithParent", { dieWithParent = true } },
  { "detached", { detached = true } },
  { "group", { group = true } },
  { "stdio ignore", { stdio = "ignore" } },
}

describe("spawning through the module's own clone", function()
  local dir
  setup(function()
    dir = tmpdir()
    write(dir .. "/noexec", "#!/bin/sh\necho hi\n", "644")
    write(dir .. "/noshebang", "echo from-sh \"$1\"\n", "755")
    write(dir .. "/afile", "x\n", "644")
    -- A first child that runs: from here on the parent skips its checks.
    assert.are.equal(0, (H.wait_close(cp.spawn("true", {}, { stdio = "ignore" }))))
  end)
  teardown(function() os.execute("rm -rf " .. dir) end)

  for _, m in ipairs(MODES) do
    local name, opts = m[1], m[2]
    describe(name, function()
      it("a missing program: ENOENT from the exec", function()
        local err = spawn_error(dir .. "/missing", {}, opts)
        assert.are.equal("ENOENT", err.code)
        assert.are.equal(-2, err.errno)
      end)

      it("a file that is not executable: EACCES", function()
        assert.are.equal("EACCES", spawn_error(dir .. "/noexec", {}, opts).code)
      end)

      it("a directory: EACCES", function()
        assert.are.equal("EACCES", spawn_error(dir, {}, opts).code)
      end)

      it("a cwd that is a file: ENOTDIR; a missing cwd: ENOENT", function()
        local o = {}
        for k, v in pairs(opts) do o[k] = v end
        o.cwd = dir .. "/afile"
        assert.are.equal("ENOTDIR", spawn_error("true", {}, o).code)
        o.cwd = dir .. "/nowhere"
        assert.are.equal("ENOENT", spawn_error("true", {}, o).code)
      end)

      it("a script without #! runs through /bin/sh", function()
        local o = { stdio = { "ignore", "pipe", "ignore" } }
        for k, v in pairs(opts) do if k ~= "stdio" then o[k] = v end end
        local c = cp.spawn(dir .. "/noshebang", { "arg 1" }, o)
        local out = H.collect(c.stdout)
        assert.are.equal(0, (H.wait_close(c)))
        assert.are.equal("from-sh arg 1\n", out())
      end)
    end)
  end

  it("ignore entries around a pipe: each fd gets what was asked", function()
    -- fd 0 and 2 /dev/null, fd 1 the pipe, fd 3 /dev/null again.
    local c = cp.spawn("sh", { "-c", "readlink /proc/self/fd/0 /proc/self/fd/2 /proc/self/fd/3" },
      { stdio = { "ignore", "pipe", "ignore", "ignore" } })
    local out = H.collect(c.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("/dev/null\n/dev/null\n/dev/null\n", out())
  end)

  it("no fd of the parent leaks, however many children are alive", function()
    local sleepers = {}
    for i = 1, 5 do sleepers[i] = cp.spawn("sleep", { "10" }, { stdio = "ignore" }) end
    local c = cp.spawn("sh", { "-c", "ls /proc/$$/fd" }, { stdio = { "ignore", "pipe", "ignore" } })
    local out = H.collect(c.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    local fds = {}
    for fd in out():gmatch("%d+") do fds[#fds + 1] = tonumber(fd) end
    table.sort(fds)
    -- sh's own fds vary (a dup of the script's), but none of the module's
    -- pidfds, its epoll sets or its pipes: at most 0-2 and sh's one or two.
    assert.is_true(#fds <= 5, "child fds: " .. table.concat(fds, " "))
    for i = 1, 5 do sleepers[i]:kill("SIGKILL") end
    for i = 1, 5 do H.wait_close(sleepers[i]) end
  end)
end)
