-- Port of Node's test/parallel/test-child-process-spawn-typeerror.js: which
-- argument combinations spawn, execFile and fork accept.
-- Translated: ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE are `bad
-- argument` errors; undefined and null are both nil, so Node's cases that
-- differ only by null (spawn(cmd, [], null) throws in Node, `n` in the
-- combinations) are the nil cases here; the object whose toString()
-- returns null is a table.  Dropped: spawn/execFile/fork(cmd, a, a) (an
-- empty array and an empty object are the same `{}` in Lua) and the
-- Windows `rundll32` command.
local N = require("node.common")
local cp, H = N.cp, N.H

local cmd = "ls"
local invalidcmd = "hopefully_you_dont_have_this_on_your_machine"
local empty = N.fixture("empty.lua")
local a, o, s = { "-d" }, {}, "string"
local function c() end

local started = {}
local function ok(f, ...)
  local child = f(...)
  started[#started + 1] = child
  return child
end

local function throws(f, ...)
  H.assert_bad_argument("", f, ...)
end

describe("test-child-process-spawn-typeerror", function()
  after_each(function()
    for _, child in ipairs(started) do
      child:on("error", function() end)
      H.wait_close(child)
    end
    started = {}
    H.assert_clean()
  end)

  it("spawn", function()
    throws(cp.spawn, invalidcmd, "this is not an array")
    ok(cp.spawn, cmd)
    ok(cp.spawn, cmd, {})
    ok(cp.spawn, cmd, o)
    ok(cp.spawn, cmd, {}, {})
    throws(cp.spawn)
    throws(cp.spawn, "")
    throws(cp.spawn, setmetatable({}, { __tostring = function() return nil end }))
    throws(cp.spawn, cmd, true)
    throws(cp.spawn, cmd, {}, 1)
    throws(cp.spawn, cmd, {}, { uid = 2 ^ 63 })
    throws(cp.spawn, cmd, {}, { gid = 2 ^ 63 })
    ok(cp.spawn, cmd, a)
    ok(cp.spawn, cmd, a, o)
    ok(cp.spawn, cmd, nil, o)
    ok(cp.spawn, cmd, a, nil)
    throws(cp.spawn, cmd, s)
    throws(cp.spawn, cmd, a, s)
  end)

  it("execFile", function()
    ok(cp.execFile, cmd)
    ok(cp.execFile, cmd, a)
    ok(cp.execFile, cmd, a, o)
    ok(cp.execFile, cmd, a, o, c)
    ok(cp.execFile, cmd, a, c)
    ok(cp.execFile, cmd, o)
    ok(cp.execFile, cmd, o, c)
    ok(cp.execFile, cmd, c)
    ok(cp.execFile, cmd, nil, o, c)
    ok(cp.execFile, cmd, a, nil, c)
    ok(cp.execFile, cmd, a, o, nil)
    ok(cp.execFile, cmd, nil, nil, nil)
    ok(cp.execFile, cmd, nil, nil, c)
    ok(cp.execFile, cmd, nil, o, nil)
    ok(cp.execFile, cmd, a, nil, nil)
    ok(cp.execFile, cmd, a, nil)
    ok(cp.execFile, cmd, o, nil)
    ok(cp.execFile, cmd, c, nil)
    -- A string is invalid in the args, options and callback positions.
    throws(cp.execFile, cmd, s, o, c)
    throws(cp.execFile, cmd, a, s, c)
    throws(cp.execFile, cmd, a, o, s)
    throws(cp.execFile, cmd, a, s)
    throws(cp.execFile, cmd, o, s)
    throws(cp.execFile, cmd, nil, nil, s)
    throws(cp.execFile, cmd, a, nil, s)
    throws(cp.execFile, cmd, nil, o, s)
    ok(cp.execFile, cmd, c, s) -- does not throw (in Node neither)
  end)

  it("fork", function()
    ok(cp.fork, empty)
    ok(cp.fork, empty, a)
    ok(cp.fork, empty, a, o)
    ok(cp.fork, empty, o)
    ok(cp.fork, empty, nil, nil)
    ok(cp.fork, empty, nil, o)
    ok(cp.fork, empty, a, nil)
    throws(cp.fork, empty, s)
    throws(cp.fork, empty, a, s)
  end)
end)
