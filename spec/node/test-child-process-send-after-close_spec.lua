-- Port of Node's test/parallel/test-child-process-send-after-close.js.
-- Translated: common.expectsError(…, 2) is a mustCall(…, 2) checking code
-- and message (Node's `name: 'Error'` has no Lua counterpart: dropped);
-- fixtures/empty.js is fixtures/empty.lua.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-send-after-close", function()
  it("send after close returns false and reports ERR_IPC_CHANNEL_CLOSED", function()
    local child = cp.fork(N.fixture("empty.lua"))
    child:on("close", N.mustCall(function(code, signal)
      assert.are.equal(0, code)
      assert.is_nil(signal)
      local testError = N.mustCall(function(err)
        assert.are.equal("Channel closed", err.message)
        assert.are.equal("ERR_IPC_CHANNEL_CLOSED", err.code)
      end, 2)
      child:on("error", testError)
      assert.are.equal(false, child:send("ping"))
      assert.are.equal(false, child:send("pong", testError))
    end))
    N.finish()
    H.assert_clean()
  end)
end)
