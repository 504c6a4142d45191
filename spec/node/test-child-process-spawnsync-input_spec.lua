-- Port of Node's test/parallel/test-child-process-spawnsync-input.js.
-- Translated: the `spawnchild` re-runs of the test file are `lua -e`
-- children that call spawnSync with stdio 'inherit' (as a string and as
-- an array) and exit 0; `node -e` is `lua -e`; Buffers are strings, so the
-- Buffer input and the `encoding: 'utf8'` cases are the string cases.
-- input = 1234 is a `bad argument` naming 'input' (Node's
-- ERR_INVALID_ARG_TYPE).  Dropped: the ArrayBufferView inputs (no typed
-- arrays in Lua).
local N = require("node.common")
local cp, H = N.cp, N.H

local msgOut = "this is stdout"
local msgErr = "this is stderr"
local args = { "-e", ("io.stdout:write(%q, '\\n') io.stderr:write(%q, '\\n')"):format(msgOut, msgErr) }

local function checkSpawnSyncRet(ret)
  assert.are.equal(0, ret.status)
  assert.is_nil(ret.error)
end

local function verifyBufOutput(ret)
  checkSpawnSyncRet(ret)
  assert.are.equal(msgOut .. "\n", ret.stdout)
  assert.are.equal(msgErr .. "\n", ret.stderr)
end

describe("test-child-process-spawnsync-input", function()
  it("a child's spawnSync with inherited stdio writes to the child's stdio", function()
    for _, stdio in ipairs({ "'inherit'", "{ 'inherit', 'inherit', 'inherit' }" }) do
      local code = ([[
        local cp = require("child_process")
        local ret = cp.spawnSync(%q, { %q, %q }, { stdio = %s })
        assert(ret.status == 0 and ret.error == nil)
        os.exit(0)
      ]]):format(N.lua, args[1], args[2], stdio)
      verifyBufOutput(cp.spawnSync(N.lua, { "-e", code }, { env = H.lua_env() }))
    end
  end)

  it("input must be a string", function()
    H.assert_bad_argument("option 'input'", cp.spawnSync, "cat", {}, { input = 1234 })
  end)

  it("input is written to the child", function()
    local options = { input = "hello world" }
    local ret = cp.spawnSync("cat", {}, options)
    checkSpawnSyncRet(ret)
    assert.are.equal(options.input, ret.stdout)
    assert.are.equal("", ret.stderr)
    local msgBuf = ("hello world"):rep(8)
    ret = cp.spawnSync("cat", {}, { input = msgBuf })
    checkSpawnSyncRet(ret)
    assert.are.equal(msgBuf, ret.stdout)
  end)

  it("captures stdout and stderr", function()
    verifyBufOutput(cp.spawnSync(N.lua, args))
  end)
end)
