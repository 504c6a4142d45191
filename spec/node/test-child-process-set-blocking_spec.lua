-- Port of Node's test/parallel/test-child-process-set-blocking.js: a
-- child writes 100 000 bytes at once to a stdout it did not get as a
-- pipe, and exits 0.  Translated: python3 stays the child when it is
-- installed (else the Lua interpreter); its stdout is a file of ours on
-- /dev/null rather than 'inherit', which would pour the bytes into the
-- test runner's output.
local N = require("node.common")
local cp, H = N.cp, N.H

local function have(cmd)
  return H.execute("command -v " .. cmd .. " >/dev/null 2>&1") == true
end

describe("test-child-process-set-blocking", function()
  it("a large write to a non-pipe stdout completes", function()
    local SIZE = 100000
    local file, args
    if have("python3") then
      file, args = "python3", { "-c", ("print(%d * 'C')"):format(SIZE) }
    else
      file, args = N.lua, { "-e", ("print(('C'):rep(%d))"):format(SIZE) }
    end
    local null = assert(io.open("/dev/null", "w"))
    local child = cp.spawn(file, args, { stdio = { "inherit", null, "inherit" } })
    child:on("exit", N.mustCall(function(code) assert.are.equal(0, code) end))
    N.finish()
    H.wait_close(child)
    null:close()
    H.assert_clean()
  end)
end)
