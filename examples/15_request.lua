-- Request/response with a forked worker: child:request() → wait() or a
-- callback; errors and timeouts come back as err.
local cp = require("child_process")
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local child = cp.fork(dir .. "/workers/calc.lua")

local err, sum = child:request({ op = "add", a = 2, b = 40 }):wait()
print("add:", err, sum)

child:request({ op = "uname" }, function(e, name) print("uname:", e, name) end)

err = child:request({ op = "nope" }):wait()
print("error:", err.code, err.message)

err = child:request({ op = "sleep", s = 0.5 }, { timeout = 100 }):wait()
print("timeout:", err.code)

-- Inside cp.async, wait() yields: several requests in flight at once.
cp.async(function()
  local a, b = child:request({ op = "add", a = 1, b = 1 }), child:request({ op = "add", a = 2, b = 2 })
  print("async:", select(2, a:wait()), select(2, b:wait()))
  -- Requests never reach `message` listeners; plain messages still do.
  child:on("message", function(m)
    print("message:", cp.json.encode(m))
    child:disconnect()
  end)
  child:send("a plain message")
end)
cp.run()
