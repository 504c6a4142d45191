-- Port of Node's test/parallel/test-child-process-stdio.js.
-- Translated: `null` streams are nil; common.pwdCommand is `pwd`;
-- ERR_IPC_ONE_PIPE is a `bad argument`.  All assertions kept.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-stdio", function()
  after_each(function() H.assert_clean() end)

  it("stdio = {'pipe'}: the missing entries are pipes too", function()
    local child = cp.spawn("pwd", {}, { stdio = { "pipe" } })
    assert.is_not_nil(child.stdout)
    assert.is_not_nil(child.stderr)
    H.wait_close(child)
  end)

  it("stdio = 'ignore': no streams", function()
    local child = cp.spawn("pwd", {}, { stdio = "ignore" })
    assert.is_nil(child.stdout)
    assert.is_nil(child.stderr)
    H.wait_close(child)
  end)

  it("the options table is not changed", function()
    local options = { stdio = "ignore" }
    local child = cp.spawn("pwd", {}, options)
    assert.are.same({ stdio = "ignore" }, options)
    H.wait_close(child)
  end)

  it("stdout is complete", function()
    local output = ""
    local child = cp.spawn("pwd")
    child.stdout:on("data", function(s) output = output .. s end)
    child:on("exit", N.mustCall(function(code) assert.are.equal(0, code) end))
    child:on("close", N.mustCall(function()
      assert.is_true(#output > 1)
      assert.are.equal("\n", output:sub(-1))
    end))
    N.finish()
  end)

  it("only one ipc entry", function()
    H.assert_bad_argument("ipc", cp.spawn, "pwd", {}, { stdio = { "pipe", "pipe", "pipe", "ipc", "ipc" } })
  end)
end)
