--- spec/helper.lua — shared by the specs: drive the loop with a generous
--- timeout (never a sleep), find fixtures, count fds and zombies, and check
--- that nothing is left open after a test.
local cp = require("child_process")
local core = require("child_process.core")
local assert = require("luassert")
local compat = require("child_process.compat")

local H = {}

H.cp = cp
H.compat = compat -- table.pack, math.type… on every Lua (no bitwise operators either)
H.doubles = math.type == nil -- Lua 5.1, 5.2, LuaJIT: every number is a double
-- Lua 5.4 or later (to-be-closed variables…); LuaJIT says "Lua 5.1".
H.lua54 = tonumber(_VERSION:match("%d+%.%d+")) >= 5.4
-- PUC Lua 5.1 cannot yield across a C call: not from a for-iterator, inside
-- pcall, a metamethod or a C library's loop (cqueues).  LuaJIT and 5.2+ can.
H.puc51 = _VERSION == "Lua 5.1" and not rawget(_G, "jit")
H.NO_C_YIELD = "needs a Lua that yields across C calls (not PUC Lua 5.1): "
H.core = core
H.root = core.cwd()
H.fixtures = H.root .. "/spec/fixtures/"
H.lua = core.exepath() -- the interpreter running busted (lua5.4)
-- The build dir whose core.so this run loaded (build/, or build/uv152/ when
-- `make test-uv152` runs the suite against libuv 1.52.1): children load the same.
H.build = (function()
  local p = compat.searchpath("child_process.core", package.cpath) or "build/child_process/core.so"
  local dir = p:match("^(.*)/child_process/core%.so$") or "build"
  return dir:sub(1, 1) == "/" and dir or H.root .. "/" .. dir
end)()
-- A C host of the specs (spec/*_host.c), linked to the engine under test:
-- built beside the core.so this run loaded (build/, build/lua5.1/…), else
-- (a rock under `luarocks test`) the checkout's build/.
function H.host(name)
  local p = H.build .. "/" .. name
  local f = io.open(p)
  if f then
    f:close()
    return p
  end
  return H.root .. "/build/" .. name
end
-- Under `luarocks test` (spec/installed.lua) the module comes from a rock,
-- not from this checkout's lua/ and build/.
local module_file = compat.searchpath("child_process", package.path) or ""
H.installed = not (module_file:find(H.root .. "/lua/", 1, true) == 1 or module_file:match("^%.?/?lua/"))
-- The launcher a Node.js parent gets: the rock's bin/lua-child when installed
-- (<tree>/lib/lua/5.x/child_process/core.so → <tree>/bin/lua-child).
H.launcher = H.root .. "/bin/lua-child"
if H.installed then
  local so = compat.searchpath("child_process.core", package.cpath) or ""
  local tree = so:match("^(.*)/lib/lua/[^/]+/child_process/core%.so$")
  if tree then H.launcher = tree .. "/bin/lua-child" end
end

--- The env a child needs to load the module from this checkout (or from
--- the same rock as this process).
function H.lua_env()
  local env = core.environ()
  if H.installed then
    env.LUA_PATH, env.LUA_CPATH = package.path, package.cpath
    return env
  end
  env.LUA_PATH = H.root .. "/lua/?.lua;" .. H.root .. "/lua/?/init.lua;;"
  env.LUA_CPATH = H.build .. "/?.so;;"
  env.CP_BUILD = H.build
  return env
end

--- The first ```lua block of README.md after the line that contains
--- `after` (plain text), as a chunk with env `env` (falls back to _G): the
--- specs run the README's snippets themselves, so they cannot drift.
function H.readme_chunk(after, env)
  local f = assert(io.open(H.root .. "/README.md"))
  local text = f:read("*a")
  f:close()
  local at = assert(text:find(after, 1, true), "README.md has no " .. after)
  local code = assert(text:match("```lua\n(.-)\n```", at), "no lua block after " .. after)
  env = setmetatable(env or {}, { __index = _G })
  local setfenv = rawget(_G, "setfenv") -- 5.1, LuaJIT: load takes no env there
  if setfenv then return setfenv(assert(rawget(_G, "loadstring")(code, "=README.md (" .. after .. ")")), env) end
  return assert(load(code, "=README.md (" .. after .. ")", "t", env))
end

--- Run the loop until cond() is true; fail the test after timeout_ms.
function H.run_until(cond, timeout_ms, what)
  timeout_ms = timeout_ms or 10000
  local expired = false
  local t = core.timer()
  t:start(timeout_ms, 0, function() expired = true end)
  local ok, err = pcall(function()
    while not cond() and not expired do cp.run("once") end
  end)
  t:close()
  cp.run("nowait") -- let the timer's close callback run
  if not ok then error(err, 0) end
  if not cond() then error("timed out after " .. timeout_ms .. " ms waiting for " .. (what or "condition"), 2) end
end

--- Run until child emits close; returns code, signal.
function H.wait_close(child, timeout_ms)
  -- It may have closed already, in the loop run that a previous wait drove.
  if child._closed then return child.exitCode, child.signalCode end
  local done, code, sig = false, nil, nil
  child:on("close", function(c, s) done, code, sig = true, c, s end)
  H.run_until(function() return done end, timeout_ms, "close")
  return code, sig
end

--- Collect a readable stream into a string (call before running the loop).
function H.collect(stream)
  local parts = {}
  stream:on("data", function(d) parts[#parts + 1] = d end)
  return function() return table.concat(parts) end
end

--- VmRSS (or another /proc/self/status field, e.g. "VmHWM") in KiB.
function H.status_kib(field)
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("\n" .. (field or "VmRSS") .. ":%s*(%d+)"))
end

--- A figure from a soak run, on stderr (the README quotes them).
function H.soak_report(fmt, ...)
  io.stderr:write("[soak] ", fmt:format(...), "\n")
end

--- Number of open fds of this process.  `ls` writes into a file, not a
--- pipe: with io.popen the pipe's write end was sometimes still open in
--- this process while ls listed it (an off-by-one about once in a thousand
--- runs).  os.execute opens nothing here and blocks until ls is done, so
--- what ls lists is exactly this process's fds.
local fd_list = os.tmpname()
H._fd_list_gc = setmetatable({}, { __gc = function() os.remove(fd_list) end })
function H.fd_count()
  local ok = os.execute("env -u LD_PRELOAD ls /proc/" .. select(1, core.getpid()) .. "/fd > " .. fd_list)
  assert(ok, "ls /proc/PID/fd failed")
  local n = 0
  for _ in io.lines(fd_list) do n = n + 1 end
  return n
end

--- Zombie children of this process.
function H.zombies()
  local me = select(1, core.getpid())
  local p = io.popen("env -u LD_PRELOAD ps -o stat= --ppid " .. me)
  local n = 0
  for l in p:lines() do if l:match("^Z") then n = n + 1 end end
  p:close()
  return n
end

--- A file the checkout's build makes for the specs (a C spec host, the
--- LuaRocks-style luv).  Under `luarocks test` (the installed rock, no
--- build/) the test is pending, never passing; in the checkout a missing
--- one fails, saying what builds it.  `pending` is busted's (a global of
--- the spec file, not of this module).  → true when the file is there.
function H.checkout_file(path, how, pending)
  local f = io.open(path)
  if f then f:close() return true end
  if H.installed then
    pending(path .. " comes from the checkout's build, not from the rock")
    return false
  end
  error(path .. " is missing: run `" .. how .. "`", 2)
end

--- Drain pending callbacks and assert that no handle or child is left.
function H.assert_clean()
  for _ = 1, 10 do
    local s = core.stats()
    if s.handles == 0 and s.procs == 0 then break end
    cp.run("nowait")
  end
  local s = core.stats()
  assert.are.equal(0, s.procs, "children left running")
  assert.are.equal(0, s.handles, "handles left open")
end

--- The fd count comes back to `before` (polled from a timer, up to 3 s):
--- a real leak never does; a count taken mid-way may be off by a transient.
function H.assert_fds_back_to(before)
  local t = core.timer()
  t:start(20, 20, function() end)
  local ok = pcall(H.run_until, function() return H.fd_count() == before end, 3000, "fd count")
  t:close()
  cp.run("nowait")
  assert.are.equal(before, H.fd_count())
  return ok
end

--- A new empty directory (the caller removes it).
function H.tmpdir()
  local d = os.tmpname()
  os.remove(d)
  assert(H.execute("mkdir -p '" .. d .. "'"))
  return d
end

--- os.execute's results as Lua 5.2+ gives them: ok|nil, "exit"|"signal", n
--- (Lua 5.1 and LuaJIT return the raw wait status).
function H.execute(cmd)
  local a, b, c = os.execute(cmd)
  if type(a) ~= "number" then return a, b, c end
  if a % 256 == 0 then return a == 0 or nil, "exit", a / 256 end
  return nil, "signal", a % 128
end

--- Run a shell command: its stdout, and true when it exited 0 (on every
--- Lua: 5.1's pclose reports no status).
function H.sh(cmd)
  local p = io.popen("(" .. cmd .. ")\necho \"__status=$?\"")
  local out = p:read("*a")
  p:close()
  local status = out:match("__status=(%d+)\n$")
  return (out:gsub("__status=%d+\n$", "")), status == "0"
end

--- What io.popen(...):close() returns for a command whose status is `want`
--- ({ ok, how, n } as in 5.2+): Lua 5.1 and LuaJIT return only true, when
--- pclose found its child (not when another waitpid took it).
local close_has_status = select("#", io.popen("true"):close()) == 3
function H.pclose_result(want)
  return close_has_status and want or { true }
end

--- Is bit n (0 = lowest) of the non-negative integer x set?  (No bitwise
--- operators: the specs run on Lua 5.1 too.)
function H.bit(x, n)
  return math.floor(x / 2 ^ n) % 2 == 1
end

--- f(...) raises a `bad argument` error that contains `pattern`.
function H.assert_bad_argument(pattern, f, ...)
  local msg = H.error_of(f, ...)
  assert.matches("bad argument", msg, 1, true)
  assert.matches(pattern, msg, 1, true)
end

--- pcall(f, ...) and return the error message (fails if f succeeded).
function H.error_of(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return tostring(err)
end

return H
