-- Port of Node's test/parallel/test-child-process-spawnsync-validation-errors.js.
-- Translated: every ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE /
-- ERR_UNKNOWN_SIGNAL is a `bad argument` naming the option; undefined and
-- null are both nil; __dirname is a directory string.  The uid/gid cases
-- run here also as root (Node skips them for root because pass() with
-- the own uid would need it; validation does not depend on it).
-- Changed on purpose: timeout = Infinity (math.huge) passes, meaning no
-- limit (issue 11, item 8: "math.huge means no limit"), where Node
-- rejects it.  Dropped: windowsHide and windowsVerbatimArguments
-- (Windows-only options; unknown options are ignored, SPEC section 2) and
-- the Object.prototype property names as signal names (JavaScript
-- specific; arbitrary strings are covered by SIGNOTAVALIDSIGNALNAME).
local N = require("node.common")
local cp, H = N.cp, N.H

local function pass(option, value)
  local child = cp.spawnSync("not_a_real_command", { [option] = value })
  assert.are.equal("ENOENT", child.error and child.error.code, option .. " = " .. tostring(value))
end

local function fail(option, value)
  H.assert_bad_argument("option '" .. option .. "'", cp.spawnSync, "not_a_real_command", { [option] = value })
end

local dir = H.root .. "/spec/node"
local fn = function() error("must not be called") end

describe("test-child-process-spawnsync-validation-errors", function()
  it("cwd", function()
    pass("cwd", nil)
    pass("cwd", dir)
    for _, v in ipairs({ 0, 1, true, false, {}, fn }) do fail("cwd", v) end
  end)

  it("detached", function()
    pass("detached", nil)
    pass("detached", true)
    pass("detached", false)
    for _, v in ipairs({ 0, 1, dir, {}, fn }) do fail("detached", v) end
  end)

  it("uid and gid", function()
    for _, opt in ipairs({ "uid", "gid" }) do
      pass(opt, nil)
      pass(opt, 0)
      for _, v in ipairs({ dir, true, false, {}, fn, 0 / 0, math.huge, 3.1, -3.1 }) do fail(opt, v) end
    end
  end)

  it("shell", function()
    pass("shell", nil)
    pass("shell", false)
    for _, v in ipairs({ 0, 1, {}, fn }) do fail("shell", v) end
  end)

  it("argv0", function()
    pass("argv0", nil)
    pass("argv0", "myArgv0")
    for _, v in ipairs({ 0, 1, true, false, {}, fn }) do fail("argv0", v) end
  end)

  it("timeout", function()
    pass("timeout", nil)
    pass("timeout", 1)
    pass("timeout", 0)
    pass("timeout", math.huge) -- no limit here; Node rejects Infinity
    for _, v in ipairs({ -1, true, false, dir, {}, fn, 0 / 0, 3.1, -3.1 }) do fail("timeout", v) end
  end)

  it("maxBuffer", function()
    for _, v in ipairs({ 1, 0, math.huge, 3.14 }) do pass("maxBuffer", v) end
    pass("maxBuffer", nil)
    for _, v in ipairs({ -1, 0 / 0, -math.huge, true, false, dir, {}, fn }) do fail("maxBuffer", v) end
  end)

  it("killSignal", function()
    pass("killSignal", nil)
    pass("killSignal", "SIGKILL")
    for _, v in ipairs({ "SIGNOTAVALIDSIGNALNAME", true, false, {}, fn, 500, 0, -200, 3.14 }) do
      fail("killSignal", v)
    end
    -- Node's os.constants.signals on Linux.
    for _, name in ipairs({
      "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGIOT", "SIGBUS", "SIGFPE",
      "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGCHLD",
      "SIGSTKFLT", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
      "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPOLL", "SIGPWR", "SIGSYS",
    }) do
      pass("killSignal", H.core.signal_number(name))
      pass("killSignal", name)
      pass("killSignal", name:lower())
    end
  end)
end)
