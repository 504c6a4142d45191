-- fork a Lua worker and talk to it over the IPC channel (JSON lines).
local cp = require("child_process")

local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local worker = cp.fork(dir .. "/workers/squarer.lua", { "factor=2" })

worker:on("message", function(msg)
  print("parent got:", cp.json.encode(msg))
  if msg.done then worker:disconnect() end
end)
worker:on("close", function(code) print("worker closed with", code) end)

for i = 1, 3 do worker:send({ n = i }) end
worker:send({ cmd = "stop" })
cp.run()
