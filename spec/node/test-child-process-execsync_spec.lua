-- Port of Node's test/sequential/test-child-process-execsync.js.
-- Translated: `node -e "setTimeout(…, SLEEP)"` is `sleep 2`; `node -e
-- "console.log(…)"` is `lua -e "print(…)"`; Date.now() is the module's
-- core.now() (ms); Buffers and `encoding: 'utf8'` are both strings.
-- Changed: Node asserts e.errno === 'ETIMEDOUT' (a string there); errno
-- is the negative number here (-110), as for every spawn error of this
-- module and of current Node's spawnSync, and e.code is 'ETIMEDOUT'.
-- The list of spawnSync's result keys leaves out `signal`, which is nil
-- (a Lua table holds no nil values); Node's has it as null.
-- Dropped: `err instanceof Error`.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-execsync", function()
  it("a bad shell is an ENOENT error naming it", function()
    local ok, e = pcall(cp.execSync, "exit -1", { shell = "bad_shell" })
    assert.is_false(ok)
    assert.matches("spawnSync bad_shell ENOENT", tostring(e.message), 1, true)
    ok, e = pcall(cp.execFileSync, "exit -1", { shell = "bad_shell" })
    assert.is_false(ok)
    assert.matches("spawnSync bad_shell ENOENT", tostring(e.message), 1, true)
  end)

  it("a timeout raises ETIMEDOUT and returns early", function()
    local TIMER, SLEEP = 200, 2000
    local start = H.core.now()
    local ok, err = pcall(cp.execSync, "sleep " .. math.floor(SLEEP / 1000), { timeout = TIMER })
    assert.is_false(ok)
    assert.are.equal("ETIMEDOUT", err.code)
    assert.are.equal(-110, err.errno)
    assert.is_true(H.core.now() - start < SLEEP)
    assert.is_true((err.status and err.status > 128) or err.signal ~= nil)
  end)

  it("a failed command raises 'Command failed'", function()
    local ok, e = pcall(cp.execSync, "iamabadcommand", { stdio = "pipe" })
    assert.is_false(ok)
    assert.matches("Command failed: iamabadcommand", e.message, 1, true)
  end)

  it("returns stdout", function()
    local msg = "foobar"
    local ret = cp.execSync(N.lua_cmd("print('" .. msg .. "')"))
    assert.are.equal(msg .. "\n", ret)
    local args = { "-e", "print('" .. msg .. "')" }
    assert.are.equal(msg .. "\n", cp.execFileSync(N.lua, args))
  end)

  it("uses cwd", function()
    local cwd = H.root
    assert.are.equal(cwd, N.trim(cp.execSync("pwd", { cwd = cwd })))
  end)

  it("does not touch stderr with stdio 'ignore'", function()
    local ok, e = pcall(cp.execSync, "exit -1", { stdio = "ignore" })
    assert.is_false(ok)
    assert.matches("Command failed: exit -1", e.message, 1, true)
  end)

  it("execFileSync's error carries spawnSync's result", function()
    local args = { "-e", "os.exit(1)" }
    local spawnSyncResult = cp.spawnSync(N.lua, args)
    local keys = {}
    for k in pairs(spawnSyncResult) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.are.same({ "output", "pid", "status", "stderr", "stdout" }, keys)
    local ok, err = pcall(cp.execFileSync, N.lua, args)
    assert.is_false(ok)
    assert.are.equal("Command failed: " .. N.lua .. " " .. table.concat(args, " "), err.message)
    assert.are.equal(1, err.status)
    assert.are.equal("number", type(err.pid))
    for _, key in ipairs(keys) do
      if key ~= "pid" then assert.are.same(spawnSyncResult[key], err[key], key) end
    end
  end)

  it("the shell option works", function()
    cp.execFileSync(N.lua, {}, { shell = true })
  end)
end)
