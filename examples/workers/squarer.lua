-- A forked worker: Node style (process.on / process.send) and Electron
-- style (process.parentPort) are both available.
local factor = tonumber((arg[1] or ""):match("factor=(%d+)")) or 1

process.parentPort:on("message", function(e)
  local msg = e.data
  if msg.cmd == "stop" then
    process.send({ done = true })
    return
  end
  process.parentPort:postMessage({ n = msg.n, result = msg.n * msg.n * factor })
end)
