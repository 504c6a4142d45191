-- Port of Node's test/parallel/test-child-process-stdio-big-write-end.js:
-- write until stdin's buffer is full, 100 writes more, then end before it
-- is flushed: the child must get every byte.  Translated: the child (the
-- test file re-run) is fixtures/stdio-big-write-end.lua (reads stdin to
-- EOF, prints the count); Buffer.alloc is string.rep; stdin.end() is
-- close().  Debug log dropped.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-stdio-big-write-end", function()
  it("every byte written before end() arrives", function()
    local child = cp.spawn(N.lua, { N.fixture("stdio-big-write-end.lua"), "child" })
    local sent, bufsize, n, chunks = 0, 0, "", 0
    child.stdout:on("data", function(c)
      chunks = chunks + 1
      n = n .. c
    end)
    child.stdout:on("end", N.mustCall(function()
      assert.are.equal(sent, tonumber(n))
    end))
    local buf
    repeat
      bufsize = bufsize + 1024
      buf = ("."):rep(bufsize)
      sent = sent + bufsize
    until not child.stdin:write(buf)
    for _ = 1, 100 do
      sent = sent + bufsize
      child.stdin:write(("."):rep(bufsize))
    end
    child.stdin:close()
    N.finish()
    assert.is_true(chunks >= 1)
    H.wait_close(child)
    H.assert_clean()
  end)
end)
