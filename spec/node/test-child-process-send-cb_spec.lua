-- Port of Node's test/parallel/test-child-process-send-cb.js.
-- Translated: the child (the test file re-run) is fixtures/send-cb.lua,
-- whose mustCall is its exit status (0 only once the send callback ran
-- with no error: err === null is nil here); signalCode null is nil.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-send-cb", function()
  it("the child's send callback runs, without error", function()
    local child = cp.fork(N.fixture("send-cb.lua"), { "child" })
    child:on("message", N.mustCall(function(message) assert.are.equal("ok", message) end))
    child:on("exit", N.mustCall(function(exitCode, signalCode)
      assert.are.equal(0, exitCode)
      assert.is_nil(signalCode)
    end))
    N.finish()
    H.wait_close(child)
    H.assert_clean()
  end)
end)
