-- `local c <close> = cp.spawn(...)`: leaving the scope (normally or by an
-- error) kills a child that still runs, with its killSignal.
local cp = require("child_process")

local kept
do
  local c <close> = cp.spawn("sleep", { "100" })
  kept = c
  print("running:", c.pid)
end -- c:kill("SIGTERM") here
print("after the scope:", kept:wait())
