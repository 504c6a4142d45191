-- Node-style send(msg, handle [, options] [, cb]) between Lua processes:
-- Node's NODE_HANDLE / ACK protocol, a MessagePort, a stream, a file or an
-- fd as the handle, the one-handle-in-flight queue, bad input, no fd leaks.
local H = require("helper")
local cp = H.cp
local F = H.fixtures

local function worker()
  local c = cp.fork(F .. "handle_worker.lua")
  local msgs = {}
  c:on("message", function(m) msgs[#msgs + 1] = m end)
  return c, msgs
end

local function stop(c)
  c:send("exit")
  assert.are.equal(0, (H.wait_close(c)))
end

local function temp_file(content)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(content)
  f:close()
  return path
end

-- "bye" makes the worker close its end of the port: wait for our port's
-- close, then stop the worker.
local function bye(port, c)
  local closed = false
  port:on("close", function() closed = true end)
  port:postMessage("bye")
  H.run_until(function() return closed end, 10000, "close")
  stop(c)
end

describe("send(msg, handle)", function()
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

  it("hands a MessagePort to the child, which gets it as a MessagePort", function()
    local c, msgs = worker()
    local a, b = cp.MessageChannel()
    local written
    assert.is_true(c:send({ cmd = "port" }, b, function(err) written = err or true end))
    H.run_until(function() return #msgs == 1 end, 10000, "the child's report")
    assert.is_true(written)
    assert.are.same({ got = "userdata", port = true }, msgs[1])
    assert.matches("neutered", H.error_of(b.postMessage, b, 1), 1, true)
    local got = {}
    a:on("message", function(e) got[#got + 1] = e.data end)
    a:postMessage(1)
    H.run_until(function() return #got == 1 end, 10000, "an answer on the port")
    assert.are.equal("port got 1", got[1])
    bye(a, c)
  end)

  it("a MessagePort handed on while it holds half a message: the bytes it read go with it", function()
    local c, msgs = worker()
    local a, b = cp.MessageChannel()
    local early = {}
    b:on("message", function(e) early[#early + 1] = e.data end)
    local big = string.rep("abcdefgh", 128 * 1024) -- 1 MiB: more than the socket holds
    a:postMessage(big)
    local ch = H.core.fields(b)._ch
    H.run_until(function() return ch:held() ~= nil end, 10000, "b holds a part of the message")
    c:send({ cmd = "port" }, b) -- false when what it held is past the high-water mark: still sent
    H.run_until(function() return #msgs == 1 end, 10000, "the child's report")
    local got = {}
    a:on("message", function(e) got[#got + 1] = e.data end)
    a:postMessage("after")
    H.run_until(function() return #got == 2 end, 20000, "both answers")
    assert.are.same({}, early)
    assert.is_true(got[1] == "port got " .. big, "the big message reached the child whole")
    assert.are.equal("port got after", got[2])
    bye(a, c)
  end)

  it("hands a stream (a socket) to the child, which writes and reads it", function()
    local c, msgs = worker()
    -- an echo server on the far end of the socket: cat on its fd 3
    local echo = cp.spawn("sh", { "-c", "exec cat <&3 >&3" }, { stdio = { "ignore", "ignore", "inherit", "pipe" } })
    c:send({ cmd = "stream", say = "hello over a handed socket" }, echo.stdio[4])
    H.run_until(function() return #msgs == 2 end, 10000, "report and echo")
    assert.are.same({ got = "table", fileno = "integer", cloexec = true }, msgs[1])
    assert.are.same({ data = "hello over a handed socket" }, msgs[2])
    stop(c) -- the last holder of the socket goes: cat reads EOF and exits
    assert.are.equal(0, (H.wait_close(echo)))
  end)

  it("a MessagePort holding 253 undelivered fds cannot be sent: a clear error, nothing sent, it still reads", function()
    local c, msgs = worker()
    local x, y = cp.MessageChannel()
    local list, peers = {}, {}
    for i = 1, 253 do list[i], peers[i] = cp.MessageChannel() end
    x:start()
    y:postMessage({ big = string.rep("q", 1024 * 1024) }, list)
    local ch = H.core.fields(x)._ch
    H.run_until(function()
      local _, fds = ch:held()
      return fds and #fds == 253
    end, 10000, "x holds the 253 fds of a message it has half read")
    assert.matches("cannot send: the port holds 253 fds", H.error_of(c.send, c, { cmd = "port" }, x), 1, true)
    local got = {}
    x:on("message", function(e) got[#got + 1] = e end)
    H.run_until(function() return #got == 1 end, 20000, "x still reads")
    assert.are.equal(253, #got[1].ports)
    for i = 1, 253 do got[1].ports[i]:close() peers[i]:close() end
    c:send({ cmd = "none" })
    H.run_until(function() return #msgs == 1 end, 10000, "the channel still works")
    local closed = 0
    x:on("close", function() closed = closed + 1 end)
    y:on("close", function() closed = closed + 1 end)
    x:close()
    H.run_until(function() return closed == 2 end, 10000, "close on both ends")
    stop(c)
  end)

  it("a stream handed on after it has read: what it read stays here, the rest goes there, nothing twice", function()
    local c, msgs = worker()
    local echo = cp.spawn("sh", { "-c", "exec cat <&3 >&3" }, { stdio = { "ignore", "ignore", "inherit", "pipe" } })
    local s, mine = echo.stdio[4], {}
    s:on("data", function(d) mine[#mine + 1] = d end)
    s:write("first|")
    H.run_until(function() return table.concat(mine) == "first|" end, 10000, "the first echo, read here")
    s:write("second|") -- echoed while the stream is on its way
    c:send({ cmd = "stream", say = "third|" }, s)
    local function theirs()
      local t = {}
      for i = 2, #msgs do t[#t + 1] = msgs[i].data end
      return table.concat(t)
    end
    H.run_until(function() return #table.concat(mine) + #theirs() >= #"first|second|third|" end, 10000, "all echoes")
    cp.run("nowait")
    assert.are.equal("first|second|third|", table.concat(mine) .. theirs())
    stop(c)
    assert.are.equal(0, (H.wait_close(echo)))
  end)

  it("a MessagePort handed on before it ever read: the messages waiting in it reach the child", function()
    local c = worker()
    local a, b = cp.MessageChannel()
    for i = 1, 3 do a:postMessage(i) end
    cp.run("nowait")
    c:send({ cmd = "port" }, b)
    local got = {}
    a:on("message", function(e) got[#got + 1] = e.data end)
    H.run_until(function() return #got == 3 end, 10000, "three answers")
    assert.are.same({ "port got 1", "port got 2", "port got 3" }, got)
    bye(a, c)
  end)

  it("hands an io.open file and an integer fd: the child reads them as files", function()
    local c, msgs = worker()
    local path = temp_file("file content\n")
    local f = assert(io.open(path))
    c:send({ cmd = "file" }, f)
    H.run_until(function() return #msgs == 1 end, 10000, "report")
    -- close-on-exec, and in blocking mode, in the child
    assert.are.same({ got = "file", content = "file content\n", cloexec = true, blocking = true }, msgs[1])
    f:close() -- ours stays open until we close it
    local g = assert(io.open(path))
    c:send({ cmd = "file" }, H.core.file_fd(g))
    H.run_until(function() return #msgs == 2 end, 10000, "report")
    assert.are.same({ got = "file", content = "file content\n", cloexec = true, blocking = true }, msgs[2])
    g:close()
    os.remove(path)
    stop(c)
  end)

  it("keeps one handle in flight: what follows queues and arrives in order", function()
    local c, msgs = worker()
    local ports = {}
    local order = {}
    for i = 1, 5 do
      local a, b = cp.MessageChannel()
      ports[i] = a
      c:send({ cmd = "port" }, b, function() order[#order + 1] = "port " .. i end)
      c:send({ cmd = "none" }, function() order[#order + 1] = "none " .. i end)
    end
    H.run_until(function() return #msgs == 10 end, 10000, "ten reports")
    for i = 1, 5 do
      assert.are.same({ got = "userdata", port = true }, msgs[2 * i - 1])
      assert.are.same({ got = "nil" }, msgs[2 * i])
      assert.are.equal("port " .. i, order[2 * i - 1])
      assert.are.equal("none " .. i, order[2 * i])
    end
    for i = 1, 5 do ports[i]:close() end
    stop(c)
  end)

  it("a peer that never acknowledges: the queue waits; at its exit the handle is closed, callbacks fail", function()
    local c = cp.spawn("sh", { "-c", "read x" }, { stdio = { "pipe", "ignore", "inherit", "ipc" } })
    local a, b = cp.MessageChannel()
    local a_closed, errs = false, {}
    a:on("close", function() a_closed = true end)
    assert.is_true(c:send("with a port", b))
    c:send("queued", function(err) errs[#errs + 1] = err end)
    assert.is_true(c.connected)
    c.stdin:close("go\n")
    H.wait_close(c)
    H.run_until(function() return a_closed and #errs == 1 end, 10000, "release")
    assert.are.equal("ERR_IPC_CHANNEL_CLOSED", errs[1].code)
  end)

  it("a peer that answers NODE_HANDLE_NACK gets the handle 3 more times, then it is closed", function()
    local c = cp.spawn(H.lua, { F .. "nack_peer.lua" },
      { stdio = { "ignore", "ignore", "inherit", "ipc" }, env = H.lua_env() })
    local msgs, warnings = {}, {}
    c:on("message", function(m) msgs[#msgs + 1] = m end)
    c:on("warning", function(w) warnings[#warnings + 1] = w end)
    local a, b = cp.MessageChannel()
    local a_closed = false
    a:on("close", function() a_closed = true end)
    c:send({ cmd = "take" }, b)
    c:send("after the handle") -- queued behind it; the peer ignores it
    H.run_until(function() return a_closed end, 10000, "the handle given up")
    assert.are.same({ { nacked = 1 }, { nacked = 2 }, { nacked = 3 }, { nacked = 4 } }, msgs)
    c:send("exit")
    H.wait_close(c)
    assert.are.equal(1, #warnings)
    assert.are.equal("SentHandleNotReceivedWarning", warnings[1].code)
  end)

  it("disconnect() waits for the handle in flight to be acknowledged", function()
    local c = worker()
    local a, b = cp.MessageChannel()
    local disc = false
    c:on("disconnect", function() disc = true end)
    c:send({ cmd = "port" }, b)
    c:disconnect()
    assert.is_false(c.connected)
    H.run_until(function() return disc end, 10000, "disconnect")
    -- the child has the port (its report may have come after the channel closed)
    local got = {}
    a:on("message", function(e) got[#got + 1] = e.data end)
    a:postMessage(7)
    H.run_until(function() return #got == 1 end, 10000, "an answer on the port")
    assert.are.equal("port got 7", got[1])
    a:close()
    c:kill()
    H.wait_close(c)
  end)

  it("rejects what is not a handle with bad argument", function()
    local c = worker()
    H.assert_bad_argument("handle must be a MessagePort, a stream, a file or an fd", c.send, c, 1, "two")
    H.assert_bad_argument("handle must be", c.send, c, 1, {})
    H.assert_bad_argument("fd 99999 is not open", c.send, c, 1, 99999)
    H.assert_bad_argument("fd -1 is not open", c.send, c, 1, -1)
    local f = assert(io.open("/dev/null"))
    f:close()
    H.assert_bad_argument("closed file", c.send, c, 1, f)
    local a, b = cp.MessageChannel()
    a:close()
    H.assert_bad_argument("closed MessagePort", c.send, c, 1, a)
    local x, y = cp.MessageChannel()
    c:send({ cmd = "port" }, y)
    H.assert_bad_argument("neutered", c.send, c, 1, y)
    H.assert_bad_argument("options must be a table", c.send, c, 1, x, "keep")
    H.assert_bad_argument("message expected", c.send, c, nil, x)
    local closed = false
    b:on("close", function() closed = true end)
    H.run_until(function() return closed end, 10000, "b closed")
    x:close()
    stop(c)
  end)

  describe("cp.net: Unix-socket connections handed to a worker", function()
    it("accepts a connection and hands it to a worker, which serves the client directly", function()
      local c, msgs = worker()
      local path = os.tmpname()
      os.remove(path)
      local server = assert(cp.net.listen(path, function(conn)
        c:send({ cmd = "stream", say = "welcome\n" }, conn)
      end))
      local client = assert(cp.net.connect(path))
      local got = H.collect(client)
      H.run_until(function() return got() == "welcome\n" end, 10000, "the worker's greeting")
      client:write("from the client")
      H.run_until(function() return #msgs == 2 end, 10000, "the worker read it")
      assert.are.same({ data = "from the client" }, msgs[2])
      -- the same path cannot be bound twice
      local s2, err = cp.net.listen(path, function() end)
      assert.is_nil(s2)
      assert.are.equal("EADDRINUSE", err.code)
      local closed = false
      server:close(function() closed = true end)
      H.run_until(function() return closed end, 10000, "server close")
      assert.is_nil(io.open(path))
      client:destroy()
      stop(c)
      local s3, err3 = cp.net.connect(path)
      assert.is_nil(s3)
      assert.are.equal("ENOENT", err3.code)
    end)

    it("bad arguments", function()
      H.assert_bad_argument("socket path expected", cp.net.listen, nil, print)
      H.assert_bad_argument("function expected", cp.net.listen, "/tmp/x", nil)
      H.assert_bad_argument("socket path expected", cp.net.connect, 1)
    end)
  end)
end)

