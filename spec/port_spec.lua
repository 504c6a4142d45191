-- MessageChannel / MessagePort in one process: delivery, queueing until a
-- handler, close on both ends, ref/unref, transfer through a port, bad input.
local H = require("helper")
local cp = H.cp

local function collect(port)
  local got = {}
  port:on("message", function(e) got[#got + 1] = e end)
  return got
end

describe("MessageChannel", function()
  -- libuv opens one /dev/null per loop with its first stream (kept for
  -- EMFILE handling until the loop closes): open it before counting.
  setup(function()
    local c = cp.spawn("true", {}, { stdio = { "ignore", "pipe", "ignore" } })
    H.wait_close(c)
  end)

  local fds_before
  before_each(function() fds_before = H.fd_count() end)
  after_each(function()
    H.assert_clean()
    H.assert_fds_back_to(fds_before)
  end)

  local function close_both(a, b)
    local n = 0
    a:on("close", function() n = n + 1 end)
    b:on("close", function() n = n + 1 end)
    a:close()
    H.run_until(function() return n == 2 end, 10000, "close on both ends")
  end

  it("gives two connected MessagePorts that carry values both ways, in order", function()
    local a, b = cp.MessageChannel()
    assert.are.equal("MessagePort", getmetatable(H.core.fields(a)).__name)
    local got_b, got_a = collect(b), collect(a)
    for i = 1, 1000 do a:postMessage({ seq = i, s = "x" }) end
    b:postMessage({ nested = { 1, 2, { k = cp.json.null } } })
    H.run_until(function() return #got_b == 1000 and #got_a == 1 end, 10000, "messages")
    for i = 1, 1000 do
      if got_b[i].data.seq ~= i then error("message " .. i .. " is " .. tostring(got_b[i].data.seq)) end
    end
    assert.are.same({}, got_b[1].ports)
    assert.are.same({ 1, 2, { k = cp.json.null } }, got_a[1].data.nested)
    close_both(a, b)
  end)

  it("queues messages until a message handler is added", function()
    local a, b = cp.MessageChannel()
    a:postMessage(1)
    a:postMessage(2)
    cp.run("nowait")
    cp.run("nowait")
    local got = collect(b)
    H.run_until(function() return #got == 2 end, 10000, "queued messages")
    assert.are.same({ 1, 2 }, { got[1].data, got[2].data })
    close_both(a, b)
  end)

  it("start() begins delivery too; once() and off() work", function()
    local a, b = cp.MessageChannel()
    local seen = {}
    b:start()
    b:once("message", function(e) seen[#seen + 1] = "once " .. e.data end)
    local function f(e) seen[#seen + 1] = "on " .. e.data end
    b:on("message", f)
    a:postMessage("x")
    H.run_until(function() return #seen == 2 end, 10000, "first")
    b:off("message", f)
    b:on("message", function(e) seen[#seen + 1] = "later " .. e.data end)
    a:postMessage("y")
    H.run_until(function() return #seen == 3 end, 10000, "second")
    assert.are.same({ "once x", "on x", "later y" }, seen)
    close_both(a, b)
  end)

  it("close(): what was posted before arrives first, then close on both ends once", function()
    local a, b = cp.MessageChannel()
    local events = {}
    b:on("message", function(e) events[#events + 1] = "b message " .. e.data end)
    a:on("close", function() events[#events + 1] = "a close" end)
    b:on("close", function() events[#events + 1] = "b close" end)
    a:postMessage("last")
    a:close()
    a:close() -- idempotent
    H.run_until(function() return #events == 3 end, 10000, "close")
    assert.are.equal("b message last", events[1])
    table.sort(events)
    assert.are.same({ "a close", "b close", "b message last" }, events)
    assert.is_false(a:postMessage("dropped"))
  end)

  it("a port with a message listener keeps run() going; unref() lets it return", function()
    local a, b = cp.MessageChannel()
    local got = {}
    b:on("message", function(e)
      got[#got + 1] = e.data
      b:unref() -- nothing else to wait for: run() may return
    end)
    local guard_fired = false
    local guard = H.core.timer()
    guard:start(20000, 0, function() guard_fired = true; a:close() end)
    guard:unref()
    local t = H.core.timer()
    t:start(50, 0, function() t:close(); a:postMessage("late") end)
    -- run() cannot return before the late message arrives: b listens
    b:unref()
    b:ref()
    cp.run()
    assert.are.same({ "late" }, got)
    assert.is_false(guard_fired)
    -- unref'd and listening, run() returns with nothing on the way
    cp.run()
    assert.is_false(guard_fired)
    guard:close()
    close_both(a, b)
  end)

  it("postMessage returns false past the high-water mark while nobody reads", function()
    local a, b = cp.MessageChannel()
    local chunk = string.rep("x", 4096)
    local res, n = true, 0
    while res and n < 10000 do
      n = n + 1
      res = a:postMessage(chunk)
    end
    assert.is_false(res)
    local got = collect(b)
    H.run_until(function() return #got == n end, 20000, "all messages")
    close_both(a, b)
  end)

  it("a port collected while its peer still sends: the peer gets close, later posts are dropped", function()
    local b = select(2, cp.MessageChannel()) -- the first end is dropped: nobody reads it
    local closed = false
    b:on("close", function() closed = true end)
    local chunk = string.rep("y", 1000)
    for _ = 1, 500 do b:postMessage(chunk) end -- more than the socket holds
    collectgarbage()
    collectgarbage()
    H.run_until(function() return closed end, 10000, "close")
    assert.is_false(b:postMessage("after close"))
  end)

  it("ports left open when the state closes: lua_close frees them, the process exits cleanly", function()
    local script = [[
      local cp = require("child_process")
      local keep = {}
      for i = 1, 10 do
        local a, b = cp.MessageChannel()
        a:postMessage({ i = i })
        b:on("message", function() end)
        keep[i] = { a, b }
      end
      cp.run("nowait")
      io.write("done")
    ]]
    local c = cp.spawn(H.lua, { "-e", script }, { env = H.lua_env() })
    local out = H.collect(c.stdout)
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal("done", out())
  end)

  it("postMessage returns false past the high-water mark and 'drain' follows once written", function()
    local a, b = cp.MessageChannel()
    local chunk = string.rep("d", 4096)
    local n = 0
    repeat n = n + 1 until not a:postMessage(chunk)
    local drained = false
    a:on("drain", function() drained = true end)
    local got = collect(b)
    H.run_until(function() return drained end, 10000, "drain")
    H.run_until(function() return #got == n end, 10000, "all messages")
    close_both(a, b)
  end)

  describe("transfer", function()
    it("a port sent through a port arrives as e.ports, still connected; the sender's copy is neutered", function()
      local a, b = cp.MessageChannel()
      local x, y = cp.MessageChannel()
      local got = collect(b)
      assert.is_true(a:postMessage({ hello = 1 }, { x }))
      H.run_until(function() return #got == 1 end, 10000, "transfer")
      assert.are.same({ hello = 1 }, got[1].data)
      assert.are.equal(1, #got[1].ports)
      local x2 = got[1].ports[1]
      assert.is_true(require("child_process.port").is_port(x2))
      -- neutered
      local err = H.error_of(function() x:postMessage("no") end)
      assert.matches("neutered", err, 1, true)
      assert.matches("port_spec.lua", err, 1, true)
      assert.matches("neutered", H.error_of(function() x:start() end), 1, true)
      assert.matches("neutered", H.error_of(function() x:on("message", print) end), 1, true)
      x:close() -- a no-op
      -- the transferred end talks to y
      local from_y = collect(x2)
      local from_x = collect(y)
      y:postMessage("to x2")
      x2:postMessage("to y")
      H.run_until(function() return #from_y == 1 and #from_x == 1 end, 10000, "through the moved port")
      assert.are.equal("to x2", from_y[1].data)
      assert.are.equal("to y", from_x[1].data)
      close_both(x2, y)
      close_both(a, b)
    end)

    it("messages queued in the port before it moved travel with it", function()
      local a, b = cp.MessageChannel()
      local x, y = cp.MessageChannel()
      y:postMessage("waiting 1")
      y:postMessage("waiting 2")
      cp.run("nowait")
      local got = collect(b)
      a:postMessage("here", { x })
      H.run_until(function() return #got == 1 end, 10000, "transfer")
      local inbox = collect(got[1].ports[1])
      H.run_until(function() return #inbox == 2 end, 10000, "queued messages")
      assert.are.same({ "waiting 1", "waiting 2" }, { inbox[1].data, inbox[2].data })
      close_both(got[1].ports[1], y)
      close_both(a, b)
    end)

    -- What a reading port already took from its socket (a message half
    -- read, lines read but not yet delivered, fds that came with them)
    -- must travel with it: nothing lost, nothing delivered twice.
    local function chan(p) return H.core.fields(p)._ch end

    it("a reading port holding half a message: the bytes already read travel with it", function()
      local a, b = cp.MessageChannel()
      local x, y = cp.MessageChannel()
      local errors, early = {}, collect(x)
      x:on("error", function(e) errors[#errors + 1] = e.code end)
      local big = string.rep("0123456789abcdef", 64 * 1024) -- 1 MiB: more than the socket holds
      y:postMessage({ big = big, n = 1 })
      H.run_until(function() return chan(x):held() ~= nil end, 10000, "x holds a part of the message")
      assert.are.equal(0, #early)
      local got = collect(b)
      a:postMessage("x moves", { x })
      H.run_until(function() return #got == 1 end, 10000, "transfer")
      local x2 = got[1].ports[1]
      local inbox = collect(x2)
      local errs2 = {}
      x2:on("error", function(e) errs2[#errs2 + 1] = e.code end)
      y:postMessage({ n = 2 })
      H.run_until(function() return #inbox == 2 end, 20000, "both messages on the moved port")
      assert.are.equal(1, inbox[1].data.n)
      assert.is_true(inbox[1].data.big == big, "the big message arrives whole")
      assert.are.equal(2, inbox[2].data.n)
      assert.are.same({}, errs2)
      assert.are.same({}, errors)
      assert.are.equal(0, #early)
      close_both(x2, y)
      close_both(a, b)
    end)

    it("what a moved port brought goes on with it when it moves again before reading, then close comes last", function()
      local a, b = cp.MessageChannel()
      local x, y = cp.MessageChannel()
      x:start()
      local big = string.rep("z", 512 * 1024)
      y:postMessage(big)
      H.run_until(function() return chan(x):held() ~= nil end, 10000, "x holds a part of the message")
      local got = collect(b)
      a:postMessage("first hop", { x })
      H.run_until(function() return #got == 1 end, 10000, "first hop")
      local x2 = got[1].ports[1]
      assert.is_not_nil(chan(x2):held()) -- it came with what x held, and has not read
      a:postMessage("second hop", { x2 })
      H.run_until(function() return #got == 2 end, 10000, "second hop")
      local x3 = got[2].ports[1]
      local seen = {}
      x3:on("message", function(e) seen[#seen + 1] = e.data end)
      x3:on("close", function() seen[#seen + 1] = "close" end)
      H.run_until(function() return #seen == 1 end, 20000, "the big message")
      y:close()
      H.run_until(function() return #seen == 2 end, 10000, "close")
      assert.is_true(seen[1] == big, "the message arrives whole")
      assert.are.equal("close", seen[2])
      close_both(a, b)
    end)

    it("a port holding more fds than one message carries cannot move: a clear error, and it stays usable", function()
      local a, b = cp.MessageChannel()
      local x, y = cp.MessageChannel()
      local list, peers = {}, {}
      for i = 1, 253 do list[i], peers[i] = cp.MessageChannel() end
      x:start()
      y:postMessage({ big = string.rep("q", 1024 * 1024) }, list) -- 253 fds, then more than the socket holds
      H.run_until(function()
        local _, fds = chan(x):held()
        return fds and #fds == 253
      end, 10000, "x holds the 253 fds of a message it has half read")
      local err = H.error_of(a.postMessage, a, "move", { x })
      assert.matches("cannot transfer: the ports and the fds they hold", err, 1, true)
      assert.matches("come to 254; at most 253", err, 1, true)
      local got = collect(x)
      H.run_until(function() return #got == 1 end, 20000, "x still reads")
      assert.are.equal(253, #got[1].ports)
      assert.are.equal(1024 * 1024, #got[1].data.big)
      local closed = 0
      for i = 1, 253 do
        peers[i]:on("close", function() closed = closed + 1 end)
        got[1].ports[i]:close()
      end
      H.run_until(function() return closed == 253 end, 10000, "the ports closed")
      close_both(x, y)
      close_both(a, b)
    end)

    it("a port moved from its own message handler: the lines it had read but not delivered go with it", function()
      local a, b = cp.MessageChannel()
      local x, y = cp.MessageChannel()
      local kept = {}
      for i = 1, 10 do y:postMessage(i) end -- one write: x reads them in one go
      local got = collect(b)
      x:on("message", function(e)
        kept[#kept + 1] = e.data
        if e.data == 3 then a:postMessage("x moves", { x }) end
      end)
      H.run_until(function() return #got == 1 end, 10000, "transfer")
      local inbox = {}
      got[1].ports[1]:on("message", function(e) inbox[#inbox + 1] = e.data end)
      y:postMessage(11)
      H.run_until(function() return #inbox == 8 end, 10000, "the rest on the moved port")
      cp.run("nowait")
      assert.are.same({ 1, 2, 3 }, kept)
      assert.are.same({ 4, 5, 6, 7, 8, 9, 10, 11 }, inbox)
      close_both(got[1].ports[1], y)
      close_both(a, b)
    end)

    it("ports that came with lines not yet delivered travel with the port that read them", function()
      local a, b = cp.MessageChannel()
      local x, y = cp.MessageChannel()
      local p1, q1 = cp.MessageChannel()
      local p2, q2 = cp.MessageChannel()
      y:postMessage("first", { p1 })
      y:postMessage("second", { p2 })
      y:postMessage("third")
      local got = collect(b)
      local kept, p1b = {}, nil
      x:on("message", function(e)
        kept[#kept + 1] = e.data
        if e.data == "first" then
          p1b = e.ports[1]
          a:postMessage("x moves", { x })
        end
      end)
      H.run_until(function() return #got == 1 end, 10000, "transfer")
      local inbox = collect(got[1].ports[1])
      H.run_until(function() return #inbox == 2 end, 10000, "the rest on the moved port")
      assert.are.same({ "first" }, kept)
      assert.are.same({ "second", "third" }, { inbox[1].data, inbox[2].data })
      assert.are.equal(1, #inbox[1].ports)
      local via = collect(inbox[1].ports[1])
      q2:postMessage("through p2")
      H.run_until(function() return #via == 1 end, 10000, "p2 still connected")
      assert.are.equal("through p2", via[1].data)
      close_both(inbox[1].ports[1], q2)
      close_both(p1b, q1)
      close_both(got[1].ports[1], y)
      close_both(a, b)
    end)

    it("a port whose listener left mid-batch delivers the lines it holds when a listener comes back", function()
      local x, y = cp.MessageChannel()
      for i = 1, 5 do y:postMessage(i) end
      local first = {}
      local function f(e)
        first[#first + 1] = e.data
        x:off("message", f)
      end
      x:on("message", f)
      H.run_until(function() return #first == 1 end, 10000, "first")
      for _ = 1, 5 do cp.run("nowait") end
      local rest = collect(x)
      H.run_until(function() return #rest == 4 end, 10000, "the lines held back")
      assert.are.same({ 1 }, first)
      assert.are.same({ 2, 3, 4, 5 }, { rest[1].data, rest[2].data, rest[3].data, rest[4].data })
      close_both(x, y)
    end)

    it("carries many ports in one message, and a port that nobody picks up is closed", function()
      local a, b = cp.MessageChannel()
      local list, peers = {}, {}
      for i = 1, 20 do list[i], peers[i] = cp.MessageChannel() end
      local got = collect(b)
      a:postMessage("many", list)
      H.run_until(function() return #got == 1 end, 10000, "transfer")
      assert.are.equal(20, #got[1].ports)
      for k in pairs(got) do got[k] = nil end -- nobody keeps the ports: the collector closes them
      local closed = 0
      for i = 1, 20 do peers[i]:on("close", function() closed = closed + 1 end) end
      collectgarbage()
      collectgarbage()
      H.run_until(function() return closed == 20 end, 10000, "peers closed")
      close_both(a, b)
    end)

    it("rejects bad transfer lists with bad argument, and sends nothing", function()
      local a, b = cp.MessageChannel()
      local x, y = cp.MessageChannel()
      local got = collect(b)
      H.assert_bad_argument("transfer list must be a table", a.postMessage, a, 1, "x")
      H.assert_bad_argument("transfer[1] must be a MessagePort", a.postMessage, a, 1, { 42 })
      H.assert_bad_argument("transfer[1] must be a MessagePort", a.postMessage, a, 1, { io.stdout })
      H.assert_bad_argument("transfer[1] is the port being posted on", a.postMessage, a, 1, { a })
      H.assert_bad_argument("transfer[2] is listed twice", a.postMessage, a, 1, { x, x })
      local many = {}
      for i = 1, 254 do many[i] = x end
      H.assert_bad_argument("at most 253", a.postMessage, a, 1, many)
      H.assert_bad_argument("message expected", a.postMessage, a, nil)
      -- unencodable: raises, and x is not neutered
      assert.matches("cannot encode function", H.error_of(a.postMessage, a, { f = print }, { x }), 1, true)
      x:postMessage("still mine")
      -- a neutered or closed port
      local p, q = cp.MessageChannel()
      a:postMessage("move", { p })
      H.assert_bad_argument("transfer[1] is neutered", a.postMessage, a, 1, { p })
      local r, s = cp.MessageChannel()
      local sc = false
      s:on("close", function() sc = true end)
      r:close()
      H.assert_bad_argument("transfer[1] is a closed port", a.postMessage, a, 1, { r })
      H.run_until(function() return #got == 1 end, 10000, "the one good transfer")
      assert.are.equal("move", got[1].data)
      local yin = collect(y)
      H.run_until(function() return #yin == 1 end, 10000, "x still works")
      close_both(got[1].ports[1], q)
      H.run_until(function() return sc end, 10000, "s close")
      close_both(x, y)
      close_both(a, b)
    end)
  end)

  describe("with a forked Lua child", function()
    local function worker()
      local c = cp.fork(H.fixtures .. "port_worker.lua")
      local msgs, handles = {}, {}
      c:on("message", function(m, h) msgs[#msgs + 1] = m; handles[#msgs] = h end)
      return c, msgs, handles
    end

    local function stop(c)
      c:postMessage({ cmd = "exit" })
      assert.are.equal(0, (H.wait_close(c)))
    end

    it("parent → child: the child reads e.ports[1] and talks on it directly", function()
      local c, msgs = worker()
      local a, b = cp.MessageChannel()
      c:postMessage({ cmd = "echo" }, { b })
      H.run_until(function() return #msgs == 1 end, 10000, "ready")
      assert.matches("neutered", H.error_of(b.postMessage, b, 1), 1, true)
      local got = collect(a)
      for i = 1, 100 do a:postMessage(i) end
      H.run_until(function() return #got == 100 end, 10000, "echoes")
      for i = 1, 100 do assert.are.equal(i, got[i].data.echo) end
      assert.are.equal(c.pid, got[1].data.pid)
      local closed = false
      a:on("close", function() closed = true end)
      a:postMessage("bye") -- the child closes its end: close comes here
      H.run_until(function() return closed end, 10000, "close from the child")
      stop(c)
    end)

    it("child → parent: a port made in the child arrives as the message's ports", function()
      local c, msgs, handles = worker()
      c:postMessage({ cmd = "give" })
      H.run_until(function() return #msgs == 1 end, 10000, "a port")
      assert.are.same({ here = true }, msgs[1])
      local ports = handles[1]
      assert.are.equal(1, #ports)
      local p = ports[1]
      local got = collect(p)
      p:postMessage("x")
      H.run_until(function() return #got == 1 end, 10000, "answer")
      assert.are.equal("child got x", got[1].data)
      local closed = false
      p:on("close", function() closed = true end)
      p:postMessage("bye")
      H.run_until(function() return closed end, 10000, "close")
      stop(c)
    end)

    it("a port travels on: parent → child → grandchild, which answers on it directly", function()
      local c, msgs = worker()
      local a, b = cp.MessageChannel()
      c:postMessage({ cmd = "onward" }, { b })
      H.run_until(function() return #msgs == 1 end, 20000, "the grandchild is ready")
      assert.is_true(msgs[1].onward)
      local got = collect(a)
      a:postMessage("to the grandchild")
      H.run_until(function() return #got == 1 end, 20000, "echo")
      assert.are.equal("to the grandchild", got[1].data.echo)
      assert.are.equal(msgs[1].grandchild, got[1].data.pid)
      assert.are_not.equal(c.pid, got[1].data.pid)
      local closed = false
      a:on("close", function() closed = true end)
      a:postMessage("bye")
      H.run_until(function() return closed end, 20000, "close")
      stop(c)
    end)

    it("two workers talk over a direct channel", function()
      local w1, m1 = worker()
      local w2, m2 = worker()
      local a, b = cp.MessageChannel()
      w1:postMessage({ cmd = "peer", name = "one" }, { a })
      w2:postMessage({ cmd = "peer", name = "two" }, { b })
      H.run_until(function() return #m1 == 1 and #m2 == 1 end, 10000, "both reports")
      assert.are.same({ name = "one", heard = "hi one from two" }, m1[1])
      assert.are.same({ name = "two", heard = "hi two from one" }, m2[1])
      stop(w1)
      stop(w2)
    end)

    it("a child that exits with ports in flight leaks nothing; their peers see close", function()
      local c = cp.fork(H.fixtures .. "fork_nothing.lua")
      local peers, list = {}, {}
      for i = 1, 50 do list[i], peers[i] = cp.MessageChannel() end
      local closed = 0
      for i = 1, 50 do peers[i]:on("close", function() closed = closed + 1 end) end
      c:postMessage("never read", list)
      H.wait_close(c)
      H.run_until(function() return closed == 50 end, 10000, "peers closed")
    end)

    it("a child that hands over a port and exits at once: the port arrives, then close", function()
      local c, msgs, handles = worker()
      c:postMessage({ cmd = "give-and-die" })
      H.wait_close(c)
      assert.are.same({ dying = true }, msgs[1])
      local p = handles[1][1]
      local got, closed = {}, false
      p:on("message", function(e) got[#got + 1] = e.data end)
      p:on("close", function() closed = true end)
      H.run_until(function() return closed end, 10000, "close")
      assert.are.same({ "written before the exit", "held for the end of the pass, written by exit()" }, got)
    end)

    it("a child that floods a port and returns: everything is written before it exits", function()
      local c = worker()
      local a, b = cp.MessageChannel()
      c:postMessage({ cmd = "flood", n = 20000 }, { b })
      local n, ok, closed = 0, true, false
      a:on("message", function(e) n = n + 1; if e.data.i ~= n then ok = false end end)
      a:on("close", function() closed = true end)
      H.run_until(function() return closed end, 30000, "close")
      assert.are.equal(20000, n)
      assert.is_true(ok)
      c:postMessage({ cmd = "exit" })
      H.wait_close(c)
    end)

    it("rejects more than 253 ports and foreign values in child:postMessage", function()
      local c, msgs = worker()
      local list, peers = {}, {}
      for i = 1, 254 do list[i], peers[i] = cp.MessageChannel() end
      H.assert_bad_argument("at most 253", c.postMessage, c, { cmd = "count" }, list)
      H.assert_bad_argument("transfer[1] must be a MessagePort", c.postMessage, c, { cmd = "count" }, { "x" })
      local spare = list[254]
      list[254] = nil
      c:postMessage({ cmd = "count" }, list) -- exactly 253: fine
      H.run_until(function() return #msgs == 1 end, 10000, "count")
      assert.are.equal(253, msgs[1].n)
      local closed = 0
      for i = 1, 254 do
        peers[i]:on("close", function() closed = closed + 1 end)
        peers[i]:close()
      end
      spare:close()
      local a = list[1]
      assert.matches("neutered", H.error_of(a.postMessage, a, 1), 1, true)
      stop(c)
      H.run_until(function() return closed == 254 end, 10000, "ports closed")
    end)
  end)
end)

