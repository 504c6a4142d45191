-- spawn: events, streams, exit codes.
local cp = require("child_process")

local ls = cp.spawn("ls", { "-1", "/usr" })
ls.stdout:on("data", function(chunk) io.write("[ls] ", (chunk:gsub("\n(.)", "\n[ls] %1"))) end)
ls:on("close", function(code, signal) print("ls closed with", code, signal) end)

-- A failed spawn is an 'error' event with a code, then 'close'.
local missing = cp.spawn("no-such-command")
missing:on("error", function(err) print("error:", err.code, err.syscall) end)

-- stdin is writable; close() half-closes it so that the child sees EOF.
local tr = cp.spawn("tr", { "a-z", "A-Z" })
tr.stdout:on("data", function(d) io.write("[tr] ", d) end)
tr.stdin:write("hello, ")
tr.stdin:close("child process\n")

-- Signals, by name or number.
local sleeper = cp.spawn("sleep", { "10" })
sleeper:on("exit", function(code, signal) print("sleep exited:", code, signal) end)
sleeper:kill("SIGTERM")

cp.run() -- runs until nothing is left to do
