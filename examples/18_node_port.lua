-- A Lua parent hands a MessagePort to a Node.js child with send(msg, port):
-- Node receives it as a net.Socket and speaks the port's JSON lines on it.
local cp = require("child_process")
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."

local node = cp.fork(dir .. "/workers/node_port_worker.js", {}, { execPath = "node" })
local mine, theirs = cp.MessageChannel()
node:send({ cmd = "port" }, theirs)
mine:on("message", function(e)
  print("lua got on the port:", cp.json.encode(e.data))
  mine:close()
end)
mine:on("close", function() node:send("exit") end)
mine:postMessage({ question = "sum", of = { 1, 2, 3 } })
cp.run()
print("node exited with", node.exitCode)
