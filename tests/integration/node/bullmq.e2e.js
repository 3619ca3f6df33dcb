// BullMQ (npm, pinned in package-lock.json) against a real server: a Queue adds 20 jobs in bulk,
// a delayed job, a prioritized one, a job that fails once and succeeds on its retry and one that
// fails for good; a Worker (concurrency 2) processes them and QueueEvents (XREAD BLOCK on the
// queue's event stream) reports each completion to waitUntilFinished. Then the job counts, the
// return values, the failed reason, and a clean close. Bounded: 24 jobs, 60 s.
// DKV_SERVER names the binary (Debian's redis-server works too); DKV_JOBS_MONITOR=<file>
// records the commands the server receives (redis-cli MONITOR). Run by ctest as
// integration_bullmq when DKV_JOB_QUEUE_TESTS is ON (tests/CMakeLists.txt).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const { spawn } = require('node:child_process');
const { Queue, Worker, QueueEvents } = require('bullmq');
const { startServer } = require('./dkv_server');

const JOBS = 20;
let server;
let connection;
let monitor;

before(async () => {
  server = await startServer('bullmq');
  connection = { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null };
  if (process.env.DKV_JOBS_MONITOR) {
    const out = fs.openSync(process.env.DKV_JOBS_MONITOR, 'a');
    monitor = spawn('redis-cli', ['-h', '127.0.0.1', '-p', String(server.port), 'monitor'],
                    { stdio: ['ignore', out, out] });
  }
});

after(async () => {
  if (monitor) {
    const exited = new Promise((resolve) => monitor.once('exit', resolve));
    monitor.kill('SIGTERM');
    await exited;
  }
  if (server) await server.stop();
});

test('a Queue and a Worker run jobs end to end', { timeout: 60000 }, async () => {
  const name = 'dkv-test';
  const queue = new Queue(name, { connection });
  queue.setMaxListeners(100);  // one per waitUntilFinished below
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  const seen = [];
  const worker = new Worker(name, async (job) => {
    if (job.name === 'flaky' && job.attemptsMade === 0) throw new Error('first attempt fails');
    if (job.name === 'boom') throw new Error('this job fails on purpose');
    seen.push(job.name);
    await job.updateProgress(100);
    return { sum: job.data.a + job.data.b };
  }, { connection, concurrency: 2 });
  try {
    const bulk = await queue.addBulk(Array.from({ length: JOBS }, (_, i) => (
      { name: `add${i}`, data: { a: i, b: i } })));
    const addedAt = Date.now();
    const delayed = await queue.add('delayed', { a: 1, b: 2 }, { delay: 1500 });
    const prio = await queue.add('prio', { a: 5, b: 5 }, { priority: 1 });
    const flaky = await queue.add('flaky', { a: 0, b: 7 },
                                  { attempts: 2, backoff: { type: 'fixed', delay: 300 } });
    const boom = await queue.add('boom', {}, { attempts: 1 });

    const results = await Promise.all(bulk.map((j) => j.waitUntilFinished(events, 30000)));
    assert.deepStrictEqual(results, Array.from({ length: JOBS }, (_, i) => ({ sum: 2 * i })));
    assert.deepStrictEqual(await prio.waitUntilFinished(events, 30000), { sum: 10 });
    assert.deepStrictEqual(await flaky.waitUntilFinished(events, 30000), { sum: 7 });
    await assert.rejects(boom.waitUntilFinished(events, 30000), /this job fails on purpose/);
    assert.deepStrictEqual(await delayed.waitUntilFinished(events, 30000), { sum: 3 });
    assert.ok(Date.now() - addedAt >= 1400, 'the delayed job ran before its delay');

    const counts = await queue.getJobCounts('completed', 'failed', 'waiting', 'delayed',
                                            'active');
    assert.deepStrictEqual(counts, { completed: JOBS + 3, failed: 1, waiting: 0, delayed: 0,
                                     active: 0 });
    const failed = await queue.getJob(boom.id);
    assert.strictEqual(failed.failedReason, 'this job fails on purpose');
    const retried = await queue.getJob(flaky.id);
    assert.strictEqual(retried.attemptsMade, 2);
    const done = await queue.getJob(bulk[0].id);
    assert.strictEqual(done.progress, 100);
    assert.strictEqual(seen.length, JOBS + 3);
    assert.strictEqual((await queue.getCompleted(0, 100)).length, JOBS + 3);
  } finally {
    await worker.close();
    await events.close();
    await queue.close();
  }
});
