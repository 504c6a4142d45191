-- Port of Node's test/parallel/test-child-process-execsync-maxbuf.js.
-- Translated: `node -e "console.log(…)"` is `lua -e "print(…)"`; Buffers
-- are strings; getSystemErrorName(e.errno) is checked as errno == -105
-- (ENOBUFS on Linux, as Node's negative errno).  All assertions kept.
local N = require("node.common")
local cp = N.cp

local msgOut = "this is stdout"
local msgOutBuf = msgOut .. "\n"
local ENOBUFS = -105

describe("test-child-process-execsync-maxbuf", function()
  it("raises ENOBUFS past maxBuffer and keeps the chunk read", function()
    local ok, e = pcall(cp.execSync, N.lua_cmd("print('" .. msgOut .. "')"), { maxBuffer = 1 })
    assert.is_false(ok)
    assert.are.equal("ENOBUFS", e.code)
    assert.are.equal(ENOBUFS, e.errno)
    assert.are.equal(msgOutBuf, e.stdout)
  end)

  it("maxBuffer = math.huge (Infinity) works", function()
    assert.are.equal(msgOutBuf, cp.execSync(N.lua_cmd("print('" .. msgOut .. "')"), { maxBuffer = math.huge }))
  end)

  it("default maxBuffer is 1 MiB", function()
    local ok, e = pcall(cp.execSync, N.lua_cmd("print(('a'):rep(1024 * 1024))"))
    assert.is_false(ok)
    assert.are.equal("ENOBUFS", e.code)
    assert.are.equal(ENOBUFS, e.errno)
    local ret = cp.execSync(N.lua_cmd("print(('a'):rep(1024 * 1024 - 1))"))
    assert.are.equal(("a"):rep(1024 * 1024 - 1), N.trim(ret))
  end)
end)
