-- Cancellation: options.signal takes cp.AbortController().signal.
-- Aborting kills the child (killSignal) and gives an ABORT_ERR error; a
-- signal aborted beforehand starts nothing.
local cp = require("child_process")
local core = require("child_process.core")

local ac = cp.AbortController()
cp.exec("sleep 100", { signal = ac.signal }, function(err)
  print("exec:", err.code, err.cmd)
end)
local c = cp.spawn("sleep", { "100" }, { signal = ac.signal })
c:on("error", function(err) print("spawn error:", err.code) end)
c:on("close", function(code, sig) print("spawn close:", code, sig) end)

local t = core.timer()
t:start(100, 0, function()
  t:close()
  ac:abort("user pressed cancel")
end)
cp.run()

local late = cp.spawn("sleep", { "100" }, { signal = ac.signal })
late:on("error", function(err) print("already aborted:", err.code, "pid:", late.pid) end)
cp.run()
