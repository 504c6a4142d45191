-- Port of Node's test/sequential/test-child-process-emfile.js: out of
-- fds, spawn is an `error` event EMFILE (never a raise), and no `exit`.
-- Translated: the body runs in fixtures/emfile.lua under `ulimit -n 64`
-- (as Node re-runs itself when the hard limit is higher); it must print
-- nothing and exit 0.  Windows skip dropped.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-emfile", function()
  it("EMFILE is an error event", function()
    local result = cp.spawnSync("/bin/sh", {
      "-c", "ulimit -n 64 && exec \"$0\" \"$1\"", N.lua, N.fixture("emfile.lua"),
    }, { env = H.lua_env(), timeout = 30000 })
    assert.are.equal("", result.stdout)
    assert.are.equal("", result.stderr)
    assert.are.equal(0, result.status)
    assert.is_nil(result.error)
  end)
end)
