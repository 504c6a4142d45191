-- Port of Node's test/parallel/test-child-process-exec-kill-throws.js: if
-- ChildProcess:kill() raises while exec stops the child, the callback
-- gets that error.  Translated: the monkey-patch of
-- internal ChildProcess.prototype.kill is one of cp.ChildProcess.kill (the
-- class every ChildProcess uses); `throw new Error('mock error')` is
-- error("mock error", 0), which reaches the callback as an error value
-- whose message is "mock error"; the child (the test file re-run printing
-- 'foo') is `echo foo; sleep 5`: still running when maxBuffer stops it,
-- so that the kill always reaches it (a slow parent, as under valgrind,
-- could otherwise see `echo` exit first and kill() would send nothing).
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-exec-kill-throws", function()
  it("a kill() that raises is reported to the callback", function()
    local ChildProcess = cp.ChildProcess
    local kill = ChildProcess.kill
    ChildProcess.kill = function(self, ...)
      kill(self, ...)
      error("mock error", 0)
    end
    local ok, err = pcall(function()
      local child
      local opts = { maxBuffer = 0, killSignal = "SIGKILL" }
      child = cp.exec("echo foo; sleep 5", opts, N.mustCall(function(e, stdout, stderr)
        assert.are.equal("mock error", e.message)
        assert.are.equal("", stdout)
        assert.are.equal("", stderr)
        assert.are.equal(true, child.killed)
      end))
      N.finish()
      H.wait_close(child)
    end)
    ChildProcess.kill = kill
    assert(ok, err)
    H.assert_clean()
  end)
end)
