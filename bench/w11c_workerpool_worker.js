// W11c peer's worker: n -> n*2; crash() ends the worker (see w11c_workerpool.js).
const path = require('path');
const workerpool = require(path.resolve(process.env.W11_NPM_DIR, 'node_modules', 'workerpool'));
workerpool.worker({ f: (n) => n * 2, crash: () => process.exit(3) });
