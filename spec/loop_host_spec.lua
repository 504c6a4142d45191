--- loop_host_spec.lua — SPEC §6: a C host hands its own libuv loop to the
--- module with child_process_use_loop (include/child_process.h); one uv_run
--- drives the host's timer and the module's children (spec/loop_host.c).
local H = require("helper")
local cp = H.cp

describe("child_process_use_loop", function()
  after_each(function() H.assert_clean() end)

  it("one uv_run of the host drives both; a loop of another libuv, or a late call, is a clear error", function()
    if not H.checkout_file(H.host("loop_host"), "make", pending) then return end
    local core_so = package.searchpath("child_process.core", package.cpath)
    local c = cp.spawn(H.host("loop_host"), { core_so, H.fixtures .. "loop_host.lua" },
      { env = H.lua_env() })
    local out, err = H.collect(c.stdout), H.collect(c.stderr)
    assert.are.equal(0, H.wait_close(c, 30000))
    assert.are.equal("", err())
    local o = out()
    assert.matches("other copy: child_process_use_loop: the host's loop belongs to another copy of libuv "
      .. "%(the host's is 0%.0%.0, this module's [%d.]+%)", o)
    assert.matches("\nhost timer: 1\n", o, 1, true)
    assert.matches("\nresult: close 3,exec SIGTERM,hi\n", o, 1, true)
    assert.matches("\nlate: child_process: the loop can only be changed before the first spawn", o, 1, true)
    assert.matches("\nloop close: 0\n", o, 1, true) -- every handle of the module closed
  end)
end)
