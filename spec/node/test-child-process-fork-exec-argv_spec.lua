-- Port of Node's test/parallel/test-child-process-fork-exec-argv.js: a
-- child started with interpreter options forks, and the grandchild gets
-- the same options (fork's default execArgv).
-- Translated: --stack-size=256 is lua's -lstring (every engine has -l); JSON.parse is cp.json.decode;
-- the assertion runs at `close` rather than `exit` (stdout is complete
-- then).
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-fork-exec-argv", function()
  it("fork passes the interpreter options on", function()
    local execArgv = { "-lstring" } -- an option every engine (5.1 … 5.4, LuaJIT) takes
    local child = cp.spawn(N.lua, { execArgv[1], N.fixture("fork-exec-argv.lua"), "child", "arg0" },
      { env = H.lua_env() })
    local out = ""
    child.stdout:on("data", function(chunk) out = out .. chunk end)
    child:on("close", N.mustCall(function()
      assert.are.same(execArgv, cp.json.decode(out))
    end))
    N.finish()
    H.assert_clean()
  end)
end)
