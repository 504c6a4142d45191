-- Lines of a child's output: the `line` event, and readable:lines() in
-- cp.async ("\n" or "\r\n"; the last line may lack its newline).
local cp = require("child_process")

local c = cp.spawn("printf", { "alpha\r\nbeta\ngamma" })
c.stdout:on("line", function(line) print("line event:", line) end)
c:wait()

cp.async(function()
  local ls = cp.spawn("sh", { "-c", "for i in 1 2 3; do echo item $i; sleep 0.05; done" })
  for line in ls.stdout:lines() do print("lines():", line) end
  print("exit:", ls:wait())
end)
cp.run()
