--- pipeline_spec.lua — SPEC §10 pipelines: another child's stream as a
--- stdio entry (the fd is handed over: the parent reads nothing), and
--- readable:pipe(writable) with backpressure; their bad input.
local H = require("helper")
local cp, core = H.cp, H.core

local MiB, GiB = 1024 * 1024, 1024 * 1024 * 1024

-- Bytes the main thread of this process has read through read(2) and
-- friends (not /proc/self/io: that one adds the reads of reaped children).
local function rchar()
  -- Closed here, not by leaving io.lines early (only 5.4 closes it then).
  local f = assert(io.open("/proc/self/task/" .. select(1, core.getpid()) .. "/io"))
  local s = f:read("*a")
  f:close()
  return tonumber(s:match("rchar:%s*(%d+)"))
end

describe("a stream as a stdio entry", function()
  -- libuv opens one fd per loop at its first stream (kept for EMFILE):
  -- let that happen before any fd count is taken.
  setup(function() H.wait_close(cp.spawn("true")) end)
  after_each(function() H.assert_clean() end)

  it("hands the fd over: 64 MiB go from a to b and the parent reads none of it", function()
    local fds = H.fd_count()
    local before = rchar()
    local a = cp.spawn("head", { "-c", tostring(64 * MiB), "/dev/zero" })
    local b = cp.spawn("wc", { "-c" }, { stdio = { a.stdout, "pipe", "inherit" } })
    local out = H.collect(b.stdout)
    local a_data = 0
    a.stdout:on("data", function(d) a_data = a_data + #d end) -- closed already: never called
    assert.are.equal(0, (H.wait_close(b)))
    assert.are.equal(0, (H.wait_close(a)))
    assert.are.equal(tostring(64 * MiB), out():match("%d+"))
    assert.are.equal(0, a_data)
    assert.is_true(a.stdout.handedOver)
    -- The parent's reads in this test: b's few bytes, /proc files; not 64 MiB.
    local read = rchar() - before
    assert.is_true(read < MiB, "the parent read " .. read .. " bytes")
    H.assert_fds_back_to(fds)
  end)

  it("a child's stdin as another's stdout: a writes straight into b", function()
    local b = cp.spawn("wc", { "-c" })
    local out = H.collect(b.stdout)
    local a = cp.spawn("head", { "-c", "100000", "/dev/zero" }, { stdio = { "ignore", b.stdin, "inherit" } })
    assert.are.equal(0, (H.wait_close(a)))
    assert.are.equal(0, (H.wait_close(b)))
    assert.are.equal("100000", out():match("%d+"))
  end)

  it("three stages: printf | sort | uniq -c", function()
    local a = cp.spawn("printf", { "b\\na\\nb\\nc\\n" })
    local b = cp.spawn("sort", {}, { stdio = { a.stdout, "pipe", "inherit" } })
    local c = cp.spawn("uniq", { "-c" }, { stdio = { b.stdout, "pipe", "inherit" } })
    local lines = {}
    c.stdout:on("line", function(l) lines[#lines + 1] = l:gsub("^%s+", "") end)
    for _, child in ipairs({ c, b, a }) do assert.are.equal(0, (H.wait_close(child))) end
    assert.are.same({ "1 a", "2 b", "1 c" }, lines)
  end)

  it("spawnSync takes one too", function()
    local a = cp.spawn("printf", { "12345" })
    local r = cp.spawnSync("wc", { "-c" }, { stdio = { a.stdout, "pipe", "pipe" } })
    assert.are.equal(0, r.status)
    assert.are.equal("5", r.stdout:match("%d+"))
    assert.are.equal(0, (H.wait_close(a)))
  end)

  it("if the new child cannot start, the stream stays the parent's, readable as before", function()
    local fds = H.fd_count()
    -- a waits for its stdin: its output is not drained at its exit meanwhile.
    local a = cp.spawn("sh", { "-c", "read x; echo still here" })
    local b = cp.spawn("no-such-command-xyz", {}, { stdio = { a.stdout } })
    local err
    b:on("error", function(e) err = e end)
    H.wait_close(b)
    assert.are.equal("ENOENT", err.code)
    assert.is_nil(a.stdout.handedOver)
    local out = H.collect(a.stdout)
    a.stdin:close("go\n")
    assert.are.equal(0, (H.wait_close(a)))
    assert.are.equal("still here\n", out())
    H.assert_fds_back_to(fds)
  end)

  it("bad input: a closed stream, a stream being read; nothing starts", function()
    local a = cp.spawn("echo", { "x" })
    H.collect(a.stdout)
    H.wait_close(a)
    local before = core.stats()
    H.assert_bad_argument("option 'stdio[1]' is a closed stream", cp.spawn, "cat", {}, { stdio = { a.stdout } })
    H.assert_bad_argument("option 'stdio[2]' is a closed stream", cp.spawn, "cat", {}, { stdio = { "pipe", a.stdin } })
    local r = cp.spawn("sleep", { "5" })
    r.stdout:on("data", function() end)
    H.assert_bad_argument("option 'stdio[1]' is a stream the parent is reading", cp.spawn, "cat", {},
      { stdio = { r.stdout } })
    assert.are.equal(before.procs + 1, core.stats().procs)
    r:kill()
    H.wait_close(r)
  end)
end)

describe("readable:pipe()", function()
  after_each(function() H.assert_clean() end)

  it("copies 1 GiB from a fast producer into a slow consumer with flat parent RSS", function()
    local a = cp.spawn("head", { "-c", tostring(GiB), "/dev/zero" })
    -- Slow: it reads nothing for a second, then 4 KiB at a time.
    local b = cp.spawn("sh", { "-c", "sleep 1; dd bs=4096 status=none | wc -c" })
    local out = H.collect(b.stdout)
    collectgarbage()
    local base, peak, queued = H.status_kib(), 0, 0
    local t = core.timer()
    t:start(20, 20, function() peak = math.max(peak, H.status_kib()) end)
    assert.are.equal(b.stdin, a.stdout:pipe(b.stdin))
    a.stdout:on("data", function() queued = math.max(queued, b.stdin:queued()) end)
    assert.are.equal(0, (H.wait_close(a, 120000)))
    assert.are.equal(0, (H.wait_close(b, 120000)))
    t:close()
    assert.are.equal(tostring(GiB), out():match("%d+"))
    -- Without backpressure the parent would hold most of the GiB: in its
    -- stdin queue, and in its RSS.  (Under ASan, freed memory waits in a
    -- 256 MiB quarantine before it is reused: that much more RSS.)
    assert.is_true(queued <= 1024 * 1024, ("up to %d bytes queued"):format(queued))
    local preload = os.getenv("LD_PRELOAD") or ""
    local slack = preload:find("libasan", 1, true) and 256 or 0
    local grew = (peak - base) / 1024
    assert.is_true(grew < 48 + slack, ("parent RSS grew %.1f MiB"):format(grew))
  end)

  it("{ end = false } leaves the writable open", function()
    local a = cp.spawn("printf", { "first\\n" })
    local b = cp.spawn("cat")
    local out = H.collect(b.stdout)
    a.stdout:pipe(b.stdin, { ["end"] = false })
    assert.are.equal(0, (H.wait_close(a)))
    assert.is_true(b.stdin.writable)
    b.stdin:close("second\n")
    assert.are.equal(0, (H.wait_close(b)))
    assert.are.equal("first\nsecond\n", out())
  end)

  it("into a Lua file: written as it comes, flushed, not closed", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    local a = cp.spawn("seq", { "1", "3" })
    a.stdout:pipe(f)
    assert.are.equal(0, (H.wait_close(a)))
    assert.are.equal("file", io.type(f))
    f:close()
    local g = assert(io.open(path))
    assert.are.equal("1\n2\n3\n", g:read("*a"))
    g:close()
    os.remove(path)
  end)

  it("the writable closing first (head -n 1) ends the producer as a shell pipe would", function()
    local a = cp.spawn("yes")
    local b = cp.spawn("head", { "-n", "1" })
    local out = H.collect(b.stdout)
    a.stdout:pipe(b.stdin)
    assert.are.equal(0, (H.wait_close(b)))
    local _, sig = H.wait_close(a)
    assert.are.equal("y\n", out())
    assert.are.equal("SIGPIPE", sig)
  end)

  it("into a closed stdin: an error on the writable, and the source is not consumed", function()
    local b = cp.spawn("true")
    H.wait_close(b)
    assert.is_false(b.stdin.writable)
    -- a waits for its stdin: its output is not drained at its exit meanwhile.
    local a = cp.spawn("sh", { "-c", "read x; echo kept" })
    local err
    b.stdin:on("error", function(e) err = e end)
    assert.are.equal(b.stdin, a.stdout:pipe(b.stdin))
    H.run_until(function() return err ~= nil end)
    assert.are.equal("ERR_STREAM_DESTROYED", err.code)
    local out = H.collect(a.stdout)
    a.stdin:close("go\n")
    assert.are.equal(0, (H.wait_close(a)))
    assert.are.equal("kept\n", out())
  end)

  it("into a stdin being closed: ERR_STREAM_WRITE_AFTER_END", function()
    local b = cp.spawn("cat")
    b.stdin:close()
    local a = cp.spawn("echo", { "x" })
    local err
    b.stdin:on("error", function(e) err = e end)
    a.stdout:pipe(b.stdin)
    H.run_until(function() return err ~= nil end)
    assert.are.equal("ERR_STREAM_WRITE_AFTER_END", err.code)
    H.collect(a.stdout)
    H.wait_close(a)
    H.wait_close(b)
  end)

  it("from a stream that has already ended: the writable is ended", function()
    local a = cp.spawn("true")
    H.collect(a.stdout)
    H.wait_close(a)
    local b = cp.spawn("cat")
    local finished = false
    b.stdin:on("finish", function() finished = true end)
    a.stdout:pipe(b.stdin)
    assert.are.equal(0, (H.wait_close(b)))
    assert.is_true(finished)
  end)

  it("bad arguments", function()
    local a = cp.spawn("sleep", { "5" })
    H.assert_bad_argument("#1 to 'pipe' (writable stream expected, got nil)", a.stdout.pipe, a.stdout)
    H.assert_bad_argument("#1 to 'pipe' (writable stream expected, got number)", a.stdout.pipe, a.stdout, 3)
    H.assert_bad_argument("#2 to 'pipe' (option 'end' must be a boolean, got string)", a.stdout.pipe, a.stdout,
      io.stdout, { ["end"] = "no" })
    a:kill()
    H.wait_close(a)
  end)
end)
