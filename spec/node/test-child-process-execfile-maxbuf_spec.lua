-- Port of Node's test/parallel/test-child-process-execfile-maxbuf.js.
-- Translated: execFile(process.execPath, ['-e', …]) runs the Lua
-- interpreter with -e; maxBuffer counts bytes (Lua strings), which gives
-- the same verdicts here since every case overflows by bytes as by
-- characters.  The `encoding: null` + setEncoding cases are the same call
-- in Lua (no encodings) and are folded into the two UTF-8 cases.
-- Dropped: `err instanceof RangeError` (err.code says it).
local N = require("node.common")
local cp, H = N.cp, N.H

local function checkFactory(streamName)
  return N.mustCall(function(err)
    assert.are.equal(streamName .. " maxBuffer length exceeded", err.message)
    assert.are.equal("ERR_CHILD_PROCESS_STDIO_MAXBUFFER", err.code)
  end)
end

local unicode = "中文测试"

describe("test-child-process-execfile-maxbuf", function()
  after_each(function() H.assert_clean() end)

  it("default maxBuffer is 1 MiB", function()
    cp.execFile(N.lua, { "-e", "print(('a'):rep(1024 * 1024))" }, checkFactory("stdout"))
    cp.execFile(N.lua, { "-e", "print(('a'):rep(1024 * 1024 - 1))" }, N.mustSucceed(function(stdout, stderr)
      assert.are.equal(("a"):rep(1024 * 1024 - 1), N.trim(stdout))
      assert.are.equal("", stderr)
    end))
    N.finish()
  end)

  it("maxBuffer = math.huge (Infinity)", function()
    cp.execFile(N.lua, { "-e", "print('hello world')" }, { maxBuffer = math.huge },
      N.mustSucceed(function(stdout, stderr)
        assert.are.equal("hello world", N.trim(stdout))
        assert.are.equal("", stderr)
      end))
    N.finish()
  end)

  it("names the stream that overflowed", function()
    cp.execFile("echo", { "hello world" }, { maxBuffer = 5 }, checkFactory("stdout"))
    cp.execFile(N.lua, { "-e", "print('" .. unicode .. "')" }, { maxBuffer = 10 }, checkFactory("stdout"))
    cp.execFile(N.lua, { "-e", "io.stderr:write('" .. unicode .. "\\n')" }, { maxBuffer = 10 },
      checkFactory("stderr"))
    N.finish()
  end)
end)
