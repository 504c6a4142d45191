// W11 peer's worker: n -> n*2 (see w11_workerpool.js).
const path = require('path');
const workerpool = require(path.resolve(process.env.W11_NPM_DIR, 'node_modules', 'workerpool'));
workerpool.worker({ f: (n) => n * 2 });
