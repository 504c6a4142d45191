// W10c for Node.js: hand N sockets to a forked child with
// child.send(msg, socket), 100 outstanding at a time; the child writes one
// byte on each and the parent's end reads it.  → handles/s
'use strict';
const { fork } = require('child_process');
const net = require('net');
const os = require('os');
const path = require('path');
const N = Number(process.argv[2] || 10000);
const WINDOW = 100;

if (process.argv[3] === 'child') {
  process.on('message', (m, socket) => { socket.end('x'); });
} else {
  const sock = path.join(os.tmpdir(), `w10c-node-${process.pid}.sock`);
  const child = fork(__filename, [String(N), 'child']);
  let sent = 0, done = 0, t0;
  // A peer that resets is not a failure of the run (ECONNRESET once seen).
  const server = net.createServer((conn) => { conn.on('error', () => {}); child.send(sent, conn); });
  const one = () => {
    sent++;
    const c = net.connect(sock);
    c.on('error', () => {});
    c.once('data', () => {
      done++;
      c.destroy();
      if (done === N) {
        const s = (Number(process.hrtime.bigint()) - t0) / 1e9;
        console.log(`RESULT rate ${N / s} handles/s`);
        server.close();
        child.disconnect();
      } else if (sent < N) one();
    });
  };
  // A stalled run (seen once on the loaded VM) prints no RESULT and ends.
  setTimeout(() => { console.error(`w10c_node: stalled at ${done}/${N}`); process.exit(1); }, 120000).unref();
  server.listen(sock, () => {
    t0 = Number(process.hrtime.bigint());
    for (let i = 0; i < Math.min(WINDOW, N); i++) one();
  });
}
