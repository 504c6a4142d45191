-- The forked child of W12 for this module: says "ready", then sends every
-- message back.
process.on("message", function(m) process.send(m) end)
process.send("ready")
