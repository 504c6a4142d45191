// A Node.js parent forking a Lua worker: execPath is bin/lua-child (or
// execPath: 'lua5.4' with execArgv: ['<checkout>/lua/child_process/bootstrap.lua']).
const { fork } = require('child_process');
const path = require('path');

const root = path.join(__dirname, '..');
const child = fork(path.join(root, 'examples/workers/squarer.lua'), ['factor=3'], {
  execPath: path.join(root, 'bin/lua-child'),
});
child.on('message', (msg) => {
  console.log('node parent got:', JSON.stringify(msg));
  if (msg.done) child.disconnect();
});
child.send({ n: 4 });
child.send({ cmd: 'stop' });
