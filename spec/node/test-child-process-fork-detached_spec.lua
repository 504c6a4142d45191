-- Port of Node's test/parallel/test-child-process-fork-detached.js: a
-- detached forked grandchild outlives the parent that forked it.
-- Translated: the fixtures are Lua ones of the same names (the persistent
-- child holds a repeating timer, as Node's holds a setInterval);
-- process.kill(childId) is `kill` through os.execute, checked to succeed
-- (the grandchild is still alive), once the killed parent exited.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-fork-detached", function()
  it("the detached grandchild is still alive after its parent was killed", function()
    local nonPersistent = cp.fork(N.fixture("parent-process-nonpersistent-fork.lua"), {}, { silent = true })
    local childId = -1
    nonPersistent.stdout:on("data", function(data)
      childId = tonumber(data:match("%d+"))
      nonPersistent:kill()
    end)
    -- `exit`, not `close`: the grandchild inherited the silent parent's
    -- stdout and stderr pipes, which stay open while it lives.
    nonPersistent:on("exit", N.mustCall())
    N.finish()
    assert.are_not.equal(-1, childId)
    assert.is_true(H.execute("kill " .. childId) == true) -- does not fail: it is alive
    H.wait_close(nonPersistent)
    H.assert_clean()
  end)
end)
