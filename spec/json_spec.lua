-- json_spec.lua — the JSON codec (src/json.c), SPEC section 5.
--
-- Table-driven: each row is {name, input, expected}.  Also cross-checks
-- against lua-cjson on generated data, round-trips floats bit-exactly, and
-- checks every error names its path (encode) or byte offset (decode; offsets
-- are 0-based).

local json = require("child_process").json
local cjson = require("cjson")

local null, array_mt, empty_array = json.null, json.array_mt, json.empty_array

local function arr(t) return setmetatable(t, array_mt) end

-- The bits of a float, so that -0.0 ~= 0.0 and every ulp counts.
local function fbits(x) return string.pack("<d", x) end

-- Is t a JSON array in the codec's eyes (what the encoder will emit)?
local function is_array(t)
  if getmetatable(t) == array_mt then return true end
  local n = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 then return false end
    n = n + 1
  end
  return n > 0 and n == #t
end

-- Strict structural equality: same number subtypes, floats bit-identical,
-- arrays vs objects distinguished (decoded arrays carry array_mt).
local function strict_equal(a, b, path)
  path = path or ""
  local ta, tb = type(a), type(b)
  if ta ~= tb then return false, path .. ": " .. ta .. " vs " .. tb end
  if ta == "number" then
    if math.type(a) ~= math.type(b) then
      return false, path .. ": " .. math.type(a) .. " vs " .. math.type(b)
    end
    if math.type(a) == "float" then
      if fbits(a) ~= fbits(b) then
        return false, string.format("%s: %.17g vs %.17g", path, a, b)
      end
      return true
    end
    return a == b, path .. ": " .. tostring(a) .. " vs " .. tostring(b)
  end
  if ta ~= "table" then
    return a == b, path .. ": " .. tostring(a) .. " vs " .. tostring(b)
  end
  if is_array(a) ~= is_array(b) then return false, path .. ": array vs object" end
  for k, v in pairs(a) do
    local ok, why = strict_equal(v, b[k], path .. "." .. tostring(k))
    if not ok then return false, why end
  end
  for k in pairs(b) do
    if a[k] == nil then return false, path .. ": extra key " .. tostring(k) end
  end
  return true
end

-- Loose equality against cjson's view: numbers by value, json.null ~
-- cjson.null, tables by contents (cjson has no array marker).
local function cross_equal(a, b, path)
  path = path or ""
  if a == null then a = cjson.null end
  if b == null then b = cjson.null end
  local ta, tb = type(a), type(b)
  if ta ~= tb then return false, path .. ": " .. ta .. " vs " .. tb end
  if ta == "table" then
    for k, v in pairs(a) do
      local ok, why = cross_equal(v, b[k], path .. "." .. tostring(k))
      if not ok then return false, why end
    end
    for k in pairs(b) do
      if a[k] == nil then return false, path .. ": extra key " .. tostring(k) end
    end
    return true
  end
  return a == b, path .. ": " .. tostring(a) .. " vs " .. tostring(b)
end

local function assert_strict(a, b, what)
  local ok, why = strict_equal(a, b)
  assert(ok, (what or "") .. " " .. tostring(why))
end

local function err_of(f, ...)
  local ok, msg = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(msg)
end

local function assert_contains(msg, needle)
  assert(msg:find(needle, 1, true),
    string.format("message %q does not contain %q", msg, needle))
end

------------------------------------------------------------------------------
-- Random data (deterministic)
------------------------------------------------------------------------------

local rng_state = 0x2545F491
local function rnd(n) -- 1..n, a tiny LCG so results do not depend on Lua's PRNG
  rng_state = (rng_state * 6364136223846793005 + 1442695040888963407)
  return ((rng_state >> 33) % n) + 1
end

local pieces = { "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\r", "\b",
  "\f", "\0", "\1", "\31", "\127", "é", "ß", "€", "東京", "𝄞", "🚀",
  "\u{FFFF}", "\u{10FFFF}", "\u{E000}", "\u{D7FF}", "plain ascii run ",
  "<a href=\"x\">", "C:\\path" }

