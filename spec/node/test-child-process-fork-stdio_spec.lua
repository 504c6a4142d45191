-- Port of Node's test/parallel/test-child-process-fork-stdio.js.
-- Translated: ERR_CHILD_PROCESS_IPC_REQUIRED is a `bad argument` (stdio
-- without 'ipc'); the child (the test file re-run, reading fd 4 as a
-- net.Socket) is fixtures/fork-stdio.lua, which reads fd 4 through
-- `head` (it is told the byte count); stdio[4] is stdio[5] (1-based);
-- child.stdout null is nil.  The exit checks run at `close` (stderr read
-- whole).
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-fork-stdio", function()
  it("fork needs an ipc entry", function()
    H.assert_bad_argument("'ipc'", cp.fork, N.fixture("fork-stdio.lua"), { stdio = { "pipe", "pipe", "pipe", "pipe" } })
  end)

  it("custom stdio: ignored stdout, piped stderr, an extra pipe", function()
    local ipc, stderr = "", ""
    local buf = "data to send via pipe"
    local child = cp.fork(N.fixture("fork-stdio.lua"), { #buf }, { stdio = { 0, "ignore", "pipe", "ipc", "pipe" } })
    assert.is_nil(child.stdout)
    child:on("message", function(msg)
      ipc = ipc .. msg
      if ipc == buf then child:disconnect() end
    end)
    child.stderr:on("data", function(chunk) stderr = stderr .. chunk end)
    child:on("close", N.mustCall(function(code, signal)
      assert.are.equal(0, code)
      assert.is_nil(signal)
      assert.are.equal("this should not be ignored", stderr)
    end))
    child.stdio[5]:write(buf)
    N.finish()
    H.assert_clean()
  end)
end)
