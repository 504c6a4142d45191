// W3 (peer: Node.js): exec('echo hello') / execFile('echo', ['hello'])
// N times sequentially.  args: N exec|execFile
'use strict';
const { exec, execFile } = require('child_process');
const N = +(process.argv[2] || 500), mode = process.argv[3] || 'exec';
function batch(n, done) {
  let k = 0;
  const cb = (err, out) => {
    if (err || out !== 'hello\n') throw err || new Error('bad output');
    if (++k < n) run(); else done();
  };
  const run = () => mode === 'exec' ? exec('echo hello', cb) : execFile('echo', ['hello'], cb);
  run();
}
batch(10, () => {
  const t0 = process.hrtime.bigint();
  batch(N, () => console.log(`RESULT rate ${N / (Number(process.hrtime.bigint() - t0) / 1e9)} runs/s`));
});
