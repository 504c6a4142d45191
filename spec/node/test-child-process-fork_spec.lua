-- Port of Node's test/parallel/test-child-process-fork.js.
-- Translated: send(undefined) and send() are both send(nil), a `bad
-- argument` (Node's ERR_MISSING_ARGS); send(Symbol()) is send(a function),
-- raised at the call as unencodable (Node's ERR_INVALID_ARG_TYPE).
-- Dropped: `n.channel === n._channel` (this module has no public
-- `channel` property) and the debug log.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-fork", function()
  it("fork, send and the child's messages", function()
    local args = { "foo", "bar" }
    local n = cp.fork(N.fixture("spawn-node.lua"), args)
    assert.are.same({ "foo", "bar" }, args)
    n:on("message", function(m) assert.is_truthy(m.foo) end)
    H.assert_bad_argument("message expected", n.send, n, nil)
    H.assert_bad_argument("message expected", n.send, n)
    local ok, e = pcall(n.send, n, function() end)
    assert.is_false(ok)
    assert.matches("send: ", tostring(e), 1, true)
    n:send({ hello = "world" })
    n:on("exit", N.mustCall(function(c) assert.are.equal(0, c) end))
    N.finish()
    H.wait_close(n)
    H.assert_clean()
  end)
end)
