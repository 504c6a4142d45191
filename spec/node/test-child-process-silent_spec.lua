-- Port of Node's test/parallel/test-child-process-silent.js.
-- Translated: the test file re-run as `primary`, `pipe` and `ipc` is
-- fixtures/silent.lua with the same modes.  Dropped: piping the silent
-- child's output into the test's own (stream pipe(), a debugging aid).
-- The process.on('exit') checks run once both children closed.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-silent", function()
  it("a silent child's output does not reach the parent's; IPC still works", function()
    local primary = cp.spawn(N.lua, { N.fixture("silent.lua"), "primary" }, { env = H.lua_env() })
    local stdoutData, stderrData = false, false
    primary.stdout:on("data", function() stdoutData = true end)
    primary.stderr:on("data", function() stderrData = true end)

    local child = cp.fork(N.fixture("silent.lua"), { "ipc" }, { silent = true })
    local childSending, childReceiving = false, false
    child:on("message", function(message)
      if not childSending then childSending = message == "message from child" end
      if not childReceiving then childReceiving = message == "got message from primary" end
      if childReceiving then child:kill() end
    end)
    child:send("message to child")
    H.wait_close(primary)
    H.wait_close(child)
    assert.is_false(stdoutData)
    assert.is_false(stderrData)
    assert.is_true(childSending)
    assert.is_true(childReceiving)
    H.assert_clean()
  end)
end)
