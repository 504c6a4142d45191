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

--- The absolute path of bootstrap.lua, the child runtime's entry point.
function M.bootstrap_path()
  local p = compat.searchpath("child_process.bootstrap", package.path)
  if not p then error("child_process: cannot find child_process/bootstrap.lua on package.path") end
  return absolute(p)
end

-- Where the C part was loaded from, so that the child finds the same one.
local function core_cpath()
  local p = compat.searchpath("child_process.core", package.cpath)
  if not p then return nil end
  -- .../child_process/core.so → .../?.so
  return dirname(dirname(absolute(p))) .. "/?.so"
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
  args, opts = options.shift(args, opts)
  options.check_command(modulePath, 1, "fork", "modulePath")
  if opts ~= nil and type(opts) ~= "table" then argerror(3, "fork", "options must be a table, got " .. type(opts)) end
  local o = opts or {}
  local execPath = o.execPath
  if execPath ~= nil and type(execPath) ~= "string" then
    argerror(3, "fork", "option 'execPath' must be a string, got " .. type(execPath))
  end
  execPath = execPath or M.default_exec_path()
  local execArgv = o.execArgv
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
    extra_env = { CHILD_PROCESS_LUA_CPATH = core_cpath() }
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
