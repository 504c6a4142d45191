-- Port of Node's test/parallel/test-child-process-spawnsync-kill-signal.js.
-- Translated: the child (the test file re-run with a setInterval) is
-- `sleep 30`; ERR_UNKNOWN_SIGNAL is a `bad argument` naming 'killSignal';
-- SIGKILL's number comes from the module's table (9 on Linux); status null
-- is nil.  Dropped: the checks of the options handed to the internal
-- spawnSync (Node internals, --expose-internals); the signal the child
-- died of, checked for each case, shows the same.
local N = require("node.common")
local cp, H = N.cp, N.H

local function spawn(killSignal)
  local child = cp.spawnSync("sleep", { "30" }, { killSignal = killSignal, timeout = 100 })
  assert.is_nil(child.status)
  assert.are.equal("ETIMEDOUT", child.error.code)
  return child
end

describe("test-child-process-spawnsync-kill-signal", function()
  it("refuses an unknown signal", function()
    H.assert_bad_argument("option 'killSignal'", spawn, "SIG_NOT_A_REAL_SIGNAL")
  end)

  it("defaults to SIGTERM", function()
    assert.are.equal("SIGTERM", spawn(nil).signal)
  end)

  it("takes a signal name", function()
    assert.are.equal("SIGKILL", spawn("SIGKILL").signal)
  end)

  it("takes a signal number", function()
    local SIGKILL = H.core.signal_number("SIGKILL")
    assert.are.equal("number", type(SIGKILL))
    assert.are.equal("SIGKILL", spawn(SIGKILL).signal)
  end)
end)
