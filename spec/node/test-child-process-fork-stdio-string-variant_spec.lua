-- Port of Node's test/parallel/test-child-process-fork-stdio-string-variant.js:
-- fork takes stdio as one string; a bad string is an error.
-- Translated: ERR_INVALID_ARG_VALUE is a `bad argument` naming 'stdio';
-- fixtures/child-process-spawn-node.js is fixtures/spawn-node.lua.
local N = require("node.common")
local cp, H = N.cp, N.H

local childScript = N.fixture("spawn-node.lua")

describe("test-child-process-fork-stdio-string-variant", function()
  it("a malformed stdio string is refused", function()
    H.assert_bad_argument("option 'stdio", cp.fork, childScript, { stdio = "33" })
  end)

  for _, stringVariant in ipairs({ "pipe", "inherit", "ignore" }) do
    it("stdio = '" .. stringVariant .. "'", function()
      local child = cp.fork(childScript, { stdio = stringVariant })
      child:on("message", N.mustCall(function(message) assert.are.same({ foo = "bar" }, message) end))
      child:send({ hello = "world" })
      child:on("exit", N.mustCall(function(code) assert.are.equal(0, code) end))
      N.finish()
      H.wait_close(child)
      H.assert_clean()
    end)
  end
end)