local function rand_string()
  local n = rnd(12) - 1
  local t = {}
  for i = 1, n do
    if rnd(4) == 1 then
      local cp = rnd(0x10FFFF + 1) - 1
      if cp >= 0xD800 and cp <= 0xDFFF then cp = 0x41 end
      t[i] = utf8.char(cp)
    else
      t[i] = pieces[rnd(#pieces)]
    end
  end
  return table.concat(t)
end

-- cjson_friendly: below 1e14, which cjson's %.14g prints exactly.
local function rand_int(cjson_friendly)
  local k = rnd(6)
  if k == 1 then return rnd(21) - 11 end
  if k == 2 then return rnd(2000000) - 1000000 end
  if k == 3 and cjson_friendly then return (rnd(2 ^ 23) - 2 ^ 22) * rnd(2 ^ 23) end
  if k == 3 then return (rnd(2 ^ 31) - 2 ^ 30) * rnd(2 ^ 31) end
  if k == 4 and not cjson_friendly then
    return ({ math.maxinteger, math.mininteger, math.mininteger + 1,
      2 ^ 53 + 1 | 0, -(2 ^ 62 | 0) })[rnd(5)]
  end
  return rnd(1000)
end

local function rand_float(cjson_friendly)
  if cjson_friendly then
    -- exact binary fractions with few digits: cjson prints %.14g
    return (rnd(2000001) - 1000001) / 8 + 0.0
  end
  local k = rnd(4)
  if k == 1 then return (rnd(200001) - 100001) / 100 end
  if k == 2 then return ({ 0.0, -0.0, 5e-324, 2.2250738585072014e-308,
      1.7976931348623157e308, 2 ^ 53, 1e21, 0.1, 1 / 3 })[rnd(9)] end
  -- any finite double, from random bits
  while true do
    local bytes = {}
    for i = 1, 8 do bytes[i] = string.char(rnd(256) - 1) end
    local x = string.unpack("<d", table.concat(bytes))
    if x == x and x ~= math.huge and x ~= -math.huge then return x end
  end
end

-- opts.cjson: keep to what cjson represents faithfully.
local function rand_value(depth, opts)
  local k = rnd(depth > 3 and 6 or 9)
  if k == 1 then return rand_int(opts.cjson) end
  if k == 2 then return rand_float(opts.cjson) end
  if k == 3 or k == 4 then return rand_string() end
  if k == 5 then return rnd(2) == 1 end
  if k == 6 then return null end
  if k == 7 or k == 8 then
    local n = rnd(6) - (opts.cjson and 0 or 1)
    local t = {}
    for i = 1, n do t[i] = rand_value(depth + 1, opts) end
    if n == 0 then t = arr(t) end
    return t
  end
  local t = {}
  for _ = 1, rnd(6) - 1 do t[rand_string()] = rand_value(depth + 1, opts) end
  return t
end

------------------------------------------------------------------------------

describe("json", function()
  describe("module table", function()
    it("exposes encode, decode, null, array_mt, empty_array", function()
      assert.is_function(json.encode)
      assert.is_function(json.decode)
      assert.is_userdata(null)
      assert.is_table(array_mt)
      assert.equals("cp.json.array", array_mt.__name)
      assert.equals(array_mt, getmetatable(empty_array))
      assert.is_nil(next(empty_array))
      assert.equals("null", tostring(null))
      assert.equals(json, require("child_process").json)
    end)
  end)

  describe("encode mapping", function()
    local rows = {
      { "integer", 3, "3" },
      { "negative integer", -42, "-42" },
      { "zero", 0, "0" },
      { "maxinteger", math.maxinteger, "9223372036854775807" },
      { "mininteger", math.mininteger, "-9223372036854775808" },
      { "float integral", 3.0, "3.0" },
      { "float", 0.5, "0.5" },
      { "true", true, "true" },
      { "false", false, "false" },
      { "null", null, "null" },
      { "nil argument", nil, "null" },
      { "string", "abc", '"abc"' },
      { "empty string", "", '""' },
      { "short escapes", "\"\\\n\t\r\b\f", [["\"\\\n\t\r\b\f"]] },
      { "other control chars", "\0\1\31", [["\u0000\u0001\u001f"]] },
      { "slash and DEL not escaped", "/\127", "\"/\127\"" },
      { "UTF-8 raw", "Zoë 東京 🚀", '"Zoë 東京 🚀"' },
      { "array", { 1, 2, 3 }, "[1,2,3]" },
      { "nested array", { { 1 }, { {} } }, "[[1],[{}]]" },
      { "empty table is object", {}, "{}" },
      { "empty_array", empty_array, "[]" },
      { "array_mt empty", arr({}), "[]" },
      { "array_mt", arr({ "a", "b" }), '["a","b"]' },
      { "array_mt hole is null", arr({ 1, nil, 3 }), "[1,null,3]" },
      { "object", { a = 1 }, '{"a":1}' },
      { "integer keys become strings", { [2] = "x" }, '{"2":"x"}' },
      { "negative integer key", { [-1] = true }, '{"-1":true}' },
      { "array with null", { 1, null, 3 }, "[1,null,3]" },
      { "shared subtable is not a cycle", (function()
          local s = { 1 }
          return { s, s }
        end)(), "[[1],[1]]" },
    }
    for _, r in ipairs(rows) do
      it(r[1], function()
        assert.equals(r[3], json.encode(r[2]))
      end)
    end

    it("mixed and sparse tables are objects with string keys", function()
      local d = json.decode(json.encode({ 1, 2, x = 3 }))
      assert.same({ ["1"] = 1, ["2"] = 2, x = 3 }, d)
      d = json.decode(json.encode({ [1] = 1, [3] = 3 }))
      assert.same({ ["1"] = 1, ["3"] = 3 }, d)
    end)

    it("objects with several keys contain each once", function()
      local d = json.decode(json.encode({ a = 1, b = { c = "d" }, [7] = false }))
      assert.same({ a = 1, b = { c = "d" }, ["7"] = false }, d)
    end)
  end)

  describe("floats", function()
    local rows = {
      { "0.1", 0.1, "0.1" },
      { "1/3", 1 / 3, "0.3333333333333333" },
      { "2/3", 2 / 3, "0.6666666666666666" },
      { "1e300", 1e300, "1e+300" },
      { "5e-324 (smallest subnormal)", 5e-324, "5e-324" },
      { "DBL_MIN", 2.2250738585072014e-308, "2.2250738585072014e-308" },
      { "DBL_MAX", 1.7976931348623157e308, "1.7976931348623157e+308" },
      { "2^53", 2.0 ^ 53, "9007199254740992.0" },
      { "2^63", 2.0 ^ 63, "9.223372036854776e+18" },
      { "-0.0", -0.0, "-0.0" },
      { "0.0", 0.0, "0.0" },
      { "1e21", 1e21, "1e+21" },
      { "1e15", 1e15, "1e+15" },
      { "123456789012345680000.0", 123456789012345680000.0,
        "1.2345678901234568e+20" },
      { "pi", math.pi, "3.141592653589793" },
      { "-273.15", -273.15, "-273.15" },
      { "1.5e-9", 1.5e-9, "1.5e-09" },
      { "1e-5", 1e-5, "1e-05" },
      { "0.0001", 0.0001, "0.0001" },
      { "100.0", 100.0, "100.0" },
      { "12345.678", 12345.678, "12345.678" },
      { "6.02214076e23", 6.02214076e23, "6.02214076e+23" },
    }
    for _, r in ipairs(rows) do
      it("shortest text for " .. r[1], function()
        local s = json.encode(r[2])
        assert.equals(r[3], s)
        assert.equals(fbits(r[2]), fbits(json.decode(s)))
        assert.equals("float", math.type(json.decode(s)))
        assert.equals("float", math.type(load("return " .. s)()))
      end)
    end

    it("random doubles round-trip bit-exactly with the fewest digits", function()
      for _ = 1, 3000 do
        local x = rand_float(false)
        local s = json.encode(x)
        local y = json.decode(s)
        assert.equals("float", math.type(y))
        assert(fbits(x) == fbits(y), string.format("%.17g -> %s", x, s))
        assert(s:find("[%.e]"), s)
        -- no shorter %g form reads back to x
        local digits = #(s:match("^%-?([%d%.]+)"):gsub("%.", ""):gsub("^0+", ""):gsub("0+$", ""))
        if digits > 1 and x ~= 0 then
          local shorter = string.format("%." .. (digits - 1) .. "g", x)
          assert(tonumber(shorter) ~= x, s .. " is not shortest: " .. shorter)
        end
      end
    end)

    it("short decimals in every range get the text of %.15g (exponent form too)", function()
      -- The double nearest m * 10^k, m of up to 15 digits: the fast path
      -- must give exactly what the first of %.15g, %.16g, %.17g that reads
      -- back gives (+ ".0").
      local function ref(x)
        local t
        for p = 15, 17 do
          t = string.format("%." .. p .. "g", x)
          if tonumber(t) == x then break end
        end
        if not t:find("[%.e]") then t = t .. ".0" end
        return t
      end
      local seed = 7
      local function lcg(n) seed = (1103515245 * seed + 12345) % 2147483648 return seed % n end
      for _ = 1, 3000 do
        local digits = lcg(15) + 1
        local m = 0
        for _ = 1, digits do m = m * 10 + lcg(10) end
        local x = tonumber(("%de%d"):format(m, lcg(70) - 35)) -- the double nearest m*10^k
        if lcg(2) == 1 then x = -x end
        if x ~= 0 then assert.equals(ref(x), json.encode(x)) end
      end
    end)

    it("rejects NaN and infinities naming the path", function()
      assert_contains(err_of(json.encode, 0 / 0), "cannot encode NaN at <root>")
      assert_contains(err_of(json.encode, { x = math.huge }), "cannot encode inf at .x")
      assert_contains(err_of(json.encode, { -math.huge }), "cannot encode -inf at [1]")
    end)
  end)

  describe("decode mapping", function()
    -- {name, json, expected value, expected math.type or nil}
    local rows = {
      { "integer", "3", 3, "integer" },
      { "negative", "-42", -42, "integer" },
      { "minus zero integer", "-0", 0, "integer" },
      { "maxinteger", "9223372036854775807", math.maxinteger, "integer" },
      { "mininteger", "-9223372036854775808", math.mininteger, "integer" },
      { "too big: float", "9223372036854775808", 2.0 ^ 63, "float" },
      { "too small: float", "-9223372036854775809", -2.0 ^ 63, "float" },
      { "20 digits", "12345678901234567890", 12345678901234567890.0, "float" },
      { "fraction", "3.0", 3.0, "float" },
      { "exponent", "3e0", 3.0, "float" },
      { "exponent sign", "25E-1", 2.5, "float" },
      { "exponent plus", "1e+2", 100.0, "float" },
      { "minus zero float", "-0.0", -0.0, "float" },
      { "long mantissa", "0.1000000000000000055511151231257827", 0.1, "float" },
      { "many digits", "3.14159265358979323846264338327950288", math.pi, "float" },
      { "huge exponent is inf", "1e400", math.huge, "float" },
      { "tiny underflows", "1e-400", 0.0, "float" },
      { "subnormal", "4.9406564584124654e-324", 5e-324, "float" },
      { "long integer token", "1" .. string.rep("0", 100), 1e100, "float" },
      { "true", "true", true },
      { "false", "false", false },
      { "null", "null", null },
      { "string", '"abc"', "abc" },
      { "escapes", [["\"\\\/\b\f\n\r\t"]], "\"\\/\b\f\n\r\t" },
      { "\\u escapes", [["\u0041\u00e9\u20AC\u0000"]], "Aé€\0" },
      { "surrogate pair", [["\ud83d\ude80"]], "🚀" },
      { "max code point", [["\uDBFF\uDFFF"]], "\u{10FFFF}" },
      { "raw UTF-8", '"Zoë 東京 🚀"', "Zoë 東京 🚀" },
      { "DEL raw", "\"\127\"", "\127" },
      { "whitespace", " \t\r\n[ 1 , 2 ]\n ", arr({ 1, 2 }) },
      { "empty array", "[]", arr({}) },
      { "empty object", "{}", {} },
      { "object", '{"a":1,"b":[true]}', { a = 1, b = arr({ true }) } },
      { "keys stay strings", '{"1":"x","2":"y"}', { ["1"] = "x", ["2"] = "y" } },
      { "duplicate keys: last wins", '{"a":1,"a":2}', { a = 2 } },
      { "empty key", '{"":0}', { [""] = 0 } },
    }
    for _, r in ipairs(rows) do
      it(r[1], function()
        local v = json.decode(r[2])
        if type(r[3]) == "number" then
          assert.equals(r[4], math.type(v))
          assert.equals(fbits(r[3] + 0.0), fbits(v + 0.0))
        elseif type(r[3]) == "table" then
          assert_strict(r[3], v, r[1])
        else
          assert.equals(r[3], v)
        end
      end)
    end

    it("arrays get array_mt, objects no metatable", function()
      local v = json.decode('{"a":[1,{"b":[]}]}')
      assert.is_nil(getmetatable(v))
      assert.equals(array_mt, getmetatable(v.a))
      assert.is_nil(getmetatable(v.a[2]))
      assert.equals(array_mt, getmetatable(v.a[2].b))
    end)

    it("[] is a new table each time, not empty_array", function()
      local a, b = json.decode("[]"), json.decode("[]")
      assert.are_not.equal(a, b)
      assert.are_not.equal(empty_array, a)
      a[1] = 1
      assert.is_nil(next(empty_array))
    end)

    it("containers larger than one batch keep order and all members", function()
      for _, n in ipairs({ 63, 64, 65, 200, 5000 }) do
        local a, o = {}, {}
        for i = 1, n do
          a[i] = i
          o["k" .. i] = i
        end
        assert_strict(a, json.decode(json.encode(a)))
        assert_strict(o, json.decode(json.encode(o)))
      end
      local parts = {}
      for i = 1, 150 do parts[i] = '"k":' .. i end
      assert.equals(150, json.decode("{" .. table.concat(parts, ",") .. "}").k)
    end)

    it("decodes a million-element array", function()
      local v = json.decode("[" .. string.rep("0,", 999999) .. "1]")
      assert.equals(1000000, #v)
      assert.equals(1, v[1000000])
    end)

    it("non-string argument is a bad argument error", function()
      assert_contains(err_of(json.decode, {}), "bad argument #1")
      assert_contains(err_of(json.decode), "bad argument #1")
    end)
  end)

  describe("UTF-8", function()
    local bad = {
      { "lone continuation", "\x80" },
      { "overlong NUL", "\xC0\x80" },
      { "overlong 2-byte", "\xC1\xBF" },
      { "overlong 3-byte", "\xE0\x80\x80" },
      { "overlong 4-byte", "\xF0\x80\x80\x80" },
      { "surrogate D800", "\xED\xA0\x80" },
      { "surrogate DFFF", "\xED\xBF\xBF" },
      { "above U+10FFFF", "\xF4\x90\x80\x80" },
      { "F5 lead", "\xF5\x80\x80\x80" },
      { "FF", "\xFF" },
      { "truncated 2-byte", "\xC3" },
      { "truncated 3-byte", "\xE2\x82" },
      { "truncated 4-byte", "\xF0\x9F\x9A" },
      { "bad continuation", "\xC3\x28" },
    }
    for _, r in ipairs(bad) do
      it("encode rejects " .. r[1], function()
        assert_contains(err_of(json.encode, "ok" .. r[2]), "invalid UTF-8 in string at <root>")
        assert_contains(err_of(json.encode, { k = { r[2] } }), "invalid UTF-8 in string at .k[1]")
        assert_contains(err_of(json.encode, { [r[2]] = 1 }), "invalid UTF-8 in key at [\"")
      end)
      it("decode rejects " .. r[1], function()
        assert_contains(err_of(json.decode, '"ok' .. r[2] .. '"'), "invalid UTF-8 in string at byte 3")
      end)
    end

    local good = { "\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}",
      "\u{FFFD}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}" }
    for _, s in ipairs(good) do
      it(string.format("accepts boundary %q", s), function()
        assert.equals('"' .. s .. '"', json.encode(s))
        assert.equals(s, json.decode('"' .. s .. '"'))
      end)
    end

    it("rejects lone surrogate escapes", function()
      assert_contains(err_of(json.decode, [["\ud800"]]), "lone high surrogate in \\u escape at byte 1")
      assert_contains(err_of(json.decode, [["ab\udc00"]]), "lone low surrogate in \\u escape at byte 3")
      assert_contains(err_of(json.decode, [["\ud800\u0041"]]), "lone high surrogate")
      assert_contains(err_of(json.decode, [["\ud800\ud800"]]), "lone high surrogate")
    end)
  end)

  describe("encode errors name the path", function()
    local co = coroutine.create(function() end)
    local cyc = {}
    cyc.self = cyc
    local deep_cycle = { a = { b = {} } }
    deep_cycle.a.b[1] = deep_cycle.a
    local rows = {
      { "function at root", print, "cannot encode function at <root>" },
      { "function deep", { a = { b = { 1, 2, print } } }, "cannot encode function at .a.b[3]" },
      { "thread", { co }, "cannot encode thread at [1]" },
      { "userdata", { f = io.stdout }, "cannot encode userdata at .f" },
      { "cycle", cyc, "cycle at .self" },
      { "nested cycle", { a = cyc }, "cycle at .a.self" },
      { "cycle through array", deep_cycle, "cycle at .a.b[1]" },
      { "boolean key", { a = { [true] = 1 } }, "cannot encode table key of type boolean at .a" },
      { "float key", { [1.5] = 1 }, "cannot encode table key of type float at <root>" },
      { "table key", { [{}] = 1 }, "cannot encode table key of type table at <root>" },
      { "array_mt with string key", arr({ 1, x = 2 }), "cannot encode array with string key at <root>" },
      { "array_mt with float key", { arr({ [0.5] = 1 }) }, "cannot encode array with float key at [1]" },
      { "non-identifier key quoted", { ["a b"] = { print } }, 'cannot encode function at ["a b"][1]' },
      { "integer key in object", { [5] = print, x = 1 }, "cannot encode function at [5]" },
      { "integer and string form of one key", { a = { [1] = 1, ["1"] = 2 } },
        "cannot encode table with key 1 both as integer and string at .a" },
    }
    for _, r in ipairs(rows) do
      it(r[1], function()
        assert_contains(err_of(json.encode, r[2]), r[3])
      end)
    end

    local function nest(n)
      local root = {}
      local cur = root
      for _ = 2, n do
        cur[1] = {}
        cur = cur[1]
      end
      return root
    end

    it("1000 nested arrays encode, 1001 do not", function()
      local s = json.encode(nest(1000))
      assert.equals(string.rep("[", 999) .. "{}" .. string.rep("]", 999), s)
      local msg = err_of(json.encode, nest(1001))
      assert_contains(msg, "nesting deeper than 1000 at [1][1]")
      assert(#msg < 400, "deep paths are shortened")
    end)

    it("C API leaves the buffer and stack clean after an error", function()
      -- encode after a failure works and returns only the new value
      pcall(json.encode, { 1, 2, print })
      assert.equals("[1,2]", json.encode({ 1, 2 }))
    end)
  end)

  describe("decode errors name the byte offset (0-based)", function()
    local rows = {
      { "empty input", "", "unexpected end of input at byte 0" },
      { "only whitespace", "  ", "unexpected end of input at byte 2" },
      { "trailing comma array", "[1,]", "expected value at byte 3" },
      { "trailing comma object", '{"a":1,}', "expected string key at byte 7" },
      { "leading zero", "01", "leading zero) at byte 0" },
      { "leading zero negative", "-01", "leading zero) at byte 0" },
      { "dot without digits", "1.", "digit expected) at byte 2" },
      { "exponent without digits", "1e", "digit expected) at byte 2" },
      { "exponent sign only", "1e+", "digit expected) at byte 3" },
      { "leading dot", ".5", "expected value at byte 0" },
      { "plus sign", "+1", "expected value at byte 0" },
      { "minus alone", "-", "invalid number at byte 0" },
      { "NaN", "NaN", "expected value at byte 0" },
      { "Infinity", "[Infinity]", "expected value at byte 1" },
      { "-Infinity", "-Infinity", "invalid number at byte 0" },
      { "single quotes", "'a'", "expected value at byte 0" },
      { "comment", "/* c */ 1", "expected value at byte 0" },
      { "line comment", "[1] // c", "unexpected data after the value at byte 4" },
      { "trailing garbage", "[1] x", "unexpected data after the value at byte 4" },
      { "two values", "1 2", "unexpected data after the value at byte 2" },
      { "control char in string", '"a\tb"', "control character in string at byte 2" },
      { "newline in string", '"a\nb"', "control character in string at byte 2" },
      { "NUL in string", '"a\0b"', "control character in string at byte 2" },
      { "bad escape", [["\x41"]], "invalid escape at byte 1" },
      { "escaped single quote", [["\'"]], "invalid escape at byte 1" },
      { "short \\u", [["\u12"]], "invalid \\u escape at byte 1" },
      { "bad hex", [["ab\u12G4"]], "invalid \\u escape at byte 3" },
      { "unterminated string", '"abc', "unterminated string at byte 0" },
      { "unterminated after escape", '"abc\\', "unterminated string at byte 0" },
      { "truncated literal", "tru", "invalid literal at byte 0" },
      { "capitalized literal", "True", "expected value at byte 0" },
      { "nul literal", "[nul]", "invalid literal at byte 1" },
      { "missing colon", '{"a" 1}', "expected ':' at byte 5" },
      { "missing comma array", "[1 2]", "expected ',' or ']' at byte 3" },
      { "missing comma object", '{"a":1 "b":2}', "expected ',' or '}' at byte 7" },
      { "number key", "{1:2}", "expected string key at byte 1" },
      { "unclosed array", "[", "unexpected end of input at byte 1" },
      { "unclosed object", '{"a":1', "unexpected end of input at byte 6" },
      { "byte order mark", "\xEF\xBB\xBF1", "expected value at byte 0" },
      { "hex number", "0x10", "unexpected data after the value at byte 1" },
    }
    for _, r in ipairs(rows) do
      it(r[1], function()
        local msg = err_of(json.decode, r[2])
        assert_contains(msg, "invalid JSON: ")
        assert_contains(msg, r[3])
      end)
    end

    it("1000 nested arrays decode, 1001 do not", function()
      local v = json.decode(string.rep("[", 1000) .. string.rep("]", 1000))
      for _ = 1, 999 do v = v[1] end
      assert.equals(array_mt, getmetatable(v))
      assert_contains(err_of(json.decode, string.rep("[", 1001) .. string.rep("]", 1001)),
        "nesting deeper than 1000 at byte 1000")
      assert_contains(err_of(json.decode, string.rep('{"a":', 1001) .. "1" .. string.rep("}", 1001)),
        "nesting deeper than 1000 at byte 5000")
    end)

    it("an escape error inside a long string in batched containers", function()
      -- fuzz_json_decode regression: the error path used to leave a
      -- to-be-closed luaL_Buffer box on the stack (Lua 5.4.4 lua_settop
      -- then could keep a dangling top).
      local f = assert(io.open("fuzz/corpus/json/regress_escape_error_in_batch.json", "rb"))
      local text = f:read("*a")
      f:close()
      assert_contains(err_of(json.decode, text), "invalid escape at byte 3882")
      local long = '["' .. string.rep("\\n", 1000) .. '\\x"]'
      assert_contains(err_of(json.decode, long), "invalid escape at byte 2002")
      local ok = '["' .. string.rep("\\n", 1000) .. '"]'
      assert.equals(string.rep("\n", 1000), json.decode(ok)[1])
    end)

    it("100000 '[' is an error, not a crash", function()
      assert_contains(err_of(json.decode, string.rep("[", 100000)), "nesting deeper than 1000")
      assert_contains(err_of(json.decode, string.rep('{"a":[', 50000)), "nesting deeper than 1000")
    end)
  end)

  describe("round trip", function()
    it("integer and float subtypes survive", function()
      local v = { i = 3, f = 3.0, z = 0, fz = 0.0, nz = -0.0, big = math.maxinteger,
        small = math.mininteger, t = { 1, 2.0, -3, -4.5 } }
      local d = json.decode(json.encode(v))
      assert_strict(v, d)
      assert.equals("integer", math.type(d.i))
      assert.equals("float", math.type(d.f))
      assert.equals("float", math.type(d.t[2]))
    end)

    it("decode(encode(x)) equals x for 2000 generated values, floats exactly", function()
      rng_state = 12345
      for i = 1, 2000 do
        local x = rand_value(0, {})
        local s = json.encode(x)
        local ok, why = strict_equal(x, json.decode(s))
        assert(ok, "value " .. i .. ": " .. tostring(why) .. "\n" .. s)
        -- encoding is a function of the value: re-encoding gives the same
        -- length (key order may differ between two tables)
        assert.equals(#s, #json.encode(json.decode(s)))
      end
    end)

    it("message.json", function()
      local f = io.open("/work/shared/data/message.json", "rb")
      if not f then return end
      local text = f:read("*a")
      f:close()
      local v = json.decode(text)
      assert.equals(9007199254740991, v.id)
      assert.equals("integer", math.type(v.id))
      assert.equals(math.pi, v.pi)
      assert.equals("quote \" backslash \\ slash / newline \n tab \t cr \r", v.escapes)
      assert.equals("bell \a unit-sep \31", v.control)
      assert_strict(v, json.decode(json.encode(v)))
      assert.same(cjson.decode(text).scores, v.scores)
    end)
  end)

  describe("agrees with lua-cjson", function()
    local tricky = { "", "\0", "\"", "\\", "/", "\\/", "\127", "é", "€", "𝄞",
      "\u{10FFFF}", "\u{FFFF}", "\u{E000}", "\u{D7FF}", "a\"b\\c/d\ne\tf",
      "Zoë Ångström", "こんにちは世界", "rocket 🚀 and snake 🐍",
      string.rep("x", 7) .. "\"", string.rep("y", 8) .. "\n" .. string.rep("z", 9),
      string.rep("abcdefgh", 100) .. "é" .. string.rep("\\", 17) }
    for c = 0, 31 do tricky[#tricky + 1] = "<" .. string.char(c) .. ">" end

    it("on tricky strings, both directions", function()
      for _, s in ipairs(tricky) do
        assert.equals(s, cjson.decode(json.encode(s)))
        assert.equals(s, json.decode(cjson.encode(s)))
        assert.equals(s, json.decode(json.encode(s)))
        local t = { [s] = s }
        assert.same(t, cjson.decode(json.encode(t)))
        assert.same(t, json.decode(cjson.encode(t)))
      end
    end)

    it("on 2000 generated values, both directions", function()
      rng_state = 777
      for i = 1, 2000 do
        local x = rand_value(0, { cjson = true })
        local ours = json.encode(x)
        local ok, why = cross_equal(x, cjson.decode(ours))
        assert(ok, "cjson.decode(ours) #" .. i .. ": " .. tostring(why) .. "\n" .. ours)
        -- cjson needs its own null
        local function to_cjson(v)
          if v == null then return cjson.null end
          if type(v) ~= "table" then return v end
          local t = {}
          for k, e in pairs(v) do t[k] = to_cjson(e) end
          return t
        end
        local theirs = cjson.encode(to_cjson(x))
        ok, why = cross_equal(x, json.decode(theirs))
        assert(ok, "json.decode(cjson) #" .. i .. ": " .. tostring(why) .. "\n" .. theirs)
      end
    end)
  end)
end)
