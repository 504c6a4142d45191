-- Port of Node's test/parallel/test-child-process-stdout-flush-exit.js:
-- what a child wrote before it exited arrives whole.  Translated: the
-- child (the test file re-run) is fixtures/stdout-flush-exit.lua (print,
-- then os.exit(0)); mustCallAtLeast is "at least once".
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-stdout-flush-exit", function()
  it("hello first, goodbye last", function()
    local child = cp.spawn(N.lua, { N.fixture("stdout-flush-exit.lua"), "child" })
    local stdout, n = "", 0
    child.stderr:on("data", N.mustNotCall("stderr data"))
    child.stdout:on("data", function(data)
      n = n + 1
      stdout = stdout .. data
    end)
    child:on("close", N.mustCall(function()
      assert.are.equal("hello\n", stdout:sub(1, 6))
      assert.are.equal("goodbye\n", stdout:sub(-8))
    end))
    N.finish()
    assert.is_true(n >= 1)
    H.assert_clean()
  end)
end)
