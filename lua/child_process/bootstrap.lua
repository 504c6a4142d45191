--- bootstrap.lua — what a forked Lua child runs, on any Lua 5.1-5.4 or LuaJIT:
---     lua <this file> script.lua args…
--- It finds the module next to itself, installs the global `process`
--- (process.lua), runs the script with `arg` set to its own arguments,
--- then runs the event loop until nothing keeps it alive.  An uncaught
--- error prints its traceback to stderr and exits with status 1.
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local root = here:match("^(.*)/[^/]*$") or (here == "." and ".." or ".")
package.path = root .. "/?.lua;" .. root .. "/?/init.lua;" .. package.path
local cpath = os.getenv("CHILD_PROCESS_LUA_CPATH")
-- A checkout builds 5.4 into build/, another engine into build/<engine>/.
local engine = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
local build = root .. "/../build/" .. (engine == "lua5.4" and "" or engine .. "/")
package.cpath = (cpath and (cpath .. ";") or "") .. build .. "?.so;" .. package.cpath
-- A luarocks tree keeps the C part in lib/lua/5.x, beside share/lua/5.x.
local tree, version = root:match("^(.*)/share/lua/(%d+%.%d+)$")
if tree then package.cpath = tree .. "/lib/lua/" .. version .. "/?.so;" .. package.cpath end

local script = arg and arg[1]
if not script then
  io.stderr:write("usage: lua bootstrap.lua script.lua [args...]\n")
  os.exit(2)
end

-- As if run as `lua [options] script args…`: the bootstrap disappears.
local args = { [0] = script }
for i = -1, -math.huge, -1 do
  if arg[i] == nil then break end
  args[i] = arg[i]
end
for i = 2, #arg do args[i - 1] = arg[i] end
arg = args -- luacheck: ignore (the script's own `arg`, as with `lua script.lua`)

local cp = require("child_process")
local runtime = require("child_process.process")
local compat = require("child_process.compat")
local process, channel = runtime.new(script, args)
_G.process = process -- the one documented global
cp.parentPort = process.parentPort

local function die(err)
  local report = tostring(err)
  io.stderr:write(report, "\n")
  -- The parent learns why (utilityProcess's `error` event); other parents
  -- ignore this internal message.
  if channel and not channel:is_closed() and process.connected then
    channel:send({ cmd = "NODE_LUA_ERROR", type = "FatalError",
      location = report:match("^([^\n]-:%d+):") or "", report = report })
  end
  runtime.flush(channel)
  os.exit(1)
end

local chunk, lerr = loadfile(script)
if not chunk then die(lerr) end
local ok, err = compat.xpcall(chunk, debug.traceback, compat.unpack(args, 1, #args))
if not ok then die(err) end
ok, err = pcall(cp.run)
if not ok then die(err) end
runtime.flush(channel)
os.exit(process.exitCode or 0)
