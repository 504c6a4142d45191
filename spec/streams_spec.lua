--- streams_spec.lua — SPEC §3 Streams: readable stdout/stderr (data, end,
--- close, pause/resume backpressure, drain at exit) and writable stdin
--- (write → false past 64 KiB, drain, close / half-close, finish,
--- destroy, EPIPE).
local H = require("helper")
local cp, core = H.cp, H.core

-- Run the loop for `ms` milliseconds (used only to check an upper bound,
-- never to wait for something to happen).
local function run_for(ms)
  local t, fired = core.timer(), false
  t:start(ms, 0, function() fired = true end)
  H.run_until(function() return fired end, ms + 10000, "timer")
  t:close()
end

local KiB, MiB = 1024, 1024 * 1024

describe("readable streams", function()
  after_each(function() H.assert_clean() end)

  it("emit data, end, close", function()
    local c = cp.spawn("sh", { "-c", "echo out; echo err >&2" })
    local ev = { stdout = {}, stderr = {} }
    for name, list in pairs(ev) do
      local s = c[name]
      s:on("data", function(d) list[#list + 1] = "data:" .. d end)
      s:on("end", function() list[#list + 1] = "end" end)
      s:on("close", function() list[#list + 1] = "close" end)
    end
    H.wait_close(c)
    assert.are.same({ "data:out\n", "end", "close" }, ev.stdout)
    assert.are.same({ "data:err\n", "end", "close" }, ev.stderr)
  end)

  it("delivers a large output byte for byte", function()
    local c = cp.spawn("head", { "-c", tostring(3 * MiB + 17), "/dev/urandom" })
    local out = H.collect(c.stdout)
    local c2 = cp.spawn("sh", { "-c", "head -c " .. (3 * MiB + 17) .. " /dev/zero | tr '\\0' a" })
    local out2 = H.collect(c2.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal(0, (H.wait_close(c2)))
    assert.are.equal(3 * MiB + 17, #out())
    assert.are.equal(("a"):rep(3 * MiB + 17), out2())
  end)

  it("pause() stops reading so the child blocks; resume() finishes", function()
    local total = 20 * MiB
    local c = cp.spawn("head", { "-c", tostring(total), "/dev/zero" })
    local got, chunks = 0, 0
    c.stdout:on("data", function(d)
      got = got + #d
      chunks = chunks + 1
      if chunks == 1 then c.stdout:pause() end
    end)
    H.run_until(function() return chunks >= 1 end)
    assert.is_true(c.stdout:isPaused())
    run_for(300)
    -- One chunk read before the pause; nothing since: the pipe is full and
    -- the child blocked.
    assert.is_true(got <= 64 * KiB, "read " .. got .. " bytes while paused")
    assert.is_nil(c.exitCode)
    c.stdout:resume()
    assert.is_false(c.stdout:isPaused())
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal(total, got)
  end)

  it("pause() before any listener: nothing is read until resume()", function()
    local c = cp.spawn("sh", { "-c", "echo x; exec sleep 10" })
    c.stdout:pause()
    local got = {}
    c.stdout:on("data", function(d) got[#got + 1] = d end)
    run_for(150)
    assert.are.same({}, got)
    c.stdout:resume()
    H.run_until(function() return #got > 0 end)
    assert.are.same({ "x\n" }, got)
    c:kill()
    H.wait_close(c)
  end)

  it("output nobody consumes is drained at exit, so close comes", function()
    -- The shell exits at once; its background child writes 1 MiB to the
    -- pipe afterwards, which only the drain at exit can empty.
    local c = cp.spawn("sh", { "-c", "head -c 1048576 /dev/zero &" })
    local code = H.wait_close(c, 10000)
    assert.are.equal(0, code)
  end)

  it("stdout with no listener, stderr with one: close comes", function()
    local c = cp.spawn("sh", { "-c", "head -c 60000 /dev/zero; echo err >&2" })
    local err = H.collect(c.stderr)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("err\n", err())
  end)

  it("a data listener added after exit gets nothing but close still comes", function()
    local c = cp.spawn("echo", { "x" })
    local n = 0
    c:on("exit", function() c.stdout:on("data", function() n = n + 1 end) end)
    H.wait_close(c)
    assert.is_true(n <= 1) -- either the chunk or nothing; never a hang
  end)

  it("destroy() closes a readable stream without end; close still comes", function()
    -- The child writes after the parent closed its end: SIGPIPE kills it.
    local c = cp.spawn("sh", { "-c", "sleep 0.1; echo x" })
    local ended, closed = false, false
    c.stdout:on("end", function() ended = true end)
    c.stdout:on("close", function() closed = true end)
    c.stdout:destroy()
    local code, sig = H.wait_close(c)
    assert.is_nil(code)
    assert.are.equal("SIGPIPE", sig)
    assert.is_true(closed)
    assert.is_false(ended)
  end)

  it("off('data') does not stop the stream from ending", function()
    local c = cp.spawn("echo", { "x" })
    local f = function() end
    c.stdout:on("data", f)
    c.stdout:off("data", f)
    assert.are.equal(0, (H.wait_close(c)))
  end)
end)

describe("stdin", function()
  after_each(function() H.assert_clean() end)

  it("write and close: the child reads everything, then EOF", function()
    local c = cp.spawn("cat")
    local out = H.collect(c.stdout)
    assert.is_true(c.stdin:write("hello "))
    assert.is_true(c.stdin:write("world"))
    c.stdin:close()
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("hello world", out())
  end)

  it("write callbacks run in order once written", function()
    local c = cp.spawn("cat")
    H.collect(c.stdout)
    local order = {}
    c.stdin:write("a", function(err) order[#order + 1] = err or "a" end)
    c.stdin:write("b", function(err) order[#order + 1] = err or "b" end)
    c.stdin:close()
    H.wait_close(c)
    assert.are.same({ "a", "b" }, order)
  end)

  it("close(data) writes data then half-closes", function()
    local c = cp.spawn("cat")
    local out = H.collect(c.stdout)
    c.stdin:close("last words")
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("last words", out())
  end)

  it("close(cb) fires finish and cb once flushed, then close", function()
    local c = cp.spawn("cat")
    local out = H.collect(c.stdout)
    local seq = {}
    c.stdin:on("finish", function() seq[#seq + 1] = "finish" end)
    c.stdin:on("close", function() seq[#seq + 1] = "close" end)
    c.stdin:write(("x"):rep(200 * KiB))
    c.stdin:close(function() seq[#seq + 1] = "cb" end)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal(200 * KiB, #out())
    assert.are.same({ "cb", "finish", "close" }, seq) -- Node's order
  end)

  it("close(cb) after the child exited: cb gets ERR_STREAM_DESTROYED", function()
    local c = cp.spawn("true")
    H.wait_close(c)
    local got
    c.stdin:close(function(err) got = err end)
    H.run_until(function() return got ~= nil end)
    assert.are.equal("ERR_STREAM_DESTROYED", got.code)
  end)

  it("close(cb) twice: the second cb gets ERR_STREAM_ALREADY_FINISHED", function()
    local c = cp.spawn("cat")
    H.collect(c.stdout)
    local first, second = "pending", nil
    c.stdin:close(function(err) first = err end)
    H.run_until(function() return first ~= "pending" end)
    assert.is_nil(first)
    c.stdin:close(function(err) second = err end)
    H.run_until(function() return second ~= nil end)
    assert.are.equal("ERR_STREAM_ALREADY_FINISHED", second.code)
    H.wait_close(c)
  end)

  it("close(cb) then destroy(): cb gets an error, not silence", function()
    local c = cp.spawn("sh", { "-c", "sleep 0.2; cat > /dev/null" })
    local got = "pending"
    c.stdin:write(("x"):rep(MiB))
    c.stdin:close(function(err) got = err end)
    c.stdin:destroy()
    H.run_until(function() return got ~= "pending" end)
    assert.is_not_nil(got)
    assert.are.equal("ECANCELED", got.code)
    H.wait_close(c)
  end)

  it("end is an alias of close", function()
    local c = cp.spawn("cat")
    local out = H.collect(c.stdout)
    c.stdin["end"](c.stdin, "via end")
    H.wait_close(c)
    assert.are.equal("via end", out())
  end)

  it("write after close is an error, not a crash", function()
    local c = cp.spawn("cat")
    H.collect(c.stdout)
    c.stdin:close()
    local e1, e2
    c.stdin:on("error", function(e) e2 = e end)
    assert.is_false(c.stdin:write("late", function(e) e1 = e end))
    H.wait_close(c)
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", e1.code)
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", e2.code)
  end)

  it("write returns false past 64 KiB queued, then drain", function()
    local c = cp.spawn("sh", { "-c", "sleep 0.3; cat > /dev/null" })
    local ok = c.stdin:write(("x"):rep(MiB))
    assert.is_false(ok)
    assert.is_true(c.stdin:queued() > 64 * KiB)
    local drained = false
    c.stdin:on("drain", function() drained = true end)
    H.run_until(function() return drained end)
    assert.are.equal(0, c.stdin:queued())
    c.stdin:close()
    assert.are.equal(0, (H.wait_close(c)))
  end)

  it("small writes return true until past the high-water mark", function()
    local c = cp.spawn("sh", { "-c", "sleep 0.3; cat > /dev/null" })
    local chunk = ("y"):rep(16 * KiB)
    local n, ok = 0, true
    while ok and n < 1000 do
      ok = c.stdin:write(chunk)
      n = n + 1
    end
    assert.is_false(ok)
    -- the pipe takes 64 KiB, our queue 64 KiB more: false comes within ~9 writes
    assert.is_true(n * 16 * KiB > 64 * KiB and n <= 10, "false after " .. n .. " writes")
    local drained = false
    c.stdin:once("drain", function() drained = true end)
    H.run_until(function() return drained end)
    c.stdin:close()
    H.wait_close(c)
  end)

  it("256 MiB through cat: backpressure honoured, the parent's peak RSS stays small", function()
    -- In a fresh interpreter: this busted process's heap depends on what
    -- earlier specs allocated and on Lua's collector pacing.  Without
    -- `make asan`'s preloaded runtime, whose quarantine keeps freed memory
    -- resident: the figure is glibc's and the module's.
    local env = H.lua_env()
    if env.LD_PRELOAD then -- make asan: the plain build, which needs no ASan runtime
      env.LD_PRELOAD, env.LUA_CPATH = nil, H.root .. "/build/?.so;;"
    end
    local c = cp.spawn(H.lua, { H.fixtures .. "stream_hwm.lua", "256" }, { env = env })
    local out, err = H.collect(c.stdout), H.collect(c.stderr)
    assert.are.equal(0, (H.wait_close(c, 60000)), err())
    local queued, hwm = out():match("queued=(%d+) hwm=(%d+)")
    assert.is_not_nil(queued, out())
    -- Never more than one 256 KiB write past the high-water mark was queued.
    assert.is_true(tonumber(queued) <= 64 * KiB + 256 * KiB, "queued " .. queued)
    assert.is_true(tonumber(hwm) < 32 * 1024, "peak RSS " .. hwm .. " KiB")
  end)

  it("destroy() closes at once: the child sees EOF and close fires", function()
    local c = cp.spawn("cat")
    local out = H.collect(c.stdout)
    local closed = false
    c.stdin:on("close", function() closed = true end)
    c.stdin:write("partial")
    c.stdin:destroy()
    assert.are.equal(0, (H.wait_close(c)))
    assert.is_true(closed)
    assert.is_true(out() == "" or out() == "partial")
    local cb_err
    assert.is_false(c.stdin:write("after destroy", function(e) cb_err = e end))
    H.run_until(function() return cb_err ~= nil end)
    assert.are.equal("ERR_STREAM_DESTROYED", cb_err.code)
  end)

  it("stdin is closed at exit and close does not wait for it", function()
    local c = cp.spawn("true")
    local stdin_closed = false
    c.stdin:on("close", function() stdin_closed = true end)
    assert.are.equal(0, (H.wait_close(c)))
    H.run_until(function() return stdin_closed end)
  end)

  describe("EPIPE", function()
    -- A child that closes its stdin, says so, and lives on.
    local function closer()
      local c = cp.spawn("sh", { "-c", "exec 0<&-; echo ready; exec sleep 10" })
      local ready = false
      c.stdout:on("data", function(d) if d:find("ready") then ready = true end end)
      H.run_until(function() return ready end)
      return c
    end

    it("is an error event on stdin when someone listens", function()
      local c = closer()
      local err
      c.stdin:on("error", function(e) err = e end)
      local cb_err
      c.stdin:write("into the void", function(e) cb_err = e end)
      H.run_until(function() return err ~= nil end)
      assert.are.equal("EPIPE", err.code)
      assert.are.equal("EPIPE", cb_err.code)
      c:kill()
      H.wait_close(c)
    end)

    it("is dropped when nobody listens; the host survives; close comes", function()
      local c = closer()
      local n = 0
      for _ = 1, 20 do
        c.stdin:write(("w"):rep(4096), function() n = n + 1 end)
      end
      H.run_until(function() return n == 20 end)
      c:kill()
      local _, sig = H.wait_close(c)
      assert.are.equal("SIGTERM", sig)
    end)

    it("writes to a child that has exited raise nothing", function()
      local c = cp.spawn("true")
      H.wait_close(c)
      for _ = 1, 10 do c.stdin:write("x") end
      cp.run()
    end)
  end)
end)

-- A pipe that carries 1 MiB grows to a 256 KiB kernel buffer (stream.c),
-- at most 8 per state at a time.  The children report their pipes' sizes
-- with fcntl(F_GETPIPE_SZ = 1032), from perl (perl-base is essential).
describe("streaming pipes", function()
  after_each(function() H.assert_clean() end)
  -- Without F_SETPIPE_SZ (a PORTABLE=1 build, or not Linux) no pipe grows.
  local BIG = H.core.features().pipe_size and "262144" or "65536"

  -- Writes 2 MiB to stdout, reports the sizes of stdout and stderr on
  -- stderr, then holds its pipes open until stdin ends.
  local WRITER = [[
    my $buf = "x" x 65536;
    for (1 .. 32) {
      my $o = 0;
      while ($o < length $buf) {
        my $w = syswrite(STDOUT, $buf, length($buf) - $o, $o);
        die "write: $!" unless defined $w;
        $o += $w;
      }
    }
    print STDERR fcntl(STDOUT, 1032, 0) + 0, " ", fcntl(STDERR, 1032, 0) + 0, "\n";
    1 while <STDIN>;
  ]]

  local function writer()
    local c = cp.spawn("perl", { "-e", WRITER })
    local rec = { got = 0 }
    c.stdout:on("data", function(d) rec.got = rec.got + #d end)
    rec.err = H.collect(c.stderr)
    return c, rec
  end

  it("a child's stdout grows once it has carried 1 MiB; a quiet stderr does not", function()
    local c, rec = writer()
    H.run_until(function() return rec.err():find("\n") ~= nil end, 30000, "the sizes")
    assert.are.equal(BIG .. " 65536\n", rec.err())
    c.stdin:close()
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal(2 * MiB, rec.got)
  end)

  it("a child's stdin grows once the parent has written 1 MiB; a small one does not", function()
    local READER = [[
      my $n = 0;
      while (my $r = sysread(STDIN, my $b, 65536)) { $n += $r }
      print "$n ", fcntl(STDIN, 1032, 0) + 0, "\n";
    ]]
    local sizes = {}
    for _, bytes in ipairs({ 2 * MiB, 100 * KiB }) do
      local c = cp.spawn("perl", { "-e", READER })
      local out = H.collect(c.stdout)
      local chunk = ("y"):rep(64 * KiB)
      for _ = 1, math.floor(bytes / #chunk) do c.stdin:write(chunk) end
      c.stdin:close(("y"):rep(bytes % #chunk))
      assert.are.equal(0, (H.wait_close(c, 30000)))
      sizes[#sizes + 1] = out()
    end
    assert.are.same({ (2 * MiB) .. " " .. BIG .. "\n", (100 * KiB) .. " 65536\n" }, sizes)
  end)

  it("at most 8 pipes of a state are grown at a time", function()
    local kids = {}
    for i = 1, 9 do kids[i] = { writer() } end
    H.run_until(function()
      for _, k in ipairs(kids) do
        if not k[2].err():find("\n") then return false end
      end
      return true
    end, 60000, "9 reports")
    local count = {}
    for _, k in ipairs(kids) do
      local size = k[2].err():match("^(%d+)")
      count[size] = (count[size] or 0) + 1
    end
    if BIG == "65536" then
      assert.are.same({ ["65536"] = 9 }, count)
    else
      assert.are.same({ ["262144"] = 8, ["65536"] = 1 }, count)
    end
    for _, k in ipairs(kids) do k[1].stdin:close() end
    for _, k in ipairs(kids) do
      assert.are.equal(0, (H.wait_close(k[1])))
      assert.are.equal(2 * MiB, k[2].got)
    end
    -- They are closed: the next streaming pipe grows again.
    local c, rec = writer()
    H.run_until(function() return rec.err():find("\n") ~= nil end, 30000, "the sizes")
    assert.are.equal(BIG .. " 65536\n", rec.err())
    c.stdin:close()
    H.wait_close(c)
  end)
end)
