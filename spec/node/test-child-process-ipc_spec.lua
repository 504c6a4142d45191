-- Port of Node's test/parallel/test-child-process-ipc.js (a stdin/stdout
-- ping-pong, not an IPC channel, despite its name).
-- Translated: the child (node running fixtures/echo.js) is
-- fixtures/echo.lua; stdin.end() is close().  Debug logs dropped.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-ipc", function()
  it("echoes what is written, line by line", function()
    local child = cp.spawn(N.lua, { N.fixture("echo.lua") })
    child.stderr:on("data", N.mustNotCall("stderr data"))
    local messages = { "hello world\r\n", "echo me\r\n" }
    child.stdout:on("data", N.mustCall(function(data)
      local test = table.remove(messages, 1)
      assert.are.equal(test, data)
      if #messages > 0 then
        child.stdin:write(messages[1])
      else
        assert.are.equal(0, #messages)
        child.stdin:close()
      end
    end, #messages))
    child.stdout:on("end", N.mustCall())
    N.finish()
    H.wait_close(child)
    H.assert_clean()
  end)
end)
