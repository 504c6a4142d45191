--- options.lua — validation and normalisation of the arguments of spawn,
--- exec, execFile, fork and the sync variants.  Every wrong type is a
--- `bad argument #n to 'fn' (...)` naming the option; what comes out is the
--- plain table that core.spawn (src/process.c) expects.
local core = require("child_process.core")
local util = require("child_process.util")
local abort = require("child_process.abort")
local pipeline = require("child_process.pipeline")
local compat = require("child_process.compat")
local math = compat.math
local mathtype = compat.mathtype

local argerror, signum = util.argerror, util.signum

local M = {}

local function has_nul(s)
  return s:find("\0", 1, true) ~= nil
end

--- Is `t` an array (keys 1..n only)?  Empty tables count as arrays.
function M.is_array(t)
  local n = 0
  for k in pairs(t) do
    if mathtype(k) ~= "integer" or k < 1 then return false end
    n = n + 1
  end
  return n == #t
end

--- Split Node's optional middle arguments: (args, options, callback).
--- `args` may be left out when the next argument is an options table (a
--- table with non-array keys) or a function.
function M.shift(args, options, callback)
  if type(args) == "function" then return nil, nil, args end
  if type(args) == "table" and options == nil and callback == nil and next(args) ~= nil
     and not M.is_array(args) then
    return nil, args, nil
  end
  if type(args) == "table" and type(options) == "function" and callback == nil then
    -- execFile(file, options, cb): a table with non-array keys is options.
    if next(args) ~= nil and not M.is_array(args) then return nil, args, options end
    return args, nil, options
  end
  if args == nil and type(options) == "function" then return nil, nil, options end
  return args, options, callback
end

function M.check_command(command, n, fname, what)
  if type(command) ~= "string" then
    argerror(n, fname, (what or "command") .. " must be a string, got " .. type(command))
  end
  if command == "" then argerror(n, fname, (what or "command") .. " must not be empty") end
  if has_nul(command) then argerror(n, fname, (what or "command") .. " must not contain NUL bytes") end
end

--- args: nil or an array of strings (numbers converted) → a new array.
function M.check_args(args, n, fname)
  if args == nil then return {} end
  if type(args) ~= "table" then argerror(n, fname, "args must be a table, got " .. type(args)) end
  local out = {}
  for i = 1, #args do
    local a = args[i]
    local t = type(a)
    if t == "number" then
      a = tostring(a)
    elseif t ~= "string" then
      argerror(n, fname, ("args[%d] must be a string, got %s"):format(i, t))
    end
    if has_nul(a) then argerror(n, fname, ("args[%d] must not contain NUL bytes"):format(i)) end
    out[i] = a
  end
  return out
end

local function opt_type(o, key, want, n, fname)
  local v = o[key]
  if v ~= nil and type(v) ~= want then
    argerror(n, fname, ("option '%s' must be a %s, got %s"):format(key, want, type(v)))
  end
  return v
end

-- Beyond 2^53 ms (285 000 years) a limit is no limit: a timer could not
-- even hold it.
local NO_LIMIT = 2 ^ 53

--- A count option (ms, bytes): a non-negative integer (an integral float
--- too, as in JavaScript, where 3.0 is 3); math.huge and anything past
--- 2^53 mean no limit (nil).  Checked before anything is started.
local function opt_ms(o, key, n, fname)
  local v = o[key]
  if v == nil then return nil end
  if type(v) ~= "number" or v ~= v or v < 0 or (v < NO_LIMIT and v ~= math.floor(v)) then
    argerror(n, fname, ("option '%s' must be a non-negative integer, got %s"):format(key, tostring(v)))
  end
  if v >= NO_LIMIT then return nil end
  return math.tointeger(v)
end

-- A signal option: name or number (default SIGTERM); errors name the
-- option.  0 is no signal: Node refuses it as a killSignal.
local function opt_signal(o, key, n, fname)
  local v = o[key]
  local ok, num = pcall(signum, v, n, fname, "SIGTERM")
  if not ok or num == 0 then
    argerror(n, fname, ("option '%s' must be a signal name or number, got %s"):format(key,
      type(v) == "string" and ("'" .. v .. "'") or tostring(v)))
  end
  return num
