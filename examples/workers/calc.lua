-- A request/response worker: process.handle(fn) answers child:request().
-- fn runs in a coroutine, so it may spawn and wait without blocking the
-- requests that come meanwhile.
local cp = require("child_process")

process.handle(function(req)
  if req.op == "add" then return req.a + req.b end
  if req.op == "uname" then
    local err, out = cp.execFile("uname", { "-s" }):wait()
    if err then error(err) end
    return (out:gsub("%s+$", ""))
  end
  if req.op == "sleep" then
    cp.spawn("sleep", { tostring(req.s) }):wait()
    return "slept"
  end
  error({ code = "EUNKNOWN", message = "unknown op " .. tostring(req.op) })
end)

-- Ordinary messages still work alongside requests.
process.on("message", function(m) process.send({ echo = m }) end)
