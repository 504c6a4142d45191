-- W10 (this module): ports between forked children.  args: mode N
--   direct  child A does N round trips of {i,text} with child B over a
--           MessagePort the parent gave them         → µs per round trip
--   relay   the same exchange relayed through the parent (A → parent → B
--           → parent → A)                            → µs per round trip
--   w10b    child A sends N messages one way to B over a port (after a
--           warm-up round of 1000, as W6), as fast as
--           backpressure allows; B replies the count  → messages/s
--   w10c    hand N fds (a socketpair end each, a MessagePort) to a child
--           with postMessage(msg, {port}), 100 outstanding at a time; the
--           child answers one message on each         → handles/s
--   w10c-send  the same with Node's send(msg, port) protocol (one handle
--           in flight until the child's ACK)          → handles/s
local B = require("bench.common")
local cp = require("child_process")
local MODE, N = B.arg(1, "direct"), B.arg(2, 20000)
local CHILD = "bench/w10_child_cp.lua"

if MODE == "direct" or MODE == "w10b" then
  local a = cp.fork(CHILD, { MODE == "direct" and "pinger" or "sender", N })
  local b = cp.fork(CHILD, { MODE == "direct" and "echo" or "counter" })
  local p1, p2 = cp.MessageChannel()
  a:on("message", function(m)
    B.result(m.key, m.value, m.unit)
    a:disconnect()
    b:disconnect()
  end)
  b:postMessage("port", { p2 })
  a:postMessage("port", { p1 })
  cp.run()
elseif MODE == "relay" then
  local a = cp.fork(CHILD, { "relay-pinger", N })
  local b = cp.fork(CHILD, { "relay-echo" })
  b:on("message", function(m) a:send(m) end)
  a:on("message", function(m)
    if m.key then
      B.result(m.key, m.value, m.unit)
      a:disconnect()
      b:disconnect()
    else
      b:send(m)
    end
  end)
  cp.run()
else -- w10c / w10c-send: WINDOW handles outstanding at a time (each holds 2 fds)
  local WINDOW = 100
  local node_style = MODE == "w10c-send"
  local child = cp.fork(CHILD, { "answer" })
  local sent, done, t0 = 0, 0, B.now()
  local function one()
    sent = sent + 1
    local mine, theirs = cp.MessageChannel()
    mine:once("message", function()
      done = done + 1
      mine:close()
      if done == N then
        B.result("rate", N / (B.now() - t0), "handles/s")
        child:disconnect()
      elseif sent < N then
        one()
      end
    end)
    if node_style then child:send(sent, theirs) else child:postMessage(sent, { theirs }) end
  end
  for _ = 1, math.min(WINDOW, N) do one() end
  cp.run()
end
