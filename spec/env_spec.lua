--- env_spec.lua — SPEC §10 cp.env(overrides): a copy of the environment
--- with overrides applied (false removes), for options.env.
local H = require("helper")
local cp, core = H.cp, H.core

describe("cp.env", function()
  after_each(function() H.assert_clean() end)

  it("is a copy of the environment", function()
    local e = cp.env()
    assert.are.same(core.environ(), e)
    e.PATH = "changed"
    assert.are_not.equal("changed", os.getenv("PATH"))
  end)

  it("applies overrides: strings and numbers set, false removes", function()
    local e = cp.env({ CP_A = "x y", CP_N = 42, HOME = false })
    assert.are.equal("x y", e.CP_A)
    assert.are.equal("42", e.CP_N)
    assert.is_nil(e.HOME)
    assert.are.equal(os.getenv("PATH"), e.PATH)
  end)

  it("is what a child sees through options.env", function()
    local c = cp.spawn("sh", { "-c", 'echo "$CP_A|${HOME-unset}|$PATH"' },
      { env = cp.env({ CP_A = "1", HOME = false }) })
    local out = H.collect(c.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("1|unset|" .. os.getenv("PATH") .. "\n", out())
  end)

  it("bad arguments", function()
    H.assert_bad_argument("#1 to 'env' (table expected, got string)", cp.env, "A=1")
    H.assert_bad_argument("keys must be variable names", cp.env, { [1] = "x" })
    H.assert_bad_argument("keys must be variable names", cp.env, { ["A=B"] = "x" })
    H.assert_bad_argument("value of 'A' must be a string, a number or false, got boolean", cp.env, { A = true })
    H.assert_bad_argument("value of 'A' must be a string, a number or false, got table", cp.env, { A = {} })
    H.assert_bad_argument("value of 'A' must not contain NUL bytes", cp.env, { A = "a\0b" })
  end)
end)
