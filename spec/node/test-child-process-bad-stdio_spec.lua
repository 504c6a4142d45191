-- Port of Node's test/parallel/test-child-process-bad-stdio.js.
-- Translated: the child (the test file re-run, idle for 100 ms) is
-- `sleep 0.1`; `err === null` is nil.  Dropped: the monkey-patch of the
-- internal ChildProcess.prototype.spawn that destroys and nulls stdout
-- and stderr right after spawning (Node internals: a ChildProcess here
-- always has its streams, also after a failed spawn).  Kept: a normal
-- run, an `error` event emitted on the child (the callback gets exactly
-- that error), and a killed child.
local N = require("node.common")
local cp, H = N.cp, N.H

local function createChild(options, callback)
  return cp.exec("sleep 0.1", options, N.mustCall(callback))
end

describe("test-child-process-bad-stdio", function()
  after_each(function() H.assert_clean() end)

  it("a normal run", function()
    local c = createChild({}, function(err, stdout, stderr)
      assert.is_nil(err)
      assert.are.equal("", stdout)
      assert.are.equal("", stderr)
    end)
    N.finish()
    H.wait_close(c)
  end)

  it("an error event goes to the callback", function()
    local e = { message = "foo" }
    local child = createChild({}, function(err, stdout, stderr)
      assert.are.equal(e, err)
      assert.are.equal("", stdout)
      assert.are.equal("", stderr)
    end)
    child:emit("error", e)
    N.finish()
    H.wait_close(child)
  end)

  it("a killed child", function()
    local c = createChild({ timeout = 1 }, function(err, stdout, stderr)
      assert.are.equal(true, err.killed)
      assert.are.equal("", stdout)
      assert.are.equal("", stderr)
    end)
    N.finish()
    H.wait_close(c)
  end)
end)
