-- Port of Node's test/parallel/test-child-process-fork-no-shell.js: fork
-- ignores `shell`, so "$foo" reaches the child as is.  Translated: the
-- child (the test file re-run) is fixtures/fork-no-shell.lua; the env copy
-- is core.environ() with foo set.  Windows' %foo% dropped.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-fork-no-shell", function()
  it("fork uses no shell", function()
    local env = H.core.environ()
    env.foo = "bar"
    local child = cp.fork(N.fixture("fork-no-shell.lua"), { "$foo" }, { shell = true, env = env })
    child:on("exit", N.mustCall(function(code, signal)
      assert.are.equal(0, code)
      assert.is_nil(signal)
    end))
    N.finish()
    H.wait_close(child)
    H.assert_clean()
  end)
end)
