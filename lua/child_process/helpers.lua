--- helpers.lua — cp.env(overrides), a copy of the environment for
--- options.env, and cp.kill(pid, signal), Node's process.kill.
local core = require("child_process.core")
local util = require("child_process.util")
local math = require("child_process.compat").math

local argcheck, argerror = util.argcheck, util.argerror

local M = {}

--- env([overrides]) → a new table: the current environment with
--- `overrides` applied (a string or number sets a variable, false removes it).
function M.env(overrides)
  argcheck(overrides == nil or type(overrides) == "table", 1, "env",
    "table expected, got " .. type(overrides))
  local env = core.environ()
  for k, v in pairs(overrides or {}) do
    if type(k) ~= "string" or k == "" or k:find("[=%z]") then
      argerror(1, "env", "keys must be variable names (non-empty strings without '=' or NUL), got "
        .. (type(k) == "string" and ("'" .. k .. "'") or type(k)))
    end
    local tv = type(v)
    if v == false then
      env[k] = nil
    elseif tv == "string" or tv == "number" then
      v = tostring(v)
      if v:find("\0", 1, true) then argerror(1, "env", ("value of '%s' must not contain NUL bytes"):format(k)) end
      env[k] = v
    else
      argerror(1, "env", ("value of '%s' must be a string, a number or false, got %s"):format(k, tv))
    end
  end
  return env
end

--- kill(pid [, signal]) → true, or false and an error value (`code`:
--- "ESRCH" for a pid that is gone, "EPERM"…).  A negative pid signals
--- that process group; signal 0 only checks that the process exists.
function M.kill(pid, sig)
  local p = type(pid) == "number" and math.tointeger(pid) or nil
  argcheck(p ~= nil, 1, "kill",
    "pid must be an integer, got " .. (type(pid) == "number" and tostring(pid) or type(pid)))
  local num = util.signum(sig, 2, "kill", "SIGTERM")
  local ok, code, errno = core.kill(p, num)
  if ok then return true end
  return false, util.error(code, ("kill %s: %s"):format(code, core.strerror(errno)),
    { errno = errno, syscall = "kill", pid = p })
end

return M
