-- Port of Node's test/parallel/test-child-process-spawnsync-env.js.
-- Translated: Object.assign(process.env, {foo}) is a copy of the
-- environment (core.environ()) with foo set; the child (the test file
-- re-run) is `lua -e "print(os.getenv('foo'))"`.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-spawnsync-env", function()
  it("passes env to the child", function()
    local expected = "bar"
    local env = H.core.environ()
    env.foo = expected
    local child = cp.spawnSync(N.lua, { "-e", "print(os.getenv('foo'))" }, { env = env })
    assert.are.equal(expected, N.trim(child.stdout))
  end)
end)
