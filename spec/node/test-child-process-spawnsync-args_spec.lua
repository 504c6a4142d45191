-- Port of Node's test/parallel/test-child-process-spawnsync-args.js: nil
-- (undefined and null) and {} may stand for `args` of spawnSync and the
-- options that follow are still used.
-- Translated: tmpdir is a fresh directory under os.tmpname(); the empty
-- Buffer for stderr is "".  Dropped: the Windows branch.
local N = require("node.common")
local cp = N.cp

describe("test-child-process-spawnsync-args", function()
  it("uses the options after a nil or empty args", function()
    local tmp = os.tmpname()
    os.remove(tmp)
    assert(os.execute("mkdir " .. N.q(tmp)))
    local options = { cwd = tmp }
    for _, testCase in ipairs({ { nil }, { {} } }) do
      local r = cp.spawnSync("pwd", testCase[1], options)
      assert.is_nil(r.error)
      assert.are.equal("", r.stderr)
      assert.are.equal(tmp:lower(), N.trim(r.stdout):lower())
    end
    os.execute("rmdir " .. N.q(tmp))
  end)
end)
