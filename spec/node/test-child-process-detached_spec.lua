-- Port of Node's test/parallel/test-child-process-detached.js: a child
-- that started a detached grandchild exits; the grandchild lives on.
-- Translated: fixtures/parent-process-nonpersistent.js is the Lua fixture
-- of the same name (its persistent child is `sleep 100`); process.kill is
-- `kill` through os.execute (the module has no process.kill); the
-- process.on('exit') checks run once the child closed.
local N = require("node.common")
local cp, H = N.cp, N.H

local function alive(pid)
  return H.execute("kill -0 " .. pid .. " 2>/dev/null") == true
end

describe("test-child-process-detached", function()
  it("the detached grandchild outlives its parent", function()
    local persistentPid = -1
    local child = cp.spawn(N.lua, { N.fixture("parent-process-nonpersistent.lua") }, { env = H.lua_env() })
    child.stdout:on("data", function(data) persistentPid = tonumber(data:match("%d+")) end)
    assert.are.equal(0, H.wait_close(child))
    assert.are_not.equal(-1, persistentPid)
    assert.is_false(alive(child.pid)) -- kill ESRCH
    assert.is_true(alive(persistentPid))
    assert(os.execute("kill " .. persistentPid))
    H.assert_clean()
  end)
end)
