-- Port of Node's test/sequential/test-child-process-flush-stdio.js (named
-- -sequential here: test/parallel has a test of the same name): `yes`
-- whose output nobody reads, killed after 100 ms; `close` must come.
-- Translated: `p.stdout.read()` (one read with no listener) has no Lua
-- counterpart and is left out; setTimeout is the module's core timer.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-flush-stdio (sequential)", function()
  it("close comes for a killed child nobody read", function()
    local p = cp.spawn("yes")
    p:on("close", N.mustCall())
    local t = H.core.timer()
    t:start(100, 0, function()
      t:close()
      p:kill()
    end)
    N.finish()
    H.assert_clean()
  end)
end)
