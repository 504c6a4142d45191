--- fork.lua — fork(modulePath, args, options): a spawn with an "ipc" stdio
--- entry whose command is a Lua interpreter running bootstrap.lua around
--- the script (or any other execPath, such as node, without bootstrap).
local core = require("child_process.core")
local options = require("child_process.options")
local child_process = require("child_process.child_process")
local util = require("child_process.util")
local compat = require("child_process.compat")

local argerror = util.argerror

local M = {}

local function dirname(p)
  return p:match("^(.*)/[^/]*$") or "."
end

local function absolute(p)
  if p:sub(1, 1) == "/" then return p end
  return (core.cwd() or ".") .. "/" .. p:gsub("^%./", "")
end

-- Both paths are found when the module loads: package.searchpath opens
-- the files, which fails once the process is out of fds (EMFILE), and a
-- fork then must fail with an EMFILE error event, not "cannot find".
local BOOTSTRAP = compat.searchpath("child_process.bootstrap", package.path)
BOOTSTRAP = BOOTSTRAP and absolute(BOOTSTRAP)

--- The absolute path of bootstrap.lua, the child runtime's entry point.
function M.bootstrap_path()
  if not BOOTSTRAP then
    BOOTSTRAP = compat.searchpath("child_process.bootstrap", package.path)
    if not BOOTSTRAP then error("child_process: cannot find child_process/bootstrap.lua on package.path") end
    BOOTSTRAP = absolute(BOOTSTRAP)
  end
  return BOOTSTRAP
end

-- Where the C part was loaded from, so that the child finds the same one:
-- .../child_process/core.so → .../?.so
local CORE_CPATH = compat.searchpath("child_process.core", package.cpath)
CORE_CPATH = CORE_CPATH and (dirname(dirname(absolute(CORE_CPATH))) .. "/?.so")

-- The options the running interpreter was started with (`lua5.4 -W
-- script.lua` → {"-W"}): Node's process.execArgv, fork's default
-- execArgv.  `arg` holds them at negative indices, the interpreter at
-- the lowest.  -i and -v are left out: a child that prints the version
-- or turns interactive is not what a fork means.
local function parent_exec_argv()
  local a = rawget(_G, "arg")
  -- No script (`luajit -e …`: LuaJIT still fills arg): its -e chunks are
  -- not options a forked script should run again.
  if type(a) ~= "table" or a[0] == nil then return {} end
  local lo = 0
  while a[lo - 1] ~= nil do lo = lo - 1 end
  local out = {}
  for i = lo + 1, -1 do
    local v = a[i]
    if type(v) == "string" and v ~= "-i" and v ~= "-v" then out[#out + 1] = v end
  end
  return out
end

--- The Lua interpreter running this process (in a host that is not one:
--- the interpreter named after this Lua, "lua5.4", "luajit"…).
function M.default_exec_path()
  local exe = core.exepath()
  if exe and exe:match("[^/]*$"):match("^lua") then return exe end
  return compat.interpreter
end

local function is_lua(path)
  return path:match("[^/]*$"):match("^lua") ~= nil
end

--- fork(modulePath [, args] [, options]) → ChildProcess with IPC.
function M.fork(modulePath, args, opts)
  -- No callback here (unlike exec): a function is a wrong type, as in Node.
  if type(args) == "function" then argerror(2, "fork", "args must be a table, got function") end
  if type(opts) == "function" then argerror(3, "fork", "options must be a table, got function") end
  args, opts = options.shift(args, opts)
  options.check_command(modulePath, 1, "fork", "modulePath")
  if opts ~= nil and type(opts) ~= "table" then argerror(3, "fork", "options must be a table, got " .. type(opts)) end
  local o = opts or {}
  local execPath = o.execPath
  if execPath ~= nil and type(execPath) ~= "string" then
    argerror(3, "fork", "option 'execPath' must be a string, got " .. type(execPath))
  end
  local execArgv = o.execArgv
  if execArgv == nil and (execPath == nil or is_lua(execPath)) then
    -- As Node's process.execArgv; only for a Lua interpreter (node
    -- would not understand lua's options).
    execArgv = parent_exec_argv()
  end
  execPath = execPath or M.default_exec_path()
  if execArgv ~= nil then
    if type(execArgv) ~= "table" then
      argerror(3, "fork", "option 'execArgv' must be a table, got " .. type(execArgv))
    end
    for i = 1, #execArgv do
      local t = type(execArgv[i])
      if t ~= "string" and t ~= "number" then
        argerror(3, "fork", ("option 'execArgv[%d]' must be a string, got %s"):format(i, t))
      end
    end
  end
  execArgv = options.check_args(execArgv, 3, "fork")
  if o.serialization ~= nil and o.serialization ~= "json" then
    argerror(3, "fork", "option 'serialization' must be 'json'")
  end
  if o.bootstrap ~= nil and type(o.bootstrap) ~= "boolean" then
    argerror(3, "fork", "option 'bootstrap' must be a boolean, got " .. type(o.bootstrap))
  end
  if o.silent ~= nil and type(o.silent) ~= "boolean" then
    argerror(3, "fork", "option 'silent' must be a boolean, got " .. type(o.silent))
  end
  local stdio = o.stdio
  if stdio == nil then
    stdio = o.silent and { "pipe", "pipe", "pipe", "ipc" } or { "inherit", "inherit", "inherit", "ipc" }
  elseif type(stdio) == "string" then
    stdio = { stdio, stdio, stdio, "ipc" }
  end
  local bootstrap = o.bootstrap
  if bootstrap == nil then bootstrap = is_lua(execPath) end
  local argv = compat.move(execArgv, 1, #execArgv, 1, {})
  local extra_env
  if bootstrap then
    argv[#argv + 1] = M.bootstrap_path()
    extra_env = { CHILD_PROCESS_LUA_CPATH = CORE_CPATH }
  end
  argv[#argv + 1] = modulePath
  local user_args = options.check_args(args, 2, "fork")
  compat.move(user_args, 1, #user_args, #argv + 1, argv)
  local so = setmetatable({ stdio = stdio, shell = false }, { __index = o })
  local spec = options.spawn("fork", execPath, argv, so, 3, extra_env, nil)
  if not spec.ipc then argerror(3, "fork", "option 'stdio' must contain an 'ipc' entry") end
  return child_process.start(spec)
end

return M
