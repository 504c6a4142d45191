-- Port of Node's test/parallel/test-child-process-stdout-ipc.js: the
-- channel may be fd 1.  Translated: the child (the test file re-run,
-- calling process.send) is fixtures/stdout-ipc.lua run through the
-- module's bootstrap (what fork adds), so that it has `process`.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-stdout-ipc", function()
  it("a child with its channel on fd 1 can send", function()
    local proc = cp.spawn(N.lua, { cp.bootstrap_path(), N.fixture("stdout-ipc.lua"), "child" },
      { stdio = { "inherit", "ipc", "inherit" } })
    proc:on("exit", N.mustCall(function(code) assert.are.equal(0, code) end))
    N.finish()
    H.wait_close(proc)
    H.assert_clean()
  end)
end)
