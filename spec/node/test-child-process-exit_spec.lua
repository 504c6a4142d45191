-- Port of Node's test/sequential/test-child-process-exit.js: a chain of
-- five generations, each the child of the one before, each ending when
-- its child does.  Translated: the test file re-run per generation is
-- fixtures/exit-chain.lua; the console.error progress lines are "gen <n>"
-- lines on stdout, passed up the chain (Node pipes stdout up too), so
-- that the test checks every generation ran.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-exit", function()
  it("a chain of five generations ends", function()
    local r = cp.spawnSync(N.lua, { N.fixture("exit-chain.lua"), "0" }, { env = H.lua_env(), timeout = 30000 })
    assert.are.equal(0, r.status, r.stderr)
    assert.are.equal("gen 0\ngen 1\ngen 2\ngen 3\ngen 4\ngen 5\n", r.stdout)
  end)
end)
