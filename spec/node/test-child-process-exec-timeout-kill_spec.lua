-- Port of Node's test/parallel/test-child-process-exec-timeout-kill.js:
-- exec() with both a timeout and a killSignal.
-- Translated: the child is a shell command (sleep, then print) instead of
-- Node re-running the test file; err.code null is nil here.
-- Dropped: cleanupStaleProcess (helper's assert_clean checks for children).
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-exec-timeout-kill", function()
  it("kills the child with the killSignal given", function()
    local cmd = N.log_after_time_cmd(N.kExpiringChildRunTime)
    cp.exec(cmd, { timeout = N.kExpiringParentTimer, killSignal = "SIGKILL" },
      N.mustCall(function(err, stdout, stderr)
        assert.are.equal(true, err.killed)
        assert.is_nil(err.code)
        assert.are.equal("SIGKILL", err.signal)
        assert.are.equal(cmd, err.cmd)
        assert.are.equal("", N.trim(stdout))
        assert.are.equal("", N.trim(stderr))
      end))
    N.finish()
    H.assert_clean()
  end)
end)
