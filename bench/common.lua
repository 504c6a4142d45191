--- common.lua — helpers shared by the Lua benchmark scripts (this module's
--- and the luv / io.popen peers'): a monotonic clock, /proc readers, the
--- RESULT line that bench/run.lua parses, and a way to grow the heap (W1b).
local M = {}

package.cpath = "build/bench/?.so;" .. package.cpath
local bclock = require("bclock")
M.now = bclock.now

--- CPU time in ns (all threads) of this process and of `pid` together.
function M.cpu_ns(pid) return bclock.cpu_ns() + bclock.cpu_ns(pid) end

--- A field of /proc/<pid>/status in KiB (pid defaults to self).
function M.status_kib(field, pid)
  local f = io.open("/proc/" .. (pid or "self") .. "/status", "r")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return tonumber(s:match(field .. ":%s*(%d+)"))
end

function M.rss() return M.status_kib("VmRSS") end
function M.hwm() return M.status_kib("VmHWM") end

--- Print one machine-readable line: RESULT <key> <value> <unit>.
function M.result(key, value, unit)
  io.stdout:write(("RESULT %s %.9g %s\n"):format(key, value, unit))
  io.stdout:flush()
end

--- Keep `mib` MiB of touched heap alive in the parent (W1b): a Lua table
--- of 1 MiB strings, each one distinct so that every page is written.
M.ballast = {}
function M.grow_heap(mib)
  local block = string.rep("x", 1024 * 1024 - 16)
  collectgarbage("stop") -- nothing to collect while growing; saves time
  for i = 1, mib do M.ballast[i] = block .. string.format("%015d", i) end
  collectgarbage("restart")
end

M.arg = function(i, default)
  local v = arg[i]
  if v == nil then return default end
  return tonumber(v) or v
end

return M
