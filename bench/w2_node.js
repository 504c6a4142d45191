// W2 (peer: Node.js): keep 16 /bin/true children in flight until N closed.
'use strict';
const { spawn } = require('child_process');
const N = +(process.argv[2] || 4000), P = +(process.argv[3] || 16);
function batch(n, cb) {
  let started = 0, done = 0;
  function one() {
    started++;
    spawn('/bin/true', [], { stdio: 'ignore' }).on('close', () => {
      done++;
      if (started < n) one(); else if (done === n) cb();
    });
  }
  for (let i = 0; i < Math.min(P, n); i++) one();
}
batch(Math.min(32, N / 10 | 0), () => {
  const t0 = process.hrtime.bigint();
  batch(N, () => {
    console.log(`RESULT rate ${N / (Number(process.hrtime.bigint() - t0) / 1e9)} spawns/s`);
  });
});
