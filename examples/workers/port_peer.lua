-- A worker of examples/16_ports.lua: gets a port from its parent and plays
-- ping-pong on it with the other worker, then reports and exits.
local name = arg[1]
process.parentPort:once("message", function(e)
  local port, rounds = e.ports[1], e.data.rounds
  port:on("message", function(ev)
    local n = ev.data.n
    print(("  %s got %s %d straight from its peer"):format(name, ev.data.word, n))
    if rounds and n >= rounds then
      process.parentPort:postMessage({ worker = name, rounds = n })
      port:close()
    else
      port:postMessage({ word = name, n = rounds and n + 1 or n })
    end
  end)
  port:on("close", function() process.exit(0) end)
  if e.data.start then port:postMessage({ word = name, n = 1 }) end
end)
