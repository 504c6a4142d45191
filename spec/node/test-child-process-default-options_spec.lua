-- Port of Node's test/parallel/test-child-process-default-options.js:
-- without `env`, a child inherits the parent's environment.
-- Translated: Lua cannot set its own environment (process.env.HELLO =
-- 'WORLD'), so the parent is a Lua child started with HELLO=WORLD that
-- spawns /usr/bin/env with empty options and prints what it got.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-default-options", function()
  it("spawn uses the process's environment by default", function()
    local env = H.lua_env()
    env.HELLO = "WORLD"
    local code = [[
      local cp = require("child_process")
      local child = cp.spawn("/usr/bin/env", {}, {})
      child.stdout:on("data", io.write)
      cp.run()
    ]]
    local r = cp.spawnSync(N.lua, { "-e", code }, { env = env })
    assert.are.equal(0, r.status, r.stderr)
    assert.is_truthy(r.stdout:find("HELLO=WORLD", 1, true),
      "spawn did not use the environment as default")
  end)
end)
