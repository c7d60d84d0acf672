// End-to-end test of the built playground (dist/ from `trunk build --release`), in Debian's
// headless Chromium: load the default example, edit the Dockerfile, toggle changes, switch the
// cache source, check the verdicts (from the real engine), open a share link and an embed URL
// (state round-trips, postMessage works), and check that the page makes no request beyond its
// own files and triggers no Content-Security-Policy violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { serveDist, launch, appReady, repoRoot, distDir } from './harness.mjs';

let server;
let browser;
const shotsDir = path.join(repoRoot, 'tests/e2e/screenshots-tmp');

before(async () => {
  server = await serveDist();
  browser = await launch();
  fs.mkdirSync(shotsDir, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A page that records every request, console error and CSP violation. */
async function openPage(url, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const requests = [];
  const errors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  if (url) await page.goto(url);
  return { page, context, requests, errors };
}

async function verdict(page, line, builder) {
  return (await page.locator(`table.verdicts tr[data-line="${line}"] td.${builder} .badge`).textContent()).trim();
}

function onlyOwnRequests(requests) {
  const foreign = requests.filter((u) => !u.startsWith(server.url) && !u.startsWith('data:') && u !== 'about:blank');
  assert.deepEqual(foreign, [], 'no request beyond the app\'s own files');
}

async function assertCleanPage({ page, requests, errors }) {
  const csp = await page.evaluate(() => window.__csp);
  assert.deepEqual(csp, [], 'no Content-Security-Policy violation');
  assert.deepEqual(errors.filter((e) => /Content.Security.Policy|Refused/i.test(e)), []);
  assert.deepEqual(errors, [], 'no console errors');
  onlyOwnRequests(requests);
}

test('precompressed .gz files in dist/ are the files they sit next to', () => {
  // scripts/build.sh writes them with zopfli (when it can); the tests below load the app
  // through them (the test server sends FILE.gz when it exists, like nginx's gzip_static).
  const gz = fs.readdirSync(distDir).filter((f) => f.endsWith('.gz'));
  if (gz.length === 0) {
    console.log('# no .gz files in dist/ (built without zopfli): nothing to check');
    return;
  }
  for (const f of gz) {
    const original = fs.readFileSync(path.join(distDir, f.slice(0, -3)));
    const inflated = zlib.gunzipSync(fs.readFileSync(path.join(distDir, f)));
    assert.ok(inflated.equals(original), `${f} inflates to ${f.slice(0, -3)}`);
  }
  assert.ok(gz.some((f) => f.endsWith('.wasm.gz')), 'the wasm is precompressed');
});

test('integrity attributes in index.html match the files (after scripts/shrink-glue.mjs)', () => {
  // The release build rewrites the wasm and its glue after Trunk wrote their sha384 into
  // index.html; a stale one makes the browser drop the preload (and log an error).
  const html = fs.readFileSync(path.join(distDir, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/href=["']?\.\/([^"' >]+)["']?[^>]*?integrity=["']?(sha384-[A-Za-z0-9+/=]+)/g)];
  assert.ok(refs.length >= 2, 'index.html names the glue and the wasm with their integrity');
  for (const [, file, want] of refs) {
    const got = `sha384-${crypto.createHash('sha384').update(fs.readFileSync(path.join(distDir, file))).digest('base64')}`;
    assert.equal(got, want, file);
  }
});

test('default example, editing, changes, cache source, share link and embed', async () => {
  const p = await openPage(server.url);
  const { page } = p;
  await appReady(page);

  // Default example: the pip index URL build arg at the top.
  const text = await page.inputValue('textarea#dockerfile');
  assert.match(text, /^FROM python:3\.12-slim\nARG PIP_INDEX_URL\n/);
  assert.equal(await verdict(page, 1, 'buildkit'), 'cached');
  assert.equal(await verdict(page, 4, 'buildkit'), 'rebuilt');
  assert.equal(await verdict(page, 4, 'classic'), 'rebuilt');
  assert.match(await page.locator('.summary').textContent(), /BuildKit/);

  // The browser's own undo works: the app's re-render never rewrites the textarea behind
  // the user's back (which would drop the undo history).
  await page.click('textarea#dockerfile');
  await page.evaluate(() => document.querySelector('textarea#dockerfile').setSelectionRange(10, 10));
  await page.keyboard.type('Q');
  await page.waitForSelector('table.verdicts td.ins:has-text("FROM pythoQn")');
  await page.keyboard.press('Control+z');
  await page.waitForFunction((t) => document.querySelector('textarea#dockerfile').value === t, text);
  await page.waitForSelector('table.verdicts td.ins:has-text("FROM python:3.12-slim")');

  // Edit the Dockerfile with the keyboard: a new instruction shows up with verdicts.
  await page.click('textarea#dockerfile');
  await page.keyboard.press('Control+End');
  await page.keyboard.type('RUN echo typed-in-e2e\n');
  await page.waitForSelector('table.verdicts td.ins:has-text("RUN echo typed-in-e2e")');
  const typedLine = text.split('\n').length; // the old last (empty) line now holds the RUN
  assert.match(await verdict(page, typedLine, 'buildkit'), /^(rebuilt|cached)$/);

  // Typing in the middle keeps the caret where it is (the re-render must not reset it).
  await page.evaluate(() => document.querySelector('textarea#dockerfile').setSelectionRange(10, 10));
  await page.keyboard.type('ab');
  await page.keyboard.press('Backspace');
  await page.keyboard.press('Backspace');
  assert.equal(await page.evaluate(() => document.querySelector('textarea#dockerfile').selectionStart), 10);
  assert.equal(await page.inputValue('textarea#dockerfile'), text + 'RUN echo typed-in-e2e\n');

  // Stop the ARG from changing: everything after it is cached again.
  await page.uncheck('tr:has(code:text-is("PIP_INDEX_URL")) input[type="checkbox"]');
  assert.equal(await verdict(page, 4, 'buildkit'), 'cached');
  assert.equal(await verdict(page, 6, 'classic'), 'cached');

  // Toggle a context file change: requirements.txt edited → its COPY and the pip RUN re-run.
  await page.selectOption('select[aria-label="requirements.txt in build B"]', 'edited');
  assert.equal(await verdict(page, 4, 'buildkit'), 'cached');
  assert.equal(await verdict(page, 5, 'buildkit'), 'rebuilt');
  assert.equal(await verdict(page, 6, 'buildkit'), 'rebuilt');

  // Switch the cache source to a fresh CI agent: nothing can be cached.
  await page.check('input[name="cache-source"][value="fresh-agent"]');
  assert.equal(await verdict(page, 4, 'buildkit'), 'rebuilt');
  assert.equal(await verdict(page, 4, 'classic'), 'rebuilt');

  // The why panel: select line 5 and read the causal chain.
  await page.click('table.verdicts tr[data-line="5"] button');
  assert.equal(await page.locator('section.why h2').textContent(), 'Why? — line 5');
  assert.ok((await page.locator('section.why li.reason').count()) > 0);

  // Share: the link carries the whole state; opening it restores it.
  await page.click('.share > button');
  const link = await page.inputValue('#share-link');
  assert.match(link, /#v1:[A-Za-z0-9_-]+$/);
  assert.match(await page.locator('.link-len').textContent(), new RegExp(`^${link.length} characters`));
  const iframe = await page.inputValue('#share-iframe');
  const edited = await page.inputValue('textarea#dockerfile');
  await page.screenshot({ path: path.join(shotsDir, 'e2e-main.png') });
  await assertCleanPage(p);
  // The address bar follows the state too (debounced).
  await page.waitForFunction((l) => location.href === l, link);

  const q = await openPage(link);
  await appReady(q.page);
  assert.equal(await q.page.inputValue('textarea#dockerfile'), edited);
  assert.equal(await q.page.isChecked('input[name="cache-source"][value="fresh-agent"]'), true);
  assert.equal(await q.page.inputValue('select[aria-label="requirements.txt in build B"]'), 'edited');
  assert.equal(await verdict(q.page, 5, 'buildkit'), 'rebuilt');
  await assertCleanPage(q);
  await q.context.close();

  // A damaged link: a friendly message, and the default example instead.
  const bad = await openPage(link.slice(0, -12) + 'x!');
  await appReady(bad.page);
  assert.match(await bad.page.locator('.notice').textContent(), /damaged/);
  await bad.context.close();

  // Embed URL from the iframe snippet: compact, read-only, same state, link back.
  const embedUrl = iframe.match(/src="([^"]+)"/)[1].replaceAll('&amp;', '&');
  assert.match(embedUrl, /\?embed=1#v1:/);
  const e = await openPage(embedUrl);
  await appReady(e.page);
  assert.equal(await e.page.inputValue('textarea#dockerfile'), edited);
  assert.equal(await e.page.locator('textarea#dockerfile').isEditable(), false);
  assert.equal(await e.page.locator('.changes').count(), 0);
  // The link gets its href once the browser has compressed the state (asynchronous).
  const back = await e.page.getAttribute('a.open-full[href]', 'href');
  assert.equal(back.split('#')[1], link.split('#')[1]);
  await assertCleanPage(e);
  await e.context.close();
  await p.context.close();
});

test('embed in an iframe: ready, resize, set-state and get-state over postMessage', async () => {
  const p = await openPage(null);
  const { page } = p;
  await page.goto(server.url + 'index.html?embed=1');
  await appReady(page);
  const embedUrl = page.url();
  // A host page (different origin: about:blank) that embeds the playground.
  const host = await openPage(null);
  await host.page.setContent(`<!doctype html><body>
    <iframe id="f" src="${embedUrl}" width="800" height="300"></iframe>
    <script>
      window.msgs = [];
      addEventListener('message', (e) => window.msgs.push(e.data));
    </script></body>`);
  const got = (type) => host.page.waitForFunction((t) => window.msgs.find((m) => m && m.source === 'layerlab' && m.type === t), type);
  await got('ready');
  const resize = await (await got('resize')).jsonValue();
  assert.ok(resize.height > 100, `resize height ${resize.height}`);

  // set-state with a bare scenario (version 0 document).
  await host.page.evaluate(() => document.getElementById('f').contentWindow.postMessage(
    { type: 'set-state', state: { dockerfile: 'FROM alpine:3.20\nRUN echo from-host\n', cache: { source: 'none' } } }, '*'));
  const frame = host.page.frame({ url: /embed=1/ });
  await frame.waitForFunction(() => document.querySelector('textarea#dockerfile').value.includes('from-host'));
  assert.equal(await verdict(frame, 2, 'buildkit'), 'rebuilt');

  // get-state answers with the state and a share fragment.
  await host.page.evaluate(() => { window.msgs = []; document.getElementById('f').contentWindow.postMessage({ type: 'get-state' }, '*'); });
  const state = await (await got('state')).jsonValue();
  assert.equal(state.state.scenario.dockerfile, 'FROM alpine:3.20\nRUN echo from-host\n');
  assert.equal(state.state.scenario.cache.source, 'none');
  assert.match(state.fragment, /^v1:/);

  // A malformed message gets an error reply, and the state is untouched.
  await host.page.evaluate(() => { window.msgs = []; document.getElementById('f').contentWindow.postMessage({ type: 'set-state', fragment: 'v1:@@@' }, '*'); });
  const err = await (await got('error')).jsonValue();
  assert.match(err.message, /damaged/);
  assert.match(await frame.inputValue('textarea#dockerfile'), /from-host/);

  onlyOwnRequests(host.requests.filter((u) => !u.startsWith('about:')));
  await host.context.close();
  await p.context.close();
});

test('dark mode follows the system, phone layout fits, controls are labelled', async () => {
  const dark = await openPage(server.url, { colorScheme: 'dark' });
  await appReady(dark.page);
  const bg = await dark.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 150, `dark background, got ${bg}`);
  await dark.page.screenshot({ path: path.join(shotsDir, 'e2e-dark.png') });
  await assertCleanPage(dark);
  await dark.context.close();

  const phone = await openPage(server.url, { viewport: { width: 390, height: 844 }, isMobile: true });
  await appReady(phone.page);
  // Keyboard: from the top of the page, Tab reaches the editor.
  let reached = false;
  for (let i = 0; i < 15 && !reached; i++) {
    await phone.page.keyboard.press('Tab');
    reached = await phone.page.evaluate(() => document.activeElement?.id === 'dockerfile');
  }
  assert.ok(reached, 'the Dockerfile editor is reachable with Tab');
  // Select a step so the Why panel shows its long instruction and reasons too.
  await phone.page.click('table.verdicts tr[data-line="4"] button');
  const overflow = await phone.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling on a phone (overflow ${overflow}px)`);
  // On a phone the results come right after the editor.
  const order = await phone.page.evaluate(() => {
    const top = (s) => document.querySelector(s).getBoundingClientRect().top;
    return [top('.editor-wrap'), top('.summary'), top('table.verdicts'), top('.changes')];
  });
  assert.deepEqual([...order].sort((a, b) => a - b), order, `phone order ${order}`);
  await phone.page.screenshot({ path: path.join(shotsDir, 'e2e-phone.png'), fullPage: true });

  // Every form control has an accessible name.
  const unlabeled = await phone.page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => {
      const named = el.getAttribute('aria-label') || el.labels?.length || (el.tagName === 'BUTTON' && el.textContent.trim());
      return !named;
    })
    .map((el) => el.outerHTML.slice(0, 80)));
  assert.deepEqual(unlabeled, []);
  await phone.context.close();
});

test('fixes and export run in the on-demand worker: found, applied, generated, refused', async () => {
  const p = await openPage(server.url);
  const { page, requests } = p;
  await appReady(page);
  // The worker is not part of the first load.
  assert.equal(requests.filter((u) => u.includes('layerlab-worker')).length, 0, 'worker loaded lazily');

  // Fixes: the pip index URL build arg is found, and the secret-mount fix applies.
  await page.click('section.fixes > button');
  await page.waitForSelector('li.fix[data-rule="volatile-arg-early"]');
  assert.ok(requests.some((u) => u.endsWith('layerlab-worker_bg.wasm')), 'worker started on first use');
  await page.click('li.fix[data-rule="credential-build-arg"] .apply-fix');
  const text = await page.inputValue('textarea#dockerfile');
  assert.match(text, /--mount=type=secret/);
  assert.doesNotMatch(text, /ARG PIP_INDEX_URL/);
  const buildkit = await page.locator('table.verdicts td.buildkit .badge').allTextContents();
  assert.ok(buildkit.length > 0 && buildkit.every((v) => v.trim() !== 'rebuilt'), buildkit.join());
  assert.match(await page.locator('section.fixes > button').textContent(), /changed/);

  // Export: GitHub Actions by default, another CI on request, user values reach the command.
  await page.click('section.export summary');
  await page.waitForSelector('.export-cmd');
  assert.match(await page.locator('.export-cmd').textContent(), /docker buildx build/);
  const heads = async () => (await page.locator('.export-block h3').allTextContents()).map((t) => t.trim());
  assert.ok((await heads()).some((h) => h.startsWith('.github/workflows/')), (await heads()).join());
  await page.selectOption('#export-ci', 'azure');
  await page.waitForFunction(() => [...document.querySelectorAll('.export-block h3')].some((h) => h.textContent === 'azure-pipelines.yml'));
  await page.fill('#export-image', 'acme/web');
  await page.waitForFunction(() => document.querySelector('.export-cmd')?.textContent.includes('acme/web'));
  // The secret mount the fix introduced becomes a --secret, never a build arg.
  const cmd = await page.locator('.export-cmd').textContent();
  assert.match(cmd, /--secret/);
  assert.doesNotMatch(cmd, /--build-arg PIP_INDEX_URL/);
  // A value that cannot be represented is refused, naming the field.
  await page.fill('#export-registry', 'ghcr.io/a,b');
  await page.waitForSelector('.export-error[data-field="registry"]');
  assert.equal(await page.locator('.export-cmd').count(), 0);
  // The CI choice and the parameters travel in the link.
  await page.fill('#export-registry', '');
  await page.waitForSelector('.export-cmd');
  await page.waitForFunction(() => location.hash.length > 10);
  await page.click('.share > button');
  const link = await page.inputValue('#share-link');
  const q = await openPage(link);
  await appReady(q.page);
  await q.page.click('section.export summary');
  await q.page.waitForSelector('.export-cmd');
  assert.equal(await q.page.inputValue('#export-ci'), 'azure');
  assert.equal(await q.page.inputValue('#export-image'), 'acme/web');
  await assertCleanPage(q);
  await q.context.close();
  await page.screenshot({ path: path.join(shotsDir, 'e2e-export.png'), fullPage: true });
  await assertCleanPage(p);
  await p.context.close();
});

test('long files: the overlay renders a window of lines that stays aligned with the text', async () => {
  const { stressScenario } = await import('./bench.mjs');
  const sc = stressScenario(600);
  const b64 = Buffer.from(JSON.stringify(sc)).toString('base64').replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
  const p = await openPage(server.url + '#json:' + b64);
  const { page } = p;
  await appReady(page);
  const total = sc.dockerfile.split('\n').length;
  const rendered = await page.locator('.hl .ln:not(.sizer)').count();
  assert.ok(rendered < total, `only a window is rendered (${rendered} of ${total})`);
  // Scroll the editor far down: the lines there get rendered, aligned with the textarea's.
  for (const line of [400, 57, total - 1]) {
    await page.evaluate((l) => { document.querySelector('.editor').scrollTop = 8 + (l - 1) * 20 - 100; }, line);
    await page.waitForFunction((l) => [...document.querySelectorAll('.gutter .g-num')].some((g) => g.textContent === String(l)), line);
    const check = await page.evaluate((l) => {
      const g = [...document.querySelectorAll('.gutter .g-num')].find((x) => x.textContent === String(l));
      const top = g.getBoundingClientRect().top;
      const ln = [...document.querySelectorAll('.hl .ln:not(.sizer)')].find((x) => Math.abs(x.getBoundingClientRect().top - top) < 1);
      const want = document.querySelector('textarea#dockerfile').value.split('\n')[l - 1];
      return { got: ln ? ln.textContent : null, want };
    }, line);
    assert.equal(check.got, check.want, `overlay line ${line} sits where the gutter says`);
  }
  // The overlay (and so the textarea) stays as wide as the longest line.
  const widths = await page.evaluate(() => [document.querySelector('.hl').scrollWidth, document.querySelector('textarea#dockerfile').scrollWidth]);
  assert.ok(widths[0] >= widths[1], `overlay ${widths[0]}px covers the text ${widths[1]}px`);
  await assertCleanPage(p);
  await p.context.close();
});
