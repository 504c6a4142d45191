-- Port of Node's test/parallel/test-child-process-stdin.js.
-- Translated: stdin.end() is stdin:close(); `readable === false` is a
-- stdin without a true `readable` field; setEncoding is not needed (Lua
-- strings); mustCallAtLeast on data is "some data arrived".  The debug
-- log is dropped.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-stdin", function()
  it("writes reach cat and come back", function()
    local cat = cp.spawn("cat")
    cat.stdin:write("hello")
    cat.stdin:write(" ")
    cat.stdin:write("world")
    assert.are.equal(true, cat.stdin.writable)
    assert.is_falsy(cat.stdin.readable)
    cat.stdin:close()
    local response, chunks = "", 0
    cat.stdout:on("data", function(chunk)
      chunks = chunks + 1
      response = response .. chunk
    end)
    cat.stdout:on("end", N.mustCall())
    cat.stderr:on("data", N.mustNotCall("stderr data"))
    cat.stderr:on("end", N.mustCall())
    cat:on("exit", N.mustCall(function(status) assert.are.equal(0, status) end))
    cat:on("close", N.mustCall(function() assert.are.equal("hello world", response) end))
    N.finish()
    assert.is_true(chunks >= 1)
    H.assert_clean()
  end)
end)
