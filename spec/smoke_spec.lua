local H = require("helper")
local cp = H.cp

describe("smoke", function()
  it("spawns echo and reads its output", function()
    local c = cp.spawn("echo", { "hello" })
    local out = H.collect(c.stdout)
    local code, sig = H.wait_close(c)
    assert.are.equal(0, code)
    assert.is_nil(sig)
    assert.are.equal("hello\n", out())
    H.assert_clean()
  end)
end)
