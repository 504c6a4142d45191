// W5 / W6 / W7 (peer: Node.js fork()): the parent side, over
// bench/ipc_child_node.js.  args: w5|w6|w7 N json|advanced
'use strict';
const { fork } = require('child_process');
const fs = require('fs');
const W = process.argv[2] || 'w5', N = +(process.argv[3] || 20000);
const serialization = process.argv[4] || 'json';
const CHILD = __dirname + '/ipc_child_node.js';
const now = () => Number(process.hrtime.bigint()) / 1e9;
const opts = { serialization };

// ns on a CPU, all threads of pid (as bench/cpu_ns.h): W5's CPU figure.
const cpuNs = (pid) => {
  let sum = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try { sum += +fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]; } catch (e) { /* ended */ }
  }
  return sum;
};

if (W === 'w5') {
  const WARM = 200;
  const child = fork(CHILD, ['echo'], opts);
  let k = 0, t0 = 0, c0 = 0;
  child.on('message', () => {
    k++;
    if (k === WARM) { c0 = cpuNs(process.pid) + cpuNs(child.pid); t0 = now(); }
    if (k < WARM + N) child.send({ i: k, text: 'hello' });
    else {
      const t1 = now(), c1 = cpuNs(process.pid) + cpuNs(child.pid);
      console.log(`RESULT rtt ${(t1 - t0) / N * 1e6} us`);
      console.log(`RESULT cpu ${(c1 - c0) / N / 1e3} us`);
      child.disconnect();
    }
  });
  child.send({ i: 0, text: 'hello' });
} else if (W === 'w6') {
  const child = fork(CHILD, ['count'], opts);
  let phase = 'warm', k = 0, got = 0, t0 = 0;
  const pump = (total) => {
    while (k < total) {
      k++;
      if (!child.send({ i: k, text: 'hello' })) {
        if (k < total) { k++; child.send({ i: k, text: 'hello' }, () => pump(total)); return; }
        break;
      }
    }
    if (k === total) { k++; child.send({ cmd: 'end' }); }
  };
  child.on('message', (m) => {
    if (m.count !== undefined) {
      if (phase === 'warm') { phase = 'p2c'; k = 0; t0 = now(); pump(N); }
      else {
        if (m.count !== N) throw new Error('child counted ' + m.count);
        console.log(`RESULT p2c ${N / (now() - t0)} msg/s`);
        phase = 'c2p'; got = 0; t0 = now();
        child.send({ cmd: 'send', n: N });
      }
    } else if (++got === N) {
      console.log(`RESULT c2p ${N / (now() - t0)} msg/s`);
      child.disconnect();
    }
  });
  pump(1000);
} else {
  let j = 0, sumMs = 0, sumRss = 0;
  const one = () => {
    j++;
    const t0 = now();
    const child = fork(CHILD, ['ready'], opts);
    child.on('message', () => {
      const ms = (now() - t0) * 1000;
      const rss = +fs.readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s*(\d+)/)[1];
      if (j > 1) { sumMs += ms; sumRss += rss; }
      child.disconnect();
    });
    // 'exit', not 'close': after the parent's disconnect() Node 20 emits no 'close'.
    child.on('exit', () => {
      if (j <= N) one();
      else {
        console.log(`RESULT ms ${sumMs / N} ms`);
        console.log(`RESULT rss ${sumRss / N / 1024} MiB`);
      }
    });
  };
  one();
}
