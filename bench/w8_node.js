// W8 (context: Node.js JSON.parse / JSON.stringify on the same message).
'use strict';
const fs = require('fs');
const N = +(process.argv[2] || 200000);
const text = fs.readFileSync(__dirname + '/data/message.json', 'utf8');
const bytes = Buffer.byteLength(text);
const value = JSON.parse(text);
const outBytes = Buffer.byteLength(JSON.stringify(value));
let sink = 0;
for (let i = 0; i < N / 20; i++) { sink += JSON.parse(text).version; sink += JSON.stringify(value).length; }
const now = () => Number(process.hrtime.bigint()) / 1e9;
let t0 = now();
for (let i = 0; i < N; i++) sink += JSON.parse(text).version;
let dt = now() - t0;
console.log(`RESULT dec_ops ${N / dt} ops/s`);
console.log(`RESULT dec_mbs ${N * bytes / dt / 1e6} MB/s`);
t0 = now();
for (let i = 0; i < N; i++) sink += JSON.stringify(value).length;
dt = now() - t0;
console.log(`RESULT enc_ops ${N / dt} ops/s`);
console.log(`RESULT enc_mbs ${N * outBytes / dt / 1e6} MB/s`);
// 9007199254740991 is exact in a double; integers and floats are one type.
console.log(`RESULT exact ${sink > 0 && JSON.stringify(JSON.parse(text)) === JSON.stringify(value) ? 1 : 0} bool`);
