-- Port of Node's test/parallel/test-child-process-send-utf8.js: a long
-- UTF-8 string (799 992 bytes) arrives whole.  All assertions kept.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-send-utf8", function()
  it("a long UTF-8 message arrives intact", function()
    local expected = ("ßßßß"):rep(1e5 - 1)
    local child = cp.fork(N.fixture("send-utf8.lua"), { "child" })
    child:on("message", N.mustCall(function(actual) assert.are.equal(expected, actual) end))
    N.finish()
    H.wait_close(child)
    H.assert_clean()
  end)
end)
