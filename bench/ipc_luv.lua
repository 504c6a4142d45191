--- ipc_luv.lua — the luv peer's IPC: newline-delimited JSON (lua-cjson)
--- over a uv pipe (libuv makes it a socketpair).  Used by both sides.
local uv = require("luv")
local cjson = require("cjson")
local encode, decode = cjson.encode, cjson.decode
local find, sub = string.find, string.sub

local M = {}

--- Wrap an opened uv pipe: returns an object with send(msg [, cb]) →
--- boolean (false past 64 KiB queued) and start(on_message, on_eof).
function M.channel(pipe)
  local ch = {}
  local buf = ""
  function ch.send(msg, cb)
    pipe:write(encode(msg) .. "\n", cb)
    return uv.stream_get_write_queue_size(pipe) <= 65536
  end
  function ch.start(on_message, on_eof)
    pipe:read_start(function(err, chunk)
      if err or not chunk then
        pipe:read_stop()
        if on_eof then on_eof() end
        return
      end
      if buf ~= "" then chunk = buf .. chunk end
      local pos = 1
      while true do
        local nl = find(chunk, "\n", pos, true)
        if not nl then break end
        on_message(decode(sub(chunk, pos, nl - 1)))
        pos = nl + 1
      end
      buf = sub(chunk, pos)
    end)
  end
  function ch.close()
    if not pipe:is_closing() then pipe:close() end
  end
  return ch
end

return M
