-- Running out of file descriptors: a fixture under `ulimit -n 64` spawns
-- children with pipes until a spawn fails.  The failure must be an 'error'
-- event with code EMFILE (not a Lua error, not a crash), no fd may leak on
-- that path, and spawning works again once fds are free (recovery).
local H = require("helper")
local cp = H.cp

local function run_fixture(limit, mode)
  -- "$0" "$1" "$2": the interpreter, the fixture and the mode, unquoted by sh.
  local r = cp.spawnSync("sh", {
    "-c", "ulimit -n " .. limit .. " && exec \"$0\" \"$1\" \"$2\"",
    H.lua, H.fixtures .. "soak_emfile.lua", mode,
  }, { env = H.lua_env(), timeout = 60000 })
  assert.is_nil(r.error)
  local verdict = r.stdout:match("(VERDICT[^\n]*)\n?$")
  local ctx = ("ulimit -n %d, %s: status %s signal %s\nstdout: %s\nstderr: %s"):format(
    limit, mode, tostring(r.status), tostring(r.signal), r.stdout, r.stderr)
  assert.is_not_nil(verdict, ctx)
  assert.is_truthy(verdict:match("^VERDICT ok "), ctx)
  assert.is_truthy(verdict:match(" code=EMFILE "), ctx)
  assert.is_truthy(verdict:match(" recovered=again$"), ctx)
  assert.are.equal(0, r.status, ctx)
  assert.is_nil(r.signal, ctx)
  local n = tonumber(verdict:match(" children=(%d+) "))
  assert.is_true(n > 0, ctx) -- some children did start before the limit
  return verdict
end

describe("EMFILE", function()
  it("is an 'error' event with code EMFILE, and spawning recovers (stdio pipes)", function()
    run_fixture(64, "pipe")
  end)

  it("fails cleanly at another point of the pipe set-up (ulimit -n 65)", function()
    run_fixture(65, "pipe")
  end)

  it("is an 'error' event with code EMFILE when the IPC socketpair cannot be made", function()
    run_fixture(64, "ipc")
  end)

  it("leaves the parent clean", function()
    H.assert_clean()
    assert.are.equal(0, H.zombies())
  end)
end)
