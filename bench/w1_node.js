// W1 (peer: Node.js): spawn /bin/true N times one after another, waiting
// for 'close' each time.  args: N stdio(ignore|pipe)
'use strict';
const { spawn } = require('child_process');
const N = +(process.argv[2] || 2000), mode = process.argv[3] || 'ignore';
const opts = mode === 'ignore' ? { stdio: 'ignore' } : {};
function batch(n, cb) {
  let done = 0;
  (function one() {
    spawn('/bin/true', [], opts).on('close', () => {
      if (++done < n) one(); else cb();
    });
  })();
}
batch(Math.min(20, N / 10 | 0), () => {
  const t0 = process.hrtime.bigint();
  batch(N, () => {
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`RESULT rate ${N / dt} spawns/s`);
  });
});
