-- Port of Node's test/parallel/test-child-process-env.js.
-- Translated: `{...process.env, …}` is a copy of core.environ();
-- UNDEFINED: undefined is a key left out (nil).  Dropped: 'NULL': null
-- (Lua has no null value distinct from nil: a nil value is no entry) and
-- FOO from the env object's prototype (Node copies inherited enumerable
-- keys; a Lua table's __index is not iterated by pairs, and an env table
-- is read with pairs).  Windows branch dropped.
local N = require("node.common")
local cp, H = N.cp, N.H

describe("test-child-process-env", function()
  it("the child gets env, with empty values and names differing by case", function()
    local env = H.core.environ()
    env.HELLO = "WORLD"
    env.UNDEFINED = nil
    env.EMPTY = ""
    env.duplicate = "lowercase"
    env.DUPLICATE = "uppercase"
    local child = cp.spawn("/usr/bin/env", {}, { env = env })
    local response = ""
    child.stdout:on("data", function(chunk) response = response .. chunk end)
    child.stdout:on("end", N.mustCall(function()
      local function has(s) return response:find(s, 1, true) ~= nil end
      assert.is_true(has("HELLO=WORLD"))
      assert.is_false(has("UNDEFINED="))
      assert.is_true(has("EMPTY=\n"))
      assert.is_true(has("DUPLICATE=uppercase"))
      assert.is_true(has("duplicate=lowercase"))
    end))
    N.finish()
    H.wait_close(child)
    H.assert_clean()
  end)
end)
