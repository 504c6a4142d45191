-- Port of Node's test/parallel/test-child-process-spawn-error.js.
-- Translated: Array.isArray(stdio) is a table; stdio[0..2] are stdio[1..3]
-- (1-based); `pid === undefined` is nil; getSystemErrorName(errno) is
-- errno == -2 (ENOENT).  fs.existsSync is io.open.  All assertions kept.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-spawn-error", function()
  it("sets up stdio and reports ENOENT as an error event", function()
    local enoentPath = "foo123"
    local spawnargs = { "bar" }
    assert.is_nil(io.open(enoentPath))
    local enoentChild = cp.spawn(enoentPath, spawnargs)
    -- stdio is set up when the error is not EMFILE or ENFILE.
    assert.is_not_nil(enoentChild.stdin)
    assert.is_not_nil(enoentChild.stdout)
    assert.is_not_nil(enoentChild.stderr)
    assert.is_table(enoentChild.stdio)
    assert.are.equal(enoentChild.stdin, enoentChild.stdio[1])
    assert.are.equal(enoentChild.stdout, enoentChild.stdio[2])
    assert.are.equal(enoentChild.stderr, enoentChild.stdio[3])
    assert.is_nil(enoentChild.pid)
    enoentChild:on("spawn", N.mustNotCall("spawn"))
    enoentChild:on("error", N.mustCall(function(err)
      assert.are.equal("ENOENT", err.code)
      assert.are.equal(-2, err.errno)
      assert.are.equal("spawn " .. enoentPath, err.syscall)
      assert.are.equal(enoentPath, err.path)
      assert.are.same(spawnargs, err.spawnargs)
    end))
    N.finish()
    H.wait_close(enoentChild)
    H.assert_clean()
  end)
end)
