-- Port of Node's test/parallel/test-child-process-uid-gid.js: an
-- unprivileged process cannot spawn with uid 0 or gid 0 (EPERM).
-- Translated: Node runs these checks only when not root; the suite runs
-- as root here, so the unprivileged parent is a Lua child started by
-- `setpriv` as nobody (uid/gid 65534, no groups) — when the suite itself
-- is not root it is that parent directly.  Node's spawn throws EPERM; here
-- it is an `error` event with code EPERM (SPEC: a failed spawn is never a
-- Lua error at the call site).  Windows/IBMi branches dropped.
local N = require("node.common")
local cp, H = N.cp, N.H

local code = [[
  local cp = require("child_process")
  for _, opt in ipairs({ "uid", "gid" }) do
    local c = cp.spawn("echo", { "fhqwhgads" }, { [opt] = 0 })
    c:on("error", function(e) io.write(opt, " ", e.code, "\n") end)
  end
  cp.run()
]]

describe("test-child-process-uid-gid", function()
  it("uid 0 and gid 0 are EPERM for an unprivileged parent", function()
    local root = cp.execSync("id -u") == "0\n"
    local r
    if root then
      r = cp.spawnSync("setpriv", { "--reuid=65534", "--regid=65534", "--clear-groups", N.lua, "-e", code },
        { env = H.lua_env() })
    else
      r = cp.spawnSync(N.lua, { "-e", code }, { env = H.lua_env() })
    end
    assert.are.equal(0, r.status, r.stderr)
    assert.are.equal("uid EPERM\ngid EPERM\n", r.stdout)
  end)
end)
