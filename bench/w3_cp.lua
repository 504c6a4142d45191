-- W3 (this module): exec("echo hello") N times sequentially, capturing
-- stdout; or execFile("echo", {"hello"}).  args: N exec|execFile
local B = require("bench.common")
local cp = require("child_process")
local N, mode = B.arg(1, 500), B.arg(2, "exec")

local function batch(n)
  local done = 0
  local function cb(err, out)
    assert(not err and out == "hello\n")
    done = done + 1
    if done < n then
      if mode == "exec" then cp.exec("echo hello", cb) else cp.execFile("echo", { "hello" }, cb) end
    end
  end
  if mode == "exec" then cp.exec("echo hello", cb) else cp.execFile("echo", { "hello" }, cb) end
  cp.run()
  assert(done == n)
end

batch(10)
local t0 = B.now()
batch(N)
B.result("rate", N / (B.now() - t0), "runs/s")
