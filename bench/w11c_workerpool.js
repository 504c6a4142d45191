// W11c peer: the npm `workerpool` package, workerType "process", 2 workers.
// N times: pool created → both workers ready (start_ms), then a task that
// makes its worker exit → the replacement ready (crash_ms); the first
// round warms the page cache and is not counted.  "Ready": the worker sent
// workerpool's "ready" message (its methods are registered).
// args: N MODULE_DIR (where npm installed it).
const path = require('path');
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

async function round() {
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
  let err;
  try { await pool.exec('crash', []); } catch (e) { err = e; }
  if (!err) throw new Error('the crash task did not fail');
  await ready(await replacement);
  const t2 = process.hrtime.bigint();
  await pool.terminate(true);
  return [Number(t1 - t0) / 1e6, Number(t2 - t1) / 1e6];
}

async function main() {
  let s = 0, c = 0;
  for (let i = 0; i <= n; i++) {
    const [a, b] = await round();
    if (i > 0) { s += a; c += b; }
  }
  console.log(`RESULT start_ms ${s / n} ms`);
  console.log(`RESULT crash_ms ${c / n} ms`);
}
main().catch((e) => { console.error(e); process.exit(1); });
