-- dieWithParent: a child that cannot outlive this process, even if it is
-- SIGKILLed.  Here a middle process starts `sleep` with the option, and
-- is killed with SIGKILL: the sleep goes with it.
local cp = require("child_process")
local core = require("child_process.core")

-- Running, not a zombie (a dead orphan may wait to be reaped).
local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return false end
  local state = f:read("a"):match("%) (%S)")
  f:close()
  return state ~= "Z"
end

local script = [[
  local cp = require("child_process")
  local c = cp.spawn("sleep", { "100" }, { stdio = "ignore", dieWithParent = true })
  print(c.pid); io.stdout:flush()
  cp.run()
]]
local middle = cp.spawn(core.exepath(), { "-e", script })
middle.stdout:on("line", function(line)
  local pid = tonumber(line)
  print("grandchild", pid, "alive:", alive(pid))
  middle:kill("SIGKILL")
  middle:on("close", function(_, sig)
    print("middle process:", sig)
    -- The kernel signals the grandchild as the middle process dies.
    local t = core.timer()
    local tries = 0
    t:start(10, 10, function()
      tries = tries + 1
      if not alive(pid) or tries == 200 then
        t:close()
        print("grandchild alive:", alive(pid))
      end
    end)
  end)
end)
cp.run()
