-- cp.utilityProcess.fork(): Electron's utilityProcess semantics over fork.
local H = require("helper")
local cp = H.cp
local F = H.fixtures

local function events_of(u)
  local log = {}
  for _, ev in ipairs({ "spawn", "exit", "message", "error" }) do
    u:on(ev, function(...) log[#log + 1] = { ev, ... } end)
  end
  return log
end

describe("utilityProcess.fork", function()
  after_each(function() H.assert_clean() end)

  local function wait_exit(log)
    H.run_until(function()
      for _, e in ipairs(log) do if e[1] == "exit" then return true end end
      return false
    end, 20000, "exit")
  end

  it("pid is nil before spawn and after exit; exit carries the code only; stdio inherits", function()
    local u = cp.utilityProcess.fork(F .. "utility_child.lua", { "lua" })
    local log = events_of(u)
    assert.is_nil(u.pid)
    assert.is_nil(u.stdout)
    assert.is_nil(u.stderr)
    assert.are.equal("Node Utility Process", u.serviceName)
    H.run_until(function() return #log >= 1 end, 20000, "spawn")
    assert.are.same({ "spawn" }, log[1])
    assert.are.equal("integer", H.compat.mathtype(u.pid))
    u:postMessage("exit")
    wait_exit(log)
    assert.are.same({ "exit", 3 }, log[#log])
    assert.is_nil(u.pid)
    assert.is_false(u:kill())
  end)

  it("messages both ways through process.parentPort; stdio 'pipe' gives streams; serviceName", function()
    local u = cp.utilityProcess.fork(F .. "utility_child.lua", { "arg one" }, { stdio = "pipe", serviceName = "svc" })
    assert.are.equal("svc", u.serviceName)
    local out = H.collect(u.stdout)
    local log = events_of(u)
    u:postMessage("hello")
    H.run_until(function() return #log >= 2 end, 20000, "message")
    assert.are.same({ "message", { hello = "arg one" } }, log[2])
    -- a port in the transfer list
    local a, b = cp.MessageChannel()
    local via
    a:on("message", function(e) via = e.data end)
    u:postMessage({}, { b })
    H.run_until(function() return via ~= nil end, 20000, "port message")
    assert.are.equal("via port", via)
    a:close()
    assert.is_true(u:kill())
    wait_exit(log)
    assert.are.same({ "exit", 128 + 15 }, log[#log])
    assert.are.equal("stdout of the utility child\n", out())
  end)

  it("an uncaught error in the child is error(type, location, report) before exit", function()
    local u = cp.utilityProcess.fork(F .. "utility_child.lua", {}, { stdio = { "ignore", "ignore", "pipe" } })
    local err = H.collect(u.stderr)
    local log = events_of(u)
    u:postMessage("crash")
    wait_exit(log)
    local e = log[#log - 1]
    assert.are.equal("error", e[1])
    assert.are.equal("FatalError", e[2])
    assert.matches("utility_child.lua:%d+$", e[3])
    assert.matches("boom in the utility child", e[4], 1, true)
    assert.matches("traceback", e[4], 1, true)
    assert.are.same({ "exit", 1 }, log[#log])
    assert.matches("boom in the utility child", err(), 1, true)
  end)

  it("bad arguments", function()
    H.assert_bad_argument("modulePath", cp.utilityProcess.fork, nil)
    H.assert_bad_argument("serviceName", cp.utilityProcess.fork, F .. "utility_child.lua", {}, { serviceName = 1 })
    H.assert_bad_argument("stdio", cp.utilityProcess.fork, F .. "utility_child.lua", {}, { stdio = "ipc" })
    H.assert_bad_argument("options must be a table", cp.utilityProcess.fork, F .. "utility_child.lua", {}, 5)
  end)
end)
