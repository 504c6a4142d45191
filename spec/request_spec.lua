-- child:request() and process.handle(): replies, handler errors, timeouts,
-- the envelope kept apart from `message`, yielding handlers, a Node.js
-- worker speaking the same protocol, bad arguments.
local H = require("helper")
local cp = H.cp
local F = H.fixtures

local function worker(args, opts)
  local c = cp.fork(F .. "req_worker.lua", args or {}, opts)
  local msgs = {}
  c:on("message", function(m) msgs[#msgs + 1] = m end)
  return c, msgs
end

local function finish(c)
  c:disconnect()
  return H.wait_close(c, 10000)
end

describe("child:request", function()
  after_each(function() H.assert_clean() end)

  it("wait(math.huge) means no limit, as ChildProcess:wait does", function()
    local c = worker()
    local err, r = c:request({ op = "double", n = 4 }, { timeout = math.huge }):wait(math.huge)
    assert.is_nil(err)
    assert.are.equal(8, r)
    local got
    cp.async(function() got = { c:request({ op = "double", n = 5 }):wait(math.huge) } end)
    H.run_until(function() return got ~= nil end, 10000, "the async wait")
    assert.are.same({ nil, 10 }, { got[1], got[2] })
    finish(c)
  end)

  it("answers through wait() and through the callback", function()
    local c = worker()
    local err, r = c:request({ op = "double", n = 21 }):wait(10000)
    assert.is_nil(err)
    assert.are.equal(42, r)
    local got
    local p = c:request({ op = "echo", v = { a = { 1, 2 }, s = "é" } }, function(e, v) got = { e, v } end)
    assert.is_false(p.done == true)
    H.run_until(function() return got ~= nil end, 10000, "callback")
    assert.is_nil(got[1])
    assert.are.same({ a = { 1, 2 }, s = "é" }, got[2])
    assert.is_true(p.done)
    -- wait() after the callback returns the same
    local e2, v2 = p:wait()
    assert.is_nil(e2)
    assert.are.same(got[2], v2)
    assert.are.equal(0, (finish(c)))
  end)

  it("a nil request and a nil reply", function()
    local c = worker()
    local err, r = c:request({ op = "echo" }):wait(10000)
    assert.is_nil(err)
    assert.is_nil(r)
    err, r = c:request(7):wait(10000)
    assert.is_nil(err)
    assert.are.equal(14, r)
    finish(c)
  end)

  it("many requests in flight get their own replies", function()
    local c = worker()
    local ps = {}
    for i = 1, 500 do ps[i] = c:request({ op = "double", n = i }) end
    for i = 1, 500 do
      local err, r = ps[i]:wait(10000)
      assert.is_nil(err)
      assert.are.equal(2 * i, r)
    end
    finish(c)
  end)

  it("a handler's error comes back with message, code, its fields and traceback", function()
    local c = worker()
    local err, r = c:request({ op = "fail", code = "EBAD", msg = "bad thing" }):wait(10000)
    assert.is_nil(r)
    assert.are.equal("EBAD", err.code)
    assert.are.equal("bad thing", err.message)
    assert.are.equal(7, err.detail)
    assert.is_true(err.remote)
    assert.matches("req_worker.lua", err.traceback, 1, true)
    assert.matches("bad thing", tostring(err), 1, true)
    err = c:request({ op = "raise", msg = "boom" }):wait(10000)
    assert.are.equal("ERR_HANDLER", err.code)
    assert.matches("boom", err.message, 1, true)
    assert.matches("stack traceback", err.traceback, 1, true)
    -- the worker goes on
    local e2, v = c:request(1):wait(10000)
    assert.is_nil(e2)
    assert.are.equal(2, v)
    finish(c)
  end)

  it("a reply that cannot be encoded comes back as ERR_REPLY_ENCODE", function()
    local c = worker()
    local err = c:request({ op = "unencodable" }):wait(10000)
    assert.are.equal("ERR_REPLY_ENCODE", err.code)
    finish(c)
  end)

  it("options.timeout ends the request with ETIMEDOUT; the late reply is dropped", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local c = worker()
    local calls = 0
    local cmd = "sleep 0.3; echo late"
    local p = c:request({ op = "exec", cmd = cmd }, { timeout = 50 }, function() calls = calls + 1 end)
    local err, r = p:wait(10000)
    assert.are.equal("ETIMEDOUT", err.code)
    assert.is_nil(r)
    -- the late reply arrives and is ignored; the next request still works
    local e2, v = c:request({ op = "exec", cmd = "sleep 0.4; echo later" }):wait(10000)
    assert.is_nil(e2)
    assert.are.equal("later\n", v)
    assert.are.equal(1, calls)
    finish(c)
  end)

  it("a fractional timeout works too", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local c = worker()
    local err = c:request({ op = "exec", cmd = "sleep 0.3" }, { timeout = 30.5 }):wait(10000)
    assert.are.equal("ETIMEDOUT", err.code)
    assert.matches("30.5 ms", err.message, 1, true)
    finish(c)
  end)

  it("wait(ms) gives ETIMEDOUT without ending the request", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local c = worker()
    local p = c:request({ op = "exec", cmd = "sleep 0.3; echo done" })
    local err = p:wait(20)
    assert.are.equal("ETIMEDOUT", err.code)
    assert.is_false(p.done == true)
    local e2, v = p:wait(10000)
    assert.is_nil(e2)
    assert.are.equal("done\n", v)
    finish(c)
  end)

  it("handlers may spawn and wait: a slow request does not hold up a quick one", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local c = worker()
    local order = {}
    c:request({ op = "exec", cmd = "sleep 0.3; echo slow" }, function(_, v) order[#order + 1] = v end)
    c:request({ op = "double", n = 1 }, function(_, v) order[#order + 1] = v end)
    H.run_until(function() return #order == 2 end, 10000, "two replies")
    assert.are.same({ 2, "slow\n" }, order)
    finish(c)
  end)

  it("wait() yields inside cp.async", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local c = worker()
    local results = {}
    for i = 1, 3 do
      cp.async(function()
        local err, v = c:request({ op = "double", n = i }):wait()
        results[i] = { err, v }
      end)
    end
    H.run_until(function() return results[1] and results[2] and results[3] end, 10000, "coroutines")
    for i = 1, 3 do assert.are.same({ nil, 2 * i }, results[i]) end
    -- and times out there too
    local got
    cp.async(function()
      got = { c:request({ op = "exec", cmd = "sleep 0.3" }):wait(10) }
    end)
    H.run_until(function() return got ~= nil end, 10000, "async timeout")
    assert.are.equal("ETIMEDOUT", got[1].code)
    finish(c)
  end)

  it("requests and replies never reach `message` listeners, on either side", function()
    local c, msgs = worker()
    c:send({ plain = 1 })
    local err, r = c:request({ op = "double", n = 2 }):wait(10000)
    assert.is_nil(err)
    assert.are.equal(4, r)
    c:send({ plain = 2 })
    H.run_until(function() return #msgs == 2 end, 10000, "echoes")
    -- the child's message listener saw only the plain messages
    assert.are.same({ { seen = { plain = 1 } }, { seen = { plain = 2 } } }, msgs)
    finish(c)
    assert.are.same({ { seen = { plain = 1 } }, { seen = { plain = 2 } } }, msgs)
  end)

  it("stray envelopes from the child are not `message`s either", function()
    local c = cp.fork(F .. "req_envelope_noise.lua")
    local msgs = {}
    c:on("message", function(m)
      msgs[#msgs + 1] = m
      c:send("bye")
    end)
    assert.are.equal(0, (H.wait_close(c, 10000)))
    assert.are.same({ { plain = true } }, msgs)
  end)

  it("requests sent before the child's handler exists are answered once it does (parentPort:handle)", function()
    local c = worker({ "late" })
    local ps = {}
    for i = 1, 5 do ps[i] = c:request(i) end
    for i = 1, 5 do
      local err, v = ps[i]:wait(10000)
      assert.is_nil(err)
      assert.are.equal(2 * i, v)
    end
    finish(c)
  end)

  it("a child that exits before answering fails the request with ERR_IPC_CHANNEL_CLOSED", function()
    if H.puc51 then return pending(H.NO_C_YIELD .. "the worker's handler waits inside xpcall") end
    local c = worker()
    local other = c:request({ op = "exec", cmd = "sleep 5" })
    local err = c:request({ op = "exit", code = 3 }):wait(10000)
    assert.are.equal("ERR_IPC_CHANNEL_CLOSED", err.code)
    assert.are.equal("ERR_IPC_CHANNEL_CLOSED", (other:wait(10000)).code)
    assert.are.equal(3, (H.wait_close(c, 10000)))
  end)

  it("a request on a closed channel fails at once, its callback runs later", function()
    local c = worker()
    finish(c)
    local called = false
    local p = c:request(1, function(err) called = err.code end)
    assert.is_true(p.done)
    assert.is_false(called)
    assert.are.equal("ERR_IPC_CHANNEL_CLOSED", (p:wait()).code)
    H.run_until(function() return called end, 5000, "callback")
    assert.are.equal("ERR_IPC_CHANNEL_CLOSED", called)
  end)

  it("rejects bad arguments, naming them", function()
    local c = worker()
    H.assert_bad_argument("#1 to 'request' (value cannot be encoded", function() c:request(function() end) end)
    H.assert_bad_argument("#1 to 'request' (value cannot be encoded", function() c:request({ 0 / 0 }) end)
    H.assert_bad_argument("#2 to 'request' (options must be a table", function() c:request(1, 5) end)
    H.assert_bad_argument("option 'timeout'", function() c:request(1, { timeout = -1 }) end)
    H.assert_bad_argument("option 'timeout'", function() c:request(1, { timeout = "x" }) end)
    H.assert_bad_argument("#3 to 'request' (callback must be a function", function() c:request(1, {}, 5) end)
    local p = c:request(1)
    H.assert_bad_argument("#1 to 'wait'", function() p:wait(-1) end)
    p:wait(10000)
    finish(c)
  end)

  it("process.handle with a bad argument raises in the child, naming it", function()
    local c = cp.fork(F .. "req_badarg.lua")
    local msgs = {}
    c:on("message", function(m) msgs[#msgs + 1] = m end)
    local err, v = c:request("x"):wait(10000)
    assert.is_nil(err)
    assert.are.equal("x", v)
    assert.is_false(msgs[1].ok)
    assert.matches("bad argument #1 to 'handle' (function expected, got number)", msgs[1].err, 1, true)
    finish(c)
  end)

  it("a Node.js worker answers the same protocol (real node)", function()
    local c = cp.fork(F .. "node_req_worker.js", {}, { execPath = "node" })
    local msgs = {}
    c:on("message", function(m) msgs[#msgs + 1] = m end)
    local err, v = c:request(21):wait(20000)
    assert.is_nil(err)
    assert.are.equal(42, v)
    err, v = c:request({ op = "who" }):wait(20000)
    assert.is_nil(err)
    assert.matches("^node v%d+", v)
    err, v = c:request({ op = "fail", code = "ENODE", msg = "from node" }):wait(20000)
    assert.is_nil(v)
    assert.are.equal("ENODE", err.code)
    assert.are.equal("from node", err.message)
    assert.matches("node_req_worker.js", err.traceback, 1, true)
    c:send({ plain = true })
    H.run_until(function() return #msgs == 1 end, 20000, "node echo")
    assert.are.same({ seen = { plain = true } }, msgs[1])
    assert.are.equal(0, (finish(c)))
  end)
end)
