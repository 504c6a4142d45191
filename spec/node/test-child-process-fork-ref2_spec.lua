-- Port of Node's test/parallel/test-child-process-fork-ref2.js: a child
-- that disconnected itself is not kept alive by a message listener added
-- later.  Translated: setTimeout is the module's core timer; the child's
-- mustNotCall raises (its exit status would be 1).  Debug logs dropped.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-fork-ref2", function()
  it("disconnect and exit come", function()
    local child = cp.fork(N.fixture("fork-ref2.lua"), { "child" })
    child:on("disconnect", N.mustCall())
    child:once("exit", N.mustCall(function(code) assert.are.equal(0, code) end))
    N.finish()
    H.wait_close(child)
    H.assert_clean()
  end)
end)
