// ioredis (node) against a real dkv-server: the connect handshake ioredis does (it waits for
// INFO's loading:0 and reads redis_version), commands, pipelines, MULTI, SCAN streams and the
// KV.* commands through call(). DKV_SERVER names the binary; the server runs on a free port.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const Redis = require('ioredis');
const { startServer } = require('./dkv_server');

let server;
let port;

before(async () => {
  server = await startServer('ioredis');
  port = server.port;
});

after(async () => {
  if (server) await server.stop();
});

function client(extra = {}) {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, ...extra });
}

test('connects, reads server info, and round-trips strings', async () => {
  const r = client();
  await r.flushall();
  assert.strictEqual(await r.set('app.config.host', 'db1', 'EX', 60), 'OK');
  assert.strictEqual(await r.get('app.config.host'), 'db1');
  assert.ok((await r.ttl('app.config.host')) > 0);
  assert.strictEqual(await r.incrby('hits', 5), 5);
  assert.deepStrictEqual(await r.mget('app.config.host', 'missing'), ['db1', null]);
  assert.match(await r.info('server'), /redis_version:7\.2/);
  r.disconnect();
});

test('pipelines and transactions', async () => {
  const r = client();
  await r.flushall();
  const results = await r.pipeline().set('a', '1').incr('a').get('a').exec();
  assert.deepStrictEqual(results, [[null, 'OK'], [null, 2], [null, '2']]);
  const tx = await r.multi().incr('n').incr('n').exec();
  assert.deepStrictEqual(tx, [[null, 1], [null, 2]]);
  r.disconnect();
});

test('WATCH aborts the transaction when another client writes', async () => {
  const a = client();
  const b = client();
  await a.set('balance', '10');
  await a.watch('balance');
  await b.set('balance', '99');
  const res = await a.multi().set('balance', '11').exec();
  assert.strictEqual(res, null);
  assert.strictEqual(await a.get('balance'), '99');
  a.disconnect();
  b.disconnect();
});

test('scanStream returns exactly the matching keys', async () => {
  const r = client();
  await r.flushall();
  const pipe = r.pipeline();
  for (let i = 0; i < 500; i++) pipe.set(`sess:${i}`, 'x');
  for (let i = 0; i < 200; i++) pipe.set(`page:${i}`, 'y');
  await pipe.exec();
  const seen = new Set();
  await new Promise((resolve, reject) => {
    r.scanStream({ match: 'sess:*', count: 50 })
      .on('data', (keys) => keys.forEach((k) => seen.add(k)))
      .on('end', resolve).on('error', reject);
  });
  assert.strictEqual(seen.size, 500);
  r.disconnect();
});

test('KV.* commands through call()', async () => {
  const r = client();
  await r.flushall();
  await r.call('KV.IMPORT', 'cfg', JSON.stringify({ db: { host: 'h', port: 5432 }, debug: true }));
  assert.deepStrictEqual(await r.call('KV.KEYS', 'cfg.db.*'), ['cfg.db.host', 'cfg.db.port']);
  assert.strictEqual(await r.call('KV.COUNT', 'cfg.**'), 3);
  assert.deepStrictEqual(JSON.parse(await r.call('KV.EXPORT', 'cfg.**')),
                         { cfg: { db: { host: 'h', port: 5432 }, debug: true } });
  assert.strictEqual(await r.call('KV.DEL', 'cfg.db.**'), 2);
  r.disconnect();
});
