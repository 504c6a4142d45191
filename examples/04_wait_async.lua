-- wait() returns what the completion callback gets; inside cp.async it
-- yields, so children run concurrently.
local cp = require("child_process")
local core = require("child_process.core")

-- Outside async: wait() runs the loop until the child closes.
print("wait:", cp.spawn("sh", { "-c", "exit 7" }):wait())

cp.async(function()
  local t0 = core.now()
  local a = cp.spawn("sleep", { "0.3" })
  local b = cp.spawn("sleep", { "0.3" })
  a:wait()
  b:wait()
  print(("two 0.3 s sleeps in %.2f s"):format((core.now() - t0) / 1000))

  local err, out = cp.exec("echo from exec"):wait()
  print("exec via wait:", err, (out:gsub("\n", "")))

  local slow = cp.spawn("sleep", { "5" })
  print("wait with timeout:", slow:wait(100))
  slow:kill()
end)
cp.run()
