// The forked child of W5–W7 for the Node.js peer (see ipc_child_cp.lua).
'use strict';
const mode = process.argv[2] || 'echo';
if (mode === 'ready') {
  process.send('ready');
  process.on('message', () => {});
} else if (mode === 'echo') {
  process.on('message', (m) => process.send(m));
} else {
  let n = 0;
  process.on('message', (m) => {
    if (m.cmd === undefined) n++;
    else if (m.cmd === 'end') { process.send({ count: n }); n = 0; }
    else if (m.cmd === 'send') {
      const N = m.n;
      let k = 0;
      const pump = () => {
        while (k < N) {
          k++;
          if (!process.send({ i: k, text: 'hello' })) {
            if (k < N) { k++; process.send({ i: k, text: 'hello' }, pump); }
            return;
          }
        }
      };
      pump();
    }
  });
}
