-- Node's cluster pattern: the parent accepts connections on a Unix socket
-- and hands each one to a worker with send(msg, stream); the worker talks
-- to the client directly.  Here the clients are this same script.
local cp = require("child_process")
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local path = os.tmpname()
os.remove(path)

local workers = { cp.fork(dir .. "/workers/conn_worker.lua", { "w1" }),
                  cp.fork(dir .. "/workers/conn_worker.lua", { "w2" }) }
local next_worker = 0
local server = assert(cp.net.listen(path, function(conn)
  next_worker = next_worker % #workers + 1
  workers[next_worker]:send({ cmd = "conn" }, conn) -- ours is closed once the worker has it
end))

local answers = 0
for i = 1, 4 do
  local client = assert(cp.net.connect(path))
  client:on("data", function(d)
    io.write("client ", i, " got: ", d)
    answers = answers + 1
    client:destroy()
    if answers == 4 then
      server:close()
      for _, w in ipairs(workers) do w:send("exit") end
    end
  end)
  client:write("hello " .. i .. "\n")
end
cp.run()
print("all connections served")
