-- Port of Node's test/parallel/test-child-process-reject-null-bytes.js:
-- a NUL byte in the command, file, modulePath, args, cwd, argv0, shell,
-- env (key or value), execPath or execArgv is an error at the call.
-- Translated: ERR_INVALID_ARG_VALUE is a `bad argument` error (the message
-- says "NUL bytes" for all but the env keys and values, whose message
-- names the entry); no child is started, so mustNotCall callbacks never
-- run (checked by assert_clean: nothing left to run).
local N = require("node.common")
local cp, H = N.cp, N.H

local lua, me = N.lua, N.fixture("empty.lua")
local nop = N.mustNotCall("callback")

local function throws(f, ...)
  H.assert_bad_argument("", f, ...)
end

describe("test-child-process-reject-null-bytes", function()
  after_each(function() H.assert_clean() end)

  it("in the command", function()
    throws(cp.exec, lua .. " " .. me .. " AAA BBB\0XXX CCC", nop)
    throws(cp.exec, "BBB\0XXX AAA CCC", nop)
    throws(cp.execSync, lua .. " " .. me .. " AAA BBB\0XXX CCC")
    throws(cp.execSync, "BBB\0XXX AAA CCC")
  end)

  it("in the file and modulePath", function()
    throws(cp.spawn, "BBB\0XXX")
    throws(cp.execFile, "BBB\0XXX", nop)
    throws(cp.execFileSync, "BBB\0XXX")
    throws(cp.spawnSync, "BBB\0XXX")
    throws(cp.fork, "BBB\0XXX")
  end)

  it("in args", function()
    local args = { me, "AAA", "BBB\0XXX", "CCC" }
    throws(cp.execFile, lua, args, nop)
    throws(cp.execFileSync, lua, args)
    throws(cp.fork, me, { "AAA", "BBB\0XXX", "CCC" })
    throws(cp.spawn, lua, args)
    throws(cp.spawnSync, lua, args)
  end)

  for _, opt in ipairs({
    { "cwd", "BBB\0XXX" }, { "argv0", "BBB\0XXX" }, { "shell", "BBB\0XXX" },
    { "env", { AAA = "BBB\0XXX" } }, { "env", { ["BBB\0XXX"] = "AAA" } },
  }) do
    it("in options." .. opt[1], function()
      local o = { [opt[1]] = opt[2] }
      throws(cp.exec, lua, o, nop)
      throws(cp.execFile, lua, o, nop)
      throws(cp.execFileSync, lua, o)
      throws(cp.execSync, lua, o)
      if opt[1] ~= "shell" then throws(cp.fork, me, o) end -- fork takes no shell
      throws(cp.spawn, lua, o)
      throws(cp.spawnSync, lua, o)
    end)
  end

  it("in options.execPath and options.execArgv (fork)", function()
    throws(cp.fork, me, { execPath = "BBB\0XXX" })
    throws(cp.fork, me, { execArgv = { "AAA", "BBB\0XXX", "CCC" } })
  end)
end)
