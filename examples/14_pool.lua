-- A pool of forked Lua workers hashing files in parallel.
local cp = require("child_process")
local dir = debug.getinfo(1, "S").source:match("^@(.*)/") or "."
local root = dir .. "/.."

local names = { "README.md", "Makefile", "src/json.c", "src/process.c", "src/ipc.c",
                "lua/child_process/pool.lua", "no/such/file" }
local files = {}
for i, name in ipairs(names) do files[i] = root .. "/" .. name end

local pool = cp.pool(dir .. "/workers/hasher.lua", { size = 2, taskTimeout = 10000 })

-- run(): one task, one answer.  A task's error comes back as err.
for i, path in ipairs(files) do
  pool:run(path, function(err, r)
    if err then
      print(("%-28s %s"):format(names[i], err.code))
    else
      print(("%-28s %s %7d bytes"):format(names[i], r.fnv1a, r.bytes))
    end
  end)
end
cp.run() -- returns once every task is answered: an idle pool holds nothing

-- map(): results in input order (the first error fails the whole map).
local err, results = pool:map({ files[1], files[2] }):wait()
print("map:", err, results[1].fnv1a, results[2].fnv1a)
print(("stats: %d workers, %d done, %d failed"):format(pool.stats.workers, pool.stats.done, pool.stats.failed))

pool:close(function() print("pool closed") end)
cp.run()
