--- spec/node/common.lua — what the ports of Node's test-child-process-*
--- tests share: Node's common.mustCall / mustSucceed / mustNotCall (a
--- callback that must run exactly n times, checked by N.finish()), the
--- `"${process.execPath}" -e "…"` command lines (with the Lua interpreter),
--- and common/child_process.js's logAfterTime.  Not a spec itself.
local H = require("helper")

local N = { H = H, cp = H.cp, lua = H.lua }

local expected = {}

--- fn wrapped so that it must be called exactly `n` times (default 1)
--- before N.finish() returns.
function N.mustCall(fn, n)
  local e = { want = n or 1, got = 0, where = debug.traceback("", 2) }
  expected[#expected + 1] = e
  return function(...)
    e.got = e.got + 1
    if fn then return fn(...) end
  end
end

--- A callback that must run once with err == nil; fn gets the rest.
function N.mustSucceed(fn)
  return N.mustCall(function(err, ...)
    assert(err == nil, "expected no error, got " .. tostring(err))
    if fn then return fn(...) end
  end)
end

--- A callback that must never run.
function N.mustNotCall(what)
  return function() error("called: " .. (what or "mustNotCall"), 2) end
end

--- Run the loop until every mustCall has run as often as it must, then
--- check that none ran more often.  Forgets them afterwards.
--- Those created meanwhile (in callbacks) count too.
function N.finish(timeout_ms)
  local list = expected
  local ok, err = pcall(H.run_until, function()
    for i = 1, #list do
      if list[i].got < list[i].want then return false end
    end
    return true
  end, timeout_ms or 20000, "the mustCall callbacks")
  expected = {}
  if not ok then error(err, 0) end
  for i = 1, #list do
    local e = list[i]
    assert(e.got == e.want, ("callback ran %d times, expected %d%s"):format(e.got, e.want, e.where))
  end
end

--- A word for /bin/sh.
function N.q(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- The command line `lua -e code` (Node's `"${process.execPath}" -e "…"`).
function N.lua_cmd(code)
  return N.q(H.lua) .. " -e " .. N.q(code)
end

--- common/child_process.js's logAfterTime(ms) as a shell command: after
--- `ms`, "child stdout" on stdout and "child stderr" on stderr.
function N.log_after_time_cmd(ms)
  return ("sleep %.3f; echo child stdout; echo child stderr >&2"):format(ms / 1000)
end

--- Node's kExpiringChildRunTime / kExpiringParentTimer.
N.kExpiringChildRunTime = 20000
N.kExpiringParentTimer = 1

--- The path of a fixture of the ports (spec/node/fixtures/).
function N.fixture(name)
  return H.root .. "/spec/node/fixtures/" .. name
end

function N.trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

return N
