-- Port of Node's test/parallel/test-child-process-fork-args.js.
-- Translated: ERR_INVALID_ARG_TYPE is a `bad argument` error; undefined
-- and null are both nil; Symbol('t') has no Lua counterpart (a coroutine
-- stands in as another non-string type); `{...process.env, foo}` is a
-- copy of core.environ().
local N = require("node.common")
local cp, H = N.cp, N.H

local fixture = N.fixture("echo-options.lua")
local odd = coroutine.create(function() end)

describe("test-child-process-fork-args", function()
  after_each(function() H.assert_clean() end)

  it("modulePath must be a string", function()
    for _, modulePath in ipairs({ 0, true, {}, function() end, odd }) do
      H.assert_bad_argument("modulePath must be a string", cp.fork, modulePath)
    end
    H.assert_bad_argument("modulePath must be a string", cp.fork, nil)
    local child = cp.fork(fixture)
    child:on("exit", N.mustCall(function(code) assert.are.equal(0, code) end))
    N.finish()
    H.wait_close(child)
  end)

  it("args must be a table (nil and {} parse the options)", function()
    for _, arg in ipairs({ 0, true, function() end, odd }) do
      H.assert_bad_argument("bad argument #2 to 'fork'", cp.fork, fixture, arg)
    end
    local env = H.core.environ()
    env.foo = "bar"
    local children = {}
    for i, args in ipairs({ { nil }, { {} } }) do
      local child = cp.fork(fixture, args[1], { env = env })
      child:on("message", N.mustCall(function(msg) assert.are.equal("bar", msg.env.foo) end))
      child:on("exit", N.mustCall(function(code) assert.are.equal(0, code) end))
      children[i] = child
    end
    N.finish()
    for _, c in ipairs(children) do H.wait_close(c) end
  end)

  it("options must be a table", function()
    for _, arg in ipairs({ 0, true, function() end, odd }) do
      H.assert_bad_argument("bad argument #3 to 'fork'", cp.fork, fixture, {}, arg)
    end
  end)
end)
