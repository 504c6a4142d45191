-- W4 (this module): stream MiB mebibytes through `cat`: write stdin in
-- 64 KiB chunks honouring backpressure (write → false, then 'drain'), read
-- stdout.  args: MiB
local B = require("bench.common")
local cp = require("child_process")
local MIB = B.arg(1, 512)
local CHUNK = string.rep("0123456789abcdef", 4096) -- 64 KiB
local total = MIB * 1024 * 1024
local nchunks = total // #CHUNK

local t0 = B.now()
local child = cp.spawn("cat", {}, { stdio = { "pipe", "pipe", "inherit" } })
local got, sent = 0, 0
child.stdout:on("data", function(chunk) got = got + #chunk end)
local function pump()
  while sent < nchunks do
    sent = sent + 1
    if not child.stdin:write(CHUNK) then return end
  end
  child.stdin:close()
end
child.stdin:on("drain", pump)
pump()
child:on("close", function() end)
cp.run()
local dt = B.now() - t0
assert(got == total, ("got %d of %d bytes"):format(got, total))
B.result("mibs", MIB / dt, "MiB/s")
B.result("hwm", B.hwm() / 1024, "MiB")
