-- Pipelines: another child's stream as a stdio entry hands the fd over
-- (like `printf | sort | uniq -c` in a shell: no byte passes through
-- Lua), and readable:pipe(writable) copies through the parent with
-- backpressure.
local cp = require("child_process")

local a = cp.spawn("printf", { "pear\\napple\\npear\\nfig\\n" })
local b = cp.spawn("sort", {}, { stdio = { a.stdout, "pipe", "inherit" } })
local c = cp.spawn("uniq", { "-c" }, { stdio = { b.stdout, "inherit", "inherit" } })
print("printf | sort | uniq -c:")
c:wait()

-- A copy through the parent: 16 MiB, paused whenever `wc` falls behind.
local src = cp.spawn("head", { "-c", tostring(16 * 1024 * 1024), "/dev/zero" })
local wc = cp.spawn("wc", { "-c" }, { stdio = { "pipe", "inherit", "inherit" } })
src.stdout:pipe(wc.stdin)
io.write("bytes through pipe(): ")
io.stdout:flush()
wc:wait()
