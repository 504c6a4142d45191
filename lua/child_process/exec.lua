--- exec.lua — exec and execFile: spawn with piped output collected into
--- strings (at most maxBuffer bytes per stream), then callback(err, stdout,
--- stderr).  exec goes through the shell; execFile never does.
local options = require("child_process.options")
local child_process = require("child_process.child_process")
local util = require("child_process.util")

local argcheck, argerror = util.argcheck, util.argerror

local M = {}

local MAXBUFFER = "ERR_CHILD_PROCESS_STDIO_MAXBUFFER"

local function make_error(cmd, code, signal, killed, stdout, stderr, reason)
  local message
  if reason == MAXBUFFER then
    message = "stdout/stderr maxBuffer length exceeded"
    code = MAXBUFFER
  else
    message = "Command failed: " .. cmd .. (stderr ~= "" and ("\n" .. stderr) or "")
  end
  return util.error(code, message, {
    signal = signal,
    killed = killed,
    cmd = cmd,
    stdout = stdout,
    stderr = stderr,
  })
end

-- Collect one output stream into a string, up to max bytes.
local function collector(child, s, max, on_overflow)
  local parts, size = {}, 0
  local function text() return table.concat(parts) end
  if not s then return function() return "" end end
  s:on("data", function(chunk)
    if size >= max then return end
    if size + #chunk > max then
      parts[#parts + 1] = chunk:sub(1, max - size)
      size = max
      on_overflow()
      return
    end
    parts[#parts + 1] = chunk
    size = size + #chunk
  end)
  return text
end

local function run(fname, spec, cmd, o, callback, n)
  local max = options.max_buffer(o, n, fname)
  local child = child_process.start(spec)
  local reason
  local function overflow()
    if reason then return end
    reason = MAXBUFFER
    child:kill(spec.killSignal)
  end
  local stdout = collector(child, child.stdout, max, overflow)
  local stderr = collector(child, child.stderr, max, overflow)
  local spawn_err
  child:on("error", function(e)
    if child._spawn_error == e then spawn_err = e end
  end)
  child._on_close = function(code, signal)
    local out, err_out = stdout(), stderr()
    local err
    if spawn_err then
      err = spawn_err
      err.cmd, err.stdout, err.stderr, err.killed, err.signal = cmd, out, err_out, false, nil
    elseif reason or code ~= 0 then
      err = make_error(cmd, code, signal, child.killed, out, err_out, reason)
    end
    util.protect(function()
      if callback then callback(err, out, err_out) end
    end, function() child:_complete(err, out, err_out) end)
  end
  return child
end

--- exec(command [, options] [, callback]) → ChildProcess, via /bin/sh -c.
function M.exec(command, opts, callback)
  if type(opts) == "function" and callback == nil then opts, callback = nil, opts end
  options.check_command(command, 1, "exec")
  if opts ~= nil and type(opts) ~= "table" then argerror(2, "exec", "options must be a table, got " .. type(opts)) end
  argcheck(callback == nil or type(callback) == "function", 3, "exec", "callback must be a function, got " .. type(callback))
  local o = setmetatable({ shell = (opts and opts.shell) or true, stdio = "pipe" }, { __index = opts })
  local spec = options.spawn("exec", command, nil, o, 2)
  return run("exec", spec, command, o, callback, 2)
end

--- execFile(file [, args] [, options] [, callback]) → ChildProcess, no shell.
function M.execFile(file, args, opts, callback)
  args, opts, callback = options.shift(args, opts, callback)
  if type(opts) == "function" and callback == nil then opts, callback = nil, opts end
  options.check_command(file, 1, "execFile", "file")
  if opts ~= nil and type(opts) ~= "table" then argerror(3, "execFile", "options must be a table, got " .. type(opts)) end
  argcheck(callback == nil or type(callback) == "function", 4, "execFile", "callback must be a function, got " .. type(callback))
  local o = setmetatable({ stdio = "pipe" }, { __index = opts })
  local spec = options.spawn("execFile", file, args, o, 3)
  local a = options.check_args(args, 2, "execFile")
  local cmd = file
  if #a > 0 then cmd = file .. " " .. table.concat(a, " ") end
  return run("execFile", spec, cmd, o, callback, 3)
end

return M
