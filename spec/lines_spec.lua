--- lines_spec.lua — SPEC §10: readable:lines() and the `line` event:
--- "\n" and "\r\n", a last line without newline, any chunking (1-byte
--- chunks, one 10 MiB line), backpressure, errors, break.
local H = require("helper")
local cp = H.cp

local MiB = 1024 * 1024

-- The lines of `text` as printed by a child, through `line` events.
local function line_events(text)
  local c = cp.spawn("printf", { "%s", text })
  local got = {}
  c.stdout:on("line", function(l) got[#got + 1] = l end)
  assert.are.equal(0, (H.wait_close(c)))
  return got
end

describe("line event", function()
  after_each(function() H.assert_clean() end)

  it("splits on \\n and \\r\\n and keeps empty lines", function()
    assert.are.same({ "a", "b", "", "c d", "" }, line_events("a\nb\r\n\nc d\r\n\n"))
  end)

  it("gives the last line without its newline", function()
    assert.are.same({ "one", "two" }, line_events("one\ntwo"))
    assert.are.same({}, line_events(""))
  end)

  it("keeps a lone \\r inside a line, and at the very end", function()
    assert.are.same({ "a\rb", "c\r" }, line_events("a\rb\nc\r"))
  end)

  it("comes before `end`, which comes before `close` of the child", function()
    local c = cp.spawn("printf", { "x\ny" })
    local order = {}
    c.stdout:on("end", function() order[#order + 1] = "end" end)
    c.stdout:on("line", function(l) order[#order + 1] = "line:" .. l end)
    c:on("close", function() order[#order + 1] = "close" end)
    H.wait_close(c)
    assert.are.same({ "line:x", "line:y", "end", "close" }, order)
  end)

  it("a 10 MiB line in 1-byte chunks arrives whole, in linear time", function()
    local c = cp.spawn("sleep", { "1000" }) -- a stream that stays open, however slow the loop below
    local s = c.stdout
    local got = {}
    s:on("line", function(l) got[#got + 1] = l end)
    local t0 = os.clock()
    -- Every chunk goes through the stream's data path, one byte each.
    for _ = 1, 10 * MiB do s:emit("data", "x") end
    s:emit("data", "\r")
    s:emit("data", "\n")
    s:emit("data", "y")
    local cpu = os.clock() - t0
    assert.are.equal(1, #got)
    assert.are.equal(10 * MiB, #got[1])
    assert.are.equal(("x"):rep(10 * MiB), got[1])
    -- Linear: about 2 s here (~30 s under ASan).  A splitter that rescans
    -- or recopies its buffer per chunk needs ~10^13 byte operations: hours.
    assert.is_true(cpu < 300, ("%.1f s of CPU for 10 MiB"):format(cpu))
    cp.run("nowait") -- the loop's clock, stale after this long callback-free stretch
    c:kill()
    H.wait_close(c)
    assert.are.same({ ("x"):rep(10 * MiB), "y" }, { got[1], got[2] })
  end)

  it("any chunking gives the same lines as one chunk", function()
    local parts = {}
    for i = 1, 400 do parts[#parts + 1] = ("line %d%s"):format(i, i % 3 == 0 and "\r\n" or "\n") end
    local text = table.concat(parts) .. "tail"
    local want = {}
    for i = 1, 400 do want[i] = "line " .. i end
    want[#want + 1] = "tail"
    math.randomseed(14)
    for _ = 1, 20 do
      local c = cp.spawn("sleep", { "30" })
      local got = {}
      c.stdout:on("line", function(l) got[#got + 1] = l end)
      local pos = 1
      while pos <= #text do
        local n = math.random(1, 9)
        c.stdout:emit("data", text:sub(pos, pos + n - 1))
        pos = pos + n
      end
      c:kill()
      H.wait_close(c)
      assert.are.same(want, got)
    end
  end)

  it("a big output in lines, byte for byte", function()
    local c = cp.spawn("seq", { "1", "200000" })
    local n, ok = 0, true
    c.stdout:on("line", function(l)
      n = n + 1
      if l ~= tostring(n) then ok = false end
    end)
    assert.are.equal(0, (H.wait_close(c, 120000)))
    assert.are.equal(200000, n)
    assert.is_true(ok)
  end)
end)

describe("readable:lines()", function()
  after_each(function() H.assert_clean() end)

  it("iterates inside cp.async, several children at once", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "a generic for's iterator cannot yield there") end
    local results = {}
    for k = 1, 3 do
      cp.async(function()
        local c = cp.spawn("sh", { "-c", "for i in 1 2 3; do echo " .. k .. ".$i; done" })
        local t = {}
        for line in c.stdout:lines() do t[#t + 1] = line end
        assert.are.same({ 0 }, { c:wait() })
        results[k] = t
      end)
    end
    H.run_until(function() return results[1] and results[2] and results[3] end)
    for k = 1, 3 do assert.are.same({ k .. ".1", k .. ".2", k .. ".3" }, results[k]) end
  end)

  it("outside cp.async it runs the loop, as wait() does", function()
    local c = cp.spawn("printf", { "a\r\nb" })
    local t = {}
    for line in c.stdout:lines() do t[#t + 1] = line end
    assert.are.same({ "a", "b" }, t)
    H.wait_close(c)
  end)

  it("a consumer busy elsewhere pauses the stream (the child feels backpressure)", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "a generic for's iterator cannot yield there") end
    local c = cp.spawn("seq", { "1", "200000" })
    local n, paused_seen, finished = 0, false, false
    cp.async(function()
      for line in c.stdout:lines() do
        n = n + 1
        assert(line == tostring(n))
        if n == 1 then
          -- Block this coroutine on something else while output piles up.
          local s = cp.spawn("sleep", { "0.3" })
          s:wait()
          paused_seen = c.stdout:isPaused()
        end
      end
      finished = true
    end)
    H.run_until(function() return finished end, 120000)
    assert.is_true(paused_seen)
    assert.are.equal(200000, n)
    H.wait_close(c)
  end)

  it("break stops listening; the child still closes", function()
    if not H.lua54 then return pending("needs Lua 5.4: the generic for's closing value (a break runs __close)") end
    local c = cp.spawn("seq", { "1", "100000" })
    local first
    for line in c.stdout:lines() do
      first = line
      if first then break end
    end
    assert.are.equal("1", first)
    assert.are.equal(0, c.stdout:listenerCount("line"))
    assert.are.equal(0, (H.wait_close(c)))
  end)

  it("on an ended stream gives nothing", function()
    local c = cp.spawn("true")
    H.collect(c.stdout)
    H.wait_close(c)
    local n = 0
    for _ in c.stdout:lines() do n = n + 1 end
    assert.are.equal(0, n)
  end)

  it("from inside an event callback outside cp.async: a clear error", function()
    local c = cp.spawn("echo", { "x" })
    local msg
    c:on("spawn", function()
      local ok, err = pcall(function() for _ in c.stdout:lines() do end end)
      if not ok then msg = tostring(err) end
    end)
    H.wait_close(c)
    assert.matches("not re%-entrant", msg)
  end)
end)
