-- Port of Node's test/parallel/test-child-process-fork-ref.js: a child
-- with a `disconnect` listener stays alive (a timer of 200 ms sends the
-- second message), and sees the parent's disconnect.
-- Translated: setTimeout in the child is the module's core timer; the
-- checks run at `close` (all of stdout read) rather than at `exit`.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-fork-ref", function()
  it("the child lives until the parent disconnects", function()
    local child = cp.fork(N.fixture("fork-ref.lua"), { "child" }, { silent = true })
    local ipc, stdout = {}, ""
    child:on("message", function(msg)
      ipc[#ipc + 1] = msg
      if msg == "2" then child:disconnect() end
    end)
    child.stdout:on("data", function(chunk) stdout = stdout .. chunk end)
    child:once("close", N.mustCall(function()
      assert.are.same({ "1", "2" }, ipc)
      assert.are.equal("3", stdout)
    end))
    N.finish()
    H.assert_clean()
  end)
end)
