-- Port of Node's test/parallel/test-child-process-spawn-args.js: nil
-- (undefined and null are both nil in Lua) and {} may stand for `args`
-- and the options that follow are still used.
-- Translated: tmpdir is a fresh directory under os.tmpname(); the Promise
-- plumbing is N.finish().  Dropped: the Windows `cd` / shell branch.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-spawn-args", function()
  it("uses the options after a nil or empty args", function()
    local tmp = os.tmpname()
    os.remove(tmp)
    assert(os.execute("mkdir " .. N.q(tmp)))
    local options = { cwd = tmp }
    local results = {}
    for i, testCase in ipairs({ { nil }, { {} } }) do
      local subprocess = cp.spawn("pwd", testCase[1], options)
      local acc = ""
      subprocess.stdout:on("data", N.mustCall(function(data) acc = acc .. data end))
      subprocess.stdout:on("end", N.mustCall(function() results[i] = N.trim(acc):lower() end))
    end
    N.finish()
    assert.are.same({ tmp:lower(), tmp:lower() }, results)
    os.execute("rmdir " .. N.q(tmp))
    H.assert_clean()
  end)
end)
