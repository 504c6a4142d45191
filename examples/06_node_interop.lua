-- Lua and Node.js fork each other: the channel is Node's own `json` IPC.
local cp = require("child_process")
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."

-- A Lua parent forks a Node.js script: execPath = "node" (no Lua bootstrap).
local node = cp.fork(dir .. "/workers/node_worker.js", {}, { execPath = "node" })
node:on("message", function(msg)
  print("lua parent got:", cp.json.encode(msg))
  node:send({ cmd = "stop" })
end)
node:send({ values = { 1, 2.5, 3 } })
cp.run()

-- A Node.js parent forks a Lua script (see examples/node_parent.js).
io.write(cp.execFileSync("node", { dir .. "/node_parent.js" }))
