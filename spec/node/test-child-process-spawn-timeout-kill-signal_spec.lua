-- Port of Node's test/parallel/test-child-process-spawn-timeout-kill-signal.js.
-- Translated: the child (node running child-process-stay-alive-forever.js)
-- is `sleep 1000`; ERR_OUT_OF_RANGE is a `bad argument` naming 'timeout'.
-- Dropped: the AbortSignal listener count (options.signal is not part of
-- this module yet, SPEC section 10).
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-spawn-timeout-kill-signal", function()
  after_each(function() H.assert_clean() end)

  it("the default signal is SIGTERM", function()
    local c = cp.spawn("sleep", { "1000" }, { timeout = 5 })
    c:on("exit", N.mustCall(function(_, ks) assert.are.equal("SIGTERM", ks) end))
    N.finish()
    H.wait_close(c)
  end)

  it("killSignal is used", function()
    local c = cp.spawn("sleep", { "1000" }, { timeout = 6, killSignal = "SIGKILL" })
    c:on("exit", N.mustCall(function(_, ks) assert.are.equal("SIGKILL", ks) end))
    N.finish()
    H.wait_close(c)
  end)

  it("the timeout is validated", function()
    H.assert_bad_argument("option 'timeout'", cp.spawn, "sleep", { "1000" }, { timeout = "badValue" })
    H.assert_bad_argument("option 'timeout'", cp.spawn, "sleep", { "1000" }, { timeout = {} })
  end)
end)
