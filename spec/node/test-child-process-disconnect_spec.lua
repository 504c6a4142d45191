-- Port of Node's test/parallel/test-child-process-disconnect.js.
-- Translated: the child tells the parent through its piped stdout instead
-- of a TCP socket (no net module here): when the parent disconnects, the
-- child writes process.connected.  Dropped: the child-side check that its
-- `disconnect` event is not synchronous with a monkey-patched
-- process.disconnect (here the child's channel closes internally, not
-- through process.disconnect).  process.on('exit') checks run at `close`.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-disconnect", function()
  it("both sides see the disconnect; a second one raises", function()
    local child = cp.fork(N.fixture("disconnect.lua"), { "child" }, { silent = true })
    local parentFlag = true
    child:on("disconnect", N.mustCall(function() parentFlag = child.connected end))
    child:on("exit", N.mustCall())
    local out = ""
    child.stdout:on("data", function(d) out = out .. d end)
    child:on("message", function(obj)
      if type(obj) == "table" and obj.msg == "ready" then
        child:disconnect()
        local ok, e = pcall(child.disconnect, child)
        assert.is_false(ok)
        assert.are.equal("ERR_IPC_DISCONNECTED", e.code)
      end
    end)
    N.finish()
    H.wait_close(child)
    assert.are.equal("false", out) -- childFlag: the child saw connected == false
    assert.are.equal(false, parentFlag)
    H.assert_clean()
  end)
end)
