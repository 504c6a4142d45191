// W11c peer: the npm `workerpool` package, workerType "process", 2 workers.
// N times: pool created → both workers ready (start_ms), then a task that
// makes its worker exit → the replacement ready (crash_ms); the first
// round warms the page cache and is not counted.  "Ready": the worker sent
// workerpool's "ready" message (its methods are registered).
// Also the CPU time each took (start_cpu, crash_cpu: this process's, all
// threads, plus the workers' own until ready, or the replacement's).
// args: N MODULE_DIR (where npm installed it).
const path = require('path');
const fs = require('fs');
const n = Number(process.argv[2] || 20);
const workerpool = require(path.resolve(process.argv[3], 'node_modules', 'workerpool'));
const SCRIPT = path.join(__dirname, 'w11c_workerpool_worker.js');

// Resolves once the handler's worker has said "ready".
function ready(handler) {
  if (handler.worker.ready) return Promise.resolve();
  return new Promise((resolve) => {
    handler.worker.on('message', (m) => { if (m === 'ready') resolve(); });
  });
}

// ns on a CPU, all threads (/proc/<pid>/task/*/schedstat).
function schedNs(pid) {
  let total = 0;
  let tids = [];
  try { tids = fs.readdirSync(`/proc/${pid}/task`); } catch (e) { return 0; }
  for (const tid of tids) {
    try { total += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch (e) { /* gone */ }
  }
  return total;
}

async function round() {
  const p0 = schedNs(process.pid);
  const t0 = process.hrtime.bigint();
  const pool = workerpool.pool(SCRIPT, { workerType: 'process', minWorkers: 2, maxWorkers: 2 });
  // The constructor started both (minWorkers); a replacement comes from
  // _createWorkerHandler: watch it.
  let replaced;
  const replacement = new Promise((resolve) => { replaced = resolve; });
  const create = pool._createWorkerHandler.bind(pool);
  pool._createWorkerHandler = function () {
    const h = create();
    replaced(h);
    return h;
  };
  await Promise.all(pool.workers.map(ready));
  const t1 = process.hrtime.bigint();
  const p1 = schedNs(process.pid);
  const before = new Set(pool.workers.map((h) => h.worker.pid));
  let cpuStart = p1 - p0;
  for (const pid of before) cpuStart += schedNs(pid);
  let err;
  try { await pool.exec('crash', []); } catch (e) { err = e; }
  if (!err) throw new Error('the crash task did not fail');
  const h = await replacement;
  await ready(h);
  const t2 = process.hrtime.bigint();
  const cpuCrash = schedNs(process.pid) - p1 + schedNs(h.worker.pid);
  await pool.terminate(true);
  return [Number(t1 - t0) / 1e6, Number(t2 - t1) / 1e6, cpuStart / 1e6, cpuCrash / 1e6];
}

async function main() {
  let s = 0, c = 0, sc = 0, cc = 0;
  for (let i = 0; i <= n; i++) {
    const [a, b, x, y] = await round();
    if (i > 0) { s += a; c += b; sc += x; cc += y; }
  }
  console.log(`RESULT start_ms ${s / n} ms`);
  console.log(`RESULT crash_ms ${c / n} ms`);
  console.log(`RESULT start_cpu ${sc / n} ms`);
  console.log(`RESULT crash_cpu ${cc / n} ms`);
}
main().catch((e) => { console.error(e); process.exit(1); });
