-- Port of Node's test/parallel/test-child-process-spawnsync-shell.js.
-- Translated: `node -pe process.env.BAZ` is `lua -e "print(os.getenv('BAZ'))"`;
-- `{...process.env, BAZ}` is a copy of core.environ(); signal null is nil.
-- Dropped: result.file (Node's spawnSync result has none either: the
-- assertion is vacuous), the checks of the options handed to the internal
-- spawnSync, and the platform monkey-patching of shell names for darwin,
-- android and win32 (Node internals; Linux only here).  What stays shows
-- the same from outside: the shell runs, gets `command args` joined, and
-- inherits env.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-spawnsync-shell", function()
  it("runs a shell", function()
    local doesNotExist = cp.spawnSync("does-not-exist", { shell = true })
    assert.is_nil(doesNotExist.error)
    assert.is_nil(doesNotExist.signal)
    assert.are.equal(127, doesNotExist.status)
  end)

  it("passes arguments", function()
    local echo = cp.spawnSync("echo", { "foo" }, { shell = true })
    assert.are.equal("foo", N.trim(echo.stdout))
  end)

  it("has shell features", function()
    local command = cp.spawnSync("echo bar | cat", { shell = true })
    assert.are.equal("bar", N.trim(command.stdout))
  end)

  it("inherits env", function()
    local env = H.core.environ()
    env.BAZ = "buzz"
    local r = cp.spawnSync(N.q(N.lua) .. " -e \"print(os.getenv('BAZ'))\"", { env = env, shell = true })
    assert.are.equal("buzz", N.trim(r.stdout))
  end)
end)
