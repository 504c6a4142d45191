-- A worker of examples/17_handoff.lua: serves the connections its parent
-- hands over (process.on("message", fn(msg, handle))).
local name = arg[1]
process.on("message", function(msg, conn)
  if msg == "exit" then process.exit(0) end
  conn:on("data", function(d)
    conn:write(("%s answers %s"):format(name, d))
  end)
end)
