-- Port of Node's test/parallel/test-child-process-stdio-inherit.js: a
-- child's cat with inherited stdio reads the child's stdin and writes its
-- stdout.  Translated: the test file re-run as `parent` is
-- fixtures/stdio-inherit.lua; stdin.end(input) is close(input); stderr is
-- collected instead of piped to ours (shown if the check fails).
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-stdio-inherit", function()
  it("cat with inherited stdio", function()
    local child = cp.spawn(N.lua, { N.fixture("stdio-inherit.lua"), "parent" }, { env = H.lua_env() })
    local output, errout, input = "", "", "asdfasdf"
    child.stdout:on("data", function(chunk) output = output .. chunk end)
    child.stderr:on("data", function(chunk) errout = errout .. chunk end)
    child.stdin:close(input)
    child:on("close", N.mustCall(function(code, signal)
      assert.are.equal(0, code, errout)
      assert.is_nil(signal)
      assert.are.equal(N.trim(input), N.trim(output))
    end))
    N.finish()
    H.assert_clean()
  end)
end)
