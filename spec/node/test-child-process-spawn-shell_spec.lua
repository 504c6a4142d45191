-- Port of Node's test/parallel/test-child-process-spawn-shell.js.
-- Translated: `node -pe process.env.BAZ` is `lua -e "print(os.getenv('BAZ'))"`;
-- `{...process.env, BAZ}` is a copy of core.environ(); signal null is nil;
-- `encoding: 'utf8'` is dropped (Lua strings).  Dropped: the Windows
-- branch.
local N = require("node.common")
local cp, H = N.cp, N.H

local function output(child)
  local out = ""
  child.stdout:on("data", function(d) out = out .. d end)
  return function() return out end
end

describe("test-child-process-spawn-shell", function()
  it("runs a shell, passes arguments, has shell features and inherits env", function()
    local doesNotExist = cp.spawn("does-not-exist", { shell = true })
    assert.are_not.equal("does-not-exist", doesNotExist.spawnfile)
    doesNotExist:on("error", N.mustNotCall("error"))
    doesNotExist:on("exit", N.mustCall(function(code, signal)
      assert.is_nil(signal)
      assert.are.equal(127, code)
    end))

    local echo = cp.spawn("echo", { "foo" }, { shell = true })
    assert.are.equal("echo foo", (echo.spawnargs[#echo.spawnargs]:gsub('"', "")))
    local echoOutput = output(echo)
    echo:on("close", N.mustCall(function() assert.are.equal("foo", N.trim(echoOutput())) end))

    local command = cp.spawn("echo bar | cat", { shell = true })
    local commandOutput = output(command)
    command:on("close", N.mustCall(function() assert.are.equal("bar", N.trim(commandOutput())) end))

    local env = H.core.environ()
    env.BAZ = "buzz"
    local e = cp.spawn(N.q(N.lua) .. " -e \"print(os.getenv('BAZ'))\"", { env = env, shell = true })
    local envOutput = output(e)
    e:on("close", N.mustCall(function() assert.are.equal("buzz", N.trim(envOutput())) end))
    N.finish()
    H.assert_clean()
  end)
end)
