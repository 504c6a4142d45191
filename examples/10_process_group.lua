-- Process groups: a shell with background jobs, stopped as a whole
-- (kill with { group = true }); cp.kill(pid, signal) as Node's process.kill.
local cp = require("child_process")

local sh = cp.spawn("sh", { "-c", "sleep 100 & sleep 100 & echo started; wait" }, { group = true })
sh.stdout:on("line", function(line)
  print("shell says:", line)
  print("kill the group:", sh:kill("SIGTERM", { group = true }))
end)
print("shell:", sh:wait())

-- cp.kill: true, or false and an error value.
print("cp.kill of a pid that is gone:", cp.kill(sh.pid, 0))
