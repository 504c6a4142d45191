-- Port of Node's test/parallel/test-child-process-exec-stdout-stderr-data-string.js:
-- exec()'s streams emit `data` as strings, for stdout and stderr.
-- Translated: mustCallAtLeast is "at least once".  Windows `dir` dropped.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-exec-stdout-stderr-data-string", function()
  it("data events carry strings", function()
    local nout, nerr = 0, 0
    local a = cp.exec("ls")
    a.stdout:on("data", function() nout = nout + 1 end)
    local b = cp.exec("fhqwhgads")
    b.stderr:on("data", function(data)
      assert.are.equal("string", type(data))
      nerr = nerr + 1
    end)
    H.wait_close(a)
    H.wait_close(b)
    assert.is_true(nout >= 1)
    assert.is_true(nerr >= 1)
    H.assert_clean()
  end)
end)
