-- Two workers talk over a direct channel: the parent makes a MessageChannel
-- and hands one end to each (Electron's postMessage(value, transfer)); from
-- then on their messages never pass through the parent.
local cp = require("child_process")
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."

local ping = cp.fork(dir .. "/workers/port_peer.lua", { "ping" })
local pong = cp.fork(dir .. "/workers/port_peer.lua", { "pong" })
local a, b = cp.MessageChannel()
ping:postMessage({ start = true, rounds = 3 }, { a })
pong:postMessage({ start = false }, { b })

for _, w in ipairs({ ping, pong }) do
  w:on("message", function(msg) print("parent heard:", cp.json.encode(msg)) end)
end
ping:wait()
pong:wait()
print("both workers done")
