// A real dkv-server for the node tests: the binary named by DKV_SERVER, on a free loopback port,
// in a temporary directory, stopped by PID (SIGTERM) at the end.
'use strict';
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const Redis = require('ioredis');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

async function waitForPing(port, deadlineMs) {
  while (Date.now() < deadlineMs) {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: null,
                          maxRetriesPerRequest: 0 });
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') { c.disconnect(); return; }
    } catch (e) { /* not up yet */ }
    c.disconnect();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('dkv-server did not answer PING');
}

// Starts the server with `extraArgs` (which may use the returned `httpPort`, a second free
// port); resolves to { port, httpPort, stop() } once it answers PING.
async function startServer(name, extraArgs = (httpPort) => []) {
  const binary = process.env.DKV_SERVER;
  assert.ok(binary, 'set DKV_SERVER to the dkv-server binary');
  const port = await freePort();
  const httpPort = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `dkv-${name}-`));
  const proc = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
                              '--save', '', ...extraArgs(httpPort)], { stdio: 'ignore' });
  await waitForPing(port, Date.now() + 20000);
  return {
    port,
    httpPort,
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startServer };
