-- Port of Node's test/parallel/test-child-process-exec-error.js.
-- Translated: typeof child.pid 'number' / 'undefined' is a number / nil.
-- Dropped: the Windows branch (cmd.exe's exit code 1).
local N = require("node.common")
local cp, H = N.cp, N.H

local function test(fn, code, expectPidType)
  local child = fn("does-not-exist", N.mustCall(function(err)
    assert.are.equal(code, err.code)
    assert.is_truthy(err.cmd:find("does-not-exist", 1, true))
  end))
  assert.are.equal(expectPidType, type(child.pid))
  N.finish()
end

describe("test-child-process-exec-error", function()
  after_each(function() H.assert_clean() end)

  it("exec: the shell's exit code 127, and the shell's pid", function()
    test(cp.exec, 127, "number")
  end)

  it("execFile: ENOENT, and no pid", function()
    test(cp.execFile, "ENOENT", "nil")
  end)
end)
