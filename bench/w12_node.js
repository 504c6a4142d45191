// W12 (peer: Node.js fork() with the default json serialization): one
// {data: <MiB of "x">} message parent → child and back, REPS times, over
// bench/w12_child_node.js.  args: MiB [REPS] [serialization]
//   → ms per round trip (median), and the peak RSS (VmHWM) of the parent
//     and of the child, read from /proc while the child still runs.
'use strict';
const { fork } = require('child_process');
const fs = require('fs');
const MIB = +(process.argv[2] || 32), REPS = +(process.argv[3] || 3);
const serialization = process.argv[4] || 'json';
const now = () => Number(process.hrtime.bigint()) / 1e9;
const hwm = (pid) => +/VmHWM:\s*(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1] / 1024;

const msg = { data: 'x'.repeat(MIB * 1024 * 1024) };
const child = fork(__dirname + '/w12_child_node.js', [], { serialization });
const times = [];
let t0 = 0;
child.on('message', (m) => {
  if (m === 'ready') { t0 = now(); child.send(msg); return; }
  if (m.data.length !== msg.data.length) throw new Error('the echo came back short');
  times.push((now() - t0) * 1000);
  if (times.length < REPS) { t0 = now(); child.send(msg); return; }
  const childHwm = hwm(child.pid);
  times.sort((a, b) => a - b);
  console.log(`RESULT ms ${times[(times.length - 1) >> 1]} ms`);
  console.log(`RESULT hwm ${hwm(process.pid)} MiB`);
  console.log(`RESULT child_hwm ${childHwm} MiB`);
  child.disconnect();
});
