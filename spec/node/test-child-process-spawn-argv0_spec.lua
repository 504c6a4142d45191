-- Port of Node's test/parallel/test-child-process-spawn-argv0.js.
-- Translated: the child prints its argv[0] (process.argv0 in Node) from
-- /proc/self/cmdline, as a Lua script cannot see it otherwise; the
-- ERR_INVALID_ARG_TYPE for argv0 = {} is a `bad argument` naming 'argv0'.
local N = require("node.common")
local cp, H = N.cp, N.H

local child = { "-e", "io.write(io.open('/proc/self/cmdline'):read('*a'):match('^[^%z]*'), '\\n')" }

describe("test-child-process-spawn-argv0", function()
  it("argv[0] is the file by default", function()
    local noArgv0 = cp.spawnSync(N.lua, child)
    assert.are.equal(N.lua, N.trim(noArgv0.stdout))
  end)

  it("argv0 sets argv[0]", function()
    local withArgv0 = cp.spawnSync(N.lua, child, { argv0 = "withArgv0" })
    assert.are.equal("withArgv0", N.trim(withArgv0.stdout))
  end)

  it("argv0 must be a string", function()
    H.assert_bad_argument("option 'argv0' must be a string, got table", cp.spawnSync, N.lua, child, { argv0 = {} })
  end)
end)
