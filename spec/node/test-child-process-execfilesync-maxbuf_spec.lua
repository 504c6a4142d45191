-- Port of Node's test/parallel/test-child-process-execfilesync-maxbuf.js.
-- Translated: execFileSync(process.execPath, ['-e', …]) runs the Lua
-- interpreter with -e; getSystemErrorName(e.errno) is errno == -105.
-- All assertions kept.
local N = require("node.common")
local cp = N.cp

local msgOut = "this is stdout"
local msgOutBuf = msgOut .. "\n"
local args = { "-e", "print('" .. msgOut .. "')" }

describe("test-child-process-execfilesync-maxbuf", function()
  it("raises ENOBUFS past maxBuffer and keeps the chunk read", function()
    local ok, e = pcall(cp.execFileSync, N.lua, args, { maxBuffer = 1 })
    assert.is_false(ok)
    assert.are.equal("ENOBUFS", e.code)
    assert.are.equal(-105, e.errno)
    assert.are.equal(msgOutBuf, e.stdout)
  end)

  it("maxBuffer = math.huge (Infinity) works", function()
    assert.are.equal(msgOutBuf, cp.execFileSync(N.lua, args, { maxBuffer = math.huge }))
  end)

  it("default maxBuffer is 1 MiB", function()
    local ok, e = pcall(cp.execFileSync, N.lua, { "-e", "print(('a'):rep(1024 * 1024))" })
    assert.is_false(ok)
    assert.are.equal("ENOBUFS", e.code)
    assert.are.equal(-105, e.errno)
  end)
end)