end

local function opt_id(o, key, n, fname)
  local v = o[key]
  if v == nil then return nil end
  if mathtype(v) ~= "integer" or v < 0 or v > 0x7fffffff then
    argerror(n, fname, ("option '%s' must be a non-negative integer, got %s"):format(key, tostring(v)))
  end
  return v
end

--- env: a table of string → string (numbers converted) → array of "K=V".
--- nil means inherit, except when `extra` must be added (IPC variables).
function M.env_array(env, n, fname, extra)
  if env == nil and extra == nil then return nil end
  local out = {}
  local src = env or core.environ()
  for k, v in pairs(src) do
    if type(k) ~= "string" then
      argerror(n, fname, "option 'env' keys must be strings, got " .. type(k))
    end
    local tv = type(v)
    if tv == "number" then
      v = tostring(v)
    elseif tv ~= "string" then
      argerror(n, fname, ("option 'env' value of '%s' must be a string, got %s"):format(k, tv))
    end
    if k == "" or k:find("=", 1, true) or has_nul(k) or has_nul(v) then
      argerror(n, fname, ("option 'env' has an invalid entry '%s'"):format(k))
    end
    if not (extra and extra[k] ~= nil) then
      out[#out + 1] = k .. "=" .. v
    end
  end
  if extra then
    for k, v in pairs(extra) do out[#out + 1] = k .. "=" .. v end
  end
  return out
end

local STDIO_NAMES = { pipe = true, ignore = true, inherit = true, ipc = true }

--- stdio: a string or an array (1-based, holes allowed) → array of
--- "pipe" | "ipc" | "ignore" | fd, the index of the "ipc" entry, and the
--- other children's streams given as entries (nil if none).
function M.stdio(stdio, n, fname, default)
  default = default or { "pipe", "pipe", "pipe" }
  if stdio == nil then stdio = default end
  if type(stdio) == "string" then
    if stdio ~= "pipe" and stdio ~= "ignore" and stdio ~= "inherit" then
      argerror(n, fname, "option 'stdio' must be 'pipe', 'ignore', 'inherit' or a table, got '" .. stdio .. "'")
    end
    stdio = { stdio, stdio, stdio }
  elseif type(stdio) ~= "table" then
    argerror(n, fname, "option 'stdio' must be a string or a table, got " .. type(stdio))
  end
  local max = 3
  for k in pairs(stdio) do
    if mathtype(k) ~= "integer" or k < 1 or k > 64 then
      argerror(n, fname, "option 'stdio' must be an array of at most 64 entries")
    end
    if k > max then max = k end
  end
  local out, ipc, handed = {}, nil, nil
  for i = 1, max do
    local v = stdio[i]
    if v == nil then v = i <= 3 and "pipe" or "ignore" end
    local t = type(v)
    if t == "string" then
      if not STDIO_NAMES[v] then
        argerror(n, fname, ("option 'stdio[%d]' is not a valid stdio value: '%s'"):format(i, v))
      end
      if v == "inherit" then
        v = i - 1
      elseif v == "ipc" then
        if ipc then argerror(n, fname, "option 'stdio' may hold only one 'ipc' entry") end
        ipc = i
      end
    elseif mathtype(v) == "integer" then
      if v < 0 then argerror(n, fname, ("option 'stdio[%d]' must be a non-negative fd, got %d"):format(i, v)) end
    elseif io.type(v) == "file" then
      v = core.file_fd(v)
    elseif io.type(v) == "closed file" then
      argerror(n, fname, ("option 'stdio[%d]' is a closed file"):format(i))
    elseif pipeline.is_stream(v) then
      -- Another child's stream: its fd is handed over (pipeline.lua).
      local fd, why = pipeline.stream_fd(v)
      if not fd then argerror(n, fname, ("option 'stdio[%d]' is %s"):format(i, why)) end
      handed = handed or {}
      handed[#handed + 1] = v
      v = fd
    else
      argerror(n, fname, ("option 'stdio[%d]' must be a stdio name, an fd or a file, got %s"):format(i, t))
    end
    out[i] = v
  end
  return out, ipc, handed
end

--- The whole of spawn's options → the table core.spawn takes.  `n` is the
--- position of the options argument; `cmdn` that of the command.
function M.spawn(fname, command, args, options, n, extra_env, default_stdio)
  M.check_command(command, 1, fname)
  args = M.check_args(args, 2, fname)
  if options ~= nil and type(options) ~= "table" then
    argerror(n, fname, "options must be a table, got " .. type(options))
  end
  local o = options or {}
  local cwd = opt_type(o, "cwd", "string", n, fname)
  if cwd == "" then cwd = nil end -- as in Node: an empty cwd is the parent's
  if cwd and has_nul(cwd) then argerror(n, fname, "option 'cwd' must not contain NUL bytes") end
  local argv0 = opt_type(o, "argv0", "string", n, fname)
  if argv0 and has_nul(argv0) then argerror(n, fname, "option 'argv0' must not contain NUL bytes") end
  opt_type(o, "detached", "boolean", n, fname)
  opt_type(o, "group", "boolean", n, fname)
  opt_type(o, "dieWithParent", "boolean", n, fname)
  if o.group and o.detached then
    argerror(n, fname, "option 'group' cannot be combined with 'detached' (a detached child already leads "
      .. "its own process group, in a new session)")
  end
  if o.signal ~= nil and not abort.is_signal(o.signal) then
    argerror(n, fname, "option 'signal' must be an AbortSignal (cp.AbortController().signal), got "
      .. type(o.signal))
  end
  local shell = o.shell
  if shell ~= nil and type(shell) ~= "boolean" and type(shell) ~= "string" then
    argerror(n, fname, "option 'shell' must be a boolean or a string, got " .. type(shell))
  end
  if o.env ~= nil and type(o.env) ~= "table" then
    argerror(n, fname, "option 'env' must be a table, got " .. type(o.env))
  end
  local stdio, ipc, handed = M.stdio(o.stdio, n, fname, default_stdio)
  if ipc then
    extra_env = extra_env or {}
    extra_env.NODE_CHANNEL_FD = tostring(ipc - 1)
    extra_env.NODE_CHANNEL_SERIALIZATION_MODE = "json"
  end
  local spec = {
    cwd = cwd,
    env = M.env_array(o.env, n, fname, extra_env),
    uid = opt_id(o, "uid", n, fname),
    gid = opt_id(o, "gid", n, fname),
    detached = o.detached == true,
    group = o.group == true,
    stdio = stdio,
    ipc = ipc,
    handed = handed,
    signal = o.signal,
    timeout = opt_ms(o, "timeout", n, fname),
    killSignal = opt_signal(o, "killSignal", n, fname),
    -- math.huge: no limit (nil from opt_ms would mean the default).
    maxMessageSize = opt_ms(o, "maxMessageSize", n, fname) or (o.maxMessageSize and math.maxinteger),
  }
  if o.dieWithParent then spec.pdeathsig = spec.killSignal end
  if shell then
    local sh = shell == true and "/bin/sh" or shell
    if has_nul(sh) then argerror(n, fname, "option 'shell' must not contain NUL bytes") end
    local line = command
    if #args > 0 then line = command .. " " .. table.concat(args, " ") end
    spec.file = sh
    spec.args = { argv0 or sh, "-c", line }
    spec.spawnargs = { sh, "-c", line }
  else
    spec.file = command
    local argv = { argv0 or command }
    compat.move(args, 1, #args, 2, argv)
    spec.args = argv
    spec.spawnargs = compat.move(args, 1, #args, 2, { command })
  end
  spec.spawnfile = spec.file
  return spec
end

--- maxBuffer and friends for exec, execFile and the sync calls.
M.ms = opt_ms
function M.max_buffer(o, n, fname)
  local v = o.maxBuffer
  if v == nil then return 1024 * 1024 end
  if type(v) ~= "number" or v ~= v or v < 0 then
    argerror(n, fname, "option 'maxBuffer' must be a non-negative number, got " .. tostring(v))
  end
  -- Always an integer: core.spawn_sync reads it as one (a float such as
  -- 1e300 would fall back to the default).
  return v >= NO_LIMIT and math.maxinteger or math.tointeger(math.floor(v))
end

return M
