-- W3 (peer: luv): uv.spawn("/bin/sh", {"-c", "echo hello"}) with a stdout
-- pipe, collect to EOF and exit, N times sequentially.  args: N exec|execFile
local B = require("bench.common")
local uv = require("luv")
local N, mode = B.arg(1, 500), B.arg(2, "exec")
local file, args = "/bin/sh", { "-c", "echo hello" }
if mode == "execFile" then file, args = "echo", { "hello" } end

local function batch(n)
  local done = 0
  local function one()
    local out, pending = {}, 3
    local h
    local pin, pout, perr = uv.new_pipe(false), uv.new_pipe(false), uv.new_pipe(false)
    local function settle()
      pending = pending - 1
      if pending == 0 then
        assert(table.concat(out) == "hello\n")
        done = done + 1
        if done < n then one() end
      end
    end
    h = uv.spawn(file, { args = args, stdio = { pin, pout, perr } }, function()
      h:close()
      pin:close()
      settle()
    end)
    pout:read_start(function(_, chunk)
      if chunk then out[#out + 1] = chunk else pout:close() settle() end
    end)
    perr:read_start(function(_, chunk)
      if not chunk then perr:close() settle() end
    end)
  end
  one()
  uv.run()
  assert(done == n)
end

batch(10)
local t0 = B.now()
batch(N)
B.result("rate", N / (B.now() - t0), "runs/s")
