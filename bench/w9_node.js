// W9 (context: Node.js): RSS after 100 and after N sequential spawns of
// /bin/true (default pipes); and with K live `cat` children.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const rss = () => +fs.readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\s*(\d+)/)[1];
const mode = process.argv[2] || 'seq', N = +(process.argv[3] || 10000);
if (mode === 'seq') {
  let done = 0, rss100 = 0;
  const one = () => spawn('/bin/true', []).on('close', () => {
    if (++done === 100) rss100 = rss();
    if (done < N) one();
    else {
      const r = rss();
      console.log(`RESULT rss100 ${rss100 / 1024} MiB`);
      console.log(`RESULT rssN ${r / 1024} MiB`);
      console.log(`RESULT growth ${(r - rss100) / 1024} MiB`);
    }
  });
  one();
} else {
  const base = rss();
  const kids = [];
  let spawned = 0;
  for (let i = 0; i < N; i++) {
    const c = spawn('cat', []);
    c.stdout.on('data', () => {});
    c.stderr.on('data', () => {});
    c.on('spawn', () => {
      if (++spawned === N) {
        console.log(`RESULT live ${rss() / 1024} MiB`);
        console.log(`RESULT live_delta ${(rss() - base) / 1024} MiB`);
        for (const k of kids) k.stdin.end();
      }
    });
    kids.push(c);
  }
}
