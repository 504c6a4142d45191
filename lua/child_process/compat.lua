--- compat.lua — what the module uses of Lua 5.3/5.4's standard library, on
--- Lua 5.1, 5.2 and LuaJIT 2.1 too: taken from the running Lua where it
--- exists, else a small Lua version.  Nothing global is changed.
local M = {}

local unpack = table.unpack or unpack -- luacheck: ignore (5.1's global)
M.unpack = unpack

function M.pack(...) return { n = select("#", ...), ... } end
if table.pack then M.pack = table.pack end

--- table.move(a1, f, e, t [, a2])
M.move = table.move or function(a1, f, e, t, a2)
  a2 = a2 or a1
  if e >= f then
    if t > f or t > e or a1 ~= a2 then
      for i = 0, e - f do a2[t + i] = a1[f + i] end
    else
      for i = e - f, 0, -1 do a2[t + i] = a1[f + i] end
    end
  end
  return a2
end

--- math.type: where every number is a double (5.1, 5.2, LuaJIT), an
--- integral value within ±2^53 (but not -0) counts as an integer, as in the
--- C part.
M.mathtype = math.type or function(x)
  if type(x) ~= "number" then return nil end
  if x == 0 then return 1 / x > 0 and "integer" or "float" end -- -0 is a float
  if x == math.floor(x) and x >= -2 ^ 53 and x <= 2 ^ 53 then return "integer" end
  return "float"
end

--- The largest integer: math.maxinteger, or 2^53 where numbers are doubles.
M.maxinteger = math.maxinteger or 2 ^ 53

--- package.searchpath (5.2+, LuaJIT)
M.searchpath = package.searchpath or function(name, path)
  name = name:gsub("%.", "/")
  for template in path:gmatch("[^;]+") do
    local file = template:gsub("%?", name)
    local f = io.open(file, "r")
    if f then
      f:close()
      return file
    end
  end
  return nil
end

--- The name of this Lua's interpreter, for when the running program is not
--- one (an embedding host): "lua5.4", "lua5.1", "luajit"…
M.interpreter = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))

--- xpcall(f, handler, ...): 5.1 passes no arguments to f.
M.xpcall = xpcall
if select(2, xpcall(function(a) return a end, debug.traceback, true)) ~= true then
  M.xpcall = function(f, handler, ...)
    local n, args = select("#", ...), { ... }
    return xpcall(function() return f(unpack(args, 1, n)) end, handler)
  end
end

return M
