-- Port of Node's test/parallel/test-child-process-fork-timeout-kill-signal.js.
-- Translated: ERR_OUT_OF_RANGE for a timeout of the wrong type is a `bad
-- argument` naming 'timeout'.  Dropped: the AbortSignal listener count
-- (options.signal is not part of this module yet, SPEC section 10).
local N = require("node.common")
local cp, H = N.cp, N.H

local fixture = N.fixture("stay-alive-forever.lua")

describe("test-child-process-fork-timeout-kill-signal", function()
  after_each(function() H.assert_clean() end)

  it("the default signal is SIGTERM", function()
    local c = cp.fork(fixture, { timeout = 5 })
    c:on("exit", N.mustCall(function(_, ks) assert.are.equal("SIGTERM", ks) end))
    N.finish()
    H.wait_close(c)
  end)

  it("killSignal is used", function()
    local c = cp.fork(fixture, { timeout = 5, killSignal = "SIGKILL" })
    c:on("exit", N.mustCall(function(_, ks) assert.are.equal("SIGKILL", ks) end))
    N.finish()
    H.wait_close(c)
  end)

  it("the timeout is validated", function()
    H.assert_bad_argument("option 'timeout'", cp.fork, fixture, { timeout = "badValue" })
    H.assert_bad_argument("option 'timeout'", cp.fork, fixture, { timeout = {} })
  end)
end)
