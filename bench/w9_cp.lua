-- W9 (this module): parent RSS after 100 and after N sequential spawns of
-- /bin/true (default pipes); and with 100 live `cat` children, each with
-- piped stdio.  args: seq N | live K
local B = require("bench.common")
local cp = require("child_process")
local mode, N = B.arg(1, "seq"), B.arg(2, 10000)

if mode == "seq" then
  local done, rss100 = 0, nil
  local function one()
    local c = cp.spawn("/bin/true", {})
    c:on("close", function()
      done = done + 1
      if done == 100 then rss100 = B.rss() end
      if done < N then one() end
    end)
  end
  one()
  cp.run()
  local rssN = B.rss()
  B.result("rss100", rss100 / 1024, "MiB")
  B.result("rssN", rssN / 1024, "MiB")
  B.result("growth", (rssN - rss100) / 1024, "MiB")
else
  local base = B.rss()
  local kids, spawned = {}, 0
  for i = 1, N do
    local c = cp.spawn("cat", {})
    c.stdout:on("data", function() end)
    c.stderr:on("data", function() end)
    c:on("spawn", function()
      spawned = spawned + 1
      if spawned == N then
        B.result("live", B.rss() / 1024, "MiB")
        B.result("live_delta", (B.rss() - base) / 1024, "MiB")
        for j = 1, N do kids[j].stdin:close() end
      end
    end)
    kids[i] = c
  end
  cp.run()
end
