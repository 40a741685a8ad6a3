#!/usr/bin/env node
/* GET /api/v1/docs: Swagger UI over docs/openapi.yaml, driven in Debian's
 * chromium (headless) through playwright-core, which downloads no browser
 * (tests/api/package.json; `make test` installs both).
 *
 * Starts the real meetd as tests/api/harness.py does, then checks that the
 * page and its assets are served with the right types and headers, that
 * every path of the document is rendered, that no request leaves for
 * another host and no Content-Security-Policy violation happens, and that
 * Authorize + "Try it out" on GET /rooms gets 200 with {"rooms": ...}.
 *
 *   node tests/api/test_docs.js --bin-dir build/dev/bin
 */
'use strict';

const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const API_KEY = 'test-api-key-0123456789';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const TIME_LIMIT_MS = 55000;
const ROOT = path.resolve(__dirname, '..', '..');

function parseArgs() {
  const i = process.argv.indexOf('--bin-dir');
  const dir = i > 0 ? process.argv[i + 1] : path.join(ROOT, 'build', 'dev', 'bin');
  return { binDir: path.resolve(dir) };
}

/* The keys of the top-level "paths:" map of docs/openapi.yaml. */
function documentPaths() {
  const text = fs.readFileSync(path.join(ROOT, 'docs', 'openapi.yaml'), 'utf8');
  const out = [];
  let inPaths = false;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line))
      inPaths = line.startsWith('paths:');
    const m = inPaths && /^ {2}(\/\S*):\s*$/.exec(line);
    if (m)
      out.push(m[1]);
  }
  assert.ok(out.length >= 5, 'paths of docs/openapi.yaml not found');
  return out;
}

/* Starts meetd on a free loopback port; resolves to {proc, port, tmp}. */
function startMeetd(binDir) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'meetd-docs-'));
  const env = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^(MEET_|SERVER_|LIVEKIT_)/.test(k))
      env[k] = v;
  Object.assign(env, {
    SERVER_PORT: '0',
    SERVER_HOST: '127.0.0.1',
    MEET_DATA_DIR: path.join(tmp, 'data'),
    MEET_WORKERS: '2',
    MEET_LOG_LEVEL: 'info',
    MEET_INITIAL_API_KEY: API_KEY,
  });
  const log = fs.openSync(path.join(tmp, 'meetd.log'), 'w');
  const proc = spawn(path.join(binDir, 'meetd'), [], {
    env, stdio: ['ignore', 'pipe', log],
  });
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail('timed out'), 20000);
    function fail(why) {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`meetd did not start (${why}); log:\n` +
                       fs.readFileSync(path.join(tmp, 'meetd.log'), 'utf8')));
    }
    proc.on('exit', (code) => fail(`exited with ${code}`));
    proc.stdout.on('data', (chunk) => {
      buf += chunk;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        proc.stdout.resume();
        resolve({ proc, port: Number(m[1]), tmp });
      }
    });
  });
}

