-- The forked child of W5–W7 for this module (run by cp.fork through the
-- bootstrap).  arg[1]: echo | count | ready
--   echo   send every message back
--   count  count messages; {cmd="end"} → reply {count=n};
--          {cmd="send", n=N} → send N messages {i,text} as fast as
--          backpressure allows
--   ready  send "ready" at once, then wait until the parent disconnects
local mode = arg[1] or "echo"
if mode == "ready" then
  process.send("ready")
  process.on("message", function() end)
elseif mode == "echo" then
  local send = process.send
  process.on("message", function(m) send(m) end)
else
  local n = 0
  local send = process.send
  process.on("message", function(m)
    local cmd = m.cmd
    if cmd == nil then
      n = n + 1
    elseif cmd == "end" then
      send({ count = n })
      n = 0
    elseif cmd == "send" then
      local N, k = m.n, 0
      local function pump()
        while k < N do
          k = k + 1
          if not send({ i = k, text = "hello" }) then
            if k < N then
              k = k + 1
              send({ i = k, text = "hello" }, pump)
            end
            return
          end
        end
      end
      pump()
    end
  end)
end
