--- net.lua — cp.net.listen / cp.net.connect: Unix-socket connections as
--- duplex streams of this module (transfer.lua's), so that a parent can
--- accept connections and hand each to a worker with send(msg, stream).
---
---   local server = cp.net.listen(path, function(stream) … end)
---   server:close([cb])    stop accepting; the socket file is removed
---   server:ref(), server:unref()
---   local stream = cp.net.connect(path)   (nil, err on failure)
local core = require("child_process.core")
local util = require("child_process.util")
local Emitter = require("child_process.emitter")

local argcheck = util.argcheck

local M = {}

local Server = setmetatable({ __name = "Server" }, { __index = Emitter })
Server.__index = Server

--- listen(path, on_connection) → server, or nil, err (code EADDRINUSE…).
--- Accept errors (EMFILE…) are `error` events on the server.
function M.listen(path, on_connection)
  argcheck(type(path) == "string", 1, "listen", "socket path expected, got " .. type(path))
  argcheck(type(on_connection) == "function", 2, "listen", "function expected, got " .. type(on_connection))
  local h, code = core.unix_listen(path)
  if not h then return nil, util.error(code, ("listen %s %s"):format(code, path), { path = path }) end
  local self = setmetatable({ path = path, _h = h }, Server)
  local duplex = require("child_process.transfer").duplex
  h:accept_start(function(fd, err)
    if fd then
      on_connection(duplex(core.pipe_from_fd(fd)))
    elseif self:listenerCount("error") > 0 then
      self:emit("error", util.error(err, "accept " .. err))
    end
  end)
  return self
end

function Server:close(cb)
  if self._closed then
    if cb then util.defer(cb) end
    return
  end
  self._closed = true
  os.remove(self.path)
  self._h:close(function()
    self:emit("close")
    if cb then cb() end
  end)
end

function Server:ref() self._h:ref() end
function Server:unref() self._h:unref() end

--- connect(path) → stream, or nil, err.
function M.connect(path)
  argcheck(type(path) == "string", 1, "connect", "socket path expected, got " .. type(path))
  local fd, code = core.unix_connect(path)
  if not fd then return nil, util.error(code, ("connect %s %s"):format(code, path), { path = path }) end
  return require("child_process.transfer").duplex(core.pipe_from_fd(fd))
end

M.net = { listen = M.listen, connect = M.connect }

return M
