-- The sync variants block and never run other children's callbacks.
local cp = require("child_process")

local r = cp.spawnSync("sort", {}, { input = "pear\napple\nfig\n" })
print("status", r.status, "stdout:", (r.stdout:gsub("\n", " ")))

print("execSync:", cp.execSync("uname -s"))

local ok, err = pcall(cp.execFileSync, "ls", { "/no/such/dir" })
print("execFileSync failed:", not ok, "status", err.status)

local missing = cp.spawnSync("no-such-command")
print("spawnSync error:", missing.error.code)
