-- Port of Node's test/parallel/test-child-process-exec-timeout-expire.js:
-- exec() with a timeout that expires.
-- Translated: the child (Node re-running the test file with `child`,
-- logAfterTime) is a shell command that sleeps kExpiringChildRunTime and
-- then prints; err.code null is nil here.  Dropped: the OpenBSD and macOS
-- branches (Linux only), cleanupStaleProcess (the child is killed by the
-- timeout and reaped; helper's assert_clean checks that).
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-exec-timeout-expire", function()
  it("kills the child with SIGTERM and reports it", function()
    local cmd = N.log_after_time_cmd(N.kExpiringChildRunTime)
    cp.exec(cmd, { timeout = N.kExpiringParentTimer }, N.mustCall(function(err, stdout, stderr)
      assert.are.equal(true, err.killed)
      assert.is_nil(err.code)
      assert.are.equal("SIGTERM", err.signal)
      assert.are.equal(cmd, err.cmd)
      assert.are.equal("", N.trim(stdout))
      assert.are.equal("", N.trim(stderr))
    end))
    N.finish()
    H.assert_clean()
  end)
end)
