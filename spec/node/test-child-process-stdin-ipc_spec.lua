-- Port of Node's test/parallel/test-child-process-stdin-ipc.js: the
-- channel may be fd 0.  Translated: the child (the test file re-run,
-- touching process.stdin) is `lua -e "local _ = io.stdin"`.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-stdin-ipc", function()
  it("a child with its channel on fd 0 runs and exits 0", function()
    local proc = cp.spawn(N.lua, { "-e", "local _ = io.stdin" }, { stdio = { "ipc", "inherit", "inherit" } })
    proc:on("exit", N.mustCall(function(code) assert.are.equal(0, code) end))
    N.finish()
    H.wait_close(proc)
    H.assert_clean()
  end)
end)
