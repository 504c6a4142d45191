-- Port of Node's test/parallel/test-child-process-exec-cwd.js.
-- Dropped: the Windows branch.  All other assertions kept.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-exec-cwd", function()
  it("runs the command in cwd", function()
    local dir = "/dev"
    cp.exec("pwd", { cwd = dir }, N.mustSucceed(function(stdout)
      assert.are.equal(dir, stdout:lower():sub(1, #dir))
    end))
    N.finish()
    H.assert_clean()
  end)
end)
