-- W1 / W1b (peer: luv): uv.spawn /bin/true N times sequentially, waiting
-- for exit (and, with pipes, for EOF on stdout/stderr, as `close` does).
-- args: N stdio(ignore|pipe) heapMiB
local B = require("bench.common")
local uv = require("luv")
local N, mode, heap = B.arg(1, 2000), B.arg(2, "ignore"), B.arg(3, 0)
if heap > 0 then B.grow_heap(heap) end

local function batch(n)
  local done = 0
  local function one()
    local pending = 1
    local handle
    local function settle()
      pending = pending - 1
      if pending == 0 then
        done = done + 1
        if done < n then one() end
      end
    end
    local stdio, pipes = nil, nil
    if mode == "pipe" then
      pipes = { uv.new_pipe(false), uv.new_pipe(false), uv.new_pipe(false) }
      stdio = pipes
      pending = 3
    end
    handle = uv.spawn("/bin/true", { args = {}, stdio = stdio }, function()
      handle:close()
      if pipes then pipes[1]:close() end
      settle()
    end)
    if pipes then
      for i = 2, 3 do
        pipes[i]:read_start(function(err, chunk)
          if err or not chunk then
            pipes[i]:close()
            settle()
          end
        end)
      end
    end
  end
  one()
  uv.run()
  assert(done == n)
end

batch(math.min(20, N // 10))
local t0 = B.now()
batch(N)
local dt = B.now() - t0
B.result("rate", N / dt, "spawns/s")
B.result("hwm", B.hwm() / 1024, "MiB")
