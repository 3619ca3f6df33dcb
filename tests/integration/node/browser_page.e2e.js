// The operator page in a real browser: Debian's Chromium, headless, driven by playwright-core
// (executablePath set, no browser download). It loads the page from a real dkv-server, waits for
// the live charts, expands the keyspace tree level by level, opens a key and checks its type, TTL,
// metadata and value, checks the slow log, the http-show-values and http-show-keys switches, and
// saves a screenshot to $DKV_ARTIFACTS (ctest: build/<kind>/test-artifacts/keyspace-browser.png).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Redis = require('ioredis');
const { chromium } = require('playwright-core');
const { startServer } = require('./dkv_server');

let server;
let redis;
let browser;
let httpPort;

function chromiumPath() {
  for (const p of [process.env.CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (p && fs.existsSync(p)) return p;
  }
  throw new Error('Chromium not found: install Debian package chromium (scripts/test does)');
}

before(async () => {
  server = await startServer('browser', (http) => ['--http-port', String(http),
                                                   '--http-show-values', 'yes',
                                                   '--http-show-keys', 'yes',  // no password
                                                   '--slowlog-log-slower-than', '0',
                                                   '--slowlog-max-len', '100000']);
  httpPort = server.httpPort;
  redis = new Redis({ port: server.port, host: '127.0.0.1' });
  await redis.call('KV.SET', 'app.config.db.host', 'db-primary.internal', 'META', 'owner',
                   'platform', 'EX', '3600');
  await redis.set('app.config.db.port', '5432');
  const pipe = redis.pipeline();
  for (let i = 0; i < 50; i++) pipe.set(`app.users.${i}`, `user-${i}`);
  pipe.set('cache.page.home', '<html>home</html>');
  await pipe.exec();
  browser = await chromium.launch({ executablePath: chromiumPath(),
                                    args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  if (browser) await browser.close();
  if (redis) redis.disconnect();
  if (server) await server.stop();
});

test('the page charts the server, browses the keyspace tree and shows a key', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  // Some traffic for the charts while the page polls.
  const load = setInterval(() => { redis.get('app.users.1'); redis.get('nope'); }, 20);
  try {
    await page.goto(`http://127.0.0.1:${httpPort}/`);
    await page.waitForSelector('#server-info:has-text("keys")');

    // The roots: app (52 keys) and cache (1).
    const app = page.locator('#tree > li.node[data-path="app"]');
    await app.waitFor();
    assert.match(await app.locator(':scope > .row .count').textContent(), /^52 keys$/);
    assert.match(await page.locator('#tree > li.node[data-path="cache"] > .row .count')
      .textContent(), /^1 key$/);

    // Expand app, then app.config, then app.config.db.
    await app.locator(':scope > .row .toggle').click();
    const config = page.locator('li.node[data-path="app.config"]');
    await config.waitFor();
    assert.match(await config.locator(':scope > .row .count').textContent(), /^2 keys$/);
    assert.match(await page.locator('li.node[data-path="app.users"] > .row .count').textContent(),
                 /^50 keys$/);
    await config.locator(':scope > .row .toggle').click();
    const db = page.locator('li.node[data-path="app.config.db"]');
    await db.waitFor();
    await db.locator(':scope > .row .toggle').click();
    const host = page.locator('li.node[data-path="app.config.db.host"]');
    await host.waitFor();
    assert.ok(await host.locator(':scope > .row .toggle').isDisabled(), 'a leaf has no children');
    assert.match(await host.locator(':scope > .row .bytes').textContent(), /B$/);

    // Open the key.
    await host.locator(':scope > .row .name').click();
    await page.waitForSelector('#key-detail:not([hidden])');
    await page.waitForFunction(() => document.getElementById('key-name').textContent ===
                               'app.config.db.host');
    assert.strictEqual(await page.textContent('#key-type'), 'string');
    assert.strictEqual(await page.textContent('#key-value'), 'db-primary.internal');
    assert.strictEqual(await page.textContent('#key-user'), 'owner = platform');
    assert.match(await page.textContent('#key-ttl'), /^(59|60) min$/);
    assert.strictEqual(await page.textContent('#key-version'), '1');

    // The charts have drawn several polls (one a second).
    await page.waitForFunction(() => Number(document.getElementById('chart-ops').dataset.points) >= 3,
                               null, { timeout: 15000 });
    assert.ok(Number(await page.getAttribute('#chart-memory', 'data-points')) >= 3);
    const ops = Number(await page.textContent('#now-ops'));
    assert.ok(ops > 0, `ops/s shown: ${ops}`);
    assert.match(await page.textContent('#now-hits'), /%$/);

    // The slow log (every command is logged at slowlog-log-slower-than 0).
    await page.waitForSelector('#slowlog tbody tr');
    assert.match(await page.textContent('#slowlog tbody'), /app\.config\.db/);

    const artifacts = process.env.DKV_ARTIFACTS || path.join(os.tmpdir(), 'dkv-test-artifacts');
    fs.mkdirSync(artifacts, { recursive: true });
    const shot = path.join(artifacts, 'keyspace-browser.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(fs.statSync(shot).size > 10000, 'screenshot written');

    // Values hidden: the page says so and the API sends none.
    await redis.config('SET', 'http-show-values', 'no');
    await host.locator(':scope > .row .name').click();
    await page.waitForFunction(() => document.getElementById('key-value').textContent
      .startsWith('(values are hidden'));
    assert.deepStrictEqual(problems, []);

    // Key names hidden (no password, http-show-keys no): the tree gives way to the reason.
    // (The browser logs the 403 itself as a console error, so this comes after that check.)
    await redis.config('SET', 'http-show-keys', 'no');
    await page.click('#refresh');
    await page.waitForFunction(() => document.getElementById('tree').textContent
      .startsWith('key names are hidden'));
    assert.strictEqual(await page.locator('#tree li.node').count(), 0);
  } finally {
    clearInterval(load);
    await page.close();
  }
});
