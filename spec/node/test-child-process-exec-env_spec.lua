-- Port of Node's test/parallel/test-child-process-exec-env.js.
-- Translated: process.on('exit') checks run after the callback and
-- `close`.  Dropped: the Windows branch and the debug logs.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-exec-env", function()
  it("exec with env only", function()
    local success_count, error_count, response = 0, 0, ""
    local child = cp.exec("/usr/bin/env", { env = { HELLO = "WORLD" } }, N.mustCall(function(err, stdout)
      if err then
        error_count = error_count + 1
        assert.are.equal(false, err.killed)
      else
        success_count = success_count + 1
        assert.are_not.equal("", stdout)
      end
    end))
    child.stdout:on("data", function(chunk) response = response .. chunk end)
    N.finish()
    H.wait_close(child)
    assert.are.equal(1, success_count)
    assert.are.equal(0, error_count)
    assert.is_truthy(response:find("HELLO=WORLD", 1, true))
    H.assert_clean()
  end)
end)
