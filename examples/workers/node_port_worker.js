// The Node.js side of examples/18_node_port.lua: the port arrives as a
// net.Socket carrying JSON lines.
'use strict';
process.on('message', (msg, socket) => {
  if (msg === 'exit') return process.exit(0);
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const q = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      socket.write(JSON.stringify({ answer: q.of.reduce((a, b) => a + b, 0), from: 'node ' + process.version }) + '\n');
    }
  });
  socket.on('end', () => socket.end());
});
