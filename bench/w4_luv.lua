-- W4 (peer: luv): stream MiB mebibytes through `cat` with uv pipes: one
-- 64 KiB write in flight beyond what the kernel took (write queue ≤ 64 KiB),
-- read stdout.  args: MiB
local B = require("bench.common")
local uv = require("luv")
local MIB = B.arg(1, 512)
local CHUNK = string.rep("0123456789abcdef", 4096)
local total = MIB * 1024 * 1024
local nchunks = total // #CHUNK

local t0 = B.now()
local pin, pout = uv.new_pipe(false), uv.new_pipe(false)
local h
h = uv.spawn("cat", { args = {}, stdio = { pin, pout, 2 } }, function() h:close() end)
local got, sent = 0, 0
pout:read_start(function(err, chunk)
  assert(not err, err)
  if chunk then got = got + #chunk else pout:close() end
end)
local pump
local function on_written(err)
  assert(not err, err)
  if uv.stream_get_write_queue_size(pin) <= 65536 then pump() end
end
local pumping = false
function pump()
  if pumping then return end
  pumping = true
  while sent < nchunks do
    sent = sent + 1
    pin:write(CHUNK, on_written)
    if uv.stream_get_write_queue_size(pin) > 65536 then pumping = false return end
  end
  pumping = false
  if sent == nchunks then sent = sent + 1 pin:shutdown(function() pin:close() end) end
end
pump()
uv.run()
local dt = B.now() - t0
assert(got == total, ("got %d of %d bytes"):format(got, total))
B.result("mibs", MIB / dt, "MiB/s")
B.result("hwm", B.hwm() / 1024, "MiB")
