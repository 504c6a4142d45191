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

--- math.tointeger: the integer value of x, or nil (doubles only: as mathtype,
--- -0 gives 0).
M.tointeger = math.tointeger or function(x)
  if M.mathtype(x) ~= "integer" then return x == 0 and 0 or nil end
  return x
end

--- `local math = compat.math`: the math library with type, tointeger and
--- maxinteger.  Lua's own table from 5.3 on (nothing in between); below, a
--- table that falls back to it.
M.math = math
if not math.type then
  M.math = setmetatable({ type = M.mathtype, tointeger = M.tointeger, maxinteger = M.maxinteger,
    mininteger = -M.maxinteger }, { __index = math })
end

--- `local table = compat.table`: table.unpack, pack and move on 5.1/LuaJIT.
M.table = table
if not (table.unpack and table.move) then
  M.table = setmetatable({ unpack = M.unpack, pack = M.pack, move = M.move }, { __index = table })
end

--- utf8.len(s) as far as this module uses it: the number of characters,
--- or nil and the byte position of the first invalid sequence (strict:
--- no overlong forms, surrogates or code points above U+10FFFF).
local function utf8len(s)
  local n, i, len = 0, 1, #s
  local byte = string.byte
  while i <= len do
    local c = byte(s, i)
    local extra, min
    if c < 0x80 then extra, min = 0, 0
    elseif c >= 0xC2 and c <= 0xDF then extra, min = 1, 0x80
    elseif c >= 0xE0 and c <= 0xEF then extra, min = 2, 0x800
    elseif c >= 0xF0 and c <= 0xF4 then extra, min = 3, 0x10000
    else return nil, i end
    local cp = extra == 0 and c or c % (2 ^ (6 - extra))
    for k = 1, extra do
      local b = byte(s, i + k)
      if not b or b < 0x80 or b > 0xBF then return nil, i end
      cp = cp * 64 + b % 64
    end
    if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return nil, i end
    n, i = n + 1, i + extra + 1
  end
  return n
end
M.utf8 = rawget(_G, "utf8") or { len = utf8len }

--- guard(fn): an object whose collection calls fn, kept as a field of what
--- it guards.  Tables have __gc from 5.2 on; 5.1 and LuaJIT need a userdata.
function M.guard(fn) return setmetatable({}, { __gc = fn }) end
local newproxy = rawget(_G, "newproxy")
if newproxy and _VERSION == "Lua 5.1" then
  M.guard = function(fn)
    local u = newproxy(true)
    getmetatable(u).__gc = fn
    return u
  end
end

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

--- pcall that a coroutine can yield through.  PUC Lua 5.1 cannot yield
--- across pcall (a C function): there f runs in a coroutine of its own
--- whose yields are passed on, coxpcall-style.  Elsewhere Lua's pcall.
M.pcall = pcall
if _VERSION == "Lua 5.1" and not rawget(_G, "jit") then
  local create, resume, yield, status, running = coroutine.create, coroutine.resume,
    coroutine.yield, coroutine.status, coroutine.running
  local function step(co, ok, ...)
    if not ok then return false, ... end
    if status(co) == "dead" then return true, ... end
    return step(co, resume(co, yield(...)))
  end
  M.pcall = function(f, ...)
    if not running() then return pcall(f, ...) end -- the main thread cannot yield anyway
    local co = create(function(...) return f(...) end)
    return step(co, resume(co, ...))
  end
end

return M
