-- Port of Node's test/parallel/test-child-process-cwd.js.
-- Translated: common.pwdCommand is `pwd`; typeof pid is a number or nil;
-- Node's `exit` code -1 for a failed spawn is no `exit` event here (Node's
-- test does not require one either: "may or may not fire").  cwd = null is
-- the same as undefined in Lua (nil).  Dropped: the URL cwd cases (no URL
-- objects in Lua) and tmpdir.fileURL().
local N = require("node.common")
local cp, H = N.cp, N.H

local function testCwd(options, expectPidType, expectCode, expectData)
  expectCode = expectCode or 0
  local child = cp.spawn("pwd", {}, options)
  assert.are.equal(expectPidType, type(child.pid))
  local data = ""
  child.stdout:on("data", function(chunk) data = data .. chunk end)
  child:on("exit", function(code) assert.are.equal(expectCode, code) end)
  child:on("close", N.mustCall(function()
    if expectData then assert.are.equal(expectData, N.trim(data)) end
  end))
  return child
end

describe("test-child-process-cwd", function()
  after_each(function() H.assert_clean() end)

  it("a cwd that does not exist is an ENOENT error", function()
    testCwd({ cwd = "does-not-exist" }, "nil", -1):on("error", N.mustCall(function(e)
      assert.are.equal("ENOENT", e.code)
    end))
    N.finish()
  end)

  it("pwd gives the cwd back", function()
    local tmp = os.getenv("TMPDIR") or "/tmp"
    testCwd({ cwd = tmp }, "number", 0, tmp)
    testCwd({ cwd = "/dev" }, "number", 0, "/dev")
    N.finish()
  end)

  it("an empty or missing cwd is not chdir()ed to", function()
    testCwd({ cwd = "" }, "number")
    testCwd({ cwd = nil }, "number")
    N.finish()
  end)
end)
