--- abort_spec.lua — SPEC §10 cancellation and scope: cp.AbortController()
--- with options.signal for spawn, exec, execFile and fork (Node's
--- ABORT_ERR semantics; an already-aborted signal starts nothing), and
--- `local c <close> = cp.spawn(...)`.
local H = require("helper")
local cp, core = H.cp, H.core

describe("AbortController", function()
  it("aborts once, with a default reason, and tells its listeners", function()
    local ac = cp.AbortController()
    local s = ac.signal
    assert.is_false(s.aborted)
    s:throwIfAborted()
    local seen = {}
    s:on("abort", function(r) seen[#seen + 1] = r end)
    ac:abort()
    ac:abort("again") -- no effect
    assert.is_true(s.aborted)
    assert.are.equal("ABORT_ERR", s.reason.code)
    assert.are.equal("AbortError", s.reason.name)
    assert.are.same({ s.reason }, seen)
    local ok, err = pcall(s.throwIfAborted, s)
    assert.is_false(ok)
    assert.are.equal(s.reason, err)
  end)

  it("takes a reason, as ac:abort(r) and ac.abort(r)", function()
    local a, b = cp.AbortController(), cp.AbortController()
    a:abort("why")
    b.abort({ custom = true })
    assert.are.equal("why", a.signal.reason)
    assert.is_true(b.signal.reason.custom)
  end)
end)

describe("options.signal", function()
  after_each(function() H.assert_clean() end)

  it("spawn: aborting kills with killSignal and emits error ABORT_ERR (cause: the reason)", function()
    local ac = cp.AbortController()
    local c = cp.spawn("sleep", { "100" }, { signal = ac.signal, killSignal = "SIGKILL" })
    local errs = {}
    c:on("error", function(e) errs[#errs + 1] = e end)
    H.run_until(function() return c._spawned end)
    ac:abort("enough")
    assert.are.same({ nil, "SIGKILL" }, { H.wait_close(c) })
    assert.are.equal(1, #errs)
    assert.are.equal("ABORT_ERR", errs[1].code)
    assert.are.equal("AbortError", errs[1].name)
    assert.are.equal("enough", errs[1].cause)
    assert.is_true(c.killed)
    assert.are.equal(0, ac.signal:listenerCount("abort"))
  end)

  it("spawn with a signal already aborted: the error, close(nil, nil), and no process", function()
    local ac = cp.AbortController()
    ac:abort()
    local before = core.stats()
    local c = cp.spawn("touch", { "/tmp/cp-should-not-exist-14" }, { signal = ac.signal })
    assert.is_nil(c.pid)
    assert.are.equal(before.procs, core.stats().procs)
    local order = {}
    c:on("spawn", function() order[#order + 1] = "spawn" end)
    c:on("error", function(e) order[#order + 1] = "error:" .. e.code end)
    c:on("close", function(code, sig) order[#order + 1] = ("close:%s:%s"):format(tostring(code), tostring(sig)) end)
    assert.are.same({ nil, nil }, { c:wait() })
    assert.are.same({ "error:ABORT_ERR", "close:nil:nil" }, order)
    assert.is_nil(io.open("/tmp/cp-should-not-exist-14"))
  end)

  it("aborting after the exit does nothing", function()
    local ac = cp.AbortController()
    local c = cp.spawn("true", {}, { signal = ac.signal })
    assert.are.equal(0, (H.wait_close(c)))
    assert.are.equal(0, ac.signal:listenerCount("abort"))
    ac:abort() -- no error event, nothing raised
    cp.run("nowait")
    assert.is_false(c.killed)
  end)

  it("one signal cancels several children", function()
    local ac = cp.AbortController()
    local cs, errs = {}, 0
    for i = 1, 3 do
      cs[i] = cp.spawn("sleep", { "100" }, { signal = ac.signal })
      cs[i]:on("error", function() errs = errs + 1 end)
    end
    ac:abort()
    for i = 1, 3 do assert.are.same({ nil, "SIGTERM" }, { H.wait_close(cs[i]) }) end
    assert.are.equal(3, errs)
  end)

  it("exec and execFile: the callback gets the AbortError (with cmd)", function()
    local ac = cp.AbortController()
    local got = {}
    cp.exec("sleep 100", { signal = ac.signal }, function(err, out) got.exec = { err, out } end)
    cp.execFile("sleep", { "100" }, { signal = ac.signal }, function(err) got.execFile = err end)
    local t = core.timer()
    t:start(50, 0, function() t:close() ac:abort() end)
    H.run_until(function() return got.exec and got.execFile end)
    assert.are.equal("ABORT_ERR", got.exec[1].code)
    assert.are.equal("sleep 100", got.exec[1].cmd)
    assert.are.equal("", got.exec[2])
    assert.are.equal("ABORT_ERR", got.execFile.code)
    assert.are.equal("sleep 100", got.execFile.cmd)
  end)

  it("exec with a signal already aborted: the error, and no process", function()
    local ac = cp.AbortController()
    ac:abort()
    local c = cp.exec("touch /tmp/cp-should-not-exist-14", { signal = ac.signal })
    local err = c:wait()
    assert.are.equal("ABORT_ERR", err.code)
    assert.is_nil(c.pid)
    assert.is_nil(io.open("/tmp/cp-should-not-exist-14"))
  end)

  it("fork: aborting kills the forked child", function()
    local ac = cp.AbortController()
    local c = cp.fork(H.fixtures .. "fork_hold.lua", {}, { signal = ac.signal, env = H.lua_env() })
    local err
    c:on("error", function(e) err = e end)
    c:on("spawn", function() ac:abort() end)
    local code, sig = H.wait_close(c)
    assert.is_nil(code)
    assert.are.equal("SIGTERM", sig)
    assert.are.equal("ABORT_ERR", err.code)
  end)

  it("bad input: not an AbortSignal", function()
    local ac = cp.AbortController()
    for _, v in ipairs({ {}, "signal", ac }) do
      H.assert_bad_argument("option 'signal' must be an AbortSignal", cp.spawn, "true", {}, { signal = v })
      H.assert_bad_argument("option 'signal' must be an AbortSignal", cp.exec, "true", { signal = v })
      H.assert_bad_argument("option 'signal' must be an AbortSignal", cp.execFile, "true", {}, { signal = v })
      H.assert_bad_argument("option 'signal' must be an AbortSignal", cp.fork, "x.lua", {}, { signal = v })
    end
  end)
end)

describe("<close>", function()
  if not H.lua54 then
    pending("needs Lua 5.4: to-be-closed variables (local c <close> = cp.spawn(...))")
    return
  end
  assert(loadfile(H.root .. "/spec/lua54/abort_close.lua", "t", _ENV))(H, cp)
end)
