-- Port of Node's test/parallel/test-child-process-flush-stdio.js: a
-- child's output that nobody reads does not stop `close`; output read
-- after it is complete.  Translated: `p.stdout.read()` (a read with no
-- listener, which has no Lua counterpart) is no read at all; the
-- 'readable' + read() loop is a `data` listener.  Dropped: the Windows
-- shell option.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-flush-stdio", function()
  it("close comes, and the output is complete", function()
    local p = cp.spawn("echo", {})
    p:on("close", N.mustCall(function(code, signal)
      assert.are.equal(0, code)
      assert.is_nil(signal)
      local buffer = {}
      local p2 = cp.spawn("echo", { "123" })
      p2:on("close", N.mustCall(function(code2, signal2)
        assert.are.equal(0, code2)
        assert.is_nil(signal2)
        assert.are.equal("123", N.trim(table.concat(buffer)))
      end))
      p2.stdout:on("data", function(d) buffer[#buffer + 1] = d end)
    end))
    N.finish()
    H.assert_clean()
  end)
end)
