--- sync.lua — spawnSync, execSync, execFileSync on core.spawn_sync
--- (src/sync.c): a private poll() loop, so the callbacks of other children
--- never run during a sync call.
local core = require("child_process.core")
local options = require("child_process.options")
local pipeline = require("child_process.pipeline")
local util = require("child_process.util")

local argerror = util.argerror

local M = {}

local function run_sync(fname, spec, o, n)
  -- Nothing would ever read the channel: Node's ERR_IPC_SYNC_FORK.
  if spec.ipc then
    argerror(n, fname, "option 'stdio' must not hold 'ipc' in a sync call (IPC cannot be used with synchronous forks)")
  end
  if o.input ~= nil and type(o.input) ~= "string" then
    argerror(n, fname, "option 'input' must be a string, got " .. type(o.input))
  end
  spec.input = o.input
  spec.kill_signal = spec.killSignal
  spec.max_buffer = options.max_buffer(o, n, fname)
  pipeline.prepare(spec.handed)
  local r = core.spawn_sync(spec)
  pipeline.finish(spec.handed, r.pid ~= nil)
  local result = { pid = r.pid or 0, output = r.output or {} }
  result.stdout, result.stderr = result.output[2], result.output[3]
  result.status = r.status
  result.signal = util.signame(r.signal)
  if r.error then
    result.error = util.spawn_error("spawnSync", spec, r.error, r.errno)
  elseif r.timed_out then
    result.error = util.spawn_error("spawnSync", spec, "ETIMEDOUT", -110)
  elseif r.maxbuffer then
    result.error = util.spawn_error("spawnSync", spec, "ENOBUFS", -105)
  end
  return result
end

--- spawnSync(command [, args] [, options]) → {pid, output, stdout, stderr,
--- status, signal, error}; never raises for a child that failed.
function M.spawnSync(command, args, opts)
  args, opts = options.shift(args, opts)
  local spec = options.spawn("spawnSync", command, args, opts, 3)
  return run_sync("spawnSync", spec, opts or {}, 3)
end

-- execSync / execFileSync: stdout, or raise an error table.  Without a
-- `stdio` option the child's stderr is captured and then also written to
-- ours, as Node.js does, so that a failing command is not silent.
local function checked(result, cmd, opts)
  if (opts == nil or opts.stdio == nil) and result.stderr and result.stderr ~= "" then
    io.stderr:write(result.stderr)
    io.stderr:flush()
  end
  local err = result.error
  if err or result.status ~= 0 then
    local stderr = result.stderr or ""
    -- As Node's checkExecSyncError: the spawnSync error's fields (errno,
    -- syscall, path, spawnargs) and the whole result (output too).
    local e = util.error(err and err.code or result.status,
      err and err.message or ("Command failed: " .. cmd .. (stderr ~= "" and ("\n" .. stderr) or "")), {
        status = result.status,
        signal = result.signal,
        output = result.output,
        stdout = result.stdout,
        stderr = result.stderr,
        pid = result.pid,
        cmd = cmd,
        error = err,
      })
    if err then
      e.errno, e.syscall, e.path, e.spawnargs = err.errno, err.syscall, err.path, err.spawnargs
    end
    error(e, 3)
  end
  return result.stdout
end

--- execSync(command [, options]) → stdout; through /bin/sh -c (or `shell`).
function M.execSync(command, opts)
  options.check_command(command, 1, "execSync")
  if opts ~= nil and type(opts) ~= "table" then
    argerror(2, "execSync", "options must be a table, got " .. type(opts))
  end
  local o = setmetatable({ shell = (opts and opts.shell) or true }, { __index = opts })
  local spec = options.spawn("execSync", command, nil, o, 2)
  return checked(run_sync("execSync", spec, o, 2), command, opts)
end

--- execFileSync(file [, args] [, options]) → stdout; no shell.
function M.execFileSync(file, args, opts)
  args, opts = options.shift(args, opts)
  local spec = options.spawn("execFileSync", file, args, opts, 3)
  local a = options.check_args(args, 2, "execFileSync")
  local cmd = #a > 0 and (file .. " " .. table.concat(a, " ")) or file
  return checked(run_sync("execFileSync", spec, opts or {}, 3), cmd, opts)
end

return M
