// The forked child of W12 for Node.js: says "ready", then sends every
// message back.
'use strict';
process.on('message', (m) => process.send(m));
process.send('ready');
