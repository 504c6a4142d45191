-- Port of Node's test/parallel/test-child-process-send-returns-boolean.js.
-- Kept: send() on a fresh fork returns true.  Dropped: the second half,
-- which saturates the backlog by sending net server handles (handle
-- passing, SPEC section 8, is not part of this module yet).
-- assert.ifError as the callback is a callback asserting err == nil.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-send-returns-boolean", function()
  it("the first send returns true", function()
    local n = cp.fork(N.fixture("stay-alive-forever.lua"))
    local rv = n:send({ h = "w" }, function(err) assert.is_nil(err) end)
    assert.are.equal(true, rv)
    n:kill("SIGKILL")
    H.wait_close(n)
    H.assert_clean()
  end)
end)
