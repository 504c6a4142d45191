// W4 (peer: Node.js): stream MiB mebibytes through `cat` with stdin
// backpressure (write → false, 'drain'), counting stdout.  args: MiB
'use strict';
const { spawn } = require('child_process');
const MIB = +(process.argv[2] || 512);
const CHUNK = Buffer.alloc(65536, 'x');
const total = MIB * 1024 * 1024, nchunks = total / CHUNK.length;
const t0 = process.hrtime.bigint();
const child = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
let got = 0, sent = 0;
child.stdout.on('data', (c) => { got += c.length; });
function pump() {
  while (sent < nchunks) {
    sent++;
    if (!child.stdin.write(CHUNK)) return;
  }
  child.stdin.end();
}
child.stdin.on('drain', pump);
pump();
child.on('close', () => {
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  if (got !== total) throw new Error(`got ${got} of ${total}`);
  console.log(`RESULT mibs ${MIB / dt} MiB/s`);
  const hwm = +require('fs').readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s*(\d+)/)[1];
  console.log(`RESULT hwm ${hwm / 1024} MiB`);
});
