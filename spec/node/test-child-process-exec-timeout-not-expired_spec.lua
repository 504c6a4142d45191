-- Port of Node's test/parallel/test-child-process-exec-timeout-not-expired.js:
-- exec() when a timeout is set but does not expire.
-- Translated: the child is a shell command (sleep 100 ms, print) instead of
-- Node re-running the test file.  All assertions kept.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-exec-timeout-not-expired", function()
  it("runs the child to its end", function()
    local kTimeoutNotSupposedToExpire = 2 ^ 30
    local childRunTime = 100
    assert.is_true(childRunTime < kTimeoutNotSupposedToExpire)
    cp.exec(N.log_after_time_cmd(childRunTime), { timeout = kTimeoutNotSupposedToExpire },
      N.mustSucceed(function(stdout, stderr)
        assert.are.equal("child stdout", N.trim(stdout))
        assert.are.equal("child stderr", N.trim(stderr))
      end))
    N.finish()
    H.assert_clean()
  end)
end)
