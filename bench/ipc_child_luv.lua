-- The child of W5–W7 for the luv peer: lua5.4 + luv + lua-cjson, channel
-- on fd 3.  arg[1]: echo | count | ready (see ipc_child_cp.lua)
package.path = "bench/?.lua;" .. package.path
local uv = require("luv")
local ipc = require("ipc_luv")
local mode = arg[1] or "echo"
local pipe = uv.new_pipe(false)
pipe:open(3)
local ch = ipc.channel(pipe)
local send = ch.send
local function eof() ch.close() end
if mode == "ready" then
  send("ready")
  ch.start(function() end, eof)
elseif mode == "echo" then
  ch.start(function(m) send(m) end, eof)
else
  local n = 0
  ch.start(function(m)
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
              send({ i = k, text = "hello" }, function() pump() end)
            end
            return
          end
        end
      end
      pump()
    end
  end, eof)
end
uv.run()
