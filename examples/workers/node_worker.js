// A Node.js worker forked by a Lua parent (examples/06_node_interop.lua).
process.on('message', (msg) => {
  if (msg.cmd === 'stop') { process.disconnect(); return; }
  process.send({ from: 'node', doubled: msg.values.map((v) => v * 2) });
});
