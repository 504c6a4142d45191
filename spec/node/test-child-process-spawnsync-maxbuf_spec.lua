-- Port of Node's test/parallel/test-child-process-spawnsync-maxbuf.js.
-- Translated: spawnSync(process.execPath, ['-e', …]) runs the Lua
-- interpreter with -e; getSystemErrorName(errno) is errno == -105;
-- assert.ifError(ret.error) is ret.error == nil.  All assertions kept.
local N = require("node.common")
local cp = N.cp

local msgOut = "this is stdout"
local msgOutBuf = msgOut .. "\n"
local args = { "-e", "print('" .. msgOut .. "')" }

describe("test-child-process-spawnsync-maxbuf", function()
  it("returns ENOBUFS past maxBuffer and keeps the chunk read", function()
    local ret = cp.spawnSync(N.lua, args, { maxBuffer = 1 })
    assert.is_not_nil(ret.error)
    assert.are.equal("ENOBUFS", ret.error.code)
    assert.are.equal(-105, ret.error.errno)
    assert.are.equal(msgOutBuf, ret.stdout)
  end)

  it("maxBuffer = math.huge (Infinity) works", function()
    local ret = cp.spawnSync(N.lua, args, { maxBuffer = math.huge })
    assert.is_nil(ret.error)
    assert.are.equal(msgOutBuf, ret.stdout)
  end)

  it("default maxBuffer is 1 MiB", function()
    local ret = cp.spawnSync(N.lua, { "-e", "print(('a'):rep(1024 * 1024))" })
    assert.are.equal("ENOBUFS", ret.error and ret.error.code)
    assert.are.equal(-105, ret.error.errno)
    ret = cp.spawnSync(N.lua, { "-e", "print(('a'):rep(1024 * 1024 - 1))" })
    assert.is_nil(ret.error)
    assert.are.equal(("a"):rep(1024 * 1024 - 1), N.trim(ret.stdout))
  end)
end)
