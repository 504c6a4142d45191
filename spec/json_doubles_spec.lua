-- cp.json where every number is a double (Lua 5.1, 5.2, LuaJIT): the
-- mapping README states.  On Lua 5.3+ json_spec.lua checks the integer and
-- float subtypes instead (.busted picks one by the engine).
local H = require("helper")
local json = H.cp.json

-- %.17g tells every double apart (-0 included).
local function same(a, b)
  return string.format("%.17g", a) == string.format("%.17g", b)
end

describe("cp.json with doubles only", function()
  it("runs where numbers are doubles", function()
    assert.is_nil(math.type)
    assert.is_true(H.doubles)
  end)

  it("encodes integral values within ±2^53 without a fraction", function()
    for _, c in ipairs({
      { 3, "3" }, { -42, "-42" }, { 0, "0" }, { 3.0, "3" }, { 1e15, "1000000000000000" },
      { 2 ^ 53, "9007199254740992" }, { -2 ^ 53, "-9007199254740992" },
      { 2 ^ 53 - 1, "9007199254740991" },
    }) do
      assert.are.equal(c[2], json.encode(c[1]))
    end
  end)

  it("encodes other numbers as the shortest float text, with '.' or 'e'", function()
    for _, c in ipairs({
      { 0.5, "0.5" }, { 0.1, "0.1" }, { -0.0, "-0.0" }, { 1.5e-7, "1.5e-07" },
      { 2 ^ 53 + 2, "9007199254740994.0" }, { 2 ^ 60, "1.152921504606847e+18" },
      { -2 ^ 63, "-9.223372036854776e+18" }, { 1e300, "1e+300" },
    }) do
      assert.are.equal(c[2], json.encode(c[1]))
    end
  end)

  it("refuses NaN and infinities", function()
    for _, x in ipairs({ 0 / 0, math.huge, -math.huge }) do
      assert.is_false((pcall(json.encode, x)))
    end
  end)

  it("decodes an integer literal to the nearest double: exact within ±2^53", function()
    assert.are.equal(3, json.decode("3"))
    assert.are.equal(-42, json.decode("-42"))
    assert.are.equal(2 ^ 53, json.decode("9007199254740992"))
    assert.are.equal(2 ^ 53, json.decode("9007199254740993")) -- rounds to even
    assert.are.equal(2 ^ 53 + 2, json.decode("9007199254740994"))
    assert.are.equal(2 ^ 63, json.decode("9223372036854775807"))
    assert.are.equal(-2 ^ 63, json.decode("-9223372036854775808"))
    assert.are.equal(1e100, json.decode("1" .. string.rep("0", 100)))
    assert.is_true(same(0, json.decode("-0")))
  end)

  it("decodes fractions and exponents as doubles; 3.0 re-encodes as 3", function()
    assert.are.equal(3, json.decode("3.0"))
    assert.are.equal("3", json.encode(json.decode("3.0")))
    assert.are.equal(2.5, json.decode("25E-1"))
    assert.is_true(same(-0.0, json.decode("-0.0")))
    assert.are.equal(0.1, json.decode("0.1000000000000000055511151231257827"))
    assert.are.equal(math.huge, json.decode("1e400"))
    assert.are.equal(5e-324, json.decode("4.9406564584124654e-324"))
  end)

  it("round-trips every double bit-exactly and integral values within ±2^53 as integers", function()
    local seed = 12345
    local function rnd() -- a small LCG in doubles: (a*x + c) mod 2^31
      seed = (1103515245 * seed + 12345) % 2147483648
      return seed
    end
    for _ = 1, 2000 do
      local x = (rnd() - 2 ^ 30) * 2 ^ (rnd() % 120 - 60) + rnd() / 2 ^ 31
      local y = json.decode(json.encode(x))
      assert.is_true(same(x, y), string.format("%.17g came back as %.17g", x, y))
      local i = rnd() * 2 ^ 22 + rnd() % 2 ^ 22 -- up to 2^53
      assert.are.equal(string.format("%.0f", i), json.encode(i))
      assert.are.equal(i, json.decode(json.encode(i)))
    end
  end)

  it("uses integral keys as array indices and object keys, refuses fractional keys", function()
    assert.are.equal("[1,2,3]", json.encode({ 1, 2, 3 }))
    assert.are.equal('{"2":"x"}', json.encode({ [2] = "x" }))
    assert.are.equal('{"-1":true}', json.encode({ [-1] = true }))
    local ok, err = pcall(json.encode, { [1.5] = 1 })
    assert.is_false(ok)
    assert.matches("cannot encode table key of type float", err, 1, true)
  end)
end)
