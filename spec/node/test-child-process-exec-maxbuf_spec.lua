-- Port of Node's test/parallel/test-child-process-exec-maxbuf.js.
-- Translated: `node -e "console.log(…)"` children are `lua -e "print(…)"`;
-- maxBuffer counts bytes here (Lua strings are bytes), where Node counts
-- the characters of a decoded string: so '中文测试\n' (13 bytes) with
-- maxBuffer 10 keeps its first 10 bytes, not the whole 5 characters, and
-- console.error('中文测试') with maxBuffer 3 keeps 3 bytes ('中'), not 3
-- characters.  The `encoding: null` cases (Buffers, setEncoding) are what
-- Lua always does: their byte expectations are kept.  Dropped:
-- `err instanceof RangeError` (no error classes in Lua; err.code says it).
local N = require("node.common")
local cp, H = N.cp, N.H

local function runChecks(err, stdio, streamName, expected)
  assert.are.equal(streamName .. " maxBuffer length exceeded", err.message)
  assert.are.equal("ERR_CHILD_PROCESS_STDIO_MAXBUFFER", err.code)
  assert.are.equal(expected, stdio[streamName])
end

local unicode = "中文测试" -- 12 bytes

describe("test-child-process-exec-maxbuf", function()
  after_each(function() H.assert_clean() end)

  it("default maxBuffer (1 MiB): 1 MiB + newline is too much", function()
    cp.exec(N.lua_cmd("print(('a'):rep(1024 * 1024))"), N.mustCall(function(err, stdout, stderr)
      runChecks(err, { stdout = stdout, stderr = stderr }, "stdout", ("a"):rep(1024 * 1024))
    end))
    N.finish()
  end)

  it("default maxBuffer (1 MiB): 1 MiB - 1 + newline fits", function()
    cp.exec(N.lua_cmd("print(('a'):rep(1024 * 1024 - 1))"), N.mustSucceed(function(stdout, stderr)
      assert.are.equal(("a"):rep(1024 * 1024 - 1), N.trim(stdout))
      assert.are.equal("", stderr)
    end))
    N.finish()
  end)

  it("maxBuffer = math.huge (Infinity)", function()
    cp.exec(N.lua_cmd("print('hello world')"), { maxBuffer = math.huge }, N.mustSucceed(function(stdout, stderr)
      assert.are.equal("hello world", N.trim(stdout))
      assert.are.equal("", stderr)
    end))
    N.finish()
  end)

  it("echo hello world with maxBuffer 5", function()
    cp.exec("echo hello world", { maxBuffer = 5 }, N.mustCall(function(err, stdout, stderr)
      runChecks(err, { stdout = stdout, stderr = stderr }, "stdout", "hello")
    end))
    N.finish()
  end)

  it("UTF-8 on stdout, maxBuffer 10 (bytes)", function()
    cp.exec(N.lua_cmd("print('" .. unicode .. "')"), { maxBuffer = 10 }, N.mustCall(function(err, stdout, stderr)
      runChecks(err, { stdout = stdout, stderr = stderr }, "stdout", (unicode .. "\n"):sub(1, 10))
    end))
    N.finish()
  end)

  it("UTF-8 on stderr, maxBuffer 3 (bytes)", function()
    cp.exec(N.lua_cmd("io.stderr:write('" .. unicode .. "\\n')"), { maxBuffer = 3 },
      N.mustCall(function(err, stdout, stderr)
        runChecks(err, { stdout = stdout, stderr = stderr }, "stderr", "中")
      end))
    N.finish()
  end)

  it("UTF-8 on stderr, maxBuffer 5: the first 5 bytes (Node's Buffer case)", function()
    cp.exec(N.lua_cmd("io.stderr:write('" .. unicode .. "\\n')"), { maxBuffer = 5 },
      N.mustCall(function(err, stdout, stderr)
        runChecks(err, { stdout = stdout, stderr = stderr }, "stderr", unicode:sub(1, 5))
      end))
    N.finish()
  end)
end)
