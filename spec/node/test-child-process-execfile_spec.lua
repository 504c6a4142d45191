-- Port of Node's test/parallel/test-child-process-execfile.js.
-- Translated: fixtures/exit.js is fixtures/exit.lua; execPath is the Lua
-- interpreter; `encoding: 'utf8'` is dropped (Lua strings).  Dropped: the
-- negative exit code case (Node emits a fake 'close' with code -1 on the
-- child: exec's completion here is not a 'close' listener, and a real
-- child cannot exit with a negative code) and every AbortSignal case
-- (options.signal is not part of this module yet, SPEC section 10).
local N = require("node.common")
local cp, H = N.cp, N.H

local fixture = N.fixture("exit.lua")

describe("test-child-process-execfile", function()
  after_each(function() H.assert_clean() end)

  it("the arguments are in the error message", function()
    cp.execFile(N.lua, { fixture, 42 }, N.mustCall(function(e)
      assert.are.equal("Command failed: " .. N.lua .. " " .. fixture .. " 42", N.trim(e.message))
      assert.are.equal(42, e.code)
    end))
    N.finish()
  end)

  it("the shell option works", function()
    cp.execFile(N.lua, { fixture, 0 }, { shell = true }, N.mustSucceed())
    N.finish()
  end)

  it("execFile's stdout is execFileSync's", function()
    for _, options in ipairs({ {}, { shell = true } }) do
      local execFileSyncStdout = cp.execFileSync("echo", { "foo", "bar" }, options)
      assert.are.equal("foo bar\n", execFileSyncStdout)
      cp.execFile("echo", { "foo", "bar" }, options, N.mustCall(function(_, stdout)
        assert.are.equal(execFileSyncStdout, stdout)
      end))
    end
    N.finish()
  end)
end)
