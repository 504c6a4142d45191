-- Port of Node's test/parallel/test-child-process-internal.js: a message
-- whose cmd starts with NODE_ is internal and is not a `message`; one
-- with NODE_ elsewhere is.  Translated: the child (the test file re-run)
-- is fixtures/internal.lua.  Dropped: Node's 'internalMessage' event
-- (Node internals; internal messages are not surfaced here), replaced by
-- the check that only the ordinary message arrives as `message`.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-internal", function()
  it("NODE_ messages are internal", function()
    local child = cp.fork(N.fixture("internal.lua"), { "child" })
    local got = {}
    child:on("message", function(data) got[#got + 1] = data end)
    H.wait_close(child)
    assert.are.same({ { cmd = "fooNODE_" } }, got)
    H.assert_clean()
  end)
end)
