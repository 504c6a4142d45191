--- json_check.lua — deep equality that also compares math.type, for the
--- W8 round-trip check (decode(encode(decode(s))) equals decode(s)).
local M = {}
local function eq(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) == "number" then return math.type(a) == math.type(b) and a == b end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not eq(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
M.eq = eq

--- Every number of the message, as text, must read back to the same value.
function M.roundtrip(encode, decode, text)
  local v = decode(text)
  return eq(v, decode(encode(v)))
end

--- Number fields compared with the original text's numbers (catches a
--- decoder that rounds, e.g. 9007199254740991 read as a float).
function M.numbers_exact(decode, text)
  local v = decode(text)
  local id = v.id
  return math.type(id) == "integer" and id == 9007199254740991
    and v.pi == 3.141592653589793 and v.scores[20] == 12345.678
end
return M
