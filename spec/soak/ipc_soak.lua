-- Soak: the IPC channel.  1,000,000 messages each way with backpressure, no
-- loss, in order, flat memory; a child SIGKILLed in the middle of a 10 MiB
-- message; a parent SIGKILLed leaves no forked Lua child behind.
-- Run with `make soak` (not part of `make test`).
local H = require("helper")
local cp = H.cp
local core = H.core

local N = tonumber(os.getenv("SOAK_IPC_N")) or 1000000
local SAMPLE = math.min(100000, N // 10) -- first RSS sample, after this many messages
local EVERY = 256 -- a write callback every EVERY messages

local rss_kib, report = H.status_kib, H.soak_report

-- Has process `pid` ended?  kill -0 fails, or it is a zombie waiting for
-- an init that reaps late (it no longer runs either way).
local function gone(pid)
  if not os.execute("kill -0 " .. pid .. " 2>/dev/null") then return true end
  local f = io.open("/proc/" .. pid .. "/stat")
  if not f then return true end
  local s = f:read("*a") or ""
  f:close()
  return s:match("^%d+ %b() (%a)") == "Z"
end

describe("IPC soak", function()
  it("carries " .. N .. " messages each way, in order, with flat memory", function()
    local c = cp.fork(H.fixtures .. "soak_ipc.lua", { N, SAMPLE }, { env = H.lua_env() })
    local got, last, bad, first_bad = 0, 0, 0, nil
    local rep, send_err
    local rss_100k, rss_end
    local sent, written, waiting, pauses = 0, 0, nil, 0
    local errors = {}
    c:on("error", function(e) errors[#errors + 1] = tostring(e.code or e) end)
    c:on("message", function(msg)
      local s = msg.seq
      if s then
        got = got + 1
        if s ~= last + 1 then
          bad = bad + 1
          first_bad = first_bad or { expected = last + 1, got = s }
        end
        last = s
        if got == SAMPLE then
          collectgarbage("collect")
          rss_100k = rss_kib()
        end
      elseif msg.report then
        rep = msg
      end
    end)

    local pump
    local function pump_cb(s)
      return function(err)
        if err then send_err = send_err or tostring(err.code or err) return end
        written = s
        if waiting == s then
          waiting = nil
          pump()
        end
      end
    end
    function pump()
      local over = false
      while sent < N do
        sent = sent + 1
        local s = sent
        local cb = (s % EVERY == 0 or s == N) and pump_cb(s) or nil
        if not c:send({ seq = s }, cb) then over = true end
        if over and cb then
          if s ~= N then
            waiting = s
            pauses = pauses + 1
          end
          return
        end
      end
    end

    local t0 = core.now()
    pump()
    H.run_until(function() return (rep ~= nil and last == N and written == N) or send_err or #errors > 0 end,
      300000, "all messages and the child's report")
    local elapsed = (core.now() - t0) / 1000
    collectgarbage("collect")
    rss_end = rss_kib()
    assert.is_nil(send_err)
    assert.are.same({}, errors)
    c:disconnect()
    local code, sig = H.wait_close(c, 20000)

    report("ipc: %d msgs parent->child and %d child->parent in %.1f s (%.0f msg/s each way, %.0f total)",
      rep.received, got, elapsed, N / elapsed, 2 * N / elapsed)
    report("ipc: parent RSS %d KiB at %d msgs, %d KiB at %d (delta %+d KiB)",
      rss_100k, SAMPLE, rss_end, N, rss_end - rss_100k)
    report("ipc: child  RSS %d KiB at %d msgs, %d KiB at %d (delta %+d KiB)",
      rep.rss_100k, SAMPLE, rep.rss_end, N, rep.rss_end - rep.rss_100k)
    report("ipc: backpressure: the parent paused %d times, the child %d times (send returned false)",
      pauses, rep.pauses)

    -- child -> parent: every sequence number, in order
    assert.are.equal(N, got)
    assert.are.equal(N, last)
    assert.are.equal(0, bad, first_bad and ("first gap: expected " .. first_bad.expected .. " got " .. first_bad.got))
    -- parent -> child, as the child counted
    assert.are.equal(N, rep.received)
    assert.are.equal(N, rep.last)
    assert.are.equal(0, rep.bad)
    -- the high-water mark was reached, and honoured, on both sides
    assert.is_true(pauses > 0 and rep.pauses > 0)
    -- flat memory: within a few MiB between SAMPLE (100k) and N (1M) messages
    assert.is_true(rss_end - rss_100k < 4096, "parent RSS grew " .. (rss_end - rss_100k) .. " KiB")
    assert.is_true(rep.rss_end - rep.rss_100k < 4096, "child RSS grew " .. (rep.rss_end - rep.rss_100k) .. " KiB")
    assert.are.equal(0, code)
    assert.is_nil(sig)
    H.assert_clean()
  end)

  it("survives a child SIGKILLed in the middle of sending a 10 MiB message", function()
    local fd0 = H.fd_count()
    local c = cp.fork(H.fixtures .. "soak_bigsend.lua", { "send" }, { env = H.lua_env() })
    local events = {}
    local closed, code, sig = false, nil, nil
    local t0 = core.now()
    c:on("error", function(e) events[#events + 1] = "error:" .. tostring(e.code) end)
    c:on("disconnect", function() events[#events + 1] = "disconnect" end)
    c:on("exit", function() events[#events + 1] = "exit" end)
    c:on("message", function() events[#events + 1] = "delivered" end)
    c:on("close", function(a, b) closed, code, sig = true, a, b end)
    H.run_until(function() return closed end, 10000, "close")
    report("bigsend kill: events %s, close %.0f ms after the fork", table.concat(events, ","), core.now() - t0)
    assert.is_nil(code)
    assert.are.equal("SIGKILL", sig)
    local seen = table.concat(events, ",")
    assert.is_truthy(seen:find("error:", 1, true) or seen:find("disconnect", 1, true), seen)
    assert.is_falsy(seen:find("delivered", 1, true), "a truncated message was delivered")
    collectgarbage("collect")
    H.assert_clean()
    assert.are.equal(fd0, H.fd_count())
  end)

  it("survives a child SIGKILLed while the parent sends it a 10 MiB message", function()
    local fd0 = H.fd_count()
    local c = cp.fork(H.fixtures .. "soak_bigsend.lua", { "recv" }, { env = H.lua_env() })
    local events, cb_err, cb_called = {}, nil, false
    local closed, sig = false, nil
    c:on("error", function(e) events[#events + 1] = "error:" .. tostring(e.code) end)
    c:on("disconnect", function() events[#events + 1] = "disconnect" end)
    c:on("message", function(msg)
      if msg == "ready" then
        c:send(string.rep("x", 10 * 1024 * 1024), function(err)
          cb_called, cb_err = true, err
        end)
        -- A socket holds a few hundred KiB: the write is still in flight.
        assert.is_true(c:kill("SIGKILL"))
      end
    end)
    c:on("close", function(_, s) closed, sig = true, s end)
    H.run_until(function() return closed end, 10000, "close")
    report("bigsend to a killed child: events %s, send callback err %s", table.concat(events, ","),
      tostring(cb_err and cb_err.code))
    assert.are.equal("SIGKILL", sig)
    assert.is_true(cb_called, "the send callback never ran")
    assert.is_not_nil(cb_err, "the send callback reported success")
    collectgarbage("collect")
    H.assert_clean()
    assert.are.equal(fd0, H.fd_count())
  end)

  it("leaves no forked Lua child running when its parent is SIGKILLed", function()
    local parent = cp.spawn(H.lua, { H.fixtures .. "soak_parent.lua" },
      { env = H.lua_env(), stdio = { "ignore", "pipe", "inherit" } })
    local out = ""
    parent.stdout:on("data", function(d) out = out .. d end)
    H.run_until(function() return out:match("grandchild (%d+)\n") ~= nil end, 10000, "the grandchild's pid")
    local gpid = tonumber(out:match("grandchild (%d+)\n"))
    assert.is_false(gone(gpid))
    local parent_closed = false
    parent:on("close", function() parent_closed = true end)
    local t0 = core.now()
    assert.is_true(parent:kill("SIGKILL"))
    -- Poll the grandchild from a timer: it must see the channel close and exit.
    local ended
    local t = core.timer()
    t:start(50, 50, function()
      if not ended and gone(gpid) then ended = core.now() end
    end)
    local ok, err = pcall(H.run_until, function() return ended ~= nil and parent_closed end, 10000,
      "the grandchild " .. gpid .. " to exit")
    t:close()
    cp.run("nowait")
    if not ended then os.execute("kill -9 " .. gpid .. " 2>/dev/null") end
    assert(ok, err)
    report("orphan: grandchild %d gone %.0f ms after its parent was SIGKILLed", gpid, ended - t0)
    H.assert_clean()
  end)
end)
