-- Port of Node's test/parallel/test-child-process-can-write-to-stdout.js.
-- Translated: fixtures/GH-1899-output.js is `print('hello, world!')`; the
-- checks run at `close` (all output read) rather than `exit`.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-can-write-to-stdout", function()
  it("the child writes to stdout", function()
    local child = cp.spawn(N.lua, { "-e", "print('hello, world!')" })
    local output = ""
    child.stdout:on("data", function(data) output = output .. data end)
    child:on("close", N.mustCall(function(code)
      assert.are.equal(0, code)
      assert.are.equal("hello, world!\n", output)
    end))
    N.finish()
    H.assert_clean()
  end)
end)
