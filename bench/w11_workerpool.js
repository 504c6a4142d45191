// W11 peer: the npm `workerpool` package, workerType "process", 2 workers,
// one pool.exec per task.  args: N MODULE_DIR (where npm installed it).
// Prints RESULT rate <tasks/s> (pool start excluded) and RESULT cpu.
const path = require('path');
const fs = require('fs');
const n = Number(process.argv[2] || 100000);
const workerpool = require(path.resolve(process.argv[3], 'node_modules', 'workerpool'));

function cpuNs(pids) {
  let total = 0;
  const hz = 100; // USER_HZ on Linux
  for (const pid of pids) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parts = s.slice(s.lastIndexOf(')') + 2).split(' ');
      total += (Number(parts[11]) + Number(parts[12])) * 1e9 / hz;
    } catch (e) { /* gone */ }
  }
  return total;
}

async function main() {
  const pool = workerpool.pool(path.join(__dirname, 'w11_workerpool_worker.js'),
    { workerType: 'process', minWorkers: 2, maxWorkers: 2 });
  await Promise.all([pool.exec('f', [1]), pool.exec('f', [2]), pool.exec('f', [3]), pool.exec('f', [4])]);
  const pids = [process.pid].concat(pool.workers.map((w) => w.worker.pid));
  const c0 = cpuNs(pids);
  const t0 = process.hrtime.bigint();
  const jobs = new Array(n);
  for (let i = 0; i < n; i++) jobs[i] = pool.exec('f', [i]);
  const res = await Promise.all(jobs);
  const t1 = process.hrtime.bigint();
  const c1 = cpuNs(pids);
  for (let i = 0; i < n; i++) if (res[i] !== i * 2) throw new Error('wrong result at ' + i);
  await pool.terminate();
  const s = Number(t1 - t0) / 1e9;
  console.log(`RESULT rate ${n / s} tasks/s`);
  console.log(`RESULT cpu ${(c1 - c0) / n / 1e3} us`);
}
main().catch((e) => { console.error(e); process.exit(1); });
