-- Port of Node's test/parallel/test-child-process-fork-exec-path.js: fork
-- runs the script on the interpreter given as execPath.
-- Translated: the copy of node is a copy of the Lua interpreter (named
-- lua5.4-copy so that fork still adds the bootstrap: its name starts with
-- "lua"); the child (the test file re-run with FORK set) is
-- fixtures/fork-exec-path.lua, which checks its interpreter path against
-- COPY_PATH.  Dropped: addLibraryPath (a statically linked interpreter
-- needs no library path here).
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-fork-exec-path", function()
  it("fork uses execPath", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. N.q(dir)))
    local copyPath = dir .. "/lua5.4-copy"
    assert.is_nil(io.open(copyPath))
    assert(os.execute(("cp %s %s && chmod 0755 %s"):format(N.q(N.lua), N.q(copyPath), N.q(copyPath))))
    local env = H.core.environ()
    env.FORK, env.COPY_PATH = "true", copyPath
    local msg = { test = "this" }
    local child = cp.fork(N.fixture("fork-exec-path.lua"), { execPath = copyPath, env = env })
    child:on("message", N.mustCall(function(recv) assert.are.same(msg, recv) end))
    child:on("exit", N.mustCall(function(code) assert.are.equal(0, code) end))
    N.finish()
    H.wait_close(child)
    os.execute("rm -rf " .. N.q(dir))
    H.assert_clean()
  end)
end)
