-- Port of Node's test/parallel/test-child-process-exec-std-encoding.js.
-- Translated: the child (the test file re-run) is a `lua -e` writing foo
-- and bar.  Dropped: setEncoding('utf-8') on the streams after exec()
-- (streams carry strings of bytes here; there is no setEncoding); what
-- stays checked is that the callback gets the output unchanged.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-exec-std-encoding", function()
  it("the callback gets stdout and stderr", function()
    local child = cp.exec(N.lua_cmd("print('foo') io.stderr:write('bar\\n')"), N.mustSucceed(function(stdout, stderr)
      assert.are.equal("foo\n", stdout)
      assert.are.equal("bar\n", stderr)
    end))
    assert.is_not_nil(child.stdout)
    assert.is_not_nil(child.stderr)
    N.finish()
    H.assert_clean()
  end)
end)
