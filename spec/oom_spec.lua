--- oom_spec.lua — SPEC §6: out of memory while a message is delivered is an
--- `error` event (ENOMEM), not a lost message or a stuck loop.  Runs a C host
--- (spec/oom_host.c) whose Lua allocator can be limited from Lua.
local H = require("helper")
local cp = H.cp

local HOST = H.host("oom_host")

describe("out of memory", function()
  after_each(function() H.assert_clean() end)

  it("while an IPC message is decoded: an ENOMEM error event, then the loop goes on", function()
    if not H.checkout_file(HOST, "make", pending) then return end
    local script = os.tmpname()
    local f = io.open(script, "w")
    f:write(([[
      local cp = require("child_process")
      local got = {}
      local child = cp.fork(%q)
      child:on("message", function(m) got[#got + 1] = #m > 100 and "big" or m end)
      child:on("error", function(e)
        got[#got + 1] = "error " .. e.code
        alloc_limit() -- memory is back: the next message must arrive
      end)
      -- The 8 MB message cannot be held in 2 MB more; the framer's own
      -- buffer is not Lua's, so it is the decoding that fails.
      alloc_limit(2 * 1024 * 1024)
      local ok, err = pcall(cp.run)
      alloc_limit()
      io.write(tostring(ok), " ", tostring(err), " | ", table.concat(got, ","))
      -- The loop is still usable (not "already running").
      io.write(" | ", tostring(cp.spawn("true"):wait()))
    ]]):format(H.fixtures .. "big_then_small.lua"))
    f:close()
    local c = cp.spawn(HOST, { script }, { env = H.lua_env() })
    local out, err = H.collect(c.stdout), H.collect(c.stderr)
    local code = H.wait_close(c, 30000)
    os.remove(script)
    assert.are.equal("", err())
    assert.are.equal(0, code)
    assert.are.equal("true false | error ENOMEM,small | 0", out())
  end)
end)
