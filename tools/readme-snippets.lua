--- tools/readme-snippets.lua — run every ```lua block of README.md as
--- pasted, each in a fresh interpreter with a timeout, from the checkout's
--- root with the module of build/ (CI: `make snippets`).
---
---   lua5.4 tools/readme-snippets.lua [README.md] [timeout_seconds]
---
--- A block that uses the forked child's global `process` is a worker: it
--- is forked (through the bootstrap) by a small parent that sends it
--- { n = 3 } and expects an answer, then disconnects and expects exit 0.
--- How it is sent depends on the worker: a worker that calls
--- `process.handle` gets it as a request (a reply, or an error its handler
--- raised, is the answer); one that reads `e.ports` gets it with a
--- MessagePort in the transfer list, and { n = 3 } again on that port, where
--- the answer is expected; any other gets it by postMessage.
---
--- A block opened with ```lua norun is not run (say why next to it, e.g. it
--- needs a package Debian does not ship); any other text after ```lua is an
--- error, so that a typo does not silently skip a block.
--- Exit status: 0 when every block ran and exited 0, else 1.
local readme = arg[1] or "README.md"
local timeout = tonumber(arg[2]) or 60
local lua = arg[-1] or "lua"
local cpath = os.getenv("CP_SNIPPET_CPATH") or "build/?.so"

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local blocks, cur, n, norun = {}, nil, 0, 0
for line in io.lines(readme) do
  n = n + 1
  if cur then
    if line:match("^```") then
      if not cur.norun then blocks[#blocks + 1] = cur end
      cur = nil
    else
      cur.lines[#cur.lines + 1] = line
    end
  elseif line:match("^```lua%s*$") then
    cur = { at = n + 1, lines = {} }
  elseif line:match("^```lua%s+norun%s*$") then
    norun = norun + 1 -- its body is read as a block that is not run
    cur = { at = n + 1, lines = {}, norun = true }
  elseif line:match("^```lua") then
    error(readme .. ":" .. n .. ": unknown fence " .. line .. " (```lua or ```lua norun)")
  end
end
if cur then error(readme .. ":" .. cur.at .. ": unterminated ```lua block") end

local tmp = os.tmpname()
local worker_parent = [[
local cp = require("child_process")
local w = cp.fork(arg[1], {}, { silent = false })
local got
if arg[2] == "handle" then
  local err, reply = w:request({ n = 3 }, { timeout = 30000 }):wait()
  assert(err == nil or err.remote, "the request failed: " .. tostring(err and err.message))
  got = err and { remote_error = err.message } or { reply = reply }
  w:disconnect()
elseif arg[2] == "ports" then
  local mine, theirs = cp.MessageChannel()
  mine:on("message", function(e) got = e.data mine:close() w:disconnect() end)
  w:postMessage({ n = 3 }, { theirs })
  mine:postMessage({ n = 3 })
else
  w:on("message", function(m) got = m w:disconnect() end)
  w:send({ n = 3 })
end
local code = w:wait()
assert(got ~= nil, "the worker never answered")
assert(code == 0, "the worker exited with " .. tostring(code))
print("worker answered " .. cp.json.encode(got))
]]

local failed = 0
for i, b in ipairs(blocks) do
  local code = table.concat(b.lines, "\n") .. "\n"
  local f = assert(io.open(tmp .. ".lua", "w"))
  f:write(code)
  f:close()
  local run = tmp .. ".lua"
  if code:match("process%.parentPort") or code:match("process%.on%(") or code:match("process%.send%(")
    or code:match("process%.handle%(") then
    f = assert(io.open(tmp .. "_parent.lua", "w"))
    f:write(worker_parent)
    f:close()
    local mode = (code:match("process%.handle%(") or code:match(":handle%(")) and "handle"
      or code:match("%.ports%[") and "ports" or "message"
    run = tmp .. "_parent.lua " .. q(tmp .. ".lua") .. " " .. mode
  end
  io.write(("--- block %d (%s:%d)\n"):format(i, readme, b.at))
  io.flush()
  local cmd = "LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH=" .. q(cpath .. ";;") ..
    " timeout " .. timeout .. " " .. q(lua) .. " " .. run .. " 2>&1"
  local p = io.popen(cmd .. "; echo \"exit status $?\"")
  local out = p:read("*a")
  p:close()
  local status = tonumber(out:match("exit status (%d+)\n$"))
  io.write((out:gsub("exit status %d+\n$", "")))
  if status ~= 0 then
    failed = failed + 1
    io.write(("FAILED: block %d (%s:%d) exited with %s%s\n"):format(i, readme, b.at, tostring(status),
      status == 124 and " (timed out after " .. timeout .. " s)" or ""))
  end
end
os.remove(tmp)
os.remove(tmp .. ".lua")
os.remove(tmp .. "_parent.lua")
print(("%d of %d README blocks ran as pasted (%d marked norun)"):format(#blocks - failed, #blocks, norun))
os.exit(failed == 0 and 0 or 1)
