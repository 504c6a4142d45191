--- spec/installed.lua — what `luarocks test` runs (the rockspec's `test`
--- section): the busted suite against the INSTALLED rock, not the checkout.
---
---   luarocks --lua-version=5.4 make rockspec/child_process-scm-1.rockspec
---   luarocks --lua-version=5.4 test rockspec/child_process-scm-1.rockspec [busted args]
---
--- The rock is looked up on LUA_PATH / LUA_CPATH (as set by
--- `eval "$(luarocks --tree=T path)"` for a tree of your own), then in the
--- trees luarocks knows.  It runs on the interpreter luarocks runs it with.
local lua = arg[-1] or "lua"
local version = _VERSION:match("%d+%.%d+")

local function sh(cmd)
  local p = io.popen(cmd)
  local out = p:read("*a")
  p:close()
  return (out:gsub("%s+$", ""))
end

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function join(a, b)
  if a == nil or a == "" then return b end
  return a .. ";" .. b
end

local lr_path = sh("luarocks --lua-version=" .. version .. " path --lr-path 2>/dev/null")
local lr_cpath = sh("luarocks --lua-version=" .. version .. " path --lr-cpath 2>/dev/null")
local lpath = join(join(os.getenv("LUA_PATH"), lr_path), ";")
local cpath = join(join(os.getenv("LUA_CPATH"), lr_cpath), ";")

-- ";;" in these stands for the interpreter's default path.
local function expand(p, default) return (p:gsub(";;+", ";" .. default .. ";")) end
local function searchpath(name, path) -- package.searchpath, which Lua 5.1 lacks
  for template in path:gmatch("[^;]+") do
    local file = template:gsub("%?", (name:gsub("%.", "/")))
    local f = io.open(file, "r")
    if f then f:close() return file end
  end
end
local mod = searchpath("child_process", expand(lpath, package.path))
local core = searchpath("child_process.core", expand(cpath, package.cpath))
local cwd = sh("pwd")
if not mod or not core then
  io.stderr:write("spec/installed.lua: the child_process rock is not installed for Lua ", version,
    " (luarocks make rockspec/child_process-scm-1.rockspec first)\n")
  os.exit(1)
end
if mod:sub(1, #cwd + 5) == cwd .. "/lua/" or mod:match("^%.?/?lua/") then
  io.stderr:write("spec/installed.lua: child_process resolves to the checkout (", mod, "), not to a rock\n")
  os.exit(1)
end
print("luarocks test: " .. mod .. " and " .. core .. " on " .. lua)
io.stdout:flush()

local args = {}
for i = 1, #arg do args[#args + 1] = q(arg[i]) end
if #args == 0 then args[1] = "spec" end
-- Debian's busted is a Lua script for whatever `lua` is: run it on our
-- interpreter (the paths above are this version's); a luarocks-made busted
-- is a shell wrapper that takes --lua.
local busted = sh("command -v busted")
local f = io.open(busted, "r")
local first = f and f:read("*l") or ""
if f then f:close() end
local run = first:match("^#!.*lua") and (q(lua) .. " " .. q(busted)) or (q(busted) .. " --lua=" .. q(lua))
local ok, how, code = os.execute("LUA_PATH=" .. q(lpath) .. " LUA_CPATH=" .. q(cpath) .. " " ..
  run .. " " .. table.concat(args, " "))
if type(ok) == "number" then os.exit(ok == 0 and 0 or 1) end -- Lua 5.1
os.exit(ok and 0 or (how == "exit" and code or 1))