async function checkHttp(base) {
  let r = await fetch(`${base}/api/v1/docs`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
  const csp = r.headers.get('content-security-policy') || '';
  assert.match(csp, /default-src 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);
  const html = await r.text();
  assert.doesNotMatch(html, /<script>|https?:\/\/(?!www\.w3\.org)/i,
                      'the page has an inline script or an absolute URL');

  r = await fetch(`${base}/meet/api/v1/docs`);
  assert.equal(r.status, 200, 'the page under the base path');
  await r.arrayBuffer();

  r = await fetch(`${base}/api/v1/docs/`, { redirect: 'manual' });
  assert.equal(r.status, 301);
  assert.equal(r.headers.get('location'), '/api/v1/docs');

  const types = {
    'docs.js': /^text\/javascript/,
    'swagger-ui-bundle.js': /^text\/javascript/,
    'swagger-ui.css': /^text\/css/,
    'favicon-32x32.png': /^image\/png$/,
  };
  for (const [name, type] of Object.entries(types)) {
    r = await fetch(`${base}/api/v1/docs/${name}`);
    assert.equal(r.status, 200, name);
    assert.match(r.headers.get('content-type'), type, name);
    assert.match(r.headers.get('cache-control') || '', /max-age=\d+/, name);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', name);
    assert.ok((await r.arrayBuffer()).byteLength > 0, name);
  }
  r = await fetch(`${base}/api/v1/docs/swagger-ui.js.map`);
  assert.equal(r.status, 404);
  await r.arrayBuffer();
}

async function checkBrowser(base, paths, tmp) {
  const { chromium } = require('playwright-core');
  const context = await chromium.launchPersistentContext(
      path.join(tmp, 'chromium-profile'), {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
               '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync'],
      });
  try {
    const page = context.pages()[0] || await context.newPage();
    page.setDefaultTimeout(15000);
    const origin = new URL(base).origin;
    const foreign = [];
    const roomsRequests = [];
    const problems = [];
    page.on('request', (req) => {
      const u = new URL(req.url());
      if (u.protocol === 'data:' || u.protocol === 'blob:')
        return;
      if (u.origin !== origin)
        foreign.push(req.url());
      if (u.pathname === '/api/v1/rooms')
        roomsRequests.push(req);
    });
    page.on('console', (msg) => {
      if (/Content.Security.Policy/i.test(msg.text()))
        problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(String(err)));

    await page.goto(`${base}/api/v1/docs`);
    await page.locator('.opblock').first().waitFor();
    const rendered = await page.$$eval('[data-path]',
                                       (els) => els.map((e) => e.getAttribute('data-path')));
    for (const p of paths)
      assert.ok(rendered.includes(p), `path ${p} not rendered`);

    /* Authorize with the apiKey scheme (X-API-KEY). */
    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.modal-ux');
    await modal.locator('input').first().fill(API_KEY);
    await modal.locator('button.authorize').first().click();
    await modal.locator('button.btn-done, button.close-modal').first().click();
    await modal.waitFor({ state: 'detached' });

    /* GET /rooms → Try it out → Execute. */
    const op = page.locator('.opblock.opblock-get')
        .filter({ has: page.locator('.opblock-summary-path[data-path="/rooms"]') })
        .first();
    await op.locator('.opblock-summary-control').click();
    await op.locator('button.try-out__btn').click();
    await op.locator('button.execute').click();
    const live = op.locator('.live-responses-table .response').first();
    await live.waitFor();
    const status = (await live.locator('.response-col_status').innerText()).trim();
    assert.equal(status, '200', 'status in the response panel');
    const body = await live.locator('.response-col_description pre').first().innerText();
    assert.ok(JSON.parse(body).rooms !== undefined, `no "rooms" in ${body}`);

    assert.ok(roomsRequests.length >= 1, 'no request to /api/v1/rooms');
    assert.equal(roomsRequests[0].headers()['x-api-key'], API_KEY);
    assert.deepEqual(foreign, [], 'requests to another host');
    assert.deepEqual(problems, [], 'page errors or CSP violations');
  } finally {
    await context.close();
  }
}

async function main() {
  const started = Date.now();
  const limit = setTimeout(() => {
    console.error(`FAIL: test_docs took more than ${TIME_LIMIT_MS} ms`);
    process.exit(1);
  }, TIME_LIMIT_MS);
  limit.unref();
  const { binDir } = parseArgs();
  const paths = documentPaths();
  const m = await startMeetd(binDir);
  let ok = false;
  try {
    const base = `http://127.0.0.1:${m.port}`;
    await checkHttp(base);
    console.log('ok - page and assets served with their types and headers');
    await checkBrowser(base, paths, m.tmp);
    console.log(`ok - Swagger UI renders ${paths.length} paths, stays on the ` +
                'origin, and "Try it out" GET /rooms answers 200');
    ok = true;
  } finally {
    m.proc.kill('SIGTERM');
    await new Promise((res) => {
      const t = setTimeout(() => { m.proc.kill('SIGKILL'); res(); }, 5000);
      m.proc.on('exit', () => { clearTimeout(t); res(); });
    });
    if (ok)
      fs.rmSync(m.tmp, { recursive: true, force: true });
    else
      console.error(`meetd's data and log kept in ${m.tmp}`);
  }
  console.log(`test_docs passed in ${Date.now() - started} ms`);
}

main().catch((err) => {
  console.error('FAIL:', err && err.stack || err);
  process.exit(1);
});
