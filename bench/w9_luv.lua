-- W9 (peer: luv): parent RSS after 100 and after N sequential spawns of
-- /bin/true with three pipes; and with K live `cat` children with piped
-- stdio.  args: seq N | live K
local B = require("bench.common")
local uv = require("luv")
local mode, N = B.arg(1, "seq"), B.arg(2, 10000)

local function start(file, on_close)
  local pipes = { uv.new_pipe(false), uv.new_pipe(false), uv.new_pipe(false) }
  local pending, h = 3, nil
  local function settle()
    pending = pending - 1
    if pending == 0 and on_close then on_close() end
  end
  h = uv.spawn(file, { args = {}, stdio = pipes }, function()
    h:close()
    if not pipes[1]:is_closing() then pipes[1]:close() end
    settle()
  end)
  for i = 2, 3 do
    pipes[i]:read_start(function(_, chunk)
      if not chunk then pipes[i]:close() settle() end
    end)
  end
  return pipes
end

if mode == "seq" then
  local done, rss100 = 0, nil
  local function one()
    start("/bin/true", function()
      done = done + 1
      if done == 100 then rss100 = B.rss() end
      if done < N then one() end
    end)
  end
  one()
  uv.run()
  local rssN = B.rss()
  B.result("rss100", rss100 / 1024, "MiB")
  B.result("rssN", rssN / 1024, "MiB")
  B.result("growth", (rssN - rss100) / 1024, "MiB")
else
  local base = B.rss()
  local kids = {}
  for i = 1, N do kids[i] = start("cat") end
  B.result("live", B.rss() / 1024, "MiB")
  B.result("live_delta", (B.rss() - base) / 1024, "MiB")
  for i = 1, N do kids[i][1]:close() end
  uv.run()
end
