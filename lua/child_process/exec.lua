--- exec.lua — exec and execFile: spawn with piped output collected into
--- strings (at most maxBuffer bytes per stream), then callback(err, stdout,
--- stderr).  exec goes through the shell; execFile never does.
local core = require("child_process.core")
local options = require("child_process.options")
local child_process = require("child_process.child_process")
local util = require("child_process.util")

local argcheck, argerror = util.argcheck, util.argerror

local M = {}

local MAXBUFFER = "ERR_CHILD_PROCESS_STDIO_MAXBUFFER"

local function make_error(cmd, code, signal, killed, stdout, stderr, reason, which)
  local message
  if reason == MAXBUFFER then
    message = which .. " maxBuffer length exceeded" -- as Node: the stream it was
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
local function collector(s, max, on_overflow)
  local parts, size = {}, 0
  local function text() return table.concat(parts) end
  if not s then return function() return "" end end
  s:on("data", function(chunk)
    if size + #chunk > max then
      -- Keep exactly max bytes; anything past them is an overflow, also
      -- when an earlier chunk filled the buffer to the byte.
      if size < max then parts[#parts + 1] = chunk:sub(1, max - size) end
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
  -- The timeout is ours, not start()'s: like maxBuffer it must also stop
  -- the reading (see kill below).
  local timeout = spec.timeout
  spec.timeout = nil
  local child = child_process.start(spec)
  local reason, which, stdout, stderr, killed, timer, finish
  -- An error other than a failed spawn (a kill that failed, reported as an
  -- `error` event or raised): as Node does, the callback gets it at once.
  local function failed(e)
    if type(e) ~= "table" then e = util.error("ERR_UNHANDLED_ERROR", tostring(e)) end
    if child.stdout then child.stdout:destroy() end
    if child.stderr then child.stderr:destroy() end
    finish(e)
  end
  -- As Node does: send killSignal and stop reading, so that `close` (and
  -- the callback) come once the child is gone even if a grandchild still
  -- holds the pipes.  What was kept so far is passed on.
  -- (The signal goes first: with the pipes closed first the child could
  -- die of SIGPIPE before killSignal arrives.)
  local function kill()
    killed = true
    local ok, e = pcall(child.kill, child, spec.killSignal)
    if child.stdout then child.stdout:destroy() end
    if child.stderr then child.stderr:destroy() end
    if not ok then failed(e) end
  end
  local function overflow(name)
    if reason then return end
    reason, which = MAXBUFFER, name
    kill()
  end
  stdout = collector(child.stdout, max, function() overflow("stdout") end)
  stderr = collector(child.stderr, max, function() overflow("stderr") end)
  if timeout and timeout > 0 and child.pid then
    -- Runs until close (a grandchild may hold the pipes after the exit);
    -- unref'd: the child and its pipes are what keep the loop alive.
    timer = core.timer()
    timer:unref()
    timer:start(timeout, 0, function()
      timer:close()
      timer = nil
      if not reason then kill() end
    end)
  end
  local spawn_err, abort_err, finished
  child:on("error", function(e)
    if child._spawn_error == e then
      spawn_err = e
    elseif type(e) == "table" and e.code == "ABORT_ERR" then
      if abort_err then return end
      -- options.signal aborted (abort.lua sent killSignal): stop reading too.
      abort_err = e
      killed = true
      if child.stdout then child.stdout:destroy() end
      if child.stderr then child.stderr:destroy() end
    else
      failed(e)
    end
  end)
  -- The callback (and wait()) get err, stdout, stderr once: at `close`, or
  -- earlier for an error event (`ex` is then that error).
  finish = function(ex, code, signal)
    if finished then return end
    finished = true
    if timer then
      timer:close()
      timer = nil
    end
    local out, err_out = stdout(), stderr()
    local err
    if spawn_err or ex then
      err = spawn_err or ex
      err.cmd, err.stdout, err.stderr = cmd, out, err_out
      err.killed, err.signal = spawn_err == nil and killed == true, signal
    elseif abort_err then
      err = abort_err -- as Node: the AbortError itself, with cmd
      err.cmd = cmd
    elseif reason or code ~= 0 then
      err = make_error(cmd, code, signal, child.killed or killed == true, out, err_out, reason, which)
    end
    util.protect(function()
      if callback then callback(err, out, err_out) end
    end, function() child:_complete(err, out, err_out) end)
  end
  child._on_close = function(code, signal) finish(nil, code, signal) end
  return child
end

--- exec(command [, options] [, callback]) → ChildProcess, via /bin/sh -c.
function M.exec(command, opts, callback)
  if type(opts) == "function" and callback == nil then opts, callback = nil, opts end
  options.check_command(command, 1, "exec")
  if opts ~= nil and type(opts) ~= "table" then
    argerror(2, "exec", "options must be a table, got " .. type(opts))
  end
  argcheck(callback == nil or type(callback) == "function", 3, "exec",
    "callback must be a function, got " .. type(callback))
  local o = setmetatable({ shell = (opts and opts.shell) or true, stdio = "pipe" }, { __index = opts })
  local spec = options.spawn("exec", command, nil, o, 2)
  return run("exec", spec, command, o, callback, 2)
end

--- execFile(file [, args] [, options] [, callback]) → ChildProcess, no shell.
function M.execFile(file, args, opts, callback)
  args, opts, callback = options.shift(args, opts, callback)
  if type(opts) == "function" and callback == nil then opts, callback = nil, opts end
  options.check_command(file, 1, "execFile", "file")
  if opts ~= nil and type(opts) ~= "table" then
    argerror(3, "execFile", "options must be a table, got " .. type(opts))
  end
  argcheck(callback == nil or type(callback) == "function", 4, "execFile",
    "callback must be a function, got " .. type(callback))
  local o = setmetatable({ stdio = "pipe" }, { __index = opts })
  local spec = options.spawn("execFile", file, args, o, 3)
  local a = options.check_args(args, 2, "execFile")
  local cmd = file
  if #a > 0 then cmd = file .. " " .. table.concat(a, " ") end
  return run("execFile", spec, cmd, o, callback, 3)
end

return M
