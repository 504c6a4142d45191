--- guest_host_spec.lua — SPEC §6: the module as a guest of a C host
--- (build/guest_host, spec/guest_host.c): a host that owns SIGCHLD before or
--- after the require, a host that reaps with waitpid(-1), states opened and
--- closed in a loop (no zombies), two states on two threads.
local H = require("helper")
local cp = H.cp

local GUEST = H.host("guest_host")

-- Run the host with args; returns stdout, stderr, code, signal.  A hung
-- host is killed after 40 s (its code is then nil and its signal SIGTERM).
local function run_host(args, extra_env)
  if not H.checkout_file(GUEST, "make", pending) then return nil end
  local env = H.lua_env()
  for k, v in pairs(extra_env or {}) do env[k] = v end
  local c = cp.spawn(GUEST, args, { env = env, timeout = 40000 })
  local out, err = H.collect(c.stdout), H.collect(c.stderr)
  local code, sig = H.wait_close(c, 60000)
  return out(), err(), code, sig
end

-- The "key: value" lines of the host's output, as a table.
local function lines(out)
  local t = {}
  for k, v in out:gmatch("([^\n:]+): ([^\n]*)") do t[k] = v end
  return t
end

describe("a C host", function()
  after_each(function() H.assert_clean() end)

  it("that installed its own SIGCHLD handler keeps it, also after lua_close", function()
    local out, err, code = run_host({ "--sigchld-before", H.fixtures .. "guest_sigchld.lua" })
    assert.are.equal("", err)
    assert.are.equal(0, code)
    assert.are.same({
      ["after require"] = "host",
      ["first child"] = "7 nil",
      ["after a child"] = "host",
      ["five children"] = "1 nil, 2 nil, 3 nil, 4 nil, 5 nil",
      ["after five"] = "host",
      ["host saw SIGCHLD"] = "true", -- the handler is the host's and still runs
      ["sigchld after close"] = "host",
    }, lines(out))
  end)

  it("that installs its SIGCHLD handler after the module's first child: every exit is still seen", function()
    local out, err, code = run_host({ H.fixtures .. "guest_sigchld.lua" }, { GUEST_SET_AFTER = "1" })
    assert.are.equal("", err)
    assert.are.equal(0, code)
    local got = lines(out)
    assert.are.equal("7 nil", got["first child"])
    assert.are.equal("host", got["host handler set"])
    assert.are.equal("1 nil, 2 nil, 3 nil, 4 nil, 5 nil", got["five children"])
    assert.are.equal("host", got["after five"])
    assert.are.equal("host", got["sigchld after close"])
  end)

  it("that reaps with waitpid(-1): no made-up status, an ECHILD error event", function()
    local out, err, code = run_host({ H.fixtures .. "guest_waitpid.lua" })
    assert.are.equal("", err)
    assert.are.equal(0, code)
    local got = lines(out)
    -- exit 7 and a SIGKILL alike: the host has the status, the module has
    -- none to give; close carries neither a code nor a signal.
    assert.are.equal("host reaped exit 7; wait nil nil; exitCode nil signalCode nil; "
      .. "events: error ECHILD, exit nil nil, close nil nil", got["exit 7"])
    assert.are.equal("host reaped signal 9; wait nil nil; exitCode nil signalCode nil; "
      .. "events: error ECHILD, exit nil nil, close nil nil", got["kill -KILL $$"])
  end)

  it("that reaps with waitpid(-1): an ECHILD error that raises loses neither exit nor close", function()
    local out, err, code = run_host({ H.fixtures .. "guest_waitpid_raise.lua" })
    assert.are.equal("", err)
    assert.are.equal(0, code)
    local got = lines(out)
    assert.are.equal("wait raised boom in error; events: error ECHILD, exit nil nil, close nil nil",
      got["raising listener"])
    -- No listener: the error event raises, as in Node.
    assert.are.equal("wait raised ECHILD; events: exit nil nil, close nil nil", got["no listener"])
  end)

  it("that opens, spawns in and closes 5 states in turn is left with no zombie", function()
    local out, err, code = run_host({ "--cycles", "5", "--reap-check", H.fixtures .. "guest_cycle.lua" })
    assert.are.equal("", err)
    assert.are.equal(0, code)
    assert.is_nil(out:match("children still running"), out)
    assert.are.equal("0", out:match("zombies (%d+)"), out)
  end)

  it("runs two states on two threads, both spawning at once", function()
    local out, err, code, sig = run_host({ "--threads", "2", "--reap-check", H.fixtures .. "guest_threads.lua" })
    assert.are.equal("", err)
    assert.is_nil(sig)
    assert.are.equal(0, code)
    local got = lines(out)
    assert.are.equal("20 of 20 closed", got.T1)
    assert.are.equal("20 of 20 closed", got.T2)
    assert.are.equal("0", out:match("zombies (%d+)"))
  end)
end)
