-- Port of Node's test/parallel/test-child-process-spawnsync-timeout.js.
-- Translated: the child (the test file re-run, exiting 1 after SLEEP) is
-- `sh -c 'sleep 5; exit 1'`; getSystemErrorName(errno) is errno == -110
-- (ETIMEDOUT); Date.now() is os.time() (whole seconds: end < SLEEP is
-- checked with a second's margin, which still shows that the child was not
-- waited for).  Dropped: the Windows timings and the debug log.
local N = require("node.common")
local cp = N.cp

describe("test-child-process-spawnsync-timeout", function()
  it("stops the child at the timeout with ETIMEDOUT", function()
    local TIMER, SLEEP = 200, 5000
    local start = os.time()
    local ret = cp.spawnSync("sh", { "-c", ("sleep %d; exit 1"):format(math.floor(SLEEP / 1000)) }, { timeout = TIMER })
    assert.are.equal("ETIMEDOUT", ret.error.code)
    assert.are.equal(-110, ret.error.errno)
    local took = (os.time() - start) * 1000
    assert.is_true(took < SLEEP)
    assert.is_true((ret.status and ret.status > 128) or ret.signal ~= nil)
  end)
end)
