-- Coexistence: io.popen, os.execute and a second libuv user in the same
-- process (luv, with its own loop and its own children) keep working while
-- the module spawns hundreds of children.  The module reaps only its own
-- children (waitpid on its pids, never -1) and leaves SIGCHLD to everyone.
local H = require("helper")
local cp = H.cp
local core = H.core

local has_luv, uv = pcall(require, "luv")

local MODULE_N = 300 -- module children, 16 at a time
local MODULE_INFLIGHT = 16
local LUV_N = 60     -- luv children, 4 at a time
local LUV_INFLIGHT = 4
local POPEN_N = 20   -- io.popen and os.execute calls, interleaved
local DEADLINE_MS = 60000

describe("coexistence", function()
  it("io.popen and os.execute report the right status beside the module", function()
    -- Children of the module are running while the libc helpers wait.
    local kids, closed, nclosed = {}, {}, 0
    for i = 1, 8 do
      kids[i] = cp.spawn("sh", { "-c", "exit " .. i })
      kids[i]:on("close", function(code, sig)
        closed[i] = { code = code, sig = sig }
        nclosed = nclosed + 1
      end)
    end
    local f = io.popen("echo hi; exit 0")
    assert.are.equal("hi\n", f:read("*a"))
    assert.are.same(H.pclose_result({ true, "exit", 0 }), { f:close() })
    assert.are.same(H.pclose_result({ nil, "exit", 5 }), { io.popen("exit 5"):close() })
    assert.are.same({ nil, "exit", 3 }, { H.execute("exit 3") })
    assert.are.same({ true, "exit", 0 }, { H.execute("true") })
    assert.are.same({ nil, "signal", 15 }, { H.execute("kill -TERM $$") })
    H.run_until(function() return nclosed == 8 end, 10000, "the module's children")
    for i = 1, 8 do
      assert.are.equal(i, closed[i].code)
      assert.is_nil(closed[i].sig)
    end
    assert.are.equal(0, H.zombies())
    H.assert_clean()
  end)

  it("luv, io.popen and os.execute keep their children while the module spawns hundreds", function()
    assert(has_luv, "this spec needs lua-luv (make test-deps installs it): " .. tostring(uv))
    local t0 = core.now()

    -- A luv SIGCHLD watcher of its own: the module must not take the signal away.
    local luv_sigchld = 0
    local sig = uv.new_signal()
    uv.signal_start(sig, "sigchld", function() luv_sigchld = luv_sigchld + 1 end)

    -- luv's children: sh -c 'exit k' (k = i % 8, i == 1 gives 7), and every
    -- tenth killed by a signal.
    local luv_started, luv_done, luv_bad = 0, 0, {}
    local function luv_expect(i)
      if i % 10 == 0 then return nil, 15 end
      return (i == 1) and 7 or (i % 8), 0
    end
    local function luv_next()
      if luv_started >= LUV_N then return end
      luv_started = luv_started + 1
      local i = luv_started
      local script = (i % 10 == 0) and "kill -TERM $$" or ("exit " .. ((i == 1) and 7 or (i % 8)))
      local handle
      handle = uv.spawn("sh", { args = { "-c", script } }, function(code, signal)
        local want_code, want_sig = luv_expect(i)
        if want_sig == 15 then
          if signal ~= 15 then luv_bad[#luv_bad + 1] = ("luv %d: signal %s, code %s"):format(i, signal, code) end
        elseif code ~= want_code or signal ~= 0 then
          luv_bad[#luv_bad + 1] = ("luv %d: want exit %d, got code %s signal %s"):format(i, want_code, code, signal)
        end
        luv_done = luv_done + 1
        handle:close()
        luv_next()
      end)
      assert(handle, "uv.spawn failed")
    end
    for _ = 1, LUV_INFLIGHT do luv_next() end

    -- The module's children: sh -c 'exit k' and /bin/true, 16 at a time.
    local mod_started, mod_done, mod_bad = 0, 0, {}
    local function mod_next()
      if mod_started >= MODULE_N then return end
      mod_started = mod_started + 1
      local i = mod_started
      local want = i % 3 == 0 and 0 or (i % 5)
      local c = (i % 3 == 0) and cp.spawn("/bin/true", {}, { stdio = "ignore" })
        or cp.spawn("sh", { "-c", "exit " .. want }, { stdio = (i % 2 == 0) and "pipe" or "ignore" })
      c:on("error", function(e) mod_bad[#mod_bad + 1] = ("module %d: error %s"):format(i, tostring(e.code)) end)
      c:on("close", function(code, s)
        if code ~= want or s ~= nil then
          mod_bad[#mod_bad + 1] = ("module %d: want %d, got %s %s"):format(i, want, tostring(code), tostring(s))
        end
        mod_done = mod_done + 1
        mod_next()
      end)
    end
    for _ = 1, MODULE_INFLIGHT do mod_next() end

    -- io.popen and os.execute between turns of both loops.
    local libc_done, libc_bad = 0, {}
    local function libc_call(k)
      local code = k % 4 + 1
      local p = io.popen("echo " .. k .. "; exit " .. (k % 2 == 0 and 0 or code))
      local out = p:read("*a")
      local r = { p:close() }
      local want = H.pclose_result(k % 2 == 0 and { true, "exit", 0 } or { nil, "exit", code })
      if out ~= k .. "\n" or r[1] ~= want[1] or r[2] ~= want[2] or r[3] ~= want[3] then
        libc_bad[#libc_bad + 1] = ("popen %d: %q %s %s %s"):format(k, out,
          tostring(r[1]), tostring(r[2]), tostring(r[3]))
      end
      r = { H.execute("exit " .. code) }
      if r[1] ~= nil or r[2] ~= "exit" or r[3] ~= code then
        libc_bad[#libc_bad + 1] = ("os.execute %d: %s %s %s"):format(k, tostring(r[1]), tostring(r[2]), tostring(r[3]))
      end
      libc_done = libc_done + 1
    end

    -- Drive both loops alternately.  luv waits on our backend fd (and a
    -- short timer), so that nobody spins while children run.
    local poll = uv.new_poll(cp.backend_fd())
    uv.poll_start(poll, "r", function() end)
    local tick = uv.new_timer()
    uv.timer_start(tick, 5, 5, function() end)
    local iter = 0
    while luv_done < LUV_N or mod_done < MODULE_N or libc_done < POPEN_N do
      assert(core.now() - t0 < DEADLINE_MS, ("timed out: luv %d/%d, module %d/%d, libc %d/%d"):format(
        luv_done, LUV_N, mod_done, MODULE_N, libc_done, POPEN_N))
      cp.run("nowait")
      uv.run("nowait")
      iter = iter + 1
      if libc_done < POPEN_N and iter % 7 == 0 then libc_call(libc_done + 1) end
      uv.run("once")
    end
    uv.close(poll)
    uv.close(tick)
    uv.signal_stop(sig)
    uv.close(sig)
    uv.run("nowait")

    assert.are.same({}, luv_bad)
    assert.are.same({}, mod_bad)
    assert.are.same({}, libc_bad)
    assert.are.equal(LUV_N, luv_done)
    assert.are.equal(MODULE_N, mod_done)
    assert.is_true(luv_sigchld > 0, "luv's own SIGCHLD watcher never ran")
    assert.are.equal(0, H.zombies())
    H.assert_clean()
  end)

  it("luv reaps its own child while a module child is running", function()
    assert(has_luv, "this spec needs lua-luv")
    -- A module child that outlives the luv child; luv must see its own
    -- child's exit code even while our SIGCHLD watcher is active.
    local slow = cp.spawn("sleep", { "0.5" }, { stdio = "ignore" })
    local got
    local h
    h = uv.spawn("sh", { args = { "-c", "exit 7" } }, function(code, signal)
      got = { code, signal }
      h:close()
    end)
    local t0 = core.now()
    while not got and core.now() - t0 < 10000 do
      cp.run("nowait")
      uv.run("once")
    end
    assert.are.same({ 7, 0 }, got)
    local code = H.wait_close(slow)
    assert.are.equal(0, code)
    uv.run("nowait")
    H.assert_clean()
  end)
end)
